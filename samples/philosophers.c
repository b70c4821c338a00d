/* philosophers — five dining philosophers, each taking the left fork then
 * the right one.
 *
 * The philosophers eat one after another (each thread is joined before the
 * next starts), so this run never deadlocks; five hungry philosophers at
 * once could each hold a left fork and wait forever for the right one.
 * lockscope reports the 5-lock cycle forks[0] -> forks[1] -> ... -> forks[0]. */
#include <pthread.h>
#include <stdio.h>

#define N_PHILOSOPHERS 5

static pthread_mutex_t forks[N_PHILOSOPHERS];
static int meals[N_PHILOSOPHERS];

static void *philosopher(void *arg)
{
	int seat = (int)(long)arg;
	int left = seat, right = (seat + 1) % N_PHILOSOPHERS;
	pthread_mutex_lock(&forks[left]);
	pthread_mutex_lock(&forks[right]);
	meals[seat]++;
	pthread_mutex_unlock(&forks[right]);
	pthread_mutex_unlock(&forks[left]);
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N_PHILOSOPHERS; i++)
		pthread_mutex_init(&forks[i], NULL);
	for (long i = 0; i < N_PHILOSOPHERS; i++) {
		pthread_t t;
		pthread_create(&t, NULL, philosopher, (void *)i);
		pthread_join(t, NULL);
	}
	int total = 0;
	for (int i = 0; i < N_PHILOSOPHERS; i++)
		total += meals[i];
	printf("philosophers: %d meals eaten\n", total);
	return 0;
}
