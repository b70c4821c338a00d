/* loop_epoll — an epoll event loop driven by a 10 ms timer.
 *   slow    the 10th tick's handler calls slow_step(), which blocks for
 *           1 s: the loop stalls while the timer keeps firing
 *   nested  the 10th tick's handler waits 1 s in poll() on a pipe nobody
 *           writes (a blocking read with a timeout, made from the
 *           callback): a stall too, although the thread is in a poll call
 *   idle    no timer: the loop waits in epoll_wait, 300 ms at a time,
 *           twice (waiting is not stalling)
 *   busy    500 ticks of 1 ms, each handled at once */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long handled;

static void nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void slow_step(void)
{
	nap(1.0);
}

/* A reply that never comes, waited for 1 s (a signal does not cut the
 * wait short). */
static void wait_for_reply(void)
{
	int p[2];
	if (pipe(p) != 0)
		return;
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int left = 1000; left > 0;) {
		if (poll(&pfd, 1, left) >= 0 || errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = 1000 - (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
	}
	close(p[0]);
	close(p[1]);
}

static void on_tick(int timer, const char *mode)
{
	uint64_t expirations;
	if (read(timer, &expirations, sizeof expirations) < 0)
		return;
	if (++handled == 10 && !strcmp(mode, "slow"))
		slow_step();
	if (handled == 10 && !strcmp(mode, "nested"))
		wait_for_reply();
}

static int run_loop(int ep, int timer, long ticks, const char *mode)
{
	struct epoll_event ev;
	while (handled < ticks) {
		int n = epoll_wait(ep, &ev, 1, 300);
		if (n < 0 && errno != EINTR)
			return 1;
		if (n > 0)
			on_tick(timer, mode);
		if (n == 0 && !strcmp(mode, "idle") && ++handled == ticks)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "slow";
	int busy = !strcmp(mode, "busy"), idle = !strcmp(mode, "idle");
	int ep = epoll_create1(0);
	int timer = timerfd_create(CLOCK_MONOTONIC, 0);
	long period_ns = busy ? 1000000 : 10000000;
	struct itimerspec its = { { 0, period_ns }, { 0, period_ns } };
	struct epoll_event ev = { .events = EPOLLIN };
	if (ep < 0 || timer < 0 || (!idle && timerfd_settime(timer, 0, &its, NULL) != 0) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, timer, &ev) != 0) {
		perror("loop_epoll");
		return 1;
	}
	int rc = run_loop(ep, timer, idle ? 2 : busy ? 500 : 30, mode);
	printf("loop_epoll: %s: %ld events\n", mode, handled);
	return rc;
}
