# The opposite order taken only with trylock (and back-off): no inversion.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both trylock_backoff -- "$SAMPLES/trylock_backoff"
ls_expect_line "$TEXT_OUT" "trylock_backoff: 2 updates" "the sample's own output"
ls_expect_report 0
ls_expect_json "$JSON_REPORT" "sorted((e['held']['name'], e['acquired']['name']) for e in d['lock_order'])" \
	"[('lock_a', 'lock_b')]"
ls_expect_json "$JSON_REPORT" "sorted((l['name'], l['acquisitions']) for l in d['locks'])" \
	"[('lock_a', 2), ('lock_b', 2)]"
ls_pass "trylock_backoff: a trylock is no order edge"
