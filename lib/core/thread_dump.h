/* thread_dump.h — capturing other threads' stacks from inside the process.
 *
 * Contract: a capture signals every registered thread with the reserved
 * real-time signal (rt_tgsigqueueinfo, the value naming a preallocated
 * slot); each thread's handler unwinds its own interrupted context with
 * libunwind into that slot and counts itself done.  The requester waits for
 * all of them with one bounded deadline: a thread with the signal blocked,
 * or stuck, is marked as missed, never waited for forever; a thread found
 * blocking the signal (its SigBlk in /proc, checked for threads that have
 * not answered after a few milliseconds) is not waited for at all.  Capturing,
 * ls_unwind_context, ls_thread_comm, the module table lookup and the raw
 * writer are async-signal-safe (no malloc, no stdio, no locks the program
 * can hold), so a fatal-signal handler may use them.  Growing the slot
 * arrays and refreshing the module table are not (call them from the
 * watchdog thread).  Two independent capture sets exist: one for the
 * watchdog's routine dumps and one reserved for a crash, so a crash in the
 * middle of a routine dump still gets its own stacks.
 */
#ifndef LOCKSCOPE_THREAD_DUMP_H
#define LOCKSCOPE_THREAD_DUMP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/thread_state.h"

#define LS_DUMP_MAX_FRAMES 64

/* BLOCKED: the thread blocks the dump signal (its SigBlk mask says so), so
 * it cannot answer: not waited for, listed without a stack. */
enum ls_dump_slot_state { LS_SLOT_IDLE, LS_SLOT_PENDING, LS_SLOT_RUNNING, LS_SLOT_DONE, LS_SLOT_BLOCKED };

typedef struct ls_dump_slot {
	_Atomic int state;              /* enum ls_dump_slot_state */
	pid_t tid;
	ls_thread_state *thread;        /* NULL for a thread outside the registry */
	uint32_t n;                     /* frames captured (0: missed) */
	uint64_t pcs[LS_DUMP_MAX_FRAMES]; /* pcs[0] the interrupted pc, then return addresses
					   * (or Python words, core/py_stack.h) */
} ls_dump_slot;

enum ls_dump_set { LS_DUMP_ROUTINE, LS_DUMP_CRASH, LS_DUMP_SETS };

/* The result of one capture: slots[0..n) in capture order (the thread that
 * asked first when it captured itself, then the main thread, then the
 * others); `omitted` threads did not fit in the preallocated slots. */
typedef struct ls_dump_result {
	ls_dump_slot **slots;
	size_t n;
	size_t omitted;
	size_t missed;                  /* no stack: did not answer in time, or blocked */
	size_t blocked;                 /* of those, blocking the dump signal */
} ls_dump_result;

/* Installs the handler for `signal` (SA_ONSTACK) and preallocates
 * `capacity` slots per set.  Returns 0 or -1. */
int ls_thread_dump_init(int signal, size_t capacity);
/* Makes room for at least `capacity` threads in every set (not signal-safe). */
void ls_thread_dump_reserve(size_t capacity);
/* Captures every registered thread into `set`.  If self_ucontext is given,
 * the calling thread (self_tid) is unwound from it and listed first; else
 * the caller is skipped when registered.  Async-signal-safe; waits at most
 * timeout_ns for the others. */
void ls_thread_dump_capture(enum ls_dump_set set, void *self_ucontext, pid_t self_tid, uint64_t timeout_ns,
			    ls_dump_result *out);
/* Unwinds a signal context (a ucontext_t *) into pcs.  Async-signal-safe
 * once libunwind has been initialised. */
size_t ls_unwind_context(void *ucontext, uint64_t *pcs, size_t max);
/* The same, with the frames of CPython's evaluation loop replaced by the
 * Python frames they run, as raw words (core/py_stack.h).  What the dump
 * handlers store in their slots.  Async-signal-safe. */
size_t ls_unwind_python_context(void *ucontext, uint64_t *pcs, size_t max);
/* Marks [start, end) as lockscope's own code: dropped from captured stacks
 * unless it is the innermost frame. */
void ls_thread_dump_set_self_range(uintptr_t start, uintptr_t end);
/* After fork: resets the sets (only the forking thread exists). */
void ls_thread_dump_atfork_child(void);

/* /proc/self/task/TID/comm into buf (NUL-terminated, "" when unknown). */
void ls_thread_comm(pid_t tid, char *buf, size_t len);

/* The module table: a snapshot of the loaded objects for a crash handler
 * that cannot ask the loader.  Refresh from a normal context; returns true
 * when the set of loaded objects changed since the last refresh. */
bool ls_module_table_refresh(void);
/* Finds the module containing pc: its path (basename) and load base. */
const char *ls_module_table_find(uint64_t pc, uint64_t *base);
/* The address range [start, end) of the module containing pc. */
bool ls_module_table_extent(uint64_t pc, uint64_t *start, uint64_t *end);

/* Async-signal-safe text output: a small fixed buffer flushed with write(2). */
typedef struct ls_raw_writer {
	int fd;
	size_t len;
	char buf[1024];
} ls_raw_writer;
void ls_raw_str(ls_raw_writer *w, const char *s);
void ls_raw_dec(ls_raw_writer *w, uint64_t v);
void ls_raw_hex(ls_raw_writer *w, uint64_t v, unsigned min_digits);
/* The decimal digits of v at p (at most 20, no NUL); returns their end. */
char *ls_raw_put_dec(char *p, uint64_t v);
void ls_raw_flush(ls_raw_writer *w);
/* "    #N 0xADDR in (module+0xOFF)" for each frame of a slot; a Python
 * frame (core/py_stack.h) as "    #N [python] in FUNCTION FILE:LINE". */
void ls_raw_stack(ls_raw_writer *w, const ls_dump_slot *slot);

#endif
