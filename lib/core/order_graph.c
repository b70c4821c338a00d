#include "config.h"

#include <string.h>
#include <sys/prctl.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/order_graph.h"
#include "core/stack_depot.h"

#define EDGE_BUCKETS (1u << 17)

static ls_spinlock graph_lock = LS_SPINLOCK_INIT;
static _Atomic(ls_edge *) edge_buckets[EDGE_BUCKETS];
static atomic_size_t n_edges;
static unsigned stack_depth = 32;
static ls_inversion_callback *inversion_cb;

static _Atomic(ls_inversion_finding *) findings_head;
static ls_inversion_finding *findings_tail;
static atomic_size_t n_findings;
static uint64_t *reported_sigs;
static size_t n_reported_sigs, cap_reported_sigs;

/* Cycles through a semaphore wait here until confirmed (see the header):
 * a semaphore may still show it is a signal, and then every cycle through
 * it is rejected.  Under graph_lock. */
struct pending {
	struct pending *next;
	bool rejected;
	ls_inversion_finding *finding;   /* seq 0 until confirmed */
};
static struct pending *pending_head;
static atomic_size_t n_pending, n_rejected;

void ls_order_set_callback(ls_inversion_callback *cb) { inversion_cb = cb; }
void ls_order_set_stack_depth(unsigned depth) { stack_depth = depth; }

static bool modes_conflict(uint8_t a, uint8_t b) { return !(a == LS_MODE_READ && b == LS_MODE_READ); }
static uint8_t pack_modes(uint8_t from, uint8_t to) { return (uint8_t)(from << 4 | to); }

static size_t edge_bucket(uint64_t from, uint64_t to, uint8_t modes)
{
	return ls_hash64(from * 0x9e3779b97f4a7c15ULL ^ to ^ ((uint64_t)modes << 56)) & (EDGE_BUCKETS - 1);
}

static ls_edge *edge_lookup(uint64_t from, uint64_t to, uint8_t from_mode, uint8_t to_mode)
{
	size_t b = edge_bucket(from, to, pack_modes(from_mode, to_mode));
	for (ls_edge *e = atomic_load_explicit(&edge_buckets[b], memory_order_acquire); e; e = e->hash_next)
		if (e->from_id == from && e->to_id == to && e->from_mode == from_mode && e->to_mode == to_mode)
			return e;
	return NULL;
}

/* ---- gates ---------------------------------------------------------- */

static bool thread_holds_id(ls_thread_state *t, uint64_t id)
{
	ls_held *h = ls_held_array(t);
	for (uint32_t i = 0, n = ls_held_count(t); i < n; i++)
		if (ls_held_lock_id(&h[i]) == id)
			return true;
	return false;
}

static bool all_gates_held(ls_thread_state *t, const ls_edge *e)
{
	for (unsigned i = 0; i < e->n_gates; i++)
		if (!thread_holds_id(t, e->gates[i]))
			return false;
	return true;
}

/* The locks `t` holds besides `from` (oldest first: outer locks are the
 * usual gates).  Keeping fewer than all only makes reports more likely. */
static uint8_t collect_gates(ls_thread_state *t, uint64_t from_id, uint64_t *gates)
{
	ls_held *h = ls_held_array(t);
	uint8_t n = 0;
	for (uint32_t i = 0, cnt = ls_held_count(t); i < cnt && n < LS_MAX_GATES; i++)
		if (ls_held_lock_id(&h[i]) != from_id)
			gates[n++] = ls_held_lock_id(&h[i]);
	return n;
}

/* Drops from e's gates those `t` does not hold now; true if any was dropped. */
static bool narrow_gates(ls_thread_state *t, ls_edge *e)
{
	uint8_t kept = 0;
	for (unsigned i = 0; i < e->n_gates; i++)
		if (thread_holds_id(t, e->gates[i]))
			e->gates[kept++] = e->gates[i];
	bool changed = kept != e->n_gates;
	e->n_gates = kept;
	return changed;
}

/* ---- cycle search ---------------------------------------------------- */

struct visit_slot { uint64_t key; uint32_t epoch; };
static struct visit_slot *visited;
static size_t visited_cap, visited_count;
static uint32_t visit_epoch;

static bool visit_insert(uint64_t key);

static bool visited_grow(void)
{
	size_t old_cap = visited_cap;
	struct visit_slot *old = visited;
	size_t cap = old_cap ? old_cap * 2 : 1024;
	struct visit_slot *n = ls_arena_alloc(cap * sizeof *n);
	if (!n)
		return false;
	visited = n;
	visited_cap = cap;
	visited_count = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].epoch == visit_epoch)
			visit_insert(old[i].key);
	ls_arena_free(old, old_cap * sizeof *old);
	return true;
}

/* Returns true if key was not yet visited in this search. */
static bool visit_insert(uint64_t key)
{
	if ((visited_count + 1) * 2 > visited_cap && !visited_grow())
		return false;
	size_t mask = visited_cap - 1;
	for (size_t i = ls_hash64(key) & mask;; i = (i + 1) & mask) {
		if (visited[i].epoch != visit_epoch) {
			visited[i].epoch = visit_epoch;
			visited[i].key = key;
			visited_count++;
			return true;
		}
		if (visited[i].key == key)
			return false;
	}
}

static void visit_reset(void)
{
	if (++visit_epoch == 0) { /* wrapped: forget every stale stamp */
		memset(visited, 0, visited_cap * sizeof *visited);
		visit_epoch = 1;
	}
	visited_count = 0;
}

static uint8_t gate_bits(const ls_edge *e0, const ls_edge *e)
{
	uint8_t bits = 0;
	for (unsigned i = 0; i < e0->n_gates; i++)
		for (unsigned j = 0; j < e->n_gates; j++)
			if (e0->gates[i] == e->gates[j]) {
				bits |= (uint8_t)(1u << i);
				break;
			}
	return bits;
}

struct dfs_frame {
	ls_lock *node;
	ls_edge *via;
	ls_edge *next;
	uint8_t arrive_mode;
	uint8_t mask;
};

static struct dfs_frame *dfs_stack;
static size_t dfs_cap;

static struct dfs_frame *dfs_push(size_t depth)
{
	if (depth == dfs_cap) {
		size_t cap = dfs_cap ? dfs_cap * 2 : 256;
		struct dfs_frame *n = ls_arena_grow(dfs_stack, sizeof *n, dfs_cap, cap);
		if (!n)
			return NULL;
		dfs_stack = n;
		dfs_cap = cap;
	}
	return &dfs_stack[depth];
}

/* Edges a search must not use (to find cycles other than those found). */
#define LS_MAX_EXCLUDED 6
struct exclusion {
	ls_edge *edges[LS_MAX_EXCLUDED];
	uint8_t n;
};

static bool excluded(const struct exclusion *x, const ls_edge *e)
{
	for (unsigned i = 0; i < x->n; i++)
		if (x->edges[i] == e)
			return true;
	return false;
}

/* Searches a path from e0->to back to e0->from, not using the edges of x,
 * that makes e0 part of a cycle no common gate protects.  On success fills
 * path[] (e0 first) and returns its length; 0 if none.  The path array is
 * dfs-owned scratch. */
static size_t find_cycle(ls_edge *e0, const struct exclusion *x, ls_edge ***path_out)
{
	static ls_edge **path;
	static size_t path_cap;
	size_t depth = 0;
	visit_reset();
	struct dfs_frame *f = dfs_push(depth);
	if (!f)
		return 0;
	*f = (struct dfs_frame){ e0->to, e0, e0->to->out_edges, e0->to_mode,
				 (uint8_t)((1u << e0->n_gates) - 1) };
	depth = 1;
	while (depth > 0) {
		f = &dfs_stack[depth - 1];
		ls_edge *e = f->next;
		if (!e) {
			depth--;
			continue;
		}
		f->next = e->next_out;
		if (!modes_conflict(f->arrive_mode, e->from_mode) || excluded(x, e))
			continue;
		uint8_t mask = f->mask & gate_bits(e0, e);
		if (e->to == e0->from) {
			if (mask || !modes_conflict(e->to_mode, e0->from_mode))
				continue;
			if (depth + 1 > path_cap) {
				size_t cap = depth + 64;
				ls_edge **n = ls_arena_grow(path, sizeof *n, path_cap, cap);
				if (!n)
					return 0;
				path = n;
				path_cap = cap;
			}
			for (size_t i = 0; i < depth; i++)
				path[i] = dfs_stack[i].via;
			path[depth] = e;
			*path_out = path;
			return depth + 1;
		}
		uint64_t key = e->to->id << 9 | (uint64_t)(e->to_mode == LS_MODE_READ) << 8 | mask;
		if (!visit_insert(key))
			continue;
		struct dfs_frame *nf = dfs_push(depth);
		if (!nf)
			return 0;
		*nf = (struct dfs_frame){ e->to, e, e->to->out_edges, e->to_mode, mask };
		depth++;
	}
	return 0;
}

/* ---- findings -------------------------------------------------------- */

static uint64_t cycle_signature(ls_edge **path, size_t n)
{
	/* Order-independent: the same cycle found from another edge matches. */
	uint64_t sum = 0, x = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = ls_hash64(path[i]->from_id * 31 + path[i]->to_id);
		sum += h;
		x ^= h;
	}
	return ls_hash64(sum ^ (x << 1) ^ n);
}

static bool signature_seen(uint64_t sig)
{
	for (size_t i = 0; i < n_reported_sigs; i++)
		if (reported_sigs[i] == sig)
			return true;
	if (n_reported_sigs == cap_reported_sigs) {
		size_t cap = cap_reported_sigs ? cap_reported_sigs * 2 : 64;
		uint64_t *n = ls_arena_grow(reported_sigs, sizeof *n, cap_reported_sigs, cap);
		if (!n)
			return true;
		reported_sigs = n;
		cap_reported_sigs = cap;
	}
	reported_sigs[n_reported_sigs++] = sig;
	return false;
}

static void copy_edge(ls_finding_edge *d, const ls_edge *e)
{
	d->tid = e->tid;
	memcpy(d->thread_name, e->thread_name, sizeof d->thread_name);
	d->from_addr = e->from_addr;
	d->to_addr = e->to_addr;
	d->from_id = e->from_id;
	d->to_id = e->to_id;
	d->from_kind = e->from_kind;
	d->to_kind = e->to_kind;
	d->from_mode = e->from_mode;
	d->to_mode = e->to_mode;
	d->from_inited = e->from_inited;
	d->to_inited = e->to_inited;
	d->from_init_stack = e->from_init_stack;
	d->to_init_stack = e->to_init_stack;
	d->held_stack = e->held_stack;
	d->acquire_stack = e->acquire_stack;
}

/* A cycle that cannot deadlock: one of its edges was always taken while
 * holding (a gate) the lock another edge of the cycle holds exclusively
 * while it waits; the two threads would need that lock at once.  (The
 * usual case: one thread's nested chain A, B, C makes A -> B -> C, and
 * with another thread's C -> A the cycle A -> B -> C -> A is closed too,
 * but B -> C was taken under A.) */
static bool cycle_infeasible(ls_edge **path, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned g = 0; g < path[i]->n_gates; g++)
			for (size_t j = 0; j < n; j++)
				if (j != i && path[j]->from_mode != LS_MODE_READ && path[j]->from_id == path[i]->gates[g])
					return true;
	return false;
}

/* Whether the edges were first taken by as many different threads as the
 * cycle has edges.  A thread's own nested chain (A, B, C) adds shortcuts
 * and detours of one another (A -> C and A -> B -> C); a cycle through a
 * detour is the same deadlock as the one through the shortcut, and the
 * gates that would show it (A held while B -> C was taken) may have been
 * cut at LS_MAX_GATES.  Beyond the first cycle of a new edge only cycles of
 * distinct threads are reported. */
static bool distinct_threads(ls_edge **path, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (path[i]->tid == path[j]->tid)
				return false;
	return true;
}

/* Appends a finding to the list of findings (graph_lock held). */
static void publish_finding(ls_inversion_finding *f)
{
	f->seq = atomic_load(&n_findings) + 1;
	if (findings_tail)
		findings_tail->next = f;
	else
		atomic_store(&findings_head, f);
	findings_tail = f;
	atomic_store(&n_findings, f->seq);
}

/* A copy of the cycle, starting from its oldest lock so reports are stable. */
static ls_inversion_finding *copy_cycle(ls_edge **path, size_t n)
{
	ls_inversion_finding *f = ls_arena_alloc(sizeof *f + n * sizeof f->edges[0]);
	if (!f)
		return NULL;
	size_t start = 0;
	for (size_t i = 1; i < n; i++)
		if (path[i]->from_id < path[start]->from_id)
			start = i;
	f->n = n;
	for (size_t i = 0; i < n; i++)
		copy_edge(&f->edges[i], path[(start + i) % n]);
	return f;
}

static bool through_semaphore(ls_edge **path, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (path[i]->from_kind == LS_KIND_SEM || path[i]->to_kind == LS_KIND_SEM)
			return true;
	return false;
}

/* Records the cycle: a finding at once, or, through a semaphore, a pending
 * one (returns NULL then: nothing to report yet). */
static ls_inversion_finding *record_finding(ls_edge **path, size_t n, bool *failed)
{
	ls_inversion_finding *f = copy_cycle(path, n);
	*failed = !f;
	if (!f)
		return NULL;
	if (through_semaphore(path, n)) {
		struct pending *p = ls_arena_alloc(sizeof *p);
		if (!p) {
			*failed = true;
			return NULL;
		}
		*p = (struct pending){ .next = pending_head, .finding = f };
		pending_head = p;
		atomic_fetch_add(&n_pending, 1);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		path[i]->in_inversion = true;
	publish_finding(f);
	return f;
}

/* Per new edge: at most this many cycles reported, and searches made.  A
 * search that finds a cycle queues searches that each exclude one more of
 * its edges, so that other cycles through the new edge are reached too
 * (each a deadlock of its own: fixing one leaves the others). */
#define LS_MAX_CYCLES_PER_EDGE 8
#define LS_MAX_SEARCHES_PER_EDGE 48

/* Under graph_lock: records the new cycles through e0 that can deadlock.
 * Returns how many (they are the last of the findings list, the first in
 * *first). */
static size_t detect_locked(ls_edge *e0, ls_inversion_finding **first)
{
	static struct exclusion queue[LS_MAX_SEARCHES_PER_EDGE];
	size_t head = 0, tail = 0, found = 0, held_back = 0;
	queue[tail++] = (struct exclusion){ .n = 0 };
	*first = NULL;
	while (head < tail && found + held_back < LS_MAX_CYCLES_PER_EDGE) {
		struct exclusion x = queue[head++];
		ls_edge **path;
		size_t n = find_cycle(e0, &x, &path);
		if (n == 0)
			continue;
		for (size_t k = 1; k < n && x.n < LS_MAX_EXCLUDED && tail < LS_MAX_SEARCHES_PER_EDGE; k++) {
			queue[tail] = x;
			queue[tail].edges[queue[tail].n++] = path[k];
			tail++;
		}
		if (cycle_infeasible(path, n) || (found + held_back > 0 && !distinct_threads(path, n)) ||
		    signature_seen(cycle_signature(path, n)))
			continue;
		bool failed;
		ls_inversion_finding *f = record_finding(path, n, &failed);
		if (failed)
			break;
		if (!f) { /* pending: counts against the limit, reported later */
			held_back++;
			continue;
		}
		if (!*first)
			*first = f;
		found++;
	}
	return found;
}

/* ---- edges ----------------------------------------------------------- */

static ls_edge *edge_create_locked(ls_thread_state *t, const ls_held *h, ls_lock *to,
				   uint8_t to_mode, uint32_t acquire_stack)
{
	ls_edge *e = ls_arena_alloc(sizeof *e);
	if (!e)
		return NULL;
	ls_lock *from = h->lock;
	e->from = from;
	e->to = to;
	e->from_id = ls_held_lock_id(h);
	e->to_id = to->id;
	e->from_mode = ls_held_mode(h);
	e->to_mode = to_mode;
	e->n_gates = collect_gates(t, ls_held_lock_id(h), e->gates);
	e->held_stack = ls_held_site_stack(h);
	e->acquire_stack = acquire_stack;
	e->tid = t->tid;
	prctl(PR_GET_NAME, e->thread_name, 0, 0, 0);
	e->from_addr = from->addr;
	e->to_addr = to->addr;
	e->from_kind = from->kind;
	e->to_kind = to->kind;
	e->from_inited = from->inited;
	e->to_inited = to->inited;
	e->from_init_stack = from->init_stack;
	e->to_init_stack = to->init_stack;
	e->next_out = from->out_edges;
	from->out_edges = e;
	e->next_in = to->in_edges;
	to->in_edges = e;
	size_t b = edge_bucket(e->from_id, e->to_id, pack_modes(e->from_mode, e->to_mode));
	e->hash_next = atomic_load_explicit(&edge_buckets[b], memory_order_relaxed);
	atomic_store_explicit(&edge_buckets[b], e, memory_order_release);
	atomic_fetch_add(&n_edges, 1);
	return e;
}

/* The slow path: the edge is new to this thread's cache, or gated by a
 * lock this thread does not hold now. */
static bool held_life_ended(const ls_held *h) { return h->lock->dead || h->lock->id != ls_held_lock_id(h); }

static ls_edge *record_edge(ls_thread_state *t, const ls_held *h, ls_lock *to, uint8_t mode)
{
	/* A lock destroyed or freed while held stays in the held set, and its
	 * record may already serve another lock: no edge from a past life. */
	if (held_life_ended(h))
		return NULL;
	ls_edge *e = edge_lookup(ls_held_lock_id(h), to->id, ls_held_mode(h), mode);
	uint32_t acquire_stack = 0;
	if (!e) /* unwind before taking the graph lock: it is slow */
		acquire_stack = ls_capture_to_depot(stack_depth);
	ls_inversion_finding *found = NULL;
	size_t n_found = 0;
	ls_spin_lock(&graph_lock);
	if (held_life_ended(h) || to->dead || ls_lock_is_signal(h->lock) || ls_lock_is_signal(to)) {
		/* raced with destroy, or a semaphore showed it is a signal: nothing to record */
		ls_spin_unlock(&graph_lock);
		return NULL;
	}
	e = edge_lookup(ls_held_lock_id(h), to->id, ls_held_mode(h), mode);
	if (!e) {
		e = edge_create_locked(t, h, to, mode, acquire_stack);
		if (e)
			n_found = detect_locked(e, &found);
	} else if (e->n_gates && narrow_gates(t, e)) {
		n_found = detect_locked(e, &found);
	}
	ls_spin_unlock(&graph_lock);
	/* ours are consecutive in the list: their links were set under the lock */
	for (size_t i = 0; inversion_cb && i < n_found; i++) {
		inversion_cb(found);
		if (i + 1 < n_found)
			found = found->next;
	}
	return e;
}

void ls_order_before_acquire(ls_thread_state *t, ls_lock *l, uint8_t mode)
{
	ls_held *held = ls_held_array(t);
	uint32_t n = ls_held_count(t);
	if (ls_lock_is_signal(l))
		return;
	for (uint32_t i = 0; i < n; i++) {
		ls_held *h = &held[i];
		/* a signal held (its taker's entry, until it notices) orders nothing */
		if (ls_lock_is_signal(h->lock))
			continue;
		uint8_t modes = pack_modes(ls_held_mode(h), mode);
		size_t slot = (ls_held_lock_id(h) * 0x9e3779b97f4a7c15ULL ^ l->id) >> 58;
		ls_edge *e = NULL;
		if (t->edge_cache[slot].from_id == ls_held_lock_id(h) && t->edge_cache[slot].to_id == l->id &&
		    t->edge_cache[slot].modes == modes)
			e = t->edge_cache[slot].edge;
		if (LS_LIKELY(e && (e->n_gates == 0 || all_gates_held(t, e))))
			continue;
		e = record_edge(t, h, l, mode);
		if (e) {
			t->edge_cache[slot].from_id = ls_held_lock_id(h);
			t->edge_cache[slot].to_id = l->id;
			t->edge_cache[slot].modes = modes;
			t->edge_cache[slot].edge = e;
		}
		/* record_edge may run a user-visible report; held[] is unchanged. */
	}
}

static void unlink_hash_locked(ls_edge *e)
{
	size_t b = edge_bucket(e->from_id, e->to_id, pack_modes(e->from_mode, e->to_mode));
	_Atomic(ls_edge *) *link = &edge_buckets[b];
	for (ls_edge *cur; (cur = atomic_load_explicit(link, memory_order_relaxed));) {
		if (cur == e) {
			atomic_store_explicit(link, e->hash_next, memory_order_release);
			return;
		}
		link = (_Atomic(ls_edge *) *)&cur->hash_next;
	}
}

static void unlink_list(ls_edge **head, ls_edge *e, bool out_list)
{
	for (ls_edge **link = head; *link; link = out_list ? &(*link)->next_out : &(*link)->next_in)
		if (*link == e) {
			*link = out_list ? e->next_out : e->next_in;
			return;
		}
}

static void forget_edges_locked(ls_lock *l)
{
	while (l->out_edges) {
		ls_edge *e = l->out_edges;
		l->out_edges = e->next_out;
		unlink_list(&e->to->in_edges, e, false);
		unlink_hash_locked(e);
		ls_arena_free(e, sizeof *e);
		atomic_fetch_sub(&n_edges, 1);
	}
	while (l->in_edges) {
		ls_edge *e = l->in_edges;
		l->in_edges = e->next_in;
		unlink_list(&e->from->out_edges, e, true);
		unlink_hash_locked(e);
		ls_arena_free(e, sizeof *e);
		atomic_fetch_sub(&n_edges, 1);
	}
}

void ls_order_forget_lock(ls_lock *l)
{
	if (!l->out_edges && !l->in_edges)
		return;
	ls_spin_lock(&graph_lock);
	forget_edges_locked(l);
	ls_spin_unlock(&graph_lock);
}

static bool finding_involves(const ls_inversion_finding *f, uint64_t lock_id)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->edges[i].from_id == lock_id || f->edges[i].to_id == lock_id)
			return true;
	return false;
}

void ls_order_signal_not_lock(ls_lock *l)
{
	ls_spin_lock(&graph_lock);
	forget_edges_locked(l);
	for (struct pending *p = pending_head; p; p = p->next)
		if (!p->rejected && finding_involves(p->finding, l->id)) {
			p->rejected = true;
			atomic_fetch_sub(&n_pending, 1);
			atomic_fetch_add(&n_rejected, 1);
		}
	ls_spin_unlock(&graph_lock);
}

/* Marks the edges of a confirmed cycle that still exist (graph_lock held). */
static void mark_in_inversion_locked(const ls_inversion_finding *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const ls_finding_edge *fe = &f->edges[i];
		ls_edge *e = edge_lookup(fe->from_id, fe->to_id, fe->from_mode, fe->to_mode);
		if (e)
			e->in_inversion = true;
	}
}

size_t ls_order_confirm_pending(void)
{
	if (!atomic_load(&n_pending))
		return 0;
	ls_spin_lock(&graph_lock);
	/* oldest first: the list is pushed at its head */
	struct pending *order = NULL;
	while (pending_head) {
		struct pending *p = pending_head;
		pending_head = p->next;
		p->next = order;
		order = p;
	}
	ls_inversion_finding *first = NULL;
	size_t confirmed = 0;
	for (struct pending *p = order, *next; p; p = next) {
		next = p->next;
		if (!p->rejected) {
			mark_in_inversion_locked(p->finding);
			publish_finding(p->finding);
			if (!first)
				first = p->finding;
			confirmed++;
		} else {
			ls_arena_free(p->finding, sizeof *p->finding + p->finding->n * sizeof p->finding->edges[0]);
		}
		ls_arena_free(p, sizeof *p);
	}
	atomic_store(&n_pending, 0);
	ls_spin_unlock(&graph_lock);
	for (size_t i = 0; inversion_cb && i < confirmed; i++, first = first->next)
		inversion_cb(first);
	return confirmed;
}

size_t ls_order_pending_count(void) { return atomic_load(&n_pending); }
size_t ls_order_rejected_count(void) { return atomic_load(&n_rejected); }

const ls_inversion_finding *ls_order_findings(void) { return atomic_load(&findings_head); }
size_t ls_order_finding_count(void) { return atomic_load(&n_findings); }
size_t ls_order_edge_count(void) { return atomic_load(&n_edges); }

void ls_order_foreach_edge(void (*fn)(const ls_edge *, void *), void *ctx)
{
	ls_spin_lock(&graph_lock);
	for (size_t b = 0; b < EDGE_BUCKETS; b++)
		for (ls_edge *e = atomic_load(&edge_buckets[b]); e; e = e->hash_next)
			fn(e, ctx);
	ls_spin_unlock(&graph_lock);
}

void ls_order_atfork_prepare(void) { ls_spin_lock(&graph_lock); }
void ls_order_atfork_parent(void) { ls_spin_unlock(&graph_lock); }
void ls_order_atfork_child(void) { ls_spin_reset(&graph_lock); }
