/* stack_depot.h — deduplicated storage of captured stacks, and stack capture.
 *
 * Contract: a stack is an array of program counters (frame 0 the innermost
 * pc, the others return addresses).  ls_depot_put stores it once and returns
 * a small non-zero id that stays valid for the life of the process (and of
 * forked children); 0 means "no stack".  Lookups by id and puts are
 * thread-safe; puts serialize on an internal spinlock (they happen only when
 * something new is seen).  Capture uses libunwind and drops the frames that
 * belong to the module containing lockscope itself, so stacks start in the
 * program.  The site table maps a call site (the return address into the
 * program of a lock call) to the first stack seen there.
 */
#ifndef LOCKSCOPE_STACK_DEPOT_H
#define LOCKSCOPE_STACK_DEPOT_H

#include <stddef.h>
#include <stdint.h>

#define LS_MAX_STACK_DEPTH 128

uint32_t ls_depot_put(const uint64_t *pcs, size_t n);
/* Returns the number of frames and points *pcs at them (0 for an unknown id). */
size_t ls_depot_get(uint32_t id, const uint64_t **pcs);
size_t ls_depot_count(void);

/* Captures the caller's stack, without lockscope's own frames, at most
 * `max` frames. */
size_t ls_capture_stack(uint64_t *pcs, size_t max);
/* Captures and stores in one step; returns the depot id (0 if empty). */
uint32_t ls_capture_to_depot(size_t max_depth);
/* Marks [start, end) as lockscope's own code (frames there are dropped). */
void ls_depot_set_self_range(uintptr_t start, uintptr_t end);
/* Marks [start, end) as code of a library lockscope uses privately
 * (libunwind): lock calls made from there are not the program's. */
void ls_depot_set_private_range(uintptr_t start, uintptr_t end);
static inline int ls_site_is_private(uintptr_t site)
{
	extern uintptr_t ls_private_start __attribute__((visibility("hidden")));
	extern uintptr_t ls_private_end __attribute__((visibility("hidden")));
	return site - ls_private_start < ls_private_end - ls_private_start;
}

/* The site table: the depot id of the first stack captured at call site
 * `return_address`, capturing it now if the site is new. */
uint32_t ls_site_stack(uintptr_t return_address, size_t max_depth);

void ls_depot_atfork_prepare(void);
void ls_depot_atfork_parent(void);
void ls_depot_atfork_child(void);

#endif
