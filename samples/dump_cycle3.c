/* dump_cycle3 — three philosophers, three forks, each takes its left fork
 * then its right one: a wait-for cycle of three threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t fork_0 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_1 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *const forks[3] = { &fork_0, &fork_1, &fork_2 };
static pthread_barrier_t all_hold_left;

static void *philosopher(void *arg)
{
	long i = (long)arg;
	char name[16];
	snprintf(name, sizeof name, "philosopher-%ld", i);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(forks[i]);
	pthread_barrier_wait(&all_hold_left);
	pthread_mutex_lock(forks[(i + 1) % 3]);
	pthread_mutex_unlock(forks[(i + 1) % 3]);
	pthread_mutex_unlock(forks[i]);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	pthread_barrier_init(&all_hold_left, NULL, 3);
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, philosopher, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	puts("dump_cycle3: dinner is over");
	return 0;
}
