/* dump_busy [THREADS [SECONDS [PROG ARGS...]]] — a program at work:
 * THREADS-1 workers (default 4) take turns on counter_lock, one waiter
 * sleeps in a condition wait on shutdown_cond, and the main thread prints
 * "dump_busy: ready PID" and ends everything after SECONDS (default 2),
 * then executes PROG if given.  Used for dumps on demand (SIGQUIT) and on
 * a timer, and by scripts/bench-dump.sh. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t shutdown_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t shutdown_cond = PTHREAD_COND_INITIALIZER;
static bool stopping;
static long counter;

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void count_a_little(void)
{
	pthread_mutex_lock(&counter_lock);
	counter++;
	pthread_mutex_unlock(&counter_lock);
}

static bool should_stop(void)
{
	pthread_mutex_lock(&shutdown_lock);
	bool s = stopping;
	pthread_mutex_unlock(&shutdown_lock);
	return s;
}

static void *counting_worker(void *arg)
{
	(void)arg;
	while (!should_stop()) {
		count_a_little();
		nap_ms(20);
	}
	return NULL;
}

static void *shutdown_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&shutdown_lock);
	while (!stopping)
		pthread_cond_wait(&shutdown_cond, &shutdown_lock); /* LINE:waiter */
	pthread_mutex_unlock(&shutdown_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	if (threads < 2)
		threads = 2;
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	pthread_create(&t[0], NULL, shutdown_waiter, NULL);
	for (int i = 1; i < threads; i++)
		pthread_create(&t[i], NULL, counting_worker, NULL);
	printf("dump_busy: ready %d\n", (int)getpid());
	fflush(stdout);
	nap_ms((long)(seconds * 1000));
	pthread_mutex_lock(&shutdown_lock);
	stopping = true;
	pthread_cond_broadcast(&shutdown_cond);
	pthread_mutex_unlock(&shutdown_lock);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("dump_busy: counted %ld\n", counter);
	fflush(stdout);
	free(t);
	if (argc > 3) {
		execv(argv[3], argv + 3);
		perror("dump_busy: execv");
		return 1;
	}
	return 0;
}
