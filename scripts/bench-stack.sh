#!/bin/sh
# bench-stack.sh — `lockscope stack -p` against `eu-stack -p` on the same
# live target (samples/stack_idle: idle threads in pthread_cond_wait), at 10
# and at 1000 threads; median wall time of RUNS runs each, and the ratios.
#
# Like-for-like pairs (the same information on both sides):
#   full:  lockscope stack      vs  eu-stack -s -i   (names, file:line, inlined frames)
#   names: lockscope stack -n   vs  eu-stack         (function names only)
# plus full lockscope against plain eu-stack (more output for the time).
# lockscope keeps a symbol cache per build ID ($XDG_CACHE_HOME/lockscope,
# here a private temporary one): "cold" runs start with it emptied (the
# first dump ever of these binaries), "warm" runs find it filled by the
# run before.  eu-stack has no such cache: its figures are the same for both.
# A cold full dump is mostly spent inflating libc6-dbg's zlib-compressed
# debug sections (10 MB): eu-stack through libdw and zlib, lockscope with
# libdeflate on two threads into an in-memory copy (lib/symbols/debugimage.c).
# The target (issue 4): lockscope at most 0.50 of eu-stack in both
# like-for-like pairs, cold and warm, at both thread counts.
# The commands take turns run after run (not RUNS runs of one, then RUNS of
# the next), so a burst of load from elsewhere on a shared machine weighs on
# both sides of a ratio alike.
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
cleanup() {
	[ -n "$target" ] && kill -9 "$target" 2>/dev/null
	wait 2>/dev/null
	[ -n "${cache_home:-}" ] && rm -rf "$cache_home"
	true
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }

cache_home=$(mktemp -d)
export XDG_CACHE_HOME="$cache_home"
flush_cache() { rm -rf "$cache_home/lockscope"; }

# elapsed_us CMD...: runs CMD (output discarded), prints its wall time in us.
elapsed_us() {
	t0=$(now_ns)
	"$@" >/dev/null 2>&1 || { echo "bench-stack: '$*' failed" >&2; exit 1; }
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000))
}

# median_ms US...: the median of the times given (us), in ms.
median_ms() {
	echo "$@" | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
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

row() { printf '%-8s %-36s %10s\n' "$@"; }
row threads command "median ms"
for threads in 10 1000; do
	"$idle" $((threads - 1)) >/dev/null 2>&1 &
	target=$!
	wait_threads "$target" "$threads"
	# one untimed run of each warms the page cache for both tools alike
	"$lockscope" stack --no-cache -p "$target" >/dev/null
	eu-stack -s -i -p "$target" >/dev/null 2>&1 || true
	# One round: each command once; a cold run starts with the cache
	# emptied, the warm run after it finds what the cold run wrote.
	t_eu_full= t_eu_names= t_full_cold= t_full_warm= t_names_cold= t_names_warm=
	i=0
	while [ "$i" -lt "$runs" ]; do
		t_eu_full="$t_eu_full $(elapsed_us eu-stack -s -i -p "$target")"
		t_eu_names="$t_eu_names $(elapsed_us eu-stack -p "$target")"
		flush_cache
		t_full_cold="$t_full_cold $(elapsed_us "$lockscope" stack -p "$target")"
		t_full_warm="$t_full_warm $(elapsed_us "$lockscope" stack -p "$target")"
		flush_cache
		t_names_cold="$t_names_cold $(elapsed_us "$lockscope" stack -n -p "$target")"
		t_names_warm="$t_names_warm $(elapsed_us "$lockscope" stack -n -p "$target")"
		i=$((i + 1))
	done
	eu_full=$(median_ms $t_eu_full)
	eu_names=$(median_ms $t_eu_names)
	ls_full_cold=$(median_ms $t_full_cold)
	ls_full_warm=$(median_ms $t_full_warm)
	ls_names_cold=$(median_ms $t_names_cold)
	ls_names_warm=$(median_ms $t_names_warm)
	row "$threads" "eu-stack -s -i -p" "$eu_full"
	row "$threads" "eu-stack -p" "$eu_names"
	row "$threads" "lockscope stack -p (cold)" "$ls_full_cold"
	row "$threads" "lockscope stack -p (warm)" "$ls_full_warm"
	row "$threads" "lockscope stack -n -p (cold)" "$ls_names_cold"
	row "$threads" "lockscope stack -n -p (warm)" "$ls_names_warm"
	echo "  full  (lockscope / eu-stack -s -i):      cold $(ratio "$ls_full_cold" "$eu_full")  warm $(ratio "$ls_full_warm" "$eu_full")  (target <= 0.50)"
	echo "  names (lockscope -n / eu-stack):         cold $(ratio "$ls_names_cold" "$eu_names")  warm $(ratio "$ls_names_warm" "$eu_names")  (target <= 0.50)"
	echo "  full lockscope / plain eu-stack:         cold $(ratio "$ls_full_cold" "$eu_names")  warm $(ratio "$ls_full_warm" "$eu_names")"
	flush_cache
	"$lockscope" stack -v -p "$target" 2>&1 >/dev/null | sed 's/^/  cold: /'
	"$lockscope" stack -v -p "$target" 2>&1 >/dev/null | sed 's/^/  warm: /'
	kill -9 "$target"
	wait "$target" 2>/dev/null || true
	target=
done
