/* exit_status — ends the way it is told, after an ordinary critical
 * section, so `lockscope run` can be checked to pass the status on:
 * "exit N" exits with N, "signal N" raises signal N on itself. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "exit") && strcmp(argv[1], "signal"))) {
		fprintf(stderr, "usage: exit_status exit N | signal N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	pthread_mutex_lock(&state_lock);
	printf("exit_status: %s %d\n", argv[1], n);
	fflush(stdout);
	pthread_mutex_unlock(&state_lock);
	if (!strcmp(argv[1], "signal")) {
		signal(n, SIG_DFL);
		raise(n);
		return 1; /* the signal was blocked or ignored */
	}
	return n;
}
