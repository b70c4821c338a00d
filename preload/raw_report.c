/* raw_report.c — the last report when the watchdog cannot write it.
 *
 * Runs on a thread that may have been interrupted inside malloc or stdio
 * (a signal handler, _exit from one): open, write, rename and close only,
 * from data that needs no lock to read (the findings list and the stack
 * depot only grow; the module table is the watchdog's last snapshot).
 * Text: the summary line the full report would end with (the findings were
 * written when found).  JSON: a valid report (lockscope-report(5)) with the
 * inversions and the kinds of the other findings, frames as module+offset
 * (no function names: symbolizing needs malloc), written to a temporary
 * name and renamed over the report so a reader never sees half of it.
 * Thread dumps are not read here (the watchdog may be changing the kept
 * ones): when the image made some, the report file holds them (each dump
 * rewrote it), so it is moved aside to NAME.full first, and the raw
 * report says so and counts them as not kept.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/order_graph.h"
#include "core/stack_depot.h"
#include "core/thread_dump.h"
#include "core/tracker.h"
#include "report/shim_report.h"
#include "shim.h"

#define RAW_NOTE "the report writer did not answer in time"

/* ---- text --------------------------------------------------------------- */

static void put_plural(ls_raw_writer *w, size_t n, const char *what)
{
	ls_raw_dec(w, n);
	ls_raw_str(w, " ");
	ls_raw_str(w, what);
	if (n != 1)
		ls_raw_str(w, "s");
}

/* "lockscope: 1 inversion, 0 deadlocks, 2 hangs in PROG (pid N)", as the
 * text writer (report_text.c) counts. */
static void put_summary(ls_raw_writer *w, size_t inversions, const ls_deadlock *events, size_t n_events,
			size_t loop_stalls, const char *program)
{
	static const char *const others[] = { "hang", "stall", "hold-and-wait" };
	size_t deadlocks = 0, other[LS_ARRAY_SIZE(others)] = { 0 }, unknown = 0;
	for (size_t i = 0; i < n_events; i++) {
		const char *kind = events[i].kind;
		size_t k = 0;
		while (kind && k < LS_ARRAY_SIZE(others) && strcmp(kind, others[k]))
			k++;
		if (!kind || !strcmp(kind, "deadlock"))
			deadlocks++;
		else if (k < LS_ARRAY_SIZE(others))
			other[k]++;
		else
			unknown++;
	}
	ls_raw_str(w, "lockscope: ");
	put_plural(w, inversions, "inversion");
	ls_raw_str(w, ", ");
	put_plural(w, deadlocks, "deadlock");
	for (size_t k = 0; k < LS_ARRAY_SIZE(others); k++)
		if (other[k]) {
			ls_raw_str(w, ", ");
			put_plural(w, other[k], others[k]);
		}
	if (unknown) {
		ls_raw_str(w, ", ");
		put_plural(w, unknown, "other finding");
	}
	if (loop_stalls) {
		ls_raw_str(w, ", ");
		put_plural(w, loop_stalls, "event-loop stall");
	}
	ls_raw_str(w, " in ");
	ls_raw_str(w, program);
	ls_raw_str(w, " (pid ");
	ls_raw_dec(w, (uint64_t)getpid());
	ls_raw_str(w, ")\n");
}

/* ---- JSON --------------------------------------------------------------- */

/* The characters of a JSON string, escaped (no quotes around them). */
static void put_json_chars(ls_raw_writer *w, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char one[8] = { (char)c, 0 };
		if (c == '"' || c == '\\') {
			one[0] = '\\';
			one[1] = (char)c;
			one[2] = 0;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(one, "\\u00", 4);
			one[4] = "0123456789abcdef"[c >> 4];
			one[5] = "0123456789abcdef"[c & 15];
			one[6] = 0;
		} else if (c >= 0x80) {
			one[0] = '?';  /* no UTF-8 check here: keep the document valid */
		}
		ls_raw_str(w, one);
	}
}

static void put_json_string(ls_raw_writer *w, const char *s)
{
	if (!s) {
		ls_raw_str(w, "null");
		return;
	}
	ls_raw_str(w, "\"");
	put_json_chars(w, s);
	ls_raw_str(w, "\"");
}

static void put_json_hex(ls_raw_writer *w, uint64_t v)
{
	ls_raw_str(w, "\"");
	ls_raw_hex(w, v, 1);
	ls_raw_str(w, "\"");
}

static void put_json_stack(ls_raw_writer *w, uint32_t depot_id)
{
	const uint64_t *pcs;
	size_t n = ls_depot_get(depot_id, &pcs);
	ls_raw_str(w, "[");
	for (size_t i = 0; i < n; i++) {
		uint64_t base = 0;
		const char *module = ls_module_table_find(pcs[i], &base);
		ls_raw_str(w, i ? ", {\"function\": null, \"file\": null, \"line\": 0, \"module\": "
				: "{\"function\": null, \"file\": null, \"line\": 0, \"module\": ");
		put_json_string(w, module);
		ls_raw_str(w, ", \"address\": ");
		put_json_hex(w, pcs[i]);
		ls_raw_str(w, ", \"module_offset\": ");
		put_json_hex(w, module ? pcs[i] - base : 0);
		ls_raw_str(w, "}");
	}
	ls_raw_str(w, "]");
}

static void put_json_lock(ls_raw_writer *w, uintptr_t addr, int kind)
{
	ls_raw_str(w, "{\"kind\": ");
	put_json_string(w, ls_lock_kind_name(kind));
	ls_raw_str(w, ", \"address\": ");
	put_json_hex(w, addr);
	ls_raw_str(w, ", \"name\": null}");
}

static void put_json_edge(ls_raw_writer *w, const ls_finding_edge *e)
{
	ls_raw_str(w, "{\"thread\": {\"tid\": ");
	ls_raw_dec(w, (uint64_t)e->tid);
	ls_raw_str(w, ", \"name\": ");
	char name[sizeof e->thread_name + 1];
	memcpy(name, e->thread_name, sizeof e->thread_name);
	name[sizeof e->thread_name] = 0;
	put_json_string(w, name[0] ? name : NULL);
	ls_raw_str(w, "}, \"held\": ");
	put_json_lock(w, e->from_addr, e->from_kind);
	ls_raw_str(w, ", \"held_mode\": ");
	put_json_string(w, ls_mode_name(e->from_mode));
	ls_raw_str(w, ", \"acquired\": ");
	put_json_lock(w, e->to_addr, e->to_kind);
	ls_raw_str(w, ", \"acquired_mode\": ");
	put_json_string(w, ls_mode_name(e->to_mode));
	ls_raw_str(w, ", \"held_stack\": ");
	put_json_stack(w, e->held_stack);
	ls_raw_str(w, ", \"acquire_stack\": ");
	put_json_stack(w, e->acquire_stack);
	ls_raw_str(w, "}");
}

static void put_json_event(ls_raw_writer *w, const ls_deadlock *d)
{
	ls_raw_str(w, "{\"kind\": ");
	put_json_string(w, d->kind);
	ls_raw_str(w, ", \"threads\": [");
	for (size_t i = 0; i < d->n; i++) {
		ls_raw_str(w, i ? ", {\"tid\": " : "{\"tid\": ");
		ls_raw_dec(w, d->entries[i].tid);
		ls_raw_str(w, ", \"name\": ");
		put_json_string(w, d->entries[i].thread_name);
		ls_raw_str(w, "}");
	}
	ls_raw_str(w, "]}");
}

/* The number of seconds with three decimals (no printf here). */
static void put_seconds(ls_raw_writer *w, double seconds)
{
	uint64_t ms = seconds > 0 && seconds < 1e12 ? (uint64_t)(seconds * 1000 + 0.5) : 0;
	char frac[5] = { '.', (char)('0' + ms / 100 % 10), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 0 };
	ls_raw_dec(w, ms / 1000);
	ls_raw_str(w, frac);
}

static void put_json_loop_stall(ls_raw_writer *w, const ls_loop_stall *l)
{
	ls_raw_str(w, "{\"tid\": ");
	ls_raw_dec(w, l->tid);
	ls_raw_str(w, ", \"name\": ");
	put_json_string(w, l->thread_name);
	ls_raw_str(w, ", \"call\": ");
	put_json_string(w, l->call);
	ls_raw_str(w, ", \"threshold_seconds\": ");
	put_seconds(w, l->threshold_seconds);
	ls_raw_str(w, ", \"away_seconds\": ");
	put_seconds(w, l->away_seconds);
	ls_raw_str(w, ", \"total_seconds\": ");
	put_seconds(w, l->total_seconds);
	ls_raw_str(w, "}");
}

static void put_json_report(ls_raw_writer *w, const char *reason, const char *program, size_t skip_findings,
			    const ls_deadlock *events, size_t n_events, const char *full_report)
{
	ls_raw_str(w, "{\n  \"version\": 1,\n  \"program\": ");
	put_json_string(w, program);
	ls_raw_str(w, ",\n  \"pid\": ");
	ls_raw_dec(w, (uint64_t)getpid());
	ls_raw_str(w, ",\n  \"reason\": \"");
	ls_raw_str(w, reason);  /* ours: "signal SIGTERM", "_exit", ... */
	ls_raw_str(w, " (raw: " RAW_NOTE "; frames are module+offset");
	if (full_report) {
		ls_raw_str(w, "; the thread dumps are in the last full report, ");
		put_json_chars(w, full_report);
	}
	ls_raw_str(w, ")\",\n  \"inversions\": [");
	bool first = true;
	for (const ls_inversion_finding *f = ls_order_findings(); f; f = f->next) {
		if (f->seq <= skip_findings)
			continue;
		ls_raw_str(w, first ? "\n    {\"cycle\": [" : ",\n    {\"cycle\": [");
		first = false;
		for (size_t i = 0; i < f->n; i++) {
			ls_raw_str(w, i ? ",\n      " : "\n      ");
			put_json_edge(w, &f->edges[i]);
		}
		ls_raw_str(w, "]}");
	}
	ls_raw_str(w, "],\n  \"deadlocks\": [");
	for (size_t i = 0; i < n_events; i++) {
		ls_raw_str(w, i ? ",\n    " : "\n    ");
		put_json_event(w, &events[i]);
	}
	size_t n_stalls;
	const ls_loop_stall *stalls = ls_output_kept_loop_stalls(&n_stalls);
	ls_raw_str(w, "],\n  \"loop_stalls\": [");
	for (size_t i = 0; i < n_stalls; i++) {
		ls_raw_str(w, i ? ",\n    " : "\n    ");
		put_json_loop_stall(w, &stalls[i]);
	}
	ls_raw_str(w, "],\n  \"threads\": [],\n  \"dumps\": [],\n  \"dumps_omitted\": ");
	ls_raw_dec(w, ls_output_dumps_made());
	ls_raw_str(w, ",\n  \"locks\": [],\n  \"lock_order\": []\n}\n");
}

/* ---- the report ------------------------------------------------------------ */

static char *append(char *p, const char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	*p = 0;
	return p;
}

/* The report file as the last full report left it (with the kept thread
 * dumps) moved to NAME.full; its name into `full`, or NULL. */
static const char *keep_full_report(char *full, size_t len)
{
	char name[LS_OPTIONS_PATH_MAX + 64];
	const char *path = ls_output_path(name, sizeof name, false);
	if (!path || !ls_output_dumps_made())
		return NULL;
	append(append(full, full + len - 1, path), full + len - 1, ".full");
	return rename(path, full) == 0 ? full : NULL;
}

void ls_raw_last_report(const char *reason)
{
	bool before_exec = !strcmp(reason, "exec");
	size_t inversions = ls_output_findings_after_fork(), n_events, n_stalls;
	const ls_deadlock *events = ls_output_kept_events(&n_events);
	ls_output_kept_loop_stalls(&n_stalls);
	bool json = ls_opts.format == LS_FORMAT_JSON;
	bool found = inversions || n_events || n_stalls || (json && ls_output_dumps_made());
	/* The quiet rules of the full report: nothing from a process that found
	 * nothing, except the root's summary line (and the next image writes
	 * that one after an exec). */
	if (!found && (json ? before_exec : before_exec || !ls_output_is_root_process()))
		return;
	char program[1024] = "unknown program";
	ssize_t len = readlink("/proc/self/exe", program, sizeof program - 1);
	if (len > 0)
		program[len] = 0;
	char path_buf[LS_OPTIONS_PATH_MAX + 64], tmp[LS_OPTIONS_PATH_MAX + 80];
	const char *path = ls_output_path(path_buf, sizeof path_buf, before_exec);
	ls_raw_writer w = { .fd = STDERR_FILENO };
	char full_buf[LS_OPTIONS_PATH_MAX + 80];
	const char *full = json && path ? keep_full_report(full_buf, sizeof full_buf) : NULL;
	if (json && path) {
		append(append(tmp, tmp + sizeof tmp - 1, path), tmp + sizeof tmp - 1, ".raw");
		w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	} else if (path) {
		w.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (w.fd < 0)
		w.fd = STDERR_FILENO;
	if (json) {
		put_json_report(&w, reason, program, ls_order_finding_count() - inversions, events, n_events, full);
	} else {
		ls_raw_str(&w, "lockscope: (raw report: " RAW_NOTE "; lock statistics omitted)\n");
		put_summary(&w, inversions, events, n_events, n_stalls, program);
	}
	ls_raw_flush(&w);
	if (w.fd != STDERR_FILENO) {
		close(w.fd);
		if (json)
			rename(tmp, path);
	}
	if (before_exec || !ls_children_is_root()) {
		ls_child_report c = { .pid = getpid(), .program = program, .reason = (char *)reason,
				      .report = (char *)path, .inversions = inversions,
				      .other_findings = n_events + n_stalls };
		ls_children_note(&c);
	}
}
