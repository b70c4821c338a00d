# stack_churn.sh — threads exit while lockscope attaches: every dump still
# succeeds and is complete, and the target keeps running afterwards.
. "$top_srcdir/tests/stack-common.sh"
start_target "$samples/stack_churn"
wait_for_waiters "$target" 1 # the main thread in pthread_join
# The two dispatchers are the oldest threads after the main one (their
# short-lived children inherit the name "dispatcher", so go by tid).
dispatchers=$(ls /proc/"$target"/task | sort -n | sed -n '2,3p')
[ "$(echo $dispatchers | wc -w)" = 2 ] || fail "dispatchers not found"
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
