#!/bin/sh
# report.sh — `lockscope report` renders the checked-in sample report in every
# format (asserting on content), graphviz accepts the dot output, and every
# hostile input of the corpus gets status 1 and one line naming its problem.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
lockscope=$top_builddir/tools/lockscope
corpus=$top_srcdir/tests/corpus/report
sample=$corpus/sample-abba.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect FILE TEXT: FILE contains the fixed string TEXT
expect() {
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

# expect_not FILE TEXT
expect_not() {
	! grep -qF -- "$2" "$1" || fail "$(basename "$1") should not contain: $2"
}

render() { # format, output file
	"$lockscope" report --format="$1" "$sample" >"$2" 2>"$tmp/stderr" ||
		fail "--format=$1 exited $?: $(cat "$tmp/stderr")"
}

# --- text
render text "$tmp/out.text"
head -n 1 "$tmp/out.text" | grep -qx 'lockscope: lock-order inversion (potential deadlock)' ||
	fail "text does not start with the inversion line"
expect "$tmp/out.text" "  Cycle of 2 locks: resource_a -> resource_b -> resource_a"
expect "$tmp/out.text" "  Thread T1 (worker_1, tid 31338) acquired resource_b (mutex 0x55d0c0a4e080) while holding resource_a (mutex 0x55d0c0a4e040):"
expect "$tmp/out.text" "      #0 0x000055d0c0a4b1f0 in take_second samples/abba.c:14 [inlined]"
expect "$tmp/out.text" "      #1 0x00007f3a1c32d5bc in (libc.so.6+0x10e5bc)"
expect "$tmp/out.text" "lockscope: lock statistics (top 3 of 3 locks by wait time)"
grep -A1 '^  #   lock' "$tmp/out.text" | grep -q '^  1   counter_lock .* 4000 .* 612 .*4.034 ms' ||
	fail "counter_lock (most wait) is not first in the statistics table"
expect "$tmp/out.text" "          #1 0x000055d0c0a4b348 in worker_2 samples/abba.c:35"
tail -n 1 "$tmp/out.text" | grep -qx 'lockscope: 1 inversion, 0 deadlocks in ./samples/abba (pid 31337)' ||
	fail "text summary line: $(tail -n 1 "$tmp/out.text")"

# --- json: normalised, and stable when read back (also through stdin and -o)
render json "$tmp/out.json"
expect "$tmp/out.json" '"version": 1,'
expect "$tmp/out.json" '"address": "0x55d0c0a4e0c0"'
expect "$tmp/out.json" '"blamed_wait_ns": 2190500'
"$lockscope" report --format=json -o "$tmp/again.json" - <"$tmp/out.json" || fail "json from stdin exited $?"
cmp -s "$tmp/out.json" "$tmp/again.json" || fail "json -> json is not byte-identical"

# --- dot: graphviz must accept it
render dot "$tmp/out.dot"
expect "$tmp/out.dot" 'L0 [label="resource_a\nmutex 0x55d0c0a4e040"];'
expect "$tmp/out.dot" 'L0 -> L1 [color=red, penwidth=2.5, style=bold];'
expect "$tmp/out.dot" 'L1 -> L0 [color=red, penwidth=2.5, style=bold];'
grep -qx '  L0 -> L2;' "$tmp/out.dot" || fail "the resource_a -> counter_lock edge is missing or highlighted"
if command -v dot >/dev/null 2>&1; then
	dot -Tsvg "$tmp/out.dot" >"$tmp/out.svg" 2>"$tmp/dot.err" || fail "dot -Tsvg rejects the graph: $(cat "$tmp/dot.err")"
	expect "$tmp/out.svg" "counter_lock"
else
	fail "graphviz 'dot' is not installed (apt-get install graphviz)"
fi

# --- folded: "frame;frame count" lines, outermost first, no header
render folded "$tmp/out.folded"
expect "$tmp/out.folded" "start_thread;worker_1;bump_counter;lock counter_lock 1723000"
expect "$tmp/out.folded" "start_thread;worker_2;bump_counter;lock counter_lock 2190500"
expect "$tmp/out.folded" "start_thread;worker_2;lock resource_a 120000"
# counter_lock waited 4033500 ns; the 120000 its sites do not account for stay on the lock.
expect "$tmp/out.folded" "lock counter_lock 120000"
bad_lines=$(grep -cvE '^[^ ;][^;]*(;[^;]+)* [0-9]+$' "$tmp/out.folded")
[ "$bad_lines" -eq 0 ] || fail "$bad_lines folded lines are not 'frame;frame count'"
total=$(awk '{ sum += $NF } END { print sum }' "$tmp/out.folded")
[ "$total" = 4153500 ] || fail "folded total is $total ns, expected the 4153500 ns the locks waited"

# --- html: one self-contained page
render html "$tmp/out.html"
expect "$tmp/out.html" "<!DOCTYPE html>"
expect "$tmp/out.html" "<svg "
expect "$tmp/out.html" 'class="inversion"'
expect "$tmp/out.html" "<table class=sortable>"
expect "$tmp/out.html" "<td>counter_lock</td>"
expect "$tmp/out.html" 'data-v="4033500">4.034 ms</td>'
expect "$tmp/out.html" "Thread T1 (worker_1, tid 31338) acquired resource_b"
expect "$tmp/out.html" "</html>"
for external in 'http://' 'https://' ' src=' '<link' '@import'; do
	expect_not "$tmp/out.html" "$external"
done

# --- a deadlock and a hang with rwlock modes (second sample)
deadlock_sample=$corpus/sample-deadlock.json
"$lockscope" report "$deadlock_sample" >"$tmp/dl.text" || fail "deadlock sample: exit $?"
head -n 1 "$tmp/dl.text" | grep -qx 'lockscope: deadlock' || fail "deadlock sample does not start with 'lockscope: deadlock'"
expect "$tmp/dl.text" "  Thread T1 (reader, tid 5151) holds table_lock (rwlock 0x5611aa0010a0) for read and waits for log_lock (mutex 0x5611aa0010e0), owned by tid 5152 (writer)"
expect "$tmp/dl.text" "  Thread T2 (writer, tid 5152) holds log_lock (mutex 0x5611aa0010e0) and waits for table_lock (rwlock 0x5611aa0010a0) for write"
expect "$tmp/dl.text" "    table_lock was acquired for read at:"
expect "$tmp/dl.text" "lockscope: hang"
expect "$tmp/dl.text" "  Thread reader (tid 5151): waiting for lock, blocked on log_lock (mutex 0x5611aa0010e0) for 12.250 s"
expect "$tmp/dl.text" "      #0 0x00007f5e0a48cd36 in __futex_abstimed_wait_common ./nptl/futex-internal.c:57"
tail -n 1 "$tmp/dl.text" | grep -qx 'lockscope: 0 inversions, 1 deadlock, 1 hang in ./samples/rwlock (pid 5150)' ||
	fail "deadlock sample summary: $(tail -n 1 "$tmp/dl.text")"
"$lockscope" report --format=json "$deadlock_sample" >"$tmp/dl.json" &&
	"$lockscope" report --format=json "$tmp/dl.json" | cmp -s - "$tmp/dl.json" || fail "deadlock sample: json not stable"
"$lockscope" report --format=html "$deadlock_sample" >"$tmp/dl.html" || fail "deadlock sample html: exit $?"
expect "$tmp/dl.html" "lockscope: hang"
expect "$tmp/dl.html" "<td>janitor</td>"
"$lockscope" report --format=folded "$deadlock_sample" >"$tmp/dl.folded" || fail "deadlock sample folded: exit $?"
[ ! -s "$tmp/dl.folded" ] || fail "folded output of a report without lock statistics is not empty"

# --- kept thread dumps (third sample: the SIGTERM report of a run that had
# a SIGQUIT dump and timer dumps, 4 of them left out)
dumps_sample=$corpus/sample-dumps.json
"$lockscope" report "$dumps_sample" >"$tmp/dumps.text" || fail "dumps sample: exit $?"
head -n 2 "$tmp/dumps.text" | tr '\n' '|' | grep -qx 'lockscope: thread dump requested by SIGQUIT|  kept dump 1 (signal SIGQUIT), 0.198 s after start, at 2024-05-01T12:34:56.789Z|' ||
	fail "dumps sample does not start with the SIGQUIT dump's headline and when it was made"
expect "$tmp/dumps.text" "      #2 0x000055ff19cae43b in shutdown_waiter samples/dump_busy.c:58"
expect "$tmp/dumps.text" "    holds counter_lock (mutex 0x55ff19cb1140), acquired at:"
expect "$tmp/dumps.text" "lockscope: 4 thread dumps not kept here (a process keeps its first 4 and its last 4)"
expect "$tmp/dumps.text" "  kept dump 6 (timer), 2.500 s after start, at 2024-05-01T12:34:59.091Z"
[ "$(grep -c '^lockscope: thread dump (' "$tmp/dumps.text")" -eq 2 ] || fail "dumps sample: two kept dumps"
expect "$tmp/dumps.text" "lockscope: 4 threads when the report was written (no stacks: see the dumps above)"
# a long lock name: cut in the table, the numbers aligned, the whole name below
expect "$tmp/dumps.text" "  2   sl (synchronize.py:57... semaphore          2          1       5.0 us"
expect "$tmp/dumps.text" "      sl (synchronize.py:57, from pool_inversion.py:32)"
awk '/^  #   lock/ { on = 1 } on && /^  [0-9]/ { print index($0, " us ") }' "$tmp/dumps.text" | sort -u | wc -l |
	grep -qx 1 || fail "dumps sample: the statistics columns are not aligned"
"$lockscope" report --format=json "$dumps_sample" >"$tmp/dumps.json" &&
	"$lockscope" report --format=json "$tmp/dumps.json" | cmp -s - "$tmp/dumps.json" || fail "dumps sample: json not stable"
expect "$tmp/dumps.json" '"dumps_omitted": 4,'
"$lockscope" report --format=html "$dumps_sample" >"$tmp/dumps.html" || fail "dumps sample html: exit $?"
expect "$tmp/dumps.html" '<a href="#dump-1">2 thread dumps</a>'
expect "$tmp/dumps.html" '<h2 id="dump-2">Thread dump 6: timer <small>3 threads, 2.500 s after start</small></h2>'
expect "$tmp/dumps.html" "in shutdown_waiter samples/dump_busy.c:58"
expect "$tmp/dumps.html" "4 more thread dumps made but not kept"
"$lockscope" report --format=folded-dumps "$dumps_sample" >"$tmp/dumps.folded" || fail "dumps sample folded-dumps: exit $?"
expect "$tmp/dumps.folded" "start_thread;shutdown_waiter;pthread_cond_wait;__futex_abstimed_wait_common 2"
expect "$tmp/dumps.folded" "start_thread;counting_worker;count_a_little;pthread_mutex_unlock 1"
[ "$(awk '{ sum += $NF } END { print sum }' "$tmp/dumps.folded")" = 7 ] ||
	fail "folded-dumps: not one sample per thread of each dump (4 + 3)"
"$lockscope" report --format=folded "$dumps_sample" >"$tmp/dumps.wait" || fail "dumps sample folded: exit $?"
expect_not "$tmp/dumps.wait" "shutdown_waiter"

# --- hostile inputs: status 1, one line on stderr naming the problem
check_refused() { # corpus file, expected text of the error
	"$lockscope" report "$corpus/$1" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 1 ] || fail "$1: exit status $status, expected 1"
	[ -s "$tmp/out" ] && fail "$1: wrote output for a refused report"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1: error is not one line: $(cat "$tmp/err")"
	grep -qF -- "lockscope report: $corpus/$1: " "$tmp/err" && grep -qF -- "$2" "$tmp/err" ||
		fail "$1: error '$(cat "$tmp/err")' does not name the file and say '$2'"
}
check_refused bad-truncated.json "invalid JSON at line 31"
check_refused bad-wrong-type.json "locks[1].acquisitions: expected a non-negative integer"
check_refused bad-future-version.json "unsupported report version 7 (this lockscope reads up to 1)"
check_refused bad-deep-nesting.json "JSON nested deeper than 64 levels"
check_refused bad-huge-integer.json "too big integer"
check_refused bad-huge-real.json "real number overflow"
check_refused bad-numeric-address.json "inversions[0].cycle[0].held_stack[0].address: expected a hex string"
check_refused bad-address-overflow.json "held_stack[0].address: expected a hex string of at most 64 bits"
check_refused bad-not-an-object.json "expected a JSON object at the top level"
check_refused bad-duplicate-key.json "duplicate object key"
check_refused bad-empty.json "empty input"
check_refused bad-invalid-utf8.json "unable to decode byte 0xff"
check_refused bad-binary.json "invalid JSON at line 1"
check_refused bad-negative-counter.json "locks[0].contended: expected a non-negative integer"
check_refused bad-histogram-too-long.json "locks[0].wait_histogram: expected an array of at most 32"
check_refused bad-no-version.json 'no "version" member'
check_refused bad-cycle-not-array.json "inversions[0].cycle: expected an array"
check_refused bad-line-too-big.json "threads[0].stack[0].line: expected a non-negative integer below 2^31"
check_refused bad-nul-escape.json "is not allowed"
check_refused bad-language-type.json 'threads[0].stack[0].language: expected a string like "python"'
check_refused bad-dumps-not-array.json "dumps: expected an array"
check_refused bad-dump-frame-line.json "dumps[0].threads[0].stack[0].line: expected a non-negative integer below 2^31"
check_refused bad-dump-uptime.json "dumps[0].uptime_seconds: expected a non-negative number"
check_refused bad-dump-threads-not-objects.json "dumps[0].threads[0]: expected an object"
check_refused bad-dumps-omitted.json "dumps_omitted: expected a non-negative integer"
for f in "$corpus"/bad-*.json; do
	grep -qF "check_refused $(basename "$f") " "$0" || fail "$(basename "$f") has no expectation in $0"
done

# A refused report never truncates an existing output file.
echo keep >"$tmp/existing"
"$lockscope" report -o "$tmp/existing" "$corpus/bad-wrong-type.json" 2>/dev/null
grep -qx keep "$tmp/existing" || fail "a refused report overwrote the -o file"
"$lockscope" report "$tmp/no-such-file.json" 2>"$tmp/err"
[ $? -eq 1 ] && grep -qF "no-such-file.json: No such file or directory" "$tmp/err" ||
	fail "missing file: $(cat "$tmp/err")"
"$lockscope" report --format=pdf "$sample" 2>"$tmp/err"
[ $? -eq 2 ] && grep -qF "unknown format 'pdf'" "$tmp/err" || fail "bad format: $(cat "$tmp/err")"

# A big report (20000 locks, a 1 MB program name) renders in every format.
awk 'BEGIN {
	printf "{\"version\": 1, \"program\": \"";
	for (i = 0; i < 16384; i++) printf "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01";
	printf "\", \"locks\": [";
	for (i = 0; i < 20000; i++)
		printf "%s{\"kind\": \"mutex\", \"address\": \"0x%x\", \"name\": \"lock_%d\", \"wait_ns\": %d}",
			i ? ", " : "", i * 64 + 64, i, i;
	printf "], \"lock_order\": [";
	for (i = 0; i < 999; i++)
		printf "%s{\"held\": {\"kind\": \"mutex\", \"address\": \"0x%x\"}, \"acquired\": {\"kind\": \"mutex\", \"address\": \"0x%x\"}}",
			i ? ", " : "", i * 64 + 64, i * 64 + 128;
	printf "]}\n" }' >"$tmp/big.json"
for format in text json dot folded folded-dumps html; do
	"$lockscope" report --format=$format -o "$tmp/big.$format" "$tmp/big.json" ||
		fail "big report, --format=$format: exit $?"
done
grep -q '^  1   lock_19999 ' "$tmp/big.text" || fail "big report: lock_19999 (most wait) is not ranked first"
grep -qF 'too many to draw here' "$tmp/big.html" || fail "big report: html draws 1000 nodes"
[ "$(grep -c ' -> ' "$tmp/big.dot")" -eq 999 ] || fail "big report: dot edges"

[ "$failures" -eq 0 ] || { echo "report.sh: $failures failure(s)"; exit 1; }
echo "report.sh: all checks passed"
