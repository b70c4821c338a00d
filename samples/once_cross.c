/* once_cross — a cycle through a once control.  The registry is set up by
 * a once routine, init_registry, that registers the built-in plugins under
 * plugins_lock.  The loader thread runs it; meanwhile the plugin thread,
 * holding plugins_lock, asks for the registry (pthread_once on the same
 * control) and waits for the loader's routine, which waits for
 * plugins_lock: a deadlock.  Reported twice over: as a lock-order
 * inversion the moment the second order is seen (registry_once ->
 * plugins_lock, plugins_lock -> registry_once), and as a deadlock (the
 * cycle of the two threads) by the watchdog. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t plugins_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int registry_started, plugins_locked;
static int plugins;

static void init_registry(void)
{
	atomic_store(&registry_started, 1);
	while (!atomic_load(&plugins_locked))
		usleep(1000);
	pthread_mutex_lock(&plugins_lock); /* held by the plugin thread */
	plugins++;
	pthread_mutex_unlock(&plugins_lock);
}

static void *loader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "loader");
	pthread_once(&registry_once, init_registry);
	return NULL;
}

static void *plugin(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "plugin");
	pthread_mutex_lock(&plugins_lock);
	atomic_store(&plugins_locked, 1);
	while (!atomic_load(&registry_started))
		usleep(1000);
	pthread_once(&registry_once, init_registry); /* waits for the loader's routine */
	plugins++;
	pthread_mutex_unlock(&plugins_lock);
	return NULL;
}

int main(void)
{
	pthread_t l, p;
	pthread_create(&p, NULL, plugin, NULL);
	pthread_create(&l, NULL, loader, NULL);
	pthread_join(l, NULL);
	pthread_join(p, NULL);
	printf("once_cross: %d plugins\n", plugins);
	return 0;
}
