# A thread with every signal blocked cannot answer a dump's signal: every
# dump (deadlock, timer, crash) lists it, with its state and held locks but
# "stack unavailable (signals blocked)", dumps the other threads, and ends
# as it should (no hang).
. "$top_srcdir/tests/dump_lib.sh"
src="$top_srcdir/samples/dump_masked.c"
indexer_line=$(awk '/^static void \*indexer/ { on = 1 } on && /pthread_mutex_lock\(&ledger_lock\)/ { print NR; exit }' "$src")
[ -n "$indexer_line" ] || fail "sample line found"

# A deadlock between the masked thread and indexer.
run_ls "$WORK/deadlock.txt" -v --on-hang=exit -- "$SAMPLES/dump_masked" deadlock
expect_status 86 "deadlock with --on-hang=exit"
section "$WORK/deadlock.txt" '^lockscope: deadlock$' >"$WORK/cycle.txt"
expect "$WORK/cycle.txt" 'Cycle of 2 threads' "the cycle"
expect "$WORK/cycle.txt" 'masked, tid [0-9]+\) holds ledger_lock .* waits for index_lock' "masked thread in the cycle"
awk '/^lockscope: deadlock$/ { on = 1 } on' "$WORK/deadlock.txt" >"$WORK/after.txt"
expect "$WORK/after.txt" '^lockscope: thread dump \(3 threads\)' "every thread listed"
expect "$WORK/after.txt" '^  Thread masked \(tid [0-9]+\): waiting for lock \(stack unavailable: signals blocked\), blocked on index_lock' "masked thread: state, no stack"
section "$WORK/after.txt" '^  Thread masked' | sed '1d; /^  Thread /,$d' >"$WORK/masked.txt"
expect "$WORK/masked.txt" 'holds ledger_lock \(mutex 0x[0-9a-f]+\), acquired at:' "masked thread's held lock"
expect_not "$WORK/masked.txt" '^    stack:' "no live stack for the masked thread"
section "$WORK/after.txt" '^  Thread indexer' | sed '1d; /^  Thread /,$d' >"$WORK/indexer.txt"
expect "$WORK/indexer.txt" "in indexer .*dump_masked.c:$indexer_line" "indexer's live stack"
expect "$WORK/after.txt" 'in main .*dump_masked.c' "main thread's live stack"
expect "$WORK/deadlock.txt" 'dump of 3 threads \(1 missed, 1 blocking signals\)' "counted as blocking signals"

# A timer dump while the masked thread sleeps; then a normal end.
run_ls "$WORK/sleep.txt" --dump-after=0.5 -- "$SAMPLES/dump_masked" sleep
expect_status 0 "sleep: ends normally"
expect "$WORK/sleep.txt" '^lockscope: thread dump after 0\.[0-9]+ s$' "timer dump"
expect "$WORK/sleep.txt" '^  Thread masked \(tid [0-9]+\): holding locks \(stack unavailable: signals blocked\)$' "sleep: masked thread listed"
expect "$WORK/sleep.txt" 'in main .*dump_masked.c' "sleep: main thread's live stack"
expect "$WORK/sleep.txt" '^dump_masked: sleep: done$' "sleep: the program finished"

# A crash in the main thread meanwhile.
run_ls "$WORK/crash.txt" -- "$SAMPLES/dump_masked" crash
expect_status 139 "crash: dies by SIGSEGV"
expect "$WORK/crash.txt" '^lockscope: fatal signal SIGSEGV \(Segmentation fault\) at address 0x0 in thread dump_masked' "crash headline"
expect "$WORK/crash.txt" '^  Thread dump_masked \(tid [0-9]+\): crashed: SIGSEGV' "crashed thread first"
expect "$WORK/crash.txt" '#0 0x[0-9a-f]+ in main .*dump_masked.c' "the faulting frame"
expect "$WORK/crash.txt" '^  Thread masked \(tid [0-9]+\): holding locks \(stack unavailable: signals blocked\)$' "crash: masked thread listed"
expect_not "$WORK/crash.txt" 'raw dump' "crash: symbolized, no raw fallback"
finish
