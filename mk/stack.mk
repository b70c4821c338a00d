# stack piece: the symbolizer (libdwfl), attaching to a live process,
# glibc lock internals, and `lockscope stack -p PID`.
lib_libinternal_la_SOURCES += lib/symbols/symbolize.c lib/symbols/symindex.c lib/symbols/symindex.h \
	lib/symbols/symcache.c lib/symbols/symcache.h \
	lib/symbols/debugimage.c lib/symbols/debugimage.h \
	lib/attach/procattach.c lib/attach/procattach.h \
	lib/attach/glibc_locks.c lib/attach/glibc_locks.h
lib_libinternal_la_CFLAGS += $(DEFLATE_CFLAGS)
lib_libinternal_la_LIBADD += $(DEFLATE_LIBS)
tools_lockscope_SOURCES += tools/stack.c

check_PROGRAMS += tests/check_symbolize tests/check_glibc_locks tests/check_symcache \
	tests/check_symindex
TESTS += tests/check_symbolize tests/check_glibc_locks tests/check_symcache \
	tests/check_symindex
tests_check_symindex_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(DW_CFLAGS)
tests_check_symindex_LDADD = lib/libinternal.la $(CHECK_LIBS) $(DW_LIBS)
tests_check_symcache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_symcache_LDADD = lib/libinternal.la $(CHECK_LIBS)
# -O2 -g: the inlined-frame test needs a real inline instance.
tests_check_symbolize_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -O2 -g
tests_check_symbolize_LDADD = lib/libinternal.la $(CHECK_LIBS) -ldl
# The fixture is the test program's own debug sections (hence -g), compressed
# and decompressed with objcopy at run time.
check_PROGRAMS += tests/check_debugimage
TESTS += tests/check_debugimage
tests_check_debugimage_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(DW_CFLAGS) -g
tests_check_debugimage_LDADD = lib/libinternal.la $(CHECK_LIBS) $(DW_LIBS)
tests_check_glibc_locks_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_glibc_locks_LDADD = lib/libinternal.la $(CHECK_LIBS)

# Target programs for tests/stack*.sh and scripts/bench-stack.sh: plain
# programs (no shim, no sanitizers), -g -O0 so frames and lines are exact.
stack_samples = samples/stack_abba samples/stack_recursive samples/stack_rwlock \
	samples/stack_sleeper samples/stack_idle samples/stack_churn \
	samples/stack_sleeper_static samples/stack_vanish
check_PROGRAMS += $(stack_samples)
STACK_SAMPLE_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -g -O0 -pthread
samples_stack_abba_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_abba_LDFLAGS = -pthread
samples_stack_recursive_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_recursive_LDFLAGS = -pthread
samples_stack_rwlock_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_rwlock_LDFLAGS = -pthread
samples_stack_sleeper_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_sleeper_LDFLAGS = -pthread
samples_stack_idle_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_idle_LDFLAGS = -pthread
samples_stack_churn_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_churn_LDFLAGS = -pthread
samples_stack_vanish_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_vanish_LDFLAGS = -pthread
# A static binary: no libc module, no .gnu_debuglink to libc6-dbg.
samples_stack_sleeper_static_SOURCES = samples/stack_sleeper.c
samples_stack_sleeper_static_CFLAGS = $(STACK_SAMPLE_CFLAGS)
samples_stack_sleeper_static_LDFLAGS = -pthread -all-static

# Integration tests: real targets, attached with `lockscope stack -p`.
stack_tests = tests/stack_abba.sh tests/stack_recursive.sh tests/stack_rwlock.sh \
	tests/stack_sleeper.sh tests/stack_idle.sh tests/stack_errors.sh tests/stack_churn.sh \
	tests/stack_cache.sh tests/stack_vanish.sh
TESTS += $(stack_tests)
dist_noinst_SCRIPTS += $(stack_tests) tests/stack-common.sh

# `make bench-stack`: lockscope stack against eu-stack (prints ratios; not a test).
EXTRA_DIST += scripts/bench-stack.sh
bench-stack: tools/lockscope samples/stack_idle
	$(SHELL) $(srcdir)/scripts/bench-stack.sh $(abs_top_builddir)
.PHONY: bench-stack

dist_man_MANS += man/lockscope-stack.1
