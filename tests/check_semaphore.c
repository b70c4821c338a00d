/* Unit tests of lib/core/semaphore.c, driven with real glibc semaphores
 * and thread states from the registry: a semaphore is a lock until it
 * shows it is a signal (posted by a thread not holding it, taken twice,
 * counting); a cycle through it waits for confirmation and is rejected
 * when it turns out a signal; a C program's sem_trywait never orders;
 * calls that took or posted a signal are marked for the fast path (and a
 * post's entry makes no call site); once controls are held while their
 * routine runs; barrier waits are published. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

#include "core/order_graph.h"
#include "core/semaphore.h"
#include "core/site_stats.h"

static int sem_try(void *s) { return sem_trywait(s) == 0 ? 0 : errno; }
static int sem_block(const ls_lock_call *c) { return sem_wait(c->lock) == 0 ? 0 : errno; }

static ls_lock_call sem_call(sem_t *s)
{
	return (ls_lock_call){ .lock = s, .attempt = sem_try, .block = sem_block, .busy_code = EAGAIN,
			       .owner_dead_code = -1 };
}

static int try_mutex(void *lock) { return pthread_mutex_trylock(lock); }
static int block_mutex(const ls_lock_call *c) { return pthread_mutex_lock(c->lock); }

static void lock_mutex(ls_thread_state *t, pthread_mutex_t *m, uintptr_t site)
{
	ls_lock_call c = { .lock = m, .attempt = try_mutex, .block = block_mutex, .busy_code = EBUSY,
			   .owner_dead_code = EOWNERDEAD };
	ck_assert_int_eq(ls_track_lock(t, &c, LS_KIND_MUTEX, LS_MODE_EXCL, site), 0);
}

static void unlock_mutex(ls_thread_state *t, pthread_mutex_t *m)
{
	ls_track_unlock_slow(t, m);
	pthread_mutex_unlock(m);
}

static void take(ls_thread_state *t, sem_t *s, uintptr_t site)
{
	ls_lock_call c = sem_call(s);
	ck_assert_int_eq(ls_track_sem_wait(t, &c, site), 0);
}

#define POST_SITE 0x180

static void give(ls_thread_state *t, sem_t *s)
{
	ls_track_sem_post(t, s, POST_SITE);
	sem_post(s);
}

static ls_lock *record_of(sem_t *s) { return ls_lock_find((uintptr_t)s); }

/* A semaphore of `value` that thread t initializes. */
static void make(ls_thread_state *t, sem_t *s, unsigned value)
{
	ck_assert_int_eq(sem_init(s, 0, value), 0);
	ls_track_sem_init(t, s, value, 0x100);
}

static void setup(void) { ls_order_set_stack_depth(8); }

START_TEST(test_binary_taken_and_posted_by_one_thread_is_a_lock)
{
	ls_thread_state *t = ls_thread_register();
	sem_t s;
	make(t, &s, 1);
	take(t, &s, 0x110);
	ck_assert_ptr_nonnull(ls_held_find(t, (uintptr_t)&s));
	give(t, &s);
	ck_assert_ptr_null(ls_held_find(t, (uintptr_t)&s));
	take(t, &s, 0x110);
	give(t, &s);
	ck_assert(!ls_lock_is_signal(record_of(&s)));
	ck_assert_str_eq(ls_sem_class_name(record_of(&s)), "lock");
	ls_counts_collect();
	ck_assert_uint_eq(atomic_load(&record_of(&s)->acquisitions), 2);
}
END_TEST

START_TEST(test_counting_is_a_signal)
{
	ls_thread_state *t = ls_thread_register();
	sem_t s;
	make(t, &s, 4);
	ck_assert(ls_lock_is_signal(record_of(&s)));
	ck_assert_str_eq(ls_sem_reason_text(record_of(&s)), "counting");
	take(t, &s, 0x110);
	ck_assert_ptr_null(ls_held_find(t, (uintptr_t)&s)); /* a signal is never held */
}
END_TEST

START_TEST(test_posted_by_another_thread_is_a_signal)
{
	ls_thread_state *taker = ls_thread_register(), *poster = ls_thread_register();
	sem_t s;
	make(taker, &s, 1);
	take(taker, &s, 0x110);
	ck_assert(!ls_lock_is_signal(record_of(&s)));
	give(poster, &s);
	ck_assert(ls_lock_is_signal(record_of(&s)));
	ck_assert_str_eq(ls_sem_reason_text(record_of(&s)), "posted by a thread that did not take it");
}
END_TEST

START_TEST(test_taken_twice_is_a_signal_not_a_self_deadlock)
{
	ls_thread_state *t = ls_thread_register();
	sem_t s;
	make(t, &s, 1);
	ls_lock_call c = sem_call(&s);
	ck_assert_int_eq(ls_track_sem_trywait(t, &c, 0x120), 0);
	ck_assert_ptr_nonnull(ls_held_find(t, (uintptr_t)&s));
	sem_post(&s); /* a post the tracker did not see: the semaphore has a value again */
	ck_assert_int_eq(ls_track_sem_trywait(t, &c, 0x120), 0);
	ck_assert(ls_lock_is_signal(record_of(&s)));
	ck_assert_str_eq(ls_sem_reason_text(record_of(&s)), "taken twice by one thread");
	ck_assert_ptr_null(ls_held_find(t, (uintptr_t)&s));
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_NONE);
}
END_TEST

START_TEST(test_cycle_through_a_lock_like_semaphore_is_confirmed)
{
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	sem_t s;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	make(t1, &s, 1);
	take(t1, &s, 0x110);
	lock_mutex(t1, &m, 0x111);
	unlock_mutex(t1, &m);
	give(t1, &s);
	lock_mutex(t2, &m, 0x120);
	take(t2, &s, 0x121);
	give(t2, &s);
	unlock_mutex(t2, &m);
	/* held back, not reported */
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	ck_assert_uint_eq(ls_order_pending_count(), 1);
	ck_assert_uint_eq(ls_order_confirm_pending(), 1);
	ck_assert_uint_eq(ls_order_finding_count(), 1);
	ck_assert_uint_eq(ls_order_pending_count(), 0);
	const ls_inversion_finding *f = ls_order_findings();
	ck_assert_uint_eq(f->n, 2);
	ck_assert(f->edges[0].from_kind == LS_KIND_SEM || f->edges[1].from_kind == LS_KIND_SEM);
	ck_assert_uint_eq(ls_order_confirm_pending(), 0);
}
END_TEST

START_TEST(test_cycle_through_a_signal_is_rejected)
{
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register(), *main = ls_thread_register();
	sem_t s;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	make(t1, &s, 1);
	take(t1, &s, 0x110);          /* t1 takes the baton... */
	lock_mutex(t1, &m, 0x111);
	unlock_mutex(t1, &m);
	sem_post(&s);                 /* (so that t2's wait below does not block) */
	lock_mutex(t2, &m, 0x120);
	ls_lock_call c = sem_call(&s);
	ck_assert_int_eq(ls_track_sem_wait(t2, &c, 0x121), 0);
	unlock_mutex(t2, &m);
	ck_assert_uint_eq(ls_order_pending_count(), 1);
	give(main, &s);               /* ...and main, which never took it, passes it on */
	ck_assert(ls_lock_is_signal(record_of(&s)));
	ck_assert_uint_eq(ls_order_pending_count(), 0);
	ck_assert_uint_eq(ls_order_rejected_count(), 1);
	ck_assert_uint_eq(ls_order_edge_count(), 0); /* its edges are gone */
	ck_assert_uint_eq(ls_order_confirm_pending(), 0);
	ck_assert_uint_eq(ls_order_finding_count(), 0);
	/* and it orders nothing from now on */
	lock_mutex(t2, &m, 0x120);
	take(t2, &s, 0x121);
	unlock_mutex(t2, &m);
	ck_assert_uint_eq(ls_order_edge_count(), 0);
}
END_TEST

START_TEST(test_c_trywait_under_a_lock_is_a_try)
{
	ls_thread_state *t = ls_thread_register();
	sem_t s;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	make(t, &s, 1);
	lock_mutex(t, &m, 0x130);
	ls_lock_call c = sem_call(&s);
	ck_assert_int_eq(ls_track_sem_trywait(t, &c, 0x131), 0);
	ck_assert_uint_eq(ls_order_edge_count(), 0);
	/* not marked known: the same call meant to block elsewhere is examined */
	struct ls_call_cache_entry *e = ls_call_find(t, 0x131, (uintptr_t)&s);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->edges_known_sig, LS_SIG_UNCHECKED);
	give(t, &s);
	unlock_mutex(t, &m);
	/* with nothing held there is nothing to miss: marked */
	ck_assert_int_eq(ls_track_sem_trywait(t, &c, 0x131), 0);
	ck_assert_uint_ne(e->edges_known_sig, LS_SIG_UNCHECKED);
	give(t, &s);
}
END_TEST

/* The mark the fast path looks for on (site, s) in t's call cache. */
static bool signal_marked(ls_thread_state *t, uintptr_t site, sem_t *s)
{
	const struct ls_call_cache_entry *e = ls_call_find(t, site, (uintptr_t)s);
	return e && e->edges_known_sig == ls_sem_signal_known(atomic_load(&e->lock->live_id));
}

START_TEST(test_signal_calls_marked_for_the_fast_path)
{
	ls_thread_state *taker = ls_thread_register(), *poster = ls_thread_register();
	sem_t s;
	make(taker, &s, 1);
	take(taker, &s, 0x160);
	ck_assert(!signal_marked(taker, 0x160, &s)); /* a lock's call: edges known instead */
	give(poster, &s);                            /* a signal from now on */
	ck_assert(signal_marked(poster, POST_SITE, &s));
	ck_assert_ptr_null(ls_site_find(record_of(&s)->id, POST_SITE)); /* a post is no acquisition site */
	/* the taker still holds its entry from before: the next take drops it
	 * first, and only then marks the call */
	ck_assert_ptr_nonnull(ls_held_find(taker, (uintptr_t)&s));
	take(taker, &s, 0x160);
	ck_assert_ptr_null(ls_held_find(taker, (uintptr_t)&s));
	ck_assert(signal_marked(taker, 0x160, &s));
	/* a post by a thread that holds no entry of it marks that call too */
	give(taker, &s);
	ck_assert(signal_marked(taker, POST_SITE, &s));
	/* a new life is a new semaphore: no mark */
	make(taker, &s, 1);
	ck_assert(!signal_marked(taker, 0x160, &s));
	ck_assert(!signal_marked(taker, POST_SITE, &s));
}
END_TEST

static pthread_once_t control;

START_TEST(test_once_control_held_while_its_routine_runs)
{
	ls_thread_state *t = ls_thread_register();
	ls_track_once_begin(t, &control, 0x140);
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_LOCK); /* it may wait for another initialiser */
	ls_track_once_run(t, &control, 0x140);
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_NONE);
	ls_held *h = ls_held_find(t, (uintptr_t)&control);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->lock->kind, LS_KIND_ONCE);
	/* the routine calls pthread_once on its own control (glibc: in progress) */
	control = 1;
	ls_track_once_begin(t, &control, 0x141);
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_LOCK);
	ck_assert_ptr_eq(atomic_load(&t->waiting_on), h->lock); /* waits for what it holds */
	ls_track_once_end(t);
	ls_track_once_ran(t, &control);
	ck_assert_ptr_null(ls_held_find(t, (uintptr_t)&control));
}
END_TEST

START_TEST(test_barrier_wait_published_with_its_count)
{
	ls_thread_state *t = ls_thread_register();
	pthread_barrier_t b;
	ls_track_barrier_init(t, &b, 3, 0x150);
	ls_track_barrier_wait_begin(t, &b);
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_BARRIER);
	ls_lock *l = atomic_load(&t->waiting_on);
	ck_assert_int_eq(l->kind, LS_KIND_BARRIER);
	ck_assert_uint_eq(atomic_load(&l->object_count), 3);
	ls_track_barrier_wait_end(t);
	ck_assert_int_eq(atomic_load(&t->wait_kind), LS_WAIT_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("semaphore");
	TCase *tc = tcase_create("semaphore");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_binary_taken_and_posted_by_one_thread_is_a_lock);
	tcase_add_test(tc, test_counting_is_a_signal);
	tcase_add_test(tc, test_posted_by_another_thread_is_a_signal);
	tcase_add_test(tc, test_taken_twice_is_a_signal_not_a_self_deadlock);
	tcase_add_test(tc, test_cycle_through_a_lock_like_semaphore_is_confirmed);
	tcase_add_test(tc, test_cycle_through_a_signal_is_rejected);
	tcase_add_test(tc, test_c_trywait_under_a_lock_is_a_try);
	tcase_add_test(tc, test_signal_calls_marked_for_the_fast_path);
	tcase_add_test(tc, test_once_control_held_while_its_routine_runs);
	tcase_add_test(tc, test_barrier_wait_published_with_its_count);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
