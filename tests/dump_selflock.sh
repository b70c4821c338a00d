# A thread locking a lock it already holds: a deadlock of one thread for a
# normal, adaptive or C11 plain mutex, a spinlock and a read-held rwlock
# asked for write; silence for a recursive mutex (the re-lock succeeds) and for an
# errorcheck mutex (EDEADLK, the program carries on).
. "$top_srcdir/tests/dump_lib.sh"

# The re-lock in apply_settings (line of `lock_config()` there) and the
# first lock in reload_config.
relock_line=$(grep -n 'the second lock: config_lock is held' "$top_srcdir/samples/dump_selflock.c" | cut -d: -f1)
first_line=$(awk '/^static void \*reload_config/ { on = 1 } on && /lock_config\(\);/ { print NR; exit }' "$top_srcdir/samples/dump_selflock.c")
[ -n "$relock_line" ] && [ -n "$first_line" ] || fail "sample lines found"

for type in normal adaptive c11; do
	run_ls "$WORK/$type.txt" --on-hang=exit -- "$SAMPLES/dump_selflock" "$type"
	expect_status 86 "$type: self-deadlock with --on-hang=exit"
	expect "$WORK/$type.txt" '^lockscope: deadlock$' "$type: deadlock headline"
	section "$WORK/$type.txt" '^lockscope: deadlock$' >"$WORK/$type-cycle.txt"
	expect_not "$WORK/$type-cycle.txt" 'Cycle of' "$type: no 'cycle of N threads' line for one thread"
	[ "$(grep -c '^  Thread T' "$WORK/$type-cycle.txt")" -eq 1 ] || fail "$type: one thread in the cycle"
	expect "$WORK/$type-cycle.txt" "^  Thread T1 \(config-reload, tid [0-9]+\) waits for (c11_)?config_lock \((mutex|mtx) 0x[0-9a-f]+\), which it holds itself$" "$type: waits for what it holds"
	expect "$WORK/$type-cycle.txt" "config_lock was acquired at:" "$type: where it took the lock"
	expect "$WORK/$type-cycle.txt" "in reload_config .*dump_selflock.c:$first_line" "$type: the first lock's line"
	section "$WORK/$type.txt" '^  Thread config-reload' >"$WORK/$type-thread.txt"
	expect "$WORK/$type-thread.txt" 'waiting for lock, blocked on (c11_)?config_lock' "$type: thread state"
	expect "$WORK/$type-thread.txt" "in apply_settings .*dump_selflock.c:$relock_line" "$type: where it waits (live stack)"
	expect_not "$WORK/$type.txt" 'settings applied|done$' "$type: the program did not go on"
done

# Upgrade: held for read, asked for write.
run_ls "$WORK/upgrade.txt" --on-hang=exit -- "$SAMPLES/dump_selflock" upgrade
expect_status 86 "upgrade: self-deadlock with --on-hang=exit"
expect "$WORK/upgrade.txt" '^  Thread T1 \(table-upgrade, tid [0-9]+\) waits for table_lock \(rwlock 0x[0-9a-f]+\) for write, which it holds itself for read$' "upgrade: waits for write on what it reads"
expect "$WORK/upgrade.txt" 'table_lock was acquired for read at:' "upgrade: where it took the read lock"
expect "$WORK/upgrade.txt" 'in upgrade_table .*dump_selflock.c' "upgrade: its frames"

# A spinlock locked twice spins forever.
run_ls "$WORK/spin.txt" --on-hang=exit -- "$SAMPLES/dump_selflock" spin
expect_status 86 "spin: self-deadlock with --on-hang=exit"
expect "$WORK/spin.txt" '^  Thread T1 \(stats-spin, tid [0-9]+\) waits for stats_lock \(spinlock 0x[0-9a-f]+\), which it holds itself$' "spin: waits for what it holds"
expect "$WORK/spin.txt" 'in spin_twice .*dump_selflock.c' "spin: its frames"

# Recursive: succeeds; errorcheck: EDEADLK.  Neither is reported, both end
# normally (the default on_hang=report would keep a deadlocked run waiting
# until `timeout` killed it: 124).
run_ls "$WORK/recursive.txt" --on-hang=exit -- "$SAMPLES/dump_selflock" recursive
expect_status 0 "recursive: ends normally"
expect "$WORK/recursive.txt" '^dump_selflock: recursive: settings applied \(42\)$' "recursive: the re-lock succeeded"
expect "$WORK/recursive.txt" '^dump_selflock: recursive: done$' "recursive: the program finished"
# Both acquisitions are counted (from the JSON report: the text report shows
# statistics only when a lock was contended).
run_ls "$WORK/recursive.log" --format=json --output="$WORK/recursive.json" -- "$SAMPLES/dump_selflock" recursive
expect_status 0 "recursive (json): ends normally"
python3 - "$WORK/recursive.json" >"$WORK/recursive-count.txt" <<'PY' || fail "recursive: JSON report readable"
import json, sys
report = json.load(open(sys.argv[1]))
for lock in report["locks"]:
    print(lock["name"], lock["kind"], lock["acquisitions"])
PY
expect "$WORK/recursive-count.txt" '^config_lock mutex 2$' "recursive: both acquisitions counted"
expect_not "$WORK/recursive.txt" 'lockscope: (deadlock|hang)' "recursive: nothing reported"

run_ls "$WORK/errorcheck.txt" --on-hang=exit -- "$SAMPLES/dump_selflock" errorcheck
expect_status 0 "errorcheck: ends normally"
expect "$WORK/errorcheck.txt" '^dump_selflock: errorcheck: re-lock refused: EDEADLK$' "errorcheck: EDEADLK returned"
expect "$WORK/errorcheck.txt" '^dump_selflock: errorcheck: done$' "errorcheck: the program finished"
expect_not "$WORK/errorcheck.txt" 'lockscope: (deadlock|hang)' "errorcheck: nothing reported"
finish
