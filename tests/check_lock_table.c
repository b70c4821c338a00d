/* Unit tests of lib/core/lock_table.c: lock records by address, lives, growth. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "core/lock_table.h"

/* Fake lock addresses: the table only uses them as keys. */
#define BASE ((uintptr_t)0x7f0000100000)
#define ADDR(i) (BASE + (uintptr_t)(i) * 64)

START_TEST(test_get_find)
{
	ck_assert_ptr_null(ls_lock_find(ADDR(1)));
	ls_lock *l = ls_lock_get(ADDR(1), LS_KIND_RWLOCK);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->addr, ADDR(1));
	ck_assert_int_eq(l->kind, LS_KIND_RWLOCK);
	ck_assert(!l->dead);
	ck_assert_uint_ne(l->id, 0);
	ck_assert_ptr_eq(ls_lock_find(ADDR(1)), l);
	ck_assert_ptr_eq(ls_lock_get(ADDR(1), LS_KIND_RWLOCK), l);
	ls_lock *m = ls_lock_get(ADDR(2), LS_KIND_MUTEX);
	ck_assert_ptr_ne(m, l);
	ck_assert_uint_ne(m->id, l->id);
	ck_assert_uint_eq(ls_lock_live_count(), 2);
	ck_assert_str_eq(ls_lock_kind_name(LS_KIND_MTX), "mtx");
	ck_assert_str_eq(ls_lock_kind_name(99), "lock");
}
END_TEST

/* A forgotten lock is dead; the next use of its address is a new life with
 * a new id, even when the retired record's memory is reused. */
START_TEST(test_forget_starts_a_new_life)
{
	ls_lock *l = ls_lock_get(ADDR(3), LS_KIND_MUTEX);
	uint64_t old_id = l->id;
	ck_assert_ptr_eq(ls_lock_forget(ADDR(3)), l);
	ck_assert(l->dead);
	ck_assert_ptr_null(ls_lock_find(ADDR(3)));
	ck_assert_ptr_null(ls_lock_forget(ADDR(3)));
	ck_assert_uint_eq(ls_lock_live_count(), 0);
	ls_lock_retire(l);
	ls_lock *again = ls_lock_get(ADDR(3), LS_KIND_MUTEX);
	ck_assert_ptr_nonnull(again);
	ck_assert_uint_gt(again->id, old_id);
	ck_assert(!again->dead);
	ck_assert_uint_eq(again->acquisitions, 0);
	ck_assert_ptr_null(again->out_edges);
}
END_TEST

static size_t forgotten;
static void count_forgotten(ls_lock *l)
{
	ck_assert(l->dead);
	forgotten++;
}

/* forget_range ends exactly the lives inside the range. */
START_TEST(test_forget_range)
{
	for (int i = 0; i < 100; i++)
		ls_lock_get(ADDR(i), LS_KIND_MUTEX);
	/* A spinlock (4-byte aligned) inside the range, too. */
	ls_lock_get(ADDR(20) + 4, LS_KIND_SPIN);
	ck_assert(ls_lock_range_maybe_tracked(ADDR(10), 64));
	forgotten = 0;
	size_t n = ls_lock_forget_range(ADDR(10), ADDR(30) - ADDR(10), count_forgotten);
	ck_assert_uint_eq(n, 21);
	ck_assert_uint_eq(forgotten, 21);
	ck_assert_ptr_nonnull(ls_lock_find(ADDR(9)));
	ck_assert_ptr_null(ls_lock_find(ADDR(10)));
	ck_assert_ptr_null(ls_lock_find(ADDR(20) + 4));
	ck_assert_ptr_null(ls_lock_find(ADDR(29)));
	ck_assert_ptr_nonnull(ls_lock_find(ADDR(30)));
	ck_assert_uint_eq(ls_lock_live_count(), 80);
	ck_assert(!ls_lock_range_maybe_tracked(ADDR(0), 0));
}
END_TEST

/* A block of many more pages than the table has slots (a 64 MB buffer):
 * its lock is found, wherever in the block it is, and a block elsewhere is
 * answered from the table. */
START_TEST(test_forget_large_range)
{
	enum { BLOCK = 64 << 20 };
	uintptr_t big = BASE + (1u << 30);
	ls_lock_get(big + BLOCK - 64, LS_KIND_MUTEX);
	ck_assert(ls_lock_range_maybe_tracked(big, BLOCK));
	forgotten = 0;
	ck_assert_uint_eq(ls_lock_forget_range(big, BLOCK, count_forgotten), 1);
	ck_assert_uint_eq(forgotten, 1);
	ck_assert_uint_eq(ls_lock_live_count(), 0);
	ck_assert(!ls_lock_range_maybe_tracked(big, BLOCK));
	ls_lock_get(ADDR(1), LS_KIND_MUTEX);
	ck_assert_uint_eq(ls_lock_forget_range(big, BLOCK, count_forgotten), 0);
	ck_assert_ptr_nonnull(ls_lock_find(ADDR(1)));
}
END_TEST

static size_t visited;
static void count_visit(ls_lock *l, void *ctx)
{
	(void)l;
	(void)ctx;
	visited++;
}

/* 200000 live locks: the table grows, every lock is found, ids unique;
 * then a range forget over all of them (the table-scan path). */
START_TEST(test_many_locks)
{
	enum { N = 200000 };
	uint64_t *ids = calloc(N, sizeof *ids);
	ck_assert_ptr_nonnull(ids);
	for (size_t i = 0; i < N; i++) {
		ls_lock *l = ls_lock_get(ADDR(i), LS_KIND_MUTEX);
		ck_assert_ptr_nonnull(l);
		ids[i] = l->id;
		ck_assert_msg(i == 0 || ids[i] > ids[i - 1], "id %zu not new", i);
	}
	ck_assert_uint_eq(ls_lock_live_count(), N);
	for (size_t i = 0; i < N; i++) {
		ls_lock *l = ls_lock_find(ADDR(i));
		ck_assert_msg(l && l->id == ids[i], "lock %zu lost", i);
	}
	visited = 0;
	ls_lock_foreach(count_visit, NULL);
	ck_assert_uint_eq(visited, N);
	forgotten = 0;
	ck_assert_uint_eq(ls_lock_forget_range(ADDR(0), ADDR(N) - ADDR(0), count_forgotten), N);
	ck_assert_uint_eq(forgotten, N);
	ck_assert_uint_eq(ls_lock_live_count(), 0);
	ck_assert_ptr_null(ls_lock_find(ADDR(N / 2)));
	free(ids);
}
END_TEST

/* Forget and re-create many times at few addresses: tombstones do not
 * fill the table, and every life has its own id. */
START_TEST(test_churn)
{
	uint64_t last = 0;
	for (int round = 0; round < 20000; round++) {
		uintptr_t a = ADDR(round % 7);
		ls_lock *l = ls_lock_get(a, LS_KIND_MUTEX);
		ck_assert_ptr_nonnull(l);
		ck_assert_uint_gt(l->id, last);
		last = l->id;
		ck_assert_ptr_eq(ls_lock_forget(a), l);
		ls_lock_retire(l);
	}
	ck_assert_uint_eq(ls_lock_live_count(), 0);
}
END_TEST

static Suite *lock_table_suite(void)
{
	Suite *s = suite_create("lock_table");
	TCase *tc = tcase_create("table");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_find);
	tcase_add_test(tc, test_forget_starts_a_new_life);
	tcase_add_test(tc, test_forget_range);
	tcase_add_test(tc, test_forget_large_range);
	tcase_add_test(tc, test_many_locks);
	tcase_add_test(tc, test_churn);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(lock_table_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
