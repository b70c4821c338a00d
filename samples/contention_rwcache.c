/* A read-mostly cache behind a reader-writer lock: READERS threads look
 * entries up under the read lock; one writer refreshes an entry now and
 * then under the write lock, slowly, so readers queue behind it.
 *
 * usage: contention_rwcache [LOOKUPS_PER_READER [REFRESHES]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define READERS 4
#define ENTRIES 64

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static long cache[ENTRIES];
static unsigned long lookups_per_reader = 5000, refreshes = 50;
static long hits[READERS];

static long lookup(unsigned key)
{
	pthread_rwlock_rdlock(&cache_lock); /* LOOKUP_LOCK_LINE */
	long v = cache[key % ENTRIES];
	pthread_rwlock_unlock(&cache_lock);
	return v;
}

static void refresh(unsigned key)
{
	pthread_rwlock_wrlock(&cache_lock); /* REFRESH_LOCK_LINE */
	cache[key % ENTRIES]++;
	usleep(200); /* recomputing the entry while holding the lock */
	pthread_rwlock_unlock(&cache_lock);
}

static void *reader(void *arg)
{
	long *h = arg;
	for (unsigned long i = 0; i < lookups_per_reader; i++)
		if (lookup((unsigned)i) >= 0)
			++*h;
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < refreshes; i++) {
		refresh((unsigned)i * 7);
		usleep(100);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		lookups_per_reader = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		refreshes = strtoul(argv[2], NULL, 10);
	pthread_t r[READERS], w;
	pthread_create(&w, NULL, writer, NULL);
	for (long i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, &hits[i]);
	pthread_join(w, NULL);
	long total = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(r[i], NULL);
		total += hits[i];
	}
	printf("contention_rwcache: %ld lookups, %lu refreshes\n", total, refreshes);
	return 0;
}
