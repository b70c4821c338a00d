/* semaphore.c — semaphores, once controls and barriers (semaphore.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/lockscope_internal.h"
#include "core/order_graph.h"
#include "core/py_stack.h"
#include "core/semaphore.h"
#include "python/pyframes.h"


void ls_sem_becomes_signal(ls_lock *l, enum ls_sem_reason why)
{
	uint8_t expected = LS_SEM_LOCK;
	if (l->kind != LS_KIND_SEM || ls_lock_is_signal(l) || /* (no atomic write on a known signal's line) */
	    !atomic_compare_exchange_strong_explicit(&l->sem_class, &expected, LS_SEM_SIGNAL, memory_order_relaxed,
						     memory_order_relaxed))
		return;
	l->sem_reason = (uint8_t)why;
	ls_order_signal_not_lock(l);
}

const char *ls_sem_class_name(const ls_lock *l)
{
	if (l->kind != LS_KIND_SEM)
		return NULL;
	return ls_lock_is_signal(l) ? "signal" : "lock";
}

const char *ls_sem_reason_text(const ls_lock *l)
{
	if (!ls_lock_is_signal(l))
		return NULL;
	switch (l->sem_reason) {
	case LS_SEM_COUNTING: return "counting";
	case LS_SEM_POSTED_BY_OTHER: return "posted by a thread that did not take it";
	case LS_SEM_TAKEN_TWICE: return "taken twice by one thread";
	case LS_SEM_CONDITION_WAITER: return "a threading.Condition waiter";
	default: return NULL;
	}
}

void ls_track_sem_init(ls_thread_state *t, void *sem, unsigned value, uintptr_t site)
{
	ls_track_init(t, sem, LS_KIND_SEM, site);
	ls_lock *l = ls_lock_find((uintptr_t)sem);
	if (l && value > 1)
		ls_sem_becomes_signal(l, LS_SEM_COUNTING);
}

void ls_track_sem_open(ls_thread_state *t, void *sem, unsigned value, uintptr_t site)
{
	(void)t;
	ls_lock *l = ls_lock_get((uintptr_t)sem, LS_KIND_SEM);
	if (!l || l->kind != LS_KIND_SEM)
		return;
	if (atomic_fetch_add_explicit(&l->object_count, 1, memory_order_relaxed) == 0) {
		l->inited = true;
		l->init_stack = ls_site_is_private(site) ? 0 : ls_site_stack(site, ls_opts.stack_depth);
	}
	if (value > 1)
		ls_sem_becomes_signal(l, LS_SEM_COUNTING);
}

void ls_track_sem_close(void *sem)
{
	ls_lock *l = ls_lock_find((uintptr_t)sem);
	if (l && l->kind == LS_KIND_SEM && atomic_fetch_sub_explicit(&l->object_count, 1, memory_order_relaxed) == 1)
		ls_track_destroy(sem);
}

/* The thread takes a semaphore it holds: a signal, not a lock (a lock
 * would deadlock).  Its entry leaves the held set. */
static void check_taken_twice(ls_thread_state *t, void *sem, ls_lock *l)
{
	ls_held *h = ls_held_entry(t, (uintptr_t)sem, l);
	if (!h)
		return;
	ls_sem_becomes_signal(l, LS_SEM_TAKEN_TWICE);
	ls_held_remove(t, h);
}

/* The entry of (site, sem), or NULL when the call is not tracked; *fresh:
 * filled now (it has the stack of the site's first call, see
 * sem_acquired). */
static struct ls_call_cache_entry *sem_entry(ls_thread_state *t, void *sem, uintptr_t site, bool *fresh)
{
	struct ls_call_cache_entry *known = ls_call_find(t, site, (uintptr_t)sem);
	*fresh = !known || !ls_call_alive(known);
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, (uintptr_t)sem, LS_KIND_SEM);
	if (!e || e->lock == &ls_lock_private)
		return NULL;
	if (LS_UNLIKELY(!e->lock->init_stack))
		e->lock->init_stack = e->stack;
	return e;
}

/* An acquisition through e by call c: a lock-like semaphore is held
 * (released as c->release says); a signal is only counted.  mark: the
 * order edges from the held set of signature held_sig are known (the
 * fast path may take this call from now on).
 * fresh: e was filled by this call.  Every acquisition of an
 * interpreter's locks comes from one call site (CPython's
 * PyThread_acquire_lock_timed), so the stack of the site's first call
 * would say nothing about this lock: a lock-like semaphore's entry gets
 * the stack of its own first acquisition (a signal's never needs one:
 * it is never the held end of an order edge). */
static void sem_acquired(ls_thread_state *t, struct ls_call_cache_entry *e, const ls_lock_call *c,
			 uint64_t held_sig, bool mark, bool fresh)
{
	if (ls_lock_is_signal(e->lock)) {
		/* (the callers dropped any entry the thread held of it) */
		e->count++;
		e->edges_known_sig = ls_sem_signal_known(e->lock_id);
		return;
	}
	if (fresh)
		e->stack = ls_capture_to_depot(ls_opts.stack_depth);
	ls_note_acquired_slow(t, e, LS_MODE_EXCL, c->release);
	if (mark)
		e->edges_known_sig = ls_edges_known(held_sig, e->lock_id, LS_MODE_EXCL);
}

/* A wait published for the watchdog but not counted as contention:
 * for a post (a signal), or a join. */
static int wait_uncounted(ls_thread_state *t, ls_lock *l, const ls_lock_call *c, uint8_t flags)
{
	atomic_store_explicit(&t->wait_flags, flags, memory_order_relaxed);
	ls_publish_wait(t, LS_WAIT_LOCK, l, (uintptr_t)c->lock, LS_MODE_EXCL, ls_deadline_ns((clockid_t)c->arg2, c->arg1));
	int r = c->block(c);
	ls_clear_wait(t);
	return r;
}

/* The function of the calling thread's innermost Python frame when it is
 * one of the threading module's (its qualified name, in *where); false
 * when the thread runs no Python, or another module's code. */
static bool in_threading_module(ls_py_location *where)
{
	if (!ls_pystack_current(where))
		return false;
	size_t len = strlen(where->file);
	return len >= 12 && !strcmp(where->file + len - 12, "threading.py") &&
	       (len == 12 || where->file[len - 13] == '/');
}

/* Whether the calling thread, blocking on a semaphore, is joining a
 * Python thread: CPython's Thread.join (and the interpreter's wait for
 * its threads at exit) waits on the lock each thread holds from its start
 * to its end. */
static bool python_join(void)
{
	ls_py_location where;
	return in_threading_module(&where) &&
	       (!strcmp(where.function, "Thread._wait_for_tstate_lock") || !strcmp(where.function, "_shutdown"));
}

/* Whether the calling thread takes a new threading.Condition waiter: the
 * lock Condition.wait allocates, takes, and takes again to sleep until
 * notify() releases it from another thread: a signal from the start,
 * which spares ordering it under the Condition's lock and undoing that. */
static bool python_condition_waiter(void)
{
	ls_py_location where;
	return in_threading_module(&where) && !strcmp(where.function, "Condition.wait");
}

/* The attempt on e's semaphore found it taken: wait. */
static int wait_busy(ls_thread_state *t, struct ls_call_cache_entry *e, const ls_lock_call *c, bool lock_like)
{
	ls_lock *l = e->lock;
	if (!lock_like)
		return wait_uncounted(t, l, c, 0);
	if (python_join())
		return wait_uncounted(t, l, c, LS_WAIT_FLAG_JOIN);
	return ls_wait_contended(t, l, c, LS_MODE_EXCL, e->site, e->stack);
}

int ls_track_sem_wait(ls_thread_state *t, const ls_lock_call *c, uintptr_t site)
{
	bool fresh;
	struct ls_call_cache_entry *e = sem_entry(t, c->lock, site, &fresh);
	if (!e)
		return c->block(c);
	ls_lock *l = e->lock;
	check_taken_twice(t, c->lock, l);
	uint64_t held_sig = ls_held_sig(t);
	bool lock_like = !ls_lock_is_signal(l);
	if (lock_like && ls_opts.detect && ls_held_count(t) > 0)
		ls_order_before_acquire(t, l, LS_MODE_EXCL);
	int r = c->attempt(c->lock);
	if (r == c->busy_code)
		r = wait_busy(t, e, c, lock_like);
	if (r == 0)
		sem_acquired(t, e, c, held_sig, lock_like, fresh);
	return r;
}

int ls_track_sem_wait_after_attempt(ls_thread_state *t, const ls_lock_call *c, uintptr_t site, int attempted)
{
	ls_busy_begin();
	/* the entry the fast path found: nothing ran on this thread since */
	struct ls_call_cache_entry *e = ls_call_find(t, site, (uintptr_t)c->lock);
	int r = attempted == c->busy_code ? wait_busy(t, e, c, true) : attempted;
	/* (a signal by now, if its post came from a thread not holding it:
	 * not held; the thread held none of it, or the fast path would not
	 * have taken the call) */
	if (r == 0)
		sem_acquired(t, e, c, 0, false, false);
	ls_busy_end();
	return r;
}

/* Whether a successful sem_trywait was meant to block: in CPython, the
 * first attempt of `with lock:` or `lock.acquire()`. */
static bool try_meant_to_block(void)
{
	return ls_py_current_call_argc() == 0;
}

int ls_track_sem_trywait(ls_thread_state *t, const ls_lock_call *c, uintptr_t site)
{
	int r = c->attempt(c->lock);
	if (r != 0)
		return r;
	bool fresh;
	struct ls_call_cache_entry *e = sem_entry(t, c->lock, site, &fresh);
	if (!e)
		return 0;
	ls_lock *l = e->lock;
	check_taken_twice(t, c->lock, l);
	uint64_t held_sig = ls_held_sig(t);
	/* With nothing held there is no edge to miss: the fast path may take
	 * the next such call whatever it means.  Otherwise only a blocking
	 * intent records edges and marks them known, so that the same call
	 * made to block from another line is still examined. */
	bool blocking = ls_held_count(t) == 0;
	if (!blocking && !ls_lock_is_signal(l)) {
		/* (a Condition's waiter first: its first acquisition is a
		 * blocking call too, and it is one per wait) */
		if (e->count == 0 && python_condition_waiter()) {
			ls_sem_becomes_signal(l, LS_SEM_CONDITION_WAITER);
		} else if (try_meant_to_block()) {
			blocking = true;
			if (ls_opts.detect)
				ls_order_before_acquire(t, l, LS_MODE_EXCL);
		}
	}
	sem_acquired(t, e, c, held_sig, blocking, fresh);
	return 0;
}

void ls_track_sem_post(ls_thread_state *t, void *sem, uintptr_t site)
{
	ls_lock *l = ls_lock_get((uintptr_t)sem, LS_KIND_SEM);
	if (!l || l->kind != LS_KIND_SEM)
		return;
	if (ls_held_entry(t, (uintptr_t)sem, l))
		ls_track_unlock_slow(t, sem);
	else
		ls_sem_becomes_signal(l, LS_SEM_POSTED_BY_OTHER);
	if (!ls_lock_is_signal(l))
		return;
	/* A signal, and the thread holds no entry of it now (nor will: the
	 * fast path takes no lock-like hold of a signal): this call's next
	 * posts are the fast path's. */
	struct ls_call_cache_entry *e = ls_call_lookup_other(t, site, (uintptr_t)sem, LS_KIND_SEM);
	if (e && e->lock == l)
		e->edges_known_sig = ls_sem_signal_known(e->lock_id);
}

/* ---- once controls --------------------------------------------------- */

/* glibc's once control: bit 0 "in progress", bit 1 "done" (nptl). */
#define GLIBC_ONCE_IN_PROGRESS 1

void ls_track_once_begin(ls_thread_state *t, void *control, uintptr_t site)
{
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, (uintptr_t)control, LS_KIND_ONCE);
	if (!e || e->lock == &ls_lock_private)
		return;
	ls_lock *l = e->lock;
	if (!l->init_stack)
		l->init_stack = e->stack;
	ls_held *h = ls_held_entry(t, (uintptr_t)control, l);
	/* An entry left by a routine that ended by an exception, not a return:
	 * glibc no longer says "in progress". */
	if (h && !(__atomic_load_n((int *)control, __ATOMIC_ACQUIRE) & GLIBC_ONCE_IN_PROGRESS)) {
		ls_held_remove(t, h);
		h = NULL;
	}
	/* Running its routine, the thread calls pthread_once on it again:
	 * glibc waits forever for the routine to end.  The wait is published
	 * on a control the thread holds, which the watchdog reports as a
	 * deadlock of one thread. */
	if (!h && ls_opts.detect && ls_held_count(t) > 0)
		ls_order_before_acquire(t, l, LS_MODE_EXCL);
	ls_publish_wait(t, LS_WAIT_LOCK, l, (uintptr_t)control, LS_MODE_EXCL, 0);
}

void ls_track_once_run(ls_thread_state *t, void *control, uintptr_t site)
{
	ls_clear_wait(t);
	struct ls_call_cache_entry *e = ls_call_lookup(t, site, (uintptr_t)control, LS_KIND_ONCE);
	if (e && e->lock != &ls_lock_private) /* (released by ls_track_once_ran) */
		ls_note_acquired_slow(t, e, LS_MODE_EXCL, LS_RELEASE_CALL);
}

void ls_track_once_ran(ls_thread_state *t, void *control) { ls_track_unlock_slow(t, control); }

void ls_track_once_end(ls_thread_state *t) { ls_clear_wait(t); }

/* ---- barriers -------------------------------------------------------- */

void ls_track_barrier_init(ls_thread_state *t, void *barrier, unsigned count, uintptr_t site)
{
	ls_track_init(t, barrier, LS_KIND_BARRIER, site);
	ls_lock *l = ls_lock_find((uintptr_t)barrier);
	if (l)
		atomic_store_explicit(&l->object_count, count, memory_order_relaxed);
}

void ls_track_barrier_wait_begin(ls_thread_state *t, void *barrier)
{
	ls_lock *l = ls_lock_get((uintptr_t)barrier, LS_KIND_BARRIER);
	if (l)
		ls_publish_wait(t, LS_WAIT_BARRIER, l, (uintptr_t)barrier, LS_MODE_EXCL, 0);
}

void ls_track_barrier_wait_end(ls_thread_state *t) { ls_clear_wait(t); }
