# ABBA under a common gate lock cannot deadlock: no inversion.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both gate_abba -- "$SAMPLES/gate_abba"
ls_expect_line "$TEXT_OUT" "gate_abba: 2 transfers" "the sample's own output"
ls_expect_report 0
# The opposite edges were seen (so the silence is the gate's doing).
ls_expect_json "$JSON_REPORT" "sorted((e['held']['name'], e['acquired']['name']) for e in d['lock_order'] if e['held']['name'] != 'gate')" \
	"[('lock_a', 'lock_b'), ('lock_b', 'lock_a')]"
ls_pass "gate_abba: gated opposite orders are not reported"
