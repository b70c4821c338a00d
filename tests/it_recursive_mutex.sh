# A recursive mutex re-locked by its owner (also while holding another
# lock) is no acquisition: no inversion, and the program runs to the end.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both recursive_mutex -- "$SAMPLES/recursive_mutex"
ls_expect_line "$TEXT_OUT" "recursive_mutex: 4 items, 2 passes" "the sample's own output"
ls_expect_report 0
ls_expect_json "$JSON_REPORT" "sorted((e['held']['name'], e['acquired']['name']) for e in d['lock_order'])" \
	"[('registry', 'stats')]"
ls_pass "recursive_mutex: recursion is neither an edge nor a crash"
