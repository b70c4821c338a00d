/* pysymbols.h — the CPython interpreter of the process a symbolizer reads.
 *
 * Contract: finds CPython's symbols (Py_Version, _PyRuntime, PyCode_Type,
 * _PyEval_EvalFrameDefault with its size) in the symbol tables of the
 * symbolizer's modules, once, and opens that interpreter (python/pyframes.h)
 * reading the process's memory by its pid; in this process the shim's own
 * ls_py_self is used.  Resolves Python words (core/py_stack.h) of another
 * process: raw words through its interpreter, interned words through the
 * location table of the shim loaded there (its ls_pyloc_table symbol).
 * Same threading rules as the symbolizer (not thread-safe, not for signal
 * handlers).
 */
#ifndef LOCKSCOPE_PYSYMBOLS_H
#define LOCKSCOPE_PYSYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "python/pyframes.h"
#include "symbols/symbolize.h"

struct ls_symbolizer_python;

/* The interpreter of the symbolizer's process (->status says whether its
 * frames can be read), or NULL when it has none or its memory cannot be
 * read (no pid). */
const ls_py_interp *ls_symbolizer_python(ls_symbolizer *s);

/* Resolves a Python word of the symbolizer's process (not this one). */
bool ls_symbolize_remote_python(ls_symbolizer *s, uint64_t word, ls_py_location *out);

struct Dwfl;

/* Looks names[0..n) up in the symbol tables (.symtab, else .dynsym) of
 * the modules that may hold CPython or the shim (the executable, and those
 * named *python* or *lockscope*): addr[i] and size[i] of the first
 * definition of each, 0 when not found.  Returns how many were found. */
size_t ls_dwfl_find_symbols(struct Dwfl *dwfl, pid_t pid, const char *const *names, size_t n, uint64_t *addr,
			    uint64_t *size);

/* Opens the interpreter of process pid (not this one) whose modules dwfl
 * reported; *pyloc_table (optional) gets the shim's location table there,
 * 0 when the shim is not loaded. */
enum ls_py_status ls_py_interp_open_dwfl(ls_py_interp *ip, struct Dwfl *dwfl, pid_t pid, uint64_t *pyloc_table);

/* Makes the symbolizer use an interpreter already opened for its process
 * (saves finding the symbols twice). */
void ls_symbolizer_set_python(ls_symbolizer *s, const ls_py_interp *ip);

void ls_symbolizer_python_free(struct ls_symbolizer_python *p);

#endif
