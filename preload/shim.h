/* shim.h — what the preload layer's files share.
 *
 * Contract: bootstrap.c owns start-up, fork and exit; output.c owns where
 * reports go and writes them.  Everything here runs with the calling
 * thread's reentrancy guard set (ls_tls.busy), so locks taken by the code
 * it calls (libdw, stdio) pass through untracked.
 */
#ifndef LOCKSCOPE_SHIM_H
#define LOCKSCOPE_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/order_graph.h"
#include "report/report.h"
#include "symbols/symbolize.h"

/* Reports an inversion as soon as it is found. */
void ls_output_inversion(const ls_inversion_finding *f);
/* Writes the last report of this process image; `reason` says how it
 * ends ("exit", "_exit", "signal SIGTERM", ...).  Run it once (ending.c). */
void ls_output_exit_report(const char *reason);
/* Before an exec: true when this image found something its last report
 * (if any) did not have (cheap, no allocation)... */
bool ls_output_exec_report_due(void);
/* ...and the report that keeps it: NAME.execN in JSON, the statistics and
 * summary in text (the next image continues a text FILE). */
void ls_output_exec_report(void);
/* "LOCKSCOPE_EXEC_IMAGE=..." for the next image's environment (into buf;
 * NULL when it does not fit), and whether an environment entry is one.
 * Async-signal-safe. */
const char *ls_output_exec_marker(char *buf, size_t len);
bool ls_output_is_exec_marker(const char *env_entry);
/* Where this process's report goes: FILE, FILE.PID, NAME.execN before an
 * exec; NULL for standard error.  Async-signal-safe. */
const char *ls_output_path(char *buf, size_t len, bool before_exec);
/* The findings of this process so far, for the raw report: inversions
 * (after the fork), and the events kept (deadlocks, hangs, ...). */
size_t ls_output_findings_after_fork(void);
/* The program `lockscope run` started, or any process preloaded by hand:
 * its text report always ends with the summary line. */
bool ls_output_is_root_process(void);
const ls_deadlock *ls_output_kept_events(size_t *n);
const ls_loop_stall *ls_output_kept_loop_stalls(size_t *n);
/* How many thread dumps this image made (JSON keeps them; each rewrote
 * the report, so the report file has them). */
uint64_t ls_output_dumps_made(void);
/* The end of an event-loop stall reported earlier (the last one of thread
 * tid still open): its whole length into the kept finding, and `headline`
 * (one line) written, or the JSON report rewritten. */
void ls_output_loop_stall_ended(pid_t tid, double total_seconds, const char *headline);
/* At load time: decides whether this process owns the report FILE or, as a
 * program executed by a forked child, writes FILE.PID (the owner travels in
 * the environment).  Sets an environment variable: call it only where the
 * program cannot be inside getenv/setenv (the shim's constructor). */
void ls_output_claim_report(void);
/* After fork: the child writes its own report and only its own findings. */
void ls_output_atfork_child(void);
/* A library being dlclose'd: remember it so its frames still symbolize. */
void ls_output_remember_module(const char *path, uint64_t base);
/* A symbolizer for this process (including dlclose'd modules), and an
 * empty report naming the program. */
struct ls_symbolizer *ls_output_new_symbolizer(void);
/* After a report: what `s` symbolized is kept in the persistent cache
 * (option symcache), so a later run of the same binaries reads no DWARF
 * for it; the _free variant then frees `s`. */
void ls_output_keep_symbols(struct ls_symbolizer *s);
void ls_output_free_symbolizer(struct ls_symbolizer *s);
struct ls_report *ls_output_new_report(const char *reason);
/* Writes an event found while the program runs (deadlock, hang, stall,
 * hold-and-wait, thread dump, fatal signal) at once: in text, `headline`
 * (one line, may be NULL) then its findings and thread dump; in JSON, the
 * whole report so far.  Its findings (r->deadlocks) move to the exit
 * report; the caller still frees `event`. */
void ls_output_event(struct ls_report *event, const char *headline);
/* The same for an event whose threads are a thread dump: in JSON the dump
 * is kept for every later report (lockscope-report(5), dumps) under
 * `dump_reason` ("signal SIGQUIT", "timer", "watchdog"...); ls_output_event
 * keeps it under the event's reason. */
void ls_output_dump_event(struct ls_report *event, const char *headline, const char *dump_reason);
/* write(2) a whole message to stderr (async-signal-safe). */
void ls_write_stderr(const char *msg);

/* The reports of the other processes of the run (children.c).  claim:
 * at load time (sets LOCKSCOPE_CHILD_LEDGER in the root); note: one report
 * written by a descendant, or by the root before an exec (no malloc, no
 * stdio); collect: the root adds them to its report; keep_across_exec:
 * the root is about to exec (async-signal-safe). */
void ls_children_claim(void);
bool ls_children_is_root(void);
void ls_children_note(const ls_child_report *c);
void ls_children_collect(struct ls_report *r);
void ls_children_keep_across_exec(void);

/* How a process image ends (ending.c).  ls_ending_report writes the last
 * report once, from any context (a signal handler included: the watchdog
 * writes it while the caller waits, bounded, with a raw fallback);
 * ls_ending_exit is the destructor's; ls_ending_before_exec writes what an
 * image replaced by exec found, and says whether the caller may change the
 * new image's environment (false in a vfork child: nothing is touched). */
void ls_ending_init(void);
void ls_ending_report(const char *reason);
void ls_ending_exit(void);
bool ls_ending_before_exec(void);
/* The raw last report (raw_report.c): the summary line, or a JSON report
 * whose frames are module+offset; write(2) only. */
void ls_raw_last_report(const char *reason);

/* Extension points for the dump machinery (dumps.c) and live statistics
 * (live.c).  bootstrap.c calls them; each has a no-op weak default, so a
 * piece that is not linked costs nothing.  *_bootstrap runs once the options
 * are read and the real functions resolved, *_atfork_child in the child
 * after the core is reset, *_exit before the exit report. */
void ls_dumps_bootstrap(void);
void ls_dumps_atfork_child(void);
void ls_dumps_exit(void);
/* Runs fn(arg) on the watchdog thread and waits for it at most timeout_ns
 * (async-signal-safe).  False when it did not run or finish in time (no
 * watchdog, or it is stuck); a job that times out while running still
 * finishes later.  ls_dumps_on_watchdog: the caller is the watchdog. */
bool ls_dumps_run_on_watchdog(void (*fn)(void *), void *arg, uint64_t timeout_ns);
bool ls_dumps_on_watchdog(void);
/* A thread was registered (it runs this): its alternate signal stack. */
void ls_dumps_thread_started(void);
void ls_live_bootstrap(void);
void ls_live_atfork_child(void);
void ls_live_exit(void);
/* Event-loop stalls (loop_stalls.c), on the watchdog: checks the loop
 * threads, reports stalls that begin and end; returns how long until it
 * wants to check again (UINT64_MAX: nothing due).  And the poll
 * interposers (interpose_poll.c), set up once the options are read. */
uint64_t ls_loop_stalls_check(void);
/* At exit: the stalls that ended since the last check get their length
 * (none begins). */
void ls_loop_stalls_finish(void);
void ls_loop_stalls_atfork_child(void);
void ls_loop_bootstrap(void);
/* For loop_stalls.c, on the watchdog: the stack of thread tid now (as a
 * thread dump would show it), and the watchdog's symbolizer. */
bool ls_dumps_thread_stack(pid_t tid, ls_stack *out);
struct ls_symbolizer *ls_dumps_symbolizer(void);
/* Interposers of exits, execs and terminating signals: resolved and
 * installed once the options are read. */
void ls_exit_bootstrap(void);
void ls_exit_signals_bootstrap(void);

#endif
