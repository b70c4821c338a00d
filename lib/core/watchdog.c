#include "config.h"

#include <string.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/watchdog.h"

#define MAX_HOLDERS 16

const char *ls_wd_kind_name(enum ls_wd_kind kind)
{
	static const char *const names[] = { "deadlock", "hold-and-wait", "hang", "stall" };
	return kind < LS_WD_KINDS ? names[kind] : "finding";
}

/* ---- growable arena arrays ---------------------------------------------- */

static bool reserve(void *array_ptr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t cap2 = *cap ? *cap : 64;
	while (cap2 < need)
		cap2 *= 2;
	void **array = array_ptr;
	void *bigger = ls_arena_grow(*array, elem, *cap, cap2);
	if (!bigger)
		return false;
	*array = bigger;  /* ls_arena_grow copied and freed the old array */
	*cap = cap2;
	return true;
}

/* ---- snapshots -------------------------------------------------------------- */

size_t ls_wd_snapshot_add(ls_wd_snapshot *snap, ls_thread_state *t)
{
	if (!reserve(&snap->threads, &snap->cap, snap->n + 1, sizeof *snap->threads))
		return SIZE_MAX;
	ls_wd_thread *w = &snap->threads[snap->n];
	memset(w, 0, sizeof *w);
	w->state = t;
	w->tid = t->tid;
	w->self = t->self;
	w->wait_kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
	w->waiting_on = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	w->wait_object = atomic_load_explicit(&t->wait_object, memory_order_relaxed);
	w->wait_start_ns = atomic_load_explicit(&t->wait_start_ns, memory_order_relaxed);
	w->wait_deadline_ns = atomic_load_explicit(&t->wait_deadline_ns, memory_order_relaxed);
	w->wait_mode = t->wait_mode;
	w->wait_flags = atomic_load_explicit(&t->wait_flags, memory_order_relaxed);
	if ((w->wait_kind == LS_WAIT_LOCK || w->wait_kind == LS_WAIT_BARRIER) && !w->waiting_on)
		w->wait_kind = LS_WAIT_NONE;  /* caught between the two stores */
	w->lock_id = w->waiting_on ? w->waiting_on->id : 0;
	w->signal_wait = w->wait_kind == LS_WAIT_LOCK && ls_lock_is_signal(w->waiting_on);
	uint32_t n = ls_held_count(t);
	ls_held *h = ls_held_array(t);
	w->first_held = snap->n_held;
	if (reserve(&snap->held, &snap->cap_held, snap->n_held + n, sizeof *snap->held)) {
		for (uint32_t i = 0; i < n; i++) {
			ls_held_view v;
			if (!ls_held_read(&h[i], &v) || ls_lock_is_signal(v.lock))
				continue; /* (a signal taken is not held: its taker may not know yet) */
			ls_wd_held *c = &snap->held[snap->n_held++];
			c->addr = v.addr;
			c->lock = v.lock;
			c->lock_id = v.lock_id;
			c->site_stack = v.site_stack;
			c->mode = v.mode;
		}
	}
	w->n_held = snap->n_held - w->first_held;
	return snap->n++;
}

static void add_live(ls_thread_state *t, void *ctx)
{
	ls_wd_snapshot_add(ctx, t);
}

void ls_wd_snapshot_take(ls_wd_snapshot *snap, uint64_t now_ns)
{
	snap->n = 0;
	snap->n_held = 0;
	snap->now_ns = now_ns;
	ls_thread_foreach(add_live, snap);
}

void ls_wd_snapshot_free(ls_wd_snapshot *snap)
{
	ls_arena_free(snap->threads, snap->cap * sizeof *snap->threads);
	ls_arena_free(snap->held, snap->cap_held * sizeof *snap->held);
	memset(snap, 0, sizeof *snap);
}

/* ---- the wait-for relation ----------------------------------------------- */

static const ls_wd_held *find_held(const ls_wd_snapshot *snap, size_t holder, uint64_t lock_id)
{
	const ls_wd_thread *h = &snap->threads[holder];
	for (size_t k = 0; k < h->n_held; k++)
		if (snap->held[h->first_held + k].lock_id == lock_id)
			return &snap->held[h->first_held + k];
	return NULL;
}

const ls_wd_held *ls_wd_held_lock(const ls_wd_snapshot *snap, size_t holder, size_t waiter)
{
	const ls_wd_thread *w = &snap->threads[waiter];
	return w->wait_kind == LS_WAIT_LOCK ? find_held(snap, holder, w->lock_id) : NULL;
}

size_t ls_wd_holders(const ls_wd_snapshot *snap, size_t waiter, size_t *out, size_t max)
{
	const ls_wd_thread *w = &snap->threads[waiter];
	if (w->wait_kind != LS_WAIT_LOCK || !w->waiting_on || w->signal_wait)
		return 0;
	/* Holders are the threads whose held set lists the lock (a thread
	 * lists a lock only while it really holds it: pushed after the
	 * acquisition, popped before the release).  The held sets are copied
	 * one thread after the other, so a hand-over in between can show two
	 * exclusive holders: both are returned, and a wait-for cycle through
	 * the wrong one does not survive the next scan.  A reader blocks only
	 * behind a writer, so readers matter only to writers.  The waiter
	 * itself may be the holder: the tracker publishes a wait on a lock the
	 * thread holds only when that re-lock never returns (a normal mutex
	 * locked twice), a deadlock of one thread. */
	bool wants_exclusive = w->wait_mode != LS_MODE_READ;
	size_t n = 0;
	for (size_t j = 0; j < snap->n && n < max; j++) {
		const ls_wd_held *h = find_held(snap, j, w->lock_id);
		if (h && (h->mode != LS_MODE_READ || wants_exclusive))
			out[n++] = j;
	}
	return n;
}

/* ---- signature sets ------------------------------------------------------- */

static bool seen_has(const ls_wd_seen *s, uint64_t sig)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->sigs[i] == sig)
			return true;
	return false;
}

static void seen_add(ls_wd_seen *s, uint64_t sig)
{
	if (seen_has(s, sig) || !reserve(&s->sigs, &s->cap, s->n + 1, sizeof *s->sigs))
		return;
	s->sigs[s->n++] = sig;
}

static void seen_free(ls_wd_seen *s)
{
	ls_arena_free(s->sigs, s->cap * sizeof *s->sigs);
	memset(s, 0, sizeof *s);
}

static uint64_t wait_signature(uint64_t h, const ls_wd_thread *t)
{
	h = ls_hash64(h ^ (uint64_t)t->tid);
	h = ls_hash64(h ^ t->lock_id);
	h = ls_hash64(h ^ t->wait_object);
	return ls_hash64(h ^ t->wait_start_ns);
}

/* ---- one analysis ---------------------------------------------------------- */

struct pass {
	ls_wd_analyzer *a;
	const ls_wd_snapshot *snap;
	ls_wd_emit_fn *emit;
	void *ctx;
	ls_wd_seen current;       /* findings present in this snapshot */
	ls_wd_seen cycles;        /* cycles of this snapshot */
	bool *in_finding;         /* threads already explained by a finding */
	size_t emitted;
};

static uint64_t finding_signature(enum ls_wd_kind kind, uint64_t sig) { return ls_hash64(sig ^ (uint64_t)kind); }

static void offer(struct pass *p, enum ls_wd_kind kind, const size_t *members, size_t n, uint64_t sig, bool stable)
{
	sig = finding_signature(kind, sig);
	seen_add(&p->current, sig);
	for (size_t i = 0; i < n; i++)
		p->in_finding[members[i]] = true;
	if (!stable || seen_has(&p->a->reported, sig))
		return;
	seen_add(&p->a->reported, sig);
	ls_wd_finding f = { kind, members, n, sig };
	p->emit(p->ctx, p->snap, &f);
	p->emitted++;
}

/* A cycle members[0..n): rotated so the lowest tid leads, which makes the
 * signature independent of where the search entered it. */
static void offer_cycle(struct pass *p, size_t *members, size_t n)
{
	size_t lead = 0;
	for (size_t i = 1; i < n; i++)
		if (p->snap->threads[members[i]].tid < p->snap->threads[members[lead]].tid)
			lead = i;
	size_t rotated[n];
	for (size_t i = 0; i < n; i++)
		rotated[i] = members[(lead + i) % n];
	uint64_t sig = 0;
	for (size_t i = 0; i < n; i++)
		sig = wait_signature(sig, &p->snap->threads[rotated[i]]);
	if (seen_has(&p->cycles, sig))
		return;
	seen_add(&p->cycles, sig);
	offer(p, LS_WD_DEADLOCK, rotated, n, sig, seen_has(&p->a->previous_cycles, sig));
}

enum { WHITE, GREY, BLACK };

struct dfs_frame {
	size_t node;
	size_t succ[MAX_HOLDERS];
	size_t n_succ, next;
};

/* Depth-first search of the wait-for graph; every back edge closes a cycle. */
static void find_cycles(struct pass *p, unsigned char *color, struct dfs_frame *stack)
{
	const ls_wd_snapshot *snap = p->snap;
	for (size_t root = 0; root < snap->n; root++) {
		if (color[root] != WHITE)
			continue;
		size_t depth = 0;
		stack[0].node = root;
		stack[0].n_succ = ls_wd_holders(snap, root, stack[0].succ, MAX_HOLDERS);
		stack[0].next = 0;
		color[root] = GREY;
		while (depth != SIZE_MAX) {
			struct dfs_frame *f = &stack[depth];
			if (f->next == f->n_succ) {
				color[f->node] = BLACK;
				depth--;
				continue;
			}
			size_t v = f->succ[f->next++];
			if (color[v] == GREY) {
				size_t start = depth;
				while (stack[start].node != v)
					start--;
				size_t members[depth - start + 1];
				for (size_t i = start; i <= depth; i++)
					members[i - start] = stack[i].node;
				offer_cycle(p, members, depth - start + 1);
			} else if (color[v] == WHITE) {
				struct dfs_frame *g = &stack[++depth];
				g->node = v;
				g->n_succ = ls_wd_holders(snap, v, g->succ, MAX_HOLDERS);
				g->next = 0;
				color[v] = GREY;
			}
		}
	}
}

static uint64_t waited(const ls_wd_snapshot *snap, const ls_wd_thread *t)
{
	return snap->now_ns > t->wait_start_ns ? snap->now_ns - t->wait_start_ns : 0;
}

bool ls_wd_stalled(const ls_wd_snapshot *snap, size_t i, uint64_t min_ns)
{
	const ls_wd_thread *t = &snap->threads[i];
	if (t->wait_kind == LS_WAIT_NONE || waited(snap, t) < min_ns)
		return false;
	return !t->wait_deadline_ns || t->wait_deadline_ns <= snap->now_ns;
}

/* A thread waiting for a lock whose holder sits in a condition wait.  A
 * join waits for its thread to end, not for a release (CPython's thread
 * holds that lock while it waits for the interpreter's lock, a condition
 * wait, as long as it runs): not one. */
static void find_hold_and_wait(struct pass *p)
{
	const ls_wd_snapshot *snap = p->snap;
	for (size_t i = 0; i < snap->n; i++) {
		const ls_wd_thread *t = &snap->threads[i];
		if (t->wait_kind != LS_WAIT_LOCK || p->in_finding[i] || waited(snap, t) < p->a->threshold_ns ||
		    (t->wait_flags & LS_WAIT_FLAG_JOIN))
			continue;
		size_t holders[MAX_HOLDERS];
		size_t n = ls_wd_holders(snap, i, holders, MAX_HOLDERS);
		for (size_t k = 0; k < n; k++)
			if (snap->threads[holders[k]].wait_kind == LS_WAIT_COND) {
				size_t members[2] = { i, holders[k] };
				uint64_t sig = wait_signature(wait_signature(0, t), &snap->threads[holders[k]]);
				offer(p, LS_WD_HOLD_AND_WAIT, members, 2, sig, true);
				break;
			}
	}
}

/* A thread waiting for a lock at least hang_ns.  A semaphore or once
 * control nobody holds is waited on for a post or an initialisation that
 * may come any time, like a condition: not a hang. */
static void find_hangs(struct pass *p)
{
	const ls_wd_snapshot *snap = p->snap;
	for (size_t i = 0; p->a->hang_ns && i < snap->n; i++) {
		const ls_wd_thread *t = &snap->threads[i];
		if (t->wait_kind != LS_WAIT_LOCK || p->in_finding[i] || waited(snap, t) < p->a->hang_ns ||
		    (t->wait_flags & LS_WAIT_FLAG_JOIN))
			continue;
		size_t holders[MAX_HOLDERS];
		size_t n = ls_wd_holders(snap, i, holders, MAX_HOLDERS);
		uint8_t kind = t->waiting_on->kind;
		if (n == 0 && (kind == LS_KIND_SEM || kind == LS_KIND_ONCE))
			continue;
		size_t members[2] = { i, n ? holders[0] : 0 };
		offer(p, LS_WD_HANG, members, n ? 2 : 1, wait_signature(0, t), true);
	}
}

static void find_stall(struct pass *p, size_t *members)
{
	const ls_wd_snapshot *snap = p->snap;
	if (!p->a->hang_ns || snap->n == 0)
		return;
	uint64_t sig = 0;
	for (size_t i = 0; i < snap->n; i++) {
		/* A thread already explained (a deadlock, a hold-and-wait) makes
		 * the stall a consequence, not news. */
		if (!ls_wd_stalled(snap, i, p->a->hang_ns) || p->in_finding[i])
			return;
		members[i] = i;
		sig = wait_signature(sig, &snap->threads[i]);
	}
	offer(p, LS_WD_STALL, members, snap->n, sig, true);
}

size_t ls_wd_analyze(ls_wd_analyzer *a, const ls_wd_snapshot *snap, ls_wd_emit_fn *emit, void *ctx)
{
	struct pass p = { .a = a, .snap = snap, .emit = emit, .ctx = ctx };
	size_t n = snap->n ? snap->n : 1;
	unsigned char *color = ls_arena_alloc(n);
	bool *in_finding = ls_arena_alloc(n * sizeof *in_finding);
	struct dfs_frame *stack = ls_arena_alloc(n * sizeof *stack);
	size_t *members = ls_arena_alloc(n * sizeof *members);
	if (color && in_finding && stack && members) {
		p.in_finding = in_finding;
		find_cycles(&p, color, stack);
		find_hold_and_wait(&p);
		find_stall(&p, members);
		find_hangs(&p);
		/* Forget what is gone, so that it is reported again if it returns. */
		ls_wd_seen kept = { 0 };
		for (size_t i = 0; i < a->reported.n; i++)
			if (seen_has(&p.current, a->reported.sigs[i]))
				seen_add(&kept, a->reported.sigs[i]);
		seen_free(&a->reported);
		a->reported = kept;
		seen_free(&a->previous_cycles);
		a->previous_cycles = p.cycles;
		p.cycles = (ls_wd_seen){ 0 };
	}
	seen_free(&p.current);
	seen_free(&p.cycles);
	ls_arena_free(color, n);
	ls_arena_free(in_finding, n * sizeof *in_finding);
	ls_arena_free(stack, n * sizeof *stack);
	ls_arena_free(members, n * sizeof *members);
	return p.emitted;
}

void ls_wd_analyzer_free(ls_wd_analyzer *a)
{
	seen_free(&a->previous_cycles);
	seen_free(&a->reported);
}

bool ls_wd_cycle_unconfirmed(const ls_wd_analyzer *a)
{
	for (size_t i = 0; i < a->previous_cycles.n; i++)
		if (!seen_has(&a->reported, finding_signature(LS_WD_DEADLOCK, a->previous_cycles.sigs[i])))
			return true;
	return false;
}
