#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/options.h"

enum opt_type { OPT_BOOL, OPT_UINT, OPT_SECONDS, OPT_STRING, OPT_FORMAT, OPT_ON_HANG, OPT_SIGNAL, OPT_RTSIGNAL };

struct opt_def {
	const char *key;
	enum opt_type type;
	size_t offset;
	unsigned min, max; /* OPT_UINT range */
};

#define OPT(k, t, field) { k, t, offsetof(ls_options, field), 0, 0 }
#define OPT_RANGE(k, field, lo, hi) { k, OPT_UINT, offsetof(ls_options, field), lo, hi }

static const struct opt_def option_table[] = {
	OPT("output", OPT_STRING, output),
	OPT("format", OPT_FORMAT, format),
	OPT("detect", OPT_BOOL, detect),
	OPT_RANGE("stack_depth", stack_depth, 1, 128),
	OPT("hang_timeout", OPT_SECONDS, hang_timeout),
	OPT("on_hang", OPT_ON_HANG, on_hang),
	OPT_RANGE("hang_exitcode", hang_exitcode, 1, 255),
	OPT("dump_after", OPT_SECONDS, dump_after),
	OPT("dump_repeat", OPT_BOOL, dump_repeat),
	OPT("dump_signal", OPT_SIGNAL, dump_signal),
	OPT("thread_signal", OPT_RTSIGNAL, thread_signal),
	OPT("fatal_signals", OPT_BOOL, fatal_signals),
	OPT("exit_signals", OPT_BOOL, exit_signals),
	OPT("loop_stall", OPT_SECONDS, loop_stall),
	OPT("live", OPT_BOOL, live),
	OPT("hold_time", OPT_BOOL, hold_time),
	OPT("stats", OPT_BOOL, stats),
	OPT("symcache", OPT_BOOL, symcache),
	OPT("verbose", OPT_BOOL, verbose),
};

void ls_options_defaults(ls_options *o)
{
	memset(o, 0, sizeof *o);
	o->format = LS_FORMAT_TEXT;
	o->detect = true;
	o->stack_depth = 32;
	o->on_hang = LS_ON_HANG_REPORT;
	o->hang_exitcode = 86;
	o->dump_signal = SIGQUIT;
	o->thread_signal = SIGRTMIN + 3;
	o->fatal_signals = true;
	o->exit_signals = true;
	o->stats = true;
	o->symcache = true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, true;
		if (!strcasecmp(v, no[i]))
			return *out = false, true;
	}
	return false;
}

static bool parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi)
		return false;
	*out = (unsigned)n;
	return true;
}

static bool parse_seconds(const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < 0 || d > 1e7)
		return false;
	*out = d;
	return true;
}

static bool parse_enum(const char *v, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v, names[i]))
			return *out = (int)i, true;
	return false;
}

static const struct { const char *name; int sig; } signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

int ls_parse_signal(const char *s)
{
	if (!strcasecmp(s, "none") || !strcmp(s, "0"))
		return 0;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	char *end;
	if (!strncasecmp(s, "RTMIN", 5)) {
		long off = 0;
		if (s[5] == '+') {
			off = strtol(s + 6, &end, 10);
			if (end == s + 6 || *end)
				return -1;
		} else if (s[5]) {
			return -1;
		}
		return SIGRTMIN + off <= SIGRTMAX && off >= 0 ? (int)(SIGRTMIN + off) : -1;
	}
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (!strcasecmp(s, signal_names[i].name))
			return signal_names[i].sig;
	long n = strtol(s, &end, 10);
	if (end == s || *end || n < 1 || n > SIGRTMAX)
		return -1;
	return (int)n;
}

const char *ls_signal_name(int sig, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (signal_names[i].sig == sig) {
			snprintf(buf, len, "SIG%s", signal_names[i].name);
			return buf;
		}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static bool apply_value(ls_options *o, const struct opt_def *d, const char *v)
{
	void *field = (char *)o + d->offset;
	static const char *const formats[] = { "text", "json" };
	static const char *const on_hang[] = { "report", "exit", "abort" };
	int sig;

	switch (d->type) {
	case OPT_BOOL:
		return parse_bool(v, field);
	case OPT_UINT:
		return parse_uint(v, d->min, d->max, field);
	case OPT_SECONDS:
		return parse_seconds(v, field);
	case OPT_STRING:
		if (strlen(v) >= LS_OPTIONS_PATH_MAX)
			return false;
		strcpy(field, v);
		return true;
	case OPT_FORMAT:
		return parse_enum(v, formats, 2, field);
	case OPT_ON_HANG:
		return parse_enum(v, on_hang, 3, field);
	case OPT_SIGNAL:
		sig = ls_parse_signal(v);
		if (sig < 0 || sig == SIGKILL || sig == SIGSTOP)
			return false;
		*(int *)field = sig;
		return true;
	case OPT_RTSIGNAL:
		sig = ls_parse_signal(v);
		if (sig < SIGRTMIN || sig > SIGRTMAX)
			return false;
		*(int *)field = sig;
		return true;
	}
	return false;
}

static const struct opt_def *find_option(const char *key, size_t keylen)
{
	for (size_t i = 0; i < sizeof option_table / sizeof option_table[0]; i++)
		if (strlen(option_table[i].key) == keylen && !strncmp(option_table[i].key, key, keylen))
			return &option_table[i];
	return NULL;
}

static void warn_pair(ls_option_warning_fn *warn, void *ctx, const char *what,
		      const char *pair, size_t len)
{
	char msg[256];
	snprintf(msg, sizeof msg, "lockscope: warning: %s '%.*s' in LOCKSCOPE_OPTIONS ignored; keeping the default",
		 what, (int)(len > 120 ? 120 : len), pair);
	if (warn)
		warn(ctx, msg);
}

int ls_options_parse(ls_options *o, const char *spec, ls_option_warning_fn *warn, void *ctx)
{
	int warnings = 0;
	if (!spec)
		return 0;
	while (*spec) {
		size_t len = strcspn(spec, ":");
		const char *pair = spec;
		spec += len + (spec[len] == ':');
		if (len == 0)
			continue;
		const char *eq = memchr(pair, '=', len);
		if (!eq) {
			warn_pair(warn, ctx, "malformed pair (expected key=value)", pair, len);
			warnings++;
			continue;
		}
		const struct opt_def *d = find_option(pair, (size_t)(eq - pair));
		if (!d) {
			warn_pair(warn, ctx, "unknown option", pair, len);
			warnings++;
			continue;
		}
		char value[LS_OPTIONS_PATH_MAX + 1];
		size_t vlen = len - (size_t)(eq + 1 - pair);
		if (vlen > LS_OPTIONS_PATH_MAX)
			vlen = LS_OPTIONS_PATH_MAX; /* too long for any key: rejected below */
		memcpy(value, eq + 1, vlen);
		value[vlen] = 0;
		ls_options tmp = *o;
		if (!apply_value(&tmp, d, value)) {
			warn_pair(warn, ctx, "bad value", pair, len);
			warnings++;
			continue;
		}
		*o = tmp;
	}
	return warnings;
}
