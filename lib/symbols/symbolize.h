/* symbolize.h — addresses to functions, files, lines and data symbols (libdwfl).
 *
 * Contract: one ls_symbolizer describes one process's address space (this
 * process, another live process, or an existing Dwfl such as the one
 * `lockscope stack` attached with).  Lookups are cached per address, so
 * symbolizing the same address twice costs one hash lookup.  Never uses
 * debuginfod (a hung or dying process must not wait on the network).
 * Compressed debug files are inflated by the symbolizer (debugimage.h):
 * on two threads for another process, on the calling thread only when
 * symbolizing this process (the preload shim never gets extra threads).
 * Not thread-safe: callers serialize.  Not async-signal-safe: never call it
 * from a signal handler.
 */
#ifndef LOCKSCOPE_SYMBOLIZE_H
#define LOCKSCOPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "symbols/frame.h"

typedef struct ls_symbolizer ls_symbolizer;
struct Dwfl;

ls_symbolizer *ls_symbolizer_new_self(void);
ls_symbolizer *ls_symbolizer_new_pid(pid_t pid);
/* Wraps a Dwfl whose modules were already reported (another process's: it
 * may start threads to inflate debug sections); the caller keeps ownership.
 * Until ls_symbolizer_free, each module's libdwfl userdata points to the
 * symbolizer (modules whose userdata the caller set are left alone and
 * get no inflated image). */
ls_symbolizer *ls_symbolizer_new_dwfl(struct Dwfl *dwfl);
/* Adds a module that is no longer mapped (dlclose'd) at its old load base, so
 * that stacks captured while it was loaded still symbolize.  Ignored if it
 * overlaps a module already known. */
void ls_symbolizer_add_module(ls_symbolizer *s, const char *path, uint64_t base);
void ls_symbolizer_free(ls_symbolizer *s);

/* Symbolizes `address`.  A Python word (bit 63 set, core/py_stack.h)
 * becomes one frame of language LS_FRAME_PYTHON (pysymbols.h).
 * `is_return_address`: the address is a return address
 * (every frame but the innermost of a stack), so `address - 1` is looked up.
 * Writes the inline chain innermost first (inlined frames have .inlined set,
 * the last one is the real function) into out[0..max), all sharing
 * `address`; returns how many frames were written (at least 1 when max >= 1;
 * a frame with only module/module_offset when nothing else is known).
 * Strings in `out` are freshly malloc'd: the caller owns them. */
size_t ls_symbolize(ls_symbolizer *s, uint64_t address, bool is_return_address,
		    ls_frame *out, size_t max);

/* Symbolizes a whole captured stack (frame 0 is the pc, the others return
 * addresses) into `out`, appending inline frames.  Returns 0 or -1 (ENOMEM). */
int ls_symbolize_stack(ls_symbolizer *s, const uint64_t *pcs, size_t n, ls_stack *out);

/* Names a data address: "resource_a" or "table+16" when a data (or any) ELF
 * symbol covers it.  Returns a malloc'd string or NULL. */
char *ls_symbolize_data(ls_symbolizer *s, uint64_t address);

/* A Dwfl for a live process (pid) using the symbolizer's local-only debug
 * file lookup (never debuginfod): for callers that attach to a process
 * (dwfl_linux_proc_report / dwfl_linux_proc_attach) and then wrap it with
 * ls_symbolizer_new_dwfl.  NULL on failure; free with dwfl_end. */
struct Dwfl *ls_symbolizer_dwfl_begin(void);

/* With use_dwarf false, lookups use ELF symbol tables only: no file:line,
 * no inlined frames, but no DWARF is read (every compressed debug section
 * of a module is inflated on its first use: about 15 ms for Debian's
 * libc6-dbg with libdeflate on two threads, see debugimage.h).  Default
 * true. */
void ls_symbolizer_use_dwarf(ls_symbolizer *s, bool use_dwarf);

/* Keeps results across runs in the directory `dir` (NULL: the default,
 * $XDG_CACHE_HOME/lockscope; see symcache.h), keyed by each module's build
 * ID: a later run that meets the same addresses of the same binaries reads
 * no DWARF for them.  Modules without a build ID are not cached.  Returns
 * false (and stays without) when the directory cannot be used safely.
 * Call before the first lookup and after ls_symbolizer_use_dwarf. */
bool ls_symbolizer_use_disk_cache(ls_symbolizer *s, const char *dir);
/* Writes the new results; 0, or -1 if some could not be written (they are
 * only lost, never wrong). */
int ls_symbolizer_save_disk_cache(ls_symbolizer *s);
/* Lookups answered from the persistent cache. */
uint64_t ls_symbolizer_disk_hits(const ls_symbolizer *s);

/* What the Python side of the symbolizer (pysymbols.c) reads: the Dwfl,
 * the pid of the process (0 when unknown), whether it is this process,
 * and its own per-symbolizer state (freed with the symbolizer). */
struct Dwfl *ls_symbolizer_get_dwfl(ls_symbolizer *s);
pid_t ls_symbolizer_get_pid(ls_symbolizer *s);
bool ls_symbolizer_is_self(const ls_symbolizer *s);
struct ls_symbolizer_python **ls_symbolizer_python_slot(ls_symbolizer *s);

/* Cache statistics: lookups answered from the cache, and lookups made. */
void ls_symbolizer_cache_stats(const ls_symbolizer *s, uint64_t *hits, uint64_t *misses);

#endif
