# Memory reused for new locks starts new lives: the opposite order taken
# on a second life is no inversion (after destroy + init, and after free +
# malloc of objects whose locks were set up by assignment).
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both reuse_after_destroy -- "$SAMPLES/reuse_after_destroy"
ls_expect_line "$TEXT_OUT" "reuse_after_destroy: balance 2" "the sample's own output"
ls_expect_report 0
# Only the second life's order is left (the locks live until exit).
ls_expect_json "$JSON_REPORT" "[(e['held']['name'], e['acquired']['name']) for e in d['lock_order']]" \
	"[('mutex initialized at reuse_after_destroy.c:29', 'mutex initialized at reuse_after_destroy.c:28')]"
ls_pass "reuse_after_destroy: two lives are not joined"

ls_run_both reuse_after_free -- "$SAMPLES/reuse_after_free"
ls_expect_line "$TEXT_OUT" "reuse_after_free: same address reused" "the sample's own output"
ls_expect_report 0
# Only the second object's order is left (it lives until exit).
ls_expect_json "$JSON_REPORT" "[(e['held']['name'], e['acquired']['name']) for e in d['lock_order']]" \
	"[('mutex first locked at reuse_after_free.c:32', 'mutex first locked at reuse_after_free.c:33')]"
ls_pass "reuse_after_free: free ends the lives of the locks in the block"
