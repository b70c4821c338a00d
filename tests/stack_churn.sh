# stack_churn.sh — threads exit while lockscope attaches: every dump still
# succeeds and is complete, and the target keeps running afterwards.
. "$top_srcdir/tests/stack-common.sh"
# The dispatchers print their tids (their short-lived children inherit the
# name "dispatcher", and tids wrap around, so neither name nor age tells).
[ -x "$samples/stack_churn" ] || fail "stack_churn not built"
"$samples/stack_churn" >"$tmp/dispatchers" 2>/dev/null &
target=$!
targets="$targets $target"
# Both lines, polled (bounded): a futex waiter may be a thread still in the
# start-up barrier, before the other dispatcher has printed.
both_printed() { [ "$(grep -c '^dispatcher [0-9][0-9]*$' "$tmp/dispatchers")" = 2 ]; }
wait_until "dispatchers not found" both_printed
wait_for_waiters "$target" 1 # the main thread in pthread_join
dispatchers=$(sed -n 's/^dispatcher \([0-9][0-9]*\)$/\1/p' "$tmp/dispatchers")
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	run_stack -p "$target"
	expect "Thread $target \"stack_churn\": joining a thread"
	for d in $dispatchers; do
		expect_re "^Thread $d \"dispatcher\": "
		# each dispatcher's stack reaches its function, whatever it was doing
		sed -n "/^Thread $d /,/^\$/p" "$tmp/out" | grep -q -E " in dispatcher .*stack_churn\.c:[0-9]+" ||
			fail "dump $i: dispatcher $d has no complete stack"
	done
	expect_re "^lockscope: 0 deadlocks, 0 other threads waiting for locks, [0-9]+ threads in process $target\$"
	still_running "$target"
done
echo "PASS: 20 dumps of a process whose threads come and go"
