/* interpose_poll.c — the poll functions event loops wait in: epoll_wait,
 * epoll_pwait, epoll_pwait2, poll, ppoll, select, pselect (and the
 * fortified __poll_chk, __ppoll_chk).
 *
 * With `loop_stall` off (the default) each passes straight through after
 * one load.  With it on, a call publishes that the thread waits in its loop
 * and, on return, since when it is out (core/loop_watch.h: one coarse
 * clock read per call); the watchdog reports a loop thread that stays out
 * too long (loop_stalls.c).  A poll or select on no descriptor is a sleep,
 * not a loop's wait, and calls made inside lockscope are not the
 * program's: both pass through.  A thread is registered with the tracker
 * at its first call, so thread dumps capture it even if it never locks.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/loop_watch.h"
#include "core/tracker.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER ((uintptr_t)__builtin_return_address(0))

static bool watching;
static pthread_key_t slot_key;
/* Threads beyond LS_LOOP_SLOTS publish here; nobody reads it. */
static ls_loop_slot unwatched;

static struct {
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*__poll_chk)(struct pollfd *, nfds_t, int, size_t);
	int (*__ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
} next;

/* Before the shim's start-up (another library's constructor) the first
 * call resolves them all. */
static void resolve(void)
{
#define NEXT(field, name) *(void **)&next.field = dlsym(RTLD_NEXT, name)
	NEXT(epoll_wait, "epoll_wait");
	NEXT(epoll_pwait, "epoll_pwait");
	NEXT(epoll_pwait2, "epoll_pwait2");
	NEXT(poll, "poll");
	NEXT(ppoll, "ppoll");
	NEXT(__poll_chk, "__poll_chk");
	NEXT(__ppoll_chk, "__ppoll_chk");
	NEXT(select, "select");
	NEXT(pselect, "pselect");
#undef NEXT
}

#define REAL(field) (LS_LIKELY(next.field != NULL) ? next.field : (resolve(), next.field))

static void release_slot(void *p)
{
	if (p != &unwatched)
		ls_loop_slot_release(p);
}

static __attribute__((noinline)) ls_loop_slot *claim_slot(void)
{
	if (ls_tls.busy)
		return NULL;  /* lockscope's own call */
	ls_thread_state *t = ls_enter();  /* registers the thread */
	if (t)
		ls_leave();
	ls_loop_slot *s = ls_loop_slot_claim((pid_t)syscall(SYS_gettid));
	if (!s)
		s = &unwatched;
	ls_loop_tls = s;
	pthread_setspecific(slot_key, s);
	return s;
}

/* The slot of the calling thread when this call is its loop's, else NULL. */
static inline ls_loop_slot *loop_call(uintptr_t site, enum ls_loop_call call, uintptr_t sp, int fd)
{
	if (ls_tls.busy)
		return NULL;
	ls_loop_slot *s = ls_loop_tls;
	if (LS_UNLIKELY(!s) && !(s = claim_slot()))
		return NULL;
	return ls_loop_enter(s, site, call, sp, fd) ? s : NULL;
}

static inline void loop_return(ls_loop_slot *s)
{
	if (s) {
		int saved_errno = errno;
		ls_loop_leave(s, ls_coarse_now_ns());
		errno = saved_errno;
	}
}

/* With the watch off, a tail call of the real function; on, the call of
 * kind `kind` (on epoll descriptor fd; -1 for poll and select), published
 * when it is the loop's.  The watched path is its own function so that the
 * pass-through needs no frame. */
#define WATCHED(kind, fd, fn, params, args)                                                          \
	static __attribute__((noinline)) int watched_##fn(uintptr_t site_, uintptr_t sp_, UNPAREN params) \
	{                                                                                            \
		ls_loop_slot *s_ = loop_call(site_, kind, sp_, fd);                                   \
		int r_ = REAL(fn) args;                                                              \
		loop_return(s_);                                                                     \
		return r_;                                                                           \
	}                                                                                            \
	EXPORT int fn(UNPAREN params)                                                                \
	{                                                                                            \
		if (LS_LIKELY(!watching) || SKIP)                                                    \
			return REAL(fn) args;                                                        \
		return watched_##fn(CALLER, (uintptr_t)__builtin_frame_address(0), UNPAREN args);  \
	}
#define UNPAREN(...) __VA_ARGS__

#define SKIP false
WATCHED(LS_LOOP_EPOLL_WAIT, epfd, epoll_wait, (int epfd, struct epoll_event *events, int maxevents, int timeout),
	(epfd, events, maxevents, timeout))
WATCHED(LS_LOOP_EPOLL_PWAIT, epfd, epoll_pwait,
	(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *mask),
	(epfd, events, maxevents, timeout, mask))
WATCHED(LS_LOOP_EPOLL_PWAIT2, epfd, epoll_pwait2,
	(int epfd, struct epoll_event *events, int maxevents, const struct timespec *timeout, const sigset_t *mask),
	(epfd, events, maxevents, timeout, mask))
#undef SKIP

/* A poll or select on no descriptor is a sleep. */
#define SKIP (n == 0)
WATCHED(LS_LOOP_POLL, -1, poll, (struct pollfd *fds, nfds_t n, int timeout), (fds, n, timeout))
WATCHED(LS_LOOP_PPOLL, -1, ppoll, (struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask),
	(fds, n, timeout, mask))
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask, size_t fdslen);
WATCHED(LS_LOOP_POLL, -1, __poll_chk, (struct pollfd *fds, nfds_t n, int timeout, size_t fdslen),
	(fds, n, timeout, fdslen))
WATCHED(LS_LOOP_PPOLL, -1, __ppoll_chk,
	(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask, size_t fdslen),
	(fds, n, timeout, mask, fdslen))
#undef SKIP
#define SKIP (nfds == 0)
WATCHED(LS_LOOP_SELECT, -1, select, (int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout),
	(nfds, r, w, e, timeout))
WATCHED(LS_LOOP_PSELECT, -1, pselect,
	(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout, const sigset_t *mask),
	(nfds, r, w, e, timeout, mask))
#undef SKIP

void ls_loop_bootstrap(void)
{
	resolve();
	if (!(ls_opts.loop_stall > 0))
		return;
	if (pthread_key_create(&slot_key, release_slot) != 0)
		return;
	watching = true;
}
