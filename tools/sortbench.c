/* sortbench.c — `lockscope sortbench`: lockscope_sort against glibc qsort
 * on a corpus of input patterns.
 *
 * Contract: for each pattern, size and element type it reports comparisons
 * per element (ours and qsort's, both counted by a wrapping comparator),
 * our merge cost against n*H of the runs merged (and what the original
 * Timsort merge rule would cost on the same runs), median CPU times of
 * both sorts in this process, and whether our output is sorted and stable.
 * Inputs are generated from --seed only, so runs are reproducible.
 * Patterns and columns are defined in lockscope-sortbench(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockscope/sort.h"
#include "sort/sort_internal.h"
#include "commands.h"

/* ---- reproducible randomness ------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Keys stay below 2^53 so the f64 variant represents them exactly. */
static int64_t rng_key(struct rng *r)
{
	return (int64_t)(rng_next(r) >> 11);
}

/* ---- patterns ------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b);

/* Fills keys[start, start+len) with one ascending run of random keys. */
static void fill_sorted_run(int64_t *keys, size_t len, struct rng *r)
{
	for (size_t i = 0; i < len; i++)
		keys[i] = rng_key(r);
	qsort(keys, len, sizeof *keys, cmp_i64);
}

static void pat_random(int64_t *k, size_t n, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		k[i] = rng_key(r);
}

static void pat_ascending(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	for (size_t i = 0; i < n; i++)
		k[i] = (int64_t)i;
}

static void pat_descending(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	for (size_t i = 0; i < n; i++)
		k[i] = (int64_t)(n - i);
}

static void pat_all_equal(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	for (size_t i = 0; i < n; i++)
		k[i] = 0;
}

static void pat_random_d20(int64_t *k, size_t n, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (int64_t)(rng_next(r) % 20);
}

static void pat_random_p5(int64_t *k, size_t n, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		k[i] = rng_unit(r) < 0.95 ? 0 : rng_key(r);
}

static void pat_random_s95(int64_t *k, size_t n, struct rng *r)
{
	size_t prefix = n - n / 20;
	for (size_t i = 0; i < n; i++)
		k[i] = i < prefix ? (int64_t)i : (int64_t)(rng_next(r) % n);
}

/* Zipf with s = 1 over ranks 1..n: P(rank k) proportional to 1/k, drawn
 * by bisection in the cumulative table. */
static void pat_random_z1(int64_t *k, size_t n, struct rng *r)
{
	double *cdf = malloc(n * sizeof *cdf), total = 0;
	if (!cdf) {
		pat_random(k, n, r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		cdf[i] = total += 1.0 / (double)(i + 1);
	for (size_t i = 0; i < n; i++) {
		double u = rng_unit(r) * total;
		size_t lo = 0, hi = n - 1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		k[i] = (int64_t)lo + 1;
	}
	free(cdf);
}

static void saws(int64_t *k, size_t n, size_t tooth)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (int64_t)(i % tooth);
}

static void pat_saws_long(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	saws(k, n, (n + 19) / 20);
}

static void pat_saws_short(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	saws(k, n, 100);
}

static void pat_pipe_organ(int64_t *k, size_t n, struct rng *r)
{
	(void)r;
	for (size_t i = 0; i < n; i++)
		k[i] = (int64_t)(i < n / 2 ? i : n - i);
}

/* Runs of random keys whose lengths are geometric with mean sqrt(n). */
static void pat_runs_sqrt(int64_t *k, size_t n, struct rng *r)
{
	double p = 1.0 / sqrt((double)n);
	size_t at = 0;
	while (at < n) {
		double u = 1.0 - rng_unit(r); /* (0, 1] */
		size_t len = p >= 1.0 ? 1 : 1 + (size_t)floor(log(u) / log1p(-p));
		if (len > n - at)
			len = n - at;
		fill_sorted_run(k + at, len, r);
		at += len;
	}
}

/* Buss and Knop's run-length family that drives the original Timsort rule
 * to about 1.5 n lg n merge cost:  R(m) = <m> for m <= 3, else
 * R(floor(m/2)) R(floor(m/2) - 2) <m - 2 floor(m/2) + 2>, zero lengths
 * dropped.  Lengths are in units of 64 elements (the largest minrun), so
 * minrun extension never joins two runs. */
static size_t timsort_bad_lengths(size_t m, size_t *out, size_t cap, size_t used)
{
	if (m <= 3 || used + 3 > cap) {
		if (used < cap && m > 0)
			out[used++] = m;
		return used;
	}
	size_t half = m / 2;
	used = timsort_bad_lengths(half, out, cap, used);
	used = timsort_bad_lengths(half - 2, out, cap, used);
	if (used < cap)
		out[used++] = m - 2 * half + 2;
	return used;
}

static void pat_timsort_bad(int64_t *k, size_t n, struct rng *r)
{
	enum { UNIT = 64 };
	size_t cap = n / UNIT + 2, at = 0;
	size_t *lens = malloc(cap * sizeof *lens);
	size_t count = lens ? timsort_bad_lengths(n / UNIT, lens, cap, 0) : 0;
	for (size_t i = 0; i < count && at < n; i++) {
		size_t len = lens[i] * UNIT;
		if (i + 1 == count || len > n - at)
			len = n - at;
		fill_sorted_run(k + at, len, r);
		at += len;
	}
	if (at < n)
		fill_sorted_run(k + at, n - at, r);
	free(lens);
}

struct pattern {
	const char *name;
	void (*fill)(int64_t *keys, size_t n, struct rng *r);
};

static const struct pattern patterns[] = {
	{ "random", pat_random },
	{ "ascending", pat_ascending },
	{ "descending", pat_descending },
	{ "all_equal", pat_all_equal },
	{ "random_d20", pat_random_d20 },
	{ "random_p5", pat_random_p5 },
	{ "random_s95", pat_random_s95 },
	{ "random_z1", pat_random_z1 },
	{ "saws_long", pat_saws_long },
	{ "saws_short", pat_saws_short },
	{ "pipe_organ", pat_pipe_organ },
	{ "runs_sqrt", pat_runs_sqrt },
	{ "timsort_bad", pat_timsort_bad },
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

/* ---- element types ---------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ours_i64_cmp(void *base, size_t n)
{
	lockscope_sort(base, n, sizeof(int64_t), cmp_i64);
}

static void ours_i64_typed(void *base, size_t n)
{
	lockscope_sort_i64(base, n);
}

static void ours_f64(void *base, size_t n)
{
	lockscope_sort_f64(base, n);
}

static void ours_str(void *base, size_t n)
{
	lockscope_sort_str(base, n);
}

struct elem_type {
	const char *name;
	size_t size;
	int (*cmp)(const void *, const void *);
	void (*ours)(void *base, size_t n);
};

static const struct elem_type types[] = {
	{ "i64", sizeof(int64_t), cmp_i64, ours_i64_cmp },
	{ "i64_typed", sizeof(int64_t), cmp_i64, ours_i64_typed },
	{ "f64", sizeof(double), cmp_f64, ours_f64 },
	{ "str", sizeof(char *), cmp_str, ours_str },
};
#define NTYPES (sizeof types / sizeof types[0])

/* Element arrays for one pattern and size, built from the int64 keys. */
struct corpus {
	size_t n;
	int64_t *keys;
	char *pool; /* strings for the str type, in input order */
	char **strs;
	double *f64;
};

enum { STR_LEN = 17 }; /* 16 hex digits + NUL */

static bool corpus_build(struct corpus *c, const int64_t *keys, size_t n)
{
	c->n = n;
	c->keys = (int64_t *)keys;
	c->pool = malloc(n * STR_LEN + 1);
	c->strs = malloc(n * sizeof *c->strs + 1);
	c->f64 = malloc(n * sizeof *c->f64 + 1);
	if (!c->pool || !c->strs || !c->f64)
		return false;
	for (size_t i = 0; i < n; i++) {
		/* Hex of the key with the sign bit flipped orders like the key. */
		snprintf(c->pool + i * STR_LEN, STR_LEN, "%016" PRIx64,
			 (uint64_t)keys[i] ^ UINT64_C(0x8000000000000000));
		c->strs[i] = c->pool + i * STR_LEN;
		c->f64[i] = (double)keys[i];
	}
	return true;
}

static void corpus_free(struct corpus *c)
{
	free(c->pool);
	free(c->strs);
	free(c->f64);
}

static const void *corpus_input(const struct corpus *c, const struct elem_type *t)
{
	if (t->cmp == cmp_str)
		return c->strs;
	if (t->cmp == cmp_f64)
		return c->f64;
	return c->keys;
}

/* ---- measurements -------------------------------------------------------- */

struct row {
	const char *pattern, *type;
	size_t n;
	double cmp_ours, cmp_qsort;     /* per element */
	uint64_t merge_cost, runs, natural_runs;
	double nH, natural_nH, timsort_rule_cost;
	double ms_ours, ms_qsort;       /* medians */
	bool sorted, stable;
};

struct counted_cmp {
	const struct elem_type *type;
	uint64_t calls;
};

static int counted_cmp(const void *a, const void *b, void *arg)
{
	struct counted_cmp *c = arg;
	c->calls++;
	return c->type->cmp(a, b);
}

static int plain_cmp(const void *a, const void *b, void *arg)
{
	return ((const struct elem_type *)arg)->cmp(a, b);
}

/* CPU time of this thread: on a shared machine wall time also counts the
 * time other processes hold the CPU, which swamps the differences. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	return cmp_f64(a, b);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median time of `reps` sorts of fresh copies of the input. */
static double time_sort(const struct elem_type *t, bool ours, const void *input, void *work,
			size_t n, unsigned reps)
{
	double samples[64];
	if (reps > 64)
		reps = 64;
	for (unsigned i = 0; i < reps; i++) {
		memcpy(work, input, n * t->size);
		double start = now_ms();
		if (ours)
			t->ours(work, n);
		else
			qsort(work, n, t->size, t->cmp);
		samples[i] = now_ms() - start;
	}
	return median(samples, reps);
}

struct keyed {
	int64_t key;
	uint64_t seq;
};

static int cmp_keyed(const void *a, const void *b)
{
	return cmp_i64(&((const struct keyed *)a)->key, &((const struct keyed *)b)->key);
}

/* Stable: (key, position) records sorted by key keep positions increasing
 * within equal keys; for strings also the equal strings' addresses. */
static bool check_stable(const struct corpus *c, const struct elem_type *t, char **sorted_strs)
{
	size_t n = c->n;
	struct keyed *recs = malloc(n * sizeof *recs + 1);
	bool ok = recs != NULL;
	for (size_t i = 0; ok && i < n; i++)
		recs[i] = (struct keyed){ c->keys[i], i };
	if (ok)
		lockscope_sort(recs, n, sizeof *recs, cmp_keyed);
	for (size_t i = 1; ok && i < n; i++)
		ok = recs[i - 1].key < recs[i].key ||
		     (recs[i - 1].key == recs[i].key && recs[i - 1].seq < recs[i].seq);
	free(recs);
	if (t->cmp == cmp_str)
		for (size_t i = 1; ok && i < n; i++)
			if (!strcmp(sorted_strs[i - 1], sorted_strs[i]))
				ok = sorted_strs[i - 1] < sorted_strs[i];
	return ok;
}

static bool same_order(const struct elem_type *t, const void *x, const void *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t->cmp((const char *)x + i * t->size, (const char *)y + i * t->size) != 0)
			return false;
	return true;
}

/* Merge cost of the original Timsort rule (CPython before 3.11) on the
 * runs our engine uses: simulated on run lengths, no data moved. */
static double timsort_rule_cost(const int64_t *keys, size_t n)
{
	size_t stack[128], depth = 0, minrun = n ? ls_sort_minrun(n) : 0, lo = 0;
	double cost = 0;
	if (n < 64)
		return 0; /* one run, sorted by insertion */
	while (lo < n) {
		size_t len = 1;
		if (lo + 1 < n) {
			bool down = keys[lo + 1] < keys[lo];
			len = 2;
			while (lo + len < n && (down ? keys[lo + len] < keys[lo + len - 1]
						     : keys[lo + len] >= keys[lo + len - 1]))
				len++;
		}
		if (len < minrun)
			len = n - lo < minrun ? n - lo : minrun;
		lo += len;
		stack[depth++] = len;
		while (depth >= 2) {
			size_t i = depth - 2;
			if (depth >= 3 && stack[depth - 3] <= stack[depth - 2] + stack[depth - 1]) {
				if (stack[depth - 3] < stack[depth - 1])
					i = depth - 3;
			} else if (stack[depth - 2] > stack[depth - 1]) {
				break;
			}
			cost += (double)(stack[i] + stack[i + 1]);
			stack[i] += stack[i + 1];
			memmove(&stack[i + 1], &stack[i + 2], (depth - i - 2) * sizeof stack[0]);
			depth--;
		}
		if (depth == sizeof stack / sizeof stack[0])
			return NAN;
	}
	while (depth > 1) {
		cost += (double)(stack[depth - 2] + stack[depth - 1]);
		stack[depth - 2] += stack[depth - 1];
		depth--;
	}
	return cost;
}

static bool measure(struct row *row, const struct corpus *c, const struct elem_type *t, unsigned reps)
{
	size_t n = c->n;
	const void *input = corpus_input(c, t);
	char *ours = malloc(n * t->size + 1), *theirs = malloc(n * t->size + 1);
	struct counted_cmp qsort_counter = { t, 0 };
	struct lockscope_sort_stats st, natural;

	if (!ours || !theirs) {
		free(ours);
		free(theirs);
		return false;
	}
	row->type = t->name;
	row->n = n;

	memcpy(theirs, input, n * t->size);
	qsort_r(theirs, n, t->size, counted_cmp, &qsort_counter);
	memcpy(ours, input, n * t->size);
	lockscope_sort_stats(ours, n, t->size, plain_cmp, (void *)t, &st);
	lockscope_sort_analyze(input, n, t->size, plain_cmp, (void *)t, &natural);
	row->cmp_ours = n ? (double)st.comparisons / (double)n : 0;
	row->cmp_qsort = n ? (double)qsort_counter.calls / (double)n : 0;
	row->merge_cost = st.merge_cost;
	row->runs = st.runs;
	row->nH = st.nH;
	row->natural_runs = natural.runs;
	row->natural_nH = natural.nH;
	row->timsort_rule_cost = timsort_rule_cost(c->keys, n);

	row->ms_qsort = time_sort(t, false, input, ours, n, reps);
	row->ms_ours = time_sort(t, true, input, ours, n, reps);
	row->sorted = same_order(t, ours, theirs, n);
	row->stable = row->sorted && check_stable(c, t, (char **)ours);
	free(ours);
	free(theirs);
	return true;
}

/* ---- output ----------------------------------------------------------- */

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

static void print_text(FILE *out, const struct row *rows, size_t nrows, uint64_t seed, unsigned reps)
{
	fprintf(out, "lockscope sortbench: seed %" PRIu64 ", median of %u run%s; comparisons counted per element\n",
		seed, reps, reps == 1 ? "" : "s");
	fprintf(out, "%-12s %-9s %9s %7s %7s %7s %8s %7s %8s %9s %9s %8s %6s\n", "pattern", "type", "n", "cmp/n",
		"qsort", "cost/nH", "excess/n", "tim/nH", "runs", "ms", "qsort_ms", "speedup", "stable");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double excess = r->n ? ((double)r->merge_cost - r->nH) / (double)r->n : 0;
		fprintf(out, "%-12s %-9s %9zu %7.3f %7.3f %7.3f %8.3f %7.3f %8" PRIu64 " %9.3f %9.3f %7.2fx %6s\n",
			r->pattern, r->type, r->n, r->cmp_ours, r->cmp_qsort, ratio((double)r->merge_cost, r->nH),
			excess, ratio(r->timsort_rule_cost, r->nH), r->runs, r->ms_ours, r->ms_qsort,
			ratio(r->ms_qsort, r->ms_ours), !r->sorted ? "UNSORTED" : r->stable ? "yes" : "NO");
	}
}

/* JSON numbers: NaN and infinities become null. */
static void json_num(FILE *out, const char *key, double v, bool last)
{
	if (isfinite(v))
		fprintf(out, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
	else
		fprintf(out, "\"%s\": null%s", key, last ? "" : ", ");
}

static void print_json(FILE *out, const struct row *rows, size_t nrows, uint64_t seed, unsigned reps)
{
	fprintf(out, "{\n  \"tool\": \"lockscope sortbench\",\n  \"seed\": %" PRIu64 ",\n  \"repetitions\": %u,\n  \"results\": [",
		seed, reps);
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		fprintf(out, "%s\n    {\"pattern\": \"%s\", \"type\": \"%s\", \"n\": %zu, ", i ? "," : "", r->pattern,
			r->type, r->n);
		json_num(out, "comparisons_per_element", r->cmp_ours, false);
		json_num(out, "qsort_comparisons_per_element", r->cmp_qsort, false);
		fprintf(out, "\"merge_cost\": %" PRIu64 ", ", r->merge_cost);
		json_num(out, "nH", r->nH, false);
		json_num(out, "merge_cost_over_nH", ratio((double)r->merge_cost, r->nH), false);
		json_num(out, "merge_cost_excess_per_element", r->n ? ((double)r->merge_cost - r->nH) / (double)r->n : 0,
			 false);
		json_num(out, "timsort_rule_merge_cost", r->timsort_rule_cost, false);
		fprintf(out, "\"runs\": %" PRIu64 ", \"natural_runs\": %" PRIu64 ", ", r->runs, r->natural_runs);
		json_num(out, "natural_nH", r->natural_nH, false);
		json_num(out, "ms", r->ms_ours, false);
		json_num(out, "qsort_ms", r->ms_qsort, false);
		fprintf(out, "\"sorted\": %s, \"stable\": %s}", r->sorted ? "true" : "false", r->stable ? "true" : "false");
	}
	fprintf(out, "\n  ]\n}\n");
}

static void print_csv(FILE *out, const struct row *rows, size_t nrows)
{
	fprintf(out, "pattern,type,n,comparisons_per_element,qsort_comparisons_per_element,merge_cost,nH,"
		     "timsort_rule_merge_cost,runs,natural_runs,natural_nH,ms,qsort_ms,sorted,stable\n");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		fprintf(out, "%s,%s,%zu,%.6f,%.6f,%" PRIu64 ",%.3f,%.0f,%" PRIu64 ",%" PRIu64 ",%.3f,%.4f,%.4f,%s,%s\n",
			r->pattern, r->type, r->n, r->cmp_ours, r->cmp_qsort, r->merge_cost, r->nH,
			r->timsort_rule_cost, r->runs, r->natural_runs, r->natural_nH, r->ms_ours, r->ms_qsort,
			r->sorted ? "yes" : "no", r->stable ? "yes" : "no");
	}
}

/* ---- SVG chart -------------------------------------------------------- */

struct series {
	const char *label, *color;
	double values[NPATTERNS];
};

/* One panel of grouped bars: a group per pattern, a bar per series. */
static void svg_panel(FILE *out, double top, const char *title, const char *unit, const char **labels, size_t ngroups,
		      const struct series *s, size_t nseries)
{
	const double left = 60, width = 900, height = 220, group_w = width / (double)(ngroups ? ngroups : 1);
	double max = 0;
	for (size_t i = 0; i < nseries; i++)
		for (size_t g = 0; g < ngroups; g++)
			if (isfinite(s[i].values[g]) && s[i].values[g] > max)
				max = s[i].values[g];
	if (max <= 0)
		max = 1;
	fprintf(out, "<text x=\"%g\" y=\"%g\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", left, top - 8, title);
	fprintf(out, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/>\n", left, top + height,
		left + width, top + height);
	for (int tick = 0; tick <= 4; tick++) {
		double v = max * tick / 4, y = top + height - height * tick / 4;
		fprintf(out, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", left - 4, y + 3, v);
		fprintf(out, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", left, y, left + width, y);
	}
	fprintf(out, "<text x=\"14\" y=\"%g\" font-size=\"11\" transform=\"rotate(-90 14 %g)\" text-anchor=\"middle\">%s</text>\n",
		top + height / 2, top + height / 2, unit);
	for (size_t g = 0; g < ngroups; g++) {
		double gx = left + group_w * (double)g, bar_w = (group_w - 8) / (double)nseries;
		for (size_t i = 0; i < nseries; i++) {
			double v = isfinite(s[i].values[g]) ? s[i].values[g] : 0, h = height * v / max;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.4g %s</title></rect>\n",
				gx + 4 + bar_w * (double)i, top + height - h, bar_w, h, s[i].color, labels[g], s[i].label, v, unit);
		}
		fprintf(out, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %g)\">%s</text>\n",
			gx + group_w / 2, top + height + 14, gx + group_w / 2, top + height + 14, labels[g]);
	}
	for (size_t i = 0; i < nseries; i++) {
		double lx = left + width - 150, ly = top + 6 + 14 * (double)i;
		fprintf(out, "<rect x=\"%g\" y=\"%g\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%g\" y=\"%g\" font-size=\"11\">%s</text>\n",
			lx, ly, s[i].color, lx + 14, ly + 9, s[i].label);
	}
}

/* Chart of the first size measured: time per element of qsort and of each
 * type of ours, and comparisons per element (comparator i64 rows). */
static int write_chart(const char *path, const struct row *rows, size_t nrows)
{
	static const char *colors[] = { "#1f77b4", "#2ca02c", "#9467bd", "#8c564b" };
	const char *labels[NPATTERNS];
	struct series time_s[NTYPES + 1], cmp_s[2];
	size_t ngroups = 0, first_n = nrows ? rows[0].n : 0;
	FILE *out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "lockscope sortbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(time_s, 0, sizeof time_s);
	memset(cmp_s, 0, sizeof cmp_s);
	time_s[0] = (struct series){ .label = "glibc qsort", .color = "#d62728" };
	for (size_t t = 0; t < NTYPES; t++) {
		time_s[t + 1].label = types[t].name;
		time_s[t + 1].color = colors[t];
	}
	cmp_s[0] = (struct series){ .label = "glibc qsort", .color = "#d62728" };
	cmp_s[1] = (struct series){ .label = "lockscope_sort", .color = "#1f77b4" };
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		size_t g, t;
		if (r->n != first_n)
			continue;
		for (g = 0; g < ngroups && strcmp(labels[g], r->pattern); g++)
			;
		if (g == ngroups) {
			if (ngroups == NPATTERNS)
				continue;
			labels[ngroups++] = r->pattern;
			for (size_t s = 0; s <= NTYPES; s++)
				time_s[s].values[g] = NAN;
			cmp_s[0].values[g] = cmp_s[1].values[g] = NAN;
		}
		for (t = 0; t < NTYPES && strcmp(types[t].name, r->type); t++)
			;
		time_s[t + 1].values[g] = r->ms_ours * 1e6 / (double)r->n;
		if (!isfinite(time_s[0].values[g]) || !strcmp(r->type, "i64"))
			time_s[0].values[g] = r->ms_qsort * 1e6 / (double)r->n;
		if (!isfinite(cmp_s[1].values[g]) || !strcmp(r->type, "i64")) {
			cmp_s[0].values[g] = r->cmp_qsort;
			cmp_s[1].values[g] = r->cmp_ours;
		}
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"700\" font-family=\"sans-serif\">\n"
		     "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		     "<text x=\"500\" y=\"22\" font-size=\"16\" text-anchor=\"middle\">lockscope sortbench, n = %zu</text>\n",
		first_n);
	svg_panel(out, 60, "Time per element (qsort: i64 comparator row)", "ns per element", labels, ngroups, time_s,
		  NTYPES + 1);
	svg_panel(out, 390, "Comparisons per element", "comparisons per element", labels, ngroups, cmp_s, 2);
	fprintf(out, "</svg>\n");
	return fclose(out) ? -1 : 0;
}

/* ---- speed targets ------------------------------------------------------ */

/* The speed targets: our time against qsort's on the same input. */
struct speed_target {
	const char *pattern, *type;
	double min_speedup; /* qsort time / ours */
};

static const struct speed_target targets[] = {
	{ "random", "i64", 1.0 },         { "ascending", "i64", 10.0 }, { "descending", "i64", 10.0 },
	{ "pipe_organ", "i64", 10.0 },    { "random", "i64_typed", 2.0 },
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static size_t pattern_index(const char *name)
{
	size_t i;
	for (i = 0; i < NPATTERNS && strcmp(patterns[i].name, name); i++)
		;
	return i;
}

static const struct elem_type *type_named(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

/* One round: qsort time / our time (medians of reps) for target t. */
static bool target_speedup(const struct speed_target *t, size_t n, uint64_t seed, unsigned reps, double *speedup)
{
	size_t p = pattern_index(t->pattern);
	const struct elem_type *type = type_named(t->type);
	struct rng r = { seed ^ (0x51ed270b27a1f3c5u * (p + 1)) };
	int64_t *keys = malloc(n * sizeof *keys);
	char *work = malloc(n * sizeof(int64_t) + 1);
	struct corpus c = { 0 };
	bool ok = keys && work && type && p < NPATTERNS;
	if (ok) {
		patterns[p].fill(keys, n, &r);
		ok = corpus_build(&c, keys, n);
	}
	if (ok) {
		const void *input = corpus_input(&c, type);
		double theirs = time_sort(type, false, input, work, n, reps);
		double ours = time_sort(type, true, input, work, n, reps);
		*speedup = ratio(theirs, ours);
	}
	corpus_free(&c);
	free(work);
	free(keys);
	return ok;
}

static int cmp_speedup(const void *a, const void *b)
{
	return cmp_f64(a, b);
}

/* --targets: every target row `rounds` times, round-robin so a burst of
 * load on the machine spreads over all rows; prints the distribution of
 * the speedup.  Timings are informative: the exit status only reports
 * failures to run, never a missed target. */
static int run_targets(FILE *out, size_t n, uint64_t seed, unsigned reps, unsigned rounds)
{
	double (*speedups)[NTARGETS] = calloc(rounds, sizeof *speedups);
	if (!speedups)
		return 1;
	for (unsigned k = 0; k < rounds; k++)
		for (size_t t = 0; t < NTARGETS; t++)
			if (!target_speedup(&targets[t], n, seed, reps, &speedups[k][t])) {
				free(speedups);
				return 1;
			}
	fprintf(out, "lockscope sortbench --targets: n %zu, seed %" PRIu64 ", %u rounds, each a median of %u runs\n", n,
		seed, rounds, reps);
	fprintf(out, "%-12s %-9s %8s %8s %8s %8s %5s\n", "pattern", "type", "target", "median", "min", "max", "met");
	for (size_t t = 0; t < NTARGETS; t++) {
		double v[64];
		for (unsigned k = 0; k < rounds; k++)
			v[k] = speedups[k][t];
		qsort(v, rounds, sizeof v[0], cmp_speedup);
		double med = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
		fprintf(out, "%-12s %-9s >=%5.1fx %7.2fx %7.2fx %7.2fx %5s\n", targets[t].pattern, targets[t].type,
			targets[t].min_speedup, med, v[0], v[rounds - 1], med >= targets[t].min_speedup ? "yes" : "NO");
	}
	free(speedups);
	return 0;
}

/* ---- command line ------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lockscope sortbench [OPTIONS]\n"
		"  -n, --size=N[,N...]       element counts (default 1000000; 1e6 notation accepted)\n"
		"  -r, --repeat=R            timed repetitions, the median is reported (default 3)\n"
		"  -p, --patterns=P[,P...]   patterns to run (default: all; see --list)\n"
		"  -t, --types=T[,T...]      element types: i64, i64_typed, f64, str (default: all)\n"
		"      --seed=S              input generator seed (default 1)\n"
		"      --format=text|json|csv  output format (default text)\n"
		"      --chart=FILE.svg      also write an SVG chart of time and comparisons per element\n"
		"  -o, --output=FILE         write the table to FILE instead of stdout\n"
		"      --targets[=K]         the issue's speed-target rows K times (default 5): median,\n"
		"                            min and max of qsort time / ours (uses -n, -r, --seed)\n"
		"      --list                list the patterns and types, then exit\n"
		"See lockscope-sortbench(1) for the pattern definitions and columns.\n");
}

/* Splits a comma list; each item must be one of names[] (by index). */
static bool parse_selection(const char *arg, bool *chosen, const char *(*name_of)(size_t), size_t count)
{
	char *copy = strdup(arg), *save = NULL;
	bool ok = copy != NULL;
	memset(chosen, 0, count * sizeof *chosen);
	for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && ok; item = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < count && strcmp(item, name_of(i)); i++)
			;
		if (i == count) {
			fprintf(stderr, "lockscope sortbench: unknown name '%s' (see --list)\n", item);
			ok = false;
		} else {
			chosen[i] = true;
		}
	}
	free(copy);
	return ok;
}

static const char *pattern_name(size_t i)
{
	return patterns[i].name;
}

static const char *type_name(size_t i)
{
	return types[i].name;
}

static bool parse_sizes(const char *arg, size_t *sizes, size_t *count, size_t cap)
{
	const char *p = arg;
	*count = 0;
	while (*p) {
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (end == p || errno || v < 1 || v > 1e10 || v != floor(v) || *count == cap)
			return false;
		sizes[(*count)++] = (size_t)v;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	return *count > 0;
}

enum format { FMT_TEXT, FMT_JSON, FMT_CSV };

struct options {
	size_t sizes[16], nsizes;
	unsigned reps;
	uint64_t seed;
	bool pattern_on[NPATTERNS], type_on[NTYPES];
	enum format format;
	const char *chart, *output;
	unsigned target_rounds; /* 0: the normal table */
};

/* 0: run, 1: exit 0 (help/list), 2: usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_SEED = 256, OPT_FORMAT, OPT_CHART, OPT_LIST, OPT_TARGETS };
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 'n' },     { "repeat", required_argument, NULL, 'r' },
		{ "patterns", required_argument, NULL, 'p' }, { "types", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, OPT_SEED }, { "format", required_argument, NULL, OPT_FORMAT },
		{ "chart", required_argument, NULL, OPT_CHART }, { "output", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, OPT_LIST },      { "help", no_argument, NULL, 'h' },
		{ "targets", optional_argument, NULL, OPT_TARGETS },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	*o = (struct options){ .sizes = { 1000000 }, .nsizes = 1, .reps = 3, .seed = 1 };
	for (size_t i = 0; i < NPATTERNS; i++)
		o->pattern_on[i] = true;
	for (size_t i = 0; i < NTYPES; i++)
		o->type_on[i] = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:r:p:t:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_sizes(optarg, o->sizes, &o->nsizes, 16)) {
				fprintf(stderr, "lockscope sortbench: bad size list '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			o->reps = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->reps < 1 || o->reps > 64) {
				fprintf(stderr, "lockscope sortbench: --repeat wants 1..64\n");
				return 2;
			}
			break;
		case 'p':
			if (!parse_selection(optarg, o->pattern_on, pattern_name, NPATTERNS))
				return 2;
			break;
		case 't':
			if (!parse_selection(optarg, o->type_on, type_name, NTYPES))
				return 2;
			break;
		case OPT_SEED:
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (*end || errno) {
				fprintf(stderr, "lockscope sortbench: bad seed '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text"))
				o->format = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				o->format = FMT_CSV;
			else {
				fprintf(stderr, "lockscope sortbench: --format wants text, json or csv\n");
				return 2;
			}
			break;
		case OPT_CHART:
			o->chart = optarg;
			break;
		case OPT_TARGETS:
			o->target_rounds = optarg ? (unsigned)strtoul(optarg, &end, 10) : 5;
			if ((optarg && *end) || o->target_rounds < 1 || o->target_rounds > 64) {
				fprintf(stderr, "lockscope sortbench: --targets wants 1..64 rounds\n");
				return 2;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_LIST:
			printf("patterns:");
			for (size_t i = 0; i < NPATTERNS; i++)
				printf(" %s", patterns[i].name);
			printf("\ntypes:");
			for (size_t i = 0; i < NTYPES; i++)
				printf(" %s", types[i].name);
			printf("\n");
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockscope sortbench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* Runs every selected (size, pattern, type); returns the row count or
 * (size_t)-1 when memory runs out. */
static size_t run_all(const struct options *o, struct row *rows)
{
	size_t nrows = 0;
	for (size_t s = 0; s < o->nsizes; s++) {
		size_t n = o->sizes[s];
		int64_t *keys = malloc(n * sizeof *keys);
		if (!keys)
			return (size_t)-1;
		for (size_t p = 0; p < NPATTERNS; p++) {
			struct rng r = { o->seed ^ (0x51ed270b27a1f3c5u * (p + 1)) };
			struct corpus c;
			if (!o->pattern_on[p])
				continue;
			patterns[p].fill(keys, n, &r);
			if (!corpus_build(&c, keys, n)) {
				corpus_free(&c);
				free(keys);
				return (size_t)-1;
			}
			for (size_t t = 0; t < NTYPES; t++) {
				if (!o->type_on[t])
					continue;
				rows[nrows].pattern = patterns[p].name;
				if (!measure(&rows[nrows], &c, &types[t], o->reps)) {
					corpus_free(&c);
					free(keys);
					return (size_t)-1;
				}
				nrows++;
			}
			corpus_free(&c);
		}
		free(keys);
	}
	return nrows;
}

int ls_cmd_sortbench(int argc, char **argv)
{
	struct options o;
	int status = parse_options(argc, argv, &o);
	if (status)
		return status == 1 ? 0 : 2;
	if (o.target_rounds) {
		FILE *tout = o.output ? fopen(o.output, "w") : stdout;
		if (!tout) {
			fprintf(stderr, "lockscope sortbench: %s: %s\n", o.output, strerror(errno));
			return 1;
		}
		status = run_targets(tout, o.sizes[0], o.seed, o.reps, o.target_rounds);
		if (status)
			fprintf(stderr, "lockscope sortbench: out of memory\n");
		if (tout != stdout && fclose(tout))
			status = 1;
		return status;
	}

	struct row *rows = calloc(o.nsizes * NPATTERNS * NTYPES, sizeof *rows);
	size_t nrows = rows ? run_all(&o, rows) : (size_t)-1;
	if (nrows == (size_t)-1) {
		fprintf(stderr, "lockscope sortbench: out of memory\n");
		free(rows);
		return 1;
	}
	FILE *out = o.output ? fopen(o.output, "w") : stdout;
	if (!out) {
		fprintf(stderr, "lockscope sortbench: %s: %s\n", o.output, strerror(errno));
		free(rows);
		return 1;
	}
	if (o.format == FMT_JSON)
		print_json(out, rows, nrows, o.seed, o.reps);
	else if (o.format == FMT_CSV)
		print_csv(out, rows, nrows);
	else
		print_text(out, rows, nrows, o.seed, o.reps);
	if (out != stdout && fclose(out))
		status = 1;
	if (o.chart && write_chart(o.chart, rows, nrows))
		status = 1;
	for (size_t i = 0; i < nrows; i++)
		if (!rows[i].sorted || !rows[i].stable)
			status = 1;
	free(rows);
	return status;
}
