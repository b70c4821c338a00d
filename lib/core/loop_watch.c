/* loop_watch.c — event-loop threads and their stalls (loop_watch.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "core/loop_watch.h"

__thread ls_loop_slot *ls_loop_tls __attribute__((tls_model("initial-exec")));

static ls_loop_slot slots[LS_LOOP_SLOTS];
static _Atomic uint64_t stalls_total, stalls_now;

static const char *const call_names[LS_LOOP_CALLS] = {
	[LS_LOOP_EPOLL_WAIT] = "epoll_wait", [LS_LOOP_EPOLL_PWAIT] = "epoll_pwait",
	[LS_LOOP_EPOLL_PWAIT2] = "epoll_pwait2", [LS_LOOP_POLL] = "poll", [LS_LOOP_PPOLL] = "ppoll",
	[LS_LOOP_SELECT] = "select", [LS_LOOP_PSELECT] = "pselect",
};

const char *ls_loop_call_name(enum ls_loop_call call)
{
	return call < LS_LOOP_CALLS ? call_names[call] : "poll";
}

static void reset(ls_loop_slot *s)
{
	atomic_store(&s->in_poll, 0);
	atomic_store(&s->left_ns, 0);
	atomic_store(&s->returns, 0);
	atomic_store(&s->site, 0);
	atomic_store(&s->call, 0);
	atomic_store(&s->fd, -1);
	atomic_store(&s->back_ns, 0);
	s->loop_site = 0;
	s->loop_sp = 0;
}

ls_loop_slot *ls_loop_slot_claim(pid_t tid)
{
	for (size_t i = 0; i < LS_LOOP_SLOTS; i++) {
		pid_t none = 0;
		/* A slot still marked stalled belongs to the watchdog until it
		 * has seen the stall end. */
		if (atomic_load(&slots[i].tid) || atomic_load(&slots[i].stalled))
			continue;
		ls_loop_slot *s = &slots[i];
		reset(s);
		if (atomic_compare_exchange_strong(&s->tid, &none, tid))
			return s;
	}
	return NULL;
}

void ls_loop_slot_release(ls_loop_slot *s)
{
	/* A stall in progress ends with the thread: the watchdog sees tid 0. */
	atomic_store_explicit(&s->in_poll, 1, memory_order_release);
	atomic_store_explicit(&s->tid, 0, memory_order_release);
}

/* A thread back from a reported stall, or gone: the stall ends. */
static bool stall_over(ls_loop_slot *s)
{
	return !atomic_load_explicit(&s->tid, memory_order_acquire) ||
	       atomic_load_explicit(&s->in_poll, memory_order_acquire) ||
	       atomic_load_explicit(&s->left_ns, memory_order_relaxed) != s->stall_left_ns;
}

/* The epoll descriptor the loop waited on is closed: its loop has ended
 * (asyncio.run() returned and the program goes on). */
static bool loop_closed(ls_loop_slot *s)
{
	int fd = atomic_load_explicit(&s->fd, memory_order_relaxed);
	return fd >= 0 && fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

size_t ls_loop_watch_scan(uint64_t now, uint64_t threshold_ns, ls_loop_event *out, size_t max, uint64_t *next_ns)
{
	size_t n = 0;
	*next_ns = UINT64_MAX;
	for (size_t i = 0; i < LS_LOOP_SLOTS && n < max; i++) {
		ls_loop_slot *s = &slots[i];
		if (atomic_load_explicit(&s->stalled, memory_order_relaxed)) {
			if (!stall_over(s))
				continue;
			uint64_t back = atomic_load_explicit(&s->back_ns, memory_order_relaxed);
			out[n++] = (ls_loop_event){ LS_LOOP_STALL_END, s->stall_tid, atomic_load(&s->call),
						    atomic_load(&s->site),
						    (back > s->stall_left_ns ? back : now) - s->stall_left_ns };
			atomic_store(&s->back_ns, 0);
			atomic_store_explicit(&s->stalled, 0, memory_order_release);
			atomic_fetch_sub(&stalls_now, 1);
			continue;
		}
		pid_t tid = atomic_load_explicit(&s->tid, memory_order_acquire);
		if (!tid || atomic_load_explicit(&s->in_poll, memory_order_acquire) ||
		    atomic_load_explicit(&s->returns, memory_order_relaxed) < 2)
			continue;
		uint64_t left = atomic_load_explicit(&s->left_ns, memory_order_relaxed);
		uint64_t away = now > left ? now - left : 0;
		if (away < threshold_ns) {
			if (threshold_ns - away < *next_ns)
				*next_ns = threshold_ns - away;
			continue;
		}
		if (loop_closed(s)) {
			atomic_store_explicit(&s->returns, 0, memory_order_relaxed);
			continue;
		}
		s->stall_left_ns = left;
		s->stall_tid = tid;
		atomic_store(&s->back_ns, 0);
		atomic_store_explicit(&s->stalled, 1, memory_order_release);
		atomic_fetch_add(&stalls_total, 1);
		atomic_fetch_add(&stalls_now, 1);
		out[n++] = (ls_loop_event){ LS_LOOP_STALL_BEGIN, tid, atomic_load(&s->call), atomic_load(&s->site), away };
		/* Back before the mark was seen: the end comes at the next scan. */
	}
	return n;
}

uint64_t ls_loop_stalls_total(void) { return atomic_load(&stalls_total); }
uint64_t ls_loop_stalls_now(void) { return atomic_load(&stalls_now); }

void ls_loop_watch_atfork_child(pid_t tid)
{
	ls_loop_slot *mine = ls_loop_tls;
	for (size_t i = 0; i < LS_LOOP_SLOTS; i++) {
		ls_loop_slot *s = &slots[i];
		atomic_store(&s->stalled, 0);
		if (s == mine) {
			atomic_store(&s->tid, tid);
		} else {
			reset(s);
			atomic_store(&s->tid, 0);
		}
	}
	atomic_store(&stalls_now, 0);
}
