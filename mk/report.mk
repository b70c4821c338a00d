# report piece: see the issue that owns it
# The report model, its writers (text, JSON, dot, folded, html), the strict
# JSON reader and the `lockscope report` verb.
lib_libinternal_la_SOURCES += lib/report/report.c lib/report/report_text.c lib/report/report_json.c \
	lib/report/report_merge.c \
	lib/report/report_render.h lib/report/report_render.c \
	lib/report/report_format.h lib/report/report_format.c

check_PROGRAMS += tests/check_report
TESTS += tests/check_report
tests_check_report_SOURCES = tests/check_report.c
tests_check_report_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_report_LDADD = lib/libinternal.la $(CHECK_LIBS)
lib_libinternal_la_SOURCES += lib/report/report_render_dot.c lib/report/report_render_folded.c lib/report/report_render_html.c
# The html writer lays the graph out on a circle (cos, sin, hypot).
lib_libinternal_la_LIBADD += -lm
tools_lockscope_SOURCES += tools/report.c

# Integration test: renders the checked-in sample in every format and feeds
# the hostile corpus to `lockscope report`.
TESTS += tests/report.sh tests/report_merge.sh
EXTRA_DIST += tests/report.sh tests/report_merge.sh tests/corpus/report tests/fuzz_report.c

dist_man_MANS += man/lockscope-report.1 man/lockscope-report.5

# Fuzzing (not part of all/check): `make fuzz-smoke` builds the libFuzzer
# target with clang and runs it for FUZZ_SECONDS on a scratch copy of the
# seed corpus; any crash, leak, sanitizer report or broken round trip fails.
FUZZ_CC = clang
FUZZ_SECONDS = 30
FUZZ_REPORT_SRC = $(top_srcdir)/tests/fuzz_report.c $(top_srcdir)/lib/report/report.c \
	$(top_srcdir)/lib/report/report_merge.c \
	$(top_srcdir)/lib/report/report_text.c $(top_srcdir)/lib/report/report_json.c $(top_srcdir)/lib/report/report_render.c \
	$(top_srcdir)/lib/report/report_format.c $(top_srcdir)/lib/core/grow.c $(top_srcdir)/lib/symbols/frame.c \
	$(top_srcdir)/lib/report/report_render_dot.c $(top_srcdir)/lib/report/report_render_folded.c \
	$(top_srcdir)/lib/report/report_render_html.c
FUZZ_REPORT_INCLUDES = $(top_srcdir)/lib/report/report.h $(top_srcdir)/lib/report/report_format.h $(top_srcdir)/lib/report/report_render.h \
	$(top_srcdir)/lib/core/lockscope_internal.h
CLEANFILES += tests/fuzz_report tests/fuzz_report.log

tests/fuzz_report: $(FUZZ_REPORT_SRC) $(FUZZ_REPORT_INCLUDES) config.h
	@$(MKDIR_P) tests
	$(AM_V_CCLD)$(FUZZ_CC) -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(top_srcdir)/lib -I$(top_builddir) $(JANSSON_CFLAGS) \
		-o $@ $(FUZZ_REPORT_SRC) $(JANSSON_LIBS) -lm

fuzz-smoke: tests/fuzz_report
	@work=`mktemp -d` && cp $(top_srcdir)/tests/corpus/report/* "$$work"/ && \
	echo "fuzz-smoke: fuzzing the report reader and writers for $(FUZZ_SECONDS) s" && \
	ASAN_OPTIONS=detect_leaks=1 tests/fuzz_report -max_total_time=$(FUZZ_SECONDS) -runs=5000000 \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix=tests/fuzz_report-crash- "$$work" > tests/fuzz_report.log 2>&1; \
	status=$$?; rm -rf "$$work"; tail -n 15 tests/fuzz_report.log; \
	if test $$status -ne 0; then echo "fuzz-smoke: FAILED (see tests/fuzz_report.log and tests/fuzz_report-crash-*)"; fi; \
	exit $$status
.PHONY: fuzz-smoke
