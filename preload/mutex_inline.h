/* mutex_inline.h — the first attempt of a default mutex's acquisition,
 * done the way glibc does it instead of through a call.
 *
 * Contract: ls_mutex_attempt(m, tid) is pthread_mutex_trylock(m) called by
 * the thread `tid`: 0, EBUSY, or whatever glibc's trylock returns.  For a
 * default mutex (__kind 0: PTHREAD_MUTEX_TIMED_NP, process-private, no
 * elision) it leaves the mutex exactly as glibc's own lock does (__lock 1,
 * __owner the tid, __nusers one more), so glibc's unlock, condition waits
 * and its other functions see no difference; every other kind goes to
 * the real trylock.  The shortcut is taken only after ls_mutex_inline_check()
 * has seen, at start-up, that this glibc's lock and unlock leave a mutex in
 * exactly those states (bootstrap.c); otherwise every attempt is the call.
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

#include "lockscope_internal.h"
#include "real.h"

extern bool ls_mutex_inline __attribute__((visibility("hidden")));

/* Sets ls_mutex_inline when glibc's mutex protocol is the one above. */
void ls_mutex_inline_check(void);

static inline __attribute__((always_inline)) int ls_mutex_attempt(pthread_mutex_t *m, pid_t tid)
{
	if (LS_LIKELY(ls_mutex_inline) && LS_LIKELY(__atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) == 0)) {
		int unlocked = 0;
		if (!__atomic_compare_exchange_n(&m->__data.__lock, &unlocked, 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return EBUSY;
		m->__data.__owner = tid;
		m->__data.__nusers++;
		return 0;
	}
	return real.pthread_mutex_trylock(m);
}

#endif
