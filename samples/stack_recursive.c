/* stack_recursive.c — a deadlock between two recursive mutexes, each held
 * twice (nested calls) by one thread while it waits for the other's.
 * noinline: the tests expect these calls as real frames even at -O2
 * (the default CFLAGS come after the -O0 of mk/stack.mk). */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t ledger_lock;
pthread_mutex_t journal_lock;
static pthread_barrier_t both_hold_one;

static __attribute__((noinline)) void append_to_journal(void)
{
	pthread_mutex_lock(&journal_lock); /* deadlock: append_to_journal */
	pthread_mutex_unlock(&journal_lock);
}

static __attribute__((noinline)) void post_entry(int depth)
{
	pthread_mutex_lock(&ledger_lock);
	if (depth < 2) {
		post_entry(depth + 1);
	} else {
		pthread_barrier_wait(&both_hold_one);
		append_to_journal();
	}
	pthread_mutex_unlock(&ledger_lock);
}

static __attribute__((noinline)) void update_ledger(void)
{
	pthread_mutex_lock(&ledger_lock); /* deadlock: update_ledger */
	pthread_mutex_unlock(&ledger_lock);
}

static __attribute__((noinline)) void write_journal(int depth)
{
	pthread_mutex_lock(&journal_lock);
	if (depth < 2) {
		write_journal(depth + 1);
	} else {
		pthread_barrier_wait(&both_hold_one);
		update_ledger();
	}
	pthread_mutex_unlock(&journal_lock);
}

static void *poster(void *arg)
{
	(void)arg;
	post_entry(1);
	return NULL;
}

static void *journaler(void *arg)
{
	(void)arg;
	write_journal(1);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ledger_lock, &attr);
	pthread_mutex_init(&journal_lock, &attr);
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_t a, b;
	pthread_create(&a, NULL, poster, NULL);
	pthread_create(&b, NULL, journaler, NULL);
	pthread_setname_np(a, "poster");
	pthread_setname_np(b, "journaler");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	puts("done");
	return 0;
}
