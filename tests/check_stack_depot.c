/* Unit tests of lib/core/stack_depot.c: deduplicated stacks, capture, sites. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_depot.h"

START_TEST(test_put_dedups_and_get_returns_the_stack)
{
	size_t before = ls_depot_count();
	uint64_t a[] = { 0x1000, 0x2000, 0x3000 };
	uint64_t b[] = { 0x1000, 0x2000, 0x3001 };
	uint64_t prefix[] = { 0x1000, 0x2000 };
	uint32_t ia = ls_depot_put(a, 3), ib = ls_depot_put(b, 3), ip = ls_depot_put(prefix, 2);
	ck_assert_uint_ne(ia, 0);
	ck_assert_uint_ne(ia, ib);
	ck_assert_uint_ne(ia, ip);
	ck_assert_uint_ne(ib, ip);
	ck_assert_uint_eq(ls_depot_put(a, 3), ia);
	ck_assert_uint_eq(ls_depot_count(), before + 3);

	const uint64_t *pcs;
	ck_assert_uint_eq(ls_depot_get(ib, &pcs), 3);
	ck_assert(memcmp(pcs, b, sizeof b) == 0);
	ck_assert_uint_eq(ls_depot_get(ip, &pcs), 2);
	ck_assert(memcmp(pcs, prefix, sizeof prefix) == 0);
}
END_TEST

START_TEST(test_empty_and_unknown)
{
	uint64_t x = 1;
	ck_assert_uint_eq(ls_depot_put(&x, 0), 0);
	const uint64_t *pcs = &x;
	ck_assert_uint_eq(ls_depot_get(0, &pcs), 0);
	ck_assert_ptr_null(pcs);
	ck_assert_uint_eq(ls_depot_get(12345, &pcs), 0);
	ck_assert_ptr_null(pcs);
}
END_TEST

START_TEST(test_too_deep_is_truncated)
{
	uint64_t deep[LS_MAX_STACK_DEPTH + 10];
	for (size_t i = 0; i < LS_MAX_STACK_DEPTH + 10; i++)
		deep[i] = 0x400000 + i * 8;
	uint32_t id = ls_depot_put(deep, LS_MAX_STACK_DEPTH + 10);
	const uint64_t *pcs;
	ck_assert_uint_eq(ls_depot_get(id, &pcs), LS_MAX_STACK_DEPTH);
	ck_assert_uint_eq(pcs[LS_MAX_STACK_DEPTH - 1], deep[LS_MAX_STACK_DEPTH - 1]);
}
END_TEST

/* Many distinct stacks: ids stay unique and each reads back (ids span
 * several id pages). */
START_TEST(test_many_stacks)
{
	enum { N = 10000 };
	static uint32_t ids[N];
	for (uint64_t i = 0; i < N; i++) {
		uint64_t pcs[2] = { 0x7000 + i, i * 31 };
		ids[i] = ls_depot_put(pcs, 2);
		ck_assert_uint_eq(ids[i], ids[0] + i);
	}
	for (uint64_t i = 0; i < N; i++) {
		const uint64_t *pcs;
		ck_assert_uint_eq(ls_depot_get(ids[i], &pcs), 2);
		ck_assert_uint_eq(pcs[0], 0x7000 + i);
	}
}
END_TEST

static __attribute__((noinline)) uint32_t capture_in_one_place(void)
{
	return ls_capture_to_depot(16);
}

static __attribute__((noinline)) uint32_t capture_in_another(void)
{
	return ls_capture_to_depot(16);
}

START_TEST(test_capture)
{
	uint32_t same_site[2];
	/* The same call stack twice (volatile: the loop must not be unrolled
	 * into two call sites): one id. */
	for (volatile int i = 0; i < 2; i++)
		same_site[i] = capture_in_one_place();
	uint32_t other = capture_in_another();
	ck_assert_uint_ne(same_site[0], 0);
	ck_assert_uint_eq(same_site[1], same_site[0]);
	ck_assert_uint_ne(other, 0);
	ck_assert_uint_ne(other, same_site[0]);
	uint64_t pcs[4];
	ck_assert_uint_ge(ls_capture_stack(pcs, 4), 1);
	ck_assert_uint_le(ls_capture_stack(pcs, 2), 2);
}
END_TEST

/* A thread's first frames are stepped one by one, later captures go through
 * libunwind's trace cache: the same place gives the same stack either way. */
START_TEST(test_stepped_and_cached_captures_agree)
{
	uint32_t ids[200];
	for (volatile int i = 0; i < 200; i++)
		ids[i] = capture_in_one_place();
	ck_assert_uint_ne(ids[0], 0);
	for (int i = 1; i < 200; i++)
		ck_assert_msg(ids[i] == ids[0], "capture %d gave stack %u, the first %u", i, ids[i], ids[0]);
	ck_assert_uint_eq(ls_depot_count(), 1);
}
END_TEST

static __attribute__((noinline)) uint32_t site_from_here(uintptr_t ret)
{
	return ls_site_stack(ret, 16);
}

/* The first stack seen at a site is the site's stack for good. */
START_TEST(test_site_table)
{
	uint32_t first = site_from_here(0x5555);
	ck_assert_uint_ne(first, 0);
	ck_assert_uint_eq(ls_site_stack(0x5555, 16), first);
	uint32_t other = ls_site_stack(0x6666, 16);
	ck_assert_uint_ne(other, 0);
	ck_assert_uint_ne(other, first);
}
END_TEST

static Suite *depot_suite(void)
{
	Suite *s = suite_create("stack_depot");
	TCase *tc = tcase_create("depot");
	tcase_add_test(tc, test_put_dedups_and_get_returns_the_stack);
	tcase_add_test(tc, test_empty_and_unknown);
	tcase_add_test(tc, test_too_deep_is_truncated);
	tcase_add_test(tc, test_many_stacks);
	tcase_add_test(tc, test_capture);
	tcase_add_test(tc, test_stepped_and_cached_captures_agree);
	tcase_add_test(tc, test_site_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(depot_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
