/* libearly — a library whose constructor takes locks before lockscope's
 * own constructor runs (libraries a program depends on are initialized
 * before a preloaded one).  It takes early_config then early_log; the
 * program early_lock later takes them the other way round. */
#include <pthread.h>

pthread_mutex_t early_config = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t early_log = PTHREAD_MUTEX_INITIALIZER;
int early_ready;

__attribute__((constructor)) static void early_setup(void)
{
	pthread_mutex_lock(&early_config);
	pthread_mutex_lock(&early_log);
	early_ready = 1;
	pthread_mutex_unlock(&early_log);
	pthread_mutex_unlock(&early_config);
}
