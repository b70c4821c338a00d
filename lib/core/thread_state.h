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
 * batches (tracker.h: ls_counts_collect). */
struct ls_call_cache_entry {
	uintptr_t site, addr;
	struct ls_lock *lock;       /* &ls_lock_private: a library lockscope itself uses */
	uint64_t lock_id;
	/* The thread's held-set signature (xor mode) under which every order
	 * edge into this lock is known: seeing it again needs no graph work. */
	uint64_t edges_known_sig;
	uint64_t sig;               /* this lock's part of a held-set signature */
	uint64_t count;             /* acquisitions (only the owner thread writes) */
	uint32_t stack;             /* depot id of the first stack seen at site */
} __attribute__((aligned(64))); /* one cache line; indexing is a shift */

/* The fields both kinds of entry share, in the same place: the fast path
 * copies them into a held entry as one block. */
#define LS_HELD_HEAD_BYTES (4 * sizeof(uint64_t))

typedef struct ls_held {
	uintptr_t site;         /* return address of the acquiring call */
	uintptr_t addr;
	ls_lock *lock;
	uint64_t lock_id;       /* (the four above as in the call cache) */
	uint64_t blame_mark;    /* exclusive holds: the lock's wait area when taken (site_stats.h) */
	uint64_t sig;           /* its part of the held-set signature */
	uint32_t count;         /* recursion depth */
	uint8_t mode;           /* enum ls_mode */
	uint32_t site_stack;    /* depot id of where it was taken */
	/* (the fast path touches only the cache line above) */
	uint64_t since_ns __attribute__((aligned(64))); /* when taken (only with hold_time) */
} __attribute__((aligned(64))) ls_held; /* a power of two: indexing is a shift */

_Static_assert(offsetof(ls_held, site) == offsetof(struct ls_call_cache_entry, site) &&
		       offsetof(ls_held, addr) == offsetof(struct ls_call_cache_entry, addr) &&
		       offsetof(ls_held, lock) == offsetof(struct ls_call_cache_entry, lock) &&
		       offsetof(ls_held, lock_id) == offsetof(struct ls_call_cache_entry, lock_id) &&
		       offsetof(ls_held, blame_mark) == LS_HELD_HEAD_BYTES && sizeof(ls_held) == 128,
	       "ls_held starts like ls_call_cache_entry");

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
	pid_t tid;
	pthread_t self;
	_Atomic bool alive;
	_Atomic bool parked;                /* exited; free for a new thread */
	_Atomic uint32_t n_held;
	uint32_t cap_held;
	_Atomic(ls_held *) held;
	uint64_t held_sig;                  /* xor of the held entries' sig */
	ls_held inline_held[LS_INLINE_HELD];
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

/* Acquisition counting (see struct ls_call_cache_entry).  Collecting adds
 * what the call caches counted since the last collection to the locks',
 * sites' and threads' acquisitions: readers of those counters (report,
 * live statistics) call ls_counts_collect() first.  A thread is collected
 * when it exits and an entry when it is evicted. */
extern ls_lock ls_lock_private;
void ls_counts_collect(void);
void ls_thread_collect_counts(ls_thread_state *t);
void ls_call_cache_evict(ls_thread_state *t, struct ls_call_cache_entry *e);

/* Returns the held entries (valid until the owner changes them). */
static inline ls_held *ls_held_array(ls_thread_state *t)
{
	return atomic_load_explicit(&t->held, memory_order_relaxed);
}
static inline uint32_t ls_held_count(ls_thread_state *t)
{
	return atomic_load_explicit(&t->n_held, memory_order_relaxed);
}

/* The held-set operations run on every lock call: inline, newest first. */
static inline ls_held *ls_held_find(ls_thread_state *t, uintptr_t addr)
{
	ls_held *h = ls_held_array(t);
	for (uint32_t i = ls_held_count(t); i-- > 0;)
		if (h[i].addr == addr)
			return &h[i];
	return 0;
}

ls_held *ls_held_grow(ls_thread_state *t);

/* A new (uninitialized) entry on top; NULL only when out of memory.  The
 * caller fills it and adds its sig to held_sig (ls_held_sign). */
static inline ls_held *ls_held_push(ls_thread_state *t)
{
	uint32_t n = ls_held_count(t);
	if (__builtin_expect(n == t->cap_held, 0) && !ls_held_grow(t))
		return 0;
	ls_held *h = ls_held_array(t);
	atomic_store_explicit(&t->n_held, n + 1, memory_order_release);
	return &h[n];
}

static inline void ls_held_sign(ls_thread_state *t, ls_held *h, uint64_t sig)
{
	h->sig = sig;
	t->held_sig ^= sig;
}

void ls_held_remove_inner(ls_thread_state *t, ls_held *h);

static inline void ls_held_remove(ls_thread_state *t, ls_held *h)
{
	t->held_sig ^= h->sig;
	uint32_t n = ls_held_count(t);
	if (__builtin_expect(h == &ls_held_array(t)[n - 1], 1))
		atomic_store_explicit(&t->n_held, n - 1, memory_order_release);
	else
		ls_held_remove_inner(t, h);
}

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
