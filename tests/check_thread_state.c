/* Unit tests of lib/core/thread_state.c: registry and held sets. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/thread_state.h"

static ls_held *hold(ls_thread_state *t, uintptr_t addr)
{
	ls_held *h = ls_held_push(t, &(ls_hold){ .addr = addr, .lock_id = addr * 10, .flags = LS_RELEASE_CALL });
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_eq(h, ls_held_top(t));
	ck_assert_uint_eq(ls_held_addr(h), addr);
	ck_assert_uint_eq(ls_held_depth(h), 1);
	return h;
}

static void assert_held_order(ls_thread_state *t, const uintptr_t *expected, uint32_t n)
{
	ck_assert_uint_eq(ls_held_count(t), n);
	ls_held *h = ls_held_array(t);
	for (uint32_t i = 0; i < n; i++) {
		ck_assert_msg(ls_held_addr(&h[i]) == expected[i], "held[%u] is %#lx, expected %#lx", i,
			      (unsigned long)ls_held_addr(&h[i]), (unsigned long)expected[i]);
		ck_assert_uint_eq(ls_held_lock_id(&h[i]), expected[i] * 10);
		/* each entry's signature is that of the set up to it */
		uint64_t sig = 0;
		for (uint32_t k = 0; k <= i; k++)
			sig ^= ls_held_sig_of(expected[k] * 10, LS_MODE_EXCL);
		ck_assert_uint_eq(h[i].prefix_sig, sig);
		/* and the key says how it is released */
		ck_assert_uint_eq(h[i].key, expected[i] ^ LS_RELEASE_CALL);
	}
	ck_assert_uint_eq(ls_held_sig(t), n ? h[n - 1].prefix_sig : 0);
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
	ck_assert_ptr_ne(ls_held_array(t), t->inline_held + 1);
	ck_assert_uint_ge(t->cap_held, N);
	assert_held_order(t, expected, N);
	ck_assert_ptr_nonnull(ls_held_find(t, expected[LS_INLINE_HELD]));
	/* Release in acquisition order (not LIFO): the rest stay in order. */
	for (int i = 0; i < N / 2; i++)
		ls_held_remove(t, ls_held_find(t, expected[i]));
	assert_held_order(t, expected + N / 2, N - N / 2);
}
END_TEST

/* A held entry keeps what its call was when the call cache entry it points
 * at is reused; a depth above one changes the key (the release fast path
 * then leaves it to the slow path). */
START_TEST(test_held_unpin_and_depth)
{
	ls_thread_state *t = ls_thread_register();
	struct ls_call_cache_entry *e = &t->call_cache[3];
	*e = (struct ls_call_cache_entry){ .site = 0x77, .addr = 0x1000, .lock_id = 42, .stack = 9,
					   .mode = LS_MODE_READ, .sig = ls_held_sig_of(42, LS_MODE_READ) };
	ls_held *h = ls_held_push(t, &(ls_hold){ .call = e, .flags = LS_RELEASE_READ });
	ck_assert_ptr_eq(ls_held_call(h), e);
	ck_assert_uint_eq(ls_held_sig(t), e->sig);
	ls_held_unpin(t, e);
	memset(e, 0, sizeof *e);
	ls_held_view v;
	ck_assert(ls_held_read(h, &v));
	ck_assert_uint_eq(v.site, 0x77);
	ck_assert_uint_eq(v.addr, 0x1000);
	ck_assert_uint_eq(v.lock_id, 42);
	ck_assert_uint_eq(v.site_stack, 9);
	ck_assert_uint_eq(v.mode, LS_MODE_READ);
	ck_assert_uint_eq(v.depth, 1);
	ck_assert_uint_eq(h->key, 0x1000 ^ LS_RELEASE_READ);
	ls_held_set_depth(h, 3);
	ck_assert_uint_eq(ls_held_depth(h), 3);
	ck_assert_uint_eq(h->key, 0x1000 ^ LS_RELEASE_READ ^ LS_RELEASE_DEEP);
	ls_held_set_depth(h, 1);
	ck_assert_uint_eq(h->key, 0x1000 ^ LS_RELEASE_READ);
	/* a copy saved and pushed back follows its own copy of the call */
	ls_held saved;
	ls_held_save(&saved, h);
	ls_held_remove(t, h);
	ck_assert_uint_eq(ls_held_count(t), 0);
	ck_assert_uint_eq(ls_held_sig(t), 0);
	ls_held *back = ls_held_push_copy(t, &saved);
	ck_assert_ptr_eq(ls_held_call(back), &back->own);
	ck_assert_uint_eq(ls_held_addr(back), 0x1000);
	ck_assert_uint_eq(ls_held_sig(t), ls_held_sig_of(42, LS_MODE_READ));
	ls_held_remove(t, back);
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
	ck_assert_ptr_eq(ls_held_array(c), c->inline_held + 1);
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
	tcase_add_test(tc, test_held_unpin_and_depth);
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
