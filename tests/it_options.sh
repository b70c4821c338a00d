# LOCKSCOPE_OPTIONS: an unknown key and a bad value each print exactly one
# warning naming the key, keep the default, and the report still comes.
. "$top_srcdir/tests/lib.sh"
ls_setup
LOCKSCOPE_OPTIONS="no_such_key=1:stack_depth=many:format=text"
export LOCKSCOPE_OPTIONS
ls_run options -- "$SAMPLES/abba"
unset LOCKSCOPE_OPTIONS
ls_expect_status 0 "abba with bad options"
ls_expect_count "$RUN_ERR" "warning" 2 "warnings"
ls_expect_count "$RUN_ERR" "no_such_key" 1 "the warning about the unknown key"
ls_expect_count "$RUN_ERR" "stack_depth=many" 1 "the warning about the bad value"
ls_expect_line "$RUN_ERR" "unknown option 'no_such_key=1'"
ls_expect_line "$RUN_ERR" "bad value 'stack_depth=many'"
ls_expect_inversions_text "$RUN_ERR" 1
# The default depth (32) was kept: the full stacks are there.
ls_expect_cycle text "$RUN_ERR" 0 \
	"resource_a>resource_b@worker_1:abba.c:16@worker_1:abba.c:17" \
	"resource_b>resource_a@worker_2:abba.c:28@worker_2:abba.c:29"
ls_expect_line "$RUN_ERR" "in start_thread"
ls_pass "options: one warning per bad pair, defaults kept, report intact"

# A good value takes effect: stack_depth=1 keeps only the innermost frame.
LOCKSCOPE_OPTIONS="stack_depth=1"
export LOCKSCOPE_OPTIONS
ls_run depth1 -- "$SAMPLES/abba"
unset LOCKSCOPE_OPTIONS
ls_expect_count "$RUN_ERR" "warning" 0 "warnings"
ls_expect_count "$RUN_ERR" "in start_thread" 0 "frames beyond the first"
ls_expect_inversions_text "$RUN_ERR" 1
ls_pass "options: stack_depth=1 is applied"

# `lockscope run` rejects a bad flag value itself, before running anything.
ls_run badflag --stack-depth=0 -- "$SAMPLES/abba"
ls_expect_status 2 "lockscope run --stack-depth=0"
ls_expect_line "$RUN_ERR" "invalid value '0' for stack_depth"
[ ! -s "$RUN_OUT" ] || ls_fail "the program ran despite the bad flag: $(cat "$RUN_OUT")"
ls_pass "options: lockscope run refuses a bad flag value"
