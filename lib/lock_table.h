/* lock_table.h — every live lock instance the program uses, by address.
 *
 * Contract: ls_lock_get(addr) returns the record of the lock living at addr,
 * creating it on first use (static initializers have no init call).  A lock's
 * life ends with ls_lock_forget (destroy, re-init, or the free of the memory
 * holding it); the next use of that address is a new life with a new id, so
 * two lives are never joined.  Lookups are lock-free; creations and removals
 * serialize on an internal spinlock and are rare.  Records are never
 * unmapped, so a stale pointer read by a racing thread stays readable.
 * The table grows without limit (hundreds of thousands of live locks).
 */
#ifndef LOCKSCOPE_LOCK_TABLE_H
#define LOCKSCOPE_LOCK_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ls_lock_kind { LS_KIND_MUTEX, LS_KIND_RWLOCK, LS_KIND_SPIN, LS_KIND_MTX, LS_KIND_COUNT };
/* Acquisition modes: exclusive (mutex, spinlock, write) and shared (read). */
enum ls_mode { LS_MODE_EXCL = 0, LS_MODE_READ = 1, LS_MODE_WRITE = 2 };

struct ls_edge;
struct ls_thread_state;

#define LS_WAIT_BUCKETS 32

typedef struct ls_lock {
	uintptr_t addr;
	uint64_t id;                 /* unique per life, never reused */
	uint8_t kind;                /* enum ls_lock_kind */
	bool dead;
	bool inited;                 /* the program called *_init (else: static initializer) */
	uint32_t init_stack;         /* depot id: where initialized or first used */
	/* lock-order graph (owned by order_graph.c, under its lock) */
	struct ls_edge *out_edges;
	struct ls_edge *in_edges;
	/* current exclusive owner; readers are found through threads' held sets */
	_Atomic(struct ls_thread_state *) owner;
	/* statistics: exclusive acquisitions update them while holding the lock;
	 * shared ones use atomic adds */
	_Atomic uint64_t acquisitions;
	_Atomic uint64_t contended;
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t max_wait_ns;
	_Atomic uint64_t hold_ns;
	_Atomic uint64_t max_hold_ns;
	_Atomic uint64_t wait_hist[LS_WAIT_BUCKETS];
	struct ls_lock *next_dead;   /* retired records (reused for new lives) */
} ls_lock;

ls_lock *ls_lock_get(uintptr_t addr, enum ls_lock_kind kind);
ls_lock *ls_lock_find(uintptr_t addr);
/* Ends the life of the lock at addr (if tracked); returns its record or NULL.
 * The caller passes the record to ls_lock_retire when nothing refers to it. */
ls_lock *ls_lock_forget(uintptr_t addr);
/* Ends the lives of every lock in [start, start+len); calls on_forget for each. */
size_t ls_lock_forget_range(uintptr_t start, size_t len, void (*on_forget)(ls_lock *));
/* Cheap pre-check for free(): may [start, start+len) contain a tracked lock? */
bool ls_lock_range_maybe_tracked(uintptr_t start, size_t len);
void ls_lock_retire(ls_lock *l);

size_t ls_lock_live_count(void);
/* Calls fn for every live lock (snapshot; concurrent changes may be missed). */
void ls_lock_foreach(void (*fn)(ls_lock *, void *), void *ctx);
const char *ls_lock_kind_name(int kind);

void ls_lock_table_atfork_prepare(void);
void ls_lock_table_atfork_parent(void);
void ls_lock_table_atfork_child(void);

#endif
