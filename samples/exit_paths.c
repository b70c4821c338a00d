/* exit_paths — finds an inversion, then ends the way it is told, so the
 * tests can check that no ending loses the report:
 *   _exit | _Exit | exit_group | exit     end with status 3 that way
 *   signal SIG                            kill itself with SIG (default action)
 *   handler-return SIG                    its own handler (installed now, after
 *                                         the shim's start-up) counts and returns;
 *                                         the program goes on and exits 0
 *   handler-exit SIG                      its handler calls _exit(7)
 *   handler-reraise SIG                   its handler restores SIG_DFL and raises SIG
 *   ignore SIG                            SIG_IGN: the signal does nothing, exit 0
 *   exec PROG [ARGS]                      execv(PROG) (execlp with "execlp")
 * SIG is TERM, INT or HUP.  A ticker thread keeps locking and allocating
 * while the process ends.  The inversion: worker_forward takes
 * first_lock then second_lock, worker_backward the other way round. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t second_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static long moved;
static atomic_long ticks;
static volatile sig_atomic_t handled;

static void *worker_forward(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&first_lock);
	pthread_mutex_lock(&second_lock);
	moved++;
	pthread_mutex_unlock(&second_lock);
	pthread_mutex_unlock(&first_lock);
	return NULL;
}

static void *worker_backward(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&second_lock);
	pthread_mutex_lock(&first_lock);
	moved--;
	pthread_mutex_unlock(&first_lock);
	pthread_mutex_unlock(&second_lock);
	return NULL;
}

static void *ticker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&tick_lock);
		free(malloc(64));
		atomic_fetch_add(&ticks, 1);
		pthread_mutex_unlock(&tick_lock);
	}
	return NULL;
}

static int parse_signal(const char *name)
{
	if (!strcmp(name, "TERM"))
		return SIGTERM;
	if (!strcmp(name, "INT"))
		return SIGINT;
	if (!strcmp(name, "HUP"))
		return SIGHUP;
	fprintf(stderr, "exit_paths: unknown signal %s\n", name);
	exit(2);
}

static void say(const char *msg)
{
	if (write(STDOUT_FILENO, msg, strlen(msg)) < 0)
		_exit(2);
}

static void counting_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	handled++;
}

static void exiting_handler(int sig)
{
	(void)sig;
	say("exit_paths: handler calls _exit(7)\n");
	_exit(7);
}

static void reraising_handler(int sig)
{
	say("exit_paths: handler raises again\n");
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The signal arrives while the program runs on; a handler that returns
 * lets it finish. */
static void send_and_wait(int sig)
{
	kill(getpid(), sig);
	for (int i = 0; i < 200 && !handled; i++)
		usleep(1000);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: exit_paths MODE [ARG...]\n");
		return 2;
	}
	pthread_t t;
	pthread_create(&t, NULL, worker_forward, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, worker_backward, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, ticker, NULL);
	while (atomic_load(&ticks) < 100)
		usleep(100);
	printf("exit_paths: %s, pid %d\n", argv[1], (int)getpid());
	fflush(stdout);

	const char *mode = argv[1];
	int sig = argc > 2 && strncmp(mode, "exec", 4) ? parse_signal(argv[2]) : 0;
	if (!strcmp(mode, "_exit"))
		_exit(3);
	if (!strcmp(mode, "_Exit"))
		_Exit(3);
	if (!strcmp(mode, "exit_group"))
		syscall(SYS_exit_group, 3);
	if (!strcmp(mode, "exit"))
		exit(3);
	if (!strcmp(mode, "signal")) {
		kill(getpid(), sig);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "handler-return")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = counting_handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(sig, &sa, NULL);
		send_and_wait(sig);
		printf("exit_paths: handler ran %d time(s), the program goes on\n", (int)handled);
		return 0;
	}
	if (!strcmp(mode, "handler-exit") || !strcmp(mode, "handler-reraise")) {
		signal(sig, !strcmp(mode, "handler-exit") ? exiting_handler : reraising_handler);
		kill(getpid(), sig);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "ignore")) {
		signal(sig, SIG_IGN);
		struct sigaction now;
		sigaction(sig, NULL, &now);
		kill(getpid(), sig);
		usleep(50000);
		printf("exit_paths: ignored (disposition %s), the program goes on\n",
		       now.sa_handler == SIG_IGN ? "SIG_IGN" : "not SIG_IGN");
		return 0;
	}
	if (!strcmp(mode, "exec") && argc > 2) {
		execv(argv[2], argv + 2);
		perror("exit_paths: execv");
		return 127;
	}
	if (!strcmp(mode, "execlp") && argc > 2) {
		execlp(argv[2], argv[2], (char *)NULL);
		perror("exit_paths: execlp");
		return 127;
	}
	fprintf(stderr, "exit_paths: unknown mode %s\n", mode);
	return 2;
}
