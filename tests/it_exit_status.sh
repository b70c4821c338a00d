# `lockscope run` exits with the program's status: N for exit(N), 128+N
# when the program is killed by signal N, 127 when it cannot be executed.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run exit3 -- "$SAMPLES/exit_status" exit 3
ls_expect_status 3 "program exiting with 3"
ls_expect_line "$RUN_OUT" "exit_status: exit 3" "the sample's own output"
ls_expect_summary "$RUN_ERR" 0
ls_pass "exit status: exit(3) gives 3"

ls_run exit0 -- "$SAMPLES/exit_status" exit 0
ls_expect_status 0 "program exiting with 0"
ls_pass "exit status: exit(0) gives 0"

ls_run sigterm -- "$SAMPLES/exit_status" signal 15
ls_expect_status 143 "program killed by SIGTERM"
ls_expect_line "$RUN_OUT" "exit_status: signal 15" "the sample's own output"
ls_pass "exit status: SIGTERM gives 143"

ls_run noexec -- "$LS_WORK/no-such-program"
ls_expect_status 127 "program that does not exist"
ls_expect_line "$RUN_ERR" "cannot execute $LS_WORK/no-such-program"
ls_pass "exit status: 127 with a message when the program cannot run"

# A file that exists but is not executable.
: >"$LS_WORK/not-executable"
ls_run noperm -- "$LS_WORK/not-executable"
ls_expect_status 127 "program that is not executable"
ls_expect_line "$RUN_ERR" "cannot execute $LS_WORK/not-executable"
ls_pass "exit status: 127 for a file that cannot be executed"
