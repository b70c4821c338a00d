# ABBA with pthread spinlocks.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both spin_abba -- "$SAMPLES/spin_abba"
ls_expect_line "$TEXT_OUT" "spin_abba: 2 hits" "the sample's own output"
ls_expect_report 1 \
	"spin_a>spin_b@worker_1:spin_abba.c:15@worker_1:spin_abba.c:16" \
	"spin_b>spin_a@worker_2:spin_abba.c:26@worker_2:spin_abba.c:27"
ls_expect_json "$JSON_REPORT" "d['inversions'][0]['cycle'][0]['held']['kind']" spinlock
ls_pass "spin_abba: one inversion of spinlocks"
