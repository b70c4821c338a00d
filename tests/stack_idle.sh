# stack_idle.sh — 1000 idle threads parked in pthread_cond_wait: all dumped,
# all in condition wait, no deadlock, the target still runs afterwards.
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_idle.c"
start_target "$samples/stack_idle" 1000
wait_for_waiters "$target" 1001

run_stack -v -p "$target"
expect "lockscope: stack of process $target ($samples/stack_idle): 1001 threads"
[ "$(grep -c -E '^Thread [0-9]+ "stack_idle": in condition wait$' "$tmp/out")" -eq 1001 ] ||
	fail "not every thread is shown in condition wait"
line=$(source_line "$src" "idle: idle_worker")
[ "$(grep -c -E " in idle_worker .*stack_idle\.c:$line\$" "$tmp/out")" -eq 1000 ] ||
	fail "not every worker's stack reaches idle_worker at line $line"
expect "lockscope: 0 deadlocks, 0 other threads waiting for locks, 1001 threads in process $target"
grep -q -E "^lockscope stack: process $target was stopped for [0-9.]+ ms" "$tmp/err" ||
	fail "-v does not report how long the target was stopped"
still_running "$target"
echo "PASS: 1000 idle threads"
