# A child forked from a threaded parent inherits the lock-order graph and
# reports the inversion it completes; the parent reports none.  With
# --output FILE the child's report goes to FILE.PID.  A program the child
# executes is tracked afresh.
. "$top_srcdir/tests/lib.sh"
ls_setup

child_pid() { sed -n 's/^fork_child: child pid \([0-9]*\).*/\1/p' "$1"; }
parent_pid() { sed -n 's/^fork_child: parent pid \([0-9]*\).*/\1/p' "$1"; }

# Text: both processes write to stderr, each with its own summary line.
ls_run fork_text -- "$SAMPLES/fork_child"
ls_expect_status 0 "fork_child"
child=$(child_pid "$RUN_OUT")
parent=$(parent_pid "$RUN_OUT")
[ -n "$child" ] && [ -n "$parent" ] || ls_fail "fork_child did not print both pids: $(cat "$RUN_OUT")"
ls_expect_summary "$RUN_ERR" 1 "$child"
ls_expect_summary "$RUN_ERR" 0 "$parent"
ls_expect_cycle text "$RUN_ERR" 0 \
	"lock_a>lock_b@parent_worker:fork_child.c:27@parent_worker:fork_child.c:28" \
	"lock_b>lock_a@child_body:fork_child.c:37@child_body:fork_child.c:38"
ls_pass "fork_child (text): the child reports the inversion, the parent none"

# JSON: FILE is the parent's, FILE.PID the child's.
report="$LS_WORK/fork.json"
ls_run fork_json --format=json --output="$report" -- "$SAMPLES/fork_child"
ls_expect_status 0 "fork_child (JSON)"
child=$(child_pid "$RUN_OUT")
parent=$(parent_pid "$RUN_OUT")
[ -s "$report.$child" ] || ls_fail "no child report $report.$child (files: $(ls "$LS_WORK"))"
ls_expect_json "$report" "d['pid']" "$parent"
ls_expect_json "$report" "len(d['inversions'])" 0
ls_expect_json "$report.$child" "d['pid']" "$child"
ls_expect_json "$report.$child" "len(d['inversions'])" 1
ls_expect_cycle json "$report.$child" 0 \
	"lock_a>lock_b@parent_worker:fork_child.c:27@parent_worker:fork_child.c:28" \
	"lock_b>lock_a@child_body:fork_child.c:37@child_body:fork_child.c:38"
# A thread alive at the fork counted 7 acquisitions nobody had collected:
# they are in the child's figures too, plus the child's own one.
tally="[l['acquisitions'] for l in d['locks'] if l.get('name') == 'tally_lock']"
ls_expect_json "$report.$child" "$tally" "[8]"
ls_expect_json "$report" "$tally" "[7]"
ls_pass "fork_child (JSON): the child's report in FILE.PID, with the counts of a thread that vanished in the fork"

# fork + exec: the executed program is tracked again.
ls_run fork_exec_text -- "$SAMPLES/fork_child" exec "$SAMPLES/abba"
ls_expect_status 0 "fork_child exec abba"
child=$(child_pid "$RUN_OUT")
parent=$(parent_pid "$RUN_OUT")
ls_expect_line "$RUN_OUT" "abba: balances -5 5" "the executed program's output"
ls_expect_summary "$RUN_ERR" 1 "$child"
ls_expect_summary "$RUN_ERR" 0 "$parent"
ls_expect_line "$RUN_ERR" "/abba (pid $child)"
ls_expect_cycle text "$RUN_ERR" 0 \
	"resource_a>resource_b@worker_1:abba.c:16@worker_1:abba.c:17" \
	"resource_b>resource_a@worker_2:abba.c:28@worker_2:abba.c:29"
ls_pass "fork_child exec: the executed program is tracked"

report="$LS_WORK/exec.json"
ls_run fork_exec_json --format=json --output="$report" -- "$SAMPLES/fork_child" exec "$SAMPLES/abba"
ls_expect_status 0 "fork_child exec abba (JSON)"
child=$(child_pid "$RUN_OUT")
[ -s "$report.$child" ] || ls_fail "no report $report.$child from the executed program (files: $(ls "$LS_WORK"))"
ls_expect_json "$report.$child" "d['program'].endswith('/abba')" True
ls_expect_json "$report.$child" "len(d['inversions'])" 1
ls_expect_json "$report" "d['program'].endswith('/fork_child')" True
ls_expect_json "$report" "len(d['inversions'])" 0
ls_pass "fork_child exec (JSON): the executed program's report in FILE.PID"
