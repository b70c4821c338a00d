/* check_sort.c — unit tests of the stable adaptive sort (lib/sort/sort.c). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lockscope/sort.h"
#include "sort/sort_internal.h"

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return (x > y) - (x < y);
}

static int cmp_i64_r(const void *a, const void *b, void *arg)
{
	(void)arg;
	return cmp_i64(a, b);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return (x > y) - (x < y);
}

/* Generic records of `size` bytes: a key in the first (up to) 2 bytes,
 * the input position in the next 4 bytes when they exist, filler after. */
struct rec_layout {
	size_t size, key_len;
};

static int cmp_rec_key(const void *a, const void *b, void *arg)
{
	const struct rec_layout *l = arg;
	return memcmp(a, b, l->key_len);
}

static int cmp_whole(const void *a, const void *b, void *arg)
{
	return memcmp(a, b, *(const size_t *)arg);
}

static void fill_records(unsigned char *p, size_t n, size_t size, unsigned distinct_keys)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char *r = p + i * size;
		unsigned key = (unsigned)(rng() % distinct_keys);
		uint32_t seq = (uint32_t)i;
		for (size_t j = 0; j < size; j++)
			r[j] = (unsigned char)(seq * 31 + j);
		r[0] = (unsigned char)(key >> 8);
		if (size > 1)
			r[1] = (unsigned char)key;
		if (size >= 6)
			memcpy(r + 2, &seq, 4);
	}
}

/* out must be a permutation of in: equal after both are fully sorted. */
static void assert_permutation(const void *in, const void *out, size_t n, size_t size)
{
	unsigned char *a = malloc(n * size + 1), *b = malloc(n * size + 1);
	ck_assert(a && b);
	if (n) {
		memcpy(a, in, n * size);
		memcpy(b, out, n * size);
	}
	qsort_r(a, n, size, cmp_whole, &size);
	qsort_r(b, n, size, cmp_whole, &size);
	ck_assert_msg(n == 0 || memcmp(a, b, n * size) == 0, "output is not a permutation of the input");
	free(a);
	free(b);
}

/* Sorted by key, equal keys in input order (when positions are recorded). */
static void assert_sorted_stably(const unsigned char *p, size_t n, const struct rec_layout *l)
{
	for (size_t i = 1; i < n; i++) {
		const unsigned char *x = p + (i - 1) * l->size, *y = p + i * l->size;
		int c = memcmp(x, y, l->key_len);
		ck_assert_msg(c <= 0, "not sorted at %zu (size %zu)", i, l->size);
		if (c == 0 && l->size >= 6) {
			uint32_t sx, sy;
			memcpy(&sx, x + 2, 4);
			memcpy(&sy, y + 2, 4);
			ck_assert_msg(sx < sy, "unstable at %zu (size %zu): %u before %u", i, l->size, sx, sy);
		}
	}
}

static void sort_records_and_check(size_t n, size_t size, unsigned distinct, size_t misalign)
{
	struct rec_layout l = { size, size < 2 ? size : 2 };
	unsigned char *buf = malloc(n * size + 16), *in = malloc(n * size + 1);
	unsigned char *p = buf + misalign;
	ck_assert(buf && in);
	fill_records(p, n, size, distinct);
	memcpy(in, p, n * size);
	lockscope_sort_r(p, n, size, cmp_rec_key, &l);
	assert_sorted_stably(p, n, &l);
	assert_permutation(in, p, n, size);
	free(buf);
	free(in);
}

/* Input shapes for int64 data. */
enum shape { RANDOM, FEW, ASCENDING, DESCENDING, ORGAN, SAW, RUNS, EQUAL, NSHAPES };

static void fill_i64(int64_t *v, size_t n, enum shape s)
{
	size_t run = 1;
	for (size_t i = 0; i < n; i++) {
		switch (s) {
		case RANDOM: v[i] = (int64_t)rng(); break;
		case FEW: v[i] = (int64_t)(rng() % 5); break;
		case ASCENDING: v[i] = (int64_t)i; break;
		case DESCENDING: v[i] = -(int64_t)i; break;
		case ORGAN: v[i] = (int64_t)(i < n / 2 ? i : n - i); break;
		case SAW: v[i] = (int64_t)(i % 97); break;
		case RUNS:
			if (--run == 0) {
				run = 1 + rng() % 200;
				v[i] = (int64_t)(rng() % 1000);
			} else {
				v[i] = v[i - 1] + (int64_t)(rng() % 3) * (rng() % 2 ? 1 : -1) * (rng() % 5 == 0);
				if (rng() % 3 == 0)
					v[i] = v[i - 1] + 1;
			}
			break;
		case EQUAL: v[i] = 42; break;
		default: break;
		}
	}
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_trivial_sizes)
{
	int64_t one = 7;
	lockscope_sort(NULL, 0, 8, cmp_i64);
	lockscope_sort_r(NULL, 0, 8, cmp_i64_r, NULL);
	lockscope_sort_i64(NULL, 0);
	lockscope_sort(&one, 1, 8, cmp_i64);
	lockscope_sort_i64(&one, 1);
	ck_assert_int_eq(one, 7);
	struct lockscope_sort_stats st;
	lockscope_sort_stats(&one, 1, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.comparisons, 0);
	ck_assert_uint_eq(st.runs, 1);
	lockscope_sort_stats(NULL, 0, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.runs, 0);
}
END_TEST

START_TEST(test_matches_qsort)
{
	static const size_t sizes[] = { 2, 3, 5, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 4097, 70000 };
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t n = sizes[si];
		int64_t *v = malloc(n * 8), *want = malloc(n * 8), *orig = malloc(n * 8);
		int32_t *w = malloc(n * 4), *want32 = malloc(n * 4);
		ck_assert(v && want && orig && w && want32);
		for (int s = 0; s < NSHAPES; s++) {
			fill_i64(orig, n, (enum shape)s);
			memcpy(want, orig, n * 8);
			memcpy(v, orig, n * 8);
			qsort(want, n, 8, cmp_i64);
			lockscope_sort(v, n, 8, cmp_i64);
			ck_assert_msg(!memcmp(v, want, n * 8), "comparator sort differs, n=%zu shape=%d", n, s);
			memcpy(v, orig, n * 8);
			lockscope_sort_i64(v, n);
			ck_assert_msg(!memcmp(v, want, n * 8), "i64 sort differs, n=%zu shape=%d", n, s);
			for (size_t i = 0; i < n; i++)
				w[i] = want32[i] = (int32_t)(rng() % (s + 3)) * (s % 2 ? 1 : -1);
			qsort(want32, n, 4, cmp_i32);
			lockscope_sort(w, n, 4, cmp_i32);
			ck_assert_msg(!memcmp(w, want32, n * 4), "int32 sort differs, n=%zu shape=%d", n, s);
		}
		free(v);
		free(want);
		free(orig);
		free(w);
		free(want32);
	}
}
END_TEST

START_TEST(test_stable_many_sizes)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 6, 7, 8, 9, 12, 15, 16, 17, 24, 31, 33,
					64, 65, 100, 255, 256, 257, 1000, 1023, 1024 };
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t size = sizes[si];
		size_t n = size > 256 ? 400 : 3000;
		sort_records_and_check(n, size, 7, 0);
		sort_records_and_check(n, size, 5000, 1); /* unaligned base */
		sort_records_and_check(n, size, 2, 3);
	}
}
END_TEST

START_TEST(test_stable_large)
{
	sort_records_and_check(200000, 16, 100, 0);
	sort_records_and_check(100000, 6, 65536, 5);
}
END_TEST

/* Two runs whose keys interleave exactly, with equal keys across them:
 * the merge alternates winners (the predicted-branch path) and must put
 * each left-run element before its equal in the right run. */
START_TEST(test_interleaved_runs_stable)
{
	static const size_t shapes[][2] = { { 600, 400 }, { 400, 600 }, { 5000, 5000 }, { 70, 3000 } };
	struct rec {
		int64_t key;
		uint64_t seq;
	};
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		size_t up = shapes[s][0], down = shapes[s][1], n = up + down;
		struct rec *r = malloc(n * sizeof *r);
		ck_assert(r);
		for (size_t i = 0; i < n; i++)
			r[i] = (struct rec){ i < up ? (int64_t)i : (int64_t)(n - 1 - i), i };
		lockscope_sort(r, n, sizeof *r, cmp_i64);
		for (size_t i = 1; i < n; i++) {
			ck_assert(r[i - 1].key <= r[i].key);
			if (r[i - 1].key == r[i].key)
				ck_assert_msg(r[i - 1].seq < r[i].seq, "unstable at %zu (shape %zu)", i, s);
		}
		free(r);
	}
	/* Saw teeth of equal keys: merged teeth interleave with periods 2,
	 * 3, 4, ... (AB, AAB, AABB) and ties everywhere. */
	static const size_t teeth[] = { 64, 100, 1000 };
	for (size_t t = 0; t < sizeof teeth / sizeof teeth[0]; t++) {
		size_t n = 40000;
		struct rec *r = malloc(n * sizeof *r);
		ck_assert(r);
		for (size_t i = 0; i < n; i++)
			r[i] = (struct rec){ (int64_t)(i % teeth[t]), i };
		lockscope_sort(r, n, sizeof *r, cmp_i64);
		for (size_t i = 1; i < n; i++) {
			ck_assert(r[i - 1].key <= r[i].key);
			if (r[i - 1].key == r[i].key)
				ck_assert_msg(r[i - 1].seq < r[i].seq, "unstable at %zu (tooth %zu)", i, teeth[t]);
		}
		free(r);
	}
}
END_TEST

static int cmp_char_ptr(const void *a, const void *b)
{
	return **(char *const *)a - **(char *const *)b;
}

/* 8-byte records: key in the high 40 bits, input position in the low 24. */
static int cmp_packed_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a >> 24, y = *(const uint64_t *)b >> 24;
	return (x > y) - (x < y);
}

static int cmp_packed_key_r(const void *a, const void *b, void *arg)
{
	(void)arg;
	return cmp_packed_key(a, b);
}

/* Two runs whose winners alternate strictly for stretches, broken at
 * random points by a repeated winner (the alternation loop's surprise exit)
 * and with ties (left run first): sorted, stable, through both the
 * left-to-right merge (left run shorter) and the right-to-left one, with
 * the qsort-style and the _r comparator, and the same comparison count
 * either way. */
START_TEST(test_alternation_with_surprises)
{
	static const size_t left_share[] = { 300, 500, 700 }; /* per mille */
	for (size_t shape = 0; shape < 3; shape++) {
		for (unsigned every = 3; every <= 400; every *= 5) {
			size_t n = 3000, nl = 0, nr = 0;
			uint64_t *in = malloc(n * 8), *left = malloc(n * 8), *right = malloc(n * 8), *x = malloc(n * 8),
				 *y = malloc(n * 8), key = 0;
			bool last_left = false;
			ck_assert(in && left && right && x && y);
			for (size_t i = 0; i < n; i++) {
				/* Alternate; every `every` steps on average, repeat
				 * the last winner; keep each run near its share. */
				bool take_left = rng() % every == 0 ? last_left : !last_left;
				if (nl * 1000 > left_share[shape] * (i + 1))
					take_left = false;
				else if (nr * 1000 > (1000 - left_share[shape]) * (i + 1))
					take_left = true;
				/* A right element may tie the left one before it. */
				if (!(take_left == false && last_left && rng() % 4 == 0))
					key++;
				if (take_left)
					left[nl++] = key;
				else
					right[nr++] = key;
				last_left = take_left;
			}
			for (size_t i = 0; i < nl; i++)
				in[i] = left[i] << 24 | i;
			for (size_t i = 0; i < nr; i++)
				in[nl + i] = right[i] << 24 | (nl + i);
			memcpy(x, in, n * 8);
			memcpy(y, in, n * 8);
			struct lockscope_sort_stats st;
			lockscope_sort(x, n, 8, cmp_packed_key);
			lockscope_sort_stats(y, n, 8, cmp_packed_key_r, NULL, &st);
			ck_assert(!memcmp(x, y, n * 8));
			for (size_t i = 1; i < n; i++) {
				ck_assert(x[i - 1] >> 24 <= x[i] >> 24);
				if (x[i - 1] >> 24 == x[i] >> 24)
					ck_assert_msg((x[i - 1] & 0xffffff) < (x[i] & 0xffffff), "unstable at %zu", i);
			}
			/* n-1 for the two runs, at most one per merged element. */
			ck_assert_uint_le(st.comparisons, 2 * n);
			free(in), free(left), free(right), free(x), free(y);
		}
	}
}
END_TEST

/* The merge loop style depends on the elements only, never on time. */
START_TEST(test_merge_style_from_elements)
{
	size_t n = 1000;
	int64_t *ints = malloc(n * sizeof *ints);
	char **ptrs = malloc(n * sizeof *ptrs), *pool = malloc(n);
	uint32_t small[64];
	struct ls_sort_state st;
	ck_assert(ints && ptrs && pool);
	for (size_t i = 0; i < n; i++) {
		ints[i] = (int64_t)(rng() >> 11);
		ptrs[i] = pool + (n - 1 - i);
	}
	memset(small, 0, sizeof small);
	ls_sort_state_init(&st, ints, n, sizeof *ints);
	ck_assert_int_eq(ls_sort_style_for_elements(&st), LS_MERGE_SELECT);
	ls_sort_state_init(&st, ptrs, n, sizeof *ptrs);
	ck_assert_int_eq(ls_sort_style_for_elements(&st), LS_MERGE_BRANCH);
	/* Short arrays: the quorum scales with the sample. */
	ls_sort_state_init(&st, ptrs, 3, sizeof *ptrs);
	ck_assert_int_eq(ls_sort_style_for_elements(&st), LS_MERGE_BRANCH);
	/* Small integers near zero are not addresses; smaller elements never. */
	for (size_t i = 0; i < n; i++)
		ints[i] = (int64_t)i * 1000;
	ls_sort_state_init(&st, ints, n, sizeof *ints);
	ck_assert_int_eq(ls_sort_style_for_elements(&st), LS_MERGE_SELECT);
	ls_sort_state_init(&st, small, 64, sizeof small[0]);
	ck_assert_int_eq(ls_sort_style_for_elements(&st), LS_MERGE_SELECT);
	/* Sorting pointers to strings with a comparator still works. */
	for (size_t i = 0; i < n; i++)
		pool[i] = (char)('a' + i % 26);
	lockscope_sort(ptrs, n, sizeof *ptrs, cmp_char_ptr);
	for (size_t i = 1; i < n; i++)
		ck_assert(*ptrs[i - 1] <= *ptrs[i]);
	free(ints), free(ptrs), free(pool);
}
END_TEST

static int cmp_f64_bits(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

START_TEST(test_typed_u64_f64)
{
	size_t n = 50000;
	uint64_t *u = malloc(n * 8), *uw = malloc(n * 8);
	double *d = malloc(n * 8);
	ck_assert(u && uw && d);
	for (size_t i = 0; i < n; i++)
		u[i] = uw[i] = rng() >> (i % 64);
	qsort(uw, n, 8, cmp_f64_bits); /* byte order != numeric order: check below */
	lockscope_sort_u64(u, n);
	for (size_t i = 1; i < n; i++)
		ck_assert(u[i - 1] <= u[i]);
	assert_permutation(uw, u, n, 8);

	/* NaNs last and stable among themselves; -0.0/+0.0 equal, stable. */
	for (size_t i = 0; i < n; i++) {
		switch (i % 5) {
		case 0: d[i] = (double)(int64_t)(rng() % 2001) - 1000.0; break;
		case 1: {
			uint64_t bits = 0x7ff8000000000000u | (uint64_t)i; /* NaN with its position as payload */
			memcpy(&d[i], &bits, 8);
			break;
		}
		case 2: d[i] = (i / 5) % 2 ? -0.0 : 0.0; break;
		case 3: d[i] = (i % 7) ? INFINITY : -INFINITY; break;
		default: d[i] = ldexp((double)(rng() % 1000), -(int)(rng() % 60)); break;
		}
	}
	lockscope_sort_f64(d, n);
	size_t first_nan = n;
	for (size_t i = 0; i < n; i++)
		if (isnan(d[i])) {
			first_nan = i;
			break;
		}
	ck_assert_uint_eq(n - first_nan, n / 5);
	for (size_t i = first_nan + 1; i < n; i++) {
		uint64_t x, y;
		ck_assert(isnan(d[i]));
		memcpy(&x, &d[i - 1], 8);
		memcpy(&y, &d[i], 8);
		ck_assert_msg((x & 0xffffffffu) < (y & 0xffffffffu), "NaNs not in input order");
	}
	for (size_t i = 1; i < first_nan; i++)
		ck_assert(d[i - 1] <= d[i]);
	/* Zeros: all +0.0 of an equal stretch keep their interleaving with -0.0
	 * from the input: input alternates +0 (even blocks) and -0 (odd). */
	int last_sign = -1;
	size_t zero_flips = 0;
	for (size_t i = 0; i < first_nan; i++)
		if (d[i] == 0.0) {
			int sign = signbit(d[i]) != 0;
			zero_flips += last_sign >= 0 && sign != last_sign;
			last_sign = sign;
		}
	ck_assert_uint_eq(zero_flips, n / 5 - 1);
	free(u);
	free(uw);
	free(d);
}
END_TEST

START_TEST(test_typed_str)
{
	size_t n = 20000;
	static char pool[20000][8];
	char **s = malloc(n * sizeof *s);
	ck_assert(s);
	for (size_t i = 0; i < n; i++) {
		snprintf(pool[i], sizeof pool[i], "k%03u", (unsigned)(rng() % 300));
		s[i] = pool[i];
	}
	lockscope_sort_str(s, n);
	for (size_t i = 1; i < n; i++) {
		int c = strcmp(s[i - 1], s[i]);
		ck_assert(c <= 0);
		if (c == 0) /* equal strings keep input order: pool order */
			ck_assert(s[i - 1] < s[i]);
	}
	free(s);
}
END_TEST

START_TEST(test_stats_sorted_inputs)
{
	size_t n = 1000;
	int64_t v[1000];
	struct lockscope_sort_stats st;
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)i;
	lockscope_sort_stats(v, n, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.comparisons, n - 1);
	ck_assert_uint_eq(st.runs, 1);
	ck_assert_uint_eq(st.merge_cost, 0);
	ck_assert_double_eq_tol(st.nH, 0.0, 1e-9);
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)(n - i);
	lockscope_sort_stats(v, n, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.comparisons, n - 1);
	ck_assert_uint_eq(st.runs, 1);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(v[i], (int64_t)i + 1);
	for (size_t i = 0; i < n; i++)
		v[i] = 5;
	lockscope_sort_stats(v, n, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.comparisons, n - 1);
	/* Pipe organ: two runs of 500, one merge of cost n, n*H = n. */
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)(i < n / 2 ? 2 * i + 1 : 2 * (n - 1 - i));
	lockscope_sort_stats(v, n, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.runs, 2);
	ck_assert_uint_eq(st.merge_cost, n);
	ck_assert_double_eq_tol(st.nH, (double)n, 1e-9);
	ck_assert_uint_le(st.comparisons, 2 * n);
}
END_TEST

/* Layout of ascending runs with the given lengths, each starting below the
 * previous run's end. */
static void fill_runs(int64_t *v, const size_t *lens, size_t nlens)
{
	size_t k = 0;
	for (size_t r = 0; r < nlens; r++)
		for (size_t i = 0; i < lens[r]; i++)
			v[k++] = (int64_t)(i * 10) - (int64_t)r;
}

START_TEST(test_analyze_known_layout)
{
	static const size_t lens[] = { 100, 300, 600 };
	int64_t v[1000];
	struct lockscope_sort_stats st;
	double want = 100 * log2(10.0) + 300 * log2(1000.0 / 300) + 600 * log2(1000.0 / 600);
	fill_runs(v, lens, 3);
	lockscope_sort_analyze(v, 1000, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.runs, 3);
	ck_assert_uint_eq(st.comparisons, 999);
	ck_assert_uint_eq(st.merge_cost, 0);
	ck_assert_double_eq_tol(st.nH, want, 1e-6);
	/* The sort finds the same runs (all >= minrun) and merges them. */
	lockscope_sort_stats(v, 1000, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.runs, 3);
	ck_assert_double_eq_tol(st.nH, want, 1e-6);
	ck_assert_uint_le(st.merge_cost, (uint64_t)(want + 2 * 1000));
	/* A strictly descending stretch counts as one run. */
	for (size_t i = 0; i < 1000; i++)
		v[i] = 1000 - (int64_t)i;
	lockscope_sort_analyze(v, 1000, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_eq(st.runs, 1);
	ck_assert_int_eq(v[0], 1000); /* the analyser does not reorder */
}
END_TEST

START_TEST(test_powersort_merge_cost_bound)
{
	/* Powersort: merge cost <= n*H + 2n for any run layout. */
	size_t n = 300000, lens[4000], nl = 0, total = 0;
	int64_t *v = malloc(n * 8);
	ck_assert(v);
	while (total < n) {
		size_t len = 64 + rng() % (rng() % 2 ? 100 : 5000);
		if (len > n - total)
			len = n - total;
		lens[nl++] = len;
		total += len;
	}
	fill_runs(v, lens, nl);
	struct lockscope_sort_stats st;
	lockscope_sort_stats(v, n, 8, cmp_i64_r, NULL, &st);
	ck_assert_uint_le(st.merge_cost, (uint64_t)(st.nH + 2.0 * (double)n));
	for (size_t i = 1; i < n; i++)
		ck_assert(v[i - 1] <= v[i]);
	free(v);
}
END_TEST

START_TEST(test_minrun_and_power)
{
	ck_assert_uint_eq(ls_sort_minrun(63), 63);
	ck_assert_uint_eq(ls_sort_minrun(64), 32);
	ck_assert_uint_eq(ls_sort_minrun(65), 33);
	ck_assert_uint_eq(ls_sort_minrun(1000000), 62);
	/* Reference: the doubled-midpoint formulation in 128-bit arithmetic. */
	static const size_t ns[] = { 2, 3, 100, 1000003, (size_t)1 << 40, SIZE_MAX - 1, SIZE_MAX };
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		size_t n = ns[k];
		for (int t = 0; t < 2000; t++) {
			size_t s1 = rng() % (n - 1), n1, n2, left = n - s1;
			n1 = 1 + rng() % (left - 1 < 1000 || t % 2 ? left - 1 : 1000);
			n2 = 1 + rng() % (left - n1);
			unsigned __int128 a = 2 * (unsigned __int128)s1 + n1, b = a + n1 + n2, nn = n;
			unsigned want = 0;
			for (;;) {
				want++;
				if (a >= nn) {
					a -= nn;
					b -= nn;
				} else if (b >= nn) {
					break;
				}
				a <<= 1;
				b <<= 1;
			}
			ck_assert_uint_eq(ls_sort_node_power(s1, n1, n2, n), want);
			ck_assert_uint_le(want, sizeof(size_t) * 8);
		}
	}
}
END_TEST

/* ---- inconsistent comparators over guard pages ----------------------- */

static uint64_t chaos_state;

static int cmp_random(const void *a, const void *b, void *arg)
{
	(void)a, (void)b, (void)arg;
	chaos_state = chaos_state * 6364136223846793005u + 1442695040888963407u;
	return (int)(chaos_state >> 62) - 1;
}

static int cmp_overflowing_sub(const void *a, const void *b, void *arg)
{
	int64_t x, y;
	(void)arg;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return (int)(int64_t)((uint64_t)x - (uint64_t)y);
}

static int cmp_less_equal(const void *a, const void *b, void *arg)
{
	(void)arg;
	return *(const unsigned char *)a <= *(const unsigned char *)b ? -1 : 1;
}

/* An array whose first byte follows a PROT_NONE page and whose last byte
 * precedes another one (or nearly: at_end picks which edge is exact). */
struct guarded {
	unsigned char *map, *data;
	size_t map_len;
};

static struct guarded guarded_alloc(size_t bytes, int at_end)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (bytes + page - 1) / page * page;
	struct guarded g;
	g.map_len = body + 2 * page;
	g.map = mmap(NULL, g.map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(g.map != MAP_FAILED);
	ck_assert(mprotect(g.map + page, body, PROT_READ | PROT_WRITE) == 0);
	g.data = at_end ? g.map + page + body - bytes : g.map + page;
	return g;
}

START_TEST(test_inconsistent_comparators_guarded)
{
	typedef int (*cmp_r_fn)(const void *, const void *, void *);
	static const cmp_r_fn cmps[] = { cmp_random, cmp_overflowing_sub, cmp_less_equal };
	static const size_t sizes[] = { 8, 4, 1, 12, 300 };
	static const size_t counts[] = { 2, 10, 100, 1000, 20000 };
	for (size_t c = 0; c < 3; c++)
		for (size_t s = 0; s < 5; s++)
			for (size_t k = 0; k < 5; k++)
				for (int edge = 0; edge < 2; edge++) {
					size_t size = sizes[s], n = counts[k];
					if (size > 100 && n > 1000)
						continue;
					struct guarded g = guarded_alloc(n * size, edge);
					unsigned char *in = malloc(n * size);
					ck_assert(in);
					for (size_t i = 0; i < n * size; i++)
						g.data[i] = (unsigned char)rng();
					if (cmps[c] == cmp_overflowing_sub)
						for (size_t i = 0; i + 8 <= n * size; i += 8)
							g.data[i + 7] = (unsigned char)(rng() % 2 ? 0x80 : 0x7f);
					memcpy(in, g.data, n * size);
					chaos_state = rng();
					if (size >= 8 || cmps[c] != cmp_overflowing_sub)
						lockscope_sort_r(g.data, n, size, cmps[c], NULL);
					assert_permutation(in, g.data, n, size);
					free(in);
					munmap(g.map, g.map_len);
				}
}
END_TEST

/* ---- allocation failure ---------------------------------------------- */

static size_t failed_allocs;

static void *failing_malloc(size_t n)
{
	(void)n;
	failed_allocs++;
	return NULL;
}

START_TEST(test_malloc_failure_still_stable)
{
	void *(*saved)(size_t) = ls_sort_malloc;
	ls_sort_malloc = failing_malloc;
	failed_allocs = 0;
	sort_records_and_check(100000, 8, 50, 0);
	sort_records_and_check(30000, 24, 1000, 1);
	sort_records_and_check(2000, 1000, 30, 0); /* block-swap rotations */
	sort_records_and_check(5000, 257, 3, 0);
	ck_assert_uint_gt(failed_allocs, 0);
	/* Inconsistent comparator with no buffer: still a permutation. */
	struct guarded g = guarded_alloc(5000 * 8, 1);
	int64_t in[5000];
	for (size_t i = 0; i < 5000; i++)
		in[i] = (int64_t)rng();
	memcpy(g.data, in, sizeof in);
	chaos_state = 7;
	lockscope_sort_r(g.data, 5000, 8, cmp_random, NULL);
	assert_permutation(in, g.data, 5000, 8);
	munmap(g.map, g.map_len);
	ls_sort_malloc = saved;
}
END_TEST

START_TEST(test_rotate)
{
	struct ls_sort_state st;
	static unsigned char buf[5000], want[5000];
	static const size_t cases[][2] = { { 0, 10 }, { 10, 0 }, { 1, 4999 }, { 4999, 1 }, { 300, 700 },
					   { 2500, 2500 }, { 1234, 3000 }, { 257, 4743 }, { 2100, 2900 }, { 2900, 2100 } };
	ls_sort_state_init(&st, buf, 0, 1);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t l = cases[c][0], r = cases[c][1];
		for (size_t i = 0; i < l + r; i++)
			buf[i] = (unsigned char)(i * 7 + i / 256);
		memcpy(want, buf + l, r);
		memcpy(want + r, buf, l);
		ls_sort_rotate(&st, (char *)buf, l, r);
		ck_assert(!memcmp(buf, want, l + r));
	}
}
END_TEST

static Suite *sort_suite(void)
{
	Suite *s = suite_create("sort");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trivial_sizes);
	tcase_add_test(tc, test_matches_qsort);
	tcase_add_test(tc, test_stable_many_sizes);
	tcase_add_test(tc, test_stable_large);
	tcase_add_test(tc, test_interleaved_runs_stable);
	tcase_add_test(tc, test_alternation_with_surprises);
	tcase_add_test(tc, test_merge_style_from_elements);
	tcase_add_test(tc, test_typed_u64_f64);
	tcase_add_test(tc, test_typed_str);
	tcase_add_test(tc, test_stats_sorted_inputs);
	tcase_add_test(tc, test_analyze_known_layout);
	tcase_add_test(tc, test_powersort_merge_cost_bound);
	tcase_add_test(tc, test_minrun_and_power);
	tcase_add_test(tc, test_inconsistent_comparators_guarded);
	tcase_add_test(tc, test_malloc_failure_still_stable);
	tcase_add_test(tc, test_rotate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sort_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
