# report piece: see the issue that owns it
# The report model, its writers (text, JSON, dot, folded, html), the strict
# JSON reader and the `lockscope report` verb.
lib_libcore_la_SOURCES += lib/report.c lib/report_text.c lib/report_json.c \
	lib/report_render.h lib/report_render.c

check_PROGRAMS += tests/check_report
TESTS += tests/check_report
tests_check_report_SOURCES = tests/check_report.c
tests_check_report_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_report_LDADD = lib/libcore.la $(CHECK_LIBS)
lib_libcore_la_SOURCES += lib/report_render_dot.c lib/report_render_folded.c lib/report_render_html.c
# The html writer lays the graph out on a circle (cos, sin, hypot).
lib_libcore_la_LIBADD += -lm
tools_lockscope_SOURCES += tools/report.c
