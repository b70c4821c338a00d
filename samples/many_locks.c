/* many_locks — far past the limits of other detectors.
 *
 * 1. chain_holder holds all 300 locks of `chain` at once, nested in index
 *    order (ThreadSanitizer aborts past 64 held locks).
 * 2. inverter then takes chain[299] before chain[150]: the opposite of the
 *    holder's order, one inversion that must still be found.
 * 3. 200000 heap mutexes stay alive, each locked once; every 1000th is
 *    taken while holding crowd_gate (ThreadSanitizer forgets its graph past
 *    4096 live locks).  They all stay alive until exit.
 * Threads run one after the other, so nothing deadlocks. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAIN_LENGTH 300
#define CROWD_SIZE 200000
#define GATED_EVERY 1000

static pthread_mutex_t chain[CHAIN_LENGTH];
static pthread_mutex_t crowd_gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *crowd;
static long work;

static void *chain_holder(void *arg)
{
	(void)arg;
	for (int i = 0; i < CHAIN_LENGTH; i++)
		pthread_mutex_lock(&chain[i]);
	work++;
	for (int i = CHAIN_LENGTH; i-- > 0;)
		pthread_mutex_unlock(&chain[i]);
	return NULL;
}

static void *inverter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&chain[299]);
	pthread_mutex_lock(&chain[150]);
	work++;
	pthread_mutex_unlock(&chain[150]);
	pthread_mutex_unlock(&chain[299]);
	return NULL;
}

static void *crowd_worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < CROWD_SIZE; i++) {
		int gated = i % GATED_EVERY == 0;
		if (gated)
			pthread_mutex_lock(&crowd_gate);
		pthread_mutex_lock(&crowd[i]);
		work++;
		pthread_mutex_unlock(&crowd[i]);
		if (gated)
			pthread_mutex_unlock(&crowd_gate);
	}
	return NULL;
}

static void run(void *(*fn)(void *))
{
	pthread_t t;
	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

int main(void)
{
	for (int i = 0; i < CHAIN_LENGTH; i++)
		pthread_mutex_init(&chain[i], NULL);
	crowd = calloc(CROWD_SIZE, sizeof *crowd); /* zeroed = default mutexes */
	if (!crowd)
		return 1;
	run(chain_holder);
	run(inverter);
	run(crowd_worker);
	printf("many_locks: %d chained, %d in the crowd, %ld critical sections\n", CHAIN_LENGTH, CROWD_SIZE, work);
	return 0;
}
