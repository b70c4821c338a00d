/* report.c — `lockscope report`: render a saved JSON report.
 *
 * Reads the whole report first, strictly (any problem is one line naming
 * it, status 1), and only then opens the output, so a bad input never
 * truncates an existing output file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "report/report_render.h"
#include "commands.h"

struct format {
	const char *name;
	int (*write)(const ls_report *r, FILE *out);
};

static const struct format formats[] = {
	{ "text", ls_report_write_text },     { "json", ls_report_write_json }, { "dot", ls_report_write_dot },
	{ "folded", ls_report_write_folded }, { "html", ls_report_write_html },
};

static void usage(FILE *out)
{
	fputs("usage: lockscope report [--format=text|json|dot|folded|html] [-o FILE] REPORT.json\n"
	      "\n"
	      "Renders a JSON report saved by `lockscope run --format=json --output=FILE`\n"
	      "(REPORT.json '-' reads standard input).\n"
	      "  -f, --format=FORMAT  text (default): the findings as the shim prints them\n"
	      "                       json: the report validated and normalised\n"
	      "                       dot: the lock-order graph for Graphviz (inversions in red)\n"
	      "                       folded: wait time per call stack for flamegraph.pl/speedscope\n"
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
				fprintf(stderr, "lockscope report: unknown format '%s' (text, json, dot, folded, html)\n",
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
	if (argc - optind != 1) {
		fprintf(stderr, "lockscope report: expected exactly one report file\n");
		usage(stderr);
		return 2;
	}
	ls_report *r = load(argv[optind]);
	if (!r)
		return 1;
	int status = render(r, format, output);
	ls_report_free(r);
	return status;
}
