/* dump_masked — one thread blocks every signal (pthread_sigmask), as
 * threads that must not be interrupted do, while it holds ledger_lock.
 * It cannot answer a dump's signal: dumps must list it without a stack and
 * dump the others, without waiting for it.
 *   dump_masked deadlock : the masked thread waits for index_lock, whose
 *       holder (indexer) waits for ledger_lock: a deadlock;
 *   dump_masked sleep : the masked thread sleeps 2 s holding ledger_lock
 *       (for timer and on-demand dumps), then everything ends normally;
 *   dump_masked crash : the main thread dereferences NULL meanwhile. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static const char *mode;

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *masked(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "masked");
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&ledger_lock);
	pthread_barrier_wait(&both_hold_one);
	if (!strcmp(mode, "deadlock"))
		pthread_mutex_lock(&index_lock);   /* held by indexer, which waits for ledger_lock */
	else
		sleep_seconds(2);
	pthread_mutex_unlock(&ledger_lock);
	return NULL;
}

static void *indexer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "indexer");
	pthread_mutex_lock(&index_lock);
	pthread_barrier_wait(&both_hold_one);
	if (!strcmp(mode, "deadlock"))
		pthread_mutex_lock(&ledger_lock);
	pthread_mutex_unlock(&index_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	mode = argc > 1 ? argv[1] : "deadlock";
	pthread_t m, i;
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&m, NULL, masked, NULL);
	pthread_create(&i, NULL, indexer, NULL);
	if (!strcmp(mode, "crash")) {
		sleep_seconds(0.3);
		volatile int *nowhere = NULL;
		*nowhere = 1;
	}
	pthread_join(i, NULL);
	pthread_join(m, NULL);
	printf("dump_masked: %s: done\n", mode);
	return 0;
}
