# dumps piece: the watchdog (deadlock, hang, stall and hold-and-wait
# reports), thread dumps on a timer, on a signal and on a crash, and the
# <lockscope/watchdog.h> API.  See lockscope-dumps(7).
lib_libinternal_la_SOURCES += lib/core/watchdog.c lib/core/watchdog.h lib/core/thread_dump.c lib/core/thread_dump.h

if !SANITIZERS
preload_liblockscope_preload_la_SOURCES += preload/dumps.c
endif

lib_liblockscope_la_SOURCES += lib/api/watchdog_api.c include/lockscope/watchdog.h
lib_liblockscope_la_LIBADD += -ldl
pkginclude_HEADERS += include/lockscope/watchdog.h

check_PROGRAMS += tests/check_watchdog
TESTS += tests/check_watchdog
tests_check_watchdog_SOURCES = tests/check_watchdog.c
tests_check_watchdog_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_watchdog_LDADD = lib/libinternal.la lib/liblockscope.la $(CHECK_LIBS)

# Scenarios for the dump tests (built like the other lock samples).
dump_samples = samples/dump_transfer samples/dump_cycle3 samples/dump_pool samples/dump_sleeper \
	samples/dump_crash samples/dump_eventloop samples/dump_handlers samples/dump_busy \
	samples/dump_selflock samples/dump_heapcrash samples/dump_masked
noinst_PROGRAMS += $(dump_samples)
samples_dump_transfer_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_transfer_LDFLAGS = $(sample_ldflags)
samples_dump_cycle3_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_cycle3_LDFLAGS = $(sample_ldflags)
samples_dump_pool_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_pool_LDFLAGS = $(sample_ldflags)
samples_dump_sleeper_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_sleeper_LDFLAGS = $(sample_ldflags)
samples_dump_crash_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_crash_LDFLAGS = $(sample_ldflags)
samples_dump_eventloop_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_eventloop_LDFLAGS = $(sample_ldflags) -no-install
samples_dump_eventloop_LDADD = lib/liblockscope.la
samples_dump_handlers_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_handlers_LDFLAGS = $(sample_ldflags)
samples_dump_busy_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_busy_LDFLAGS = $(sample_ldflags)
samples_dump_selflock_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_selflock_LDFLAGS = $(sample_ldflags)
samples_dump_heapcrash_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_heapcrash_LDFLAGS = $(sample_ldflags)
samples_dump_masked_CFLAGS = $(SAMPLE_CFLAGS)
samples_dump_masked_LDFLAGS = $(sample_ldflags)

if !SANITIZERS
dump_tests = tests/dump_deadlock.sh tests/dump_hang.sh tests/dump_crash.sh tests/dump_signal.sh \
	tests/dump_eventloop.sh tests/dump_selflock.sh tests/dump_rawcrash.sh tests/dump_masked.sh \
	tests/dump_kept.sh
TESTS += $(dump_tests)
endif
EXTRA_DIST += tests/dump_deadlock.sh tests/dump_hang.sh tests/dump_crash.sh tests/dump_signal.sh \
	tests/dump_eventloop.sh tests/dump_selflock.sh tests/dump_rawcrash.sh tests/dump_masked.sh tests/dump_kept.sh \
	tests/dump_lib.sh scripts/bench-dump.sh

dist_man_MANS += man/lockscope-dumps.7
