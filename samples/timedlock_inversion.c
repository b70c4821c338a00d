/* timedlock_inversion — ABBA where the second lock is taken with a timeout.
 *
 * A timed acquisition still waits: if both workers ran at once, each could
 * wait for the other until its timeout and fail (or forever with a long
 * one).  ThreadSanitizer treats timed locks like trylocks and misses this;
 * lockscope reports one inversion.  The argument picks the call:
 * "timed" pthread_mutex_timedlock (default), "clock" pthread_mutex_clocklock.
 * The workers run one after the other, so this run never waits. */
#define _GNU_SOURCE /* pthread_mutex_clocklock */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int use_clocklock, failures;

static void lock_with_timeout(pthread_mutex_t *m)
{
	struct timespec deadline;
	clockid_t clock = use_clocklock ? CLOCK_MONOTONIC : CLOCK_REALTIME;
	clock_gettime(clock, &deadline);
	deadline.tv_sec += 10;
	int r = use_clocklock ? pthread_mutex_clocklock(m, clock, &deadline)
			      : pthread_mutex_timedlock(m, &deadline);
	if (r != 0)
		failures++;
}

static void *worker_1(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	lock_with_timeout(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *worker_2(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_b);
	lock_with_timeout(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *variant = argc > 1 ? argv[1] : "timed";
	if (strcmp(variant, "timed") && strcmp(variant, "clock")) {
		fprintf(stderr, "usage: timedlock_inversion [timed|clock]\n");
		return 2;
	}
	use_clocklock = !strcmp(variant, "clock");
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker_1, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, worker_2, NULL);
	pthread_join(t2, NULL);
	printf("timedlock_inversion %s: %d timeouts\n", variant, failures);
	return 0;
}
