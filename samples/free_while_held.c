/* free_while_held — an object freed while its lock is held (a program bug
 * that happens), then a new object at the same address.
 *
 * The dead lock must not linger in the thread's held set: it makes no
 * order edges to later locks (no lock-order inversion of `registry` with
 * itself), and the new object's lock at the same address is a new lock,
 * not a recursive re-lock of the old one.  main takes the new object's
 * lock before `registry`, a worker takes them the other way round: exactly
 * one inversion, between those two. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct object {
	pthread_mutex_t lock;
	int value;
};

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;

static struct object *object_new(void)
{
	struct object *o = malloc(sizeof *o);
	if (o) {
		pthread_mutex_init(&o->lock, NULL);
		o->value = 0;
	}
	return o;
}

static void *worker(void *arg)
{
	struct object *o = arg;
	pthread_mutex_lock(&registry);
	pthread_mutex_lock(&o->lock);
	o->value++;
	pthread_mutex_unlock(&o->lock);
	pthread_mutex_unlock(&registry);
	return NULL;
}

int main(void)
{
	struct object *old = object_new();
	if (!old)
		return 1;
	pthread_mutex_lock(&old->lock);
	void *old_address = old;
	free(old); /* still locked: the lock dies with its memory */

	struct object *o = object_new();
	if (!o)
		return 1;
	if ((void *)o != old_address) {
		fprintf(stderr, "free_while_held: the allocator did not reuse the block\n");
		return 2;
	}
	pthread_mutex_lock(&o->lock);
	pthread_mutex_lock(&registry);
	o->value++;
	pthread_mutex_unlock(&registry);
	pthread_mutex_unlock(&o->lock);

	pthread_t t;
	pthread_create(&t, NULL, worker, o);
	pthread_join(t, NULL);
	printf("free_while_held: value %d\n", o->value);
	return 0;
}
