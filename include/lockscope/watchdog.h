/* lockscope/watchdog.h — catch a stalled event-loop iteration (or any step).
 *
 * Contract: lockscope_watchdog_arm(seconds, label) starts a deadline for the
 * calling thread; lockscope_watchdog_cancel() (or arming again) ends it.
 * When a program runs under the lockscope shim (LD_PRELOAD or `lockscope
 * run`) and a deadline passes before it is cancelled, the shim's watchdog
 * reports "lockscope: hang: watchdog LABEL ... expired" with a dump of every
 * thread, once per arming, and then applies on_hang.  Without the shim
 * these calls do nothing and arm returns -1, so a program linked with
 * liblockscope runs unchanged.  Cheap enough to call around every
 * iteration (a few atomic stores; no system call but gettid).  One deadline
 * per thread; at most 64 threads use it at once.  See lockscope-dumps(7).
 */
#ifndef LOCKSCOPE_WATCHDOG_API_H
#define LOCKSCOPE_WATCHDOG_API_H

#ifdef __cplusplus
extern "C" {
#endif

/* Returns 0 when the shim's watchdog took the deadline, -1 without the shim.
 * seconds <= 0 cancels.  The label (at most 63 bytes are kept) names the
 * deadline in the report. */
int lockscope_watchdog_arm(double seconds, const char *label);
void lockscope_watchdog_cancel(void);

#ifdef __cplusplus
}
#endif

#endif
