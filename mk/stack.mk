# stack piece: the symbolizer (libdwfl) and `lockscope stack -p PID`.
lib_libcore_la_SOURCES += lib/symbolize.c

check_PROGRAMS += tests/check_symbolize
TESTS += tests/check_symbolize
# -O2 -g: the inlined-frame test needs a real inline instance; -rdynamic is
# not needed (the test looks symbols up in .symtab through libdwfl).
tests_check_symbolize_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -O2 -g
tests_check_symbolize_LDADD = lib/libcore.la $(CHECK_LIBS) -ldl
