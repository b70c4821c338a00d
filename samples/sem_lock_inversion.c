/* sem_lock_inversion — a binary semaphore used as a lock, inverted with a
 * mutex.  table_sem guards the cache table (every thread that takes it
 * posts it back itself: a lock); stats_lock guards the counters.
 * insert_entry takes table_sem then stats_lock; report_stats takes
 * stats_lock then table_sem.  The two run one after the other, so this run
 * does not deadlock, but another interleaving would: one inversion, with
 * both stacks.
 *   sem_lock_inversion          the inversion
 *   sem_lock_inversion trywait  report_stats only tries table_sem
 *                               (sem_trywait): no inversion
 *   sem_lock_inversion oldabi   the inversion, through sem_wait@GLIBC_2.2.5
 *                               and sem_post@GLIBC_2.2.5 (a program linked
 *                               against glibc before 2.34) */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
/* The same functions at the versions glibc exported them at before 2.34. */
int old_sem_wait(sem_t *s);
int old_sem_post(sem_t *s);
__asm__(".symver old_sem_wait, sem_wait@GLIBC_2.2.5");
__asm__(".symver old_sem_post, sem_post@GLIBC_2.2.5");
#define HAVE_OLD_ABI 1
#endif

static sem_t table_sem;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int entries, reported;
static int (*take)(sem_t *) = sem_wait;
static int (*give)(sem_t *) = sem_post;
static int try_only;

static void *insert_entry(void *arg)
{
	(void)arg;
	take(&table_sem);
	pthread_mutex_lock(&stats_lock);
	entries++;
	pthread_mutex_unlock(&stats_lock);
	give(&table_sem);
	return NULL;
}

static void *report_stats(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&stats_lock);
	if (try_only) {
		if (sem_trywait(&table_sem) == 0) {
			reported = entries;
			sem_post(&table_sem);
		}
	} else {
		take(&table_sem);
		reported = entries;
		give(&table_sem);
	}
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "wait";
	try_only = !strcmp(mode, "trywait");
	if (!strcmp(mode, "oldabi")) {
#ifdef HAVE_OLD_ABI
		take = old_sem_wait;
		give = old_sem_post;
#else
		puts("sem_lock_inversion: no old ABI on this architecture");
		return 77;
#endif
	}
	sem_init(&table_sem, 0, 1);
	void *(*steps[])(void *) = { insert_entry, report_stats };
	for (int i = 0; i < 2; i++) {
		pthread_t t;
		pthread_create(&t, NULL, steps[i], NULL);
		pthread_join(t, NULL);
	}
	printf("sem_lock_inversion: %s: %d entries, %d reported\n", mode, entries, reported);
	return 0;
}
