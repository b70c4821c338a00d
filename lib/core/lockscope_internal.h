/* lockscope_internal.h — small helpers shared by the core modules.
 *
 * Contract: header-only, no state.  Everything here is safe to use from the
 * preload shim's hot path (no malloc, no locks the host can see).
 */
#ifndef LOCKSCOPE_INTERNAL_H
#define LOCKSCOPE_INTERNAL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LS_HIDDEN __attribute__((visibility("hidden")))
#define LS_CACHE_LINE 64
#define LS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in ns (the clock of wait starts, deadlines and the
 * watchdog; statistics use the cheaper ls_stat_ticks). */
static inline uint64_t ls_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An internal spinlock.  The shim never takes a lock the host program could
 * see or that the shim itself tracks; critical sections are short (a new
 * lock, a new edge), so spinning with sched_yield is enough. */
typedef struct { atomic_int held; } ls_spinlock;
#define LS_SPINLOCK_INIT { 0 }

static inline bool ls_spin_trylock(ls_spinlock *l)
{
	return atomic_load_explicit(&l->held, memory_order_relaxed) == 0 &&
	       !atomic_exchange_explicit(&l->held, 1, memory_order_acquire);
}

static inline void ls_spin_lock(ls_spinlock *l)
{
	unsigned spins = 0;
	while (!ls_spin_trylock(l)) {
		if (++spins < 64)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

static inline void ls_spin_unlock(ls_spinlock *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

/* After fork only the forking thread exists: a lock some other thread held
 * at that instant will never be released, so the child resets it. */
static inline void ls_spin_reset(ls_spinlock *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_relaxed);
}

/* 64-bit mixer (splitmix64 finalizer): spreads pointer bits for hashing. */
static inline uint64_t ls_hash64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif
