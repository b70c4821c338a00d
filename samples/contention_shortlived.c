/* contention_shortlived — per-request locks: each request gets a mutex in a
 * heap object, two threads contend on it, and the object goes away (one
 * destroyed, the next freed without destroy, alternately).  The exit report
 * must still show their contention. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct request {
	pthread_mutex_t lock;
	long bytes;
};

static pthread_barrier_t holder_has_it;

static void *waiter(void *arg)
{
	struct request *r = arg;
	pthread_barrier_wait(&holder_has_it);
	pthread_mutex_lock(&r->lock); /* blocks: the holder keeps it 20 ms */
	r->bytes += 10;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void serve(int round)
{
	struct request *r = malloc(sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	r->bytes = 0;
	pthread_t t;
	pthread_create(&t, NULL, waiter, r);
	pthread_mutex_lock(&r->lock);
	pthread_barrier_wait(&holder_has_it);
	usleep(20000);
	r->bytes += 1;
	pthread_mutex_unlock(&r->lock);
	pthread_join(t, NULL);
	if (round % 2 == 0)
		pthread_mutex_destroy(&r->lock);
	free(r);
}

int main(void)
{
	pthread_barrier_init(&holder_has_it, NULL, 2);
	for (int round = 0; round < 4; round++)
		serve(round);
	puts("contention_shortlived: 4 requests served");
	return 0;
}
