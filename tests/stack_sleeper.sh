# stack_sleeper.sh — no deadlock: a thread waits for a mutex whose owner
# sleeps.  The dump says who holds it and what the holder is doing.
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_sleeper.c"
start_target "$samples/stack_sleeper"
wait_for_waiters "$target" 2
sleeper=$(thread_tid "$target" sleeper)
waiter=$(thread_tid "$target" waiter)

run_stack -p "$target"
expect "Thread $sleeper \"sleeper\": sleeping"
expect_re "^  holds resource_lock \(mutex 0x[0-9a-f]+\)\$"
expect_re "in slow_holder .*stack_sleeper\.c:$(source_line "$src" "sleeping while holding")\$"
expect_re "^  thread $waiter \"waiter\" waiting for resource_lock \(mutex 0x[0-9a-f]+\) held by thread $sleeper \"sleeper\" \(sleeping\)\$"
grep -q "lockscope: deadlock" "$tmp/out" && fail "reported a deadlock where there is none"
expect "lockscope: 0 deadlocks, 1 other thread waiting for locks, 3 threads in process $target"
still_running "$target"

# The same program linked statically: no libc module, still a full dump.
start_target "$samples/stack_sleeper_static"
wait_for_waiters "$target" 2
sleeper=$(thread_tid "$target" sleeper)
waiter=$(thread_tid "$target" waiter)
run_stack -p "$target"
expect_re "^  thread $waiter \"waiter\" waiting for resource_lock \(mutex 0x[0-9a-f]+\) held by thread $sleeper \"sleeper\" \(sleeping\)\$"
expect_re "in slow_holder .*stack_sleeper\.c:[0-9]+\$"
expect_re "in start_thread \(stack_sleeper_static\+0x[0-9a-f]+\)\$"
still_running "$target"

# Stripped of every symbol: addresses and module offsets only, no garbage.
cp "$samples/stack_sleeper" "$tmp/stripped_sleeper"
strip --strip-all "$tmp/stripped_sleeper" || fail "strip failed"
start_target "$tmp/stripped_sleeper"
wait_for_waiters "$target" 2
# Without the symbol cache: it keeps results by build ID, and the stripped
# copy has the build ID of stack_sleeper dumped above (see stack_cache.sh).
run_stack --no-cache -p "$target"
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in \(stripped_sleeper\+0x[0-9a-f]+\)\$"
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in start_thread .*pthread_create\.c:[0-9]+\$"
grep -q "slow_holder" "$tmp/out" && fail "a stripped binary cannot name slow_holder"
still_running "$target"
# Not blocked in a system call: the state comes from the scheduler.  A busy
# loop is running; stopped with SIGSTOP it shows so, and stays stopped.
start_target /bin/sh -c 'while :; do :; done'
# Until the exec is done and the shell runs (libc mapped by the loader): a
# process in the middle of execve has no stable memory map (libdwfl then
# fails with ENOEXEC).
shell_running() { [ "$(cat /proc/"$target"/comm 2>/dev/null)" = sh ] && grep -q 'libc\.so' /proc/"$target"/maps 2>/dev/null; }
wait_until "busy loop $target never started" shell_running
run_stack -n -p "$target"
expect "Thread $target \"sh\": running"
kill -STOP "$target"
wait_until "busy loop $target never stopped" grep -q '^State:.*T' /proc/"$target"/status
run_stack -n -p "$target"
expect "Thread $target \"sh\": stopped"
grep -q '^State:.*T' /proc/"$target"/status || fail "the stopped target $target was resumed"
echo "PASS: waiting on a sleeping holder; static and stripped targets; running and stopped"
