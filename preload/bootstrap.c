/* bootstrap.c — start-up, threads, fork, memory reuse and exit.
 *
 * Bootstrap may run inside any lock call, including one made by another
 * library's constructor before ours: it resolves every real function once,
 * with the reentrancy guard set so that calls dlsym makes are passed through.
 */
#include "config.h"

#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/lockscope_internal.h"
#include "core/order_graph.h"
#include "core/py_stack.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/tracker.h"
#include "mutex_inline.h"
#include "python/pyframes.h"
#include "real.h"
#include "sem_inline.h"
#include "shim.h"
#include "single_thread.h"

#define EXPORT __attribute__((visibility("default")))

struct ls_real_functions real;
static void (*real_free)(void *);
static atomic_int boot_state; /* 0 not started, 1 running, 2 done */
static pthread_key_t cleanup_key;

/* Functions glibc exports in several versions, and the one the
 * interposers implement: the condition variables' current ABI (the old
 * 2.2.5 one differs), and the semaphores as glibc 2.34 and later export
 * them (the same functions as their 2.2.5 and 2.30 versions on x86-64;
 * programs linked against either reach the interposers, which define
 * them unversioned).  Anything else, or an older glibc: the default. */
static void *resolve(const char *name)
{
	static const struct { const char *name, *version; } versioned[] = {
		{ "pthread_cond_wait", "GLIBC_2.3.2" }, { "pthread_cond_timedwait", "GLIBC_2.3.2" },
		{ "sem_init", "GLIBC_2.34" },           { "sem_destroy", "GLIBC_2.34" },
		{ "sem_wait", "GLIBC_2.34" },           { "sem_timedwait", "GLIBC_2.34" },
		{ "sem_clockwait", "GLIBC_2.34" },      { "sem_trywait", "GLIBC_2.34" },
		{ "sem_post", "GLIBC_2.34" },           { "sem_getvalue", "GLIBC_2.34" },
		{ "sem_open", "GLIBC_2.34" },           { "sem_close", "GLIBC_2.34" },
	};
	for (size_t i = 0; i < LS_ARRAY_SIZE(versioned); i++)
		if (!strcmp(name, versioned[i].name)) {
			void *p = dlvsym(RTLD_NEXT, name, versioned[i].version);
			if (p)
				return p;
		}
	return dlsym(RTLD_NEXT, name);
}

static void resolve_all(void)
{
#define LS_RESOLVE(ret, name, args) real.name = (ret(*) args)resolve(#name);
	LS_REAL_FUNCTIONS(LS_RESOLVE)
#undef LS_RESOLVE
	if (!real_free)
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
}

static void warn_option(void *ctx, const char *message)
{
	(void)ctx;
	ls_write_stderr(message);
	ls_write_stderr("\n");
}

/* The executable segment containing `code`, for telling lockscope's own
 * frames (and libunwind's lock calls) apart from the program's. */
struct segment_query { uintptr_t code, start, end; };

static int find_segment(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	struct segment_query *q = ctx;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && q->code >= start && q->code < start + ph->p_memsz) {
			q->start = start;
			q->end = start + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

static void code_segment(const void *code, uintptr_t *start, uintptr_t *end)
{
	struct segment_query q = { (uintptr_t)code, 0, 0 };
	dl_iterate_phdr(find_segment, &q);
	*start = q.start;
	*end = q.end;
}

static void thread_cleanup(void *p)
{
	ls_thread_state *t = p;
	if (ls_tls.state == t) {
		ls_tls.state = NULL;
		ls_tls_refresh();
	}
	ls_thread_unregister(t);
}

void ls_thread_started(ls_thread_state *t);
void ls_thread_started(ls_thread_state *t)
{
	ls_single_thread_check(t->tid);
	pthread_setspecific(cleanup_key, t);
	ls_dumps_thread_started();
}

#define WEAK_HOOK(name) __attribute__((weak)) void name(void) {}
WEAK_HOOK(ls_dumps_bootstrap)
WEAK_HOOK(ls_dumps_atfork_child)
WEAK_HOOK(ls_dumps_exit)
WEAK_HOOK(ls_dumps_thread_started)
WEAK_HOOK(ls_live_bootstrap)
WEAK_HOOK(ls_live_atfork_child)
WEAK_HOOK(ls_live_exit)
__attribute__((weak)) bool ls_dumps_on_watchdog(void) { return false; }
__attribute__((weak)) bool ls_dumps_run_on_watchdog(void (*fn)(void *), void *arg, uint64_t timeout_ns)
{
	(void)fn, (void)arg, (void)timeout_ns;
	return false;
}

static void atfork_prepare(void)
{
	ls_busy_begin();
	ls_order_atfork_prepare();
	ls_lock_table_atfork_prepare();
	ls_depot_atfork_prepare();
	ls_pystack_atfork_prepare();
	ls_thread_atfork_prepare();
	ls_arena_atfork_prepare();
}

static void atfork_parent(void)
{
	ls_arena_atfork_parent();
	ls_thread_atfork_parent();
	ls_pystack_atfork_parent();
	ls_depot_atfork_parent();
	ls_lock_table_atfork_parent();
	ls_order_atfork_parent();
	ls_busy_end();
}

static void atfork_child(void)
{
	ls_arena_atfork_child();
	ls_thread_atfork_child(ls_tls.state);
	ls_single_thread_atfork_child((pid_t)syscall(SYS_gettid));
	ls_pystack_atfork_child();
	ls_depot_atfork_child();
	ls_lock_table_atfork_child();
	ls_order_atfork_child();
	ls_thread_atfork_child_collect();
	ls_output_atfork_child();
	ls_ending_init();
	ls_live_atfork_child();
	ls_dumps_atfork_child();
	ls_busy_end();
}

static void do_bootstrap(void)
{
	resolve_all();
	ls_mutex_inline_check(&(ls_glibc_mutex_functions){ real.pthread_mutex_init, real.pthread_mutex_lock,
							   real.pthread_mutex_trylock, real.pthread_mutex_unlock });
	ls_sem_inline_check(&(ls_glibc_sem_functions){ real.sem_init, real.sem_trywait, real.sem_post });
	ls_spin_inline_check(&(ls_glibc_spin_functions){ real.pthread_spin_init, real.pthread_spin_lock,
							 real.pthread_spin_trylock, real.pthread_spin_unlock });
	ls_rwlock_inline_check(&(ls_glibc_rwlock_functions){ real.pthread_rwlock_init, real.pthread_rwlock_rdlock,
							     real.pthread_rwlock_tryrdlock, real.pthread_rwlock_wrlock,
							     real.pthread_rwlock_trywrlock, real.pthread_rwlock_unlock });
	/* before the shim starts threads of its own (watchdog, publisher) */
	ls_single_thread_start();
	ls_stat_clock_start();
	ls_options_defaults(&ls_opts);
	ls_options_parse(&ls_opts, getenv("LOCKSCOPE_OPTIONS"), warn_option, NULL);
	ls_blame_set_timed(ls_opts.hold_time); /* before any lock record */
	uintptr_t start, end;
	code_segment((const void *)&find_segment, &start, &end);
	ls_depot_set_self_range(start, end);
	code_segment((const void *)&unw_backtrace, &start, &end);
	ls_depot_set_private_range(start, end);
	ls_order_set_stack_depth(ls_opts.stack_depth);
	ls_order_set_callback(ls_output_inversion);
	/* libunwind takes a lock and walks the loader's list on first use: do
	 * that now, not in the middle of a report. */
	uint64_t warmup[4];
	ls_capture_stack(warmup, 4);
	/* CPython's symbols (dlsym): found now, read later without the loader */
	ls_py_self_init();
	pthread_key_create(&cleanup_key, thread_cleanup);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	ls_exit_bootstrap();
	ls_loop_bootstrap();
	ls_live_bootstrap();
	ls_dumps_bootstrap();
}

void ls_bootstrap(void);
void ls_bootstrap(void)
{
	int expected = 0;
	if (atomic_load_explicit(&boot_state, memory_order_acquire) == 2)
		return;
	if (atomic_compare_exchange_strong(&boot_state, &expected, 1)) {
		do_bootstrap();
		atomic_store_explicit(&boot_state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&boot_state, memory_order_acquire) != 2)
		sched_yield();
}

__attribute__((constructor)) static void shim_constructor(void)
{
	ls_thread_state *t = ls_enter();
	if (t) {
		ls_output_claim_report();
		ls_ending_init();
		ls_leave();
	}
}

__attribute__((destructor)) static void shim_destructor(void)
{
	if (atomic_load(&boot_state) != 2)
		return;
	ls_ending_exit();
}

/* ---- threads ---------------------------------------------------------- */

struct start_routine {
	void *(*fn)(void *);
	void *arg;
};

/* Registers the thread before it runs user code, so dumps see every thread. */
static void *thread_trampoline(void *p)
{
	struct start_routine sr = *(struct start_routine *)p;
	ls_arena_free(p, sizeof sr);
	ls_thread_state *t = ls_enter();
	if (t)
		ls_leave();
	return sr.fn(sr.arg);
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (!ls_tls.busy) /* the program's thread, not one of lockscope's libraries' */
		ls_single_thread_end();
	ls_thread_state *t = ls_enter();
	if (!t)
		return real.pthread_create ? real.pthread_create(th, attr, fn, arg) : -1;
	struct start_routine *sr = ls_arena_alloc(sizeof *sr);
	ls_leave();
	if (!sr)
		return real.pthread_create(th, attr, fn, arg);
	sr->fn = fn;
	sr->arg = arg;
	int r = real.pthread_create(th, attr, thread_trampoline, sr);
	if (r)
		ls_arena_free(sr, sizeof *sr);
	return r;
}

/* ---- memory that held locks ------------------------------------------- */

/* A lock in heap memory freed without destroy (objects set up by
 * assignment) ends its life with the free. */
static void forget_locks_in_block(void *p)
{
	if (!p || !ls_lock_live_count() || !real.malloc_usable_size)
		return;
	ls_thread_state *t = ls_enter();
	if (!t)
		return;
	ls_track_free_range(p, real.malloc_usable_size(p));
	ls_leave();
}

/* free and realloc can be called before bootstrap (by the loader, by libc's
 * own start-up); resolve them on their own, and leak rather than recurse
 * if dlsym itself frees while resolving. */
static void *resolve_early(void *volatile *slot, const char *name)
{
	static __thread int resolving;
	if (!*slot && !resolving) {
		resolving = 1;
		*slot = dlsym(RTLD_NEXT, name);
		resolving = 0;
	}
	return *slot;
}

EXPORT void free(void *p)
{
	if (LS_UNLIKELY(!real_free) && !resolve_early((void *volatile *)&real_free, "free"))
		return;
	forget_locks_in_block(p);
	real_free(p);
}

extern void *__libc_realloc(void *, size_t);

EXPORT void *realloc(void *p, size_t size)
{
	if (LS_UNLIKELY(!real.realloc) && !resolve_early((void *volatile *)&real.realloc, "realloc"))
		return __libc_realloc(p, size);
	size_t old_size = p && real.malloc_usable_size && ls_lock_live_count() ? real.malloc_usable_size(p) : 0;
	void *q = real.realloc(p, size);
	if (old_size && q != p && (q || size == 0)) {
		ls_thread_state *t = ls_enter();
		if (t) {
			ls_track_free_range(p, old_size);
			ls_leave();
		}
	}
	return q;
}

/* ---- dlclose ------------------------------------------------------------ */

EXPORT int dlclose(void *handle)
{
	ls_thread_state *t = ls_enter();
	if (t) {
		struct link_map *lm = NULL;
		if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0])
			ls_output_remember_module(lm->l_name, lm->l_addr);
		ls_leave();
	}
	return real.dlclose ? real.dlclose(handle) : -1;
}
