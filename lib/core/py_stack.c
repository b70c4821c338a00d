/* py_stack.c — Python frames in captured stacks (py_stack.h). */
#include "config.h"

#include <string.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/stack_depot.h"

#define MAX_MERGE 160  /* LS_MAX_STACK_DEPTH and some: bounded for signal stacks */
#define BUCKETS 4096

/* A location, by content: one id per distinct (function, file, line). */
struct loc_entry {
	struct loc_entry *next;
	uint64_t hash;
	uint32_t id;
};

/* What a code object and instruction resolved to, so the same frame seen
 * again costs one read (its header) and no string reads. */
struct code_entry {
	struct code_entry *next;
	ls_py_code_key key;
	uint32_t id;
};

LS_HIDDEN ls_pyloc_root ls_pyloc_table = { .magic = LS_PYLOC_MAGIC, .record_size = sizeof(ls_py_location) };
static ls_spinlock table_lock = LS_SPINLOCK_INIT;
static struct loc_entry *loc_buckets[BUCKETS];
static struct code_entry *code_buckets[BUCKETS];

bool ls_pystack_active(void)
{
	const ls_py_interp *ip = ls_py_self();
	return ip && ip->status == LS_PY_SUPPORTED;
}

static const ls_py_location *record(uint64_t id)
{
	if (id == 0 || id > atomic_load_explicit(&ls_pyloc_table.count, memory_order_acquire))
		return NULL;
	ls_py_location *page = atomic_load_explicit(&ls_pyloc_table.pages[(id - 1) / LS_PYLOC_PAGE], memory_order_acquire);
	return page ? &page[(id - 1) % LS_PYLOC_PAGE] : NULL;
}

const ls_py_location *ls_pystack_location(uint64_t word)
{
	if (!ls_py_word_is_python(word) || ls_py_word_is_raw(word))
		return NULL;
	return record(word & 0xffffffffu);
}

static uint64_t hash_location(const ls_py_location *loc)
{
	uint64_t h = ls_hash64((uint64_t)(uint32_t)loc->line);
	for (const char *p = loc->function; *p; p++)
		h = ls_hash64(h ^ (unsigned char)*p);
	for (const char *p = loc->file; *p; p++)
		h = ls_hash64(h ^ (unsigned char)*p);
	return h;
}

static uint64_t hash_code_key(const ls_py_code_key *k)
{
	return ls_hash64(k->code ^ ls_hash64(k->qualname ^ ls_hash64(k->filename ^ ls_hash64(k->linetable ^
	       ((uint64_t)(uint32_t)k->firstlineno << 32 | (uint32_t)k->lasti)))));
}

static uint32_t find_location_locked(const ls_py_location *loc, uint64_t h)
{
	for (struct loc_entry *e = loc_buckets[h % BUCKETS]; e; e = e->next) {
		const ls_py_location *r = record(e->id);
		if (e->hash == h && r && r->line == loc->line && !strcmp(r->function, loc->function) &&
		    !strcmp(r->file, loc->file))
			return e->id;
	}
	return 0;
}

static uint32_t intern_locked(const ls_py_location *loc)
{
	uint64_t h = hash_location(loc);
	uint32_t id = find_location_locked(loc, h);
	if (id)
		return id;
	uint64_t next = atomic_load_explicit(&ls_pyloc_table.count, memory_order_relaxed) + 1;
	size_t page = (next - 1) / LS_PYLOC_PAGE;
	if (page >= LS_PYLOC_PAGES)
		return 0;
	ls_py_location *slots = atomic_load_explicit(&ls_pyloc_table.pages[page], memory_order_relaxed);
	if (!slots) {
		slots = ls_arena_alloc(LS_PYLOC_PAGE * sizeof *slots);
		if (!slots)
			return 0;
		atomic_store_explicit(&ls_pyloc_table.pages[page], slots, memory_order_release);
	}
	struct loc_entry *e = ls_arena_alloc(sizeof *e);
	if (!e)
		return 0;
	slots[(next - 1) % LS_PYLOC_PAGE] = *loc;
	atomic_store_explicit(&ls_pyloc_table.count, next, memory_order_release);
	e->hash = h;
	e->id = (uint32_t)next;
	e->next = loc_buckets[h % BUCKETS];
	loc_buckets[h % BUCKETS] = e;
	return e->id;
}

uint64_t ls_pystack_intern(const ls_py_location *loc)
{
	ls_spin_lock(&table_lock);
	uint32_t id = intern_locked(loc);
	ls_spin_unlock(&table_lock);
	return id ? LS_PY_WORD_TAG | id : 0;
}

static uint32_t cached_code_locked(const ls_py_code_key *k, uint64_t h)
{
	for (struct code_entry *e = code_buckets[h % BUCKETS]; e; e = e->next)
		if (!memcmp(&e->key, k, sizeof *k))
			return e->id;
	return 0;
}

/* The interned word of one frame of this process (ls_py_word_fn). */
static uint64_t interned_word(const ls_py_raw_frame *f, void *ctx)
{
	const ls_py_interp *ip = ctx;
	ls_py_code_key key;
	memset(&key, 0, sizeof key);
	if (!ls_py_code_key_read(ip, f->code, f->lasti, &key))
		return 0;
	uint64_t h = hash_code_key(&key);
	ls_spin_lock(&table_lock);
	uint32_t id = cached_code_locked(&key, h);
	ls_spin_unlock(&table_lock);
	if (id)
		return LS_PY_WORD_TAG | id;
	ls_py_location loc;
	memset(&loc, 0, sizeof loc);
	if (!ls_py_resolve_key(ip, &key, &loc))
		return 0;
	ls_spin_lock(&table_lock);
	id = intern_locked(&loc);
	struct code_entry *e = id && !cached_code_locked(&key, h) ? ls_arena_alloc(sizeof *e) : NULL;
	if (e) {
		e->key = key;
		e->id = id;
		e->next = code_buckets[h % BUCKETS];
		code_buckets[h % BUCKETS] = e;
	}
	ls_spin_unlock(&table_lock);
	return id ? LS_PY_WORD_TAG | id : 0;
}

static bool has_eval_frame(const ls_py_interp *ip, const uint64_t *pcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ls_py_is_eval_pc(ip, i ? pcs[i] - 1 : pcs[i]))
			return true;
	return false;
}

static size_t merge(uint64_t *pcs, size_t n, size_t max, ls_py_word_fn word)
{
	const ls_py_interp *ip = ls_py_self();
	if (!ip || ip->status != LS_PY_SUPPORTED || !has_eval_frame(ip, pcs, n))
		return n;
	if (max > MAX_MERGE)
		max = MAX_MERGE;
	ls_py_raw_frame py[MAX_MERGE];
	size_t npy = ls_py_thread_frames(ip, 0, py, MAX_MERGE);
	if (!npy)
		return n;
	uint64_t out[MAX_MERGE];
	size_t k = ls_py_merge(ip, pcs, n, py, npy, word, (void *)ip, out, NULL, max);
	memcpy(pcs, out, k * sizeof *out);
	return k;
}

size_t ls_pystack_merge(uint64_t *pcs, size_t n, size_t max) { return merge(pcs, n, max, interned_word); }

size_t ls_pystack_merge_raw(uint64_t *pcs, size_t n, size_t max) { return merge(pcs, n, max, ls_py_raw_word_of); }

bool ls_pystack_resolve(uint64_t word, ls_py_location *out)
{
	if (!ls_py_word_is_python(word))
		return false;
	if (!ls_py_word_is_raw(word)) {
		const ls_py_location *loc = ls_pystack_location(word);
		if (loc)
			*out = *loc;
		return loc != NULL;
	}
	uint64_t code;
	int32_t lasti;
	ls_py_raw_word_decode(word, &code, &lasti);
	return ls_py_resolve(ls_py_self(), code, lasti, out);
}

size_t ls_pystack_first_python(const uint64_t *pcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ls_py_word_is_python(pcs[i]))
			return i;
	return 0;
}

uintptr_t ls_pystack_site_key(uintptr_t return_address)
{
	const ls_py_interp *ip = ls_py_self();
	if (!ip || ip->status != LS_PY_SUPPORTED)
		return return_address;
	ls_py_raw_frame f;
	if (ls_py_thread_frames(ip, 0, &f, 1) != 1 || !f.code)
		return return_address;
	return (uintptr_t)(ls_hash64(return_address ^ ls_hash64(f.code ^ (uint64_t)(uint32_t)f.lasti << 48)) |
			   1ull << 63);
}

void ls_pystack_atfork_prepare(void) { ls_spin_lock(&table_lock); }
void ls_pystack_atfork_parent(void) { ls_spin_unlock(&table_lock); }
void ls_pystack_atfork_child(void) { ls_spin_reset(&table_lock); }
