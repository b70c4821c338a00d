/* Unit tests of lib/python/linetable.c: CPython 3.11+ location tables.
 *
 * The real tables below are co_linetable of one function (loops, a
 * multi-line expression, blank lines, try/except, a nested function, a
 * comprehension) as CPython 3.11 and 3.12 compiled it, and the line of
 * every code unit as CPython's own co_lines() gives it (-1: no line), from
 * this source, first line 2:
 *
 *	def sample(n):
 *	    total = 0
 *	    for i in range(n):
 *	        if i % 3 == 0:
 *	            total += i
 *
 *
 *	        elif i % 5 == 0:
 *	            total -= (i *
 *	                      2)
 *	    try:
 *	        x = 1 / n
 *	    except ZeroDivisionError:
 *	        x = 0
 *	    def inner():
 *	        return total
 *	    return [y for y in range(3)], inner, x
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "python/linetable.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 3.11.2: co_linetable of a function 'sample' (firstlineno 2) */
static const uint8_t table_311[] = {
	0xf8, 0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c,
	0x58, 0xf0, 0x00, 0x07, 0x05, 0x19, 0xf0, 0x00, 0x07, 0x05, 0x19, 0x88, 0x01, 0xd8, 0x0b, 0x0c,
	0x88, 0x71, 0x89, 0x35, 0x90, 0x41, 0x8a, 0x3a, 0x88, 0x3a, 0xd8, 0x0c, 0x11, 0x90, 0x51, 0x89,
	0x4a, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x06, 0x00, 0x0e, 0x0f, 0x90, 0x11, 0x89, 0x55, 0x90, 0x61,
	0x8a, 0x5a, 0x88, 0x5a, 0xd8, 0x0c, 0x11, 0x90, 0x61, 0xd8, 0x16, 0x17, 0xf1, 0x03, 0x01, 0x17,
	0x18, 0xf1, 0x00, 0x01, 0x0d, 0x19, 0x88, 0x45, 0xf8, 0xf0, 0x04, 0x03, 0x05, 0x0e, 0xd8, 0x0c,
	0x0d, 0x90, 0x01, 0x89, 0x45, 0x88, 0x01, 0x88, 0x01, 0xf8, 0xdd, 0x0b, 0x1c, 0xf0, 0x00, 0x01,
	0x05, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x88,
	0x01, 0x88, 0x01, 0x88, 0x01, 0xf0, 0x03, 0x01, 0x05, 0x0e, 0xf8, 0xf8, 0xf8, 0xf0, 0x04, 0x01,
	0x05, 0x15, 0xf0, 0x00, 0x01, 0x05, 0x15, 0xf0, 0x00, 0x01, 0x05, 0x15, 0xf0, 0x00, 0x01, 0x05,
	0x15, 0xf0, 0x00, 0x01, 0x05, 0x15, 0xe0, 0x0b, 0x20, 0xd0, 0x0b, 0x20, 0x95, 0x75, 0x98, 0x51,
	0x91, 0x78, 0x94, 0x78, 0xd0, 0x0b, 0x20, 0xd1, 0x0b, 0x20, 0xd4, 0x0b, 0x20, 0xa0, 0x25, 0xa8,
	0x11, 0xd0, 0x0b, 0x2a, 0xd0, 0x04, 0x2a
};
static const int lines_311[] = {
	-1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6,
	6, 6, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 11, 10, 10, 10, 10, 10, -1, 12, 13, 13, 13, 13, 13, 13,
	-1, 14, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 14, -1, -1, -1, 16, 16, 16, 16, 16, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18
};
/* 3.12.1: co_linetable of a function 'sample' (firstlineno 2) */
static const uint8_t table_312[] = {
	0xf8, 0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdc, 0x0d, 0x12, 0x90, 0x31, 0x8b, 0x58, 0xf2,
	0x00, 0x07, 0x05, 0x19, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x89, 0x35, 0x90, 0x41, 0x8a,
	0x3a, 0xd8, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x89, 0x45, 0xf0, 0x06, 0x00, 0x0e, 0x0f, 0x90,
	0x11, 0x89, 0x55, 0x90, 0x61, 0x8b, 0x5a, 0xd8, 0x0c, 0x11, 0x90, 0x61, 0xd8, 0x16, 0x17, 0xf1,
	0x03, 0x01, 0x17, 0x18, 0xf1, 0x00, 0x01, 0x0d, 0x19, 0x89, 0x45, 0xf0, 0x0d, 0x07, 0x05, 0x19,
	0xf0, 0x10, 0x03, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x90, 0x01, 0x89, 0x45, 0x88, 0x01, 0xf4, 0x06,
	0x01, 0x05, 0x15, 0xe4, 0x17, 0x1c, 0x98, 0x51, 0x93, 0x78, 0xd6, 0x0b, 0x20, 0x90, 0x21, 0x8a,
	0x41, 0xd2, 0x0b, 0x20, 0xa0, 0x25, 0xa8, 0x11, 0xd0, 0x0b, 0x2a, 0xd0, 0x04, 0x2a, 0xf8, 0xf4,
	0x09, 0x00, 0x0c, 0x1d, 0xf2, 0x00, 0x01, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x8a, 0x01, 0xf0, 0x03,
	0x01, 0x05, 0x0e, 0xfc, 0xf2, 0x08, 0x00, 0x0c, 0x21
};
static const int lines_312[] = {
	-1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 9,
	9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 11, 10, 10, 10, 10, 10, 10, 4, 12, 13, 13, 13, 13, 13, 16, 16, 16,
	16, 16, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, -1, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 14, -1, -1, -1, -1, -1, 18,
	18, 18
};

/* Every code unit of a real table, the whole table at once. */
static void check_whole(const uint8_t *table, size_t len, const int *lines, size_t units)
{
	for (uint32_t u = 0; u < units; u++)
		ck_assert_msg(ls_py_line_for(table, len, 2, u) == lines[u], "unit %u: got %d, CPython says %d", u,
			      ls_py_line_for(table, len, 2, u), lines[u]);
	/* past the end of the code: no line */
	ck_assert_int_eq(ls_py_line_for(table, len, 2, (uint32_t)units + 5), LS_PY_LINE_NONE);
}

START_TEST(test_cpython_311_table)
{
	check_whole(table_311, sizeof table_311, lines_311, N(lines_311));
}
END_TEST

START_TEST(test_cpython_312_table)
{
	check_whole(table_312, sizeof table_312, lines_312, N(lines_312));
}
END_TEST

/* Fed in chunks of every size from 1 to 9 bytes, as a signal handler reads
 * it: the same answers. */
START_TEST(test_chunked_feeding)
{
	for (size_t chunk = 1; chunk <= 9; chunk++)
		for (uint32_t u = 0; u < N(lines_311); u++) {
			ls_py_linescan s;
			ls_py_linescan_start(&s, 2, u);
			size_t done = 0;
			while (s.answer == LS_PY_LINE_PENDING && done < sizeof table_311) {
				/* the next chunk always starts where the last entry ended */
				size_t want = sizeof table_311 - done < chunk ? sizeof table_311 - done : chunk;
				size_t used;
				for (;;) {
					used = ls_py_linescan_feed(&s, table_311 + done, want, done + want == sizeof table_311);
					if (used || s.answer != LS_PY_LINE_PENDING || done + want == sizeof table_311)
						break;
					want++; /* an entry longer than the chunk: read more */
				}
				done += used;
			}
			ck_assert_msg(s.answer == lines_311[u], "chunk %zu unit %u: got %d, want %d", chunk, u, s.answer,
				      lines_311[u]);
		}
}
END_TEST

/* Hand-made entries: each kind, a negative delta, a multi-byte varint. */
START_TEST(test_entry_kinds)
{
	static const uint8_t t[] = {
		0x80 | 14 << 3 | 1, 0x0a, 0x00, 0x01, 0x05, /* long: +5 (zigzag 10), 2 units -> line 15 */
		0x80 | 12 << 3 | 0, 0x00, 0x04,             /* one-line +2, 1 unit -> 17 */
		0x80 | 3 << 3 | 2, 0x07,                     /* short (same line), 3 units -> 17 */
		0x80 | 13 << 3 | 0, 0x07,                    /* no columns: -3 (zigzag 7) -> 14 */
		0x80 | 15 << 3 | 1,                          /* no location, 2 units */
		0x80 | 13 << 3 | 0, 0x40 | 0x08, 0x01,       /* no columns: +36 (varint 8 + 1<<6 = 72) -> 50 */
	};
	static const int want[] = { 15, 15, 17, 17, 17, 17, 14, -1, -1, 50 };
	for (uint32_t u = 0; u < N(want); u++)
		ck_assert_msg(ls_py_line_for(t, sizeof t, 10, u) == want[u], "unit %u: got %d, want %d", u,
			      ls_py_line_for(t, sizeof t, 10, u), want[u]);
}
END_TEST

START_TEST(test_corrupt_tables)
{
	static const uint8_t not_an_entry[] = { 0x05, 0x80 };
	ck_assert_int_eq(ls_py_line_for(not_an_entry, sizeof not_an_entry, 1, 0), LS_PY_LINE_NONE);
	ck_assert_int_eq(ls_py_line_for(NULL, 0, 1, 0), LS_PY_LINE_NONE);
	/* a varint that never ends stays within the entry */
	static const uint8_t endless[] = { 0x80 | 13 << 3, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f };
	ls_py_line_for(endless, sizeof endless, 1, 0);
	/* an incomplete entry at the end of a chunk waits for the next one */
	ls_py_linescan s;
	ls_py_linescan_start(&s, 1, 3);
	static const uint8_t two[] = { 0x80 | 12 << 3 | 1, 0x00, 0x04, 0x80 | 13 << 3 | 1, 0x02 };
	ck_assert_uint_eq(ls_py_linescan_feed(&s, two, 4, false), 3);
	ck_assert_int_eq(s.answer, LS_PY_LINE_PENDING);
	ck_assert_uint_eq(ls_py_linescan_feed(&s, two + 3, 2, true), 2);
	ck_assert_int_eq(s.answer, 4); /* 1 + 2 + 1 */
}
END_TEST

static Suite *linetable_suite(void)
{
	Suite *s = suite_create("python/linetable");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_cpython_311_table);
	tcase_add_test(tc, test_cpython_312_table);
	tcase_add_test(tc, test_chunked_feeding);
	tcase_add_test(tc, test_entry_kinds);
	tcase_add_test(tc, test_corrupt_tables);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(linetable_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}
