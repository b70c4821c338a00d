/* report_render_folded.c — folded stacks for flamegraph.pl and speedscope.
 *
 * folded: wait time per call stack.  One line per lock call site that
 * waited: frames outermost first joined by ';' (a Python frame as
 * "function (file.py:line)"), the lock itself as the innermost frame (so a
 * flame graph splits the time by lock), a space and the wait time in ns.
 *
 * folded-dumps: the threads of the thread dumps, one sample per thread
 * per dump (identical stacks counted together): what every thread was
 * doing, like a flame graph of a JVM thread dump.  A separate output, not
 * lines mixed into the wait times: a sample count added to nanoseconds
 * would weigh nothing, and the two mean different things.
 *
 * No header: flamegraph.pl and speedscope read either as is.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_render.h"

/* A frame name for folded output: ';' separates frames and the line ends
 * in " COUNT", so ';' and control characters are replaced. */
static void put_folded_name(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

static void put_frame_name(FILE *out, const ls_frame *f)
{
	if (f->language == LS_FRAME_PYTHON) {
		/* "inner (app.py:23)": what Python flame graphs show */
		const char *slash = f->file ? strrchr(f->file, '/') : NULL;
		put_folded_name(out, f->function ? f->function : "??");
		fputs(" (", out);
		put_folded_name(out, slash ? slash + 1 : f->file ? f->file : "??");
		fprintf(out, ":%d)", f->line);
	} else if (f->function) {
		put_folded_name(out, f->function);
	} else if (f->module) {
		const char *slash = strrchr(f->module, '/');
		put_folded_name(out, slash ? slash + 1 : f->module);
		fprintf(out, "+0x%" PRIx64, f->module_offset);
	} else {
		fprintf(out, "0x%" PRIx64, f->address);
	}
}

static void put_lock_frame(FILE *out, const ls_lock_ref *l)
{
	char label[256];
	ls_lock_label(label, sizeof label, l);
	fputs("lock ", out);
	put_folded_name(out, label);
}

static void put_frames(FILE *out, const ls_stack *s)
{
	for (size_t i = s->n; i-- > 0;) {
		put_frame_name(out, &s->frames[i]);
		if (i)
			fputc(';', out);
	}
}

static void put_folded_line(FILE *out, const ls_stack *s, const ls_lock_ref *l, uint64_t count)
{
	put_frames(out, s);
	if (s->n)
		fputc(';', out);
	put_lock_frame(out, l);
	fprintf(out, " %" PRIu64 "\n", count);
}

int ls_report_write_folded(const ls_report *r, FILE *out)
{
	static const ls_stack no_stack;
	for (size_t i = 0; i < r->n_locks; i++) {
		const ls_lock_stats *l = &r->locks[i];
		uint64_t attributed = 0;
		for (size_t j = 0; j < l->n_sites; j++) {
			if (l->sites[j].wait_ns == 0)
				continue;
			put_folded_line(out, &l->sites[j].stack, &l->lock, l->sites[j].wait_ns);
			attributed += l->sites[j].wait_ns;
		}
		/* Wait time no recorded site accounts for still belongs to the lock. */
		if (l->wait_ns > attributed)
			put_folded_line(out, &no_stack, &l->lock, l->wait_ns - attributed);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* ---- folded-dumps ------------------------------------------------------------ */

struct folded_stacks {
	char **lines;
	size_t n;
	bool failed;
};

static void collect_stacks(struct folded_stacks *c, const ls_thread *threads, size_t n)
{
	for (size_t i = 0; i < n && !c->failed; i++) {
		if (!threads[i].stack.n)
			continue;
		char *line = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&line, &len);
		if (mem)
			put_frames(mem, &threads[i].stack);
		char **slot = mem && fclose(mem) == 0 ? ls_array_push(&c->lines, &c->n, sizeof *slot) : NULL;
		if (!slot) {
			free(line);
			c->failed = true;
			return;
		}
		*slot = line;
	}
}

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ls_report_write_folded_dumps(const ls_report *r, FILE *out)
{
	struct folded_stacks c = { 0 };
	for (size_t i = 0; i < r->n_dumps; i++)
		collect_stacks(&c, r->dumps[i].threads, r->dumps[i].n_threads);
	/* threads with stacks that are not the last dump again: a dump of its
	 * own (the report of `lockscope stack`) */
	if (!ls_report_threads_repeat_last_dump(r))
		collect_stacks(&c, r->threads, r->n_threads);
	if (!c.failed && c.n)
		qsort(c.lines, c.n, sizeof *c.lines, compare_lines);
	for (size_t i = 0, run = 1; !c.failed && i < c.n; i++, run++) {
		if (i + 1 < c.n && !strcmp(c.lines[i], c.lines[i + 1]))
			continue;
		fprintf(out, "%s %zu\n", c.lines[i], run);
		run = 0;
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.lines[i]);
	free(c.lines);
	return !c.failed && fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
