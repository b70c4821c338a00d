/* sort_internal.h — private pieces of the lockscope sort engine.
 *
 * Contract: one `struct ls_sort_state` describes one sort in progress; the
 * engine (sort_engine.h, instantiated once per element kind in sort.c) only
 * touches the array through it.  The run stack has a fixed size proven
 * sufficient for Powersort (powers are at most the bit width of size_t and
 * strictly increase up the stack); push still checks it.  Temporary memory
 * comes from ls_sort_malloc, a hook tests replace to simulate failure.
 */
#ifndef LOCKSCOPE_SORT_INTERNAL_H
#define LOCKSCOPE_SORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockscope/sort.h"

#define LS_SORT_HIDDEN __attribute__((visibility("hidden")))

/* Powersort keeps at most one run per power level 1..bits(size_t) plus the
 * run being added. */
#define LS_SORT_MAX_RUNS (sizeof(size_t) * 8 + 2)
/* Merges of up to this many bytes of the smaller run need no malloc. */
#define LS_SORT_INLINE_TMP 2048
/* CPython's starting threshold for galloping. */
#define LS_SORT_MIN_GALLOP 7

struct ls_sort_run {
	size_t start;
	size_t len;
	unsigned power; /* of the boundary between this run and the next one */
};

/* How one-at-a-time merging chooses each winner: branch-free selects
 * (best when comparisons are cheap and their outcomes random), branches
 * (best when a comparison misses the cache: speculation overlaps the
 * misses), or decided per sort from the elements (comparator sorts):
 * branches when they look like pointers, since a comparator then most
 * likely follows them.  Never from a clock: the same input always takes
 * the same path. */
enum ls_merge_style { LS_MERGE_SELECT, LS_MERGE_BRANCH, LS_MERGE_BY_ELEMENTS };
/* Elements sampled by that decision, and how many must look like pointers. */
#define LS_SORT_POINTER_SAMPLE 16
#define LS_SORT_POINTER_QUORUM 12

struct ls_sort_state {
	char *base;
	size_t n;
	size_t size;
	/* Exactly one of cmp / cmp_r is set (comparator paths only). */
	int (*cmp)(const void *, const void *);
	int (*cmp_r)(const void *, const void *, void *);
	void *arg;
	size_t min_gallop;
	char *tmp;
	size_t tmp_bytes;
	size_t nruns;
	struct ls_sort_run stack[LS_SORT_MAX_RUNS];
	struct lockscope_sort_stats *stats; /* NULL unless counting */
	enum ls_merge_style merge_style; /* SELECT or BRANCH once sorting */
	_Alignas(16) char inline_tmp[LS_SORT_INLINE_TMP];
};

/* Allocation hook for the merge buffer (default: malloc). */
extern LS_SORT_HIDDEN void *(*ls_sort_malloc)(size_t);

LS_SORT_HIDDEN void ls_sort_state_init(struct ls_sort_state *st, void *base, size_t n, size_t size);
LS_SORT_HIDDEN void ls_sort_state_release(struct ls_sort_state *st);
/* Makes st->tmp hold at least `bytes`; false (and st->tmp still valid but
 * small) when memory is short. */
LS_SORT_HIDDEN bool ls_sort_reserve_tmp(struct ls_sort_state *st, size_t bytes);

/* Minimum run length for n elements: in [32, 64], so n/minrun is a power of
 * two or slightly less (balanced merges on random data). */
LS_SORT_HIDDEN size_t ls_sort_minrun(size_t n);
/* Powersort node power of the boundary between run [s1, s1+n1) and the run
 * [s1+n1, s1+n1+n2) in an array of n elements; exact for every size_t n. */
LS_SORT_HIDDEN unsigned ls_sort_node_power(size_t s1, size_t n1, size_t n2, size_t n);

/* Exchanges two non-overlapping byte ranges of equal length. */
LS_SORT_HIDDEN void ls_sort_swap_bytes(char *a, char *b, size_t len);
/* Turns [p, p+left) [p+left, p+left+right) into the second block followed
 * by the first, in place: through st->tmp when the smaller block fits,
 * else by block swaps.  Must not be called while a merge uses st->tmp. */
LS_SORT_HIDDEN void ls_sort_rotate(struct ls_sort_state *st, char *p, size_t left, size_t right);

/* Steps between tests of a merge's recent winners for a period. */
#define LS_SORT_PERIOD_CHECK 32

/* Smallest p in [2, 16] such that each of the last 32 outcomes in
 * `history` (newest in bit 0) repeats the one p steps earlier, else 0.
 * Such outcomes are what a branch predictor learns. */
static inline unsigned ls_sort_period(uint64_t history)
{
	for (unsigned p = 2; p <= 16; p++)
		if (((history ^ (history >> p)) & 0xffffffffu) == 0)
			return p;
	return 0;
}

/* The style for LS_MERGE_BY_ELEMENTS: BRANCH when at least
 * LS_SORT_POINTER_QUORUM of LS_SORT_POINTER_SAMPLE elements spread over the
 * array start with a pointer-like word, else SELECT. */
LS_SORT_HIDDEN enum ls_merge_style ls_sort_style_for_elements(const struct ls_sort_state *st);

/* Statistics bookkeeping (only called when st->stats is set). */
LS_SORT_HIDDEN void ls_sort_note_run(struct ls_sort_state *st, size_t len);

/* Comparator call for the generic paths. */
static inline bool ls_sort_cmp_less(const struct ls_sort_state *st, const void *a, const void *b)
{
	if (st->cmp)
		return st->cmp(a, b) < 0;
	return st->cmp_r(a, b, st->arg) < 0;
}

#endif
