# stack_rwlock.sh — two writers deadlocked on two rwlocks (the owner comes
# from __cur_writer, the rwlock base from the futex field waited on), and
# a reader queued behind one of them, outside the cycle.
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_rwlock.c"
start_target "$samples/stack_rwlock"
wait_for_waiters "$target" 4
reloader=$(thread_tid "$target" reloader)
refiller=$(thread_tid "$target" refiller)
reader=$(thread_tid "$target" reader)

run_stack -p "$target"
expect "lockscope: deadlock"
expect_re "^  thread $reloader \"reloader\" holds config_rwlock \(rwlock 0x[0-9a-f]+\) and waits for cache_rwlock \(rwlock 0x[0-9a-f]+\) \(write\) held by thread $refiller \"refiller\"\$"
expect_re "^  thread $refiller \"refiller\" holds cache_rwlock \(rwlock 0x[0-9a-f]+\) and waits for config_rwlock \(rwlock 0x[0-9a-f]+\) \(write\) held by thread $reloader \"reloader\"\$"
expect_re "^Thread $reader \"reader\": waiting for read lock config_rwlock \(rwlock 0x[0-9a-f]+\) held by thread $reloader \"reloader\" \(waiting for write lock\)\$"
expect_re "in read_config .*stack_rwlock\.c:$(source_line "$src" "blocked reader: read_config")\$"
expect_re "in reload_config .*stack_rwlock\.c:$(source_line "$src" "deadlock: reload_config")\$"
expect "lockscope: 1 deadlock, 1 other thread waiting for locks, 4 threads in process $target"
still_running "$target"
echo "PASS: rwlock writer deadlock named, queued reader shown"
