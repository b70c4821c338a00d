/* two_cycles — one lock order that closes two different cycles.
 *
 * Earlier threads take config then index (lock_config_then_index), config
 * then journal, and journal then index.  The last one takes index then
 * config: that one new order closes two cycles, index -> config -> index
 * (with the first thread) and index -> config -> journal -> index (with
 * the other two).  Each is a deadlock of its own: fixing the first leaves
 * the second.  The threads run one after the other, so nothing deadlocks. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t config = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static int steps;

static void take_in_order(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(first); /* FIRST_LOCK_LINE */
	pthread_mutex_lock(second); /* SECOND_LOCK_LINE */
	steps++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

static void *config_then_index(void *arg) { (void)arg; take_in_order(&config, &index_lock); return NULL; }
static void *config_then_journal(void *arg) { (void)arg; take_in_order(&config, &journal); return NULL; }
static void *journal_then_index(void *arg) { (void)arg; take_in_order(&journal, &index_lock); return NULL; }
static void *index_then_config(void *arg) { (void)arg; take_in_order(&index_lock, &config); return NULL; }

int main(void)
{
	void *(*threads[])(void *) = { config_then_index, config_then_journal, journal_then_index, index_then_config };
	for (unsigned i = 0; i < sizeof threads / sizeof threads[0]; i++) {
		pthread_t t;
		pthread_create(&t, NULL, threads[i], NULL);
		pthread_join(t, NULL);
	}
	printf("two_cycles: %d steps\n", steps);
	return 0;
}
