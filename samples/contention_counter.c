/* The classic locked request counter: THREADS threads each handle requests
 * and log every one through a single global lock, so the log line is where
 * everyone waits.  A stats lock, taken once per thread, stays uncontended.
 *
 * usage: contention_counter [REQUESTS_PER_THREAD [PAUSE_US]]
 * (PAUSE_US: sleep between requests, to keep it running for `lockscope top`)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 50

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static unsigned long requests_per_thread = 200, pause_us;
static unsigned long logged, total_handled;
static char log_line[128];

static void log_request(int worker, unsigned long n)
{
	pthread_mutex_lock(&log_lock); /* LOG_LOCK_LINE */
	snprintf(log_line, sizeof log_line, "worker %d handled request %lu", worker, n);
	logged++;
	if (n % 16 == 0)
		usleep(20); /* the log file is slow now and then */
	pthread_mutex_unlock(&log_lock);
}

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	pthread_barrier_wait(&start);
	for (unsigned long n = 0; n < requests_per_thread; n++) {
		log_request(id, n);
		if (pause_us)
			usleep((useconds_t)pause_us);
	}
	pthread_mutex_lock(&stats_lock); /* STATS_LOCK_LINE */
	total_handled += requests_per_thread;
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		requests_per_thread = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		pause_us = strtoul(argv[2], NULL, 10);
	pthread_t th[THREADS];
	pthread_barrier_init(&start, NULL, THREADS);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	printf("contention_counter: %lu requests logged, %lu handled\n", logged, total_handled);
	return logged == total_handled ? 0 : 1;
}
