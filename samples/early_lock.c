/* early_lock — an inversion whose first half happens in a library
 * constructor, before lockscope has initialized itself.
 *
 * libearly's constructor takes early_config then early_log; main takes
 * early_log then early_config.  lockscope must have recorded the
 * constructor's order: one inversion. */
#include <pthread.h>
#include <stdio.h>

extern pthread_mutex_t early_config, early_log;
extern int early_ready;

int main(void)
{
	pthread_mutex_lock(&early_log);
	pthread_mutex_lock(&early_config);
	int ready = early_ready;
	pthread_mutex_unlock(&early_config);
	pthread_mutex_unlock(&early_log);
	printf("early_lock: library ready %d\n", ready);
	return 0;
}
