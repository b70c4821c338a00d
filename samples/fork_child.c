/* fork_child — an inversion completed in a child process.
 *
 * The (threaded) parent's worker takes lock_a then lock_b; the parent then
 * forks.  The child inherits the lock-order graph and takes lock_b then
 * lock_a: the child reports the inversion, the parent reports none.
 * With "exec PROG [ARGS]" the child instead executes PROG, which is tracked
 * afresh (the preload and options pass through the environment). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int value;

static void *parent_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	value++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void child_body(void)
{
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	value++;
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	printf("fork_child: child pid %d value %d\n", (int)getpid(), value);
	exit(0); /* exit, not _exit: the child's report is written at exit */
}

int main(int argc, char **argv)
{
	int exec_mode = argc > 2 && !strcmp(argv[1], "exec");
	pthread_t t;
	pthread_create(&t, NULL, parent_worker, NULL);
	pthread_join(t, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork_child: fork");
		return 1;
	}
	if (pid == 0) {
		if (exec_mode) {
			printf("fork_child: child pid %d executes %s\n", (int)getpid(), argv[2]);
			fflush(stdout);
			execv(argv[2], argv + 2);
			perror("fork_child: execv");
			_exit(127);
		}
		child_body();
	}
	int status;
	if (waitpid(pid, &status, 0) < 0) {
		perror("fork_child: waitpid");
		return 1;
	}
	printf("fork_child: parent pid %d, child %d exited with %d\n", (int)getpid(), (int)pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
