/* output.c — where the shim's reports go, and writing them.
 *
 * Text findings are written the moment they are found (a program that then
 * deadlocks has still said why); the exit report adds statistics and the
 * summary.  JSON is written whole at exit.  A forked child writes to
 * FILE.PID so it never overwrites its parent's report; an exec'd program
 * keeps its pid and writes FILE.  An image that found something and is
 * replaced by exec writes its JSON report first to NAME.execN (NAME being
 * FILE or FILE.PID, N the image's number in this pid), so the next image's
 * report does not overwrite it; a text FILE is continued by the next image.
 * Report files are created 0600 and never through a symbolic link.
 *
 * In JSON each thread dump (on the dump signal, a timer, a watchdog
 * deadline, a deadlock, hang or stall, a crash) is kept, like the findings,
 * for every report written after it (the rewrites at later events and the
 * last report, however the image ends): its first LS_DUMPS_KEPT_FIRST and
 * last LS_DUMPS_KEPT_LAST dumps, with a count of those left out.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/thread_dump.h"
#include "core/tracker.h"
#include "report/py_names.h"
#include "report/shim_report.h"
#include "symbols/symbolize.h"
#include "symbols/symcache.h"
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
static ls_loop_stall *stalls;      /* event-loop stalls, likewise */
static size_t n_stalls;
/* Which image of this pid this is (1, then 2 after an exec...), and the
 * findings the last report before an exec had. */
static unsigned image_index = 1;
static size_t findings_at_exec;
/* Thread dumps kept (JSON), oldest first; how many this image made (their
 * numbers), how many were left out, how many the last report before an
 * exec had; when this image (or the fork that made it) started. */
static ls_dump *dumps;
static size_t n_dumps;
static uint64_t dumps_made, dumps_omitted, dumps_at_exec;
static uint64_t image_start_ns;
static ls_dump *volatile abandoned_dumps;  /* a forked child's: its parent's */

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

static char *append_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *append_dec(char *p, char *end, uint64_t v)
{
	char digits[24];
	*ls_raw_put_dec(digits, v) = 0;
	return append_str(p, end, digits);
}

/* FILE, FILE.PID for another process, and ".execN" for the report of an
 * image about to be replaced; NULL for standard error.  No stdio, no
 * malloc: the raw report (raw_report.c) uses it in a signal handler. */
const char *ls_output_path(char *buf, size_t len, bool before_exec)
{
	if (!ls_opts.output[0])
		return NULL;
	if (!owner_pid)
		owner_pid = getpid();
	char *p = buf, *end = buf + len - 1;
	p = append_str(p, end, ls_opts.output);
	if (getpid() != owner_pid)
		p = append_dec(append_str(p, end, "."), end, (uint64_t)getpid());
	if (before_exec && ls_opts.format == LS_FORMAT_JSON)
		p = append_dec(append_str(p, end, ".exec"), end, image_index);
	*p = 0;
	return buf;
}

static const char *output_path(char *buf, size_t len)
{
	return ls_output_path(buf, len, false);
}

/* Opens the report destination as a stdio stream (stderr when no file). */
static FILE *open_destination_at(bool whole_report, const char *path)
{
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

static FILE *open_destination(bool whole_report)
{
	char buf[LS_OPTIONS_PATH_MAX + 48];
	return open_destination_at(whole_report, output_path(buf, sizeof buf));
}

/* The persistent symbol cache's directory, found by the constructor (the
 * environment is read there and nowhere later: the program may be inside
 * setenv when a report is written); "" when there is none.  A report
 * whose addresses were all seen by an earlier run reads no DWARF: for a
 * program whose stacks meet libc with libc6-dbg installed, that is the
 * ~60 ms of inflating libc's debug sections at every exit. */
static char symcache_dir[PATH_MAX];

static void find_symcache_dir(void)
{
	char *dir = ls_opts.symcache ? ls_symcache_default_dir() : NULL;
	if (dir && strlen(dir) < sizeof symcache_dir)
		strcpy(symcache_dir, dir);
	free(dir);
}

ls_symbolizer *ls_output_new_symbolizer(void)
{
	ls_symbolizer *s = ls_symbolizer_new_self();
	if (!s)
		return NULL;
	for (struct closed_module *m = closed_modules; m; m = m->next)
		ls_symbolizer_add_module(s, m->path, m->base);
	if (symcache_dir[0])
		ls_symbolizer_use_disk_cache(s, symcache_dir);
	return s;
}

void ls_output_keep_symbols(ls_symbolizer *s)
{
	if (!s || !symcache_dir[0])
		return;
	ls_symbolizer_save_disk_cache(s);
	if (ls_opts.verbose) {
		char msg[PATH_MAX + 96];
		snprintf(msg, sizeof msg, "lockscope: (verbose) %" PRIu64 " addresses symbolized from the cache in %s\n",
			 ls_symbolizer_disk_hits(s), symcache_dir);
		ls_write_stderr(msg);
	}
}

void ls_output_free_symbolizer(ls_symbolizer *s)
{
	ls_output_keep_symbols(s);
	ls_symbolizer_free(s);
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
		ls_output_free_symbolizer(s);
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

bool ls_output_is_root_process(void) { return is_root_process(); }

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
	bool findings = ls_order_finding_count() > findings_before_fork || n_events > 0 || n_stalls > 0;
	*summary_only = !findings && !contended;
	return *summary_only && !is_root_process();
}

/* Findings of this process (not those its parent had before a fork). */
static size_t own_findings(void)
{
	return ls_order_finding_count() - findings_before_fork + n_events + n_stalls;
}

/* The findings kept from the events, shown in a report (and taken back
 * before it is freed). */
static void lend_kept(ls_report *r)
{
	r->deadlocks = events;
	r->n_deadlocks = n_events;
	r->loop_stalls = stalls;
	r->n_loop_stalls = n_stalls;
	r->dumps = dumps;
	r->n_dumps = n_dumps;
	r->dumps_omitted = dumps_omitted;
}

static void take_back_kept(ls_report *r)
{
	r->deadlocks = NULL;
	r->n_deadlocks = 0;
	r->loop_stalls = NULL;
	r->n_loop_stalls = 0;
	r->dumps = NULL;
	r->n_dumps = 0;
	r->dumps_omitted = 0;
}

/* A report that is not the root's last one is listed in the root's. */
static void note_for_root(const ls_report *r, const char *path, bool before_exec)
{
	if (!before_exec && ls_children_is_root())
		return;
	ls_child_report c = { .pid = r->pid, .program = r->program, .reason = r->reason, .report = (char *)path,
			      .inversions = r->n_inversions, .other_findings = r->n_deadlocks + r->n_loop_stalls };
	ls_children_note(&c);
}

static void write_summary_only(const char *reason)
{
	ls_report *r = ls_output_new_report(reason);
	FILE *out = r ? open_destination(false) : NULL;
	if (out) {
		ls_children_collect(r);
		ls_report_write_text_parts(r, out, LS_TEXT_SUMMARY);
		fclose(out);
	}
	ls_report_free(r);
}

/* Cycles through semaphores found so far are confirmed (or dropped) before
 * a report is written; confirming reports through ls_output_inversion,
 * which takes output_lock, so this runs before it is taken. */
static void confirm_pending_cycles(void)
{
	ls_order_confirm_pending();
	size_t dropped = ls_order_rejected_count();
	if (ls_opts.verbose && dropped) {
		char msg[200];
		snprintf(msg, sizeof msg,
			 "lockscope: (verbose) %zu cycle%s through semaphores held back and dropped: a semaphore in %s "
			 "showed it is a signal, not a lock\n",
			 dropped, dropped == 1 ? "" : "s", dropped == 1 ? "it" : "each");
		ls_write_stderr(msg);
	}
}

static void write_last_report(const char *reason, bool before_exec)
{
	bool summary_only = false;
	if (ls_opts.format == LS_FORMAT_TEXT && (quiet_text_exit(&summary_only) || summary_only)) {
		/* Before an exec the next image writes the summary of this pid. */
		if (summary_only && is_root_process() && !before_exec)
			write_summary_only(reason);
		return;
	}
	ls_symbolizer *s = ls_output_new_symbolizer();
	ls_report *r = ls_output_new_report(reason);
	if (s && r) {
		add_findings(r, s);
		name_python_threads(r);
		if (ls_opts.stats)
			ls_shim_add_locks(r, s, MAX_REPORTED_LOCKS);
		lend_kept(r);
		bool json = ls_opts.format == LS_FORMAT_JSON;
		if (json) {
			ls_shim_add_order_edges(r, s);
			ls_shim_add_threads(r, s);
		}
		if (!before_exec)
			ls_children_collect(r);
		char buf[LS_OPTIONS_PATH_MAX + 48];
		const char *path = ls_output_path(buf, sizeof buf, before_exec);
		FILE *out = open_destination_at(json, path);
		if (out) {
			if (json)
				ls_report_write_json(r, out);
			else
				ls_report_write_text_parts(r, out, LS_TEXT_STATS | LS_TEXT_SUMMARY);
			fclose(out);
			note_for_root(r, path, before_exec);
		}
		take_back_kept(r);
	}
	ls_report_free(r);
	ls_output_free_symbolizer(s);
}

void ls_output_exit_report(const char *reason)
{
	confirm_pending_cycles();
	ls_spin_lock(&output_lock);
	write_last_report(reason, false);
	ls_spin_unlock(&output_lock);
}

size_t ls_output_findings_after_fork(void)
{
	return ls_order_finding_count() - findings_before_fork;
}

const ls_deadlock *ls_output_kept_events(size_t *n)
{
	*n = n_events;
	return events;
}

uint64_t ls_output_dumps_made(void)
{
	return dumps_made;
}

const ls_loop_stall *ls_output_kept_loop_stalls(size_t *n)
{
	*n = n_stalls;
	return stalls;
}

/* Something the last report before an exec did not have: a finding, or
 * a thread dump (the next image's report would overwrite FILE). */
static bool new_since_exec_report(void)
{
	return own_findings() > findings_at_exec || dumps_made > dumps_at_exec;
}

bool ls_output_exec_report_due(void)
{
	confirm_pending_cycles();
	return new_since_exec_report();
}

void ls_output_exec_report(void)
{
	confirm_pending_cycles();
	ls_spin_lock(&output_lock);
	if (new_since_exec_report()) {
		write_last_report("exec", true);
		findings_at_exec = own_findings();
		dumps_at_exec = dumps_made;
	}
	ls_spin_unlock(&output_lock);
}

/* What the next image of this pid needs to know: "PID:N:T", N its number,
 * T 1 when this image started the text FILE (the next one appends to it). */
#define EXEC_IMAGE_ENV "LOCKSCOPE_EXEC_IMAGE"

const char *ls_output_exec_marker(char *buf, size_t len)
{
	char *p = buf, *end = buf + len - 1;
	p = append_str(p, end, EXEC_IMAGE_ENV "=");
	p = append_dec(p, end, (uint64_t)getpid());
	p = append_dec(append_str(p, end, ":"), end, image_index + 1);
	p = append_dec(append_str(p, end, ":"), end, text_file_started);
	*p = 0;
	return p < end ? buf : NULL;
}

bool ls_output_is_exec_marker(const char *env_entry)
{
	return !strncmp(env_entry, EXEC_IMAGE_ENV "=", sizeof EXEC_IMAGE_ENV);
}

/* An image started by exec in this pid continues the previous one's files. */
static void continue_previous_image(void)
{
	const char *env = getenv(EXEC_IMAGE_ENV);
	char *end = NULL;
	long pid = env ? strtol(env, &end, 10) : 0;
	if (pid != (long)getpid() || *end != ':')
		return;
	unsigned long index = strtoul(end + 1, &end, 10);
	if (*end != ':' || index < 2 || index > 1000000)
		return;
	image_index = (unsigned)index;
	text_file_started = end[1] == '1';
}

/* The environment variable that carries the owner of FILE across exec:
 * "PID:FILE".  A program executed by a forked child has a new pid but no
 * memory of its parent: without this it would take FILE and its report
 * would be overwritten by (or overwrite) the parent's. */
#define REPORT_OWNER_ENV "LOCKSCOPE_REPORT_OWNER"

void ls_output_claim_report(void)
{
	if (!image_start_ns)
		image_start_ns = ls_now_ns();
	find_symcache_dir();
	ls_children_claim();
	if (!ls_opts.output[0])
		return;
	continue_previous_image();
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

/* Moves the elements of the array *from_ptr (n of them) to the end of the
 * kept array (the structs, not copies), and frees it; one that finds no
 * room is dropped. */
static void keep_all(void *kept_ptr, size_t *n_kept, void *from_ptr, size_t *n, size_t size,
		     void (*drop)(void *))
{
	char *from = *(char **)from_ptr;
	for (size_t i = 0; i < *n; i++) {
		void *slot = ls_array_push(kept_ptr, n_kept, size);
		if (slot)
			memcpy(slot, from + i * size, size);
		else
			drop(from + i * size);
	}
	free(from);
	*(char **)from_ptr = NULL;
	*n = 0;
}

static void drop_deadlock(void *d) { ls_deadlock_free(d); }
static void drop_loop_stall(void *l) { ls_loop_stall_free(l); }

/* Moves the event's findings to the kept lists. */
static void keep_events(ls_report *event)
{
	keep_all(&events, &n_events, &event->deadlocks, &event->n_deadlocks, sizeof *events, drop_deadlock);
	keep_all(&stalls, &n_stalls, &event->loop_stalls, &event->n_loop_stalls, sizeof *stalls, drop_loop_stall);
}

/* "2024-05-01T12:34:56.789Z" (malloc'd), or NULL.  Computed here, not
 * with gmtime_r: glibc's takes the time-zone lock, which a crashed thread
 * may hold while the watchdog writes its report. */
static char *utc_time_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return NULL;
	int64_t days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
	/* the proleptic Gregorian date of a day count since 1970-01-01, in
	 * 400-year eras of 146097 days, years starting on March 1st */
	int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);
	char buf[160];
	snprintf(buf, sizeof buf, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03ldZ",
		 year, month, day, secs / 3600, secs / 60 % 60, secs % 60, ts.tv_nsec / 1000000);
	return strdup(buf);
}

/* Moves the event's thread dump (its threads) to the kept dumps, the
 * oldest of the last ones making room when they are all taken.  Returns
 * the kept dump, or NULL (no dump, text output, or no memory: the threads
 * stay in the event). */
static const ls_dump *keep_dump(ls_report *event, const char *reason, const char *headline)
{
	if (ls_opts.format != LS_FORMAT_JSON || !reason || !event->n_threads)
		return NULL;
	dumps_made++;
	if (n_dumps == LS_DUMPS_KEPT_FIRST + LS_DUMPS_KEPT_LAST) {
		ls_dump_free(&dumps[LS_DUMPS_KEPT_FIRST]);
		memmove(&dumps[LS_DUMPS_KEPT_FIRST], &dumps[LS_DUMPS_KEPT_FIRST + 1],
			(LS_DUMPS_KEPT_LAST - 1) * sizeof *dumps);
		n_dumps--;
		dumps_omitted++;
	}
	ls_dump *d = ls_array_push(&dumps, &n_dumps, sizeof *d);
	if (!d) {
		dumps_omitted++;
		return NULL;
	}
	uint64_t now = ls_now_ns();
	d->number = dumps_made;
	d->reason = strdup(reason);
	d->headline = ls_strdup_or_null(headline);
	d->time = utc_time_now();
	d->uptime_seconds = image_start_ns && now > image_start_ns ? (double)(now - image_start_ns) / 1e9 : 0;
	d->threads = event->threads;
	d->n_threads = event->n_threads;
	event->threads = NULL;
	event->n_threads = 0;
	return d;
}

/* JSON: the whole report so far, rewritten: a program that never exits
 * (or is ended by on_hang) still leaves a complete document.  The event's
 * thread dump, if it has one, is kept (under `dump_reason`) and shown both
 * as the report's threads and as the last kept dump. */
static void write_json_so_far(ls_report *event, const char *headline, const char *dump_reason)
{
	ls_symbolizer *s = ls_output_new_symbolizer();
	if (s) {
		add_findings(event, s);
		name_python_threads(event);
		if (ls_opts.stats)
			ls_shim_add_locks(event, s, MAX_REPORTED_LOCKS);
		ls_shim_add_order_edges(event, s);
	}
	keep_events(event);
	const ls_dump *dump = keep_dump(event, dump_reason, headline);
	lend_kept(event);
	if (dump) {
		event->threads = dump->threads;
		event->n_threads = dump->n_threads;
	}
	FILE *out = open_destination(true);
	if (out) {
		ls_report_write_json(event, out);
		fclose(out);
	}
	take_back_kept(event);
	if (dump) {
		event->threads = NULL;
		event->n_threads = 0;
	}
	ls_output_free_symbolizer(s);
	if (headline && ls_opts.output[0]) {
		ls_write_stderr(headline);
		ls_write_stderr(" (details in the JSON report)\n");
	}
}

void ls_output_dump_event(ls_report *event, const char *headline, const char *dump_reason)
{
	ls_order_confirm_pending(); /* the inversions through semaphores so far, before the event */
	ls_spin_lock(&output_lock);
	name_python_threads(event);
	if (ls_opts.format == LS_FORMAT_JSON) {
		write_json_so_far(event, headline, dump_reason);
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

void ls_output_event(ls_report *event, const char *headline)
{
	ls_output_dump_event(event, headline, event->reason);
}

void ls_output_loop_stall_ended(pid_t tid, double total_seconds, const char *headline)
{
	ls_spin_lock(&output_lock);
	for (size_t i = n_stalls; i-- > 0;)
		if (stalls[i].tid == (uint64_t)tid && !(stalls[i].total_seconds > 0)) {
			stalls[i].total_seconds = total_seconds > 0 ? total_seconds : 1e-9;
			break;
		}
	if (ls_opts.format == LS_FORMAT_JSON) {
		ls_report *r = ls_output_new_report("event-loop stall");
		if (r)
			write_json_so_far(r, headline, NULL);
		ls_report_free(r);
	} else {
		FILE *out = open_destination(false);
		if (out) {
			fprintf(out, "%s\n\n", headline);
			fclose(out);
		}
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
	image_index = 1;
	findings_at_exec = 0;
	/* The parent's dumps show the parent's threads: forgotten, not freed
	 * (the watchdog may have been changing them when the fork came; kept
	 * reachable so a leak checker does not count them). */
	abandoned_dumps = dumps;
	dumps = NULL;
	n_dumps = 0;
	dumps_made = dumps_omitted = dumps_at_exec = 0;
	image_start_ns = ls_now_ns();
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
