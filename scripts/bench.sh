#!/bin/sh
# bench.sh — the shim's overhead on lock-heavy loops, measured against the
# native run in the same invocation.  Native and shim runs alternate so that
# machine noise hits both alike.  Per mode it prints the best and the median
# of RUNS runs of CPU time per lock/unlock pair (a one-thread run reports
# its fastest round, see samples/lockbench.c) and their ratios: on a shared
# machine noise only ever adds time, so the best figures are the cost of
# the code and the medians show how much the machine disturbed the runs.
# Usage: scripts/bench.sh [BUILD_DIR]
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
		# detection only: contended waits neither timed nor blamed
		"$lockscope" run --no-stats -- "$bench" contended "$iter" 2>/dev/null |
			sed 's/^contended /detect-only /' >>"$tmp/shim"
	fi
	run=$((run + 1))
done
# the contended runs are the native side of the detection-only row
sed -n 's/^contended /detect-only /p' "$tmp/native" >>"$tmp/native"

best_and_median() { # file mode
	grep "^$2 " "$1" | awk '{print $2}' | sort -n |
		awk '{v[NR] = $1} END {print v[1], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

printf '%-12s %21s %21s %15s\n' "" "native ns" "lockscope ns" "ratio"
printf '%-12s %10s %10s %10s %10s %7s %7s\n' mode best median best median best median
modes="uncontended nested contended semaphore sem-trywait"
grep -q '^detect-only ' "$tmp/shim" && modes="$modes detect-only"
for mode in $modes; do
	echo "$mode $(best_and_median "$tmp/native" $mode) $(best_and_median "$tmp/shim" $mode)"
done | awk '{printf "%-12s %10.2f %10.2f %10.2f %10.2f %6.2fx %6.2fx\n", $1, $2, $3, $4, $5, $4 / $2, $5 / $3}'
echo "(CPU time per pair over $runs runs of $iter iterations per mode; target: the uncontended"
echo " and nested pairs and the semaphore used as a lock (sem_wait/sem_post; sem-trywait is how"
echo " CPython takes a threading.Lock) (the fast path) <= 1.50x native; the contended counter pays for timing"
echo " every wait and blaming every holder that made somebody wait; detect-only is the contended"
echo " counter with --no-stats: inversion detection and the watchdog, no contention profile)"
