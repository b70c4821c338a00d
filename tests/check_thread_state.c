/* Unit tests of lib/core/thread_state.c: registry and held sets. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/thread_state.h"

static ls_held *hold(ls_thread_state *t, uintptr_t addr)
{
	ls_held *h = ls_held_push(t);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->addr, 0); /* pushed entries start zeroed */
	h->addr = addr;
	h->lock_id = addr * 10;
	h->count = 1;
	return h;
}

static void assert_held_order(ls_thread_state *t, const uintptr_t *expected, uint32_t n)
{
	ck_assert_uint_eq(ls_held_count(t), n);
	ls_held *h = ls_held_array(t);
	for (uint32_t i = 0; i < n; i++) {
		ck_assert_msg(h[i].addr == expected[i], "held[%u] is %#lx, expected %#lx", i,
			      (unsigned long)h[i].addr, (unsigned long)expected[i]);
		ck_assert_uint_eq(h[i].lock_id, expected[i] * 10);
	}
}

START_TEST(test_register)
{
	size_t before = ls_thread_live_count();
	ls_thread_state *t = ls_thread_register();
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->tid, (pid_t)syscall(SYS_gettid));
	ck_assert(t->alive);
	ck_assert_uint_eq(ls_held_count(t), 0);
	ck_assert_uint_eq(ls_thread_live_count(), before + 1);
}
END_TEST

START_TEST(test_held_push_find_remove_keeps_order)
{
	ls_thread_state *t = ls_thread_register();
	for (uintptr_t a = 1; a <= 5; a++)
		hold(t, a * 0x100);
	ck_assert_ptr_eq(ls_held_find(t, 0x300), &ls_held_array(t)[2]);
	ck_assert_ptr_null(ls_held_find(t, 0x999));
	ls_held_remove(t, ls_held_find(t, 0x200));
	assert_held_order(t, (uintptr_t[]){ 0x100, 0x300, 0x400, 0x500 }, 4);
	ls_held_remove(t, ls_held_find(t, 0x500)); /* the last */
	ls_held_remove(t, ls_held_find(t, 0x100)); /* the first */
	assert_held_order(t, (uintptr_t[]){ 0x300, 0x400 }, 2);
}
END_TEST

/* More than the inline capacity: the set grows and keeps its entries. */
START_TEST(test_held_grows_past_inline)
{
	enum { N = 300 };
	static uintptr_t expected[N];
	ls_thread_state *t = ls_thread_register();
	for (int i = 0; i < N; i++) {
		expected[i] = (uintptr_t)(i + 1) * 8;
		hold(t, expected[i]);
	}
	ck_assert_ptr_ne(ls_held_array(t), t->inline_held);
	ck_assert_uint_ge(t->cap_held, N);
	assert_held_order(t, expected, N);
	ck_assert_ptr_nonnull(ls_held_find(t, expected[LS_INLINE_HELD]));
	/* Release in acquisition order (not LIFO): the rest stay in order. */
	for (int i = 0; i < N / 2; i++)
		ls_held_remove(t, ls_held_find(t, expected[i]));
	assert_held_order(t, expected + N / 2, N - N / 2);
}
END_TEST

static size_t seen;
static void count_state(ls_thread_state *t, void *ctx)
{
	ck_assert(t->alive);
	ck_assert_ptr_ne(t, ctx);
	seen++;
}

/* An exited thread's state is parked, skipped by foreach, and reused. */
START_TEST(test_unregister_and_reuse)
{
	ls_thread_state *a = ls_thread_register();
	ls_thread_state *b = ls_thread_register();
	for (int i = 0; i < 40; i++)
		hold(b, (uintptr_t)(i + 1) * 16);
	size_t live = ls_thread_live_count();
	ls_thread_unregister(b);
	ck_assert_uint_eq(ls_thread_live_count(), live - 1);
	ck_assert(!b->alive);
	seen = 0;
	ls_thread_foreach(count_state, b);
	ck_assert_uint_eq(seen, live - 1);
	ls_thread_state *c = ls_thread_register();
	ck_assert_ptr_eq(c, b);
	ck_assert_uint_eq(ls_held_count(c), 0);
	ck_assert_ptr_eq(ls_held_array(c), c->inline_held);
	ck_assert_uint_eq(c->cap_held, LS_INLINE_HELD);
	ck_assert_ptr_ne(c, a);
}
END_TEST

static Suite *thread_state_suite(void)
{
	Suite *s = suite_create("thread_state");
	TCase *tc = tcase_create("held");
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_held_push_find_remove_keeps_order);
	tcase_add_test(tc, test_held_grows_past_inline);
	tcase_add_test(tc, test_unregister_and_reuse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(thread_state_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
