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
#include <pthread.h>
#include <threads.h>

#include "real.h"
#include "tracker.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER ((uintptr_t)__builtin_return_address(0))
/* During bootstrap a real function may not be resolved yet; the only calls
 * that can arrive then come from dlsym itself on the bootstrapping thread,
 * before any other thread exists, so "success" is the honest answer. */
#define PASS(fn, ...) (real.fn ? real.fn(__VA_ARGS__) : 0)

/* ---- adapters: how to try and how to block for each lock API ---------- */

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

/* One body for every tracked acquisition: `track` is ls_track_lock or
 * ls_track_trylock, `passthrough` the untracked call. */
#define ACQUIRE(track, passthrough, call, kind, mode)                         \
	do {                                                                  \
		ls_thread_state *t_ = ls_enter();                             \
		if (!t_)                                                      \
			return passthrough;                                   \
		int r_ = track(t_, (ls_lock_call)call, kind, mode, CALLER);   \
		ls_leave();                                                   \
		return r_;                                                    \
	} while (0)

#define RELEASE(lock, passthrough)                                            \
	do {                                                                  \
		ls_thread_state *t_ = ls_tls.state;                           \
		if (t_ && !ls_tls.busy)                                       \
			ls_track_unlock(t_, (void *)(lock));                  \
		return passthrough;                                           \
	} while (0)

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

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	ACQUIRE(ls_track_lock, PASS(pthread_mutex_lock, m), POSIX_CALL(m, mutex_try, mutex_block, NULL, 0),
		LS_KIND_MUTEX, LS_MODE_EXCL);
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	ACQUIRE(ls_track_trylock, PASS(pthread_mutex_trylock, m), POSIX_CALL(m, mutex_try, mutex_block, NULL, 0),
		LS_KIND_MUTEX, LS_MODE_EXCL);
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_mutex_timedlock, m, abstime),
		POSIX_CALL(m, mutex_try, mutex_timed, abstime, 0), LS_KIND_MUTEX, LS_MODE_EXCL);
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_mutex_clocklock, m, clock, abstime),
		POSIX_CALL(m, mutex_try, mutex_clock, abstime, clock), LS_KIND_MUTEX, LS_MODE_EXCL);
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t *m) { RELEASE(m, PASS(pthread_mutex_unlock, m)); }

/* ---- pthread rwlocks --------------------------------------------------- */

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	INIT(l, LS_KIND_RWLOCK, PASS(pthread_rwlock_init, l, a));
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) { DESTROY(l, PASS(pthread_rwlock_destroy, l)); }

EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_rdlock, l), POSIX_CALL(l, rd_try, rd_block, NULL, 0),
		LS_KIND_RWLOCK, LS_MODE_READ);
}

EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	ACQUIRE(ls_track_trylock, PASS(pthread_rwlock_tryrdlock, l), POSIX_CALL(l, rd_try, rd_block, NULL, 0),
		LS_KIND_RWLOCK, LS_MODE_READ);
}

EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_timedrdlock, l, abstime),
		POSIX_CALL(l, rd_try, rd_timed, abstime, 0), LS_KIND_RWLOCK, LS_MODE_READ);
}

EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_clockrdlock, l, clock, abstime),
		POSIX_CALL(l, rd_try, rd_clock, abstime, clock), LS_KIND_RWLOCK, LS_MODE_READ);
}

EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_wrlock, l), POSIX_CALL(l, wr_try, wr_block, NULL, 0),
		LS_KIND_RWLOCK, LS_MODE_WRITE);
}

EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	ACQUIRE(ls_track_trylock, PASS(pthread_rwlock_trywrlock, l), POSIX_CALL(l, wr_try, wr_block, NULL, 0),
		LS_KIND_RWLOCK, LS_MODE_WRITE);
}

EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_timedwrlock, l, abstime),
		POSIX_CALL(l, wr_try, wr_timed, abstime, 0), LS_KIND_RWLOCK, LS_MODE_WRITE);
}

EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	ACQUIRE(ls_track_lock, PASS(pthread_rwlock_clockwrlock, l, clock, abstime),
		POSIX_CALL(l, wr_try, wr_clock, abstime, clock), LS_KIND_RWLOCK, LS_MODE_WRITE);
}

EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l) { RELEASE(l, PASS(pthread_rwlock_unlock, l)); }

/* ---- pthread spinlocks ------------------------------------------------- */

EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	INIT(l, LS_KIND_SPIN, PASS(pthread_spin_init, l, pshared));
}

EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) { DESTROY(l, PASS(pthread_spin_destroy, l)); }

EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	ACQUIRE(ls_track_lock, PASS(pthread_spin_lock, l), POSIX_CALL(l, spin_try, spin_block, NULL, 0),
		LS_KIND_SPIN, LS_MODE_EXCL);
}

EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	ACQUIRE(ls_track_trylock, PASS(pthread_spin_trylock, l), POSIX_CALL(l, spin_try, spin_block, NULL, 0),
		LS_KIND_SPIN, LS_MODE_EXCL);
}

EXPORT int pthread_spin_unlock(pthread_spinlock_t *l) { RELEASE(l, PASS(pthread_spin_unlock, l)); }

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

EXPORT int mtx_lock(mtx_t *m)
{
	ACQUIRE(ls_track_lock, PASS(mtx_lock, m), C11_CALL(m, c11_try, c11_block, NULL), LS_KIND_MTX, LS_MODE_EXCL);
}

EXPORT int mtx_trylock(mtx_t *m)
{
	ACQUIRE(ls_track_trylock, PASS(mtx_trylock, m), C11_CALL(m, c11_try, c11_block, NULL), LS_KIND_MTX,
		LS_MODE_EXCL);
}

EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict abstime)
{
	ACQUIRE(ls_track_lock, PASS(mtx_timedlock, m, abstime), C11_CALL(m, c11_try, c11_timed, abstime),
		LS_KIND_MTX, LS_MODE_EXCL);
}

EXPORT int mtx_unlock(mtx_t *m) { RELEASE(m, PASS(mtx_unlock, m)); }

/* ---- condition variables ---------------------------------------------- */

/* The mutex is released for the wait and re-acquired before returning. */
#define COND_WAIT(cond, mutex, passthrough)                                   \
	do {                                                                  \
		ls_thread_state *t_ = ls_enter();                             \
		if (!t_)                                                      \
			return passthrough;                                   \
		ls_cond_wait_state s_;                                        \
		ls_track_cond_wait_begin(t_, cond, mutex, &s_);               \
		ls_leave();                                                   \
		int r_ = passthrough;                                         \
		ls_tls.busy = 1;                                              \
		ls_track_cond_wait_end(t_, mutex, &s_);                       \
		ls_leave();                                                   \
		return r_;                                                    \
	} while (0)

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	COND_WAIT(c, m, PASS(pthread_cond_wait, c, m));
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	COND_WAIT(c, m, PASS(pthread_cond_timedwait, c, m, abstime));
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				  const struct timespec *abstime)
{
	COND_WAIT(c, m, PASS(pthread_cond_clockwait, c, m, clock, abstime));
}

EXPORT int cnd_wait(cnd_t *c, mtx_t *m) { COND_WAIT(c, m, PASS(cnd_wait, c, m)); }

EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict abstime)
{
	COND_WAIT(c, m, PASS(cnd_timedwait, c, m, abstime));
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
	ls_tls.busy = 1;
	ls_track_wait_end(t);
	ls_leave();
	return r;
}
