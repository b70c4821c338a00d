/* interpose_exit.c — the ways a process image ends without exit handlers:
 * _exit, _Exit, exit_group through syscall(), and the exec family.
 *
 * Each writes the image's report first (ending.c) and then does what the
 * program asked.  exit() itself needs nothing here: glibc calls its own
 * _exit internally, after the shim's destructor wrote the report.  The exec
 * functions all end in the real execve, execvpe or fexecve (glibc's execv,
 * execl... call execve internally, out of our reach, so each is interposed)
 * with the environment plus LOCKSCOPE_EXEC_IMAGE, which tells the next
 * image of this pid where the previous one left its reports.  That
 * environment is built on the stack: exec may be called from a signal
 * handler or a vfork child, where malloc is off limits (and in a vfork
 * child nothing is changed at all).  posix_spawn's child calls execve
 * inside glibc: it is a new process that the parent outlives, nothing ends.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))
/* Environments larger than this are passed on unchanged (the stack copy
 * must stay small: a signal handler may exec on an alternate stack). */
#define MAX_ENV_ENTRIES 1024
#define MAX_EXEC_ARGS 4096

extern char **environ;

static struct {
	void (*exit_)(int);
	long (*syscall)(long, ...);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*execveat)(int, const char *, char *const[], char *const[], int);
} next;

static void resolve(void)
{
	next.exit_ = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
	next.syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	next.execve = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	next.execvpe = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execvpe");
	next.fexecve = (int (*)(int, char *const[], char *const[]))dlsym(RTLD_NEXT, "fexecve");
	next.execveat = (int (*)(int, const char *, char *const[], char *const[], int))dlsym(RTLD_NEXT, "execveat");
}

/* The system call without glibc's wrapper: for calls that arrive before
 * the real functions are resolved (another library's constructor). */
static long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
#error "raw_syscall6: x86-64 only"
#endif
}

/* ---- _exit, _Exit, exit_group ------------------------------------------------ */

static __attribute__((noreturn)) void end_now(int status)
{
	if (next.exit_)
		next.exit_(status);
	for (;;)
		raw_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

EXPORT void _exit(int status)
{
	ls_ending_report("_exit");
	end_now(status);
}

EXPORT void _Exit(int status)
{
	ls_ending_report("_Exit");
	end_now(status);
}

EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_exit_group)
		ls_ending_report("exit_group");
	if (LS_LIKELY(next.syscall != NULL))
		return next.syscall(nr, a, b, c, d, e, f);
	return raw_syscall6(nr, a, b, c, d, e, f);
}

/* ---- exec ------------------------------------------------------------------------ */

enum exec_how { EXEC_PATH, EXEC_SEARCH, EXEC_FD, EXEC_AT };

/* What to execute: a path (EXEC_AT: relative to fd, with flags), a file
 * searched in PATH, or an open file. */
struct exec_target {
	enum exec_how how;
	const char *file;
	int fd, flags;
};

static int call_next(const struct exec_target *t, char *const argv[], char *const envp[])
{
	const char *file = t->file;
	int fd = t->fd;
	switch (t->how) {
	case EXEC_PATH:
		if (next.execve)
			return next.execve(file, argv, envp);
		return (int)raw_syscall6(SYS_execve, (long)file, (long)argv, (long)envp, 0, 0, 0);
	case EXEC_SEARCH:
		if (next.execvpe)
			return next.execvpe(file, argv, envp);
		break;
	case EXEC_FD:
		if (next.fexecve)
			return next.fexecve(fd, argv, envp);
		break;
	case EXEC_AT:
		if (next.execveat)
			return next.execveat(fd, file, argv, envp, t->flags);
		break;
	}
	errno = ENOSYS;
	return -1;
}

/* Writes the image's report, then execs with the marker for the next image
 * added to envp (replacing an inherited one). */
static int exec_image(struct exec_target t, char *const argv[], char *const envp[])
{
	if (!ls_ending_before_exec())
		return call_next(&t, argv, envp);
	size_t n = 0;
	while (envp && envp[n] && n <= MAX_ENV_ENTRIES)
		n++;
	char marker[96];
	if (n > MAX_ENV_ENTRIES || !ls_output_exec_marker(marker, sizeof marker))
		return call_next(&t, argv, envp);
	char *with_marker[n + 2];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!ls_output_is_exec_marker(envp[i]))
			with_marker[k++] = envp[i];
	with_marker[k++] = marker;
	with_marker[k] = NULL;
	return call_next(&t, argv, with_marker);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_image((struct exec_target){ EXEC_PATH, path, -1, 0 }, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return exec_image((struct exec_target){ EXEC_PATH, path, -1, 0 }, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_image((struct exec_target){ EXEC_SEARCH, file, -1, 0 }, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_image((struct exec_target){ EXEC_SEARCH, file, -1, 0 }, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return exec_image((struct exec_target){ EXEC_FD, NULL, fd, 0 }, argv, envp);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return exec_image((struct exec_target){ EXEC_AT, path, dirfd, flags }, argv, envp);
}

/* The execl family: the arguments (and execle's environment after them)
 * into an array on the stack, as glibc does. */
static int exec_list(struct exec_target t, const char *arg0, va_list ap, bool envp_follows)
{
	size_t n = 1;
	va_list count;
	va_copy(count, ap);
	for (const char *a = arg0; a && n <= MAX_EXEC_ARGS; a = va_arg(count, const char *))
		n++;
	va_end(count);
	if (n > MAX_EXEC_ARGS) {
		errno = E2BIG;
		return -1;
	}
	char *argv[n];
	argv[0] = (char *)arg0;
	for (size_t i = 1; i < n; i++)
		argv[i] = argv[i - 1] ? va_arg(ap, char *) : NULL;
	argv[n - 1] = NULL;
	char *const *envp = envp_follows ? va_arg(ap, char *const *) : environ;
	return exec_image(t, argv, envp);
}

#define EXEC_LIST(how, file, arg, envp_follows)                                                \
	do {                                                                                   \
		va_list ap;                                                                    \
		va_start(ap, arg);                                                             \
		int r = exec_list((struct exec_target){ how, file, -1, 0 }, arg, ap, envp_follows); \
		va_end(ap);                                                                    \
		return r;                                                                      \
	} while (0)

EXPORT int execl(const char *path, const char *arg, ...)
{
	EXEC_LIST(EXEC_PATH, path, arg, false);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	EXEC_LIST(EXEC_SEARCH, file, arg, false);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	EXEC_LIST(EXEC_PATH, path, arg, true);
}

void ls_exit_bootstrap(void)
{
	resolve();
	ls_exit_signals_bootstrap();
}
