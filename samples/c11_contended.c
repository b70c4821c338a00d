/* c11_contended — a C11 mutex that one thread holds while another waits.
 *
 * The waiter takes and releases `ledger` once (so that its call is known
 * to lockscope), then the holder takes it and keeps it HOLD_MS; the
 * waiter's second call, from the same line, must wait that long.  Then
 * both threads increment a counter under `ledger` ROUNDS times each, with
 * mtx_lock and mtx_timedlock.  Every call must answer thrd_success.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#define HOLD_MS 60
#define ROUNDS 20000

static mtx_t ledger;
static atomic_int waiter_ready, holder_has_it;
static long entries;
static int failures;

static void count_rounds(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct timespec deadline;
		timespec_get(&deadline, TIME_UTC);
		deadline.tv_sec += 10;
		int r = i % 2 ? mtx_lock(&ledger) /* ROUND_LOCK_LINE */
			      : mtx_timedlock(&ledger, &deadline); /* ROUND_TIMEDLOCK_LINE */
		if (r != thrd_success)
			failures++;
		entries++;
		mtx_unlock(&ledger);
	}
}

/* The waiter's lock call, one call site: once uncontended, once behind
 * the holder. */
static __attribute__((noinline)) void take_ledger(void)
{
	if (mtx_lock(&ledger) != thrd_success) /* WAITER_LOCK_LINE */
		failures++;
}

static int holder(void *arg)
{
	(void)arg;
	while (!atomic_load(&waiter_ready))
		thrd_yield();
	if (mtx_lock(&ledger) != thrd_success) /* HOLDER_LOCK_LINE */
		failures++;
	atomic_store(&holder_has_it, 1);
	thrd_sleep(&(struct timespec){ .tv_nsec = HOLD_MS * 1000000L }, NULL);
	mtx_unlock(&ledger);
	count_rounds();
	return 0;
}

static int waiter(void *arg)
{
	(void)arg;
	take_ledger();
	mtx_unlock(&ledger);
	atomic_store(&waiter_ready, 1);
	while (!atomic_load(&holder_has_it))
		thrd_yield();
	take_ledger();
	mtx_unlock(&ledger);
	count_rounds();
	return 0;
}

int main(void)
{
	thrd_t a, b;
	if (mtx_init(&ledger, mtx_timed) != thrd_success)
		return 1;
	thrd_create(&a, holder, NULL);
	thrd_create(&b, waiter, NULL);
	thrd_join(a, NULL);
	thrd_join(b, NULL);
	printf("c11_contended: %ld entries, %d failures\n", entries, failures);
	return entries == 2L * ROUNDS && failures == 0 ? 0 : 1;
}
