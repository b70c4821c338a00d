/* once_recursive — a once routine that calls pthread_once on its own
 * control: init_config loads the defaults, and load_defaults, reached
 * from it, makes sure the configuration is initialized first.  glibc
 * waits for the routine to finish, which it never will: a deadlock of one
 * thread, reported as soon as the watchdog sees it (no hang timeout
 * needed; --on-hang=exit ends the program). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static int config_value;

static void init_config(void);

static void load_defaults(void)
{
	pthread_once(&config_once, init_config); /* re-enters its own once: waits for itself */
	config_value = 42;
}

static void init_config(void) { load_defaults(); }

static void *config_loader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "config-loader");
	pthread_once(&config_once, init_config);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, config_loader, NULL);
	pthread_join(t, NULL);
	printf("once_recursive: config %d\n", config_value);
	return 0;
}
