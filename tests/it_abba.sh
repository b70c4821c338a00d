# The classic ABBA: one inversion, both edges with their call sites.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both abba -- "$SAMPLES/abba"
ls_expect_line "$TEXT_OUT" "abba: balances -5 5" "the sample's own output"
ls_expect_report 1 \
	"resource_a>resource_b@worker_1:abba.c:16@worker_1:abba.c:17" \
	"resource_b>resource_a@worker_2:abba.c:28@worker_2:abba.c:29"
ls_expect_line "$TEXT_REPORT" "Cycle of 2 locks: resource_a -> resource_b -> resource_a"
# The outer frames are there too: the thread start routine below the worker.
ls_expect_json "$JSON_REPORT" "d['inversions'][0]['cycle'][0]['held_stack'][1]['function']" start_thread
ls_expect_json "$JSON_REPORT" "d['inversions'][0]['cycle'][0]['held']['kind']" mutex
ls_pass "abba: one inversion resource_a <-> resource_b with both call sites"
