/* libinvert — a lock-order inversion inside a shared library, for programs
 * that load it at run time (the Python worker-pool samples call invert()
 * through ctypes).  post_entry takes ledger_lock then audit_lock,
 * run_audit the other way round, one after the other: no deadlock in this
 * run, an inversion for lockscope. */
#include <pthread.h>

int invert(void);

pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static long entries;

static void *post_entry(void *arg)
{
	pthread_mutex_lock(&ledger_lock);
	pthread_mutex_lock(&audit_lock);
	entries++;
	pthread_mutex_unlock(&audit_lock);
	pthread_mutex_unlock(&ledger_lock);
	return arg;
}

static void *run_audit(void *arg)
{
	pthread_mutex_lock(&audit_lock);
	pthread_mutex_lock(&ledger_lock);
	entries--;
	pthread_mutex_unlock(&ledger_lock);
	pthread_mutex_unlock(&audit_lock);
	return arg;
}

int invert(void)
{
	pthread_t t;
	pthread_create(&t, NULL, post_entry, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, run_audit, NULL);
	pthread_join(t, NULL);
	return (int)entries + 1;
}
