/* condwait_inversion — a condition wait that re-acquires its mutex while
 * another lock is held.
 *
 * updater takes lock_a then lock_b.  waiter takes lock_a then lock_b too,
 * but then waits on `ready` with lock_a: pthread_cond_wait releases lock_a
 * and re-acquires it before returning, while lock_b is still held, so the
 * waiter takes lock_a after lock_b.  Had the updater run during the wait it
 * could hold lock_a and wait for lock_b forever.  The threads are sequenced
 * so this run completes; lockscope reports the inversion, with the wait as
 * the site that takes lock_a. */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static bool ready, waiting;
static int value;

static void *updater(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	value++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	waiting = true;
	while (!ready)
		pthread_cond_wait(&ready_cond, &lock_a);
	value++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

/* Takes only lock_a: it signals once the waiter is inside the wait. */
static void *signaller(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	ready = true;
	pthread_cond_signal(&ready_cond);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2, t3;
	pthread_create(&t1, NULL, updater, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, waiter, NULL);
	/* lock_a is free only while the waiter waits (or before it starts:
	 * then `waiting` is still false and we try again). */
	for (;;) {
		pthread_mutex_lock(&lock_a);
		bool in_wait = waiting;
		pthread_mutex_unlock(&lock_a);
		if (in_wait)
			break;
		sched_yield();
	}
	pthread_create(&t3, NULL, signaller, NULL);
	pthread_join(t3, NULL);
	pthread_join(t2, NULL);
	printf("condwait_inversion: value %d\n", value);
	return 0;
}
