/* Unit tests of lib/core/loop_watch.c: which threads are loop threads,
 * when a stall begins and ends, nested poll calls, closed epoll loops. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop_watch.h"

#define MS 1000000ull
#define THRESHOLD (200 * MS)
#define SITE 0x401000u
#define SP 0x7ffd0000u

static ls_loop_slot *slot;

static void setup(void)
{
	slot = ls_loop_slot_claim(4242);
	ck_assert_ptr_nonnull(slot);
}

static void teardown(void)
{
	ls_loop_event ev[4];
	uint64_t next;
	ls_loop_slot_release(slot);
	/* The end of any stall left open, so the next test starts clean. */
	ls_loop_watch_scan(ls_coarse_now_ns(), UINT64_MAX, ev, 4, &next);
}

/* One round of the loop: in the poll call, then out of it at `left`. */
static void loop_round(uint64_t left)
{
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, -1));
	ls_loop_leave(slot, left);
}

static size_t scan(uint64_t now, ls_loop_event *ev, uint64_t *next)
{
	return ls_loop_watch_scan(now, THRESHOLD, ev, 4, next);
}

START_TEST(test_one_return_is_not_a_loop)
{
	ls_loop_event ev[4];
	uint64_t next;
	loop_round(1000 * MS);
	ck_assert_uint_eq(scan(5000 * MS, ev, &next), 0);
	ck_assert_uint_eq(next, UINT64_MAX);
}
END_TEST

START_TEST(test_stall_begins_once_and_ends)
{
	ls_loop_event ev[4];
	uint64_t next;
	uint64_t total0 = ls_loop_stalls_total();
	loop_round(900 * MS);
	loop_round(1000 * MS);
	/* 150 ms out: not yet; due in 50 ms. */
	ck_assert_uint_eq(scan(1150 * MS, ev, &next), 0);
	ck_assert_uint_eq(next, 50 * MS);
	ck_assert_uint_eq(scan(1250 * MS, ev, &next), 1);
	ck_assert_int_eq(ev[0].kind, LS_LOOP_STALL_BEGIN);
	ck_assert_int_eq(ev[0].tid, 4242);
	ck_assert_int_eq(ev[0].call, LS_LOOP_EPOLL_WAIT);
	ck_assert_uint_eq(ev[0].site, SITE);
	ck_assert_uint_eq(ev[0].away_ns, 250 * MS);
	ck_assert_uint_eq(ls_loop_stalls_total(), total0 + 1);
	ck_assert_uint_eq(ls_loop_stalls_now(), 1);
	/* Once per episode. */
	ck_assert_uint_eq(scan(3000 * MS, ev, &next), 0);
	/* Back in the poll call: the end, with the time it came back. */
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, -1));
	ck_assert_uint_eq(scan(ls_coarse_now_ns(), ev, &next), 1);
	ck_assert_int_eq(ev[0].kind, LS_LOOP_STALL_END);
	ck_assert_int_eq(ev[0].tid, 4242);
	ck_assert_uint_ge(ev[0].away_ns, ls_coarse_now_ns() - 1000 * MS - 10 * MS);
	ck_assert_uint_eq(ls_loop_stalls_now(), 0);
	ls_loop_leave(slot, ls_coarse_now_ns());
}
END_TEST

START_TEST(test_waiting_in_poll_is_not_a_stall)
{
	ls_loop_event ev[4];
	uint64_t next;
	loop_round(100 * MS);
	loop_round(200 * MS);
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, -1));
	ck_assert_uint_eq(scan(60000 * MS, ev, &next), 0);
	ck_assert_uint_eq(next, UINT64_MAX);
	ls_loop_leave(slot, 60000 * MS);
}
END_TEST

/* A poll call from another site at the loop's depth or deeper is a
 * callback's: the thread is still away. */
START_TEST(test_nested_poll_is_away)
{
	ls_loop_event ev[4];
	uint64_t next;
	uint64_t now = ls_coarse_now_ns();
	loop_round(now - 20 * MS);
	loop_round(now - 10 * MS);
	ck_assert(!ls_loop_enter(slot, SITE + 0x80, LS_LOOP_POLL, SP - 512, -1));
	ck_assert(!ls_loop_enter(slot, SITE + 0x80, LS_LOOP_POLL, SP, -1));
	ck_assert_uint_eq(atomic_load(&slot->in_poll), 0);
	ck_assert_uint_eq(scan(now + 300 * MS, ev, &next), 1);
	ck_assert_int_eq(ev[0].kind, LS_LOOP_STALL_BEGIN);
	/* The loop's own call, a few bytes off (alignment): back. */
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP - 16, -1));
	ck_assert_uint_eq(scan(now + 400 * MS, ev, &next), 1);
	ck_assert_int_eq(ev[0].kind, LS_LOOP_STALL_END);
	ls_loop_leave(slot, ls_coarse_now_ns());
}
END_TEST

/* A shallower call is the loop's; a loop not called for a long time has
 * moved to where the thread polls now. */
START_TEST(test_loop_call_moves)
{
	uint64_t now = ls_coarse_now_ns();
	loop_round(now);
	ck_assert(ls_loop_enter(slot, SITE + 0x40, LS_LOOP_POLL, SP + 4096, -1));
	ls_loop_leave(slot, now);
	ck_assert_uint_eq(slot->loop_site, SITE + 0x40);
	ck_assert(!ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, -1));
	ls_loop_leave(slot, now - LS_LOOP_RELEARN_NS - 1000 * MS); /* the loop's last return, long ago */
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, -1));
	ck_assert_uint_eq(slot->loop_site, SITE);
	ls_loop_leave(slot, now);
}
END_TEST

START_TEST(test_closed_epoll_loop_has_ended)
{
	ls_loop_event ev[4];
	uint64_t next;
	int ep = epoll_create1(0);
	ck_assert_int_ge(ep, 0);
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, ep));
	ls_loop_leave(slot, 100 * MS);
	ck_assert(ls_loop_enter(slot, SITE, LS_LOOP_EPOLL_WAIT, SP, ep));
	ls_loop_leave(slot, 200 * MS);
	close(ep);
	ck_assert_uint_eq(scan(5000 * MS, ev, &next), 0);
	ck_assert_uint_eq(atomic_load(&slot->returns), 0);
}
END_TEST

START_TEST(test_thread_exit_ends_its_stall)
{
	ls_loop_event ev[4];
	uint64_t next;
	loop_round(100 * MS);
	loop_round(200 * MS);
	ck_assert_uint_eq(scan(1000 * MS, ev, &next), 1);
	ls_loop_slot_release(slot);
	/* Its slot is not reused before the watchdog saw the end. */
	ls_loop_slot *other = ls_loop_slot_claim(77);
	ck_assert_ptr_ne(other, slot);
	ck_assert_uint_eq(scan(1100 * MS, ev, &next), 1);
	ck_assert_int_eq(ev[0].kind, LS_LOOP_STALL_END);
	ck_assert_int_eq(ev[0].tid, 4242);
	ck_assert_uint_eq(ev[0].away_ns, 900 * MS);
	ls_loop_slot_release(other);
	slot = ls_loop_slot_claim(4242);
}
END_TEST

START_TEST(test_slots_run_out)
{
	ls_loop_slot *taken[LS_LOOP_SLOTS];
	size_t n = 0;
	while (n < LS_LOOP_SLOTS && (taken[n] = ls_loop_slot_claim((pid_t)(10000 + n))))
		n++;
	ck_assert_uint_eq(n, LS_LOOP_SLOTS - 1); /* the fixture holds one */
	ck_assert_ptr_null(ls_loop_slot_claim(99999));
	while (n)
		ls_loop_slot_release(taken[--n]);
	ck_assert_str_eq(ls_loop_call_name(LS_LOOP_PSELECT), "pselect");
}
END_TEST

static Suite *loop_watch_suite(void)
{
	Suite *s = suite_create("loop_watch");
	TCase *tc = tcase_create("stalls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_one_return_is_not_a_loop);
	tcase_add_test(tc, test_stall_begins_once_and_ends);
	tcase_add_test(tc, test_waiting_in_poll_is_not_a_stall);
	tcase_add_test(tc, test_nested_poll_is_away);
	tcase_add_test(tc, test_loop_call_moves);
	tcase_add_test(tc, test_closed_epoll_loop_has_ended);
	tcase_add_test(tc, test_thread_exit_ends_its_stall);
	tcase_add_test(tc, test_slots_run_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(loop_watch_suite());
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
