# SIGTERM while no thread can allocate (samples/exit_stuck_malloc): the
# watchdog, which writes the report with malloc, never answers; after its
# bounded wait the signalled thread writes the raw report itself with
# write(2) and the program still dies by SIGTERM.  Text: the summary line.
# JSON: a valid report with the inversion, frames as module+offset, that
# `lockscope report` reads.
. "$top_srcdir/tests/lib.sh"
ls_setup
PROG="$SAMPLES/exit_stuck_malloc"

ls_run raw-text -- "$PROG"
ls_expect_status 143 "raw (text): killed by SIGTERM, not by timeout"
pid=$(sed -n 's/^exit_stuck_malloc: pid \([0-9]*\),.*/\1/p' "$RUN_OUT")
[ -n "$pid" ] || ls_fail "the sample did not start: $(cat "$RUN_OUT")"
ls_expect_line "$RUN_ERR" "lockscope: (raw report: the report writer did not answer in time; lock statistics omitted)"
ls_expect_summary "$RUN_ERR" 1 "$pid"
ls_expect_line "$RUN_ERR" "lockscope: 1 inversion, 0 deadlocks in $PROG (pid $pid)"
ls_pass "raw text: the summary line, then death by SIGTERM"

report="$LS_WORK/raw.json"
ls_run raw-json --format=json --output="$report" -- "$PROG"
ls_expect_status 143 "raw (JSON): killed by SIGTERM"
[ -s "$report" ] || ls_fail "no raw JSON report (files: $(ls "$LS_WORK"))"
[ ! -e "$report.raw" ] || ls_fail "the temporary file was left behind"
ls_expect_json "$report" "d['reason'].startswith('signal SIGTERM (raw: ')" True
ls_expect_json "$report" "len(d['inversions'])" 1
edges="sorted((e['held']['kind'], e['acquired']['kind'], e['held_stack'][0]['module']) for e in d['inversions'][0]['cycle'])"
ls_expect_json "$report" "$edges" "[('mutex', 'mutex', 'exit_stuck_malloc'), ('mutex', 'mutex', 'exit_stuck_malloc')]"
# The raw frames map back to the functions with the module offsets.
command -v eu-addr2line >/dev/null || ls_fail "eu-addr2line (elfutils) is needed"
offsets=$(ls_json "$report" "' '.join(hex(int(e['acquire_stack'][0]['module_offset'], 16) - 1) for e in d['inversions'][0]['cycle'])")
functions=$(for off in $offsets; do eu-addr2line -f -e "$PROG" "$off" | head -1; done | sort | tr '\n' ' ')
[ "$functions" = "collect deliver " ] || ls_fail "raw frames name '$functions', expected 'collect deliver '"
"$LOCKSCOPE" report "$report" >"$LS_WORK/raw-render.txt" || ls_fail "lockscope report refuses the raw report"
ls_expect_line "$LS_WORK/raw-render.txt" "lockscope: 1 inversion, 0 deadlocks in $PROG (pid"
ls_pass "raw JSON: a valid report with the inversion, frames mapping back to deliver and collect"

# A thread dump before: the report file had it (the dump rewrote it); it is
# moved to FILE.full, and the raw report says so and counts the dump.
report="$LS_WORK/dumped.json"
ls_run raw-dumped --format=json --output="$report" --dump-after=0.2 -- "$PROG" 1
ls_expect_status 143 "raw (JSON, after a dump): killed by SIGTERM"
ls_expect_json "$report" "d['reason'].endswith('; the thread dumps are in the last full report, $report.full)')" True
ls_expect_json "$report" "(len(d['inversions']), d['dumps'], d['dumps_omitted'])" "(1, [], 1)"
ls_expect_json "$report.full" \
	"[(x['reason'], any(f['function'] == 'main' and f['file'].endswith('exit_stuck_malloc.c') for t in x['threads'] for f in t['stack'])) for x in d['dumps']]" \
	"[('timer', True)]"
"$LOCKSCOPE" report "$report" >"$LS_WORK/dumped-render.txt" || ls_fail "lockscope report refuses the raw report"
ls_expect_line "$LS_WORK/dumped-render.txt" "lockscope: thread dumps made but not in this report: 1"
ls_pass "raw JSON after a dump: the full report with the dump kept in FILE.full"
