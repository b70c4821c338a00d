# Lock calls from a library constructor that runs before the shim's own
# constructor are tracked: their order completes an inversion later.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both early_lock -- "$SAMPLES/early_lock"
ls_expect_line "$TEXT_OUT" "early_lock: library ready 1" "the sample's own output"
ls_expect_report 1 \
	"early_config>early_log@early_setup:libearly.c:13@early_setup:libearly.c:14" \
	"early_log>early_config@main:early_lock.c:15@main:early_lock.c:16"
ls_pass "early_lock: the constructor's lock order was recorded"
