/* ending.c — the last report of a process image, however the image ends.
 *
 * exit() runs the shim's destructor, which writes the report on the exiting
 * thread.  _exit, _Exit, exit_group through syscall(), a terminating signal
 * (SIGTERM, SIGINT, SIGHUP with the default action) and exec end the image
 * without it (interpose_exit.c, exit_signals.c catch them).  Those may come
 * from a signal handler that interrupted the program, or the shim, inside
 * malloc or stdio holding their locks: the report is never written on that
 * thread.  It is handed to the watchdog thread (which runs none of the
 * program's code) and waited for with a bound; if the watchdog does not
 * answer in time (blocked behind such a lock), the caller writes the raw
 * report itself with write(2) (raw_report.c): the summary line, or a JSON
 * report with module+offset frames.  The last report is written once:
 * whoever comes second (a signal during exit, another thread's _exit) waits
 * for the first, bounded, then goes on ending.
 *
 * A vfork child (or any clone that skipped the fork handlers) shares the
 * parent's memory: it must not touch the shim's state, so nothing is
 * written there.  It is told apart by its pid.
 */
#include "config.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/tracker.h"
#include "shim.h"

#define NS_PER_S 1000000000ull
/* A report symbolizes every finding's stacks: a cold libdw can take a
 * second on a big program, longer on a loaded machine.  Only a watchdog
 * that is stuck makes the caller wait this long. */
#define LAST_REPORT_WAIT_NS (10 * NS_PER_S)

enum { LAST_NONE, LAST_WRITING, LAST_WRITTEN };
static _Atomic uint32_t last_state;  /* futex word */
static pid_t image_pid;              /* this image's pid (as of the constructor or the fork) */

void ls_ending_init(void)
{
	image_pid = (pid_t)syscall(SYS_getpid);
	atomic_store(&last_state, LAST_NONE);
}

/* Not a vfork child, and the shim is set up. */
static bool may_report(void)
{
	return image_pid && (pid_t)syscall(SYS_getpid) == image_pid;
}

static void wait_for_writer(void)
{
	uint64_t deadline = ls_now_ns() + LAST_REPORT_WAIT_NS;
	for (uint32_t st; (st = atomic_load(&last_state)) == LAST_WRITING;) {
		uint64_t now = ls_now_ns();
		if (now >= deadline)
			return;
		struct timespec ts = { (time_t)((deadline - now) / NS_PER_S), (long)((deadline - now) % NS_PER_S) };
		syscall(SYS_futex, &last_state, FUTEX_WAIT_PRIVATE, st, &ts, NULL, 0);
	}
}

static void mark_written(void)
{
	atomic_store(&last_state, LAST_WRITTEN);
	syscall(SYS_futex, &last_state, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* The whole last report, in an ordinary context (destructor, watchdog). */
static void write_last(void *reason)
{
	ls_dumps_exit();
	ls_loop_stalls_finish();
	ls_live_exit();
	ls_output_exit_report(reason);
}

static bool claim(void)
{
	uint32_t none = LAST_NONE;
	if (atomic_compare_exchange_strong(&last_state, &none, LAST_WRITING))
		return true;
	wait_for_writer();
	return false;
}

void ls_ending_exit(void)
{
	if (!may_report() || !claim())
		return;
	ls_busy_begin();
	write_last("exit");
	ls_busy_end();
	mark_written();
}

void ls_ending_report(const char *reason)
{
	if (!may_report() || !claim())
		return;
	if (ls_dumps_on_watchdog())
		write_last((void *)reason);  /* on_hang=exit: the watchdog ends the program */
	else if (!ls_dumps_run_on_watchdog(write_last, (void *)reason, LAST_REPORT_WAIT_NS))
		ls_raw_last_report(reason);
	mark_written();
}

static void write_exec_report(void *unused)
{
	(void)unused;
	ls_output_exec_report();
}

bool ls_ending_before_exec(void)
{
	if (!may_report())
		return false;
	/* The image may already be writing its last report (exec from an
	 * atexit handler): that one stands. */
	if (atomic_load(&last_state) == LAST_NONE && ls_output_exec_report_due()) {
		if (ls_dumps_on_watchdog())
			write_exec_report(NULL);
		else if (!ls_dumps_run_on_watchdog(write_exec_report, NULL, LAST_REPORT_WAIT_NS))
			ls_raw_last_report("exec");
	}
	ls_children_keep_across_exec();
	return true;
}
