/* loop_watch.h — event-loop threads and their stalls.
 *
 * Contract: a thread that calls a poll function (epoll_wait, poll, select
 * and their variants: preload/interpose_poll.c) gets a slot, claimed
 * without a lock from a fixed pool at its first call and released when it
 * exits.  Around each call of its loop it publishes: in the call
 * (ls_loop_enter), and out of it since when (ls_loop_leave), with the
 * call's site.  The loop's call is one site, at the shallowest stack depth
 * the thread polled from: a poll call from elsewhere, made by a callback of
 * the loop (a blocking socket read with a timeout), is nested: the thread
 * is still away from its loop (ls_loop_enter says so, and the caller leaves
 * it alone).  A thread that has not come back to its loop's call for
 * LS_LOOP_RELEARN_NS while making other ones has moved its loop there (a
 * start-up loop followed by the real one).  That costs
 * one CLOCK_MONOTONIC_COARSE read per call, on return (about 5 ns; the
 * coarse clock ticks every jiffy, at most 4 ms here, far below any useful
 * stall threshold); the one call that ends a reported stall reads it once
 * more, on entry, for the stall's exact length.  A thread that returned
 * from poll calls at least twice is a loop thread.  The watchdog scans the
 * slots (ls_loop_watch_scan): a loop thread out of its poll call for at
 * least the threshold is a stall, begun once per episode; its return to a
 * poll call ends it.  Waiting inside a poll call, however long, is not a
 * stall, and an epoll loop whose epoll descriptor is closed has ended (the
 * thread is no longer a loop thread until it polls again).  Nothing here
 * runs on a lock path.
 */
#ifndef LOCKSCOPE_LOOP_WATCH_H
#define LOCKSCOPE_LOOP_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define LS_LOOP_SLOTS 256

/* The poll functions, as reports name them. */
enum ls_loop_call {
	LS_LOOP_EPOLL_WAIT, LS_LOOP_EPOLL_PWAIT, LS_LOOP_EPOLL_PWAIT2, LS_LOOP_POLL, LS_LOOP_PPOLL,
	LS_LOOP_SELECT, LS_LOOP_PSELECT, LS_LOOP_CALLS
};

typedef struct ls_loop_slot {
	/* written by the thread */
	_Atomic pid_t tid;               /* 0: free */
	_Atomic uint32_t in_poll;
	_Atomic uint64_t left_ns;        /* when it last returned from a poll call (coarse clock) */
	_Atomic uint64_t returns;        /* poll calls returned */
	_Atomic uintptr_t site;          /* return address of its last poll call */
	_Atomic uint32_t call;           /* enum ls_loop_call of that call */
	_Atomic int fd;                  /* its epoll descriptor (-1: poll, select) */
	_Atomic uint64_t back_ns;        /* when it came back from a reported stall */
	uintptr_t loop_site, loop_sp;    /* the loop's call: site and stack depth (the thread's own) */
	/* written by the watchdog */
	_Atomic uint32_t stalled;        /* a reported stall lasts */
	uint64_t stall_left_ns;          /* the left_ns of the reported stall */
	pid_t stall_tid;
} __attribute__((aligned(64))) ls_loop_slot;

/* Frames of one loop's call differ by a few bytes (alignment); a nested
 * call is at least a callback's frames deeper. */
#define LS_LOOP_SP_SLACK 256
#define LS_LOOP_RELEARN_NS (10 * 1000000000ull)

extern __thread ls_loop_slot *ls_loop_tls __attribute__((tls_model("initial-exec")));

static inline uint64_t ls_coarse_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The calling thread's slot, claimed (with `tid`) on first use; NULL when
 * every slot is taken. */
ls_loop_slot *ls_loop_slot_claim(pid_t tid);
/* Frees a slot (the thread exits). */
void ls_loop_slot_release(ls_loop_slot *s);

/* A poll call from `site` with the stack at `sp`: true when it is the
 * loop's (the caller then calls ls_loop_leave on return), false when it is
 * nested in a callback (nothing to publish).  The loop's call is the first
 * one seen, or one made from a shallower stack; another site at the same
 * depth or deeper is nested (callbacks are often inlined into the loop's
 * function: the same depth), unless the loop's call has not been made for
 * LS_LOOP_RELEARN_NS. */
static inline bool ls_loop_enter(ls_loop_slot *s, uintptr_t site, enum ls_loop_call call, uintptr_t sp, int fd)
{
	if (__builtin_expect(site != s->loop_site || sp + LS_LOOP_SP_SLACK < s->loop_sp, 0)) {
		if (s->loop_site && sp <= s->loop_sp + LS_LOOP_SP_SLACK &&
		    ls_coarse_now_ns() - atomic_load_explicit(&s->left_ns, memory_order_relaxed) < LS_LOOP_RELEARN_NS)
			return false;
		s->loop_site = site;
		s->loop_sp = sp;
	}
	atomic_store_explicit(&s->site, site, memory_order_relaxed);
	atomic_store_explicit(&s->call, (uint32_t)call, memory_order_relaxed);
	atomic_store_explicit(&s->fd, fd, memory_order_relaxed);
	if (__builtin_expect(atomic_load_explicit(&s->stalled, memory_order_relaxed), 0))
		atomic_store_explicit(&s->back_ns, ls_coarse_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&s->in_poll, 1, memory_order_release);
	return true;
}

/* Returned from a poll call at `now` (ls_coarse_now_ns()). */
static inline void ls_loop_leave(ls_loop_slot *s, uint64_t now)
{
	atomic_store_explicit(&s->left_ns, now, memory_order_relaxed);
	atomic_store_explicit(&s->returns, atomic_load_explicit(&s->returns, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&s->in_poll, 0, memory_order_release);
}

enum ls_loop_event_kind { LS_LOOP_STALL_BEGIN, LS_LOOP_STALL_END };

typedef struct ls_loop_event {
	enum ls_loop_event_kind kind;
	pid_t tid;
	enum ls_loop_call call;
	uintptr_t site;
	uint64_t away_ns;    /* BEGIN: away so far; END: the stall's whole length */
} ls_loop_event;

/* Scans every slot at `now` (coarse clock) against threshold_ns (UINT64_MAX:
 * only stalls that ended); writes at most `max` events and returns how many.  *next_ns: how long until a
 * thread out of its poll call now would reach the threshold (UINT64_MAX:
 * none is out).  Called by one thread (the watchdog). */
size_t ls_loop_watch_scan(uint64_t now, uint64_t threshold_ns, ls_loop_event *out, size_t max, uint64_t *next_ns);

/* Stalls begun since start, and stalls lasting now (for live statistics). */
uint64_t ls_loop_stalls_total(void);
uint64_t ls_loop_stalls_now(void);

/* "epoll_wait", "poll", ... */
const char *ls_loop_call_name(enum ls_loop_call call);

/* After fork: only the forking thread (now `tid`) exists in the child. */
void ls_loop_watch_atfork_child(pid_t tid);

#endif
