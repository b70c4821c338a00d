/* dump_eventloop — an event loop that arms the lockscope watchdog around
 * each iteration; iteration 3's callback (slow_callback) takes far longer
 * than the 0.2 s budget.  Linked with liblockscope; runs unchanged (arm
 * returns -1) without the shim. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <lockscope/watchdog.h>

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static long handled;

static void nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void fast_callback(void)
{
	pthread_mutex_lock(&state_lock);
	handled++;
	pthread_mutex_unlock(&state_lock);
	nap(0.01);
}

static void slow_callback(void)
{
	pthread_mutex_lock(&state_lock);
	handled++;
	pthread_mutex_unlock(&state_lock);
	nap(1.0);
}

int main(void)
{
	int armed = 0;
	for (int iteration = 0; iteration < 6; iteration++) {
		armed = lockscope_watchdog_arm(0.2, "event-loop iteration");
		if (iteration == 3)
			slow_callback();
		else
			fast_callback();
		lockscope_watchdog_cancel();
	}
	printf("dump_eventloop: %ld events, watchdog %s\n", handled, armed == 0 ? "armed" : "absent");
	return 0;
}
