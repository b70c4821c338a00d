/* Unit tests of lib/core/site_stats.c: records per (lock life, call site), the
 * per-thread cache, counter updates, the full table, and blame arithmetic
 * driven with fake waiters at chosen timestamps. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/lock_table.h"
#include "core/site_stats.h"

#define ADDR(i) ((uintptr_t)0x7f0000400000 + (uintptr_t)(i) * 64)
#define SITE(i) ((uintptr_t)0x401000 + (uintptr_t)(i) * 0x10)

static ls_lock *lock_at(int i) { return ls_lock_get(ADDR(i), LS_KIND_MUTEX); }

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void setup(void) { ls_site_reset_for_tests(); }

START_TEST(test_one_record_per_lock_and_site)
{
	ls_lock *a = lock_at(1), *b = lock_at(2);
	ls_site_stat *a1 = ls_site_get(a, SITE(1), 7);
	ck_assert_ptr_nonnull(a1);
	ck_assert_uint_eq(atomic_load(&a1->lock_id), a->id);
	ck_assert_uint_eq(a1->site, SITE(1));
	ck_assert_uint_eq(a1->lock_addr, a->addr);
	ck_assert_uint_eq(a1->stack, 7);
	ck_assert_uint_eq(ls_site_count(), 1);
	/* Same pair again: the same record; the first stack seen is kept. */
	ck_assert_ptr_eq(ls_site_get(a, SITE(1), 99), a1);
	ck_assert_uint_eq(a1->stack, 7);
	/* Another site of the same lock, the same site of another lock. */
	ls_site_stat *a2 = ls_site_get(a, SITE(2), 8), *b1 = ls_site_get(b, SITE(1), 9);
	ck_assert_ptr_nonnull(a2);
	ck_assert_ptr_nonnull(b1);
	ck_assert_ptr_ne(a2, a1);
	ck_assert_ptr_ne(b1, a1);
	ck_assert_ptr_ne(b1, a2);
	ck_assert_uint_eq(ls_site_count(), 3);
	/* ls_site_find sees them without creating anything. */
	ck_assert_ptr_eq(ls_site_find(a->id, SITE(2)), a2);
	ck_assert_ptr_eq(ls_site_find(b->id, SITE(1)), b1);
	ck_assert_ptr_null(ls_site_find(b->id, SITE(2)));
	ck_assert_uint_eq(ls_site_count(), 3);
}
END_TEST

START_TEST(test_new_life_is_a_new_record)
{
	ls_lock *first = lock_at(3);
	uint64_t first_id = first->id;
	ls_site_stat *s1 = ls_site_get(first, SITE(5), 1);
	ls_lock_retire(ls_lock_forget(ADDR(3)));
	ls_lock *second = lock_at(3);
	ck_assert_uint_ne(second->id, first_id);
	ls_site_stat *s2 = ls_site_get(second, SITE(5), 1);
	ck_assert_ptr_nonnull(s2);
	ck_assert_ptr_ne(s2, s1);
	ck_assert_uint_eq(atomic_load(&s1->lock_id), first_id);
	ck_assert_uint_eq(atomic_load(&s2->lock_id), second->id);
}
END_TEST

static struct ls_site_cache_entry *cache_entry(const ls_lock *l, uintptr_t site)
{
	return &ls_site_cache[(l->id * 31 ^ site ^ (site >> 7)) & (LS_SITE_CACHE_SLOTS - 1)];
}

struct lookup_job { ls_lock *lock; uintptr_t site; ls_site_stat *found; bool cache_was_empty; };

static void *lookup_in_new_thread(void *arg)
{
	struct lookup_job *j = arg;
	j->cache_was_empty = cache_entry(j->lock, j->site)->rec == NULL;
	j->found = ls_site_get(j->lock, j->site, 0);
	return NULL;
}

START_TEST(test_thread_cache_answers_the_same_record)
{
	ls_lock *a = lock_at(4);
	ls_site_stat *s = ls_site_get(a, SITE(9), 3);
	struct ls_site_cache_entry *c = cache_entry(a, SITE(9));
	ck_assert_uint_eq(c->lock_id, a->id);
	ck_assert_uint_eq(c->site, SITE(9));
	ck_assert_ptr_eq(c->rec, s);
	/* A cached hit and the global table agree. */
	ck_assert_ptr_eq(ls_site_get(a, SITE(9), 3), s);
	ck_assert_ptr_eq(ls_site_find(a->id, SITE(9)), s);
	/* Another thread starts with an empty cache and finds the same record
	 * through the table. */
	struct lookup_job j = { a, SITE(9), NULL, false };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, lookup_in_new_thread, &j), 0);
	pthread_join(th, NULL);
	ck_assert(j.cache_was_empty);
	ck_assert_ptr_eq(j.found, s);
	ck_assert_uint_eq(ls_site_count(), 1);
}
END_TEST

START_TEST(test_exclusive_counters)
{
	ls_site_stat *s = ls_site_get(lock_at(5), SITE(1), 0);
	for (int i = 0; i < 10; i++)
		ls_site_add_acquisitions(s, 1);
	ls_site_note_wait(s, 300, true);
	ls_site_note_wait(s, 1200, true);
	ls_site_note_wait(s, 500, true);
	ls_site_note_hold(s, 40, true);
	ls_site_note_hold(s, 60, true);
	ls_site_note_blame(s, 700, true);
	ck_assert_uint_eq(atomic_load(&s->acquisitions), 10);
	ck_assert_uint_eq(atomic_load(&s->contended), 3);
	ck_assert_uint_eq(atomic_load(&s->wait_ns), 2000);
	ck_assert_uint_eq(atomic_load(&s->max_wait_ns), 1200);
	ck_assert_uint_eq(atomic_load(&s->hold_ns), 100);
	ck_assert_uint_eq(atomic_load(&s->blamed_wait_ns), 700);
}
END_TEST

#define SHARED_THREADS 4
#define SHARED_ROUNDS 20000

static void *shared_updates(void *arg)
{
	ls_site_stat *s = arg;
	for (uint64_t i = 1; i <= SHARED_ROUNDS; i++) {
		ls_site_add_acquisitions(s, 1);
		ls_site_note_wait(s, i, false);
		ls_site_note_hold(s, 2, false);
	}
	return NULL;
}

/* Readers of a shared lock update one record together: atomic adds, no
 * lost update, the largest wait kept. */
START_TEST(test_shared_counters_are_exact_across_threads)
{
	ls_site_stat *s = ls_site_get(lock_at(6), SITE(1), 0);
	pthread_t th[SHARED_THREADS];
	for (int i = 0; i < SHARED_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, shared_updates, s), 0);
	for (int i = 0; i < SHARED_THREADS; i++)
		pthread_join(th[i], NULL);
	uint64_t n = SHARED_ROUNDS;
	ck_assert_uint_eq(atomic_load(&s->acquisitions), SHARED_THREADS * n);
	ck_assert_uint_eq(atomic_load(&s->contended), SHARED_THREADS * n);
	ck_assert_uint_eq(atomic_load(&s->wait_ns), SHARED_THREADS * (n * (n + 1) / 2));
	ck_assert_uint_eq(atomic_load(&s->max_wait_ns), n);
	ck_assert_uint_eq(atomic_load(&s->hold_ns), SHARED_THREADS * 2 * n);
}
END_TEST

static void count_record(ls_site_stat *s, void *ctx)
{
	(void)s;
	++*(size_t *)ctx;
}

/* Fills the table with one lock and many sites; the pair after the last
 * that fits gets no record and is counted as overflow. */
START_TEST(test_full_table_counts_overflow)
{
	ls_lock *l = lock_at(7);
	size_t cap = ls_site_capacity();
	ck_assert_uint_gt(cap, 1000);
	for (size_t i = 0; i < cap; i++)
		ck_assert_ptr_nonnull(ls_site_get(l, SITE(i), 0));
	ck_assert_uint_eq(ls_site_count(), cap);
	ck_assert_uint_eq(ls_site_overflow(), 0);
	ck_assert_ptr_null(ls_site_get(l, SITE(cap), 0));
	ck_assert_uint_eq(ls_site_overflow(), 1);
	ck_assert_ptr_null(ls_site_find(l->id, SITE(cap)));
	/* A pair left out is not cached as found: each lookup counts. */
	ck_assert_ptr_null(ls_site_get(l, SITE(cap), 0));
	ck_assert_ptr_null(ls_site_get(lock_at(11), SITE(0), 0));
	ck_assert_uint_eq(ls_site_overflow(), 3);
	ck_assert_uint_eq(ls_site_count(), cap);
	/* What is in still works, and every record is visited once. */
	ls_site_stat *first = ls_site_get(l, SITE(0), 0);
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_eq(ls_site_find(l->id, SITE(cap - 1)), ls_site_get(l, SITE(cap - 1), 0));
	size_t visited = 0;
	ls_site_foreach(count_record, &visited);
	ck_assert_uint_eq(visited, cap);
}
END_TEST

/* All timestamps are in the past (the clock is only read when a holder
 * reads the area while somebody waits): the integral is then exact
 * arithmetic.  (Without ls_stat_clock_start, ticks are ns.) */
START_TEST(test_blame_is_the_waiter_time_integral)
{
	ls_lock *l = lock_at(8);
	uint64_t t0 = monotonic_ns() - 10000000000ULL;
	uint64_t mark = ls_blame_area(l);
	ls_blame_wait_begin(l, t0 + 100);
	ls_blame_wait_begin(l, t0 + 300);   /* two waiters from here */
	ls_blame_wait_end(l, t0 + 700);
	ls_blame_wait_end(l, t0 + 1000);
	/* 1 x 200 + 2 x 400 + 1 x 300 */
	ck_assert_uint_eq(ls_blame_charge(l, mark), 1300);
	ck_assert_uint_eq(ls_blame_area(l) >> LS_BLAME_AREA_SHIFT, 1300);
	/* The next holder had nobody waiting: charged nothing, and its
	 * reading needs no clock (the area is still). */
	uint64_t still;
	ck_assert(ls_blame_area_still(l, &still));
	ck_assert_uint_eq(ls_blame_charge(l, still), 0);
	/* And the one after is charged only for its own hold. */
	mark = ls_blame_area(l);
	ls_blame_wait_begin(l, t0 + 2000);
	ls_blame_wait_begin(l, t0 + 2000);
	ls_blame_wait_begin(l, t0 + 2500);
	ls_blame_wait_end(l, t0 + 2600);
	ls_blame_wait_end(l, t0 + 2600);
	ls_blame_wait_end(l, t0 + 2600);
	/* 2 x 500 + 3 x 100 */
	ck_assert_uint_eq(ls_blame_charge(l, mark), 1300);
	ck_assert_uint_eq(ls_blame_area(l) >> LS_BLAME_AREA_SHIFT, 2600);
	ck_assert_uint_eq(atomic_load(&l->waiters), 0);
	ck_assert_uint_eq(atomic_load(&l->blame_seq) % 2, 0);
}
END_TEST

/* A waiter that was already waiting when the holder took the lock: only
 * the part after the holder's mark is the holder's. */
START_TEST(test_blame_starts_at_the_holders_mark)
{
	ls_lock *l = lock_at(9);
	uint64_t t0 = monotonic_ns() - 1000000000ULL;
	ls_blame_wait_begin(l, t0);
	uint64_t ignored;
	ck_assert(!ls_blame_area_still(l, &ignored)); /* somebody waits: the clock decides */
	uint64_t before = monotonic_ns();
	uint64_t mark = ls_blame_area(l);
	uint64_t after = monotonic_ns();
	ck_assert_uint_ge(mark >> LS_BLAME_AREA_SHIFT, before - t0);
	ck_assert_uint_le(mark >> LS_BLAME_AREA_SHIFT, after - t0);
	ls_blame_wait_end(l, after + 5000000);
	uint64_t blamed = ls_blame_charge(l, mark);
	ck_assert_uint_ge(blamed, 5000000);
	ck_assert_uint_le(blamed, 5000000 + (after - before));
}
END_TEST

/* A release while somebody still waits charges the wait up to now. */
START_TEST(test_blame_with_a_waiter_still_there)
{
	ls_lock *l = lock_at(10);
	uint64_t t0 = monotonic_ns() - 1000000000ULL;
	uint64_t mark = ls_blame_area(l);
	ls_blame_wait_begin(l, t0);
	uint64_t before = monotonic_ns();
	uint64_t blamed = ls_blame_charge(l, mark);
	uint64_t after = monotonic_ns();
	ck_assert_uint_ge(blamed, before - t0);
	ck_assert_uint_le(blamed, after - t0);
	ck_assert_uint_eq(atomic_load(&l->waiters), 1);
}
END_TEST

struct reading {
	ls_lock *l;
	uint64_t area;
	_Atomic bool done;
};

static void *read_area(void *arg)
{
	struct reading *r = arg;
	r->area = ls_blame_area_slow(r->l);
	atomic_store(&r->done, true);
	return NULL;
}

/* A holder's reading never mixes in an update in progress (odd sequence
 * count): it waits for the update to finish and reads what it left. */
START_TEST(test_blame_reading_waits_for_an_update)
{
	struct reading r = { .l = lock_at(11) };
	uint64_t t0 = monotonic_ns() - 1000000000ULL;
	ls_blame_wait_begin(r.l, t0);
	ls_blame_wait_end(r.l, t0 + 500);
	atomic_fetch_add(&r.l->blame_seq, 1);           /* a waiter is updating... */
	atomic_store(&r.l->blame_word, 123456789);      /* ...half way */
	pthread_t th;
	pthread_create(&th, NULL, read_area, &r);
	struct timespec d = { 0, 20000000 };
	nanosleep(&d, NULL);
	ck_assert(!atomic_load(&r.done));
	atomic_store(&r.l->blame_word, 700 << LS_BLAME_AREA_SHIFT); /* the update done */
	atomic_fetch_add(&r.l->blame_seq, 1);
	pthread_join(th, NULL);
	ck_assert_uint_eq(r.area >> LS_BLAME_AREA_SHIFT, 700);
}
END_TEST

/* The same interval on both clocks: ticks converted to ns agree within a
 * quarter (an unconverted or misconverted tick count is off by the clock
 * rate, i.e. several times). */
static void check_interval(long sleep_ns)
{
	uint64_t ns0 = monotonic_ns(), t0 = ls_stat_ticks();
	struct timespec d = { 0, sleep_ns };
	nanosleep(&d, NULL);
	uint64_t t1 = ls_stat_ticks(), ns1 = monotonic_ns();
	uint64_t measured = ls_stat_ticks_to_ns(t1 - t0), real = ns1 - ns0;
	ck_assert_uint_ge(measured, real - real / 4);
	ck_assert_uint_le(measured, real + real / 4);
}

/* Right after the start (the factor from the few ms since), and once the
 * factor is kept. */
START_TEST(test_stat_clock_converts_to_ns)
{
	ls_stat_clock_start();
	check_interval(5000000);
	check_interval(100000000);
	check_interval(20000000);
}
END_TEST

static Suite *site_stats_suite(void)
{
	Suite *s = suite_create("site_stats");
	TCase *records = tcase_create("records");
	tcase_add_checked_fixture(records, setup, NULL);
	tcase_add_test(records, test_one_record_per_lock_and_site);
	tcase_add_test(records, test_new_life_is_a_new_record);
	tcase_add_test(records, test_thread_cache_answers_the_same_record);
	tcase_add_test(records, test_full_table_counts_overflow);
	suite_add_tcase(s, records);
	TCase *counters = tcase_create("counters");
	tcase_add_checked_fixture(counters, setup, NULL);
	tcase_add_test(counters, test_exclusive_counters);
	tcase_add_test(counters, test_shared_counters_are_exact_across_threads);
	tcase_add_test(counters, test_stat_clock_converts_to_ns);
	suite_add_tcase(s, counters);
	TCase *blame = tcase_create("blame");
	tcase_add_test(blame, test_blame_is_the_waiter_time_integral);
	tcase_add_test(blame, test_blame_starts_at_the_holders_mark);
	tcase_add_test(blame, test_blame_with_a_waiter_still_there);
	tcase_add_test(blame, test_blame_reading_waits_for_an_update);
	suite_add_tcase(s, blame);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(site_stats_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
