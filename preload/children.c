/* children.c — the reports of the other processes of one run.
 *
 * The first process with the shim (the root: the program `lockscope run`
 * started, or the first one preloaded by hand) keeps a ledger in memory: a
 * memfd, whose pid, descriptor and inode its descendants find in
 * LOCKSCOPE_CHILD_LEDGER ("PID:FD:INODE").  A descendant that writes a
 * report (a forked or spawned worker, an image about to be replaced by
 * exec) opens /proc/PID/fd/FD, checks the inode (the root may have closed
 * that descriptor and opened something else under its number) and appends
 * one line naming the report; the root's last report lists those lines.
 * Nothing is ever left on disk: the ledger dies with the root, however it
 * dies, and a descendant that outlives the root (or runs as another user)
 * just finds nobody to tell.  Appending is one write(2) of one line with
 * O_APPEND, so writers never interleave, and it uses no malloc and no stdio:
 * a report written from a signal handler (the raw fallback) is listed too.
 * The root's own exec keeps the memfd open for its next image.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/lockscope_internal.h"
#include "core/thread_dump.h"
#include "shim.h"

#define LEDGER_ENV "LOCKSCOPE_CHILD_LEDGER"
#define LINE_MAX_BYTES 2048
#define FIELD_MAX 900
/* The memfd is moved up here, out of the way of the program's descriptors. */
#define LEDGER_FD_MIN 700

static pid_t root_pid;
static int root_fd = -1;
static uint64_t root_inode;

static uint64_t inode_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

/* A new ledger for a root (its first image). */
static void create_ledger(void)
{
	int fd = memfd_create("lockscope-children", MFD_CLOEXEC);
	if (fd < 0)
		return;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, LEDGER_FD_MIN);
	close(fd);
	if (high < 0 || !(root_inode = inode_of(high))) {
		if (high >= 0)
			close(high);
		return;
	}
	root_fd = high;
	char value[96];
	snprintf(value, sizeof value, "%d:%d:%" PRIu64, (int)getpid(), root_fd, root_inode);
	setenv(LEDGER_ENV, value, 1);
}

void ls_children_claim(void)
{
	const char *env = getenv(LEDGER_ENV);
	long pid = 0, fd = -1;
	unsigned long long inode = 0;
	char *end = NULL;
	if (env) {
		pid = strtol(env, &end, 10);
		if (*end == ':')
			fd = strtol(end + 1, &end, 10);
		if (*end == ':')
			inode = strtoull(end + 1, &end, 10);
	}
	root_pid = getpid();
	if (pid <= 0 || fd < 0 || fd > INT32_MAX || !inode || *end) {
		create_ledger();
		return;
	}
	root_pid = (pid_t)pid;
	root_fd = (int)fd;
	root_inode = inode;
	/* An image of the root after its exec: the memfd came along. */
	if (ls_children_is_root() && inode_of(root_fd) != root_inode)
		root_fd = -1;
}

bool ls_children_is_root(void) { return root_pid == getpid(); }

void ls_children_keep_across_exec(void)
{
	if (root_fd >= 0 && ls_children_is_root())
		fcntl(root_fd, F_SETFD, 0);
}

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

/* /proc/PID/fd/FD of the root (no stdio). */
static void ledger_path(char *buf)
{
	char *p = buf;
	memcpy(p, "/proc/", 6);
	p = ls_raw_put_dec(p + 6, (uint64_t)root_pid);
	memcpy(p, "/fd/", 4);
	*ls_raw_put_dec(p + 4, (uint64_t)root_fd) = 0;
}

void ls_children_note(const ls_child_report *c)
{
	if (root_fd < 0)
		return;
	struct line l = { .len = 0 };
	put_number(&l, (uint64_t)c->pid);
	put_number(&l, c->inversions);
	put_number(&l, c->other_findings);
	put_field(&l, c->reason ? c->reason : "-");
	put_field(&l, c->report ? c->report : "-");
	put_field(&l, c->program ? c->program : "-");
	l.buf[l.len - 1] = '\n';
	char path[64];
	ledger_path(path);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;
	if (inode_of(fd) == root_inode)
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

void ls_children_collect(ls_report *r)
{
	if (root_fd < 0 || !ls_children_is_root() || inode_of(root_fd) != root_inode)
		return;
	/* A descriptor of its own: reading must not move the ledger's offset. */
	char path[64];
	ledger_path(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	FILE *in = fd >= 0 && inode_of(fd) == root_inode ? fdopen(fd, "r") : NULL;
	if (!in && fd >= 0)
		close(fd);
	char line[LINE_MAX_BYTES + 1];
	while (in && fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = 0;
		parse_line(r, line);
	}
	if (in)
		fclose(in);
}

