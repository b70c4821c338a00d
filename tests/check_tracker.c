/* Unit tests of the tracker: the call cache, acquisitions, recursion,
 * release and the end of a lock's life, driven with real pthread mutexes. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/order_graph.h"
#include "core/tracker.h"

static int try_mutex(void *lock) { return pthread_mutex_trylock(lock); }
static int block_mutex(const ls_lock_call *c) { return pthread_mutex_lock(c->lock); }

static ls_lock_call mutex_call(pthread_mutex_t *m)
{
	return (ls_lock_call){ .lock = m, .attempt = try_mutex, .block = block_mutex,
			       .busy_code = EBUSY, .owner_dead_code = EOWNERDEAD, .release = LS_RELEASE_CALL };
}

static bool fast_entry(ls_thread_state *t, uintptr_t site, void *lock)
{
	ls_fast f;
	return ls_fast_entry(t, site, (uintptr_t)lock, LS_MODE_EXCL, &f);
}

/* What an interposer does: the fast path when it may, else the tracker. */
static int lock(ls_thread_state *t, pthread_mutex_t *m, uintptr_t site)
{
	ls_fast f;
	ls_lock_call c = mutex_call(m);
	if (!ls_fast_entry(t, site, (uintptr_t)m, LS_MODE_EXCL, &f))
		return ls_track_lock(t, &c, LS_KIND_MUTEX, LS_MODE_EXCL, site);
	int r = pthread_mutex_trylock(m);
	if (r == 0)
		return ls_note_acquired_fast(t, &f, (uintptr_t)m, LS_MODE_EXCL, LS_RELEASE_CALL);
	return ls_track_lock_after_attempt(t, &c, LS_MODE_EXCL, site, r);
}

static uint64_t acquisitions_of(pthread_mutex_t *m)
{
	ls_counts_collect();
	return atomic_load(&ls_lock_find((uintptr_t)m)->acquisitions);
}

/* What the release interposer does: the fast pop when the newest entry
 * is m held once, else the slow path. */
static void unlock(ls_thread_state *t, pthread_mutex_t *m)
{
	if (!ls_track_unlock_fast(t, m, LS_RELEASE_CALL))
		ls_track_unlock_slow(t, m);
	pthread_mutex_unlock(m);
}

START_TEST(test_call_cache_resolves_once)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct ls_call_cache_entry *e = ls_call_lookup(t, 0x1111, (uintptr_t)&m, LS_KIND_MUTEX);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(e->lock);
	ck_assert_ptr_eq(e->lock, ls_lock_find((uintptr_t)&m));
	ck_assert_uint_ne(e->stack, 0);
	uint64_t id = e->lock_id;
	/* The same call again: the same entry, nothing re-resolved. */
	ck_assert_ptr_eq(ls_call_lookup(t, 0x1111, (uintptr_t)&m, LS_KIND_MUTEX), e);
	ck_assert_uint_eq(e->lock_id, id);
	/* Another thread at the same site gets the same first stack. */
	ls_thread_state *u = ls_thread_register();
	ck_assert_uint_eq(ls_call_lookup(u, 0x1111, (uintptr_t)&m, LS_KIND_MUTEX)->stack, e->stack);
	ls_track_destroy(&m);
}
END_TEST

START_TEST(test_call_cache_sees_a_new_life)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t *m = malloc(sizeof *m);
	pthread_mutex_init(m, NULL);
	struct ls_call_cache_entry *e = ls_call_lookup(t, 0x2222, (uintptr_t)m, LS_KIND_MUTEX);
	uint64_t first_life = e->lock_id;
	ls_track_destroy(m);
	/* Same address, same site, after destroy: a new record, never the old one. */
	e = ls_call_lookup(t, 0x2222, (uintptr_t)m, LS_KIND_MUTEX);
	ck_assert_uint_ne(e->lock_id, first_life);
	ck_assert(!e->lock->dead);
	ls_track_destroy(m);
	free(m);
}
END_TEST

START_TEST(test_acquire_release_and_recursion)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_t m;
	pthread_mutex_init(&m, &a);
	ck_assert_int_eq(lock(t, &m, 0x3333), 0);
	ck_assert_int_eq(lock(t, &m, 0x3334), 0);
	ck_assert_uint_eq(ls_held_count(t), 1); /* one hold, counted twice */
	ls_lock *l = ls_lock_find((uintptr_t)&m);
	ck_assert_uint_eq(acquisitions_of(&m), 2);
	ck_assert_ptr_eq(ls_held_find(t, (uintptr_t)&m)->lock, l);
	ck_assert_uint_eq(ls_held_depth(ls_held_find(t, (uintptr_t)&m)), 2);
	/* held twice: the release's fast compare does not match */
	ck_assert_ptr_null(ls_track_unlock_fast(t, &m, LS_RELEASE_CALL));
	unlock(t, &m);
	ck_assert_uint_eq(ls_held_count(t), 1);
	unlock(t, &m);
	ck_assert_uint_eq(ls_held_count(t), 0);
	ck_assert_ptr_null(ls_held_find(t, (uintptr_t)&m));
	ck_assert_uint_eq(atomic_load(&l->contended), 0);
	pthread_mutex_destroy(&m);
	ls_track_destroy(&m);
}
END_TEST

START_TEST(test_nested_acquisition_keeps_order)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
	lock(t, &a, 0x4444);
	lock(t, &b, 0x4445);
	ck_assert_uint_eq(ls_held_count(t), 2);
	ck_assert_uint_eq(ls_held_addr(&ls_held_array(t)[0]), (uintptr_t)&a);
	ck_assert_uint_eq(ls_held_addr(&ls_held_array(t)[1]), (uintptr_t)&b);
	ck_assert_uint_eq(ls_held_site(&ls_held_array(t)[1]), 0x4445);
	/* Released out of order: what remains is still in acquisition order. */
	unlock(t, &a);
	ck_assert_uint_eq(ls_held_count(t), 1);
	ck_assert_uint_eq(ls_held_addr(&ls_held_array(t)[0]), (uintptr_t)&b);
	unlock(t, &b);
	ls_track_destroy(&a);
	ls_track_destroy(&b);
}
END_TEST

/* The first acquisition at a call checks the order graph; the same call
 * under the same held set takes the fast path; a new held set does not. */
START_TEST(test_fast_path_needs_a_known_held_set)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
	ck_assert(!fast_entry(t, 0x5550, &a));
	lock(t, &a, 0x5550);
	unlock(t, &a);
	ck_assert_uint_eq(ls_held_sig(t), 0);
	ck_assert(fast_entry(t, 0x5550, &a));
	/* b under a: not seen yet */
	lock(t, &a, 0x5550);
	ck_assert(!fast_entry(t, 0x5551, &b));
	size_t edges = ls_order_edge_count();
	lock(t, &b, 0x5551);
	ck_assert_uint_eq(ls_order_edge_count(), edges + 1);
	unlock(t, &b);
	ck_assert(fast_entry(t, 0x5551, &b));
	unlock(t, &a);
	/* b alone is another held set (the empty one) */
	ck_assert(!fast_entry(t, 0x5551, &b));
	ck_assert_uint_eq(ls_held_sig(t), 0);
	for (int i = 0; i < 10; i++) {
		lock(t, &a, 0x5550);
		lock(t, &b, 0x5551);
		unlock(t, &b);
		unlock(t, &a);
	}
	ck_assert_uint_eq(acquisitions_of(&a), 12);
	ck_assert_uint_eq(acquisitions_of(&b), 11);
	ls_track_destroy(&a);
	ls_track_destroy(&b);
}
END_TEST

/* Three calls sharing one cache set of two entries: each is evicted in
 * turn, and no count is lost. */
START_TEST(test_eviction_keeps_counts)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	uintptr_t sites[3] = { 0x6660, 0x6660 + LS_CALL_SET_SPAN, 0x6660 + 2 * LS_CALL_SET_SPAN };
	for (int s = 1; s < 3; s++)
		ck_assert_ptr_eq(ls_call_set(t, sites[0], (uintptr_t)&m), ls_call_set(t, sites[s], (uintptr_t)&m));
	for (int i = 0; i < 5; i++)
		for (int s = 0; s < 3; s++) {
			lock(t, &m, sites[s]);
			unlock(t, &m);
		}
	ck_assert_uint_eq(acquisitions_of(&m), 15);
	ck_assert_uint_eq(atomic_load(&t->acquisitions), 15);
	for (int s = 0; s < 3; s++)
		ck_assert_uint_eq(atomic_load(&ls_site_find(ls_lock_find((uintptr_t)&m)->id, sites[s])->acquisitions), 5);
	ls_track_destroy(&m);
}
END_TEST

/* Two calls that hash to the same set both stay cached: once each is
 * known, neither evicts the other (a direct-mapped cache would send both
 * to the slow path on every call). */
START_TEST(test_colliding_calls_stay_cached)
{
	ls_thread_state *t = ls_thread_register();
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	uintptr_t site = 0x7770, other = site + LS_CALL_SET_SPAN;
	ck_assert_ptr_eq(ls_call_set(t, site, (uintptr_t)&m), ls_call_set(t, other, (uintptr_t)&m));
	lock(t, &m, site);
	unlock(t, &m);
	lock(t, &m, other);
	unlock(t, &m);
	ls_fast e, f;
	ck_assert(ls_fast_entry(t, site, (uintptr_t)&m, LS_MODE_EXCL, &e));
	ck_assert(ls_fast_entry(t, other, (uintptr_t)&m, LS_MODE_EXCL, &f));
	ck_assert_ptr_ne(e.e, f.e);
	ls_track_destroy(&m);
}
END_TEST

static Suite *tracker_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc = tcase_create("calls");
	tcase_add_test(tc, test_call_cache_resolves_once);
	tcase_add_test(tc, test_call_cache_sees_a_new_life);
	tcase_add_test(tc, test_acquire_release_and_recursion);
	tcase_add_test(tc, test_fast_path_needs_a_known_held_set);
	tcase_add_test(tc, test_eviction_keeps_counts);
	tcase_add_test(tc, test_colliding_calls_stay_cached);
	tcase_add_test(tc, test_nested_acquisition_keeps_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tracker_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
