/* watchdog.h — who waits for whom: deadlocks, hangs, stalls, hold-and-wait.
 *
 * Contract: ls_wd_snapshot_take copies every registered thread's published
 * wait and held set (racy reads of other threads' state, without locks);
 * ls_wd_analyze turns two consecutive snapshots into findings:
 *   - deadlock: a cycle of threads each waiting for a lock the next one
 *     holds (exclusively, or for read when the waiter wants to write);
 *     a thread waiting for a lock it holds itself is a cycle of one,
 *     reported only when the very same waits (thread, lock, wait start)
 *     form that cycle in both snapshots, so a racy read cannot invent one;
 *   - hold-and-wait: a thread waiting (at least `threshold_ns`) for a lock
 *     whose holder is itself in a condition wait, still holding it;
 *   - hang: a thread waiting for a lock at least `hang_ns` (0: off);
 *   - stall: every thread blocked in an untimed synchronisation wait (lock,
 *     semaphore, condition wait, join, barrier, once) for at least
 *     `hang_ns` (a timed wait counts only once its deadline has passed),
 *     and no cycle or hold-and-wait explains it; reported instead of the
 *     hangs it would otherwise also show.
 * A semaphore that showed it is a signal (lock_table.h) has no holder:
 * waiting on it is like a condition wait (never a hang, never a cycle).
 * A lock wait that is a join (LS_WAIT_FLAG_JOIN) is part of cycles but
 * never a hang or a hold-and-wait, like pthread_join.
 * Each finding is emitted once while it lasts: the analyzer remembers the
 * signatures it reported and forgets one when it is no longer seen.
 * Snapshot memory comes from the shim's arena (never malloc), so the
 * analysis runs even when a deadlocked thread holds the allocator's lock.
 */
#ifndef LOCKSCOPE_WATCHDOG_H
#define LOCKSCOPE_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/thread_state.h"

typedef struct ls_wd_held {
	uintptr_t addr;
	ls_lock *lock;
	uint64_t lock_id;
	uint32_t site_stack;
	uint8_t mode;
} ls_wd_held;

typedef struct ls_wd_thread {
	ls_thread_state *state;
	pid_t tid;
	pthread_t self;
	int wait_kind;              /* enum ls_wait_kind */
	ls_lock *waiting_on;        /* LS_WAIT_LOCK */
	uint64_t lock_id;
	uintptr_t wait_object;      /* the lock, condvar, barrier or pthread_t waited for */
	uint64_t wait_start_ns;
	uint64_t wait_deadline_ns;  /* a timed wait's deadline, 0: untimed */
	bool signal_wait;           /* waiting on a signal-like semaphore: nobody holds it */
	uint8_t wait_flags;         /* LS_WAIT_FLAG_* */
	uint8_t wait_mode;
	size_t first_held, n_held;  /* into the snapshot's held pool */
} ls_wd_thread;

typedef struct ls_wd_snapshot {
	ls_wd_thread *threads;
	size_t n, cap;
	ls_wd_held *held;
	size_t n_held, cap_held;
	uint64_t now_ns;
} ls_wd_snapshot;

enum ls_wd_kind { LS_WD_DEADLOCK, LS_WD_HOLD_AND_WAIT, LS_WD_HANG, LS_WD_STALL, LS_WD_KINDS };

/* A finding: threads of the snapshot by index.  For a deadlock, members
 * in cycle order (each waits for a lock held by the next); for
 * hold-and-wait, the waiter then the holder in its condition wait; for a
 * hang, the waiter then (if known) the lock's owner; for a stall, every
 * thread. */
typedef struct ls_wd_finding {
	enum ls_wd_kind kind;
	const size_t *members;
	size_t n;
	uint64_t signature;
} ls_wd_finding;

typedef void ls_wd_emit_fn(void *ctx, const ls_wd_snapshot *snap, const ls_wd_finding *f);

typedef struct ls_wd_seen {
	uint64_t *sigs;
	size_t n, cap;
} ls_wd_seen;

typedef struct ls_wd_analyzer {
	ls_wd_seen previous_cycles;   /* cycles seen in the previous snapshot */
	ls_wd_seen reported;          /* findings reported and still present */
	uint64_t hang_ns;             /* 0: no hang or stall reports */
	uint64_t threshold_ns;        /* minimum wait for hold-and-wait */
} ls_wd_analyzer;

/* Fills snap from the live registry (reusing its arrays). */
void ls_wd_snapshot_take(ls_wd_snapshot *snap, uint64_t now_ns);
/* Appends one thread (the registry walk uses it; tests build snapshots
 * with it).  Returns its index, or SIZE_MAX when out of memory. */
size_t ls_wd_snapshot_add(ls_wd_snapshot *snap, ls_thread_state *t);
void ls_wd_snapshot_free(ls_wd_snapshot *snap);

/* Whether thread i has waited at least min_ns in a wait that is untimed,
 * or whose deadline has passed. */
bool ls_wd_stalled(const ls_wd_snapshot *snap, size_t i, uint64_t min_ns);
/* Indices of the threads holding what thread `waiter` waits for (at most
 * max); returns how many. */
size_t ls_wd_holders(const ls_wd_snapshot *snap, size_t waiter, size_t *out, size_t max);
/* The held entry of thread `holder` for the lock thread `waiter` waits for. */
const ls_wd_held *ls_wd_held_lock(const ls_wd_snapshot *snap, size_t holder, size_t waiter);

/* Emits every new finding of `snap`; returns how many were emitted. */
size_t ls_wd_analyze(ls_wd_analyzer *a, const ls_wd_snapshot *snap, ls_wd_emit_fn *emit, void *ctx);
void ls_wd_analyzer_free(ls_wd_analyzer *a);
/* True when the last analysis saw a cycle once and has not reported it:
 * the next snapshot, taken soon, confirms it or not. */
bool ls_wd_cycle_unconfirmed(const ls_wd_analyzer *a);

const char *ls_wd_kind_name(enum ls_wd_kind kind);

#endif
