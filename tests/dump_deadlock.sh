# Real deadlocks: the watchdog reports the wait-for cycle and every thread,
# and --on-hang=exit ends the program with hang_exitcode.
. "$top_srcdir/tests/dump_lib.sh"

# Two tellers, two accounts, opposite orders.
run_ls "$WORK/transfer.txt" --on-hang=exit -- "$SAMPLES/dump_transfer"
expect_status 86 "deadlock with --on-hang=exit"
expect "$WORK/transfer.txt" '^lockscope: deadlock$' "deadlock headline"
section "$WORK/transfer.txt" '^lockscope: deadlock$' >"$WORK/cycle.txt"
expect "$WORK/cycle.txt" 'Cycle of 2 threads' "two-thread cycle"
expect "$WORK/cycle.txt" 'teller-1, tid [0-9]+\) holds checking \(mutex 0x[0-9a-f]+\) and waits for savings' "teller-1 holds checking, waits for savings"
expect "$WORK/cycle.txt" 'teller-2, tid [0-9]+\) holds savings \(mutex 0x[0-9a-f]+\) and waits for checking' "teller-2 holds savings, waits for checking"
expect "$WORK/cycle.txt" 'owned by tid [0-9]+ \(teller-2\)' "owner named"
expect "$WORK/cycle.txt" 'in transfer .*dump_transfer.c:25' "where the held lock was taken"
expect "$WORK/transfer.txt" '^lockscope: thread dump \(3 threads\)' "every thread dumped"
expect "$WORK/transfer.txt" 'Thread dump_transfer \(tid [0-9]+\): joining thread tid' "main thread joining"
expect "$WORK/transfer.txt" 'Thread teller-1 \(tid [0-9]+\): waiting for lock, blocked on savings' "teller-1 state"
expect "$WORK/transfer.txt" '#[0-9]+ 0x[0-9a-f]+ in transfer .*dump_transfer.c:27 \[inlined\]' "live stack at the blocking lock call"
expect "$WORK/transfer.txt" '#[0-9]+ 0x[0-9a-f]+ in main .*dump_transfer.c:65' "main's live stack"
expect "$WORK/transfer.txt" '__pthread_mutex_lock' "libc frames in the live stack"
expect_not "$WORK/transfer.txt" 'dump_transfer: balances' "the program did not finish"

# The same as JSON: deadlocks and threads in the report file.
run_ls "$WORK/log.txt" --on-hang=exit --format=json --output="$WORK/transfer.json" -- "$SAMPLES/dump_transfer"
expect_status 86 "JSON deadlock with --on-hang=exit"
expect "$WORK/transfer.json" '"deadlocks"' "JSON deadlocks"
expect "$WORK/transfer.json" '"kind": *"deadlock"' "JSON deadlock kind"
expect "$WORK/transfer.json" '"name": *"teller-1"' "JSON thread names"
expect "$WORK/transfer.json" '"function": *"transfer"' "JSON frames"
command -v python3 >/dev/null || fail "python3 is needed to parse the JSON report"
python3 - "$WORK/transfer.json" >"$WORK/parsed.txt" 2>&1 <<'PY' || fail "the JSON report parses"
import json, sys
r = json.load(open(sys.argv[1]))
d = [x for x in r["deadlocks"] if x["kind"] == "deadlock"][0]
print("entries", len(d["threads"]))
print("threads", len(r["threads"]))
print("names", " ".join(sorted(t["name"] or "-" for t in r["threads"])))
PY
expect "$WORK/parsed.txt" '^entries 2$' "JSON cycle of two"
expect "$WORK/parsed.txt" '^threads 3$' "JSON dump of three threads"
expect "$WORK/parsed.txt" '^names dump_transfer teller-1 teller-2$' "JSON thread names"

# Detection only (--no-stats: waits are neither timed nor blamed): the
# watchdog still sees who waits for what, and the report has no statistics.
run_ls "$WORK/nostats.txt" --on-hang=exit --no-stats -- "$SAMPLES/dump_transfer"
expect_status 86 "deadlock with --no-stats"
section "$WORK/nostats.txt" '^lockscope: deadlock$' >"$WORK/nostats-cycle.txt"
expect "$WORK/nostats-cycle.txt" 'teller-1, tid [0-9]+\) holds checking \(mutex 0x[0-9a-f]+\) and waits for savings' "--no-stats: teller-1 holds checking, waits for savings"
run_ls "$WORK/nostats-log.txt" --on-hang=exit --no-stats --format=json --output="$WORK/nostats.json" -- "$SAMPLES/dump_transfer"
expect_status 86 "JSON deadlock with --no-stats"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("deadlocks", len(r["deadlocks"]), "locks", len(r["locks"]))' \
	"$WORK/nostats.json" >"$WORK/nostats-parsed.txt" 2>&1 || fail "the --no-stats JSON report parses"
expect "$WORK/nostats-parsed.txt" '^deadlocks 1 locks 0$' "--no-stats: the deadlock, no lock statistics"

# Three philosophers: a cycle of three.
run_ls "$WORK/cycle3.txt" --on-hang=exit -- "$SAMPLES/dump_cycle3"
expect_status 86 "three-thread deadlock"
section "$WORK/cycle3.txt" '^lockscope: deadlock$' >"$WORK/cycle3-section.txt"
expect "$WORK/cycle3-section.txt" 'Cycle of 3 threads' "three-thread cycle"
for i in 0 1 2; do
	next=$(( (i + 1) % 3 ))
	expect "$WORK/cycle3-section.txt" "philosopher-$i, tid [0-9]+\) holds fork_$i .* waits for fork_$next" "philosopher-$i in the cycle"
done

# In a forked child: the child's own watchdog reports and ends it.
run_ls "$WORK/fork.txt" --on-hang=exit -- "$SAMPLES/dump_transfer" fork
expect_status 0 "the parent exits normally"
expect "$WORK/fork.txt" 'dump_transfer: child exited with 86' "the child ended by on_hang=exit"
expect "$WORK/fork.txt" '^lockscope: deadlock$' "the child's deadlock reported"

# Default on_hang=report: the report, then the program keeps waiting
# (killed by timeout).
status=0
timeout -k 2 3 "$LOCKSCOPE" run -- "$SAMPLES/dump_transfer" >"$WORK/report.txt" 2>&1 || status=$?
expect_status 124 "on_hang=report keeps waiting"
[ "$(grep -c '^lockscope: deadlock$' "$WORK/report.txt")" -eq 1 ] || fail "the deadlock is reported once"
finish
