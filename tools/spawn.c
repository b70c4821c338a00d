#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "spawn.h"

#define SHIM_NAME "liblockscope-preload.so"

static int exists(const char *path) { return access(path, R_OK) == 0; }

const char *ls_preload_path(void)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("LOCKSCOPE_PRELOAD");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			/* Running from the build tree (tools/lockscope): use its shim. */
			snprintf(path, sizeof path, "%s/../preload/.libs/" SHIM_NAME, exe);
			if (exists(path))
				return path;
		}
	}
	snprintf(path, sizeof path, "%s/" SHIM_NAME, LS_LIBDIR);
	return path;
}

static int set_environment(const char *options)
{
	const char *shim = ls_preload_path();
	if (!exists(shim)) {
		fprintf(stderr, "lockscope: the shim %s is missing (set LOCKSCOPE_PRELOAD)\n", shim);
		return -1;
	}
	const char *old_preload = getenv("LD_PRELOAD");
	const char *old_opts = getenv("LOCKSCOPE_OPTIONS");
	size_t len = strlen(shim) + (old_preload ? strlen(old_preload) : 0) + 2;
	char *preload = malloc(len);
	size_t olen = strlen(options) + (old_opts ? strlen(old_opts) : 0) + 2;
	char *opts = malloc(olen);
	if (!preload || !opts)
		return -1;
	snprintf(preload, len, "%s%s%s", shim, old_preload && *old_preload ? ":" : "",
		 old_preload ? old_preload : "");
	snprintf(opts, olen, "%s%s%s", old_opts ? old_opts : "", old_opts && *old_opts && *options ? ":" : "",
		 options);
	int rc = setenv("LD_PRELOAD", preload, 1) || setenv("LOCKSCOPE_OPTIONS", opts, 1);
	free(preload);
	free(opts);
	return rc ? -1 : 0;
}

pid_t ls_spawn_preloaded(char *const argv[], const char *options)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("lockscope: fork");
		return -1;
	}
	if (pid == 0) {
		/* The shim's text report at exit is quiet in every process but
		 * this one (children and the programs it runs stay silent unless
		 * they find something). */
		char root[32];
		snprintf(root, sizeof root, "%d", (int)getpid());
		setenv("LOCKSCOPE_ROOT_PID", root, 1);
		/* A run of its own, even inside another one: its own ledger of
		 * child reports (preload/children.c). */
		unsetenv("LOCKSCOPE_CHILD_LEDGER");
		if (set_environment(options) == 0)
			execvp(argv[0], argv);
		fprintf(stderr, "lockscope: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static volatile sig_atomic_t forwarded_child;

static void forward_signal(int sig)
{
	if (forwarded_child > 0)
		kill(forwarded_child, sig);
}

int ls_wait_child(pid_t pid)
{
	struct sigaction fwd = { .sa_handler = forward_signal }, ign = { .sa_handler = SIG_IGN };
	sigemptyset(&fwd.sa_mask);
	forwarded_child = pid;
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("lockscope: waitpid");
			return 127;
		}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
