# python piece: reading CPython's frames (lib/python), its unit tests and
# the tests that run Python programs.
lib_libinternal_la_SOURCES += lib/python/pymemory.c lib/python/pymemory.h \
	lib/python/pylayout.c lib/python/pylayout.h \
	lib/python/linetable.c lib/python/linetable.h \
	lib/python/pyframes.c lib/python/pyframes.h \
	lib/core/py_stack.c lib/core/py_stack.h \
	lib/symbols/pysymbols.c lib/symbols/pysymbols.h \
	lib/report/py_names.c lib/report/py_names.h \
	lib/attach/pyattach.c lib/attach/pyattach.h

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

python_tests = tests/py_argc.sh tests/py_frames.sh tests/py_rawdump.sh \
	tests/py_names.sh tests/py_top.sh
EXTRA_DIST += $(python_tests) tests/py-common.sh tests/py/argc.py samples/python
if !SANITIZERS
TESTS += $(python_tests)
endif
# Rendering Python frames from a saved report: in every build.
TESTS += tests/report_python.sh
EXTRA_DIST += tests/report_python.sh

# Unit tests of the python room (Check).  check_pylayout compares the
# built-in layout with offsetof() in the Python headers (python3-dev's
# internal ones); without those headers it is replaced by a test that
# fails and says what to install.
python_unit_tests = tests/check_pylinetable tests/check_pyframes tests/check_pynames
check_PROGRAMS += tests/check_pylinetable tests/check_pyframes tests/check_pynames
tests_check_pylinetable_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_pylinetable_LDADD = lib/libinternal.la $(CHECK_LIBS)
tests_check_pyframes_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_pyframes_LDADD = lib/libinternal.la $(CHECK_LIBS)
tests_check_pynames_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_pynames_LDADD = lib/libinternal.la $(CHECK_LIBS)
if HAVE_PYTHON_DEV
python_unit_tests += tests/check_pylayout
check_PROGRAMS += tests/check_pylayout
tests_check_pylayout_SOURCES = tests/check_pylayout.c lib/python/pylayout.c
tests_check_pylayout_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PYTHON_DEV_CFLAGS) -Wno-missing-field-initializers
tests_check_pylayout_LDADD = $(CHECK_LIBS)
else
python_unit_tests += tests/check_pylayout_missing.sh
endif
TESTS += $(python_unit_tests)
EXTRA_DIST += tests/check_pylayout_missing.sh

# `make bench-python`: what Python frames cost per capture (prints figures).
EXTRA_DIST += scripts/bench-python.sh scripts/bench-python.py
bench-python: tests/libpyprobe.la
	$(SHELL) $(srcdir)/scripts/bench-python.sh $(abs_top_builddir)
.PHONY: bench-python
