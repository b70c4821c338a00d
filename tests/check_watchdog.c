/* Unit tests of the wait-for analysis (lib/core/watchdog.c) on hand-built
 * thread states, and of the public watchdog API without the shim. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/watchdog.h"
#include "lockscope/watchdog.h"

#define S 1000000000ull

/* Everything a test builds, freed by the fixture's teardown. */
static void *built[64];
static size_t n_built;

static void *build(size_t size)
{
	void *p = calloc(1, size);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(n_built, sizeof built / sizeof built[0]);
	built[n_built++] = p;
	return p;
}

static void free_built(void)
{
	while (n_built)
		free(built[--n_built]);
}

static ls_thread_state *new_thread(pid_t tid)
{
	ls_thread_state *t = build(sizeof *t);
	t->tid = tid;
	ls_held_init(t);
	atomic_store(&t->alive, true);
	return t;
}

static ls_lock *new_lock(uint64_t id, uintptr_t addr)
{
	ls_lock *l = build(sizeof *l);
	l->id = id;
	l->addr = addr;
	return l;
}

static void hold(ls_thread_state *t, ls_lock *l, uint8_t mode)
{
	ls_held *h = ls_held_push(t, &(ls_hold){ .addr = l->addr, .lock = l, .lock_id = l->id, .mode = mode });
	ck_assert_ptr_nonnull(h);
}

static void wait_lock(ls_thread_state *t, ls_lock *l, uint8_t mode, uint64_t since)
{
	atomic_store(&t->wait_kind, LS_WAIT_LOCK);
	atomic_store(&t->waiting_on, l);
	atomic_store(&t->wait_object, l->addr);
	atomic_store(&t->wait_start_ns, since);
	t->wait_mode = mode;
}

static void wait_other(ls_thread_state *t, int kind, uintptr_t object, uint64_t since)
{
	atomic_store(&t->wait_kind, kind);
	atomic_store(&t->wait_object, object);
	atomic_store(&t->wait_start_ns, since);
}

struct record {
	size_t count[LS_WD_KINDS];
	size_t last_n;
	pid_t members[8];
};

static void record(void *ctx, const ls_wd_snapshot *snap, const ls_wd_finding *f)
{
	struct record *r = ctx;
	r->count[f->kind]++;
	r->last_n = f->n;
	for (size_t i = 0; i < f->n && i < 8; i++)
		r->members[i] = snap->threads[f->members[i]].tid;
}

static size_t scan(ls_wd_analyzer *a, ls_thread_state **threads, size_t n, uint64_t now, struct record *r)
{
	ls_wd_snapshot snap = { 0 };
	snap.now_ns = now;
	for (size_t i = 0; i < n; i++)
		ls_wd_snapshot_add(&snap, threads[i]);
	size_t emitted = ls_wd_analyze(a, &snap, record, r);
	ls_wd_snapshot_free(&snap);
	return emitted;
}

/* Threads 101 and 102 in an ABBA deadlock since 10 s: 101 holds lock 1 and
 * waits for lock 2, 102 the other way round. */
static void abba_waits(ls_thread_state *all[2], ls_lock **lock_a)
{
	ls_thread_state *t1 = new_thread(101), *t2 = new_thread(102);
	ls_lock *a = new_lock(1, 0x1000), *b = new_lock(2, 0x2000);
	hold(t1, a, LS_MODE_EXCL);
	hold(t2, b, LS_MODE_EXCL);
	wait_lock(t1, b, LS_MODE_EXCL, 10 * S);
	wait_lock(t2, a, LS_MODE_EXCL, 10 * S);
	all[0] = t1;
	all[1] = t2;
	*lock_a = a;
}

START_TEST(two_thread_cycle_is_reported_once_when_stable)
{
	ls_thread_state *all[2];
	ls_lock *a;
	abba_waits(all, &a);
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	ck_assert(!ls_wd_cycle_unconfirmed(&an));
	ck_assert_uint_eq(scan(&an, all, 2, 11 * S, &r), 0); /* seen once: not yet stable */
	ck_assert(ls_wd_cycle_unconfirmed(&an));
	ck_assert_uint_eq(scan(&an, all, 2, 12 * S, &r), 1);
	ck_assert(!ls_wd_cycle_unconfirmed(&an)); /* reported */
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 1);
	ck_assert_uint_eq(r.last_n, 2);
	ck_assert_int_eq(r.members[0], 101); /* the lowest tid leads */
	ck_assert_int_eq(r.members[1], 102);
	ck_assert_uint_eq(scan(&an, all, 2, 13 * S, &r), 0); /* once */
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(changing_waits_are_not_a_deadlock)
{
	ls_thread_state *all[2];
	ls_lock *a;
	abba_waits(all, &a);
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 2, 11 * S, &r), 0);
	wait_lock(all[1], a, LS_MODE_EXCL, 11 * S); /* a new wait, read racily */
	ck_assert_uint_eq(scan(&an, all, 2, 12 * S, &r), 0);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(three_thread_cycle)
{
	ls_thread_state *t[3] = { new_thread(7), new_thread(5), new_thread(6) };
	ls_lock *l[3] = { new_lock(1, 0x10), new_lock(2, 0x20), new_lock(3, 0x30) };
	for (int i = 0; i < 3; i++) {
		hold(t[i], l[i], LS_MODE_EXCL);
		wait_lock(t[i], l[(i + 1) % 3], LS_MODE_EXCL, 1 * S);
	}
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, t, 3, 2 * S, &r);
	ck_assert_uint_eq(scan(&an, t, 3, 3 * S, &r), 1);
	ck_assert_uint_eq(r.last_n, 3);
	ck_assert_int_eq(r.members[0], 5); /* 5 waits for what 6 holds, 6 for 7's */
	ck_assert_int_eq(r.members[1], 6);
	ck_assert_int_eq(r.members[2], 7);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(reader_and_writer_cycle)
{
	ls_thread_state *reader = new_thread(1), *writer = new_thread(2);
	ls_lock *rw = new_lock(1, 0x10), *m = new_lock(2, 0x20);
	hold(reader, rw, LS_MODE_READ);
	hold(writer, m, LS_MODE_EXCL);
	wait_lock(reader, m, LS_MODE_EXCL, S);
	wait_lock(writer, rw, LS_MODE_WRITE, S);
	ls_thread_state *all[] = { reader, writer };
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, all, 2, 2 * S, &r);
	ck_assert_uint_eq(scan(&an, all, 2, 3 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 1);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(thread_waiting_for_its_own_lock_is_a_cycle_of_one)
{
	ls_thread_state *self = new_thread(42), *other = new_thread(43);
	ls_lock *m = new_lock(1, 0x10);
	hold(self, m, LS_MODE_EXCL);
	wait_lock(self, m, LS_MODE_EXCL, S); /* a normal mutex locked again */
	ls_thread_state *all[] = { other, self };
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 2, 2 * S, &r), 0); /* not yet stable */
	ck_assert_uint_eq(scan(&an, all, 2, 3 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 1);
	ck_assert_uint_eq(r.last_n, 1);
	ck_assert_int_eq(r.members[0], 42);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(read_holder_asking_to_write_is_a_cycle_of_one)
{
	ls_thread_state *self = new_thread(42);
	ls_lock *rw = new_lock(1, 0x10);
	hold(self, rw, LS_MODE_READ);
	wait_lock(self, rw, LS_MODE_WRITE, S); /* an upgrade never granted */
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, &self, 1, 2 * S, &r);
	ck_assert_uint_eq(scan(&an, &self, 1, 3 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 1);
	ck_assert_uint_eq(r.last_n, 1);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(read_holder_reading_again_is_not_a_cycle)
{
	ls_thread_state *self = new_thread(42);
	ls_lock *rw = new_lock(1, 0x10);
	hold(self, rw, LS_MODE_READ);
	wait_lock(self, rw, LS_MODE_READ, S); /* behind a queued writer, not itself */
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, &self, 1, 2 * S, &r);
	scan(&an, &self, 1, 3 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 0);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(readers_do_not_block_readers)
{
	ls_thread_state *r1 = new_thread(1), *r2 = new_thread(2);
	ls_lock *rw = new_lock(1, 0x10), *m = new_lock(2, 0x20);
	hold(r1, rw, LS_MODE_READ);
	hold(r2, m, LS_MODE_EXCL);
	wait_lock(r1, m, LS_MODE_EXCL, S);
	wait_lock(r2, rw, LS_MODE_READ, S); /* blocked behind a queued writer, not r1 */
	ls_thread_state *all[] = { r1, r2 };
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, all, 2, 2 * S, &r);
	scan(&an, all, 2, 3 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 0);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(hang_needs_the_timeout)
{
	ls_thread_state *holder = new_thread(1), *waiter = new_thread(2);
	ls_lock *a = new_lock(1, 0x10);
	hold(holder, a, LS_MODE_EXCL);
	wait_lock(waiter, a, LS_MODE_EXCL, 10 * S);
	ls_thread_state *all[] = { holder, waiter };
	ls_wd_analyzer an = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 2, 11 * S, &r), 0);
	ck_assert_uint_eq(scan(&an, all, 2, 12 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_HANG], 1);
	ck_assert_int_eq(r.members[0], 2);
	ck_assert_int_eq(r.members[1], 1);
	ck_assert_uint_eq(scan(&an, all, 2, 13 * S, &r), 0);
	ls_wd_analyzer_free(&an);
	ls_wd_analyzer off = { .hang_ns = 0, .threshold_ns = S };
	ck_assert_uint_eq(scan(&off, all, 2, 100 * S, &r), 0);
	ls_wd_analyzer_free(&off);
}
END_TEST

START_TEST(holder_in_condition_wait_is_hold_and_wait)
{
	ls_thread_state *holder = new_thread(1), *waiter = new_thread(2);
	ls_lock *a = new_lock(1, 0x10);
	hold(holder, a, LS_MODE_EXCL);
	wait_other(holder, LS_WAIT_COND, 0x99, 5 * S);
	wait_lock(waiter, a, LS_MODE_EXCL, 10 * S);
	ls_thread_state *all[] = { holder, waiter };
	ls_wd_analyzer an = { .hang_ns = 0, .threshold_ns = S };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 2, 12 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_HOLD_AND_WAIT], 1);
	ck_assert_int_eq(r.members[0], 2);
	ck_assert_int_eq(r.members[1], 1);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(stall_when_every_thread_waits)
{
	ls_thread_state *main_thread = new_thread(1), *w1 = new_thread(2), *w2 = new_thread(3);
	wait_other(main_thread, LS_WAIT_JOIN, 0x1, S);
	wait_other(w1, LS_WAIT_COND, 0x2, S);
	wait_other(w2, LS_WAIT_COND, 0x2, S);
	ls_thread_state *all[] = { main_thread, w1, w2 };
	ls_wd_analyzer an = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 3, 2 * S, &r), 0); /* not long enough */
	ck_assert_uint_eq(scan(&an, all, 3, 4 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_STALL], 1);
	ck_assert_uint_eq(r.last_n, 3);
	ck_assert_uint_eq(scan(&an, all, 3, 5 * S, &r), 0);
	atomic_store(&w2->wait_kind, LS_WAIT_NONE); /* one runs again */
	ck_assert_uint_eq(scan(&an, all, 3, 6 * S, &r), 0);
	wait_other(w2, LS_WAIT_COND, 0x2, 6 * S);     /* and stalls again: a new stall */
	ck_assert_uint_eq(scan(&an, all, 3, 9 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_STALL], 2);
	ls_wd_analyzer_free(&an);
}
END_TEST

/* A thread in a timed wait whose deadline is ahead is not stalled; once
 * the deadline has passed and it still waits, it is. */
START_TEST(timed_wait_is_stalled_only_past_its_deadline)
{
	ls_thread_state *w1 = new_thread(301), *w2 = new_thread(302);
	ls_thread_state *all[] = { w1, w2 };
	wait_other(w1, LS_WAIT_JOIN, 0x1, 1 * S);
	wait_other(w2, LS_WAIT_COND, 0x2, 1 * S);
	atomic_store(&w2->wait_deadline_ns, 20 * S);
	ls_wd_analyzer an = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record r = { 0 };
	ck_assert_uint_eq(scan(&an, all, 2, 10 * S, &r), 0);
	ck_assert_uint_eq(scan(&an, all, 2, 21 * S, &r), 1);
	ck_assert_uint_eq(r.count[LS_WD_STALL], 1);
	ls_wd_analyzer_free(&an);
}
END_TEST

static ls_lock *new_semaphore(uint64_t id, uintptr_t addr, enum ls_sem_class class)
{
	ls_lock *l = new_lock(id, addr);
	l->kind = LS_KIND_SEM;
	atomic_store(&l->sem_class, class);
	return l;
}

/* A signal's "holder" (its taker's stale entry) is nobody: waiting on it
 * is neither a hang nor an edge of a cycle; with every thread blocked the
 * program is stalled, and the stall is reported instead of the hang its
 * other thread also shows. */
START_TEST(signal_wait_is_neither_hang_nor_cycle)
{
	ls_thread_state *t1 = new_thread(401), *t2 = new_thread(402), *runner = new_thread(403);
	ls_lock *signal = new_semaphore(7, 0x7000, LS_SEM_SIGNAL), *l = new_lock(8, 0x8000);
	hold(t1, signal, LS_MODE_EXCL);
	hold(t2, l, LS_MODE_EXCL);
	wait_lock(t1, l, LS_MODE_EXCL, 1 * S);
	wait_lock(t2, signal, LS_MODE_EXCL, 1 * S);
	ls_thread_state *with_runner[] = { t1, t2, runner };
	ls_wd_analyzer an = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record r = { 0 };
	scan(&an, with_runner, 3, 10 * S, &r);
	scan(&an, with_runner, 3, 11 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 0);
	ck_assert_uint_eq(r.count[LS_WD_HANG], 1); /* t1, behind t2's lock */
	ck_assert_int_eq(r.members[0], 401);
	ck_assert_uint_eq(r.count[LS_WD_STALL], 0);
	ls_wd_analyzer_free(&an);

	ls_wd_analyzer again = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record s = { 0 };
	ls_thread_state *blocked[] = { t1, t2 };
	scan(&again, blocked, 2, 10 * S, &s);
	scan(&again, blocked, 2, 11 * S, &s);
	ck_assert_uint_eq(s.count[LS_WD_STALL], 1);
	ck_assert_uint_eq(s.count[LS_WD_HANG], 0);
	ck_assert_uint_eq(s.count[LS_WD_DEADLOCK], 0);
	ls_wd_analyzer_free(&again);
}
END_TEST

/* Semaphores used as locks are locks: an ABBA between two is a deadlock. */
START_TEST(lock_like_semaphores_deadlock)
{
	ls_thread_state *all[2];
	ls_lock *a;
	abba_waits(all, &a);
	ls_lock *b = atomic_load(&all[0]->waiting_on);
	a->kind = b->kind = LS_KIND_SEM; /* lock-like: the class a record starts with */
	ls_wd_analyzer an = { 0 };
	struct record r = { 0 };
	scan(&an, all, 2, 11 * S, &r);
	scan(&an, all, 2, 12 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_DEADLOCK], 1);
	ls_wd_analyzer_free(&an);
}
END_TEST

/* A lock wait marked as a join (CPython's Thread.join) and a wait on a
 * semaphore nobody holds are not hangs; a plain wait as long is. */
START_TEST(joins_and_unheld_semaphores_are_not_hangs)
{
	ls_thread_state *joiner = new_thread(601), *worker = new_thread(602), *poster = new_thread(603);
	ls_lock *thread_lock = new_semaphore(11, 0xb000, LS_SEM_LOCK), *unheld = new_semaphore(12, 0xc000, LS_SEM_LOCK);
	hold(worker, thread_lock, LS_MODE_EXCL);
	wait_lock(joiner, thread_lock, LS_MODE_EXCL, 1 * S);
	atomic_store(&joiner->wait_flags, LS_WAIT_FLAG_JOIN);
	wait_lock(poster, unheld, LS_MODE_EXCL, 1 * S);
	ls_thread_state *all[] = { joiner, worker, poster };
	ls_wd_analyzer an = { .hang_ns = 2 * S, .threshold_ns = 2 * S };
	struct record r = { 0 };
	scan(&an, all, 3, 10 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_HANG], 0);
	atomic_store(&joiner->wait_flags, 0);
	atomic_store(&joiner->wait_start_ns, 2 * S); /* a new wait, as long: not a join */
	scan(&an, all, 3, 10 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_HANG], 1);
	ck_assert_int_eq(r.members[0], 601);
	ls_wd_analyzer_free(&an);
}
END_TEST

/* CPython's Thread.join waits on the lock its thread holds while that
 * thread waits for the interpreter's lock (a condition wait): not a
 * hold-and-wait. */
START_TEST(join_on_a_thread_in_a_condition_wait_is_not_hold_and_wait)
{
	ls_thread_state *joiner = new_thread(701), *worker = new_thread(702);
	ls_lock *thread_lock = new_semaphore(13, 0xd000, LS_SEM_LOCK);
	hold(worker, thread_lock, LS_MODE_EXCL);
	wait_other(worker, LS_WAIT_COND, 0x99, 5 * S);
	wait_lock(joiner, thread_lock, LS_MODE_EXCL, 1 * S);
	atomic_store(&joiner->wait_flags, LS_WAIT_FLAG_JOIN);
	ls_thread_state *all[] = { joiner, worker };
	ls_wd_analyzer an = { .hang_ns = 0, .threshold_ns = S };
	struct record r = { 0 };
	scan(&an, all, 2, 10 * S, &r);
	scan(&an, all, 2, 11 * S, &r);
	ck_assert_uint_eq(r.count[LS_WD_HOLD_AND_WAIT], 0);
	ls_wd_analyzer_free(&an);
}
END_TEST

START_TEST(api_without_the_shim_does_nothing)
{
	ck_assert_int_eq(lockscope_watchdog_arm(0.5, "loop"), -1);
	lockscope_watchdog_cancel();
}
END_TEST

static Suite *watchdog_suite(void)
{
	Suite *s = suite_create("watchdog");
	TCase *tc = tcase_create("analysis");
	tcase_add_checked_fixture(tc, NULL, free_built);
	tcase_add_test(tc, two_thread_cycle_is_reported_once_when_stable);
	tcase_add_test(tc, changing_waits_are_not_a_deadlock);
	tcase_add_test(tc, three_thread_cycle);
	tcase_add_test(tc, reader_and_writer_cycle);
	tcase_add_test(tc, thread_waiting_for_its_own_lock_is_a_cycle_of_one);
	tcase_add_test(tc, read_holder_asking_to_write_is_a_cycle_of_one);
	tcase_add_test(tc, read_holder_reading_again_is_not_a_cycle);
	tcase_add_test(tc, readers_do_not_block_readers);
	tcase_add_test(tc, hang_needs_the_timeout);
	tcase_add_test(tc, holder_in_condition_wait_is_hold_and_wait);
	tcase_add_test(tc, join_on_a_thread_in_a_condition_wait_is_not_hold_and_wait);
	tcase_add_test(tc, stall_when_every_thread_waits);
	tcase_add_test(tc, timed_wait_is_stalled_only_past_its_deadline);
	tcase_add_test(tc, signal_wait_is_neither_hang_nor_cycle);
	tcase_add_test(tc, lock_like_semaphores_deadlock);
	tcase_add_test(tc, joins_and_unheld_semaphores_are_not_hangs);
	tcase_add_test(tc, api_without_the_shim_does_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watchdog_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
