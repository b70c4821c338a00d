/* mutex_inline.h — the fast path's first attempt and its release of a
 * default mutex (and of a spinlock), done the way glibc does them instead
 * of through a call.
 *
 * Contract: ls_mutex_try_inline(m, tid) is pthread_mutex_trylock(m) called
 * by the thread `tid`, and ls_mutex_release(m) is pthread_mutex_unlock(m),
 * both for a mutex for which
 * ls_mutex_inline_applies(m) (ls_mutex_release_word and ls_mutex_wake_one
 * its two halves); the caller calls glibc's for the others.
 * Both act themselves only on a default mutex (__kind 0: PTHREAD_MUTEX_TIMED_NP,
 * process-private, no elision; or the same with elision forbidden, what
 * PTHREAD_MUTEX_NORMAL and C11's mtx_plain make), and leave it exactly as
 * glibc's own lock
 * and unlock do (locked: __lock 1, __owner the tid, __nusers one more;
 * released: the reverse, and one waiter woken when the lock word said
 * there were waiters, 2), so glibc's functions, condition waits included,
 * see no difference; every other kind goes to glibc.  The shortcut is
 * taken only after ls_mutex_inline_check() has seen, at start-up, that this
 * glibc's lock, trylock and unlock leave a mutex in exactly those states
 * (bootstrap.c); otherwise every call is glibc's.
 *
 * Why: under the shim the first attempt must be a trylock (contention is
 * a failed first attempt), and calling it costs more than all of the
 * shim's bookkeeping on the uncontended path: glibc's dispatch on the
 * mutex kind, an indirect call and a stack frame per acquisition.
 */
#ifndef LOCKSCOPE_MUTEX_INLINE_H
#define LOCKSCOPE_MUTEX_INLINE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "core/lockscope_internal.h"

extern bool ls_mutex_inline __attribute__((visibility("hidden")));
/* 0 while ls_mutex_inline, else -1 (no kind): what a mutex's kind is
 * compared with, so that "the shortcut is on and applies" is one compare. */
extern int ls_mutex_inline_kind __attribute__((visibility("hidden")));

/* The program has one thread (the shim's own threads, which never touch
 * the program's locks, aside): glibc's own shortcut for that case applies
 * (its lock and unlock of a private mutex are then a plain load and store,
 * no atomic instruction; see single_thread.h for how the shim knows). */
extern bool ls_single_threaded __attribute__((visibility("hidden")));

/* glibc's own mutex functions, which the start-up check compares with. */
typedef struct ls_glibc_mutex_functions {
	int (*init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*lock)(pthread_mutex_t *);
	int (*trylock)(pthread_mutex_t *);
	int (*unlock)(pthread_mutex_t *);
} ls_glibc_mutex_functions;

/* Sets ls_mutex_inline when glibc's mutex protocol, as `glibc` (any NULL
 * member: not resolved, so no) carries it out, is the one above. */
void ls_mutex_inline_check(const ls_glibc_mutex_functions *glibc);

/* nptl's PTHREAD_MUTEX_NO_ELISION_NP (not in public headers): set in
 * __kind by pthread_mutexattr_settype(PTHREAD_MUTEX_NORMAL), so by
 * mtx_init(mtx_plain) too.  Such a mutex is locked and unlocked exactly
 * like a default one (glibc's lock, trylock and unlock ignore the flag but
 * for elision, which it forbids); the start-up check verifies that. */
#define LS_GLIBC_MUTEX_NO_ELISION 512

/* Whether m is a default mutex (or a normal one: the flag above) and the
 * shortcut is on. */
static inline __attribute__((always_inline)) bool ls_mutex_inline_applies(pthread_mutex_t *m)
{
	return LS_LIKELY((__atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & ~LS_GLIBC_MUTEX_NO_ELISION) ==
			 ls_mutex_inline_kind);
}

/* The attempt on m, for which ls_mutex_inline_applies(m): glibc's
 * lll_mutex_lock_optimized made a trylock (a plain load and store when
 * the program has one thread, else the compare-and-swap). */
static inline __attribute__((always_inline)) int ls_mutex_try_inline(pthread_mutex_t *m, pid_t tid)
{
	if (ls_single_threaded) {
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0)
			return EBUSY;
		__atomic_store_n(&m->__data.__lock, 1, __ATOMIC_RELAXED);
	} else {
		int unlocked = 0;
		if (!__atomic_compare_exchange_n(&m->__data.__lock, &unlocked, 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return EBUSY;
	}
	m->__data.__owner = tid;
	m->__data.__nusers++;
	return 0;
}

/* Wakes one thread waiting in glibc for the default mutex m; 0. */
int ls_mutex_wake_one(pthread_mutex_t *m);

/* Releases m, for which ls_mutex_inline_applies(); true when a waiter
 * must now be woken (ls_mutex_wake_one), which the caller does: that way
 * the caller can make the wake a tail call and keep its fast path free of
 * a stack frame.  With one thread, glibc's unlock is a plain store; the
 * word is still looked at first, so that a waiter nobody expected (a
 * thread the shim did not see created) is woken all the same. */
static inline __attribute__((always_inline)) bool ls_mutex_release_word(pthread_mutex_t *m)
{
	m->__data.__owner = 0;
	m->__data.__nusers--;
	if (ls_single_threaded) {
		int was = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
		__atomic_store_n(&m->__data.__lock, 0, __ATOMIC_RELEASE);
		return __builtin_expect(was > 1, 0);
	}
	return __builtin_expect(__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1, 0);
}

/* The whole release of m, for which ls_mutex_inline_applies(): 0. */
static inline int ls_mutex_release(pthread_mutex_t *m)
{
	return ls_mutex_release_word(m) ? ls_mutex_wake_one(m) : 0;
}

/* ---- spinlocks ---------------------------------------------------------
 * glibc's x86-64 spinlock is an int, 1 when free and 0 when taken: its
 * trylock is a compare-and-swap of 1 by 0 and its unlock a store of 1.
 * ls_spin_inline says the start-up check saw exactly that. */
extern bool ls_spin_inline __attribute__((visibility("hidden")));

typedef struct ls_glibc_spin_functions {
	int (*init)(pthread_spinlock_t *, int);
	int (*lock)(pthread_spinlock_t *);
	int (*trylock)(pthread_spinlock_t *);
	int (*unlock)(pthread_spinlock_t *);
} ls_glibc_spin_functions;

void ls_spin_inline_check(const ls_glibc_spin_functions *glibc);

/* ---- rwlocks, read side -------------------------------------------------
 * glibc's rwlock keeps the readers, shifted left by 3, in __readers with
 * three flags below them: a write phase (1), a writer holding or about to
 * (2), readers waiting for the writer (4).  In a read phase with no writer
 * (flags 0) a try for read is a compare-and-swap adding one reader; a
 * reader's release that is not the last, or that has no writer and no
 * waiting readers to hand over to, is a compare-and-swap removing it.
 * Anything else, and a compare-and-swap that loses a race, goes to glibc
 * (LS_RWLOCK_NOT_INLINE for the attempt).  The write side's try is inline
 * when nobody holds the lock (below).  ls_rwlock_inline says the
 * start-up check saw exactly that. */
extern bool ls_rwlock_inline __attribute__((visibility("hidden")));

typedef struct ls_glibc_rwlock_functions {
	int (*init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	int (*rdlock)(pthread_rwlock_t *);
	int (*tryrdlock)(pthread_rwlock_t *);
	int (*wrlock)(pthread_rwlock_t *);
	int (*trywrlock)(pthread_rwlock_t *);
	int (*unlock)(pthread_rwlock_t *);
} ls_glibc_rwlock_functions;

void ls_rwlock_inline_check(const ls_glibc_rwlock_functions *glibc);

#define LS_GLIBC_RWLOCK_FLAGS 7u
#define LS_GLIBC_RWLOCK_WRITE_PHASE 1u
#define LS_GLIBC_RWLOCK_WRITER 2u
#define LS_GLIBC_RWLOCK_READERS_WAITING 4u
#define LS_GLIBC_RWLOCK_READER 8u
#define LS_GLIBC_RWLOCK_OVERFLOW (1u << 31)
#define LS_RWLOCK_NOT_INLINE (-1)

static inline __attribute__((always_inline)) int ls_rwlock_tryrdlock_inline(pthread_rwlock_t *l)
{
	unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	if (__builtin_expect((r & LS_GLIBC_RWLOCK_FLAGS) != 0 || r + LS_GLIBC_RWLOCK_READER >= LS_GLIBC_RWLOCK_OVERFLOW, 0) ||
	    !__atomic_compare_exchange_n(&l->__data.__readers, &r, r + LS_GLIBC_RWLOCK_READER, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return LS_RWLOCK_NOT_INLINE;
	return 0;
}

/* A try for write when nobody reads or writes (a read phase, or a write
 * phase the last writer left): glibc's trywrlock takes the writer flag and
 * the write phase with one compare-and-swap, enables blocking for other
 * writers (and for readers, when it starts the write phase) and records
 * itself as the writer.  The release of a write hold stays glibc's. */
static inline __attribute__((always_inline)) int ls_rwlock_trywrlock_inline(pthread_rwlock_t *l, pid_t tid)
{
	unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	if (__builtin_expect((r & ~LS_GLIBC_RWLOCK_WRITE_PHASE) != 0, 0) ||
	    !__atomic_compare_exchange_n(&l->__data.__readers, &r,
					 r | LS_GLIBC_RWLOCK_WRITE_PHASE | LS_GLIBC_RWLOCK_WRITER, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return LS_RWLOCK_NOT_INLINE;
	__atomic_store_n(&l->__data.__writers_futex, 1, __ATOMIC_RELAXED);
	if (!(r & LS_GLIBC_RWLOCK_WRITE_PHASE))
		__atomic_store_n(&l->__data.__wrphase_futex, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->__data.__cur_writer, tid, __ATOMIC_RELAXED);
	return 0;
}

/* The release of a read hold when it is simple; false: glibc's unlock. */
static inline __attribute__((always_inline)) bool ls_rwlock_rdunlock_inline(pthread_rwlock_t *l)
{
	unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	/* not the last reader, in a read phase; or the last, with no flag */
	unsigned must_be_clear = r < 2 * LS_GLIBC_RWLOCK_READER ? LS_GLIBC_RWLOCK_FLAGS : LS_GLIBC_RWLOCK_WRITE_PHASE;
	if (__builtin_expect((r & must_be_clear) != 0 || r < LS_GLIBC_RWLOCK_READER, 0))
		return false;
	return __atomic_compare_exchange_n(&l->__data.__readers, &r, r - LS_GLIBC_RWLOCK_READER, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

#define LS_GLIBC_SPIN_FREE 1
#define LS_GLIBC_SPIN_TAKEN 0

static inline __attribute__((always_inline)) int ls_spin_try_inline(pthread_spinlock_t *l)
{
	int free_value = LS_GLIBC_SPIN_FREE;
	return __atomic_compare_exchange_n(l, &free_value, LS_GLIBC_SPIN_TAKEN, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED)
		       ? 0
		       : EBUSY;
}

static inline __attribute__((always_inline)) void ls_spin_release_inline(pthread_spinlock_t *l)
{
	__atomic_store_n(l, LS_GLIBC_SPIN_FREE, __ATOMIC_RELEASE);
}

#endif
