#!/bin/sh
# report_python.sh — `lockscope report` on a report with Python frames
# (tests/corpus/report/sample-python.json): "language": "python" frames
# print as "[python] in FUNCTION FILE:LINE", survive a JSON round trip
# (other languages read as native), name flame-graph frames
# "function (file.py:line)", show in html and dot.  (A "language" that is
# not a string is refused: bad-language-type.json in tests/report.sh.)
set -u
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?}"
lockscope=$top_builddir/tools/lockscope
sample=$top_srcdir/tests/corpus/report/sample-python.json
tmp=$(mktemp -d) || ls_fail "mktemp failed"
LS_WORK=$tmp
trap ls_cleanup EXIT
expect() { ls_expect_line "$1" "$2" "$(basename "$1")"; }
expect_not() { ! grep -qF -- "$2" "$1" || ls_fail "$(basename "$1") should not contain: $2"; }
fail() { ls_fail "$@"; }

"$lockscope" report "$sample" >"$tmp/out.text" || fail "text: exit $?"
expect "$tmp/out.text" "  Cycle of 2 locks: lock_a (app.py:22) -> lock_b (app.py:23, made at app.py:17) -> lock_a (app.py:22)"
expect "$tmp/out.text" "  Thread T2 (backward, tid 4244) acquired lock_a (app.py:22)"
expect "$tmp/out.text" "      #1 [python] in backward /srv/app.py:38"
expect "$tmp/out.text" "      #0 0x00007f41ec2a6b0d in ffi_call (libffi.so.8.1.2+0x6b0d)"
expect "$tmp/out.text" "      #1 [python] in outer.<locals>.inner /srv/app.py:50"
# a "native" and an unknown language read as native frames
expect "$tmp/out.text" "      #2 0x00000000005236bb in PyEval_EvalCode (python3.11+0x1236bb)"
expect "$tmp/out.text" "      #3 0x0000000000627d37 in main (python3.11+0x227d37)"
# the statistics table shows a Python site from its innermost Python frame
expect "$tmp/out.text" "          #1 [python] in bump /srv/app.py:19"
expect_not "$tmp/out.text" "          #0 0x00007f41ec29a000 in pthread_mutex_lock"

"$lockscope" report --format=json "$sample" >"$tmp/out.json" || fail "json: exit $?"
[ "$(grep -c '"language": "python"' "$tmp/out.json")" -eq 11 ] ||
	fail "json: expected 11 Python frames, got $(grep -c '"language": "python"' "$tmp/out.json")"
expect_not "$tmp/out.json" '"language": "native"'
expect_not "$tmp/out.json" '"language": "ruby"'
"$lockscope" report --format=json "$tmp/out.json" | cmp -s - "$tmp/out.json" || fail "json -> json is not byte-identical"

"$lockscope" report --format=folded "$sample" >"$tmp/out.folded" || fail "folded: exit $?"
expect "$tmp/out.folded" "start_thread;worker: the loop (app.py:26);bump (app.py:19);pthread_mutex_lock;lock counter_lock (app.py:12) 8820000000"

"$lockscope" report --format=html "$sample" >"$tmp/out.html" || fail "html: exit $?"
expect "$tmp/out.html" "#1 [python] in backward /srv/app.py:38"
expect "$tmp/out.html" "#0 [python] in bump /srv/app.py:19"

"$lockscope" report --format=dot "$sample" >"$tmp/out.dot" || fail "dot: exit $?"
expect "$tmp/out.dot" 'lock_b (app.py:23, made at app.py:17)'

ls_pass "reports with Python frames in every format"
