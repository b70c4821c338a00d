/* check_report.c — unit tests of the report model, its text and JSON
 * writers and the JSON reader. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_render.h"

/* ------------------------------------------------------------ fixtures */

static ls_frame *add_frame(ls_stack *s, uint64_t address, const char *function, const char *file, int line)
{
	ls_frame *f = ls_array_push(&s->frames, &s->n, sizeof *s->frames);
	ck_assert_ptr_nonnull(f);
	f->address = address;
	f->function = ls_strdup_or_null(function);
	f->file = ls_strdup_or_null(file);
	f->line = line;
	f->module = ls_strdup_or_null("/usr/lib/lockscope/samples/abba");
	f->module_offset = address - 0x555555554000ULL;
	return f;
}

static void set_lock(ls_lock_ref *l, uint64_t address, const char *kind, const char *name)
{
	l->address = address;
	l->kind = ls_strdup_or_null(kind);
	l->name = ls_strdup_or_null(name);
}

#define LOCK_A 0x55555555a040ULL
#define LOCK_B 0x55555555a080ULL

static void add_abba_edge(ls_inversion *inv, uint64_t tid, const char *thread, uint64_t held, const char *held_name,
			  uint64_t acquired, const char *acquired_name, int line)
{
	ls_cycle_edge *e = ls_array_push(&inv->cycle, &inv->n, sizeof *inv->cycle);
	ck_assert_ptr_nonnull(e);
	e->tid = tid;
	e->thread_name = ls_strdup_or_null(thread);
	set_lock(&e->held, held, "mutex", held_name);
	set_lock(&e->acquired, acquired, "mutex", acquired_name);
	e->held_mode = ls_strdup_or_null("exclusive");
	e->acquired_mode = ls_strdup_or_null("exclusive");
	add_frame(&e->held_stack, 0x555555555200ULL + (uint64_t)line, thread, "abba.c", line);
	add_frame(&e->held_stack, 0x7ffff7e2a1c4ULL, "start_thread", "pthread_create.c", 442);
	add_frame(&e->acquire_stack, 0x555555555300ULL + (uint64_t)line, thread, "abba.c", line + 1);
}

/* An ABBA inversion, a deadlock of the same two threads, their dump, two
 * locks with statistics and the lock-order graph. */
static ls_report *sample_report(void)
{
	ls_report *r = ls_report_new();
	ck_assert_ptr_nonnull(r);
	r->program = strdup("./abba");
	r->pid = 4242;
	r->reason = strdup("deadlock");

	ls_inversion *inv = ls_array_push(&r->inversions, &r->n_inversions, sizeof *r->inversions);
	add_abba_edge(inv, 1234, "worker_1", LOCK_A, "resource_a", LOCK_B, "resource_b", 20);
	add_abba_edge(inv, 1235, "worker_2", LOCK_B, "resource_b", LOCK_A, "resource_a", 30);

	ls_deadlock *d = ls_array_push(&r->deadlocks, &r->n_deadlocks, sizeof *r->deadlocks);
	d->kind = strdup("deadlock");
	for (int i = 0; i < 2; i++) {
		ls_wait_entry *w = ls_array_push(&d->entries, &d->n, sizeof *d->entries);
		w->tid = 1234 + (uint64_t)i;
		w->thread_name = strdup(i ? "worker_2" : "worker_1");
		set_lock(&w->holds.lock, i ? LOCK_B : LOCK_A, "mutex", i ? "resource_b" : "resource_a");
		w->holds.mode = strdup("exclusive");
		add_frame(&w->holds.stack, 0x555555555220ULL, i ? "worker_2" : "worker_1", "abba.c", i ? 30 : 20);
		set_lock(&w->waits_for, i ? LOCK_A : LOCK_B, "mutex", i ? "resource_a" : "resource_b");
		w->owner_tid = 1235 - (uint64_t)i;
	}

	ls_thread *t = ls_array_push(&r->threads, &r->n_threads, sizeof *r->threads);
	t->tid = 1234;
	t->name = strdup("worker_1");
	t->state = strdup("waiting for lock");
	set_lock(&t->waiting_for, LOCK_B, "mutex", "resource_b");
	t->wait_seconds = 2.5;
	ls_held_lock *h = ls_array_push(&t->held, &t->n_held, sizeof *t->held);
	set_lock(&h->lock, LOCK_A, "mutex", "resource_a");
	h->mode = strdup("exclusive");
	add_frame(&h->stack, 0x555555555214ULL, "worker_1", "abba.c", 20);
	add_frame(&t->stack, 0x7ffff7e8f0a0ULL, "__futex_abstimed_wait_common", NULL, 0);
	t->acquisitions = 1000;
	t->wait_ns = 2500000000ULL;

	ls_lock_stats *l = ls_array_push(&r->locks, &r->n_locks, sizeof *r->locks);
	set_lock(&l->lock, LOCK_A, "mutex", "resource_a");
	l->acquisitions = 100;
	l->contended = 3;
	l->wait_ns = 1500;
	l->max_wait_ns = 900;
	l->hold_ns = 123456789;
	l->max_hold_ns = 5000000;
	l->wait_hist[9] = 2;
	l->wait_hist[10] = 1;
	ls_site *s = ls_array_push(&l->sites, &l->n_sites, sizeof *l->sites);
	add_frame(&s->stack, 0x555555555214ULL, "worker_1", "abba.c", 20);
	s->acquisitions = 100;
	s->contended = 3;
	s->wait_ns = 1500;
	l = ls_array_push(&r->locks, &r->n_locks, sizeof *r->locks);
	set_lock(&l->lock, LOCK_B, "rwlock", "resource_b");
	l->acquisitions = 50;
	l->contended = 10;
	l->wait_ns = 7000000;
	l->max_wait_ns = 4000000;

	for (int i = 0; i < 2; i++) {
		ls_order_edge *e = ls_array_push(&r->order_edges, &r->n_order_edges, sizeof *r->order_edges);
		set_lock(&e->held, i ? LOCK_B : LOCK_A, "mutex", i ? "resource_b" : "resource_a");
		set_lock(&e->acquired, i ? LOCK_A : LOCK_B, "mutex", i ? "resource_a" : "resource_b");
		e->in_inversion = true;
	}
	return r;
}

/* A kept dump of two threads, one waiting in worker_1 (abba.c:LINE). */
static ls_dump *add_dump(ls_report *r, uint64_t number, const char *reason, const char *headline, int line)
{
	ls_dump *d = ls_array_push(&r->dumps, &r->n_dumps, sizeof *r->dumps);
	ck_assert_ptr_nonnull(d);
	d->number = number;
	d->reason = ls_strdup_or_null(reason);
	d->headline = ls_strdup_or_null(headline);
	d->time = strdup("2024-05-01T12:34:56.789Z");
	d->uptime_seconds = 1.5 * (double)number;
	for (int i = 0; i < 2; i++) {
		ls_thread *t = ls_array_push(&d->threads, &d->n_threads, sizeof *d->threads);
		t->tid = 1234 + (uint64_t)i;
		t->name = strdup(i ? "worker_2" : "worker_1");
		t->state = strdup(i ? "running" : "waiting for lock");
		add_frame(&t->stack, 0x7ffff7e8f0a0ULL, "__futex_abstimed_wait_common", "futex-internal.c", 57);
		add_frame(&t->stack, 0x555555555300ULL + (uint64_t)line, i ? "worker_2" : "worker_1", "abba.c", line);
		add_frame(&t->stack, 0x7ffff7e2a1c4ULL, "start_thread", "pthread_create.c", 442);
	}
	return d;
}

/* The sample with a SIGQUIT dump (number 1) and a later one, `omitted`
 * left out between them. */
static ls_report *sample_with_dumps(uint64_t second, const char *second_reason, uint64_t omitted)
{
	ls_report *r = sample_report();
	add_dump(r, 1, "signal SIGQUIT", "lockscope: thread dump requested by SIGQUIT", 41);
	add_dump(r, second, second_reason, NULL, 42);
	r->dumps_omitted = omitted;
	return r;
}

/* Runs a writer into a malloc'd string. */
static char *render(int (*writer)(const ls_report *, FILE *), const ls_report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(writer(r, out), 0);
	fclose(out);
	return text;
}

#define ck_assert_contains(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, "expected \"%s\" in:\n%s", (needle), (haystack))

/* ------------------------------------------------------------ model */

START_TEST(test_push_grows_and_zeroes)
{
	int *values = NULL;
	size_t n = 0;
	for (int i = 0; i < 1000; i++) {
		int *v = ls_array_push(&values, &n, sizeof *values);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(*v, 0);
		*v = i * 3;
	}
	ck_assert_uint_eq(n, 1000);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(values[i], i * 3);
	free(values);
	ck_assert_ptr_null(ls_strdup_or_null(NULL));
}
END_TEST

/* ------------------------------------------------------------ formats */

static void check_frame(const ls_frame *f, unsigned index, const char *expected)
{
	char buf[256];
	int n = ls_format_frame(buf, sizeof buf, index, f);
	ck_assert_str_eq(buf, expected);
	ck_assert_int_eq(n, (int)strlen(expected));
}

START_TEST(test_format_frame_variants)
{
	ls_frame f = { .address = 0x401136, .function = "worker_1", .file = "abba.c", .line = 20,
		       .module = "/tmp/abba", .module_offset = 0x1136 };
	check_frame(&f, 0, "#0 0x0000000000401136 in worker_1 abba.c:20");
	f.inlined = true;
	check_frame(&f, 1, "#1 0x0000000000401136 in worker_1 abba.c:20 [inlined]");
	f.inlined = false;
	f.file = NULL;
	check_frame(&f, 2, "#2 0x0000000000401136 in worker_1 (abba+0x1136)");
	f.function = NULL;
	check_frame(&f, 3, "#3 0x0000000000401136 in (abba+0x1136)");
	f.module = NULL;
	check_frame(&f, 4, "#4 0x0000000000401136 in ??");
	f.function = "main";
	check_frame(&f, 5, "#5 0x0000000000401136 in main");
	f.file = "/src/main.c";
	f.line = 0;
	check_frame(&f, 6, "#6 0x0000000000401136 in main /src/main.c");
}
END_TEST

START_TEST(test_format_frame_truncates_like_snprintf)
{
	ls_frame f = { .address = 0x10, .function = "a_rather_long_function_name", .file = "f.c", .line = 7 };
	char small[12];
	int n = ls_format_frame(small, sizeof small, 0, &f);
	ck_assert_int_eq(n, (int)strlen("#0 0x0000000000000010 in a_rather_long_function_name f.c:7"));
	ck_assert_str_eq(small, "#0 0x000000");
	ck_assert_int_eq(ls_format_frame(NULL, 0, 0, &f), n);
}
END_TEST

START_TEST(test_format_lock)
{
	char buf[128];
	ls_lock_ref l = { .address = 0x55d0c0a4e040, .kind = "mutex", .name = "resource_a" };
	ls_format_lock(buf, sizeof buf, &l);
	ck_assert_str_eq(buf, "resource_a (mutex 0x55d0c0a4e040)");
	l.name = NULL;
	l.kind = "rwlock";
	ls_format_lock(buf, sizeof buf, &l);
	ck_assert_str_eq(buf, "rwlock 0x55d0c0a4e040");
}
END_TEST

/* ------------------------------------------------------------ text */

START_TEST(test_text_inversion)
{
	ls_report *r = sample_report();
	char *text = render(ls_report_write_text, r);
	ck_assert_msg(!strncmp(text, "lockscope: lock-order inversion (potential deadlock)\n", 53), "%s", text);
	ck_assert_contains(text, "  Cycle of 2 locks: resource_a -> resource_b -> resource_a\n");
	ck_assert_contains(text, "  Thread T1 (worker_1, tid 1234) acquired resource_b (mutex 0x55555555a080) while "
				 "holding resource_a (mutex 0x55555555a040):\n"
				 "    resource_a was acquired at:\n"
				 "      #0 0x0000555555555214 in worker_1 abba.c:20\n"
				 "      #1 0x00007ffff7e2a1c4 in start_thread pthread_create.c:442\n"
				 "    resource_b was acquired at:\n"
				 "      #0 0x0000555555555314 in worker_1 abba.c:21\n");
	ck_assert_contains(text, "  Thread T2 (worker_2, tid 1235) acquired resource_a (mutex 0x55555555a040) while "
				 "holding resource_b (mutex 0x55555555a080):\n");
	free(text);
	ls_report_free(r);
}
END_TEST

START_TEST(test_text_rwlock_modes)
{
	ls_report *r = sample_report();
	ls_cycle_edge *e = &r->inversions[0].cycle[0];
	free(e->held_mode);
	free(e->acquired_mode);
	e->held_mode = strdup("read");
	e->acquired_mode = strdup("write");
	char *text = render(ls_report_write_text, r);
	ck_assert_contains(text, "acquired resource_b (mutex 0x55555555a080) for write while holding resource_a "
				 "(mutex 0x55555555a040) for read:\n    resource_a was acquired for read at:\n");
	ck_assert_contains(text, "    resource_b was acquired for write at:\n");
	free(text);
	ls_report_free(r);
}
END_TEST

START_TEST(test_text_deadlock_and_dump)
{
	ls_report *r = sample_report();
	char *text = render(ls_report_write_text, r);
	ck_assert_contains(text, "\nlockscope: deadlock\n  Cycle of 2 threads");
	ck_assert_contains(text, "  Thread T1 (worker_1, tid 1234) holds resource_a (mutex 0x55555555a040) and waits for "
				 "resource_b (mutex 0x55555555a080), owned by tid 1235 (worker_2)\n"
				 "    resource_a was acquired at:\n      #0 0x0000555555555220 in worker_1 abba.c:20\n");
	ck_assert_contains(text, "\nlockscope: thread dump (1 thread)\n"
				 "  Thread worker_1 (tid 1234): waiting for lock, blocked on resource_b (mutex "
				 "0x55555555a080) for 2.500 s\n"
				 "    holds resource_a (mutex 0x55555555a040), acquired at:\n"
				 "      #0 0x0000555555555214 in worker_1 abba.c:20\n"
				 "    stack:\n"
				 "      #0 0x00007ffff7e8f0a0 in __futex_abstimed_wait_common (abba+0x2aaaa293b0a0)\n"
				 "    1000 lock acquisitions, 2.500 s waiting\n");
	ck_assert_contains(text, "\nlockscope: 1 inversion, 1 deadlock in ./abba (pid 4242)\n");
	free(text);
	ls_report_free(r);
}
END_TEST

START_TEST(test_text_lock_statistics_sorted_by_wait)
{
	ls_report *r = sample_report();
	char *text = render(ls_report_write_text, r);
	const char *table = strstr(text, "\nlockscope: lock statistics (top 2 of 2 locks by wait time)\n");
	ck_assert_ptr_nonnull(table);
	const char *b = strstr(table, "  1   resource_b ");
	const char *a = strstr(table, "  2   resource_a ");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(a);
	ck_assert_contains(b, "rwlock            50         10     7.000 ms     4.000 ms         0 ns         0 ns\n");
	ck_assert_contains(a, "mutex            100          3       1.5 us       900 ns   123.457 ms     5.000 ms\n"
			      "        site 1: 100 acquisitions, 3 contended, wait 1.5 us (max 0 ns), hold 0 ns\n"
			      "          #0 0x0000555555555214 in worker_1 abba.c:20\n");
	free(text);
	ls_report_free(r);
}
END_TEST

/* Names longer than the column are cut so the numbers stay aligned, and
 * printed whole on the next line; UTF-8 counts by characters. */
START_TEST(test_text_long_lock_name_keeps_columns)
{
	ls_report *r = ls_report_new();
	static const char *const names[] = { "short", "sl (synchronize.py:57, from pool_inversion.py:32)",
					     "\xc3\xa9t\xc3\xa9_lock_with_a_very_long_name_\xc3\xa9\xc3\xa9" };
	for (size_t i = 0; i < 3; i++) {
		ls_lock_stats *l = ls_array_push(&r->locks, &r->n_locks, sizeof *r->locks);
		set_lock(&l->lock, LOCK_A + i, "semaphore", names[i]);
		l->acquisitions = 100001;
		l->wait_ns = 3000 - i;  /* ranked in this order */
	}
	char *text = render(ls_report_write_text, r);
	ck_assert_contains(text, "\n  1   short                    semaphore     100001 ");
	ck_assert_contains(text, "\n  2   sl (synchronize.py:57... semaphore     100001 ");
	ck_assert_contains(text, "\n      sl (synchronize.py:57, from pool_inversion.py:32)\n");
	/* 21 characters (25 bytes) and "..." */
	ck_assert_contains(text, "\n  3   \xc3\xa9t\xc3\xa9_lock_with_a_very_... semaphore     100001 ");
	ck_assert_contains(text, "\n      \xc3\xa9t\xc3\xa9_lock_with_a_very_long_name_\xc3\xa9\xc3\xa9\n");
	free(text);
	ls_report_free(r);
}
END_TEST

/* Kept dumps print as the live dump did: headline, when and why, threads;
 * a gap in their numbers says how many were not kept. */
START_TEST(test_text_kept_dumps)
{
	ls_report *r = sample_with_dumps(6, "deadlock", 4);
	char *text = render(ls_report_write_text, r);
	ck_assert_contains(text, "\nlockscope: thread dump requested by SIGQUIT\n"
				 "  kept dump 1 (signal SIGQUIT), 1.500 s after start, at 2024-05-01T12:34:56.789Z\n"
				 "lockscope: thread dump (2 threads)\n"
				 "  Thread worker_1 (tid 1234): waiting for lock\n"
				 "    stack:\n"
				 "      #0 0x00007ffff7e8f0a0 in __futex_abstimed_wait_common futex-internal.c:57\n"
				 "      #1 0x0000555555555329 in worker_1 abba.c:41\n");
	ck_assert_contains(text, "\nlockscope: 4 thread dumps not kept here (a process keeps its first 4 and its last 4)\n\n"
				 "lockscope: thread dump with the deadlock report\n  kept dump 6 (deadlock), 9.000 s after start");
	ck_assert_contains(text, "      #1 0x000055555555532a in worker_2 abba.c:42\n");
	/* in the order: findings, kept dumps, the report's own threads, statistics */
	const char *deadlock = strstr(text, "lockscope: deadlock\n"), *kept = strstr(text, "kept dump 1 ");
	const char *threads = strstr(text, "\nlockscope: thread dump (1 thread)\n");  /* its own, with a stack */
	const char *stats = strstr(text, "lockscope: lock statistics");
	ck_assert(deadlock && kept && threads && stats && deadlock < kept && kept < threads && threads < stats);
	free(text);
	ls_report_free(r);
	/* threads without stacks after kept dumps are not a dump */
	r = sample_with_dumps(2, "timer", 0);
	ls_stack_free(&r->threads[0].stack);
	text = render(ls_report_write_text, r);
	ck_assert_contains(text, "\nlockscope: 1 thread when the report was written (no stacks: see the dumps above)\n"
				 "  Thread worker_1 (tid 1234): waiting for lock");
	ck_assert_ptr_null(strstr(text, "thread dump (1 thread)"));
	free(text);
	ls_report_free(r);
	/* none kept (a raw report): only the count */
	r = ls_report_new();
	r->dumps_omitted = 3;
	text = render(ls_report_write_text, r);
	ck_assert_contains(text, "lockscope: thread dumps made but not in this report: 3\n");
	free(text);
	ls_report_free(r);
}
END_TEST

/* The report written at a dump has it in threads[] and as the last kept
 * dump: the text shows it once. */
START_TEST(test_text_threads_repeating_last_dump_shown_once)
{
	ls_report *r = ls_report_new();
	add_dump(r, 1, "timer", "lockscope: thread dump after 0.500 s", 41);
	ls_report *copy = ls_report_new();
	ls_dump *d = add_dump(copy, 1, "timer", NULL, 41);
	r->threads = d->threads;
	r->n_threads = d->n_threads;
	d->threads = NULL;
	d->n_threads = 0;
	ls_report_free(copy);
	ck_assert(ls_report_threads_repeat_last_dump(r));
	char *text = render(ls_report_write_text, r);
	const char *first = strstr(text, "lockscope: thread dump (2 threads)");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_null(strstr(first + 1, "lockscope: thread dump (2 threads)"));
	ck_assert_contains(text, "lockscope: thread dump after 0.500 s\n  kept dump 1 (timer)");
	free(text);
	/* another stack: a report of its own, shown */
	r->threads[1].stack.frames[1].line = 99;
	ck_assert(!ls_report_threads_repeat_last_dump(r));
	text = render(ls_report_write_text, r);
	first = strstr(text, "lockscope: thread dump (2 threads)");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first + 1, "lockscope: thread dump (2 threads)"));
	free(text);
	ls_report_free(r);
}
END_TEST

START_TEST(test_folded_dumps_count_threads)
{
	ls_report *r = ls_report_new();
	add_dump(r, 1, "timer", NULL, 41);
	add_dump(r, 2, "timer", NULL, 41);
	char *text = render(ls_report_write_folded_dumps, r);
	ck_assert_str_eq(text, "start_thread;worker_1;__futex_abstimed_wait_common 2\n"
			       "start_thread;worker_2;__futex_abstimed_wait_common 2\n");
	free(text);
	/* the wait-time folded output is not mixed with them */
	text = render(ls_report_write_folded, r);
	ck_assert_str_eq(text, "");
	free(text);
	ls_report_free(r);
}
END_TEST

/* Each process's dumps are kept in a merge, naming their process. */
START_TEST(test_merge_keeps_dumps_per_process)
{
	ls_report *in[2] = { sample_report(), sample_report() };
	in[1]->pid = 4343;
	add_dump(in[0], 1, "signal SIGQUIT", NULL, 41);
	add_dump(in[1], 1, "timer", NULL, 42);
	add_dump(in[1], 7, "timer", NULL, 43);
	in[1]->dumps_omitted = 5;
	ls_report *m = ls_report_merge(in, NULL, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_dumps, 3);
	ck_assert_int_eq(m->dumps[0].pid, 4242);
	ck_assert_str_eq(m->dumps[0].reason, "signal SIGQUIT");
	ck_assert_int_eq(m->dumps[2].pid, 4343);
	ck_assert_uint_eq(m->dumps[2].number, 7);
	ck_assert_uint_eq(m->dumps_omitted, 5);
	char *text = render(ls_report_write_text, m);
	ck_assert_contains(text, "kept dump 1 of pid 4242 (signal SIGQUIT)");
	ck_assert_contains(text, "lockscope: 5 thread dumps not kept here");
	ck_assert_contains(text, "kept dump 7 of pid 4343 (timer)");
	char *json = render(ls_report_write_json, m);
	ck_assert_contains(json, "\"pid\": 4343,\n");
	free(json);
	free(text);
	ls_report_free(m);
}
END_TEST

START_TEST(test_text_empty_report)
{
	ls_report *r = ls_report_new();
	char *text = render(ls_report_write_text, r);
	ck_assert_str_eq(text, "lockscope: 0 inversions, 0 deadlocks in unknown program (pid 0)\n");
	free(text);
	ls_report_free(r);
}
END_TEST

START_TEST(test_text_summary_counts_hangs_apart)
{
	ls_report *r = sample_report();
	ls_deadlock *d = ls_array_push(&r->deadlocks, &r->n_deadlocks, sizeof *r->deadlocks);
	d->kind = strdup("hang");
	char *text = render(ls_report_write_text, r);
	ck_assert_contains(text, "\nlockscope: hang\n");
	ck_assert_contains(text, "lockscope: 1 inversion, 1 deadlock, 1 hang in ./abba (pid 4242)\n");
	free(text);
	ls_report_free(r);
}
END_TEST

/* ------------------------------------------------------------ JSON */

static ls_report *parse(const char *json, char *err, size_t errlen)
{
	return ls_report_parse_json(json, strlen(json), err, errlen);
}

START_TEST(test_json_round_trip_is_byte_identical)
{
	ls_report *r = sample_report();
	r->threads[0].wait_seconds = 0.1;
	r->locks[0].wait_hist[31] = UINT64_C(1) << 62;
	r->inversions[0].cycle[0].held_stack.frames[0].inlined = true;
	char *first = render(ls_report_write_json, r);
	char err[256];
	ls_report *back = parse(first, err, sizeof err);
	ck_assert_msg(back != NULL, "%s", err);
	char *second = render(ls_report_write_json, back);
	ck_assert_str_eq(first, second);

	char *text_first = render(ls_report_write_text, r), *text_second = render(ls_report_write_text, back);
	ck_assert_str_eq(text_first, text_second);
	free(text_first);
	free(text_second);
	free(first);
	free(second);
	ls_report_free(back);
	ls_report_free(r);
}
END_TEST

START_TEST(test_json_dumps_round_trip)
{
	ls_report *r = sample_with_dumps(9, "timer", 7);
	char *first = render(ls_report_write_json, r);
	ck_assert_contains(first, "\"dumps\": [\n");
	ck_assert_contains(first, "\"reason\": \"signal SIGQUIT\",\n");
	ck_assert_contains(first, "\"headline\": \"lockscope: thread dump requested by SIGQUIT\",\n");
	ck_assert_contains(first, "\"time\": \"2024-05-01T12:34:56.789Z\",\n");
	ck_assert_contains(first, "\"uptime_seconds\": 13.5,\n");
	ck_assert_contains(first, "\"dumps_omitted\": 7,\n");
	char err[256];
	ls_report *back = parse(first, err, sizeof err);
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_uint_eq(back->n_dumps, 2);
	ck_assert_uint_eq(back->dumps[1].number, 9);
	ck_assert_ptr_null(back->dumps[1].headline);
	ck_assert_str_eq(back->dumps[0].threads[1].stack.frames[1].function, "worker_2");
	ck_assert_int_eq(back->dumps[0].threads[1].stack.frames[1].line, 41);
	ck_assert_int_eq(back->dumps[0].pid, 0);
	char *second = render(ls_report_write_json, back);
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
	ls_report_free(back);
	/* no dumps: an empty array, no count */
	ls_report *none = ls_report_new();
	first = render(ls_report_write_json, none);
	ck_assert_contains(first, "\"dumps\": [],");
	ck_assert_ptr_null(strstr(first, "dumps_omitted"));
	free(first);
	ls_report_free(none);
	ls_report_free(r);
}
END_TEST

START_TEST(test_json_schema_members)
{
	ls_report *r = sample_report();
	char *json = render(ls_report_write_json, r);
	ck_assert_contains(json, "\"version\": 1,");
	ck_assert_contains(json, "\"program\": \"./abba\"");
	ck_assert_contains(json, "\"pid\": 4242");
	ck_assert_contains(json, "\"held\": {\n");
	ck_assert_contains(json, "\"address\": \"0x55555555a040\"");
	ck_assert_contains(json, "\"module_offset\": \"0x1214\"");
	ck_assert_contains(json, "\"acquire_stack\": [");
	ck_assert_contains(json, "\"owner_tid\": 1235");
	ck_assert_contains(json, "\"wait_seconds\": 2.5");
	ck_assert_contains(json, "\"max_hold_ns\": 5000000");
	ck_assert_contains(json, "\"file\": null");
	ck_assert_contains(json, "\"in_inversion\": true");
	free(json);
	ls_report_free(r);
}
END_TEST

START_TEST(test_json_absent_members_read_as_unknown)
{
	char err[256];
	ls_report *r = parse("{\"version\": 1, \"locks\": [{\"kind\": \"mutex\", \"acquisitions\": 5}],"
			     " \"future_member\": [1, 2]}",
			     err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_ptr_null(r->program);
	ck_assert_uint_eq(r->n_locks, 1);
	ck_assert_str_eq(r->locks[0].lock.kind, "mutex");
	ck_assert_uint_eq(r->locks[0].acquisitions, 5);
	ck_assert_uint_eq(r->locks[0].wait_ns, 0);
	ls_report_free(r);
}
END_TEST

static void check_rejected(const char *json, const char *expected_error)
{
	char err[256] = "unchanged";
	ls_report *r = parse(json, err, sizeof err);
	ck_assert_msg(r == NULL, "accepted: %s", json);
	ck_assert_msg(strstr(err, expected_error) != NULL, "error \"%s\" lacks \"%s\"", err, expected_error);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_json_rejections_name_the_problem)
{
	check_rejected("{\"version\": 1, \"locks\": [{}, {}, {}, {\"acquisitions\": \"many\"}]}",
		       "locks[3].acquisitions: expected a non-negative integer");
	check_rejected("{\"version\": 7}", "unsupported report version 7 (this lockscope reads up to 1)");
	check_rejected("{\"version\": \"1\"}", "version: expected a positive integer");
	check_rejected("{\"program\": \"x\"}", "no \"version\" member");
	check_rejected("[1, 2]", "expected a JSON object at the top level");
	check_rejected("", "empty input");
	check_rejected("{\"version\": 1, \"inversions\": [{\"cycle\": [{\"held\"", "invalid JSON at line 1");
	check_rejected("{\"version\": 1, \"version\": 1}", "duplicate");
	check_rejected("{\"version\": 1, \"pid\": 123456789012345678901234567890}", "invalid JSON");
	check_rejected("{\"version\": 1, \"threads\": [{\"stack\": [{\"address\": \"0x10000000000000000\"}]}]}",
		       "threads[0].stack[0].address: expected a hex string");
	check_rejected("{\"version\": 1, \"threads\": [{\"stack\": [{\"address\": 4096}]}]}",
		       "threads[0].stack[0].address: expected a hex string");
	check_rejected("{\"version\": 1, \"deadlocks\": [{\"threads\": [{\"waits_for\": [1]}]}]}",
		       "deadlocks[0].threads[0].waits_for: expected an object or null");
	check_rejected("{\"version\": 1, \"locks\": [{\"wait_histogram\": [1, -2]}]}",
		       "locks[0].wait_histogram[1]: expected a non-negative integer");
	check_rejected("{\"version\": 1, \"locks\": 3}", "locks: expected an array");
	check_rejected("{\"version\": 1, \"lock_order\": [7]}", "lock_order[0]: expected an object");
	check_rejected("{\"version\": 1, \"threads\": [{\"wait_seconds\": -1}]}",
		       "threads[0].wait_seconds: expected a non-negative number");
	check_rejected("{\"version\": 1, \"dumps\": {}}", "dumps: expected an array");
	check_rejected("{\"version\": 1, \"dumps\": [{\"threads\": [{\"stack\": [{\"line\": \"12\"}]}]}]}",
		       "dumps[0].threads[0].stack[0].line: expected a non-negative integer below 2^31");
	check_rejected("{\"version\": 1, \"dumps\": [{}, {\"uptime_seconds\": -0.5}]}",
		       "dumps[1].uptime_seconds: expected a non-negative number");
	check_rejected("{\"version\": 1, \"dumps_omitted\": -3}", "dumps_omitted: expected a non-negative integer");
}
END_TEST

START_TEST(test_json_deep_nesting_is_refused)
{
	size_t depth = 100000;
	char *json = malloc(2 * depth + 1);
	memset(json, '[', depth);
	memset(json + depth, ']', depth);
	json[2 * depth] = '\0';
	check_rejected(json, "nested deeper than 64 levels");
	free(json);
}
END_TEST

START_TEST(test_json_control_characters_are_neutralised)
{
	char err[256];
	ls_report *r = parse("{\"version\": 1, \"program\": \"evil\\u001b[2J\\nname\"}", err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(r->program, "evil?[2J?name");
	ls_report_free(r);
}
END_TEST

START_TEST(test_json_read_from_stream)
{
	ls_report *r = sample_report();
	char *json = render(ls_report_write_json, r);
	FILE *in = fmemopen(json, strlen(json), "r");
	char err[256];
	ls_report *back = ls_report_read_json(in, err, sizeof err);
	fclose(in);
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_uint_eq(back->n_inversions, 1);
	ck_assert_uint_eq(back->inversions[0].n, 2);
	ck_assert_str_eq(back->inversions[0].cycle[1].acquired.name, "resource_a");
	ck_assert_uint_eq(back->inversions[0].cycle[0].held_stack.frames[0].address, 0x555555555214ULL);
	ck_assert_uint_eq(back->locks[0].hold_ns, 123456789);
	free(json);
	ls_report_free(back);
	ls_report_free(r);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *model = tcase_create("model");
	tcase_add_test(model, test_push_grows_and_zeroes);
	suite_add_tcase(s, model);

	TCase *formats = tcase_create("formats");
	tcase_add_test(formats, test_format_frame_variants);
	tcase_add_test(formats, test_format_frame_truncates_like_snprintf);
	tcase_add_test(formats, test_format_lock);
	suite_add_tcase(s, formats);

	TCase *text = tcase_create("text");
	tcase_add_test(text, test_text_inversion);
	tcase_add_test(text, test_text_rwlock_modes);
	tcase_add_test(text, test_text_deadlock_and_dump);
	tcase_add_test(text, test_text_lock_statistics_sorted_by_wait);
	tcase_add_test(text, test_text_empty_report);
	tcase_add_test(text, test_text_long_lock_name_keeps_columns);
	tcase_add_test(text, test_text_kept_dumps);
	tcase_add_test(text, test_text_threads_repeating_last_dump_shown_once);
	tcase_add_test(text, test_folded_dumps_count_threads);
	tcase_add_test(text, test_merge_keeps_dumps_per_process);
	tcase_add_test(text, test_text_summary_counts_hangs_apart);
	suite_add_tcase(s, text);

	TCase *json = tcase_create("json");
	tcase_add_test(json, test_json_round_trip_is_byte_identical);
	tcase_add_test(json, test_json_dumps_round_trip);
	tcase_add_test(json, test_json_schema_members);
	tcase_add_test(json, test_json_absent_members_read_as_unknown);
	tcase_add_test(json, test_json_rejections_name_the_problem);
	tcase_add_test(json, test_json_deep_nesting_is_refused);
	tcase_add_test(json, test_json_control_characters_are_neutralised);
	tcase_add_test(json, test_json_read_from_stream);
	suite_add_tcase(s, json);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(report_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
