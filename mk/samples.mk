# Lock scenarios run under the shim by the integration tests and the demo.
# Built without optimisation so that every frame and line is where the
# source says.
SAMPLE_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -g -O0 -fno-omit-frame-pointer -pthread
sample_ldflags = -pthread

lock_samples = samples/abba samples/philosophers samples/gate_abba samples/trylock_backoff \
	samples/condwait_inversion samples/rwlock_inversion samples/recursive_mutex \
	samples/reuse_after_destroy samples/reuse_after_free samples/timedlock_inversion \
	samples/early_lock samples/many_locks samples/long_cycle samples/two_cycles samples/fork_child \
	samples/dlclose_frames samples/c11_mtx samples/c11_contended samples/spin_abba samples/exit_status \
	samples/free_while_held samples/contention_shortlived
noinst_PROGRAMS += $(lock_samples)

samples_abba_CFLAGS = $(SAMPLE_CFLAGS)
samples_abba_LDFLAGS = $(sample_ldflags)
samples_philosophers_CFLAGS = $(SAMPLE_CFLAGS)
samples_philosophers_LDFLAGS = $(sample_ldflags)
samples_gate_abba_CFLAGS = $(SAMPLE_CFLAGS)
samples_gate_abba_LDFLAGS = $(sample_ldflags)
samples_trylock_backoff_CFLAGS = $(SAMPLE_CFLAGS)
samples_trylock_backoff_LDFLAGS = $(sample_ldflags)
samples_condwait_inversion_CFLAGS = $(SAMPLE_CFLAGS)
samples_condwait_inversion_LDFLAGS = $(sample_ldflags)
samples_rwlock_inversion_CFLAGS = $(SAMPLE_CFLAGS)
samples_rwlock_inversion_LDFLAGS = $(sample_ldflags)
samples_recursive_mutex_CFLAGS = $(SAMPLE_CFLAGS)
samples_recursive_mutex_LDFLAGS = $(sample_ldflags)
samples_reuse_after_destroy_CFLAGS = $(SAMPLE_CFLAGS)
samples_reuse_after_destroy_LDFLAGS = $(sample_ldflags)
samples_reuse_after_free_CFLAGS = $(SAMPLE_CFLAGS)
samples_reuse_after_free_LDFLAGS = $(sample_ldflags)
samples_timedlock_inversion_CFLAGS = $(SAMPLE_CFLAGS)
samples_timedlock_inversion_LDFLAGS = $(sample_ldflags)
samples_many_locks_CFLAGS = $(SAMPLE_CFLAGS)
samples_many_locks_LDFLAGS = $(sample_ldflags)
samples_long_cycle_CFLAGS = $(SAMPLE_CFLAGS)
samples_long_cycle_LDFLAGS = $(sample_ldflags)
samples_two_cycles_CFLAGS = $(SAMPLE_CFLAGS)
samples_two_cycles_LDFLAGS = $(sample_ldflags)
samples_fork_child_CFLAGS = $(SAMPLE_CFLAGS)
samples_fork_child_LDFLAGS = $(sample_ldflags)
samples_c11_mtx_CFLAGS = $(SAMPLE_CFLAGS)
samples_c11_mtx_LDFLAGS = $(sample_ldflags)
samples_c11_contended_CFLAGS = $(SAMPLE_CFLAGS)
samples_c11_contended_LDFLAGS = $(sample_ldflags)
samples_spin_abba_CFLAGS = $(SAMPLE_CFLAGS)
samples_spin_abba_LDFLAGS = $(sample_ldflags)
samples_exit_status_CFLAGS = $(SAMPLE_CFLAGS)
samples_exit_status_LDFLAGS = $(sample_ldflags)
samples_free_while_held_CFLAGS = $(SAMPLE_CFLAGS)
samples_free_while_held_LDFLAGS = $(sample_ldflags)
samples_dlclose_frames_CFLAGS = $(SAMPLE_CFLAGS)
samples_dlclose_frames_LDFLAGS = $(sample_ldflags)
samples_dlclose_frames_LDADD = -ldl

# Shared libraries of the samples: real .so files (not libtool wrappers),
# so the programs run directly under the shim.  libearly is linked in by
# path with an rpath to the build tree; libplugin is dlopen()ed by path.
noinst_LTLIBRARIES += samples/libearly.la samples/libplugin.la
sample_module_ldflags = -module -avoid-version -shared -rpath /nowhere $(sample_ldflags)
samples_libearly_la_SOURCES = samples/libearly.c
samples_libearly_la_CFLAGS = $(SAMPLE_CFLAGS)
samples_libearly_la_LDFLAGS = $(sample_module_ldflags)
samples_libplugin_la_SOURCES = samples/libplugin.c
samples_libplugin_la_CFLAGS = $(SAMPLE_CFLAGS)
samples_libplugin_la_LDFLAGS = $(sample_module_ldflags)

samples_early_lock_CFLAGS = $(SAMPLE_CFLAGS)
samples_early_lock_LDFLAGS = $(sample_ldflags) -Wl,-rpath,$(abs_top_builddir)/samples/.libs
samples_early_lock_LDADD = samples/.libs/libearly.so
samples_early_lock_DEPENDENCIES = samples/libearly.la

# The overhead benchmark (make bench) and the instruction counter of the
# fast-path budget test: optimised like real code.
noinst_PROGRAMS += samples/lockbench samples/pairbench
samples_lockbench_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -O2 -g -pthread
samples_lockbench_LDFLAGS = -pthread
samples_pairbench_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -O2 -g -pthread
samples_pairbench_LDFLAGS = -pthread
dist_noinst_SCRIPTS += scripts/bench.sh
EXTRA_DIST += scripts/lockbench-common.sh scripts/bench-python-lock.py

bench: all
	$(SHELL) $(srcdir)/scripts/bench.sh $(abs_top_builddir)
.PHONY: bench
samples_contention_shortlived_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_shortlived_LDFLAGS = $(sample_ldflags)
