#include "config.h"

#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "core/lockscope_internal.h"
#include "core/site_stats.h"

/* Open addressing with linear probing; filled at most to 3/4 so probes stay
 * short.  The slots are mapped once and only the touched pages cost memory. */
#define SITE_SLOTS (1u << 15)
#define SITE_MAX_FILL (SITE_SLOTS / 4 * 3)

static _Atomic(ls_site_stat *) table;
static ls_spinlock insert_lock = LS_SPINLOCK_INIT;
static atomic_size_t used;
static _Atomic uint64_t overflow;

__thread struct ls_site_cache_entry ls_site_cache[LS_SITE_CACHE_SLOTS] __attribute__((tls_model("initial-exec")));

static inline size_t slot_of(uint64_t lock_id, uintptr_t site)
{
	return (size_t)ls_hash64(lock_id * 0x9e3779b97f4a7c15ULL ^ site);
}

static ls_site_stat *table_get(void)
{
	ls_site_stat *t = atomic_load_explicit(&table, memory_order_acquire);
	if (LS_LIKELY(t))
		return t;
	ls_spin_lock(&insert_lock);
	t = atomic_load_explicit(&table, memory_order_relaxed);
	if (!t) {
		void *p = mmap(NULL, SITE_SLOTS * sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p != MAP_FAILED) {
			t = p;
			atomic_store_explicit(&table, t, memory_order_release);
		}
	}
	ls_spin_unlock(&insert_lock);
	return t;
}

static ls_site_stat *probe(ls_site_stat *t, uint64_t lock_id, uintptr_t site, ls_site_stat **free_slot)
{
	for (size_t i = slot_of(lock_id, site), n = 0; n < SITE_SLOTS; i++, n++) {
		ls_site_stat *s = &t[i & (SITE_SLOTS - 1)];
		uint64_t id = atomic_load_explicit(&s->lock_id, memory_order_acquire);
		if (id == 0) {
			if (free_slot)
				*free_slot = s;
			return NULL;
		}
		if (id == lock_id && s->site == site)
			return s;
	}
	return NULL;
}

ls_site_stat *ls_site_find(uint64_t lock_id, uintptr_t site)
{
	ls_site_stat *t = atomic_load_explicit(&table, memory_order_acquire);
	return t ? probe(t, lock_id, site, NULL) : NULL;
}

static ls_site_stat *insert(const ls_lock *l, uintptr_t site, uint32_t stack)
{
	ls_site_stat *t = table_get();
	if (!t)
		return NULL;
	ls_site_stat *s = probe(t, l->id, site, NULL);
	if (s)
		return s;
	/* Full: no new record can come, so no reason to serialize every
	 * lookup of a pair left out on the insertion lock. */
	if (atomic_load_explicit(&used, memory_order_relaxed) >= SITE_MAX_FILL) {
		atomic_fetch_add_explicit(&overflow, 1, memory_order_relaxed);
		return NULL;
	}
	ls_spin_lock(&insert_lock);
	ls_site_stat *slot = NULL;
	s = probe(t, l->id, site, &slot);
	if (!s && slot && atomic_load_explicit(&used, memory_order_relaxed) < SITE_MAX_FILL) {
		s = slot;
		s->site = site;
		s->lock_addr = l->addr;
		s->stack = stack;
		atomic_store_explicit(&used, atomic_load_explicit(&used, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		atomic_store_explicit(&s->lock_id, l->id, memory_order_release);
	}
	ls_spin_unlock(&insert_lock);
	if (!s)
		atomic_fetch_add_explicit(&overflow, 1, memory_order_relaxed);
	return s;
}

ls_site_stat *ls_site_get_slow(const ls_lock *l, uintptr_t site, uint32_t stack)
{
	struct ls_site_cache_entry *c =
		&ls_site_cache[(l->id * 31 ^ site ^ (site >> 7)) & (LS_SITE_CACHE_SLOTS - 1)];
	ls_site_stat *s = insert(l, site, stack);
	if (s) {
		c->lock_id = l->id;
		c->site = site;
		c->rec = s;
	}
	return s;
}

/* Same rule as the per-lock counters: an exclusive holder is the only
 * writer, so a plain read-modify-write is exact and has no lock prefix. */
static inline void add(_Atomic uint64_t *p, uint64_t v, bool exclusive)
{
	if (exclusive)
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline void raise_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}


void ls_site_note_wait(ls_site_stat *s, uint64_t wait_ns, bool exclusive)
{
	add(&s->contended, 1, exclusive);
	add(&s->wait_ns, wait_ns, exclusive);
	raise_max(&s->max_wait_ns, wait_ns);
}

void ls_site_note_hold(ls_site_stat *s, uint64_t hold_ns, bool exclusive) { add(&s->hold_ns, hold_ns, exclusive); }

void ls_site_note_blame(ls_site_stat *s, uint64_t blamed_ns, bool exclusive)
{
	add(&s->blamed_wait_ns, blamed_ns, exclusive);
}

/* The area at `now` from a reading of the word, the time it was brought
 * up to and the waiter count. */
static uint64_t area_at(uint64_t word, uint64_t updated, uint32_t n, uint64_t now)
{
	uint64_t area = word >> LS_BLAME_AREA_SHIFT;
	return now > updated ? area + (uint64_t)n * (now - updated) : area;
}

/* A waiter comes (+1) or goes (-1) at `now`: the area brought up to now
 * with the old count, then the new count. */
static void change_waiters(ls_lock *l, uint64_t now, int delta)
{
	ls_spin_lock(&l->blame_lock);
	uint32_t seq = atomic_load_explicit(&l->blame_seq, memory_order_relaxed);
	atomic_store_explicit(&l->blame_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	uint32_t n = atomic_load_explicit(&l->waiters, memory_order_relaxed);
	uint64_t updated = atomic_load_explicit(&l->area_updated, memory_order_relaxed);
	uint64_t area = area_at(atomic_load_explicit(&l->blame_word, memory_order_relaxed), updated, n, now);
	if (now > updated)
		atomic_store_explicit(&l->area_updated, now, memory_order_relaxed);
	n += (uint32_t)delta;
	atomic_store_explicit(&l->waiters, n, memory_order_relaxed);
	uint64_t shown = n < LS_BLAME_MAX_WAITERS ? n : LS_BLAME_MAX_WAITERS;
	atomic_store_explicit(&l->blame_word, area << LS_BLAME_AREA_SHIFT | shown | ls_lock_blame_word_start,
			      memory_order_relaxed);
	atomic_store_explicit(&l->blame_seq, seq + 2, memory_order_release);
	ls_spin_unlock(&l->blame_lock);
}

void ls_blame_set_timed(bool timed) { ls_lock_blame_word_start = timed ? LS_BLAME_TIMED : 0; }

void ls_blame_wait_begin(ls_lock *l, uint64_t now) { change_waiters(l, now, 1); }
void ls_blame_wait_end(ls_lock *l, uint64_t now) { change_waiters(l, now, -1); }

uint64_t ls_blame_area_slow(ls_lock *l)
{
	/* Nobody waits (only the hold_time bit, if anything, is set): the
	 * area does not grow, the word is the area (as in ls_blame_area_still). */
	uint64_t quiet = atomic_load_explicit(&l->blame_word, memory_order_relaxed);
	if ((quiet & LS_BLAME_MAX_WAITERS) == 0)
		return quiet & ~(uint64_t)((1u << LS_BLAME_AREA_SHIFT) - 1);
	for (;;) {
		uint32_t seq = atomic_load_explicit(&l->blame_seq, memory_order_acquire);
		if (seq & 1)
			continue;
		uint64_t word = atomic_load_explicit(&l->blame_word, memory_order_relaxed);
		uint64_t updated = atomic_load_explicit(&l->area_updated, memory_order_relaxed);
		uint32_t n = atomic_load_explicit(&l->waiters, memory_order_relaxed);
		uint64_t now = n ? ls_stat_ticks() : updated;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&l->blame_seq, memory_order_relaxed) == seq)
			return area_at(word, updated, n, now) << LS_BLAME_AREA_SHIFT;
	}
}

uint64_t ls_blame_charge(ls_lock *l, uint64_t mark)
{
	uint64_t area = ls_blame_area(l);
	return area > mark ? ls_stat_ticks_to_ns((area - mark) >> LS_BLAME_AREA_SHIFT) : 0;
}

void ls_site_foreach(void (*fn)(ls_site_stat *, void *), void *ctx)
{
	ls_site_stat *t = atomic_load_explicit(&table, memory_order_acquire);
	if (!t)
		return;
	for (size_t i = 0; i < SITE_SLOTS; i++)
		if (atomic_load_explicit(&t[i].lock_id, memory_order_acquire))
			fn(&t[i], ctx);
}

size_t ls_site_count(void) { return atomic_load_explicit(&used, memory_order_relaxed); }
size_t ls_site_capacity(void) { return SITE_MAX_FILL; }
uint64_t ls_site_overflow(void) { return atomic_load_explicit(&overflow, memory_order_relaxed); }


/* ns per tick in 32.32 fixed point, once known (0 before). */
static _Atomic uint64_t ns_per_tick_fp;
/* The start of the calibration: a clock reading and the counter with it. */
static uint64_t base_ns, base_ticks;
static _Atomic bool counting_ticks;

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
static inline uint64_t read_tsc(void) { return __rdtsc(); }
/* An invariant counter (same rate on every CPU, in every power state):
 * CPUID 0x80000007, EDX bit 8, on Intel and AMD alike. */
static bool tsc_is_invariant(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
}
#else
static inline uint64_t read_tsc(void) { return 0; }
static bool tsc_is_invariant(void) { return false; }
#endif

void ls_stat_clock_start(void)
{
	if (atomic_load(&counting_ticks) || !tsc_is_invariant())
		return;
	base_ns = ls_now_ns();
	base_ticks = read_tsc();
	atomic_store(&counting_ticks, true);
}

uint64_t ls_stat_ticks(void)
{
	if (LS_LIKELY(atomic_load_explicit(&counting_ticks, memory_order_relaxed)))
		return read_tsc();
	return ls_now_ns();
}

/* The factor from the ticks and ns elapsed since the start; kept once
 * enough time has passed for it to be exact to a few parts per million. */
#define CALIBRATION_SPAN_NS (50 * 1000000ull)
static uint64_t ns_per_tick(void)
{
	uint64_t f = atomic_load_explicit(&ns_per_tick_fp, memory_order_relaxed);
	if (LS_LIKELY(f))
		return f;
	uint64_t ns = ls_now_ns(), ticks = read_tsc();
	if (ticks <= base_ticks || ns <= base_ns)
		return 1ull << 32;
	f = (uint64_t)(((unsigned __int128)(ns - base_ns) << 32) / (ticks - base_ticks));
	if (ns - base_ns >= CALIBRATION_SPAN_NS)
		atomic_store_explicit(&ns_per_tick_fp, f, memory_order_relaxed);
	return f;
}

uint64_t ls_stat_ticks_to_ns(uint64_t ticks)
{
	if (!atomic_load_explicit(&counting_ticks, memory_order_relaxed))
		return ticks;
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick()) >> 32);
}

void ls_site_reset_for_tests(void)
{
	ls_site_stat *t = atomic_load(&table);
	if (t)
		memset(t, 0, SITE_SLOTS * sizeof *t);
	memset(ls_site_cache, 0, sizeof ls_site_cache);
	atomic_store(&used, 0);
	atomic_store(&overflow, 0);
}

/* A fork in the middle of an insertion leaves the slot unpublished (its id
 * is written last), so the child only needs the lock back. */
void ls_site_atfork_child(void) { ls_spin_reset(&insert_lock); }
