#!/bin/sh
# sortcorpus.sh — runs the whole sort corpus of `lockscope sortbench` and
# keeps every artefact (text table, JSON, CSV, SVG chart) in one directory.
#   samples/sortcorpus.sh [OUTDIR] [SIZES] [REPEATS]
# Defaults: sortcorpus-out, 1e6, 3.  Patterns: lockscope-sortbench(1).
# Uses $LOCKSCOPE, else `lockscope` from PATH, else the build tree's binary
# (set top_builddir when building outside the source tree).
set -eu
out=${1:-sortcorpus-out}
sizes=${2:-1e6}
reps=${3:-3}
bin=${LOCKSCOPE:-lockscope}
command -v "$bin" >/dev/null 2>&1 ||
	bin="${top_builddir:-$(dirname "$0")/..}/tools/lockscope"
mkdir -p "$out"
"$bin" sortbench -n "$sizes" -r "$reps" --format=json -o "$out/sortbench.json" --chart="$out/sortbench.svg"
"$bin" sortbench -n "$sizes" -r "$reps" --format=csv -o "$out/sortbench.csv"
"$bin" sortbench -n "$sizes" -r "$reps" | tee "$out/sortbench.txt"
echo "sortcorpus: results in $out/"
