/* lockscope top — live view of lock contention in a preloaded program.
 *
 * Attaches to the live statistics a preloaded program publishes in
 * /dev/shm/lockscope-PID (see live_stats.h), or starts the program with
 * live statistics on.  Four views (locks, call sites, threads,
 * inversions and deadlocks) with htop's keys.  Addresses are symbolized
 * once against the process and cached; when the program exits, its last
 * figures stay on screen until quit.  -b prints the views as text instead
 * (like top -b), for scripts.
 */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/live_stats.h"
#include "core/lock_table.h"
#include "python/pyframes.h"
#include "report/py_names.h"
#include "symbols/symbolize.h"
#include "commands.h"
#include "spawn.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum view { VIEW_LOCKS, VIEW_SITES, VIEW_THREADS, VIEW_INVERSIONS, VIEW_COUNT };
static const char *const view_names[VIEW_COUNT] = { "Locks", "Sites", "Threads", "Inversions" };

/* ---- names: symbolized once per address ------------------------------ */

struct name_entry { uint64_t key; char *name; };
struct name_cache { struct name_entry *slots; size_t cap, n; };

static char **name_slot(struct name_cache *c, uint64_t key)
{
	if (c->n * 2 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct name_entry *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].name) {
				size_t j = (size_t)(c->slots[i].key * 0x9e3779b97f4a7c15ULL) & (cap - 1);
				while (slots[j].name)
					j = (j + 1) & (cap - 1);
				slots[j] = c->slots[i];
			}
		free(c->slots);
		c->slots = slots;
		c->cap = cap;
	}
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (c->cap - 1);
	while (c->slots[j].name && c->slots[j].key != key)
		j = (j + 1) & (c->cap - 1);
	c->slots[j].key = key;
	return &c->slots[j].name;
}

struct top {
	pid_t pid, child;           /* child: the program we started (0 when attached) */
	int child_status;
	bool child_reaped;
	ls_live_reader *reader;
	ls_live_snapshot snap;
	bool have_snap;
	ls_symbolizer *sym;
	struct name_cache lock_names, site_names;
	/* previous acquisition counts by lock id, for rates */
	uint64_t *prev_ids, *prev_acq;
	size_t n_prev;
	double prev_time, rate_span;
	double *rates;
	size_t n_rates;
	/* UI */
	enum view view;
	int sort[VIEW_COUNT];
	bool sort_ascending;
	size_t selected[VIEW_COUNT], scroll[VIEW_COUNT];
	char filter[64];
	bool paused, help;
	int delay_ds;                 /* refresh interval in tenths of a second */
	int rows;                     /* rows of the current list, for paging */
};

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path;
}

static void free_frames(ls_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].function);
		free(f[i].file);
		free(f[i].module);
	}
}

/* "function file:line" for a code address (a return address unless innermost). */
static char *code_name(ls_symbolizer *s, uint64_t pc, bool return_address)
{
	char buf[512];
	ls_frame f[8];
	size_t n = s ? ls_symbolize(s, pc, return_address, f, 8) : 0;
	const ls_frame *real = n ? &f[n - 1] : NULL;  /* outermost of the inline chain */
	const ls_frame *inner = n ? &f[0] : NULL;
	if (inner && inner->file)
		snprintf(buf, sizeof buf, "%s:%d %s", base_name(inner->file), inner->line,
			 real->function ? real->function : "??");
	else if (real && real->function)
		snprintf(buf, sizeof buf, "%s", real->function);
	else if (inner && inner->module)
		snprintf(buf, sizeof buf, "%s+0x%" PRIx64, base_name(inner->module), inner->module_offset);
	else
		snprintf(buf, sizeof buf, "0x%" PRIx64, pc);
	free_frames(f, n);
	return strdup(buf);
}

static const char *kind_name(uint64_t kind) { return kind < LS_KIND_COUNT ? ls_lock_kind_name((int)kind) : "lock"; }

static const char *lock_name(struct top *t, uint64_t addr, uint64_t kind, uint64_t init_pc)
{
	char **slot = name_slot(&t->lock_names, addr);
	if (!slot)
		return "?";
	if (*slot)
		return *slot;
	char *name = t->sym ? ls_symbolize_data(t->sym, addr) : NULL;
	if (!name && t->sym && ls_py_word_is_python(init_pc)) {
		/* made by Python: named as the reports name it */
		ls_frame f;
		if (ls_symbolize(t->sym, init_pc, false, &f, 1)) {
			name = ls_python_lock_name(&(ls_stack){ &f, 1 }, kind_name(kind));
			free_frames(&f, 1);
		}
	}
	if (!name) {
		char buf[600];
		if (init_pc) {
			char *where = code_name(t->sym, init_pc, false);
			snprintf(buf, sizeof buf, "%s at %s", kind_name(kind), where ? where : "?");
			free(where);
		} else {
			snprintf(buf, sizeof buf, "%s 0x%" PRIx64, kind_name(kind), addr);
		}
		name = strdup(buf);
	}
	*slot = name ? name : strdup("?");
	t->lock_names.n++;
	return *slot ? *slot : "?";
}

/* A lock's name from its address alone (threads, inversions). */
static const char *lock_name_by_addr(struct top *t, uint64_t addr, uint64_t kind)
{
	for (size_t i = 0; t->have_snap && i < t->snap.header.n_locks; i++)
		if (t->snap.locks[i].addr == addr)
			return lock_name(t, addr, t->snap.locks[i].kind, t->snap.locks[i].init_pc);
	return lock_name(t, addr, kind, 0);
}

static const char *site_name(struct top *t, uint64_t pc)
{
	char **slot = name_slot(&t->site_names, pc);
	if (!slot)
		return "?";
	if (!*slot) {
		*slot = code_name(t->sym, pc, true);
		t->site_names.n++;
	}
	return *slot ? *slot : "?";
}

/* ---- formatting ------------------------------------------------------ */

static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
	else if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " ns", ns);
}

static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 1e10)
		snprintf(buf, len, "%.0fG", v / 1e9);
	else if (v >= 1e7)
		snprintf(buf, len, "%.0fM", v / 1e6);
	else
		snprintf(buf, len, "%.0f", v);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- data ------------------------------------------------------------ */

static double lock_rate(const struct top *t, size_t i) { return i < t->n_rates ? t->rates[i] : 0; }

static uint64_t prev_acquisitions(const struct top *t, uint64_t id, bool *found)
{
	size_t lo = 0, hi = t->n_prev;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->prev_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n_prev && t->prev_ids[lo] == id;
	return *found ? t->prev_acq[lo] : 0;
}

struct id_acq { uint64_t id, acq; };
static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_acq *)a)->id, y = ((const struct id_acq *)b)->id;
	return x < y ? -1 : x > y;
}

/* Acquisitions per second since the previous snapshot, per lock. */
static void update_rates(struct top *t, double when)
{
	size_t n = t->snap.header.n_locks;
	double span = when - t->prev_time;
	free(t->rates);
	t->rates = calloc(n + 1, sizeof *t->rates);
	t->n_rates = t->rates ? n : 0;
	for (size_t i = 0; i < t->n_rates && t->n_prev && span > 0; i++) {
		bool found;
		uint64_t before = prev_acquisitions(t, t->snap.locks[i].id, &found);
		uint64_t now = t->snap.locks[i].acquisitions;
		t->rates[i] = found && now >= before ? (double)(now - before) / span : 0;
	}
	struct id_acq *pairs = calloc(n + 1, sizeof *pairs);
	if (!pairs)
		return;
	for (size_t i = 0; i < n; i++)
		pairs[i] = (struct id_acq){ t->snap.locks[i].id, t->snap.locks[i].acquisitions };
	qsort(pairs, n, sizeof *pairs, by_id);
	free(t->prev_ids);
	free(t->prev_acq);
	t->prev_ids = calloc(n + 1, sizeof *t->prev_ids);
	t->prev_acq = calloc(n + 1, sizeof *t->prev_acq);
	t->n_prev = t->prev_ids && t->prev_acq ? n : 0;
	for (size_t i = 0; i < t->n_prev; i++) {
		t->prev_ids[i] = pairs[i].id;
		t->prev_acq[i] = pairs[i].acq;
	}
	free(pairs);
	t->prev_time = when;
	t->rate_span = span;
}

static void reap_child(struct top *t)
{
	if (!t->child || t->child_reaped)
		return;
	int st;
	if (waitpid(t->child, &st, WNOHANG) == t->child) {
		t->child_reaped = true;
		t->child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

static bool program_exited(const struct top *t)
{
	return (t->have_snap && t->snap.header.exited) || t->child_reaped ||
	       (!t->child && t->pid > 0 && kill(t->pid, 0) != 0 && errno == ESRCH);
}

/* Asks for a fresh publication, gives the publisher a moment, reads it. */
static void update_snapshot(struct top *t)
{
	reap_child(t);
	if (t->paused || (t->have_snap && t->snap.header.exited))
		return;
	uint64_t before = t->have_snap ? t->snap.header.publications : 0;
	ls_live_request(t->reader);
	ls_live_snapshot s;
	for (int i = 0; i < 20; i++) {
		if (ls_live_read(t->reader, &s) == 0 && (s.header.publications != before || s.header.exited))
			break;
		if (program_exited(t))
			break;
		usleep(5000);
	}
	if (ls_live_read(t->reader, &s) == 0) {
		t->snap = s;
		t->have_snap = true;
		update_rates(t, now_s());
	}
}

/* ---- rows of each view ------------------------------------------------ */

#define MAX_COLUMNS 10
struct column { const char *title; int width; bool left; };

static const struct column lock_columns[] = {
	{ "LOCK", 0, true }, { "KIND", 6, true }, { "ACQUIRED", 9, false }, { "CONTENDED", 9, false },
	{ "WAIT TOTAL", 10, false }, { "WAIT MAX", 9, false }, { "ACQ/S", 8, false }, { "CONT%", 6, false },
	{ "HOLD TOTAL", 10, false }, { "WAITING", 7, false },
};
static const struct column site_columns[] = {
	{ "CALL SITE", 0, true }, { "LOCK", 14, true }, { "ACQUIRED", 10, false }, { "CONTENDED", 10, false },
	{ "WAIT TOTAL", 10, false }, { "BLAMED", 10, false }, { "WAIT MAX", 9, false }, { "HOLD TOTAL", 10, false },
};
static const struct column thread_columns[] = {
	{ "TID", 8, false }, { "STATE", 0, true }, { "ACQUIRED", 10, false }, { "CONTENDED", 10, false },
	{ "WAIT TOTAL", 10, false }, { "HELD", 4, false },
};
static const struct column inversion_columns[] = { { "FINDING", 0, true } };

static const struct column *columns_of(enum view v, size_t *n)
{
	switch (v) {
	case VIEW_LOCKS: *n = N_OF(lock_columns); return lock_columns;
	case VIEW_SITES: *n = N_OF(site_columns); return site_columns;
	case VIEW_THREADS: *n = N_OF(thread_columns); return thread_columns;
	default: *n = 1; return inversion_columns;
	}
}

/* One displayed row: cell texts and the numbers it sorts by. */
struct row {
	char cells[MAX_COLUMNS][160];
	double keys[MAX_COLUMNS];
	char detail[400];            /* a second line for threads (held locks) */
};

static void set_cell(struct row *r, int c, double key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_cell(struct row *r, int c, double key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->cells[c], sizeof r->cells[c], fmt, ap);
	va_end(ap);
	r->keys[c] = key;
}

static void set_ns(struct row *r, int c, uint64_t ns)
{
	char b[32];
	fmt_ns(b, sizeof b, ns);
	set_cell(r, c, (double)ns, "%s", b);
}

static void set_count(struct row *r, int c, double v)
{
	char b[32];
	fmt_count(b, sizeof b, v);
	set_cell(r, c, v, "%s", b);
}

static void lock_row(struct top *t, size_t i, struct row *r)
{
	const ls_live_lock *l = &t->snap.locks[i];
	set_cell(r, 0, 0, "%s", lock_name(t, l->addr, l->kind, l->init_pc));
	set_cell(r, 1, (double)l->kind, "%s", kind_name(l->kind));
	set_count(r, 2, (double)l->acquisitions);
	set_count(r, 3, (double)l->contended);
	set_ns(r, 4, l->wait_ns);
	set_ns(r, 5, l->max_wait_ns);
	set_count(r, 6, lock_rate(t, i));
	double pct = l->acquisitions ? 100.0 * (double)l->contended / (double)l->acquisitions : 0;
	set_cell(r, 7, pct, "%.1f", pct);
	if (t->snap.header.hold_time)
		set_ns(r, 8, l->hold_ns);
	else
		set_cell(r, 8, 0, "-");
	set_cell(r, 9, (double)l->waiters, "%" PRIu64, l->waiters);
}

static void site_row(struct top *t, size_t i, struct row *r)
{
	const ls_live_site *s = &t->snap.sites[i];
	set_cell(r, 0, 0, "%s", site_name(t, s->frames[0]));
	set_cell(r, 1, 0, "%s", lock_name_by_addr(t, s->lock_addr, s->lock_kind));
	set_count(r, 2, (double)s->acquisitions);
	set_count(r, 3, (double)s->contended);
	set_ns(r, 4, s->wait_ns);
	set_ns(r, 5, s->blamed_wait_ns);
	set_ns(r, 6, s->max_wait_ns);
	if (t->snap.header.hold_time)
		set_ns(r, 7, s->hold_ns);
	else
		set_cell(r, 7, 0, "-");
}

static const char *mode_word(uint64_t mode) { return mode == LS_MODE_READ ? "read" : mode == LS_MODE_WRITE ? "write" : "excl"; }

static void thread_row(struct top *t, size_t i, struct row *r)
{
	const ls_live_thread *th = &t->snap.threads[i];
	set_cell(r, 0, (double)th->tid, "%" PRIu64, th->tid);
	char since[32] = "";
	if (th->wait_since_ns && t->snap.header.published_ns > th->wait_since_ns)
		fmt_ns(since, sizeof since, t->snap.header.published_ns - th->wait_since_ns);
	switch (th->state) {
	case LS_LIVE_WAIT_LOCK:
		if (th->wait_owner_tid)
			set_cell(r, 1, 3, "waiting for %s (%s) held by %" PRIu64 ", %s", lock_name_by_addr(t, th->wait_object, LS_KIND_COUNT),
				 mode_word(th->wait_mode), th->wait_owner_tid, since);
		else
			set_cell(r, 1, 3, "waiting for %s (%s), %s", lock_name_by_addr(t, th->wait_object, LS_KIND_COUNT),
				 mode_word(th->wait_mode), since);
		break;
	case LS_LIVE_WAIT_COND: set_cell(r, 1, 2, "in condition wait on 0x%" PRIx64 ", %s", th->wait_object, since); break;
	case LS_LIVE_WAIT_JOIN: set_cell(r, 1, 1, "joining a thread, %s", since); break;
	case LS_LIVE_WAIT_SIGNAL:
		set_cell(r, 1, 2, "waiting on %s, signal, %s", lock_name_by_addr(t, th->wait_object, LS_KIND_SEM), since);
		break;
	case LS_LIVE_WAIT_BARRIER:
		set_cell(r, 1, 2, "waiting at %s, %s", lock_name_by_addr(t, th->wait_object, LS_KIND_BARRIER), since);
		break;
	default: set_cell(r, 1, 0, "running"); break;
	}
	set_count(r, 2, (double)th->acquisitions);
	set_count(r, 3, (double)th->contended);
	set_ns(r, 4, th->wait_ns);
	set_cell(r, 5, (double)th->n_held, "%" PRIu64, th->n_held);
	size_t used = 0;
	r->detail[0] = 0;
	for (uint64_t k = 0; k < th->n_held && k < LS_LIVE_HELD && used < sizeof r->detail; k++)
		used += (size_t)snprintf(r->detail + used, sizeof r->detail - used, "%s%s (%s)", k ? ", " : "holds ",
					 lock_name_by_addr(t, th->held_addr[k], LS_KIND_COUNT), mode_word(th->held_mode[k]));
}

/* Wait-for cycles among the threads now: T waits for a lock owned by U... */
static size_t deadlock_rows(struct top *t, struct row *rows, size_t max)
{
	size_t n = t->snap.header.n_threads, out = 0;
	const ls_live_thread *th = t->snap.threads;
	for (size_t i = 0; i < n && out < max; i++) {
		/* Follow owners from i at most n steps; a cycle through i whose
		 * smallest tid is i's is reported once. */
		uint64_t tid = th[i].tid, cur = i, min_tid = tid;
		bool cycle = false;
		for (size_t step = 0; step <= n; step++) {
			if (th[cur].state != LS_LIVE_WAIT_LOCK || !th[cur].wait_owner_tid)
				break;
			size_t next = n;
			for (size_t j = 0; j < n; j++)
				if (th[j].tid == th[cur].wait_owner_tid)
					next = j;
			if (next == n)
				break;
			cur = next;
			if (th[cur].tid < min_tid)
				min_tid = th[cur].tid;
			if (cur == i) {
				cycle = true;
				break;
			}
		}
		if (!cycle || min_tid != tid)
			continue;
		struct row *r = &rows[out++];
		memset(r, 0, sizeof *r);
		size_t used = (size_t)snprintf(r->cells[0], sizeof r->cells[0], "DEADLOCK: ");
		cur = i;
		do {
			used += (size_t)snprintf(r->cells[0] + used, used < sizeof r->cells[0] ? sizeof r->cells[0] - used : 0,
						 "thread %" PRIu64 " waits for %s held by %" PRIu64 "; ", th[cur].tid,
						 lock_name_by_addr(t, th[cur].wait_object, LS_KIND_COUNT), th[cur].wait_owner_tid);
			for (size_t j = 0; j < n; j++)
				if (th[j].tid == th[cur].wait_owner_tid) {
					cur = j;
					break;
				}
		} while (cur != i && used < sizeof r->cells[0]);
	}
	return out;
}

static void inversion_row(struct top *t, size_t i, struct row *r)
{
	const ls_live_inversion *inv = &t->snap.inversions[i];
	size_t used = (size_t)snprintf(r->cells[0], sizeof r->cells[0], "inversion #%zu: ", i + 1);
	size_t n = inv->n_edges < LS_LIVE_CYCLE ? inv->n_edges : LS_LIVE_CYCLE;
	for (size_t k = 0; k < n && used < sizeof r->cells[0]; k++)
		used += (size_t)snprintf(r->cells[0] + used, sizeof r->cells[0] - used, "%s -> ",
					 lock_name_by_addr(t, inv->edges[k].from_addr, inv->edges[k].from_kind));
	if (n && used < sizeof r->cells[0])
		snprintf(r->cells[0] + used, sizeof r->cells[0] - used, "%s",
			 lock_name_by_addr(t, inv->edges[0].from_addr, inv->edges[0].from_kind));
	used = 0;
	for (size_t k = 0; k < n && used < sizeof r->detail; k++)
		used += (size_t)snprintf(r->detail + used, sizeof r->detail - used, "%stid %" PRIu64 " took %s at %s",
					 k ? "; " : "", inv->edges[k].tid,
					 lock_name_by_addr(t, inv->edges[k].to_addr, inv->edges[k].to_kind),
					 inv->edges[k].acquire_pc ? site_name(t, inv->edges[k].acquire_pc) : "?");
}

static bool matches_filter(const struct top *t, const struct row *r)
{
	if (!t->filter[0])
		return true;
	for (int c = 0; c < MAX_COLUMNS; c++)
		if (strcasestr(r->cells[c], t->filter))
			return true;
	return strcasestr(r->detail, t->filter) != NULL;
}

static int sort_column;
static bool sort_up;
static int by_sort_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;
	if (x->keys[sort_column] != y->keys[sort_column])
		c = x->keys[sort_column] < y->keys[sort_column] ? -1 : 1;
	else
		c = strcmp(x->cells[sort_column], y->cells[sort_column]);
	return sort_up ? c : -c;
}

/* Builds the rows of the current view (filtered, sorted). */
static struct row *build_rows(struct top *t, enum view v, size_t *count)
{
	*count = 0;
	if (!t->have_snap)
		return NULL;
	const ls_live_header *h = &t->snap.header;
	size_t n = v == VIEW_LOCKS ? h->n_locks : v == VIEW_SITES ? h->n_sites : v == VIEW_THREADS ? h->n_threads
											   : h->n_inversions + h->n_threads;
	struct row *rows = calloc(n + 1, sizeof *rows);
	if (!rows)
		return NULL;
	size_t out = 0;
	if (v == VIEW_INVERSIONS) {
		out = deadlock_rows(t, rows, h->n_threads);
		for (size_t i = 0; i < h->n_inversions; i++)
			inversion_row(t, i, &rows[out++]);
		*count = out;
		return rows;
	}
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[out];
		memset(r, 0, sizeof *r);
		if (v == VIEW_LOCKS)
			lock_row(t, i, r);
		else if (v == VIEW_SITES)
			site_row(t, i, r);
		else
			thread_row(t, i, r);
		if (matches_filter(t, r))
			out++;
	}
	sort_column = t->sort[v];
	sort_up = t->sort_ascending;
	qsort(rows, out, sizeof *rows, by_sort_key);
	*count = out;
	return rows;
}

/* ---- screen ---------------------------------------------------------- */

#define MIN_NAME_WIDTH 22

/* A fixed column is at least as wide as its title and the sort mark
 * after it (else the mark of the sorted column is cut off); 0 = flexible. */
static int column_width(const struct column *c)
{
	int titled = (int)strlen(c->title) + 1;
	return c->width && c->width < titled ? titled : c->width;
}

/* Columns that fit in `width` (the name column keeps MIN_NAME_WIDTH; the
 * rightmost numbers go first on a narrow screen). */
static size_t visible_columns(const struct column *cols, size_t n, int width)
{
	for (;;) {
		int fixed = 0;
		for (size_t c = 0; c < n; c++)
			fixed += column_width(&cols[c]) + (cols[c].width ? 1 : 0);
		if (n <= 2 || fixed + MIN_NAME_WIDTH + 1 <= width)
			return n;
		n--;
	}
}

static void format_line(char *buf, size_t len, const struct column *cols, size_t n, int width,
			const char cells[][160])
{
	n = visible_columns(cols, n, width);
	int fixed = 0;
	for (size_t c = 0; c < n; c++)
		fixed += column_width(&cols[c]) + (cols[c].width ? 1 : 0);
	int flex = width - fixed - 1 < MIN_NAME_WIDTH ? MIN_NAME_WIDTH : width - fixed - 1;
	size_t used = 0;
	buf[0] = 0;
	for (size_t c = 0; c < n && used < len; c++) {
		int w = cols[c].width ? column_width(&cols[c]) : flex;
		used += (size_t)snprintf(buf + used, len - used, cols[c].left ? "%-*.*s " : "%*.*s ", w, w, cells[c]);
	}
}

static void header_lines(struct top *t, char lines[3][512])
{
	const ls_live_header *h = &t->snap.header;
	const char *state = program_exited(t) ? "exited" : t->paused ? "paused" : "running";
	snprintf(lines[0], 512, "lockscope top - %s (pid %d) - %s - refresh %d.%ds", t->have_snap ? base_name(h->program) : "?",
		 (int)t->pid, state, t->delay_ds / 10, t->delay_ds % 10);
	if (!t->have_snap) {
		snprintf(lines[1], 512, "waiting for the first publication...");
		lines[2][0] = 0;
		return;
	}
	uint64_t acq = 0, cont = 0, wait = 0;
	for (size_t i = 0; i < h->n_locks; i++) {
		acq += t->snap.locks[i].acquisitions;
		cont += t->snap.locks[i].contended;
		wait += t->snap.locks[i].wait_ns;
	}
	char w[32];
	fmt_ns(w, sizeof w, wait);
	snprintf(lines[1], 512, "Locks: %" PRIu64 "%s  Sites: %" PRIu64 "%s  Threads: %" PRIu64 "  Inversions: %" PRIu64
		 "  Acquisitions: %" PRIu64 "  Contended: %" PRIu64 "  Waited: %s",
		 h->total_locks, h->total_locks > h->n_locks ? " (top shown)" : "", h->total_sites,
		 h->total_sites > h->n_sites || h->site_overflow ? " (overflow)" : "", h->total_threads,
		 h->total_inversions, acq, cont, w);
	char stalls[96] = "";
	if (h->loop_stalls)
		snprintf(stalls, sizeof stalls, "Event-loop stalls: %" PRIu64 " (%" PRIu64 " now)  ", h->loop_stalls,
			 h->loop_stalls_now);
	snprintf(lines[2], 512, "%s%s%s", stalls, t->filter[0] ? "Filter: " : "", t->filter);
}

static void draw_help(void)
{
	static const char *const text[] = {
		"lockscope top - keys",
		"",
		"  1-4, Tab        switch view: Locks, Sites, Threads, Inversions/deadlocks",
		"  Up/Down PgUp/PgDn Home/End   move the selection",
		"  < >  or F6      sort by the previous / next column",
		"  I               invert the sort order",
		"  /               filter rows by a substring (Enter to apply, empty to clear)",
		"  Z  or z         pause / resume updates",
		"  F1 or h         this help (any key to return)",
		"  q  or F10       quit",
		"",
		"BLAMED: wait other threads spent while this site held the lock.",
		"Hold times need the hold_time option (lockscope run --hold-time).",
	};
	erase();
	for (size_t i = 0; i < sizeof text / sizeof *text && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, text[i], COLS);
	refresh();
}

static void draw(struct top *t)
{
	if (t->help) {
		draw_help();
		return;
	}
	erase();
	char lines[3][512];
	header_lines(t, lines);
	for (int i = 0; i < 3; i++)
		mvaddnstr(i, 0, lines[i], COLS);
	/* tabs */
	move(3, 0);
	for (int v = 0; v < VIEW_COUNT; v++) {
		if (v == (int)t->view)
			attron(A_REVERSE);
		printw(" %d %s ", v + 1, view_names[v]);
		if (v == (int)t->view)
			attroff(A_REVERSE);
		addch(' ');
	}
	size_t ncols;
	const struct column *cols = columns_of(t->view, &ncols);
	char titles[MAX_COLUMNS][160] = { { 0 } };
	for (size_t c = 0; c < ncols; c++)
		snprintf(titles[c], sizeof titles[c], "%s%s", cols[c].title,
			 (int)c == t->sort[t->view] && t->view != VIEW_INVERSIONS ? (t->sort_ascending ? "^" : "v") : "");
	char buf[1024];
	format_line(buf, sizeof buf, cols, ncols, COLS, titles);
	attron(A_BOLD | A_REVERSE);
	mvaddnstr(4, 0, buf, COLS);
	for (int x = (int)strlen(buf); x < COLS; x++)
		addch(' ');
	attroff(A_BOLD | A_REVERSE);

	size_t n;
	struct row *rows = build_rows(t, t->view, &n);
	bool two_lines = t->view == VIEW_THREADS || t->view == VIEW_INVERSIONS;
	int top = 5, avail = LINES - top - 1;
	int per = two_lines ? 2 : 1;
	t->rows = avail / per > 0 ? avail / per : 1;
	size_t *sel = &t->selected[t->view], *scroll = &t->scroll[t->view];
	if (n && *sel >= n)
		*sel = n - 1;
	if (*sel < *scroll)
		*scroll = *sel;
	if (*sel >= *scroll + (size_t)t->rows)
		*scroll = *sel - (size_t)t->rows + 1;
	int y = top;
	for (size_t i = *scroll; i < n && y + per <= LINES - 1; i++) {
		format_line(buf, sizeof buf, cols, ncols, COLS, (const char(*)[160])rows[i].cells);
		if (i == *sel)
			attron(A_REVERSE);
		mvaddnstr(y++, 0, buf, COLS);
		if (i == *sel)
			attroff(A_REVERSE);
		if (two_lines) {
			snprintf(buf, sizeof buf, "      %s", rows[i].detail);
			mvaddnstr(y++, 0, buf, COLS);
		}
	}
	if (!n)
		mvaddnstr(top, 0, t->view == VIEW_INVERSIONS ? "no inversions or deadlocks found so far" : "(nothing yet)", COLS);
	free(rows);
	attron(A_REVERSE);
	mvaddnstr(LINES - 1, 0, "F1Help 1Locks 2Sites 3Threads 4Inversions F6/<>Sort /Filter ZPause qQuit", COLS);
	attroff(A_REVERSE);
	refresh();
}

static void read_filter(struct top *t)
{
	char buf[sizeof t->filter] = "";
	size_t len = 0;
	timeout(-1);
	for (;;) {
		move(2, 0);
		clrtoeol();
		mvprintw(2, 0, "Filter: %s", buf);
		refresh();
		int ch = getch();
		if (ch == '\n' || ch == KEY_ENTER)
			break;
		if (ch == 27) {
			len = 0;
			buf[0] = 0;
			break;
		}
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len)
			buf[--len] = 0;
		else if (ch >= 32 && ch < 127 && len + 1 < sizeof buf) {
			buf[len++] = (char)ch;
			buf[len] = 0;
		}
	}
	memcpy(t->filter, buf, sizeof buf);
	t->selected[t->view] = t->scroll[t->view] = 0;
}

/* Returns false to quit. */
static bool handle_key(struct top *t, int ch)
{
	size_t ncols;
	columns_of(t->view, &ncols);
	size_t *sel = &t->selected[t->view];
	if (t->help) {
		t->help = false;
		return ch != 'q' && ch != KEY_F(10);
	}
	switch (ch) {
	case 'q': case 'Q': case KEY_F(10): return false;
	case 'h': case KEY_F(1): case '?': t->help = true; break;
	case '\t': t->view = (t->view + 1) % VIEW_COUNT; break;
	case KEY_BTAB: t->view = (t->view + VIEW_COUNT - 1) % VIEW_COUNT; break;
	case '1': case '2': case '3': case '4': t->view = (enum view)(ch - '1'); break;
	case '>': case '.': case KEY_F(6): t->sort[t->view] = (t->sort[t->view] + 1) % (int)ncols; break;
	case '<': case ',': t->sort[t->view] = (t->sort[t->view] + (int)ncols - 1) % (int)ncols; break;
	case 'I': t->sort_ascending = !t->sort_ascending; break;
	case 'z': case 'Z': t->paused = !t->paused; break;
	case '/': read_filter(t); break;
	case KEY_UP: if (*sel) --*sel; break;
	case KEY_DOWN: ++*sel; break;
	case KEY_PPAGE: *sel = *sel > (size_t)t->rows ? *sel - (size_t)t->rows : 0; break;
	case KEY_NPAGE: *sel += (size_t)t->rows; break;
	case KEY_HOME: *sel = 0; break;
	case KEY_END: *sel = SIZE_MAX / 2; break;
	default: break;
	}
	return true;
}

static void interactive(struct top *t)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	double next = 0;
	for (;;) {
		double now = now_s();
		if (now >= next) {
			update_snapshot(t);
			next = now + t->delay_ds / 10.0;
		}
		draw(t);
		int wait_ms = (int)((next - now_s()) * 1000);
		timeout(wait_ms > 0 ? wait_ms : 0);
		int ch = getch();
		if (ch == KEY_RESIZE || ch == ERR)
			continue;
		if (!handle_key(t, ch))
			break;
	}
	endwin();
}

/* top -b: every view as plain text, `iterations` times. */
static void batch(struct top *t, int iterations)
{
	for (int it = 0; it < iterations; it++) {
		if (it)
			usleep((useconds_t)t->delay_ds * 100000u);
		update_snapshot(t);
		char lines[3][512];
		header_lines(t, lines);
		printf("%s\n%s\n", lines[0], lines[1]);
		for (int v = 0; v < VIEW_COUNT; v++) {
			size_t ncols, n;
			const struct column *cols = columns_of((enum view)v, &ncols);
			char titles[MAX_COLUMNS][160] = { { 0 } }, buf[1024];
			for (size_t c = 0; c < ncols; c++)
				snprintf(titles[c], sizeof titles[c], "%s", cols[c].title);
			printf("\n[%s]\n", view_names[v]);
			format_line(buf, sizeof buf, cols, ncols, 120, titles);
			printf("%s\n", buf);
			struct row *rows = build_rows(t, (enum view)v, &n);
			for (size_t i = 0; i < n; i++) {
				format_line(buf, sizeof buf, cols, ncols, 120, (const char(*)[160])rows[i].cells);
				printf("%s\n", buf);
				if (rows[i].detail[0])
					printf("      %s\n", rows[i].detail);
			}
			free(rows);
		}
		printf("\n");
		fflush(stdout);
	}
}

static void top_usage(FILE *out)
{
	fputs("usage: lockscope top [-d SECONDS] [-b [-n N]] -p PID\n"
	      "       lockscope top [-d SECONDS] [-b [-n N]] -- PROG [ARGS...]\n"
	      "Live view of lock contention in a program running under the lockscope shim.\n\n"
	      "  -p, --pid=PID          attach to PID (started with lockscope run --live)\n"
	      "  -d, --delay=SECONDS    refresh interval (tenths allowed, default 1)\n"
	      "  -b, --batch            print the views as text instead of the screen\n"
	      "  -n, --iterations=N     with -b: how many times (default 1)\n"
	      "  -h, --help             this help\n"
	      "Keys: 1-4/Tab views, arrows/PgUp/PgDn, </>/F6 sort, / filter, Z pause, F1/h help, q/F10 quit.\n",
	      out);
}

static int parse_delay(const char *s)
{
	char *end;
	double d = strtod(s, &end);
	if (*end || !(d >= 0.1) || d > 3600)
		return -1;
	return (int)(d * 10 + 0.5);
}

/* Waits for the program we started to publish its statistics. */
static ls_live_reader *await_live_file(struct top *t, char *err, size_t errlen)
{
	for (int i = 0; i < 500; i++) {
		ls_live_reader *r = ls_live_open(t->pid, err, errlen);
		if (r)
			return r;
		reap_child(t);
		if (t->child_reaped) {
			snprintf(err, errlen, "the program exited (status %d) before publishing live statistics",
				 t->child_status);
			return NULL;
		}
		usleep(10000);
	}
	return NULL;
}

static void stop_child(struct top *t)
{
	if (!t->child)
		return;
	if (!t->child_reaped) {
		kill(t->child, SIGTERM);
		t->child_status = ls_wait_child(t->child);
		t->child_reaped = true;
	}
	/* Killed by the signal, it could not remove its file. */
	char path[64];
	ls_live_path(t->child, path, sizeof path);
	unlink(path);
}

/* On the screen, the program's own output and the shim's reports (on its
 * stderr) would write over the view: while the child is spawned, stdout
 * and stderr point to a log file, named when top ends.  Returns the log's
 * descriptor, or -1 (output left on the terminal). */
static int spawn_with_log(struct top *t, char **argv, char *log_path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(log_path, len, "%s/lockscope-top-XXXXXX", dir && *dir ? dir : "/tmp");
	int log_fd = mkostemp(log_path, O_CLOEXEC);
	int saved_out = log_fd >= 0 ? dup(STDOUT_FILENO) : -1, saved_err = log_fd >= 0 ? dup(STDERR_FILENO) : -1;
	bool redirected = saved_out >= 0 && saved_err >= 0 && dup2(log_fd, STDOUT_FILENO) >= 0 &&
			  dup2(log_fd, STDERR_FILENO) >= 0;
	t->child = ls_spawn_preloaded(argv, "live=1");
	if (saved_out >= 0) {
		dup2(saved_out, STDOUT_FILENO);
		close(saved_out);
	}
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	if (!redirected && log_fd >= 0) {
		close(log_fd);
		unlink(log_path);
		log_fd = -1;
	}
	return log_fd;
}

/* Names the log if the program wrote anything, else removes it. */
static void report_log(int log_fd, const char *log_path)
{
	if (log_fd < 0)
		return;
	struct stat st;
	if (fstat(log_fd, &st) == 0 && st.st_size > 0)
		fprintf(stderr, "lockscope top: the program's output and lockscope's reports are in %s\n", log_path);
	else
		unlink(log_path);
	close(log_fd);
}

static const struct option top_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "delay", required_argument, NULL, 'd' },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int ls_cmd_top(int argc, char **argv)
{
	struct top t = { .delay_ds = 10 };
	t.sort[VIEW_LOCKS] = 4;     /* wait total */
	t.sort[VIEW_SITES] = 4;
	t.sort[VIEW_THREADS] = 4;
	bool batch_mode = false;
	int iterations = 1, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:d:bn:h", top_options, NULL)) != -1) {
		switch (c) {
		case 'p': t.pid = (pid_t)atoi(optarg); break;
		case 'd':
			if ((t.delay_ds = parse_delay(optarg)) < 0) {
				fprintf(stderr, "lockscope top: bad delay '%s' (seconds, at least 0.1)\n", optarg);
				return 2;
			}
			break;
		case 'b': batch_mode = true; break;
		case 'n': iterations = atoi(optarg); break;
		case 'h': top_usage(stdout); return 0;
		default: top_usage(stderr); return 2;
		}
	}
	bool start = optind < argc;
	if ((t.pid > 0) == start) {
		fprintf(stderr, "lockscope top: give either -p PID or -- PROG ARGS\n");
		top_usage(stderr);
		return 2;
	}
	char err[512] = "", log_path[PATH_MAX];
	int log_fd = -1;
	if (start) {
		if (batch_mode)
			t.child = ls_spawn_preloaded(argv + optind, "live=1");
		else
			log_fd = spawn_with_log(&t, argv + optind, log_path, sizeof log_path);
		if (t.child <= 0) {
			report_log(log_fd, log_path);
			fprintf(stderr, "lockscope top: cannot start %s\n", argv[optind]);
			return 127;
		}
		t.pid = t.child;
		t.reader = await_live_file(&t, err, sizeof err);
	} else {
		t.reader = ls_live_open(t.pid, err, sizeof err);
	}
	if (!t.reader) {
		fprintf(stderr, "lockscope top: %s\n", err);
		stop_child(&t);
		report_log(log_fd, log_path);
		return 1;
	}
	t.sym = ls_symbolizer_new_pid(t.pid);
	if (batch_mode)
		batch(&t, iterations > 0 ? iterations : 1);
	else
		interactive(&t);
	stop_child(&t);
	report_log(log_fd, log_path);
	ls_live_close(t.reader);
	ls_symbolizer_free(t.sym);
	return 0;
}
