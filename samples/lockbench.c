/* lockbench — lock-heavy loops for measuring the shim's overhead.
 *
 * usage: lockbench MODE ITERATIONS
 *   uncontended  one thread: lock/unlock one mutex
 *   nested       one thread: lock A, lock B, unlock B, unlock A (an order edge every time)
 *   threaded     the uncontended loop while a second (idle) thread exists,
 *                so that glibc and the shim take their atomic instructions
 *   contended    two threads increment one counter under one mutex
 *   semaphore    one thread: sem_wait/sem_post on a binary semaphore used as a lock
 *   sem-trywait  one thread: sem_trywait/sem_post (how CPython takes an uncontended threading.Lock)
 *   sem-signal   one thread: sem_post/sem_wait on a semaphore used as a signal
 *                (posted by a thread that did not take it)
 *   mixed        uncontended, nested, contended in sequence
 * Prints "MODE cpu_ns wall_ns" lines: CPU time and wall-clock time per
 * lock/unlock pair of one run of the loop (the thread's CPU time for the
 * one-thread modes, the process's for the contended one).  One run, no
 * best-of: scripts/bench.sh repeats runs, interleaved with the shim's, and
 * reports medians and spread. */
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem_lock, sem_signal;
static volatile long counter;
static long iterations;

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU and wall-clock ns per pair. */
struct cost {
	double cpu, wall;
};

static void uncontended_loop(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&lock_a);
		counter++;
		pthread_mutex_unlock(&lock_a);
	}
}

static void nested_loop(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&lock_a);
		pthread_mutex_lock(&lock_b);
		counter++;
		pthread_mutex_unlock(&lock_b);
		pthread_mutex_unlock(&lock_a);
	}
}

static void semaphore_loop(long n)
{
	for (long i = 0; i < n; i++) {
		sem_wait(&sem_lock);
		counter++;
		sem_post(&sem_lock);
	}
}

static void sem_trywait_loop(long n)
{
	for (long i = 0; i < n; i++) {
		if (sem_trywait(&sem_lock) != 0)
			abort(); /* one thread: the semaphore is always free here */
		counter++;
		sem_post(&sem_lock);
	}
}

static void sem_signal_loop(long n)
{
	for (long i = 0; i < n; i++) {
		sem_post(&sem_signal);
		counter++;
		sem_wait(&sem_signal);
	}
}

/* One run of `loop` over all the iterations, timed. */
static struct cost timed(void (*loop)(long), int pairs_per_iteration, clockid_t cpu_clock)
{
	double cpu = seconds(cpu_clock), wall = seconds(CLOCK_MONOTONIC);
	loop(iterations);
	double pairs = (double)iterations * pairs_per_iteration;
	return (struct cost){ (seconds(cpu_clock) - cpu) * 1e9 / pairs, (seconds(CLOCK_MONOTONIC) - wall) * 1e9 / pairs };
}

static struct cost uncontended(void) { return timed(uncontended_loop, 1, CLOCK_THREAD_CPUTIME_ID); }
static struct cost nested(void) { return timed(nested_loop, 2, CLOCK_THREAD_CPUTIME_ID); }
static struct cost semaphore(void) { return timed(semaphore_loop, 1, CLOCK_THREAD_CPUTIME_ID); }
static struct cost sem_trywait_pair(void) { return timed(sem_trywait_loop, 1, CLOCK_THREAD_CPUTIME_ID); }
static struct cost sem_signal_pair(void) { return timed(sem_signal_loop, 1, CLOCK_THREAD_CPUTIME_ID); }

static int idle_pipe[2];

static void *idle(void *arg)
{
	char c;
	return read(idle_pipe[0], &c, 1) < 0 ? NULL : arg;
}

static struct cost threaded(void)
{
	pthread_t idler;
	if (pipe(idle_pipe) != 0 || pthread_create(&idler, NULL, idle, NULL) != 0) {
		perror("lockbench: idle thread");
		exit(1);
	}
	struct cost c = timed(uncontended_loop, 1, CLOCK_THREAD_CPUTIME_ID);
	close(idle_pipe[1]);
	pthread_join(idler, NULL);
	close(idle_pipe[0]);
	return c;
}

static void *increment(void *arg)
{
	(void)arg;
	for (long i = 0; i < iterations; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void contended_loop(long n)
{
	(void)n;
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, increment, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

static struct cost contended(void) { return timed(contended_loop, 2, CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv)
{
	static const struct { const char *name; struct cost (*run)(void); bool in_mixed; } modes[] = {
		{ "uncontended", uncontended, true }, { "nested", nested, true },
		{ "threaded", threaded, false },     { "contended", contended, true },
		{ "semaphore", semaphore, false },   { "sem-trywait", sem_trywait_pair, false },
		{ "sem-signal", sem_signal_pair, false },
	};
	if (argc != 3 || (iterations = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: lockbench uncontended|nested|threaded|contended|semaphore|sem-trywait|sem-signal|mixed "
				"ITERATIONS\n");
		return 2;
	}
	sem_init(&sem_lock, 0, 1);
	sem_init(&sem_signal, 0, 0);
	bool mixed = !strcmp(argv[1], "mixed"), ran = false;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if ((mixed && modes[i].in_mixed) || !strcmp(argv[1], modes[i].name)) {
			struct cost c = modes[i].run();
			printf("%s %.3f %.3f\n", modes[i].name, c.cpu, c.wall);
			fflush(stdout);
			ran = true;
		}
	if (!ran) {
		fprintf(stderr, "lockbench: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
