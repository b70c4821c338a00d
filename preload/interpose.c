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

/* The fast path's first attempts and releases, per lock family API:
 * API##_try (below) calls the real try function; when API##_inline(lock),
 * API##_inline_attempt(lock, t) is made inline instead, and the release is
 * API##_inline_release(lock) (true: a waiter to wake with API##_wake(lock)).
 * Only a default mutex (pthread or C11) is done inline (mutex_inline.h);
 * NOT_INLINED(API) says so for the other families. */
static inline bool mutex_inline(pthread_mutex_t *m) { return ls_mutex_inline_applies(m); }
static inline int mutex_inline_attempt(pthread_mutex_t *m, const ls_thread_state *t)
{
	return ls_mutex_try_inline(m, t->tid);
}
static inline bool mutex_inline_release(pthread_mutex_t *m) { return ls_mutex_release_word(m); }
static inline int mutex_wake(pthread_mutex_t *m) { return ls_mutex_wake_one(m); }
#define NOT_INLINED(api)                                                          \
	static inline bool api##_inline(const volatile void *lock) { return (void)lock, false; } \
	static inline int api##_inline_attempt(const volatile void *lock, const ls_thread_state *t) \
	{                                                                               \
		return (void)lock, (void)t, EBUSY;                                      \
	}                                                                               \
	static inline bool api##_inline_release(const volatile void *lock) { return (void)lock, false; } \
	static inline int api##_wake(const volatile void *lock) { return (void)lock, 0; }
NOT_INLINED(rd)
NOT_INLINED(wr)
NOT_INLINED(spin)
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

#define POSIX_CALL(l, try_fn, block_fn, a1, a2) \
	{ .lock = (void *)(l), .attempt = try_fn, .block = block_fn, .arg1 = a1, .arg2 = a2, \
	  .busy_code = EBUSY, .owner_dead_code = EOWNERDEAD }
#define C11_CALL(l, try_fn, block_fn, a1) \
	{ .lock = (void *)(l), .attempt = try_fn, .block = block_fn, .arg1 = a1, \
	  .busy_code = thrd_busy, .owner_dead_code = -1 }

/* The guarded body of a tracked try acquisition: `passthrough` is the
 * untracked call, the variable arguments the ls_lock_call (a braced
 * initializer: its commas would split a named macro argument). */
#define ACQUIRE_TRY(passthrough, kind, mode, ...)                             \
	do {                                                                  \
		ls_thread_state *t_ = ls_enter();                             \
		if (!t_)                                                      \
			return passthrough;                                   \
		int r_ = ls_track_trylock(t_, &(ls_lock_call)__VA_ARGS__, kind, mode, CALLER); \
		ls_leave();                                                   \
		return r_;                                                    \
	} while (0)

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
			return ls_note_acquired_fast(t, e, mode);                       \
		return name##_slow(UNPAREN args, site, r);                              \
	}                                                                               \
	EXPORT int name(UNPAREN params)                                                 \
	{                                                                               \
		ls_thread_state *t = ls_fast_state();                                   \
		struct ls_call_cache_entry *e;                                          \
		if (LS_LIKELY(t != NULL) &&                                             \
		    LS_LIKELY((e = ls_fast_entry(t, CALLER, (uintptr_t)lock, mode)) != NULL)) { \
			if (!api##_inline(lock))                                        \
				return name##_attempt_call(UNPAREN args, t, e, CALLER); \
			int r = api##_inline_attempt(lock, t);                          \
			if (LS_LIKELY(r == 0))                                          \
				return ls_note_acquired_fast(t, e, mode);               \
			return name##_slow(UNPAREN args, CALLER, r);                    \
		}                                                                       \
		return name##_slow(UNPAREN args, CALLER, NOT_ATTEMPTED);                \
	}

/* The three blocking calls of a POSIX lock API that has timed and clock
 * variants: NAME, TIMED, CLOCK, with the try adapter and the three
 * blocking adapters. */
#define DEFINE_POSIX_BLOCKING(name, timed, clock_fn, type, api, block, block_timed, block_clock, kind, mode) \
	DEFINE_BLOCKING(name, (type *l), (l), l, api, POSIX_CALL(l, api##_try, block, NULL, 0), kind, mode)    \
	DEFINE_BLOCKING(timed, (type *l, const struct timespec *abstime), (l, abstime), l, api,                \
			POSIX_CALL(l, api##_try, block_timed, abstime, 0), kind, mode)                         \
	DEFINE_BLOCKING(clock_fn, (type *l, clockid_t clock, const struct timespec *abstime), (l, clock, abstime), \
			l, api, POSIX_CALL(l, api##_try, block_clock, abstime, clock), kind, mode)

/* A try acquisition: never blocks, never an order edge. */
#define DEFINE_TRY(name, type, kind, mode, ...)                               \
	EXPORT int name(type *l) { ACQUIRE_TRY(PASS(name, l), kind, mode, __VA_ARGS__); }

/* Defines the interposer `name` of a release, int name(type *), for the
 * lock family `api` (above): the fast path pops the held entry, releases
 * (inline, or through name##_release_call) and then charges an exclusive
 * hold's blame, if any; everything else is in name##_slow.  Every call out
 * of the interposer is a tail call, so that an inline release with nobody
 * waiting needs no stack frame. */
#define DEFINE_RELEASE(name, type, api)                                       \
	static __attribute__((noinline, cold)) int name##_slow(type *l)      \
	{                                                                     \
		if (ls_tls.state && !ls_tls.busy)                             \
			ls_track_unlock_slow(ls_tls.state, (void *)l);        \
		return PASS(name, l);                                         \
	}                                                                     \
	static __attribute__((noinline)) int name##_release_call(type *l, ls_lock *lock, const ls_held *h, \
								 uint64_t mark)       \
	{                                                                     \
		return ls_blame_after_release(lock, h, mark, real.name(l));   \
	}                                                                     \
	static __attribute__((noinline)) int name##_wake(type *l, ls_lock *lock, const ls_held *h, uint64_t mark) \
	{                                                                     \
		return ls_blame_after_release(lock, h, mark, api##_wake(l));  \
	}                                                                     \
	EXPORT int name(type *l)                                              \
	{                                                                     \
		ls_thread_state *t = ls_fast_state();                         \
		ls_held *h;                                                   \
		if (!LS_LIKELY(t != NULL) || !LS_LIKELY((h = ls_track_unlock_fast(t, (void *)l)) != NULL)) \
			return name##_slow(l);                                \
		if (h->mode == LS_MODE_READ)                                  \
			return real.name(l);                                  \
		ls_lock *lock = h->lock;                                      \
		uint64_t mark = h->blame_mark;                                \
		if (!api##_inline(l))                                         \
			return name##_release_call(l, lock, h, mark);         \
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
DEFINE_TRY(pthread_mutex_trylock, pthread_mutex_t, LS_KIND_MUTEX, LS_MODE_EXCL,
	   POSIX_CALL(l, mutex_try, mutex_block, NULL, 0))

DEFINE_RELEASE(pthread_mutex_unlock, pthread_mutex_t, mutex)

/* ---- pthread rwlocks --------------------------------------------------- */

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	INIT(l, LS_KIND_RWLOCK, PASS(pthread_rwlock_init, l, a));
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) { DESTROY(l, PASS(pthread_rwlock_destroy, l)); }

DEFINE_POSIX_BLOCKING(pthread_rwlock_rdlock, pthread_rwlock_timedrdlock, pthread_rwlock_clockrdlock,
		      pthread_rwlock_t, rd, rd_block, rd_timed, rd_clock, LS_KIND_RWLOCK,
		      LS_MODE_READ)
DEFINE_TRY(pthread_rwlock_tryrdlock, pthread_rwlock_t, LS_KIND_RWLOCK, LS_MODE_READ,
	   POSIX_CALL(l, rd_try, rd_block, NULL, 0))

DEFINE_POSIX_BLOCKING(pthread_rwlock_wrlock, pthread_rwlock_timedwrlock, pthread_rwlock_clockwrlock,
		      pthread_rwlock_t, wr, wr_block, wr_timed, wr_clock, LS_KIND_RWLOCK,
		      LS_MODE_WRITE)
DEFINE_TRY(pthread_rwlock_trywrlock, pthread_rwlock_t, LS_KIND_RWLOCK, LS_MODE_WRITE,
	   POSIX_CALL(l, wr_try, wr_block, NULL, 0))

DEFINE_RELEASE(pthread_rwlock_unlock, pthread_rwlock_t, rd)

/* ---- pthread spinlocks ------------------------------------------------- */

EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	INIT(l, LS_KIND_SPIN, PASS(pthread_spin_init, l, pshared));
}

EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) { DESTROY(l, PASS(pthread_spin_destroy, l)); }

DEFINE_BLOCKING(pthread_spin_lock, (pthread_spinlock_t *l), (l), l, spin,
		POSIX_CALL(l, spin_try, spin_block, NULL, 0), LS_KIND_SPIN, LS_MODE_EXCL)
DEFINE_TRY(pthread_spin_trylock, pthread_spinlock_t, LS_KIND_SPIN, LS_MODE_EXCL,
	   POSIX_CALL(l, spin_try, spin_block, NULL, 0))

DEFINE_RELEASE(pthread_spin_unlock, pthread_spinlock_t, spin)

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

DEFINE_BLOCKING(mtx_lock, (mtx_t *l), (l), l, c11, C11_CALL(l, c11_try, c11_block, NULL), LS_KIND_MTX,
		LS_MODE_EXCL)
DEFINE_TRY(mtx_trylock, mtx_t, LS_KIND_MTX, LS_MODE_EXCL, C11_CALL(l, c11_try, c11_block, NULL))

DEFINE_BLOCKING(mtx_timedlock, (mtx_t *restrict l, const struct timespec *restrict abstime), (l, abstime), l,
		c11, C11_CALL(l, c11_try, c11_timed, abstime), LS_KIND_MTX, LS_MODE_EXCL)

DEFINE_RELEASE(mtx_unlock, mtx_t, c11)

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
