# python piece: reading CPython's frames (lib/python), its unit tests and
# the tests that run Python programs.
lib_libinternal_la_SOURCES += lib/python/pymemory.c lib/python/pymemory.h \
	lib/python/pylayout.c lib/python/pylayout.h \
	lib/python/linetable.c lib/python/linetable.h \
	lib/python/pyframes.c lib/python/pyframes.h

# A preload probe for the tests: on every sem_trywait (CPython 3.11/3.12
# take threading.Lock with it) it writes what lib/python reads of the
# calling thread (argument count, Python frames, how native and Python
# frames line up) to the descriptor named by LS_PROBE_FD.
if !SANITIZERS
noinst_LTLIBRARIES += tests/libpyprobe.la
tests_libpyprobe_la_SOURCES = tests/pyprobe.c
tests_libpyprobe_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_libpyprobe_la_LIBADD = lib/libinternal.la -ldl
endif

python_tests = tests/py_argc.sh
EXTRA_DIST += $(python_tests) tests/py-common.sh tests/py/argc.py
if !SANITIZERS
TESTS += $(python_tests)
endif
