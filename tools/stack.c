/* stack.c — `lockscope stack -p PID`: dump every thread of any running
 * process, symbolized, and name the deadlock cycle when threads wait on
 * each other's glibc mutexes or rwlocks.  No preload needed.
 *
 * Order of work: read /proc, stop all threads, unwind raw pcs, detach
 * (lib/attach/procattach.c) — only then symbolize (one lookup per distinct
 * address) and read the locks the blocked threads wait on
 * (lib/attach/glibc_locks.c).  The result is an ls_report (report.h), written as
 * text by this file or as JSON by ls_report_write_json.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "attach/glibc_locks.h"
#include "attach/procattach.h"
#include "core/lockscope_internal.h"
#include "report/report.h"
#include "report/py_names.h"
#include "report/report_format.h"
#include "symbols/pysymbols.h"
#include "symbols/symbolize.h"
#include "commands.h"

#define MAX_INLINE_DEPTH 32

struct options {
	pid_t pid;
	bool json;
	bool verbose;
	bool no_lines;
	bool no_cache;
	size_t max_frames;
};

/* What one thread of the snapshot waits for (lock kind NULL: no lock). */
struct thread_wait {
	ls_wait_kind kind;
	uint64_t lock;          /* lock base address */
	const char *lock_kind;  /* "mutex", "rwlock" */
	const char *mode;       /* "exclusive", "read", "write" */
	uint64_t owner_tid;     /* 0: unknown, or held by readers */
	size_t owner;           /* index of the owner thread, SIZE_MAX if none */
};

struct analysis {
	ls_proc_snapshot *snap;
	ls_symbolizer *sym;
	ls_report *report;
	struct thread_wait *waits; /* parallel to report->threads / snap->threads */
	size_t *cycle_of;
	size_t n_cycles;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lockscope stack [-v] [-n] [--format=text|json] [--max-frames=N] -p PID\n"
		"Dump every thread of the running process PID (stopped briefly with ptrace),\n"
		"symbolized, and name the deadlock cycle if its threads wait on each other's\n"
		"mutexes or rwlocks.  The process does not need the lockscope shim.\n"
		"  -p, --pid=PID        process to dump\n"
		"      --format=FORMAT  text (default) or json (the lockscope-report(5) schema)\n"
		"      --max-frames=N   frames unwound per thread (default 256)\n"
		"  -n, --no-lines       function names and module offsets only: no file:line,\n"
		"                       no inlined frames, no DWARF read (faster)\n"
		"      --no-cache       neither read nor write the symbol cache\n"
		"                       ($XDG_CACHE_HOME/lockscope)\n"
		"  -v, --verbose        also report how long the process was stopped\n"
		"See lockscope-stack(1).\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-frames", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-lines", no_argument, NULL, 'n' },
		{ "no-cache", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "p:vnh", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p': {
			long pid = strtol(optarg, &end, 10);
			if (*end || end == optarg || pid <= 0 || pid > INT32_MAX) {
				fprintf(stderr, "lockscope stack: invalid process id '%s'\n", optarg);
				return 2;
			}
			o->pid = (pid_t)pid;
			break;
		}
		case 'f':
			if (!strcmp(optarg, "json"))
				o->json = true;
			else if (strcmp(optarg, "text")) {
				fprintf(stderr, "lockscope stack: unknown format '%s' (text or json)\n", optarg);
				return 2;
			}
			break;
		case 'm': {
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || end == optarg || n == 0 || n > 100000) {
				fprintf(stderr, "lockscope stack: invalid --max-frames '%s'\n", optarg);
				return 2;
			}
			o->max_frames = n;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'n':
			o->no_lines = true;
			break;
		case 'C':
			o->no_cache = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !o->pid) {
		if (optind < argc)
			fprintf(stderr, "lockscope stack: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* ---- thread states ---------------------------------------------------- */

struct syscall_state {
	long nr;
	const char *state;
};

static const struct syscall_state syscall_states[] = {
	{ SYS_nanosleep, "sleeping" },
	{ SYS_clock_nanosleep, "sleeping" },
	{ SYS_read, "blocked in read" },
	{ SYS_readv, "blocked in read" },
	{ SYS_pread64, "blocked in read" },
	{ SYS_write, "blocked in write" },
	{ SYS_poll, "waiting for I/O (poll)" },
	{ SYS_ppoll, "waiting for I/O (poll)" },
	{ SYS_select, "waiting for I/O (select)" },
	{ SYS_pselect6, "waiting for I/O (select)" },
	{ SYS_epoll_wait, "waiting for I/O (epoll)" },
	{ SYS_epoll_pwait, "waiting for I/O (epoll)" },
	{ SYS_accept, "blocked in accept" },
	{ SYS_accept4, "blocked in accept" },
	{ SYS_recvfrom, "blocked in recv" },
	{ SYS_recvmsg, "blocked in recv" },
	{ SYS_connect, "blocked in connect" },
	{ SYS_wait4, "waiting for a child" },
	{ SYS_waitid, "waiting for a child" },
	{ SYS_pause, "waiting for a signal" },
	{ SYS_rt_sigsuspend, "waiting for a signal" },
	{ SYS_rt_sigtimedwait, "waiting for a signal" },
	{ SYS_flock, "waiting for a file lock" },
	{ SYS_fcntl, "in fcntl (file lock?)" },
	/* What a sleep or timed wait becomes after a ptrace stop (ours). */
	{ SYS_restart_syscall, "in a restarted sleep or wait" },
};

static const char *scheduler_state(char letter)
{
	switch (letter) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "in uninterruptible sleep";
	case 'T':
		return "stopped";
	case 't':
		return "stopped by a tracer";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	default:
		return "state unknown";
	}
}

static char *thread_state_text(const ls_proc_thread *t, ls_wait_kind kind)
{
	if (kind != LS_WAIT_NONE)
		return ls_strdup_or_null(ls_wait_kind_state(kind));
	if (t->syscall != LS_NOT_IN_SYSCALL && t->state != 'R') {
		for (size_t i = 0; i < LS_ARRAY_SIZE(syscall_states); i++)
			if (syscall_states[i].nr == t->syscall)
				return ls_strdup_or_null(syscall_states[i].state);
		char *text = NULL;
		if (asprintf(&text, "in system call %ld", t->syscall) < 0)
			return NULL;
		return text;
	}
	return ls_strdup_or_null(scheduler_state(t->state));
}

/* ---- symbolizing ------------------------------------------------------ */

static int symbolize_thread(ls_symbolizer *sym, const ls_proc_thread *t, ls_stack *out)
{
	for (size_t i = 0; i < t->n_frames; i++) {
		ls_frame chain[MAX_INLINE_DEPTH];
		size_t k = ls_symbolize(sym, t->pcs[i], !t->is_activation[i], chain, MAX_INLINE_DEPTH);
		for (size_t j = 0; j < k; j++) {
			ls_frame *f = ls_array_push(&out->frames, &out->n, sizeof *f);
			if (!f)
				return -1;
			*f = chain[j];
		}
	}
	return 0;
}

/* ---- what blocked threads wait for ------------------------------------ */

/* "name+12" -> 12; "name" -> 0; NULL or no offset -> -1 / 0 */
static long symbol_offset(const char *name)
{
	const char *plus = name ? strrchr(name, '+') : NULL;
	return plus ? strtol(plus + 1, NULL, 10) : (name ? 0 : -1);
}

static void identify_lock(struct analysis *a, size_t i)
{
	ls_proc_thread *t = &a->snap->threads[i];
	ls_thread *th = &a->report->threads[i];
	struct thread_wait *w = &a->waits[i];
	w->owner = SIZE_MAX;
	w->kind = ls_is_futex_wait(t->syscall, t->syscall_args) ? ls_glibc_wait_kind(&th->stack)
								: LS_WAIT_NONE;
	uint64_t futex = t->syscall_args[0];
	if (w->kind == LS_WAIT_MUTEX) {
		ls_glibc_mutex m;
		if (ls_glibc_read_mutex(a->snap->pid, futex, &m) != 0)
			return;
		w->lock = futex;
		w->lock_kind = "mutex";
		w->mode = "exclusive";
		w->owner_tid = m.owner_tid;
	} else if (w->kind == LS_WAIT_RWLOCK_READ || w->kind == LS_WAIT_RWLOCK_WRITE) {
		char *name = ls_symbolize_data(a->sym, futex);
		uint64_t base;
		ls_glibc_rwlock rw;
		int rc = ls_glibc_find_rwlock(a->snap->pid, futex, w->kind, symbol_offset(name), &base, &rw);
		free(name);
		if (rc != 0)
			return;
		w->lock = base;
		w->lock_kind = "rwlock";
		w->mode = w->kind == LS_WAIT_RWLOCK_READ ? "read" : "write";
		w->owner_tid = rw.cur_writer > 0 ? (uint64_t)rw.cur_writer : 0;
	}
}

static size_t thread_index(const ls_proc_snapshot *snap, uint64_t tid)
{
	for (size_t i = 0; i < snap->n_threads; i++)
		if ((uint64_t)snap->threads[i].tid == tid)
			return i;
	return SIZE_MAX;
}

/* The owner of a lock someone waits for holds it exclusively: rwlocks
 * record only their writer. */
static const char *held_mode(const struct thread_wait *w)
{
	return strcmp(w->lock_kind, "rwlock") ? "exclusive" : "write";
}

static int fill_lock_ref(struct analysis *a, ls_lock_ref *ref, const struct thread_wait *w)
{
	ref->address = w->lock;
	ref->kind = ls_strdup_or_null(w->lock_kind);
	ref->name = ls_symbolize_data(a->sym, w->lock);
	return ref->kind ? 0 : -1;
}

/* Records on each owner thread the locks other threads wait for. */
static int add_held_locks(struct analysis *a)
{
	for (size_t i = 0; i < a->snap->n_threads; i++) {
		struct thread_wait *w = &a->waits[i];
		if (w->owner == SIZE_MAX)
			continue;
		ls_thread *owner = &a->report->threads[w->owner];
		bool known = false;
		for (size_t h = 0; h < owner->n_held; h++)
			known |= owner->held[h].lock.address == w->lock;
		if (known)
			continue;
		ls_held_lock *held = ls_array_push(&owner->held, &owner->n_held, sizeof *held);
		if (!held || fill_lock_ref(a, &held->lock, w) != 0)
			return -1;
		held->mode = ls_strdup_or_null(held_mode(w));
	}
	return 0;
}

static int build_threads(struct analysis *a)
{
	ls_proc_snapshot *snap = a->snap;
	for (size_t i = 0; i < snap->n_threads; i++) {
		ls_thread *th = ls_array_push(&a->report->threads, &a->report->n_threads, sizeof *th);
		if (!th)
			return -1;
		th->tid = (uint64_t)snap->threads[i].tid;
		th->name = ls_strdup_or_null(snap->threads[i].name);
		if (symbolize_thread(a->sym, &snap->threads[i], &th->stack) != 0)
			return -1;
	}
	a->waits = calloc(snap->n_threads ? snap->n_threads : 1, sizeof *a->waits);
	if (!a->waits)
		return -1;
	for (size_t i = 0; i < snap->n_threads; i++) {
		identify_lock(a, i);
		struct thread_wait *w = &a->waits[i];
		ls_thread *th = &a->report->threads[i];
		th->state = thread_state_text(&snap->threads[i], w->kind);
		if (w->lock_kind) {
			if (fill_lock_ref(a, &th->waiting_for, w) != 0)
				return -1;
			w->owner = w->owner_tid ? thread_index(snap, w->owner_tid) : SIZE_MAX;
		}
	}
	return add_held_locks(a);
}

/* ---- the deadlock cycles ---------------------------------------------- */

static int add_cycle(struct analysis *a, size_t cycle)
{
	size_t first = 0;
	while (a->cycle_of[first] != cycle)
		first++;
	ls_deadlock *d = ls_array_push(&a->report->deadlocks, &a->report->n_deadlocks, sizeof *d);
	if (!d || !(d->kind = ls_strdup_or_null("deadlock")))
		return -1;
	/* Entry k waits for a lock owned by entry k+1, and holds the lock
	 * entry k-1 waits for. */
	size_t prev = first;
	while (a->waits[prev].owner != first)
		prev = a->waits[prev].owner;
	size_t i = first;
	do {
		ls_wait_entry *e = ls_array_push(&d->entries, &d->n, sizeof *e);
		if (!e)
			return -1;
		const struct thread_wait *w = &a->waits[i];
		e->tid = (uint64_t)a->snap->threads[i].tid;
		e->thread_name = ls_strdup_or_null(a->snap->threads[i].name);
		if (fill_lock_ref(a, &e->waits_for, w) != 0 ||
		    fill_lock_ref(a, &e->holds.lock, &a->waits[prev]) != 0)
			return -1;
		e->wait_mode = ls_strdup_or_null(w->mode);
		e->holds.mode = ls_strdup_or_null(held_mode(&a->waits[prev]));
		e->owner_tid = w->owner_tid;
		prev = i;
		i = w->owner;
	} while (i != first);
	return 0;
}

static int find_deadlocks(struct analysis *a)
{
	size_t n = a->snap->n_threads;
	size_t *next = malloc((n ? n : 1) * sizeof *next);
	a->cycle_of = malloc((n ? n : 1) * sizeof *a->cycle_of);
	if (!next || !a->cycle_of) {
		free(next);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		next[i] = a->waits[i].owner;
	a->n_cycles = ls_find_wait_cycles(next, n, a->cycle_of);
	free(next);
	if (a->n_cycles == SIZE_MAX)
		return -1;
	for (size_t c = 0; c < a->n_cycles; c++)
		if (add_cycle(a, c) != 0)
			return -1;
	return 0;
}

/* ---- text output ------------------------------------------------------- */

static void put_lock(FILE *out, const ls_lock_ref *l)
{
	char buf[512];
	ls_format_lock(buf, sizeof buf, l);
	fputs(buf, out);
}

static void put_thread_ref(FILE *out, const ls_report *r, uint64_t tid)
{
	for (size_t i = 0; i < r->n_threads; i++) {
		if (r->threads[i].tid != tid)
			continue;
		fprintf(out, "thread %" PRIu64 " \"%s\"", tid, r->threads[i].name ? r->threads[i].name : "?");
		return;
	}
	fprintf(out, "thread %" PRIu64, tid);
}

/* " held by thread 12 "worker" (sleeping)", or who else holds it. */
static void put_owner(FILE *out, const struct analysis *a, size_t i, bool with_state)
{
	const struct thread_wait *w = &a->waits[i];
	const ls_report *r = a->report;
	if (w->owner != SIZE_MAX) {
		fputs(" held by ", out);
		put_thread_ref(out, r, w->owner_tid);
		if (with_state)
			fprintf(out, " (%s)", r->threads[w->owner].state ? r->threads[w->owner].state : "?");
	} else if (w->owner_tid) {
		fprintf(out, " held by tid %" PRIu64 ", which is not a thread of this process (exited?)",
			w->owner_tid);
	} else if (w->kind == LS_WAIT_RWLOCK_READ || w->kind == LS_WAIT_RWLOCK_WRITE) {
		fputs(w->kind == LS_WAIT_RWLOCK_WRITE ? " held by readers (rwlocks do not record them)"
						      : " (no writer recorded: waiting behind queued writers?)",
		      out);
	} else {
		fputs(" (no owner recorded)", out);
	}
}

static void write_thread_text(FILE *out, const struct analysis *a, size_t i)
{
	const ls_thread *th = &a->report->threads[i];
	fprintf(out, "Thread %" PRIu64 " \"%s\": %s", th->tid, th->name ? th->name : "?",
		th->state ? th->state : "state unknown");
	if (th->waiting_for.kind) {
		fputc(' ', out);
		put_lock(out, &th->waiting_for);
		put_owner(out, a, i, true);
	}
	fputc('\n', out);
	for (size_t h = 0; h < th->n_held; h++) {
		fputs("  holds ", out);
		put_lock(out, &th->held[h].lock);
		fputc('\n', out);
	}
	for (size_t f = 0; f < th->stack.n; f++) {
		char buf[1024];
		ls_format_frame(buf, sizeof buf, (unsigned)f, &th->stack.frames[f]);
		fprintf(out, "  %s\n", buf);
	}
	if (th->stack.n == 0)
		fputs("  (no stack)\n", out);
	fputc('\n', out);
}

static void write_deadlock_text(FILE *out, const struct analysis *a, const ls_deadlock *d)
{
	fprintf(out, "lockscope: deadlock\n");
	if (d->n == 1)
		fprintf(out, "  a thread waits for a lock it holds itself:\n");
	else
		fprintf(out, "  cycle of %zu threads, each waiting for a lock held by the next:\n", d->n);
	for (size_t k = 0; k < d->n; k++) {
		const ls_wait_entry *e = &d->entries[k];
		fputs("  ", out);
		put_thread_ref(out, a->report, e->tid);
		fputs(" holds ", out);
		put_lock(out, &e->holds.lock);
		fputs(" and waits for ", out);
		put_lock(out, &e->waits_for);
		if (e->wait_mode && strcmp(e->wait_mode, "exclusive"))
			fprintf(out, " (%s)", e->wait_mode);
		fputs(" held by ", out);
		put_thread_ref(out, a->report, e->owner_tid);
		fputc('\n', out);
	}
	fputc('\n', out);
}

/* Lock waits outside any cycle: "waiting for X held by T (sleeping)". */
static size_t write_other_waits_text(FILE *out, const struct analysis *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->snap->n_threads; i++) {
		const ls_thread *th = &a->report->threads[i];
		if (!th->waiting_for.kind || a->cycle_of[i] != SIZE_MAX)
			continue;
		if (n++ == 0)
			fprintf(out, "lockscope: threads waiting for locks (no cycle)\n");
		fputs("  ", out);
		put_thread_ref(out, a->report, th->tid);
		fputs(" waiting for ", out);
		put_lock(out, &th->waiting_for);
		put_owner(out, a, i, true);
		fputc('\n', out);
	}
	if (n)
		fputc('\n', out);
	return n;
}

static int write_text(FILE *out, const struct analysis *a)
{
	const ls_report *r = a->report;
	fprintf(out, "lockscope: stack of process %" PRId64 " (%s): %zu thread%s\n", r->pid,
		r->program ? r->program : a->snap->comm, r->n_threads, r->n_threads == 1 ? "" : "s");
	if (a->snap->python.status == LS_PY_UNSUPPORTED)
		fprintf(out, "lockscope: %s\n", a->snap->python.note);
	fputc('\n', out);
	for (size_t i = 0; i < r->n_threads; i++)
		write_thread_text(out, a, i);
	for (size_t d = 0; d < r->n_deadlocks; d++)
		write_deadlock_text(out, a, &r->deadlocks[d]);
	size_t waits = write_other_waits_text(out, a);
	fprintf(out, "lockscope: %zu deadlock%s, %zu other thread%s waiting for locks, %zu thread%s in process %" PRId64 "\n",
		r->n_deadlocks, r->n_deadlocks == 1 ? "" : "s", waits, waits == 1 ? "" : "s", r->n_threads,
		r->n_threads == 1 ? "" : "s", r->pid);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* ---- the verb ----------------------------------------------------------- */

static void report_timing(const struct analysis *a)
{
	uint64_t hits, misses;
	ls_symbolizer_cache_stats(a->sym, &hits, &misses);
	size_t frames = 0;
	for (size_t i = 0; i < a->snap->n_threads; i++)
		frames += a->snap->threads[i].n_frames;
	fprintf(stderr,
		"lockscope stack: process %d was stopped for %.3f ms (%.3f ms unwinding %zu threads, %zu frames); "
		"%" PRIu64 " distinct addresses symbolized (%" PRIu64 " from the symbol cache), %" PRIu64 " repeats\n",
		a->snap->pid, a->snap->stopped_seconds * 1e3, a->snap->unwind_seconds * 1e3, a->snap->n_threads,
		frames, misses, ls_symbolizer_disk_hits(a->sym), hits);
	for (size_t i = 0; i < a->snap->n_threads; i++)
		if (a->snap->threads[i].unwind_error)
			fprintf(stderr, "lockscope stack: thread %d: unwinding stopped after %zu frames: %s\n",
				a->snap->threads[i].tid, a->snap->threads[i].n_frames,
				a->snap->threads[i].unwind_error);
}

static int analyse(struct analysis *a)
{
	a->report = ls_report_new();
	if (!a->report)
		return -1;
	a->report->pid = a->snap->pid;
	a->report->program = ls_strdup_or_null(a->snap->exe ? a->snap->exe : a->snap->comm);
	a->report->reason = ls_strdup_or_null("attach");
	if (build_threads(a) != 0 || find_deadlocks(a) != 0)
		return -1;
	if (a->snap->python.status == LS_PY_SUPPORTED)
		ls_report_name_python_threads(a->report, a->snap->comm);
	return 0;
}

int ls_cmd_stack(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* The symbolizer never consults debuginfod; make sure nothing we load
	 * does either (a hung process must not wait on the network). */
	unsetenv("DEBUGINFOD_URLS");

	char err[512];
	ls_capture_options copts = { .max_frames = o.max_frames };
	struct analysis a = { 0 };
	int error = ls_proc_capture(o.pid, &copts, &a.snap, err, sizeof err);
	if (error) {
		fprintf(stderr, "lockscope stack: %s\n", err[0] ? err : strerror(error));
		return 1;
	}
	a.sym = ls_symbolizer_new_dwfl(a.snap->dwfl);
	if (a.sym && a.snap->python.status != LS_PY_ABSENT)
		ls_symbolizer_set_python(a.sym, &a.snap->python);
	if (a.sym) {
		ls_symbolizer_use_dwarf(a.sym, !o.no_lines);
		if (!o.no_cache)
			ls_symbolizer_use_disk_cache(a.sym, NULL);
	}
	int status = 0;
	if (!a.sym || analyse(&a) != 0) {
		fprintf(stderr, "lockscope stack: out of memory\n");
		status = 1;
	} else {
		if (o.verbose)
			report_timing(&a);
		if ((o.json ? ls_report_write_json(a.report, stdout) : write_text(stdout, &a)) != 0) {
			fprintf(stderr, "lockscope stack: cannot write the report: %s\n", strerror(errno));
			status = 1;
		}
		/* After the output: a cache that cannot be written costs nothing
		 * but the next run's speed. */
		if (!o.no_cache)
			ls_symbolizer_save_disk_cache(a.sym);
	}
	ls_report_free(a.report);
	free(a.waits);
	free(a.cycle_of);
	ls_symbolizer_free(a.sym);
	ls_proc_snapshot_free(a.snap);
	return status;
}
