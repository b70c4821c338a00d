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
#include <string.h>
#include <time.h>

#include "core/lock_table.h"
#include "core/options.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/thread_state.h"

/* One thread-local block, so the fast path reaches it with one GOT load. */
struct ls_tls {
	/* state when the fast path may run (not busy); else
	 * &ls_no_fast_state, whose call cache and held set match nothing, so
	 * that the fast path needs no test of its own for it */
	ls_thread_state *fast;
	ls_thread_state *state;  /* NULL until the thread's first tracked call */
	unsigned busy;           /* inside lockscope (nesting depth): pass lock calls through */
};
extern __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));
extern ls_options ls_opts __attribute__((visibility("hidden")));
extern ls_thread_state ls_no_fast_state __attribute__((visibility("hidden")));
extern bool ls_tracking_enabled __attribute__((visibility("hidden")));

/* The reentrancy guard: every change of busy or state goes through these. */
static inline void ls_tls_refresh(void)
{
	ls_tls.fast = ls_tls.busy == 0 && ls_tls.state ? ls_tls.state : &ls_no_fast_state;
}
static inline void ls_busy_begin(void)
{
	ls_tls.busy++;
	ls_tls.fast = &ls_no_fast_state;
}
static inline void ls_busy_end(void)
{
	ls_tls.busy--;
	ls_tls_refresh();
}

ls_thread_state *ls_enter_slow(void);

static inline ls_thread_state *ls_enter(void)
{
	if (__builtin_expect(ls_tls.busy != 0, 0))
		return 0;
	ls_thread_state *t = ls_tls.state;
	if (__builtin_expect(t == 0, 0))
		return ls_enter_slow();
	ls_busy_begin();
	return t;
}

static inline void ls_leave(void) { ls_busy_end(); }

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
	uintptr_t release;  /* how the hold is released: LS_RELEASE_* (thread_state.h) */
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

int ls_wait_contended(ls_thread_state *t, ls_lock *l, const ls_lock_call *c, uint8_t mode, uintptr_t site,
		      uint32_t site_stack);

/* The wait the watchdog, dumps and top see (a thread publishes only its
 * own).  deadline_ns: when a timed wait gives up (CLOCK_MONOTONIC, from
 * ls_deadline_ns), 0 for an untimed one. */
void ls_publish_wait(ls_thread_state *t, enum ls_wait_kind kind, ls_lock *l, uintptr_t object, uint8_t mode,
		     uint64_t deadline_ns);
void ls_clear_wait(ls_thread_state *t);
/* The absolute time `abstime` on `clock` as CLOCK_MONOTONIC ns; 0 when
 * abstime is NULL (an untimed wait). */
uint64_t ls_deadline_ns(clockid_t clock, const struct timespec *abstime);
/* The thread's held entry of lock l at addr, if it holds l (an entry of
 * an earlier life at addr is dropped). */
ls_held *ls_held_entry(ls_thread_state *t, uintptr_t addr, const ls_lock *l);
/* An acquisition through entry e on a slow path, to be released as
 * `release` says (LS_RELEASE_*): counted, pushed, the entry's mode and
 * signature part set (holds of the other mode keep theirs), and the hold
 * time started when hold_time is on. */
void ls_note_acquired_slow(ls_thread_state *t, struct ls_call_cache_entry *e, uint8_t mode, uintptr_t release);

/* ---- the fast path --------------------------------------------------------
 *
 * A blocking acquisition costs, when nothing new is seen: one probe of the
 * thread's call cache (the set is the call site xor the lock address, no
 * multiply), one load of the lock record's life, one compare of the held
 * set's signature, the first attempt (the real trylock, or glibc's own
 * instructions made inline: preload/mutex_inline.h), one increment, four
 * stores of a held entry and one load of the lock's blame word; a release,
 * one compare of the newest held entry's key, its pop, the release and
 * that load again.  "Nothing new" is decided by one compare: the cache
 * entry remembers the signature of the held set (the xor of the held locks'
 * mixed ids and modes) under which its order edges were last checked, so
 * nested locking in a steady pattern stays on the fast path; each held
 * entry carries the signature of the set up to it, so a release changes
 * nothing but the top.  The fast path takes no lock, calls nothing but the
 * real lock functions, and so needs no reentrancy guard of its own;
 * everything else goes to the slow functions below, which set it.
 */

/* The thread's state when the fast path may run, else &ls_no_fast_state
 * (see struct ls_tls): never NULL, and nothing matches in the latter. */
static inline ls_thread_state *ls_fast_state(void) { return ls_tls.fast; }

/* The call cache is two-way set associative: a (site, lock) pair lives in
 * either entry of its set, so two hot pairs that hash alike (nested locks
 * taken a few bytes apart) do not evict each other on every call.  The set
 * is bits 5-11 of the lock's address xor bits 7-13 of the call site: a
 * shift, an xor and an and. */
#define LS_CALL_SET_BYTES (2 * sizeof(struct ls_call_cache_entry))
#define LS_CALL_SET_SPAN ((uintptr_t)(LS_CALL_CACHE_SIZE / 2) * LS_CALL_SET_BYTES) /* sites this far apart share sets */
static inline struct ls_call_cache_entry *ls_call_set(ls_thread_state *t, uintptr_t site, uintptr_t addr)
{
	uintptr_t offset = ((addr << 2) ^ site) & (LS_CALL_SET_SPAN - LS_CALL_SET_BYTES);
	return (struct ls_call_cache_entry *)((char *)t->call_cache + offset);
}

static inline bool ls_call_is(const struct ls_call_cache_entry *e, uintptr_t site, uintptr_t addr)
{
	return e->site == site && e->addr == addr;
}

/* The entry of (site, addr) in its set, alive or not; NULL if neither. */
static inline __attribute__((always_inline)) struct ls_call_cache_entry *
ls_call_find(ls_thread_state *t, uintptr_t site, uintptr_t addr)
{
	struct ls_call_cache_entry *e = ls_call_set(t, site, addr);
	if (__builtin_expect(ls_call_is(e, site, addr), 1))
		return e;
	e++;
	return ls_call_is(e, site, addr) ? e : 0;
}

static inline bool ls_call_alive(const struct ls_call_cache_entry *e)
{
	return atomic_load_explicit(&e->lock->live_id, memory_order_relaxed) == e->lock_id;
}

/* A fresh entry's edges_known_sig: no held set has this signature (up to
 * the odds of a 64-bit collision). */
#define LS_SIG_UNCHECKED 0x8f3c5a1e6b2d4907ULL

/* The newest held entry (the sentinel when none), for the owner. */
static inline ls_held *ls_fast_top(ls_thread_state *t) { return t->held_top; }

/* What the fast path found for a call it may take: its cache entry, the
 * newest held entry (there is room above it) and the lock's record, read
 * once, before the attempt. */
typedef struct ls_fast {
	struct ls_call_cache_entry *e;
	ls_held *top;
	ls_lock *lock;
} ls_fast;

/* ls_fast for a try acquisition of the lock at addr from site: a lock
 * known and alive, and room on the held set.  A try never makes an order
 * edge, so the held set does not matter; only for kinds whose try fails on
 * a lock the thread holds (a default mutex, a spinlock), since the fast
 * path does not look for recursion.  False otherwise. */
static inline __attribute__((always_inline)) bool ls_fast_found(ls_thread_state *t, uintptr_t site, uintptr_t addr,
								ls_fast *f)
{
	struct ls_call_cache_entry *e = ls_call_find(t, site, addr);
	if (__builtin_expect(!e, 0))
		return false;
	f->e = e;
	f->lock = e->lock;
	f->top = ls_fast_top(t);
	return __builtin_expect(f->top != t->held_limit, 1);
}

static inline __attribute__((always_inline)) bool ls_fast_try_entry(ls_thread_state *t, uintptr_t site,
								    uintptr_t addr, ls_fast *f)
{
	return ls_fast_found(t, site, addr, f) &&
	       __builtin_expect(atomic_load_explicit(&f->lock->live_id, memory_order_relaxed) == f->e->lock_id, 1);
}

/* ls_fast for a blocking acquisition of the lock at addr from site in
 * mode: as above, and every order edge from the locks held now already
 * checked (which also rules out recursion: a held set that holds the lock
 * was never checked for it).  False otherwise.  The entry keeps the
 * signature xor the lock's id (ls_edges_known), so that one compare with
 * the held set's signature xor the record's live id says both "alive" (a
 * dead record's live id is 0) and "nothing new". */
static inline __attribute__((always_inline)) bool ls_fast_entry(ls_thread_state *t, uintptr_t site, uintptr_t addr,
								uint8_t mode, ls_fast *f)
{
	return ls_fast_found(t, site, addr, f) &&
	       __builtin_expect((f->top->prefix_sig ^ atomic_load_explicit(&f->lock->live_id, memory_order_relaxed)) ==
					(f->e->edges_known_sig ^ mode),
				1);
}

/* What an entry of lock id `id` keeps once the order edges from the held
 * set of signature `held_sig` into it, in mode, are known. */
static inline uint64_t ls_edges_known(uint64_t held_sig, uint64_t id, uint8_t mode) { return held_sig ^ id ^ mode; }

/* ls_fast again for entry e, which ls_fast_entry or ls_fast_try_entry
 * found (in a function the fast path tail-calls: the real try of a
 * family that is not inline). */
static inline ls_fast ls_fast_again(ls_thread_state *t, struct ls_call_cache_entry *e)
{
	return (ls_fast){ e, ls_fast_top(t), e->lock };
}

/* The blame mark of a hold taken while somebody waits; 0. */
int ls_blame_mark_acquired(ls_held *h);

/* The call f.e acquired the lock at addr (f.e->addr) in mode, held once,
 * to be released as `release` says (LS_RELEASE_*): counts it, pushes it on
 * the held set and, for an exclusive hold, reads the blame mark.  Returns
 * 0, the result of the acquisition.  A blame mark that needs a clock is a
 * tail call, so that the interposer, when the first attempt is inline too,
 * needs no stack frame: nothing of the fast path is stored on the
 * program's stack.  Under hold_time the blame word is never a plain mark
 * (site_stats.h), so that tail call also starts the hold clock. */
static inline __attribute__((always_inline)) int ls_note_acquired_fast(ls_thread_state *t, const ls_fast *f,
								      uintptr_t addr, uint8_t mode,
								      uintptr_t release)
{
	ls_held *h = f->top + 1;
	f->e->count++;
	h->key = addr ^ release;
	h->lock = f->lock;
	atomic_store_explicit(&h->entry, f->e, memory_order_relaxed);
	h->prefix_sig = f->top->prefix_sig ^ f->e->sig;
	__atomic_store_n(&t->held_top, h, __ATOMIC_RELEASE);
	if (mode != LS_MODE_READ && !ls_blame_area_still(f->lock, &h->blame_mark))
		return ls_blame_mark_acquired(h);
	return 0;
}

/* ls_note_acquired_fast after such a real try succeeded. */
static inline __attribute__((always_inline)) int ls_note_acquired_again(ls_thread_state *t,
								       struct ls_call_cache_entry *e, uintptr_t addr,
								       uint8_t mode, uintptr_t release)
{
	ls_fast f = ls_fast_again(t, e);
	return ls_note_acquired_fast(t, &f, addr, mode, release);
}

/* The call of entry e acquired its lock (slow paths: it may allocate):
 * count it, push it on the held set, and for an exclusive hold read the
 * blame mark.  Returns the held entry (NULL only when the held set could
 * not grow). */
ls_held *ls_note_acquired(ls_thread_state *t, struct ls_call_cache_entry *e, uint8_t mode, uintptr_t release);

/* Slow paths.  ls_track_lock: a blocking acquisition the fast path could
 * not take (first sight of a call or lock, new nesting, recursion, a call
 * from lockscope's own libraries); the caller holds the reentrancy guard
 * (ls_enter).  ls_track_lock_after_attempt: the fast path's trylock
 * returned `attempt_result` (busy, or a robust mutex's dead owner). */
int ls_track_lock(ls_thread_state *t, const ls_lock_call *c, enum ls_lock_kind kind, uint8_t mode, uintptr_t site);
int ls_track_lock_after_attempt(ls_thread_state *t, const ls_lock_call *c, uint8_t mode, uintptr_t site,
				int attempt_result);
/* A try acquisition that succeeded (never an order edge); guard held.
 * `release` as in ls_lock_call. */
void ls_track_trylock_acquired(ls_thread_state *t, void *lock, enum ls_lock_kind kind, uint8_t mode, uintptr_t site,
			       uintptr_t release);

static inline __attribute__((always_inline)) int
ls_track_trylock(ls_thread_state *t, const ls_lock_call *call, enum ls_lock_kind kind, uint8_t mode, uintptr_t site)
{
	int r = call->attempt(call->lock);
	if (r == 0 || r == call->owner_dead_code)
		ls_track_trylock_acquired(t, call->lock, kind, mode, site, call->release);
	return r;
}
/* The end of an exclusive hold that needs more than the inline path: hold
 * time (ticks of the hold clock) and blame. */
void ls_note_hold_end(ls_lock *l, const ls_held *h, uint64_t blamed_ns);

/* The entry of `set` a new pair replaces: an empty or dead one if there
 * is one, else each in turn. */
struct ls_call_cache_entry *ls_call_victim(ls_thread_state *t, struct ls_call_cache_entry *set);
struct ls_call_cache_entry *ls_call_cache_fill(ls_thread_state *t, struct ls_call_cache_entry *e, uintptr_t site,
					       uintptr_t addr, enum ls_lock_kind kind);

/* The cache entry of (site, addr), filled if it is not there or stale.
 * NULL only when out of memory; e->lock is &ls_lock_private for
 * lockscope's own libraries. */
static inline struct ls_call_cache_entry *ls_call_lookup(ls_thread_state *t, uintptr_t site, uintptr_t addr,
							 enum ls_lock_kind kind)
{
	struct ls_call_cache_entry *e = ls_call_find(t, site, addr);
	if (__builtin_expect(e != 0, 1) && ls_call_alive(e))
		return e;
	return ls_call_cache_fill(t, e ? e : ls_call_victim(t, ls_call_set(t, site, addr)), site, addr, kind);
}

/* The cache entry of (site, addr) for a call that is not an acquisition
 * (a semaphore's post, which the fast path may take once the slow path
 * has seen it): as ls_call_lookup, but the site gets no statistics
 * record and the entry no stack. */
struct ls_call_cache_entry *ls_call_lookup_other(ls_thread_state *t, uintptr_t site, uintptr_t addr,
						 enum ls_lock_kind kind);

void ls_track_unlock_slow(ls_thread_state *t, void *lock);

/* Bookkeeping before the real unlock on the fast path, when it is
 * simple: the newest held entry is the lock at `lock`,
 * held once, released as `release` says (LS_RELEASE_*: the key compare
 * checks all three at once).  Pops it and returns it (readable until the
 * thread's next lock call: copy what is needed before releasing); NULL,
 * having changed nothing, otherwise (the caller then tries another way of
 * release, or goes to ls_track_unlock_slow).  The blame of an exclusive
 * hold is the caller's, after the release (ls_blame_after_release). */
static inline __attribute__((always_inline)) ls_held *ls_track_unlock_fast(ls_thread_state *t, void *lock,
									  uintptr_t release)
{
	ls_held *h = ls_fast_top(t);
	if (__builtin_expect(h->key != ((uintptr_t)lock ^ release), 0))
		return 0;
	__atomic_store_n(&t->held_top, h - 1, __ATOMIC_RELEASE);
	return h;
}

/* Charges the wait caused by the hold `h` of l, taken when the wait area
 * was `mark`, after its release; returns `result`.  h is the popped entry:
 * its site is read now (only a signal handler locking in between could
 * have reused it, and would then at worst misplace this charge). */
int ls_note_blame_released(ls_lock *l, const ls_held *h, uint64_t mark, int result);

/* After the fast path released an exclusive hold: when somebody waited
 * during it (the wait area moved since the mark, or somebody waits now),
 * its blame, and under hold_time its hold time.  Done after the release, so that the critical section is not
 * made longer for the very threads that wait for it; the reading is then a
 * few ns late, which only adds those ns of waiting to the charge.
 * Returns `result` (the release's). */
static inline __attribute__((always_inline)) int ls_blame_after_release(ls_lock *l, const ls_held *h,
									 uint64_t mark, int result)
{
	if (__builtin_expect(atomic_load_explicit(&l->blame_word, memory_order_relaxed) == mark, 1))
		return result;
	return ls_note_blame_released(l, h, mark, result);
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
void ls_track_cond_wait_begin(ls_thread_state *t, void *cond, void *mutex, uint64_t deadline_ns,
			      ls_cond_wait_state *s);
void ls_track_cond_wait_end(ls_thread_state *t, void *mutex, ls_cond_wait_state *s);

/* Other blocking waits the watchdog should see (join). */
void ls_track_wait_begin(ls_thread_state *t, enum ls_wait_kind kind, uintptr_t object);
void ls_track_wait_end(ls_thread_state *t);

#endif
