/* single_thread.c — the shim's copy of "the program has one thread" (see
 * single_thread.h), and the glibc functions that start threads without
 * going through the interposed pthread_create. */
#include "config.h"

#include <aio.h>
#include <dlfcn.h>
#include <mqueue.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/single_threaded.h>
#include <threads.h>
#include <time.h>

#include "mutex_inline.h"
#include "single_thread.h"

#define EXPORT __attribute__((visibility("default")))

static pid_t only_tid;

void ls_single_thread_start(void)
{
	ls_single_threaded = __libc_single_threaded != 0;
	only_tid = gettid();
}

void ls_single_thread_end(void) { __atomic_store_n(&ls_single_threaded, false, __ATOMIC_SEQ_CST); }

void ls_single_thread_check(pid_t tid)
{
	if (__atomic_load_n(&ls_single_threaded, __ATOMIC_RELAXED) && tid != only_tid)
		ls_single_thread_end();
}

void ls_single_thread_atfork_child(pid_t tid) { only_tid = tid; }

/* The next definition of `name`, resolved on first use. */
#define NEXT(name)                                                            \
	({                                                                    \
		static __typeof__(name) *next_;                               \
		if (!next_)                                                   \
			next_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);  \
		next_;                                                        \
	})

/* `name` clears the flag when `starts_thread`, then runs as it would. */
#define THREAD_STARTER(ret, name, params, args, starts_thread, failure)       \
	EXPORT ret name params                                                \
	{                                                                     \
		if (starts_thread)                                            \
			ls_single_thread_end();                               \
		__typeof__(name) *next = NEXT(name);                          \
		return next ? next args : failure;                            \
	}

static bool notifies_by_thread(const struct sigevent *ev) { return ev && ev->sigev_notify == SIGEV_THREAD; }

THREAD_STARTER(int, thrd_create, (thrd_t *thr, thrd_start_t fn, void *arg), (thr, fn, arg), true, thrd_error)
THREAD_STARTER(int, timer_create, (clockid_t clock, struct sigevent *restrict ev, timer_t *restrict id),
	       (clock, ev, id), notifies_by_thread(ev), -1)
THREAD_STARTER(int, mq_notify, (mqd_t q, const struct sigevent *ev), (q, ev), notifies_by_thread(ev), -1)
/* Asynchronous I/O runs on helper threads whatever the notification. */
THREAD_STARTER(int, aio_read, (struct aiocb *cb), (cb), true, -1)
THREAD_STARTER(int, aio_write, (struct aiocb *cb), (cb), true, -1)
THREAD_STARTER(int, aio_fsync, (int op, struct aiocb *cb), (op, cb), true, -1)
THREAD_STARTER(int, lio_listio,
	       (int mode, struct aiocb *const list[restrict], int n, struct sigevent *restrict ev),
	       (mode, list, n, ev), true, -1)
THREAD_STARTER(int, aio_read64, (struct aiocb64 *cb), (cb), true, -1)
THREAD_STARTER(int, aio_write64, (struct aiocb64 *cb), (cb), true, -1)
THREAD_STARTER(int, aio_fsync64, (int op, struct aiocb64 *cb), (op, cb), true, -1)
THREAD_STARTER(int, lio_listio64,
	       (int mode, struct aiocb64 *const list[restrict], int n, struct sigevent *restrict ev),
	       (mode, list, n, ev), true, -1)
THREAD_STARTER(int, getaddrinfo_a, (int mode, struct gaicb *list[restrict], int n, struct sigevent *restrict ev),
	       (mode, list, n, ev), true, EAI_SYSTEM)
