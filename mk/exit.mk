# Endings without exit handlers (_exit, exit_group, terminating signals,
# exec), the reports of the other processes of a run, event-loop stalls,
# and their samples and tests.  See lockscope-run(1) and lockscope-dumps(7).
exit_samples = samples/exit_paths samples/exit_stuck_malloc samples/loop_epoll
noinst_PROGRAMS += $(exit_samples)
samples_exit_paths_CFLAGS = $(SAMPLE_CFLAGS)
samples_exit_paths_LDFLAGS = $(sample_ldflags)
samples_exit_stuck_malloc_CFLAGS = $(SAMPLE_CFLAGS)
samples_exit_stuck_malloc_LDFLAGS = $(sample_ldflags)
samples_loop_epoll_CFLAGS = $(SAMPLE_CFLAGS)
samples_loop_epoll_LDFLAGS = $(sample_ldflags)

if !SANITIZERS
exit_tests = tests/exit_endings.sh tests/exit_raw.sh tests/exit_pool.sh tests/loop_stall.sh
TESTS += $(exit_tests)
endif
EXTRA_DIST += tests/exit_endings.sh tests/exit_raw.sh tests/exit_pool.sh samples/pool_inversion.py \
	tests/loop_stall.sh samples/loop_asyncio_block.py samples/loop_asyncio_healthy.py

# The library the Python pool sample loads through ctypes: a real .so
# (not a libtool wrapper), like the other sample libraries.
noinst_LTLIBRARIES += samples/libinvert.la
samples_libinvert_la_SOURCES = samples/libinvert.c
samples_libinvert_la_CFLAGS = $(SAMPLE_CFLAGS)
samples_libinvert_la_LDFLAGS = $(sample_module_ldflags)

# Unit tests of the loop watch (Check), in every build.
check_PROGRAMS += tests/check_loop_watch
TESTS += tests/check_loop_watch
tests_check_loop_watch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_loop_watch_LDADD = lib/libinternal.la $(CHECK_LIBS)

# The poll interposers' cost (make bench-poll): optimised like real code.
noinst_PROGRAMS += samples/pollbench
samples_pollbench_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -O2 -g
dist_noinst_SCRIPTS += scripts/bench-poll.sh

bench-poll: all
	$(SHELL) $(srcdir)/scripts/bench-poll.sh $(abs_top_builddir)
.PHONY: bench-poll
