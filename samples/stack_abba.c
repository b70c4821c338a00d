/* stack_abba.c — a real two-thread ABBA deadlock, for `lockscope stack`.
 * Two transfers lock the two account locks in opposite orders; a barrier
 * makes sure each holds its first lock before asking for the second, so the
 * program always deadlocks (and then hangs forever in pthread_join). */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t account_a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t account_b_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static long balance_a = 100, balance_b = 100;

static void *transfer_a_to_b(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&account_a_lock);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&account_b_lock); /* deadlock: transfer_a_to_b */
	balance_a -= 10;
	balance_b += 10;
	pthread_mutex_unlock(&account_b_lock);
	pthread_mutex_unlock(&account_a_lock);
	return NULL;
}

static void *transfer_b_to_a(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&account_b_lock);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&account_a_lock); /* deadlock: transfer_b_to_a */
	balance_b -= 10;
	balance_a += 10;
	pthread_mutex_unlock(&account_a_lock);
	pthread_mutex_unlock(&account_b_lock);
	return NULL;
}

int main(void)
{
	pthread_t ab, ba;
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&ab, NULL, transfer_a_to_b, NULL);
	pthread_create(&ba, NULL, transfer_b_to_a, NULL);
	pthread_setname_np(ab, "transfer-ab");
	pthread_setname_np(ba, "transfer-ba");
	pthread_join(ab, NULL);
	pthread_join(ba, NULL);
	printf("balances %ld %ld\n", balance_a, balance_b);
	return 0;
}
