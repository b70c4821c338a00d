/* pyframes.h — the Python frames of a CPython process, read without its help.
 *
 * Contract: an ls_py_interp describes one CPython interpreter, in this
 * process (ls_py_self, found at start-up with dlsym) or in another one
 * (ls_py_interp_open with addresses the caller found in the target's symbol
 * tables).  Everything after opening reads the process's memory with
 * fault-proof reads only (pymemory.h): no GIL, no call into the
 * interpreter, no allocation, bounded loops, so it is async-signal-safe and
 * a half-built frame, a freed code object or a corrupt chain yields fewer
 * frames, never a crash.  Supported: CPython 3.11 and 3.12 (built-in
 * layouts) and 3.13, 3.14 (the interpreter's published debug offsets), on
 * x86-64 GIL builds; anything else is reported as such in `note`.
 *
 * A thread's Python frames come innermost first, split into runs: each run
 * is what one native _PyEval_EvalFrameDefault frame executes, and its last
 * frame carries LS_PY_FRAME_ENTRY.  ls_py_merge puts them in a native stack
 * in place of the evaluation loop's frames, as 64-bit words with bit 63 set
 * (never a user-space address) that the caller chooses: raw (code object,
 * instruction) pairs from a signal handler, or ids of interned locations.
 */
#ifndef LOCKSCOPE_PY_FRAMES_H
#define LOCKSCOPE_PY_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "python/pylayout.h"

enum ls_py_status {
	LS_PY_ABSENT,        /* not a CPython process */
	LS_PY_SUPPORTED,     /* Python frames are read */
	LS_PY_UNSUPPORTED,   /* CPython, but a version or build this code cannot read */
};

typedef struct ls_py_interp {
	pid_t pid;                      /* 0: this process (its pid read at each use: fork) */
	enum ls_py_status status;
	uint32_t version;               /* PY_VERSION_HEX, 0 when unknown */
	uint64_t runtime;               /* &_PyRuntime */
	uint64_t code_type;             /* &PyCode_Type, 0 when unknown (then not checked) */
	uint64_t eval_start, eval_end;  /* _PyEval_EvalFrameDefault's code */
	ls_py_layout layout;
	char note[160];                 /* one line about the interpreter, "" when absent */
} ls_py_interp;

/* Opens the interpreter of process pid (0: this one) from the addresses of
 * Py_Version, _PyRuntime, PyCode_Type and the range of
 * _PyEval_EvalFrameDefault (0 for those not found).  Reads the version and
 * chooses the layout; returns ip->status. */
enum ls_py_status ls_py_interp_open(ls_py_interp *ip, pid_t pid, uint64_t py_version, uint64_t runtime,
				    uint64_t code_type, uint64_t eval_start, uint64_t eval_size);

/* This process's interpreter, set up by ls_py_self_init (call it once at
 * start-up, outside any signal handler or lock path: it uses dlsym).  NULL
 * before that; ->status says whether frames can be read. */
const ls_py_interp *ls_py_self(void);
void ls_py_self_init(void);

static inline bool ls_py_is_eval_pc(const ls_py_interp *ip, uint64_t pc)
{
	return pc - ip->eval_start < ip->eval_end - ip->eval_start;
}

#define LS_PY_FRAME_ENTRY 1u      /* the last frame of a run */

typedef struct ls_py_raw_frame {
	uint64_t code;                  /* the code object (0: an empty run) */
	int32_t lasti;                  /* instruction index in code units */
	uint32_t flags;
} ls_py_raw_frame;

/* Reads the Python frames of the thread whose native id is tid (0: the
 * calling thread, this process only) into out[0..max), innermost first.
 * Returns how many; 0 when the thread runs no Python or nothing could be
 * read.  Frames still being set up are left out. */
size_t ls_py_thread_frames(const ls_py_interp *ip, pid_t tid, ls_py_raw_frame *out, size_t max);

/* A source location. */
typedef struct ls_py_location {
	char function[128];             /* co_qualname, UTF-8, truncated */
	char file[256];                 /* co_filename */
	int line;                       /* 0 when the code has no line there */
} ls_py_location;

/* Identifies a code object without its strings: what a cache may key on
 * (a code object freed and another built at its address has other
 * names, table and first line). */
typedef struct ls_py_code_key {
	uint64_t code, qualname, filename, linetable;
	int32_t firstlineno, lasti;
} ls_py_code_key;

/* Reads the code object's header: fills *key, and tells whether it still
 * looks like a code object.  false when it cannot be read. */
bool ls_py_code_key_read(const ls_py_interp *ip, uint64_t code, int32_t lasti, ls_py_code_key *key);
/* Resolves a frame to function, file and line. */
bool ls_py_resolve(const ls_py_interp *ip, uint64_t code, int32_t lasti, ls_py_location *out);
/* The same from a key already read. */
bool ls_py_resolve_key(const ls_py_interp *ip, const ls_py_code_key *key, ls_py_location *out);

/* ---- words in a native stack ------------------------------------------- */

#define LS_PY_WORD_TAG (1ull << 63)
#define LS_PY_WORD_RAW (1ull << 62)
#define LS_PY_RAW_LASTI_BITS 18
#define LS_PY_RAW_LASTI_MAX ((1u << LS_PY_RAW_LASTI_BITS) - 1)

static inline bool ls_py_word_is_python(uint64_t w) { return (w & LS_PY_WORD_TAG) != 0; }
static inline bool ls_py_word_is_raw(uint64_t w) { return (w & (LS_PY_WORD_TAG | LS_PY_WORD_RAW)) == (LS_PY_WORD_TAG | LS_PY_WORD_RAW); }

/* A raw word: the code object (8-byte aligned, below 2^47) and the
 * instruction index (clamped to LS_PY_RAW_LASTI_MAX). */
static inline uint64_t ls_py_raw_word(uint64_t code, int32_t lasti)
{
	uint64_t i = lasti < 0 ? 0 : (uint64_t)lasti > LS_PY_RAW_LASTI_MAX ? LS_PY_RAW_LASTI_MAX : (uint64_t)lasti;
	return LS_PY_WORD_TAG | LS_PY_WORD_RAW | (code >> 3) << LS_PY_RAW_LASTI_BITS | i;
}

static inline void ls_py_raw_word_decode(uint64_t w, uint64_t *code, int32_t *lasti)
{
	*lasti = (int32_t)(w & LS_PY_RAW_LASTI_MAX);
	*code = ((w & ~(LS_PY_WORD_TAG | LS_PY_WORD_RAW)) >> LS_PY_RAW_LASTI_BITS) << 3;
}

/* Makes the word for one Python frame (0: leave the frame out). */
typedef uint64_t (*ls_py_word_fn)(const ls_py_raw_frame *frame, void *ctx);

/* Writes native stack pcs[0..n) into out[0..max), each evaluation-loop
 * frame replaced by the words of the run of Python frames it executes
 * (py[0..npy) as ls_py_thread_frames gave them).  An evaluation-loop frame
 * without a run stays as it is.  Returns the number of words written. */
size_t ls_py_merge(const ls_py_interp *ip, const uint64_t *pcs, size_t n, const ls_py_raw_frame *py, size_t npy,
		   ls_py_word_fn word, void *ctx, uint64_t *out, size_t max);

/* ---- argument count of the current call -------------------------------- */

/* For the calling thread, when it executes Python: the number of arguments
 * of the call its innermost Python frame is making (the oparg of CALL and
 * its specialized forms; 0 for the `with` statement's __enter__), so that
 * `with lock:` and `lock.acquire()` give 0 and `lock.acquire(False)` or
 * `acquire(timeout=1)` give 1.  -1 when the thread runs no Python, the
 * instruction is not a call, the version is not 3.11 or 3.12, or anything
 * cannot be read.  A few fault-proof reads; not for signal handlers (it
 * would work, but is not meant for them). */
int ls_py_current_call_argc(void);

#endif
