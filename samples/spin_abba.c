/* spin_abba — ABBA with pthread spinlocks.
 *
 * worker_1 spins on spin_a then spin_b, worker_2 the opposite: two threads
 * running at once could spin forever.  One inversion.  The workers run one
 * after the other, so this run never spins. */
#include <pthread.h>
#include <stdio.h>

static pthread_spinlock_t spin_a, spin_b;
static int hits;

static void *worker_1(void *arg)
{
	(void)arg;
	pthread_spin_lock(&spin_a);
	pthread_spin_lock(&spin_b);
	hits++;
	pthread_spin_unlock(&spin_b);
	pthread_spin_unlock(&spin_a);
	return NULL;
}

static void *worker_2(void *arg)
{
	(void)arg;
	pthread_spin_lock(&spin_b);
	pthread_spin_lock(&spin_a);
	hits++;
	pthread_spin_unlock(&spin_a);
	pthread_spin_unlock(&spin_b);
	return NULL;
}

int main(void)
{
	pthread_spin_init(&spin_a, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&spin_b, PTHREAD_PROCESS_PRIVATE);
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker_1, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, worker_2, NULL);
	pthread_join(t2, NULL);
	printf("spin_abba: %d hits\n", hits);
	pthread_spin_destroy(&spin_a);
	pthread_spin_destroy(&spin_b);
	return 0;
}
