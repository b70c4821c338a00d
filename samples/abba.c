/* abba — the classic two-worker lock-order inversion.
 *
 * worker_1 takes resource_a then resource_b; worker_2 takes resource_b then
 * resource_a.  They run one after the other, so this run never deadlocks,
 * but a different interleaving would: lockscope reports the inversion. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t resource_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t resource_b = PTHREAD_MUTEX_INITIALIZER;
static long balance_a, balance_b;

static void *worker_1(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&resource_a);
	pthread_mutex_lock(&resource_b);
	balance_a -= 10;
	balance_b += 10;
	pthread_mutex_unlock(&resource_b);
	pthread_mutex_unlock(&resource_a);
	return NULL;
}

static void *worker_2(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&resource_b);
	pthread_mutex_lock(&resource_a);
	balance_b -= 5;
	balance_a += 5;
	pthread_mutex_unlock(&resource_a);
	pthread_mutex_unlock(&resource_b);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker_1, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, worker_2, NULL);
	pthread_join(t2, NULL);
	printf("abba: balances %ld %ld\n", balance_a, balance_b);
	return 0;
}
