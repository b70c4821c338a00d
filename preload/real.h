/* real.h — the real (next) definitions of every function the shim interposes.
 *
 * Contract: filled once by ls_bootstrap() (bootstrap.c); a NULL entry means
 * "not resolved yet", which only happens during bootstrap itself.
 */
#ifndef LOCKSCOPE_REAL_H
#define LOCKSCOPE_REAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <threads.h>
#include <time.h>

#define LS_REAL_FUNCTIONS(X) \
	X(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *)) \
	X(int, pthread_mutex_destroy, (pthread_mutex_t *)) \
	X(int, pthread_mutex_lock, (pthread_mutex_t *)) \
	X(int, pthread_mutex_trylock, (pthread_mutex_t *)) \
	X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *)) \
	X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_mutex_unlock, (pthread_mutex_t *)) \
	X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *)) \
	X(int, pthread_rwlock_destroy, (pthread_rwlock_t *)) \
	X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *)) \
	X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *)) \
	X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *)) \
	X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *)) \
	X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *)) \
	X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *)) \
	X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_rwlock_unlock, (pthread_rwlock_t *)) \
	X(int, pthread_spin_init, (pthread_spinlock_t *, int)) \
	X(int, pthread_spin_destroy, (pthread_spinlock_t *)) \
	X(int, pthread_spin_lock, (pthread_spinlock_t *)) \
	X(int, pthread_spin_trylock, (pthread_spinlock_t *)) \
	X(int, pthread_spin_unlock, (pthread_spinlock_t *)) \
	X(int, mtx_init, (mtx_t *, int)) \
	X(void, mtx_destroy, (mtx_t *)) \
	X(int, mtx_lock, (mtx_t *)) \
	X(int, mtx_trylock, (mtx_t *)) \
	X(int, mtx_timedlock, (mtx_t *, const struct timespec *)) \
	X(int, mtx_unlock, (mtx_t *)) \
	X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *)) \
	X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *)) \
	X(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *)) \
	X(int, cnd_wait, (cnd_t *, mtx_t *)) \
	X(int, cnd_timedwait, (cnd_t *, mtx_t *, const struct timespec *)) \
	X(int, pthread_join, (pthread_t, void **)) \
	X(int, sem_init, (sem_t *, int, unsigned)) \
	X(int, sem_destroy, (sem_t *)) \
	X(int, sem_wait, (sem_t *)) \
	X(int, sem_timedwait, (sem_t *, const struct timespec *)) \
	X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *)) \
	X(int, sem_trywait, (sem_t *)) \
	X(int, sem_post, (sem_t *)) \
	X(int, sem_getvalue, (sem_t *, int *)) \
	X(sem_t *, sem_open, (const char *, int, ...)) \
	X(int, sem_close, (sem_t *)) \
	X(int, pthread_once, (pthread_once_t *, void (*)(void))) \
	X(int, pthread_barrier_init, (pthread_barrier_t *, const pthread_barrierattr_t *, unsigned)) \
	X(int, pthread_barrier_wait, (pthread_barrier_t *)) \
	X(int, pthread_barrier_destroy, (pthread_barrier_t *)) \
	X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) \
	X(int, dlclose, (void *)) \
	X(void *, realloc, (void *, size_t)) \
	X(size_t, malloc_usable_size, (void *))

#define LS_DECLARE_REAL(ret, name, args) ret (*name) args;
struct ls_real_functions {
	LS_REAL_FUNCTIONS(LS_DECLARE_REAL)
};
#undef LS_DECLARE_REAL

extern struct ls_real_functions real;

#endif
