/* watchdog_api.c — <lockscope/watchdog.h>: forwards to the preloaded shim.
 *
 * The shim exports lockscope_shim_watchdog_arm; it is looked up once with
 * dlsym(RTLD_DEFAULT) so that a program linked with liblockscope but run
 * without the shim keeps working (the calls then do nothing).
 */
#include "config.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#include "lockscope/watchdog.h"

#ifdef LOCKSCOPE_EXPORTS
#define LS_API __attribute__((visibility("default")))
#else
#define LS_API
#endif

typedef int arm_fn(double seconds, const char *label);

static arm_fn *shim_arm(void)
{
	static _Atomic(arm_fn *) fn;
	static atomic_int looked_up;
	if (!atomic_load_explicit(&looked_up, memory_order_acquire)) {
		atomic_store(&fn, (arm_fn *)dlsym(RTLD_DEFAULT, "lockscope_shim_watchdog_arm"));
		atomic_store_explicit(&looked_up, 1, memory_order_release);
	}
	return atomic_load_explicit(&fn, memory_order_relaxed);
}

LS_API int lockscope_watchdog_arm(double seconds, const char *label)
{
	arm_fn *arm = shim_arm();
	return arm ? arm(seconds, label) : -1;
}

LS_API void lockscope_watchdog_cancel(void)
{
	arm_fn *arm = shim_arm();
	if (arm)
		arm(0, NULL);
}
