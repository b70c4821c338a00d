/* Unit tests of lib/core/order_graph.c, driven directly: fake lock records from
 * the lock table and thread states from the registry, acquisitions made by
 * calling ls_order_before_acquire and pushing the held entry as the
 * tracker does. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "core/lock_table.h"
#include "core/order_graph.h"
#include "core/thread_state.h"

#define ADDR(i) ((uintptr_t)0x7f0000200000 + (uintptr_t)(i) * 64)

static size_t callbacks;
static const ls_inversion_finding *last_finding;

static void on_inversion(const ls_inversion_finding *f)
{
	callbacks++;
	last_finding = f;
}

static void setup(void)
{
	callbacks = 0;
	last_finding = NULL;
	ls_order_set_callback(on_inversion);
	ls_order_set_stack_depth(8);
}

static ls_lock *lock_at(int i) { return ls_lock_get(ADDR(i), LS_KIND_MUTEX); }

static void acquire(ls_thread_state *t, ls_lock *l, uint8_t mode)
{
	ls_order_before_acquire(t, l, mode);
	ls_held *h = ls_held_push(t, &(ls_hold){ .addr = l->addr, .lock = l, .lock_id = l->id, .mode = mode });
	ck_assert_ptr_nonnull(h);
}

static void release(ls_thread_state *t, ls_lock *l)
{
	ls_held *h = ls_held_find(t, l->addr);
	ck_assert_ptr_nonnull(h);
	ls_held_remove(t, h);
}

/* One thread takes the locks in order and releases them all. */
static void take_in_order(ls_thread_state *t, ls_lock *const *locks, const uint8_t *modes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acquire(t, locks[i], modes ? modes[i] : LS_MODE_EXCL);
	for (size_t i = n; i-- > 0;)
		release(t, locks[i]);
}

#define TAKE(t, ...) \
	take_in_order(t, (ls_lock *const[]){ __VA_ARGS__ }, NULL, sizeof((ls_lock *[]){ __VA_ARGS__ }) / sizeof(ls_lock *))

START_TEST(test_abba_found_once)
{
	ls_lock *a = lock_at(1), *b = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register(), *t3 = ls_thread_register();
	TAKE(t1, a, b);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ck_assert_uint_eq(ls_order_edge_count(), 1);
	TAKE(t2, b, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(callbacks, 1);
	/* Repeats, from the same and other threads, are the same finding. */
	TAKE(t2, b, a);
	TAKE(t3, b, a);
	TAKE(t1, a, b);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(callbacks, 1);
	ck_assert_uint_eq(ls_order_edge_count(), 2);

	const ls_inversion_finding *f = ls_order_findings();
	ck_assert_ptr_eq(f, last_finding);
	ck_assert_uint_eq(f->seq, 1);
	ck_assert_uint_eq(f->n, 2);
	/* Presented from the oldest lock: a -> b first, taken by t1. */
	ck_assert_uint_eq(f->edges[0].from_id, a->id);
	ck_assert_uint_eq(f->edges[0].to_id, b->id);
	ck_assert_uint_eq(f->edges[0].from_addr, ADDR(1));
	ck_assert_int_eq(f->edges[0].tid, t1->tid);
	ck_assert_uint_eq(f->edges[1].from_id, b->id);
	ck_assert_uint_eq(f->edges[1].to_id, a->id);
	ck_assert_uint_ne(f->edges[1].acquire_stack, 0);
	ck_assert_ptr_null(f->next);
}
END_TEST

START_TEST(test_gated_cycle_not_reported)
{
	ls_lock *gate = lock_at(0), *a = lock_at(1), *b = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	TAKE(t1, gate, a, b);
	TAKE(t2, gate, b, a);
	TAKE(t1, gate, b, a);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ck_assert_uint_eq(callbacks, 0);
	ck_assert_uint_eq(ls_order_edge_count(), 4);
}
END_TEST

/* The gate covered both orders until one of them is taken without it. */
START_TEST(test_cycle_after_gate_dropped)
{
	ls_lock *gate = lock_at(0), *a = lock_at(1), *b = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	TAKE(t1, gate, a, b);
	TAKE(t2, gate, b, a);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	TAKE(t2, b, a); /* same edge, cached by t2, now without the gate */
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(callbacks, 1);
	ck_assert_uint_eq(ls_order_findings()->n, 2);
}
END_TEST

/* Another thread (no cached edge) drops the gate on the other edge. */
START_TEST(test_cycle_after_gate_dropped_elsewhere)
{
	ls_lock *gate = lock_at(0), *a = lock_at(1), *b = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register(), *t3 = ls_thread_register();
	TAKE(t1, gate, a, b);
	TAKE(t2, gate, b, a);
	TAKE(t3, a, b);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
}
END_TEST

/* Different gates on the two edges do not protect anything. */
START_TEST(test_different_gates_reported)
{
	ls_lock *g1 = lock_at(10), *g2 = lock_at(11), *a = lock_at(1), *b = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	TAKE(t1, g1, a, b);
	TAKE(t2, g2, b, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
}
END_TEST

START_TEST(test_read_read_not_reported)
{
	ls_lock *r1 = ls_lock_get(ADDR(1), LS_KIND_RWLOCK), *r2 = ls_lock_get(ADDR(2), LS_KIND_RWLOCK);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	const uint8_t reads[] = { LS_MODE_READ, LS_MODE_READ };
	take_in_order(t1, (ls_lock *const[]){ r1, r2 }, reads, 2);
	take_in_order(t2, (ls_lock *const[]){ r2, r1 }, reads, 2);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ck_assert_uint_eq(ls_order_edge_count(), 2);
}
END_TEST

START_TEST(test_write_read_reported)
{
	ls_lock *rw = ls_lock_get(ADDR(1), LS_KIND_RWLOCK), *m = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	take_in_order(t1, (ls_lock *const[]){ rw, m }, (const uint8_t[]){ LS_MODE_WRITE, LS_MODE_EXCL }, 2);
	take_in_order(t2, (ls_lock *const[]){ m, rw }, (const uint8_t[]){ LS_MODE_EXCL, LS_MODE_READ }, 2);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	const ls_inversion_finding *f = ls_order_findings();
	ck_assert_uint_eq(f->edges[0].from_mode, LS_MODE_WRITE);
	ck_assert_uint_eq(f->edges[1].to_mode, LS_MODE_READ);
}
END_TEST

/* Read then write at the junction conflicts too (a writer waits for readers). */
START_TEST(test_read_write_reported)
{
	ls_lock *rw = ls_lock_get(ADDR(1), LS_KIND_RWLOCK), *m = lock_at(2);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	take_in_order(t1, (ls_lock *const[]){ rw, m }, (const uint8_t[]){ LS_MODE_READ, LS_MODE_EXCL }, 2);
	take_in_order(t2, (ls_lock *const[]){ m, rw }, (const uint8_t[]){ LS_MODE_EXCL, LS_MODE_WRITE }, 2);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
}
END_TEST

START_TEST(test_three_cycle)
{
	ls_lock *a = lock_at(1), *b = lock_at(2), *c = lock_at(3);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register(), *t3 = ls_thread_register();
	TAKE(t1, a, b);
	TAKE(t2, b, c);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	TAKE(t3, c, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	const ls_inversion_finding *f = ls_order_findings();
	ck_assert_uint_eq(f->n, 3);
	/* From the oldest lock, each edge continuing where the last ended. */
	ck_assert_uint_eq(f->edges[0].from_id, a->id);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(f->edges[i].to_id, f->edges[(i + 1) % 3].from_id);
	ck_assert_int_eq(f->edges[2].tid, t3->tid);
}
END_TEST

/* A 3-cycle where two edges share a gate but the third does not: reported. */
START_TEST(test_partial_gate_three_cycle)
{
	ls_lock *g = lock_at(0), *a = lock_at(1), *b = lock_at(2), *c = lock_at(3);
	ls_thread_state *t = ls_thread_register();
	TAKE(t, g, a, b);
	TAKE(t, g, b, c);
	TAKE(t, c, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(ls_order_findings()->n, 3);
}
END_TEST

/* Thread states registered by this one thread share its tid: give each
 * its own, as threads have. */
static ls_thread_state *thread_with_tid(pid_t tid)
{
	ls_thread_state *t = ls_thread_register();
	t->tid = tid;
	return t;
}

/* One new order (index -> config) closes two cycles at once, with the
 * first thread and with the other two: both are reported, once. */
START_TEST(test_one_edge_closes_two_cycles)
{
	ls_lock *config = lock_at(1), *journal = lock_at(2), *index = lock_at(3);
	TAKE(thread_with_tid(70001), config, index);
	TAKE(thread_with_tid(70002), config, journal);
	TAKE(thread_with_tid(70003), journal, index);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ls_thread_state *last = thread_with_tid(70004);
	TAKE(last, index, config);
	ck_assert_uint_eq(ls_order_finding_count(), 2);
	ck_assert_uint_eq(callbacks, 2);
	size_t lengths = 0;
	for (const ls_inversion_finding *f = ls_order_findings(); f; f = f->next)
		lengths += f->n;
	ck_assert_uint_eq(lengths, 2 + 3);
	TAKE(last, index, config);
	ck_assert_uint_eq(ls_order_finding_count(), 2);
}
END_TEST

/* A thread's nested chain a, b, c, d and another thread's d -> a: the new
 * edge closes d -> a -> d and detours through the chain (d -> a -> b ->
 * d...), each the same deadlock; one is reported. */
START_TEST(test_detours_of_a_nested_chain_not_reported)
{
	ls_lock *a = lock_at(1), *b = lock_at(2), *c = lock_at(3), *d = lock_at(4);
	TAKE(thread_with_tid(70011), a, b, c, d);
	TAKE(thread_with_tid(70012), d, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(ls_order_findings()->n, 2);
}
END_TEST

/* Each edge of a -> b -> c -> a from its own thread, but b -> c was taken
 * while holding a, which the edge a -> b waits with: the two threads would
 * need a at once, so that cycle cannot deadlock; a -> c -> a can. */
START_TEST(test_cycle_through_a_gate_not_reported)
{
	ls_lock *a = lock_at(1), *b = lock_at(2), *c = lock_at(3);
	ls_thread_state *t = thread_with_tid(70021);
	acquire(t, a, LS_MODE_EXCL);
	t->tid = 70022; /* each edge its own thread, so that only the gate decides */
	acquire(t, b, LS_MODE_EXCL);
	t->tid = 70023;
	acquire(t, c, LS_MODE_EXCL);
	release(t, c);
	release(t, b);
	release(t, a);
	TAKE(thread_with_tid(70024), c, a);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(ls_order_findings()->n, 2);
}
END_TEST

/* A long cycle through many locks is found (and found once). */
START_TEST(test_long_cycle)
{
	enum { N = 200 };
	ls_lock *ring[N];
	for (int i = 0; i < N; i++)
		ring[i] = lock_at(100 + i);
	ls_thread_state *t = ls_thread_register();
	for (int i = 0; i < N; i++)
		TAKE(t, ring[i], ring[(i + 1) % N]);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(ls_order_findings()->n, N);
}
END_TEST

/* A lock's end of life removes its edges: a new life at the same address
 * in the opposite order is not an inversion. */
START_TEST(test_forget_lock_removes_edges)
{
	ls_lock *a = lock_at(1), *b = lock_at(2), *c = lock_at(3);
	ls_thread_state *t = ls_thread_register();
	TAKE(t, a, b);
	TAKE(t, b, c);
	ck_assert_uint_eq(ls_order_edge_count(), 2);
	uint64_t old_id = b->id;
	ls_lock *dead = ls_lock_forget(ADDR(2));
	ck_assert_ptr_eq(dead, b);
	ls_order_forget_lock(dead);
	ck_assert_uint_eq(ls_order_edge_count(), 0);
	ck_assert_ptr_null(a->out_edges);
	ck_assert_ptr_null(c->in_edges);
	ls_lock_retire(dead);
	ls_lock *b2 = lock_at(2);
	ck_assert_uint_gt(b2->id, old_id); /* a new life */
	TAKE(t, b2, a);
	TAKE(t, c, b2);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ck_assert_uint_eq(ls_order_edge_count(), 2);
	/* The new life takes part in cycles as usual. */
	TAKE(t, a, b2);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
}
END_TEST

static size_t edges_seen;
static void count_edge(const ls_edge *e, void *ctx)
{
	(void)ctx;
	ck_assert_ptr_nonnull(e->from);
	edges_seen++;
}

START_TEST(test_foreach_edge)
{
	ls_lock *a = lock_at(1), *b = lock_at(2), *c = lock_at(3);
	ls_thread_state *t = ls_thread_register();
	TAKE(t, a, b, c);
	edges_seen = 0;
	ls_order_foreach_edge(count_edge, NULL);
	ck_assert_uint_eq(edges_seen, 3);
}
END_TEST

static Suite *order_graph_suite(void)
{
	Suite *s = suite_create("order_graph");
	TCase *tc = tcase_create("cycles");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_abba_found_once);
	tcase_add_test(tc, test_gated_cycle_not_reported);
	tcase_add_test(tc, test_cycle_after_gate_dropped);
	tcase_add_test(tc, test_cycle_after_gate_dropped_elsewhere);
	tcase_add_test(tc, test_different_gates_reported);
	tcase_add_test(tc, test_read_read_not_reported);
	tcase_add_test(tc, test_write_read_reported);
	tcase_add_test(tc, test_read_write_reported);
	tcase_add_test(tc, test_three_cycle);
	tcase_add_test(tc, test_partial_gate_three_cycle);
	tcase_add_test(tc, test_long_cycle);
	tcase_add_test(tc, test_one_edge_closes_two_cycles);
	tcase_add_test(tc, test_detours_of_a_nested_chain_not_reported);
	tcase_add_test(tc, test_cycle_through_a_gate_not_reported);
	tcase_add_test(tc, test_forget_lock_removes_edges);
	tcase_add_test(tc, test_foreach_edge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(order_graph_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
