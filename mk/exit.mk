# Endings without exit handlers (_exit, exit_group, terminating signals,
# exec), the reports of the other processes of a run, and the samples and
# tests of both.  See lockscope-run(1), "How a run ends".
exit_samples = samples/exit_paths samples/exit_stuck_malloc
noinst_PROGRAMS += $(exit_samples)
samples_exit_paths_CFLAGS = $(SAMPLE_CFLAGS)
samples_exit_paths_LDFLAGS = $(sample_ldflags)
samples_exit_stuck_malloc_CFLAGS = $(SAMPLE_CFLAGS)
samples_exit_stuck_malloc_LDFLAGS = $(sample_ldflags)

if !SANITIZERS
exit_tests = tests/exit_endings.sh tests/exit_raw.sh tests/exit_pool.sh
TESTS += $(exit_tests)
endif
EXTRA_DIST += tests/exit_endings.sh tests/exit_raw.sh tests/exit_pool.sh samples/pool_inversion.py

# The library the Python pool sample loads through ctypes: a real .so
# (not a libtool wrapper), like the other sample libraries.
noinst_LTLIBRARIES += samples/libinvert.la
samples_libinvert_la_SOURCES = samples/libinvert.c
samples_libinvert_la_CFLAGS = $(SAMPLE_CFLAGS)
samples_libinvert_la_LDFLAGS = $(sample_module_ldflags)
