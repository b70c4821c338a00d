/* pyprobe.c — a test preload: what lib/python reads, at each sem_trywait.
 *
 * CPython 3.11 and 3.12 try every threading.Lock acquisition with
 * sem_trywait first, with the GIL held, from inside the Python call that
 * asked for it.  For each such call made while LS_PROBE_FD names a
 * descriptor, this writes one line:
 *   trywait argc=N runs=R eval=E frames=FUNCTION FILE:LINE[*] | ...
 * argc from ls_py_current_call_argc, the Python frames innermost first
 * (* marks the last frame of a run), R the runs and E the native
 * _PyEval_EvalFrameDefault frames on the C stack (they must match).
 * With LS_PROBE_BENCH=N it instead times, once, at the first lock call
 * made with two arguments from a function named nested()
 * (scripts/bench-python.py): N captures of the calling thread's
 * stack with and without Python frames (the core's capture, as for a new
 * order edge), N raw captures (a dump handler's), N argument counts
 * (scripts/bench-python.sh).
 * With LS_PROBE_RAW=1 it instead raises SIGUSR2 at itself and, in the
 * handler, captures its stack as a dump handler does and writes it with
 * the crash path's raw writer (core/thread_dump.h), between "raw" and
 * "end" lines. */
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "core/py_stack.h"
#include "core/stack_depot.h"
#include "core/thread_dump.h"
#include "python/pyframes.h"

static int (*real_trywait)(sem_t *);
static int probe_fd = -1;
static int raw_mode;
static long bench_rounds;
static int bench_armed;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static bool innermost_is(const char *function)
{
	ls_py_raw_frame f;
	ls_py_location loc;
	return ls_py_thread_frames(ls_py_self(), 0, &f, 1) == 1 &&
	       ls_py_resolve(ls_py_self(), f.code, f.lasti, &loc) && !strcmp(loc.function, function);
}

static void bench(void)
{
	uint64_t pcs[LS_MAX_STACK_DEPTH];
	size_t n = 0, python = 0;
	double t0 = now_us();
	for (long i = 0; i < bench_rounds; i++) /* native only: what a C program pays */
		n = (size_t)unw_backtrace((void **)pcs, 32);
	double t1 = now_us();
	for (long i = 0; i < bench_rounds; i++) /* the core's capture: native + Python, interned */
		n = ls_capture_stack(pcs, 32);
	double t2 = now_us();
	for (size_t i = 0; i < n; i++)
		python += ls_py_word_is_python(pcs[i]);
	uint64_t raw[LS_DUMP_MAX_FRAMES];
	for (long i = 0; i < bench_rounds; i++) { /* a dump handler's: native + raw Python words */
		size_t k = (size_t)unw_backtrace((void **)raw, LS_DUMP_MAX_FRAMES);
		ls_pystack_merge_raw(raw, k, LS_DUMP_MAX_FRAMES);
	}
	double t3 = now_us();
	int argc = 0;
	for (long i = 0; i < bench_rounds; i++)
		argc = ls_py_current_call_argc();
	double t4 = now_us();
	double r = (double)bench_rounds;
	dprintf(probe_fd,
		"bench frames=%zu python=%zu native_us=%.2f capture_us=%.2f raw_us=%.2f argc_us=%.3f argc=%d\n", n,
		python, (t1 - t0) / r, (t2 - t1) / r, (t3 - t2) / r, (t4 - t3) / r, argc);
}

/* What a dump handler does, then the crash path's writer. */
static void on_raw_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si;
	ls_dump_slot slot;
	memset(&slot, 0, sizeof slot);
	slot.n = (uint32_t)ls_unwind_python_context(uc, slot.pcs, LS_DUMP_MAX_FRAMES);
	ls_raw_writer w = { .fd = probe_fd };
	ls_raw_str(&w, "raw\n");
	ls_raw_stack(&w, &slot);
	ls_raw_str(&w, "end\n");
	ls_raw_flush(&w);
}

__attribute__((constructor)) static void probe_init(void)
{
	real_trywait = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_trywait");
	const char *fd = getenv("LS_PROBE_FD");
	probe_fd = fd ? atoi(fd) : -1;
	ls_py_self_init();
	raw_mode = getenv("LS_PROBE_RAW") != NULL;
	const char *rounds = getenv("LS_PROBE_BENCH");
	bench_rounds = rounds ? atol(rounds) : 0;
	if (raw_mode) {
		ls_module_table_refresh();
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_raw_signal;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR2, &sa, NULL);
	}
	const ls_py_interp *ip = ls_py_self();
	if (probe_fd >= 0 && ip->status != LS_PY_ABSENT)
		dprintf(probe_fd, "status %d %s\n", (int)ip->status, ip->note);
}

static void report(void)
{
	const ls_py_interp *ip = ls_py_self();
	char line[4096];
	size_t len = 0;
	int argc = ls_py_current_call_argc();
	ls_py_raw_frame py[64];
	size_t n = ls_py_thread_frames(ip, 0, py, 64), runs = 0;
	void *pcs[128];
	int depth = backtrace(pcs, 128), evals = 0;
	for (int i = 1; i < depth; i++)
		evals += ls_py_is_eval_pc(ip, (uint64_t)(uintptr_t)pcs[i] - 1);
	for (size_t i = 0; i < n; i++)
		runs += (py[i].flags & LS_PY_FRAME_ENTRY) != 0;
	len += (size_t)snprintf(line + len, sizeof line - len, "trywait argc=%d runs=%zu eval=%d frames=", argc, runs, evals);
	for (size_t i = 0; i < n && len < sizeof line - 512; i++) {
		ls_py_location loc;
		if (!py[i].code)
			len += (size_t)snprintf(line + len, sizeof line - len, "(empty)");
		else if (ls_py_resolve(ip, py[i].code, py[i].lasti, &loc))
			len += (size_t)snprintf(line + len, sizeof line - len, "%s %s:%d", loc.function, loc.file, loc.line);
		else
			len += (size_t)snprintf(line + len, sizeof line - len, "(unresolved)");
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", py[i].flags & LS_PY_FRAME_ENTRY ? "*" : "",
					i + 1 < n ? " | " : "");
	}
	line[len++] = '\n';
	if (write(probe_fd, line, len) < 0)
		return;
}

int sem_trywait(sem_t *sem)
{
	int r = real_trywait(sem);
	if (probe_fd >= 0 && bench_rounds) {
		/* the bench script's lock.acquire(True, -1) in nested() */
		if (!bench_armed && ls_py_current_call_argc() == 2 && innermost_is("nested")) {
			bench_armed = 1;
			bench();
		}
	} else if (probe_fd >= 0 && raw_mode)
		raise(SIGUSR2);
	else if (probe_fd >= 0)
		report();
	return r;
}
