# Event-loop stalls (loop_stall): a loop thread that does not come back to
# its poll call for longer than the threshold is reported while it is stuck,
# with the callback that blocks on its stack, then the stall's whole length.
# A loop waiting in epoll_wait, a busy loop and a healthy asyncio program
# with thousands of short callbacks say nothing.  lockscope top counts them.
. "$top_srcdir/tests/lib.sh"
ls_setup
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || ls_fail "Debian's $PYTHON is needed"
LOOP="$SAMPLES/loop_epoll"

# stack_reported FILE: the frames under "stack when reported:" of the
# first stall in a text report.
stack_reported() { awk '/^    stack when reported:/ { on = 1; next } on && /^$/ { exit } on' "$1"; }

# expect_stall FILE THREAD CALL_RE END_RE: one stall of THREAD and its end
# in a text report, its line saying it has been away at least 0.2 s.
expect_stall()
{
	ls_expect_count "$1" "lockscope: event-loop stall" 2 "the stall and its end"
	grep -Eq "^  Thread $2 \\(tid [0-9]+\\) has not come back to $3 for (0\\.[2-9]|[1-9])[0-9.]* s \\(loop_stall 0\\.200 s\\)\$" "$1" ||
		ls_fail "$2: stall line with the thread, $3 and the time away"
	grep -Eq "^lockscope: event-loop stall ended: thread $2 \\(tid [0-9]+\\) came back to $3 after $4 s\$" "$1" ||
		ls_fail "$2: the end of the stall with its length"
}

# The C loop whose 10th tick calls slow_step(): text.
ls_run slow-text --loop-stall=0.2 -- "$LOOP" slow
ls_expect_status 0 "loop_epoll slow"
expect_stall "$RUN_ERR" loop_epoll epoll_wait '(0\.9|[1-9])[0-9.]*'
section=$(stack_reported "$RUN_ERR")
echo "$section" | grep -q ' in slow_step .*loop_epoll.c:31' || ls_fail "the slow function is not on the stack: $section"
echo "$section" | grep -q ' in clock_nanosleep ' || ls_fail "the stack is not the one of the moment (nanosleep)"
awk '/its loop calls epoll_wait at:/ { getline; print }' "$RUN_ERR" | grep -q ' in run_loop .*loop_epoll.c:69' ||
	ls_fail "the loop's epoll_wait call site"
grep -Eq '^lockscope: 0 inversions, 0 deadlocks, 1 event-loop stall in .*/loop_epoll \(pid [0-9]+\)$' "$RUN_ERR" ||
	ls_fail "the summary counts the stall"
ls_pass "C epoll loop: the stall reported with slow_step on the stack, then its length"

# JSON.
report="$LS_WORK/slow.json"
ls_run slow-json --loop-stall=0.2 --format=json --output="$report" -- "$LOOP" slow
ls_expect_status 0 "loop_epoll slow (JSON)"
ls_expect_json "$report" "len(d['loop_stalls'])" 1
ls_expect_json "$report" "d['loop_stalls'][0]['call']" epoll_wait
ls_expect_json "$report" "d['loop_stalls'][0]['threshold_seconds']" 0.2
ls_expect_json "$report" "0.2 <= d['loop_stalls'][0]['away_seconds'] <= d['loop_stalls'][0]['total_seconds']" True
ls_expect_json "$report" "0.9 <= d['loop_stalls'][0]['total_seconds']" True
ls_expect_json "$report" "[(f['function'], f['line']) for f in d['loop_stalls'][0]['call_site']][0]" "('run_loop', 69)"
ls_expect_json "$report" "'slow_step' in [f['function'] for f in d['loop_stalls'][0]['stack']]" True
"$LOCKSCOPE" report "$report" >"$LS_WORK/slow-render.txt" || ls_fail "lockscope report refuses the report"
ls_expect_line "$LS_WORK/slow-render.txt" "did not come back to epoll_wait for"
ls_pass "C epoll loop (JSON): loop_stalls with call, site, lengths and stack"

# A callback blocked in a poll call of its own is still a stall.
ls_run nested --loop-stall=0.2 -- "$LOOP" nested
ls_expect_status 0 "loop_epoll nested"
expect_stall "$RUN_ERR" loop_epoll epoll_wait '(0\.9|[1-9])[0-9.]*'
stack_reported "$RUN_ERR" | grep -q ' in wait_for_reply .*loop_epoll.c:45' ||
	ls_fail "the callback's own poll call on the stack"
ls_pass "a callback waiting in its own poll call: reported"

# Waiting is not stalling: idle in epoll_wait for 3x the threshold; and a
# loop handling 500 quick ticks.
for mode in idle busy; do
	ls_run "$mode" --loop-stall=0.2 -- "$LOOP" "$mode"
	ls_expect_status 0 "loop_epoll $mode"
	ls_expect_line "$RUN_OUT" "loop_epoll: $mode:" "the loop ran"
	ls_expect_count "$RUN_ERR" "event-loop stall" 0 "$mode loop"
	ls_pass "$mode loop: nothing reported"
done
# Off by default: the slow loop says nothing.
ls_run off -- "$LOOP" slow
ls_expect_count "$RUN_ERR" "event-loop stall" 0 "loop_stall off"
ls_pass "loop_stall off by default"

# asyncio: a handler calling time.sleep(1.0) in a server.  The native part
# of the stack (the thread, epoll_wait, the sleep in libc, the _asyncio
# module stepping the task) and the coroutine's own frame (handle,
# loop_asyncio_block.py:12) under the asyncio machinery's Python frames.
ls_run asyncio-block --loop-stall=0.2 -- "$PYTHON" "$top_srcdir/samples/loop_asyncio_block.py"
ls_expect_status 0 "loop_asyncio_block"
ls_expect_line "$RUN_OUT" "loop_asyncio_block: reply PING" "the server answered"
expect_stall "$RUN_ERR" python3 epoll_wait '(0\.9|[1-9])[0-9.]*'
section=$(stack_reported "$RUN_ERR")
echo "$section" | grep -q '#0 .* in clock_nanosleep ' || ls_fail "asyncio: not stuck in the sleep: $section"
echo "$section" | grep -q '_asyncio\.cpython' || ls_fail "asyncio: no task step on the stack: $section"
echo "$section" | grep -q '\[python\] in handle .*loop_asyncio_block.py:12$' || ls_fail "asyncio: the blocking handler is not named: $section"
echo "$section" | grep -q '\[python\] in Handle._run .*asyncio/events.py:[0-9]*$' || ls_fail "asyncio: no callback frame: $section"
ls_pass "asyncio server with time.sleep in its handler: reported while stuck, then its length"

# A healthy asyncio program: 5000 chained callbacks, 2000 tasks, short
# sleeps, and nothing blocks (threshold 0.5 s: far above any callback).
ls_run asyncio-healthy --loop-stall=0.5 -- "$PYTHON" "$top_srcdir/samples/loop_asyncio_healthy.py"
ls_expect_status 0 "loop_asyncio_healthy"
ls_expect_line "$RUN_OUT" "loop_asyncio_healthy: 5000 callbacks, 2000 tasks" "the program ran"
ls_expect_count "$RUN_ERR" "event-loop stall" 0 "healthy asyncio program"
ls_pass "healthy asyncio program: nothing reported"

# lockscope top counts them.
command -v tmux >/dev/null || ls_fail "tmux is needed"
session="lsloop-$$"
tmp=$LS_WORK
status=0
. "$top_srcdir/tests/top-common.sh"
trap 'tmux kill-session -t "$session" 2>/dev/null; ls_cleanup' EXIT
LOCKSCOPE_OPTIONS=loop_stall=0.2 tmux new-session -d -s "$session" -x 120 -y 24 \
	"LOCKSCOPE_OPTIONS=loop_stall=0.2 $LOCKSCOPE top -d 0.3 -- $LOOP slow; sleep 30"
wait_for 'Event-loop stalls: 1 ' || ls_fail "top does not count the stall: $(cat "$tmp/screen")"
ls_pass "lockscope top counts the stall"
