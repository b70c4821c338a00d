# Tests of the core and the shim: Check unit tests of the core modules, and
# integration tests that run the samples under `lockscope run` and check
# what the reports say.

# Integration tests need the shim, which is not built with sanitizers.
shim_tests = tests/it_abba.sh tests/it_philosophers.sh tests/it_gate_abba.sh \
	tests/it_trylock_backoff.sh tests/it_condwait.sh tests/it_rwlock.sh \
	tests/it_recursive_mutex.sh tests/it_reuse.sh tests/it_timedlock.sh \
	tests/it_early_lock.sh tests/it_many_locks.sh tests/it_long_cycle.sh tests/it_two_cycles.sh \
	tests/it_fork_child.sh tests/it_dlclose_frames.sh tests/it_c11_mtx.sh \
	tests/it_spin_abba.sh tests/it_options.sh tests/it_exit_status.sh \
	tests/it_free_while_held.sh tests/it_destroyed_stats.sh tests/fastpath_budget.sh \
	tests/report_symcache.sh
EXTRA_DIST += $(shim_tests) tests/lib.sh
if !SANITIZERS
TESTS += $(shim_tests)
endif

# Unit tests of the core modules (Check), in every build.
core_unit_tests = tests/check_options tests/check_arena tests/check_stack_depot \
	tests/check_lock_table tests/check_thread_state tests/check_order_graph tests/check_tracker
check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests)
core_test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS)
core_test_ldadd = lib/libinternal.la $(CHECK_LIBS)
tests_check_options_CFLAGS = $(core_test_cflags)
tests_check_options_LDADD = $(core_test_ldadd)
tests_check_arena_CFLAGS = $(core_test_cflags)
tests_check_arena_LDADD = $(core_test_ldadd)
tests_check_stack_depot_CFLAGS = $(core_test_cflags)
tests_check_stack_depot_LDADD = $(core_test_ldadd)
tests_check_lock_table_CFLAGS = $(core_test_cflags)
tests_check_lock_table_LDADD = $(core_test_ldadd)
tests_check_thread_state_CFLAGS = $(core_test_cflags)
tests_check_thread_state_LDADD = $(core_test_ldadd)
tests_check_order_graph_CFLAGS = $(core_test_cflags)
tests_check_order_graph_LDADD = $(core_test_ldadd)
tests_check_tracker_CFLAGS = $(core_test_cflags)
tests_check_tracker_LDADD = $(core_test_ldadd)

# The shim's inline first attempt on default mutexes, against glibc itself.
check_PROGRAMS += tests/check_mutex_inline
TESTS += tests/check_mutex_inline
tests_check_mutex_inline_SOURCES = tests/check_mutex_inline.c preload/mutex_inline.c
tests_check_mutex_inline_CFLAGS = $(core_test_cflags) -I$(top_srcdir)/preload
tests_check_mutex_inline_LDADD = $(CHECK_LIBS) -lpthread
