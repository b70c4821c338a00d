#!/bin/sh
# Contention profiling: exact acquisition counts per lock and call site, and
# contention attributed to the right lock, line and (for blame) holder site,
# read back from the JSON exit report of each contention sample.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
command -v python3 >/dev/null || { echo "FAIL: python3 is needed"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
lockscope="$top_builddir/tools/lockscope"
status=0

# line SAMPLE MARKER: the source line carrying /* MARKER */
line() { grep -n "/\* $2 \*/" "$top_srcdir/samples/$1.c" | cut -d: -f1; }

run_sample() {
	name=$1; shift
	run_as "$name" "$name" "$@"
}

# run_as REPORT SAMPLE [lockscope flags --] ARGS: the report in REPORT.json
run_as() {
	report=$1 name=$2 flags=
	shift 2
	if [ "${1:-}" = --hold-time ]; then flags=$1; shift; fi
	if ! "$lockscope" run $flags --format=json -o "$tmp/$report.json" -- "$top_builddir/samples/$name" "$@" \
		>"$tmp/$report.out" 2>"$tmp/$report.err"; then
		echo "FAIL: $name exited non-zero"; cat "$tmp/$report.err"; status=1; return 1
	fi
}

# check REPORT PYTHON-ASSERTIONS: helpers lock(name), site(lock, line)
check() {
	python3 - "$1" <<PY || status=1
import json, sys
r = json.load(open(sys.argv[1]))
def lock(name):
    found = [l for l in r["locks"] if l.get("name") == name]
    assert found, "no lock named %s in %s" % (name, [l.get("name") for l in r["locks"]])
    return found[0]
def site(l, line):
    found = [s for s in l["sites"] if s["stack"] and s["stack"][0]["line"] == line
             and s["stack"][0]["file"].endswith(".c")]
    assert found, "no site at line %d of %s: %s" % (line, l["name"],
        [(s["stack"][0].get("line"), s["acquisitions"]) for s in l["sites"]])
    return found[0]
def eq(what, got, want):
    assert got == want, "%s: got %r, want %r" % (what, got, want)
try:
$2
except AssertionError as e:
    print("FAIL (%s): %s" % (sys.argv[1].rsplit("/", 1)[-1], e)); sys.exit(1)
print("ok", sys.argv[1].rsplit("/", 1)[-1])
PY
}

run_sample contention_counter && check "$tmp/contention_counter.json" "
    log = lock('log_lock')
    eq('log_lock acquisitions', log['acquisitions'], 50 * 200)
    s = site(log, $(line contention_counter LOG_LOCK_LINE))
    eq('log site function', s['stack'][0]['function'], 'log_request')
    eq('log site acquisitions', s['acquisitions'], 10000)
    assert log['contended'] > 0, 'log_lock never contended'
    eq('contention at the log site', s['contended'], log['contended'])
    eq('wait at the log site', s['wait_ns'], log['wait_ns'])
    assert s['blamed_wait_ns'] > 0, 'log site blamed for nothing'
    assert log['max_wait_ns'] <= log['wait_ns'] and log['max_wait_ns'] > 0
    eq('histogram total', sum(log['wait_histogram']), log['contended'])
    st = lock('stats_lock')
    eq('stats_lock acquisitions', st['acquisitions'], 50)
    eq('stats site acquisitions', site(st, $(line contention_counter STATS_LOCK_LINE))['acquisitions'], 50)
    assert r['locks'][0]['name'] == 'log_lock', 'log_lock is not the most waited-for lock'
"

run_sample contention_pqueue 1000 && check "$tmp/contention_pqueue.json" "
    q = lock('queue_lock')
    eq('push site', site(q, $(line contention_pqueue PUSH_LOCK_LINE))['acquisitions'], 2000)
    eq('pop site (jobs + one empty pop per consumer)', site(q, $(line contention_pqueue POP_LOCK_LINE))['acquisitions'], 2002)
    eq('done site', site(q, $(line contention_pqueue DONE_LOCK_LINE))['acquisitions'], 2)
    eq('sites of queue_lock', len(q['sites']), 3)
    assert q['acquisitions'] >= 4004, 'lock total below its sites'
"

run_sample contention_rwcache 5000 50 && check "$tmp/contention_rwcache.json" "
    c = lock('cache_lock')
    eq('kind', c['kind'], 'rwlock')
    eq('lookup site', site(c, $(line contention_rwcache LOOKUP_LOCK_LINE))['acquisitions'], 20000)
    eq('refresh site', site(c, $(line contention_rwcache REFRESH_LOCK_LINE))['acquisitions'], 50)
    eq('lock total', c['acquisitions'], 20050)
"

# The convoy's exact counts and its blame, with or without hold times.
convoy="
    h = lock('hot_lock')
    eq('lock total', h['acquisitions'], 8040)
    append = site(h, $(line contention_convoy APPEND_LOCK_LINE))
    flush = site(h, $(line contention_convoy FLUSH_LOCK_LINE))
    eq('append site', append['acquisitions'], 8000)
    eq('flush site', flush['acquisitions'], 40)
    assert flush['blamed_wait_ns'] > append['blamed_wait_ns'], \
        'flush not blamed: flush %d append %d' % (flush['blamed_wait_ns'], append['blamed_wait_ns'])"

run_sample contention_convoy 2000 && check "$tmp/contention_convoy.json" "$convoy
    assert append['contended'] > 0, 'nobody waited at the append line'
    assert append['wait_ns'] > flush['wait_ns'], 'waits are not at the append line'
"

# Hold times (taken on the fast path: the tail calls of the blame mark and
# charge start and stop the clock): the flush's 40 holds of 500 us or more
# are at its line, the lock's total covers its sites, the counts and the
# blame are as without hold times.
run_as convoy_hold contention_convoy --hold-time 2000 && check "$tmp/convoy_hold.json" "$convoy
    assert flush['hold_ns'] >= 40 * 500000, 'flush held %d ns in all' % flush['hold_ns']
    assert h['max_hold_ns'] >= 500000, 'longest hold %d ns' % h['max_hold_ns']
    assert append['hold_ns'] > 0, 'append holds not timed'
    assert append['hold_ns'] < flush['hold_ns'], 'append %d >= flush %d' % (append['hold_ns'], flush['hold_ns'])
    eq('lock hold total', h['hold_ns'], append['hold_ns'] + flush['hold_ns'])
"

# C11 mutexes (mtx_plain and mtx_timed are glibc normal mutexes, taken by
# the shim's inline path): every call answers thrd_success (the sample
# checks), the wait behind the 60 ms holder is on the waiter's line (its
# call was already known: the fast path met the busy mutex), the holder's
# line is blamed for it, and the counts are exact.
run_sample c11_contended && check "$tmp/c11_contended.json" "
    l = lock('ledger')
    eq('kind', l['kind'], 'mtx')
    eq('lock total', l['acquisitions'], 40003)
    waiter = site(l, $(line c11_contended WAITER_LOCK_LINE))
    holder = site(l, $(line c11_contended HOLDER_LOCK_LINE))
    eq('waiter site', waiter['acquisitions'], 2)
    eq('waiter contended', waiter['contended'], 1)
    assert waiter['wait_ns'] >= 40000000, 'waited %d ns behind a 60 ms hold' % waiter['wait_ns']
    assert holder['blamed_wait_ns'] >= 40000000, 'holder blamed %d ns' % holder['blamed_wait_ns']
    eq('lock rounds', site(l, $(line c11_contended ROUND_LOCK_LINE))['acquisitions'], 20000)
    eq('timed rounds', site(l, $(line c11_contended ROUND_TIMEDLOCK_LINE))['acquisitions'], 20000)
"
exit $status
