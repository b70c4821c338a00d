/* lockbench — lock-heavy loops for measuring the shim's overhead.
 *
 * usage: lockbench MODE ITERATIONS
 *   uncontended  one thread: lock/unlock one mutex
 *   nested       one thread: lock A, lock B, unlock B, unlock A (an order edge every time)
 *   contended    two threads increment one counter under one mutex
 *   semaphore    one thread: sem_wait/sem_post on a binary semaphore used as a lock
 *   sem-trywait  one thread: sem_trywait/sem_post (how CPython takes an uncontended threading.Lock)
 *   mixed        the three above in sequence
 * Prints "MODE ns_per_pair" lines: CPU time, so a busy machine that
 * preempts the benchmark does not inflate the figures the way wall-clock
 * time would.  The one-thread modes run their iterations in ROUNDS rounds
 * and report the fastest: on a shared machine a busy neighbour (another
 * hyperthread of the core, say) slows some rounds down, never speeds one
 * up.  The contended mode is one run of both threads (process CPU time). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem_lock;
static volatile long counter;
static long iterations;

#define ROUNDS 10

static double cpu_seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

/* ns per pair of the fastest of ROUNDS rounds of `loop`. */
static double fastest_round(void (*loop)(long), int pairs_per_iteration)
{
	long n = iterations / ROUNDS > 0 ? iterations / ROUNDS : 1;
	double best = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double start = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
		loop(n);
		double ns = (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - start) * 1e9 / n / pairs_per_iteration;
		if (r == 0 || ns < best)
			best = ns;
	}
	return best;
}

static double uncontended(void) { return fastest_round(uncontended_loop, 1); }
static double nested(void) { return fastest_round(nested_loop, 2); }
static double semaphore(void) { return fastest_round(semaphore_loop, 1); }
static double sem_trywait_pair(void) { return fastest_round(sem_trywait_loop, 1); }

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

static double contended(void)
{
	pthread_t t[2];
	double start = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, increment, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - start) * 1e9 / iterations / 2;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; double (*run)(void); } modes[] = {
		{ "uncontended", uncontended }, { "nested", nested }, { "contended", contended },
		{ "semaphore", semaphore }, { "sem-trywait", sem_trywait_pair },
	};
	if (argc != 3 || (iterations = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: lockbench uncontended|nested|contended|semaphore|sem-trywait|mixed ITERATIONS\n");
		return 2;
	}
	sem_init(&sem_lock, 0, 1);
	int ran = 0;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(argv[1], "mixed") || !strcmp(argv[1], modes[i].name)) {
			printf("%s %.2f\n", modes[i].name, modes[i].run());
			ran = 1;
		}
	if (!ran) {
		fprintf(stderr, "lockbench: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
