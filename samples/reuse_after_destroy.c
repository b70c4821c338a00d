/* reuse_after_destroy — the same memory holding two lives of two locks.
 *
 * First life: lock_a then lock_b, then both are destroyed.  The same heap
 * memory is initialized again as two new locks, taken in the opposite
 * order.  Locks of different lives can never be held at the same time, so
 * there is no inversion: lockscope must not join the two lives. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
	pthread_mutex_t lock_a;
	pthread_mutex_t lock_b;
	long balance;
};

static void take_in_order(pthread_mutex_t *first, pthread_mutex_t *second, long *balance)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	(*balance)++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

static void init_locks(struct account *acc)
{
	pthread_mutex_init(&acc->lock_a, NULL);
	pthread_mutex_init(&acc->lock_b, NULL);
}

static void destroy_locks(struct account *acc)
{
	pthread_mutex_destroy(&acc->lock_a);
	pthread_mutex_destroy(&acc->lock_b);
}

int main(void)
{
	struct account *acc = calloc(1, sizeof *acc);
	if (!acc)
		return 1;
	init_locks(acc);
	take_in_order(&acc->lock_a, &acc->lock_b, &acc->balance);
	destroy_locks(acc);

	init_locks(acc);               /* same addresses, new locks */
	take_in_order(&acc->lock_b, &acc->lock_a, &acc->balance);
	printf("reuse_after_destroy: balance %ld\n", acc->balance);
	return 0; /* the second life lasts until exit: its order is reported */
}
