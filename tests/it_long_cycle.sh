# A 12-lock cycle across 12 threads: reported once, with all 12 edges.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both long_cycle -- "$SAMPLES/long_cycle"
ls_expect_line "$TEXT_OUT" "long_cycle: 12 passes" "the sample's own output"
name() { [ "$1" -eq 0 ] && echo ring || echo "ring+$(($1 * 40))"; }
edges=""
i=0
while [ $i -lt 12 ]; do
	edges="$edges $(name $i)>$(name $(((i + 1) % 12)))@pass_token:long_cycle.c:17@pass_token:long_cycle.c:18"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # one word per edge
ls_expect_report 1 $edges
ls_expect_line "$TEXT_REPORT" "Cycle of 12 locks: ring -> ring+40 -> ring+80"
ls_expect_json "$JSON_REPORT" "len(set(e['thread']['tid'] for e in d['inversions'][0]['cycle']))" 12
ls_pass "long_cycle: all 12 edges, from 12 threads"
