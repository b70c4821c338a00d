#!/bin/sh
# py_names.sh — a lock-order inversion in Python code: an ABBA between
# two pthread mutexes Python makes and takes through ctypes
# (samples/python/ctypes_abba.py).  Asserts the locks are named where
# Python made them (the assigned name and file:line, a helper's lock by
# its caller's assignment), the threads by their Thread target, the
# acquisition stacks' Python frames, and the JSON report ("language":
# "python") rendered back as text, html, dot and folded.  Debian's
# python3 always; 3.12 and 3.13 where installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/py-common.sh"
ls_setup
ls_need_debian_python
sample="$top_srcdir/samples/python/ctypes_abba.py"
line_of() { grep -n "# LINE:$1\$" "$sample" | cut -d: -f1; }
a="lock_a (ctypes_abba.py:$(line_of lock-a))"
b="lock_b (ctypes_abba.py:$(line_of lock-b), made at ctypes_abba.py:$(line_of helper-init))"

for py in $(ls_pythons 3.12 3.13); do
	v=$(basename "$py")
	ls_run "text-$v" -- "$py" "$sample"
	ls_expect_status 0 "$py: the sample ends"
	ls_expect_line "$RUN_ERR" "lockscope: lock-order inversion (potential deadlock)"
	ls_expect_line "$RUN_ERR" "  Cycle of 2 locks: $a -> $b -> $a"
	ls_expect_line "$RUN_ERR" "  Thread T1 (forward, tid "
	ls_expect_line "$RUN_ERR" "acquired $b (mutex 0x"
	ls_expect_line "$RUN_ERR" "  Thread T2 (backward, tid "
	# T2's acquisition of lock_a: take_both's second lock, called by backward
	awk '/Thread T2/ { on = 1 } on' "$RUN_ERR" | awk '/lock_a .* was acquired at:/ { on = 1; next } on' >"$LS_WORK/t2.txt"
	grep -Eq "#[0-9]+ \[python\] in take_both .*ctypes_abba.py:$(line_of take-second)\$" "$LS_WORK/t2.txt" &&
		grep -Eq "#[0-9]+ \[python\] in backward .*ctypes_abba.py:$(line_of backward)\$" "$LS_WORK/t2.txt" ||
		ls_fail "$py: T2's acquire stack lacks take_both/backward frames"
	! grep -q _PyEval_EvalFrameDefault "$RUN_ERR" || ls_fail "$py: an evaluation-loop frame is left"
	ls_pass "$py: text report"

	json="$LS_WORK/abba-$v.json"
	ls_run "json-$v" --format=json --output="$json" -- "$py" "$sample"
	ls_expect_status 0 "$py: the sample ends (JSON)"
	ls_expect_json "$json" "sorted({e['held']['name'] for e in d['inversions'][0]['cycle']})" "['$a', '$b']"
	ls_expect_json "$json" "[e['thread']['name'] for e in d['inversions'][0]['cycle']]" "['forward', 'backward']"
	ls_expect_json "$json" \
		"[(f['function'], f['line']) for f in d['inversions'][0]['cycle'][1]['acquire_stack'] if f.get('language') == 'python'][:2]" \
		"[('take_both', $(line_of take-second)), ('backward', $(line_of backward))]"
	ls_expect_json "$json" \
		"all('language' not in f for e in d['inversions'][0]['cycle'] for f in e['acquire_stack'] if f['module'])" True
	"$LOCKSCOPE" report "$json" >"$LS_WORK/back-$v.txt" || ls_fail "$py: lockscope report (text)"
	ls_expect_line "$LS_WORK/back-$v.txt" "  Cycle of 2 locks: $a -> $b -> $a"
	grep -Eq "\[python\] in backward .*ctypes_abba.py:$(line_of backward)\$" "$LS_WORK/back-$v.txt" ||
		ls_fail "$py: the text rendered from JSON lacks the Python frames"
	"$LOCKSCOPE" report --format=html "$json" >"$LS_WORK/abba-$v.html" || ls_fail "$py: lockscope report (html)"
	ls_expect_line "$LS_WORK/abba-$v.html" "[python] in backward"
	"$LOCKSCOPE" report --format=dot "$json" >"$LS_WORK/abba-$v.dot" || ls_fail "$py: lockscope report (dot)"
	ls_expect_line "$LS_WORK/abba-$v.dot" "$a"
	ls_pass "$py: JSON report and its renderings"
done
