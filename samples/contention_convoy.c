/* A lock convoy: THREADS threads hammer one hot lock with tiny critical
 * sections, while one of them, every FLUSH_EVERY rounds, flushes a journal
 * while still holding it.  Waiters wait at the hot path's line, but the
 * flush's critical section is what makes them wait: the profile must blame
 * the flush site.
 *
 * usage: contention_convoy [ROUNDS_PER_THREAD]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define FLUSH_EVERY 50

static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long rounds = 2000;
static unsigned long journal_entries, flushed;

static void append_entry(void)
{
	pthread_mutex_lock(&hot_lock); /* APPEND_LOCK_LINE */
	journal_entries++;
	pthread_mutex_unlock(&hot_lock);
}

static void flush_journal(void)
{
	pthread_mutex_lock(&hot_lock); /* FLUSH_LOCK_LINE */
	usleep(500); /* writing the journal out under the lock */
	flushed = journal_entries;
	pthread_mutex_unlock(&hot_lock);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	for (unsigned long i = 1; i <= rounds; i++) {
		append_entry();
		usleep(10); /* preparing the next entry */
		if (id == 0 && i % FLUSH_EVERY == 0)
			flush_journal();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	printf("contention_convoy: %lu entries, %lu flushes\n", journal_entries, rounds / FLUSH_EVERY);
	return journal_entries == THREADS * rounds ? 0 : 1;
}
