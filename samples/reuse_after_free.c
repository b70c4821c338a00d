/* reuse_after_free — locks that die with the memory holding them.
 *
 * An object whose mutexes are set up by assignment (no init, no destroy) is
 * locked lock_a then lock_b and freed.  malloc gives the same memory back
 * for a new object whose locks are taken in the opposite order.  The free
 * ended the first locks' lives, so there is no inversion. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TRIES 64

struct session {
	pthread_mutex_t lock_a;
	pthread_mutex_t lock_b;
	int hits;
};

static struct session *session_new(void)
{
	struct session *s = malloc(sizeof *s);
	if (s) {
		s->lock_a = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
		s->lock_b = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
		s->hits = 0;
	}
	return s;
}

static void take_in_order(pthread_mutex_t *first, pthread_mutex_t *second, int *hits)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	(*hits)++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

int main(void)
{
	struct session *first = session_new();
	if (!first)
		return 1;
	take_in_order(&first->lock_a, &first->lock_b, &first->hits);
	void *old_address = first;
	free(first);

	/* Allocate until the allocator hands back the same block. */
	struct session *parked[MAX_TRIES];
	struct session *second = NULL;
	int tries = 0;
	while (tries < MAX_TRIES) {
		struct session *s = session_new();
		if (!s)
			return 1;
		if ((void *)s == old_address) {
			second = s;
			break;
		}
		parked[tries++] = s;
	}
	if (!second) {
		fprintf(stderr, "reuse_after_free: memory never reused in %d tries\n", MAX_TRIES);
		return 2;
	}
	take_in_order(&second->lock_b, &second->lock_a, &second->hits);
	printf("reuse_after_free: same address reused after %d other blocks\n", tries);
	for (int i = 0; i < tries; i++)
		free(parked[i]);
	/* `second` stays allocated: its locks and their order are in the
	 * exit report. */
	return 0;
}
