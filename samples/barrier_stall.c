/* barrier_stall — a barrier that waits for a worker that is gone.  Four
 * workers meet at phase_barrier between two phases, but one of them fails
 * its first phase and returns early: the other three wait at the barrier
 * forever and main waits in its join.  No lock cycle, no lock held: every
 * thread in an untimed synchronisation wait, a stall ("3 of 4 arrived").
 *   barrier_stall            as above
 *   barrier_stall monitored  a monitor thread also runs, waking every
 *                            100 ms from a timed condition wait whose
 *                            deadline is always ahead: it is not stalled,
 *                            so neither is the program (nothing may be
 *                            reported; it never ends) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WORKERS 4

static pthread_barrier_t phase_barrier;
static pthread_mutex_t monitor_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t monitor_tick = PTHREAD_COND_INITIALIZER;

static int first_phase(long id) { return id == 3 ? -1 : 0; }

static void *worker(void *arg)
{
	long id = (long)arg;
	pthread_setname_np(pthread_self(), "phase-worker");
	if (first_phase(id) != 0)
		return NULL; /* gives up without reaching the barrier */
	pthread_barrier_wait(&phase_barrier);
	return NULL;
}

static void *monitor(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "monitor");
	pthread_mutex_lock(&monitor_lock);
	for (;;) {
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 100 * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&monitor_tick, &monitor_lock, &deadline);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_barrier_init(&phase_barrier, NULL, WORKERS);
	pthread_t w[WORKERS], m;
	if (argc > 1 && !strcmp(argv[1], "monitored"))
		pthread_create(&m, NULL, monitor, NULL);
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	puts("barrier_stall: all phases done");
	return 0;
}
