#!/bin/sh
# bench.sh — the shim's overhead on lock-heavy loops, measured against the
# native run in the same invocation.  Native and shim runs alternate so that
# machine noise hits both alike; each figure is the median of RUNS runs of
# CPU time per lock/unlock pair.  Prints the ratio per mode and for the
# whole benchmark.  Usage: scripts/bench.sh [BUILD_DIR]
# Environment: ITER (iterations per mode), RUNS, OPTS (LOCKSCOPE_OPTIONS for
# the shim runs).
set -eu
build=${1:-_build}
iter=${ITER:-5000000}
runs=${RUNS:-5}
script=bench.sh
. "$(dirname "$0")/lockbench-common.sh"

run=0
while [ "$run" -lt "$runs" ]; do
	"$bench" mixed "$iter" >>"$tmp/native"
	if [ -n "${OPTS:-}" ]; then
		"$lockscope" run -O "$OPTS" -- "$bench" mixed "$iter" 2>/dev/null >>"$tmp/shim"
	else
		"$lockscope" run -- "$bench" mixed "$iter" 2>/dev/null >>"$tmp/shim"
	fi
	run=$((run + 1))
done

median() { # file mode
	grep "^$2 " "$1" | awk '{print $2}' | sort -n |
		awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

printf '%-12s %12s %12s %8s\n' mode "native ns" "lockscope ns" ratio
for mode in uncontended nested contended; do
	n=$(median "$tmp/native" $mode)
	s=$(median "$tmp/shim" $mode)
	echo "$mode $n $s"
done | awk '{printf "%-12s %12.2f %12.2f %7.2fx\n", $1, $2, $3, $3 / $2; n += $2; s += $3}
	END {printf "%-12s %12.2f %12.2f %7.2fx\n", "all", n, s, s / n}'
echo "(CPU time per pair, median of $runs runs, $iter iterations per mode; target: all <= 1.50x)"
