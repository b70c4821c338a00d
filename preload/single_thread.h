/* single_thread.h — whether the program has one thread.
 *
 * Contract: ls_single_threaded (mutex_inline.h) is true only while the
 * program has had exactly one thread: the shim's own threads (the
 * watchdog, the live publisher), which never touch the program's locks,
 * do not count.  glibc keeps the same fact for itself in
 * __libc_single_threaded, but the shim's watchdog clears that one at
 * start-up; so the shim reads it at bootstrap, before starting any thread
 * of its own, and clears its own copy wherever glibc would clear its:
 * before every thread the program creates (pthread_create, thrd_create,
 * and the glibc functions that start helper threads running program code:
 * SIGEV_THREAD timers and message-queue notifications, asynchronous I/O,
 * getaddrinfo_a), by the creating thread, while it is still the only one.
 * A thread that shows up anyway (created by some other means) clears it
 * when it first calls a lock function.
 *
 * Why: glibc's mutex lock and unlock take no atomic instruction while the
 * program has one thread; the shim's inline path (mutex_inline.h) does the
 * same, or a single-threaded program would pay two atomics per pair under
 * the shim that it does not pay without it (3x the native time).
 */
#ifndef LOCKSCOPE_SINGLE_THREAD_H
#define LOCKSCOPE_SINGLE_THREAD_H

#include <sys/types.h>

/* At bootstrap, before the shim starts a thread: glibc's word for it. */
void ls_single_thread_start(void);
/* A thread other than the program's only one is about to exist (or did). */
void ls_single_thread_end(void);
/* A thread registered with the tracker (its first lock call): not the
 * only thread, unless it is the one seen at start. */
void ls_single_thread_check(pid_t tid);
/* In a forked child: the survivor is the process's only thread. */
void ls_single_thread_atfork_child(pid_t tid);

#endif
