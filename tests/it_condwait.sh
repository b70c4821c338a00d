# pthread_cond_wait re-acquires its mutex while another lock is held: the
# re-acquisition is an order edge, and it makes an inversion.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both condwait_inversion -- "$SAMPLES/condwait_inversion"
ls_expect_line "$TEXT_OUT" "condwait_inversion: value 2" "the sample's own output"
ls_expect_report 1 \
	"lock_a>lock_b@updater:condwait_inversion.c:25@updater:condwait_inversion.c:26" \
	"lock_b>lock_a@waiter:condwait_inversion.c:37@waiter:condwait_inversion.c:40"
ls_pass "condwait_inversion: the condition wait's re-acquisition closes the cycle"
