# 300 locks held at once by one thread and 200000 live locks: no crash,
# the right counts, and an inversion between locks #150 and #299 of the
# held chain is still found.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both many_locks -- "$SAMPLES/many_locks"
ls_expect_line "$TEXT_OUT" "many_locks: 300 chained, 200000 in the crowd, 200002 critical sections" \
	"the sample's own output"
ls_expect_report 1 \
	"chain+6000>chain+11960@chain_holder:many_locks.c:28@chain_holder:many_locks.c:28" \
	"chain+11960>chain+6000@inverter:many_locks.c:38@inverter:many_locks.c:39"
# Every lock of the chain was seen after every lock before it: 300*299/2
# edges, plus one per gated crowd lock and the inverter's edge.
ls_expect_json "$JSON_REPORT" "len(d['lock_order'])" $((300 * 299 / 2 + 200 + 1))
ls_expect_json "$JSON_REPORT" "[l['acquisitions'] for l in d['locks'] if l.get('name') == 'crowd_gate']" "[200]"
ls_expect_json "$JSON_REPORT" "sorted((l['name'], l['acquisitions']) for l in d['locks'] if l.get('name') in ('chain+6000', 'chain+11960'))" \
	"[('chain+11960', 2), ('chain+6000', 2)]"
# The report lists the 1000 locks with the most wait time and says how many were used.
ls_expect_json "$JSON_REPORT" "(len(d['locks']), d['locks_total'])" "(1000, 200301)"
ls_pass "many_locks: 300 held, 200000 live, the deep inversion found"
