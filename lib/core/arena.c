#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"

/* Small blocks are carved from 1 MiB chunks in 16-byte classes up to 4 KiB;
 * larger blocks are their own mapping. */
#define CHUNK_SIZE (1u << 20)
#define CLASS_GRANULE 16u
#define MAX_CLASS_SIZE 4096u
#define N_CLASSES (MAX_CLASS_SIZE / CLASS_GRANULE)

struct free_block { struct free_block *next; };

static ls_spinlock arena_lock = LS_SPINLOCK_INIT;
static char *chunk_cursor, *chunk_end;
static struct free_block *free_lists[N_CLASSES + 1];
static size_t mapped_bytes;

static void *map_pages(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mapped_bytes += size;
	return p;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* Where a block of `size` bytes would start in the current chunk: a block
 * of whole cache lines starts on one (see arena.h). */
static uintptr_t block_start(size_t size)
{
	uintptr_t cursor = (uintptr_t)chunk_cursor;
	return size % LS_CACHE_LINE == 0 ? round_up(cursor, LS_CACHE_LINE) : cursor;
}

static void *carve(size_t size)
{
	if (block_start(size) + size > (uintptr_t)chunk_end) {
		char *c = map_pages(CHUNK_SIZE); /* page-aligned */
		if (!c)
			return NULL;
		chunk_cursor = c;
		chunk_end = c + CHUNK_SIZE;
	}
	char *p = (char *)block_start(size);
	chunk_cursor = p + size;
	return p;
}

void *ls_arena_alloc(size_t size)
{
	if (size == 0)
		size = 1;
	if (size > MAX_CLASS_SIZE) {
		ls_spin_lock(&arena_lock);
		void *big = map_pages(round_up(size, 4096));
		ls_spin_unlock(&arena_lock);
		return big;
	}
	size = round_up(size, CLASS_GRANULE);
	size_t cls = size / CLASS_GRANULE;
	ls_spin_lock(&arena_lock);
	void *p = free_lists[cls];
	if (p)
		free_lists[cls] = free_lists[cls]->next;
	else
		p = carve(size);
	ls_spin_unlock(&arena_lock);
	if (p)
		memset(p, 0, size);
	return p;
}

void ls_arena_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size == 0)
		size = 1;
	if (size > MAX_CLASS_SIZE) {
		size = round_up(size, 4096);
		munmap(p, size);
		ls_spin_lock(&arena_lock);
		mapped_bytes -= size;
		ls_spin_unlock(&arena_lock);
		return;
	}
	size_t cls = round_up(size, CLASS_GRANULE) / CLASS_GRANULE;
	struct free_block *b = p;
	ls_spin_lock(&arena_lock);
	b->next = free_lists[cls];
	free_lists[cls] = b;
	ls_spin_unlock(&arena_lock);
}

void *ls_arena_grow(void *p, size_t elem_size, size_t old_count, size_t new_count)
{
	void *n = ls_arena_alloc(elem_size * new_count);
	if (!n)
		return NULL;
	if (p) {
		memcpy(n, p, elem_size * old_count);
		ls_arena_free(p, elem_size * old_count);
	}
	return n;
}

size_t ls_arena_mapped_bytes(void) { return mapped_bytes; }

void ls_arena_atfork_prepare(void) { ls_spin_lock(&arena_lock); }
void ls_arena_atfork_parent(void) { ls_spin_unlock(&arena_lock); }
void ls_arena_atfork_child(void) { ls_spin_reset(&arena_lock); }
