# sort piece: the stable adaptive sort (liblockscope.so, <lockscope/sort.h>),
# `lockscope sortbench`, their tests and man pages.
sort_sources = lib/sort/sort.c lib/sort/sort_internal.h lib/sort/sort_engine.h include/lockscope/sort.h

lib_LTLIBRARIES += lib/liblockscope.la
lib_liblockscope_la_SOURCES = $(sort_sources)
lib_liblockscope_la_CPPFLAGS = $(AM_CPPFLAGS) -DLOCKSCOPE_EXPORTS
lib_liblockscope_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_liblockscope_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined
lib_liblockscope_la_LIBADD = -lm
pkginclude_HEADERS += include/lockscope/sort.h

# The CLI and the unit tests get the same code through libcore.
lib_libinternal_la_SOURCES += $(sort_sources)
lib_libinternal_la_LIBADD += -lm

check_PROGRAMS += tests/check_sort
TESTS += tests/check_sort
tests_check_sort_SOURCES = tests/check_sort.c
tests_check_sort_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_sort_LDADD = lib/libinternal.la $(CHECK_LIBS) -lm

tools_lockscope_SOURCES += tools/sortbench.c
TESTS += tests/sortbench.sh
EXTRA_DIST += tests/sortbench.sh
dist_man_MANS += man/lockscope_sort.3 man/lockscope-sortbench.1
dist_noinst_SCRIPTS += samples/sortcorpus.sh
