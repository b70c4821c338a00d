#include "config.h"

#include <string.h>

#include "core/arena.h"
#include "core/lock_table.h"
#include "core/lockscope_internal.h"

/* Open addressing keyed by address.  A slot's key is 0 (never used),
 * LS_LOCK_TOMBSTONE (removed) or an address.  A table is replaced by a larger
 * copy when full; old tables stay mapped so lock-free readers holding them
 * finish safely, and a reader that misses re-checks under the lock. */
#define MIN_CAPACITY 1024u

/* Counting filter of pages that hold tracked locks, so free() of memory
 * without locks costs one or two loads. */
#define PAGE_SHIFT 12
#define PAGE_FILTER_SIZE (1u << 16)
static _Atomic uint32_t page_filter[PAGE_FILTER_SIZE];

static ls_spinlock table_lock = LS_SPINLOCK_INIT;
_Atomic(struct ls_lock_table *) ls_lock_table_current;
static ls_lock *retired;
static ls_lock *kept_dead;       /* dead locks kept for their statistics */
static size_t n_kept_dead;
static atomic_uint_fast64_t next_lock_id = 1;
uint64_t ls_lock_blame_word_start;

static size_t page_slot(uintptr_t addr) { return ls_hash64(addr >> PAGE_SHIFT) & (PAGE_FILTER_SIZE - 1); }

static struct ls_lock_table *table_new(size_t capacity)
{
	struct ls_lock_table *t = ls_arena_alloc(sizeof *t + capacity * sizeof(struct ls_lock_slot));
	if (t) {
		t->capacity = capacity;
		t->shift = 64u - (unsigned)__builtin_ctzll(capacity);
	}
	return t;
}

static ls_lock *lookup(struct ls_lock_table *t, uintptr_t addr)
{
	if (!t)
		return NULL;
	struct ls_lock_slot *s = ls_lock_probe(t, addr);
	return s ? atomic_load_explicit(&s->lock, memory_order_relaxed) : NULL;
}

/* Inserts into t, which has room; reuses the first tombstone on the path. */
static void insert_locked(struct ls_lock_table *t, uintptr_t addr, ls_lock *l)
{
	size_t mask = t->capacity - 1;
	size_t i = ls_lock_slot_index(t, addr);
	while (1) {
		uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
		if (k == 0 || k == LS_LOCK_TOMBSTONE) {
			if (k == 0)
				t->used++;
			t->live++;
			atomic_store_explicit(&t->slots[i].lock, l, memory_order_relaxed);
			atomic_store_explicit(&t->slots[i].key, addr, memory_order_release);
			return;
		}
		i = (i + 1) & mask;
	}
}

static struct ls_lock_table *rehash_locked(struct ls_lock_table *old)
{
	size_t live = old ? old->live : 0;
	size_t capacity = MIN_CAPACITY;
	while (capacity < (live + 1) * 4)
		capacity *= 2;
	struct ls_lock_table *t = table_new(capacity);
	if (!t)
		return NULL;
	for (size_t i = 0; old && i < old->capacity; i++) {
		uintptr_t k = atomic_load_explicit(&old->slots[i].key, memory_order_relaxed);
		if (k > LS_LOCK_TOMBSTONE)
			insert_locked(t, k, atomic_load_explicit(&old->slots[i].lock, memory_order_relaxed));
	}
	atomic_store_explicit(&ls_lock_table_current, t, memory_order_release);
	return t;
}

static ls_lock *new_record(uintptr_t addr, enum ls_lock_kind kind)
{
	ls_lock *l = retired;
	if (l) {
		retired = l->next_dead;
		memset(l, 0, sizeof *l);
	} else if (!(l = ls_arena_alloc(sizeof *l))) {
		return NULL;
	}
	l->addr = addr;
	l->kind = (uint8_t)kind;
	l->id = atomic_fetch_add(&next_lock_id, 1);
	atomic_store_explicit(&l->blame_word, ls_lock_blame_word_start, memory_order_relaxed);
	atomic_store_explicit(&l->live_id, l->id, memory_order_relaxed);
	return l;
}

ls_lock *ls_lock_create(uintptr_t addr, enum ls_lock_kind kind)
{
	ls_lock *l;
	ls_spin_lock(&table_lock);
	struct ls_lock_table *t = atomic_load_explicit(&ls_lock_table_current, memory_order_relaxed);
	l = lookup(t, addr);
	if (!l) {
		if (!t || (t->used + 1) * 4 > t->capacity * 3)
			t = rehash_locked(t);
		if (t && (l = new_record(addr, kind))) {
			insert_locked(t, addr, l);
			atomic_fetch_add_explicit(&page_filter[page_slot(addr)], 1, memory_order_relaxed);
		}
	}
	ls_spin_unlock(&table_lock);
	return l;
}

static ls_lock *forget_locked(uintptr_t addr)
{
	struct ls_lock_table *t = atomic_load_explicit(&ls_lock_table_current, memory_order_relaxed);
	struct ls_lock_slot *s = t ? ls_lock_probe(t, addr) : NULL;
	if (!s)
		return NULL;
	ls_lock *l = atomic_load_explicit(&s->lock, memory_order_relaxed);
	atomic_store_explicit(&s->key, LS_LOCK_TOMBSTONE, memory_order_release);
	t->live--;
	atomic_fetch_sub_explicit(&page_filter[page_slot(addr)], 1, memory_order_relaxed);
	l->dead = true;
	atomic_store_explicit(&l->live_id, 0, memory_order_relaxed);
	return l;
}

ls_lock *ls_lock_forget(uintptr_t addr)
{
	ls_spin_lock(&table_lock);
	ls_lock *l = forget_locked(addr);
	ls_spin_unlock(&table_lock);
	return l;
}

/* A large block (a 64 MB buffer: 16384 pages) would take a probe per page; past
 * the table's capacity in pages, scanning the table (what
 * ls_lock_forget_range does for such a block) is the cheaper exact answer. */
bool ls_lock_range_maybe_tracked(uintptr_t start, size_t len)
{
	if (len == 0)
		return false;
	uintptr_t first = start >> PAGE_SHIFT, last = (start + len - 1) >> PAGE_SHIFT;
	struct ls_lock_table *t = atomic_load_explicit(&ls_lock_table_current, memory_order_relaxed);
	if (t && last - first >= t->capacity)
		return ls_lock_live_count() > 0;
	for (uintptr_t p = first; p <= last; p++)
		if (atomic_load_explicit(&page_filter[page_slot(p << PAGE_SHIFT)], memory_order_relaxed))
			return true;
	return false;
}

/* Collects up to max locks in [start, start+len): by probing each 4-byte
 * aligned address (spinlocks are ints) when the range is small, by scanning
 * the table when it is large. */
static size_t collect_range_locked(uintptr_t start, size_t len, ls_lock **found, size_t max)
{
	struct ls_lock_table *t = atomic_load_explicit(&ls_lock_table_current, memory_order_relaxed);
	size_t n = 0;
	if (!t)
		return 0;
	if (len / 4 < t->capacity) {
		for (uintptr_t a = (start + 3) & ~(uintptr_t)3; a - start < len && n < max; a += 4)
			if (ls_lock_probe(t, a))
				found[n++] = forget_locked(a);
		return n;
	}
	for (size_t i = 0; i < t->capacity && n < max; i++) {
		uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
		if (k > LS_LOCK_TOMBSTONE && k >= start && k - start < len)
			found[n++] = forget_locked(k);
	}
	return n;
}

size_t ls_lock_forget_range(uintptr_t start, size_t len, void (*on_forget)(ls_lock *))
{
	ls_lock *found[64];
	size_t total = 0, n;
	/* Report outside the table lock: on_forget takes other core locks. */
	do {
		ls_spin_lock(&table_lock);
		n = collect_range_locked(start, len, found, LS_ARRAY_SIZE(found));
		ls_spin_unlock(&table_lock);
		for (size_t i = 0; i < n; i++)
			if (on_forget)
				on_forget(found[i]);
		total += n;
	} while (n == LS_ARRAY_SIZE(found));
	return total;
}

void ls_lock_retire(ls_lock *l)
{
	ls_spin_lock(&table_lock);
	l->next_dead = retired;
	retired = l;
	ls_spin_unlock(&table_lock);
}

void ls_lock_retire_keeping_stats(ls_lock *l)
{
	if (!atomic_load_explicit(&l->contended, memory_order_relaxed) &&
	    atomic_load_explicit(&l->acquisitions, memory_order_relaxed) < LS_KEPT_MIN_ACQUISITIONS) {
		ls_lock_retire(l);
		return;
	}
	ls_spin_lock(&table_lock);
	bool keep = n_kept_dead < LS_KEPT_DEAD_LOCKS;
	if (keep) {
		l->next_dead = kept_dead;
		kept_dead = l;
		n_kept_dead++;
	} else {
		l->next_dead = retired;
		retired = l;
	}
	ls_spin_unlock(&table_lock);
}

void ls_lock_add_acquisitions(ls_lock *l, uint64_t id, uint64_t n)
{
	/* Records are recycled under table_lock: holding it, the id check
	 * cannot be overtaken by a new life. */
	ls_spin_lock(&table_lock);
	if (l->id == id)
		atomic_fetch_add_explicit(&l->acquisitions, n, memory_order_relaxed);
	ls_spin_unlock(&table_lock);
}

void ls_lock_foreach_kept_dead(void (*fn)(ls_lock *, void *), void *ctx)
{
	ls_spin_lock(&table_lock);
	ls_lock *head = kept_dead;
	ls_spin_unlock(&table_lock);
	/* The list only grows at its head: walking from a snapshot is safe. */
	for (ls_lock *l = head; l; l = l->next_dead)
		fn(l, ctx);
}

size_t ls_lock_live_count(void)
{
	struct ls_lock_table *t = atomic_load(&ls_lock_table_current);
	return t ? t->live : 0;
}

void ls_lock_foreach(void (*fn)(ls_lock *, void *), void *ctx)
{
	struct ls_lock_table *t = atomic_load(&ls_lock_table_current);
	for (size_t i = 0; t && i < t->capacity; i++) {
		uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
		if (k > LS_LOCK_TOMBSTONE)
			fn(atomic_load_explicit(&t->slots[i].lock, memory_order_relaxed), ctx);
	}
}

const char *ls_lock_kind_name(int kind)
{
	static const char *const names[] = { "mutex", "rwlock", "spinlock", "mtx", "semaphore", "once", "barrier" };
	_Static_assert(LS_ARRAY_SIZE(names) == LS_KIND_COUNT, "a name per kind");
	return kind >= 0 && kind < LS_KIND_COUNT ? names[kind] : "lock";
}

void ls_lock_table_atfork_prepare(void) { ls_spin_lock(&table_lock); }
void ls_lock_table_atfork_parent(void) { ls_spin_unlock(&table_lock); }
void ls_lock_table_atfork_child(void) { ls_spin_reset(&table_lock); }
