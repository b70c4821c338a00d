/* Unit tests of lib/core/live_stats.c: the core's state published into a shared
 * file and read back by the lock-free reader (header, tables, truncation to
 * capacity, the final publication), the reader's refusals (no file, a
 * symlink, another format, a newer version, a truncated file), and the
 * sequence counter protocol against a concurrent writer. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/live_stats.h"
#include "core/lock_table.h"
#include "core/order_graph.h"
#include "core/site_stats.h"
#include "core/thread_state.h"

#define ADDR(i) ((uintptr_t)0x7f0000600000 + (uintptr_t)(i) * 64)
#define SITE(i) ((uintptr_t)0x402000 + (uintptr_t)(i) * 0x10)

static const ls_live_capacity small = { .locks = 8, .sites = 8, .threads = 4, .inversions = 2 };

/* A live statistics file at `path`, mapped shared, header initialized. */
struct region { char path[128]; void *base; size_t size; };

static void region_create(struct region *r, const char *path, const ls_live_capacity *cap)
{
	snprintf(r->path, sizeof r->path, "%s", path);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "cannot create %s: %s", path, strerror(errno));
	r->size = ls_live_size(cap);
	ck_assert_int_eq(ftruncate(fd, (off_t)r->size), 0);
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ck_assert(r->base != MAP_FAILED);
	ls_live_init(r->base, cap, getpid(), "/usr/bin/my-server", true);
}

static void region_destroy(struct region *r)
{
	munmap(r->base, r->size);
	unlink(r->path);
}

static void temp_region(struct region *r, const ls_live_capacity *cap)
{
	char path[] = "/tmp/check_live_stats.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	region_create(r, path, cap);
}

static void pid_region(struct region *r)
{
	char path[64];
	ls_live_path(getpid(), path, sizeof path);
	unlink(path);
	region_create(r, path, &small);
}

/* A lock with the given counters. */
static ls_lock *lock_with(int i, uint64_t acquisitions, uint64_t contended, uint64_t wait_ns)
{
	ls_lock *l = ls_lock_get(ADDR(i), LS_KIND_MUTEX);
	atomic_store(&l->acquisitions, acquisitions);
	atomic_store(&l->contended, contended);
	atomic_store(&l->wait_ns, wait_ns);
	atomic_store(&l->max_wait_ns, wait_ns / 2);
	atomic_store(&l->hold_ns, 3 * acquisitions);
	return l;
}

/* Takes a then b with the order graph watching, as the tracker does. */
static void take_pair(ls_thread_state *t, ls_lock *a, ls_lock *b)
{
	ls_lock *pair[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		ls_order_before_acquire(t, pair[i], LS_MODE_EXCL);
		ls_held *h = ls_held_push(t, &(ls_hold){ .addr = pair[i]->addr, .lock = pair[i],
							  .lock_id = pair[i]->id, .mode = LS_MODE_EXCL });
		ck_assert_ptr_nonnull(h);
	}
	for (int i = 2; i-- > 0;)
		ls_held_remove(t, ls_held_find(t, pair[i]->addr));
}

static const ls_live_lock *find_lock(const ls_live_snapshot *s, uintptr_t addr)
{
	for (size_t i = 0; i < s->header.n_locks; i++)
		if (s->locks[i].addr == addr)
			return &s->locks[i];
	return NULL;
}

START_TEST(test_publish_and_read_back)
{
	ls_site_reset_for_tests();
	ls_lock *calm = lock_with(1, 50, 0, 0), *hot = lock_with(2, 700, 30, 900000);
	ls_lock_get(ADDR(3), LS_KIND_MUTEX);  /* never acquired: not published */
	ls_site_stat *site = ls_site_get(hot, SITE(1), 0);
	atomic_store(&site->acquisitions, 650);
	atomic_store(&site->contended, 29);
	atomic_store(&site->wait_ns, 850000);
	atomic_store(&site->blamed_wait_ns, 123456);
	ls_thread_state *t1 = ls_thread_register(), *t2 = ls_thread_register();
	take_pair(t1, calm, hot);
	take_pair(t2, hot, calm);
	ck_assert_uint_eq(ls_order_finding_count(), 1);

	struct region r;
	temp_region(&r, &small);
	ls_live_reader *rd = ls_live_open_region(r.base, r.size);
	ck_assert_ptr_nonnull(rd);
	ls_live_snapshot s;
	ck_assert_int_eq(ls_live_read(rd, &s), -1);  /* nothing published yet */

	ls_live_publish(r.base, false);
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	const ls_live_header *h = &s.header;
	ck_assert_uint_eq(h->magic, LS_LIVE_MAGIC);
	ck_assert_uint_eq(h->version, LS_LIVE_VERSION);
	ck_assert_uint_eq(h->pid, (uint64_t)getpid());
	ck_assert_str_eq(h->program, "/usr/bin/my-server");
	ck_assert_uint_eq(h->hold_time, 1);
	ck_assert_uint_eq(h->publications, 1);
	ck_assert_uint_eq(h->seq % 2, 0);
	ck_assert_uint_eq(h->exited, 0);
	/* Locks: only acquired ones, the costliest first, counters as set. */
	ck_assert_uint_eq(h->n_locks, 2);
	ck_assert_uint_eq(h->total_locks, 2);
	ck_assert_uint_eq(s.locks[0].addr, ADDR(2));
	ck_assert_uint_eq(s.locks[0].id, hot->id);
	ck_assert_uint_eq(s.locks[0].kind, LS_KIND_MUTEX);
	ck_assert_uint_eq(s.locks[0].acquisitions, 700);
	ck_assert_uint_eq(s.locks[0].contended, 30);
	ck_assert_uint_eq(s.locks[0].wait_ns, 900000);
	ck_assert_uint_eq(s.locks[0].max_wait_ns, 450000);
	ck_assert_uint_eq(s.locks[0].hold_ns, 2100);
	ck_assert_uint_eq(s.locks[1].addr, ADDR(1));
	ck_assert_uint_eq(s.locks[1].acquisitions, 50);
	ck_assert_ptr_null(find_lock(&s, ADDR(3)));
	/* The site, named by its lock and return address. */
	ck_assert_uint_eq(h->n_sites, 1);
	ck_assert_uint_eq(s.sites[0].lock_id, hot->id);
	ck_assert_uint_eq(s.sites[0].lock_addr, ADDR(2));
	ck_assert_uint_eq(s.sites[0].lock_kind, LS_KIND_MUTEX);
	ck_assert_uint_eq(s.sites[0].site, SITE(1));
	ck_assert_uint_eq(s.sites[0].n_frames, 1);
	ck_assert_uint_eq(s.sites[0].frames[0], SITE(1));
	ck_assert_uint_eq(s.sites[0].acquisitions, 650);
	ck_assert_uint_eq(s.sites[0].contended, 29);
	ck_assert_uint_eq(s.sites[0].wait_ns, 850000);
	ck_assert_uint_eq(s.sites[0].blamed_wait_ns, 123456);
	/* Threads: both registered ones, running, holding nothing. */
	ck_assert_uint_eq(h->n_threads, ls_thread_live_count());
	size_t seen = 0;
	for (size_t i = 0; i < h->n_threads; i++) {
		if (s.threads[i].tid == (uint64_t)t1->tid || s.threads[i].tid == (uint64_t)t2->tid)
			seen++;
		ck_assert_uint_eq(s.threads[i].state, LS_LIVE_RUNNING);
		ck_assert_uint_eq(s.threads[i].n_held, 0);
	}
	ck_assert_uint_ge(seen, 1);
	/* The inversion: one cycle over the two addresses. */
	ck_assert_uint_eq(h->n_inversions, 1);
	ck_assert_uint_eq(s.inversions[0].n_edges, 2);
	uintptr_t from0 = s.inversions[0].edges[0].from_addr, to0 = s.inversions[0].edges[0].to_addr;
	ck_assert((from0 == ADDR(1) && to0 == ADDR(2)) || (from0 == ADDR(2) && to0 == ADDR(1)));
	ck_assert_uint_eq(s.inversions[0].edges[1].from_addr, to0);
	ck_assert_uint_eq(s.inversions[0].edges[1].to_addr, from0);

	/* The final publication: new figures, marked as the last. */
	atomic_store(&calm->acquisitions, 51);
	ls_live_publish(r.base, true);
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_uint_eq(s.header.publications, 2);
	ck_assert_uint_eq(s.header.exited, 1);
	ck_assert_uint_eq(find_lock(&s, ADDR(1))->acquisitions, 51);
	ls_live_close(rd);
	region_destroy(&r);
}
END_TEST

static const ls_live_thread *find_thread(const ls_live_snapshot *s, pid_t tid)
{
	for (size_t i = 0; i < s->header.n_threads; i++)
		if (s->threads[i].tid == (uint64_t)tid)
			return &s->threads[i];
	return NULL;
}

static void hold(ls_thread_state *t, ls_lock *l, uint8_t mode)
{
	ls_held *h = ls_held_push(t, &(ls_hold){ .addr = l->addr, .lock = l, .lock_id = l->id, .mode = mode });
	ck_assert_ptr_nonnull(h);
}

/* A lock's owner is the thread whose held set lists it for writing (the
 * fast path publishes no owner on the lock); readers own nothing, and a
 * thread waiting for a lock is shown its owner. */
START_TEST(test_owners_from_held_sets)
{
	ls_lock *written = lock_with(21, 5, 0, 0), *read = lock_with(22, 5, 0, 0);
	ls_thread_state *writer = ls_thread_register(), *reader = ls_thread_register(),
			*waiter = ls_thread_register();
	/* registered from this one thread: give them tids of their own */
	writer->tid = 900001;
	reader->tid = 900002;
	waiter->tid = 900003;
	hold(writer, written, LS_MODE_WRITE);
	hold(reader, read, LS_MODE_READ);
	atomic_store(&waiter->wait_kind, LS_WAIT_LOCK);
	atomic_store(&waiter->waiting_on, written);
	atomic_store(&waiter->wait_object, written->addr);

	struct region r;
	temp_region(&r, &small);
	ls_live_reader *rd = ls_live_open_region(r.base, r.size);
	ls_live_snapshot s;
	ls_live_publish(r.base, false);
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_uint_eq(find_lock(&s, ADDR(21))->owner_tid, (uint64_t)writer->tid);
	ck_assert_uint_eq(find_lock(&s, ADDR(22))->owner_tid, 0);
	ck_assert_uint_eq(find_thread(&s, waiter->tid)->state, LS_LIVE_WAIT_LOCK);
	ck_assert_uint_eq(find_thread(&s, waiter->tid)->wait_owner_tid, (uint64_t)writer->tid);
	ck_assert_uint_eq(find_thread(&s, reader->tid)->wait_owner_tid, 0);

	atomic_store(&waiter->wait_kind, LS_WAIT_NONE);
	writer->tid = reader->tid = waiter->tid = (pid_t)syscall(SYS_gettid);
	ls_held_remove(writer, ls_held_find(writer, written->addr));
	ls_held_remove(reader, ls_held_find(reader, read->addr));
	ls_live_close(rd);
	region_destroy(&r);
}
END_TEST

/* More locks than the table holds: the costliest are kept, the total says
 * how many there were. */
START_TEST(test_table_keeps_the_costliest)
{
	for (int i = 1; i <= 5; i++)
		lock_with(10 + i, 10, 1, (uint64_t)i * 1000);
	const ls_live_capacity two = { .locks = 2, .sites = 1, .threads = 4, .inversions = 1 };
	struct region r;
	temp_region(&r, &two);
	ls_live_publish(r.base, false);
	ls_live_reader *rd = ls_live_open_region(r.base, r.size);
	ck_assert_ptr_nonnull(rd);
	ls_live_snapshot s;
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_uint_eq(s.header.n_locks, 2);
	ck_assert_uint_eq(s.header.total_locks, 5);
	ck_assert_uint_eq(s.locks[0].addr, ADDR(15));
	ck_assert_uint_eq(s.locks[1].addr, ADDR(14));
	ls_live_close(rd);
	region_destroy(&r);
}
END_TEST

START_TEST(test_open_by_pid)
{
	lock_with(20, 5, 0, 0);
	struct region r;
	pid_region(&r);
	ls_live_publish(r.base, false);
	struct stat st;
	ck_assert_int_eq(stat(r.path, &st), 0);
	char err[256] = "";
	ls_live_reader *rd = ls_live_open(getpid(), err, sizeof err);
	ck_assert_msg(rd != NULL, "open failed: %s", err);
	ls_live_snapshot s;
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_ptr_nonnull(find_lock(&s, ADDR(20)));
	/* A request reaches the publisher's futex word. */
	uint32_t before = __atomic_load_n(&((ls_live_header *)r.base)->request, __ATOMIC_RELAXED);
	ls_live_request(rd);
	ck_assert_uint_eq(__atomic_load_n(&((ls_live_header *)r.base)->request, __ATOMIC_RELAXED), before + 1);
	/* Removed by its publisher: the reader keeps its mapping and figures,
	 * a new open says there is nothing. */
	region_destroy(&r);
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_ptr_nonnull(find_lock(&s, ADDR(20)));
	ls_live_close(rd);
	ck_assert_ptr_null(ls_live_open(getpid(), err, sizeof err));
	ck_assert_msg(strstr(err, "no live statistics for pid") != NULL, "unclear error: %s", err);
}
END_TEST

/* The reader opens /dev/shm/lockscope-PID without following a symlink
 * planted there (it would map any file the link points to). */
START_TEST(test_symlink_refused)
{
	struct region target;
	temp_region(&target, &small);
	ls_live_publish(target.base, false);
	char path[64];
	ls_live_path(getpid(), path, sizeof path);
	unlink(path);
	ck_assert_int_eq(symlink(target.path, path), 0);
	char err[256] = "";
	ls_live_reader *rd = ls_live_open(getpid(), err, sizeof err);
	unlink(path);
	region_destroy(&target);
	ck_assert_ptr_null(rd);
	ck_assert_msg(strstr(err, strerror(ELOOP)) != NULL && strstr(err, path) != NULL, "unclear error: %s", err);
}
END_TEST

static void expect_refused(struct region *r, const char *why)
{
	char err[256] = "";
	ls_live_reader *rd = ls_live_open(getpid(), err, sizeof err);
	if (rd)
		ls_live_close(rd);
	region_destroy(r);
	ck_assert_ptr_null(rd);
	ck_assert_msg(strstr(err, why) != NULL, "error '%s' does not say '%s'", err, why);
}

START_TEST(test_newer_version_refused)
{
	struct region r;
	pid_region(&r);
	((ls_live_header *)r.base)->version = LS_LIVE_VERSION + 1;
	char why[96];
	snprintf(why, sizeof why, "version %d is newer than this lockscope (%d)", LS_LIVE_VERSION + 1, LS_LIVE_VERSION);
	expect_refused(&r, why);
}
END_TEST

START_TEST(test_other_format_refused)
{
	struct region r;
	pid_region(&r);
	((ls_live_header *)r.base)->magic ^= 1;
	expect_refused(&r, "not a lockscope live statistics file");
}
END_TEST

START_TEST(test_truncated_file_refused)
{
	struct region r;
	pid_region(&r);
	/* The header claims tables the file does not have. */
	((ls_live_header *)r.base)->cap_sites += 1000;
	expect_refused(&r, "truncated or corrupt");
	/* Shorter than a header. */
	char path[64];
	ls_live_path(getpid(), path, sizeof path);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "LSSCLVE1", 8), 8);
	close(fd);
	char err[256] = "";
	ls_live_reader *rd = ls_live_open(getpid(), err, sizeof err);
	unlink(path);
	ck_assert_ptr_null(rd);
	ck_assert_msg(strstr(err, "not a live statistics file") != NULL, "unclear error: %s", err);
}
END_TEST

/* A publication that never completes (odd counter): the reader gives up
 * instead of returning half-written tables or waiting forever. */
START_TEST(test_publication_in_progress_not_read)
{
	lock_with(30, 5, 0, 0);
	struct region r;
	temp_region(&r, &small);
	ls_live_publish(r.base, false);
	ls_live_header *h = r.base;
	__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELEASE);
	ls_live_reader *rd = ls_live_open_region(r.base, r.size);
	ls_live_snapshot s;
	ck_assert_int_eq(ls_live_read(rd, &s), -1);
	__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(ls_live_read(rd, &s), 0);
	ck_assert_ptr_nonnull(find_lock(&s, ADDR(30)));
	ls_live_close(rd);
	region_destroy(&r);
}
END_TEST

/* A writer that follows the publisher's protocol (counter odd, tables
 * rewritten word by word, counter even) and makes every word of a
 * publication equal to its generation: a torn copy shows mixed words. */
struct writer { void *base; atomic_bool stop; _Atomic uint64_t generations; };

static void *rewrite_forever(void *arg)
{
	struct writer *w = arg;
	ls_live_header *h = w->base;
	ls_live_lock *locks = (ls_live_lock *)((char *)w->base + h->off_locks);
	size_t words = sizeof *locks / 8;
	for (uint64_t g = 1; !atomic_load(&w->stop); g++) {
		uint64_t seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
		__atomic_store_n(&h->seq, seq + 1, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_release);
		__atomic_store_n(&h->n_locks, 1 + g % h->cap_locks, __ATOMIC_RELAXED);
		for (size_t i = 0; i < h->cap_locks; i++)
			for (size_t k = 0; k < words; k++)
				__atomic_store_n((uint64_t *)&locks[i] + k, g, __ATOMIC_RELAXED);
		__atomic_store_n(&h->publications, g, __ATOMIC_RELAXED);
		__atomic_store_n(&h->seq, seq + 2, __ATOMIC_RELEASE);
		atomic_store(&w->generations, g);
		if (g % 4 == 0)
			usleep(50);
	}
	return NULL;
}

START_TEST(test_reader_never_returns_a_torn_publication)
{
	const ls_live_capacity cap = { .locks = 64, .sites = 1, .threads = 1, .inversions = 1 };
	struct region r;
	temp_region(&r, &cap);
	ls_live_header *h = r.base;
	__atomic_store_n(&h->seq, 2, __ATOMIC_RELEASE);
	ls_live_reader *rd = ls_live_open_region(r.base, r.size);
	struct writer w = { .base = r.base };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, rewrite_forever, &w), 0);
	/* Until a thousand whole publications of the writer were read (a
	 * reader that always fails ends the loop too). */
	size_t whole = 0;
	for (long i = 0; i < 1000000 && whole < 1000; i++) {
		ls_live_snapshot s;
		if (ls_live_read(rd, &s) != 0)
			continue;
		uint64_t g = s.header.publications;
		if (g == 0)
			continue;   /* the empty publication before the writer's first */
		whole++;
		ck_assert_uint_eq(s.header.n_locks, 1 + g % cap.locks);
		for (size_t l = 0; l < s.header.n_locks; l++)
			for (size_t k = 0; k < sizeof(ls_live_lock) / 8; k++)
				ck_assert_msg(((uint64_t *)&s.locks[l])[k] == g,
					      "publication %llu: lock %zu word %zu is %llu", (unsigned long long)g, l, k,
					      (unsigned long long)((uint64_t *)&s.locks[l])[k]);
	}
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	ck_assert_uint_eq(whole, 1000);
	ck_assert_uint_gt(atomic_load(&w.generations), 1);
	ls_live_close(rd);
	region_destroy(&r);
}
END_TEST

static Suite *live_stats_suite(void)
{
	Suite *s = suite_create("live_stats");
	TCase *publish = tcase_create("publish");
	tcase_add_test(publish, test_publish_and_read_back);
	tcase_add_test(publish, test_table_keeps_the_costliest);
	tcase_add_test(publish, test_owners_from_held_sets);
	suite_add_tcase(s, publish);
	TCase *open = tcase_create("open");
	tcase_add_test(open, test_open_by_pid);
	tcase_add_test(open, test_symlink_refused);
	tcase_add_test(open, test_newer_version_refused);
	tcase_add_test(open, test_other_format_refused);
	tcase_add_test(open, test_truncated_file_refused);
	suite_add_tcase(s, open);
	TCase *seq = tcase_create("sequence");
	tcase_set_timeout(seq, 30);
	tcase_add_test(seq, test_publication_in_progress_not_read);
	tcase_add_test(seq, test_reader_never_returns_a_torn_publication);
	suite_add_tcase(s, seq);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(live_stats_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
