/* sort_engine.h — the Timsort engine with the Powersort merge policy,
 * written once and instantiated per element kind.
 *
 * Contract: include after defining
 *   SORT_SUFFIX          suffix of the generated function names
 *   SORT_ES(st)          element size in bytes (a constant for typed kinds)
 *   SORT_LESS(st, a, b)  true when element *a orders strictly before *b
 *   SORT_CHEAP_LESS      1 when SORT_LESS is an inlined compare of loaded
 *                        values (no call), else 0
 *   SORT_MERGE_STYLE     how one-at-a-time merging picks winners:
 *                        LS_MERGE_SELECT, LS_MERGE_BRANCH or
 *                        LS_MERGE_BY_ELEMENTS
 * It defines `static void ls_sort_engine_SUFFIX(struct ls_sort_state *)`,
 * which sorts st->base stably.  Every index below is checked against counts
 * that only shrink, never against comparator answers, so an inconsistent
 * comparator yields a permutation and no out-of-bounds access.
 */
#include <string.h>

#include "sort/sort_internal.h"

#define LS_CAT2(a, b) a##_##b
#define LS_CAT(a, b) LS_CAT2(a, b)
#define SF(name) LS_CAT(name, SORT_SUFFIX)
#define ES SORT_ES(st)
#define LESS(a, b) SORT_LESS(st, (a), (b))
#define AT(p, i) ((p) + (size_t)(i) * ES)

/* Moves the element at src down to dst (dst < src), shifting the elements
 * in between up by one. */
static inline void SF(shift_into)(struct ls_sort_state *st, char *dst, char *src)
{
	if (ES <= 16) {
		/* Short distances (insertion into a run of at most 64): an
		 * inline loop beats a memmove call. */
		char hold[16];
		memcpy(hold, src, ES);
		for (char *q = src; q != dst; q -= ES)
			memcpy(q, q - ES, ES);
		memcpy(dst, hold, ES);
	} else if (ES <= 64) {
		char hold[64];
		memcpy(hold, src, ES);
		memmove(dst + ES, dst, (size_t)(src - dst));
		memcpy(dst, hold, ES);
	} else {
		ls_sort_rotate(st, dst, (size_t)(src - dst), ES);
	}
}

static inline void SF(swap)(struct ls_sort_state *st, char *a, char *b)
{
	if (ES <= 64) {
		char hold[64];
		memcpy(hold, a, ES);
		memcpy(a, b, ES);
		memcpy(b, hold, ES);
	} else {
		ls_sort_swap_bytes(a, b, ES);
	}
}

static void SF(reverse)(struct ls_sort_state *st, char *p, size_t n)
{
	for (size_t i = 0, j = n - 1; i < j; i++, j--)
		SF(swap)(st, AT(p, i), AT(p, j));
}

/* Does element k (k >= 1) continue the run: strictly below element k-1
 * in a descending run, not below it in an ascending one? */
static inline __attribute__((always_inline)) bool SF(continues_run)(struct ls_sort_state *st, char *p, size_t k,
								   bool descending)
{
	return LESS(AT(p, k), AT(p, k - 1)) == descending;
}

/* End of the run p[0, k) extended while elements continue it, k < n.
 * Unrolled by four with an exit after each comparison: the same
 * comparisons as one at a time, a quarter of the loop branches (long runs
 * cost little more than their comparator calls). */
static inline __attribute__((always_inline)) size_t SF(extend_run)(struct ls_sort_state *st, char *p, size_t k,
								  size_t n, bool descending)
{
	for (; n - k >= 4; k += 4) {
		if (!SF(continues_run)(st, p, k, descending))
			return k;
		if (!SF(continues_run)(st, p, k + 1, descending))
			return k + 1;
		if (!SF(continues_run)(st, p, k + 2, descending))
			return k + 2;
		if (!SF(continues_run)(st, p, k + 3, descending))
			return k + 3;
	}
	while (k < n && SF(continues_run)(st, p, k, descending))
		k++;
	return k;
}

/* Length of the run starting at p (n >= 1 elements available): the longest
 * non-decreasing prefix, or the longest strictly decreasing one, which is
 * reversed in place (strictness keeps this stable). */
static size_t SF(count_run)(struct ls_sort_state *st, char *p, size_t n)
{
	size_t k;
	if (n < 2)
		return n;
	if (LESS(AT(p, 1), p)) {
		k = SF(extend_run)(st, p, 2, n, true);
		SF(reverse)(st, p, k);
	} else {
		k = SF(extend_run)(st, p, 2, n, false);
	}
	return k;
}

/* p[0, sorted) is sorted; inserts p[sorted, n) one by one, each after the
 * elements equal to it.  With an inlined comparison on small elements a
 * linear scan (pipelined, one unpredictable exit) beats bisection (a chain
 * of dependent loads); the result is the same, only the number of
 * comparisons differs, which no caller of a typed path can observe.  A
 * comparator is called the minimum number of times: bisection. */
static void SF(binary_insertion)(struct ls_sort_state *st, char *p, size_t sorted, size_t n)
{
#if SORT_CHEAP_LESS
	if (ES <= 16) {
		for (size_t i = sorted; i < n; i++) {
			char hold[16], *q = AT(p, i);
			memcpy(hold, q, ES);
			for (; q != p && LESS(hold, q - ES); q -= ES)
				memcpy(q, q - ES, ES);
			memcpy(q, hold, ES);
		}
		return;
	}
#endif
	for (size_t i = sorted; i < n; i++) {
		char *pivot = AT(p, i);
		size_t lo = 0, hi = i;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			/* A branch, not a select: when comparisons miss the
			 * cache, speculation overlaps the misses. */
			if (LESS(pivot, AT(p, mid)))
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo < i)
			SF(shift_into)(st, AT(p, lo), pivot);
	}
}

/* Does element e go before key?  right=false: e < key (count of elements
 * less than key, "gallop left"); right=true: e <= key ("gallop right"). */
static inline bool SF(goes_before)(struct ls_sort_state *st, const char *e, const char *key, bool right)
{
	return right ? !LESS(key, e) : LESS(e, key);
}

/* Number of elements of sorted a[0, n) that go before key, searching
 * exponentially outwards from a[hint] and then by bisection.  The result is
 * in [0, n] whatever the comparator answers. */
static inline size_t SF(gallop)(struct ls_sort_state *st, const char *key, char *a, size_t n,
				size_t hint, bool right)
{
	size_t lo, hi, ofs = 1, last = 0;
	if (SF(goes_before)(st, AT(a, hint), key, right)) {
		size_t maxofs = n - hint;
		while (ofs < maxofs && SF(goes_before)(st, AT(a, hint + ofs), key, right)) {
			last = ofs;
			ofs = ofs > maxofs / 2 ? maxofs : 2 * ofs + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		lo = hint + last + 1;
		hi = hint + ofs;
	} else {
		size_t maxofs = hint + 1;
		while (ofs < maxofs && !SF(goes_before)(st, AT(a, hint - ofs), key, right)) {
			last = ofs;
			ofs = ofs > maxofs / 2 ? maxofs : 2 * ofs + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		lo = hint + 1 - ofs;
		hi = hint - last;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (SF(goes_before)(st, AT(a, mid), key, right))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t SF(gallop_left)(struct ls_sort_state *st, const char *key, char *a, size_t n, size_t hint)
{
	return SF(gallop)(st, key, a, n, hint, false);
}

static size_t SF(gallop_right)(struct ls_sort_state *st, const char *key, char *a, size_t n, size_t hint)
{
	return SF(gallop)(st, key, a, n, hint, true);
}

/* Stable merge of adjacent sorted a[0, na) and b = a + na*ES [0, nb)
 * without extra memory: split the longer side at its middle, find the
 * split point of the other side by bisection, rotate, recurse on the smaller
 * half and loop on the larger.  O((na+nb) log) moves; the fallback when the
 * merge buffer cannot be allocated. */
static void SF(merge_in_place)(struct ls_sort_state *st, char *a, size_t na, size_t nb)
{
	while (na > 0 && nb > 0) {
		char *b = AT(a, na);
		size_t ia, jb;
		if (na + nb == 2) {
			if (LESS(b, a))
				SF(swap)(st, a, b);
			return;
		}
		if (na >= nb) {
			ia = na / 2;
			jb = SF(gallop_left)(st, AT(a, ia), b, nb, 0);
		} else {
			jb = nb / 2;
			ia = SF(gallop_right)(st, AT(b, jb), a, na, 0);
		}
		ls_sort_rotate(st, AT(a, ia), (na - ia) * ES, jb * ES);
		/* Now a = A[0,ia) B[0,jb) | A[ia,na) B[jb,nb). */
		char *right = AT(a, ia + jb);
		size_t rna = na - ia, rnb = nb - jb;
		if (ia + jb <= rna + rnb) {
			SF(merge_in_place)(st, a, ia, jb);
			a = right;
			na = rna;
			nb = rnb;
		} else {
			SF(merge_in_place)(st, right, rna, rnb);
			na = ia;
			nb = jb;
		}
	}
}

/* mask is all ones or zero: x or y, chosen without a branch (compilers
 * turn a ?: on an unpredictable comparison back into a jump). */
static inline const char *SF(pick)(size_t mask, const char *x, const char *y)
{
	return (const char *)(((uintptr_t)x & mask) | ((uintptr_t)y & ~mask));
}

/* One step of a strict alternation of winners: compares LESS(*left,
 * *right); if the outcome is `expect`, moves the winner (the left candidate
 * on a true outcome when true_moves_left, else the right one) to *dest and
 * advances both by `step` bytes (negative: filling right to left). */
static inline __attribute__((always_inline)) bool SF(alternation_step)(struct ls_sort_state *st, char **left,
								     char **right, char **dest, ptrdiff_t step,
								     bool true_moves_left, bool expect)
{
	char **winner;
	if (LESS(*left, *right) != expect)
		return false;
	winner = expect == true_moves_left ? left : right;
	memcpy(*dest, *winner, ES);
	*winner += step;
	*dest += step;
	return true;
}

/* Two interleaved sequences (the halves of a pipe organ) make the winners
 * alternate strictly for long stretches.  This loop only confirms the
 * expected winner at each step: no streak counts, no history, both
 * outcomes of a pair known at compile time.  Steps alternate starting with
 * the outcome `first`, at most 2*pairs of them (the caller's bounds keep
 * every exit of its own loop out of reach).  Returns the steps done and
 * sets *surprise when it stopped at a comparison that broke the pattern:
 * that comparison's outcome is the opposite of the one expected, already
 * made, and must not be repeated. */
static inline __attribute__((always_inline)) size_t SF(alternate)(struct ls_sort_state *st, char **left, char **right,
								  char **dest, ptrdiff_t step, bool true_moves_left,
								  bool first, size_t pairs, bool *surprise)
{
	size_t steps = 0;
	*surprise = true;
	for (; pairs > 0; pairs--, steps += 2) {
		if (!SF(alternation_step)(st, left, right, dest, step, true_moves_left, first))
			return steps;
		if (!SF(alternation_step)(st, left, right, dest, step, true_moves_left, !first)) {
			steps++;
			return steps;
		}
	}
	*surprise = false;
	return steps;
}

/* Steps of an alternation starting with outcome `first` that had outcome
 * true. */
static inline size_t SF(true_steps)(size_t steps, bool first)
{
	return first ? (steps + 1) / 2 : steps / 2;
}

/* Winner history of an alternation whose newest outcome is `last`. */
static inline uint64_t SF(alternation_history)(bool last)
{
	return last ? UINT64_C(0x5555555555555555) : UINT64_C(0xaaaaaaaaaaaaaaaa);
}

/* Steps of a select block: a power of two up to 64, the history width. */
#define LS_SORT_BLOCK 32

/* LS_SORT_BLOCK steps of branch-free merging with no exit test inside (the
 * caller leaves both sides more than a block): compares LESS(*left,
 * *right), moves the winner (left on a true outcome when true_moves_left,
 * else right) to *dest, advances by `step` bytes, and shifts each outcome
 * into *history.  Only for inlined comparisons, whose count nobody sees:
 * a comparator's calls are counted exactly by the one-step loops. */
static inline __attribute__((always_inline)) void SF(select_block)(struct ls_sort_state *st, char **left,
								  char **right, char **dest, ptrdiff_t step,
								  bool true_moves_left, uint64_t *history)
{
	char *l = *left, *r = *right, *d = *dest;
	uint64_t h = *history;
	for (unsigned i = 0; i < LS_SORT_BLOCK; i++) {
		size_t t = LESS(l, r), mask = -t;
		ptrdiff_t true_step = (ptrdiff_t)t * step, false_step = step - true_step;
		memcpy(d, true_moves_left ? SF(pick)(mask, l, r) : SF(pick)(mask, r, l), ES);
		d += step;
		l += true_moves_left ? true_step : false_step;
		r += true_moves_left ? false_step : true_step;
		h = h << 1 | t;
	}
	*left = l, *right = r, *dest = d, *history = h;
}

/* Length of the newest streak of equal outcomes in a history. */
static inline size_t SF(streak)(uint64_t history)
{
	uint64_t others = history & 1 ? ~history : history;
	return others ? (size_t)__builtin_ctzll(others) : 64;
}

/* Merge with na <= nb: A goes to the buffer, the merge fills from the left.
 * Preconditions from trimming: B[0] < A[0] and A[na-1] > B[nb-1]; with a
 * consistent comparator that makes the unconditional first/last moves
 * right, without one they still move each element exactly once. */
static void SF(merge_lo)(struct ls_sort_state *st, char *a, size_t na, char *b, size_t nb, bool select)
{
	char *pa = st->tmp, *pb = b, *dest = a;
	size_t min_gallop = st->min_gallop, until_check = LS_SORT_PERIOD_CHECK;
	uint64_t history = 0; /* winners, newest in bit 0: 1 = B in merge_lo, A in merge_hi */
	unsigned period;

	memcpy(st->tmp, a, na * ES);
	memcpy(dest, pb, ES);
	dest += ES, pb += ES, nb--;
	if (nb == 0)
		goto done;
	if (na == 1)
		goto last_a;
	for (;;) {
		size_t acount = 0, bcount = 0;
		/* One element at a time until one side keeps winning.  When
		 * the winners look random the winner is selected without a
		 * branch (half the branches would mispredict); when they repeat
		 * with a short period (interleaved inputs), a branch that the
		 * CPU predicts is faster, so every LS_SORT_PERIOD_CHECK steps
		 * the recent winners are tested for a period.  One of the counts
		 * is always 0, so their OR is the current streak.  Without
		 * `select` only the branchy loop runs (period 0: no exit). */
		if (!select) {
			period = 0;
			goto branchy;
		}
#if SORT_CHEAP_LESS
		/* Whole blocks while both sides are long; streaks and periods
		 * are looked at between blocks. */
		while (nb > LS_SORT_BLOCK && na > LS_SORT_BLOCK + 1) {
			size_t took_b;
			SF(select_block)(st, &pb, &pa, &dest, (ptrdiff_t)ES, true, &history);
			took_b = (size_t)__builtin_popcountll(history & (UINT64_MAX >> (64 - LS_SORT_BLOCK)));
			nb -= took_b;
			na -= LS_SORT_BLOCK - took_b;
			bcount = history & 1 ? SF(streak)(history) : 0;
			acount = history & 1 ? 0 : SF(streak)(history);
			if ((acount | bcount) >= min_gallop)
				goto gallop;
			if ((period = ls_sort_period(history)))
				goto branchy;
		}
#endif
		for (;;) {
			/* Advancing by take_b * ES keeps the loop-carried chain
			 * at compare, multiply-add, load. */
			size_t take_b = LESS(pb, pa), b_mask = -take_b;
			memcpy(dest, SF(pick)(b_mask, pb, pa), ES);
			dest += ES;
			pb += take_b * ES;
			pa += (take_b ^ 1) * ES;
			nb -= take_b;
			na -= take_b ^ 1;
			bcount = (bcount + 1) & b_mask;
			acount = (acount + 1) & ~b_mask;
			history = history << 1 | take_b;
			if (nb == 0)
				goto done;
			if (na == 1)
				goto last_a;
			if ((acount | bcount) >= min_gallop)
				break;
			if (--until_check == 0 && (until_check = LS_SORT_PERIOD_CHECK, period = ls_sort_period(history))) {
branchy:
				for (;;) {
					bool won_b = LESS(pb, pa), predicted;
decided:
					predicted = period && (history >> (period - 1) & 1);
					if (won_b) {
						memcpy(dest, pb, ES);
						dest += ES, pb += ES, nb--;
						if (nb == 0)
							goto done;
						acount = 0;
						if (++bcount >= min_gallop)
							goto gallop;
					} else {
						memcpy(dest, pa, ES);
						dest += ES, pa += ES, na--;
						if (na == 1)
							goto last_a;
						bcount = 0;
						if (++acount >= min_gallop)
							goto gallop;
					}
					history = history << 1 | won_b;
					if (period && won_b != predicted)
						break;
					if (period == 2 && min_gallop > 1) {
						/* Keeps nb >= 1, na >= 2, streaks at 1. */
						size_t pairs = nb - 1 < na - 2 ? nb - 1 : na - 2, steps, took_b;
						bool first = !won_b, surprise;
						steps = first ? SF(alternate)(st, &pb, &pa, &dest, (ptrdiff_t)ES, true, true, pairs, &surprise)
							      : SF(alternate)(st, &pb, &pa, &dest, (ptrdiff_t)ES, true, false, pairs, &surprise);
						took_b = SF(true_steps)(steps, first);
						nb -= took_b;
						na -= steps - took_b;
						if (steps) {
							won_b = steps % 2 ? first : !first;
							history = SF(alternation_history)(won_b);
							bcount = won_b;
							acount = !won_b;
						}
						if (surprise) {
							won_b = !(steps % 2 ? !first : first);
							goto decided;
						}
					}
				}
			}
		}
gallop:
		/* Galloping: copy whole stretches while they stay long; the
		 * threshold drops while galloping pays and rises when it stops. */
		min_gallop++;
		do {
			size_t k;
			min_gallop -= min_gallop > 1;
			k = SF(gallop_right)(st, pb, pa, na, 0);
			acount = k;
			if (k) {
				memcpy(dest, pa, k * ES);
				dest += k * ES, pa += k * ES, na -= k;
				if (na == 1)
					goto last_a;
				if (na == 0) /* only with an inconsistent comparator */
					goto done;
			}
			memcpy(dest, pb, ES);
			dest += ES, pb += ES, nb--;
			if (nb == 0)
				goto done;
			k = SF(gallop_left)(st, pa, pb, nb, 0);
			bcount = k;
			if (k) {
				memmove(dest, pb, k * ES);
				dest += k * ES, pb += k * ES, nb -= k;
				if (nb == 0)
					goto done;
			}
			memcpy(dest, pa, ES);
			dest += ES, pa += ES, na--;
			if (na == 1)
				goto last_a;
		} while (acount >= LS_SORT_MIN_GALLOP || bcount >= LS_SORT_MIN_GALLOP);
		min_gallop++;
	}
done:
	if (na)
		memcpy(dest, pa, na * ES);
	st->min_gallop = min_gallop;
	return;
last_a:
	/* The last element of A belongs after the rest of B. */
	memmove(dest, pb, nb * ES);
	memcpy(AT(dest, nb), pa, ES);
	st->min_gallop = min_gallop;
}

/* Merge with na > nb: B goes to the buffer, the merge fills from the right.
 * Positions are derived from the remaining counts: A's rest is a[0, na),
 * B's rest is tmp[0, nb), the next free slot is a[na + nb - 1]. */
static void SF(merge_hi)(struct ls_sort_state *st, char *a, size_t na, char *b, size_t nb, bool select)
{
	char *tmp = st->tmp;
	size_t min_gallop = st->min_gallop, until_check = LS_SORT_PERIOD_CHECK;
	uint64_t history = 0; /* winners, newest in bit 0: 1 = B in merge_lo, A in merge_hi */
	unsigned period;

	memcpy(tmp, b, nb * ES);
	memcpy(AT(a, na + nb - 1), AT(a, na - 1), ES);
	na--;
	if (na == 0)
		goto done;
	if (nb == 1)
		goto first_b;
	for (;;) {
		size_t acount = 0, bcount = 0;
		/* As in merge_lo: selects for random winners, predicted
		 * branches for periodic ones or when not `select`. */
		if (!select) {
			period = 0;
			goto branchy;
		}
#if SORT_CHEAP_LESS
		/* As in merge_lo: whole blocks while both sides are long. */
		while (na > LS_SORT_BLOCK && nb > LS_SORT_BLOCK + 1) {
			char *pb = AT(tmp, nb - 1), *pa = AT(a, na - 1), *dest = AT(a, na + nb - 1);
			size_t took_a;
			SF(select_block)(st, &pb, &pa, &dest, -(ptrdiff_t)ES, false, &history);
			took_a = (size_t)__builtin_popcountll(history & (UINT64_MAX >> (64 - LS_SORT_BLOCK)));
			na -= took_a;
			nb -= LS_SORT_BLOCK - took_a;
			acount = history & 1 ? SF(streak)(history) : 0;
			bcount = history & 1 ? 0 : SF(streak)(history);
			if ((acount | bcount) >= min_gallop)
				goto gallop;
			if ((period = ls_sort_period(history)))
				goto branchy;
		}
#endif
		for (;;) {
			size_t take_a = LESS(AT(tmp, nb - 1), AT(a, na - 1)), a_mask = -take_a;
			memcpy(AT(a, na + nb - 1), SF(pick)(a_mask, AT(a, na - 1), AT(tmp, nb - 1)), ES);
			na -= take_a;
			nb -= take_a ^ 1;
			acount = (acount + 1) & a_mask;
			bcount = (bcount + 1) & ~a_mask;
			history = history << 1 | take_a;
			if (na == 0)
				goto done;
			if (nb == 1)
				goto first_b;
			if ((acount | bcount) >= min_gallop)
				break;
			if (--until_check == 0 && (until_check = LS_SORT_PERIOD_CHECK, period = ls_sort_period(history))) {
branchy:
				for (;;) {
					bool won_a = LESS(AT(tmp, nb - 1), AT(a, na - 1)), predicted;
decided:
					predicted = period && (history >> (period - 1) & 1);
					if (won_a) {
						memcpy(AT(a, na + nb - 1), AT(a, na - 1), ES);
						if (--na == 0)
							goto done;
						bcount = 0;
						if (++acount >= min_gallop)
							goto gallop;
					} else {
						memcpy(AT(a, na + nb - 1), AT(tmp, nb - 1), ES);
						if (--nb == 1)
							goto first_b;
						acount = 0;
						if (++bcount >= min_gallop)
							goto gallop;
					}
					history = history << 1 | won_a;
					if (period && won_a != predicted)
						break;
					if (period == 2 && min_gallop > 1) {
						/* Keeps na >= 1, nb >= 2, streaks at 1. */
						size_t pairs = na - 1 < nb - 2 ? na - 1 : nb - 2, steps, took_a;
						char *pb = AT(tmp, nb - 1), *pa = AT(a, na - 1), *dest = AT(a, na + nb - 1);
						bool first = !won_a, surprise;
						steps = first ? SF(alternate)(st, &pb, &pa, &dest, -(ptrdiff_t)ES, false, true, pairs, &surprise)
							      : SF(alternate)(st, &pb, &pa, &dest, -(ptrdiff_t)ES, false, false, pairs, &surprise);
						took_a = SF(true_steps)(steps, first);
						na -= took_a;
						nb -= steps - took_a;
						if (steps) {
							won_a = steps % 2 ? first : !first;
							history = SF(alternation_history)(won_a);
							acount = won_a;
							bcount = !won_a;
						}
						if (surprise) {
							won_a = !(steps % 2 ? !first : first);
							goto decided;
						}
					}
				}
			}
		}
gallop:
		min_gallop++;
		do {
			size_t k;
			min_gallop -= min_gallop > 1;
			k = na - SF(gallop_right)(st, AT(tmp, nb - 1), a, na, na - 1);
			acount = k;
			if (k) {
				memmove(AT(a, na - k + nb), AT(a, na - k), k * ES);
				na -= k;
				if (na == 0)
					goto done;
			}
			memcpy(AT(a, na + nb - 1), AT(tmp, nb - 1), ES);
			nb--;
			if (nb == 1)
				goto first_b;
			k = nb - SF(gallop_left)(st, AT(a, na - 1), tmp, nb, nb - 1);
			bcount = k;
			if (k) {
				memcpy(AT(a, na + nb - k), AT(tmp, nb - k), k * ES);
				nb -= k;
				if (nb == 1)
					goto first_b;
				if (nb == 0) /* only with an inconsistent comparator */
					goto done;
			}
			memcpy(AT(a, na + nb - 1), AT(a, na - 1), ES);
			na--;
			if (na == 0)
				goto done;
		} while (acount >= LS_SORT_MIN_GALLOP || bcount >= LS_SORT_MIN_GALLOP);
		min_gallop++;
	}
done:
	if (nb)
		memcpy(AT(a, na), tmp, nb * ES);
	st->min_gallop = min_gallop;
	return;
first_b:
	/* The first element of B belongs before the rest of A. */
	memmove(AT(a, 1), a, na * ES);
	memcpy(a, tmp, ES);
	st->min_gallop = min_gallop;
}

/* Merges stack runs i and i+1 (adjacent). */
static void SF(merge_at)(struct ls_sort_state *st, size_t i)
{
	struct ls_sort_run *ra = &st->stack[i], *rb = &st->stack[i + 1];
	char *a = AT(st->base, ra->start), *b = AT(st->base, rb->start);
	size_t na = ra->len, nb = rb->len, k;

	if (st->stats)
		st->stats->merge_cost += na + nb;
	ra->len = na + nb;
	if (i + 3 == st->nruns)
		st->stack[i + 1] = st->stack[i + 2];
	st->nruns--;

	/* Trim what is already in place: A's prefix <= B[0], B's suffix >=
	 * A's last element. */
	k = SF(gallop_right)(st, b, a, na, 0);
	a = AT(a, k);
	na -= k;
	if (na == 0)
		return;
	nb = SF(gallop_left)(st, AT(a, na - 1), b, nb, nb - 1);
	if (nb == 0)
		return;
	if (!ls_sort_reserve_tmp(st, (na <= nb ? na : nb) * ES)) {
		SF(merge_in_place)(st, a, na, nb);
		return;
	}
	/* Both one-at-a-time loops make the same comparisons and moves; the
	 * style was fixed for the whole sort before the first run. */
	if (na <= nb)
		SF(merge_lo)(st, a, na, b, nb, st->merge_style == LS_MERGE_SELECT);
	else
		SF(merge_hi)(st, a, na, b, nb, st->merge_style == LS_MERGE_SELECT);
}

/* Powersort: before pushing run [start, start+len), merge while the run
 * below the top sits at a deeper boundary than the new one. */
static void SF(push_run)(struct ls_sort_state *st, size_t start, size_t len)
{
	if (st->stats)
		ls_sort_note_run(st, len);
	if (st->nruns > 0) {
		struct ls_sort_run *top = &st->stack[st->nruns - 1];
		unsigned power = ls_sort_node_power(top->start, top->len, len, st->n);
		while (st->nruns > 1 && st->stack[st->nruns - 2].power > power)
			SF(merge_at)(st, st->nruns - 2);
		st->stack[st->nruns - 1].power = power;
	}
	/* Unreachable by the bound above; a guard instead of an overflow. */
	if (st->nruns == LS_SORT_MAX_RUNS)
		SF(merge_at)(st, st->nruns - 2);
	st->stack[st->nruns++] = (struct ls_sort_run){ .start = start, .len = len, .power = 0 };
}

static void SF(ls_sort_engine)(struct ls_sort_state *st)
{
	size_t n = st->n, minrun, lo = 0;
	if (n < 2) {
		if (st->stats && n == 1)
			ls_sort_note_run(st, 1);
		return;
	}
	minrun = ls_sort_minrun(n);
	st->merge_style = SORT_MERGE_STYLE == LS_MERGE_BY_ELEMENTS ? ls_sort_style_for_elements(st) : SORT_MERGE_STYLE;
	while (lo < n) {
		char *p = AT(st->base, lo);
		size_t len = SF(count_run)(st, p, n - lo);
		if (len < minrun) {
			size_t want = n - lo < minrun ? n - lo : minrun;
			SF(binary_insertion)(st, p, len, want);
			len = want;
		}
		SF(push_run)(st, lo, len);
		lo += len;
	}
	while (st->nruns > 1)
		SF(merge_at)(st, st->nruns - 2);
}

#undef LS_CAT2
#undef LS_CAT
#undef SF
#undef ES
#undef LESS
#undef AT
