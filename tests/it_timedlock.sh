# Timed acquisitions wait, so they make order edges like plain locks.
. "$top_srcdir/tests/lib.sh"
ls_setup
for variant in timed clock; do
	case $variant in
	timed) line=26 ;;  # pthread_mutex_timedlock
	clock) line=25 ;;  # pthread_mutex_clocklock
	esac
	ls_run_both "timedlock_$variant" -- "$SAMPLES/timedlock_inversion" "$variant"
	ls_expect_line "$TEXT_OUT" "timedlock_inversion $variant: 0 timeouts" "the sample's own output"
	ls_expect_report 1 \
		"lock_a>lock_b@worker_1:timedlock_inversion.c:34@lock_with_timeout:timedlock_inversion.c:$line" \
		"lock_b>lock_a@worker_2:timedlock_inversion.c:44@lock_with_timeout:timedlock_inversion.c:$line"
	ls_expect_json "$JSON_REPORT" "sorted(e['acquire_stack'][1]['function'] for e in d['inversions'][0]['cycle'])" \
		"['worker_1', 'worker_2']"
	ls_pass "timedlock_inversion $variant: one inversion"
done
