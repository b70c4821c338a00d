# Core, shim, CLI entry point.
noinst_LTLIBRARIES += lib/libcore.la
lib_libcore_la_SOURCES = lib/core_version.c lib/lockscope_internal.h lib/report.h lib/symbolize.h
lib_libcore_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(UNWIND_CFLAGS) $(DW_CFLAGS) $(JANSSON_CFLAGS)
lib_libcore_la_LIBADD = $(UNWIND_LIBS) $(DW_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += tools/lockscope
tools_lockscope_SOURCES = tools/main.c tools/commands.h
tools_lockscope_LDADD = lib/libcore.la $(NCURSES_LIBS)
