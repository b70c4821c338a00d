/* lockscope/sort.h — stable, run-adaptive sorting for C.
 *
 * Contract: every function here sorts in place, is stable (elements that
 * compare equal keep their input order), adapts to existing order (a sorted
 * or reverse-sorted input costs n-1 comparisons) and never reads or writes
 * outside [base, base + nmemb*size), even when the comparator is inconsistent
 * (then the result is some permutation of the input).  Temporary memory is at
 * most min(|A|,|B|) elements of the merge in progress; if it cannot be
 * allocated the sort stays stable and finishes with in-place merging.
 * The engine is Timsort (natural runs, galloping merges) with the Powersort
 * merge policy.  See lockscope_sort(3).
 */
#ifndef LOCKSCOPE_SORT_H
#define LOCKSCOPE_SORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Same signature and meaning as qsort(3), but stable. */
void lockscope_sort(void *base, size_t nmemb, size_t size,
		    int (*cmp)(const void *, const void *));

/* Same signature and meaning as glibc qsort_r(3), but stable. */
void lockscope_sort_r(void *base, size_t nmemb, size_t size,
		      int (*cmp)(const void *, const void *, void *), void *arg);

/* Typed paths: the comparison is inlined, no function call per comparison. */
void lockscope_sort_i64(int64_t *base, size_t nmemb);
void lockscope_sort_u64(uint64_t *base, size_t nmemb);
/* Ascending by '<'; -0.0 and +0.0 are equal; every NaN sorts after every
 * number, NaNs keep their input order among themselves. */
void lockscope_sort_f64(double *base, size_t nmemb);
/* Elements are pointers to NUL-terminated strings, ordered by strcmp(3). */
void lockscope_sort_str(char **base, size_t nmemb);

/* What a sort did, or what the analyser found. */
struct lockscope_sort_stats {
	uint64_t comparisons; /* calls of the comparator */
	uint64_t merge_cost;  /* sum over merges of |A|+|B| (before trimming) */
	uint64_t runs;        /* runs merged (natural runs, short ones extended to minrun) */
	double nH;            /* sum over those runs of len*log2(n/len) */
};

/* lockscope_sort_r that also fills *stats (stats may be NULL). */
void lockscope_sort_stats(void *base, size_t nmemb, size_t size,
			  int (*cmp)(const void *, const void *, void *), void *arg,
			  struct lockscope_sort_stats *stats);

/* Presortedness without sorting: splits the input into the natural runs the
 * sort would find (non-decreasing, or strictly decreasing), no minrun
 * extension, and fills comparisons, runs and nH; merge_cost is 0. */
void lockscope_sort_analyze(const void *base, size_t nmemb, size_t size,
			    int (*cmp)(const void *, const void *, void *), void *arg,
			    struct lockscope_sort_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
