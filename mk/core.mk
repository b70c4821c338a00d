# Core, shim, CLI entry point.
noinst_LTLIBRARIES += lib/libinternal.la
lib_libinternal_la_SOURCES = lib/core/lockscope_internal.h lib/core/grow.c lib/core/grow.h \
	lib/symbols/frame.c lib/symbols/frame.h lib/report/report.h lib/symbols/symbolize.h
lib_libinternal_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(UNWIND_CFLAGS) $(DW_CFLAGS) $(JANSSON_CFLAGS)
lib_libinternal_la_LIBADD = $(UNWIND_LIBS) $(DW_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += tools/lockscope
tools_lockscope_SOURCES = tools/main.c tools/commands.h tools/run.c tools/spawn.c tools/spawn.h
tools_lockscope_CPPFLAGS = $(AM_CPPFLAGS) -DLS_LIBDIR=\"$(libdir)\"
tools_lockscope_LDADD = lib/libinternal.la $(NCURSES_LIBS)

lib_libinternal_la_SOURCES += lib/core/arena.c lib/core/arena.h lib/core/options.c lib/core/options.h \
	lib/core/stack_depot.c lib/core/stack_depot.h lib/core/lock_table.c lib/core/lock_table.h \
	lib/core/thread_state.c lib/core/thread_state.h lib/core/order_graph.c lib/core/order_graph.h \
	lib/core/tracker.c lib/core/tracker.h lib/core/semaphore.c lib/core/semaphore.h \
	lib/core/loop_watch.c lib/core/loop_watch.h lib/report/shim_report.c lib/report/shim_report.h

# The shim: only the interposed functions are exported.
if !SANITIZERS
lib_LTLIBRARIES += preload/liblockscope-preload.la
preload_liblockscope_preload_la_SOURCES = preload/interpose.c preload/bootstrap.c \
	preload/mutex_inline.c preload/mutex_inline.h preload/single_thread.c preload/single_thread.h \
	preload/sync.c preload/sem_inline.c preload/sem_inline.h \
	preload/output.c preload/real.h preload/shim.h \
	preload/ending.c preload/interpose_exit.c preload/exit_signals.c preload/raw_report.c preload/children.c \
	preload/interpose_poll.c preload/loop_stalls.c
preload_liblockscope_preload_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec $(UNWIND_CFLAGS)
preload_liblockscope_preload_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,-z,nodelete
preload_liblockscope_preload_la_LIBADD = lib/libinternal.la -ldl -lpthread
endif

dist_man_MANS += man/lockscope.1 man/lockscope-run.1 man/lockscope-options.7

# The rooms of lib/ depend on each other one way only (lib/README.md).
TESTS += tests/layering.sh
dist_noinst_SCRIPTS += tests/layering.sh
