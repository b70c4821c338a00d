#include "config.h"

#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/thread_state.h"

static ls_spinlock registry_lock = LS_SPINLOCK_INIT;
static _Atomic(ls_thread_state *) registry;
static atomic_size_t live_threads;

static void reset_state(ls_thread_state *t)
{
	ls_thread_state *next = t->next;
	memset(t, 0, sizeof *t);
	t->next = next;
	ls_held_init(t);
	t->tid = (pid_t)syscall(SYS_gettid);
	t->self = pthread_self();
}

/* States of exited threads stay in the registry, parked, and are claimed by
 * new threads: the registry never grows past the peak thread count. */
static ls_thread_state *claim_parked(void)
{
	for (ls_thread_state *t = atomic_load_explicit(&registry, memory_order_acquire); t; t = t->next) {
		bool parked = true;
		if (atomic_load_explicit(&t->parked, memory_order_relaxed) &&
		    atomic_compare_exchange_strong(&t->parked, &parked, false))
			return t;
	}
	return NULL;
}

ls_thread_state *ls_thread_register(void)
{
	ls_thread_state *t = claim_parked();
	if (t) {
		reset_state(t);
	} else {
		if (!(t = ls_arena_alloc(sizeof *t)))
			return NULL;
		reset_state(t);
		ls_spin_lock(&registry_lock);
		t->next = atomic_load_explicit(&registry, memory_order_relaxed);
		atomic_store_explicit(&registry, t, memory_order_release);
		ls_spin_unlock(&registry_lock);
	}
	atomic_store_explicit(&t->alive, true, memory_order_release);
	atomic_fetch_add(&live_threads, 1);
	return t;
}

/* Adds what entry i counted since the last collection to its lock, site
 * and thread.  Caller holds t->counts_lock.  The owner increments count
 * without it (the fast path takes no lock): a collector reads a value
 * that is at worst a little old, never torn (an aligned word), and the
 * rest is collected next time. */
static void collect_entry_locked(ls_thread_state *t, size_t i)
{
	struct ls_call_cache_entry *e = &t->call_cache[i];
	uint64_t count = __atomic_load_n(&e->count, __ATOMIC_RELAXED);
	/* Below what was collected only in a child forked in the middle of
	 * an eviction (count reset, collected not yet): nothing to add. */
	if (count <= t->collected[i]) {
		t->collected[i] = count;
		return;
	}
	uint64_t delta = count - t->collected[i];
	t->collected[i] = count;
	if (!e->lock || e->lock == &ls_lock_private)
		return;
	ls_lock_add_acquisitions(e->lock, e->lock_id, delta);
	ls_site_stat *ss = ls_site_find(e->lock_id, e->site);
	if (ss)
		ls_site_add_acquisitions(ss, delta);
	atomic_fetch_add_explicit(&t->acquisitions, delta, memory_order_relaxed);
}

void ls_thread_collect_counts(ls_thread_state *t)
{
	ls_spin_lock(&t->counts_lock);
	for (size_t i = 0; i < LS_CALL_CACHE_SIZE; i++)
		collect_entry_locked(t, i);
	ls_spin_unlock(&t->counts_lock);
}

void ls_call_cache_evict(ls_thread_state *t, struct ls_call_cache_entry *e)
{
	size_t i = (size_t)(e - t->call_cache);
	ls_held_unpin(t, e);
	ls_spin_lock(&t->counts_lock);
	collect_entry_locked(t, i);
	e->count = 0;
	t->collected[i] = 0;
	ls_spin_unlock(&t->counts_lock);
}

static void collect_thread(ls_thread_state *t, void *unused)
{
	(void)unused;
	ls_thread_collect_counts(t);
}

void ls_counts_collect(void)
{
	/* Exited threads were collected when they exited. */
	ls_thread_foreach(collect_thread, NULL);
}

void ls_thread_unregister(ls_thread_state *t)
{
	ls_thread_collect_counts(t);
	ls_held *h = ls_held_array(t);
	uint32_t cap = t->cap_held;
	atomic_store_explicit(&t->alive, false, memory_order_release);
	ls_held_init(t);
	if (h != t->inline_held + 1)
		ls_arena_free(h - 1, (cap + 1) * sizeof *h);
	atomic_fetch_sub(&live_threads, 1);
	atomic_store_explicit(&t->parked, true, memory_order_release);
}

void ls_thread_atfork_child_collect(void)
{
	/* States of threads that exited before the fork add nothing: they
	 * were collected when they exited. */
	for (ls_thread_state *t = atomic_load(&registry); t; t = t->next)
		ls_thread_collect_counts(t);
}

void ls_thread_foreach(void (*fn)(ls_thread_state *, void *), void *ctx)
{
	for (ls_thread_state *t = atomic_load_explicit(&registry, memory_order_acquire); t; t = t->next)
		if (atomic_load_explicit(&t->alive, memory_order_acquire))
			fn(t, ctx);
}

size_t ls_thread_live_count(void) { return atomic_load(&live_threads); }

/* ---- held sets ------------------------------------------------------------ */

/* The sentinel below every held set: no release address matches its key. */
static void init_sentinel(ls_held *s)
{
	memset(s, 0, sizeof *s);
	s->key = ~(uintptr_t)0;
	s->own.addr = ~(uintptr_t)0;
	atomic_store_explicit(&s->entry, &s->own, memory_order_relaxed);
}

void ls_held_init(ls_thread_state *t)
{
	init_sentinel(&t->inline_held[0]);
	t->cap_held = LS_INLINE_HELD;
	__atomic_store_n(&t->held, t->inline_held + 1, __ATOMIC_RELEASE);
	t->held_limit = t->inline_held + LS_INLINE_HELD;
	__atomic_store_n(&t->held_top, t->inline_held, __ATOMIC_RELEASE);
}

uint32_t ls_held_count_racy(ls_thread_state *t)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t moves = atomic_load_explicit(&t->held_moves, memory_order_acquire);
		ls_held *base = ls_held_array(t);
		ptrdiff_t n = ls_held_top(t) + 1 - base;
		uint32_t cap = t->cap_held;
		atomic_thread_fence(memory_order_acquire);
		if (!(moves & 1) && atomic_load_explicit(&t->held_moves, memory_order_relaxed) == moves && n >= 0 &&
		    n <= (ptrdiff_t)cap)
			return (uint32_t)n;
		sched_yield();
	}
	return 0; /* the owner stopped in the middle of a move (it crashed): nothing readable */
}

bool ls_held_read(const ls_held *h, ls_held_view *v)
{
	for (int tries = 0; tries < 16; tries++) {
		const struct ls_call_cache_entry *e = ls_held_call(h);
		if (!e)
			return false;
		v->site = e->site;
		v->addr = e->addr;
		v->lock_id = e->lock_id;
		v->site_stack = e->stack;
		v->mode = e->mode;
		v->lock = h->lock;
		uintptr_t key = h->key;
		v->depth = ((key ^ v->addr) & LS_RELEASE_DEEP) ? h->depth : 1;
		/* The owner points the entry at a copy before it reuses the
		 * cache entry: if it still points where it did, what was read
		 * is that call's. */
		atomic_thread_fence(memory_order_acquire);
		if (ls_held_call(h) == e)
			return true;
	}
	return false;
}

/* Moves the held entry `from` to `to` (entries pointing at their own copy
 * point at the new one). */
static void held_move(ls_held *to, const ls_held *from)
{
	const struct ls_call_cache_entry *e = ls_held_call(from);
	memcpy((void *)to, (const void *)from, sizeof *to);
	if (e == &from->own)
		atomic_store_explicit(&to->entry, &to->own, memory_order_relaxed);
}

void ls_held_save(ls_held *to, const ls_held *h)
{
	held_move(to, h);
	to->prefix_sig = ls_held_own_sig(h); /* outside a set: its own part */
}

ls_held *ls_held_grow(ls_thread_state *t)
{
	ls_held *base = ls_held_array(t);
	uint32_t n = ls_held_count(t), cap = t->cap_held;
	ls_held *bigger = ls_arena_alloc(((size_t)cap * 2 + 1) * sizeof *base);
	if (!bigger)
		return NULL;
	for (uint32_t i = 0; i <= n; i++) /* the sentinel and the entries */
		held_move(&bigger[i], &base[(ptrdiff_t)i - 1]);
	bigger++;
	atomic_fetch_add_explicit(&t->held_moves, 1, memory_order_acq_rel);
	t->cap_held = cap * 2;
	__atomic_store_n(&t->held, bigger, __ATOMIC_RELEASE);
	t->held_limit = bigger + cap * 2 - 1;
	__atomic_store_n(&t->held_top, bigger + (ptrdiff_t)n - 1, __ATOMIC_RELEASE);
	atomic_fetch_add_explicit(&t->held_moves, 1, memory_order_release);
	if (base != t->inline_held + 1)
		ls_arena_free(base - 1, ((size_t)cap + 1) * sizeof *base);
	return bigger;
}

/* Room for one more entry on top; the new top slot, or NULL. */
static ls_held *held_room(ls_thread_state *t)
{
	ls_held *top = ls_held_top(t);
	if (__builtin_expect(top == t->held_limit, 0)) {
		if (!ls_held_grow(t))
			return NULL;
		top = ls_held_top(t);
	}
	return top + 1;
}

/* Publishes h, filled, as the new top, with `sig` its part of the signature. */
static void held_publish(ls_thread_state *t, ls_held *h, uint64_t sig)
{
	h->prefix_sig = h[-1].prefix_sig ^ sig;
	__atomic_store_n(&t->held_top, h, __ATOMIC_RELEASE);
}

ls_held *ls_held_push(ls_thread_state *t, const ls_hold *hold)
{
	ls_held *h = held_room(t);
	if (!h)
		return NULL;
	const struct ls_call_cache_entry *e = hold->call;
	if (!e) {
		memset(&h->own, 0, sizeof h->own);
		h->own.site = hold->site;
		h->own.addr = hold->addr;
		h->own.lock = hold->lock;
		h->own.lock_id = hold->lock_id;
		h->own.stack = hold->site_stack;
		h->own.mode = hold->mode;
		h->own.sig = ls_held_sig_of(hold->lock_id, hold->mode);
		e = &h->own;
	}
	h->key = e->addr ^ hold->flags;
	h->lock = e->lock;
	h->depth = 1;
	atomic_store_explicit(&h->entry, e, memory_order_release);
	held_publish(t, h, e->sig);
	return h;
}

ls_held *ls_held_push_copy(ls_thread_state *t, const ls_held *saved)
{
	ls_held *h = held_room(t);
	if (!h)
		return NULL;
	uint64_t sig = saved->prefix_sig;
	held_move(h, saved);
	held_publish(t, h, sig);
	return h;
}

void ls_held_remove(ls_thread_state *t, ls_held *h)
{
	ls_held *top = ls_held_top(t);
	if (__builtin_expect(h == top, 1)) {
		__atomic_store_n(&t->held_top, h - 1, __ATOMIC_RELEASE);
		return;
	}
	/* Keep acquisition order (gates are taken oldest first); the entries
	 * above lose h's part of their signatures. */
	uint64_t sig = ls_held_own_sig(h);
	for (ls_held *p = h; p < top; p++) {
		held_move(p, p + 1);
		p->prefix_sig ^= sig;
	}
	__atomic_store_n(&t->held_top, top - 1, __ATOMIC_RELEASE);
}

void ls_held_unpin(ls_thread_state *t, const struct ls_call_cache_entry *e)
{
	ls_held *base = ls_held_array(t), *top = ls_held_top(t);
	for (ls_held *h = base; h <= top; h++)
		if (ls_held_call(h) == e) {
			h->own = *e;
			atomic_store_explicit(&h->entry, &h->own, memory_order_release);
		}
	/* the entry's new contents come after (ls_held_read relies on it) */
	atomic_thread_fence(memory_order_release);
}

void ls_held_set_depth(ls_held *h, uint32_t depth)
{
	uintptr_t addr = ls_held_addr(h);
	uintptr_t flags = (h->key ^ addr) & ~(uintptr_t)LS_RELEASE_DEEP;
	h->depth = depth;
	h->key = addr ^ flags ^ (depth > 1 ? LS_RELEASE_DEEP : 0);
}

void ls_thread_atfork_prepare(void) { ls_spin_lock(&registry_lock); }
void ls_thread_atfork_parent(void) { ls_spin_unlock(&registry_lock); }

void ls_thread_atfork_child(ls_thread_state *survivor)
{
	ls_spin_reset(&registry_lock);
	size_t live = 0;
	for (ls_thread_state *t = atomic_load(&registry); t; t = t->next) {
		/* a thread that vanished in the fork may have held it */
		ls_spin_reset(&t->counts_lock);
		if (t == survivor) {
			t->tid = (pid_t)syscall(SYS_gettid);
			t->self = pthread_self();
			live++;
		} else if (atomic_load(&t->alive)) {
			/* What it counted is collected later, by
			 * ls_thread_atfork_child_collect. */
			atomic_store(&t->alive, false);
			atomic_store(&t->parked, true);
		}
	}
	atomic_store(&live_threads, live);
}
