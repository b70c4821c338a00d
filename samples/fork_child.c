/* fork_child — an inversion completed in a child process.
 *
 * The (threaded) parent's worker takes lock_a then lock_b; the parent then
 * forks.  The child inherits the lock-order graph and takes lock_b then
 * lock_a: the child reports the inversion, the parent reports none.
 * A bystander thread, still alive at the fork, takes tally_lock 7 times
 * before it; the child takes it once more: the child's statistics count
 * 8 (its history includes the vanished thread's), the parent's 7.
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
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static int bystander_ready[2], bystander_release[2];

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
	pthread_mutex_lock(&tally_lock);
	value++;
	pthread_mutex_unlock(&tally_lock);
	printf("fork_child: child pid %d value %d\n", (int)getpid(), value);
	exit(0); /* exit, not _exit: the child's report is written at exit */
}

static void *bystander(void *arg)
{
	(void)arg;
	for (int i = 0; i < 7; i++) {
		pthread_mutex_lock(&tally_lock);
		value++;
		pthread_mutex_unlock(&tally_lock);
	}
	char c = 1;
	if (write(bystander_ready[1], &c, 1) != 1 || read(bystander_release[0], &c, 1) < 0)
		perror("fork_child: bystander");
	return NULL;
}

int main(int argc, char **argv)
{
	int exec_mode = argc > 2 && !strcmp(argv[1], "exec");
	pthread_t t, by;
	pthread_create(&t, NULL, parent_worker, NULL);
	pthread_join(t, NULL);
	char c;
	if (pipe(bystander_ready) || pipe(bystander_release) || pthread_create(&by, NULL, bystander, NULL) ||
	    read(bystander_ready[0], &c, 1) != 1) {
		perror("fork_child: bystander");
		return 1;
	}
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
	close(bystander_release[1]);
	pthread_join(by, NULL);
	printf("fork_child: parent pid %d, child %d exited with %d\n", (int)getpid(), (int)pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
