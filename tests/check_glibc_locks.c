/* check_glibc_locks.c — unit tests of lib/attach/glibc_locks.c: glibc 2.36 mutex
 * and rwlock layouts read from this very process with process_vm_readv,
 * the wait classification and the wait-for cycle finder. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach/glibc_locks.h"

static uint64_t my_tid(void)
{
	return (uint64_t)syscall(SYS_gettid);
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Locks a mutex of the given type and attributes, reads it back. */
static void check_owner(int type, int robust, int protocol, const char *type_name)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, type);
	pthread_mutexattr_setrobust(&attr, robust);
	pthread_mutexattr_setprotocol(&attr, protocol);
	ck_assert_int_eq(pthread_mutex_init(&m, &attr), 0);

	ls_glibc_mutex state;
	ck_assert_int_eq(ls_glibc_read_mutex(getpid(), addr(&m), &state), 0);
	ck_assert_uint_eq(state.owner_tid, 0);
	ck_assert_int_eq(pthread_mutex_lock(&m), 0);
	ck_assert_int_eq(ls_glibc_read_mutex(getpid(), addr(&m), &state), 0);
	ck_assert_uint_eq(state.owner_tid, my_tid());
	ck_assert_str_eq(state.type, type_name);
	ck_assert_int_eq(state.robust, robust == PTHREAD_MUTEX_ROBUST);
	ck_assert_int_eq(state.pi, protocol == PTHREAD_PRIO_INHERIT);
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&attr);
}

START_TEST(test_mutex_owner_normal)
{
	check_owner(PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, "normal");
}
END_TEST

START_TEST(test_mutex_owner_errorcheck)
{
	check_owner(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, "errorcheck");
}
END_TEST

START_TEST(test_mutex_owner_robust)
{
	check_owner(PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, "normal");
}
END_TEST

START_TEST(test_mutex_owner_pi)
{
	check_owner(PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT, "normal");
}
END_TEST

START_TEST(test_mutex_recursive_count)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &attr);
	pthread_mutex_lock(&m);
	pthread_mutex_lock(&m);
	ls_glibc_mutex state;
	ck_assert_int_eq(ls_glibc_read_mutex(getpid(), addr(&m), &state), 0);
	ck_assert_str_eq(state.type, "recursive");
	ck_assert_uint_eq(state.count, 2);
	ck_assert_uint_eq(state.owner_tid, my_tid());
	pthread_mutex_unlock(&m);
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
}
END_TEST

START_TEST(test_read_unmapped_fails)
{
	ls_glibc_mutex state;
	ck_assert_int_eq(ls_glibc_read_mutex(getpid(), 16, &state), -1);
}
END_TEST

/* A heap rwlock between non-zero bytes, as in a real allocation. */
struct padded_rwlock {
	uint64_t before[4];
	pthread_rwlock_t rw;
	uint64_t after[4];
};

START_TEST(test_rwlock_writer_from_each_field)
{
	struct padded_rwlock *p = malloc(sizeof *p);
	for (int i = 0; i < 4; i++)
		p->before[i] = p->after[i] = 0x0101010101010101ULL * (unsigned)(i + 1);
	pthread_rwlock_init(&p->rw, NULL);
	ck_assert_int_eq(pthread_rwlock_wrlock(&p->rw), 0);
	uint64_t base = addr(&p->rw), found;
	ls_glibc_rwlock state;
	/* A writer waits on __writers_futex (12) or __wrphase_futex (8). */
	for (long field = 8; field <= 12; field += 4) {
		ck_assert_int_eq(ls_glibc_find_rwlock(getpid(), base + (uint64_t)field, LS_WAIT_RWLOCK_WRITE, -1,
						      &found, &state), 0);
		ck_assert_uint_eq(found, base);
		ck_assert_uint_eq((uint64_t)state.cur_writer, my_tid());
	}
	/* A reader waits on __wrphase_futex (8) or __readers (0). */
	for (long field = 0; field <= 8; field += 8) {
		ck_assert_int_eq(ls_glibc_find_rwlock(getpid(), base + (uint64_t)field, LS_WAIT_RWLOCK_READ, -1,
						      &found, &state), 0);
		ck_assert_uint_eq(found, base);
	}
	/* A known offset (from a symbol "name+12") decides directly. */
	ck_assert_int_eq(ls_glibc_find_rwlock(getpid(), base + 12, LS_WAIT_RWLOCK_WRITE, 12, &found, &state), 0);
	ck_assert_uint_eq(found, base);
	pthread_rwlock_unlock(&p->rw);
	pthread_rwlock_destroy(&p->rw);
	free(p);
}
END_TEST

START_TEST(test_rwlock_decode_rejects_garbage)
{
	unsigned char raw[56];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	ls_glibc_rwlock state;
	ls_glibc_decode_rwlock(raw, &state);
	ck_assert(!state.plausible);
}
END_TEST

static ls_frame frame_named(const char *name)
{
	ls_frame f = { .function = (char *)name };
	return f;
}

START_TEST(test_wait_kind_from_frames)
{
	ls_frame mutex_frames[] = { frame_named("futex_wait"), frame_named("__GI___lll_lock_wait"),
				    frame_named("__pthread_mutex_lock"), frame_named("main") };
	ls_stack s = { mutex_frames, 4 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_MUTEX);

	ls_frame rw_frames[] = { frame_named("__futex_abstimed_wait_common"),
				 frame_named("__pthread_rwlock_wrlock_full64"), frame_named("pthread_rwlock_wrlock") };
	s = (ls_stack){ rw_frames, 3 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_RWLOCK_WRITE);
	rw_frames[1] = frame_named("__pthread_rwlock_rdlock_full64");
	rw_frames[2] = frame_named("pthread_rwlock_rdlock");
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_RWLOCK_READ);

	/* Re-locking the mutex inside a condvar wait is a mutex wait. */
	ls_frame cond_relock[] = { frame_named("__GI___lll_lock_wait"), frame_named("__pthread_mutex_cond_lock"),
				   frame_named("__pthread_cond_wait_common"), frame_named("worker") };
	s = (ls_stack){ cond_relock, 4 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_MUTEX);
	ls_frame cond_wait[] = { frame_named("__futex_abstimed_wait_common"), frame_named("__pthread_cond_wait_common"),
				 frame_named("___pthread_cond_wait"), frame_named("worker") };
	s = (ls_stack){ cond_wait, 4 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_CONDVAR);

	ls_frame internal[] = { frame_named("futex_wait"), frame_named("__lll_lock_wait_private"),
				frame_named("pthread_create"), frame_named("dispatcher") };
	s = (ls_stack){ internal, 4 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_INTERNAL_LOCK);

	ls_frame unknown[] = { frame_named("syscall"), { .function = NULL } };
	s = (ls_stack){ unknown, 2 };
	ck_assert_int_eq(ls_glibc_wait_kind(&s), LS_WAIT_OTHER_FUTEX);
}
END_TEST

START_TEST(test_futex_wait_ops)
{
	uint64_t args[6] = { 0x1000, 0 /* FUTEX_WAIT */ };
	ck_assert(ls_is_futex_wait(SYS_futex, args));
	args[1] = 128 | 9; /* FUTEX_WAIT_BITSET_PRIVATE */
	ck_assert(ls_is_futex_wait(SYS_futex, args));
	args[1] = 6; /* FUTEX_LOCK_PI */
	ck_assert(ls_is_futex_wait(SYS_futex, args));
	args[1] = 128 | 1; /* FUTEX_WAKE_PRIVATE */
	ck_assert(!ls_is_futex_wait(SYS_futex, args));
	args[1] = 0;
	ck_assert(!ls_is_futex_wait(SYS_nanosleep, args));
}
END_TEST

START_TEST(test_cycles)
{
	/* 0 -> 1 -> 2 -> 0 is a cycle; 3 -> 0 waits into it; 4 waits for
	 * itself; 5 -> 6 and 6 waits for nobody. */
	size_t next[] = { 1, 2, 0, 0, 4, 6, SIZE_MAX };
	size_t cycle_of[7];
	ck_assert_uint_eq(ls_find_wait_cycles(next, 7, cycle_of), 2);
	ck_assert_uint_eq(cycle_of[0], cycle_of[1]);
	ck_assert_uint_eq(cycle_of[1], cycle_of[2]);
	ck_assert_uint_ne(cycle_of[0], SIZE_MAX);
	ck_assert_uint_eq(cycle_of[3], SIZE_MAX);
	ck_assert_uint_ne(cycle_of[4], SIZE_MAX);
	ck_assert_uint_ne(cycle_of[4], cycle_of[0]);
	ck_assert_uint_eq(cycle_of[5], SIZE_MAX);
	ck_assert_uint_eq(cycle_of[6], SIZE_MAX);
	ck_assert_uint_eq(ls_find_wait_cycles(next, 0, cycle_of), 0);
}
END_TEST

static Suite *glibc_locks_suite(void)
{
	Suite *s = suite_create("glibc_locks");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_mutex_owner_normal);
	tcase_add_test(tc, test_mutex_owner_errorcheck);
	tcase_add_test(tc, test_mutex_owner_robust);
	tcase_add_test(tc, test_mutex_owner_pi);
	tcase_add_test(tc, test_mutex_recursive_count);
	tcase_add_test(tc, test_read_unmapped_fails);
	tcase_add_test(tc, test_rwlock_writer_from_each_field);
	tcase_add_test(tc, test_rwlock_decode_rejects_garbage);
	tcase_add_test(tc, test_wait_kind_from_frames);
	tcase_add_test(tc, test_futex_wait_ops);
	tcase_add_test(tc, test_cycles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(glibc_locks_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
