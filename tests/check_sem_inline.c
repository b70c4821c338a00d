/* Unit tests of the shim's inline semaphore attempt and post
 * (preload/sem_inline.h): enabled on this glibc, they leave a semaphore as
 * glibc's sem_trywait and sem_post would; the inline post refuses (and
 * changes nothing) while a thread waits in glibc's sem_wait, whose post
 * glibc then makes and wakes it; a semaphore at its maximum value is left
 * to glibc (EOVERFLOW).  The fast path's pair (take a free lock-like
 * semaphore, give back a held one) acts only on those two words and
 * leaves every other to the general functions or to glibc, a waiter's
 * post included. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "sem_inline.h"

/* What glibc writes of a sem_t: the word and its "private" flag (the rest
 * is padding, whatever the stack held). */
#define SEM_SIGNIFICANT_BYTES (sizeof(uint64_t) + sizeof(int))

static void setup(void)
{
	ls_sem_inline_check(&(ls_glibc_sem_functions){ sem_init, sem_trywait, sem_post });
}

START_TEST(test_enabled_on_this_glibc)
{
	ck_assert(ls_sem_inline);
	ck_assert_uint_eq(ls_sem_fast_class, LS_SEM_LOCK); /* the lock fast path is open */
}
END_TEST

START_TEST(test_same_state_as_glibc)
{
	sem_t ours, theirs;
	ck_assert_int_eq(sem_init(&ours, 0, 1), 0);
	ck_assert_int_eq(sem_init(&theirs, 0, 1), 0);
	ck_assert_int_eq(ls_sem_try_inline(&ours), 0);
	ck_assert_int_eq(sem_trywait(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, SEM_SIGNIFICANT_BYTES);
	ck_assert_int_eq(ls_sem_try_inline(&ours), EAGAIN);
	ck_assert_int_eq(sem_trywait(&theirs), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_mem_eq(&ours, &theirs, SEM_SIGNIFICANT_BYTES);
	ck_assert(ls_sem_post_uncontended(&ours));
	ck_assert_int_eq(sem_post(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, SEM_SIGNIFICANT_BYTES);
	int value = -1;
	ck_assert_int_eq(sem_getvalue(&ours, &value), 0);
	ck_assert_int_eq(value, 1);
}
END_TEST

static sem_t waited;
static volatile int woken;

static void *waiter(void *arg)
{
	(void)arg;
	ck_assert_int_eq(sem_wait(&waited), 0);
	woken = 1;
	return NULL;
}

/* Starts a thread waiting in glibc's sem_wait on `waited` (initialized
 * by the caller) and returns once glibc counts it in the word's high half
 * (a bounded wait), the word then. */
static uint64_t start_waiter(pthread_t *t)
{
	woken = 0;
	ck_assert_int_eq(pthread_create(t, NULL, waiter, NULL), 0);
	for (int i = 0; i < 5000 && (__atomic_load_n(ls_sem_word(&waited), __ATOMIC_RELAXED) >> LS_SEM_NWAITERS_SHIFT) == 0;
	     i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	uint64_t word = __atomic_load_n(ls_sem_word(&waited), __ATOMIC_RELAXED);
	ck_assert_uint_eq(word >> LS_SEM_NWAITERS_SHIFT, 1);
	return word;
}

/* The post `refused` refused to act (the word unchanged): glibc's post
 * wakes the waiter of start_waiter. */
static void glibc_wakes_waiter(pthread_t t, bool refused, uint64_t before)
{
	ck_assert(refused);
	ck_assert_uint_eq(__atomic_load_n(ls_sem_word(&waited), __ATOMIC_RELAXED), before);
	ck_assert_int_eq(sem_post(&waited), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(woken, 1);
}

/* A waiter registered in the word: the inline post leaves it to glibc. */
START_TEST(test_post_with_waiter_goes_to_glibc)
{
	ck_assert_int_eq(sem_init(&waited, 0, 0), 0);
	pthread_t t;
	uint64_t before = start_waiter(&t);
	glibc_wakes_waiter(t, !ls_sem_post_uncontended(&waited), before);
}
END_TEST

START_TEST(test_at_maximum_goes_to_glibc)
{
	sem_t s;
	ck_assert_int_eq(sem_init(&s, 0, SEM_VALUE_MAX), 0);
	ck_assert(!ls_sem_post_uncontended(&s));
	ck_assert_int_eq(sem_post(&s), -1);
	ck_assert_int_eq(errno, EOVERFLOW);
}
END_TEST

START_TEST(test_process_shared_too)
{
	sem_t s;
	ck_assert_int_eq(sem_init(&s, 1, 2), 0);
	ck_assert_int_eq(ls_sem_try_inline(&s), 0);
	ck_assert_int_eq(sem_trywait(&s), 0);
	ck_assert_int_eq(ls_sem_try_inline(&s), EAGAIN);
	ck_assert(ls_sem_post_uncontended(&s));
	ck_assert_int_eq(sem_trywait(&s), 0);
}
END_TEST

START_TEST(test_lock_pair_as_glibc_and_only_on_its_words)
{
	sem_t ours, theirs;
	ck_assert_int_eq(sem_init(&ours, 0, 1), 0);
	ck_assert_int_eq(sem_init(&theirs, 0, 1), 0);
	ck_assert_int_eq(ls_sem_take_free(&ours), 0);
	ck_assert_int_eq(sem_trywait(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, SEM_SIGNIFICANT_BYTES);
	ck_assert_int_eq(ls_sem_take_free(&ours), EAGAIN);
	ck_assert(ls_sem_give_back(&ours));
	ck_assert_int_eq(sem_post(&theirs), 0);
	ck_assert_mem_eq(&ours, &theirs, SEM_SIGNIFICANT_BYTES);
	/* a value of 2 (posted by somebody else meanwhile): neither acts */
	ck_assert_int_eq(sem_post(&ours), 0);
	ck_assert(!ls_sem_give_back(&ours));
	ck_assert_int_eq(ls_sem_take_free(&ours), LS_SEM_NOT_INLINE);
	ck_assert_uint_eq(__atomic_load_n(ls_sem_word(&ours), __ATOMIC_RELAXED), 2);
}
END_TEST

/* A waiter registered in the word of a held semaphore: giving back is
 * glibc's post, which wakes it. */
START_TEST(test_give_back_with_waiter_goes_to_glibc)
{
	ck_assert_int_eq(sem_init(&waited, 0, 1), 0);
	ck_assert_int_eq(ls_sem_take_free(&waited), 0);
	pthread_t t;
	uint64_t before = start_waiter(&t);
	glibc_wakes_waiter(t, !ls_sem_give_back(&waited), before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sem_inline");
	TCase *tc = tcase_create("inline");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_enabled_on_this_glibc);
	tcase_add_test(tc, test_same_state_as_glibc);
	tcase_add_test(tc, test_post_with_waiter_goes_to_glibc);
	tcase_add_test(tc, test_at_maximum_goes_to_glibc);
	tcase_add_test(tc, test_process_shared_too);
	tcase_add_test(tc, test_lock_pair_as_glibc_and_only_on_its_words);
	tcase_add_test(tc, test_give_back_with_waiter_goes_to_glibc);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
