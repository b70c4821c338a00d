/* loop_stalls.c — event-loop stalls, found and reported by the watchdog.
 *
 * The watchdog (dumps.c) calls ls_loop_stalls_check on every round: it
 * scans the loop threads (core/loop_watch.h) and, for a thread that has
 * not come back to its poll call for `loop_stall` seconds, writes
 * "lockscope: event-loop stall" at once, while it is still stuck: the
 * thread, how long it has been away, the poll call and where its loop makes
 * it, and its stack captured now (the callback that blocks).  Once per
 * stall: when the thread is back in its poll call, one line gives the
 * stall's whole length.  The watchdog wakes when the next loop thread out
 * of its poll call would reach the threshold, so a stall is reported within
 * a few milliseconds of it (the coarse clock's tick) plus the capture.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/loop_watch.h"
#include "core/thread_dump.h"
#include "core/tracker.h"
#include "report/report.h"
#include "symbols/symbolize.h"
#include "shim.h"

#define MAX_EVENTS 32
#define CALL_SITE_FRAMES 8
/* The coarse clock moves by jiffies: look a little after the deadline. */
#define COARSE_SLACK_NS (5 * 1000000ull)

static char *thread_name(pid_t tid)
{
	char name[64];
	ls_thread_comm(tid, name, sizeof name);
	return name[0] ? strdup(name) : NULL;
}

static void fill_call_site(ls_stack *out, uintptr_t site)
{
	ls_symbolizer *s = ls_dumps_symbolizer();
	ls_frame frames[CALL_SITE_FRAMES];
	size_t n = s && site ? ls_symbolize(s, site, true, frames, CALL_SITE_FRAMES) : 0;
	out->frames = n ? calloc(n, sizeof *out->frames) : NULL;
	if (!out->frames) {
		for (size_t i = 0; i < n; i++) {
			free(frames[i].function);
			free(frames[i].file);
			free(frames[i].module);
		}
		return;
	}
	memcpy(out->frames, frames, n * sizeof *frames);
	out->n = n;
}

static void report_begin(const ls_loop_event *e)
{
	ls_report *r = ls_output_new_report("event-loop stall");
	ls_loop_stall *l = r ? ls_array_push(&r->loop_stalls, &r->n_loop_stalls, sizeof *l) : NULL;
	if (l) {
		l->tid = (uint64_t)e->tid;
		l->thread_name = thread_name(e->tid);
		l->call = strdup(ls_loop_call_name(e->call));
		l->threshold_seconds = ls_opts.loop_stall;
		l->away_seconds = (double)e->away_ns / 1e9;
		fill_call_site(&l->call_site, e->site);
		ls_dumps_thread_stack(e->tid, &l->stack);
		ls_output_event(r, NULL);
		ls_output_keep_symbols(ls_dumps_symbolizer());
	}
	ls_report_free(r);
}

static void report_end(const ls_loop_event *e)
{
	char name[64], headline[256];
	ls_thread_comm(e->tid, name, sizeof name);
	double seconds = (double)e->away_ns / 1e9;
	snprintf(headline, sizeof headline,
		 "lockscope: event-loop stall ended: thread %s (tid %d) came back to %s after %.3f s",
		 name[0] ? name : "?", (int)e->tid, ls_loop_call_name(e->call), seconds);
	ls_output_loop_stall_ended(e->tid, seconds, headline);
}

/* One check at a time: the watchdog's, or the last one at exit. */
static ls_spinlock check_lock = LS_SPINLOCK_INIT;

static uint64_t check(uint64_t threshold)
{
	uint64_t next;
	ls_loop_event events[MAX_EVENTS];
	ls_spin_lock(&check_lock);
	size_t n = ls_loop_watch_scan(ls_coarse_now_ns(), threshold, events, MAX_EVENTS, &next);
	for (size_t i = 0; i < n; i++) {
		if (events[i].kind == LS_LOOP_STALL_BEGIN)
			report_begin(&events[i]);
		else
			report_end(&events[i]);
	}
	ls_spin_unlock(&check_lock);
	return n == MAX_EVENTS ? 0 : next == UINT64_MAX ? next : next + COARSE_SLACK_NS;
}

uint64_t ls_loop_stalls_check(void)
{
	if (!(ls_opts.loop_stall > 0))
		return UINT64_MAX;
	return check((uint64_t)(ls_opts.loop_stall * 1e9));
}

void ls_loop_stalls_finish(void)
{
	if (ls_opts.loop_stall > 0)
		check(UINT64_MAX);
}

void ls_loop_stalls_atfork_child(void)
{
	ls_spin_reset(&check_lock);
	ls_loop_watch_atfork_child(getpid());
}
