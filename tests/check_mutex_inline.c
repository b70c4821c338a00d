/* Unit tests of the shim's inline first attempt and release of default
 * mutexes (preload/mutex_inline.h): enabled on this glibc, they leave a
 * mutex exactly as glibc's trylock and unlock would, glibc's unlock and
 * condition waits work on a mutex acquired inline, a thread blocked in
 * glibc's lock is woken by the inline release, and other mutex kinds go
 * to glibc. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutex_inline.h"

static ls_glibc_mutex_functions glibc;

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

/* The interposer's first attempt: inline where that applies, else glibc's. */
static int ls_mutex_attempt(pthread_mutex_t *m, pid_t owner)
{
	return ls_mutex_inline_applies(m) ? ls_mutex_try_inline(m, owner) : glibc.trylock(m);
}

static void setup(void)
{
	glibc = (ls_glibc_mutex_functions){ pthread_mutex_init, pthread_mutex_lock, pthread_mutex_trylock,
					    pthread_mutex_unlock };
	ls_mutex_inline_check(&glibc);
}

START_TEST(test_enabled_on_this_glibc)
{
	ck_assert(ls_mutex_inline);
}
END_TEST

/* The state after an inline acquisition equals the state after glibc's. */
START_TEST(test_same_state_as_glibc)
{
	pthread_mutex_t ours = PTHREAD_MUTEX_INITIALIZER, theirs = PTHREAD_MUTEX_INITIALIZER;
	ck_assert_int_eq(ls_mutex_attempt(&ours, tid()), 0);
	ck_assert_int_eq(pthread_mutex_trylock(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, sizeof ours);
	ck_assert_int_eq(ls_mutex_attempt(&ours, tid()), EBUSY);
	ck_assert_int_eq(pthread_mutex_unlock(&ours), 0);
	ck_assert_int_eq(pthread_mutex_unlock(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, sizeof ours);
}
END_TEST

/* Released inline after glibc's lock: the state glibc's unlock leaves. */
START_TEST(test_release_same_state_as_glibc)
{
	pthread_mutex_t ours = PTHREAD_MUTEX_INITIALIZER, theirs = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&ours);
	pthread_mutex_lock(&theirs);
	ck_assert_int_eq(ls_mutex_release(&ours), 0);
	pthread_mutex_unlock(&theirs);
	ck_assert_mem_eq(&ours, &theirs, sizeof ours);
	ck_assert_int_eq(pthread_mutex_trylock(&ours), 0);
	ck_assert_int_eq(ls_mutex_release(&ours), 0);
}
END_TEST

static pthread_mutex_t contended = PTHREAD_MUTEX_INITIALIZER;
static int entered;

static void *lock_with_glibc(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&contended);
	__atomic_store_n(&entered, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&contended);
	return NULL;
}

/* A thread asleep in glibc's lock (the lock word says 2) is woken by the
 * inline release. */
START_TEST(test_release_wakes_a_waiter)
{
	pthread_t th;
	ck_assert_int_eq(ls_mutex_attempt(&contended, tid()), 0);
	pthread_create(&th, NULL, lock_with_glibc, NULL);
	while (__atomic_load_n(&contended.__data.__lock, __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	usleep(10000); /* well inside its futex wait */
	ck_assert_int_eq(__atomic_load_n(&entered, __ATOMIC_ACQUIRE), 0);
	ck_assert_int_eq(ls_mutex_release(&contended), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(entered, 1);
	ck_assert_int_eq(contended.__data.__lock, 0);
}
END_TEST

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int flag;

static void *try_from_other_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)ls_mutex_attempt(&shared, tid());
}

static void *signal_ready(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&shared);
	flag = 1;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&shared);
	return NULL;
}

/* Another thread finds it busy; glibc's condition wait releases and
 * re-acquires a mutex the inline attempt took. */
START_TEST(test_works_with_glibc_across_threads)
{
	pthread_t th;
	void *result;
	ck_assert_int_eq(ls_mutex_attempt(&shared, tid()), 0);
	pthread_create(&th, NULL, try_from_other_thread, NULL);
	pthread_join(th, &result);
	ck_assert_int_eq((int)(intptr_t)result, EBUSY);
	pthread_create(&th, NULL, signal_ready, NULL);
	while (!flag)
		ck_assert_int_eq(pthread_cond_wait(&ready, &shared), 0);
	ck_assert_int_eq(shared.__data.__owner, tid());
	ck_assert_int_eq(pthread_mutex_unlock(&shared), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(shared.__data.__lock, 0);
}
END_TEST

/* An error-checking mutex is not a default one: glibc's trylock decides
 * (and its unlock still checks the owner). */
START_TEST(test_other_kinds_go_to_glibc)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &a);
	ck_assert_int_eq(ls_mutex_attempt(&m, tid()), 0);
	ck_assert_int_eq(ls_mutex_attempt(&m, tid()), 0); /* recursion: glibc's answer, not EBUSY */
	ck_assert_uint_eq(m.__data.__count, 2);
	ck_assert(!ls_mutex_inline_applies(&m));
	ck_assert_uint_eq(m.__data.__count, 2);
	pthread_mutex_unlock(&m);
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	ck_assert_int_eq(ls_mutex_attempt(&m, tid()), 0);
	ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
	ck_assert_int_eq(pthread_mutex_unlock(&m), EPERM);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}
END_TEST

static int trylock_calls;
static int counting_trylock(pthread_mutex_t *m)
{
	trylock_calls++;
	return pthread_mutex_trylock(m);
}

/* A glibc that does not behave as expected turns the shortcut off: every
 * attempt is then glibc's trylock. */
START_TEST(test_disabled_when_glibc_differs)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	glibc.unlock = NULL;
	ls_mutex_inline_check(&glibc);
	ck_assert(!ls_mutex_inline);
	glibc.trylock = counting_trylock;
	ck_assert_int_eq(ls_mutex_attempt(&m, tid()), 0);
	ck_assert_int_eq(ls_mutex_attempt(&m, tid()), EBUSY);
	ck_assert_int_eq(trylock_calls, 2);
	ck_assert(!ls_mutex_inline_applies(&m));
	pthread_mutex_unlock(&m);
}
END_TEST

static Suite *mutex_inline_suite(void)
{
	Suite *s = suite_create("mutex_inline");
	TCase *tc = tcase_create("attempt");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_enabled_on_this_glibc);
	tcase_add_test(tc, test_same_state_as_glibc);
	tcase_add_test(tc, test_release_same_state_as_glibc);
	tcase_add_test(tc, test_release_wakes_a_waiter);
	tcase_add_test(tc, test_works_with_glibc_across_threads);
	tcase_add_test(tc, test_other_kinds_go_to_glibc);
	tcase_add_test(tc, test_disabled_when_glibc_differs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mutex_inline_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
