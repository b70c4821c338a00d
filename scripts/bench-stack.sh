#!/bin/sh
# bench-stack.sh — `lockscope stack -p` against `eu-stack -p` on the same
# live target (samples/stack_idle: idle threads in pthread_cond_wait), at 10
# and at 1000 threads; median wall time of RUNS runs each, and the ratios.
#
# Two like-for-like pairs:
#   full:  lockscope stack      vs  eu-stack -s -i   (names, file:line, inlined frames)
#   names: lockscope stack -n   vs  eu-stack         (function names only)
# plus full lockscope against plain eu-stack (more output for the time).
#
# Usage: scripts/bench-stack.sh [BUILDDIR]   (RUNS=N to change the run count)
set -eu
build=${1:-_build}
runs=${RUNS:-7}
lockscope="$build/tools/lockscope"
idle="$build/samples/stack_idle"
for f in "$lockscope" "$idle"; do
	[ -x "$f" ] || { echo "bench-stack: $f not built (make check or make bench-stack)" >&2; exit 1; }
done
command -v eu-stack >/dev/null || { echo "bench-stack: eu-stack not found (apt-get install elfutils)" >&2; exit 1; }

target=
cleanup() { [ -n "$target" ] && kill -9 "$target" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }

# median_ms CMD...: runs CMD $runs times (output discarded), prints the median in ms.
median_ms() {
	i=0
	times=
	while [ "$i" -lt "$runs" ]; do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || { echo "bench-stack: '$*' failed" >&2; exit 1; }
		t1=$(now_ns)
		times="$times $(((t1 - t0) / 1000))"
		i=$((i + 1))
	done
	echo $times | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

wait_threads() { # pid n: until n threads block in futex(2); bounded
	tries=0
	while :; do
		n=0
		for f in /proc/"$1"/task/*/syscall; do
			read -r nr rest 2>/dev/null <"$f" || continue
			[ "$nr" = 202 ] && n=$((n + 1))
		done
		[ "$n" -ge "$2" ] && return 0
		tries=$((tries + 1))
		[ "$tries" -le 600 ] || { echo "bench-stack: target never settled" >&2; exit 1; }
		sleep 0.05
	done
}

printf '%-8s %-34s %10s\n' threads command "median ms"
for threads in 10 1000; do
	"$idle" $((threads - 1)) >/dev/null 2>&1 &
	target=$!
	wait_threads "$target" "$threads"
	# one untimed run of each warms the page cache for both tools alike
	"$lockscope" stack -p "$target" >/dev/null
	eu-stack -s -i -p "$target" >/dev/null 2>&1 || true
	ls_full=$(median_ms "$lockscope" stack -p "$target")
	eu_full=$(median_ms eu-stack -s -i -p "$target")
	ls_names=$(median_ms "$lockscope" stack -n -p "$target")
	eu_names=$(median_ms eu-stack -p "$target")
	printf '%-8s %-34s %10s\n' "$threads" "lockscope stack -p" "$ls_full" \
		"$threads" "eu-stack -s -i -p" "$eu_full" \
		"$threads" "lockscope stack -n -p" "$ls_names" \
		"$threads" "eu-stack -p" "$eu_names"
	echo "  ratio full  (lockscope / eu-stack -s -i): $(ratio "$ls_full" "$eu_full")"
	echo "  ratio names (lockscope -n / eu-stack):    $(ratio "$ls_names" "$eu_names")"
	echo "  ratio full lockscope / plain eu-stack:    $(ratio "$ls_full" "$eu_names")"
	"$lockscope" stack -v -p "$target" 2>&1 >/dev/null | sed 's/^/  /'
	kill -9 "$target"
	wait "$target" 2>/dev/null || true
	target=
done
