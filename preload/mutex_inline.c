/* mutex_inline.c — whether glibc's default mutex works the way
 * mutex_inline.h assumes (see its contract). */
#include "config.h"

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutex_inline.h"

bool ls_mutex_inline;

/* glibc's lll_unlock: FUTEX_WAKE of one waiter on the lock word, private
 * (a default mutex is process-private).  errno is the program's. */
int ls_mutex_wake_one(pthread_mutex_t *m)
{
	int saved = errno;
	syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	errno = saved;
	return 0;
}

static bool mutex_is_held(const pthread_mutex_t *m, pid_t owner)
{
	return m->__data.__lock == 1 && m->__data.__count == 0 && m->__data.__owner == owner &&
	       m->__data.__nusers == 1 && m->__data.__kind == 0;
}

static bool mutex_is_fresh(const pthread_mutex_t *m)
{
	static const pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	return !memcmp(m, &fresh, sizeof *m);
}

/* glibc's lock, trylock and unlock on a default mutex, each checked for
 * the exact state it leaves; then the inline attempt and release, each
 * paired with glibc's other half. */
static bool protocol_as_expected(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (!real.pthread_mutex_lock || !real.pthread_mutex_trylock || !real.pthread_mutex_unlock)
		return false;
	if (real.pthread_mutex_lock(&m) != 0 || !mutex_is_held(&m, tid))
		return false;
	if (real.pthread_mutex_trylock(&m) != EBUSY || !mutex_is_held(&m, tid))
		return false;
	if (real.pthread_mutex_unlock(&m) != 0 || !mutex_is_fresh(&m))
		return false;
	if (real.pthread_mutex_trylock(&m) != 0 || !mutex_is_held(&m, tid))
		return false;
	if (real.pthread_mutex_unlock(&m) != 0 || !mutex_is_fresh(&m))
		return false;
	ls_mutex_inline = true;
	bool same = ls_mutex_attempt(&m, tid) == 0 && mutex_is_held(&m, tid) && ls_mutex_attempt(&m, tid) == EBUSY &&
		    real.pthread_mutex_unlock(&m) == 0 && mutex_is_fresh(&m) && real.pthread_mutex_lock(&m) == 0 &&
		    ls_mutex_release(&m) == 0 && mutex_is_fresh(&m);
	ls_mutex_inline = false;
	return same;
}

void ls_mutex_inline_check(void)
{
	ls_mutex_inline = protocol_as_expected();
}
