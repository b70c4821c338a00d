# sync piece: semaphores, once controls and barriers (preload/sync.c,
# lib/core/semaphore.c), stalls, and the Python programs run under the shim.
# The sources of the piece are listed in core.mk with the shim's.

# Scenarios (built like the other lock samples: -O0, frame pointers).
sync_samples = samples/sem_lock_inversion samples/sem_prodcons samples/sem_baton \
	samples/once_recursive samples/once_cross samples/barrier_stall
noinst_PROGRAMS += $(sync_samples)
samples_sem_lock_inversion_CFLAGS = $(SAMPLE_CFLAGS)
samples_sem_lock_inversion_LDFLAGS = $(sample_ldflags)
samples_sem_prodcons_CFLAGS = $(SAMPLE_CFLAGS)
samples_sem_prodcons_LDFLAGS = $(sample_ldflags)
samples_sem_baton_CFLAGS = $(SAMPLE_CFLAGS)
samples_sem_baton_LDFLAGS = $(sample_ldflags)
samples_once_recursive_CFLAGS = $(SAMPLE_CFLAGS)
samples_once_recursive_LDFLAGS = $(sample_ldflags)
samples_once_cross_CFLAGS = $(SAMPLE_CFLAGS)
samples_once_cross_LDFLAGS = $(sample_ldflags)
samples_barrier_stall_CFLAGS = $(SAMPLE_CFLAGS)
samples_barrier_stall_LDFLAGS = $(sample_ldflags)

python_samples = samples/python/abba.py samples/python/lazy_init.py samples/python/deadlock.py \
	samples/python/pool_starvation.py samples/python/pqueue.py samples/python/counter.py \
	samples/python/correct_sync.py
EXTRA_DIST += $(python_samples)

# Integration tests (they need the shim, not built with sanitizers).
sync_tests = tests/it_semaphores.sh tests/dump_once_barrier.sh tests/py_samples.sh tests/py_hangs.sh
EXTRA_DIST += $(sync_tests)
if !SANITIZERS
TESTS += $(sync_tests)
endif

# The inline semaphore attempt and post, against glibc itself.
check_PROGRAMS += tests/check_sem_inline
TESTS += tests/check_sem_inline
tests_check_sem_inline_SOURCES = tests/check_sem_inline.c preload/sem_inline.c
tests_check_sem_inline_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/preload
tests_check_sem_inline_LDADD = $(CHECK_LIBS) -lpthread

# Unit tests of the core's semaphores, once controls and barriers.
check_PROGRAMS += tests/check_semaphore
TESTS += tests/check_semaphore
tests_check_semaphore_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_semaphore_LDADD = lib/libinternal.la $(CHECK_LIBS) -lpthread
