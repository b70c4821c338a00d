# Contention statistics per call site, live statistics in shared memory,
# the `lockscope top` viewer, the contention samples and their tests.
lib_libinternal_la_SOURCES += lib/core/site_stats.c lib/core/site_stats.h

# Contention samples (same flags as the other lock samples: -O0, frame
# pointers, so lines are where the source says).
contention_samples = samples/contention_counter samples/contention_pqueue \
	samples/contention_rwcache samples/contention_convoy \
	samples/contention_many samples/abba_linger
noinst_PROGRAMS += $(contention_samples)
samples_contention_counter_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_counter_LDFLAGS = $(sample_ldflags)
samples_contention_pqueue_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_pqueue_LDFLAGS = $(sample_ldflags)
samples_contention_rwcache_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_rwcache_LDFLAGS = $(sample_ldflags)
samples_contention_convoy_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_convoy_LDFLAGS = $(sample_ldflags)
samples_contention_many_CFLAGS = $(SAMPLE_CFLAGS)
samples_contention_many_LDFLAGS = $(sample_ldflags)
samples_abba_linger_CFLAGS = $(SAMPLE_CFLAGS)
samples_abba_linger_LDFLAGS = $(sample_ldflags)

if !SANITIZERS
TESTS += tests/contention.sh tests/top.sh tests/top_views.sh
endif
EXTRA_DIST += tests/contention.sh tests/top.sh tests/top_views.sh tests/top-common.sh

lib_libinternal_la_SOURCES += lib/core/live_stats.c lib/core/live_stats.h
if !SANITIZERS
preload_liblockscope_preload_la_SOURCES += preload/live.c
endif

tools_lockscope_SOURCES += tools/top.c
dist_man_MANS += man/lockscope-top.1
dist_noinst_SCRIPTS += scripts/bench-contention.sh

# Unit tests of the live modules (Check), in every build.
live_unit_tests = tests/check_site_stats tests/check_live_stats
check_PROGRAMS += $(live_unit_tests)
TESTS += $(live_unit_tests)
tests_check_site_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_site_stats_LDADD = lib/libinternal.la $(CHECK_LIBS)
tests_check_live_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_live_stats_LDADD = lib/libinternal.la $(CHECK_LIBS)
