/* order_graph.h — the lock-order graph and lock-order inversion detection.
 *
 * Contract: an edge held→acquired (with both modes) is recorded the first
 * time a thread blocks-acquires `acquired` while holding `held`, before the
 * real lock call, so an inversion that deadlocks at once is still found.
 * Only a new edge (or a gated edge seen without its gate) touches the global
 * graph; a per-thread cache answers the steady state.  Each new edge runs
 * one cycle search from it (iterative, any length).  A cycle is reported
 * only if a deadlock is possible: every junction conflicts (read after read
 * does not), and no gate lock was held on every edge.  Each distinct cycle
 * is reported once, through the callback, outside any internal lock.
 * Finding and edge data are copied, so they outlive the locks.
 *
 * Semaphores: a semaphore is ordered like a lock while it behaves like one
 * (lock_table.h).  A cycle through a semaphore is held back, not reported:
 * the semaphore may yet show that it is a signal (posted by another
 * thread, taken twice), and then ls_order_signal_not_lock drops its edges
 * and rejects every held-back cycle through it.  ls_order_confirm_pending
 * reports those still standing (the shim calls it before any report:
 * exit, deadlock, hang, stall, dump).  Cycles of mutexes, rwlocks and the
 * others are reported at once, as always.
 */
#ifndef LOCKSCOPE_ORDER_GRAPH_H
#define LOCKSCOPE_ORDER_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/lock_table.h"
#include "core/thread_state.h"

#define LS_MAX_GATES 8

typedef struct ls_edge {
	uint64_t from_id, to_id;
	ls_lock *from, *to;
	uint8_t from_mode, to_mode;
	uint8_t n_gates;
	bool in_inversion;
	uint64_t gates[LS_MAX_GATES];  /* ids of other locks held every time this edge was taken */
	uint32_t held_stack, acquire_stack;
	pid_t tid;
	char thread_name[16];
	/* copies for reports made after the locks died */
	uintptr_t from_addr, to_addr;
	uint8_t from_kind, to_kind;
	bool from_inited, to_inited;
	uint32_t from_init_stack, to_init_stack;
	struct ls_edge *next_out, *next_in, *hash_next;
} ls_edge;

typedef struct ls_finding_edge {
	pid_t tid;
	char thread_name[16];
	uintptr_t from_addr, to_addr;
	uint64_t from_id, to_id;
	uint8_t from_kind, to_kind, from_mode, to_mode;
	bool from_inited, to_inited;
	uint32_t from_init_stack, to_init_stack;
	uint32_t held_stack, acquire_stack;
} ls_finding_edge;

typedef struct ls_inversion_finding {
	struct ls_inversion_finding *next;
	uint64_t seq;         /* order of discovery, from 1 */
	size_t n;
	ls_finding_edge edges[];
} ls_inversion_finding;

typedef void ls_inversion_callback(const ls_inversion_finding *f);

void ls_order_set_callback(ls_inversion_callback *cb);
void ls_order_set_stack_depth(unsigned depth);

/* Called before a blocking acquisition of `l` in `mode` by `t` (which does
 * not hold `l`).  `site_stack` is where it happens (depot id, or 0 to
 * capture on demand). */
void ls_order_before_acquire(ls_thread_state *t, ls_lock *l, uint8_t mode);
/* Ends a lock's life in the graph: its edges go (the findings keep copies). */
void ls_order_forget_lock(ls_lock *l);
/* Semaphore l (already marked signal-like) is not a lock: its edges go and
 * the held-back cycles through it are rejected. */
void ls_order_signal_not_lock(ls_lock *l);
/* Reports (through the callback) the held-back cycles nothing rejected;
 * returns how many.  Outside any core lock. */
size_t ls_order_confirm_pending(void);
size_t ls_order_pending_count(void);
/* Held-back cycles rejected so far. */
size_t ls_order_rejected_count(void);

/* Findings so far, oldest first (the list only grows). */
const ls_inversion_finding *ls_order_findings(void);
size_t ls_order_finding_count(void);
size_t ls_order_edge_count(void);
/* Iterates all edges (call with no lock-order activity, e.g. at exit). */
void ls_order_foreach_edge(void (*fn)(const ls_edge *, void *), void *ctx);

void ls_order_atfork_prepare(void);
void ls_order_atfork_parent(void);
void ls_order_atfork_child(void);

#endif
