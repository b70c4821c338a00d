/* sem_baton — a binary semaphore passed as a baton, not used as a lock.
 * `turn` (1 at first) is taken by the phase that runs; main hands it to
 * the next phase once it has checked the previous one, posting it without
 * having taken it.  phase_one takes turn, then stats_lock; phase_two takes
 * stats_lock, then waits for turn.  Were turn a lock, those two orders
 * would be a deadlock waiting to happen, and both are seen before turn
 * shows what it is (main posts it only once phase_two waits for it): the
 * cycle must be held back and dropped, never reported.
 *   sem_baton        as above: nothing may be reported
 *   sem_baton lock   phase_one gives turn back itself and phase_two runs
 *                    after it: turn is a lock, and the inversion is
 *                    reported (at exit: a semaphore's cycle is confirmed
 *                    then) */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static sem_t turn, phase_done;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int phase_results[2];
static atomic_int waiting_tid;
static int as_lock;

static void *phase_one(void *arg)
{
	(void)arg;
	sem_wait(&turn);
	pthread_mutex_lock(&stats_lock);
	phase_results[0] = 1;
	pthread_mutex_unlock(&stats_lock);
	if (as_lock)
		sem_post(&turn);
	sem_post(&phase_done);
	return NULL;
}

static void *phase_two(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&stats_lock);
	atomic_store(&waiting_tid, (int)syscall(SYS_gettid));
	sem_wait(&turn);
	phase_results[1] = phase_results[0] + 1;
	pthread_mutex_unlock(&stats_lock);
	if (as_lock)
		sem_post(&turn);
	return NULL;
}

/* Whether thread tid sleeps in a futex wait now. */
static int in_futex_wait(int tid)
{
	char path[64], line[64] = "";
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	return atoi(line) == SYS_futex;
}

int main(int argc, char **argv)
{
	as_lock = argc > 1 && !strcmp(argv[1], "lock");
	sem_init(&turn, 0, 1);
	sem_init(&phase_done, 0, 0);
	pthread_t one, two;
	pthread_create(&one, NULL, phase_one, NULL);
	sem_wait(&phase_done);
	pthread_join(one, NULL);
	pthread_create(&two, NULL, phase_two, NULL);
	if (!as_lock) {
		/* the baton goes to phase two once it waits for it */
		while (!atomic_load(&waiting_tid) || !in_futex_wait(atomic_load(&waiting_tid)))
			usleep(1000);
		sem_post(&turn);
	}
	pthread_join(two, NULL);
	printf("sem_baton: %s: phases %d %d\n", as_lock ? "lock" : "baton", phase_results[0], phase_results[1]);
	return 0;
}
