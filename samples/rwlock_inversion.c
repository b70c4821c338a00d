/* rwlock_inversion — lock-order inversions through a reader-writer lock.
 *
 * Default (write-read): worker_1 write-locks `table` then locks `journal`;
 * worker_2 locks `journal` then read-locks `table`.  A reader waits for a
 * writer, so the opposite orders can deadlock: one inversion.
 * With the argument "read-read" both workers only read-lock two rwlocks,
 * in opposite orders.  Readers never wait for each other, so no deadlock is
 * possible and lockscope reports nothing.  The workers run one after the
 * other, so no run deadlocks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static int rows, lookups;

static void *writer(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&table);
	pthread_mutex_lock(&journal);
	rows++;
	pthread_mutex_unlock(&journal);
	pthread_rwlock_unlock(&table);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&journal);
	pthread_rwlock_rdlock(&table);
	lookups += rows;
	pthread_rwlock_unlock(&table);
	pthread_mutex_unlock(&journal);
	return NULL;
}

static void *table_then_index(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&table);
	pthread_rwlock_rdlock(&index_lock);
	lookups++;
	pthread_rwlock_unlock(&index_lock);
	pthread_rwlock_unlock(&table);
	return NULL;
}

static void *index_then_table(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&index_lock);
	pthread_rwlock_rdlock(&table);
	lookups++;
	pthread_rwlock_unlock(&table);
	pthread_rwlock_unlock(&index_lock);
	return NULL;
}

static void run_in_turn(void *(*first)(void *), void *(*second)(void *))
{
	pthread_t t;
	pthread_create(&t, NULL, first, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, second, NULL);
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	const char *variant = argc > 1 ? argv[1] : "write-read";
	if (!strcmp(variant, "write-read")) {
		run_in_turn(writer, reader);
	} else if (!strcmp(variant, "read-read")) {
		run_in_turn(table_then_index, index_then_table);
	} else {
		fprintf(stderr, "usage: rwlock_inversion [write-read|read-read]\n");
		return 2;
	}
	printf("rwlock_inversion %s: %d lookups\n", variant, lookups);
	return 0;
}
