/* arena.h — the shim's private memory allocator.
 *
 * Contract: memory comes from mmap, never from the host's malloc, so the
 * shim works inside any allocator (including ones that lock pthread
 * mutexes) and in a child after fork.  Blocks are zeroed; a block whose size
 * is a multiple of 64 starts on a cache line.  Freed blocks of a size class
 * are reused for that class.  Thread-safe through an internal
 * spinlock; not async-signal-safe.  ls_arena_atfork_* keep it consistent
 * across fork.
 */
#ifndef LOCKSCOPE_ARENA_H
#define LOCKSCOPE_ARENA_H

#include <stddef.h>

void *ls_arena_alloc(size_t size);
void ls_arena_free(void *p, size_t size);
/* Grows an array of elem_size elements from old_count to new_count (copying). */
void *ls_arena_grow(void *p, size_t elem_size, size_t old_count, size_t new_count);
size_t ls_arena_mapped_bytes(void);

void ls_arena_atfork_prepare(void);
void ls_arena_atfork_parent(void);
void ls_arena_atfork_child(void);

#endif
