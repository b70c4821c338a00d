/* stack_idle.c — N idle worker threads (default 1000) parked on a condition
 * variable, like an idle thread pool: the scale case of `lockscope stack`
 * and of scripts/bench-stack.sh.  Usage: stack_idle [N] */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_available = PTHREAD_COND_INITIALIZER;
static int pending_work;

static void *idle_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	while (!pending_work)
		pthread_cond_wait(&work_available, &queue_lock); /* idle: idle_worker */
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	if (n < 1 || n > 100000) {
		fprintf(stderr, "usage: stack_idle [N]\n");
		return 2;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, idle_worker, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_mutex_lock(&queue_lock);
	while (!pending_work)
		pthread_cond_wait(&work_available, &queue_lock);
	pthread_mutex_unlock(&queue_lock);
	return 0;
}
