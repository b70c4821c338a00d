/* lockbench — lock-heavy loops for measuring the shim's overhead.
 *
 * usage: lockbench MODE ITERATIONS
 *   uncontended  one thread: lock/unlock one mutex
 *   nested       one thread: lock A, lock B, unlock B, unlock A (an order edge every time)
 *   contended    two threads increment one counter under one mutex
 *   mixed        the three above in sequence
 * Prints "MODE ns_per_pair" lines: the CPU time of the loops (all threads
 * of the process), so a busy machine that preempts the benchmark does not
 * inflate the figures the way wall-clock time would. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;
static long iterations;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double uncontended(void)
{
	double start = now();
	for (long i = 0; i < iterations; i++) {
		pthread_mutex_lock(&lock_a);
		counter++;
		pthread_mutex_unlock(&lock_a);
	}
	return (now() - start) * 1e9 / iterations;
}

static double nested(void)
{
	double start = now();
	for (long i = 0; i < iterations; i++) {
		pthread_mutex_lock(&lock_a);
		pthread_mutex_lock(&lock_b);
		counter++;
		pthread_mutex_unlock(&lock_b);
		pthread_mutex_unlock(&lock_a);
	}
	/* two pairs per iteration */
	return (now() - start) * 1e9 / iterations / 2;
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

static double contended(void)
{
	pthread_t t[2];
	double start = now();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, increment, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (now() - start) * 1e9 / iterations / 2;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; double (*run)(void); } modes[] = {
		{ "uncontended", uncontended }, { "nested", nested }, { "contended", contended },
	};
	if (argc != 3 || (iterations = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: lockbench uncontended|nested|contended|mixed ITERATIONS\n");
		return 2;
	}
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
