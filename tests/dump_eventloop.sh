# The watchdog API: an event loop arms a 0.2 s deadline around each
# iteration; the slow one is reported with the loop's stack.  Without the
# shim the program runs unchanged.
. "$top_srcdir/tests/dump_lib.sh"

run_ls "$WORK/loop.txt" -- "$SAMPLES/dump_eventloop"
expect_status 0 "the loop finishes"
expect "$WORK/loop.txt" 'dump_eventloop: 6 events, watchdog armed' "the API reached the shim"
[ "$(grep -c '^lockscope: hang: watchdog "event-loop iteration" armed for 0\.200 s expired' "$WORK/loop.txt")" -eq 1 ] ||
	fail "exactly the slow iteration is reported"
expect "$WORK/loop.txt" 'in slow_callback .*dump_eventloop.c:35' "the slow callback on the stack"
expect "$WORK/loop.txt" 'in main .*dump_eventloop.c:44' "called from the loop"

status=0
timeout -k 5 30 "$SAMPLES/dump_eventloop" >"$WORK/plain.txt" 2>&1 || status=$?
expect_status 0 "without the shim"
expect "$WORK/plain.txt" 'dump_eventloop: 6 events, watchdog absent' "the API does nothing without the shim"
expect_not "$WORK/plain.txt" 'lockscope' "no report without the shim"

# on_hang applies to an expired watchdog too.
run_ls "$WORK/exit.txt" --on-hang=exit -- "$SAMPLES/dump_eventloop"
expect_status 86 "on_hang=exit after the expired watchdog"
finish
