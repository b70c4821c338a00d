/* thread_state.h — what each thread holds, waits for and has cached.
 *
 * Contract: one ls_thread_state per live thread that used a lock (or was
 * created through pthread_create), in a global registry that other threads
 * (the watchdog, the report writer) may read without locks: fields they read
 * are atomics or are written before the state is published.  Only the owning
 * thread writes its held set and caches.  States of exited threads are
 * recycled.  The held set has no size limit.
 */
#ifndef LOCKSCOPE_THREAD_STATE_H
#define LOCKSCOPE_THREAD_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/lock_table.h"

#define LS_EDGE_CACHE_SIZE 64
#define LS_CALL_CACHE_SIZE 256
#define LS_INLINE_HELD 16

struct ls_site_stat;

/* One entry of the per-thread call cache: a lock call from `site` on the
 * lock at `addr` was last resolved to these.  Valid while lock->live_id ==
 * lock_id (ids are never reused; a dead lock's live_id is 0).  It is also
 * where the thread counts that call's acquisitions: one increment stands
 * for the lock's, the site's and the thread's counters, added to them in
 * batches (ls_counts_collect).  A held entry points at the entry of the
 * call that took it (see ls_held): an entry is never changed while a held
 * entry points at it (ls_held_unpin first gives those holds a copy). */
struct ls_call_cache_entry {
	uintptr_t site, addr;
	struct ls_lock *lock;       /* &ls_lock_private: a library lockscope itself uses */
	uint64_t lock_id;
	/* The thread's held-set signature under which every order edge into
	 * this lock is known (ls_edges_known: xor the lock id and the mode):
	 * seeing it again needs no graph work. */
	uint64_t edges_known_sig;
	uint64_t sig;               /* this lock's part of a held-set signature */
	uint64_t count;             /* acquisitions (only the owner thread writes) */
	uint32_t stack;             /* depot id of the first stack seen at site */
	uint8_t mode;               /* enum ls_mode of the calls at site (a call site calls one function) */
} __attribute__((aligned(64))); /* one cache line; indexing is a shift */

/* How a hold is released, in the low bits of its held entry's key (the
 * lock's address xor these): the release's fast path compares the key with
 * the address it is given xor what it can do, one compare for "this lock,
 * held once, in this way".  Flags below 8 never make one lock's key equal
 * another live lock's address xor flags (they would overlap in memory). */
#define LS_RELEASE_INLINE 0u /* exclusive; the interposer releases it inline */
#define LS_RELEASE_DEEP 1u   /* held more than once (recursion): the slow path */
#define LS_RELEASE_READ 2u   /* shared: the real function, no blame */
#define LS_RELEASE_CALL 4u   /* exclusive; the real function releases it */

/* An entry of a thread's held set.  The fast path writes only the first
 * five fields; what the call was (site, address, lock id, first stack,
 * mode) is read through `entry`, the call cache entry of the acquisition,
 * or the entry's own copy `own` once the cache entry was reused
 * (ls_held_unpin).  Other threads read held entries with ls_held_read. */
typedef struct ls_held {
	uintptr_t key;          /* the address ^ LS_RELEASE_* flags */
	ls_lock *lock;
	_Atomic(const struct ls_call_cache_entry *) entry;
	uint64_t prefix_sig;    /* the held-set signature up to this entry (xor of sig) */
	uint64_t blame_mark;    /* exclusive holds: the lock's wait area when taken (site_stats.h) */
	uint64_t since_ns;      /* when taken (only with hold_time) */
	uint32_t depth;         /* recursion depth, when the key says LS_RELEASE_DEEP */
	struct ls_call_cache_entry own; /* (the second cache line) */
} __attribute__((aligned(64))) ls_held; /* a power of two: indexing is a shift */

_Static_assert(sizeof(ls_held) == 128, "ls_held is two cache lines");

/* The signature part of one held lock: lock id and mode, well mixed, so
 * that the xor of a held set's parts identifies the set. */
static inline uint64_t ls_held_sig_of(uint64_t lock_id, uint8_t mode)
{
	uint64_t x = (lock_id << 2 | mode) * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/* LS_WAIT_LOCK covers every wait with a lock record in waiting_on:
 * mutexes, rwlocks, spinlocks, C11 mutexes, semaphores (lock- or
 * signal-like) and once controls.  A barrier wait has its record there
 * too (for its count and where it was made). */
enum ls_wait_kind { LS_WAIT_NONE, LS_WAIT_LOCK, LS_WAIT_COND, LS_WAIT_JOIN, LS_WAIT_BARRIER };
/* A lock wait that is a join: CPython's Thread.join waits on a lock its
 * thread holds from its start to its end (a wait-for edge like any lock
 * wait, but neither a hang nor contention). */
#define LS_WAIT_FLAG_JOIN 1

typedef struct ls_thread_state {
	/* the fast path's fields, first */
	pid_t tid;
	/* The held set: held[0 .. n-1], oldest first, below a sentinel
	 * held[-1] (key ~0: no release matches it; prefix_sig 0), so that the
	 * newest entry, held_top, is always readable: held_top == held - 1
	 * when nothing is held.  held_limit is the last slot. */
	ls_held *held_top;
	ls_held *held_limit;
	ls_held *held;
	uint32_t cap_held;
	_Atomic uint32_t held_moves;        /* odd while the held set moves to a larger array */
	pthread_t self;
	_Atomic bool alive;
	_Atomic bool parked;                /* exited; free for a new thread */
	ls_held inline_held[1 + LS_INLINE_HELD]; /* the sentinel, then the first entries */
	/* the wait in progress, published for the watchdog */
	_Atomic int wait_kind;              /* enum ls_wait_kind */
	_Atomic(ls_lock *) waiting_on;
	_Atomic uintptr_t wait_object;      /* lock, condvar, barrier or thread being joined */
	_Atomic uint64_t wait_start_ns;
	_Atomic uint64_t wait_deadline_ns;  /* a timed wait's deadline (CLOCK_MONOTONIC), 0: untimed */
	uint8_t wait_mode;
	/* LS_WAIT_FLAG_*: set before the wait is published, cleared with it */
	_Atomic uint8_t wait_flags;
	/* caches in front of the global graph and site table */
	struct { uint64_t from_id, to_id; uint8_t modes; struct ls_edge *edge; } edge_cache[LS_EDGE_CACHE_SIZE];
	/* (call site, lock address) -> what the fast path needs; filled by
	 * the tracker (ls_call_cache_fill) */
	struct ls_call_cache_entry call_cache[LS_CALL_CACHE_SIZE];
	unsigned call_cache_turn;           /* which way of a full set is replaced next */
	/* what of each entry's count was already added to the global
	 * counters; the owner (on eviction) and collectors take counts_lock */
	uint64_t collected[LS_CALL_CACHE_SIZE];
	ls_spinlock counts_lock;
	/* statistics (acquisitions: as collected from the call cache) */
	_Atomic uint64_t acquisitions;
	_Atomic uint64_t contended;
	_Atomic uint64_t wait_ns;
	struct ls_thread_state *next;       /* registry */
} ls_thread_state;

/* Creates and registers the calling thread's state (never NULL unless out of memory). */
ls_thread_state *ls_thread_register(void);
/* Marks a state as exited; its memory is reused by a later thread. */
void ls_thread_unregister(ls_thread_state *t);
/* Iterates live states (lock-free snapshot). */
void ls_thread_foreach(void (*fn)(ls_thread_state *, void *), void *ctx);
size_t ls_thread_live_count(void);
/* An empty held set in the state's own slots (registration does it; for
 * states built by hand in tests). */
void ls_held_init(ls_thread_state *t);

/* Acquisition counting (see struct ls_call_cache_entry).  Collecting adds
 * what the call caches counted since the last collection to the locks',
 * sites' and threads' acquisitions: readers of those counters (report,
 * live statistics) call ls_counts_collect() first.  A thread is collected
 * when it exits and an entry when it is evicted. */
extern ls_lock ls_lock_private;
void ls_counts_collect(void);
void ls_thread_collect_counts(ls_thread_state *t);
void ls_call_cache_evict(ls_thread_state *t, struct ls_call_cache_entry *e);

/* ---- the held set ---------------------------------------------------------
 * Only the owner writes it.  Other threads read it without a lock: the
 * count and array with ls_held_count and ls_held_array (the array only
 * ever moves to a larger copy, so a count read before it never exceeds
 * it), each entry with ls_held_read. */

static inline ls_held *ls_held_array(ls_thread_state *t)
{
	return __atomic_load_n(&t->held, __ATOMIC_ACQUIRE);
}

static inline ls_held *ls_held_top(ls_thread_state *t)
{
	return __atomic_load_n(&t->held_top, __ATOMIC_ACQUIRE);
}

/* The number of held entries (any thread may ask: a count caught while
 * the array grows is read again). */
uint32_t ls_held_count_racy(ls_thread_state *t);
static inline uint32_t ls_held_count(ls_thread_state *t)
{
	uint32_t moves = atomic_load_explicit(&t->held_moves, memory_order_acquire);
	ls_held *base = ls_held_array(t);
	ptrdiff_t n = ls_held_top(t) + 1 - base;
	atomic_thread_fence(memory_order_acquire);
	if (__builtin_expect(!(moves & 1) && atomic_load_explicit(&t->held_moves, memory_order_relaxed) == moves &&
			     n >= 0 && n <= (ptrdiff_t)t->cap_held, 1))
		return (uint32_t)n;
	return ls_held_count_racy(t);
}

/* The held-set signature (xor of the held entries' sig). */
static inline uint64_t ls_held_sig(ls_thread_state *t) { return ls_held_top(t)->prefix_sig; }

/* What the acquiring call of a held entry was.  The owner may read it
 * directly; other threads through ls_held_read. */
static inline const struct ls_call_cache_entry *ls_held_call(const ls_held *h)
{
	return atomic_load_explicit(&h->entry, memory_order_acquire);
}
static inline uintptr_t ls_held_addr(const ls_held *h) { return ls_held_call(h)->addr; }
static inline uint64_t ls_held_lock_id(const ls_held *h) { return ls_held_call(h)->lock_id; }
static inline uint8_t ls_held_mode(const ls_held *h) { return ls_held_call(h)->mode; }
static inline uint32_t ls_held_site_stack(const ls_held *h) { return ls_held_call(h)->stack; }
static inline uintptr_t ls_held_site(const ls_held *h) { return ls_held_call(h)->site; }
/* The release flags of h (LS_RELEASE_*, DEEP included). */
static inline uintptr_t ls_held_flags(const ls_held *h) { return h->key ^ ls_held_addr(h); }
static inline uint32_t ls_held_depth(const ls_held *h)
{
	return (ls_held_flags(h) & LS_RELEASE_DEEP) ? h->depth : 1;
}
/* This entry's part of the signature. */
static inline uint64_t ls_held_own_sig(const ls_held *h) { return h->prefix_sig ^ h[-1].prefix_sig; }

/* A held entry as another thread sees it, read consistently. */
typedef struct ls_held_view {
	uintptr_t site, addr;
	ls_lock *lock;
	uint64_t lock_id;
	uint32_t site_stack;
	uint32_t depth;
	uint8_t mode;
} ls_held_view;
/* Copies h into v; false when the owner changed it under us too often. */
bool ls_held_read(const ls_held *h, ls_held_view *v);

static inline ls_held *ls_held_find(ls_thread_state *t, uintptr_t addr)
{
	ls_held *h = ls_held_array(t);
	for (uint32_t i = ls_held_count(t); i-- > 0;)
		if (ls_held_addr(&h[i]) == addr)
			return &h[i];
	return 0;
}

ls_held *ls_held_grow(ls_thread_state *t);

/* What a held entry is made from in the slow paths (the fast path pushes
 * itself, tracker.h). */
typedef struct ls_hold {
	const struct ls_call_cache_entry *call; /* NULL: use the fields below */
	uintptr_t site, addr;
	ls_lock *lock;
	uint64_t lock_id;
	uint32_t site_stack;
	uint8_t mode;
	uintptr_t flags;                    /* LS_RELEASE_* */
} ls_hold;
/* Pushes a hold on top (and adds its part to the signature); NULL only
 * when out of memory. */
ls_held *ls_held_push(ls_thread_state *t, const ls_hold *hold);
/* Pushes a copy of an entry taken off the held set earlier (condition
 * waits), on top. */
ls_held *ls_held_push_copy(ls_thread_state *t, const ls_held *saved);
/* Copies h out of the held set (its `entry` follows its own copy, and its
 * prefix_sig is its own part of the signature), for ls_held_push_copy. */
void ls_held_save(ls_held *to, const ls_held *h);
void ls_held_remove(ls_thread_state *t, ls_held *h);
/* Before the call cache entry e changes: held entries that point at it
 * get their own copy of it. */
void ls_held_unpin(ls_thread_state *t, const struct ls_call_cache_entry *e);
/* Sets the recursion depth of h. */
void ls_held_set_depth(ls_held *h, uint32_t depth);

/* Marks a call site as a library lockscope uses itself (libunwind): its
 * lock calls are not the program's. */
#define LS_PRIVATE_SITE UINT32_MAX

/* After fork: only `survivor` (the forking thread) exists in the child. */
void ls_thread_atfork_child(ls_thread_state *survivor);
void ls_thread_atfork_prepare(void);
void ls_thread_atfork_parent(void);
/* In the child, once every lockscope lock is reset: adds what the threads
 * that vanished in the fork counted and nobody collected yet (acquisitions
 * made before the fork are the child's history too). */
void ls_thread_atfork_child_collect(void);

#endif
