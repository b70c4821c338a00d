/* gate_abba — ABBA under a common gate lock: not a possible deadlock.
 *
 * Both workers take `gate` first, then lock_a and lock_b in opposite
 * orders.  Only one worker can be past the gate at a time, so the opposite
 * orders can never interleave: lockscope reports nothing (ThreadSanitizer
 * and Helgrind report this falsely). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int transfers;

static void take_both(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(&gate);
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	transfers++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
	pthread_mutex_unlock(&gate);
}

static void *worker_1(void *arg)
{
	(void)arg;
	take_both(&lock_a, &lock_b);
	return NULL;
}

static void *worker_2(void *arg)
{
	(void)arg;
	take_both(&lock_b, &lock_a);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker_1, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, worker_2, NULL);
	pthread_join(t2, NULL);
	printf("gate_abba: %d transfers\n", transfers);
	return 0;
}
