/* trylock_backoff — the opposite order taken with trylock and back-off.
 *
 * worker_1 takes lock_a then lock_b.  worker_2 holds lock_b and only tries
 * lock_a; when that fails it releases lock_b and starts over, so it never
 * waits for lock_a while holding lock_b: no deadlock is possible and
 * lockscope reports nothing (Helgrind reports this falsely). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int updates, backoffs;

static void *worker_1(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	updates++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *worker_2(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock_b);
		if (pthread_mutex_trylock(&lock_a) == 0)
			break;
		pthread_mutex_unlock(&lock_b);
		backoffs++;
		sched_yield();
	}
	updates++;
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker_1, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, worker_2, NULL);
	pthread_join(t2, NULL);
	printf("trylock_backoff: %d updates\n", updates);
	return 0;
}
