/* tracker.h — what happens around each lock call, independent of the API.
 *
 * Contract: the preload layer calls these around the real functions; they
 * keep each thread's held set, the lock table, the order graph and the
 * statistics consistent.  ls_enter() is the fast reentrancy gate: it returns
 * NULL when the call must pass straight through (inside lockscope itself,
 * during bootstrap, or before the thread state exists and cannot be made);
 * every non-NULL ls_enter() is paired with ls_leave().  No function here
 * blocks on anything but the real lock it is given, and none takes a lock
 * the program can see.
 */
#ifndef LOCKSCOPE_TRACKER_H
#define LOCKSCOPE_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "lock_table.h"
#include "options.h"
#include "site_stats.h"
#include "stack_depot.h"
#include "thread_state.h"

/* One thread-local block, so the fast path reaches both with one GOT load. */
struct ls_tls {
	ls_thread_state *state;  /* NULL until the thread's first tracked call */
	unsigned busy;           /* inside lockscope: pass lock calls through */
};
extern __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));
extern ls_options ls_opts __attribute__((visibility("hidden")));
extern bool ls_tracking_enabled __attribute__((visibility("hidden")));

ls_thread_state *ls_enter_slow(void);

static inline ls_thread_state *ls_enter(void)
{
	if (__builtin_expect(ls_tls.busy != 0, 0))
		return 0;
	ls_thread_state *t = ls_tls.state;
	if (__builtin_expect(t == 0, 0))
		return ls_enter_slow();
	ls_tls.busy = 1;
	return t;
}

static inline void ls_leave(void) { ls_tls.busy = 0; }

/* A lock call, abstracted: `attempt` tries without blocking; `block` waits
 * (for timed variants it may time out).  Both return 0 on success. */
typedef struct ls_lock_call {
	void *lock;
	int (*attempt)(void *lock);
	int (*block)(const struct ls_lock_call *);
	const void *arg1;   /* abstime, for timed variants */
	int arg2;           /* clockid, for clock variants */
	int busy_code;      /* what `attempt` returns when the lock is taken */
	int owner_dead_code;/* an acquisition that also reports a dead owner (EOWNERDEAD), or -1 */
} ls_lock_call;

/* Statistics of an exclusively held lock are only written by its holder, so
 * a plain load and store is exact and avoids a locked instruction on the
 * fast path; shared (read) holders need a real atomic add. */
static inline void ls_stat_add(_Atomic uint64_t *p, uint64_t v, bool exclusive)
{
	if (exclusive)
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

uint64_t ls_now_ns(void);
int ls_wait_contended(ls_thread_state *t, ls_lock *l, const ls_lock_call *c, uint8_t mode, uintptr_t site,
		      uint32_t site_stack);
int ls_track_lock_general(ls_thread_state *t, const ls_lock_call *c, ls_lock *l, uint8_t mode, uintptr_t site,
			  uint32_t site_stack);
struct ls_call_cache_entry;
/* The parts of a blocking acquisition the inline fast path leaves out:
 * passthrough, first acquisition, nesting (slow), a busy or failed first
 * attempt (after_attempt). */
int ls_track_lock_slow(ls_thread_state *t, const ls_lock_call *c, enum ls_lock_kind kind, uint8_t mode,
		       uintptr_t site, struct ls_call_cache_entry *e);
int ls_track_lock_after_attempt(ls_thread_state *t, const ls_lock_call *c, uint8_t mode,
				struct ls_call_cache_entry *e, int attempt_result);
/* Statistics of the end of an exclusive hold that needs more than the
 * inline path: hold time (ticks of the hold clock) and blame. */
void ls_note_hold_end(ls_lock *l, const ls_held *h, uint64_t blamed_ns);

struct ls_call_cache_entry *ls_call_cache_fill(ls_thread_state *t, struct ls_call_cache_entry *e, uintptr_t site,
					       uintptr_t addr, enum ls_lock_kind kind);

/* One probe answers the three questions of every lock call: which lock
 * record, which stack for this site, which per-site statistics record.
 * NULL only when out of memory; e->lock NULL for lockscope's own libraries. */
static inline __attribute__((always_inline)) struct ls_call_cache_entry *
ls_call_lookup(ls_thread_state *t, uintptr_t site, uintptr_t addr, enum ls_lock_kind kind)
{
	struct ls_call_cache_entry *e =
		&t->call_cache[((site >> 2) ^ (addr >> 5)) & (LS_CALL_CACHE_SIZE - 1)];
	if (__builtin_expect(e->site == site && e->addr == addr, 1)) {
		ls_lock *l = e->lock;
		if (!l || (l->id == e->lock_id && !l->dead))
			return e;
	}
	return ls_call_cache_fill(t, e, site, addr, kind);
}

static inline __attribute__((always_inline)) void
ls_note_acquired(ls_thread_state *t, ls_lock *l, uintptr_t addr, uint8_t mode, uintptr_t site, uint32_t site_stack,
		 ls_site_stat *ss)
{
	bool exclusive = mode != LS_MODE_READ;
	ls_stat_add(&l->acquisitions, 1, exclusive);
	ls_stat_add(&t->acquisitions, 1, true);
	if (__builtin_expect(ss != NULL, 1))
		ls_site_note_acquired(ss, exclusive);
	ls_held *h = ls_held_push(t);
	if (__builtin_expect(!h, 0))
		return;
	h->addr = addr;
	h->lock = l;
	h->lock_id = l->id;
	h->site_stack = site_stack;
	h->site = site;
	h->count = 1;
	h->mode = mode;
	/* since_ns holds hold-clock ticks (rdtsc where calibrated); it is
	 * only written, and only read, with hold_time on */
	if (__builtin_expect(ls_opts.hold_time, 0))
		h->since_ns = ls_stat_ticks();
	if (exclusive) {
		atomic_store_explicit(&l->owner, t, memory_order_relaxed);
		ls_blame_hold_begin(l);
	}
}

/* A blocking acquisition (lock, timedlock, clocklock, rdlock, wrlock, ...).
 * Inline, with the call passed by value, so each interposer's try adapter
 * becomes a direct call; slow paths (a lock's first acquisition, nesting,
 * recursion, contention) get a copy whose address may escape. */
static inline __attribute__((always_inline)) int
ls_track_lock(ls_thread_state *t, ls_lock_call call, enum ls_lock_kind kind, uint8_t mode, uintptr_t site)
{
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, (uintptr_t)call.lock, kind);
	if (__builtin_expect(!e || !e->lock || ls_held_count(t) != 0 || !e->lock->init_stack, 0))
		return ls_track_lock_slow(t, &call, kind, mode, site, e);
	int r = call.attempt(call.lock);
	if (__builtin_expect(r != 0, 0))
		return ls_track_lock_after_attempt(t, &call, mode, e, r);
	/* Everything needed after the real call is re-read from the cache
	 * entry: fewer values live across the call, a shorter prologue. */
	ls_note_acquired(t, e->lock, e->addr, mode, e->site, e->stack, e->stat);
	return 0;
}

/* A try acquisition: never an order edge. */
int ls_track_trylock_acquired(ls_thread_state *t, void *lock, enum ls_lock_kind kind, uint8_t mode, uintptr_t site);

static inline __attribute__((always_inline)) int
ls_track_trylock(ls_thread_state *t, ls_lock_call call, enum ls_lock_kind kind, uint8_t mode, uintptr_t site)
{
	int r = call.attempt(call.lock);
	if (r == 0 || r == call.owner_dead_code)
		ls_track_trylock_acquired(t, call.lock, kind, mode, site);
	return r;
}

/* Bookkeeping before the real unlock. */
static inline __attribute__((always_inline)) void ls_track_unlock(ls_thread_state *t, void *lock)
{
	ls_held *h = ls_held_find(t, (uintptr_t)lock);
	if (!h)
		return;
	if (__builtin_expect(h->count > 1, 0)) {
		h->count--;
		return;
	}
	if (h->mode != LS_MODE_READ) {
		ls_lock *l = h->lock;
		uint64_t blamed = ls_blame_hold_end(l);
		if (__builtin_expect(ls_opts.hold_time || blamed != 0, 0))
			ls_note_hold_end(l, h, blamed);
		/* Only the owner writes owner while it holds the lock. */
		if (atomic_load_explicit(&l->owner, memory_order_relaxed) == t)
			atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
	}
	ls_held_remove(t, h);
}

/* init (a new life) and destroy (the end of one). */
void ls_track_init(ls_thread_state *t, void *lock, enum ls_lock_kind kind, uintptr_t site);
void ls_track_destroy(void *lock);
/* free()/realloc() of memory that may hold locks. */
void ls_track_free_range(void *p, size_t size);

/* Condition waits: the mutex is released for the wait and re-acquired after. */
typedef struct ls_cond_wait_state {
	ls_held saved;
	bool had_mutex;
} ls_cond_wait_state;
void ls_track_cond_wait_begin(ls_thread_state *t, void *cond, void *mutex, ls_cond_wait_state *s);
void ls_track_cond_wait_end(ls_thread_state *t, void *mutex, ls_cond_wait_state *s);

/* Other blocking waits the watchdog should see (join). */
void ls_track_wait_begin(ls_thread_state *t, enum ls_wait_kind kind, uintptr_t object);
void ls_track_wait_end(ls_thread_state *t);

#endif
