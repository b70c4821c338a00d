/* py_names.c — names for the locks and threads a Python program made
 * (py_names.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/py_names.h"

#define MAX_SOURCE_LINE 4096
#define MAX_SOURCE_LINES 1000000

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool is_python(const ls_frame *f) { return f->language == LS_FRAME_PYTHON && f->function && f->file; }

/* threading.py of Python's own library (a program's file of that name,
 * outside a python3.N directory, is the program's). */
static bool in_threading_module(const ls_frame *f)
{
	return !strcmp(base_name(f->file), "threading.py") && strstr(f->file, "/python3");
}

/* A file of Python's own library: under a python3.N directory (also a
 * virtualenv's site-packages), or frozen into the interpreter. */
static bool in_python_library(const ls_frame *f)
{
	return strstr(f->file, "/lib/python3") || !strncmp(f->file, "<frozen ", 8);
}

/* Line `line` (from 1) of a source file, without its newline. */
static bool read_source_line(const char *path, int line, char *buf, size_t len)
{
	if (line <= 0 || path[0] == '<')
		return false;
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char chunk[MAX_SOURCE_LINE];
	int at = 1;
	bool found = false;
	while (at <= line && at < MAX_SOURCE_LINES && fgets(chunk, sizeof chunk, f)) {
		size_t n = strlen(chunk);
		bool whole = n && chunk[n - 1] == '\n';
		if (at == line) {
			if (whole)
				chunk[--n] = 0;
			snprintf(buf, len, "%s", chunk);
			found = true;
			break;
		}
		if (whole)
			at++;
	}
	fclose(f);
	return found;
}

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

bool ls_python_assigned_name(const char *line, char *buf, size_t len)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *start = p;
	/* NAME or NAME.NAME... */
	for (;;) {
		if (!ident_start(*p))
			return false;
		while (ident_char(*p))
			p++;
		if (*p != '.')
			break;
		p++;
	}
	const char *end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == ':') { /* an annotation: NAME: TYPE = VALUE */
		p = strchr(p, '=');
		if (!p)
			return false;
	}
	if (*p != '=' || p[1] == '=')
		return false;
	static const char *const keywords[] = { "return", "yield", "await", "lambda", "not", "print" };
	for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
		if ((size_t)(end - start) == strlen(keywords[i]) && !strncmp(start, keywords[i], (size_t)(end - start)))
			return false;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return true;
}

/* The name assigned on the source line of frame f, into buf. */
static bool assigned_at(const ls_frame *f, char *buf, size_t len)
{
	char line[MAX_SOURCE_LINE];
	return f && read_source_line(f->file, f->line, line, sizeof line) && ls_python_assigned_name(line, buf, len);
}

char *ls_python_lock_name(const ls_stack *init, const char *kind)
{
	/* made: where the lock was made (threading.py's factories skipped);
	 * caller: the Python frame that called that one; from: the first
	 * frame of the program's own code, when made is in Python's library */
	const ls_frame *made = NULL, *caller = NULL, *from = NULL, *first = NULL;
	for (size_t i = 0; i < init->n; i++) {
		const ls_frame *f = &init->frames[i];
		if (!is_python(f))
			continue;
		if (!first)
			first = f;
		if (!made) {
			if (!in_threading_module(f))
				made = f;
			continue;
		}
		if (!caller)
			caller = f;
		if (!in_python_library(made) || !in_python_library(f)) {
			from = in_python_library(made) && !in_python_library(f) ? f : NULL;
			if (caller)
				break;
		}
	}
	if (!first)
		return NULL;
	if (!made)
		made = first;
	char target[256], also[300] = "";
	if (from)
		snprintf(also, sizeof also, ", from %s:%d", base_name(from->file), from->line);
	char *name = NULL;
	int n;
	if (assigned_at(made, target, sizeof target))
		n = asprintf(&name, "%s (%s:%d%s)", target, base_name(made->file), made->line, also);
	else if (!in_python_library(made) && assigned_at(caller, target, sizeof target))
		/* a helper that makes locks: named where its result is assigned */
		n = asprintf(&name, "%s (%s:%d, made at %s:%d)", target, base_name(caller->file), caller->line,
			     base_name(made->file), made->line);
	else
		n = asprintf(&name, "%s made at %s:%d%s", kind ? kind : "lock", base_name(made->file), made->line, also);
	return n < 0 ? NULL : name;
}

char *ls_python_thread_target(const ls_stack *stack)
{
	/* outermost first: threading's _bootstrap, _bootstrap_inner, run,
	 * then the target (or a subclass's run) */
	bool bootstrap = false;
	for (size_t i = stack->n; i-- > 0;) {
		const ls_frame *f = &stack->frames[i];
		if (!is_python(f))
			continue;
		if (!bootstrap) {
			if (!in_threading_module(f) || !strstr(f->function, "_bootstrap"))
				return NULL;
			bootstrap = true;
			continue;
		}
		if (!in_threading_module(f))
			return strdup(f->function);
	}
	return NULL;
}

static bool named_like_program(const char *name, const char *comm)
{
	/* an OS thread name holds at most 15 bytes of the program's */
	size_t keep = comm && strlen(comm) < 15 ? strlen(comm) : 15;
	return !name || !name[0] || (comm && strlen(name) == keep && !strncmp(name, comm, keep));
}

static void rename_to(char **name, char *target)
{
	free(*name);
	*name = target;
}

void ls_report_name_python_threads(ls_report *r, const char *comm)
{
	for (size_t i = 0; i < r->n_threads; i++) {
		ls_thread *t = &r->threads[i];
		char *target = named_like_program(t->name, comm) ? ls_python_thread_target(&t->stack) : NULL;
		if (target)
			rename_to(&t->name, target);
	}
	for (size_t i = 0; i < r->n_inversions; i++)
		for (size_t j = 0; j < r->inversions[i].n; j++) {
			ls_cycle_edge *e = &r->inversions[i].cycle[j];
			if (!named_like_program(e->thread_name, comm))
				continue;
			char *target = ls_python_thread_target(&e->acquire_stack);
			if (!target)
				target = ls_python_thread_target(&e->held_stack);
			if (target)
				rename_to(&e->thread_name, target);
		}
	for (size_t i = 0; i < r->n_deadlocks; i++)
		for (size_t j = 0; j < r->deadlocks[i].n; j++) {
			ls_wait_entry *w = &r->deadlocks[i].entries[j];
			for (size_t k = 0; k < r->n_threads && named_like_program(w->thread_name, comm); k++)
				if (r->threads[k].tid == w->tid && r->threads[k].name &&
				    !named_like_program(r->threads[k].name, comm))
					rename_to(&w->thread_name, strdup(r->threads[k].name));
		}
}
