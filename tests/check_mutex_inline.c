/* Unit tests of the shim's inline first attempt and release of default
 * mutexes (preload/mutex_inline.h): enabled on this glibc, they leave a
 * mutex exactly as glibc's trylock and unlock would (with one thread too,
 * where both are plain loads and stores), glibc's unlock and condition
 * waits work on a mutex acquired inline, a thread blocked in glibc's lock
 * is woken by the inline release, and other mutex kinds go to glibc.
 * Spinlocks and the rwlock paths made inline, against glibc's, across
 * threads. */
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

/* With one thread, the attempt and release are plain loads and stores
 * (glibc's own shortcut) and leave the same states; a waiter nobody
 * expected is still woken. */
START_TEST(test_single_thread_shortcut)
{
	ls_single_threaded = true;
	pthread_mutex_t ours = PTHREAD_MUTEX_INITIALIZER, theirs = PTHREAD_MUTEX_INITIALIZER;
	ck_assert_int_eq(ls_mutex_attempt(&ours, tid()), 0);
	ck_assert_int_eq(pthread_mutex_lock(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, sizeof ours);
	ck_assert_int_eq(ls_mutex_attempt(&ours, tid()), EBUSY);
	ck_assert_int_eq(ls_mutex_release(&ours), 0);
	ck_assert_int_eq(pthread_mutex_unlock(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, sizeof ours);
	/* a waiter in glibc's lock (word 2), woken by the plain release */
	pthread_t th;
	ck_assert_int_eq(ls_mutex_attempt(&contended, tid()), 0);
	entered = 0;
	pthread_create(&th, NULL, lock_with_glibc, NULL);
	while (__atomic_load_n(&contended.__data.__lock, __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	ck_assert_int_eq(ls_mutex_release(&contended), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(entered, 1);
	ls_single_threaded = false;
}
END_TEST

static ls_glibc_spin_functions glibc_spin = { pthread_spin_init, pthread_spin_lock, pthread_spin_trylock,
					      pthread_spin_unlock };
static pthread_spinlock_t spin;
static int spin_entered;

static void *spin_with_glibc(void *arg)
{
	(void)arg;
	pthread_spin_lock(&spin);
	__atomic_store_n(&spin_entered, 1, __ATOMIC_RELEASE);
	pthread_spin_unlock(&spin);
	return NULL;
}

/* Spinlocks: the start-up check passes on this glibc, the inline try and
 * release interoperate with glibc's lock across threads. */
START_TEST(test_spin_inline)
{
	ls_spin_inline_check(&glibc_spin);
	ck_assert(ls_spin_inline);
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	ck_assert_int_eq(ls_spin_try_inline(&spin), 0);
	ck_assert_int_eq(pthread_spin_trylock(&spin), EBUSY);
	pthread_t th;
	pthread_create(&th, NULL, spin_with_glibc, NULL);
	usleep(10000);
	ck_assert_int_eq(__atomic_load_n(&spin_entered, __ATOMIC_ACQUIRE), 0);
	ls_spin_release_inline(&spin);
	pthread_join(th, NULL);
	ck_assert_int_eq(spin_entered, 1);
	ck_assert_int_eq(ls_spin_try_inline(&spin), 0);
	ck_assert_int_eq(pthread_spin_unlock(&spin), 0);
	/* a glibc whose functions are not all there: off */
	glibc_spin.unlock = NULL;
	ls_spin_inline_check(&glibc_spin);
	ck_assert(!ls_spin_inline);
	glibc_spin.unlock = pthread_spin_unlock;
}
END_TEST

static const ls_glibc_rwlock_functions glibc_rwlock = { pthread_rwlock_init, pthread_rwlock_rdlock,
							pthread_rwlock_tryrdlock, pthread_rwlock_wrlock,
							pthread_rwlock_trywrlock, pthread_rwlock_unlock };
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int wrote;

static void *write_with_glibc(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&rw);
	__atomic_store_n(&wrote, 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

/* rwlocks: the start-up check passes; an inline read hold, with a writer
 * waiting in glibc, is not released inline (the writer needs the hand
 * over) and glibc's unlock lets the writer in; the inline write try
 * fails on a read-held lock. */
START_TEST(test_rwlock_read_inline_hands_over_to_a_writer)
{
	ls_rwlock_inline_check(&glibc_rwlock);
	ck_assert(ls_rwlock_inline);
	ck_assert_int_eq(ls_rwlock_tryrdlock_inline(&rw), 0);
	ck_assert_int_eq(ls_rwlock_trywrlock_inline(&rw, tid()), LS_RWLOCK_NOT_INLINE);
	pthread_t th;
	pthread_create(&th, NULL, write_with_glibc, NULL);
	while (!(__atomic_load_n(&rw.__data.__readers, __ATOMIC_ACQUIRE) & LS_GLIBC_RWLOCK_WRITER))
		usleep(1000);
	usleep(10000);
	ck_assert_int_eq(__atomic_load_n(&wrote, __ATOMIC_ACQUIRE), 0);
	ck_assert(!ls_rwlock_rdunlock_inline(&rw));
	ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(wrote, 1);
	/* after the writer: a write phase; a reader goes to glibc, a writer inline */
	ck_assert_int_eq(ls_rwlock_tryrdlock_inline(&rw), LS_RWLOCK_NOT_INLINE);
	ck_assert_int_eq(ls_rwlock_trywrlock_inline(&rw, tid()), 0);
	ck_assert_int_eq(rw.__data.__cur_writer, tid());
	ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
}
END_TEST

/* Readers and writers mixing the inline paths with glibc's on one rwlock:
 * a writer's two stores are never seen half done, and nobody hangs. */
static long pair_a, pair_b;
static void *rw_stress(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < 20000; i++) {
		if ((i + me) % 5 == 0) {
			bool inline_lock = ls_rwlock_trywrlock_inline(&rw, tid()) == 0;
			if (!inline_lock)
				pthread_rwlock_wrlock(&rw);
			pair_a++;
			pair_b++;
			pthread_rwlock_unlock(&rw);
		} else {
			if (ls_rwlock_tryrdlock_inline(&rw) != 0)
				pthread_rwlock_rdlock(&rw);
			ck_assert_int_eq(pair_a, pair_b);
			if (!ls_rwlock_rdunlock_inline(&rw))
				pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}

START_TEST(test_rwlock_inline_with_glibc_under_load)
{
	ls_rwlock_inline_check(&glibc_rwlock);
	ck_assert(ls_rwlock_inline);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, rw_stress, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(pair_a, 4 * 20000 / 5);
	ck_assert_int_eq(rw.__data.__readers & ~LS_GLIBC_RWLOCK_WRITE_PHASE, 0);
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
	tcase_add_test(tc, test_single_thread_shortcut);
	tcase_add_test(tc, test_spin_inline);
	tcase_add_test(tc, test_rwlock_read_inline_hands_over_to_a_writer);
	tcase_add_test(tc, test_rwlock_inline_with_glibc_under_load);
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
