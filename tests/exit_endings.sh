# A program that found an inversion keeps its report however it ends:
# _exit, _Exit, exit_group through syscall(), exit; SIGTERM, SIGINT and
# SIGHUP with the default action, with a handler of its own installed after
# start-up (that returns, that calls _exit, that re-raises), ignored; and
# exec.  Each time the text report ends with its summary line and the JSON
# report has the inversion, and the program ends exactly as it would have
# without the shim (same status, or killed by the same signal).
. "$top_srcdir/tests/lib.sh"
ls_setup
PROG="$SAMPLES/exit_paths"
CYCLE1="first_lock>second_lock@worker_forward:exit_paths.c:35@worker_forward:exit_paths.c:36"
CYCLE2="second_lock>first_lock@worker_backward:exit_paths.c:46@worker_backward:exit_paths.c:47"

# direct NAME OPTIONS MODE [ARG...]: runs the sample with the shim preloaded
# by hand (no `lockscope run` in between) and prints how it ended as
# Python's subprocess sees it: the status, or -N when killed by signal N.
direct()
{
	run_name=$1 opts=$2
	shift 2
	LD_PRELOAD="$LOCKSCOPE_PRELOAD" LOCKSCOPE_OPTIONS="$opts" timeout -k 5 60 /usr/bin/python3 -c '
import subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode)' "$PROG" "$@" >"$LS_WORK/$run_name.how" 2>"$LS_WORK/$run_name.err" || true
	cat "$LS_WORK/$run_name.how"
}

# native MODE [ARG...]: the same without the shim.
native()
{
	timeout -k 5 60 /usr/bin/python3 -c '
import subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(r.returncode)' "$PROG" "$@"
}

# check_ending NAME STATUS REASON MODE [ARG...]: text and JSON reports of
# one ending under `lockscope run`, and the ending itself compared with the
# native one.
check_ending()
{
	ending=$1 status=$2 reason=$3
	shift 3
	ls_run "$ending-text" -- "$PROG" "$@"
	ls_expect_status "$status" "$ending (text)"
	pid=$(sed -n 's/^exit_paths: .*, pid \([0-9]*\)$/\1/p' "$RUN_OUT")
	[ -n "$pid" ] || ls_fail "$ending: the sample did not start: $(cat "$RUN_OUT")"
	ls_expect_summary "$RUN_ERR" 1 "$pid"
	ls_expect_cycle text "$RUN_ERR" 0 "$CYCLE1" "$CYCLE2"

	json="$LS_WORK/$ending.json"
	ls_run "$ending-json" --format=json --output="$json" -- "$PROG" "$@"
	ls_expect_status "$status" "$ending (JSON)"
	[ -s "$json" ] || ls_fail "$ending: no JSON report"
	ls_expect_json "$json" "d['reason']" "$reason"
	ls_expect_json "$json" "len(d['inversions'])" 1
	ls_expect_cycle json "$json" 0 "$CYCLE1" "$CYCLE2"
	# The statistics are there too: this is the full report, not a raw one.
	ls_expect_json "$json" "[l['acquisitions'] for l in d['locks'] if l['name'] == 'first_lock']" "[2]"

	ended=$(direct "$ending" "" "$@")
	expected=$(native "$@")
	[ "$ended" = "$expected" ] || ls_fail "$ending: ended with $ended under the shim, $expected without"
	ls_pass "$ending: text summary, JSON report ($reason), ended as without the shim ($ended)"
}

check_ending _exit 3 _exit _exit
check_ending _Exit 3 _Exit _Exit
check_ending exit_group 3 exit_group exit_group
check_ending exit 3 exit exit
check_ending sigterm 143 "signal SIGTERM" signal TERM
check_ending sigint 130 "signal SIGINT" signal INT
check_ending sighup 129 "signal SIGHUP" signal HUP
# Killed by the signal, not exiting with 128+N.
[ "$(direct killed "" signal TERM)" = -15 ] || ls_fail "SIGTERM: not killed by the signal"

check_ending handler-return 0 exit handler-return TERM
ls_expect_line "$RUN_OUT" "exit_paths: handler ran 1 time(s), the program goes on" "their handler ran and returned"
check_ending handler-exit 7 _exit handler-exit INT
ls_expect_line "$RUN_OUT" "exit_paths: handler calls _exit(7)" "their handler ran"
check_ending handler-reraise 129 "signal SIGHUP" handler-reraise HUP
ls_expect_line "$RUN_OUT" "exit_paths: handler raises again" "their handler ran"
check_ending ignore 0 exit ignore TERM
ls_expect_line "$RUN_OUT" "exit_paths: ignored (disposition SIG_IGN), the program goes on" "SIG_IGN kept and seen"

# exit_signals=0: the signal kills at once, as before; nothing written.
ls_run nosignals -O exit_signals=0 -- "$PROG" signal TERM
ls_expect_status 143 "exit_signals=0"
ls_expect_count "$RUN_ERR" "inversions, 0 deadlocks in" 0 "no summary with exit_signals=0"
ls_expect_count "$RUN_ERR" "inversion, 0 deadlocks in" 0 "no summary with exit_signals=0"
ls_pass "exit_signals=0: SIGTERM ends the program without a report"

# exec: the image that found the inversion writes its report first; the
# next image (abba, same pid) has its own.
ls_run exec-text -- "$PROG" exec "$SAMPLES/abba"
ls_expect_status 0 "exec (text)"
pid=$(sed -n 's/^exit_paths: .*, pid \([0-9]*\)$/\1/p' "$RUN_OUT")
ls_expect_line "$RUN_OUT" "abba: balances -5 5" "the executed program ran"
ls_expect_line "$RUN_ERR" "lockscope: 1 inversion, 0 deadlocks in $PROG (pid $pid)" "exit_paths' summary before the exec"
ls_expect_line "$RUN_ERR" "lockscope: 1 inversion, 0 deadlocks in $SAMPLES/abba (pid $pid)" "abba's own summary"
ls_expect_count "$RUN_ERR" "lockscope: lock-order inversion (potential deadlock)" 2 "both inversions"

report="$LS_WORK/exec.json"
ls_run exec-json --format=json --output="$report" -- "$PROG" exec "$SAMPLES/abba"
ls_expect_status 0 "exec (JSON)"
[ -s "$report.exec1" ] || ls_fail "no $report.exec1 from the image replaced by exec (files: $(ls "$LS_WORK"))"
ls_expect_json "$report.exec1" "d['reason']" exec
ls_expect_json "$report.exec1" "d['program'] == '$PROG'" True
ls_expect_cycle json "$report.exec1" 0 "$CYCLE1" "$CYCLE2"
ls_expect_json "$report" "d['program'] == '$SAMPLES/abba'" True
ls_expect_json "$report" "len(d['inversions'])" 1
ls_expect_json "$report" "[(c['reason'], c['report'], c['inversions']) for c in d['child_reports']]" \
	"[('exec', '$report.exec1', 1)]"
ls_pass "exec: the replaced image's report in FILE.exec1, listed in the next image's"

# A text FILE is continued by the next image, not truncated.
report="$LS_WORK/exec.txt"
ls_run exec-textfile --output="$report" -- "$PROG" execlp "$SAMPLES/abba"
ls_expect_status 0 "execlp (text file)"
ls_expect_count "$report" "lockscope: lock-order inversion (potential deadlock)" 2 "both images' findings in FILE"
ls_expect_line "$report" "lockscope: 1 inversion, 0 deadlocks in $PROG (pid" "the first image's summary"
ls_expect_line "$report" "lockscope: 1 inversion, 0 deadlocks in $SAMPLES/abba (pid" "the second image's summary"
ls_pass "execlp: a text FILE holds both images' reports"
