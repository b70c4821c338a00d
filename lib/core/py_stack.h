/* py_stack.h — Python frames in the stacks the core captures.
 *
 * Contract: in a CPython process whose interpreter lib/python can read
 * (ls_py_self), a captured stack keeps its native pcs except the frames of
 * the evaluation loop (_PyEval_EvalFrameDefault), each replaced by the
 * Python frames it runs, innermost first, as 64-bit words with bit 63 set
 * (python/pyframes.h; never a user-space address):
 *   - ls_pystack_merge, for the capture paths that run in an ordinary
 *     context (new order edges, new call sites, lock initialisation):
 *     "interned" words naming a location (function, file, line) kept in a
 *     table for the life of the process (and of forked children);
 *   - ls_pystack_merge_raw, async-signal-safe, for dump handlers: "raw"
 *     words holding the code object and instruction, resolved later by the
 *     symbolizer (symbols/) or by the crash writer inside its handler.
 * In any other process both leave the stack as it is, after one load.
 * Reads are fault-proof (lib/python); interning allocates from the arena
 * under an internal spinlock, never while reading the interpreter.
 *
 * The location table is laid out for readers in other processes too
 * (`lockscope top`): ls_pyloc_table, a root with a magic and pages of
 * fixed-size records, found by its symbol in the shim.
 */
#ifndef LOCKSCOPE_PY_STACK_H
#define LOCKSCOPE_PY_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "python/pyframes.h"

#define LS_PYLOC_MAGIC 0x31434f4c5950534cULL /* "LSPYLOC1" */
#define LS_PYLOC_PAGE 256                    /* records per page */
#define LS_PYLOC_PAGES 1024                  /* at most 262144 locations */

/* The root of the location table (ids start at 1: id i is record
 * (i-1) % LS_PYLOC_PAGE of page (i-1) / LS_PYLOC_PAGE). */
typedef struct ls_pyloc_root {
	uint64_t magic;
	uint64_t record_size;                /* sizeof(ls_py_location) */
	_Atomic uint64_t count;              /* records published */
	_Atomic(ls_py_location *) pages[LS_PYLOC_PAGES];
} ls_pyloc_root;

/* True when this process runs a CPython whose frames can be read. */
bool ls_pystack_active(void);

/* Replaces the evaluation-loop frames of pcs[0..n) (the calling thread's
 * stack, frame 0 its pc) by interned Python words; at most max words
 * (max <= LS_MAX_STACK_DEPTH of stack_depot.h).  Returns the new count. */
size_t ls_pystack_merge(uint64_t *pcs, size_t n, size_t max);
/* The same with raw words; async-signal-safe; at most 160 words. */
size_t ls_pystack_merge_raw(uint64_t *pcs, size_t n, size_t max);
/* The calling thread's innermost Python frame, through the location
 * cache (a code object seen before costs one read of its header, its
 * strings and line table none).  False when not in Python. */
bool ls_pystack_current(ls_py_location *out);

/* Interns a location; returns its word (0 when the table is full). */
uint64_t ls_pystack_intern(const ls_py_location *loc);
/* The location an interned word names, or NULL (raw or unknown words). */
const ls_py_location *ls_pystack_location(uint64_t word);
/* Resolves any Python word of this process into *out: interned words from
 * the table, raw ones by reading the code object now (async-signal-safe). */
bool ls_pystack_resolve(uint64_t word, ls_py_location *out);

/* The index of the first Python word of a stack, 0 when it has none:
 * where a stack of a Python program says where it is (the native frames
 * above are the interpreter's). */
size_t ls_pystack_first_python(const uint64_t *pcs, size_t n);

/* The key of the site table for a lock call returning to return_address:
 * the address itself, or, when the calling thread runs Python, a value
 * (bit 63 set) that also depends on its innermost Python frame, so each
 * Python line that takes a lock gets its own first stack. */
uintptr_t ls_pystack_site_key(uintptr_t return_address);

void ls_pystack_atfork_prepare(void);
void ls_pystack_atfork_parent(void);
void ls_pystack_atfork_child(void);

#endif
