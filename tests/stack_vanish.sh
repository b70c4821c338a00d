# stack_vanish.sh — the target ends (_exit from a thread) the moment the
# dump seizes its main thread: `lockscope stack` must end too, saying the
# process exited, not wait forever for the main thread's stop (its exit is
# reported only after every other thread has been reaped).  Bounded by
# timeout(1); several rounds, since the target's exit races the seizing.
. "$top_srcdir/tests/stack-common.sh"
for round in 1 2 3 4 5; do
	start_target "$samples/stack_vanish"
	# ready: the sleepers and the watcher exist (1 + 8 + 1 threads)
	wait_until "the target's threads to start" sh -c "[ \$(ls /proc/$target/task | wc -l) -ge 10 ]"
	status=0
	timeout -k 5 60 "$lockscope" stack -p "$target" >"$tmp/out" 2>"$tmp/err" || status=$?
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "round $round: lockscope stack did not end (status $status)"
	# Either the whole process vanished during the dump (an error naming
	# that), or the dump got in before the watcher noticed.
	if [ "$status" -ne 0 ]; then
		grep -q -E "process $target exited during the dump|no such process" "$tmp/err" ||
			fail "round $round: exited $status without saying the process is gone"
	else
		still_running "$target" gone-ok # (its watcher may end it right after)
	fi
	echo "round $round: lockscope stack ended with status $status"
	kill -9 "$target" 2>/dev/null
	wait "$target" 2>/dev/null
done
echo "PASS: a target dying during the dump does not hang lockscope stack"
