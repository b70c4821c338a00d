/* procattach.h — a consistent snapshot of every thread of a live process.
 *
 * Contract: ls_proc_capture() reads each thread's name, blocked system call
 * and, when it is not in one, scheduler state from /proc, then stops EVERY
 * thread (PTRACE_SEIZE + PTRACE_INTERRUPT, no signal is sent), unwinds each
 * one with libdwfl (raw pcs only: symbolizing happens after the target runs
 * again), and detaches.  The target is stopped only between the first
 * interrupt and the last detach; SIGINT, SIGTERM, SIGHUP and SIGQUIT are
 * blocked meanwhile and take effect after the detach, so the target is
 * never left stopped or killed.  A process that was already stopped
 * (SIGSTOP) stays stopped.  Threads that exit mid-capture are dropped; a
 * process that exits fails the capture with ESRCH.  Not thread-safe: ptrace
 * requests must come from the thread that attached, so call it from one
 * thread.
 */
#ifndef LOCKSCOPE_PROCATTACH_H
#define LOCKSCOPE_PROCATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "python/pyframes.h"

struct Dwfl;

/* Syscall number when the thread was not blocked in a system call. */
#define LS_NOT_IN_SYSCALL (-1L)
/* State of a thread blocked in a system call (S or D): its letter is not
 * read, the syscall number tells more. */
#define LS_STATE_IN_SYSCALL 'b'

typedef struct ls_proc_thread {
	pid_t tid;
	char name[32];          /* /proc/PID/task/TID/comm */
	char state;             /* /proc/PID/task/TID/stat state letter: R, S, D, T, t, Z...,
				 * or LS_STATE_IN_SYSCALL */
	long syscall;           /* blocked syscall number or LS_NOT_IN_SYSCALL */
	uint64_t syscall_args[6];
	uint64_t *pcs;          /* pcs[0] is the interrupted pc, then return addresses
				 * (and Python words, pyattach.h) */
	bool *is_activation;    /* pcs[i] is an activation (not a return address) */
	size_t n_frames;
	char *unwind_error;     /* why the unwind stopped early, or NULL */
} ls_proc_thread;

typedef struct ls_proc_snapshot {
	pid_t pid;
	char *exe;              /* readlink of /proc/PID/exe, or NULL */
	char comm[32];
	ls_proc_thread *threads;/* in /proc/PID/task order (the main thread first) */
	size_t n_threads;
	struct Dwfl *dwfl;      /* the process's modules, for ls_symbolizer_new_dwfl */
	double stopped_seconds; /* first interrupt to last detach */
	double unwind_seconds;  /* part of stopped_seconds spent unwinding */
	ls_py_interp python;    /* its CPython (status LS_PY_ABSENT without), pyattach.h */
} ls_proc_snapshot;

typedef struct ls_capture_options {
	size_t max_frames;      /* per thread; 0 means 256 */
} ls_capture_options;

/* Captures `pid`.  Returns 0 and *out, or a positive errno value with a
 * one-line explanation in err: ESRCH (no such process, or it exited during
 * the capture), EPERM/EACCES (not allowed to trace it: see ptrace_scope),
 * EINVAL (pid is this process).  */
int ls_proc_capture(pid_t pid, const ls_capture_options *opts, ls_proc_snapshot **out,
		    char *err, size_t errlen);
void ls_proc_snapshot_free(ls_proc_snapshot *snap);

/* Parses the contents of /proc/PID/task/TID/syscall ("202 0x7f.. 0x80 ..",
 * "running", "-1 0x... 0x..."): sets *nr (LS_NOT_IN_SYSCALL when not
 * blocked in one) and args[0..6). */
void ls_parse_proc_syscall(const char *text, long *nr, uint64_t args[6]);

/* The state letter from the contents of /proc/PID/task/TID/stat (the comm
 * field may contain spaces and parentheses), or '?' */
char ls_parse_proc_stat_state(const char *text);

#endif
