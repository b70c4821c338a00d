#!/bin/sh
# py_frames.sh — Python frames in every stack lockscope shows for a CPython
# process, in place of the evaluation loop's (_PyEval_EvalFrameDefault):
# dumps on a timer and on SIGQUIT (text and JSON), `lockscope stack -p`
# without the shim, and crash dumps (a SIGSEGV raised from Python, and one
# in C code called through ctypes).  Asserts function, file:line of the
# Python frames, Python threads named by their Thread target, and that no
# evaluation-loop frame is left.  Debian's python3 always; 3.12 and 3.13
# where installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/py-common.sh"
ls_setup
ls_need_debian_python
PYSAMPLES="$top_srcdir/samples/python"
nested="$PYSAMPLES/nested_wait.py"
crash="$PYSAMPLES/crash.py"

line_of() { # MARK FILE: the line carrying "# LINE:MARK"
	grep -n "# LINE:$1\$" "$2" | cut -d: -f1
}

# expect_frame FILE FUNCTION SCRIPT MARK: a "[python] in FUNCTION SCRIPT:LINE" frame
expect_frame() {
	grep -Eq "#[0-9]+ \[python\] in $2 .*$(basename "$3"):$(line_of "$4" "$3")\$" "$1" ||
		RUN_ERR="$1" ls_fail "$py: $(basename "$1"): no frame '[python] in $2 $(basename "$3"):$(line_of "$4" "$3")'"
}

no_eval_frames() { # FILE
	! grep -q '_PyEval_EvalFrameDefault' "$1" ||
		RUN_ERR="$1" ls_fail "$py: $(basename "$1"): an evaluation-loop frame is left"
}

# The frames of nested_wait.py: the main thread sleeps under two nested
# functions, a method waits on a lock, a generator waits under a for loop.
expect_nested_frames() { # FILE
	expect_frame "$1" 'outer\.<locals>\.inner' "$nested" main-sleep
	expect_frame "$1" 'Worker\.wait_at_gate' "$nested" worker-wait
	expect_frame "$1" ticks "$nested" generator-wait
	grep -Eq '\[python\] in outer .*nested_wait.py:[0-9]+$' "$1" || RUN_ERR="$1" ls_fail "$py: no frame for outer"
	grep -Eq '\[python\] in consume .*nested_wait.py:[0-9]+$' "$1" || RUN_ERR="$1" ls_fail "$py: no frame for consume"
	no_eval_frames "$1"
}

# Starts nested_wait.py (under the shim when "$@" holds lockscope run
# flags) and waits for its "ready PID" line; sets $target.
start_nested() { # OUT ERR [lockscope run flags]
	out=$1 err=$2
	shift 2
	if [ $# -gt 0 ]; then
		timeout -k 5 60 "$LOCKSCOPE" run "$@" -- "$py" "$nested" >"$out" 2>"$err" &
	else
		timeout -k 5 60 "$py" "$nested" >"$out" 2>"$err" &
	fi
	runner=$!
	for _ in $(seq 200); do
		grep -q '^ready' "$out" 2>/dev/null && break
		sleep 0.05
	done
	target=$(awk '/^ready/ { print $2 }' "$out")
	[ -n "$target" ] || RUN_ERR="$err" ls_fail "$py: nested_wait.py did not start"
}

stop_nested() {
	kill "$target" 2>/dev/null
	wait "$runner" 2>/dev/null || true
}

# Waits until FILE has a line matching the extended regex RE.
wait_for_line() { # FILE RE
	for _ in $(seq 200); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	RUN_ERR="$1" ls_fail "$py: no line matching '$2' in $(basename "$1")"
}

for py in $(ls_pythons 3.12 3.13); do
	v=$(basename "$py")

	# --- a timer dump
	start_nested "$LS_WORK/timer-$v.out" "$LS_WORK/timer-$v.err" --dump-after=0.5
	wait_for_line "$LS_WORK/timer-$v.err" '^lockscope: thread dump \('
	wait_for_line "$LS_WORK/timer-$v.err" 'in Thread._bootstrap .*threading.py'
	stop_nested
	expect_nested_frames "$LS_WORK/timer-$v.err"
	grep -q '^  Thread Worker.run (tid' "$LS_WORK/timer-$v.err" ||
		RUN_ERR="$LS_WORK/timer-$v.err" ls_fail "$py: the worker thread is not named by its target"
	grep -q '^  Thread consume (tid' "$LS_WORK/timer-$v.err" ||
		RUN_ERR="$LS_WORK/timer-$v.err" ls_fail "$py: the consumer thread is not named by its target"
	ls_pass "$py: timer dump"

	# --- SIGQUIT, JSON report; then SIGTERM: the last report (written at
	# SIGTERM, its own threads without stacks) still has the dump, kept
	start_nested "$LS_WORK/quit-$v.out" "$LS_WORK/quit-$v.err" --format=json --output="$LS_WORK/quit-$v.json"
	kill -QUIT "$target"
	wait_for_line "$LS_WORK/quit-$v.err" '^lockscope: thread dump requested by SIGQUIT'
	stop_nested
	ls_expect_json "$LS_WORK/quit-$v.json" "(d['reason'], [x['reason'] for x in d['dumps']])" \
		"('signal SIGTERM', ['signal SIGQUIT'])"
	dump="d['dumps'][0]['threads']"
	ls_expect_json "$LS_WORK/quit-$v.json" \
		"sorted({(f['function'], f['file'].split('/')[-1], f['line']) for t in $dump for f in t['stack'] if f.get('language') == 'python' and f['function'] in ('Worker.wait_at_gate', 'ticks')})" \
		"[('Worker.wait_at_gate', 'nested_wait.py', $(line_of worker-wait "$nested")), ('ticks', 'nested_wait.py', $(line_of generator-wait "$nested"))]"
	ls_expect_json "$LS_WORK/quit-$v.json" \
		"sorted(t['name'] for t in $dump if any(f.get('language') == 'python' for f in t['stack']))" \
		"['Worker.run', 'consume', '$(basename "$py")']"
	ls_expect_json "$LS_WORK/quit-$v.json" \
		"sum(1 for t in $dump for f in t['stack'] if (f['function'] or '').startswith('_PyEval_EvalFrameDefault'))" 0
	ls_expect_json "$LS_WORK/quit-$v.json" \
		"all(f['module'] is None and f['address'] == '0x0' for t in $dump for f in t['stack'] if f.get('language') == 'python')" True
	"$LOCKSCOPE" report "$LS_WORK/quit-$v.json" >"$LS_WORK/quit-$v.txt" || ls_fail "$py: lockscope report of the JSON dump"
	expect_nested_frames "$LS_WORK/quit-$v.txt"
	ls_pass "$py: SIGQUIT dump in JSON, read back"

	# --- lockscope stack -p, no shim in the target
	start_nested "$LS_WORK/attach-$v.out" "$LS_WORK/attach-$v.err"
	sleep 0.3
	"$LOCKSCOPE" stack -p "$target" >"$LS_WORK/attach-$v.txt" 2>"$LS_WORK/attach-$v.stderr" ||
		RUN_ERR="$LS_WORK/attach-$v.stderr" ls_fail "$py: lockscope stack -p $target failed"
	stop_nested
	expect_nested_frames "$LS_WORK/attach-$v.txt"
	grep -q '^Thread [0-9]* "Worker.run"' "$LS_WORK/attach-$v.txt" ||
		RUN_ERR="$LS_WORK/attach-$v.txt" ls_fail "$py: stack -p: the worker is not named by its target"
	ls_pass "$py: lockscope stack -p"

	# --- crash dumps
	ls_run "crash-$v" -- "$py" "$crash"
	ls_expect_status 139 "$py: the crash still ends the program by SIGSEGV"
	ls_expect_line "$RUN_ERR" "lockscope: fatal signal SIGSEGV"
	expect_frame "$RUN_ERR" explode "$crash" crash-kill
	expect_frame "$RUN_ERR" handle_request "$crash" crash-caller
	expect_frame "$RUN_ERR" waiter "$crash" crash-waiter
	no_eval_frames "$RUN_ERR"
	ls_run "ctypes-$v" -- "$py" "$crash" ctypes
	ls_expect_status 139 "$py: the ctypes crash ends the program by SIGSEGV"
	expect_frame "$RUN_ERR" explode "$crash" crash-ctypes
	expect_frame "$RUN_ERR" handle_request "$crash" crash-caller
	ls_pass "$py: crash dumps"
done

# --- a CPython this build cannot read (3.10, where installed): native
# frames, and one line saying so
py=$(ls_find_python 3.10)
if [ -n "$py" ]; then
	start_nested "$LS_WORK/old.out" "$LS_WORK/old.err" --dump-after=0.3
	wait_for_line "$LS_WORK/old.err" '^lockscope: thread dump \('
	wait_for_line "$LS_WORK/old.err" 'start_thread'
	stop_nested
	[ "$(grep -c 'native frames only' "$LS_WORK/old.err")" -eq 1 ] ||
		RUN_ERR="$LS_WORK/old.err" ls_fail "$py: no single line saying its frames are not read"
	grep -q '_PyEval_EvalFrameDefault' "$LS_WORK/old.err" ||
		RUN_ERR="$LS_WORK/old.err" ls_fail "$py: the native evaluation-loop frames are gone"
	! grep -q '\[python\]' "$LS_WORK/old.err" || RUN_ERR="$LS_WORK/old.err" ls_fail "$py: Python frames from 3.10?"
	ls_pass "$py: unsupported version said once, native frames kept"
else
	echo "skip: no CPython 3.10 interpreter here (the unsupported-version line is not checked)"
fi
