/* stack_rwlock.c — two writers deadlock on two rwlocks taken in opposite
 * orders; a reader then queues behind one of them. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_rwlock_t config_rwlock = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t cache_rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int config_version, cache_entries;

static void *reload_config(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&config_rwlock);
	pthread_barrier_wait(&both_hold_one);
	pthread_rwlock_wrlock(&cache_rwlock); /* deadlock: reload_config */
	config_version++;
	pthread_rwlock_unlock(&cache_rwlock);
	pthread_rwlock_unlock(&config_rwlock);
	return NULL;
}

static void *refill_cache(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&cache_rwlock);
	pthread_barrier_wait(&both_hold_one);
	pthread_rwlock_wrlock(&config_rwlock); /* deadlock: refill_cache */
	cache_entries++;
	pthread_rwlock_unlock(&config_rwlock);
	pthread_rwlock_unlock(&cache_rwlock);
	return NULL;
}

static void *read_config(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&config_rwlock); /* blocked reader: read_config */
	int v = config_version;
	pthread_rwlock_unlock(&config_rwlock);
	return (void *)(long)v;
}

int main(void)
{
	pthread_t a, b, r;
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&a, NULL, reload_config, NULL);
	pthread_create(&b, NULL, refill_cache, NULL);
	pthread_setname_np(a, "reloader");
	pthread_setname_np(b, "refiller");
	sleep(1); /* let the writers deadlock first */
	pthread_create(&r, NULL, read_config, NULL);
	pthread_setname_np(r, "reader");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(r, NULL);
	puts("done");
	return 0;
}
