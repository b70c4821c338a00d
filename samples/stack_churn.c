/* stack_churn.c — threads that come and go all the time (a worker spawned
 * per request), so that `lockscope stack` meets threads that exit while it
 * attaches.  A few long-lived threads keep the process itself alive. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long handled;
/* Both dispatchers print their tid before either spawns a worker: tids wrap
 * around on a busy machine, so the test cannot pick them by age. */
static pthread_barrier_t dispatchers_ready;

static __attribute__((noinline)) void *handle_request(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		handled++;
	return NULL;
}

static void *dispatcher(void *arg)
{
	(void)arg;
	printf("dispatcher %d\n", (int)gettid());
	fflush(stdout);
	pthread_barrier_wait(&dispatchers_ready);
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, handle_request, NULL) == 0)
			pthread_detach(t);
		else
			usleep(1000); /* too many threads: back off */
	}
	return NULL;
}

int main(void)
{
	pthread_t d[2];
	pthread_barrier_init(&dispatchers_ready, NULL, 3);
	for (int i = 0; i < 2; i++) {
		pthread_create(&d[i], NULL, dispatcher, NULL);
		pthread_setname_np(d[i], "dispatcher");
	}
	pthread_barrier_wait(&dispatchers_ready);
	pthread_join(d[0], NULL);
	puts("unreachable");
	return 0;
}
