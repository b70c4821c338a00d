/* stack_vanish.c — a process that dies while it is being dumped.
 *
 * A watcher thread polls the main thread's TracerPid; the moment a tracer
 * (lockscope stack) seizes the main thread, it ends the whole process with
 * _exit.  The other threads die with it while the tracer still has them
 * seized: their exits must be reaped before the main thread's exit can be
 * seen, so a tracer that waits for the main thread first waits forever.
 * Used by tests/stack_vanish.sh.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLEEPERS 8

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int traced(const char *status_path)
{
	FILE *f = fopen(status_path, "r");
	if (!f)
		return 0;
	char line[256];
	int tracer = 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "TracerPid:", 10) == 0)
			tracer = atoi(line + 10);
	fclose(f);
	return tracer != 0;
}

static void *watcher(void *arg)
{
	const char *path = arg;
	struct timespec tick = { 0, 50 * 1000 };
	while (!traced(path))
		nanosleep(&tick, NULL);
	_exit(3); /* the whole process, in the middle of the dump */
}

int main(void)
{
	static char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)getpid());
	pthread_t t;
	for (int i = 0; i < SLEEPERS; i++)
		pthread_create(&t, NULL, sleeper, NULL);
	pthread_create(&t, NULL, watcher, path);
	printf("stack_vanish: ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
