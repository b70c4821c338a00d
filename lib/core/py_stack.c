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

/* The interned word of a frame whose code object's key was read: from
 * the cache, or by reading its strings and line once. */
static uint64_t interned_word(const ls_py_interp *ip, const ls_py_code_key *key)
{
	uint64_t h = hash_code_key(key);
	ls_spin_lock(&table_lock);
	uint32_t id = cached_code_locked(key, h);
	ls_spin_unlock(&table_lock);
	if (id)
		return LS_PY_WORD_TAG | id;
	ls_py_location loc;
	memset(&loc, 0, sizeof loc);
	if (!ls_py_resolve_key(ip, key, &loc))
		return 0;
	ls_spin_lock(&table_lock);
	id = intern_locked(&loc);
	struct code_entry *e = id && !cached_code_locked(key, h) ? ls_arena_alloc(sizeof *e) : NULL;
	if (e) {
		e->key = *key;
		e->id = id;
		e->next = code_buckets[h % BUCKETS];
		code_buckets[h % BUCKETS] = e;
	}
	ls_spin_unlock(&table_lock);
	return id ? LS_PY_WORD_TAG | id : 0;
}

/* Words made before the merge, one per Python frame (ls_py_word_fn). */
struct made_words {
	const ls_py_raw_frame *frames;
	const uint64_t *words;
};

static uint64_t made_word(const ls_py_raw_frame *f, void *ctx)
{
	const struct made_words *m = ctx;
	return m->words[f - m->frames];
}

static const ls_py_interp *active_interp(void)
{
	const ls_py_interp *ip = ls_py_self();
	return ip && ip->status == LS_PY_SUPPORTED ? ip : NULL;
}

/* The index of the first evaluation-loop frame of pcs, n when none. */
static size_t first_eval_frame(const ls_py_interp *ip, const uint64_t *pcs, size_t n)
{
	for (size_t i = 0; ip && i < n; i++)
		if (ls_py_is_eval_pc(ip, i ? pcs[i] - 1 : pcs[i]))
			return i;
	return n;
}

/* The calling thread's Python frames when pcs has evaluation-loop frames,
 * at most as many as can show in a stack of max words; 0 otherwise. */
static size_t thread_frames(const ls_py_interp *ip, const uint64_t *pcs, size_t n, size_t max, ls_py_raw_frame *py)
{
	size_t first = first_eval_frame(ip, pcs, n);
	size_t room = first < n && max > first ? max - first : 0;
	return room ? ls_py_thread_frames(ip, 0, py, room < MAX_MERGE ? room : MAX_MERGE) : 0;
}

static size_t merge_words(const ls_py_interp *ip, uint64_t *pcs, size_t n, size_t max, const ls_py_raw_frame *py,
			  size_t npy, ls_py_word_fn word, void *ctx)
{
	uint64_t out[MAX_MERGE];
	size_t k = ls_py_merge(ip, pcs, n, py, npy, word, ctx, out, NULL, max < MAX_MERGE ? max : MAX_MERGE);
	memcpy(pcs, out, k * sizeof *out);
	return k;
}

size_t ls_pystack_merge(uint64_t *pcs, size_t n, size_t max)
{
	const ls_py_interp *ip = active_interp();
	ls_py_raw_frame py[MAX_MERGE];
	size_t npy = thread_frames(ip, pcs, n, max, py);
	if (!npy)
		return n;
	/* the code objects' headers in a few reads, then one cache lookup
	 * per frame; strings are read only for frames not seen before */
	ls_py_code_key keys[MAX_MERGE];
	bool ok[MAX_MERGE];
	uint64_t words[MAX_MERGE];
	memset(keys, 0, npy * sizeof *keys);
	ls_py_code_keys_read(ip, py, npy, keys, ok);
	for (size_t i = 0; i < npy; i++)
		words[i] = ok[i] ? interned_word(ip, &keys[i]) : 0;
	struct made_words made = { py, words };
	return merge_words(ip, pcs, n, max, py, npy, made_word, &made);
}

bool ls_pystack_current(ls_py_location *out)
{
	const ls_py_interp *ip = active_interp();
	ls_py_raw_frame f;
	ls_py_code_key key;
	bool ok = false;
	if (!ip || ls_py_thread_frames(ip, 0, &f, 1) != 1 || !f.code)
		return false;
	memset(&key, 0, sizeof key);
	ls_py_code_keys_read(ip, &f, 1, &key, &ok);
	const ls_py_location *loc = ok ? ls_pystack_location(interned_word(ip, &key)) : NULL;
	if (loc)
		*out = *loc;
	return loc != NULL;
}

size_t ls_pystack_merge_raw(uint64_t *pcs, size_t n, size_t max)
{
	const ls_py_interp *ip = active_interp();
	ls_py_raw_frame py[MAX_MERGE];
	size_t npy = thread_frames(ip, pcs, n, max, py);
	return npy ? merge_words(ip, pcs, n, max, py, npy, ls_py_raw_word_of, NULL) : n;
}

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

/* A call site in Python is the native return address and the whole Python
 * chain that led there (code object and instruction of every frame, up to
 * LS_PY_SITE_FRAMES): keyed by the innermost frame alone, every lock that
 * threading.py's Condition.wait or Thread._bootstrap_inner makes would share
 * the first stack seen there, whoever called them. */
#define LS_PY_SITE_FRAMES 32
uintptr_t ls_pystack_site_key(uintptr_t return_address)
{
	const ls_py_interp *ip = ls_py_self();
	if (!ip || ip->status != LS_PY_SUPPORTED)
		return return_address;
	ls_py_raw_frame f[LS_PY_SITE_FRAMES];
	size_t n = ls_py_thread_frames(ip, 0, f, LS_PY_SITE_FRAMES);
	if (n == 0 || !f[0].code)
		return return_address;
	uint64_t h = ls_hash64(return_address);
	for (size_t i = 0; i < n; i++)
		h = ls_hash64(h ^ f[i].code ^ (uint64_t)(uint32_t)f[i].lasti << 48);
	return (uintptr_t)(h | 1ull << 63);
}

void ls_pystack_atfork_prepare(void) { ls_spin_lock(&table_lock); }
void ls_pystack_atfork_parent(void) { ls_spin_unlock(&table_lock); }
void ls_pystack_atfork_child(void) { ls_spin_reset(&table_lock); }
