# Core, shim, CLI entry point.
noinst_LTLIBRARIES += lib/libcore.la
lib_libcore_la_SOURCES = lib/core_version.c lib/lockscope_internal.h lib/report.h lib/symbolize.h
lib_libcore_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(UNWIND_CFLAGS) $(DW_CFLAGS) $(JANSSON_CFLAGS)
lib_libcore_la_LIBADD = $(UNWIND_LIBS) $(DW_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += tools/lockscope
tools_lockscope_SOURCES = tools/main.c tools/commands.h tools/run.c tools/spawn.c tools/spawn.h
tools_lockscope_CPPFLAGS = $(AM_CPPFLAGS) -DLS_LIBDIR=\"$(libdir)\"
tools_lockscope_LDADD = lib/libcore.la $(NCURSES_LIBS)

lib_libcore_la_SOURCES += lib/arena.c lib/arena.h lib/options.c lib/options.h \
	lib/stack_depot.c lib/stack_depot.h lib/lock_table.c lib/lock_table.h \
	lib/thread_state.c lib/thread_state.h lib/order_graph.c lib/order_graph.h \
	lib/tracker.c lib/tracker.h lib/shim_report.c lib/shim_report.h

# The shim: only the interposed functions are exported.
if !SANITIZERS
lib_LTLIBRARIES += preload/liblockscope-preload.la
preload_liblockscope_preload_la_SOURCES = preload/interpose.c preload/bootstrap.c \
	preload/mutex_inline.c preload/mutex_inline.h \
	preload/output.c preload/real.h preload/shim.h
preload_liblockscope_preload_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec $(UNWIND_CFLAGS)
preload_liblockscope_preload_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,-z,nodelete
preload_liblockscope_preload_la_LIBADD = lib/libcore.la -ldl -lpthread
endif

dist_man_MANS += man/lockscope.1 man/lockscope-run.1 man/lockscope-options.7
