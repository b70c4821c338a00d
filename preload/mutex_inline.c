/* mutex_inline.c — whether glibc's default and normal mutexes, and its
 * spinlocks, work the way mutex_inline.h assumes (see its contract). */
#include "config.h"

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutex_inline.h"

bool ls_mutex_inline;
int ls_mutex_inline_kind = -1;
bool ls_single_threaded;
bool ls_spin_inline;
bool ls_rwlock_inline;

static void set_mutex_inline(bool on)
{
	ls_mutex_inline = on;
	ls_mutex_inline_kind = on ? 0 : -1;
}

/* glibc's lll_unlock: FUTEX_WAKE of one waiter on the lock word, private
 * (a default mutex is process-private).  errno is the program's. */
int ls_mutex_wake_one(pthread_mutex_t *m)
{
	int saved = errno;
	syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	errno = saved;
	return 0;
}

/* m as glibc's lock leaves it, taken by `owner`: kind is the mutex's own. */
static bool mutex_is_held(const pthread_mutex_t *m, pid_t owner, int kind)
{
	return m->__data.__lock == 1 && m->__data.__count == 0 && m->__data.__owner == owner &&
	       m->__data.__nusers == 1 && m->__data.__kind == kind;
}

/* The inline attempt where it applies, else glibc's trylock. */
static int attempt(const ls_glibc_mutex_functions *glibc, pthread_mutex_t *m, pid_t tid)
{
	return ls_mutex_inline_applies(m) ? ls_mutex_try_inline(m, tid) : glibc->trylock(m);
}

/* glibc's lock, trylock and unlock on m (just initialized), each checked
 * for the exact state it leaves; then the inline attempt and release,
 * each paired with glibc's other half. */
static bool protocol_as_expected(const ls_glibc_mutex_functions *glibc, pthread_mutex_t *m)
{
	const pthread_mutex_t fresh = *m;
	int kind = fresh.__data.__kind;
	pid_t tid = (pid_t)syscall(SYS_gettid);
#define HELD mutex_is_held(m, tid, kind)
#define FRESH (!memcmp(m, &fresh, sizeof fresh))
	if (glibc->lock(m) != 0 || !HELD || glibc->trylock(m) != EBUSY || !HELD ||
	    glibc->unlock(m) != 0 || !FRESH || glibc->trylock(m) != 0 || !HELD ||
	    glibc->unlock(m) != 0 || !FRESH)
		return false;
	set_mutex_inline(true);
	bool single = ls_single_threaded, same = true;
	for (int one_thread = 0; one_thread < 2 && same; one_thread++) {
		ls_single_threaded = one_thread;
		same = ls_mutex_inline_applies(m) && attempt(glibc, m, tid) == 0 && HELD &&
		       attempt(glibc, m, tid) == EBUSY && glibc->unlock(m) == 0 && FRESH &&
		       glibc->lock(m) == 0 && ls_mutex_release(m) == 0 && FRESH;
	}
	ls_single_threaded = single;
	set_mutex_inline(false);
	return same;
#undef HELD
#undef FRESH
}

/* The default mutex, and a PTHREAD_MUTEX_NORMAL one: the kinds the
 * shortcut takes. */
static bool protocols_as_expected(const ls_glibc_mutex_functions *glibc)
{
	if (!glibc->init || !glibc->lock || !glibc->trylock || !glibc->unlock)
		return false;
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER, normal;
	pthread_mutexattr_t attr;
	if (!protocol_as_expected(glibc, &plain) || pthread_mutexattr_init(&attr) != 0)
		return false;
	bool ok = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL) == 0 &&
		  glibc->init(&normal, &attr) == 0 &&
		  (normal.__data.__kind & ~LS_GLIBC_MUTEX_NO_ELISION) == 0 && protocol_as_expected(glibc, &normal);
	pthread_mutexattr_destroy(&attr);
	return ok;
}

void ls_mutex_inline_check(const ls_glibc_mutex_functions *glibc)
{
	set_mutex_inline(protocols_as_expected(glibc));
}

/* glibc's spinlock functions on a fresh spinlock, each checked for the
 * exact word it leaves; then the inline attempt and release, each paired
 * with glibc's other half. */
static bool spin_as_expected(const ls_glibc_spin_functions *glibc)
{
	if (!glibc->init || !glibc->lock || !glibc->trylock || !glibc->unlock)
		return false;
	pthread_spinlock_t l = -1;
#define IS(v) (*(volatile pthread_spinlock_t *)&l == (v))
	return glibc->init(&l, PTHREAD_PROCESS_PRIVATE) == 0 && IS(LS_GLIBC_SPIN_FREE) && glibc->lock(&l) == 0 &&
	       IS(LS_GLIBC_SPIN_TAKEN) && glibc->trylock(&l) == EBUSY && IS(LS_GLIBC_SPIN_TAKEN) &&
	       glibc->unlock(&l) == 0 && IS(LS_GLIBC_SPIN_FREE) && glibc->trylock(&l) == 0 &&
	       IS(LS_GLIBC_SPIN_TAKEN) && glibc->unlock(&l) == 0 && ls_spin_try_inline(&l) == 0 &&
	       IS(LS_GLIBC_SPIN_TAKEN) && ls_spin_try_inline(&l) == EBUSY && glibc->trylock(&l) == EBUSY &&
	       glibc->unlock(&l) == 0 && IS(LS_GLIBC_SPIN_FREE) && glibc->lock(&l) == 0 &&
	       (ls_spin_release_inline(&l), IS(LS_GLIBC_SPIN_FREE));
#undef IS
}

void ls_spin_inline_check(const ls_glibc_spin_functions *glibc) { ls_spin_inline = spin_as_expected(glibc); }

/* The inline try for write leaves l as glibc's trywrlock leaves a copy
 * of it, and glibc's unlock takes it back to the copy's state after
 * glibc's own unlock. */
static bool write_try_as_expected(const ls_glibc_rwlock_functions *glibc, pthread_rwlock_t *l, pid_t tid)
{
	pthread_rwlock_t theirs = *l;
	if (ls_rwlock_trywrlock_inline(l, tid) != 0 || glibc->trywrlock(&theirs) != 0 ||
	    memcmp(l, &theirs, sizeof theirs) || ls_rwlock_trywrlock_inline(l, tid) != LS_RWLOCK_NOT_INLINE ||
	    glibc->trywrlock(l) != EBUSY)
		return false;
	return glibc->unlock(l) == 0 && glibc->unlock(&theirs) == 0 && !memcmp(l, &theirs, sizeof theirs);
}

/* glibc's read and write locks on a fresh rwlock, each checked for the
 * reader word it leaves, with the inline tries and read release in
 * between. */
static bool rwlock_as_expected(const ls_glibc_rwlock_functions *glibc)
{
	if (!glibc->init || !glibc->rdlock || !glibc->tryrdlock || !glibc->wrlock || !glibc->trywrlock ||
	    !glibc->unlock)
		return false;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	pthread_rwlock_t l;
	if (glibc->init(&l, NULL) != 0)
		return false;
	const unsigned one = LS_GLIBC_RWLOCK_READER;
#define READERS(v) (*(volatile unsigned *)&l.__data.__readers == (v))
	bool ok = READERS(0) && glibc->rdlock(&l) == 0 && READERS(one) && ls_rwlock_tryrdlock_inline(&l) == 0 &&
		  READERS(2 * one) && glibc->tryrdlock(&l) == 0 && READERS(3 * one) && ls_rwlock_rdunlock_inline(&l) &&
		  READERS(2 * one) && glibc->unlock(&l) == 0 && READERS(one) && ls_rwlock_rdunlock_inline(&l) &&
		  READERS(0) && glibc->wrlock(&l) == 0 && (l.__data.__readers & LS_GLIBC_RWLOCK_WRITER) &&
		  ls_rwlock_tryrdlock_inline(&l) == LS_RWLOCK_NOT_INLINE && glibc->tryrdlock(&l) == EBUSY &&
		  glibc->unlock(&l) == 0 && !(l.__data.__readers & LS_GLIBC_RWLOCK_WRITER) &&
		  glibc->rdlock(&l) == 0 && READERS(one) && glibc->unlock(&l) == 0 && READERS(0);
#undef READERS
	/* a write from a read phase, then from the write phase it leaves */
	return ok && write_try_as_expected(glibc, &l, tid) && write_try_as_expected(glibc, &l, tid);
}

void ls_rwlock_inline_check(const ls_glibc_rwlock_functions *glibc) { ls_rwlock_inline = rwlock_as_expected(glibc); }
