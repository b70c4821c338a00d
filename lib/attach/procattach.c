/* procattach.c — stop every thread of a process, unwind, detach.
 *
 * libdwfl's own dwfl_linux_proc_attach attaches one thread at a time while
 * it unwinds (threads that are not being unwound keep running, so a
 * snapshot is not consistent) and reads memory one word per
 * PTRACE_PEEKDATA.  Here every thread is stopped first, libdwfl gets our
 * thread callbacks (registers with PTRACE_GETREGS, memory through
 * process_vm_readv with a small page cache), and everything is detached
 * before any symbol is looked up.
 */
#include "config.h"

#include "attach/procattach.h"
#include "attach/pyattach.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbols/symbolize.h"

#define DEFAULT_MAX_FRAMES 256
#define PAGE 4096u
#define CACHE_PAGES 64u /* direct-mapped: stacks touch a few pages per thread */

enum attach_state { NOT_SEIZED, SEIZED, STOPPED, GONE };

struct page_cache {
	uint64_t page[CACHE_PAGES]; /* page address + 1; 0 = empty */
	unsigned char data[CACHE_PAGES][PAGE];
};

struct capture {
	ls_proc_snapshot *snap;
	size_t capacity;
	enum attach_state *state; /* parallel to snap->threads */
	int *pending_signal;      /* signal to re-inject at detach */
	size_t next_thread;       /* iterator for the next_thread callback */
	size_t max_frames;
	/* Set while unwinding a thread again from the return address on top
	 * of its stack (see unwind_thread); the pc it was stopped at. */
	bool leaf_retry;
	struct page_cache *cache;
	char *err;
	size_t errlen;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads a small /proc file, `path` relative to `dirfd`, into buf
 * (NUL-terminated); returns its length or -1. */
static ssize_t read_proc_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static ssize_t read_proc_file(const char *path, char *buf, size_t size)
{
	return read_proc_file_at(AT_FDCWD, path, buf, size);
}

void ls_parse_proc_syscall(const char *text, long *nr, uint64_t args[6])
{
	memset(args, 0, 6 * sizeof *args);
	*nr = LS_NOT_IN_SYSCALL;
	char *end;
	long value = strtol(text, &end, 10);
	if (end == text || value < 0)
		return; /* "running", or -1: blocked but not in a syscall */
	*nr = value;
	const char *p = end;
	for (int i = 0; i < 6; i++) {
		uint64_t arg = strtoull(p, &end, 16);
		if (end == p)
			break;
		args[i] = arg;
		p = end;
	}
}

char ls_parse_proc_stat_state(const char *text)
{
	const char *close_paren = strrchr(text, ')');
	if (!close_paren || close_paren[1] != ' ' || !close_paren[2])
		return '?';
	return close_paren[2];
}

/* Copies a /proc comm line (at most 15 characters) without its newline. */
static void set_comm(char *dst, size_t size, char *line)
{
	line[strcspn(line, "\n")] = '\0';
	size_t n = strnlen(line, size - 1);
	memcpy(dst, line, n);
	dst[n] = '\0';
}

/* The state letter in the stat file at `path` (relative to `dirfd`), or '?'. */
static char read_stat_state(int dirfd, const char *path)
{
	char buf[1024];
	return read_proc_file_at(dirfd, path, buf, sizeof buf) < 0 ? '?' : ls_parse_proc_stat_state(buf);
}

static char read_thread_state(pid_t pid, pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	return read_stat_state(AT_FDCWD, path);
}

/* Name, blocked syscall and state of a thread, read through `task_dir`
 * (the open /proc/PID/task).  The kernel shows a syscall number only for
 * a thread that is off the CPU ("running" otherwise), and then the number
 * says more than the state letter: stat, the dearest of these reads (about
 * 10 us a thread), is read only for threads not blocked in a syscall. */
static void read_thread_info(int task_dir, ls_proc_thread *t)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "%d/comm", t->tid);
	if (read_proc_file_at(task_dir, path, buf, sizeof buf) > 0)
		set_comm(t->name, sizeof t->name, buf);
	snprintf(path, sizeof path, "%d/syscall", t->tid);
	if (read_proc_file_at(task_dir, path, buf, sizeof buf) > 0)
		ls_parse_proc_syscall(buf, &t->syscall, t->syscall_args);
	else
		t->syscall = LS_NOT_IN_SYSCALL;
	if (t->syscall != LS_NOT_IN_SYSCALL) {
		t->state = LS_STATE_IN_SYSCALL;
		return;
	}
	snprintf(path, sizeof path, "%d/stat", t->tid);
	t->state = read_stat_state(task_dir, path);
}

static bool known_tid(const struct capture *c, pid_t tid)
{
	for (size_t i = 0; i < c->snap->n_threads; i++)
		if (c->snap->threads[i].tid == tid)
			return true;
	return false;
}

static ls_proc_thread *add_thread(struct capture *c, pid_t tid)
{
	ls_proc_snapshot *s = c->snap;
	if (s->n_threads == c->capacity) {
		size_t cap = c->capacity ? c->capacity * 2 : 64;
		ls_proc_thread *threads = realloc(s->threads, cap * sizeof *threads);
		if (!threads)
			return NULL;
		s->threads = threads;
		enum attach_state *state = realloc(c->state, cap * sizeof *state);
		if (!state)
			return NULL;
		c->state = state;
		int *pending = realloc(c->pending_signal, cap * sizeof *pending);
		if (!pending)
			return NULL;
		c->pending_signal = pending;
		c->capacity = cap;
	}
	size_t i = s->n_threads++;
	memset(&s->threads[i], 0, sizeof s->threads[i]);
	s->threads[i].tid = tid;
	s->threads[i].syscall = LS_NOT_IN_SYSCALL;
	c->state[i] = NOT_SEIZED;
	c->pending_signal[i] = 0;
	return &s->threads[i];
}

/* Adds the threads of /proc/PID/task not seen yet; returns how many, or -1. */
static int scan_new_threads(struct capture *c, bool read_info)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", c->snap->pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int added = 0;
	struct dirent *d;
	while ((d = readdir(dir))) {
		char *end;
		long tid = strtol(d->d_name, &end, 10);
		if (*end || tid <= 0 || known_tid(c, (pid_t)tid))
			continue;
		ls_proc_thread *t = add_thread(c, (pid_t)tid);
		if (!t) {
			closedir(dir);
			errno = ENOMEM;
			return -1;
		}
		if (read_info)
			read_thread_info(dirfd(dir), t);
		added++;
	}
	closedir(dir);
	return added;
}

static void explain_permission(struct capture *c, int error)
{
	char scope[16] = "";
	bool have_yama = read_proc_file("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof scope) > 0;
	scope[strcspn(scope, "\n")] = '\0';
	char path[64], status[4096];
	long tracer = 0;
	snprintf(path, sizeof path, "/proc/%d/status", c->snap->pid);
	if (read_proc_file(path, status, sizeof status) > 0) {
		const char *line = strstr(status, "TracerPid:");
		if (line)
			tracer = strtol(line + strlen("TracerPid:"), NULL, 10);
	}
	if (tracer > 0 && tracer != getpid()) {
		snprintf(c->err, c->errlen,
			 "cannot attach to process %d: it is already traced by process %ld (a debugger or strace?)",
			 c->snap->pid, tracer);
		return;
	}
	snprintf(c->err, c->errlen,
		 "cannot attach to process %d: %s. Tracing another process needs the same user and, "
		 "with kernel.yama.ptrace_scope=1 (here: %s), that it is a descendant of lockscope; "
		 "run as root or with CAP_SYS_PTRACE (e.g. sudo), or set kernel.yama.ptrace_scope=0",
		 c->snap->pid, strerror(error), have_yama ? scope : "no Yama");
}

/* Seizes and interrupts every thread not yet seized.  Returns 0 or an errno. */
static int seize_new_threads(struct capture *c, size_t from)
{
	for (size_t i = from; i < c->snap->n_threads; i++) {
		pid_t tid = c->snap->threads[i].tid;
		if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
			int error = errno;
			char state = read_thread_state(c->snap->pid, tid);
			if (error == ESRCH || state == 'Z' || state == 'X' || state == '?') {
				c->state[i] = GONE; /* exited, or exiting */
				continue;
			}
			explain_permission(c, error);
			return error;
		}
		c->state[i] = SEIZED;
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0)
			c->state[i] = GONE; /* seized but already exiting */
	}
	return 0;
}

/* The index of thread tid among the seized ones, looking from `hint` on
 * first (stops arrive about in the order the interrupts were sent). */
static size_t seized_index(const struct capture *c, pid_t tid, size_t hint)
{
	size_t n = c->snap->n_threads;
	for (size_t k = 0; k < n; k++) {
		size_t i = (hint + k) % n;
		if (c->snap->threads[i].tid == tid)
			return i;
	}
	return SIZE_MAX;
}

static void note_wait_status(struct capture *c, size_t i, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		c->state[i] = GONE;
		return;
	}
	c->state[i] = STOPPED;
	/* A signal-delivery stop (not our interrupt, not a group stop): the
	 * signal was taken out of the thread's queue, so hand it back when
	 * detaching. */
	if (WIFSTOPPED(status) && (status >> 16) == 0)
		c->pending_signal[i] = WSTOPSIG(status);
}

/* How long the stops of one round are waited for: a thread in an
 * uninterruptible sleep stops only when it leaves it, and the dump must
 * not wait for it forever. */
#define STOP_WAIT_SECONDS 5.0

/* Waits for the stops of the threads seized from index `from` on.  Any
 * tracee's event is taken as it comes (waitpid(-1)), never one thread's
 * in turn: when the process dies, the main thread's exit is reported only
 * once every other thread has been reaped, so waiting for it first would
 * wait forever.  A thread that has not stopped by the deadline stays
 * SEIZED and is left out of the dump. */
static void wait_for_stops(struct capture *c, size_t from)
{
	size_t pending = 0;
	for (size_t i = from; i < c->snap->n_threads; i++)
		pending += c->state[i] == SEIZED;
	double deadline = now_seconds() + STOP_WAIT_SECONDS;
	long pause_ns = 0;
	size_t hint = from;
	bool no_tracee = false;
	while (pending > 0) {
		int status;
		pid_t r = waitpid(-1, &status, __WALL | WNOHANG);
		if (r > 0) {
			size_t i = seized_index(c, r, hint);
			if (i == SIZE_MAX)
				continue;
			if (c->state[i] == SEIZED)
				pending--;
			if (c->state[i] == SEIZED || WIFEXITED(status) || WIFSIGNALED(status))
				note_wait_status(c, i, status);
			hint = i + 1;
			pause_ns = 0;
			continue;
		}
		if (r < 0 && errno != EINTR) {
			no_tracee = errno == ECHILD; /* every pending thread is gone */
			break;
		}
		if (now_seconds() > deadline)
			break;
		/* Nothing yet: back off from a yield to a millisecond. */
		pause_ns = pause_ns ? (pause_ns < 1000000 ? pause_ns * 2 : pause_ns) : 1000;
		nanosleep(&(struct timespec){ 0, pause_ns }, NULL);
	}
	for (size_t i = from; no_tracee && i < c->snap->n_threads; i++)
		if (c->state[i] == SEIZED)
			c->state[i] = GONE;
}

static void detach_all(struct capture *c)
{
	for (size_t i = 0; i < c->snap->n_threads; i++) {
		if (c->state[i] != SEIZED && c->state[i] != STOPPED)
			continue;
		ptrace(PTRACE_DETACH, c->snap->threads[i].tid, NULL,
		       (void *)(uintptr_t)c->pending_signal[i]);
		c->state[i] = NOT_SEIZED;
	}
}

/* ---- libdwfl thread callbacks ---------------------------------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct capture *c = arg;
	while (c->next_thread < c->snap->n_threads) {
		size_t i = c->next_thread++;
		if (c->state[i] == STOPPED) {
			*thread_argp = c;
			return c->snap->threads[i].tid;
		}
	}
	return 0;
}

static bool read_remote(pid_t pid, uint64_t address, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)address, len };
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr address, Dwarf_Word *result, void *arg)
{
	struct capture *c = arg;
	uint64_t page = address & ~(uint64_t)(PAGE - 1);
	size_t offset = (size_t)(address - page);
	if (c->cache && offset <= PAGE - sizeof *result) {
		size_t slot = (size_t)(page / PAGE) % CACHE_PAGES;
		if (c->cache->page[slot] != page + 1) {
			if (read_remote(c->snap->pid, page, c->cache->data[slot], PAGE))
				c->cache->page[slot] = page + 1;
		}
		if (c->cache->page[slot] == page + 1) {
			memcpy(result, c->cache->data[slot] + offset, sizeof *result);
			return true;
		}
	}
	/* Straddles a page, or the whole page is not readable. */
	return read_remote(c->snap->pid, address, result, sizeof *result);
}

/* The leaf heuristic: in code without CFI that has not pushed anything
 * (the parent side of clone3 right after the syscall, hand-written
 * assembly), the return address is the word at the stack pointer.  Only
 * believed when it points into a known module. */
static bool pop_return_address(struct capture *c, Dwfl *dwfl, struct user_regs_struct *regs)
{
	Dwarf_Word ret;
	if (!memory_read(dwfl, regs->rsp, &ret, c) || !dwfl_addrmodule(dwfl, ret))
		return false;
	regs->rip = ret;
	regs->rsp += 8;
	return true;
}

/* thread_arg is the capture: libdwfl asks for the registers of the thread
 * next_thread has just handed out. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct capture *c = thread_arg;
	ls_proc_thread *t = &c->snap->threads[c->next_thread - 1];
	struct user_regs_struct regs;
	if (t->tid != dwfl_thread_tid(thread) || ptrace(PTRACE_GETREGS, t->tid, NULL, &regs) != 0)
		return false;
	if (c->leaf_retry && !pop_return_address(c, dwfl_thread_dwfl(thread), &regs))
		return false;
	/* DWARF register numbering of x86-64: rax rdx rcx rbx rsi rdi rbp rsp
	 * r8..r15, then the return address column (rip). */
	Dwarf_Word dwarf_regs[17] = {
		regs.rax, regs.rdx, regs.rcx, regs.rbx, regs.rsi, regs.rdi, regs.rbp, regs.rsp,
		regs.r8, regs.r9, regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15,
		regs.rip,
	};
	if (!dwfl_thread_state_registers(thread, 0, 17, dwarf_regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs.rip);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct frame_walk {
	ls_proc_thread *thread;
	size_t capacity;
	size_t max_frames;
	bool after_leaf;
};

static int collect_frame(Dwfl_Frame *frame, void *arg)
{
	struct frame_walk *w = arg;
	ls_proc_thread *t = w->thread;
	Dwarf_Addr pc;
	bool is_activation;
	if (!dwfl_frame_pc(frame, &pc, &is_activation))
		return DWARF_CB_ABORT;
	if (t->n_frames == w->capacity) {
		size_t cap = w->capacity ? w->capacity * 2 : 32;
		uint64_t *pcs = realloc(t->pcs, cap * sizeof *pcs);
		if (!pcs)
			return DWARF_CB_ABORT;
		t->pcs = pcs;
		bool *act = realloc(t->is_activation, cap * sizeof *act);
		if (!act)
			return DWARF_CB_ABORT;
		t->is_activation = act;
		w->capacity = cap;
	}
	t->pcs[t->n_frames] = pc;
	/* After the leaf heuristic, libdwfl's first frame is a return address. */
	t->is_activation[t->n_frames] = is_activation && !w->after_leaf;
	w->after_leaf = false;
	t->n_frames++;
	return t->n_frames >= w->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* A return address outside every module is not code: the unwinder went
 * astray (a thread caught on the child side of clone3, before its frame is
 * set up).  What follows it is garbage too. */
static void truncate_at_garbage(ls_proc_thread *t, Dwfl *dwfl)
{
	for (size_t i = 1; i < t->n_frames; i++)
		if (!dwfl_addrmodule(dwfl, t->pcs[i])) {
			t->n_frames = i;
			return;
		}
}

static int unwind_thread(Dwfl_Thread *thread, void *arg)
{
	struct capture *c = arg;
	/* dwfl_getthreads calls back right after next_thread handed out this thread. */
	ls_proc_thread *t = &c->snap->threads[c->next_thread - 1];
	if (t->tid != dwfl_thread_tid(thread))
		return DWARF_CB_OK;
	struct frame_walk w = { t, 0, c->max_frames, false };
	/* 0: the walk reached the outermost frame; -1: it stopped on an error
	 * (frame limit, unreadable memory, no CFI for a pc). */
	int rc = dwfl_thread_getframes(thread, collect_frame, &w);
	const char *msg = rc != 0 ? dwfl_errmsg(-1) : NULL;
	if (rc != 0 && t->n_frames == 1 && c->max_frames > 1) {
		/* Stuck on the very first pc: no CFI there.  Retry from the
		 * return address on top of the stack. */
		uint64_t first_pc = t->pcs[0];
		c->leaf_retry = true;
		t->n_frames = 0;
		t->pcs[t->n_frames] = first_pc;
		t->is_activation[t->n_frames] = true;
		t->n_frames = 1;
		w.after_leaf = true;
		rc = dwfl_thread_getframes(thread, collect_frame, &w);
		c->leaf_retry = false;
		if (t->n_frames <= 1)
			rc = -1; /* the heuristic did not help: report the first error */
		else
			msg = rc != 0 ? dwfl_errmsg(-1) : NULL;
	}
	if (rc != 0 && t->n_frames < c->max_frames)
		t->unwind_error = strdup(msg ? msg : "unwind failed");
	truncate_at_garbage(t, dwfl_thread_dwfl(thread));
	return DWARF_CB_OK;
}

static void unwind_all(struct capture *c)
{
	c->cache = calloc(1, sizeof *c->cache); /* optional: NULL reads uncached */
	c->next_thread = 0;
	if (!dwfl_attach_state(c->snap->dwfl, NULL, c->snap->pid, &thread_callbacks, c)) {
		const char *msg = dwfl_errmsg(-1);
		for (size_t i = 0; i < c->snap->n_threads; i++)
			c->snap->threads[i].unwind_error = strdup(msg ? msg : "cannot unwind");
	} else {
		dwfl_getthreads(c->snap->dwfl, unwind_thread, c);
	}
	free(c->cache);
	c->cache = NULL;
}

/* ---- the capture ----------------------------------------------------- */

static int report_modules(struct capture *c)
{
	ls_proc_snapshot *s = c->snap;
	s->dwfl = ls_symbolizer_dwfl_begin();
	if (!s->dwfl) {
		snprintf(c->err, c->errlen, "libdwfl: %s", dwfl_errmsg(-1));
		return ENOMEM;
	}
	dwfl_report_begin(s->dwfl);
	int rc = dwfl_linux_proc_report(s->dwfl, s->pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (rc == 0)
		return 0;
	if (rc == EACCES || rc == EPERM) {
		explain_permission(c, rc);
		return EPERM;
	}
	if (rc == ENOENT || rc == ESRCH) {
		snprintf(c->err, c->errlen, "no such process: %d", s->pid);
		return ESRCH;
	}
	snprintf(c->err, c->errlen, "cannot read the memory map of process %d: %s", s->pid,
		 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
	return rc > 0 ? rc : EIO;
}

static void read_process_info(ls_proc_snapshot *s)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", s->pid);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		s->exe = strdup(buf);
	}
	snprintf(path, sizeof path, "/proc/%d/comm", s->pid);
	if (read_proc_file(path, buf, sizeof buf) > 0)
		set_comm(s->comm, sizeof s->comm, buf);
}

/* Stops every thread, including threads created while we attach: once all
 * known threads are stopped none can clone, so a rescan that finds nothing
 * new ends the loop. */
static int stop_all_threads(struct capture *c)
{
	size_t from = 0;
	for (;;) {
		int rc = seize_new_threads(c, from);
		if (rc)
			return rc;
		wait_for_stops(c, from);
		from = c->snap->n_threads;
		int added = scan_new_threads(c, false);
		if (added < 0) {
			/* The task directory is gone: the process exited. */
			snprintf(c->err, c->errlen, "process %d exited during the dump", c->snap->pid);
			return ESRCH;
		}
		if (added == 0)
			return 0;
	}
}

static bool any_stopped(const struct capture *c)
{
	for (size_t i = 0; i < c->snap->n_threads; i++)
		if (c->state[i] == STOPPED)
			return true;
	return false;
}

/* Drops the threads that exited before they could be stopped. */
static void drop_gone_threads(struct capture *c)
{
	size_t kept = 0;
	for (size_t i = 0; i < c->snap->n_threads; i++) {
		if (c->state[i] == GONE) {
			free(c->snap->threads[i].pcs);
			free(c->snap->threads[i].is_activation);
			free(c->snap->threads[i].unwind_error);
			continue;
		}
		c->snap->threads[kept] = c->snap->threads[i];
		c->state[kept] = c->state[i];
		kept++;
	}
	c->snap->n_threads = kept;
}

int ls_proc_capture(pid_t pid, const ls_capture_options *opts, ls_proc_snapshot **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	char scratch[8];
	struct capture c = { .err = err ? err : scratch, .errlen = err ? errlen : sizeof scratch };
	c.max_frames = opts && opts->max_frames ? opts->max_frames : DEFAULT_MAX_FRAMES;
	if (pid <= 0 || pid == getpid()) {
		snprintf(c.err, c.errlen, pid <= 0 ? "invalid process id %d" :
			 "process %d is lockscope itself", pid);
		return EINVAL;
	}
	c.snap = calloc(1, sizeof *c.snap);
	if (!c.snap)
		return ENOMEM;
	c.snap->pid = pid;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	int rc = 0;
	if (access(path, F_OK) != 0) {
		snprintf(c.err, c.errlen, "no such process: %d", pid);
		rc = ESRCH;
		goto fail;
	}
	read_process_info(c.snap);
	rc = report_modules(&c);
	if (rc)
		goto fail;
	ls_proc_python_open(c.snap);
	/* The blocked syscall is only visible while the thread runs freely, so
	 * /proc is read before stopping anything. */
	if (scan_new_threads(&c, true) <= 0) {
		snprintf(c.err, c.errlen, "no such process: %d", pid);
		rc = ESRCH;
		goto fail;
	}

	sigset_t deferred, saved;
	sigemptyset(&deferred);
	sigaddset(&deferred, SIGINT);
	sigaddset(&deferred, SIGTERM);
	sigaddset(&deferred, SIGHUP);
	sigaddset(&deferred, SIGQUIT);
	sigaddset(&deferred, SIGTSTP);
	sigprocmask(SIG_BLOCK, &deferred, &saved);
	double t0 = now_seconds();
	rc = stop_all_threads(&c);
	double t1 = now_seconds();
	if (!rc && !any_stopped(&c)) {
		snprintf(c.err, c.errlen, "process %d exited during the dump", pid);
		rc = ESRCH;
	}
	if (!rc) {
		unwind_all(&c);
		ls_proc_python_merge(c.snap);
	}
	double t2 = now_seconds();
	detach_all(&c);
	c.snap->stopped_seconds = now_seconds() - t0;
	c.snap->unwind_seconds = t2 - t1;
	/* Deferred signals are delivered here, with the target running again. */
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (rc)
		goto fail;
	drop_gone_threads(&c);
	free(c.state);
	free(c.pending_signal);
	*out = c.snap;
	return 0;
fail:
	free(c.state);
	free(c.pending_signal);
	ls_proc_snapshot_free(c.snap);
	return rc;
}

void ls_proc_snapshot_free(ls_proc_snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->n_threads; i++) {
		free(snap->threads[i].pcs);
		free(snap->threads[i].is_activation);
		free(snap->threads[i].unwind_error);
	}
	free(snap->threads);
	free(snap->exe);
	if (snap->dwfl)
		dwfl_end(snap->dwfl);
	free(snap);
}
