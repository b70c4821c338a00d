/* shim_report.h — the core's state, as a report.
 *
 * Contract: turns findings, lock statistics, the order graph and thread
 * state into ls_report entries, symbolizing with the given symbolizer
 * (this process).  Uses malloc: never call it from a signal handler or with
 * a core lock held.  Locks are named by their variable (data symbol) when
 * they have one, otherwise by where they were initialized or first locked.
 */
#ifndef LOCKSCOPE_SHIM_REPORT_H
#define LOCKSCOPE_SHIM_REPORT_H

#include <stddef.h>

#include "core/order_graph.h"
#include "core/thread_state.h"
#include "report/report.h"
#include "symbols/symbolize.h"

int ls_shim_add_inversion(ls_report *r, ls_symbolizer *s, const ls_inversion_finding *f);
/* Adds the `max_locks` locks with the most wait time (then acquisitions). */
int ls_shim_add_locks(ls_report *r, ls_symbolizer *s, size_t max_locks);
int ls_shim_add_order_edges(ls_report *r, ls_symbolizer *s);
/* Threads alive now, with their counters and held locks. */
int ls_shim_add_threads(ls_report *r, ls_symbolizer *s);
/* One live thread, with its counters and held locks (state "running" or
 * "holding locks"); returns it for the caller to complete, or NULL. */
ls_thread *ls_shim_add_thread(ls_report *r, ls_symbolizer *s, ls_thread_state *t);
/* Names a lock: its variable, else where it was initialized or first locked. */
void ls_shim_lock_ref(ls_lock_ref *ref, ls_symbolizer *s, const ls_lock *l);
/* Where l was made, "initialized at f.c:12" or "first locked in fn" (malloc'd; NULL if unknown). */
char *ls_shim_where_made(ls_symbolizer *s, const ls_lock *l);
/* Symbolizes a depot stack (all return addresses) into out. */
int ls_shim_fill_stack(ls_stack *out, ls_symbolizer *s, uint32_t depot_id);
const char *ls_mode_name(int mode);

#endif
