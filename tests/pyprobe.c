/* pyprobe.c — a test preload: what lib/python reads, at each sem_trywait.
 *
 * CPython 3.11 and 3.12 try every threading.Lock acquisition with
 * sem_trywait first, with the GIL held, from inside the Python call that
 * asked for it.  For each such call made while LS_PROBE_FD names a
 * descriptor, this writes one line:
 *   trywait argc=N runs=R eval=E frames=FUNCTION FILE:LINE[*] | ...
 * argc from ls_py_current_call_argc, the Python frames innermost first
 * (* marks the last frame of a run), R the runs and E the native
 * _PyEval_EvalFrameDefault frames on the C stack (they must match). */
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python/pyframes.h"

static int (*real_trywait)(sem_t *);
static int probe_fd = -1;

__attribute__((constructor)) static void probe_init(void)
{
	real_trywait = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_trywait");
	const char *fd = getenv("LS_PROBE_FD");
	probe_fd = fd ? atoi(fd) : -1;
	ls_py_self_init();
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
	if (probe_fd >= 0)
		report();
	return r;
}
