/* A bounded priority queue shared by producers and consumers, guarded by one
 * mutex with two condition variables (not empty, not full).  Consumers take
 * the most urgent job first.
 *
 * usage: contention_pqueue [JOBS_PER_PRODUCER]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PRODUCERS 2
#define CONSUMERS 2
#define CAPACITY 16

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int heap[CAPACITY];
static int queued, producers_left = PRODUCERS;
static unsigned long jobs_per_producer = 1000;
static unsigned long consumed[CONSUMERS];

static void sift_up(int i)
{
	while (i > 0 && heap[(i - 1) / 2] < heap[i]) {
		int p = (i - 1) / 2, tmp = heap[p];
		heap[p] = heap[i];
		heap[i] = tmp;
		i = p;
	}
}

static void sift_down(int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < queued && heap[l] > heap[m])
			m = l;
		if (r < queued && heap[r] > heap[m])
			m = r;
		if (m == i)
			return;
		int tmp = heap[m];
		heap[m] = heap[i];
		heap[i] = tmp;
		i = m;
	}
}

static void push(int priority)
{
	pthread_mutex_lock(&queue_lock); /* PUSH_LOCK_LINE */
	while (queued == CAPACITY)
		pthread_cond_wait(&not_full, &queue_lock);
	heap[queued] = priority;
	sift_up(queued++);
	pthread_cond_signal(&not_empty);
	pthread_mutex_unlock(&queue_lock);
}

/* Returns -1 when every producer is done and the queue is empty. */
static int pop(void)
{
	pthread_mutex_lock(&queue_lock); /* POP_LOCK_LINE */
	while (queued == 0 && producers_left > 0)
		pthread_cond_wait(&not_empty, &queue_lock);
	int job = -1;
	if (queued > 0) {
		job = heap[0];
		heap[0] = heap[--queued];
		sift_down(0);
		pthread_cond_signal(&not_full);
	}
	pthread_mutex_unlock(&queue_lock);
	return job;
}

static void *producer(void *arg)
{
	unsigned seed = (unsigned)(long)arg;
	for (unsigned long i = 0; i < jobs_per_producer; i++)
		push(rand_r(&seed) % 100);
	pthread_mutex_lock(&queue_lock); /* DONE_LOCK_LINE */
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long *count = arg;
	while (pop() >= 0)
		++*count;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		jobs_per_producer = strtoul(argv[1], NULL, 10);
	pthread_t p[PRODUCERS], c[CONSUMERS];
	for (long i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, &consumed[i]);
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)(i + 1));
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	unsigned long total = 0;
	for (int i = 0; i < CONSUMERS; i++) {
		pthread_join(c[i], NULL);
		total += consumed[i];
	}
	printf("contention_pqueue: %lu jobs consumed (%lu + %lu)\n", total, consumed[0], consumed[1]);
	return total == PRODUCERS * jobs_per_producer ? 0 : 1;
}
