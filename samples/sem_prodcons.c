/* sem_prodcons — a bounded buffer with counting semaphores: free_slots
 * (starts at the buffer's size) and filled_slots (starts at 0), and a mutex
 * for the buffer itself.  Two producers and two consumers; each producer
 * then posts `finished` for main (a binary semaphore used as a signal).
 * Producers wait for a slot and consumers for an item while nobody holds
 * anything they need: a correct program, about which nothing may be
 * reported (no inversion, no deadlock, no stall).  The semaphores are
 * posted by threads that never took them, so none of them is a lock, and
 * nothing is ordered through them; consumers do take filled_slots before
 * buffer_lock, and producers post it while holding buffer_lock. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#define SLOTS 4
#define ITEMS 20000
#define PRODUCERS 2
#define CONSUMERS 2

static sem_t free_slots, filled_slots, finished;
static pthread_mutex_t buffer_lock = PTHREAD_MUTEX_INITIALIZER;
static int buffer[SLOTS], head, tail;
static long consumed_sum;

static void *producer(void *arg)
{
	int base = (int)(long)arg * ITEMS;
	for (int i = 1; i <= ITEMS; i++) {
		sem_wait(&free_slots);
		pthread_mutex_lock(&buffer_lock);
		buffer[tail] = base + i;
		tail = (tail + 1) % SLOTS;
		sem_post(&filled_slots);
		pthread_mutex_unlock(&buffer_lock);
	}
	sem_post(&finished);
	return NULL;
}

static void *consumer(void *arg)
{
	long n = (long)arg, sum = 0;
	for (long i = 0; i < n; i++) {
		sem_wait(&filled_slots);
		pthread_mutex_lock(&buffer_lock);
		sum += buffer[head];
		head = (head + 1) % SLOTS;
		pthread_mutex_unlock(&buffer_lock);
		sem_post(&free_slots);
	}
	pthread_mutex_lock(&buffer_lock);
	consumed_sum += sum;
	pthread_mutex_unlock(&buffer_lock);
	return NULL;
}

int main(void)
{
	sem_init(&free_slots, 0, SLOTS);
	sem_init(&filled_slots, 0, 0);
	sem_init(&finished, 0, 0);
	pthread_t p[PRODUCERS], c[CONSUMERS];
	for (long i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, (void *)(long)(PRODUCERS * ITEMS / CONSUMERS));
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)i);
	for (int i = 0; i < PRODUCERS; i++)
		sem_wait(&finished);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	long n = (long)PRODUCERS * ITEMS, expected = n * (n + 1) / 2;
	printf("sem_prodcons: %ld items, sum %s\n", n, consumed_sum == expected ? "correct" : "WRONG");
	return consumed_sum == expected ? 0 : 1;
}
