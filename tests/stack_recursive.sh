# stack_recursive.sh — a deadlock between two recursive mutexes, each held
# twice by its owner (the owner tid is in __owner whatever the depth).
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_recursive.c"
start_target "$samples/stack_recursive"
wait_for_waiters "$target" 3
poster=$(thread_tid "$target" poster)
journaler=$(thread_tid "$target" journaler)

run_stack -p "$target"
expect "lockscope: deadlock"
expect_re "^  thread $poster \"poster\" holds ledger_lock \(mutex 0x[0-9a-f]+\) and waits for journal_lock \(mutex 0x[0-9a-f]+\) held by thread $journaler \"journaler\"\$"
expect_re "^  thread $journaler \"journaler\" holds journal_lock \(mutex 0x[0-9a-f]+\) and waits for ledger_lock \(mutex 0x[0-9a-f]+\) held by thread $poster \"poster\"\$"
expect_re "in append_to_journal .*stack_recursive\.c:$(source_line "$src" "deadlock: append_to_journal")\$"
expect_re "in update_ledger .*stack_recursive\.c:$(source_line "$src" "deadlock: update_ledger")\$"
# the nested calls that took the recursive lock twice are on the stack
[ "$(grep -c -E ' in post_entry .*stack_recursive\.c:[0-9]+$' "$tmp/out")" -ge 2 ] || fail "post_entry recursion not shown"
still_running "$target"
echo "PASS: recursive-mutex deadlock named"
