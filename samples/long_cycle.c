/* long_cycle — a lock-order cycle through twelve locks and twelve threads.
 *
 * Thread i takes ring[i] then ring[(i+1) % 12]; together the threads close
 * one cycle of 12 edges, which lockscope reports in full.  The threads run
 * one after the other, so this run never deadlocks. */
#include <pthread.h>
#include <stdio.h>

#define RING_SIZE 12

static pthread_mutex_t ring[RING_SIZE];
static int passes;

static void *pass_token(void *arg)
{
	int i = (int)(long)arg;
	pthread_mutex_lock(&ring[i]);
	pthread_mutex_lock(&ring[(i + 1) % RING_SIZE]);
	passes++;
	pthread_mutex_unlock(&ring[(i + 1) % RING_SIZE]);
	pthread_mutex_unlock(&ring[i]);
	return NULL;
}

int main(void)
{
	for (int i = 0; i < RING_SIZE; i++)
		pthread_mutex_init(&ring[i], NULL);
	for (long i = 0; i < RING_SIZE; i++) {
		pthread_t t;
		pthread_create(&t, NULL, pass_token, (void *)i);
		pthread_join(t, NULL);
	}
	printf("long_cycle: %d passes\n", passes);
	return 0;
}
