/* sync.c — the interposers of semaphores, once controls and barriers.
 *
 * Semaphores are tracked as what they turn out to be (core/semaphore.h):
 * a lock-like one takes the same fast path as a mutex (one probe of the
 * call cache, the attempt made inline, a push on the held set; the post
 * a pop and an inline post when nobody waits), and so does a successful
 * sem_trywait that sees nothing new, since CPython takes every
 * threading.Lock with one; a call the slow path saw take or post a
 * signal takes a shorter one (counted, never held).  Everything else
 * goes to the core's slow functions.  The semaphore functions answer as
 * glibc's do: -1 and errno.  (No single-thread shortcut here:
 * sem_inline.h.)
 *
 * glibc exports the semaphore functions at GLIBC_2.34 and at their older
 * versions (2.2.5; sem_clockwait 2.30), the same code on x86-64.  The
 * interposers are defined without a version, which the dynamic linker
 * binds a reference to any version to (tests/it_semaphores.sh checks a
 * program linked against the old ones), and the real functions are
 * resolved with dlvsym (bootstrap.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>

#include "core/semaphore.h"
#include "core/tracker.h"
#include "real.h"
#include "sem_inline.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER ((uintptr_t)__builtin_return_address(0))
#define NOT_ATTEMPTED INT_MIN

/* ---- adapters (core/semaphore.h: 0 or an errno value) ------------------- */

static int sem_attempt(void *s)
{
	if (LS_LIKELY(ls_sem_inline))
		return ls_sem_try_inline(s);
	return real.sem_trywait(s) == 0 ? 0 : errno;
}
static int sem_block(const ls_lock_call *c) { return real.sem_wait(c->lock) == 0 ? 0 : errno; }
static int sem_block_timed(const ls_lock_call *c) { return real.sem_timedwait(c->lock, c->arg1) == 0 ? 0 : errno; }
static int sem_block_clock(const ls_lock_call *c)
{
	return real.sem_clockwait(c->lock, (clockid_t)c->arg2, c->arg1) == 0 ? 0 : errno;
}

/* The three blocking calls, by how they wait. */
enum sem_variant { SEM_WAIT, SEM_TIMEDWAIT, SEM_CLOCKWAIT };
static int (*const sem_blocks[])(const ls_lock_call *) = { sem_block, sem_block_timed, sem_block_clock };

/* How a lock-like semaphore's hold is released (the key of its held
 * entry, tracker.h): LS_RELEASE_INLINE, by the sem_post interposer's fast
 * path (inline when nobody waits, else glibc's); without the inline
 * protocol, LS_RELEASE_CALL, which that fast path never matches. */
#define SEM_RELEASE LS_RELEASE_INLINE
static uintptr_t sem_release_way(void) { return ls_sem_inline ? SEM_RELEASE : LS_RELEASE_CALL; }

#define SEM_CALL(s, block_fn, abstime, clock) \
	{ .lock = (s), .attempt = sem_attempt, .block = block_fn, .arg1 = abstime, .arg2 = clock, \
	  .busy_code = EAGAIN, .owner_dead_code = -1, .release = sem_release_way() }

static int sem_answer(int r)
{
	if (LS_LIKELY(r == 0))
		return 0;
	errno = r;
	return -1;
}

/* ---- the fast path ---------------------------------------------------------
 * An acquisition the fast path takes is one of two kinds, told apart by
 * the call's cache entry (ls_fast_found: found, with room on the held
 * set) and one compare each:
 *  - a lock-like semaphore whose order edges from the held set are known
 *    (ls_fast_entry's compare) and whose record still says lock-like with
 *    the inline protocol on (ls_sem_fast_class: one more load from the
 *    record's first cache line): the attempt is one compare-and-swap of
 *    the word from 1 to 0, then the hold is counted and pushed as a
 *    mutex's;
 *  - a semaphore the slow path saw as a signal from this call
 *    (ls_sem_signal_known): the attempt is glibc's, inline, and only
 *    counted.
 * Everything else, and any attempt that does not succeed at once, goes to
 * the slow path. */

static inline __attribute__((always_inline)) bool sem_lock_fast(const ls_fast *f)
{
	return LS_LIKELY((f->top->prefix_sig ^ atomic_load_explicit(&f->lock->live_id, memory_order_relaxed)) ==
			 f->e->edges_known_sig) &&
	       LS_LIKELY(atomic_load_explicit(&f->lock->sem_class, memory_order_relaxed) == ls_sem_fast_class);
}

static inline __attribute__((always_inline)) bool sem_signal_fast(const ls_fast *f)
{
	return ls_sem_signal_known(atomic_load_explicit(&f->lock->live_id, memory_order_relaxed)) ==
		       f->e->edges_known_sig &&
	       LS_LIKELY(ls_sem_inline);
}

/* The lock path's attempt: 0 or EAGAIN.  A word other than a free lock's
 * (a value left for a woken waiter, who has not taken it yet, is the
 * usual one under contention) gets glibc's protocol in full, still
 * inline. */
static inline __attribute__((always_inline)) int sem_take(sem_t *s)
{
	int r = ls_sem_take_free(s);
	if (__builtin_expect(r == LS_SEM_NOT_INLINE, 0))
		r = ls_sem_try_inline(s);
	return r;
}

_Static_assert(LS_MODE_EXCL == 0, "a semaphore's edges are known as ls_edges_known(sig, id, 0): sig ^ id");

/* ---- acquisitions ------------------------------------------------------- */

static __attribute__((noinline, cold)) int sem_acquire_slow(sem_t *s, enum sem_variant how,
							     const struct timespec *abstime, clockid_t clock,
							     uintptr_t site, int attempted)
{
	ls_lock_call c = SEM_CALL(s, sem_blocks[how], abstime, clock);
	if (attempted != NOT_ATTEMPTED)
		return sem_answer(ls_track_sem_wait_after_attempt(ls_tls.state, &c, site, attempted));
	ls_thread_state *t = ls_enter();
	if (!t)
		return sem_answer(real.sem_wait ? c.block(&c) : 0);
	int r = ls_track_sem_wait(t, &c, site);
	ls_leave();
	return sem_answer(r);
}

/* A blocking acquisition (the caller made glibc's checks: cancellation,
 * a valid deadline).  Busy on the lock path: the slow path waits, the
 * attempt made (contention); a signal that is not free: the slow path
 * from the start. */
static inline __attribute__((always_inline)) int sem_acquire(sem_t *s, enum sem_variant how,
							      const struct timespec *abstime, clockid_t clock,
							      uintptr_t site)
{
	ls_thread_state *t = ls_fast_state();
	ls_fast f;
	if (LS_LIKELY(ls_fast_found(t, site, (uintptr_t)s, &f))) {
		if (LS_LIKELY(sem_lock_fast(&f))) {
			int r = sem_take(s);
			if (LS_LIKELY(r == 0))
				return ls_note_acquired_fast(t, &f, (uintptr_t)s, LS_MODE_EXCL, SEM_RELEASE);
			return sem_acquire_slow(s, how, abstime, clock, site, r);
		} else if (sem_signal_fast(&f) && ls_sem_try_inline(s) == 0) {
			f.e->count++;
			return 0;
		}
	}
	return sem_acquire_slow(s, how, abstime, clock, site, NOT_ATTEMPTED);
}

static bool valid_abstime(const struct timespec *abstime)
{
	return abstime && abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000;
}

/* sem_wait and sem_timedwait are cancellation points even when they do
 * not block: glibc tests for a cancellation first, and so do these. */
EXPORT int sem_wait(sem_t *s)
{
	pthread_testcancel();
	return sem_acquire(s, SEM_WAIT, NULL, 0, CALLER);
}

EXPORT int sem_timedwait(sem_t *restrict s, const struct timespec *restrict abstime)
{
	if (!valid_abstime(abstime) || !real.sem_timedwait)
		return real.sem_timedwait ? real.sem_timedwait(s, abstime) : 0;
	pthread_testcancel();
	return sem_acquire(s, SEM_TIMEDWAIT, abstime, CLOCK_REALTIME, CALLER);
}

EXPORT int sem_clockwait(sem_t *restrict s, clockid_t clock, const struct timespec *restrict abstime)
{
	if (!valid_abstime(abstime) || (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) || !real.sem_clockwait)
		return real.sem_clockwait ? real.sem_clockwait(s, clock, abstime) : 0;
	pthread_testcancel();
	return sem_acquire(s, SEM_CLOCKWAIT, abstime, clock, CALLER);
}

static __attribute__((noinline, cold)) int sem_trywait_slow(sem_t *s, uintptr_t site)
{
	ls_thread_state *t = ls_enter();
	if (!t)
		return real.sem_trywait ? real.sem_trywait(s) : 0;
	int r = ls_track_sem_trywait(t, &(ls_lock_call)SEM_CALL(s, sem_block, NULL, 0), site);
	ls_leave();
	return sem_answer(r);
}

static __attribute__((noinline)) int sem_busy(void)
{
	errno = EAGAIN;
	return -1;
}

/* CPython's every `with lock:` starts here (core/semaphore.h).  A lock
 * that is taken answers at once (a failed try records nothing). */
EXPORT int sem_trywait(sem_t *s)
{
	ls_thread_state *t = ls_fast_state();
	ls_fast f;
	if (LS_LIKELY(ls_fast_found(t, CALLER, (uintptr_t)s, &f))) {
		if (LS_LIKELY(sem_lock_fast(&f))) {
			if (LS_LIKELY(sem_take(s) == 0))
				return ls_note_acquired_fast(t, &f, (uintptr_t)s, LS_MODE_EXCL, SEM_RELEASE);
			return sem_busy();
		} else if (sem_signal_fast(&f)) {
			if (ls_sem_try_inline(s) != 0)
				return sem_busy();
			f.e->count++;
			return 0;
		}
	}
	return sem_trywait_slow(s, CALLER);
}

/* ---- posts ---------------------------------------------------------------- */

static __attribute__((noinline, cold)) int sem_post_slow(sem_t *s, uintptr_t site)
{
	ls_thread_state *t = ls_enter();
	if (t) {
		ls_track_sem_post(t, s, site);
		ls_leave();
	}
	if (LS_LIKELY(ls_sem_inline) && ls_sem_post_uncontended(s))
		return 0;
	return real.sem_post ? real.sem_post(s) : 0;
}

/* The post of a hold when somebody waits (or the value is not 0). */
static __attribute__((noinline)) int sem_post_call(sem_t *s, ls_lock *lock, const ls_held *h, uint64_t mark)
{
	return ls_blame_after_release(lock, h, mark, real.sem_post(s));
}

/* A post that is not of the newest hold: from a call the slow path saw
 * post a signal (ls_sem_signal_known: alive, a signal, and no entry of it
 * in the thread's held set), nothing to track; anything else is the slow
 * path's (a hold further down, a lock-like semaphore posted by a thread
 * that does not hold it, which makes it a signal, a first sight). */
static __attribute__((noinline)) int sem_post_other(sem_t *s, ls_thread_state *t, uintptr_t site)
{
	const struct ls_call_cache_entry *e = ls_call_find(t, site, (uintptr_t)s);
	if (LS_LIKELY(e != NULL) &&
	    LS_LIKELY(ls_sem_signal_known(atomic_load_explicit(&e->lock->live_id, memory_order_relaxed)) ==
		      e->edges_known_sig) &&
	    LS_LIKELY(ls_sem_inline)) {
		if (LS_LIKELY(ls_sem_post_uncontended(s)))
			return 0;
		return real.sem_post(s);
	}
	return sem_post_slow(s, site);
}

/* The fast path: the newest held entry is this semaphore's hold, taken
 * with the inline protocol (one compare); as the mutex releases do, every
 * call out is a tail call. */
EXPORT int sem_post(sem_t *s)
{
	ls_thread_state *t = ls_fast_state();
	ls_held *h = ls_track_unlock_fast(t, s, SEM_RELEASE);
	if (!LS_LIKELY(h != NULL))
		return sem_post_other(s, t, CALLER);
	ls_lock *lock = h->lock;
	uint64_t mark = h->blame_mark;
	if (LS_LIKELY(ls_sem_give_back(s)))
		return ls_blame_after_release(lock, h, mark, 0);
	return sem_post_call(s, lock, h, mark);
}

/* ---- lives -------------------------------------------------------------------- */

/* A semaphore's or barrier's init returned r: when it succeeded, a new
 * life (made: ls_track_sem_init or ls_track_barrier_init, with its value
 * or count).  Returns r. */
typedef void made_fn(ls_thread_state *t, void *object, unsigned value, uintptr_t site);
static int after_init(int r, made_fn *made, void *object, unsigned value, uintptr_t site)
{
	ls_thread_state *t;
	if (r == 0 && (t = ls_enter())) {
		made(t, object, value, site);
		ls_leave();
	}
	return r;
}

/* Its destroy returned r: when it succeeded, the end of its life. */
static int after_destroy(int r, void *object)
{
	if (r == 0 && ls_enter()) {
		ls_track_destroy(object);
		ls_leave();
	}
	return r;
}

EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
	return after_init(real.sem_init ? real.sem_init(s, pshared, value) : 0, ls_track_sem_init, s, value, CALLER);
}

EXPORT int sem_destroy(sem_t *s) { return after_destroy(real.sem_destroy ? real.sem_destroy(s) : 0, s); }

EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
	mode_t mode = 0;
	unsigned value = 0;
	if (oflag & O_CREAT) {
		va_list ap;
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	sem_t *s = real.sem_open ? real.sem_open(name, oflag, mode, value) : SEM_FAILED;
	ls_thread_state *t;
	if (s != SEM_FAILED && (t = ls_enter())) {
		int now = 0;
		if (real.sem_getvalue(s, &now) != 0)
			now = 0;
		ls_track_sem_open(t, s, (unsigned)now, CALLER);
		ls_leave();
	}
	return s;
}

EXPORT int sem_close(sem_t *s)
{
	if (ls_enter()) {
		ls_track_sem_close(s);
		ls_leave();
	}
	return real.sem_close ? real.sem_close(s) : 0;
}

/* ---- once controls --------------------------------------------------------------- */

/* nptl's "done" bit of a once control: glibc's own first test. */
#define GLIBC_ONCE_DONE 2

/* The pthread_once call whose routine the trampoline runs (the innermost
 * of this thread's nested calls). */
struct once_call {
	void (*init)(void);
	pthread_once_t *control;
	uintptr_t site;
};
static __thread struct once_call *once_current __attribute__((tls_model("initial-exec")));

static void once_routine_ended(void *arg)
{
	struct once_call *c = arg;
	ls_thread_state *t = ls_enter();
	if (t) {
		ls_track_once_ran(t, c->control);
		ls_leave();
	}
}

/* glibc calls this in place of the program's routine: the control is held
 * while the routine runs (and released if it is cancelled). */
static void once_trampoline(void)
{
	struct once_call *c = once_current;
	ls_thread_state *t = ls_enter();
	if (t) {
		ls_track_once_run(t, c->control, c->site);
		ls_leave();
	}
	pthread_cleanup_push(once_routine_ended, c);
	c->init();
	pthread_cleanup_pop(1);
}

EXPORT int pthread_once(pthread_once_t *control, void (*init)(void))
{
	if (__atomic_load_n(control, __ATOMIC_ACQUIRE) & GLIBC_ONCE_DONE)
		return 0;
	ls_thread_state *t = ls_enter();
	if (!t) {
		if (real.pthread_once)
			return real.pthread_once(control, init);
		/* only the thread resolving the real functions gets here */
		init();
		__atomic_store_n(control, GLIBC_ONCE_DONE, __ATOMIC_RELEASE);
		return 0;
	}
	ls_track_once_begin(t, control, CALLER);
	ls_leave();
	struct once_call call = { init, control, CALLER }, *outer = once_current;
	once_current = &call;
	int r = real.pthread_once(control, once_trampoline);
	once_current = outer;
	ls_busy_begin();
	ls_track_once_end(t);
	ls_leave();
	return r;
}

/* ---- barriers ---------------------------------------------------------------------- */

EXPORT int pthread_barrier_init(pthread_barrier_t *restrict b, const pthread_barrierattr_t *restrict attr,
				unsigned count)
{
	return after_init(real.pthread_barrier_init ? real.pthread_barrier_init(b, attr, count) : 0,
			  ls_track_barrier_init, b, count, CALLER);
}

EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
	return after_destroy(real.pthread_barrier_destroy ? real.pthread_barrier_destroy(b) : 0, b);
}

EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	ls_thread_state *t = ls_enter();
	if (!t)
		return real.pthread_barrier_wait ? real.pthread_barrier_wait(b) : 0;
	ls_track_barrier_wait_begin(t, b);
	ls_leave();
	int r = real.pthread_barrier_wait(b);
	ls_busy_begin();
	ls_track_barrier_wait_end(t);
	ls_leave();
	return r;
}
