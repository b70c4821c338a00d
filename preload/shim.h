/* shim.h — what the preload layer's files share.
 *
 * Contract: bootstrap.c owns start-up, fork and exit; output.c owns where
 * reports go and writes them.  Everything here runs with the calling
 * thread's reentrancy guard set (ls_tls.busy), so locks taken by the code
 * it calls (libdw, stdio) pass through untracked.
 */
#ifndef LOCKSCOPE_SHIM_H
#define LOCKSCOPE_SHIM_H

#include <stdint.h>
#include <sys/types.h>

#include "core/order_graph.h"
#include "report/report.h"
#include "symbols/symbolize.h"

/* Reports an inversion as soon as it is found. */
void ls_output_inversion(const ls_inversion_finding *f);
/* Writes the exit report of this process. */
void ls_output_exit_report(void);
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
struct ls_report *ls_output_new_report(const char *reason);
/* Writes an event found while the program runs (deadlock, hang, stall,
 * hold-and-wait, thread dump, fatal signal) at once: in text, `headline`
 * (one line, may be NULL) then its findings and thread dump; in JSON, the
 * whole report so far.  Its findings (r->deadlocks) move to the exit
 * report; the caller still frees `event`. */
void ls_output_event(struct ls_report *event, const char *headline);
/* write(2) a whole message to stderr (async-signal-safe). */
void ls_write_stderr(const char *msg);

/* Extension points for the dump machinery (dumps.c) and live statistics
 * (live.c).  bootstrap.c calls them; each has a no-op weak default, so a
 * piece that is not linked costs nothing.  *_bootstrap runs once the options
 * are read and the real functions resolved, *_atfork_child in the child
 * after the core is reset, *_exit before the exit report. */
void ls_dumps_bootstrap(void);
void ls_dumps_atfork_child(void);
void ls_dumps_exit(void);
/* A thread was registered (it runs this): its alternate signal stack. */
void ls_dumps_thread_started(void);
void ls_live_bootstrap(void);
void ls_live_atfork_child(void);
void ls_live_exit(void);

#endif
