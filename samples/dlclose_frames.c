/* dlclose_frames — half of an inversion happens in a library that is gone
 * by the time the other half happens.
 *
 * The program dlopen()s PLUGIN (libplugin.so, the first argument), whose
 * plugin_function takes lock_a then lock_b, dlclose()s it, then takes
 * lock_b then lock_a itself.  The report must still name plugin_function
 * and its file:line, although the library is no longer mapped. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

typedef void plugin_fn(pthread_mutex_t *, pthread_mutex_t *, int *);

static int run_plugin(const char *path, int *calls)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlclose_frames: %s\n", dlerror());
		return -1;
	}
	plugin_fn *fn = (plugin_fn *)dlsym(handle, "plugin_function");
	if (!fn) {
		fprintf(stderr, "dlclose_frames: %s\n", dlerror());
		dlclose(handle);
		return -1;
	}
	fn(&lock_a, &lock_b, calls);
	return dlclose(handle);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dlclose_frames PATH/libplugin.so\n");
		return 2;
	}
	int calls = 0;
	if (run_plugin(argv[1], &calls) != 0)
		return 1;
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	calls++;
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	printf("dlclose_frames: %d calls, plugin unloaded\n", calls);
	return 0;
}
