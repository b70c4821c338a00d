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
#include "thread_state.h"

extern __thread ls_thread_state *ls_tls_state __attribute__((tls_model("initial-exec")));
extern __thread unsigned ls_tls_busy __attribute__((tls_model("initial-exec")));
extern ls_options ls_opts;
extern bool ls_tracking_enabled;

ls_thread_state *ls_enter_slow(void);

static inline ls_thread_state *ls_enter(void)
{
	if (__builtin_expect(ls_tls_busy != 0, 0))
		return 0;
	ls_thread_state *t = ls_tls_state;
	if (__builtin_expect(t == 0, 0))
		return ls_enter_slow();
	ls_tls_busy = 1;
	return t;
}

static inline void ls_leave(void) { ls_tls_busy = 0; }

/* A lock call, abstracted: `attempt` tries without blocking; `block` waits
 * (for timed variants it may time out).  Both return 0 on success. */
typedef struct ls_lock_call {
	void *lock;
	int (*attempt)(struct ls_lock_call *);
	int (*block)(struct ls_lock_call *);
	const void *arg1;   /* abstime, for timed variants */
	int arg2;           /* clockid, for clock variants */
	int busy_code;      /* what `attempt` returns when the lock is taken */
	int owner_dead_code;/* an acquisition that also reports a dead owner (EOWNERDEAD), or -1 */
} ls_lock_call;

/* A blocking acquisition (lock, timedlock, clocklock, rdlock, wrlock, ...). */
int ls_track_lock(ls_thread_state *t, ls_lock_call *c, enum ls_lock_kind kind, uint8_t mode, uintptr_t site);
/* A try acquisition: never an order edge. */
int ls_track_trylock(ls_thread_state *t, ls_lock_call *c, enum ls_lock_kind kind, uint8_t mode, uintptr_t site);
/* Bookkeeping before the real unlock. */
void ls_track_unlock(ls_thread_state *t, void *lock);
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

uint64_t ls_now_ns(void);

#endif
