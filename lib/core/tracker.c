#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "core/lockscope_internal.h"
#include "core/order_graph.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/tracker.h"

/* The fast path's state of threads that may not take it: no call matches
 * its (empty) call cache and no release its held set's sentinel. */
ls_thread_state ls_no_fast_state = {
	.inline_held = { [0] = { .key = ~(uintptr_t)0, .own = { .addr = ~(uintptr_t)0 } } },
	.held_top = &ls_no_fast_state.inline_held[0],
	.held_limit = &ls_no_fast_state.inline_held[0],
	.held = &ls_no_fast_state.inline_held[1],
};
__thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec"))) = { .fast = &ls_no_fast_state };
ls_options ls_opts = { .detect = true, .stack_depth = 32, .stats = true };
bool ls_tracking_enabled = true;

/* The preload layer overrides these: bootstrap resolves the real functions
 * and reads the options; thread_started arranges the exit cleanup. */
__attribute__((weak)) void ls_bootstrap(void);
__attribute__((weak)) void ls_bootstrap(void) {}
__attribute__((weak)) void ls_thread_started(ls_thread_state *t);
__attribute__((weak)) void ls_thread_started(ls_thread_state *t) { (void)t; }

ls_thread_state *ls_enter_slow(void)
{
	ls_busy_begin();
	ls_bootstrap();
	ls_thread_state *t = ls_tracking_enabled ? ls_thread_register() : NULL;
	if (!t) {
		ls_busy_end();
		return NULL;
	}
	ls_tls.state = t; /* the caller's ls_leave opens the fast path */
	ls_thread_started(t);
	return t;
}

static inline void stat_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}

static unsigned log2_bucket(uint64_t ns)
{
	unsigned b = ns ? 63u - (unsigned)__builtin_clzll(ns) : 0;
	return b < LS_WAIT_BUCKETS ? b : LS_WAIT_BUCKETS - 1;
}

/* `site` may be NULL (site table full). */
static void note_wait(ls_thread_state *t, ls_lock *l, ls_site_stat *site, uint64_t wait, bool exclusive)
{
	if (site)
		ls_site_note_wait(site, wait, exclusive);
	ls_stat_add(&l->contended, 1, exclusive);
	ls_stat_add(&l->wait_ns, wait, exclusive);
	stat_max(&l->max_wait_ns, wait);
	ls_stat_add(&l->wait_hist[log2_bucket(wait)], 1, exclusive);
	ls_stat_add(&t->contended, 1, true);
	ls_stat_add(&t->wait_ns, wait, true);
}

void ls_publish_wait(ls_thread_state *t, enum ls_wait_kind kind, ls_lock *l, uintptr_t object, uint8_t mode,
		     uint64_t deadline_ns)
{
	t->wait_mode = mode;
	atomic_store_explicit(&t->wait_start_ns, ls_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&t->wait_deadline_ns, deadline_ns, memory_order_relaxed);
	atomic_store_explicit(&t->waiting_on, l, memory_order_relaxed);
	atomic_store_explicit(&t->wait_object, object, memory_order_relaxed);
	atomic_store_explicit(&t->wait_kind, kind, memory_order_release);
}

void ls_clear_wait(ls_thread_state *t)
{
	atomic_store_explicit(&t->wait_kind, LS_WAIT_NONE, memory_order_release);
	atomic_store_explicit(&t->waiting_on, NULL, memory_order_relaxed);
	atomic_store_explicit(&t->wait_flags, 0, memory_order_relaxed);
}

uint64_t ls_deadline_ns(clockid_t clock, const struct timespec *abstime)
{
	if (!abstime)
		return 0;
	struct timespec now;
	if (clock_gettime(clock, &now) != 0)
		return 0;
	int64_t left = ((int64_t)abstime->tv_sec - (int64_t)now.tv_sec) * 1000000000 +
		       ((int64_t)abstime->tv_nsec - (int64_t)now.tv_nsec);
	uint64_t mono = ls_now_ns();
	if (left <= 0)
		return mono > 1 ? mono - 1 : 1; /* already past: still "timed" */
	return mono + (uint64_t)left;
}

/* A call's deadline: timed and clock variants carry the absolute time
 * in arg1 and the clock in arg2 (0, CLOCK_REALTIME, for timed ones). */
static uint64_t call_deadline(const ls_lock_call *c)
{
	return ls_deadline_ns((clockid_t)c->arg2, c->arg1);
}

int ls_wait_contended(ls_thread_state *t, ls_lock *l, const ls_lock_call *c, uint8_t mode, uintptr_t site,
		      uint32_t site_stack)
{
	ls_publish_wait(t, LS_WAIT_LOCK, l, (uintptr_t)c->lock, mode, call_deadline(c));
	if (!ls_opts.stats) { /* detection only: the watchdog still sees the wait */
		int r = c->block(c);
		ls_clear_wait(t);
		return r;
	}
	uint64_t start = ls_stat_ticks();
	ls_blame_wait_begin(l, start);
	int r = c->block(c);
	uint64_t end = ls_stat_ticks(), wait = ls_stat_ticks_to_ns(end - start);
	ls_blame_wait_end(l, end);
	ls_clear_wait(t);
	bool acquired = r == 0 || r == c->owner_dead_code;
	/* a semaphore that showed during the wait that it is a signal (its
	 * post came from a thread not holding it) was not contended */
	if ((acquired || r == ETIMEDOUT) && !ls_lock_is_signal(l))
		note_wait(t, l, ls_site_get(l, site, site_stack), wait, acquired && mode != LS_MODE_READ);
	return r;
}

/* The thread's held entry for lock l at addr, if it holds l.  An entry at
 * addr from an earlier life (a lock freed or destroyed while held) is not
 * a hold of this lock: it is dropped, so the new lock is not mistaken for a
 * recursive re-lock. */
ls_held *ls_held_entry(ls_thread_state *t, uintptr_t addr, const ls_lock *l)
{
	ls_held *h = ls_held_find(t, addr);
	if (LS_UNLIKELY(h && ls_held_lock_id(h) != l->id)) {
		ls_held_remove(t, h);
		h = NULL;
	}
	return h;
}

/* glibc's mutex type: the low two bits of __kind (nptl's
 * PTHREAD_MUTEX_KIND_MASK_NP, not in public headers); the higher bits are
 * the robust, priority and process-shared flags.  mtx_t is a pthread
 * mutex underneath, so C11 mutexes read the same way. */
#define GLIBC_MUTEX_TYPE_MASK 3

/* Does re-acquiring a lock this thread already holds (in held_mode) wait
 * forever?  Recursive mutexes succeed and errorcheck mutexes (and glibc
 * rwlocks held for write) return EDEADLK at once; a normal or adaptive
 * mutex, a spinlock, or a read-held rwlock asked for write never return:
 * that is a deadlock of one thread, and its wait is published so the
 * watchdog sees it.  Decided from the type before blocking, not after a
 * delay, so that the common recursive case costs one load. */
static bool relock_waits_forever(const ls_lock *l, const void *lock, uint8_t held_mode, uint8_t mode)
{
	switch (l->kind) {
	case LS_KIND_MUTEX:
	case LS_KIND_MTX: {
		int type = ((const pthread_mutex_t *)lock)->__data.__kind & GLIBC_MUTEX_TYPE_MASK;
		return type != PTHREAD_MUTEX_RECURSIVE_NP && type != PTHREAD_MUTEX_ERRORCHECK_NP;
	}
	case LS_KIND_SPIN:
	case LS_KIND_ONCE:
		return true;
	case LS_KIND_RWLOCK:
		return held_mode == LS_MODE_READ && mode != LS_MODE_READ;
	default:
		return false;
	}
}

/* A re-acquisition of a lock the thread holds: never an order edge, and
 * not contention.  Statistics count it when it succeeds (recursion). */
static int relock(ls_thread_state *t, const ls_lock_call *c, struct ls_call_cache_entry *e, ls_held *already,
		  uint8_t mode)
{
	ls_lock *l = e->lock;
	bool forever = relock_waits_forever(l, c->lock, ls_held_mode(already), mode);
	if (forever)
		ls_publish_wait(t, LS_WAIT_LOCK, l, (uintptr_t)c->lock, mode, call_deadline(c));
	int r = c->block(c);
	if (forever)
		ls_clear_wait(t);
	if (r == 0 || r == c->owner_dead_code) {
		e->count++;
		ls_held_set_depth(already, ls_held_depth(already) + 1);
	}
	return r;
}

/* ls_note_acquired plus what the fast path leaves to the slow one: the
 * entry's signature part for this mode (the fast path only runs in the
 * mode it was set for) and the start of the hold time.  since_ns holds
 * ticks of the statistics clock (ls_stat_ticks); it is only written, and only
 * read, with hold_time on. */
void ls_note_acquired_slow(ls_thread_state *t, struct ls_call_cache_entry *e, uint8_t mode, uintptr_t release)
{
	uint64_t sig = ls_held_sig_of(e->lock_id, mode);
	if (LS_UNLIKELY(e->mode != mode || e->sig != sig)) {
		ls_held_unpin(t, e); /* holds taken in the other mode keep theirs */
		e->mode = mode;
		e->sig = sig;
	}
	ls_held *h = ls_note_acquired(t, e, mode, release);
	if (h && ls_opts.hold_time)
		h->since_ns = ls_stat_ticks();
}

/* Everything the inline fast path leaves out: a lock's first acquisition
 * (its init stack), nesting under a held set not seen before at this call
 * (order edges), recursion. */
static int track_lock_general(ls_thread_state *t, const ls_lock_call *c, struct ls_call_cache_entry *e,
			      uint8_t mode)
{
	ls_lock *l = e->lock;
	uintptr_t addr = (uintptr_t)c->lock;
	ls_held *already = ls_held_entry(t, addr, l);
	if (!l->init_stack)
		l->init_stack = e->stack;
	if (already)
		return relock(t, c, e, already, mode);
	uint64_t held_sig = ls_held_sig(t);
	if (ls_opts.detect && ls_held_count(t) > 0)
		ls_order_before_acquire(t, l, mode);
	int r = c->attempt(c->lock);
	if (r == c->busy_code)
		r = ls_wait_contended(t, l, c, mode, e->site, e->stack);
	if (r == 0 || r == c->owner_dead_code) {
		ls_note_acquired_slow(t, e, mode, c->release);
		/* the edges from this held set are in the graph now */
		e->edges_known_sig = ls_edges_known(held_sig, e->lock_id, mode);
	}
	return r;
}

int ls_track_lock(ls_thread_state *t, const ls_lock_call *c, enum ls_lock_kind kind, uint8_t mode, uintptr_t site)
{
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, (uintptr_t)c->lock, kind);
	if (!e || e->lock == &ls_lock_private)
		return c->block(c);
	return track_lock_general(t, c, e, mode);
}

int ls_track_lock_after_attempt(ls_thread_state *t, const ls_lock_call *c, uint8_t mode, uintptr_t site,
				int attempt_result)
{
	int r = attempt_result;
	ls_busy_begin();
	/* The entry the fast path found: nothing ran on this thread since. */
	struct ls_call_cache_entry *e = ls_call_find(t, site, (uintptr_t)c->lock);
	if (r == c->busy_code)
		r = ls_wait_contended(t, e->lock, c, mode, site, e->stack);
	if (r == 0 || r == c->owner_dead_code)
		ls_note_acquired_slow(t, e, mode, c->release);
	ls_busy_end();
	return r;
}

ls_held *ls_note_acquired(ls_thread_state *t, struct ls_call_cache_entry *e, uint8_t mode, uintptr_t release)
{
	e->count++; /* counted even when it cannot be held */
	ls_held *h = ls_held_push(t, &(ls_hold){ .call = e, .flags = release });
	if (h && mode != LS_MODE_READ)
		h->blame_mark = ls_blame_area(e->lock);
	return h;
}

int ls_blame_mark_acquired(ls_held *h)
{
	h->blame_mark = ls_blame_area_slow(h->lock);
	if (ls_opts.hold_time) /* (every blame word is LS_BLAME_TIMED then) */
		h->since_ns = ls_stat_ticks();
	return 0;
}

void ls_track_trylock_acquired(ls_thread_state *t, void *lock, enum ls_lock_kind kind, uint8_t mode, uintptr_t site,
			       uintptr_t release)
{
	uintptr_t addr = (uintptr_t)lock;
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, addr, kind);
	if (LS_UNLIKELY(!e) || e->lock == &ls_lock_private)
		return;
	ls_lock *l = e->lock;
	if (LS_UNLIKELY(!l->init_stack))
		l->init_stack = e->stack;
	ls_held *already = ls_held_entry(t, addr, l);
	if (already) {
		e->count++;
		ls_held_set_depth(already, ls_held_depth(already) + 1);
	} else {
		ls_note_acquired_slow(t, e, mode, release);
	}
}

/* The first stack seen at a call site, or LS_PRIVATE_SITE. */
static uint32_t site_stack_of(uintptr_t site)
{
	return ls_site_is_private(site) ? LS_PRIVATE_SITE : ls_site_stack(site, ls_opts.stack_depth);
}

/* The record of every call from lockscope's own libraries: always "alive"
 * for the call cache's validity test, but the fast path never takes it
 * (its entries' edges are never marked known: ls_track_lock passes those
 * calls through before the general path). */
#define LS_PRIVATE_LOCK_ID UINT64_MAX
ls_lock ls_lock_private = { .id = LS_PRIVATE_LOCK_ID, .live_id = LS_PRIVATE_LOCK_ID };

struct ls_call_cache_entry *ls_call_victim(ls_thread_state *t, struct ls_call_cache_entry *set)
{
	for (int way = 0; way < 2; way++)
		if (!set[way].site || !ls_call_alive(&set[way]))
			return &set[way];
	return &set[t->call_cache_turn++ & 1];
}

/* Fills e for (site, addr): for an acquisition, with the site's first
 * stack and its statistics record, which exists from the first call on;
 * otherwise with neither. */
static struct ls_call_cache_entry *fill(ls_thread_state *t, struct ls_call_cache_entry *e, uintptr_t site,
					uintptr_t addr, enum ls_lock_kind kind, bool acquisition)
{
	ls_call_cache_evict(t, e);
	uint32_t stack = acquisition ? site_stack_of(site) : ls_site_is_private(site) ? LS_PRIVATE_SITE : 0;
	e->site = site;
	e->addr = addr;
	e->edges_known_sig = LS_SIG_UNCHECKED;
	e->stack = stack;
	if (stack == LS_PRIVATE_SITE) {
		e->lock = &ls_lock_private;
		e->lock_id = LS_PRIVATE_LOCK_ID;
		return e;
	}
	ls_lock *l = ls_lock_get(addr, kind);
	if (!l) {
		e->site = 0;
		return NULL;
	}
	e->lock = l;
	e->lock_id = l->id;
	e->mode = LS_MODE_EXCL; /* until an acquisition says otherwise */
	e->sig = ls_held_sig_of(l->id, LS_MODE_EXCL);
	if (acquisition)
		ls_site_get(l, site, stack);
	return e;
}

struct ls_call_cache_entry *ls_call_cache_fill(ls_thread_state *t, struct ls_call_cache_entry *e, uintptr_t site,
					       uintptr_t addr, enum ls_lock_kind kind)
{
	return fill(t, e, site, addr, kind, true);
}

struct ls_call_cache_entry *ls_call_lookup_other(ls_thread_state *t, uintptr_t site, uintptr_t addr,
						 enum ls_lock_kind kind)
{
	struct ls_call_cache_entry *e = ls_call_find(t, site, addr);
	if (e && ls_call_alive(e))
		return e;
	return fill(t, e ? e : ls_call_victim(t, ls_call_set(t, site, addr)), site, addr, kind, false);
}

int ls_note_blame_released(ls_lock *l, const ls_held *h, uint64_t mark, int result)
{
	uint64_t blamed = ls_blame_charge(l, mark);
	if (blamed || ls_opts.hold_time) {
		ls_busy_begin();
		ls_note_hold_end(l, h, blamed);
		ls_busy_end();
	}
	return result;
}

/* Hold times and blame are added with atomic adds: the fast path adds
 * them after the release (ls_note_blame_released), when the next holder
 * may be adding its own. */
void ls_note_hold_end(ls_lock *l, const ls_held *h, uint64_t blamed_ns)
{
	uint64_t held_for = ls_opts.hold_time ? ls_stat_ticks_to_ns(ls_stat_ticks() - h->since_ns) : 0;
	if (held_for) {
		ls_stat_add(&l->hold_ns, held_for, false);
		stat_max(&l->max_hold_ns, held_for);
	}
	ls_site_stat *ss = ls_site_get(l, ls_held_site(h), ls_held_site_stack(h));
	if (ss && held_for)
		ls_site_note_hold(ss, held_for, false);
	if (ss && blamed_ns)
		ls_site_note_blame(ss, blamed_ns, false);
}

/* The end of hold h (an unlock, or a condition wait releasing the mutex):
 * hold time and blame of an exclusive hold, and the entry off the held
 * set. */
static void end_hold(ls_thread_state *t, ls_held *h)
{
	if (ls_held_mode(h) != LS_MODE_READ) {
		ls_lock *l = h->lock;
		uint64_t blamed = ls_blame_charge(l, h->blame_mark);
		if (ls_opts.hold_time || blamed != 0)
			ls_note_hold_end(l, h, blamed);
	}
	ls_held_remove(t, h);
}

void ls_track_unlock_slow(ls_thread_state *t, void *lock)
{
	ls_held *h = ls_held_find(t, (uintptr_t)lock);
	if (!h)
		return;
	uint32_t depth = ls_held_depth(h);
	if (depth > 1) {
		ls_held_set_depth(h, depth - 1);
		return;
	}
	ls_busy_begin();
	end_hold(t, h);
	ls_busy_end();
}

static void end_life(ls_lock *l)
{
	ls_order_forget_lock(l);
	ls_lock_retire_keeping_stats(l);
}

void ls_track_init(ls_thread_state *t, void *lock, enum ls_lock_kind kind, uintptr_t site)
{
	ls_lock *old = ls_lock_forget((uintptr_t)lock);
	if (old)
		end_life(old);
	ls_lock *l = ls_lock_get((uintptr_t)lock, kind);
	if (l) {
		l->inited = true;
		uint32_t stack = site_stack_of(site);
		l->init_stack = stack == LS_PRIVATE_SITE ? 0 : stack;
	}
}

void ls_track_destroy(void *lock)
{
	ls_lock *l = ls_lock_forget((uintptr_t)lock);
	if (l)
		end_life(l);
}

void ls_track_free_range(void *p, size_t size)
{
	if (ls_lock_range_maybe_tracked((uintptr_t)p, size))
		ls_lock_forget_range((uintptr_t)p, size, end_life);
}

void ls_track_cond_wait_begin(ls_thread_state *t, void *cond, void *mutex, uint64_t deadline_ns,
			      ls_cond_wait_state *s)
{
	ls_held *h = ls_held_find(t, (uintptr_t)mutex);
	s->had_mutex = h != NULL;
	ls_lock *l;
	if (h) {
		ls_held_save(&s->saved, h);
		l = h->lock;
		/* the condition wait releases the mutex: the hold ends here */
		end_hold(t, h);
	} else {
		l = ls_lock_get((uintptr_t)mutex, LS_KIND_MUTEX);
	}
	/* The wait ends by re-acquiring the mutex while holding everything else
	 * still held: those are order edges, recorded now. */
	if (l && ls_opts.detect && ls_held_count(t) > 0)
		ls_order_before_acquire(t, l, LS_MODE_EXCL);
	ls_publish_wait(t, LS_WAIT_COND, NULL, (uintptr_t)cond, LS_MODE_EXCL, deadline_ns);
}

void ls_track_cond_wait_end(ls_thread_state *t, void *mutex, ls_cond_wait_state *s)
{
	ls_clear_wait(t);
	if (!s->had_mutex)
		return;
	ls_held *h = ls_held_push_copy(t, &s->saved);
	if (!h)
		return;
	ls_lock *l = h->lock;
	(void)mutex;
	/* The re-acquisition inside the condition wait counts for the lock but
	 * on no site: sites count the program's own lock calls. */
	atomic_fetch_add_explicit(&l->acquisitions, 1, memory_order_relaxed);
	if (ls_opts.hold_time)
		h->since_ns = ls_stat_ticks();
	h->blame_mark = ls_blame_area(l);
}

void ls_track_wait_begin(ls_thread_state *t, enum ls_wait_kind kind, uintptr_t object)
{
	ls_publish_wait(t, kind, NULL, object, LS_MODE_EXCL, 0);
}

void ls_track_wait_end(ls_thread_state *t) { ls_clear_wait(t); }
