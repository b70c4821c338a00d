/* exit_stuck_malloc [SECONDS] — SIGTERM while the allocator is unusable.
 *
 * The program finds an inversion, then makes every allocation by any other
 * thread block for ever (as if the thread the signal interrupted held the
 * allocator's lock: it replaces malloc and friends for the whole process)
 * and sends itself SIGTERM.  Whoever writes the report with malloc never
 * finishes: the shim must still write the summary (text) or a valid JSON
 * report (raw) from the signal handler, and die by SIGTERM.  With SECONDS
 * it runs that long first (time for a timer dump). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

pthread_mutex_t inbox_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t outbox_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool stuck;

/* The allocator's lock, held for ever by the thread the signal interrupted
 * (its handler too would block here). */
static void check_allocator(void)
{
	if (atomic_load(&stuck))
		for (;;)
			pause();
}

void *malloc(size_t n)
{
	check_allocator();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	check_allocator();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	check_allocator();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	check_allocator();
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	check_allocator();
	*out = __libc_memalign(align, n);
	return *out ? 0 : 12;
}

void *aligned_alloc(size_t align, size_t n)
{
	check_allocator();
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	check_allocator();
	return __libc_memalign(align, n);
}

static void *deliver(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&inbox_lock);
	pthread_mutex_lock(&outbox_lock);
	pthread_mutex_unlock(&outbox_lock);
	pthread_mutex_unlock(&inbox_lock);
	return NULL;
}

static void *collect(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&outbox_lock);
	pthread_mutex_lock(&inbox_lock);
	pthread_mutex_unlock(&inbox_lock);
	pthread_mutex_unlock(&outbox_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pthread_create(&t, NULL, deliver, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, collect, NULL);
	pthread_join(t, NULL);
	double seconds = argc > 1 ? atof(argv[1]) : 0;
	struct timespec pause_for = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (seconds > 0 && nanosleep(&pause_for, &pause_for) != 0)
		;
	printf("exit_stuck_malloc: pid %d, allocator stuck from now on\n", (int)getpid());
	fflush(stdout);
	atomic_store(&stuck, true);
	kill(getpid(), SIGTERM);
	for (;;)
		pause();
}
