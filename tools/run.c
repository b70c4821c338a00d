/* lockscope run — run a program with the shim preloaded.
 *
 * Flags map onto LOCKSCOPE_OPTIONS keys (appended after any options already
 * in the environment, so flags win).  The exit status is the program's:
 * 128+N when it was killed by signal N, 127 when it could not be executed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/options.h"
#include "commands.h"
#include "spawn.h"

static void run_usage(FILE *out)
{
	fputs("usage: lockscope run [OPTIONS] -- PROG [ARGS...]\n"
	      "Run PROG with the lockscope shim preloaded; report at exit.\n\n"
	      "  -f, --format=text|json     report format (text goes to stderr without --output)\n"
	      "  -o, --output=FILE          write the report to FILE (forked children: FILE.PID)\n"
	      "      --hang-timeout=SECONDS report a thread waiting on a lock longer than this\n"
	      "      --on-hang=report|exit|abort  what to do after a hang or deadlock report\n"
	      "      --dump-after=SECONDS   dump every thread after SECONDS\n"
	      "      --dump-repeat          repeat that dump every SECONDS\n"
	      "      --dump-signal=SIG      signal that dumps every thread (default SIGQUIT; none)\n"
	      "      --loop-stall=SECONDS   report an event loop that stays out of its poll call longer\n"
	      "      --stack-depth=N        frames kept per stack (1-128, default 32)\n"
	      "      --no-detect            no lock-order inversion detection\n"
	      "      --no-stats             no lock statistics (waits not timed)\n"
	      "      --hold-time            measure how long locks are held\n"
	      "      --live                 publish live statistics for lockscope top\n"
	      "  -O, --option=KEY=VALUE     any LOCKSCOPE_OPTIONS key (see lockscope-options(7))\n"
	      "  -v, --verbose              say what the shim does\n"
	      "  -h, --help                 this help\n", out);
}

/* Appends ":key=value" to the option string, validating it first. */
static int add_option(char *opts, size_t len, const char *key, const char *value)
{
	char pair[LS_OPTIONS_PATH_MAX + 64];
	snprintf(pair, sizeof pair, "%s=%s", key, value);
	ls_options probe;
	ls_options_defaults(&probe);
	if (strchr(value, ':') || ls_options_parse(&probe, pair, NULL, NULL)) {
		fprintf(stderr, "lockscope run: invalid value '%s' for %s (see lockscope-options(7))\n", value, key);
		return -1;
	}
	size_t used = strlen(opts);
	if (used + strlen(pair) + 2 > len) {
		fprintf(stderr, "lockscope run: options too long\n");
		return -1;
	}
	snprintf(opts + used, len - used, "%s%s", used ? ":" : "", pair);
	return 0;
}

static int absolute_path(const char *path, char *out, size_t len)
{
	if (path[0] == '/') {
		snprintf(out, len, "%s", path);
		return 0;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return -1;
	snprintf(out, len, "%s/%s", cwd, path);
	return 0;
}

enum { OPT_HANG = 256, OPT_ON_HANG, OPT_DUMP_AFTER, OPT_DUMP_REPEAT, OPT_DUMP_SIGNAL, OPT_DEPTH,
       OPT_NO_DETECT, OPT_NO_STATS, OPT_HOLD, OPT_LIVE, OPT_LOOP_STALL };

static const struct option run_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "hang-timeout", required_argument, NULL, OPT_HANG },
	{ "on-hang", required_argument, NULL, OPT_ON_HANG },
	{ "dump-after", required_argument, NULL, OPT_DUMP_AFTER },
	{ "dump-repeat", no_argument, NULL, OPT_DUMP_REPEAT },
	{ "dump-signal", required_argument, NULL, OPT_DUMP_SIGNAL },
	{ "loop-stall", required_argument, NULL, OPT_LOOP_STALL },
	{ "stack-depth", required_argument, NULL, OPT_DEPTH },
	{ "no-detect", no_argument, NULL, OPT_NO_DETECT },
	{ "no-stats", no_argument, NULL, OPT_NO_STATS },
	{ "hold-time", no_argument, NULL, OPT_HOLD },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "option", required_argument, NULL, 'O' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The LOCKSCOPE_OPTIONS key each flag sets, and the value of flags without one. */
static int flag_to_option(int c, const char *arg, char *opts, size_t len)
{
	char path[PATH_MAX + 1];
	const char *eq;
	switch (c) {
	case 'f': return add_option(opts, len, "format", arg);
	case 'o':
		if (absolute_path(arg, path, sizeof path))
			return -1;
		return add_option(opts, len, "output", path);
	case OPT_HANG: return add_option(opts, len, "hang_timeout", arg);
	case OPT_ON_HANG: return add_option(opts, len, "on_hang", arg);
	case OPT_DUMP_AFTER: return add_option(opts, len, "dump_after", arg);
	case OPT_DUMP_REPEAT: return add_option(opts, len, "dump_repeat", "1");
	case OPT_DUMP_SIGNAL: return add_option(opts, len, "dump_signal", arg);
	case OPT_LOOP_STALL: return add_option(opts, len, "loop_stall", arg);
	case OPT_DEPTH: return add_option(opts, len, "stack_depth", arg);
	case OPT_NO_DETECT: return add_option(opts, len, "detect", "0");
	case OPT_NO_STATS: return add_option(opts, len, "stats", "0");
	case OPT_HOLD: return add_option(opts, len, "hold_time", "1");
	case OPT_LIVE: return add_option(opts, len, "live", "1");
	case 'v': return add_option(opts, len, "verbose", "1");
	case 'O':
		eq = strchr(arg, '=');
		if (!eq) {
			fprintf(stderr, "lockscope run: --option takes KEY=VALUE, not '%s'\n", arg);
			return -1;
		}
		snprintf(path, sizeof path, "%.*s", (int)(eq - arg), arg);
		return add_option(opts, len, path, eq + 1);
	}
	return -1;
}

int ls_cmd_run(int argc, char **argv)
{
	char opts[8192] = "";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:o:O:vh", run_options, NULL)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			return 0;
		}
		if (c == '?' || flag_to_option(c, optarg, opts, sizeof opts)) {
			run_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lockscope run: no program given\n");
		run_usage(stderr);
		return 2;
	}
	pid_t pid = ls_spawn_preloaded(argv + optind, opts);
	if (pid < 0)
		return 127;
	return ls_wait_child(pid);
}
