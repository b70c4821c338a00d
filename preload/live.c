/* live.c — the shim's side of live statistics (key `live`).
 *
 * A publisher thread, invisible to the tracker (its reentrancy guard is
 * always set) and blocking no signal the program cares about, rewrites
 * /dev/shm/lockscope-PID when a viewer asks and once a second otherwise.
 * Lock calls never wait for it: it only reads the core's tables.  At exit
 * the last figures are published and the file is removed (a viewer keeps
 * its mapping).  A forked child drops its parent's mapping and, if it lives
 * longer than CHILD_GRACE_MS (i.e. it did not just exec), publishes its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/live_stats.h"
#include "core/lockscope_internal.h"
#include "core/site_stats.h"
#include "core/tracker.h"
#include "real.h"
#include "shim.h"

#define PUBLISH_PERIOD_S 1
#define CHILD_GRACE_MS 200

static const ls_live_capacity capacity = { .locks = 2048, .sites = 4096, .threads = 1024, .inversions = 64 };

static void *region;
static size_t region_size;
static char region_path[64];
static ls_spinlock publish_lock = LS_SPINLOCK_INIT;

static int create_file(const char *path)
{
	int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(path, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with our pid that did not exit
		 * cleanly: the pid is ours now.  (In sticky /dev/shm only its
		 * owner can remove it.) */
		unlink(path);
		fd = open(path, flags, 0600);
	}
	return fd;
}

static bool create_region(void)
{
	ls_live_path(getpid(), region_path, sizeof region_path);
	int fd = create_file(region_path);
	if (fd < 0) {
		char msg[160];
		snprintf(msg, sizeof msg, "lockscope: no live statistics: cannot create %s: %s\n", region_path,
			 strerror(errno));
		ls_write_stderr(msg);
		return false;
	}
	size_t size = ls_live_size(&capacity);
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		unlink(region_path);
		return false;
	}
	ls_live_init(p, &capacity, getpid(), program_invocation_name, ls_opts.hold_time);
	region_size = size;
	__atomic_store_n(&region, p, __ATOMIC_RELEASE);
	return true;
}

static void publish(bool final)
{
	void *r = __atomic_load_n(&region, __ATOMIC_ACQUIRE);
	if (!r || !ls_spin_trylock(&publish_lock))
		return;
	ls_live_publish(r, final);
	if (!final)
		ls_spin_unlock(&publish_lock);
}

static void wait_for_request(uint32_t seen)
{
	ls_live_header *h = region;
	struct timespec timeout = { PUBLISH_PERIOD_S, 0 };
	syscall(SYS_futex, &h->request, FUTEX_WAIT, seen, &timeout, NULL, 0);
}

static void *publisher(void *arg)
{
	bool forked_child = arg != NULL;
	ls_busy_begin();
	if (forked_child) {
		struct timespec grace = { 0, CHILD_GRACE_MS * 1000000L };
		nanosleep(&grace, NULL);
		if (!create_region())
			return NULL;
	}
	for (;;) {
		ls_live_header *h = region;
		uint32_t seen = __atomic_load_n(&h->request, __ATOMIC_ACQUIRE);
		publish(false);
		if (__atomic_load_n(&h->exited, __ATOMIC_RELAXED))
			return NULL;
		wait_for_request(seen);
	}
	return NULL;
}

static void start_publisher(bool forked_child)
{
	if (!real.pthread_create)
		return;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	if (real.pthread_create(&th, &attr, publisher, forked_child ? (void *)1 : NULL) == 0)
		pthread_setname_np(th, "lockscope-live");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ls_live_bootstrap(void)
{
	if (!ls_opts.live || !create_region())
		return;
	start_publisher(false);
}

void ls_live_atfork_child(void)
{
	ls_site_atfork_child();
	ls_spin_reset(&publish_lock);
	if (!region)
		return;
	/* The mapping is the parent's: never write to it. */
	munmap(region, region_size);
	region = NULL;
	start_publisher(true);
}

void ls_live_exit(void)
{
	void *r = __atomic_load_n(&region, __ATOMIC_ACQUIRE);
	if (!r)
		return;
	ls_spin_lock(&publish_lock);
	ls_live_publish(r, true);
	/* publish_lock stays held: the publisher must not write after this. */
	unlink(region_path);
	ls_live_header *h = r;
	__atomic_add_fetch(&h->request, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &h->request, FUTEX_WAKE, 1, NULL, NULL, 0);
}
