#!/bin/sh
# sortbench.sh — runs `lockscope sortbench` on a small corpus and checks what
# it reports: exact comparison counts on presorted input, stability, the
# JSON, CSV and SVG outputs.  No timing is asserted.
set -eu
: "${top_builddir:?}"
bin="$top_builddir/tools/lockscope"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed to validate the JSON output"

n=1000
"$bin" sortbench -n $n -r 1 --seed 7 >"$tmp/text" || fail "sortbench exited with $?"
cat "$tmp/text"

# One row per pattern and type: 13 patterns x 4 types.
rows=$(grep -c " $n " "$tmp/text")
[ "$rows" -eq 52 ] || fail "expected 52 rows, got $rows"
# Presorted inputs cost n-1 comparisons: (n-1)/n = 0.999 per element.
for p in ascending descending all_equal; do
	grep -E "^$p +i64 +$n +0\.999 " "$tmp/text" >/dev/null || fail "$p: comparisons per element is not 0.999"
done
# Pipe organ: two runs, at most 2 comparisons per element.
awk -v n=$n '$1 == "pipe_organ" && $2 == "i64" { if ($4 > 2.0 || $9 != 2) exit 1; found = 1 }
	END { exit !found }' "$tmp/text" || fail "pipe_organ: more than 2 comparisons per element or not 2 runs"
# Random: within 2% of lg(n!)/n = 8.53 for n = 1000, and below qsort's count.
awk '$1 == "random" && $2 == "i64" { if ($4 > 8.70 || $4 > $5) exit 1; found = 1 }
	END { exit !found }' "$tmp/text" || fail "random: too many comparisons"
# Powersort stays within n*H + 2n on every pattern (excess/n <= 2).
awk 'NR > 2 && $7 > 2.0 { print; bad = 1 } END { exit bad }' "$tmp/text" || fail "merge cost above n*H + 2n"
# Every row sorted and stable.
notstable=$(awk 'NR > 2 && $NF != "yes"' "$tmp/text" | wc -l)
[ "$notstable" -eq 0 ] || fail "$notstable rows not stable"

# Same seed, same counts (timing columns aside).
"$bin" sortbench -n $n -r 1 --seed 7 -t i64 -p random,runs_sqrt | awk '{ print $1, $4, $5, $6 }' >"$tmp/a"
grep -E '^(random|runs_sqrt) +i64 ' "$tmp/text" | awk '{ print $1, $4, $5, $6 }' >"$tmp/b"
tail -n +3 "$tmp/a" | diff - "$tmp/b" >/dev/null || fail "same seed gave different counts"

# JSON parses and carries the numbers.
"$bin" sortbench -n 500,2000 -r 1 -t i64,str -p ascending,random_d20 --format=json >"$tmp/json"
python3 - "$tmp/json" <<'PY' || fail "JSON output invalid or wrong"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["results"]
assert len(rows) == 8, len(rows)
for r in rows:
    assert r["sorted"] and r["stable"], r
    if r["pattern"] == "ascending":
        assert r["comparisons_per_element"] == (r["n"] - 1) / r["n"] or \
            abs(r["comparisons_per_element"] - (r["n"] - 1) / r["n"]) < 1e-5, r
        assert r["runs"] == 1 and r["merge_cost"] == 0, r
    assert r["qsort_ms"] > 0 and r["ms"] >= 0
PY

# CSV: header plus one line per row.
"$bin" sortbench -n 300 -r 1 -t f64 -p pipe_organ,saws_short --format=csv >"$tmp/csv"
head -1 "$tmp/csv" | grep -q '^pattern,type,n,comparisons_per_element,' || fail "CSV header"
[ "$(wc -l <"$tmp/csv")" -eq 3 ] || fail "CSV row count"
grep -q '^pipe_organ,f64,300,' "$tmp/csv" || fail "CSV pipe_organ row"

# SVG chart: well-formed XML with a bar per pattern and series.
"$bin" sortbench -n 400 -r 1 -p random,ascending,timsort_bad --chart="$tmp/chart.svg" >/dev/null
python3 - "$tmp/chart.svg" <<'PY' || fail "SVG chart invalid"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
titles = [t.text for t in root.iter(ns + "title")]
# time panel: qsort + 4 types per pattern; comparison panel: 2 per pattern
assert len(titles) == 3 * (5 + 2), len(titles)
assert any(t.startswith("timsort_bad glibc qsort") for t in titles), titles
PY

# --targets: one row per speed target with the target and three finite
# speedups (no timing is asserted); bad round counts are usage errors.
"$bin" sortbench --targets=3 -n 3000 -r 1 >"$tmp/targets" || fail "--targets exited with $?"
cat "$tmp/targets"
for row in "random i64 1.0x" "ascending i64 10.0x" "descending i64 10.0x" "pipe_organ i64 10.0x" "random i64_typed 2.0x"; do
	set -- $row
	awk -v p="$1" -v t="$2" -v g="$3" '$1 == p && $2 == t && $4 == g {
		for (i = 5; i <= 7; i++) if ($i !~ /^[0-9]+\.[0-9][0-9]x$/) exit 1
		if ($5 + 0 < $6 + 0 || $5 + 0 > $7 + 0 || ($8 != "yes" && $8 != "NO")) exit 1
		found = 1 }
		END { exit !found }' "$tmp/targets" || fail "--targets: no well-formed row for $row"
done
[ "$(grep -c '^[a-z_]* *[a-z0-9_]* *>= ' "$tmp/targets")" -eq 5 ] || fail "--targets: expected 5 rows"
grep -q '^lockscope sortbench --targets: n 3000, seed 1, 3 rounds, each a median of 1 runs$' "$tmp/targets" ||
	fail "--targets: header"

# Bad usage is rejected with status 2.
set +e
"$bin" sortbench --patterns=nope >/dev/null 2>&1; st=$?
set -e
[ "$st" -eq 2 ] || fail "unknown pattern accepted (status $st)"
set +e
"$bin" sortbench --targets=0 >/dev/null 2>&1; st=$?
set -e
[ "$st" -eq 2 ] || fail "--targets=0 accepted (status $st)"
echo "sortbench.sh: all checks passed"
