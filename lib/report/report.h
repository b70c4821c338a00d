/* report.h — the in-memory report model shared by every producer and writer.
 *
 * Contract: producers (the shim at exit or on a hang, `lockscope stack`,
 * the JSON reader behind `lockscope report`) fill an ls_report; writers
 * (text, JSON, dot, folded, html) only read it.  Every string is owned by
 * the report (malloc'd, freed by ls_report_free); NULL means "unknown".
 * Arrays are (pointer, count) pairs grown with ls_array_push() (core/grow.h).  The JSON
 * form of this model is documented in lockscope-report(5) and versioned by
 * LS_REPORT_VERSION: a reader accepts versions <= its own.
 */
#ifndef LOCKSCOPE_REPORT_H
#define LOCKSCOPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/grow.h"
#include "symbols/frame.h"

#define LS_REPORT_VERSION 1

/* A lock as the report names it. */
typedef struct ls_lock_ref {
	uint64_t address;
	char *kind;             /* "mutex", "rwlock", "spinlock", "mtx", "semaphore", "once", "barrier" */
	char *name;             /* variable name ("resource_a"), or "mutex initialized at f.c:12", or NULL */
	char *sem_class;        /* a semaphore's: "lock" or "signal" (NULL for other kinds) */
} ls_lock_ref;

/* One edge of a lock-order cycle: `thread` held `held` and then acquired `acquired`. */
typedef struct ls_cycle_edge {
	uint64_t tid;
	char *thread_name;
	ls_lock_ref held;
	char *held_mode;        /* "exclusive", "read", "write" */
	ls_lock_ref acquired;
	char *acquired_mode;
	ls_stack held_stack;    /* where `held` was taken (first time this edge was seen) */
	ls_stack acquire_stack; /* where `acquired` was taken while holding `held` */
} ls_cycle_edge;

typedef struct ls_inversion {
	ls_cycle_edge *cycle;
	size_t n;
	int64_t *pids;          /* a merge: the processes where it was seen (else none) */
	size_t n_pids;
} ls_inversion;

/* A lock a thread holds, and where it took it. */
typedef struct ls_held_lock {
	ls_lock_ref lock;
	char *mode;
	ls_stack stack;         /* may be empty */
} ls_held_lock;

/* One thread in a wait-for cycle (or hang): it holds `holds` and waits for `waits_for`. */
typedef struct ls_wait_entry {
	uint64_t tid;
	char *thread_name;
	ls_held_lock holds;     /* the lock of the cycle it holds (kind NULL if none) */
	ls_lock_ref waits_for;
	char *wait_mode;
	uint64_t owner_tid;     /* owner of waits_for (0 if unknown or shared) */
	/* stalls: */
	double wait_seconds;    /* how long it has waited (0: not said) */
	char *detail;           /* "2 of 3 arrived", "posted by a thread that did not take it", or NULL */
	ls_stack made_at;       /* where waits_for was made (initialized or first used); may be empty */
} ls_wait_entry;

typedef struct ls_deadlock {
	char *kind;             /* "deadlock", "hang", "stall", "hold-and-wait" */
	ls_wait_entry *entries;
	size_t n;
	int64_t *pids;          /* a merge: the processes where it was seen (else none) */
	size_t n_pids;
} ls_deadlock;

/* An event loop that did not come back to its poll call for longer than
 * loop_stall: the thread, the call it waits in and where its loop makes
 * it, and its stack when the stall was reported. */
typedef struct ls_loop_stall {
	uint64_t tid;
	char *thread_name;
	char *call;             /* "epoll_wait", "poll", "select", ... */
	ls_stack call_site;     /* where the loop calls it */
	ls_stack stack;         /* the thread's stack when reported (may be empty) */
	double threshold_seconds;
	double away_seconds;    /* how long it had been away when reported */
	double total_seconds;   /* the stall's whole length; 0 while it lasted */
	int64_t *pids;          /* a merge: the processes where it was seen */
	size_t n_pids;
} ls_loop_stall;

typedef struct ls_thread {
	uint64_t tid;
	char *name;
	char *state;            /* "running", "waiting for lock", "in condition wait", "sleeping", ... */
	ls_lock_ref waiting_for;/* kind NULL when not waiting on a lock */
	double wait_seconds;    /* how long it has waited (0 when not waiting) */
	ls_held_lock *held;
	size_t n_held;
	ls_stack stack;         /* current stack (dumps) — may be empty in exit reports */
	uint64_t acquisitions;
	uint64_t wait_ns;
} ls_thread;

/* A dump of every thread made while the program ran (on the dump signal, a
 * timer, an expired watchdog deadline, a deadlock, hang or stall, a
 * crash), kept so that the reports written after it still have it: the
 * report written at the dump has it in threads[] too, later ones only in
 * dumps[] (their threads[] are the threads at that moment, without
 * stacks).  A process keeps its first LS_DUMPS_KEPT_FIRST dumps and its
 * last LS_DUMPS_KEPT_LAST; `number` counts every dump it made, so a gap
 * shows where dumps were left out. */
#define LS_DUMPS_KEPT_FIRST 4
#define LS_DUMPS_KEPT_LAST 4
typedef struct ls_dump {
	uint64_t number;        /* 1 for the process's first dump, 2 for the next... */
	char *reason;           /* "signal SIGQUIT", "timer", "watchdog", "deadlock", "hang", "signal SIGSEGV", ... */
	char *headline;         /* the line the live text dump started with ("lockscope: thread dump requested by SIGQUIT"), or NULL */
	char *time;             /* wall-clock time, "2024-05-01T12:34:56.789Z" (UTC), or NULL */
	double uptime_seconds;  /* since the shim started in this process image */
	ls_thread *threads;
	size_t n_threads;
	int64_t pid;            /* a merge: the process it was made in (else 0) */
} ls_dump;

/* Statistics of one call site of one lock. */
typedef struct ls_site {
	ls_stack stack;
	uint64_t acquisitions;
	uint64_t contended;
	uint64_t wait_ns;
	uint64_t max_wait_ns;
	uint64_t hold_ns;       /* hold time charged to the holder's site (blamed) */
	uint64_t blamed_wait_ns;/* wait time other threads spent behind this site's critical sections */
} ls_site;

typedef struct ls_lock_stats {
	ls_lock_ref lock;
	ls_stack init_stack;    /* where it was initialized or first used */
	uint64_t acquisitions;
	uint64_t contended;
	uint64_t wait_ns;
	uint64_t max_wait_ns;
	uint64_t hold_ns;
	uint64_t max_hold_ns;
	uint64_t wait_hist[32]; /* log2 buckets of wait time in ns: bucket i counts waits in [2^i, 2^(i+1)) */
	ls_site *sites;
	size_t n_sites;
} ls_lock_stats;

/* An edge of the lock-order graph (for the dot view). */
typedef struct ls_order_edge {
	ls_lock_ref held;
	ls_lock_ref acquired;
	bool in_inversion;
} ls_order_edge;

/* A report another process of the same run wrote (a forked or spawned
 * child, or an earlier image of this process replaced by exec); in a
 * merge, one of the reports merged. */
typedef struct ls_child_report {
	int64_t pid;
	char *program;
	char *reason;           /* its report's reason: "exit", "signal SIGTERM", "_exit", "exec", ... */
	char *report;           /* the file it went to; NULL: standard error */
	uint64_t inversions;
	uint64_t other_findings;/* entries of its deadlocks[] and loop_stalls[] */
} ls_child_report;

typedef struct ls_report {
	int version;
	char *program;
	int64_t pid;
	char *reason;           /* "exit", "deadlock", "hang", "dump", "signal SIGSEGV", "attach" */
	ls_inversion *inversions;
	size_t n_inversions;
	ls_deadlock *deadlocks;
	size_t n_deadlocks;
	ls_thread *threads;
	size_t n_threads;
	ls_lock_stats *locks;
	size_t n_locks;
	uint64_t locks_total;   /* locks used in all; locks[] may list only the top ones (0: n_locks) */
	ls_order_edge *order_edges;
	size_t n_order_edges;
	ls_child_report *child_reports;
	size_t n_child_reports;
	ls_child_report *merged_from;  /* a merge of several reports: each of them (else none) */
	size_t n_merged_from;
	ls_loop_stall *loop_stalls;
	size_t n_loop_stalls;
	ls_dump *dumps;         /* the thread dumps kept, oldest first */
	size_t n_dumps;
	uint64_t dumps_omitted; /* dumps made but not kept (between the first and the last ones) */
} ls_report;

/* Allocation helpers (abort-free: return NULL / false on ENOMEM). */
ls_report *ls_report_new(void);
void ls_report_free(ls_report *r);
/* Frees what one element owns (not the element itself). */
void ls_lock_ref_free(ls_lock_ref *l);
void ls_inversion_free(ls_inversion *inv);
void ls_deadlock_free(ls_deadlock *d);
void ls_thread_free(ls_thread *t);
void ls_lock_stats_free(ls_lock_stats *l);
void ls_child_report_free(ls_child_report *c);
void ls_loop_stall_free(ls_loop_stall *s);
void ls_dump_free(ls_dump *d);
/* Whether threads[] is the last kept dump again (the report written at a
 * dump has it in both): its threads, with the same stacks. */
bool ls_report_threads_repeat_last_dump(const ls_report *r);
/* How many locks the program used (locks[] may list only the top ones). */
static inline uint64_t ls_report_locks_total(const ls_report *r)
{
	return r->locks_total > r->n_locks ? r->locks_total : r->n_locks;
}

/* Writers.  Each returns 0 on success, -1 on an I/O error. */
int ls_report_write_text(const ls_report *r, FILE *out);
int ls_report_write_json(const ls_report *r, FILE *out);
/* The text report in parts: the shim prints each finding when it is found
 * and only statistics and the summary at exit. */
enum ls_text_parts {
	LS_TEXT_FINDINGS = 1, /* inversions and deadlocks */
	LS_TEXT_THREADS = 2,  /* the thread dump */
	LS_TEXT_STATS = 4,    /* the lock statistics table */
	LS_TEXT_SUMMARY = 8,  /* the closing count line */
	LS_TEXT_DUMPS = 16,   /* the kept thread dumps (dumps[]) */
	LS_TEXT_ALL = 31
};
int ls_report_write_text_parts(const ls_report *r, FILE *out, unsigned parts);
/* The findings (inversions, deadlocks, hangs) and the thread dump of the
 * text report, without the kept dumps, the statistics table and summary line. */
int ls_report_write_text_findings(const ls_report *r, FILE *out);
/* Kept dump i (< r->n_dumps) as the live text dump printed it: its
 * headline, when and why it was made, every thread. */
int ls_report_write_text_dump(const ls_report *r, size_t i, FILE *out);

/* Merging the reports of many processes (report_merge.c): findings
 * deduplicated by lock names and sites (function, file:line; module+offset
 * without symbols), never by address, with the pids where each was seen;
 * statistics summed per lock name (and per call site); threads, children
 * and lock-order edges gathered; kept dumps gathered, each naming the
 * process it was made in (pid), their omitted counts summed.  Takes the n reports (freed, even on
 * failure); `sources` names where each came from (may be NULL).  Returns
 * the merge (merged_from lists the inputs), or NULL on ENOMEM. */
ls_report *ls_report_merge(ls_report **reports, const char *const *sources, size_t n);

/* Reader: parses a JSON report.  On failure returns NULL and puts a one-line
 * description of the problem (no trailing newline) into err. */
ls_report *ls_report_read_json(FILE *in, char *err, size_t errlen);
ls_report *ls_report_parse_json(const char *data, size_t len, char *err, size_t errlen);

#endif
