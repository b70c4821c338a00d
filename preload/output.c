/* output.c — where the shim's reports go, and writing them.
 *
 * Text findings are written the moment they are found (a program that then
 * deadlocks has still said why); the exit report adds statistics and the
 * summary.  JSON is written whole at exit.  A forked child writes to
 * FILE.PID so it never overwrites its parent's report; an exec'd program
 * keeps its pid and writes FILE.  Report files are created 0600 and never
 * through a symbolic link.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/tracker.h"
#include "report/py_names.h"
#include "report/shim_report.h"
#include "symbols/symbolize.h"
#include "shim.h"

#define MAX_REPORTED_LOCKS 1000

struct closed_module {
	struct closed_module *next;
	uint64_t base;
	char path[];
};

static ls_spinlock output_lock = LS_SPINLOCK_INIT;
static pid_t owner_pid;            /* the process whose report is FILE */
static size_t findings_before_fork;/* a child reports only its own findings */
static bool text_file_started;     /* FILE truncated once, then appended */
static struct closed_module *closed_modules;
/* Deadlocks, hangs and stalls found while the program ran, for the exit
 * report's summary and JSON. */
static ls_deadlock *events;
static size_t n_events;

void ls_write_stderr(const char *msg)
{
	size_t len = strlen(msg);
	while (len) {
		ssize_t n = write(STDERR_FILENO, msg, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		msg += n;
		len -= (size_t)n;
	}
}

static const char *output_path(char *buf, size_t len)
{
	if (!ls_opts.output[0])
		return NULL;
	if (!owner_pid)
		owner_pid = getpid();
	if (getpid() == owner_pid)
		return ls_opts.output;
	snprintf(buf, len, "%s.%d", ls_opts.output, (int)getpid());
	return buf;
}

/* Opens the report destination as a stdio stream (stderr when no file). */
static FILE *open_destination(bool whole_report)
{
	char buf[LS_OPTIONS_PATH_MAX + 32];
	const char *path = output_path(buf, sizeof buf);
	int fd;
	if (!path) {
		fd = dup(STDERR_FILENO);
	} else {
		int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
		flags |= whole_report || !text_file_started ? O_TRUNC : O_APPEND;
		fd = open(path, flags, 0600);
		if (fd < 0) {
			char msg[LS_OPTIONS_PATH_MAX + 128];
			snprintf(msg, sizeof msg, "lockscope: cannot write report to %s: %s\n", path, strerror(errno));
			ls_write_stderr(msg);
			fd = dup(STDERR_FILENO);
		} else if (!whole_report) {
			text_file_started = true;
		}
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	return f;
}

ls_symbolizer *ls_output_new_symbolizer(void)
{
	ls_symbolizer *s = ls_symbolizer_new_self();
	if (!s)
		return NULL;
	for (struct closed_module *m = closed_modules; m; m = m->next)
		ls_symbolizer_add_module(s, m->path, m->base);
	return s;
}

/* A CPython whose frames cannot be read is said once, before the first
 * text output: its stacks keep the evaluation loop's native frames. */
static bool python_noted;

static void note_python(FILE *out)
{
	const ls_py_interp *ip = ls_py_self();
	if (!out || python_noted || !ip || ip->status != LS_PY_UNSUPPORTED)
		return;
	python_noted = true;
	fprintf(out, "lockscope: %s\n", ip->note);
}

/* Python threads named after their Thread target (report/py_names.h). */
static void name_python_threads(ls_report *r)
{
	if (ls_pystack_active())
		ls_report_name_python_threads(r, program_invocation_short_name);
}

ls_report *ls_output_new_report(const char *reason)
{
	ls_report *r = ls_report_new();
	if (!r)
		return NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		r->program = strdup(exe);
	} else {
		r->program = ls_strdup_or_null(program_invocation_name);
	}
	r->pid = getpid();
	r->reason = strdup(reason);
	return r;
}

void ls_output_inversion(const ls_inversion_finding *f)
{
	ls_spin_lock(&output_lock);
	if (ls_opts.format == LS_FORMAT_JSON) {
		char buf[LS_OPTIONS_PATH_MAX + 32], msg[LS_OPTIONS_PATH_MAX + 160];
		const char *path = output_path(buf, sizeof buf);
		snprintf(msg, sizeof msg,
			 "lockscope: lock-order inversion (potential deadlock) found; details in the JSON report (%s) at exit\n",
			 path ? path : "stderr");
		ls_write_stderr(msg);
	} else {
		ls_symbolizer *s = ls_output_new_symbolizer();
		ls_report *r = ls_output_new_report("inversion");
		FILE *out = open_destination(false);
		if (s && r && out && ls_shim_add_inversion(r, s, f) == 0) {
			name_python_threads(r);
			note_python(out);
			ls_report_write_text_parts(r, out, LS_TEXT_FINDINGS);
		}
		if (out)
			fclose(out);
		ls_report_free(r);
		ls_symbolizer_free(s);
	}
	ls_spin_unlock(&output_lock);
}

static int add_findings(ls_report *r, ls_symbolizer *s)
{
	for (const ls_inversion_finding *f = ls_order_findings(); f; f = f->next)
		if (f->seq > findings_before_fork && ls_shim_add_inversion(r, s, f))
			return -1;
	return 0;
}

static void note_contended(ls_lock *l, void *ctx)
{
	if (atomic_load_explicit(&l->contended, memory_order_relaxed))
		*(bool *)ctx = true;
}

/* The program `lockscope run` started (its pid survives exec), or any
 * process when the shim was preloaded by hand. */
static bool is_root_process(void)
{
	const char *root = getenv("LOCKSCOPE_ROOT_PID");
	return !root || !*root || atol(root) == (long)getpid();
}

/* A text exit report says only what is worth reading: the statistics when
 * some lock was contended, the summary line for the program itself, and
 * nothing at all from a child or helper process that found nothing.
 * Skipping the symbolizer then also spares the exit the cost of reading
 * debug information. */
static bool quiet_text_exit(bool *summary_only)
{
	bool contended = false;
	if (ls_opts.stats) {
		ls_lock_foreach(note_contended, &contended);
		ls_lock_foreach_kept_dead(note_contended, &contended);
	}
	bool findings = ls_order_finding_count() > findings_before_fork || n_events > 0;
	*summary_only = !findings && !contended;
	return *summary_only && !is_root_process();
}

static void write_summary_only(void)
{
	ls_report *r = ls_output_new_report("exit");
	FILE *out = r ? open_destination(false) : NULL;
	if (out) {
		ls_report_write_text_parts(r, out, LS_TEXT_SUMMARY);
		fclose(out);
	}
	ls_report_free(r);
}

void ls_output_exit_report(void)
{
	ls_order_confirm_pending(); /* reported through ls_output_inversion */
	size_t dropped = ls_order_rejected_count();
	if (ls_opts.verbose && dropped) {
		char msg[200];
		snprintf(msg, sizeof msg,
			 "lockscope: (verbose) %zu cycle%s through semaphores held back and dropped: a semaphore in %s "
			 "showed it is a signal, not a lock\n",
			 dropped, dropped == 1 ? "" : "s", dropped == 1 ? "it" : "each");
		ls_write_stderr(msg);
	}
	ls_spin_lock(&output_lock);
	bool summary_only = false;
	if (ls_opts.format == LS_FORMAT_TEXT && (quiet_text_exit(&summary_only) || summary_only)) {
		if (summary_only && is_root_process())
			write_summary_only();
		ls_spin_unlock(&output_lock);
		return;
	}
	ls_symbolizer *s = ls_output_new_symbolizer();
	ls_report *r = ls_output_new_report("exit");
	if (s && r) {
		add_findings(r, s);
		name_python_threads(r);
		if (ls_opts.stats)
			ls_shim_add_locks(r, s, MAX_REPORTED_LOCKS);
		r->deadlocks = events;
		r->n_deadlocks = n_events;
		if (ls_opts.format == LS_FORMAT_JSON) {
			ls_shim_add_order_edges(r, s);
			ls_shim_add_threads(r, s);
		}
		bool json = ls_opts.format == LS_FORMAT_JSON;
		FILE *out = open_destination(json);
		if (out) {
			if (json)
				ls_report_write_json(r, out);
			else
				ls_report_write_text_parts(r, out, LS_TEXT_STATS | LS_TEXT_SUMMARY);
			fclose(out);
		}
		r->deadlocks = NULL;
		r->n_deadlocks = 0;
	}
	ls_report_free(r);
	ls_symbolizer_free(s);
	ls_spin_unlock(&output_lock);
}

/* The environment variable that carries the owner of FILE across exec:
 * "PID:FILE".  A program executed by a forked child has a new pid but no
 * memory of its parent: without this it would take FILE and its report
 * would be overwritten by (or overwrite) the parent's. */
#define REPORT_OWNER_ENV "LOCKSCOPE_REPORT_OWNER"

void ls_output_claim_report(void)
{
	if (!ls_opts.output[0])
		return;
	const char *env = getenv(REPORT_OWNER_ENV);
	char *end = NULL;
	long pid = env ? strtol(env, &end, 10) : 0;
	/* Another FILE's owner (an outer session) does not own ours. */
	if (pid > 0 && *end == ':' && !strcmp(end + 1, ls_opts.output)) {
		owner_pid = (pid_t)pid;
		return;
	}
	if (!owner_pid)
		owner_pid = getpid();
	char value[LS_OPTIONS_PATH_MAX + 32];
	snprintf(value, sizeof value, "%d:%s", (int)owner_pid, ls_opts.output);
	setenv(REPORT_OWNER_ENV, value, 1);
}

/* Moves the event's findings to the kept list (the structs, not copies). */
static void keep_events(ls_report *event)
{
	for (size_t i = 0; i < event->n_deadlocks; i++) {
		ls_deadlock *d = ls_array_push(&events, &n_events, sizeof *d);
		if (!d)
			break;
		*d = event->deadlocks[i];
		memset(&event->deadlocks[i], 0, sizeof event->deadlocks[i]);
	}
	event->n_deadlocks = 0;
}

void ls_output_event(ls_report *event, const char *headline)
{
	ls_order_confirm_pending(); /* the inversions through semaphores so far, before the event */
	ls_spin_lock(&output_lock);
	name_python_threads(event);
	if (ls_opts.format == LS_FORMAT_JSON) {
		/* The whole report so far, rewritten: a program that never exits
		 * (or is ended by on_hang) still leaves a complete document. */
		ls_symbolizer *s = ls_output_new_symbolizer();
		if (s) {
			add_findings(event, s);
			name_python_threads(event);
			if (ls_opts.stats)
				ls_shim_add_locks(event, s, MAX_REPORTED_LOCKS);
			ls_shim_add_order_edges(event, s);
		}
		keep_events(event);
		event->deadlocks = events;
		event->n_deadlocks = n_events;
		FILE *out = open_destination(true);
		if (out) {
			ls_report_write_json(event, out);
			fclose(out);
		}
		event->deadlocks = NULL;
		event->n_deadlocks = 0;
		ls_symbolizer_free(s);
		if (headline && ls_opts.output[0]) {
			ls_write_stderr(headline);
			ls_write_stderr(" (details in the JSON report)\n");
		}
	} else {
		FILE *out = open_destination(false);
		if (out) {
			note_python(out);
			if (headline)
				fprintf(out, "%s\n", headline);
			ls_report_write_text_parts(event, out, LS_TEXT_FINDINGS | LS_TEXT_THREADS);
			fclose(out);
		}
		keep_events(event);
	}
	ls_spin_unlock(&output_lock);
}

void ls_output_atfork_child(void)
{
	ls_spin_reset(&output_lock);
	/* FILE belongs to the first process; it may not have written anything
	 * yet (owner_pid is set on first use), but it is our parent. */
	if (!owner_pid)
		owner_pid = getppid();
	findings_before_fork = ls_order_finding_count();
	text_file_started = false;
}

void ls_output_remember_module(const char *path, uint64_t base)
{
	size_t len = strlen(path) + 1;
	struct closed_module *m = ls_arena_alloc(sizeof *m + len);
	if (!m)
		return;
	memcpy(m->path, path, len);
	m->base = base;
	ls_spin_lock(&output_lock);
	m->next = closed_modules;
	closed_modules = m;
	ls_spin_unlock(&output_lock);
}
