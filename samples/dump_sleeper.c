/* dump_sleeper — a lock held forever.
 *   dump_sleeper          the holder takes config_lock and sleeps forever;
 *                         the main thread blocks on config_lock (a hang).
 *   dump_sleeper condwait the holder takes config_lock, then waits on
 *                         reload_requested (with reload_lock) for a signal
 *                         nobody sends, still holding config_lock: the main
 *                         thread blocked behind it is hold-and-wait. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t reload_requested = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t holding;
static int cond_mode;

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void wait_for_reload(void)
{
	pthread_mutex_lock(&reload_lock);
	for (;;)
		pthread_cond_wait(&reload_requested, &reload_lock);
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "config-holder");
	pthread_mutex_lock(&config_lock);
	pthread_barrier_wait(&holding);
	if (cond_mode)
		wait_for_reload();
	else
		sleep_forever();
	return NULL;
}

static void read_config(void)
{
	pthread_mutex_lock(&config_lock);
	puts("dump_sleeper: got the config");
	pthread_mutex_unlock(&config_lock);
}

int main(int argc, char **argv)
{
	cond_mode = argc > 1 && !strcmp(argv[1], "condwait");
	pthread_t t;
	pthread_barrier_init(&holding, NULL, 2);
	pthread_create(&t, NULL, holder, NULL);
	pthread_barrier_wait(&holding);
	read_config();
	return 0;
}
