#include "config.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/stack_depot.h"

struct depot_entry {
	struct depot_entry *next;   /* hash chain */
	uint64_t hash;
	uint32_t id;
	uint32_t n;
	uint64_t pcs[];
};

/* Ids index a two-level table so entries never move and readers need no lock. */
#define ID_PAGE_BITS 12
#define ID_PAGE_SIZE (1u << ID_PAGE_BITS)
#define ID_MAX_PAGES 4096
#define HASH_BUCKETS (1u << 16)

static ls_spinlock depot_lock = LS_SPINLOCK_INIT;
static struct depot_entry *buckets[HASH_BUCKETS];
static _Atomic(struct depot_entry **) id_pages[ID_MAX_PAGES];
static atomic_uint next_id = 1;
static uintptr_t self_start, self_end;

static uint64_t hash_pcs(const uint64_t *pcs, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = ls_hash64(h ^ pcs[i]);
	return h;
}

static struct depot_entry *find_locked(uint64_t h, const uint64_t *pcs, size_t n)
{
	for (struct depot_entry *e = buckets[h % HASH_BUCKETS]; e; e = e->next)
		if (e->hash == h && e->n == n && !memcmp(e->pcs, pcs, n * sizeof *pcs))
			return e;
	return NULL;
}

static bool publish_id(struct depot_entry *e)
{
	uint32_t page = e->id >> ID_PAGE_BITS;
	if (page >= ID_MAX_PAGES)
		return false;
	struct depot_entry **slots = atomic_load(&id_pages[page]);
	if (!slots) {
		slots = ls_arena_alloc(ID_PAGE_SIZE * sizeof *slots);
		if (!slots)
			return false;
		atomic_store(&id_pages[page], slots);
	}
	slots[e->id & (ID_PAGE_SIZE - 1)] = e;
	return true;
}

uint32_t ls_depot_put(const uint64_t *pcs, size_t n)
{
	if (n == 0)
		return 0;
	if (n > LS_MAX_STACK_DEPTH)
		n = LS_MAX_STACK_DEPTH;
	uint64_t h = hash_pcs(pcs, n);
	uint32_t id = 0;
	ls_spin_lock(&depot_lock);
	struct depot_entry *e = find_locked(h, pcs, n);
	if (e) {
		id = e->id;
	} else if ((e = ls_arena_alloc(sizeof *e + n * sizeof *pcs))) {
		e->hash = h;
		e->n = (uint32_t)n;
		memcpy(e->pcs, pcs, n * sizeof *pcs);
		e->id = atomic_load(&next_id);
		if (publish_id(e)) {
			atomic_store(&next_id, e->id + 1);
			e->next = buckets[h % HASH_BUCKETS];
			buckets[h % HASH_BUCKETS] = e;
			id = e->id;
		}
	}
	ls_spin_unlock(&depot_lock);
	return id;
}

size_t ls_depot_get(uint32_t id, const uint64_t **pcs)
{
	*pcs = NULL;
	if (id == 0 || id >= atomic_load(&next_id))
		return 0;
	struct depot_entry **slots = atomic_load(&id_pages[id >> ID_PAGE_BITS]);
	struct depot_entry *e = slots ? slots[id & (ID_PAGE_SIZE - 1)] : NULL;
	if (!e)
		return 0;
	*pcs = e->pcs;
	return e->n;
}

size_t ls_depot_count(void) { return atomic_load(&next_id) - 1; }

void ls_depot_set_self_range(uintptr_t start, uintptr_t end)
{
	self_start = start;
	self_end = end;
}

uintptr_t ls_private_start, ls_private_end;

void ls_depot_set_private_range(uintptr_t start, uintptr_t end)
{
	ls_private_start = start;
	ls_private_end = end;
}

static bool is_self(uint64_t pc) { return pc >= self_start && pc < self_end; }

/* unw_backtrace keeps a per-thread cache of frame descriptions: 256 KB,
 * mapped and filled on the thread's first call (0.6-1.1 ms on the
 * workplace's VM, where page faults are dear), after which a capture costs
 * about 50 ns.  Stepping with unw_step costs nothing up front but about
 * 1.4 us a frame (each step looks its frame up through dl_iterate_phdr
 * between two sigprocmask calls).  Most threads capture a handful of
 * stacks (a capture is made only for something new), so a thread steps
 * until it has stepped about as many frames as the cache costs, then takes
 * the cache: a short-lived or quiet thread no longer pays a millisecond
 * and 256 KB, a busy one (CPython's main thread at start-up, with deep
 * stacks) pays at most twice what the cache alone would have cost. */
#define STEPPED_FRAMES 512
static __thread unsigned frames_stepped __attribute__((tls_model("initial-exec")));

/* The return addresses of the calling frames, innermost first; this
 * function's own frame is left out either way, so both ways give the same
 * stack (it must not be inlined for that). */
static __attribute__((noinline)) int unwind_callers(void **raw, int max)
{
	if (frames_stepped >= STEPPED_FRAMES) {
		int n = unw_backtrace(raw, max);
		if (n <= 1)
			return 0;
		memmove(raw, raw + 1, (size_t)(n - 1) * sizeof *raw);
		return n - 1;
	}
	unw_context_t context;
	unw_cursor_t cursor;
	if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0)
		return 0;
	int n = 0;
	while (n < max - 1 && unw_step(&cursor) > 0) { /* as many as unw_backtrace leaves */
		unw_word_t ip;
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0)
			break;
		raw[n++] = (void *)(uintptr_t)ip;
	}
	frames_stepped += (unsigned)n + 1;
	return n;
}

size_t ls_capture_stack(uint64_t *pcs, size_t max)
{
	void *raw[LS_MAX_STACK_DEPTH + 16];
	uint64_t all[LS_MAX_STACK_DEPTH + 16];
	if (max > LS_MAX_STACK_DEPTH)
		max = LS_MAX_STACK_DEPTH;
	int got = unwind_callers(raw, (int)LS_ARRAY_SIZE(raw));
	size_t n = 0;
	/* lockscope's frames go wherever they are: on top (the interposer)
	 * and at the bottom (the thread trampoline). */
	for (int i = 0; i < got; i++)
		if (!is_self((uint64_t)(uintptr_t)raw[i]))
			all[n++] = (uint64_t)(uintptr_t)raw[i];
	/* Python frames take the evaluation loop's places before the stack is
	 * cut to its depth (frames past it are not even resolved) */
	n = ls_pystack_merge(all, n, max);
	n = n < max ? n : max;
	memcpy(pcs, all, n * sizeof *pcs);
	return n;
}

uint32_t ls_capture_to_depot(size_t max_depth)
{
	uint64_t pcs[LS_MAX_STACK_DEPTH];
	size_t n = ls_capture_stack(pcs, max_depth);
	return ls_depot_put(pcs, n);
}

/* Site table: open addressing, lock-free lookups, inserts under depot_lock. */
#define SITE_SLOTS (1u << 16)
struct site_slot { _Atomic uintptr_t ret; _Atomic uint32_t stack; };
static struct site_slot site_table[SITE_SLOTS];

static struct site_slot *site_probe(uintptr_t ret, bool *found)
{
	size_t i = ls_hash64(ret) & (SITE_SLOTS - 1);
	for (size_t step = 0; step < SITE_SLOTS; step++, i = (i + 1) & (SITE_SLOTS - 1)) {
		uintptr_t k = atomic_load_explicit(&site_table[i].ret, memory_order_acquire);
		if (k == ret || k == 0) {
			*found = k == ret;
			return &site_table[i];
		}
	}
	*found = false;
	return NULL;
}

uint32_t ls_site_stack(uintptr_t return_address, size_t max_depth)
{
	bool found;
	/* a lock call made by Python code: each Python line is a site */
	return_address = ls_pystack_site_key(return_address);
	struct site_slot *s = site_probe(return_address, &found);
	if (found)
		return atomic_load_explicit(&s->stack, memory_order_relaxed);
	/* New site: capture outside the lock (unwinding is slow), then publish. */
	uint32_t stack = ls_capture_to_depot(max_depth);
	ls_spin_lock(&depot_lock);
	s = site_probe(return_address, &found);
	if (s && !found) {
		atomic_store_explicit(&s->stack, stack, memory_order_relaxed);
		atomic_store_explicit(&s->ret, return_address, memory_order_release);
	} else if (s) {
		stack = atomic_load_explicit(&s->stack, memory_order_relaxed);
	}
	ls_spin_unlock(&depot_lock);
	return stack;
}

void ls_depot_atfork_prepare(void) { ls_spin_lock(&depot_lock); }
void ls_depot_atfork_parent(void) { ls_spin_unlock(&depot_lock); }
void ls_depot_atfork_child(void) { ls_spin_reset(&depot_lock); }
