/* Unit tests of lib/core/arena.c: the shim's private allocator. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

START_TEST(test_alloc_is_zeroed_and_aligned)
{
	for (size_t size = 1; size <= 5000; size += 37) {
		unsigned char *p = ls_arena_alloc(size);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg(((uintptr_t)p & 15) == 0, "size %zu: %p not 16-aligned", size, (void *)p);
		ck_assert_msg(all_zero(p, size), "size %zu not zeroed", size);
		memset(p, 0xff, size);
	}
	ck_assert_ptr_nonnull(ls_arena_alloc(0));
}
END_TEST

/* A freed block of a class is reused for that class, and zeroed again. */
START_TEST(test_free_then_reuse)
{
	unsigned char *a = ls_arena_alloc(100);
	memset(a, 0xab, 100);
	ls_arena_free(a, 100);
	unsigned char *b = ls_arena_alloc(112); /* same 16-byte class as 100 */
	ck_assert_ptr_eq(a, b);
	ck_assert(all_zero(b, 112));
	/* Another class does not get it. */
	ls_arena_free(b, 112);
	unsigned char *c = ls_arena_alloc(200);
	ck_assert_ptr_ne(c, b);
	ls_arena_free(NULL, 10); /* harmless */
}
END_TEST

START_TEST(test_distinct_blocks_do_not_overlap)
{
	enum { N = 2000 };
	static unsigned char *blocks[N];
	for (size_t i = 0; i < N; i++) {
		size_t size = 16 + (i % 7) * 48;
		blocks[i] = ls_arena_alloc(size);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], (int)(i & 0xff), size);
	}
	for (size_t i = 0; i < N; i++) {
		size_t size = 16 + (i % 7) * 48;
		for (size_t j = 0; j < size; j++)
			ck_assert_msg(blocks[i][j] == (unsigned char)(i & 0xff), "block %zu overwritten", i);
	}
}
END_TEST

/* Blocks above the class limit are their own mapping, returned on free. */
START_TEST(test_large_blocks)
{
	size_t before = ls_arena_mapped_bytes();
	size_t size = 3 * 1024 * 1024 + 5;
	unsigned char *p = ls_arena_alloc(size);
	ck_assert_ptr_nonnull(p);
	ck_assert(all_zero(p, size));
	p[size - 1] = 1;
	ck_assert_uint_ge(ls_arena_mapped_bytes(), before + size);
	ls_arena_free(p, size);
	ck_assert_uint_eq(ls_arena_mapped_bytes(), before);
}
END_TEST

START_TEST(test_grow_copies)
{
	int *a = ls_arena_grow(NULL, sizeof(int), 0, 4);
	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < 4; i++)
		a[i] = i + 1;
	int *b = ls_arena_grow(a, sizeof(int), 4, 5000);
	ck_assert_ptr_nonnull(b);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(b[i], i + 1);
	for (int i = 4; i < 5000; i++)
		ck_assert_int_eq(b[i], 0);
}
END_TEST

static Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("alloc");
	tcase_add_test(tc, test_alloc_is_zeroed_and_aligned);
	tcase_add_test(tc, test_free_then_reuse);
	tcase_add_test(tc, test_distinct_blocks_do_not_overlap);
	tcase_add_test(tc, test_large_blocks);
	tcase_add_test(tc, test_grow_copies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(arena_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
