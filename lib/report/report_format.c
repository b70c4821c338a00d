/* report_format.c — the formats every report writer shares (report_format.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_format.h"

/* snprintf into a bounded buffer, remembering the untruncated length. */
struct appender {
	char *buf;
	size_t len;
	size_t total;
};

static void append(struct appender *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct appender *a, const char *fmt, ...)
{
	size_t used = a->total < a->len ? a->total : a->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(a->buf ? a->buf + used : NULL, a->len - used, fmt, ap);
	va_end(ap);
	if (n > 0)
		a->total += (size_t)n;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int ls_format_frame(char *buf, size_t len, unsigned index, const ls_frame *f)
{
	struct appender a = { buf, len, 0 };
	if (buf && len)
		buf[0] = '\0';
	if (f->language == LS_FRAME_PYTHON)
		append(&a, "#%u [python] in ", index);
	else
		append(&a, "#%u 0x%016" PRIx64 " in ", index, f->address);
	if (f->function)
		append(&a, "%s", f->function);
	if (f->file) {
		append(&a, "%s%s", f->function ? " " : "?? ", f->file);
		if (f->line > 0)
			append(&a, ":%d", f->line);
	} else if (f->module) {
		append(&a, "%s(%s+0x%" PRIx64 ")", f->function ? " " : "", basename_of(f->module),
		       f->module_offset);
	} else if (!f->function) {
		append(&a, "??");
	}
	if (f->inlined)
		append(&a, " [inlined]");
	return a.total > INT32_MAX ? INT32_MAX : (int)a.total;
}

const ls_frame *ls_stack_key_frame(const ls_stack *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->frames[i].language == LS_FRAME_PYTHON)
			return &s->frames[i];
	return s->n ? &s->frames[0] : NULL;
}

int ls_format_lock(char *buf, size_t len, const ls_lock_ref *l)
{
	struct appender a = { buf, len, 0 };
	const char *kind = l->kind ? l->kind : "lock";
	if (buf && len)
		buf[0] = '\0';
	if (l->name)
		append(&a, "%s (%s 0x%" PRIx64 ")", l->name, kind, l->address);
	else
		append(&a, "%s 0x%" PRIx64, kind, l->address);
	return a.total > INT32_MAX ? INT32_MAX : (int)a.total;
}

void ls_format_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
}

/* The sort key of a lock or a site, with its position as the last tie-break
 * so the order is total and every run prints the same table. */
struct wait_key {
	uint64_t wait_ns, contended, acquisitions;
	size_t index;
};

static int compare_wait_keys(const void *pa, const void *pb)
{
	const struct wait_key *a = pa, *b = pb;
	if (a->wait_ns != b->wait_ns)
		return a->wait_ns > b->wait_ns ? -1 : 1;
	if (a->contended != b->contended)
		return a->contended > b->contended ? -1 : 1;
	if (a->acquisitions != b->acquisitions)
		return a->acquisitions > b->acquisitions ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorts keys (n of them) and returns their indexes in order; frees keys. */
static size_t *sorted_indexes(struct wait_key *keys, size_t n)
{
	size_t *order = keys && n ? malloc(n * sizeof *order) : NULL;
	if (order) {
		qsort(keys, n, sizeof *keys, compare_wait_keys);
		for (size_t i = 0; i < n; i++)
			order[i] = keys[i].index;
	}
	free(keys);
	return order;
}

size_t *ls_locks_by_wait(const ls_report *r)
{
	struct wait_key *keys = r->n_locks ? calloc(r->n_locks, sizeof *keys) : NULL;
	for (size_t i = 0; keys && i < r->n_locks; i++)
		keys[i] = (struct wait_key){ r->locks[i].wait_ns, r->locks[i].contended, r->locks[i].acquisitions, i };
	return sorted_indexes(keys, r->n_locks);
}

size_t *ls_sites_by_wait(const ls_lock_stats *l)
{
	struct wait_key *keys = l->n_sites ? calloc(l->n_sites, sizeof *keys) : NULL;
	for (size_t i = 0; keys && i < l->n_sites; i++)
		keys[i] = (struct wait_key){ l->sites[i].wait_ns, l->sites[i].contended, l->sites[i].acquisitions, i };
	return sorted_indexes(keys, l->n_sites);
}

int ls_lock_label(char *buf, size_t len, const ls_lock_ref *l)
{
	if (l->name)
		return snprintf(buf, len, "%s", l->name);
	ls_lock_ref anonymous = *l;
	anonymous.name = NULL;
	return ls_format_lock(buf, len, &anonymous);
}
