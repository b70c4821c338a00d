/* recursive_mutex — a recursive mutex re-locked by its owner, nested with
 * another lock in one consistent order.
 *
 * `registry` is PTHREAD_MUTEX_RECURSIVE: register_item() locks it and may be
 * called with it already held.  Every thread takes registry before stats,
 * and the re-lock of registry while stats is held is a recursion, not a new
 * acquisition, so there is no inversion and nothing must be reported (LLVM's
 * preload detector aborts on the re-lock). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t registry;
static pthread_mutex_t stats = PTHREAD_MUTEX_INITIALIZER;
static int items, depth_seen;

static void register_item(void)
{
	pthread_mutex_lock(&registry);
	items++;
	pthread_mutex_unlock(&registry);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&registry);
	register_item();                 /* recursion: depth 2 */
	pthread_mutex_lock(&stats);
	register_item();                 /* recursion while holding stats */
	depth_seen++;
	pthread_mutex_unlock(&stats);
	pthread_mutex_unlock(&registry);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&registry, &attr);
	pthread_mutexattr_destroy(&attr);
	for (int i = 0; i < 2; i++) {
		pthread_t t;
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
	}
	printf("recursive_mutex: %d items, %d passes\n", items, depth_seen);
	return 0;
}
