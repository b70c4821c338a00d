# Worker pools under the shim (Debian's /usr/bin/python3): a worker of a
# 4-worker multiprocessing.Pool or concurrent.futures.ProcessPoolExecutor,
# started by fork or by spawn, finds a C-level inversion (libinvert through
# ctypes).  Pool workers end by SIGTERM (Pool.terminate) or os._exit: that
# worker's report is still written, to FILE.PID, and the parent's report
# lists it (JSON child_reports, and a line in the text summary); the
# run's reports merge into one with the inversion seen in that worker.
. "$top_srcdir/tests/lib.sh"
ls_setup
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || ls_fail "Debian's $PYTHON is needed"
SCRIPT="$top_srcdir/samples/pool_inversion.py"
LIB="$top_builddir/samples/.libs/libinvert.so"
[ -f "$LIB" ] || ls_fail "$LIB is not built"
CYCLE1="ledger_lock>audit_lock@post_entry:libinvert.c:16@post_entry:libinvert.c:17"
CYCLE2="audit_lock>ledger_lock@run_audit:libinvert.c:26@run_audit:libinvert.c:27"

worker_of() { sed -n 's/^pool_inversion: .* worker \([0-9]*\) found the inversion, parent \([0-9]*\)$/\1/p' "$1"; }
parent_of() { sed -n 's/^pool_inversion: .* worker \([0-9]*\) found the inversion, parent \([0-9]*\)$/\2/p' "$1"; }

for kind in pool executor; do
	for method in fork spawn; do
		what="$kind ($method)"
		report="$LS_WORK/$kind-$method.json"
		ls_run "$kind-$method" --format=json --output="$report" -- "$PYTHON" "$SCRIPT" "$kind" "$method" "$LIB"
		ls_expect_status 0 "$what"
		worker=$(worker_of "$RUN_OUT")
		parent=$(parent_of "$RUN_OUT")
		[ -n "$worker" ] && [ -n "$parent" ] || ls_fail "$what: the script did not finish: $(cat "$RUN_OUT")"
		[ -s "$report.$worker" ] || ls_fail "$what: no report $report.$worker from the worker (files: $(ls "$LS_WORK"))"
		ls_expect_json "$report.$worker" "d['pid']" "$worker"
		ls_expect_json "$report.$worker" "len(d['inversions'])" 1
		ls_expect_cycle json "$report.$worker" 0 "$CYCLE1" "$CYCLE2"
		ls_expect_json "$report" "d['pid']" "$parent"
		ls_expect_json "$report" "len(d['inversions'])" 0
		ls_expect_json "$report" "[(c['report'], c['inversions']) for c in d['child_reports'] if c['pid'] == $worker]" \
			"[('$report.$worker', 1)]"
		ls_expect_json "$report" "sum(c['inversions'] for c in d['child_reports'])" 1
		reason=$(ls_json "$report.$worker" "d['reason']")
		# The run's reports merged: the inversion once, in that worker.
		"$LOCKSCOPE" report "$report" "$report".[0-9]* >"$LS_WORK/$kind-$method.merged" ||
			ls_fail "$what: lockscope report cannot merge the run's reports"
		ls_expect_count "$LS_WORK/$kind-$method.merged" "lockscope: lock-order inversion" 1 "$what: merged inversions"
		ls_expect_line "$LS_WORK/$kind-$method.merged" "  Seen in 1 process: pid $worker" "$what: merged"
		ls_pass "$what: worker $worker's report ($reason) in FILE.PID, listed by the parent, merged"
	done
done

# Text: the worker's findings and summary on stderr, the parent's list.
ls_run pool-text -- "$PYTHON" "$SCRIPT" pool fork "$LIB"
ls_expect_status 0 "pool (fork, text)"
worker=$(worker_of "$RUN_OUT")
parent=$(parent_of "$RUN_OUT")
ls_expect_summary "$RUN_ERR" 1 "$worker"
ls_expect_summary "$RUN_ERR" 0 "$parent"
ls_expect_cycle text "$RUN_ERR" 0 "$CYCLE1" "$CYCLE2"
# (every worker that used a lock writes its statistics; one found the inversion)
grep -E -q '^lockscope: [0-9]+ other process(es)? of this run wrote a report, 1 with findings:$' "$RUN_ERR" ||
	ls_fail "the parent does not say other processes wrote reports, 1 with findings"
ls_expect_line "$RUN_ERR" "  pid $worker (/usr/bin/python3"
ls_expect_line "$RUN_ERR" "): 1 inversion, 0 other findings in standard error"
ls_pass "pool (fork, text): the worker's summary, and the parent lists it"
