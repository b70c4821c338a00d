/* glibc_locks.h — what a blocked thread waits for, read from glibc's lock
 * internals in another process (glibc 2.36, x86-64).
 *
 * Contract: pure decoding plus process_vm_readv; never stops or writes to
 * the target.  Layouts (checked against <pthread.h> of glibc 2.36):
 *   pthread_mutex_t (40 bytes): __lock @0, __count @4, __owner @8, __kind @16.
 *     Normal, recursive, errorcheck, adaptive (and priority-protect) mutexes
 *     keep the owner tid in __owner; robust and priority-inheritance ones in
 *     __lock (masked with FUTEX_TID_MASK 0x3fffffff).  Waiters block on
 *     &__lock, so the futex address is the mutex address.
 *   pthread_rwlock_t (56 bytes): __readers @0, __writers @4,
 *     __wrphase_futex @8, __writers_futex @12, __pad3 @16, __pad4 @20,
 *     __cur_writer @24 (tid of the writer), __shared @28, __rwelision @32,
 *     __pad1 @33..39, __pad2 @40, __flags @48.  Readers block on __readers
 *     or __wrphase_futex, writers on __writers_futex or __wrphase_futex; the
 *     futex address alone does not say which field it is, so the rwlock base
 *     is the candidate whose padding is zero and flags valid (or the offset
 *     into a named variable, when the caller knows it).  Readers are not
 *     recorded anywhere: a read-held rwlock has no owner.
 */
#ifndef LOCKSCOPE_GLIBC_LOCKS_H
#define LOCKSCOPE_GLIBC_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbols/frame.h"

typedef enum ls_wait_kind {
	LS_WAIT_NONE,           /* not blocked in a futex wait */
	LS_WAIT_MUTEX,          /* pthread_mutex_lock/timedlock/clocklock, mtx_lock, condvar re-lock */
	LS_WAIT_RWLOCK_READ,
	LS_WAIT_RWLOCK_WRITE,
	LS_WAIT_CONDVAR,        /* pthread_cond_wait / timedwait, cnd_wait */
	LS_WAIT_JOIN,           /* pthread_join */
	LS_WAIT_INTERNAL_LOCK,  /* a lock inside glibc (__lll_lock_wait_private) */
	LS_WAIT_OTHER_FUTEX,    /* sem_wait, barriers, raw futexes... */
} ls_wait_kind;

/* True for a futex operation that blocks (WAIT, WAIT_BITSET, LOCK_PI,
 * LOCK_PI2, WAIT_REQUEUE_PI) given syscall arguments from /proc. */
bool ls_is_futex_wait(long syscall_nr, const uint64_t args[6]);

/* What a thread blocked in a futex wait waits for, from its symbolized
 * stack: the innermost glibc locking function decides. */
ls_wait_kind ls_glibc_wait_kind(const ls_stack *stack);

/* "waiting for lock", "waiting for read lock", "in condition wait", ... */
const char *ls_wait_kind_state(ls_wait_kind kind);

typedef struct ls_glibc_mutex {
	int32_t lock;
	uint32_t count;         /* recursion depth of recursive mutexes */
	int32_t owner_field;
	int32_t kind;           /* __kind as stored */
	uint64_t owner_tid;     /* decoded owner, 0 when unlocked or unknown */
	const char *type;       /* "normal", "recursive", "errorcheck", "adaptive" */
	bool robust, pi, pp, pshared;
} ls_glibc_mutex;

/* Decodes the first 40 bytes of a pthread_mutex_t. */
void ls_glibc_decode_mutex(const unsigned char raw[40], ls_glibc_mutex *out);
/* Reads and decodes the mutex at `address` in `pid`; 0, or -1 with errno. */
int ls_glibc_read_mutex(pid_t pid, uint64_t address, ls_glibc_mutex *out);

typedef struct ls_glibc_rwlock {
	uint32_t readers, writers, wrphase_futex, writers_futex;
	int32_t cur_writer;     /* tid of the write owner, 0 if none */
	int32_t shared;
	uint32_t flags;         /* PTHREAD_RWLOCK_PREFER_* kind */
	bool plausible;         /* padding zero and fields in range */
} ls_glibc_rwlock;

void ls_glibc_decode_rwlock(const unsigned char raw[56], ls_glibc_rwlock *out);

/* Finds the rwlock that the futex at `futex` belongs to, for a thread
 * waiting as `kind` (LS_WAIT_RWLOCK_READ or _WRITE).  `known_offset` is the
 * futex's offset inside the rwlock when known (e.g. from a symbol
 * "name+12"), else -1.  Returns 0 and *base, *out, or -1. */
int ls_glibc_find_rwlock(pid_t pid, uint64_t futex, ls_wait_kind kind, long known_offset,
			 uint64_t *base, ls_glibc_rwlock *out);

/* Cycles of a wait-for graph in which each thread waits for at most one
 * other: next[i] is the index of the thread that thread i waits for, or
 * SIZE_MAX.  Sets cycle_of[i] to the number of the cycle thread i is on
 * (0, 1, ...) or SIZE_MAX, and returns the number of cycles.  A thread
 * waiting for itself (relocking a normal mutex) is a cycle of one.
 * Returns SIZE_MAX when out of memory. */
size_t ls_find_wait_cycles(const size_t *next, size_t n, size_t *cycle_of);

#endif
