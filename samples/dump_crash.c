/* dump_crash — a worker crashes (NULL dereference in parse_record) while
 * other threads hold locks: one holds table_lock and sleeps, the main
 * thread waits for it.  The process must still die by SIGSEGV. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready;

struct record {
	const char *key;
	int value;
};

static int parse_record(const struct record *r)
{
	return r->value * 2;
}

static void *parser(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "parser");
	pthread_mutex_lock(&journal_lock);
	pthread_barrier_wait(&ready);
	usleep(200 * 1000);
	const struct record *missing = NULL;
	int v = parse_record(missing);
	pthread_mutex_unlock(&journal_lock);
	return (void *)(long)v;
}

static void *indexer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "indexer");
	pthread_mutex_lock(&table_lock);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t p, i;
	pthread_barrier_init(&ready, NULL, 3);
	pthread_create(&i, NULL, indexer, NULL);
	pthread_create(&p, NULL, parser, NULL);
	pthread_barrier_wait(&ready);
	pthread_mutex_lock(&table_lock);
	puts("dump_crash: not reached");
	return 0;
}
