# One new lock order closing two cycles at once: both are reported (each is
# a deadlock of its own), each once, with every edge's file:line.
. "$top_srcdir/tests/lib.sh"
ls_setup
src="$top_srcdir/samples/two_cycles.c"
first=$(grep -n 'FIRST_LOCK_LINE' "$src" | head -n 1 | cut -d: -f1)
second=$(grep -n 'SECOND_LOCK_LINE' "$src" | head -n 1 | cut -d: -f1)
ls_run_both two_cycles -- "$SAMPLES/two_cycles"
ls_expect_line "$TEXT_OUT" "two_cycles: 4 steps" "the sample's own output"
ls_expect_inversions_text "$TEXT_REPORT" 2
ls_expect_inversions_json "$JSON_REPORT" 2
ls_expect_line "$TEXT_REPORT" "Cycle of 2 locks: config -> index_lock -> config"
ls_expect_line "$TEXT_REPORT" "Cycle of 3 locks: config -> journal -> index_lock -> config"
edge() { echo "$1>$2@take_in_order:two_cycles.c:$first@take_in_order:two_cycles.c:$second"; }
short=$(ls_json "$JSON_REPORT" "[len(i['cycle']) for i in d['inversions']].index(2)")
long=$((1 - short))
for fmt in text json; do
	[ $fmt = text ] && report=$TEXT_REPORT || report=$JSON_REPORT
	ls_expect_cycle $fmt "$report" "$short" "$(edge config index_lock)" "$(edge index_lock config)"
	ls_expect_cycle $fmt "$report" "$long" "$(edge config journal)" "$(edge journal index_lock)" \
		"$(edge index_lock config)"
done
ls_expect_json "$JSON_REPORT" "len(set(e['thread']['tid'] for e in d['inversions'][$long]['cycle']))" 3
ls_pass "two_cycles: both cycles closed by index -> config, each with its edges and lines"
