# C11 mtx_lock does not go through pthread_mutex_lock: still tracked.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both c11_mtx -- "$SAMPLES/c11_mtx"
ls_expect_line "$TEXT_OUT" "c11_mtx: counter 2, received 42" "the sample's own output (cnd_wait worked)"
ls_expect_report 1 \
	"lock_a>lock_b@worker_1:c11_mtx.c:18@worker_1:c11_mtx.c:19" \
	"lock_b>lock_a@worker_2:c11_mtx.c:29@worker_2:c11_mtx.c:30"
ls_expect_json "$JSON_REPORT" "d['inversions'][0]['cycle'][0]['held']['kind']" mtx
ls_pass "c11_mtx: one inversion of C11 mutexes; cnd_wait works"
