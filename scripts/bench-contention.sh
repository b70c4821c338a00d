#!/bin/sh
# bench-contention.sh — cost of contention statistics on the lock benchmark:
# CPU ns per uncontended lock/unlock pair natively, with the shim's
# defaults (statistics and per-site counters on), with hold time, and with
# live statistics published; the median (and min-max) of RUNS interleaved
# runs, and the ratios of the medians.
# Then the CPU `lockscope top` uses while attached for 10 s.
# Usage: scripts/bench-contention.sh [BUILD_DIR] (env: ITER, RUNS)
set -eu
build=${1:-_build}
iter=${ITER:-3000000}
runs=${RUNS:-8}
script=bench-contention.sh
. "$(dirname "$0")/lockbench-common.sh"

k=0
while [ $k -lt "$runs" ]; do
	"$bench" uncontended "$iter" | sed 's/^/native /' >>"$tmp/r"
	"$lockscope" run -- "$bench" uncontended "$iter" 2>/dev/null | sed 's/^/default /' >>"$tmp/r"
	"$lockscope" run --hold-time -- "$bench" uncontended "$iter" 2>/dev/null | sed 's/^/hold_time /' >>"$tmp/r"
	"$lockscope" run --live -- "$bench" uncontended "$iter" 2>/dev/null | sed 's/^/live /' >>"$tmp/r"
	k=$((k + 1))
done
for v in native default hold_time live; do
	echo "$v $(grep "^$v " "$tmp/r" | awk '{ print $3 }' | median_min_max)"
done | awk '{ if (NR == 1) { printf "%-10s %8s %17s %7s\n", "variant", "ns/pair", "(min-max)", "ratio"; base = $2 }
	      printf "%-10s %8.2f (%7.2f-%7.2f) %6.2fx\n", $1, $2, $3, $4, $2 / base }'
echo "(CPU time, medians of $runs runs, $iter uncontended pairs each)"

# The viewer's CPU while attached to a busy program for 10 s.
sample=$build/samples/contention_counter
command -v tmux >/dev/null || { echo "no tmux: viewer CPU not measured"; exit 0; }
LOCKSCOPE_OPTIONS=live=1 LD_PRELOAD=$build/preload/.libs/liblockscope-preload.so "$sample" 100000 1000 >/dev/null 2>&1 &
prog=$!
sleep 0.5
session=bench-top-$$
tmux new-session -d -s "$session" -x 120 -y 40 "$lockscope top -p $prog"
sleep 2
viewer=$(pgrep -f "lockscope top -p $prog" | head -1)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
v0=$(ticks "$viewer"); sleep 10; v1=$(ticks "$viewer")
tmux kill-session -t "$session"
kill "$prog"; wait "$prog" 2>/dev/null || true
rm -f "/dev/shm/lockscope-$prog"
echo "viewer CPU while attached (refresh 1 s): $((v1 - v0)) ticks of 1/$(getconf CLK_TCK) s in 10 s"
