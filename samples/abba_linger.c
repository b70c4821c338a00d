/* abba_linger — the two-worker lock-order inversion of abba, then a pause so
 * that a live viewer (`lockscope top`) can show the inversion while the
 * program still runs.  The workers run one after the other: no deadlock.
 *
 * usage: abba_linger [LINGER_SECONDS]   (default 20)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static long journal_entries, index_entries;

static void *append_then_index(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&journal_lock);
	pthread_mutex_lock(&index_lock); /* JOURNAL_THEN_INDEX */
	journal_entries++;
	index_entries++;
	pthread_mutex_unlock(&index_lock);
	pthread_mutex_unlock(&journal_lock);
	return NULL;
}

static void *reindex_then_append(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&index_lock);
	pthread_mutex_lock(&journal_lock); /* INDEX_THEN_JOURNAL */
	index_entries--;
	journal_entries--;
	pthread_mutex_unlock(&journal_lock);
	pthread_mutex_unlock(&index_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned linger = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20;
	pthread_t t1, t2;
	pthread_create(&t1, NULL, append_then_index, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, reindex_then_append, NULL);
	pthread_join(t2, NULL);
	printf("abba_linger: %ld %ld\n", journal_entries, index_entries);
	fflush(stdout);
	sleep(linger);
	return 0;
}
