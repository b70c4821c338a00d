#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/semaphore.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/thread_state.h"
#include "report/py_names.h"
#include "report/shim_report.h"

#define MAX_INLINE_CHAIN 8

const char *ls_mode_name(int mode)
{
	switch (mode) {
	case LS_MODE_READ: return "read";
	case LS_MODE_WRITE: return "write";
	default: return "exclusive";
	}
}

int ls_shim_fill_stack(ls_stack *out, ls_symbolizer *s, uint32_t depot_id)
{
	const uint64_t *pcs;
	size_t n = ls_depot_get(depot_id, &pcs);
	for (size_t i = 0; i < n; i++) {
		ls_frame chain[MAX_INLINE_CHAIN];
		size_t k = ls_symbolize(s, pcs[i], true, chain, MAX_INLINE_CHAIN);
		for (size_t j = 0; j < k; j++) {
			ls_frame *f = ls_array_push(&out->frames, &out->n, sizeof *f);
			if (!f)
				return -1;
			*f = chain[j];
		}
	}
	return 0;
}

/* "initialized at foo.c:12" from the innermost frame of the init stack. */
static char *where_made(ls_symbolizer *s, bool inited, uint32_t stack)
{
	const uint64_t *pcs;
	size_t n = ls_depot_get(stack, &pcs);
	if (!n)
		return NULL;
	/* Python made it: its line says more than the interpreter's C code. */
	uint64_t pc = pcs[ls_pystack_first_python(pcs, n)];
	ls_frame chain[MAX_INLINE_CHAIN];
	size_t k = ls_symbolize(s, pc, true, chain, MAX_INLINE_CHAIN);
	char buf[512];
	const ls_frame *f = &chain[0];
	const char *what = inited ? "initialized" : "first locked";
	if (k && f->file) {
		const char *base = strrchr(f->file, '/');
		snprintf(buf, sizeof buf, "%s at %s:%d", what, base ? base + 1 : f->file, f->line);
	} else if (k && f->function) {
		snprintf(buf, sizeof buf, "%s in %s", what, f->function);
	} else if (k && f->module) {
		const char *base = strrchr(f->module, '/');
		snprintf(buf, sizeof buf, "%s in %s+0x%" PRIx64, what, base ? base + 1 : f->module, f->module_offset);
	} else {
		snprintf(buf, sizeof buf, "%s at 0x%" PRIx64, what, pc);
	}
	for (size_t j = 0; j < k; j++) {
		free(chain[j].function);
		free(chain[j].file);
		free(chain[j].module);
	}
	return strdup(buf);
}

char *ls_shim_where_made(ls_symbolizer *s, const ls_lock *l)
{
	return where_made(s, l->inited, l->init_stack);
}

/* "mutex initialized at foo.c:12" */
static char *site_name(ls_symbolizer *s, const char *kind, bool inited, uint32_t stack)
{
	char *where = where_made(s, inited, stack);
	if (!where)
		return NULL;
	size_t len = strlen(kind) + strlen(where) + 2;
	char *name = malloc(len);
	if (name)
		snprintf(name, len, "%s %s", kind, where);
	free(where);
	return name;
}

/* Where Python made the lock, when its init stack has Python frames. */
static char *python_name(ls_symbolizer *s, const char *kind, uint32_t init_stack)
{
	const uint64_t *pcs;
	size_t n = ls_depot_get(init_stack, &pcs);
	bool python = false;
	for (size_t i = 0; i < n && !python; i++)
		python = ls_py_word_is_python(pcs[i]);
	if (!python)
		return NULL;
	ls_stack stack = { NULL, 0 };
	char *name = ls_shim_fill_stack(&stack, s, init_stack) == 0 ? ls_python_lock_name(&stack, kind) : NULL;
	ls_stack_free(&stack);
	return name;
}

/* sem_class: a semaphore's class name (NULL for other kinds). */
static void fill_lock_ref(ls_lock_ref *ref, ls_symbolizer *s, uintptr_t addr, int kind, bool inited,
			  uint32_t init_stack, const char *sem_class)
{
	const char *kind_name = ls_lock_kind_name(kind);
	ref->address = addr;
	ref->kind = strdup(kind_name);
	ref->name = ls_symbolize_data(s, addr);
	if (!ref->name)
		ref->name = python_name(s, kind_name, init_stack);
	if (!ref->name)
		ref->name = site_name(s, kind_name, inited, init_stack);
	ref->sem_class = sem_class ? strdup(sem_class) : NULL;
}

/* The class of a semaphore in an order edge: only lock-like ones have edges. */
static const char *edge_class(int kind) { return kind == LS_KIND_SEM ? "lock" : NULL; }

int ls_shim_add_inversion(ls_report *r, ls_symbolizer *s, const ls_inversion_finding *f)
{
	ls_inversion *inv = ls_array_push(&r->inversions, &r->n_inversions, sizeof *inv);
	if (!inv)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		const ls_finding_edge *fe = &f->edges[i];
		ls_cycle_edge *e = ls_array_push(&inv->cycle, &inv->n, sizeof *e);
		if (!e)
			return -1;
		e->tid = (uint64_t)fe->tid;
		e->thread_name = fe->thread_name[0] ? strdup(fe->thread_name) : NULL;
		fill_lock_ref(&e->held, s, fe->from_addr, fe->from_kind, fe->from_inited, fe->from_init_stack,
			      edge_class(fe->from_kind));
		fill_lock_ref(&e->acquired, s, fe->to_addr, fe->to_kind, fe->to_inited, fe->to_init_stack,
			      edge_class(fe->to_kind));
		e->held_mode = strdup(ls_mode_name(fe->from_mode));
		e->acquired_mode = strdup(ls_mode_name(fe->to_mode));
		if (ls_shim_fill_stack(&e->held_stack, s, fe->held_stack) ||
		    ls_shim_fill_stack(&e->acquire_stack, s, fe->acquire_stack))
			return -1;
	}
	return 0;
}

struct lock_list { ls_lock **items; size_t n, cap; };

static void collect_lock(ls_lock *l, void *ctx)
{
	struct lock_list *list = ctx;
	if (!atomic_load_explicit(&l->acquisitions, memory_order_relaxed))
		return;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		ls_lock **n = realloc(list->items, cap * sizeof *n);
		if (!n)
			return;
		list->items = n;
		list->cap = cap;
	}
	list->items[list->n++] = l;
}

static int by_wait_then_acquisitions(const void *a, const void *b)
{
	const ls_lock *x = *(ls_lock *const *)a, *y = *(ls_lock *const *)b;
	uint64_t wx = atomic_load(&x->wait_ns), wy = atomic_load(&y->wait_ns);
	if (wx != wy)
		return wx < wy ? 1 : -1;
	uint64_t ax = atomic_load(&x->acquisitions), ay = atomic_load(&y->acquisitions);
	if (ax != ay)
		return ax < ay ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

#define MAX_SITES_PER_LOCK 8

struct site_list { ls_site_stat **items; size_t n, cap; };

static void collect_site(ls_site_stat *st, void *ctx)
{
	struct site_list *list = ctx;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		ls_site_stat **n = realloc(list->items, cap * sizeof *n);
		if (!n)
			return;
		list->items = n;
		list->cap = cap;
	}
	list->items[list->n++] = st;
}

/* Sites grouped by lock, then the most waited-at (or waited-for) first. */
static int by_lock_then_cost(const void *a, const void *b)
{
	const ls_site_stat *x = *(ls_site_stat *const *)a, *y = *(ls_site_stat *const *)b;
	uint64_t ix = atomic_load(&x->lock_id), iy = atomic_load(&y->lock_id);
	if (ix != iy)
		return ix < iy ? -1 : 1;
	uint64_t cx = atomic_load(&x->wait_ns) + atomic_load(&x->blamed_wait_ns);
	uint64_t cy = atomic_load(&y->wait_ns) + atomic_load(&y->blamed_wait_ns);
	if (cx != cy)
		return cx < cy ? 1 : -1;
	uint64_t ax = atomic_load(&x->acquisitions), ay = atomic_load(&y->acquisitions);
	if (ax != ay)
		return ax < ay ? 1 : -1;
	return x->site < y->site ? -1 : x->site > y->site;
}

static int lock_id_cmp(const void *key, const void *elem)
{
	uint64_t id = *(const uint64_t *)key, other = atomic_load(&(*(ls_site_stat *const *)elem)->lock_id);
	return id < other ? -1 : id > other;
}

static void add_sites(ls_lock_stats *st, ls_symbolizer *s, const struct site_list *sites, uint64_t lock_id)
{
	ls_site_stat **hit = bsearch(&lock_id, sites->items, sites->n, sizeof *sites->items, lock_id_cmp);
	if (!hit)
		return;
	while (hit > sites->items && atomic_load(&hit[-1]->lock_id) == lock_id)
		hit--;
	ls_site_stat **end = sites->items + sites->n;
	for (size_t k = 0; hit < end && atomic_load(&(*hit)->lock_id) == lock_id && k < MAX_SITES_PER_LOCK;
	     hit++, k++) {
		const ls_site_stat *src = *hit;
		ls_site *dst = ls_array_push(&st->sites, &st->n_sites, sizeof *dst);
		if (!dst)
			return;
		if (src->stack)
			ls_shim_fill_stack(&dst->stack, s, src->stack);
		else
			ls_symbolize_stack(s, (const uint64_t[]){ src->site }, 1, &dst->stack);
		dst->acquisitions = atomic_load(&src->acquisitions);
		dst->contended = atomic_load(&src->contended);
		dst->wait_ns = atomic_load(&src->wait_ns);
		dst->max_wait_ns = atomic_load(&src->max_wait_ns);
		dst->hold_ns = atomic_load(&src->hold_ns);
		dst->blamed_wait_ns = atomic_load(&src->blamed_wait_ns);
	}
}

/* A lock whose life ended before the report: say so in its name, since its
 * address may hold another lock (or nothing) by now. */
static void mark_destroyed(ls_lock_ref *ref)
{
	const char *name = ref->name ? ref->name : ref->kind ? ref->kind : "lock";
	size_t len = strlen(name) + sizeof " (destroyed)";
	char *marked = malloc(len);
	if (!marked)
		return;
	snprintf(marked, len, "%s (destroyed)", name);
	free(ref->name);
	ref->name = marked;
}

int ls_shim_add_locks(ls_report *r, ls_symbolizer *s, size_t max_locks)
{
	struct lock_list list = { 0 };
	struct site_list sites = { 0 };
	ls_counts_collect();
	ls_lock_foreach(collect_lock, &list);
	ls_lock_foreach_kept_dead(collect_lock, &list);
	ls_site_foreach(collect_site, &sites);
	qsort(sites.items, sites.n, sizeof *sites.items, by_lock_then_cost);
	qsort(list.items, list.n, sizeof *list.items, by_wait_then_acquisitions);
	int rc = 0;
	r->locks_total = list.n;
	for (size_t i = 0; i < list.n && i < max_locks; i++) {
		const ls_lock *l = list.items[i];
		ls_lock_stats *st = ls_array_push(&r->locks, &r->n_locks, sizeof *st);
		if (!st) {
			rc = -1;
			break;
		}
		ls_shim_lock_ref(&st->lock, s, l);
		if (l->dead)
			mark_destroyed(&st->lock);
		ls_shim_fill_stack(&st->init_stack, s, l->init_stack);
		st->acquisitions = atomic_load(&l->acquisitions);
		st->contended = atomic_load(&l->contended);
		st->wait_ns = atomic_load(&l->wait_ns);
		st->max_wait_ns = atomic_load(&l->max_wait_ns);
		st->hold_ns = atomic_load(&l->hold_ns);
		st->max_hold_ns = atomic_load(&l->max_hold_ns);
		for (size_t b = 0; b < LS_WAIT_BUCKETS && b < LS_ARRAY_SIZE(st->wait_hist); b++)
			st->wait_hist[b] = atomic_load(&l->wait_hist[b]);
		add_sites(st, s, &sites, l->id);
	}
	free(sites.items);
	free(list.items);
	return rc;
}

struct edge_copy {
	uintptr_t from_addr, to_addr;
	uint8_t from_kind, to_kind;
	bool from_inited, to_inited, in_inversion;
	uint32_t from_init_stack, to_init_stack;
};
struct edge_list { struct edge_copy *items; size_t n, cap; };

static void collect_edge(const ls_edge *e, void *ctx)
{
	struct edge_list *list = ctx;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		struct edge_copy *n = realloc(list->items, cap * sizeof *n);
		if (!n)
			return;
		list->items = n;
		list->cap = cap;
	}
	list->items[list->n++] = (struct edge_copy){ e->from_addr, e->to_addr, e->from_kind, e->to_kind,
						    e->from_inited, e->to_inited, e->in_inversion,
						    e->from_init_stack, e->to_init_stack };
}

int ls_shim_add_order_edges(ls_report *r, ls_symbolizer *s)
{
	struct edge_list list = { 0 };
	/* Copy under the graph lock, symbolize (slow, allocating) after it. */
	ls_order_foreach_edge(collect_edge, &list);
	int rc = 0;
	for (size_t i = 0; i < list.n; i++) {
		const struct edge_copy *c = &list.items[i];
		ls_order_edge *e = ls_array_push(&r->order_edges, &r->n_order_edges, sizeof *e);
		if (!e) {
			rc = -1;
			break;
		}
		fill_lock_ref(&e->held, s, c->from_addr, c->from_kind, c->from_inited, c->from_init_stack,
			      edge_class(c->from_kind));
		fill_lock_ref(&e->acquired, s, c->to_addr, c->to_kind, c->to_inited, c->to_init_stack,
			      edge_class(c->to_kind));
		e->in_inversion = c->in_inversion;
	}
	free(list.items);
	return rc;
}

static char *thread_name(pid_t tid)
{
	char path[64], name[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, name, sizeof name - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	name[n] = 0;
	name[strcspn(name, "\n")] = 0;
	return strdup(name);
}

void ls_shim_lock_ref(ls_lock_ref *ref, ls_symbolizer *s, const ls_lock *l)
{
	fill_lock_ref(ref, s, l->addr, l->kind, l->inited, l->init_stack, ls_sem_class_name(l));
}

ls_thread *ls_shim_add_thread(ls_report *r, ls_symbolizer *s, ls_thread_state *t)
{
	ls_thread *th = ls_array_push(&r->threads, &r->n_threads, sizeof *th);
	if (!th)
		return NULL;
	th->tid = (uint64_t)t->tid;
	th->name = thread_name(t->tid);
	th->acquisitions = atomic_load(&t->acquisitions);
	th->wait_ns = atomic_load(&t->wait_ns);
	ls_held *held = ls_held_array(t);
	uint32_t n = ls_held_count(t);
	for (uint32_t i = 0; i < n; i++) {
		/* a semaphore that showed it is a signal is not held (its taker
		 * keeps the entry until it notices) */
		ls_held_view v;
		if (!ls_held_read(&held[i], &v) || ls_lock_is_signal(v.lock))
			continue;
		ls_held_lock *hl = ls_array_push(&th->held, &th->n_held, sizeof *hl);
		if (!hl)
			break;
		ls_shim_lock_ref(&hl->lock, s, v.lock);
		hl->lock.address = v.addr;
		hl->mode = strdup(ls_mode_name(v.mode));
		ls_shim_fill_stack(&hl->stack, s, v.site_stack);
	}
	th->state = strdup(th->n_held ? "holding locks" : "running");
	return th;
}

struct thread_ctx { ls_report *r; ls_symbolizer *s; int rc; };

static void add_thread(ls_thread_state *t, void *ctx)
{
	struct thread_ctx *c = ctx;
	if (!ls_shim_add_thread(c->r, c->s, t))
		c->rc = -1;
}

int ls_shim_add_threads(ls_report *r, ls_symbolizer *s)
{
	struct thread_ctx c = { r, s, 0 };
	ls_counts_collect();
	ls_thread_foreach(add_thread, &c);
	return c.rc;
}
