/* libplugin — a plugin loaded and unloaded by dlclose_frames.  It takes the
 * host's two locks, first then second. */
#include <pthread.h>

void plugin_function(pthread_mutex_t *first, pthread_mutex_t *second, int *calls);

void plugin_function(pthread_mutex_t *first, pthread_mutex_t *second, int *calls)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	(*calls)++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}
