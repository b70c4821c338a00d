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

#include "core/lockscope_internal.h"

enum ls_lock_kind {
	LS_KIND_MUTEX, LS_KIND_RWLOCK, LS_KIND_SPIN, LS_KIND_MTX,
	LS_KIND_SEM,     /* sem_t: a lock or a signal, as it behaves (enum ls_sem_class) */
	LS_KIND_ONCE,    /* pthread_once_t: held by the thread running its init routine */
	LS_KIND_BARRIER, /* pthread_barrier_t: never held; its waits are shown and count for stalls */
	LS_KIND_COUNT
};
/* How a semaphore behaves.  Lock-like until it shows otherwise (a post by
 * a thread that does not hold it, a second acquisition by its holder, a
 * value above 1), then signal-like for the rest of its life. */
enum ls_sem_class { LS_SEM_LOCK, LS_SEM_SIGNAL };
/* Why a semaphore became signal-like. */
enum ls_sem_reason {
	LS_SEM_NO_REASON, LS_SEM_COUNTING, LS_SEM_POSTED_BY_OTHER, LS_SEM_TAKEN_TWICE,
	LS_SEM_CONDITION_WAITER   /* CPython's Condition.wait takes it, then takes it again */
};
/* Acquisition modes: exclusive (mutex, spinlock, write) and shared (read). */
enum ls_mode { LS_MODE_EXCL = 0, LS_MODE_READ = 1, LS_MODE_WRITE = 2 };

struct ls_edge;
struct ls_thread_state;

#define LS_WAIT_BUCKETS 32

typedef struct ls_lock {
	/* What the fast path reads, in its first cache line: */
	/* id while alive, 0 once dead: the fast path's one-load validity test
	 * of a cached record (a dead record keeps its id for the report) */
	_Atomic uint64_t live_id;
	/* blame (site_stats.c): the integral of the number of waiters over
	 * time (the wait area, in ticks of the statistics clock), written by
	 * waiters under blame_lock inside the sequence count blame_seq, read
	 * by holders without writing anything.  blame_word is the area << 8
	 * with the waiter count (at most 127) in the low byte, and its top bit
	 * set while hold times are measured (LS_BLAME_TIMED, site_stats.h):
	 * one load tells a holder that nobody waits, nothing is timed, and
	 * the area. */
	_Atomic uint64_t blame_word;
	_Atomic uint32_t waiters;
	_Atomic uint32_t blame_seq;
	_Atomic uint64_t area_updated;
	ls_spinlock blame_lock;
	uintptr_t addr;
	uint64_t id;                 /* unique per life, never reused */
	uint8_t kind;                /* enum ls_lock_kind */
	bool dead;
	bool inited;                 /* the program called *_init (else: static initializer) */
	_Atomic uint8_t sem_class;   /* LS_KIND_SEM: enum ls_sem_class (only ever goes to SIGNAL) */
	uint32_t init_stack;         /* depot id: where initialized or first used */
	/* lock-order graph (owned by order_graph.c, under its lock) */
	struct ls_edge *out_edges;
	struct ls_edge *in_edges;
	/* (holders, exclusive or shared, are found through threads' held sets:
	 * the fast path writes nothing here) */
	/* statistics: exclusive acquisitions update them while holding the lock;
	 * shared ones use atomic adds.  Acquisitions are counted per thread
	 * first (tracker.h) and added here with ls_lock_add_acquisitions. */
	_Atomic uint64_t acquisitions;
	_Atomic uint64_t contended;
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t max_wait_ns;
	_Atomic uint64_t hold_ns;
	_Atomic uint64_t max_hold_ns;
	_Atomic uint64_t wait_hist[LS_WAIT_BUCKETS];
	struct ls_lock *next_dead;   /* retired records (reused for new lives) */
	uint8_t sem_reason;          /* LS_KIND_SEM: enum ls_sem_reason */
	/* LS_KIND_BARRIER: the threads it waits for; a named LS_KIND_SEM:
	 * its sem_open handles not closed yet */
	_Atomic uint32_t object_count;
} __attribute__((aligned(LS_CACHE_LINE))) ls_lock;

_Static_assert(offsetof(ls_lock, sem_class) < LS_CACHE_LINE, "the fast path reads a semaphore's class with its id");

/* A semaphore that showed it is a signal, not a lock: it has no holder,
 * makes no order edge and no contention. */
static inline bool ls_lock_is_signal(const ls_lock *l)
{
	return l->kind == LS_KIND_SEM &&
	       atomic_load_explicit(&l->sem_class, memory_order_relaxed) == LS_SEM_SIGNAL;
}

/* The table itself is here only so that lookups inline into the fast path. */
#define LS_LOCK_TOMBSTONE ((uintptr_t)1)
struct ls_lock_slot {
	_Atomic uintptr_t key;
	_Atomic(ls_lock *) lock;
};
struct ls_lock_table {
	size_t capacity;  /* power of two */
	unsigned shift;   /* 64 - log2(capacity) */
	size_t used;      /* live + tombstones */
	size_t live;
	struct ls_lock_slot slots[];
};
extern _Atomic(struct ls_lock_table *) ls_lock_table_current __attribute__((visibility("hidden")));

/* Fibonacci hashing: one multiply; locks are at least 4-byte aligned. */
static inline size_t ls_lock_slot_index(const struct ls_lock_table *t, uintptr_t addr)
{
	return (size_t)((addr >> 2) * 0x9e3779b97f4a7c15ULL >> t->shift);
}

static inline struct ls_lock_slot *ls_lock_probe(struct ls_lock_table *t, uintptr_t addr)
{
	size_t mask = t->capacity - 1;
	for (size_t i = ls_lock_slot_index(t, addr), n = 0; n < t->capacity; n++, i = (i + 1) & mask) {
		uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
		if (k == addr)
			return &t->slots[i];
		if (k == 0)
			return 0;
	}
	return 0;
}

static inline ls_lock *ls_lock_find(uintptr_t addr)
{
	struct ls_lock_table *t = atomic_load_explicit(&ls_lock_table_current, memory_order_acquire);
	struct ls_lock_slot *s = t ? ls_lock_probe(t, addr) : 0;
	return s ? atomic_load_explicit(&s->lock, memory_order_relaxed) : 0;
}

ls_lock *ls_lock_create(uintptr_t addr, enum ls_lock_kind kind);
/* The blame word of a new record (site_stats.h sets it). */
extern uint64_t ls_lock_blame_word_start __attribute__((visibility("hidden")));

/* The record of the lock at addr, created on first use. */
static inline ls_lock *ls_lock_get(uintptr_t addr, enum ls_lock_kind kind)
{
	ls_lock *l = ls_lock_find(addr);
	return __builtin_expect(l != 0, 1) ? l : ls_lock_create(addr, kind);
}
/* Ends the life of the lock at addr (if tracked); returns its record or NULL.
 * The caller passes the record to ls_lock_retire when nothing refers to it. */
ls_lock *ls_lock_forget(uintptr_t addr);
/* Ends the lives of every lock in [start, start+len); calls on_forget for each. */
size_t ls_lock_forget_range(uintptr_t start, size_t len, void (*on_forget)(ls_lock *));
/* Cheap pre-check for free(): may [start, start+len) contain a tracked lock? */
bool ls_lock_range_maybe_tracked(uintptr_t start, size_t len);
void ls_lock_retire(ls_lock *l);
/* Like ls_lock_retire, but a lock that made threads wait, or was acquired
 * at least LS_KEPT_MIN_ACQUISITIONS times (as counted so far: the threads
 * that exited and the collections made), keeps its record (never reused,
 * up to LS_KEPT_DEAD_LOCKS of them) so the report still shows short-lived
 * locks' contention, and an interpreter's locks, which all die when it
 * finalizes before the exit report; the others are recycled. */
#define LS_KEPT_DEAD_LOCKS 1024
#define LS_KEPT_MIN_ACQUISITIONS 1000
void ls_lock_retire_keeping_stats(ls_lock *l);
/* Adds n acquisitions to l if it is still the record of life `id` (a
 * recycled record belongs to another lock: the count is dropped). */
void ls_lock_add_acquisitions(ls_lock *l, uint64_t id, uint64_t n);
/* Calls fn for every dead lock kept for its statistics. */
void ls_lock_foreach_kept_dead(void (*fn)(ls_lock *, void *), void *ctx);

size_t ls_lock_live_count(void);
/* Calls fn for every live lock (snapshot; concurrent changes may be missed). */
void ls_lock_foreach(void (*fn)(ls_lock *, void *), void *ctx);
const char *ls_lock_kind_name(int kind);

void ls_lock_table_atfork_prepare(void);
void ls_lock_table_atfork_parent(void);
void ls_lock_table_atfork_child(void);

#endif
