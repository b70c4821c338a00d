# Dumps on demand (SIGQUIT) and on a timer; the program runs on.  A program
# with its own SIGQUIT and SIGSEGV handlers keeps them.
. "$top_srcdir/tests/dump_lib.sh"
: "${LOCKSCOPE_PRELOAD:?}"
waiter_line=$(grep -n 'LINE:waiter' "$top_srcdir/samples/dump_busy.c" | cut -d: -f1)

# SIGQUIT while running: one dump, then a normal exit 0.
LD_PRELOAD="$LOCKSCOPE_PRELOAD" timeout -k 5 30 "$SAMPLES/dump_busy" 4 3 >"$WORK/busy.out" 2>"$WORK/busy.err" &
pid=$!
for _ in $(seq 100); do
	grep -q ready "$WORK/busy.out" 2>/dev/null && break
	sleep 0.05
done
child=$(pgrep -P "$pid" dump_busy 2>/dev/null || true)
kill -QUIT "${child:-$pid}"
status=0
wait "$pid" || status=$?
expect_status 0 "the program runs on after SIGQUIT"
expect "$WORK/busy.out" 'dump_busy: counted [0-9]+' "the program finished its work"
expect "$WORK/busy.err" '^lockscope: thread dump requested by SIGQUIT$' "dump headline"
expect "$WORK/busy.err" '^lockscope: thread dump \(5 threads\)' "every thread"
expect "$WORK/busy.err" 'in condition wait on shutdown_cond \(condvar' "the waiter's state"
expect "$WORK/busy.err" "in shutdown_waiter .*dump_busy.c:$waiter_line" "the waiter's stack"
expect "$WORK/busy.err" 'in counting_worker .*dump_busy.c' "workers' stacks"
expect "$WORK/busy.err" 'in main .*dump_busy.c' "main's stack"

# A timer dump, once and repeated.
run_ls "$WORK/timer.txt" --dump-after=0.5 -- "$SAMPLES/dump_busy" 3 1.2
expect_status 0 "timer dump: runs on"
[ "$(grep -c '^lockscope: thread dump after 0\.[5-9]' "$WORK/timer.txt")" -eq 1 ] || fail "one timer dump"
expect "$WORK/timer.txt" "in shutdown_waiter .*dump_busy.c:$waiter_line" "timer dump stacks"
run_ls "$WORK/repeat.txt" --dump-after=0.4 --dump-repeat -- "$SAMPLES/dump_busy" 3 1.5
expect_status 0 "repeated timer dump: runs on"
[ "$(grep -c '^lockscope: thread dump after' "$WORK/repeat.txt")" -ge 3 ] || fail "repeated timer dumps"

# The program's own handlers: its SIGQUIT handler runs (and calls ours,
# which it replaced), its SIGSEGV handler decides the exit status.
run_ls "$WORK/handlers.txt" -- "$SAMPLES/dump_handlers"
expect_status 3 "the program's SIGSEGV handler chose the status"
expect "$WORK/handlers.txt" 'my SIGQUIT handler ran 1 time' "their SIGQUIT handler ran"
expect "$WORK/handlers.txt" '^lockscope: thread dump requested by SIGQUIT$' "ours ran through theirs"
expect "$WORK/handlers.txt" 'in main .*dump_handlers.c' "dump of the main thread"
expect "$WORK/handlers.txt" 'my SIGSEGV handler ran' "their SIGSEGV handler ran"
expect_not "$WORK/handlers.txt" 'fatal signal' "a handler installed later replaces ours"

# dump_signal=none: SIGQUIT keeps its default action (core, 128+3).
run_ls "$WORK/none.txt" -O dump_signal=none -- sh -c 'kill -QUIT $$'
expect_status 131 "SIGQUIT default action without the dump signal"
finish
