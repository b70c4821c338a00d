#!/bin/sh
# Python programs under the shim (samples/python), on Debian's python3 and
# on CPython 3.12 and 3.13 where installed: threading.Lock is a semaphore
# used as a lock, so an ABBA between two of them and a lazy-initialisation
# inversion are reported (both threading.Lock acquisitions of each edge
# are uncontended sem_trywait calls: the blocking intent is read from the
# Python frame); a 50-thread counter and a bounded PriorityQueue show
# their locks' counts and contention and nothing else; a program using
# Condition, Event, Barrier, RLock, Semaphore, a pool and a Queue
# correctly stays silent.  CPython 3.13 takes an uncontended lock without
# a semaphore: only the silence is checked there.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/py-common.sh"
ls_setup
ls_need_debian_python
PY_SAMPLES="$top_srcdir/samples/python"

# expect_no_watchdog_finding FILE WHAT
expect_no_watchdog_finding()
{
	grep -E -q '^lockscope: (deadlock|hang|stall|hold-and-wait)$' "$1" && ls_fail "$2: a watchdog finding"
	return 0
}

# expect_two_semaphore_cycle JSON: inversion 0 is a cycle of two lock-like
# semaphores, each edge taken by its own thread.
expect_two_semaphore_cycle()
{
	ls_expect_json "$1" "[(e['held']['kind'], e['held']['class'], e['acquired']['kind'], e['acquired']['class']) for e in d['inversions'][0]['cycle']]" \
		"[('semaphore', 'lock', 'semaphore', 'lock'), ('semaphore', 'lock', 'semaphore', 'lock')]"
	ls_expect_json "$1" "len({e['thread']['tid'] for e in d['inversions'][0]['cycle']})" 2
	ls_expect_json "$1" "all(e['held_stack'] and e['acquire_stack'] for e in d['inversions'][0]['cycle'])" True
}

# expect_python_edge TEXT THREAD HELD HELD_AT ACQUIRED ACQUIRED_AT: the
# inversion's edge of thread THREAD (named after its Thread target) took
# ACQUIRED while holding HELD, with the innermost Python frames of both
# stacks at HELD_AT and ACQUIRED_AT (file:line).
expect_python_edge()
{
	awk -v thread="$2" -v held="$3" -v held_at="$4" -v acq="$5" -v acq_at="$6" '
		index($0, "  Thread T") == 1 { edge = index($0, "(" thread ", tid ") && index($0, "acquired " acq " (") && index($0, "while holding " held " ("); part = 0; next }
		edge && index($0, "    " held " was acquired at:") == 1 { part = 1; seen = 0; next }
		edge && index($0, "    " acq " was acquired at:") == 1 { part = 2; seen = 0; next }
		edge && part && !seen && /\[python\] in / { seen = 1; split($0, w, "/"); at = w[length(w)]
			if (part == 1 && at == held_at) ok1 = 1
			if (part == 2 && at == acq_at) ok2 = 1 }
		END { exit !(ok1 && ok2) }' "$1" ||
		ls_fail "edge of $2: $3 held at $4, $5 acquired at $6 (innermost Python frames)"
}

for py in $(ls_pythons 3.12 3.13); do
	version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	tag="python $version"

	ls_run_both correct-$version -- "$py" "$PY_SAMPLES/correct_sync.py"
	ls_expect_line "$TEXT_OUT" "correct_sync.py: consumed 200, at most 1 in the resource, pool total 2450, late" "$tag correct_sync output"
	ls_expect_report 0
	expect_no_watchdog_finding "$TEXT_REPORT" "$tag correct_sync"
	ls_expect_json "$JSON_REPORT" "len(d['deadlocks'])" 0
	# with the watchdog's hang timeout on, still nothing
	ls_run correct-hang-$version --hang-timeout=1 -- "$py" "$PY_SAMPLES/correct_sync.py"
	ls_expect_status 0 "$tag correct_sync with --hang-timeout=1"
	ls_expect_summary "$RUN_ERR" 0
	expect_no_watchdog_finding "$RUN_ERR" "$tag correct_sync with --hang-timeout=1"
	ls_pass "$tag: Condition, Event, Barrier, RLock, Semaphore, a pool and a Queue used correctly: silent"

	if [ "$version" = 3.13 ]; then
		echo "skip: $tag takes an uncontended threading.Lock without a semaphore: no inversion or count checks"
		continue
	fi

	ls_run_both abba-$version -- "$py" "$PY_SAMPLES/abba.py"
	ls_expect_line "$TEXT_OUT" "abba.py: balance 5, audited 5" "$tag abba output"
	ls_expect_report 1
	ls_expect_line "$TEXT_REPORT" "Cycle of 2 locks: "
	[ "$(grep -c '^  Thread T[12] .* acquired .* (semaphore 0x[0-9a-f]*) while holding .* (semaphore 0x[0-9a-f]*):$' "$TEXT_REPORT")" -eq 2 ] ||
		ls_fail "$tag abba: two edges between semaphores"
	expect_two_semaphore_cycle "$JSON_REPORT"
	ls_expect_line "$TEXT_REPORT" "Cycle of 2 locks: accounts_lock (abba.py:10) -> audit_lock (abba.py:11) -> accounts_lock (abba.py:10)"
	expect_python_edge "$TEXT_REPORT" "transfer_in" "accounts_lock (abba.py:10)" "abba.py:18" "audit_lock (abba.py:11)" "abba.py:19"
	expect_python_edge "$TEXT_REPORT" "audit" "audit_lock (abba.py:11)" "abba.py:25" "accounts_lock (abba.py:10)" "abba.py:26"
	ls_expect_json "$JSON_REPORT" "sorted({(f['function'], f['file'].rsplit('/', 1)[-1], f['line']) for e in d['inversions'][0]['cycle'] for f in e['held_stack'] + e['acquire_stack'] if f.get('language') == 'python' and f['file'].endswith('abba.py')})" \
		"[('audit', 'abba.py', 25), ('audit', 'abba.py', 26), ('transfer_in', 'abba.py', 18), ('transfer_in', 'abba.py', 19)]"
	ls_pass "$tag: ABBA between two threading.Lock: one inversion, named and placed by Python"

	ls_run_both lazy-$version -- "$py" "$PY_SAMPLES/lazy_init.py"
	ls_expect_line "$TEXT_OUT" "lazy_init.py: 1 plugins, 1 hooks" "$tag lazy_init output"
	ls_expect_report 1
	expect_two_semaphore_cycle "$JSON_REPORT"
	expect_python_edge "$TEXT_REPORT" "get_plugin" "registry_lock (lazy_init.py:12)" "lazy_init.py:29" "hooks_lock (lazy_init.py:13)" "lazy_init.py:21"
	expect_python_edge "$TEXT_REPORT" "fire" "hooks_lock (lazy_init.py:13)" "lazy_init.py:37" "registry_lock (lazy_init.py:12)" "lazy_init.py:29"
	ls_pass "$tag: lazy initialisation, registry -> hooks and hooks -> registry: one inversion"

	ls_run_both counter-$version -- "$py" "$PY_SAMPLES/counter.py"
	ls_expect_line "$TEXT_OUT" "counter.py: 100000" "$tag counter output"
	ls_expect_report 0
	expect_no_watchdog_finding "$TEXT_REPORT" "$tag counter"
	# exactly one lock taken 50 x 2000 times by the workers and once by main
	ls_expect_json "$JSON_REPORT" "[(l['kind'], l['class']) for l in d['locks'] if l['acquisitions'] == 100001]" "[('semaphore', 'lock')]"
	ls_expect_json "$JSON_REPORT" "[l['contended'] > 0 and l['wait_ns'] > 0 for l in d['locks'] if l['acquisitions'] == 100001]" "[True]"
	grep -E -q '^  [0-9]+ +.* semaphore +100001 +[1-9][0-9]* ' "$TEXT_REPORT" ||
		ls_fail "$tag counter: the text statistics show the lock, 100001 acquisitions, contended"
	ls_expect_json "$JSON_REPORT" "[l['name'] for l in d['locks'] if l['acquisitions'] == 100001]" "['counter_lock (counter.py:15) (destroyed)']"
	ls_pass "$tag: 50 threads, one counter lock: 100001 acquisitions, contended, nothing else"

	ls_run_both pqueue-$version -- "$py" "$PY_SAMPLES/pqueue.py"
	ls_expect_line "$TEXT_OUT" "pqueue.py: 8000 items consumed" "$tag pqueue output"
	ls_expect_report 0
	expect_no_watchdog_finding "$TEXT_REPORT" "$tag pqueue"
	ls_expect_line "$TEXT_REPORT" "lockscope: lock statistics" "$tag pqueue statistics"
	# the queue's mutex: every put and every get takes it
	ls_expect_json "$JSON_REPORT" "max(l['acquisitions'] for l in d['locks'] if l['kind'] == 'semaphore' and l['class'] == 'lock') >= 16002" True
	ls_expect_json "$JSON_REPORT" "[l['contended'] for l in d['locks'] if l['kind'] == 'semaphore' and l['class'] == 'signal']" "[]"
	ls_pass "$tag: bounded PriorityQueue, 4 producers, 2 consumers: statistics, no finding"
done
