/* dump_heapcrash — a crash inside malloc: the allocator thread writes into a
 * block it freed (the free list's back pointer), and its next malloc follows
 * that pointer and faults in _int_malloc while holding the malloc arena's
 * lock.  Meanwhile the journal thread holds journal_lock.
 *
 * Run with MALLOC_ARENA_MAX=1 (as services short of memory often are) and
 * every thread shares that one arena: the shim's watchdog then blocks in
 * malloc the moment it starts building the report, and the crashing
 * thread must write the raw module+offset dump itself.  With the default
 * arenas the watchdog allocates from its own and symbolizes as usual.
 * Either way the process must die by SIGSEGV. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready;

/* Keeps the compiler from pairing or dropping the allocations. */
#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

static __attribute__((noinline)) void *use_after_free_then_allocate(void)
{
	char *before = malloc(32);   /* in use on both sides: no coalescing */
	char *block = malloc(2000);  /* too big for the per-thread cache */
	char *after = malloc(32);
	uintptr_t stale = (uintptr_t)block;  /* the dangling pointer the bug keeps */
	OPAQUE(before);
	OPAQUE(after);
	OPAQUE(stale);
	free(block);                 /* into the unsorted bin */
	((uintptr_t *)stale)[1] = 0x10;  /* the bug: overwrites the bin's back link */
	char *bigger = malloc(3000); /* scans the unsorted bin: faults */
	OPAQUE(bigger);
	return bigger;
}

static void *allocator(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "allocator");
	pthread_barrier_wait(&ready);
	void *p = use_after_free_then_allocate();
	printf("dump_heapcrash: not reached (%p)\n", p);
	return NULL;
}

static void *journal(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "journal");
	pthread_mutex_lock(&journal_lock);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t a, j;
	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&j, NULL, journal, NULL);
	pthread_create(&a, NULL, allocator, NULL);
	pthread_join(a, NULL);
	puts("dump_heapcrash: not reached");
	return 0;
}
