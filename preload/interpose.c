/* interpose.c — the functions the program calls instead of glibc's.
 *
 * Each interposer is thin: it passes straight through when lockscope must
 * not look (inside itself, during bootstrap), and otherwise hands the call
 * to the tracker with adapters that call the real function.  Real
 * functions come from dlsym(RTLD_NEXT) (dlvsym for the condition-variable
 * ABI glibc versions); see bootstrap.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <threads.h>

#include "core/tracker.h"
#include "mutex_inline.h"
#include "real.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER ((uintptr_t)__builtin_return_address(0))
/* During bootstrap a real function may not be resolved yet; the only calls
 * that can arrive then come from dlsym itself on the bootstrapping thread,
 * before any other thread exists, so "success" is the honest answer. */
#define PASS(fn, ...) (real.fn ? real.fn(__VA_ARGS__) : 0)

/* ---- adapters: how to try and how to block for each lock API ---------- */

/* Each lock family API has, for the fast path:
 *   API##_inline(lock)          whether the first attempt and the release
 *                               are made inline for this lock
 *   API##_inline_attempt(l, t)  that attempt: 0, the busy code, or
 *                               NOT_INLINE_ATTEMPT (this time the real try
 *                               function has to do it)
 *   API##_inline_release(l)     that release; true: a waiter to wake with
 *   API##_wake(l)               (which returns the unlock's result)
 *   API##_try(lock)             the real try function (an ls_lock_call's attempt)
 *   API##_release(lock)         how a hold is released (LS_RELEASE_*, the
 *                               key of its held entry)
 *   API##_inline_release_way    the same for a hold taken inline
 *   API##_try_fast(lock)        a try of this lock has a fast path: a try
 *                               of a lock the thread holds fails by itself
 *                               (the fast path has no recursion check)
 *   API##_may_inline            (releases) some holds are released inline
 *   API##_read_release(l)       (releases of shared families) a read hold's
 * Default mutexes (pthread or C11), spinlocks and rwlock tries and read
 * releases are done inline (mutex_inline.h); NOT_INLINED(API) says so for
 * the rest. */
#define NOT_INLINE_ATTEMPT LS_RWLOCK_NOT_INLINE
static inline bool mutex_inline(pthread_mutex_t *m) { return ls_mutex_inline_applies(m); }
static inline int mutex_inline_attempt(pthread_mutex_t *m, const ls_thread_state *t)
{
	return ls_mutex_try_inline(m, t->tid);
}
static inline bool mutex_inline_release(pthread_mutex_t *m) { return ls_mutex_release_word(m); }
static inline int mutex_wake(pthread_mutex_t *m) { return ls_mutex_wake_one(m); }
#define mutex_inline_release_way LS_RELEASE_INLINE
static inline uintptr_t mutex_release(pthread_mutex_t *m)
{
	return mutex_inline(m) ? LS_RELEASE_INLINE : LS_RELEASE_CALL;
}
static inline bool mutex_try_fast(pthread_mutex_t *m) { return mutex_inline(m); } /* not recursive ones */
#define mutex_may_inline 1
#define mutex_read_release(l) ((void)(l), 0) /* (no shared holds) */
#define NOT_INLINED(api)                                                          \
	static inline bool api##_inline(const volatile void *lock) { return (void)lock, false; } \
	static inline int api##_inline_attempt(const volatile void *lock, const ls_thread_state *t) \
	{                                                                               \
		return (void)lock, (void)t, EBUSY;                                      \
	}                                                                               \
	static inline bool api##_inline_release(const volatile void *lock) { return (void)lock, false; } \
	static inline int api##_wake(const volatile void *lock) { return (void)lock, 0; }
/* rwlocks: tries for read and write inline when the lock is in a simple
 * state; a read hold's release is inline when simple too
 * (rw_read_release), a write hold's is glibc's.  A try for read succeeds
 * on a lock the thread read-holds, and a try for write would need the
 * writer's state: no try fast path. */
static inline bool rd_inline(pthread_rwlock_t *l) { return (void)l, LS_LIKELY(ls_rwlock_inline); }
static inline int rd_inline_attempt(pthread_rwlock_t *l, const ls_thread_state *t)
{
	return (void)t, ls_rwlock_tryrdlock_inline(l);
}
static inline uintptr_t rd_release(const void *l) { return (void)l, LS_RELEASE_READ; }
#define rd_inline_release_way LS_RELEASE_READ
static inline bool rd_try_fast(const void *l) { return (void)l, false; }
static inline bool wr_inline(pthread_rwlock_t *l) { return (void)l, LS_LIKELY(ls_rwlock_inline); }
static inline int wr_inline_attempt(pthread_rwlock_t *l, const ls_thread_state *t)
{
	return ls_rwlock_trywrlock_inline(l, t->tid);
}
NOT_INLINED(rw)
static inline uintptr_t wr_release(const void *l) { return (void)l, LS_RELEASE_CALL; }
#define wr_inline_release_way LS_RELEASE_CALL
static inline bool wr_try_fast(const void *l) { return (void)l, false; }
#define rw_may_inline 0
static int rw_read_release(pthread_rwlock_t *l)
{
	if (LS_LIKELY(ls_rwlock_inline) && LS_LIKELY(ls_rwlock_rdunlock_inline(l)))
		return 0;
	return real.pthread_rwlock_unlock(l);
}
static inline bool spin_inline(pthread_spinlock_t *l) { return (void)l, LS_LIKELY(ls_spin_inline); }
static inline int spin_inline_attempt(pthread_spinlock_t *l, const ls_thread_state *t)
{
	return (void)t, ls_spin_try_inline(l);
}
static inline bool spin_inline_release(pthread_spinlock_t *l) { return ls_spin_release_inline(l), false; }
static inline int spin_wake(pthread_spinlock_t *l) { return (void)l, 0; }
#define spin_inline_release_way LS_RELEASE_INLINE
static inline uintptr_t spin_release(pthread_spinlock_t *l)
{
	return spin_inline(l) ? LS_RELEASE_INLINE : LS_RELEASE_CALL;
}
static inline bool spin_try_fast(pthread_spinlock_t *l) { return (void)l, true; }
#define spin_may_inline 1
#define spin_read_release(l) ((void)(l), 0)
/* A C11 mtx_t is a glibc mutex (mtx_plain and mtx_timed: a default one),
 * answering in thrd_* codes. */
static inline bool c11_inline(mtx_t *m) { return ls_mutex_inline_applies((pthread_mutex_t *)m); }
static inline int c11_inline_attempt(mtx_t *m, const ls_thread_state *t)
{
	return ls_mutex_try_inline((pthread_mutex_t *)m, t->tid) == 0 ? thrd_success : thrd_busy;
}
static inline bool c11_inline_release(mtx_t *m) { return ls_mutex_release_word((pthread_mutex_t *)m); }
static inline int c11_wake(mtx_t *m)
{
	ls_mutex_wake_one((pthread_mutex_t *)m);
	return thrd_success;
}
#define c11_inline_release_way LS_RELEASE_INLINE
static inline uintptr_t c11_release(mtx_t *m) { return c11_inline(m) ? LS_RELEASE_INLINE : LS_RELEASE_CALL; }
static inline bool c11_try_fast(mtx_t *m) { return c11_inline(m); } /* not mtx_recursive ones */
#define c11_may_inline 1
#define c11_read_release(l) ((void)(l), 0)

static int mutex_try(void *lock) { return real.pthread_mutex_trylock(lock); }
static int mutex_block(const ls_lock_call *c) { return real.pthread_mutex_lock(c->lock); }
static int mutex_timed(const ls_lock_call *c) { return real.pthread_mutex_timedlock(c->lock, c->arg1); }
static int mutex_clock(const ls_lock_call *c) { return real.pthread_mutex_clocklock(c->lock, c->arg2, c->arg1); }
static int rd_try(void *lock) { return real.pthread_rwlock_tryrdlock(lock); }
static int rd_block(const ls_lock_call *c) { return real.pthread_rwlock_rdlock(c->lock); }
static int rd_timed(const ls_lock_call *c) { return real.pthread_rwlock_timedrdlock(c->lock, c->arg1); }
static int rd_clock(const ls_lock_call *c) { return real.pthread_rwlock_clockrdlock(c->lock, c->arg2, c->arg1); }
static int wr_try(void *lock) { return real.pthread_rwlock_trywrlock(lock); }
static int wr_block(const ls_lock_call *c) { return real.pthread_rwlock_wrlock(c->lock); }
static int wr_timed(const ls_lock_call *c) { return real.pthread_rwlock_timedwrlock(c->lock, c->arg1); }
static int wr_clock(const ls_lock_call *c) { return real.pthread_rwlock_clockwrlock(c->lock, c->arg2, c->arg1); }
static int spin_try(void *lock) { return real.pthread_spin_trylock(lock); }
static int spin_block(const ls_lock_call *c) { return real.pthread_spin_lock(c->lock); }
static int c11_try(void *lock) { return real.mtx_trylock(lock); }
static int c11_block(const ls_lock_call *c) { return real.mtx_lock(c->lock); }
static int c11_timed(const ls_lock_call *c) { return real.mtx_timedlock(c->lock, c->arg1); }

#define POSIX_CALL(l, api, block_fn, a1, a2) \
	{ .lock = (void *)(l), .attempt = api##_try, .block = block_fn, .arg1 = a1, .arg2 = a2, \
	  .busy_code = EBUSY, .owner_dead_code = EOWNERDEAD, .release = api##_release(l) }
#define C11_CALL(l, block_fn, a1) \
	{ .lock = (void *)(l), .attempt = c11_try, .block = block_fn, .arg1 = a1, \
	  .busy_code = thrd_busy, .owner_dead_code = -1, .release = c11_release(l) }

#define UNPAREN(...) __VA_ARGS__
#define NOT_ATTEMPTED INT_MIN

/* Defines the interposer `name` of a blocking acquisition and its slow
 * half.  The interposer is the fast path (tracker.h): it makes the first
 * attempt (`api`: one of the families above, inline or through
 * name##_attempt_call) and, when that succeeds, only counts and pushes.
 * Everything else is in name##_slow: a failed first attempt (busy:
 * contention) or a call the fast path cannot take, handed to the tracker
 * with the call's adapters.  Every call out of the interposer is a tail
 * call, so with an inline attempt it has no stack frame at all.  `params`
 * and `args` are the parameter list and the argument names, `lock` the
 * lock parameter, `call` its ls_lock_call. */
#define DEFINE_BLOCKING(name, params, args, lock, api, call, kind, mode)                \
	static __attribute__((noinline, cold)) int name##_slow(UNPAREN params, uintptr_t site, \
								int attempted)         \
	{                                                                               \
		if (attempted != NOT_ATTEMPTED)                                         \
			return ls_track_lock_after_attempt(ls_tls.state, &(ls_lock_call)call, mode, \
							   site, attempted);            \
		ls_thread_state *t = ls_enter();                                        \
		if (!t)                                                                 \
			return PASS(name, UNPAREN args);                                \
		int r = ls_track_lock(t, &(ls_lock_call)call, kind, mode, site);        \
		ls_leave();                                                             \
		return r;                                                               \
	}                                                                               \
	static __attribute__((noinline)) int name##_attempt_call(UNPAREN params, ls_thread_state *t, \
								 struct ls_call_cache_entry *e, uintptr_t site) \
	{                                                                               \
		int r = api##_try((void *)lock);                                        \
		if (LS_LIKELY(r == 0))                                                  \
			return ls_note_acquired_again(t, e, (uintptr_t)lock, mode, api##_release(lock)); \
		return name##_slow(UNPAREN args, site, r);                              \
	}                                                                               \
	EXPORT int name(UNPAREN params)                                                 \
	{                                                                               \
		ls_thread_state *t = ls_fast_state();                                   \
		ls_fast f;                                                              \
		if (LS_LIKELY(ls_fast_entry(t, CALLER, (uintptr_t)lock, mode, &f))) {   \
			if (!api##_inline(lock))                                        \
				return name##_attempt_call(UNPAREN args, t, f.e, CALLER); \
			int r = api##_inline_attempt(lock, t);                          \
			if (LS_LIKELY(r == 0))                                          \
				return ls_note_acquired_fast(t, &f, (uintptr_t)lock, mode, api##_inline_release_way); \
			if (r == NOT_INLINE_ATTEMPT)                                    \
				return name##_attempt_call(UNPAREN args, t, f.e, CALLER); \
			return name##_slow(UNPAREN args, CALLER, r);                    \
		}                                                                       \
		return name##_slow(UNPAREN args, CALLER, NOT_ATTEMPTED);                \
	}

/* The three blocking calls of a POSIX lock API that has timed and clock
 * variants: NAME, TIMED, CLOCK, with the try adapter and the three
 * blocking adapters. */
#define DEFINE_POSIX_BLOCKING(name, timed, clock_fn, type, api, block, block_timed, block_clock, kind, mode) \
	DEFINE_BLOCKING(name, (type *l), (l), l, api, POSIX_CALL(l, api, block, NULL, 0), kind, mode)          \
	DEFINE_BLOCKING(timed, (type *l, const struct timespec *abstime), (l, abstime), l, api,                \
			POSIX_CALL(l, api, block_timed, abstime, 0), kind, mode)                               \
	DEFINE_BLOCKING(clock_fn, (type *l, clockid_t clock, const struct timespec *abstime), (l, clock, abstime), \
			l, api, POSIX_CALL(l, api, block_clock, abstime, clock), kind, mode)

/* Defines the interposer `name` of a try acquisition, int name(type *):
 * never blocks, never an order edge.  The fast path (no recursion check:
 * only where the attempt itself fails on a lock the thread holds, that is
 * an inline kind, or a family whose try_relock_fails) counts and pushes a
 * success and answers a failure at once; everything else (first sight,
 * recursive kinds) is in name##_slow, under the reentrancy guard. */
#define DEFINE_TRY(name, type, api, kind, mode, call)                         \
	static __attribute__((noinline, cold)) int name##_slow(type *l, uintptr_t site) \
	{                                                                     \
		ls_thread_state *t = ls_enter();                              \
		if (!t)                                                       \
			return PASS(name, l);                                 \
		int r = ls_track_trylock(t, &(ls_lock_call)call, kind, mode, site); \
		ls_leave();                                                   \
		return r;                                                     \
	}                                                                     \
	static __attribute__((noinline)) int name##_try_call(type *l, ls_thread_state *t, \
							     struct ls_call_cache_entry *e) \
	{                                                                     \
		int r = api##_try((void *)l);                                 \
		return LS_LIKELY(r == 0) ? ls_note_acquired_again(t, e, (uintptr_t)l, mode, api##_release(l)) : r; \
	}                                                                     \
	EXPORT int name(type *l)                                              \
	{                                                                     \
		ls_thread_state *t = ls_fast_state();                         \
		ls_fast f;                                                    \
		if (api##_try_fast(l) &&                                      \
		    LS_LIKELY(ls_fast_try_entry(t, CALLER, (uintptr_t)l, &f))) { \
			if (!api##_inline(l))                                 \
				return name##_try_call(l, t, f.e);            \
			int r = api##_inline_attempt(l, t);                   \
			if (LS_LIKELY(r == 0))                                \
				return ls_note_acquired_fast(t, &f, (uintptr_t)l, mode, api##_inline_release_way); \
			if (r == NOT_INLINE_ATTEMPT)                          \
				return name##_try_call(l, t, f.e);            \
			return r;                                             \
		}                                                             \
		return name##_slow(l, CALLER);                                \
	}

/* Defines the interposer `name` of a release, int name(type *), for the
 * lock family `api` (above): the fast path pops the held entry when its
 * key says "this lock, held once" and how it is released (inline, through
 * name##_release_call, or, for `shared` families, a read hold through
 * API##_read_release, with no blame; name##_other tries the less common
 * ways),
 * releases, and then charges an exclusive
 * hold's blame, if any; everything else is in name##_slow.  Every call out
 * of the interposer is a tail call, so that an inline release with nobody
 * waiting needs no stack frame. */
#define DEFINE_RELEASE(name, type, api, shared)                               \
	static __attribute__((noinline, cold)) int name##_slow(type *l)      \
	{                                                                     \
		if (ls_tls.state && !ls_tls.busy)                             \
			ls_track_unlock_slow(ls_tls.state, (void *)l);        \
		return PASS(name, l);                                         \
	}                                                                     \
	static __attribute__((noinline)) int name##_release_call(type *l, const ls_held *h) \
	{                                                                     \
		ls_lock *lock = h->lock;                                      \
		uint64_t mark = h->blame_mark;                                \
		return ls_blame_after_release(lock, h, mark, real.name(l));   \
	}                                                                     \
	static __attribute__((noinline)) int name##_wake(type *l, ls_lock *lock, const ls_held *h, uint64_t mark) \
	{                                                                     \
		return ls_blame_after_release(lock, h, mark, api##_wake(l));  \
	}                                                                     \
	static __attribute__((noinline)) int name##_other(type *l, ls_thread_state *t) \
	{                                                                     \
		ls_held *h;                                                   \
		if ((h = ls_track_unlock_fast(t, (void *)l, LS_RELEASE_CALL)) != NULL) \
			return name##_release_call(l, h);                     \
		return name##_slow(l);                                        \
	}                                                                     \
	EXPORT int name(type *l)                                              \
	{                                                                     \
		ls_thread_state *t = ls_fast_state();                         \
		ls_held *h;                                                   \
		if ((shared) && LS_LIKELY((h = ls_track_unlock_fast(t, (void *)l, LS_RELEASE_READ)) != NULL)) \
			return api##_read_release(l);                         \
		if (!api##_may_inline) {                                      \
			if (LS_LIKELY((h = ls_track_unlock_fast(t, (void *)l, LS_RELEASE_CALL)) != NULL)) \
				return name##_release_call(l, h);             \
			return name##_slow(l);                                \
		}                                                             \
		if (!LS_LIKELY((h = ls_track_unlock_fast(t, (void *)l, LS_RELEASE_INLINE)) != NULL)) \
			return name##_other(l, t);                            \
		ls_lock *lock = h->lock;                                      \
		uint64_t mark = h->blame_mark;                                \
		if (LS_UNLIKELY(api##_inline_release(l)))                     \
			return name##_wake(l, lock, h, mark);                 \
		return ls_blame_after_release(lock, h, mark, 0);              \
	}

#define INIT(lock, kind, passthrough)                                         \
	do {                                                                  \
		int r_ = passthrough;                                         \
		ls_thread_state *t_ = ls_enter();                             \
		if (t_) {                                                     \
			if (r_ == 0)                                          \
				ls_track_init(t_, (void *)(lock), kind, CALLER); \
			ls_leave();                                           \
		}                                                             \
		return r_;                                                    \
	} while (0)

#define DESTROY(lock, passthrough)                                            \
	do {                                                                  \
		int r_ = passthrough;                                         \
		ls_thread_state *t_ = ls_enter();                             \
		if (t_) {                                                     \
			if (r_ == 0)                                          \
				ls_track_destroy((void *)(lock));             \
			ls_leave();                                           \
		}                                                             \
		return r_;                                                    \
	} while (0)

/* ---- pthread mutexes --------------------------------------------------- */

EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	INIT(m, LS_KIND_MUTEX, PASS(pthread_mutex_init, m, a));
}

EXPORT int pthread_mutex_destroy(pthread_mutex_t *m) { DESTROY(m, PASS(pthread_mutex_destroy, m)); }

DEFINE_POSIX_BLOCKING(pthread_mutex_lock, pthread_mutex_timedlock, pthread_mutex_clocklock, pthread_mutex_t,
		      mutex, mutex_block, mutex_timed, mutex_clock, LS_KIND_MUTEX,
		      LS_MODE_EXCL)
DEFINE_TRY(pthread_mutex_trylock, pthread_mutex_t, mutex, LS_KIND_MUTEX, LS_MODE_EXCL,
	   POSIX_CALL(l, mutex, mutex_block, NULL, 0))

DEFINE_RELEASE(pthread_mutex_unlock, pthread_mutex_t, mutex, false)

/* ---- pthread rwlocks --------------------------------------------------- */

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	INIT(l, LS_KIND_RWLOCK, PASS(pthread_rwlock_init, l, a));
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) { DESTROY(l, PASS(pthread_rwlock_destroy, l)); }

DEFINE_POSIX_BLOCKING(pthread_rwlock_rdlock, pthread_rwlock_timedrdlock, pthread_rwlock_clockrdlock,
		      pthread_rwlock_t, rd, rd_block, rd_timed, rd_clock, LS_KIND_RWLOCK,
		      LS_MODE_READ)
DEFINE_TRY(pthread_rwlock_tryrdlock, pthread_rwlock_t, rd, LS_KIND_RWLOCK, LS_MODE_READ,
	   POSIX_CALL(l, rd, rd_block, NULL, 0))

DEFINE_POSIX_BLOCKING(pthread_rwlock_wrlock, pthread_rwlock_timedwrlock, pthread_rwlock_clockwrlock,
		      pthread_rwlock_t, wr, wr_block, wr_timed, wr_clock, LS_KIND_RWLOCK,
		      LS_MODE_WRITE)
DEFINE_TRY(pthread_rwlock_trywrlock, pthread_rwlock_t, wr, LS_KIND_RWLOCK, LS_MODE_WRITE,
	   POSIX_CALL(l, wr, wr_block, NULL, 0))

DEFINE_RELEASE(pthread_rwlock_unlock, pthread_rwlock_t, rw, true)

/* ---- pthread spinlocks ------------------------------------------------- */

EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	INIT(l, LS_KIND_SPIN, PASS(pthread_spin_init, l, pshared));
}

EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) { DESTROY(l, PASS(pthread_spin_destroy, l)); }

DEFINE_BLOCKING(pthread_spin_lock, (pthread_spinlock_t *l), (l), l, spin,
		POSIX_CALL(l, spin, spin_block, NULL, 0), LS_KIND_SPIN, LS_MODE_EXCL)
DEFINE_TRY(pthread_spin_trylock, pthread_spinlock_t, spin, LS_KIND_SPIN, LS_MODE_EXCL,
	   POSIX_CALL(l, spin, spin_block, NULL, 0))

DEFINE_RELEASE(pthread_spin_unlock, pthread_spinlock_t, spin, false)

/* ---- C11 mutexes (glibc does not route them through the pthread names) -- */

EXPORT int mtx_init(mtx_t *m, int type) { INIT(m, LS_KIND_MTX, PASS(mtx_init, m, type)); }

EXPORT void mtx_destroy(mtx_t *m)
{
	if (real.mtx_destroy)
		real.mtx_destroy(m);
	ls_thread_state *t = ls_enter();
	if (t) {
		ls_track_destroy(m);
		ls_leave();
	}
}

DEFINE_BLOCKING(mtx_lock, (mtx_t *l), (l), l, c11, C11_CALL(l, c11_block, NULL), LS_KIND_MTX, LS_MODE_EXCL)
DEFINE_TRY(mtx_trylock, mtx_t, c11, LS_KIND_MTX, LS_MODE_EXCL, C11_CALL(l, c11_block, NULL))

DEFINE_BLOCKING(mtx_timedlock, (mtx_t *restrict l, const struct timespec *restrict abstime), (l, abstime), l,
		c11, C11_CALL(l, c11_timed, abstime), LS_KIND_MTX, LS_MODE_EXCL)

DEFINE_RELEASE(mtx_unlock, mtx_t, c11, false)

/* ---- condition variables ---------------------------------------------- */

/* The mutex is released for the wait and re-acquired before returning.
 * `deadline` is when a timed wait gives up (ls_deadline_ns), 0 if never. */
#define COND_WAIT(cond, mutex, deadline, passthrough)                         \
	do {                                                                  \
		ls_thread_state *t_ = ls_enter();                             \
		if (!t_)                                                      \
			return passthrough;                                   \
		ls_cond_wait_state s_;                                        \
		ls_track_cond_wait_begin(t_, cond, mutex, deadline, &s_);     \
		ls_leave();                                                   \
		int r_ = passthrough;                                         \
		ls_busy_begin();                                              \
		ls_track_cond_wait_end(t_, mutex, &s_);                       \
		ls_leave();                                                   \
		return r_;                                                    \
	} while (0)

/* The clock of a condition variable's timed waits: glibc keeps it in bit 1
 * of __wrefs (set by pthread_condattr_setclock; CPython's own condition
 * variables use CLOCK_MONOTONIC). */
static clockid_t cond_clock(const pthread_cond_t *c)
{
	return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) >> 1) & 1 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	COND_WAIT(c, m, 0, PASS(pthread_cond_wait, c, m));
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	COND_WAIT(c, m, ls_deadline_ns(cond_clock(c), abstime), PASS(pthread_cond_timedwait, c, m, abstime));
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				  const struct timespec *abstime)
{
	COND_WAIT(c, m, ls_deadline_ns(clock, abstime), PASS(pthread_cond_clockwait, c, m, clock, abstime));
}

EXPORT int cnd_wait(cnd_t *c, mtx_t *m) { COND_WAIT(c, m, 0, PASS(cnd_wait, c, m)); }

EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict abstime)
{
	COND_WAIT(c, m, ls_deadline_ns(CLOCK_REALTIME, abstime), PASS(cnd_timedwait, c, m, abstime));
}

/* ---- joins (a wait the watchdog should see) --------------------------- */

EXPORT int pthread_join(pthread_t th, void **ret)
{
	ls_thread_state *t = ls_enter();
	if (!t)
		return PASS(pthread_join, th, ret);
	ls_track_wait_begin(t, LS_WAIT_JOIN, (uintptr_t)th);
	ls_leave();
	int r = PASS(pthread_join, th, ret);
	ls_busy_begin();
	ls_track_wait_end(t);
	ls_leave();
	return r;
}
