/* sem_inline.h — the fast path's attempt on a semaphore and its post when
 * nobody waits, done the way glibc does them instead of through a call.
 *
 * Contract: ls_sem_try_inline(s) is sem_trywait(s) answering 0 or EAGAIN
 * (no errno), and ls_sem_post_uncontended(s) is sem_post(s) for the case
 * where no thread waits on s: it returns false, having changed nothing,
 * when one does (or the value is at its maximum), and the caller then
 * calls glibc's sem_post, which wakes it.  Both apply only when
 * ls_sem_inline, set by ls_sem_inline_check() at start-up after it has
 * seen this glibc's sem_init, sem_trywait and sem_post leave a semaphore
 * in exactly the states assumed here; otherwise every call is glibc's.
 *
 * glibc (2.21 and later, 64-bit targets) keeps a semaphore in one 64-bit
 * word: the value in the low 32 bits, the number of waiters in the high
 * 32; a waiter registers in that word before it sleeps and checks the
 * value again.  A post that changes the word with one compare-and-swap
 * that saw no waiter therefore leaves nobody to wake.
 *
 * The fast path's own pair, ls_sem_take_free and ls_sem_give_back, is
 * the same protocol for the one state a lock-like semaphore is in when it
 * is free (word 1) and when it is held (word 0): one compare-and-swap
 * each, with no load first; any other word goes to the general functions
 * above (or to glibc).
 *
 * glibc's semaphores take no shortcut while a program has one thread
 * (unlike its mutexes, single_thread.h): these always use atomic
 * instructions, as glibc does, and must, since a semaphore may be shared
 * with another process (pshared, or sem_open).
 */
#ifndef LOCKSCOPE_SEM_INLINE_H
#define LOCKSCOPE_SEM_INLINE_H

#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/lock_table.h"
#include "core/lockscope_internal.h"

extern bool ls_sem_inline __attribute__((visibility("hidden")));
/* The class a semaphore's record must have for the lock fast path:
 * LS_SEM_LOCK while ls_sem_inline, else none (0xff), so that one compare
 * says both "lock-like" and "inline". */
extern uint8_t ls_sem_fast_class __attribute__((visibility("hidden")));
/* What ls_sem_take_free answers for a word it leaves to ls_sem_try_inline. */
#define LS_SEM_NOT_INLINE (-1)

#define LS_SEM_VALUE_MASK 0xffffffffull
#define LS_SEM_NWAITERS_SHIFT 32

/* glibc's own functions, which the start-up check compares with. */
typedef struct ls_glibc_sem_functions {
	int (*init)(sem_t *, int, unsigned);
	int (*trywait)(sem_t *);
	int (*post)(sem_t *);
} ls_glibc_sem_functions;

/* Sets ls_sem_inline when glibc's semaphores (`glibc`; any NULL member:
 * not resolved, so no) work as described above. */
void ls_sem_inline_check(const ls_glibc_sem_functions *glibc);

static inline uint64_t *ls_sem_word(sem_t *s) { return (uint64_t *)(void *)s; }

static inline __attribute__((always_inline)) int ls_sem_try_inline(sem_t *s)
{
	uint64_t *w = ls_sem_word(s);
	uint64_t d = __atomic_load_n(w, __ATOMIC_RELAXED);
	while (d & LS_SEM_VALUE_MASK)
		if (__atomic_compare_exchange_n(w, &d, d - 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
	return EAGAIN;
}

static inline __attribute__((always_inline)) bool ls_sem_post_uncontended(sem_t *s)
{
	uint64_t *w = ls_sem_word(s);
	uint64_t d = __atomic_load_n(w, __ATOMIC_RELAXED);
	if ((d >> LS_SEM_NWAITERS_SHIFT) != 0 || (d & LS_SEM_VALUE_MASK) >= SEM_VALUE_MAX)
		return false;
	return __atomic_compare_exchange_n(w, &d, d + 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* sem_trywait(s) when its word is 1 (a free lock-like semaphore): 0;
 * EAGAIN for a value of 0; LS_SEM_NOT_INLINE for anything else (a value
 * of 1 with waiters, or above 1), changing nothing. */
static inline __attribute__((always_inline)) int ls_sem_take_free(sem_t *s)
{
	uint64_t free_word = 1;
	if (LS_LIKELY(__atomic_compare_exchange_n(ls_sem_word(s), &free_word, 0, false, __ATOMIC_ACQUIRE,
						  __ATOMIC_RELAXED)))
		return 0;
	return (free_word & LS_SEM_VALUE_MASK) ? LS_SEM_NOT_INLINE : EAGAIN;
}

/* sem_post(s) when its word is 0 (a held lock-like semaphore nobody waits
 * for): true; false, changing nothing, for any other word (glibc's
 * sem_post then: it wakes a waiter, or reports an overflow). */
static inline __attribute__((always_inline)) bool ls_sem_give_back(sem_t *s)
{
	uint64_t held_word = 0;
	return __atomic_compare_exchange_n(ls_sem_word(s), &held_word, 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

#endif
