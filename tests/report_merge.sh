#!/bin/sh
# report_merge.sh — `lockscope report A.json B.json ...` and `lockscope
# report DIR` merge the reports of many processes.  Ten reports are made
# from the checked-in sample as ten processes would write them: another
# pid, every address moved (ASLR), the counters of report i scaled by i+1,
# and the tenth without the inversion.  The merge has the inversion once,
# seen in nine pids; lock statistics summed per lock name (maxima the
# largest); one node per lock in the graph; and it renders in every format.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
lockscope=$top_builddir/tools/lockscope
corpus=$top_srcdir/tests/corpus/report
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

expect() { # FILE TEXT
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

command -v python3 >/dev/null || { echo "FAIL: python3 is needed"; exit 1; }

mkdir "$tmp/reports"
python3 - "$corpus/sample-abba.json" "$tmp/reports" <<'PYEOF'
import json, sys
src, out = sys.argv[1], sys.argv[2]
counters = {"acquisitions", "contended", "wait_ns", "max_wait_ns", "hold_ns", "max_hold_ns", "blamed_wait_ns"}
def moved(node, shift, scale):
    if isinstance(node, dict):
        res = {}
        for k, v in node.items():
            if k == "address" and isinstance(v, str):
                res[k] = hex(int(v, 16) + shift)
            elif k in counters and isinstance(v, int):
                res[k] = v * scale
            elif k == "wait_histogram":
                res[k] = [b * scale for b in v]
            else:
                res[k] = moved(v, shift, scale)
        return res
    if isinstance(node, list):
        return [moved(x, shift, scale) for x in node]
    return node
base = json.load(open(src))
for i in range(10):
    r = moved(base, (i + 1) * 0x100000, i + 1)
    r["pid"] = 1000 + i
    if i == 9:
        r["inversions"] = []
    with open("%s/abba.json.%d" % (out, 1000 + i), "w") as f:
        json.dump(r, f, indent=1)
PYEOF
echo "not a report" >"$tmp/reports/notes.txt"

# Sums expected from the sample: counter_lock acquisitions 4000 and wait
# 4033500 ns (max 98000), scaled 1+2+...+10 = 55 times (max: 10 times).
for format in text json dot folded html; do
	"$lockscope" report --format=$format -o "$tmp/merged.$format" "$tmp/reports" 2>"$tmp/err.$format" ||
		fail "--format=$format of the directory exited $?: $(cat "$tmp/err.$format")"
	[ -s "$tmp/merged.$format" ] || fail "--format=$format: empty output"
done

# --- text
t=$tmp/merged.text
[ "$(grep -c '^lockscope: lock-order inversion (potential deadlock)$' "$t")" -eq 1 ] || fail "text: not exactly one inversion"
expect "$t" "  Seen in 9 processes: pids 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008"
expect "$t" "  Cycle of 2 locks: resource_a -> resource_b -> resource_a"
grep -A1 '^  #   lock' "$t" | grep -q '^  1   counter_lock .* 220000 .* 33660 .*221.843 ms' ||
	fail "text: counter_lock is not first with 220000 acquisitions, 33660 contended, 221.843 ms: $(grep counter_lock "$t" | head -1)"
tail -n 1 "$t" | grep -qx 'lockscope: 1 inversion, 0 deadlocks in 10 reports of ./samples/abba (pids 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009)' ||
	fail "text summary: $(tail -n 1 "$t")"

# --- json: a valid report, stable, with pids and merged_from
j=$tmp/merged.json
"$lockscope" report --format=json "$j" >"$tmp/again.json" || fail "the merge's JSON is not a valid report"
cmp -s "$j" "$tmp/again.json" || fail "the merge's JSON is not stable when read back"
python3 - "$j" <<'PYEOF' || fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
def check(what, got, expected):
    if got != expected:
        problems.append("%s: got %r, expected %r" % (what, got, expected))
check("reason", d["reason"], "merge")
check("inversions", len(d["inversions"]), 1)
check("pids", d["inversions"][0]["pids"], list(range(1000, 1009)))
check("merged_from pids", [m["pid"] for m in d["merged_from"]], list(range(1000, 1010)))
check("merged_from counts", [m["inversions"] for m in d["merged_from"]], [1] * 9 + [0])
locks = {l["name"]: l for l in d["locks"]}
check("locks", sorted(locks), ["counter_lock", "resource_a", "resource_b"])
c = locks["counter_lock"]
check("acquisitions", c["acquisitions"], 4000 * 55)
check("wait_ns", c["wait_ns"], 4033500 * 55)
check("max_wait_ns", c["max_wait_ns"], 98000 * 10)
check("sites summed per stack", sorted(s["acquisitions"] for s in c["sites"]), [2000 * 55, 2000 * 55])
check("histogram summed", sum(c["wait_histogram"]), 612 * 55)
# one address per lock, the first report's, everywhere
addresses = {e["held"]["address"] for inv in d["inversions"] for e in inv["cycle"] if e["held"]["name"] == "resource_a"}
addresses |= {e["held"]["address"] for e in d["lock_order"] if e["held"]["name"] == "resource_a"}
check("resource_a addresses", addresses, {locks["resource_a"]["address"]})
check("threads gathered", len(d["threads"]), 30)
if problems:
    print("\n".join(problems))
    sys.exit(1)
PYEOF

# --- dot: one node per lock, the inversion's edges red
dot=$tmp/merged.dot
[ "$(grep -c 'label="resource_a' "$dot")" -eq 1 ] || fail "dot: resource_a is not one node"
[ "$(grep -c '^  L[0-9]* \[label=' "$dot")" -eq 3 ] || fail "dot: expected 3 nodes"
[ "$(grep -c 'color=red' "$dot")" -eq 2 ] || fail "dot: expected the 2 inversion edges in red"
expect "$dot" "lock order of 10 reports of ./samples/abba"
if command -v dot >/dev/null 2>&1; then
	dot -Tsvg "$dot" >/dev/null 2>"$tmp/dot.err" || fail "graphviz rejects the merged graph: $(cat "$tmp/dot.err")"
fi

# --- folded: every wait of every process
total=$(awk '{ sum += $NF } END { print sum }' "$tmp/merged.folded")
[ "$total" = $((4153500 * 55)) ] || fail "folded total is $total ns, expected $((4153500 * 55))"
expect "$tmp/merged.folded" "start_thread;worker_1;bump_counter;lock counter_lock $((1723000 * 55))"

# --- html
expect "$tmp/merged.html" "10 reports merged"
expect "$tmp/merged.html" "Seen in 9 processes: pids 1000"
expect "$tmp/merged.html" "<h2>Reports merged</h2>"
expect "$tmp/merged.html" "abba.json.1009"

# Files named on the command line merge the same way; one file alone is
# rendered as it is (no merge).
"$lockscope" report "$tmp/reports/abba.json.1000" "$tmp/reports/abba.json.1009" >"$tmp/two.text" || fail "two files: exit $?"
tail -n 1 "$tmp/two.text" | grep -qx 'lockscope: 1 inversion, 0 deadlocks in 2 reports of ./samples/abba (pids 1000, 1009)' ||
	fail "two files: $(tail -n 1 "$tmp/two.text")"
"$lockscope" report "$tmp/reports/abba.json.1003" | tail -n 1 | grep -qx 'lockscope: 1 inversion, 0 deadlocks in ./samples/abba (pid 1003)' ||
	fail "one file is not rendered as it is"
# A merge of merges: the pids of both.
"$lockscope" report -f json -o "$tmp/first.json" "$tmp/reports/abba.json.1000" "$tmp/reports/abba.json.1001"
"$lockscope" report -f json -o "$tmp/second.json" "$tmp/reports/abba.json.1002" "$tmp/reports/abba.json.1001"
"$lockscope" report "$tmp/first.json" "$tmp/second.json" >"$tmp/merges.text" || fail "merge of merges: exit $?"
expect "$tmp/merges.text" "  Seen in 3 processes: pids 1000, 1001, 1002"
# A deadlock report with them: programs differ; the deadlock and the hang
# are kept with their pid.
"$lockscope" report "$tmp/reports" "$corpus/sample-deadlock.json" >"$tmp/mixed.text" || fail "mixed merge: exit $?"
tail -n 1 "$tmp/mixed.text" | grep -q '^lockscope: 1 inversion, 1 deadlock, 1 hang in 11 reports of several programs (pids 1000, ' ||
	fail "mixed summary: $(tail -n 1 "$tmp/mixed.text")"
[ "$(grep -c '^  Seen in 1 process: pid 5150$' "$tmp/mixed.text")" -eq 2 ] || fail "mixed: the deadlock and the hang with pid 5150"
# Kept thread dumps of two processes: each kept, naming its process, the
# dumps left out counted for both.
sed 's/"pid": 24764,/"pid": 24999,/' "$corpus/sample-dumps.json" >"$tmp/other-dumps.json"
"$lockscope" report -f json -o "$tmp/dumps-merged.json" "$corpus/sample-dumps.json" "$tmp/other-dumps.json" ||
	fail "merge of dumps: exit $?"
python3 - "$tmp/dumps-merged.json" >"$tmp/dumps-merged.sum" <<'PYEOF' || fail "merge of dumps: json"
import json, sys
d = json.load(open(sys.argv[1]))
print([(x["pid"], x["number"], x["reason"], len(x["threads"])) for x in d["dumps"]], d["dumps_omitted"])
PYEOF
expect "$tmp/dumps-merged.sum" "[(24764, 1, 'signal SIGQUIT', 4), (24764, 6, 'timer', 3), (24999, 1, 'signal SIGQUIT', 4), (24999, 6, 'timer', 3)] 8"
"$lockscope" report "$corpus/sample-dumps.json" "$tmp/other-dumps.json" >"$tmp/dumps-merged.text" || fail "merge of dumps: text"
expect "$tmp/dumps-merged.text" "  kept dump 6 of pid 24999 (timer), 2.500 s after start"
[ "$(grep -c '^lockscope: 4 thread dumps not kept here' "$tmp/dumps-merged.text")" -eq 2 ] ||
	fail "merge of dumps: each process's gap said"
# A bad file among them: refused, naming it.
cp "$corpus/bad-wrong-type.json" "$tmp/reports/abba.json.bad"
"$lockscope" report "$tmp/reports" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -qF "abba.json.bad: locks[1].acquisitions: expected a non-negative integer" "$tmp/err" ||
	fail "a bad report in the directory: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] || { echo "report_merge.sh: $failures failure(s)"; exit 1; }
echo "report_merge.sh: all checks passed"
