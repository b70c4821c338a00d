/* dump_handlers — a program with its own SIGQUIT and SIGSEGV handlers.
 * Its SIGQUIT handler counts and then calls the handler it replaced (as a
 * polite library does); its SIGSEGV handler reports and exits with 3.
 * Under lockscope both must still run, and the exit status stays 3. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sigaction previous_quit;
static volatile sig_atomic_t quits;

static void on_quit(int sig, siginfo_t *si, void *uc)
{
	quits++;
	if (previous_quit.sa_flags & SA_SIGINFO)
		previous_quit.sa_sigaction(sig, si, uc);
	else if (previous_quit.sa_handler != SIG_DFL && previous_quit.sa_handler != SIG_IGN)
		previous_quit.sa_handler(sig);
}

static void on_segv(int sig)
{
	(void)sig;
	static const char msg[] = "dump_handlers: my SIGSEGV handler ran\n";
	write(STDOUT_FILENO, msg, sizeof msg - 1);
	_exit(3);
}

/* Any signal handler cuts a sleep short (EINTR): sleep the whole time. */
static void nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void crash(void)
{
	volatile int *nowhere = NULL;
	*nowhere = 1;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_quit;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGQUIT, &sa, &previous_quit);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);

	raise(SIGQUIT);
	printf("dump_handlers: my SIGQUIT handler ran %d time(s)\n", (int)quits);
	fflush(stdout);
	nap(1.0);
	crash();
	return 0;
}
