/* sort.c — public entry points of the lockscope sort and the engine's
 * shared primitives; the engine itself is instantiated here once per
 * element kind from sort_engine.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sort/sort_internal.h"

#ifdef LOCKSCOPE_EXPORTS
#define LS_SORT_API __attribute__((visibility("default")))
#else
#define LS_SORT_API
#endif

void *(*ls_sort_malloc)(size_t) = malloc;

void ls_sort_state_init(struct ls_sort_state *st, void *base, size_t n, size_t size)
{
	st->base = base;
	st->n = n;
	st->size = size;
	st->cmp = NULL;
	st->cmp_r = NULL;
	st->arg = NULL;
	st->min_gallop = LS_SORT_MIN_GALLOP;
	st->tmp = st->inline_tmp;
	st->tmp_bytes = sizeof st->inline_tmp;
	st->nruns = 0;
	st->stats = NULL;
	st->merge_style = LS_MERGE_SELECT;
}

/* A user-space address: on a 64-bit system at or above 4 GiB (PIE
 * executables, their heap, mmap regions, stacks) and below 2^48, or within
 * 4 GiB of the array itself (a non-PIE heap); on a 32-bit one within
 * 256 MiB of the array.  Integer keys and the bit patterns of doubles rarely
 * fall there 12 times out of 16. */
static bool looks_like_pointer(uintptr_t word, uintptr_t array)
{
	uintptr_t distance = word > array ? word - array : array - word;
#if UINTPTR_MAX > 0xffffffffu
	const uintptr_t four_gib = (uintptr_t)1 << 32;
	return (word >= four_gib && word >> 48 == 0) || distance < four_gib;
#else
	return distance < (uintptr_t)1 << 28;
#endif
}

enum ls_merge_style ls_sort_style_for_elements(const struct ls_sort_state *st)
{
	unsigned pointer_like = 0, sampled = 0;
	if (st->size < sizeof(uintptr_t))
		return LS_MERGE_SELECT;
	for (size_t i = 0; i < LS_SORT_POINTER_SAMPLE && i < st->n; i++, sampled++) {
		uintptr_t word;
		size_t at = st->n <= LS_SORT_POINTER_SAMPLE ? i : i * (st->n / LS_SORT_POINTER_SAMPLE);
		memcpy(&word, st->base + at * st->size, sizeof word);
		pointer_like += looks_like_pointer(word, (uintptr_t)st->base);
	}
	/* The quorum scales down for arrays shorter than the sample. */
	return pointer_like * LS_SORT_POINTER_SAMPLE >= LS_SORT_POINTER_QUORUM * sampled ? LS_MERGE_BRANCH
											 : LS_MERGE_SELECT;
}

void ls_sort_state_release(struct ls_sort_state *st)
{
	if (st->tmp != st->inline_tmp)
		free(st->tmp);
	st->tmp = st->inline_tmp;
	st->tmp_bytes = sizeof st->inline_tmp;
}

bool ls_sort_reserve_tmp(struct ls_sort_state *st, size_t bytes)
{
	char *grown;
	if (bytes <= st->tmp_bytes)
		return true;
	/* The old contents are dead between merges: free first, so peak use
	 * stays at one buffer. */
	ls_sort_state_release(st);
	grown = ls_sort_malloc(bytes);
	if (!grown)
		return false;
	st->tmp = grown;
	st->tmp_bytes = bytes;
	return true;
}

size_t ls_sort_minrun(size_t n)
{
	size_t low_bits = 0;
	while (n >= 64) {
		low_bits |= n & 1;
		n >>= 1;
	}
	return n + low_bits;
}

/* The boundary's power is the first binary digit where the midpoints of the
 * two runs, as fractions of n, differ.  Each midpoint is kept as a remainder
 * r/n in [0, 1) and doubled digit by digit; 2r+h >= n is tested as
 * r + h >= n - r so no intermediate value exceeds n. */
unsigned ls_sort_node_power(size_t s1, size_t n1, size_t n2, size_t n)
{
	size_t ra = s1 + n1 / 2, rb = s1 + n1 + n2 / 2;
	unsigned ha = n1 & 1, hb = n2 & 1, power = 0;
	for (;;) {
		bool da = ra + ha >= n - ra, db = rb + hb >= n - rb;
		power++;
		if (da != db)
			return power;
		ra = da ? ra - (n - ra - ha) : 2 * ra + ha;
		rb = db ? rb - (n - rb - hb) : 2 * rb + hb;
		ha = hb = 0;
	}
}

void ls_sort_swap_bytes(char *a, char *b, size_t len)
{
	char hold[256];
	while (len > 0) {
		size_t chunk = len < sizeof hold ? len : sizeof hold;
		memcpy(hold, a, chunk);
		memcpy(a, b, chunk);
		memcpy(b, hold, chunk);
		a += chunk, b += chunk, len -= chunk;
	}
}

void ls_sort_rotate(struct ls_sort_state *st, char *p, size_t left, size_t right)
{
	/* Only called outside merges, so the merge buffer is free scratch. */
	char *scratch = st->tmp;
	if (left == 0 || right == 0)
		return;
	if (right <= st->tmp_bytes) {
		memcpy(scratch, p + left, right);
		memmove(p + right, p, left);
		memcpy(p, scratch, right);
		return;
	}
	if (left <= st->tmp_bytes) {
		memcpy(scratch, p, left);
		memmove(p, p + left, right);
		memcpy(p + right, scratch, left);
		return;
	}
	/* Block swaps (Gries-Mills): linear, no memory. */
	while (left && right) {
		if (left <= right) {
			ls_sort_swap_bytes(p, p + left, left);
			p += left;
			right -= left;
		} else {
			ls_sort_swap_bytes(p + left - right, p + left, right);
			left -= right;
		}
	}
}

void ls_sort_note_run(struct ls_sort_state *st, size_t len)
{
	st->stats->runs++;
	st->stats->nH += (double)len * log2((double)st->n / (double)len);
}

/* ---- engine instances ---------------------------------------------- */

static inline int64_t load_i64(const void *p)
{
	int64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t load_u64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline double load_f64(const void *p)
{
	double v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline const char *load_str(const void *p)
{
	const char *v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* NaNs after all numbers, equal among themselves.  Bitwise, not
 * short-circuit, operators: no branch. */
static inline bool f64_less(double x, double y)
{
	return (x < y) | (isnan(y) & !isnan(x));
}

#define SORT_CHEAP_LESS 0
#define SORT_MERGE_STYLE LS_MERGE_BY_ELEMENTS
#define SORT_SUFFIX any
#define SORT_ES(st) ((st)->size)
#define SORT_LESS(st, a, b) ls_sort_cmp_less(st, a, b)
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_ES

#define SORT_SUFFIX w4
#define SORT_ES(st) ((size_t)4)
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_ES

#define SORT_SUFFIX w8
#define SORT_ES(st) ((size_t)8)
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS

/* 8-byte elements with a qsort-style comparator, the commonest call:
 * no per-comparison test of which comparator kind is set. */
#define SORT_SUFFIX w8_plain
#define SORT_LESS(st, a, b) ((st)->cmp(a, b) < 0)
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS

#undef SORT_CHEAP_LESS
#undef SORT_MERGE_STYLE
#define SORT_CHEAP_LESS 1
#define SORT_MERGE_STYLE LS_MERGE_SELECT
#define SORT_SUFFIX i64
#define SORT_LESS(st, a, b) (load_i64(a) < load_i64(b))
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS

#define SORT_SUFFIX u64
#define SORT_LESS(st, a, b) (load_u64(a) < load_u64(b))
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS

#define SORT_SUFFIX f64
#define SORT_LESS(st, a, b) f64_less(load_f64(a), load_f64(b))
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS

#undef SORT_CHEAP_LESS
#undef SORT_MERGE_STYLE
#define SORT_CHEAP_LESS 0
/* Each comparison dereferences two pointers into scattered strings. */
#define SORT_MERGE_STYLE LS_MERGE_BRANCH
#define SORT_SUFFIX str
#define SORT_LESS(st, a, b) (strcmp(load_str(a), load_str(b)) < 0)
#include "sort/sort_engine.h"
#undef SORT_SUFFIX
#undef SORT_LESS
#undef SORT_ES
#undef SORT_CHEAP_LESS
#undef SORT_MERGE_STYLE

/* ---- public API ------------------------------------------------------ */

static bool sortable(size_t nmemb, size_t size)
{
	return nmemb >= 2 && size > 0 && nmemb <= SIZE_MAX / size;
}

/* Comparator sorts: pick the instance with a constant element size when
 * there is one. */
static void sort_with_comparator(struct ls_sort_state *st)
{
	if (st->size == 8 && st->cmp)
		ls_sort_engine_w8_plain(st);
	else if (st->size == 8)
		ls_sort_engine_w8(st);
	else if (st->size == 4)
		ls_sort_engine_w4(st);
	else
		ls_sort_engine_any(st);
	ls_sort_state_release(st);
}

LS_SORT_API void lockscope_sort(void *base, size_t nmemb, size_t size,
				int (*cmp)(const void *, const void *))
{
	struct ls_sort_state st;
	if (!sortable(nmemb, size))
		return;
	ls_sort_state_init(&st, base, nmemb, size);
	st.cmp = cmp;
	sort_with_comparator(&st);
}

LS_SORT_API void lockscope_sort_r(void *base, size_t nmemb, size_t size,
				  int (*cmp)(const void *, const void *, void *), void *arg)
{
	struct ls_sort_state st;
	if (!sortable(nmemb, size))
		return;
	ls_sort_state_init(&st, base, nmemb, size);
	st.cmp_r = cmp;
	st.arg = arg;
	sort_with_comparator(&st);
}

#define LS_TYPED_SORT(name, type, suffix)                                 \
	LS_SORT_API void name(type *base, size_t nmemb)                   \
	{                                                                 \
		struct ls_sort_state st;                                  \
		if (!sortable(nmemb, sizeof *base))                       \
			return;                                           \
		ls_sort_state_init(&st, base, nmemb, sizeof *base);       \
		ls_sort_engine_##suffix(&st);                             \
		ls_sort_state_release(&st);                               \
	}

LS_TYPED_SORT(lockscope_sort_i64, int64_t, i64)
LS_TYPED_SORT(lockscope_sort_u64, uint64_t, u64)
LS_TYPED_SORT(lockscope_sort_f64, double, f64)
LS_TYPED_SORT(lockscope_sort_str, char *, str)

/* Counting wraps the caller's comparator; the engine stays unaware. */
struct counting_cmp {
	int (*cmp)(const void *, const void *, void *);
	void *arg;
	uint64_t calls;
};

static int count_and_compare(const void *a, const void *b, void *arg)
{
	struct counting_cmp *c = arg;
	c->calls++;
	return c->cmp(a, b, c->arg);
}

LS_SORT_API void lockscope_sort_stats(void *base, size_t nmemb, size_t size,
				      int (*cmp)(const void *, const void *, void *), void *arg,
				      struct lockscope_sort_stats *stats)
{
	struct lockscope_sort_stats local = { 0 };
	struct counting_cmp counter = { cmp, arg, 0 };
	struct ls_sort_state st;

	if (sortable(nmemb, size)) {
		ls_sort_state_init(&st, base, nmemb, size);
		st.cmp_r = count_and_compare;
		st.arg = &counter;
		st.stats = &local;
		sort_with_comparator(&st);
	} else if (nmemb == 1) {
		local.runs = 1;
	}
	local.comparisons = counter.calls;
	if (stats)
		*stats = local;
}

LS_SORT_API void lockscope_sort_analyze(const void *base, size_t nmemb, size_t size,
					int (*cmp)(const void *, const void *, void *), void *arg,
					struct lockscope_sort_stats *stats)
{
	const char *p = base;
	struct lockscope_sort_stats local = { 0 };
	size_t lo = 0;

	if (size == 0 || nmemb > SIZE_MAX / size)
		nmemb = 0;
	while (lo < nmemb) {
		size_t len = 1;
		if (lo + 1 < nmemb) {
			/* Same run rule as count_run, without reversing. */
			bool descending = cmp(p + (lo + 1) * size, p + lo * size, arg) < 0;
			local.comparisons++;
			len = 2;
			while (lo + len < nmemb) {
				int c = cmp(p + (lo + len) * size, p + (lo + len - 1) * size, arg);
				local.comparisons++;
				if (descending ? c >= 0 : c < 0)
					break;
				len++;
			}
		}
		local.runs++;
		local.nH += (double)len * log2((double)nmemb / (double)len);
		lo += len;
	}
	if (stats)
		*stats = local;
}
