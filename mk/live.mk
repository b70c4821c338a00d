# Contention statistics per call site, live statistics in shared memory,
# the `lockscope top` viewer, the contention samples and their tests.
lib_libcore_la_SOURCES += lib/site_stats.c lib/site_stats.h
