#include "config.h"

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
	t->cap_held = LS_INLINE_HELD;
	atomic_store_explicit(&t->held, t->inline_held, memory_order_relaxed);
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
	atomic_store_explicit(&t->alive, false, memory_order_release);
	atomic_store_explicit(&t->n_held, 0, memory_order_relaxed);
	atomic_store_explicit(&t->held, t->inline_held, memory_order_relaxed);
	if (h != t->inline_held)
		ls_arena_free(h, t->cap_held * sizeof *h);
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

ls_held *ls_held_grow(ls_thread_state *t)
{
	uint32_t n = ls_held_count(t);
	ls_held *h = ls_held_array(t);
	ls_held *bigger = ls_arena_alloc((size_t)t->cap_held * 2 * sizeof *h);
	if (!bigger)
		return NULL;
	memcpy(bigger, h, n * sizeof *h);
	atomic_store_explicit(&t->held, bigger, memory_order_release);
	if (h != t->inline_held)
		ls_arena_free(h, t->cap_held * sizeof *h);
	t->cap_held *= 2;
	return bigger;
}

void ls_held_remove_inner(ls_thread_state *t, ls_held *h)
{
	ls_held *base = ls_held_array(t);
	uint32_t n = ls_held_count(t);
	size_t i = (size_t)(h - base);
	/* Keep acquisition order (gates are taken oldest first). */
	memmove(&base[i], &base[i + 1], (n - 1 - i) * sizeof *base);
	atomic_store_explicit(&t->n_held, n - 1, memory_order_release);
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
