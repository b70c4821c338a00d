# stack_abba.sh — `lockscope stack` on a real ABBA deadlock: every thread
# dumped with functions and file:line, and the cycle named with the
# variables' names, in text and in JSON.
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_abba.c"
start_target "$samples/stack_abba"
wait_for_waiters "$target" 3
ab=$(thread_tid "$target" transfer-ab)
ba=$(thread_tid "$target" transfer-ba)
line_ab=$(source_line "$src" "deadlock: transfer_a_to_b")
line_ba=$(source_line "$src" "deadlock: transfer_b_to_a")

run_stack -p "$target"
expect "lockscope: stack of process $target"
expect "Thread $target \"stack_abba\": joining a thread"
expect "Thread $ab \"transfer-ab\": waiting for lock account_b_lock (mutex 0x"
expect "Thread $ba \"transfer-ba\": waiting for lock account_a_lock (mutex 0x"
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in transfer_a_to_b .*samples/stack_abba\.c:$line_ab\$"
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in transfer_b_to_a .*samples/stack_abba\.c:$line_ba\$"
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in main .*samples/stack_abba\.c:[0-9]+\$"
# libc frames carry names and lines (libc6-dbg), inlined ones are marked.
expect_re "^  #[0-9]+ 0x[0-9a-f]{16} in __pthread_mutex_lock .*pthread_mutex_lock\.c:[0-9]+\$"
expect_re "^  #0 0x[0-9a-f]{16} in futex_wait .*:[0-9]+ \[inlined\]\$"
expect "lockscope: deadlock"
expect_re "^  thread $ab \"transfer-ab\" holds account_a_lock \(mutex 0x[0-9a-f]+\) and waits for account_b_lock \(mutex 0x[0-9a-f]+\) held by thread $ba \"transfer-ba\"\$"
expect_re "^  thread $ba \"transfer-ba\" holds account_b_lock \(mutex 0x[0-9a-f]+\) and waits for account_a_lock \(mutex 0x[0-9a-f]+\) held by thread $ab \"transfer-ab\"\$"
expect "lockscope: 1 deadlock, 0 other threads waiting for locks, 3 threads in process $target"
still_running "$target"

run_stack --format=json -p "$target"
command -v python3 >/dev/null || fail "python3 is needed to check the JSON"
python3 - "$tmp/out" "$target" "$ab" "$ba" "$line_ab" <<'PY' || fail "JSON report wrong"
import json, sys
path, pid, ab, ba, line_ab = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
assert r["pid"] == pid, r["pid"]
assert len(r["threads"]) == 3
(d,) = r["deadlocks"]
assert d["kind"] == "deadlock"
entries = {int(e["tid"]): e for e in d["threads"]}
assert set(entries) == {ab, ba}, entries.keys()
assert entries[ab]["waits_for"]["name"] == "account_b_lock"
assert entries[ab]["holds"]["lock"]["name"] == "account_a_lock"
assert int(entries[ab]["owner_tid"]) == ba
assert entries[ba]["waits_for"]["name"] == "account_a_lock"
assert int(entries[ba]["owner_tid"]) == ab
t = next(t for t in r["threads"] if int(t["tid"]) == ab)
assert t["state"] == "waiting for lock"
assert t["waiting_for"]["kind"] == "mutex"
f = next(f for f in t["stack"] if f["function"] == "transfer_a_to_b")
assert f["file"].endswith("stack_abba.c") and f["line"] == line_ab, f
PY
still_running "$target"
echo "PASS: ABBA deadlock named, stacks symbolized, JSON consistent"
