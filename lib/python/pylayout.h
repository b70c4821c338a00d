/* pylayout.h — where CPython keeps what a stack walk reads, per version.
 *
 * Contract: byte offsets into CPython's runtime, interpreter, thread-state,
 * frame, code, str and bytes objects (x86-64, default GIL build).  3.11 and
 * 3.12 come from built-in tables (checked against the interpreters' own
 * headers by tests/check_pylayout); 3.13 and later are parsed from the
 * _Py_DebugOffsets table the interpreter publishes at the start of
 * _PyRuntime, for the versions whose table layout is known (3.13, 3.14),
 * and refused when its values do not look like that layout.  Pure
 * functions, no state: usable anywhere, including signal handlers.
 */
#ifndef LOCKSCOPE_PY_LAYOUT_H
#define LOCKSCOPE_PY_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the opcode at a frame's current instruction means for
 * ls_py_current_call_argc: a call (its oparg counts the arguments), a
 * `with` entry (no arguments), EXTENDED_ARG (a prefix of the oparg). */
enum ls_py_op_kind { LS_PY_OP_OTHER, LS_PY_OP_CALL, LS_PY_OP_WITH, LS_PY_OP_EXTENDED_ARG };

typedef struct ls_py_layout {
	uint32_t version;               /* PY_VERSION_HEX the table was chosen for */
	/* _PyRuntimeState, PyInterpreterState */
	uint32_t runtime_interpreters_head;
	uint32_t interp_next, interp_threads_head;
	/* PyThreadState: the frame is tstate->cframe->current_frame (3.11,
	 * 3.12) or tstate->current_frame (3.13+, tstate_cframe == 0) */
	uint32_t tstate_next, tstate_cframe, cframe_current_frame, tstate_current_frame;
	uint32_t tstate_thread_id, tstate_native_thread_id;
	/* _PyInterpreterFrame */
	uint32_t frame_code, frame_previous, frame_instr, frame_owner;
	int32_t frame_is_entry;         /* 3.11's is_entry flag; -1 when absent */
	bool instr_is_previous;         /* prev_instr (3.11, 3.12) rather than instr_ptr */
	bool code_is_stackref;          /* f_executable is a tagged _PyStackRef (3.14) */
	int8_t owner_cstack;            /* owner of the shim frame each eval call pushes, -1 none */
	int8_t owner_interpreter;       /* owner of 3.14's base frame (skipped), -1 none */
	/* PyCodeObject */
	uint32_t code_type;             /* PyObject.ob_type */
	uint32_t code_filename, code_name, code_qualname, code_linetable, code_firstlineno;
	int32_t code_firsttraceable;    /* -1 when not published */
	uint32_t code_adaptive;         /* co_code_adaptive: the bytecode */
	/* str (PyASCIIObject / PyCompactUnicodeObject) and bytes */
	uint32_t unicode_length, unicode_state, unicode_ascii_size, unicode_compact_size;
	uint32_t bytes_size, bytes_sval;
	/* opcode -> enum ls_py_op_kind, or NULL when argument counts are not
	 * read for this version */
	const uint8_t *op_kind;
} ls_py_layout;

/* The built-in table for a 3.11 or 3.12 hexversion, or NULL. */
const ls_py_layout *ls_py_layout_builtin(uint32_t hexversion);

/* Size of the prefix of _PyRuntime to read for ls_py_layout_parse. */
#define LS_PY_DEBUG_OFFSETS_MAX 1024

/* Parses a _Py_DebugOffsets table (buf: the first len bytes of _PyRuntime).
 * Returns 1 and fills *out for a known, sane layout; 0 when there is no
 * table (no "xdebugpy" cookie: an interpreter older than 3.13); -1 when
 * there is one this code cannot read (unknown version, free-threaded
 * build, values that do not fit), with the version found in *out. */
int ls_py_layout_parse(const void *buf, size_t len, ls_py_layout *out);

/* "3.12" for a hexversion, into buf. */
void ls_py_version_string(uint32_t hexversion, char *buf, size_t len);

#endif
