/* dump_selflock — a thread locks a lock it already holds: reload_config
 * takes config_lock and calls apply_settings, which takes it again.
 *   dump_selflock normal|adaptive : a normal (default) or adaptive mutex
 *       never returns: a deadlock of one thread, which the watchdog must
 *       report (and end with --on-hang=exit);
 *   dump_selflock recursive : a recursive mutex: the re-lock succeeds;
 *   dump_selflock errorcheck : an errorcheck mutex: the re-lock fails with
 *       EDEADLK and the program carries on;
 *   dump_selflock upgrade : an rwlock held for read asked for write (glibc
 *       never grants it: another deadlock of one thread);
 *   dump_selflock c11 : the same with a C11 mtx_plain mutex;
 *   dump_selflock spin : a spinlock locked twice (spins forever).
 * The last three lines of output say how it ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>

static pthread_mutex_t config_lock;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t stats_lock;
static mtx_t c11_config_lock;
static const char *variant;
static int settings;

static int lock_config(void)
{
	if (!strcmp(variant, "c11"))
		return mtx_lock(&c11_config_lock) == thrd_success ? 0 : EINVAL;
	return pthread_mutex_lock(&config_lock);
}

static void unlock_config(void)
{
	if (!strcmp(variant, "c11"))
		mtx_unlock(&c11_config_lock);
	else
		pthread_mutex_unlock(&config_lock);
}

static int apply_settings(int value)
{
	int r = lock_config();   /* the second lock: config_lock is held already */
	if (r != 0)
		return r;
	settings = value;
	unlock_config();
	return 0;
}

static void *reload_config(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "config-reload");
	lock_config();
	int r = apply_settings(42);
	unlock_config();
	if (r == 0)
		printf("dump_selflock: %s: settings applied (%d)\n", variant, settings);
	else
		printf("dump_selflock: %s: re-lock refused: %s\n", variant, r == EDEADLK ? "EDEADLK" : strerror(r));
	return NULL;
}

static void *upgrade_table(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "table-upgrade");
	pthread_rwlock_rdlock(&table_lock);
	int r = pthread_rwlock_wrlock(&table_lock);  /* held for read: never granted */
	printf("dump_selflock: upgrade: wrlock returned %d\n", r);
	return NULL;
}

static void *spin_twice(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "stats-spin");
	pthread_spin_lock(&stats_lock);
	pthread_spin_lock(&stats_lock);  /* held already: spins forever */
	printf("dump_selflock: spin: locked twice\n");
	return NULL;
}

static void *(*thread_body(void))(void *)
{
	if (!strcmp(variant, "upgrade"))
		return upgrade_table;
	if (!strcmp(variant, "spin"))
		return spin_twice;
	return reload_config;
}

static int mutex_type(const char *name)
{
	if (!strcmp(name, "recursive"))
		return PTHREAD_MUTEX_RECURSIVE;
	if (!strcmp(name, "errorcheck"))
		return PTHREAD_MUTEX_ERRORCHECK;
	if (!strcmp(name, "adaptive"))
		return PTHREAD_MUTEX_ADAPTIVE_NP;
	return PTHREAD_MUTEX_NORMAL;
}

int main(int argc, char **argv)
{
	variant = argc > 1 ? argv[1] : "normal";
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, mutex_type(variant));
	pthread_mutex_init(&config_lock, &attr);
	mtx_init(&c11_config_lock, mtx_plain);
	pthread_spin_init(&stats_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_t t;
	pthread_create(&t, NULL, thread_body(), NULL);
	pthread_join(t, NULL);
	printf("dump_selflock: %s: done\n", variant);
	return 0;
}
