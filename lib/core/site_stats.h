/* site_stats.h — contention statistics per (lock, call site).
 *
 * Contract: a site is the return address into the program of a lock call;
 * its record belongs to one life of one lock (keyed by the lock's id, which
 * is never reused), so the report can say which line of which lock waits.
 * Records live in one fixed-capacity global table (created on first use,
 * never freed, never moved): a pair that does not fit is counted in
 * ls_site_overflow() (on every lookup of it) and its events are not
 * attributed to any site (the
 * per-lock totals still count them).
 *
 * Cost model: every acquisition counts on its site, first in the thread's
 * call cache (tracker.h), added here in batches.  A per-thread
 * direct-mapped cache answers (lock id, site) -> record without touching
 * the global table.  Contention counters of exclusively held locks are
 * written only by the holder (plain load+store, like the per-lock
 * counters); shared (read) acquisitions use atomic adds.
 *
 * Blame: a holder's critical section is charged, on its acquiring site,
 * the wait it caused: the integral over its hold of the number of threads
 * waiting for the lock (Go's mutex profile charges the unlocker in the same
 * spirit).  Each lock keeps that integral (the wait area), which only
 * waiters update (at the start and the end of a wait, under a spinlock,
 * inside a sequence count); an exclusive holder reads it when it takes the
 * lock (its mark, kept in its held entry) and when it releases it, and is
 * charged the difference.  A holder writes nothing shared and takes no
 * lock: with nobody waiting, a reading is two loads and no clock read.  A
 * waiter that gives up (a timed lock that times out) during a hold is
 * charged to that hold as well.  Shared (read) holders are not charged
 * (they hold the lock together).
 */
#ifndef LOCKSCOPE_SITE_STATS_H
#define LOCKSCOPE_SITE_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/lock_table.h"

typedef struct ls_site_stat {
	_Atomic uint64_t lock_id;   /* 0 while the slot is free; published last */
	uintptr_t site;             /* return address of the lock call */
	uintptr_t lock_addr;
	uint32_t stack;             /* depot id of the first stack seen here */
	_Atomic uint64_t acquisitions;
	_Atomic uint64_t contended;
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t max_wait_ns;
	_Atomic uint64_t hold_ns;
	_Atomic uint64_t blamed_wait_ns;
} ls_site_stat;

#define LS_SITE_CACHE_SLOTS 128
struct ls_site_cache_entry { uint64_t lock_id; uintptr_t site; ls_site_stat *rec; };
extern __thread struct ls_site_cache_entry ls_site_cache[LS_SITE_CACHE_SLOTS]
	__attribute__((tls_model("initial-exec")));
ls_site_stat *ls_site_get_slow(const ls_lock *l, uintptr_t site, uint32_t stack);

/* The record of (l, site), created if new; NULL when the table is full or
 * cannot be allocated.  The per-thread cache is consulted first (inline:
 * this is on every acquisition). */
static inline ls_site_stat *ls_site_get(const ls_lock *l, uintptr_t site, uint32_t stack)
{
	struct ls_site_cache_entry *c =
		&ls_site_cache[(l->id * 31 ^ site ^ (site >> 7)) & (LS_SITE_CACHE_SLOTS - 1)];
	if (__builtin_expect(c->lock_id == l->id && c->site == site, 1))
		return c->rec;
	return ls_site_get_slow(l, site, stack);
}
/* The record of (lock_id, site) if it exists (no creation, no cache). */
ls_site_stat *ls_site_find(uint64_t lock_id, uintptr_t site);

/* Counter updates; `exclusive`: the caller holds the lock exclusively. */
/* Acquisitions are counted per thread first and added here in batches. */
static inline void ls_site_add_acquisitions(ls_site_stat *s, uint64_t n)
{
	atomic_fetch_add_explicit(&s->acquisitions, n, memory_order_relaxed);
}
void ls_site_note_wait(ls_site_stat *s, uint64_t wait_ns, bool exclusive);
void ls_site_note_hold(ls_site_stat *s, uint64_t hold_ns, bool exclusive);
/* Blame bookkeeping (see Blame).  `now` is ls_stat_ticks(); the wait
 * area is in ticks, a charge in ns.  Waiters: */
void ls_blame_wait_begin(ls_lock *l, uint64_t now);
void ls_blame_wait_end(ls_lock *l, uint64_t now);

/* The wait area now, for a holder, as a mark: the area << 8 (marks only
 * ever differ by area).  With nobody waiting the area does not grow: the
 * blame word is then the mark, one load and no clock.  Otherwise a
 * consistent reading of the sequence count and the clock.
 *
 * Hold times (the hold_time option) ride on the same test: every lock's
 * blame word then has LS_BLAME_TIMED in its low byte, so no word is ever
 * a plain mark and every exclusive hold goes, on the fast path, through
 * the functions that read the mark slowly and charge the blame after the
 * release (tracker.h), which start and stop the hold clock as well.
 * Without the option the fast path pays nothing for it. */
#define LS_BLAME_AREA_SHIFT 8
#define LS_BLAME_TIMED 0x80u
#define LS_BLAME_MAX_WAITERS 0x7fu
/* Hold times measured or not: the low byte of every blame word, from now
 * (call it before any lock record exists: at start-up). */
void ls_blame_set_timed(bool timed);
uint64_t ls_blame_area_slow(ls_lock *l);
static inline __attribute__((always_inline)) bool ls_blame_area_still(ls_lock *l, uint64_t *area)
{
	uint64_t word = atomic_load_explicit(&l->blame_word, memory_order_relaxed);
	if (__builtin_expect((word & ((1u << LS_BLAME_AREA_SHIFT) - 1)) != 0, 0))
		return false;
	*area = word;
	return true;
}
static inline uint64_t ls_blame_area(ls_lock *l)
{
	uint64_t area;
	return ls_blame_area_still(l, &area) ? area : ls_blame_area_slow(l);
}
/* The wait (ns) caused by a hold that took l when its area was `mark`. */
uint64_t ls_blame_charge(ls_lock *l, uint64_t mark);
void ls_site_note_blame(ls_site_stat *s, uint64_t blamed_ns, bool exclusive);

/* Calls fn for every record (of any lock), in table order. */
void ls_site_foreach(void (*fn)(ls_site_stat *, void *), void *ctx);
size_t ls_site_count(void);
size_t ls_site_capacity(void);
/* Lookups of (lock, site) pairs that found no room (a pair left out is
 * counted each time it is looked up again, not once). */
uint64_t ls_site_overflow(void);

/* The statistics clock (waits, blame, hold times): the time-stamp counter
 * where it is invariant (about 10 ns a read against about 26 for
 * clock_gettime), counted from ls_stat_clock_start (call it at start-up,
 * before any measurement).  Differences of ticks convert to ns with a
 * factor measured against CLOCK_MONOTONIC over the ticks elapsed since the
 * start (no spinning: kept once 50 ms have passed, recomputed with a clock
 * read per conversion before).  Without an invariant counter, and before
 * the start, ticks are nanoseconds. */
void ls_stat_clock_start(void);
uint64_t ls_stat_ticks(void);
uint64_t ls_stat_ticks_to_ns(uint64_t ticks);

/* Empties the table and this thread's cache (tests only). */
void ls_site_reset_for_tests(void);

void ls_site_atfork_child(void);

#endif
