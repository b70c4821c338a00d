/* pollbench — the cost of a poll call that returns at once, for the loop
 * watch's overhead (make bench-poll): `pollbench epoll|poll N` makes N
 * calls of epoll_wait or poll with timeout 0 on one descriptor that is
 * never ready, and prints the CPU time per call in ns (best of 5 rounds). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "epoll") && strcmp(argv[1], "poll"))) {
		fprintf(stderr, "usage: pollbench epoll|poll N\n");
		return 2;
	}
	long n = atol(argv[2]);
	int efd = eventfd(0, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) {
		perror("pollbench");
		return 1;
	}
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	int use_epoll = !strcmp(argv[1], "epoll");
	double best = 1e30;
	long ready = 0;
	for (int round = 0; round < 5; round++) {
		double t0 = cpu_ns();
		for (long i = 0; i < n; i++)
			ready += use_epoll ? epoll_wait(ep, &out, 1, 0) : poll(&pfd, 1, 0);
		double per_call = (cpu_ns() - t0) / (double)n;
		if (per_call < best)
			best = per_call;
	}
	printf("%.1f\n", best + (double)ready);  /* ready is 0: keeps the calls */
	return 0;
}
