/* exit_signals.c — SIGTERM, SIGINT and SIGHUP: the report before the end.
 *
 * With `exit_signals` on (the default), the shim's handler stays installed
 * for these three signals for the life of the process, and sigaction() and
 * signal() for them are interposed: the program sets and reads its own
 * disposition (kept here) as if it were the kernel's, and the handler acts
 * on it when the signal comes:
 *   - a function of the program: called, with the mask and flags the
 *     program gave (SA_RESETHAND done here); when it returns, the program
 *     goes on.  If it ends the process (exit, _exit, setting SIG_DFL and
 *     raising again), that ending writes the report;
 *   - SIG_IGN: installed for real (the kernel drops the signal, and a
 *     program executed later inherits it);
 *   - SIG_DFL: the signal ends the process.  The last report is written
 *     (ending.c: by the watchdog, waited for with a bound, raw fallback),
 *     then the default action is restored and the signal raised again, so
 *     the parent sees the process killed by that very signal.
 * A program's handler installed later (Python's SIGINT handler, its
 * signal.signal(SIGTERM, ...)) is called the same way.  The dump signal,
 * when set to one of these, keeps its own handler (dumps.c).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/options.h"
#include "core/tracker.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

static const int exit_signals[] = { SIGHUP, SIGINT, SIGTERM };

extern int __sigaction(int, const struct sigaction *, struct sigaction *);

static int (*next_sigaction)(int, const struct sigaction *, struct sigaction *);
static __sighandler_t (*next_signal)(int, __sighandler_t);
static atomic_bool owned[NSIG];
static struct sigaction program_action[NSIG];  /* the program's disposition of an owned signal */
static ls_spinlock action_lock = LS_SPINLOCK_INIT;

static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	/* Before resolution (a constructor that runs before ours): glibc's own. */
	return next_sigaction ? next_sigaction(sig, act, old) : __sigaction(sig, act, old);
}

static bool is_function(const struct sigaction *sa)
{
	return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

static void on_exit_signal(int sig, siginfo_t *si, void *uc);

/* Puts the kernel's disposition in line with the program's (action_lock held). */
static void apply(int sig)
{
	const struct sigaction *p = &program_action[sig];
	if (p->sa_handler == SIG_IGN) {
		real_sigaction(sig, p, NULL);
		return;
	}
	struct sigaction ours;
	memset(&ours, 0, sizeof ours);
	ours.sa_sigaction = on_exit_signal;
	if (is_function(p)) {
		ours.sa_mask = p->sa_mask;
		ours.sa_flags = SA_SIGINFO | (p->sa_flags & (SA_RESTART | SA_NODEFER | SA_ONSTACK));
	} else {
		sigfillset(&ours.sa_mask);
		ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	}
	real_sigaction(sig, &ours, NULL);
}

static void signal_name(int sig, char *buf, size_t len)
{
	const char *name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
	size_t n = strlen("signal ");
	memcpy(buf, "signal ", n);
	for (size_t i = 0; name[i] && n < len - 1; i++)
		buf[n++] = name[i];
	buf[n] = 0;
}

static void on_exit_signal(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	struct sigaction p = program_action[sig];
	if (p.sa_flags & SA_RESETHAND) {
		/* What the kernel would have done on entry to their handler. */
		program_action[sig].sa_handler = SIG_DFL;
		program_action[sig].sa_flags &= ~(SA_RESETHAND | SA_SIGINFO);
	}
	if (is_function(&p)) {
		if (p.sa_flags & SA_SIGINFO)
			p.sa_sigaction(sig, si, uc);
		else
			p.sa_handler(sig);
		errno = saved_errno;
		return;
	}
	if (p.sa_handler == SIG_IGN) {
		errno = saved_errno;
		return;
	}
	char reason[32];
	signal_name(sig, reason, sizeof reason);
	ls_ending_report(reason);
	/* Die by the signal: the default action back, the signal again.  It is
	 * blocked while this handler runs and taken when it returns. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	real_sigaction(sig, &dfl, NULL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	errno = saved_errno;
}

/* ---- the program's sigaction and signal ---------------------------------- */

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig <= 0 || sig >= NSIG || !atomic_load_explicit(&owned[sig], memory_order_acquire))
		return real_sigaction(sig, act, old);
	/* A handler of the same thread must not find action_lock held. */
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	ls_spin_lock(&action_lock);
	if (old)
		*old = program_action[sig];
	if (act) {
		program_action[sig] = *act;
		apply(sig);
	}
	ls_spin_unlock(&action_lock);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return 0;
}

/* glibc's signal(): BSD semantics (the signal blocked in its handler,
 * system calls restarted). */
EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	if (next_signal && (sig <= 0 || sig >= NSIG || !atomic_load_explicit(&owned[sig], memory_order_acquire)))
		return next_signal(sig, handler);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sig > 0 && sig < NSIG && sigaddset(&sa.sa_mask, sig) != 0)
		return SIG_ERR;
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

void ls_exit_signals_bootstrap(void)
{
	next_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
	next_signal = (__sighandler_t(*)(int, __sighandler_t))dlsym(RTLD_NEXT, "signal");
	if (!ls_opts.exit_signals)
		return;
	for (size_t i = 0; i < LS_ARRAY_SIZE(exit_signals); i++) {
		int sig = exit_signals[i];
		if (sig == ls_opts.dump_signal)
			continue;
		ls_spin_lock(&action_lock);
		if (real_sigaction(sig, NULL, &program_action[sig]) == 0) {
			apply(sig);
			atomic_store_explicit(&owned[sig], true, memory_order_release);
		}
		ls_spin_unlock(&action_lock);
	}
}
