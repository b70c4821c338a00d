# Hangs without a lock cycle: a lock held by a thread that sleeps forever
# (hang), one held across a condition wait (hold-and-wait), and a thread
# pool whose tasks wait for subtasks queued behind them (stall).
. "$top_srcdir/tests/dump_lib.sh"

run_ls "$WORK/hang.txt" --hang-timeout=1 --on-hang=exit -- "$SAMPLES/dump_sleeper"
expect_status 86 "hang with --on-hang=exit"
expect "$WORK/hang.txt" '^lockscope: hang$' "hang headline"
section "$WORK/hang.txt" '^lockscope: hang$' >"$WORK/hang-section.txt"
expect "$WORK/hang-section.txt" 'dump_sleeper, tid [0-9]+\) waits for config_lock \(mutex 0x[0-9a-f]+\), owned by tid [0-9]+ \(config-holder\)' "who waits for whom"
expect "$WORK/hang.txt" 'Thread dump_sleeper \(tid [0-9]+\): waiting for lock, blocked on config_lock .* for 1\.[0-9]+ s' "waiter state and time"
expect "$WORK/hang.txt" 'in read_config .*dump_sleeper.c:48' "waiter's live stack"
expect "$WORK/hang.txt" 'Thread config-holder \(tid [0-9]+\): holding locks' "holder state"
expect "$WORK/hang.txt" 'in holder .*dump_sleeper.c:37' "where the holder took config_lock"
expect "$WORK/hang.txt" 'in sleep_forever .*dump_sleeper.c:23' "holder's live stack"
expect_not "$WORK/hang.txt" '^lockscope: (stall|deadlock)' "no other finding"

# Without --hang-timeout a plain long wait is not a finding.
status=0
timeout -k 2 3 "$LOCKSCOPE" run -- "$SAMPLES/dump_sleeper" >"$WORK/nohang.txt" 2>&1 || status=$?
expect_status 124 "no timeout: keeps waiting"
expect_not "$WORK/nohang.txt" '^lockscope: (hang|stall|deadlock)' "no hang report without --hang-timeout"

run_ls "$WORK/hw.txt" --hang-timeout=1 --on-hang=exit -- "$SAMPLES/dump_sleeper" condwait
expect_status 86 "hold-and-wait with --on-hang=exit"
section "$WORK/hw.txt" '^lockscope: hold-and-wait$' >"$WORK/hw-section.txt"
expect "$WORK/hw-section.txt" 'dump_sleeper, tid [0-9]+\) waits for config_lock .*owned by tid [0-9]+ \(config-holder\)' "the blocked thread"
expect "$WORK/hw-section.txt" 'config-holder, tid [0-9]+\) holds config_lock .* and waits for reload_requested \(condvar 0x[0-9a-f]+\)' "the holder in its condition wait"
expect "$WORK/hw.txt" 'Thread config-holder \(tid [0-9]+\): in condition wait on reload_requested' "holder state"
expect "$WORK/hw.txt" 'in wait_for_reload .*dump_sleeper.c:30' "holder's live stack"
expect_not "$WORK/hw.txt" '^lockscope: stall' "the stall is not reported on top"

run_ls "$WORK/pool.txt" --hang-timeout=1 --on-hang=exit -- "$SAMPLES/dump_pool"
expect_status 86 "stall with --on-hang=exit"
section "$WORK/pool.txt" '^lockscope: stall$' >"$WORK/stall.txt"
[ "$(grep -c 'pool-worker, tid [0-9]*) waits for task_finished (condvar' "$WORK/stall.txt")" -eq 2 ] ||
	fail "both workers wait for task_finished"
expect "$WORK/stall.txt" 'dump_pool, tid [0-9]+\) waits for thread tid [0-9]+' "main joins a worker"
expect "$WORK/pool.txt" 'in wait_for .*dump_pool.c:36 \[inlined\]' "the parent task waits for its subtask"
expect "$WORK/pool.txt" 'in parent_task .*dump_pool.c:53' "inside parent_task"
expect "$WORK/pool.txt" 'in main .*dump_pool.c:89' "main in its join"
finish
