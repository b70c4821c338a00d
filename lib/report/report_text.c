/* report_text.c — the human-readable report (report.h).
 *
 * Layout: one block per finding, each opened by a line "lockscope: KIND",
 * then the thread dump, the lock statistics table and a one-line summary.
 * Frames read like gdb/TSan: "#N 0xADDR in FUNCTION FILE:LINE".
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/lockscope_internal.h"
#include "report/report.h"
#include "report/report_format.h"

#define STATS_TOP_LOCKS 10
#define STATS_TOP_SITES 2
#define STATS_SITE_FRAMES 3
#define STATS_NAME_WIDTH 24

/* Formatted text of a frame or lock: a small inline buffer, or the heap
 * when a (C++) name does not fit. */
struct text {
	char small[256];
	char *heap;
};

static void text_release(struct text *t)
{
	free(t->heap);
	t->heap = NULL;
}

typedef int (*lock_formatter)(char *buf, size_t len, const ls_lock_ref *l);

static const char *lock_text_with(struct text *t, const ls_lock_ref *l, lock_formatter format)
{
	size_t n = (size_t)format(t->small, sizeof t->small, l);
	if (n < sizeof t->small || !(t->heap = malloc(n + 1)))
		return t->small;
	format(t->heap, n + 1, l);
	return t->heap;
}

/* "resource_a (mutex 0x55d0c0a4e040)" */
static const char *lock_text(struct text *t, const ls_lock_ref *l)
{
	return lock_text_with(t, l, ls_format_lock);
}

/* The short name for cycle lines: "resource_a", else "mutex 0x55d0c0a4e040". */
static const char *lock_label(struct text *t, const ls_lock_ref *l)
{
	return lock_text_with(t, l, ls_lock_label);
}

static const char *frame_text(struct text *t, unsigned index, const ls_frame *f)
{
	size_t n = (size_t)ls_format_frame(t->small, sizeof t->small, index, f);
	if (n < sizeof t->small || !(t->heap = malloc(n + 1)))
		return t->small;
	ls_format_frame(t->heap, n + 1, index, f);
	return t->heap;
}

static bool lock_is_set(const ls_lock_ref *l)
{
	return l->kind || l->name || l->address;
}

/* " for read" / " for write"; nothing for plain exclusive locks. */
static const char *mode_suffix(char *buf, size_t len, const char *mode)
{
	if (!mode || !strcmp(mode, "exclusive"))
		return "";
	snprintf(buf, len, " for %s", mode);
	return buf;
}

/* Frames [from, from + max_frames) of s, numbered as in the whole stack. */
static void put_stack_from(FILE *out, const ls_stack *s, int indent, size_t max_frames, size_t from)
{
	if (s->n == 0) {
		fprintf(out, "%*s(no stack recorded)\n", indent, "");
		return;
	}
	size_t end = s->n - from < max_frames ? s->n : from + max_frames;
	for (size_t i = from; i < end; i++) {
		struct text t = { .heap = NULL };
		fprintf(out, "%*s%s\n", indent, "", frame_text(&t, (unsigned)i, &s->frames[i]));
		text_release(&t);
	}
	if (end < s->n)
		fprintf(out, "%*s... %zu more frames\n", indent, "", s->n - end);
}

static void put_stack(FILE *out, const ls_stack *s, int indent, size_t max_frames)
{
	put_stack_from(out, s, indent, max_frames, 0);
}

static void put_thread_label(FILE *out, size_t index, uint64_t tid, const char *name)
{
	if (name)
		fprintf(out, "Thread T%zu (%s, tid %" PRIu64 ")", index, name, tid);
	else
		fprintf(out, "Thread T%zu (tid %" PRIu64 ")", index, tid);
}

/* "    resource_a was acquired for read at:" and the frames. */
static void put_acquired_at(FILE *out, const ls_lock_ref *l, const char *mode, const ls_stack *s)
{
	struct text t = { .heap = NULL };
	char suffix[64];
	fprintf(out, "    %s was acquired%s at:\n", lock_label(&t, l), mode_suffix(suffix, sizeof suffix, mode));
	text_release(&t);
	put_stack(out, s, 6, SIZE_MAX);
}

static void put_cycle_line(FILE *out, const ls_inversion *inv)
{
	struct text t = { .heap = NULL };
	fprintf(out, "  Cycle of %zu locks: %s", inv->n, lock_label(&t, &inv->cycle[0].held));
	text_release(&t);
	for (size_t i = 0; i < inv->n; i++) {
		fprintf(out, " -> %s", lock_label(&t, &inv->cycle[i].acquired));
		text_release(&t);
	}
	fputc('\n', out);
}

#define PIDS_LISTED 20

/* "pids 101, 102, 103" (the first PIDS_LISTED, then how many more). */
static void put_pids(FILE *out, const int64_t *pids, size_t n, size_t stride)
{
	fprintf(out, "pid%s ", n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < PIDS_LISTED; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", *(const int64_t *)((const char *)pids + i * stride));
	if (n > PIDS_LISTED)
		fprintf(out, " and %zu more", n - PIDS_LISTED);
}

/* In a merge: where the finding was seen. */
static void put_seen_in(FILE *out, const int64_t *pids, size_t n)
{
	if (!n)
		return;
	fprintf(out, "  Seen in %zu process%s: ", n, n == 1 ? "" : "es");
	put_pids(out, pids, n, sizeof *pids);
	fputc('\n', out);
}

static void write_inversion(FILE *out, const ls_inversion *inv)
{
	fprintf(out, "lockscope: lock-order inversion (potential deadlock)\n");
	put_seen_in(out, inv->pids, inv->n_pids);
	if (inv->n == 0) {
		fprintf(out, "  (empty cycle)\n\n");
		return;
	}
	put_cycle_line(out, inv);
	for (size_t i = 0; i < inv->n; i++) {
		const ls_cycle_edge *e = &inv->cycle[i];
		struct text held = { .heap = NULL }, acquired = { .heap = NULL };
		char held_mode[64], acquired_mode[64];
		fputs("  ", out);
		put_thread_label(out, i + 1, e->tid, e->thread_name);
		fprintf(out, " acquired %s%s while holding %s%s:\n", lock_text(&acquired, &e->acquired),
			mode_suffix(acquired_mode, sizeof acquired_mode, e->acquired_mode),
			lock_text(&held, &e->held), mode_suffix(held_mode, sizeof held_mode, e->held_mode));
		text_release(&held);
		text_release(&acquired);
		put_acquired_at(out, &e->held, e->held_mode, &e->held_stack);
		put_acquired_at(out, &e->acquired, e->acquired_mode, &e->acquire_stack);
	}
	fputc('\n', out);
}

/* The name of thread `tid` as the report knows it, or NULL. */
static const char *thread_name_of(const ls_report *r, const ls_deadlock *d, uint64_t tid)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->entries[i].tid == tid && d->entries[i].thread_name)
			return d->entries[i].thread_name;
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid && r->threads[i].name)
			return r->threads[i].name;
	return NULL;
}

static void write_wait_entry(FILE *out, const ls_report *r, const ls_deadlock *d, size_t index)
{
	const ls_wait_entry *w = &d->entries[index];
	struct text t = { .heap = NULL };
	char suffix[64];
	fputs("  ", out);
	put_thread_label(out, index + 1, w->tid, w->thread_name);
	/* A thread waiting for a lock it holds: a deadlock of one thread. */
	bool holds_itself = w->owner_tid == w->tid && lock_is_set(&w->holds.lock);
	if (holds_itself) {
		char held_suffix[64];
		fprintf(out, " waits for %s%s, which it holds itself%s\n", lock_text(&t, &w->waits_for),
			mode_suffix(suffix, sizeof suffix, w->wait_mode),
			mode_suffix(held_suffix, sizeof held_suffix, w->holds.mode));
		text_release(&t);
		put_acquired_at(out, &w->holds.lock, w->holds.mode, &w->holds.stack);
		return;
	}
	if (lock_is_set(&w->holds.lock)) {
		fprintf(out, " holds %s%s and", lock_text(&t, &w->holds.lock),
			mode_suffix(suffix, sizeof suffix, w->holds.mode));
		text_release(&t);
	}
	fprintf(out, " waits for %s%s", lock_text(&t, &w->waits_for), mode_suffix(suffix, sizeof suffix, w->wait_mode));
	text_release(&t);
	if (w->owner_tid) {
		const char *owner = thread_name_of(r, d, w->owner_tid);
		fprintf(out, ", owned by tid %" PRIu64, w->owner_tid);
		if (owner)
			fprintf(out, " (%s)", owner);
	}
	if (w->waits_for.sem_class)
		fprintf(out, ", used as a %s", w->waits_for.sem_class);
	if (w->detail)
		fprintf(out, ", %s", w->detail);
	if (w->wait_seconds > 0)
		fprintf(out, ", for %.3f s", w->wait_seconds);
	fputc('\n', out);
	if (lock_is_set(&w->holds.lock))
		put_acquired_at(out, &w->holds.lock, w->holds.mode, &w->holds.stack);
	if (w->made_at.n) {
		fprintf(out, "    %s was made at:\n", lock_label(&t, &w->waits_for));
		text_release(&t);
		put_stack(out, &w->made_at, 6, SIZE_MAX);
	}
}

static bool is_deadlock_kind(const char *kind)
{
	return !kind || !strcmp(kind, "deadlock");
}

static void write_deadlock(FILE *out, const ls_report *r, const ls_deadlock *d)
{
	fprintf(out, "lockscope: %s\n", d->kind ? d->kind : "deadlock");
	put_seen_in(out, d->pids, d->n_pids);
	if (d->n > 1 && is_deadlock_kind(d->kind))
		fprintf(out, "  Cycle of %zu threads, each waiting for a lock the next one holds:\n", d->n);
	for (size_t i = 0; i < d->n; i++)
		write_wait_entry(out, r, d, i);
	fputc('\n', out);
}

static void write_loop_stall(FILE *out, const ls_loop_stall *l)
{
	const char *call = l->call ? l->call : "its poll call";
	fprintf(out, "lockscope: event-loop stall\n");
	put_seen_in(out, l->pids, l->n_pids);
	fputs("  Thread ", out);
	if (l->thread_name)
		fprintf(out, "%s (tid %" PRIu64 ")", l->thread_name, l->tid);
	else
		fprintf(out, "tid %" PRIu64, l->tid);
	if (l->total_seconds > 0)
		fprintf(out, " did not come back to %s for %.3f s (reported after %.3f s; loop_stall %.3f s)\n", call,
			l->total_seconds, l->away_seconds, l->threshold_seconds);
	else
		fprintf(out, " has not come back to %s for %.3f s (loop_stall %.3f s)\n", call, l->away_seconds,
			l->threshold_seconds);
	fprintf(out, "    its loop calls %s at:\n", call);
	put_stack(out, &l->call_site, 6, SIZE_MAX);
	fprintf(out, "    stack when reported:\n");
	put_stack(out, &l->stack, 6, SIZE_MAX);
	fputc('\n', out);
}

static void write_thread(FILE *out, const ls_thread *th)
{
	struct text t = { .heap = NULL };
	if (th->name)
		fprintf(out, "  Thread %s (tid %" PRIu64 "): %s", th->name, th->tid, th->state ? th->state : "state unknown");
	else
		fprintf(out, "  Thread tid %" PRIu64 ": %s", th->tid, th->state ? th->state : "state unknown");
	if (lock_is_set(&th->waiting_for)) {
		fprintf(out, ", blocked on %s", lock_text(&t, &th->waiting_for));
		text_release(&t);
		if (th->wait_seconds > 0)
			fprintf(out, " for %.3f s", th->wait_seconds);
	}
	fputc('\n', out);
	for (size_t i = 0; i < th->n_held; i++) {
		const ls_held_lock *h = &th->held[i];
		char suffix[64];
		fprintf(out, "    holds %s%s, acquired at:\n", lock_text(&t, &h->lock),
			mode_suffix(suffix, sizeof suffix, h->mode));
		text_release(&t);
		put_stack(out, &h->stack, 6, SIZE_MAX);
	}
	if (th->stack.n) {
		fprintf(out, "    stack:\n");
		put_stack(out, &th->stack, 6, SIZE_MAX);
	}
	if (th->acquisitions || th->wait_ns) {
		char wait[32];
		ls_format_ns(wait, sizeof wait, th->wait_ns);
		fprintf(out, "    %" PRIu64 " lock acquisitions, %s waiting\n", th->acquisitions, wait);
	}
}

static void write_threads(FILE *out, const ls_thread *threads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		write_thread(out, &threads[i]);
	fputc('\n', out);
}

static void write_thread_dump(FILE *out, const ls_thread *threads, size_t n)
{
	fprintf(out, "lockscope: thread dump (%zu thread%s)\n", n, n == 1 ? "" : "s");
	write_threads(out, threads, n);
}

static bool any_stack(const ls_thread *threads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (threads[i].stack.n)
			return true;
	return false;
}

/* The report's own threads: a dump when they have stacks; after kept
 * dumps, threads without stacks are said to be something else. */
static void write_report_threads(FILE *out, const ls_report *r)
{
	if (!r->n_dumps || any_stack(r->threads, r->n_threads)) {
		write_thread_dump(out, r->threads, r->n_threads);
		return;
	}
	fprintf(out, "lockscope: %zu thread%s when the report was written (no stacks: see the dumps above)\n",
		r->n_threads, r->n_threads == 1 ? "" : "s");
	write_threads(out, r->threads, r->n_threads);
}

/* A kept dump: the line that opened it when it was made, when and why,
 * and its threads. */
static void write_kept_dump(FILE *out, const ls_dump *d)
{
	if (d->headline)
		fprintf(out, "%s\n", d->headline);
	else
		fprintf(out, "lockscope: thread dump with the %s report\n", d->reason ? d->reason : "unknown");
	fputs("  kept dump", out);
	if (d->number)
		fprintf(out, " %" PRIu64, d->number);
	if (d->pid)
		fprintf(out, " of pid %" PRId64, d->pid);
	fprintf(out, " (%s), %.3f s after start", d->reason ? d->reason : "reason unknown", d->uptime_seconds);
	if (d->time)
		fprintf(out, ", at %s", d->time);
	fputc('\n', out);
	write_thread_dump(out, d->threads, d->n_threads);
}

/* Dumps [i-1] and [i] of one process with numbers between them: those
 * were made but not kept. */
static uint64_t dumps_left_out_before(const ls_report *r, size_t i)
{
	const ls_dump *a = &r->dumps[i - 1], *b = &r->dumps[i];
	return a->pid == b->pid && a->number && b->number > a->number + 1 ? b->number - a->number - 1 : 0;
}

static void write_left_out(FILE *out, uint64_t n)
{
	fprintf(out, "lockscope: %" PRIu64 " thread dump%s not kept here (a process keeps its first %d and its last %d)\n\n",
		n, n == 1 ? "" : "s", LS_DUMPS_KEPT_FIRST, LS_DUMPS_KEPT_LAST);
}

/* Left out where no gap in the numbers shows it (a raw report keeps none). */
static void write_not_in_report(FILE *out, uint64_t n)
{
	fprintf(out, "lockscope: thread dumps made but not in this report: %" PRIu64 "\n\n", n);
}

static void write_kept_dumps(FILE *out, const ls_report *r)
{
	uint64_t shown_gaps = 0;
	for (size_t i = 0; i < r->n_dumps; i++) {
		uint64_t gap = i ? dumps_left_out_before(r, i) : 0;
		if (gap)
			write_left_out(out, gap);
		shown_gaps += gap;
		write_kept_dump(out, &r->dumps[i]);
	}
	if (r->dumps_omitted > shown_gaps)
		write_not_in_report(out, r->dumps_omitted - shown_gaps);
}

int ls_report_write_text_dump(const ls_report *r, size_t i, FILE *out)
{
	if (i < r->n_dumps)
		write_kept_dump(out, &r->dumps[i]);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

static void write_site(FILE *out, size_t rank, const ls_site *s)
{
	char wait[32], max_wait[32], hold[32];
	ls_format_ns(wait, sizeof wait, s->wait_ns);
	ls_format_ns(max_wait, sizeof max_wait, s->max_wait_ns);
	ls_format_ns(hold, sizeof hold, s->hold_ns);
	fprintf(out, "        site %zu: %" PRIu64 " acquisition%s, %" PRIu64 " contended, wait %s (max %s), hold %s\n",
		rank, s->acquisitions, s->acquisitions == 1 ? "" : "s", s->contended, wait, max_wait, hold);
	/* a Python program's site from its innermost Python frame on: the
	 * native frames above it are the interpreter's */
	const ls_frame *key = ls_stack_key_frame(&s->stack);
	put_stack_from(out, &s->stack, 10, STATS_SITE_FRAMES, key ? (size_t)(key - s->stack.frames) : 0);
}

/* Characters of UTF-8 text (its bytes other than continuation bytes). */
static size_t utf8_chars(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* The name column of the statistics table: the label padded to
 * STATS_NAME_WIDTH characters, or, when longer, its start and "..." so
 * the numbers after it stay aligned.  Returns whether it was cut. */
static bool put_name_cell(FILE *out, const char *label)
{
	size_t len = strlen(label), chars = utf8_chars(label, len);
	if (chars <= STATS_NAME_WIDTH) {
		fprintf(out, "%s%*s", label, (int)(STATS_NAME_WIDTH - chars), "");
		return false;
	}
	size_t keep = 0;
	for (size_t kept_chars = 0; keep < len; keep++) {
		/* a character starts here: stop when no room is left for it */
		if (((unsigned char)label[keep] & 0xc0) != 0x80 && kept_chars++ == STATS_NAME_WIDTH - 3)
			break;
	}
	fprintf(out, "%.*s...", (int)keep, label);
	return true;
}

static void write_lock_row(FILE *out, size_t rank, const ls_lock_stats *l)
{
	char wait[32], max_wait[32], hold[32], max_hold[32];
	struct text t = { .heap = NULL };
	ls_format_ns(wait, sizeof wait, l->wait_ns);
	ls_format_ns(max_wait, sizeof max_wait, l->max_wait_ns);
	ls_format_ns(hold, sizeof hold, l->hold_ns);
	ls_format_ns(max_hold, sizeof max_hold, l->max_hold_ns);
	const char *label = lock_label(&t, &l->lock);
	fprintf(out, "  %-3zu ", rank);
	bool cut = put_name_cell(out, label);
	fprintf(out, " %-9s %10" PRIu64 " %10" PRIu64 " %12s %12s %12s %12s\n", l->lock.kind ? l->lock.kind : "lock",
		l->acquisitions, l->contended, wait, max_wait, hold, max_hold);
	/* the whole name, under the cut one */
	if (cut)
		fprintf(out, "      %s\n", label);
	text_release(&t);
	/* Where a lock never made anyone wait, its call sites say nothing new. */
	if (!l->contended && !l->wait_ns)
		return;

	size_t *sites = ls_sites_by_wait(l);
	size_t shown = l->n_sites < STATS_TOP_SITES ? l->n_sites : STATS_TOP_SITES;
	for (size_t i = 0; sites && i < shown; i++)
		write_site(out, i + 1, &l->sites[sites[i]]);
	free(sites);
}

static void write_lock_stats(FILE *out, const ls_report *r)
{
	size_t shown = r->n_locks < STATS_TOP_LOCKS ? r->n_locks : STATS_TOP_LOCKS;
	uint64_t total = ls_report_locks_total(r);
	fprintf(out, "lockscope: lock statistics (top %zu of %" PRIu64 " lock%s by wait time)\n", shown, total,
		total == 1 ? "" : "s");
	fprintf(out, "  %-3s %-*s %-9s %10s %10s %12s %12s %12s %12s\n", "#", STATS_NAME_WIDTH, "lock", "kind", "acquired",
		"contended", "wait total", "wait max", "hold total", "hold max");
	size_t *order = ls_locks_by_wait(r);
	if (!order) {
		fprintf(out, "  (out of memory)\n\n");
		return;
	}
	for (size_t i = 0; i < shown; i++)
		write_lock_row(out, i + 1, &r->locks[order[i]]);
	free(order);
	fputc('\n', out);
}

/* The reports other processes of the run wrote: those that found
 * something, one line each; the others only counted. */
static void write_child_reports(FILE *out, const ls_report *r)
{
	size_t with_findings = 0;
	for (size_t i = 0; i < r->n_child_reports; i++)
		with_findings += r->child_reports[i].inversions || r->child_reports[i].other_findings;
	if (!r->n_child_reports)
		return;
	fprintf(out, "lockscope: %zu other process%s of this run wrote a report, %zu with findings%s\n",
		r->n_child_reports, r->n_child_reports == 1 ? "" : "es", with_findings, with_findings ? ":" : "");
	for (size_t i = 0; i < r->n_child_reports; i++) {
		const ls_child_report *c = &r->child_reports[i];
		if (!c->inversions && !c->other_findings)
			continue;
		fprintf(out, "  pid %" PRId64 " (%s, %s): %" PRIu64 " inversion%s, %" PRIu64 " other finding%s in %s\n",
			c->pid, c->program ? c->program : "unknown program", c->reason ? c->reason : "exit",
			c->inversions, c->inversions == 1 ? "" : "s", c->other_findings, c->other_findings == 1 ? "" : "s",
			c->report ? c->report : "standard error");
	}
}

/* Findings other than deadlocks are counted by kind in the summary. */
static const char *const other_finding_kinds[] = { "hang", "stall", "hold-and-wait" };

static void write_summary(FILE *out, const ls_report *r)
{
	size_t deadlocks = 0, other[LS_ARRAY_SIZE(other_finding_kinds)] = { 0 }, unknown = 0;
	for (size_t i = 0; i < r->n_deadlocks; i++) {
		const char *kind = r->deadlocks[i].kind;
		size_t k = 0;
		if (is_deadlock_kind(kind)) {
			deadlocks++;
			continue;
		}
		while (k < LS_ARRAY_SIZE(other_finding_kinds) && strcmp(kind, other_finding_kinds[k]))
			k++;
		if (k < LS_ARRAY_SIZE(other_finding_kinds))
			other[k]++;
		else
			unknown++;
	}
	fprintf(out, "lockscope: %zu inversion%s, %zu deadlock%s", r->n_inversions, r->n_inversions == 1 ? "" : "s",
		deadlocks, deadlocks == 1 ? "" : "s");
	for (size_t k = 0; k < LS_ARRAY_SIZE(other_finding_kinds); k++)
		if (other[k])
			fprintf(out, ", %zu %s%s", other[k], other_finding_kinds[k], other[k] == 1 ? "" : "s");
	if (unknown)
		fprintf(out, ", %zu other finding%s", unknown, unknown == 1 ? "" : "s");
	if (r->n_loop_stalls)
		fprintf(out, ", %zu event-loop stall%s", r->n_loop_stalls, r->n_loop_stalls == 1 ? "" : "s");
	if (r->n_merged_from) {
		fprintf(out, " in %zu reports of %s (", r->n_merged_from,
			r->program ? r->program : "several programs");
		put_pids(out, &r->merged_from[0].pid, r->n_merged_from, sizeof *r->merged_from);
		fputs(")\n", out);
		return;
	}
	fprintf(out, " in %s (pid %" PRId64 ")\n", r->program ? r->program : "unknown program", r->pid);
}

int ls_report_write_text_parts(const ls_report *r, FILE *out, unsigned parts)
{
	for (size_t i = 0; (parts & LS_TEXT_FINDINGS) && i < r->n_inversions; i++)
		write_inversion(out, &r->inversions[i]);
	for (size_t i = 0; (parts & LS_TEXT_FINDINGS) && i < r->n_deadlocks; i++)
		write_deadlock(out, r, &r->deadlocks[i]);
	for (size_t i = 0; (parts & LS_TEXT_FINDINGS) && i < r->n_loop_stalls; i++)
		write_loop_stall(out, &r->loop_stalls[i]);
	if (parts & LS_TEXT_DUMPS)
		write_kept_dumps(out, r);
	/* the report written at a dump has it in threads[] and dumps[] */
	if ((parts & LS_TEXT_THREADS) && r->n_threads && !ls_report_threads_repeat_last_dump(r))
		write_report_threads(out, r);
	if ((parts & LS_TEXT_STATS) && r->n_locks)
		write_lock_stats(out, r);
	if (parts & LS_TEXT_SUMMARY) {
		write_child_reports(out, r);
		write_summary(out, r);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int ls_report_write_text_findings(const ls_report *r, FILE *out)
{
	return ls_report_write_text_parts(r, out, LS_TEXT_FINDINGS | LS_TEXT_THREADS);
}

int ls_report_write_text(const ls_report *r, FILE *out)
{
	return ls_report_write_text_parts(r, out, LS_TEXT_ALL);
}
