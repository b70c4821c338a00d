/* lockscope — command-line entry point: dispatches to the verbs. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

struct verb {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "run", ls_cmd_run, "run a program under the shim; report at exit, dumps on hang, deadlock or crash" },
	{ "top", ls_cmd_top, "live ncurses view of lock contention in a preloaded program" },
	{ "report", ls_cmd_report, "render a saved JSON report (text, json, dot, folded, folded-dumps, html)" },
	{ "stack", ls_cmd_stack, "dump every thread of any running process and name its deadlock cycle" },
	{ "sortbench", ls_cmd_sortbench, "benchmark lockscope_sort against qsort on the sort corpus" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: lockscope [--help] [--version] VERB [ARGS]\n\nverbs:\n");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\n'lockscope VERB --help' describes a verb; see lockscope(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("lockscope %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lockscope: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
