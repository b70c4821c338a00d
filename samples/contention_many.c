/* Many locks, each taken a different number of times, then a pause: a long
 * list with a known order for `lockscope top` (sorting, paging).  Lock i of
 * bucket_lock is taken (i + 1) * 10 times; nothing contends.
 *
 * usage: contention_many [LINGER_SECONDS]   (default 20)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BUCKETS 60

static pthread_mutex_t bucket_lock[BUCKETS];
static long bucket_items[BUCKETS];

int main(int argc, char **argv)
{
	unsigned linger = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20;
	for (int i = 0; i < BUCKETS; i++)
		pthread_mutex_init(&bucket_lock[i], NULL);
	for (int i = 0; i < BUCKETS; i++)
		for (int n = 0; n < (i + 1) * 10; n++) {
			pthread_mutex_lock(&bucket_lock[i]);
			bucket_items[i]++;
			pthread_mutex_unlock(&bucket_lock[i]);
		}
	printf("contention_many: %d buckets filled\n", BUCKETS);
	fflush(stdout);
	sleep(linger);
	return 0;
}
