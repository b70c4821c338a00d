/* stack_sleeper.c — no deadlock: one thread holds a mutex while it sleeps,
 * another waits for that mutex. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t resource_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t holding;

static void *slow_holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&resource_lock);
	pthread_barrier_wait(&holding);
	sleep(3600); /* sleeping while holding: slow_holder */
	pthread_mutex_unlock(&resource_lock);
	return NULL;
}

static void *impatient_waiter(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&holding);
	pthread_mutex_lock(&resource_lock); /* waits: impatient_waiter */
	pthread_mutex_unlock(&resource_lock);
	return NULL;
}

int main(void)
{
	pthread_t h, w;
	pthread_barrier_init(&holding, NULL, 2);
	pthread_create(&h, NULL, slow_holder, NULL);
	pthread_create(&w, NULL, impatient_waiter, NULL);
	pthread_setname_np(h, "sleeper");
	pthread_setname_np(w, "waiter");
	pthread_join(w, NULL);
	pthread_join(h, NULL);
	puts("done");
	return 0;
}
