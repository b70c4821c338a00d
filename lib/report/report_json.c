/* report_json.c — the JSON form of the report (lockscope-report(5)):
 * writer and strict reader, both on jansson.
 *
 * Addresses and module offsets are "0x..." hex strings: JSON numbers are
 * doubles to most consumers and lose 64-bit precision.  Counters are JSON
 * integers (jansson's are signed 64-bit: larger counts are written as
 * INT64_MAX).  Unknown strings are null.  The reader is strict on types and
 * lenient on absent members (they read as zero / unknown), ignores members
 * it does not know (additive schema changes keep the version) and never
 * trusts the input: depth, size and every type are checked, and control
 * characters in strings become '?' so no writer can be abused to emit
 * terminal escapes or break its own line-oriented format.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/lockscope_internal.h"
#include "report/report.h"

#define JSON_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(12))
/* Reports nest about 6 levels deep; anything much deeper is hostile. */
#define MAX_JSON_DEPTH 64
#define MAX_REPORT_BYTES ((size_t)256 << 20)

/* ---------------------------------------------------------------- writer */

/* Takes the reference to value; false when it is NULL (ENOMEM) or not set. */
static bool put(json_t *obj, const char *key, json_t *value)
{
	return value && json_object_set_new(obj, key, value) == 0;
}

static bool append_to(json_t *array, json_t *value)
{
	return value && json_array_append_new(array, value) == 0;
}

static json_t *done(json_t *obj, bool ok)
{
	if (ok)
		return obj;
	json_decref(obj);
	return NULL;
}

/* A string as JSON; invalid UTF-8 (binary symbol names) degrades to '?'. */
static json_t *string_or_null(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *ascii = strdup(s);
	if (!ascii)
		return NULL;
	for (char *p = ascii; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(ascii);
	free(ascii);
	return j;
}

static json_t *counter(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "0x%" PRIx64, v);
	return json_string(buf);
}

/* A JSON array of n elements of elem_size bytes, each converted by to_json. */
static json_t *array_json(const void *elems, size_t n, size_t elem_size, json_t *(*to_json)(const void *))
{
	json_t *a = json_array();
	bool ok = a != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = append_to(a, to_json((const char *)elems + i * elem_size));
	return done(a, ok);
}

#define ARRAY_JSON(elems, n, fn) array_json((elems), (n), sizeof *(elems), (fn))

static json_t *frame_json(const void *elem)
{
	const ls_frame *f = elem;
	json_t *o = json_object();
	bool ok = o && put(o, "function", string_or_null(f->function)) && put(o, "file", string_or_null(f->file)) &&
		  put(o, "line", json_integer(f->line)) && put(o, "module", string_or_null(f->module)) &&
		  put(o, "address", hex(f->address)) && put(o, "module_offset", hex(f->module_offset)) &&
		  put(o, "inlined", json_boolean(f->inlined));
	/* native frames carry no "language" (the format before Python frames) */
	if (ok && f->language == LS_FRAME_PYTHON)
		ok = put(o, "language", json_string("python"));
	return done(o, ok);
}

static json_t *stack_json(const ls_stack *s)
{
	return ARRAY_JSON(s->frames, s->n, frame_json);
}

static bool lock_is_set(const ls_lock_ref *l)
{
	return l->kind || l->name || l->address;
}

/* The members naming a lock, put into an existing object. */
static bool put_lock_fields(json_t *o, const ls_lock_ref *l)
{
	return put(o, "kind", string_or_null(l->kind)) && put(o, "address", hex(l->address)) &&
	       put(o, "name", string_or_null(l->name)) && (!l->sem_class || put(o, "class", json_string(l->sem_class)));
}

/* A lock, or null for a lock that is not set (kind, name and address empty). */
static json_t *lock_json(const ls_lock_ref *l)
{
	if (!lock_is_set(l))
		return json_null();
	json_t *o = json_object();
	return done(o, o && put_lock_fields(o, l));
}

static json_t *held_lock_json(const void *elem)
{
	const ls_held_lock *h = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "lock", lock_json(&h->lock)) && put(o, "mode", string_or_null(h->mode)) &&
			       put(o, "stack", stack_json(&h->stack)));
}

/* A wait entry's held lock: null when the thread holds none of the cycle. */
static json_t *optional_held_lock_json(const ls_held_lock *h)
{
	if (!lock_is_set(&h->lock) && !h->mode && h->stack.n == 0)
		return json_null();
	return held_lock_json(h);
}

static json_t *thread_ref_json(uint64_t tid, const char *name)
{
	json_t *o = json_object();
	return done(o, o && put(o, "tid", counter(tid)) && put(o, "name", string_or_null(name)));
}

static json_t *cycle_edge_json(const void *elem)
{
	const ls_cycle_edge *e = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "thread", thread_ref_json(e->tid, e->thread_name)) &&
			       put(o, "held", lock_json(&e->held)) && put(o, "held_mode", string_or_null(e->held_mode)) &&
			       put(o, "acquired", lock_json(&e->acquired)) &&
			       put(o, "acquired_mode", string_or_null(e->acquired_mode)) &&
			       put(o, "held_stack", stack_json(&e->held_stack)) &&
			       put(o, "acquire_stack", stack_json(&e->acquire_stack)));
}

/* The pids of a merged finding: written only in a merge. */
static bool put_pids(json_t *o, const int64_t *pids, size_t n)
{
	if (!n)
		return true;
	json_t *a = json_array();
	bool ok = a != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = append_to(a, json_integer(pids[i]));
	return put(o, "pids", done(a, ok));
}

static json_t *inversion_json(const void *elem)
{
	const ls_inversion *inv = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "cycle", ARRAY_JSON(inv->cycle, inv->n, cycle_edge_json)) &&
			       put_pids(o, inv->pids, inv->n_pids));
}

static json_t *wait_entry_json(const void *elem)
{
	const ls_wait_entry *w = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "tid", counter(w->tid)) && put(o, "name", string_or_null(w->thread_name)) &&
			       put(o, "holds", optional_held_lock_json(&w->holds)) &&
			       put(o, "waits_for", lock_json(&w->waits_for)) &&
			       put(o, "wait_mode", string_or_null(w->wait_mode)) &&
			       put(o, "owner_tid", counter(w->owner_tid)) &&
			       (!(w->wait_seconds > 0) || put(o, "wait_seconds", json_real(isfinite(w->wait_seconds) ? w->wait_seconds : 0))) &&
			       (!w->detail || put(o, "detail", json_string(w->detail))) &&
			       (!w->made_at.n || put(o, "made_at", stack_json(&w->made_at))));
}

static json_t *deadlock_json(const void *elem)
{
	const ls_deadlock *d = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "kind", string_or_null(d->kind)) &&
			       put(o, "threads", ARRAY_JSON(d->entries, d->n, wait_entry_json)) &&
			       put_pids(o, d->pids, d->n_pids));
}

static json_t *thread_json(const void *elem)
{
	const ls_thread *t = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "tid", counter(t->tid)) && put(o, "name", string_or_null(t->name)) &&
			       put(o, "state", string_or_null(t->state)) &&
			       put(o, "waiting_for", lock_json(&t->waiting_for)) &&
			       put(o, "wait_seconds", json_real(isfinite(t->wait_seconds) ? t->wait_seconds : 0)) &&
			       put(o, "held", ARRAY_JSON(t->held, t->n_held, held_lock_json)) &&
			       put(o, "stack", stack_json(&t->stack)) && put(o, "acquisitions", counter(t->acquisitions)) &&
			       put(o, "wait_ns", counter(t->wait_ns)));
}

static json_t *site_json(const void *elem)
{
	const ls_site *s = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "stack", stack_json(&s->stack)) && put(o, "acquisitions", counter(s->acquisitions)) &&
			       put(o, "contended", counter(s->contended)) && put(o, "wait_ns", counter(s->wait_ns)) &&
			       put(o, "max_wait_ns", counter(s->max_wait_ns)) && put(o, "hold_ns", counter(s->hold_ns)) &&
			       put(o, "blamed_wait_ns", counter(s->blamed_wait_ns)));
}

static json_t *histogram_json(const uint64_t *buckets, size_t n)
{
	json_t *a = json_array();
	bool ok = a != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = append_to(a, counter(buckets[i]));
	return done(a, ok);
}

static json_t *lock_stats_json(const void *elem)
{
	const ls_lock_stats *l = elem;
	json_t *o = json_object();
	return done(o, o && put_lock_fields(o, &l->lock) && put(o, "init_stack", stack_json(&l->init_stack)) &&
			       put(o, "acquisitions", counter(l->acquisitions)) && put(o, "contended", counter(l->contended)) &&
			       put(o, "wait_ns", counter(l->wait_ns)) && put(o, "max_wait_ns", counter(l->max_wait_ns)) &&
			       put(o, "hold_ns", counter(l->hold_ns)) && put(o, "max_hold_ns", counter(l->max_hold_ns)) &&
			       put(o, "wait_histogram", histogram_json(l->wait_hist, LS_ARRAY_SIZE(l->wait_hist))) &&
			       put(o, "sites", ARRAY_JSON(l->sites, l->n_sites, site_json)));
}

static json_t *order_edge_json(const void *elem)
{
	const ls_order_edge *e = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "held", lock_json(&e->held)) && put(o, "acquired", lock_json(&e->acquired)) &&
			       put(o, "in_inversion", json_boolean(e->in_inversion)));
}

static json_t *loop_stall_json(const void *elem)
{
	const ls_loop_stall *l = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "tid", counter(l->tid)) && put(o, "name", string_or_null(l->thread_name)) &&
			       put(o, "call", string_or_null(l->call)) && put(o, "call_site", stack_json(&l->call_site)) &&
			       put(o, "stack", stack_json(&l->stack)) &&
			       put(o, "threshold_seconds", json_real(isfinite(l->threshold_seconds) ? l->threshold_seconds : 0)) &&
			       put(o, "away_seconds", json_real(isfinite(l->away_seconds) ? l->away_seconds : 0)) &&
			       put(o, "total_seconds", json_real(isfinite(l->total_seconds) ? l->total_seconds : 0)) &&
			       put_pids(o, l->pids, l->n_pids));
}

static json_t *child_report_json(const void *elem)
{
	const ls_child_report *c = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "pid", json_integer(c->pid)) && put(o, "program", string_or_null(c->program)) &&
			       put(o, "reason", string_or_null(c->reason)) && put(o, "report", string_or_null(c->report)) &&
			       put(o, "inversions", counter(c->inversions)) && put(o, "other_findings", counter(c->other_findings)));
}

static json_t *dump_json(const void *elem)
{
	const ls_dump *d = elem;
	json_t *o = json_object();
	return done(o, o && put(o, "number", counter(d->number)) && put(o, "reason", string_or_null(d->reason)) &&
			       put(o, "headline", string_or_null(d->headline)) && put(o, "time", string_or_null(d->time)) &&
			       put(o, "uptime_seconds", json_real(isfinite(d->uptime_seconds) ? d->uptime_seconds : 0)) &&
			       (!d->pid || put(o, "pid", json_integer(d->pid))) &&
			       put(o, "threads", ARRAY_JSON(d->threads, d->n_threads, thread_json)));
}

static json_t *report_json(const ls_report *r)
{
	json_t *o = json_object();
	return done(o, o && put(o, "version", json_integer(LS_REPORT_VERSION)) &&
			       put(o, "program", string_or_null(r->program)) && put(o, "pid", json_integer(r->pid)) &&
			       put(o, "reason", string_or_null(r->reason)) &&
			       put(o, "inversions", ARRAY_JSON(r->inversions, r->n_inversions, inversion_json)) &&
			       put(o, "deadlocks", ARRAY_JSON(r->deadlocks, r->n_deadlocks, deadlock_json)) &&
			       put(o, "threads", ARRAY_JSON(r->threads, r->n_threads, thread_json)) &&
			       put(o, "loop_stalls", ARRAY_JSON(r->loop_stalls, r->n_loop_stalls, loop_stall_json)) &&
			       put(o, "dumps", ARRAY_JSON(r->dumps, r->n_dumps, dump_json)) &&
			       (!r->dumps_omitted || put(o, "dumps_omitted", counter(r->dumps_omitted))) &&
			       put(o, "locks", ARRAY_JSON(r->locks, r->n_locks, lock_stats_json)) &&
			       (r->locks_total <= r->n_locks || put(o, "locks_total", counter(r->locks_total))) &&
			       put(o, "lock_order", ARRAY_JSON(r->order_edges, r->n_order_edges, order_edge_json)) &&
			       (!r->n_child_reports ||
				put(o, "child_reports", ARRAY_JSON(r->child_reports, r->n_child_reports, child_report_json))) &&
			       (!r->n_merged_from ||
				put(o, "merged_from", ARRAY_JSON(r->merged_from, r->n_merged_from, child_report_json))));
}

int ls_report_write_json(const ls_report *r, FILE *out)
{
	json_t *root = report_json(r);
	if (!root)
		return -1;
	int rc = json_dumpf(root, out, JSON_DUMP_FLAGS);
	json_decref(root);
	if (rc != 0 || fputc('\n', out) == EOF)
		return -1;
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* ---------------------------------------------------------------- reader */

/* Reading state: where in the document we are, for error messages such as
 * "locks[3].acquisitions: expected a non-negative integer". */
struct reader {
	char *err;
	size_t errlen;
	char path[192];
	size_t path_len;
	bool failed;
};

typedef bool (*member_reader)(struct reader *rd, json_t *obj, void *out);

static bool fail(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct reader *rd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	if (rd->failed)
		return false;
	rd->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rd->errlen == 0)
		return false;
	if (rd->path_len)
		snprintf(rd->err, rd->errlen, "%s: %s", rd->path, msg);
	else
		snprintf(rd->err, rd->errlen, "%s", msg);
	/* jansson quotes the offending input: keep the message one clean line. */
	for (char *p = rd->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return false;
}

static size_t path_append(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_append(struct reader *rd, const char *fmt, ...)
{
	size_t mark = rd->path_len;
	size_t room = sizeof rd->path - mark;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(rd->path + mark, room, fmt, ap);
	va_end(ap);
	rd->path_len = n < 0 ? mark : (size_t)n >= room ? sizeof rd->path - 1 : mark + (size_t)n;
	return mark;
}

static size_t path_enter_key(struct reader *rd, const char *key)
{
	return path_append(rd, "%s%s", rd->path_len ? "." : "", key);
}

static size_t path_enter_index(struct reader *rd, size_t index)
{
	return path_append(rd, "[%zu]", index);
}

static void path_leave(struct reader *rd, size_t mark)
{
	rd->path_len = mark;
	rd->path[mark] = '\0';
}

/* Fails naming the member `key` of the current object. */
static bool fail_member(struct reader *rd, const char *key, const char *what)
{
	size_t mark = path_enter_key(rd, key);
	fail(rd, "expected %s", what);
	path_leave(rd, mark);
	return false;
}

static bool read_string(struct reader *rd, json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return fail_member(rd, key, "a string or null");
	size_t len = json_string_length(v);
	char *s = malloc(len + 1);
	if (!s)
		return fail(rd, "out of memory");
	memcpy(s, json_string_value(v), len + 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	*out = s;
	return true;
}

static bool read_json_int(struct reader *rd, json_t *obj, const char *key, json_int_t min, json_int_t max,
			  const char *what, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail_member(rd, key, what);
	*out = json_integer_value(v);
	return true;
}

static bool read_counter(struct reader *rd, json_t *obj, const char *key, uint64_t *out)
{
	json_int_t v = 0;
	if (!read_json_int(rd, obj, key, 0, LLONG_MAX, "a non-negative integer", &v))
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool read_int(struct reader *rd, json_t *obj, const char *key, int *out)
{
	json_int_t v = 0;
	if (!read_json_int(rd, obj, key, 0, INT_MAX, "a non-negative integer below 2^31", &v))
		return false;
	*out = (int)v;
	return true;
}

static bool read_bool(struct reader *rd, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true;
	if (!json_is_boolean(v))
		return fail_member(rd, key, "true or false");
	*out = json_is_true(v);
	return true;
}

static bool read_seconds(struct reader *rd, json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true;
	double d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || d < 0)
		return fail_member(rd, key, "a non-negative number");
	*out = d;
	return true;
}

static bool parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t digits = 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (s += 2; *s; s++, digits++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		      : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		      : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
		      : -1;
		if (d < 0 || digits == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return digits > 0;
}

static bool read_hex(struct reader *rd, json_t *obj, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true;
	if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
	    !parse_hex(json_string_value(v), out))
		return fail_member(rd, key, "a hex string of at most 64 bits like \"0x7f3a1c\"");
	return true;
}

/* Reads the object member `key` with fn; absent or null leaves out zeroed. */
static bool read_object(struct reader *rd, json_t *obj, const char *key, void *out, member_reader fn)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return fail_member(rd, key, "an object or null");
	size_t mark = path_enter_key(rd, key);
	bool ok = fn(rd, v, out);
	if (ok)
		path_leave(rd, mark);
	return ok;
}

/* Reads the array member `key` of objects into a report array with fn. */
static bool read_objects(struct reader *rd, json_t *obj, const char *key, void *array_ptr, size_t *count,
			 size_t elem_size, member_reader fn)
{
	json_t *a = json_object_get(obj, key);
	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a))
		return fail_member(rd, key, "an array");
	size_t mark = path_enter_key(rd, key), array_mark = rd->path_len;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *elem = json_array_get(a, i);
		path_enter_index(rd, i);
		if (!json_is_object(elem))
			return fail(rd, "expected an object");
		void *slot = ls_array_push(array_ptr, count, elem_size);
		if (!slot)
			return fail(rd, "out of memory");
		if (!fn(rd, elem, slot))
			return false;
		path_leave(rd, array_mark);
	}
	path_leave(rd, mark);
	return true;
}

/* "language": "python" for a Python frame; absent or "native" for machine
 * code.  Any other value is read as native: a newer writer may know more
 * languages, and the frame's other fields still print. */
static bool read_language(struct reader *rd, json_t *obj, uint8_t *out)
{
	json_t *v = json_object_get(obj, "language");
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return fail_member(rd, "language", "a string like \"python\"");
	*out = !strcmp(json_string_value(v), "python") ? LS_FRAME_PYTHON : LS_FRAME_NATIVE;
	return true;
}

static bool read_frame(struct reader *rd, json_t *o, void *out)
{
	ls_frame *f = out;
	return read_string(rd, o, "function", &f->function) && read_string(rd, o, "file", &f->file) &&
	       read_int(rd, o, "line", &f->line) && read_string(rd, o, "module", &f->module) &&
	       read_hex(rd, o, "address", &f->address) && read_hex(rd, o, "module_offset", &f->module_offset) &&
	       read_bool(rd, o, "inlined", &f->inlined) && read_language(rd, o, &f->language);
}

static bool read_stack(struct reader *rd, json_t *o, const char *key, ls_stack *s)
{
	return read_objects(rd, o, key, &s->frames, &s->n, sizeof *s->frames, read_frame);
}

static bool read_lock_fields(struct reader *rd, json_t *o, void *out)
{
	ls_lock_ref *l = out;
	return read_string(rd, o, "kind", &l->kind) && read_hex(rd, o, "address", &l->address) &&
	       read_string(rd, o, "name", &l->name) && read_string(rd, o, "class", &l->sem_class);
}

static bool read_lock(struct reader *rd, json_t *o, const char *key, ls_lock_ref *l)
{
	return read_object(rd, o, key, l, read_lock_fields);
}

static bool read_held_lock(struct reader *rd, json_t *o, void *out)
{
	ls_held_lock *h = out;
	return read_lock(rd, o, "lock", &h->lock) && read_string(rd, o, "mode", &h->mode) &&
	       read_stack(rd, o, "stack", &h->stack);
}

static bool read_thread_ref(struct reader *rd, json_t *o, void *out)
{
	ls_cycle_edge *e = out;
	return read_counter(rd, o, "tid", &e->tid) && read_string(rd, o, "name", &e->thread_name);
}

static bool read_cycle_edge(struct reader *rd, json_t *o, void *out)
{
	ls_cycle_edge *e = out;
	return read_object(rd, o, "thread", e, read_thread_ref) && read_lock(rd, o, "held", &e->held) &&
	       read_string(rd, o, "held_mode", &e->held_mode) && read_lock(rd, o, "acquired", &e->acquired) &&
	       read_string(rd, o, "acquired_mode", &e->acquired_mode) &&
	       read_stack(rd, o, "held_stack", &e->held_stack) && read_stack(rd, o, "acquire_stack", &e->acquire_stack);
}

static bool read_pids(struct reader *rd, json_t *o, int64_t **pids, size_t *n)
{
	json_t *a = json_object_get(o, "pids");
	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a))
		return fail_member(rd, "pids", "an array of integers");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_integer(v)) {
			size_t mark = path_enter_key(rd, "pids");
			path_enter_index(rd, i);
			fail(rd, "expected an integer");
			path_leave(rd, mark);
			return false;
		}
		int64_t *slot = ls_array_push(pids, n, sizeof *slot);
		if (!slot)
			return fail(rd, "out of memory");
		*slot = json_integer_value(v);
	}
	return true;
}

static bool read_inversion(struct reader *rd, json_t *o, void *out)
{
	ls_inversion *inv = out;
	return read_objects(rd, o, "cycle", &inv->cycle, &inv->n, sizeof *inv->cycle, read_cycle_edge) &&
	       read_pids(rd, o, &inv->pids, &inv->n_pids);
}

static bool read_wait_entry(struct reader *rd, json_t *o, void *out)
{
	ls_wait_entry *w = out;
	return read_counter(rd, o, "tid", &w->tid) && read_string(rd, o, "name", &w->thread_name) &&
	       read_object(rd, o, "holds", &w->holds, read_held_lock) && read_lock(rd, o, "waits_for", &w->waits_for) &&
	       read_string(rd, o, "wait_mode", &w->wait_mode) && read_counter(rd, o, "owner_tid", &w->owner_tid) &&
	       read_seconds(rd, o, "wait_seconds", &w->wait_seconds) && read_string(rd, o, "detail", &w->detail) &&
	       read_stack(rd, o, "made_at", &w->made_at);
}

static bool read_deadlock(struct reader *rd, json_t *o, void *out)
{
	ls_deadlock *d = out;
	return read_string(rd, o, "kind", &d->kind) &&
	       read_objects(rd, o, "threads", &d->entries, &d->n, sizeof *d->entries, read_wait_entry) &&
	       read_pids(rd, o, &d->pids, &d->n_pids);
}

static bool read_thread(struct reader *rd, json_t *o, void *out)
{
	ls_thread *t = out;
	return read_counter(rd, o, "tid", &t->tid) && read_string(rd, o, "name", &t->name) &&
	       read_string(rd, o, "state", &t->state) && read_lock(rd, o, "waiting_for", &t->waiting_for) &&
	       read_seconds(rd, o, "wait_seconds", &t->wait_seconds) &&
	       read_objects(rd, o, "held", &t->held, &t->n_held, sizeof *t->held, read_held_lock) &&
	       read_stack(rd, o, "stack", &t->stack) && read_counter(rd, o, "acquisitions", &t->acquisitions) &&
	       read_counter(rd, o, "wait_ns", &t->wait_ns);
}

static bool read_site(struct reader *rd, json_t *o, void *out)
{
	ls_site *s = out;
	return read_stack(rd, o, "stack", &s->stack) && read_counter(rd, o, "acquisitions", &s->acquisitions) &&
	       read_counter(rd, o, "contended", &s->contended) && read_counter(rd, o, "wait_ns", &s->wait_ns) &&
	       read_counter(rd, o, "max_wait_ns", &s->max_wait_ns) && read_counter(rd, o, "hold_ns", &s->hold_ns) &&
	       read_counter(rd, o, "blamed_wait_ns", &s->blamed_wait_ns);
}

static bool read_histogram(struct reader *rd, json_t *o, const char *key, uint64_t *buckets, size_t n)
{
	json_t *a = json_object_get(o, key);
	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > n) {
		char what[64];
		snprintf(what, sizeof what, "an array of at most %zu integers", n);
		return fail_member(rd, key, what);
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			size_t mark = path_enter_key(rd, key);
			path_enter_index(rd, i);
			fail(rd, "expected a non-negative integer");
			path_leave(rd, mark);
			return false;
		}
		buckets[i] = (uint64_t)json_integer_value(v);
	}
	return true;
}

static bool read_lock_stats(struct reader *rd, json_t *o, void *out)
{
	ls_lock_stats *l = out;
	return read_lock_fields(rd, o, &l->lock) && read_stack(rd, o, "init_stack", &l->init_stack) &&
	       read_counter(rd, o, "acquisitions", &l->acquisitions) && read_counter(rd, o, "contended", &l->contended) &&
	       read_counter(rd, o, "wait_ns", &l->wait_ns) && read_counter(rd, o, "max_wait_ns", &l->max_wait_ns) &&
	       read_counter(rd, o, "hold_ns", &l->hold_ns) && read_counter(rd, o, "max_hold_ns", &l->max_hold_ns) &&
	       read_histogram(rd, o, "wait_histogram", l->wait_hist, LS_ARRAY_SIZE(l->wait_hist)) &&
	       read_objects(rd, o, "sites", &l->sites, &l->n_sites, sizeof *l->sites, read_site);
}

static bool read_order_edge(struct reader *rd, json_t *o, void *out)
{
	ls_order_edge *e = out;
	return read_lock(rd, o, "held", &e->held) && read_lock(rd, o, "acquired", &e->acquired) &&
	       read_bool(rd, o, "in_inversion", &e->in_inversion);
}

static bool read_loop_stall(struct reader *rd, json_t *o, void *out)
{
	ls_loop_stall *l = out;
	return read_counter(rd, o, "tid", &l->tid) && read_string(rd, o, "name", &l->thread_name) &&
	       read_string(rd, o, "call", &l->call) && read_stack(rd, o, "call_site", &l->call_site) &&
	       read_stack(rd, o, "stack", &l->stack) && read_seconds(rd, o, "threshold_seconds", &l->threshold_seconds) &&
	       read_seconds(rd, o, "away_seconds", &l->away_seconds) &&
	       read_seconds(rd, o, "total_seconds", &l->total_seconds) && read_pids(rd, o, &l->pids, &l->n_pids);
}

static bool read_child_report(struct reader *rd, json_t *o, void *out)
{
	ls_child_report *c = out;
	json_int_t pid = 0;
	bool ok = read_json_int(rd, o, "pid", LLONG_MIN, LLONG_MAX, "an integer", &pid) &&
		  read_string(rd, o, "program", &c->program) && read_string(rd, o, "reason", &c->reason) &&
		  read_string(rd, o, "report", &c->report) && read_counter(rd, o, "inversions", &c->inversions) &&
		  read_counter(rd, o, "other_findings", &c->other_findings);
	c->pid = pid;
	return ok;
}

static bool read_dump(struct reader *rd, json_t *o, void *out)
{
	ls_dump *d = out;
	json_int_t pid = 0;
	bool ok = read_counter(rd, o, "number", &d->number) && read_string(rd, o, "reason", &d->reason) &&
		  read_string(rd, o, "headline", &d->headline) && read_string(rd, o, "time", &d->time) &&
		  read_seconds(rd, o, "uptime_seconds", &d->uptime_seconds) &&
		  read_json_int(rd, o, "pid", LLONG_MIN, LLONG_MAX, "an integer", &pid) &&
		  read_objects(rd, o, "threads", &d->threads, &d->n_threads, sizeof *d->threads, read_thread);
	d->pid = pid;
	return ok;
}

static bool read_version(struct reader *rd, json_t *root, int *version)
{
	json_t *v = json_object_get(root, "version");
	if (!v)
		return fail(rd, "no \"version\" member: not a lockscope report");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return fail_member(rd, "version", "a positive integer");
	if (json_integer_value(v) > LS_REPORT_VERSION)
		return fail(rd, "unsupported report version %" JSON_INTEGER_FORMAT " (this lockscope reads up to %d)",
			    json_integer_value(v), LS_REPORT_VERSION);
	*version = (int)json_integer_value(v);
	return true;
}

static bool read_report(struct reader *rd, json_t *root, ls_report *r)
{
	json_int_t pid = 0;
	if (!json_is_object(root))
		return fail(rd, "expected a JSON object at the top level: not a lockscope report");
	bool ok = read_version(rd, root, &r->version) && read_string(rd, root, "program", &r->program) &&
		  read_json_int(rd, root, "pid", LLONG_MIN, LLONG_MAX, "an integer", &pid) &&
		  read_string(rd, root, "reason", &r->reason) &&
		  read_objects(rd, root, "inversions", &r->inversions, &r->n_inversions, sizeof *r->inversions,
			       read_inversion) &&
		  read_objects(rd, root, "deadlocks", &r->deadlocks, &r->n_deadlocks, sizeof *r->deadlocks,
			       read_deadlock) &&
		  read_objects(rd, root, "threads", &r->threads, &r->n_threads, sizeof *r->threads, read_thread) &&
		  read_objects(rd, root, "loop_stalls", &r->loop_stalls, &r->n_loop_stalls, sizeof *r->loop_stalls,
			       read_loop_stall) &&
		  read_objects(rd, root, "dumps", &r->dumps, &r->n_dumps, sizeof *r->dumps, read_dump) &&
		  read_counter(rd, root, "dumps_omitted", &r->dumps_omitted) &&
		  read_objects(rd, root, "locks", &r->locks, &r->n_locks, sizeof *r->locks, read_lock_stats) &&
		  read_counter(rd, root, "locks_total", &r->locks_total) &&
		  read_objects(rd, root, "lock_order", &r->order_edges, &r->n_order_edges, sizeof *r->order_edges,
			       read_order_edge) &&
		  read_objects(rd, root, "child_reports", &r->child_reports, &r->n_child_reports,
			       sizeof *r->child_reports, read_child_report) &&
		  read_objects(rd, root, "merged_from", &r->merged_from, &r->n_merged_from, sizeof *r->merged_from,
			       read_child_report);
	r->pid = pid;
	return ok;
}

/* jansson bounds its recursion, but a report is shallow: refuse anything
 * deeper than a report can be before building a tree of it. */
static bool nesting_within(const char *data, size_t len, size_t max_depth)
{
	size_t depth = 0;
	bool in_string = false, escaped = false;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return false;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return true;
}

static bool is_blank(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", data[i]) || data[i] == '\0')
			return false;
	return true;
}

ls_report *ls_report_parse_json(const char *data, size_t len, char *err, size_t errlen)
{
	struct reader rd = { .err = err, .errlen = errlen };
	json_error_t jerr;

	if (errlen)
		err[0] = '\0';
	if (is_blank(data, len)) {
		fail(&rd, "empty input: not a lockscope report");
		return NULL;
	}
	if (len > MAX_REPORT_BYTES) {
		fail(&rd, "report larger than %zu MiB", MAX_REPORT_BYTES >> 20);
		return NULL;
	}
	if (!nesting_within(data, len, MAX_JSON_DEPTH)) {
		fail(&rd, "JSON nested deeper than %d levels: not a lockscope report", MAX_JSON_DEPTH);
		return NULL;
	}
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fail(&rd, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	ls_report *r = ls_report_new();
	if (!r) {
		fail(&rd, "out of memory");
	} else if (!read_report(&rd, root, r)) {
		ls_report_free(r);
		r = NULL;
	}
	json_decref(root);
	return r;
}

ls_report *ls_report_read_json(FILE *in, char *err, size_t errlen)
{
	struct reader rd = { .err = err, .errlen = errlen };
	size_t len = 0, cap = 0;
	char *data = NULL;

	/* One byte more than the limit is enough to know the input is too big. */
	while (!feof(in) && !ferror(in) && len <= MAX_REPORT_BYTES) {
		if (len == cap) {
			size_t grown = cap ? cap * 2 : 65536;
			if (grown > MAX_REPORT_BYTES + 1)
				grown = MAX_REPORT_BYTES + 1;
			char *p = realloc(data, grown);
			if (!p) {
				free(data);
				fail(&rd, "out of memory");
				return NULL;
			}
			data = p;
			cap = grown;
		}
		len += fread(data + len, 1, cap - len, in);
	}
	if (ferror(in)) {
		fail(&rd, "read error: %s", strerror(errno));
		free(data);
		return NULL;
	}
	ls_report *r = ls_report_parse_json(data ? data : "", len, err, errlen);
	free(data);
	return r;
}
