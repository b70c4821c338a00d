/* semaphore.h — semaphores, once controls and barriers, as the tracker sees them.
 *
 * Contract: the preload layer calls these around the real sem_*,
 * pthread_once and pthread_barrier_* functions, with the reentrancy guard
 * held (ls_enter), except where a fast path is said to exist.
 *
 * A semaphore is classified by what it does (lock_table.h: enum
 * ls_sem_class).  While lock-like it is a lock in every respect: a holder
 * (the thread that took it, in its held set), order edges with both
 * stacks, wait-for edges, contention statistics.  It becomes signal-like
 * for good when it is posted by a thread that does not hold it, taken a
 * second time by the thread holding it, or given a value above 1; from
 * then on it has no holder, makes no edge, its waits are not contention,
 * and the order graph forgets what it recorded for it and rejects the
 * held-back cycles through it (order_graph.h).  A thread never deadlocks
 * with itself on a semaphore: a second acquisition is a signal wait.
 *
 * A successful sem_trywait while other locks are held is a blocking
 * acquisition (order edges) only when the program meant to block:
 * CPython takes a threading.Lock with sem_trywait first, and a `with
 * lock:` or `lock.acquire()` (a call with no arguments) is blocking;
 * anything else, and every C program's sem_trywait, is a try.  The lock
 * CPython's threading.Condition.wait takes first thing (under the
 * condition's lock) and then takes again is known for a signal at once.
 *
 * A wait on a lock-like semaphore that is CPython's Thread.join (its
 * thread holds that lock from its start to its end) is published as a
 * join (LS_WAIT_FLAG_JOIN): part of wait-for cycles, never a hang, never
 * contention.
 *
 * A once control is held, like a lock, by the thread running its init
 * routine: a thread calling pthread_once on it meanwhile waits for that
 * thread (a wait-for edge, and an order edge from what it holds), and the
 * routine calling its own pthread_once is a deadlock of one thread.
 * Barrier waits are published (never held by anyone) for dumps and stalls.
 */
#ifndef LOCKSCOPE_SEMAPHORE_H
#define LOCKSCOPE_SEMAPHORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tracker.h"

/* What an entry's edges_known_sig (tracker.h) holds once the slow path
 * has taken or posted its semaphore as a signal from that call, with no
 * entry of it left in the thread's held set: the fast path may then take
 * that call's attempts as a signal's (counted, never held) and its posts
 * (nothing to track), which it checks with one compare that also says
 * "alive":
 * ls_sem_signal_known(live_id) == edges_known_sig.  (A lock path's value,
 * ls_edges_known, equals it only if a held set's signature is this
 * constant: the odds of a 64-bit collision.) */
#define LS_SEM_SIGNAL_KNOWN 0x3c6ef372fe94f82bULL
static inline uint64_t ls_sem_signal_known(uint64_t lock_id) { return lock_id ^ LS_SEM_SIGNAL_KNOWN; }

/* sem_init(sem, value) succeeded: a new life. */
void ls_track_sem_init(ls_thread_state *t, void *sem, unsigned value, uintptr_t site);
/* sem_open returned sem (value: its value now); sem_close(sem) is about
 * to unmap it.  The same name opened twice is the same semaphore. */
void ls_track_sem_open(ls_thread_state *t, void *sem, unsigned value, uintptr_t site);
void ls_track_sem_close(void *sem);
/* sem_wait, sem_timedwait, sem_clockwait: c->attempt is a trywait that
 * returns 0 or EAGAIN (c->busy_code), c->block the real wait returning 0
 * or an errno value.  Returns 0 or the errno value. */
int ls_track_sem_wait(ls_thread_state *t, const ls_lock_call *c, uintptr_t site);
/* The fast path's attempt on a lock-like semaphore returned `attempted`
 * (busy): wait, and note the acquisition.  Guard not held. */
int ls_track_sem_wait_after_attempt(ls_thread_state *t, const ls_lock_call *c, uintptr_t site, int attempted);
/* sem_trywait: the same adapters; 0 or EAGAIN. */
int ls_track_sem_trywait(ls_thread_state *t, const ls_lock_call *c, uintptr_t site);
/* Before the real sem_post when the fast path did not take it. */
void ls_track_sem_post(ls_thread_state *t, void *sem, uintptr_t site);
/* Semaphore l shows it is a signal, for `why`. */
void ls_sem_becomes_signal(ls_lock *l, enum ls_sem_reason why);
const char *ls_sem_class_name(const ls_lock *l);
const char *ls_sem_reason_text(const ls_lock *l);

/* pthread_once(control) found it not done.  begin: before the real call
 * (order edges, the wait for another initialiser; a deadlock of one
 * thread if this thread is running its routine); run/ran: the thread's
 * init routine starts and ends (or is cancelled); end: after the real
 * call. */
void ls_track_once_begin(ls_thread_state *t, void *control, uintptr_t site);
void ls_track_once_run(ls_thread_state *t, void *control, uintptr_t site);
void ls_track_once_ran(ls_thread_state *t, void *control);
void ls_track_once_end(ls_thread_state *t);

/* pthread_barrier_init(barrier, count) succeeded; a wait starts and ends. */
void ls_track_barrier_init(ls_thread_state *t, void *barrier, unsigned count, uintptr_t site);
void ls_track_barrier_wait_begin(ls_thread_state *t, void *barrier);
void ls_track_barrier_wait_end(ls_thread_state *t);

#endif
