/* report_merge.c — one report from the reports of many processes (report.h).
 *
 * The processes of a run (pool workers, forked children, a fleet of
 * services) load the same code at different addresses: findings are told
 * apart by what stays the same, the locks' names and the sites where they
 * were taken (function and file:line of the innermost frame, or
 * module+offset without symbols).  An inversion's key is the set of its
 * edges (held > acquired @ held site @ acquire site), in any rotation; a
 * deadlock's, its kind and its threads' held and awaited locks.  The first
 * occurrence is kept (its stacks, its thread names) with the pids of every
 * report that had it.  Lock statistics are summed per lock name (a lock
 * without a name is its process's own) and per call site (the whole
 * stack's sites); each named lock keeps the address it had in the first
 * report, everywhere, so the lock-order graph has one node per lock.  The
 * inputs are consumed: elements are moved, duplicates freed.  A merge of
 * merges unions their pids and their merged_from lists.
 *
 * Thread dumps are not findings: two processes' dumps are never the same
 * dump.  Each process's kept dumps (already bounded per process) are all
 * kept, in input order, each naming its process (pid), and the counts of
 * dumps left out are summed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/lockscope_internal.h"
#include "report/report.h"

/* ---- strings and a string -> index map -------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->s, cap);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s ? s : "?", strlen(s ? s : "?"));
}

static void sb_fmt_u64(struct sbuf *b, const char *prefix, uint64_t v)
{
	char tmp[48];
	int n = snprintf(tmp, sizeof tmp, "%s%" PRIx64, prefix, v);
	sb_add(b, tmp, (size_t)n);
}

/* The finished string (owned by the caller), or NULL on ENOMEM. */
static char *sb_take(struct sbuf *b)
{
	if (!b->failed && !b->s)
		sb_add(b, "", 0);
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

typedef struct str_map {
	char **keys;
	size_t *values;
	size_t cap, n;
} str_map;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t *map_slot(const str_map *m, const char *key, size_t *index)
{
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i] || !strcmp(m->keys[i], key)) {
			*index = i;
			return m->keys[i] ? &m->values[i] : NULL;
		}
	}
}

static size_t *map_find(const str_map *m, const char *key)
{
	size_t i;
	return m->cap ? map_slot(m, key, &i) : NULL;
}

static bool map_grow(str_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	str_map grown = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(size_t)), cap, 0 };
	if (!grown.keys || !grown.values) {
		free(grown.keys);
		free(grown.values);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			size_t slot;
			map_slot(&grown, m->keys[i], &slot);
			grown.keys[slot] = m->keys[i];
			grown.values[slot] = m->values[i];
			grown.n++;
		}
	free(m->keys);
	free(m->values);
	*m = grown;
	return true;
}

/* Takes `key` (freed when it is not kept). */
static bool map_put(str_map *m, char *key, size_t value)
{
	if (!key)
		return false;
	if ((m->n + 1) * 2 > m->cap && !map_grow(m)) {
		free(key);
		return false;
	}
	size_t slot;
	if (map_slot(m, key, &slot)) {
		m->values[slot] = value;
		free(key);
		return true;
	}
	m->keys[slot] = key;
	m->values[slot] = value;
	m->n++;
	return true;
}

static void map_free(str_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->values);
	*m = (str_map){ 0 };
}

/* ---- keys --------------------------------------------------------------- */

/* "function@file:line", or "module+0xoff" without symbols. */
static void put_site(struct sbuf *b, const ls_frame *f)
{
	if (f->function) {
		sb_str(b, f->function);
		sb_str(b, "@");
		sb_str(b, f->file);
		sb_fmt_u64(b, ":", (uint64_t)f->line);
	} else {
		const char *slash = f->module ? strrchr(f->module, '/') : NULL;
		sb_str(b, slash ? slash + 1 : f->module);
		sb_fmt_u64(b, "+0x", f->module_offset);
	}
}

static void put_innermost_site(struct sbuf *b, const ls_stack *s)
{
	if (s->n)
		put_site(b, &s->frames[0]);
	else
		sb_str(b, "-");
}

static void put_lock_name(struct sbuf *b, const ls_lock_ref *l)
{
	sb_str(b, l->name ? l->name : l->kind ? l->kind : "lock");
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The parts (each owned) sorted and joined: the key of an unordered set. */
static char *join_sorted(char **parts, size_t n)
{
	struct sbuf b = { 0 };
	for (size_t i = 0; i < n; i++)
		if (!parts[i])
			b.failed = true;
	if (!b.failed)
		qsort(parts, n, sizeof *parts, compare_strings);
	for (size_t i = 0; i < n; i++) {
		sb_str(&b, "\n");
		if (parts[i])
			sb_str(&b, parts[i]);
		free(parts[i]);
	}
	free(parts);
	return sb_take(&b);
}

static char *inversion_key(const ls_inversion *inv)
{
	char **parts = calloc(inv->n ? inv->n : 1, sizeof *parts);
	if (!parts)
		return NULL;
	for (size_t i = 0; i < inv->n; i++) {
		const ls_cycle_edge *e = &inv->cycle[i];
		struct sbuf b = { 0 };
		put_lock_name(&b, &e->held);
		sb_str(&b, ">");
		put_lock_name(&b, &e->acquired);
		sb_str(&b, "@");
		put_innermost_site(&b, &e->held_stack);
		sb_str(&b, "@");
		put_innermost_site(&b, &e->acquire_stack);
		parts[i] = sb_take(&b);
	}
	return join_sorted(parts, inv->n);
}

static char *deadlock_key(const ls_deadlock *d)
{
	char **parts = calloc(d->n + 1, sizeof *parts);
	if (!parts)
		return NULL;
	struct sbuf kind = { 0 };
	sb_str(&kind, d->kind ? d->kind : "deadlock");
	parts[d->n] = sb_take(&kind);
	for (size_t i = 0; i < d->n; i++) {
		const ls_wait_entry *w = &d->entries[i];
		struct sbuf b = { 0 };
		put_lock_name(&b, &w->holds.lock);
		sb_str(&b, ">");
		put_lock_name(&b, &w->waits_for);
		sb_str(&b, "@");
		put_innermost_site(&b, &w->holds.stack);
		parts[i] = sb_take(&b);
	}
	return join_sorted(parts, d->n + 1);
}

/* A named lock is the same lock in every process; an unnamed one is its
 * process's own. */
static char *lock_key(const ls_lock_ref *l, int64_t pid)
{
	struct sbuf b = { 0 };
	if (l->name) {
		sb_str(&b, "=");
		sb_str(&b, l->name);
	} else {
		sb_str(&b, l->kind);
		sb_fmt_u64(&b, "@", l->address);
		sb_fmt_u64(&b, "#", (uint64_t)pid);
	}
	return sb_take(&b);
}

static char *site_key(const ls_stack *s)
{
	struct sbuf b = { 0 };
	for (size_t i = 0; i < s->n; i++) {
		sb_str(&b, ";");
		put_site(&b, &s->frames[i]);
	}
	return sb_take(&b);
}

/* A stall: the poll call, where the loop makes it, and the stack it was
 * stuck in. */
static char *loop_stall_key(const ls_loop_stall *l)
{
	struct sbuf b = { 0 };
	sb_str(&b, l->call);
	sb_str(&b, "@");
	put_innermost_site(&b, &l->call_site);
	char *stack = site_key(&l->stack);
	if (!stack)
		b.failed = true;
	sb_str(&b, stack);
	free(stack);
	return sb_take(&b);
}

static char *edge_key(const ls_order_edge *e, int64_t pid)
{
	char *held = lock_key(&e->held, pid), *acquired = lock_key(&e->acquired, pid);
	struct sbuf b = { 0 };
	if (!held || !acquired)
		b.failed = true;
	sb_str(&b, held);
	sb_str(&b, "\n");
	sb_str(&b, acquired);
	free(held);
	free(acquired);
	return sb_take(&b);
}

/* ---- merging --------------------------------------------------------------- */

struct merge {
	ls_report *out;
	str_map inversions, deadlocks, locks, edges, addresses, children, loop_stalls;
	size_t inputs;
	uint64_t unlisted_locks;  /* locks the inputs counted but did not list */
	bool failed;
	bool one_program;         /* every input names the same program */
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Adds pid to a sorted set of pids. */
static bool add_pid(int64_t **pids, size_t *n, int64_t pid)
{
	size_t at = 0;
	while (at < *n && (*pids)[at] < pid)
		at++;
	if (at < *n && (*pids)[at] == pid)
		return true;
	if (!ls_array_push(pids, n, sizeof **pids))
		return false;
	memmove(*pids + at + 1, *pids + at, (*n - 1 - at) * sizeof **pids);
	(*pids)[at] = pid;
	return true;
}

/* The pids a finding of report `r` was seen in: its own list (a merge),
 * else the report's pid. */
static bool add_pids_of(int64_t **pids, size_t *n, const int64_t *from, size_t n_from, int64_t pid)
{
	if (!n_from)
		return add_pid(pids, n, pid);
	for (size_t i = 0; i < n_from; i++)
		if (!add_pid(pids, n, from[i]))
			return false;
	return true;
}

/* One address per named lock: the first seen. */
static void canon(struct merge *m, ls_lock_ref *l)
{
	if (!l->name)
		return;
	size_t *known = map_find(&m->addresses, l->name);
	if (known)
		l->address = *known;
	else if (!map_put(&m->addresses, strdup(l->name), l->address))
		m->failed = true;
}

static void canon_held(struct merge *m, ls_held_lock *h)
{
	canon(m, &h->lock);
}

/* Where the finding of `key` (taken) goes: the one kept earlier (*seen),
 * or a new zeroed element at the end of the output array.  NULL on ENOMEM
 * (the merge fails). */
static void *finding_slot(struct merge *m, str_map *map, char *key, void *array_ptr, size_t *n, size_t size,
			  bool *seen)
{
	size_t *at = key ? map_find(map, key) : NULL;
	*seen = at != NULL;
	if (at) {
		free(key);
		return *(char **)array_ptr + *at * size;
	}
	void *slot = key ? ls_array_push(array_ptr, n, size) : NULL;
	if (!slot)
		free(key);
	else if (!map_put(map, key, *n - 1))
		slot = NULL, (*n)--;
	if (!slot)
		m->failed = true;
	return slot;
}

/* A new kept finding starts with no pids; then it has the input's. */
static void note_pids(struct merge *m, int64_t **pids, size_t *n, const int64_t *from, size_t n_from, int64_t pid)
{
	if (!add_pids_of(pids, n, from, n_from, pid))
		m->failed = true;
}

static void merge_inversion(struct merge *m, ls_inversion *inv, int64_t pid)
{
	bool seen;
	ls_inversion *kept = finding_slot(m, &m->inversions, inversion_key(inv), &m->out->inversions,
					  &m->out->n_inversions, sizeof *kept, &seen);
	if (kept && !seen) {
		*kept = *inv;
		kept->pids = NULL;
		kept->n_pids = 0;
		for (size_t i = 0; i < kept->n; i++) {
			canon(m, &kept->cycle[i].held);
			canon(m, &kept->cycle[i].acquired);
		}
	}
	if (kept)
		note_pids(m, &kept->pids, &kept->n_pids, inv->pids, inv->n_pids, pid);
	if (!kept || seen)
		ls_inversion_free(inv);
	else
		free(inv->pids);
	memset(inv, 0, sizeof *inv);
}

static void merge_deadlock(struct merge *m, ls_deadlock *d, int64_t pid)
{
	bool seen;
	ls_deadlock *kept = finding_slot(m, &m->deadlocks, deadlock_key(d), &m->out->deadlocks, &m->out->n_deadlocks,
					 sizeof *kept, &seen);
	if (kept && !seen) {
		*kept = *d;
		kept->pids = NULL;
		kept->n_pids = 0;
		for (size_t i = 0; i < kept->n; i++) {
			canon_held(m, &kept->entries[i].holds);
			canon(m, &kept->entries[i].waits_for);
		}
	}
	if (kept)
		note_pids(m, &kept->pids, &kept->n_pids, d->pids, d->n_pids, pid);
	if (!kept || seen)
		ls_deadlock_free(d);
	else
		free(d->pids);
	memset(d, 0, sizeof *d);
}

/* The first occurrence is kept, with the longest length seen. */
static void merge_loop_stall(struct merge *m, ls_loop_stall *l, int64_t pid)
{
	bool seen;
	ls_loop_stall *kept = finding_slot(m, &m->loop_stalls, loop_stall_key(l), &m->out->loop_stalls,
					   &m->out->n_loop_stalls, sizeof *kept, &seen);
	if (kept && !seen) {
		*kept = *l;
		kept->pids = NULL;
		kept->n_pids = 0;
	} else if (kept && l->total_seconds > kept->total_seconds) {
		kept->total_seconds = l->total_seconds;
	}
	if (kept)
		note_pids(m, &kept->pids, &kept->n_pids, l->pids, l->n_pids, pid);
	if (!kept || seen)
		ls_loop_stall_free(l);
	else
		free(l->pids);
	memset(l, 0, sizeof *l);
}

static void sum_site(ls_site *into, const ls_site *from)
{
	into->acquisitions = add_sat(into->acquisitions, from->acquisitions);
	into->contended = add_sat(into->contended, from->contended);
	into->wait_ns = add_sat(into->wait_ns, from->wait_ns);
	into->max_wait_ns = max_u64(into->max_wait_ns, from->max_wait_ns);
	into->hold_ns = add_sat(into->hold_ns, from->hold_ns);
	into->blamed_wait_ns = add_sat(into->blamed_wait_ns, from->blamed_wait_ns);
}

/* The sites of `from` into `into`: summed where the stacks have the same
 * sites, appended otherwise (from's sites are moved or freed). */
static bool merge_sites(ls_lock_stats *into, ls_lock_stats *from)
{
	str_map sites = { 0 };
	bool ok = true;
	for (size_t i = 0; ok && i < into->n_sites; i++)
		ok = map_put(&sites, site_key(&into->sites[i].stack), i);
	for (size_t i = 0; i < from->n_sites; i++) {
		ls_site *s = &from->sites[i];
		char *key = ok ? site_key(&s->stack) : NULL;
		size_t *at = key ? map_find(&sites, key) : NULL;
		ls_site *kept = NULL;
		if (at) {
			sum_site(&into->sites[*at], s);
		} else if (key && (kept = ls_array_push(&into->sites, &into->n_sites, sizeof *kept))) {
			*kept = *s;
			memset(s, 0, sizeof *s);
			ok = map_put(&sites, key, into->n_sites - 1);
			key = NULL;
		} else {
			ok = false;
		}
		free(key);
		ls_stack_free(&s->stack);
	}
	map_free(&sites);
	return ok;
}

static void merge_lock(struct merge *m, ls_lock_stats *l, int64_t pid)
{
	bool seen;
	ls_lock_stats *kept = finding_slot(m, &m->locks, lock_key(&l->lock, pid), &m->out->locks, &m->out->n_locks,
					   sizeof *kept, &seen);
	if (kept && seen) {
		kept->acquisitions = add_sat(kept->acquisitions, l->acquisitions);
		kept->contended = add_sat(kept->contended, l->contended);
		kept->wait_ns = add_sat(kept->wait_ns, l->wait_ns);
		kept->max_wait_ns = max_u64(kept->max_wait_ns, l->max_wait_ns);
		kept->hold_ns = add_sat(kept->hold_ns, l->hold_ns);
		kept->max_hold_ns = max_u64(kept->max_hold_ns, l->max_hold_ns);
		for (size_t i = 0; i < LS_ARRAY_SIZE(kept->wait_hist); i++)
			kept->wait_hist[i] = add_sat(kept->wait_hist[i], l->wait_hist[i]);
		if (!merge_sites(kept, l))
			m->failed = true;
	} else if (kept) {
		*kept = *l;
		canon(m, &kept->lock);
	}
	if (!kept || seen)
		ls_lock_stats_free(l);
	memset(l, 0, sizeof *l);
}

static void merge_edge(struct merge *m, ls_order_edge *e, int64_t pid)
{
	bool seen;
	ls_order_edge *kept = finding_slot(m, &m->edges, edge_key(e, pid), &m->out->order_edges,
					   &m->out->n_order_edges, sizeof *kept, &seen);
	if (kept && seen) {
		kept->in_inversion |= e->in_inversion;
	} else if (kept) {
		*kept = *e;
		canon(m, &kept->held);
		canon(m, &kept->acquired);
	}
	if (!kept || seen) {
		ls_lock_ref_free(&e->held);
		ls_lock_ref_free(&e->acquired);
	}
	memset(e, 0, sizeof *e);
}

static void canon_thread(struct merge *m, ls_thread *t)
{
	canon(m, &t->waiting_for);
	for (size_t i = 0; i < t->n_held; i++)
		canon_held(m, &t->held[i]);
}

static void move_thread(struct merge *m, ls_thread *t)
{
	ls_thread *kept = ls_array_push(&m->out->threads, &m->out->n_threads, sizeof *kept);
	if (!kept) {
		m->failed = true;
		ls_thread_free(t);
	} else {
		*kept = *t;
		canon_thread(m, kept);
	}
	memset(t, 0, sizeof *t);
}

static void move_dump(struct merge *m, ls_dump *d, int64_t pid)
{
	ls_dump *kept = ls_array_push(&m->out->dumps, &m->out->n_dumps, sizeof *kept);
	if (!kept) {
		m->failed = true;
		ls_dump_free(d);
	} else {
		*kept = *d;
		if (!kept->pid)
			kept->pid = pid;
		for (size_t i = 0; i < kept->n_threads; i++)
			canon_thread(m, &kept->threads[i]);
	}
	memset(d, 0, sizeof *d);
}

/* A process report listed once (by pid, reason and file) in `array`. */
static void move_process_ref(struct merge *m, str_map *seen, ls_child_report **array, size_t *n, ls_child_report *c)
{
	struct sbuf b = { 0 };
	sb_fmt_u64(&b, "", (uint64_t)c->pid);
	sb_str(&b, "\n");
	sb_str(&b, c->reason);
	sb_str(&b, "\n");
	sb_str(&b, c->report);
	char *key = sb_take(&b);
	bool duplicate = key && map_find(seen, key);
	ls_child_report *kept = key && !duplicate ? ls_array_push(array, n, sizeof *kept) : NULL;
	if (kept) {
		*kept = *c;
		memset(c, 0, sizeof *c);
		if (!map_put(seen, key, *n - 1))
			m->failed = true;
		return;
	}
	if (!duplicate)
		m->failed = true;
	free(key);
	ls_child_report_free(c);
	memset(c, 0, sizeof *c);
}

/* merged_from: the input's own list when it is a merge, else itself. */
static void note_source(struct merge *m, str_map *seen, ls_report *r, const char *source)
{
	for (size_t i = 0; i < r->n_merged_from; i++)
		move_process_ref(m, seen, &m->out->merged_from, &m->out->n_merged_from, &r->merged_from[i]);
	if (r->n_merged_from)
		return;
	ls_child_report c = { .pid = r->pid, .program = ls_strdup_or_null(r->program),
			      .reason = ls_strdup_or_null(r->reason), .report = ls_strdup_or_null(source),
			      .inversions = r->n_inversions, .other_findings = r->n_deadlocks + r->n_loop_stalls };
	move_process_ref(m, seen, &m->out->merged_from, &m->out->n_merged_from, &c);
}

static void merge_one(struct merge *m, str_map *sources, ls_report *r, const char *source)
{
	note_source(m, sources, r, source);
	if (m->inputs++ == 0) {
		m->out->program = ls_strdup_or_null(r->program);
		m->one_program = r->program != NULL;
	} else if (!m->out->program || !r->program || strcmp(m->out->program, r->program)) {
		m->one_program = false;
	}
	for (size_t i = 0; i < r->n_inversions; i++)
		merge_inversion(m, &r->inversions[i], r->pid);
	for (size_t i = 0; i < r->n_deadlocks; i++)
		merge_deadlock(m, &r->deadlocks[i], r->pid);
	for (size_t i = 0; i < r->n_loop_stalls; i++)
		merge_loop_stall(m, &r->loop_stalls[i], r->pid);
	for (size_t i = 0; i < r->n_locks; i++)
		merge_lock(m, &r->locks[i], r->pid);
	m->unlisted_locks = add_sat(m->unlisted_locks, ls_report_locks_total(r) - r->n_locks);
	for (size_t i = 0; i < r->n_order_edges; i++)
		merge_edge(m, &r->order_edges[i], r->pid);
	for (size_t i = 0; i < r->n_threads; i++)
		move_thread(m, &r->threads[i]);
	for (size_t i = 0; i < r->n_dumps; i++)
		move_dump(m, &r->dumps[i], r->pid);
	m->out->dumps_omitted = add_sat(m->out->dumps_omitted, r->dumps_omitted);
	for (size_t i = 0; i < r->n_child_reports; i++)
		move_process_ref(m, &m->children, &m->out->child_reports, &m->out->n_child_reports,
				 &r->child_reports[i]);
}

ls_report *ls_report_merge(ls_report **reports, const char *const *sources, size_t n)
{
	struct merge m = { .out = ls_report_new(), .one_program = true };
	str_map seen_sources = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (m.out && reports[i])
			merge_one(&m, &seen_sources, reports[i], sources ? sources[i] : NULL);
		ls_report_free(reports[i]);
		reports[i] = NULL;
	}
	if (m.out) {
		if (!m.one_program) {
			free(m.out->program);
			m.out->program = NULL;
		}
		m.out->locks_total = m.unlisted_locks ? add_sat(m.out->n_locks, m.unlisted_locks) : 0;
		m.out->reason = strdup("merge");
		if (!m.out->reason)
			m.failed = true;
	}
	map_free(&m.inversions);
	map_free(&m.deadlocks);
	map_free(&m.locks);
	map_free(&m.edges);
	map_free(&m.addresses);
	map_free(&m.children);
	map_free(&m.loop_stalls);
	map_free(&seen_sources);
	if (m.failed) {
		ls_report_free(m.out);
		return NULL;
	}
	return m.out;
}
