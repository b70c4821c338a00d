/* report.c — `lockscope report`: render a saved JSON report, or the merge
 * of several (files, and directories of them).
 *
 * Reads every report first, strictly (any problem is one line naming it,
 * status 1), and only then opens the output, so a bad input never
 * truncates an existing output file.  In a directory, the regular files
 * whose first non-blank byte is '{' are read (in name order), others are
 * skipped: a directory of FILE, FILE.PID... as `lockscope run` leaves them.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/grow.h"
#include "report/report.h"
#include "report/report_render.h"
#include "commands.h"

struct format {
	const char *name;
	int (*write)(const ls_report *r, FILE *out);
};

static const struct format formats[] = {
	{ "text", ls_report_write_text },     { "json", ls_report_write_json }, { "dot", ls_report_write_dot },
	{ "folded", ls_report_write_folded }, { "folded-dumps", ls_report_write_folded_dumps },
	{ "html", ls_report_write_html },
};

static void usage(FILE *out)
{
	fputs("usage: lockscope report [--format=text|json|dot|folded|folded-dumps|html] [-o FILE] REPORT.json|DIR...\n"
	      "\n"
	      "Renders a JSON report saved by `lockscope run --format=json --output=FILE`\n"
	      "(REPORT.json '-' reads standard input).  Several reports, or a directory of\n"
	      "them, are merged into one: findings once each with the pids that had them,\n"
	      "statistics summed per lock.\n"
	      "  -f, --format=FORMAT  text (default): the findings as the shim prints them\n"
	      "                       json: the report validated and normalised\n"
	      "                       dot: the lock-order graph for Graphviz (inversions in red)\n"
	      "                       folded: wait time per call stack for flamegraph.pl/speedscope\n"
	      "                       folded-dumps: the thread dumps' stacks, one sample per thread\n"
	      "                       html: one self-contained page with tables and the graph\n"
	      "  -o, --output=FILE    write there instead of standard output\n"
	      "  -h, --help           this help\n"
	      "See lockscope-report(1) and, for the JSON schema, lockscope-report(5).\n",
	      out);
}

static const struct format *find_format(const char *name)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

static ls_report *load(const char *path)
{
	char err[512];
	FILE *in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in) {
		fprintf(stderr, "lockscope report: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	ls_report *r = ls_report_read_json(in, err, sizeof err);
	if (in != stdin)
		fclose(in);
	if (!r)
		fprintf(stderr, "lockscope report: %s: %s\n", strcmp(path, "-") ? path : "<stdin>", err);
	return r;
}

/* The reports read so far, with the names they were read from. */
struct input {
	ls_report *report;
	char *name;
};

struct inputs {
	struct input *items;
	size_t n;
};

static int add_input(struct inputs *in, const char *path)
{
	ls_report *r = load(path);
	if (!r)
		return -1;
	char *name = strdup(path);
	struct input *slot = name ? ls_array_push(&in->items, &in->n, sizeof *slot) : NULL;
	if (!slot) {
		fprintf(stderr, "lockscope report: out of memory\n");
		free(name);
		ls_report_free(r);
		return -1;
	}
	*slot = (struct input){ r, name };
	return 0;
}

/* A file that can be a report: its first non-blank byte is '{'. */
static bool looks_like_json(const char *path)
{
	FILE *f = fopen(path, "rb");
	int c = EOF;
	while (f && (c = fgetc(f)) != EOF && strchr(" \t\r\n", c))
		;
	if (f)
		fclose(f);
	return c == '{';
}

static bool is_report_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && looks_like_json(path);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The report files of a directory, sorted by name. */
static int list_directory(const char *dir, char ***files, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "lockscope report: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		char *path = NULL;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			rc = -1;
			break;
		}
		char **slot = is_report_file(path) ? ls_array_push(files, n, sizeof *slot) : NULL;
		if (slot)
			*slot = path;
		else
			free(path);
	}
	closedir(d);
	if (rc)
		fprintf(stderr, "lockscope report: out of memory\n");
	else if (*n)
		qsort(*files, *n, sizeof **files, compare_names);
	return rc;
}

static int add_directory(struct inputs *in, const char *dir)
{
	char **files = NULL;
	size_t n = 0;
	int rc = list_directory(dir, &files, &n);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = add_input(in, files[i]);
		free(files[i]);
	}
	free(files);
	if (rc == 0 && n == 0) {
		fprintf(stderr, "lockscope report: %s: no JSON report in this directory\n", dir);
		rc = -1;
	}
	return rc;
}

static void free_inputs(struct inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		ls_report_free(in->items[i].report);
		free(in->items[i].name);
	}
	free(in->items);
}

static ls_report *merge_inputs(struct inputs *in)
{
	ls_report **reports = calloc(in->n, sizeof *reports);
	const char **names = calloc(in->n, sizeof *names);
	ls_report *r = NULL;
	if (reports && names) {
		for (size_t i = 0; i < in->n; i++) {
			reports[i] = in->items[i].report;
			names[i] = in->items[i].name;
			in->items[i].report = NULL;  /* the merge consumes it */
		}
		r = ls_report_merge(reports, names, in->n);
	}
	if (!r)
		fprintf(stderr, "lockscope report: out of memory while merging\n");
	free(reports);
	free(names);
	return r;
}

/* One report as it is, or the merge of all (a directory is always merged). */
static ls_report *load_all(char **paths, int n)
{
	struct inputs in = { 0 };
	bool merge = n > 1;
	for (int i = 0; i < n; i++) {
		struct stat st;
		bool dir = strcmp(paths[i], "-") && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
		merge |= dir;
		if ((dir ? add_directory(&in, paths[i]) : add_input(&in, paths[i])) != 0) {
			free_inputs(&in);
			return NULL;
		}
	}
	ls_report *r = NULL;
	if (merge) {
		r = merge_inputs(&in);
	} else {
		r = in.items[0].report;
		in.items[0].report = NULL;
	}
	free_inputs(&in);
	return r;
}

static int render(const ls_report *r, const struct format *format, const char *output)
{
	FILE *out = output ? fopen(output, "w") : stdout;
	if (!out) {
		fprintf(stderr, "lockscope report: %s: %s\n", output, strerror(errno));
		return 1;
	}
	int rc = format->write(r, out);
	int saved_errno = errno;
	if (output && fclose(out) != 0 && rc == 0) {
		rc = -1;
		saved_errno = errno;
	}
	if (rc != 0) {
		fprintf(stderr, "lockscope report: %s: write error: %s\n", output ? output : "<stdout>",
			strerror(saved_errno));
		return 1;
	}
	return 0;
}

int ls_cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct format *format = &formats[0];
	const char *output = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = find_format(optarg);
			if (!format) {
				fprintf(stderr, "lockscope report: unknown format '%s' (text, json, dot, folded, folded-dumps, html)\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 1) {
		fprintf(stderr, "lockscope report: expected a report file (or several, or a directory)\n");
		usage(stderr);
		return 2;
	}
	ls_report *r = load_all(argv + optind, argc - optind);
	if (!r)
		return 1;
	int status = render(r, format, output);
	ls_report_free(r);
	return status;
}
