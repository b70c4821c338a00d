/* options.h — LOCKSCOPE_OPTIONS: the shim's configuration.
 *
 * Contract: a colon-separated list of key=value pairs (like ASAN_OPTIONS).
 * Parsing never allocates and never fails: an unknown key or a bad value is
 * reported once through the warning callback (naming the key and value) and
 * the default is kept.  Later pairs override earlier ones.  The keys, types,
 * ranges and defaults are documented in lockscope-options(7); `lockscope run`
 * flags map onto the same keys.
 */
#ifndef LOCKSCOPE_OPTIONS_H
#define LOCKSCOPE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum ls_format { LS_FORMAT_TEXT, LS_FORMAT_JSON };
enum ls_on_hang { LS_ON_HANG_REPORT, LS_ON_HANG_EXIT, LS_ON_HANG_ABORT };

#define LS_OPTIONS_PATH_MAX 1024

typedef struct ls_options {
	char output[LS_OPTIONS_PATH_MAX]; /* "" = stderr */
	int format;                 /* enum ls_format */
	bool detect;                /* lock-order inversion detection */
	unsigned stack_depth;       /* frames kept per captured stack */
	double hang_timeout;        /* seconds; 0 = off */
	int on_hang;                /* enum ls_on_hang */
	int hang_exitcode;          /* status of on_hang=exit */
	double dump_after;          /* seconds; 0 = off */
	bool dump_repeat;           /* repeat the dump every dump_after seconds */
	int dump_signal;            /* signal that dumps every thread; 0 = none */
	int thread_signal;          /* real-time signal reserved to interrupt threads for dumps */
	bool fatal_signals;         /* dump on SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT */
	bool exit_signals;          /* the last report on SIGTERM, SIGINT, SIGHUP */
	double loop_stall;          /* seconds an event loop may stay out of its poll call; 0 = off */
	bool live;                  /* publish live statistics in shared memory */
	bool hold_time;             /* measure hold time */
	bool stats;                 /* lock statistics in the exit report */
	bool symcache;              /* keep symbolization results on disk (symbols/symcache.h) */
	bool verbose;
} ls_options;

typedef void ls_option_warning_fn(void *ctx, const char *message);

void ls_options_defaults(ls_options *o);
/* Applies `spec` on top of *o.  Returns the number of warnings issued. */
int ls_options_parse(ls_options *o, const char *spec, ls_option_warning_fn *warn, void *ctx);
/* Parses a signal name ("SIGQUIT", "QUIT", "USR1", "SIGRTMIN+3", "3") or "none"/"0".
 * Returns the signal number, 0 for none, -1 when invalid. */
int ls_parse_signal(const char *s);
/* Writes the name of a signal ("SIGSEGV", "SIGRTMIN+3") into buf. */
const char *ls_signal_name(int sig, char *buf, size_t len);

#endif
