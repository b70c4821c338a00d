/* children.c — the reports of the other processes of one run.
 *
 * The first process with the shim (the root: the program `lockscope run`
 * started, or the first one preloaded by hand) creates a ledger file, 0600
 * and O_EXCL in $XDG_RUNTIME_DIR (else $TMPDIR, else /tmp), and passes its
 * path to its descendants in LOCKSCOPE_CHILD_LEDGER ("PID:PATH").  A
 * descendant that writes a report (a forked or spawned worker, an image
 * about to be replaced by exec) appends one line naming it; the root's
 * final report lists those lines and removes the ledger.  A descendant never
 * creates the ledger: one that outlives the root writes its report as
 * always, but nobody lists it.  Appending is one write(2) of one line with
 * O_APPEND, so writers never interleave, and it uses no malloc and no stdio:
 * a report written from a signal handler (the raw fallback) is listed too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/lockscope_internal.h"
#include "core/options.h"
#include "core/thread_dump.h"
#include "shim.h"

#define LEDGER_ENV "LOCKSCOPE_CHILD_LEDGER"
#define LINE_MAX_BYTES 2048
#define FIELD_MAX 900

static char ledger_path[LS_OPTIONS_PATH_MAX];
static pid_t root_pid;

static const char *ledger_dir(void)
{
	static const char *const vars[] = { "XDG_RUNTIME_DIR", "TMPDIR" };
	for (size_t i = 0; i < LS_ARRAY_SIZE(vars); i++) {
		const char *d = getenv(vars[i]);
		if (d && d[0] == '/' && strlen(d) < LS_OPTIONS_PATH_MAX - 64 && access(d, W_OK | X_OK) == 0)
			return d;
	}
	return "/tmp";
}

static bool owned_by_us(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

void ls_children_claim(void)
{
	const char *env = getenv(LEDGER_ENV);
	char *end = NULL;
	long pid = env ? strtol(env, &end, 10) : 0;
	if (pid > 0 && *end == ':' && end[1] == '/' && strlen(end + 1) < sizeof ledger_path) {
		root_pid = (pid_t)pid;
		memcpy(ledger_path, end + 1, strlen(end + 1) + 1);
		return;
	}
	/* The root: a fresh ledger, named so that no earlier run's file is
	 * taken for ours. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	root_pid = getpid();
	snprintf(ledger_path, sizeof ledger_path, "%s/lockscope-children-%d-%lx%lx", ledger_dir(), (int)root_pid,
		 (unsigned long)ts.tv_sec, (unsigned long)ts.tv_nsec);
	int fd = open(ledger_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ledger_path[0] = 0;
		return;
	}
	close(fd);
	char value[LS_OPTIONS_PATH_MAX + 32];
	snprintf(value, sizeof value, "%d:%s", (int)root_pid, ledger_path);
	setenv(LEDGER_ENV, value, 1);
}

bool ls_children_is_root(void) { return root_pid == getpid(); }

/* ---- one line: PID TAB INVERSIONS TAB FINDINGS TAB REASON TAB REPORT TAB PROGRAM ---- */

struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static void put_field(struct line *l, const char *s)
{
	for (size_t i = 0; s && s[i] && i < FIELD_MAX && l->len < sizeof l->buf - 2; i++) {
		unsigned char c = (unsigned char)s[i];
		l->buf[l->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	l->buf[l->len++] = '\t';
}

static void put_number(struct line *l, uint64_t v)
{
	char digits[24];
	*ls_raw_put_dec(digits, v) = 0;
	put_field(l, digits);
}

void ls_children_note(const ls_child_report *c)
{
	if (!ledger_path[0])
		return;
	struct line l = { .len = 0 };
	put_number(&l, (uint64_t)c->pid);
	put_number(&l, c->inversions);
	put_number(&l, c->other_findings);
	put_field(&l, c->reason ? c->reason : "-");
	put_field(&l, c->report ? c->report : "-");
	put_field(&l, c->program ? c->program : "-");
	l.buf[l.len - 1] = '\n';
	int fd = open(ledger_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (owned_by_us(fd))
		while (write(fd, l.buf, l.len) < 0 && errno == EINTR)
			;
	close(fd);
}

/* ---- the root reads them back ---------------------------------------- */

static char *field_dup(const char *s)
{
	return strcmp(s, "-") ? strdup(s) : NULL;
}

static void parse_line(ls_report *r, char *line)
{
	char *fields[6];
	size_t n = 0;
	for (char *save = NULL, *f = strtok_r(line, "\t", &save); f && n < 6; f = strtok_r(NULL, "\t", &save))
		fields[n++] = f;
	if (n != 6)
		return;
	ls_child_report *c = ls_array_push(&r->child_reports, &r->n_child_reports, sizeof *c);
	if (!c)
		return;
	c->pid = strtoll(fields[0], NULL, 10);
	c->inversions = strtoull(fields[1], NULL, 10);
	c->other_findings = strtoull(fields[2], NULL, 10);
	c->reason = field_dup(fields[3]);
	c->report = field_dup(fields[4]);
	c->program = field_dup(fields[5]);
}

void ls_children_collect(ls_report *r, bool final)
{
	if (!ledger_path[0] || !ls_children_is_root())
		return;
	int fd = open(ledger_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *in = fd >= 0 && owned_by_us(fd) ? fdopen(fd, "r") : NULL;
	if (!in && fd >= 0)
		close(fd);
	char line[LINE_MAX_BYTES + 1];
	while (in && fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = 0;
		parse_line(r, line);
	}
	if (in)
		fclose(in);
	if (final)
		unlink(ledger_path);
}
