/* dumps.c — the watchdog thread, the dump and crash signal handlers.
 *
 * The watchdog is a thread of the shim's own (created with the real
 * pthread_create, every signal blocked, never registered, never tracked).
 * It wakes four times a second, or at once when rung: it snapshots every
 * thread's published wait and held locks, reports deadlocks, hangs, stalls
 * and hold-and-wait (lib/core/watchdog.c), and does every slow thing for the
 * signal handlers: symbolizing (one long-lived symbolizer, so a second dump
 * reuses the first one's lookups) and writing reports.
 *
 * Crashes: the handler of a fatal signal captures the stacks itself
 * (async-signal-safe: lib/core/thread_dump.c), then rings the watchdog to
 * symbolize and write them and waits at most CRASH_SYMBOLIZE_WAIT for the
 * answer.  If the watchdog does not answer (it may be blocked in malloc
 * behind the crashed thread), the handler writes the raw dump itself with
 * write(2): module+offset per frame, from a module table the watchdog keeps
 * fresh.  Then the previous handler runs, or the signal is re-raised with
 * its default action, so the process ends exactly as it would have.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/semaphore.h"
#include "core/stack_depot.h"
#include "core/thread_dump.h"
#include "core/tracker.h"
#include "core/watchdog.h"
#include "report/report_format.h"
#include "report/shim_report.h"
#include "real.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

#define NS_PER_S 1000000000ull
#define TICK_NS (250 * 1000000ull)
/* A cycle seen once is confirmed (or not) by a snapshot this much later:
 * a deadlock is reported about this long after the first scan that sees
 * it instead of a whole tick later. */
#define CONFIRM_NS (50 * 1000000ull)
#define CAPTURE_TIMEOUT_NS (500 * 1000000ull)
#define CRASH_CAPTURE_TIMEOUT_NS (1000 * 1000000ull)
#define CRASH_SYMBOLIZE_WAIT_NS (2 * NS_PER_S)
#define OTHER_CRASH_WAIT_NS (10 * NS_PER_S)
#define MODULE_REFRESH_TICKS 4
#define MAX_WATCHES 64
#define LABEL_MAX 64

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

static pthread_t watchdog;
static atomic_bool watchdog_running;
static _Atomic uint32_t doorbell;          /* futex word: rung by handlers and exit */
static atomic_bool exiting;
static atomic_bool aborting;               /* on_hang=abort: let SIGABRT through */
static _Atomic uint32_t dump_requests;     /* dump signals received */
static _Atomic uint32_t dumps_done;        /* futex word: dumps written */
static atomic_bool dumping;                /* the watchdog is writing a dump */
static uint64_t start_ns;
static uint64_t next_timer_dump_ns;
static struct sigaction previous[NSIG];
static pthread_key_t altstack_key;
static char raw_path[LS_OPTIONS_PATH_MAX + 32];

enum { CRASH_NONE, CRASH_REQUESTED, CRASH_DONE };
static struct {
	_Atomic uint32_t state;                /* futex word */
	_Atomic pid_t tid;                     /* the thread dumping a crash */
	atomic_bool dumped;
	int sig;
	int code;
	uint64_t addr;
	ls_dump_result dump;
} crash;

/* Work handed to the watchdog by a thread that cannot do it itself (the
 * last report, asked for from a signal handler or _exit): ending.c. */
enum { JOB_IDLE, JOB_CLAIMED, JOB_REQUESTED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };
static struct {
	_Atomic uint32_t state;                /* futex word */
	void (*fn)(void *);
	void *arg;
} job;

/* Deadlines armed through <lockscope/watchdog.h>, one per thread. */
static struct watch {
	_Atomic pid_t tid;
	_Atomic uint64_t deadline_ns;          /* 0: not armed */
	_Atomic uint64_t generation;
	uint64_t fired_generation;             /* watchdog-private */
	double seconds;
	char label[LABEL_MAX];
} watches[MAX_WATCHES];

/* Watchdog-private state. */
static ls_symbolizer *sym;
static ls_wd_snapshot snapshot;
static ls_wd_analyzer analyzer;

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static void ring(_Atomic uint32_t *word)
{
	atomic_fetch_add(word, 1);
	wake_all(word);
}

/* Waits (async-signal-safe) until *word leaves `seen` or the time is up. */
static void wait_change(_Atomic uint32_t *word, uint32_t seen, uint64_t timeout_ns)
{
	uint64_t deadline = ls_now_ns() + timeout_ns;
	for (uint64_t now = ls_now_ns(); atomic_load(word) == seen && now < deadline; now = ls_now_ns()) {
		uint64_t left = deadline - now;
		struct timespec ts = { (time_t)(left / NS_PER_S), (long)(left % NS_PER_S) };
		syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
	}
}

static const char *fatal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	default: return "signal";
	}
}

static bool has_fault_address(int sig) { return sig != SIGABRT; }

/* ---- building reports (watchdog thread only) ---------------------------- */

static ls_symbolizer *symbolizer(void)
{
	if (!sym)
		sym = ls_output_new_symbolizer();
	return sym;
}

static char *comm_of(pid_t tid)
{
	char name[64];
	ls_thread_comm(tid, name, sizeof name);
	return name[0] ? strdup(name) : NULL;
}

struct find_self { uintptr_t self; ls_thread_state *found; };

static void match_self(ls_thread_state *t, void *ctx)
{
	struct find_self *f = ctx;
	if ((uintptr_t)t->self == f->self)
		f->found = t;
}

static ls_thread_state *thread_by_self(uintptr_t self)
{
	struct find_self f = { self, NULL };
	ls_thread_foreach(match_self, &f);
	return f.found;
}

/* "pool_ready (condvar 0x...)" style reference to a non-lock object. */
static void object_ref(ls_lock_ref *ref, uintptr_t address, const char *kind)
{
	ref->address = address;
	ref->kind = strdup(kind);
	ref->name = symbolizer() ? ls_symbolize_data(sym, address) : NULL;
}

static void join_ref(ls_lock_ref *ref, uintptr_t pthread)
{
	ls_thread_state *t = thread_by_self(pthread);
	char name[96];
	if (t)
		snprintf(name, sizeof name, "thread tid %d", (int)t->tid);
	else
		snprintf(name, sizeof name, "thread 0x%" PRIxPTR, pthread);
	ref->address = pthread;
	ref->kind = strdup("thread");
	ref->name = strdup(name);
}

static char *printf_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printf_dup(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

struct barrier_count { uintptr_t barrier; unsigned n; };

static void count_at_barrier(ls_thread_state *t, void *ctx)
{
	struct barrier_count *c = ctx;
	if (atomic_load(&t->wait_kind) == LS_WAIT_BARRIER && atomic_load(&t->wait_object) == c->barrier)
		c->n++;
}

/* What a wait on l says beyond its name: "2 of 3 arrived" at a barrier,
 * why a semaphore is a signal, a join; NULL if nothing. */
static char *wait_detail(const ls_lock *l, uintptr_t object, uint8_t flags)
{
	if (flags & LS_WAIT_FLAG_JOIN)
		return strdup("a Python join: the thread holds it until it ends");
	if (l->kind == LS_KIND_BARRIER) {
		struct barrier_count c = { object, 0 };
		ls_thread_foreach(count_at_barrier, &c);
		return printf_dup("%u of %u arrived", c.n, (unsigned)atomic_load(&l->object_count));
	}
	const char *why = ls_sem_reason_text(l);
	return why ? strdup(why) : NULL;
}

/* "waiting on semaphore, used as a signal (taken twice by one thread),
 * made at pool.c:12" and the like, for waits on other than plain locks. */
static char *wait_state(const ls_lock *l, uintptr_t object, uint8_t flags)
{
	char *detail = wait_detail(l, object, flags), *where = symbolizer() ? ls_shim_where_made(sym, l) : NULL;
	char *state;
	const char *made = where ? where : "made at an unknown place";
	switch (l->kind) {
	case LS_KIND_SEM:
		state = printf_dup("waiting on semaphore, used as a %s%s%s%s, %s", ls_sem_class_name(l),
				   detail ? " (" : "", detail ? detail : "", detail ? ")" : "", made);
		break;
	case LS_KIND_ONCE:
		state = printf_dup("waiting for a once routine to finish, %s", made);
		break;
	case LS_KIND_BARRIER:
		state = printf_dup("waiting at barrier, %s, %s", detail ? detail : "arrivals unknown", made);
		break;
	default:
		state = NULL;
	}
	free(detail);
	free(where);
	return state;
}

/* The thread's state line from its published wait. */
static void describe_wait(ls_thread *th, ls_thread_state *t, uint64_t now)
{
	int kind = atomic_load(&t->wait_kind);
	ls_lock *l = atomic_load(&t->waiting_on);
	uintptr_t object = atomic_load(&t->wait_object);
	uint64_t start = atomic_load(&t->wait_start_ns);
	double seconds = now > start ? (double)(now - start) / 1e9 : 0;
	ls_lock_ref ref = { 0 };
	char text[256];
	switch (kind) {
	case LS_WAIT_LOCK:
	case LS_WAIT_BARRIER: {
		if (!l)
			return;
		char *state = wait_state(l, object, atomic_load(&t->wait_flags));
		free(th->state);
		th->state = state ? state
			    : strdup(t->wait_mode == LS_MODE_READ    ? "waiting for lock (read)"
				     : t->wait_mode == LS_MODE_WRITE ? "waiting for lock (write)"
								     : "waiting for lock");
		ls_shim_lock_ref(&th->waiting_for, symbolizer(), l);
		th->waiting_for.address = object;
		th->wait_seconds = seconds > 0 ? seconds : 1e-9;
		return;
	}
	case LS_WAIT_COND:
		object_ref(&ref, object, "condvar");
		break;
	case LS_WAIT_JOIN:
		join_ref(&ref, object);
		break;
	default:
		return;
	}
	ls_format_lock(text, sizeof text, &ref);
	free(th->state);
	th->state = printf_dup("%s %s for %.3f s", kind == LS_WAIT_COND ? "in condition wait on" : "joining", text,
			       seconds);
	free(ref.kind);
	free(ref.name);
}

/* One captured thread as a report thread: counters, held locks, wait, stack. */
static ls_thread *add_dumped_thread(ls_report *r, const ls_dump_slot *slot, uint64_t now)
{
	ls_thread_state *t = slot->thread;
	ls_thread *th;
	if (t && atomic_load(&t->alive) && t->tid == slot->tid) {
		th = ls_shim_add_thread(r, symbolizer(), t);
		if (th)
			describe_wait(th, t, now);
	} else {
		th = ls_array_push(&r->threads, &r->n_threads, sizeof *th);
		if (th) {
			th->tid = (uint64_t)slot->tid;
			th->name = comm_of(slot->tid);
			th->state = strdup("running (not tracked)");
		}
	}
	if (!th)
		return NULL;
	int captured = atomic_load(&slot->state);
	if (captured == LS_SLOT_DONE && slot->n) {
		ls_symbolize_stack(symbolizer(), slot->pcs, slot->n, &th->stack);
	} else {
		char *state = printf_dup("%s%s", th->state ? th->state : "unknown",
					 captured == LS_SLOT_BLOCKED ? " (stack unavailable: signals blocked)"
					 : "; no stack: the thread did not answer the dump signal");
		free(th->state);
		th->state = state;
	}
	return th;
}

ls_symbolizer *ls_dumps_symbolizer(void) { return symbolizer(); }

bool ls_dumps_thread_stack(pid_t tid, ls_stack *out)
{
	ls_dump_result d;
	ls_report *scratch = ls_report_new();
	if (!scratch)
		return false;
	ls_thread_dump_reserve(ls_thread_live_count() + 16);
	ls_thread_dump_capture(LS_DUMP_ROUTINE, NULL, 0, CAPTURE_TIMEOUT_NS, &d);
	uint64_t now = ls_now_ns();
	bool found = false;
	for (size_t i = 0; i < d.n && !found; i++) {
		if (d.slots[i]->tid != tid)
			continue;
		ls_thread *th = add_dumped_thread(scratch, d.slots[i], now);
		if (th && th->stack.n) {
			*out = th->stack;
			th->stack = (ls_stack){ 0 };
			found = true;
		}
	}
	ls_report_free(scratch);
	return found;
}

static void add_dump(ls_report *r, const ls_dump_result *d)
{
	uint64_t now = ls_now_ns();
	for (size_t i = 0; i < d->n; i++)
		add_dumped_thread(r, d->slots[i], now);
	if (d->omitted) {
		ls_thread *th = ls_array_push(&r->threads, &r->n_threads, sizeof *th);
		if (th)
			th->state = printf_dup("%zu more threads not captured (no room in the dump buffers)", d->omitted);
	}
}

static void capture_and_add_dump(ls_report *r)
{
	ls_dump_result d;
	ls_thread_dump_reserve(ls_thread_live_count() + 16);
	uint64_t t0 = ls_now_ns();
	ls_thread_dump_capture(LS_DUMP_ROUTINE, NULL, 0, CAPTURE_TIMEOUT_NS, &d);
	uint64_t t1 = ls_now_ns();
	add_dump(r, &d);
	if (ls_opts.verbose) {
		char msg[200];
		snprintf(msg, sizeof msg,
			 "lockscope: (verbose) dump of %zu threads (%zu missed, %zu blocking signals): capture %.3f ms, "
			 "symbolize %.3f ms\n",
			 d.n, d.missed, d.blocked, (double)(t1 - t0) / 1e6, (double)(ls_now_ns() - t1) / 1e6);
		ls_write_stderr(msg);
	}
}

/* A dump of every thread; `dump_reason` names it among the kept dumps of
 * the JSON report ("signal SIGQUIT", "timer", "watchdog"). */
static void write_dump(const char *reason, const char *dump_reason, const char *headline)
{
	atomic_store(&dumping, true);
	ls_report *r = ls_output_new_report(reason);
	if (r) {
		capture_and_add_dump(r);
		ls_output_dump_event(r, headline, dump_reason);
		ls_output_keep_symbols(sym);
		ls_report_free(r);
	}
	atomic_store(&dumping, false);
	ring(&dumps_done);
}

/* ---- findings ------------------------------------------------------------- */

static void fill_held(ls_held_lock *out, const ls_wd_held *h)
{
	ls_shim_lock_ref(&out->lock, symbolizer(), h->lock);
	out->lock.address = h->addr;
	out->mode = strdup(ls_mode_name(h->mode));
	ls_shim_fill_stack(&out->stack, symbolizer(), h->site_stack);
}

/* What thread i waits for, as the wait entry names it. */
static void fill_waits_for(ls_wait_entry *e, const ls_wd_thread *t)
{
	switch (t->wait_kind) {
	case LS_WAIT_LOCK:
		ls_shim_lock_ref(&e->waits_for, symbolizer(), t->waiting_on);
		e->wait_mode = strdup(ls_mode_name(t->wait_mode));
		break;
	case LS_WAIT_BARRIER:
		ls_shim_lock_ref(&e->waits_for, symbolizer(), t->waiting_on);
		break;
	case LS_WAIT_COND:
		object_ref(&e->waits_for, t->wait_object, "condvar");
		break;
	case LS_WAIT_JOIN:
		join_ref(&e->waits_for, t->wait_object);
		break;
	default:
		break;
	}
}

static ls_wait_entry *add_entry(ls_deadlock *d, const ls_wd_snapshot *snap, size_t i)
{
	ls_wait_entry *e = ls_array_push(&d->entries, &d->n, sizeof *e);
	if (!e)
		return NULL;
	e->tid = (uint64_t)snap->threads[i].tid;
	e->thread_name = comm_of(snap->threads[i].tid);
	fill_waits_for(e, &snap->threads[i]);
	return e;
}

/* A stalled thread: what it waits for, since when, where that was made. */
static void add_stall_entry(ls_deadlock *d, const ls_wd_snapshot *snap, size_t i)
{
	ls_wait_entry *e = add_entry(d, snap, i);
	if (!e)
		return;
	const ls_wd_thread *t = &snap->threads[i];
	e->wait_seconds = snap->now_ns > t->wait_start_ns ? (double)(snap->now_ns - t->wait_start_ns) / 1e9 : 1e-9;
	if ((t->wait_kind == LS_WAIT_LOCK || t->wait_kind == LS_WAIT_BARRIER) && t->waiting_on) {
		e->detail = wait_detail(t->waiting_on, t->wait_object, t->wait_flags);
		ls_shim_fill_stack(&e->made_at, symbolizer(), t->waiting_on->init_stack);
	}
}

/* Entry for `member` of a chain: it holds what `prev` waits for and waits
 * for what `next` holds. */
static void add_chain_entry(ls_deadlock *d, const ls_wd_snapshot *snap, size_t member, size_t prev, size_t next,
			    bool has_prev, bool has_next)
{
	ls_wait_entry *e = add_entry(d, snap, member);
	if (!e)
		return;
	const ls_wd_held *h = has_prev ? ls_wd_held_lock(snap, member, prev) : NULL;
	if (h)
		fill_held(&e->holds, h);
	if (has_next && snap->threads[member].wait_kind == LS_WAIT_LOCK)
		e->owner_tid = (uint64_t)snap->threads[next].tid;
}

struct scan {
	ls_report *r;
	bool hang_like;          /* a finding on_hang applies to */
	uint64_t formed_ns;      /* the latest wait start of a deadlock's members */
};

static void on_finding(void *ctx, const ls_wd_snapshot *snap, const ls_wd_finding *f)
{
	struct scan *sc = ctx;
	if (!sc->r && !(sc->r = ls_output_new_report(ls_wd_kind_name(f->kind))))
		return;
	ls_deadlock *d = ls_array_push(&sc->r->deadlocks, &sc->r->n_deadlocks, sizeof *d);
	if (!d)
		return;
	d->kind = strdup(ls_wd_kind_name(f->kind));
	sc->hang_like = true;
	switch (f->kind) {
	case LS_WD_DEADLOCK:
		for (size_t i = 0; i < f->n; i++) {
			size_t prev = f->members[(i + f->n - 1) % f->n], next = f->members[(i + 1) % f->n];
			add_chain_entry(d, snap, f->members[i], prev, next, true, true);
			uint64_t start = snap->threads[f->members[i]].wait_start_ns;
			sc->formed_ns = start > sc->formed_ns ? start : sc->formed_ns;
		}
		break;
	case LS_WD_HOLD_AND_WAIT:
	case LS_WD_HANG:
		/* The waiter, then the holder it waits behind (if known). */
		add_chain_entry(d, snap, f->members[0], 0, f->n > 1 ? f->members[1] : 0, false, f->n > 1);
		if (f->n > 1 && (f->kind == LS_WD_HOLD_AND_WAIT || snap->threads[f->members[1]].wait_kind != LS_WAIT_NONE))
			add_chain_entry(d, snap, f->members[1], f->members[0], 0, true, false);
		break;
	case LS_WD_STALL:
		for (size_t i = 0; i < f->n; i++)
			add_stall_entry(d, snap, f->members[i]);
		break;
	default:
		break;
	}
}

static void act_on_hang(void)
{
	if (ls_opts.on_hang == LS_ON_HANG_EXIT) {
		_exit(ls_opts.hang_exitcode);
	} else if (ls_opts.on_hang == LS_ON_HANG_ABORT) {
		ls_ending_report("on_hang abort");
		atomic_store(&aborting, true);
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigaction(SIGABRT, &dfl, NULL);
		abort();
	}
}

static void scan_waits(void)
{
	uint64_t now = ls_now_ns();
	ls_wd_snapshot_take(&snapshot, now);
	struct scan sc = { 0 };
	if (!ls_wd_analyze(&analyzer, &snapshot, on_finding, &sc) || !sc.r)
		return;
	capture_and_add_dump(sc.r);
	ls_output_event(sc.r, NULL);
	ls_output_keep_symbols(sym);
	ls_report_free(sc.r);
	if (ls_opts.verbose && sc.formed_ns) {
		char msg[160];
		snprintf(msg, sizeof msg, "lockscope: (verbose) deadlock reported %.3f s after the cycle formed\n",
			 (double)(ls_now_ns() - sc.formed_ns) / 1e9);
		ls_write_stderr(msg);
	}
	if (sc.hang_like)
		act_on_hang();
}

/* ---- timer dumps and armed watches ------------------------------------------ */

static void check_timer_dump(uint64_t now)
{
	if (!next_timer_dump_ns || now < next_timer_dump_ns)
		return;
	next_timer_dump_ns = ls_opts.dump_repeat ? next_timer_dump_ns + (uint64_t)(ls_opts.dump_after * 1e9) : 0;
	char headline[96];
	snprintf(headline, sizeof headline, "lockscope: thread dump after %.3f s", (double)(now - start_ns) / 1e9);
	write_dump("dump", "timer", headline);
}

static void check_watches(uint64_t now)
{
	for (size_t i = 0; i < MAX_WATCHES; i++) {
		struct watch *w = &watches[i];
		uint64_t deadline = atomic_load(&w->deadline_ns);
		uint64_t gen = atomic_load(&w->generation);
		if (!deadline || now < deadline || w->fired_generation == gen)
			continue;
		w->fired_generation = gen;
		pid_t tid = atomic_load(&w->tid);
		char name[64], label[LABEL_MAX], headline[LABEL_MAX + 200];
		memcpy(label, w->label, sizeof label);
		label[LABEL_MAX - 1] = 0;
		ls_thread_comm(tid, name, sizeof name);
		snprintf(headline, sizeof headline,
			 "lockscope: hang: watchdog \"%s\" armed for %.3f s expired (%.3f s late) in thread %s (tid %d)",
			 label, w->seconds, (double)(now - deadline) / 1e9, name, (int)tid);
		write_dump("watchdog", "watchdog", headline);
		act_on_hang();
	}
}

/* ---- crashes ---------------------------------------------------------------- */

static void write_crash_report(void)
{
	char headline[256], name[64];
	ls_thread_comm(crash.tid, name, sizeof name);
	int n = snprintf(headline, sizeof headline, "lockscope: fatal signal %s (%s)", fatal_name(crash.sig),
			 sigdescr_np(crash.sig) ? sigdescr_np(crash.sig) : "?");
	if (has_fault_address(crash.sig))
		n += snprintf(headline + n, sizeof headline - (size_t)n, " at address 0x%" PRIx64, crash.addr);
	snprintf(headline + n, sizeof headline - (size_t)n, " in thread %s (tid %d)", name, (int)crash.tid);
	char reason[32];
	snprintf(reason, sizeof reason, "signal %s", fatal_name(crash.sig));
	ls_report *r = ls_output_new_report(reason);
	if (!r)
		return;
	add_dump(r, &crash.dump);
	if (r->n_threads && r->threads[0].tid == (uint64_t)crash.tid) {
		ls_thread *th = &r->threads[0];
		char *state = printf_dup("crashed: %s%s", fatal_name(crash.sig), th->n_held ? ", holding locks" : "");
		free(th->state);
		th->state = state;
	}
	ls_output_event(r, headline);
	ls_report_free(r);
}

/* The raw dump, written by the crashing thread itself. */
static void write_raw_crash(void)
{
	ls_raw_writer w = { .fd = STDERR_FILENO };
	int fd = raw_path[0] ? open(raw_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	if (fd >= 0)
		w.fd = fd;
	char name[64];
	ls_thread_comm(crash.tid, name, sizeof name);
	ls_raw_str(&w, "lockscope: fatal signal ");
	ls_raw_str(&w, fatal_name(crash.sig));
	if (has_fault_address(crash.sig)) {
		ls_raw_str(&w, " at address ");
		ls_raw_hex(&w, crash.addr, 1);
	}
	ls_raw_str(&w, " in thread ");
	ls_raw_str(&w, name);
	ls_raw_str(&w, " (tid ");
	ls_raw_dec(&w, (uint64_t)crash.tid);
	ls_raw_str(&w, ")\n  (raw dump: the symbolizer did not answer in time; frames are module+offset)\n");
	for (size_t i = 0; i < crash.dump.n; i++) {
		const ls_dump_slot *s = crash.dump.slots[i];
		ls_thread_comm(s->tid, name, sizeof name);
		ls_raw_str(&w, "  Thread ");
		ls_raw_str(&w, name);
		ls_raw_str(&w, " (tid ");
		ls_raw_dec(&w, (uint64_t)s->tid);
		ls_raw_str(&w, i == 0 ? "): crashed\n" : ")\n");
		ls_thread_state *t = s->thread;
		ls_held *held = t ? ls_held_array(t) : NULL;
		for (uint32_t k = 0; t && k < ls_held_count(t); k++) {
			ls_held_view v;
			if (!ls_held_read(&held[k], &v))
				continue;
			ls_raw_str(&w, "    holds ");
			ls_raw_str(&w, ls_lock_kind_name(v.lock->kind));
			ls_raw_str(&w, " ");
			ls_raw_hex(&w, v.addr, 1);
			ls_raw_str(&w, "\n");
		}
		int captured = atomic_load(&s->state);
		if (captured == LS_SLOT_DONE)
			ls_raw_stack(&w, s);
		else if (captured == LS_SLOT_BLOCKED)
			ls_raw_str(&w, "      (stack unavailable: signals blocked)\n");
		else
			ls_raw_str(&w, "      (no stack: the thread did not answer)\n");
	}
	ls_raw_str(&w, "\n");
	ls_raw_flush(&w);
	if (fd >= 0)
		close(fd);
}

static void dump_crash(int sig, siginfo_t *si, void *uc, pid_t tid)
{
	crash.sig = sig;
	crash.code = si ? si->si_code : 0;
	crash.addr = si ? (uint64_t)(uintptr_t)si->si_addr : 0;
	ls_thread_dump_capture(LS_DUMP_CRASH, uc, tid, CRASH_CAPTURE_TIMEOUT_NS, &crash.dump);
	if (atomic_load(&watchdog_running) && !pthread_equal(pthread_self(), watchdog)) {
		atomic_store(&crash.state, CRASH_REQUESTED);
		ring(&doorbell);
		wait_change(&crash.state, CRASH_REQUESTED, CRASH_SYMBOLIZE_WAIT_NS);
	}
	if (atomic_load(&crash.state) != CRASH_DONE)
		write_raw_crash();
}

static void call_previous(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *prev = &previous[sig];
	if (prev->sa_flags & SA_SIGINFO) {
		if (prev->sa_sigaction)
			prev->sa_sigaction(sig, si, uc);
	} else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN && prev->sa_handler) {
		prev->sa_handler(sig);
	}
}

static bool previous_is_function(int sig)
{
	struct sigaction *prev = &previous[sig];
	if (prev->sa_flags & SA_SIGINFO)
		return prev->sa_sigaction != NULL;
	return prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN && prev->sa_handler;
}

/* After the dump the signal does what it would have done without us. */
static void chain_fatal(int sig, siginfo_t *si, void *uc)
{
	if (previous_is_function(sig)) {
		call_previous(sig, si, uc);
		return;
	}
	/* Default or ignored: put that disposition back and let the signal
	 * take it.  A fault re-executes and faults again; a sent signal
	 * (abort, kill) is raised again and delivered when we return. */
	sigaction(sig, &previous[sig], NULL);
	if (previous[sig].sa_handler == SIG_DFL)
		syscall(SYS_tgkill, getpid(), current_tid(), sig);
}

static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	pid_t tid = current_tid();
	pid_t none = 0;
	if (!atomic_load(&aborting) && !atomic_load(&crash.dumped) &&
	    atomic_compare_exchange_strong(&crash.tid, &none, tid)) {
		ls_busy_begin();
		dump_crash(sig, si, uc, tid);
		atomic_store(&crash.dumped, true);
		ls_busy_end();
	} else if (atomic_load(&crash.tid) != tid) {
		/* Another thread is dumping its crash: let it finish first. */
		uint64_t deadline = ls_now_ns() + OTHER_CRASH_WAIT_NS;
		while (!atomic_load(&crash.dumped) && ls_now_ns() < deadline) {
			struct timespec ts = { 0, 20 * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	chain_fatal(sig, si, uc);
	errno = saved_errno;
}

/* ---- the dump signal --------------------------------------------------------- */

static void on_dump_signal(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	uint32_t done = atomic_load(&dumps_done);
	atomic_fetch_add(&dump_requests, 1);
	ring(&doorbell);
	if (previous_is_function(sig)) {
		/* Their handler may end the process: let the dump finish first. */
		wait_change(&dumps_done, done, CRASH_SYMBOLIZE_WAIT_NS);
		call_previous(sig, si, uc);
	}
	errno = saved_errno;
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, &previous[sig]);
}

/* ---- jobs ------------------------------------------------------------------------ */

bool ls_dumps_on_watchdog(void)
{
	return atomic_load(&watchdog_running) && pthread_equal(pthread_self(), watchdog);
}

bool ls_dumps_run_on_watchdog(void (*fn)(void *), void *arg, uint64_t timeout_ns)
{
	if (!atomic_load(&watchdog_running) || ls_dumps_on_watchdog())
		return false;
	uint64_t deadline = ls_now_ns() + timeout_ns;
	for (uint32_t idle = JOB_IDLE; !atomic_compare_exchange_strong(&job.state, &idle, JOB_CLAIMED); idle = JOB_IDLE) {
		if (ls_now_ns() >= deadline)
			return false;
		wait_change(&job.state, idle, 10 * 1000000ull);  /* another job: its end wakes us */
	}
	job.fn = fn;
	job.arg = arg;
	atomic_store(&job.state, JOB_REQUESTED);
	ring(&doorbell);
	for (uint32_t st; (st = atomic_load(&job.state)) != JOB_DONE;) {
		uint64_t now = ls_now_ns();
		if (now >= deadline) {
			/* Not taken yet: withdrawn, it never runs.  Running: given
			 * up on; it frees the slot when it ends. */
			uint32_t requested = JOB_REQUESTED, running = JOB_RUNNING;
			if (atomic_compare_exchange_strong(&job.state, &requested, JOB_IDLE)) {
				wake_all(&job.state);
				return false;
			}
			if (atomic_compare_exchange_strong(&job.state, &running, JOB_ABANDONED))
				return false;
			break;  /* done just now */
		}
		wait_change(&job.state, st, deadline - now);
	}
	atomic_store(&job.state, JOB_IDLE);
	wake_all(&job.state);
	return true;
}

static void run_job(void)
{
	uint32_t requested = JOB_REQUESTED;
	if (!atomic_compare_exchange_strong(&job.state, &requested, JOB_RUNNING))
		return;
	job.fn(job.arg);
	/* Nobody waits any more if the requester gave up: free the slot. */
	uint32_t running = JOB_RUNNING;
	if (!atomic_compare_exchange_strong(&job.state, &running, JOB_DONE))
		atomic_store(&job.state, JOB_IDLE);
	wake_all(&job.state);
}

/* ---- the watchdog thread -------------------------------------------------------- */

static void refresh_modules(void)
{
	if (ls_module_table_refresh() && sym) {
		ls_output_free_symbolizer(sym);  /* new modules: start over */
		sym = NULL;
	}
	ls_thread_dump_reserve(ls_thread_live_count() + 16);
}

/* How long until the event-loop check wants to run again. */
static uint64_t loop_check_in = UINT64_MAX;

static uint64_t next_wake(uint64_t now)
{
	uint64_t wake = now + (ls_wd_cycle_unconfirmed(&analyzer) ? CONFIRM_NS : TICK_NS);
	if (loop_check_in < wake - now)
		wake = now + loop_check_in;
	if (next_timer_dump_ns && next_timer_dump_ns < wake)
		wake = next_timer_dump_ns;
	for (size_t i = 0; i < MAX_WATCHES; i++) {
		uint64_t d = atomic_load(&watches[i].deadline_ns);
		if (d && d < wake && watches[i].fired_generation != atomic_load(&watches[i].generation))
			wake = d;
	}
	return wake > now ? wake : now + 1000000;
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	ls_busy_begin(); /* never tracked, never registered */
	for (unsigned tick = 0;; tick++) {
		uint32_t bell = atomic_load(&doorbell);
		if (atomic_load(&job.state) == JOB_REQUESTED) {
			run_job();
			continue;
		}
		if (atomic_load(&crash.state) == CRASH_REQUESTED) {
			write_crash_report();
			atomic_store(&crash.state, CRASH_DONE);
			wake_all(&crash.state);
			continue;
		}
		/* Once a thread crashed or the program exits, only answer. */
		if (!atomic_load(&exiting) && !atomic_load(&crash.tid)) {
			if (atomic_exchange(&dump_requests, 0)) {
				char sig[32], headline[96], dump_reason[48];
				ls_signal_name(ls_opts.dump_signal, sig, sizeof sig);
				snprintf(headline, sizeof headline, "lockscope: thread dump requested by %s", sig);
				snprintf(dump_reason, sizeof dump_reason, "signal %s", sig);
				write_dump("dump", dump_reason, headline);
			}
			uint64_t now = ls_now_ns();
			check_timer_dump(now);
			check_watches(now);
			scan_waits();
			loop_check_in = ls_loop_stalls_check();
			if (tick % MODULE_REFRESH_TICKS == 0)
				refresh_modules();
		}
		uint64_t now = ls_now_ns();
		wait_change(&doorbell, bell, next_wake(now) - now);
	}
	return NULL;
}

static void start_watchdog(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (real.pthread_create && real.pthread_create(&watchdog, NULL, watchdog_main, NULL) == 0) {
		atomic_store(&watchdog_running, true);
		pthread_detach(watchdog);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- alternate signal stacks ----------------------------------------------------- */

static size_t altstack_size(void)
{
	size_t size = SIGSTKSZ + getauxval(AT_MINSIGSTKSZ) + 64 * 1024;  /* + room for libunwind */
	return (size + 4095) & ~(size_t)4095;
}

static void free_altstack(void *p)
{
	stack_t off = { .ss_flags = SS_DISABLE };
	sigaltstack(&off, NULL);
	munmap(p, altstack_size());
}

void ls_dumps_thread_started(void);
void ls_dumps_thread_started(void)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return;  /* the program has its own */
	size_t size = altstack_size();
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return;
	stack_t ss = { .ss_sp = p, .ss_size = size };
	if (sigaltstack(&ss, NULL) != 0) {
		munmap(p, size);
		return;
	}
	if (getpid() != current_tid())  /* the main thread's lives as long as the process */
		pthread_setspecific(altstack_key, p);
}

/* ---- hooks ------------------------------------------------------------------------- */

static void set_raw_path(void)
{
	raw_path[0] = 0;
	if (ls_opts.format != LS_FORMAT_TEXT || !ls_opts.output[0])
		return;
	static pid_t owner;
	if (!owner)
		owner = getpid();
	if (getpid() == owner)
		snprintf(raw_path, sizeof raw_path, "%s", ls_opts.output);
	else
		snprintf(raw_path, sizeof raw_path, "%s.%d", ls_opts.output, (int)getpid());
}

static void set_self_range(void)
{
	uint64_t start, end;
	if (ls_module_table_extent((uint64_t)(uintptr_t)&ls_dumps_bootstrap, &start, &end))
		ls_thread_dump_set_self_range(start, end);
}

void ls_dumps_bootstrap(void)
{
	start_ns = ls_now_ns();
	if (ls_opts.dump_after > 0)
		next_timer_dump_ns = start_ns + (uint64_t)(ls_opts.dump_after * 1e9);
	analyzer.hang_ns = (uint64_t)(ls_opts.hang_timeout * 1e9);
	analyzer.threshold_ns = analyzer.hang_ns ? analyzer.hang_ns : NS_PER_S;
	ls_module_table_refresh();
	set_self_range();
	set_raw_path();
	pthread_key_create(&altstack_key, free_altstack);
	ls_thread_dump_init(ls_opts.thread_signal, 64);
	if (ls_opts.fatal_signals)
		for (size_t i = 0; i < LS_ARRAY_SIZE(fatal_signals); i++)
			install(fatal_signals[i], on_fatal_signal);
	if (ls_opts.dump_signal && ls_opts.dump_signal != ls_opts.thread_signal)
		install(ls_opts.dump_signal, on_dump_signal);
	start_watchdog();
}

void ls_dumps_atfork_child(void)
{
	/* The watchdog did not survive the fork; whatever it was in the middle
	 * of (its symbolizer, its snapshot) is abandoned, not reused. */
	atomic_store(&watchdog_running, false);
	atomic_store(&crash.state, CRASH_NONE);
	atomic_store(&crash.tid, 0);
	atomic_store(&crash.dumped, false);
	atomic_store(&dump_requests, 0);
	atomic_store(&job.state, JOB_IDLE);
	sym = NULL;
	memset(&snapshot, 0, sizeof snapshot);
	uint64_t hang_ns = analyzer.hang_ns, threshold_ns = analyzer.threshold_ns;
	memset(&analyzer, 0, sizeof analyzer);
	analyzer.hang_ns = hang_ns;
	analyzer.threshold_ns = threshold_ns;
	for (size_t i = 0; i < MAX_WATCHES; i++) {
		atomic_store(&watches[i].tid, 0);
		atomic_store(&watches[i].deadline_ns, 0);
	}
	ls_thread_dump_atfork_child();
	ls_loop_stalls_atfork_child();
	set_raw_path();
	start_watchdog();
}

#define EXIT_DUMP_WAIT_NS (3 * NS_PER_S)

void ls_dumps_exit(void)
{
	/* A dump asked for just before exit (a signal, a timer) is still
	 * written: the program may end right after asking. */
	uint64_t deadline = ls_now_ns() + EXIT_DUMP_WAIT_NS;
	while (!ls_dumps_on_watchdog() && atomic_load(&watchdog_running) && (atomic_load(&dump_requests) || atomic_load(&dumping)) &&
	       ls_now_ns() < deadline) {
		uint32_t done = atomic_load(&dumps_done);
		if (!atomic_load(&dump_requests) && !atomic_load(&dumping))
			break;
		wait_change(&dumps_done, done, deadline - ls_now_ns());
	}
	atomic_store(&exiting, true);
	ring(&doorbell);
}

/* ---- <lockscope/watchdog.h>, reached through dlsym ------------------------------------ */

static struct watch *watch_of(pid_t tid)
{
	for (size_t i = 0; i < MAX_WATCHES; i++)
		if (atomic_load(&watches[i].tid) == tid)
			return &watches[i];
	for (size_t i = 0; i < MAX_WATCHES; i++) {
		pid_t free_slot = 0;
		if (atomic_compare_exchange_strong(&watches[i].tid, &free_slot, tid))
			return &watches[i];
	}
	return NULL;
}

EXPORT int lockscope_shim_watchdog_arm(double seconds, const char *label);
EXPORT int lockscope_shim_watchdog_arm(double seconds, const char *label)
{
	struct watch *w = watch_of(current_tid());
	if (!w)
		return -1;
	atomic_store(&w->deadline_ns, 0);
	if (!(seconds > 0))
		return 0;
	snprintf(w->label, sizeof w->label, "%s", label ? label : "watchdog");
	w->seconds = seconds;
	atomic_fetch_add(&w->generation, 1);
	atomic_store(&w->deadline_ns, ls_now_ns() + (uint64_t)(seconds * 1e9));
	return 0;
}
