#!/bin/sh
# bench.sh — the shim's overhead on lock-heavy loops and on a real program,
# measured against native runs in the same invocation.  Native and shim
# runs alternate (and which goes first alternates from round to round), so
# that a burst of load from elsewhere weighs on both sides.  Per row it
# prints the median of RUNS runs, native and under `lockscope run`, in CPU
# time and in wall-clock time, the spread of the runs (min-max) and the
# ratio of the medians.  Nothing is a best-of: a median is what a user of
# a busy machine meets.  Timing on a shared machine swings; for a figure
# that does not, tests/fastpath_budget.sh counts instructions.
#
# Rows: per lock/unlock pair, an uncontended mutex (one thread), a nested
# pair, the uncontended mutex while a second (idle) thread exists (glibc
# and the shim then take atomic instructions), two threads contending for
# a counter with the default options and with --no-stats (detection
# only); a binary semaphore used as a lock (sem_wait/sem_post, and
# sem_trywait/sem_post, how CPython takes an uncontended threading.Lock)
# and one used as a signal (sem_post/sem_wait); Debian's Python (always
# /usr/bin/python3, not whatever python3 is first on PATH) looping `with
# lock:` on a threading.Lock (scripts/bench-python-lock.py: the loop's
# own time per iteration); then real programs: zstd -T2 and xz -T2 -1 compressing a
# generated ~100 MB text file, whole-program times.
#
# Usage: scripts/bench.sh [BUILD_DIR]
# Environment: ITER (iterations per loop, default 3000000), RUNS (default
# 7), PY_ITER (`with lock:` iterations, default 1000000; 0 skips the
# Python row), REAL (the real programs: "zstd xz" by default, or none),
# OPTS (LOCKSCOPE_OPTIONS for the shim runs).
set -eu
build=${1:-_build}
iter=${ITER:-3000000}
runs=${RUNS:-7}
real_programs=${REAL:-zstd xz}
py_iter=${PY_ITER:-1000000}
python=/usr/bin/python3
script=bench.sh
. "$(dirname "$0")/lockbench-common.sh"

shim() { # lockscope run [OPTS] -- ARGS...
	if [ -n "${OPTS:-}" ]; then
		"$lockscope" run -O "$OPTS" "$@"
	else
		"$lockscope" run "$@"
	fi
}

# A generated text file of ~100 MB (the same every time: srand(1)), for the
# real programs: zstd at its default level (about 0.4 s here, where the
# shim's fixed costs weigh most) and xz -1 (about 3.5 s), two threads each.
real_input=$tmp/input.txt
reals=
for p in $real_programs; do
	case $p in
	zstd | xz) command -v "$p" >/dev/null || { echo "$script: $p not installed (REAL=none skips it)" >&2; exit 1; } ;;
	none) continue ;;
	*) echo "$script: REAL takes zstd, xz or none" >&2; exit 2 ;;
	esac
	reals="$reals $p"
done
if [ -n "$reals" ]; then
	awk 'BEGIN { srand(1); n = split("lock unlock mutex thread wait hold owner cycle edge graph report stack frame site blame", w, " ");
		     for (i = 0; i < 2800000; i++) printf "%08d %s %s %08x %s\n", i, w[int(rand() * n) + 1], w[int(rand() * n) + 1],
							     int(rand() * 4294967295), w[int(rand() * n) + 1] }' >"$real_input"
fi
if [ "$py_iter" -gt 0 ] && [ ! -x "$python" ]; then
	echo "$script: $python (Debian's python3) is not installed (PY_ITER=0 skips the Python row)" >&2
	exit 1
fi
py_loop=$(cd "$(dirname "$0")" && pwd)/bench-python-lock.py

real_command() { # program
	if [ "$1" = zstd ]; then echo "zstd -T2 -q -c"; else echo "xz -T2 -1 -q -c"; fi
}

now_ns() { date +%s%N; }
# children's CPU seconds so far (user + system), from this shell's `times`
# (not in a subshell: a subshell's children are not this shell's)
children_cpu() {
	times >"$tmp/times"
	awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$tmp/times"
}

# run_real SIDE PROGRAM: one run of the real program, "real-PROGRAM
# CPU_NS WALL_NS" (whole program, so ns are the program's, not per pair)
# appended to SIDE's file.
run_real() {
	side=$1 cmd=$(real_command "$2")
	children_cpu >"$tmp/c0"
	w0=$(now_ns)
	if [ "$side" = native ]; then
		$cmd "$real_input" >/dev/null
	else
		shim -- $cmd "$real_input" >/dev/null 2>"$tmp/real.err"
	fi
	w1=$(now_ns)
	children_cpu >"$tmp/c1"
	c0=$(cat "$tmp/c0") c1=$(cat "$tmp/c1")
	awk -v p="$2" -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" \
		'BEGIN { printf "real-%s %.0f %.0f\n", p, (c1 - c0) * 1e9, w1 - w0 }' >>"$tmp/$side"
}

# run_loop SIDE MODE [lockscope flags]: one lockbench run, its lines
# ("MODE cpu_ns wall_ns") appended to SIDE's file, renamed ROW if given.
run_loop() { # side mode row [flags...]
	side=$1 mode=$2 row=$3
	shift 3
	if [ "$side" = native ]; then
		"$bench" "$mode" "$iter"
	else
		shim "$@" -- "$bench" "$mode" "$iter" 2>/dev/null
	fi | sed "s/^$mode /$row /" >>"$tmp/$side"
}

# run_python SIDE: one run of the Python loop, its line appended to SIDE's file.
run_python() {
	if [ "$1" = native ]; then
		"$python" "$py_loop" "$py_iter"
	else
		shim -- "$python" "$py_loop" "$py_iter" 2>/dev/null
	fi >>"$tmp/$1"
}

round() { # side
	run_loop "$1" uncontended uncontended
	run_loop "$1" nested nested
	run_loop "$1" threaded threaded
	run_loop "$1" contended contended
	run_loop "$1" contended detect-only --no-stats
	run_loop "$1" semaphore semaphore
	run_loop "$1" sem-trywait sem-trywait
	run_loop "$1" sem-signal sem-signal
	if [ "$py_iter" -gt 0 ]; then run_python "$1"; fi
	for p in $reals; do run_real "$1" "$p"; done
}

: >"$tmp/native"
: >"$tmp/shim"
run=0
while [ "$run" -lt "$runs" ]; do
	if [ $((run % 2)) -eq 0 ]; then round native; round shim; else round shim; round native; fi
	run=$((run + 1))
done

# stats FILE ROW COLUMN: "median min max" of the column (2: CPU, 3: wall)
stats() { grep "^$2 " "$1" | awk -v c="$3" '{ print $c }' | median_min_max; }

printf '%-12s %-4s %24s %24s %7s\n' "" "" "native: median (min-max)" "lockscope: median (min-max)" "ratio"
rows="uncontended nested threaded contended detect-only semaphore sem-trywait sem-signal"
if [ "$py_iter" -gt 0 ]; then rows="$rows python-with"; fi
for p in $reals; do rows="$rows real-$p"; done
for row in $rows; do
	for col in 2 3; do
		if [ "$col" = 2 ]; then what=cpu; else what=wall; fi
		echo "$row $what $(stats "$tmp/native" "$row" "$col") $(stats "$tmp/shim" "$row" "$col")"
	done
done | awk '{ real = ($1 ~ /^real-/); unit = real ? 1e-9 : 1; f = real ? "%7.3f" : "%7.2f";
	      printf "%-12s %-4s " f " (" f "-" f ") " f " (" f "-" f ") %6.2fx\n", $1, $2,
		     $3 * unit, $4 * unit, $5 * unit, $6 * unit, $7 * unit, $8 * unit, $6 / $3 }'
echo "(medians of $runs runs each, native and shim alternating; loop rows: ns per lock/unlock pair over"
echo " $iter iterations, CPU time of the looping thread, or of the process for the two contended rows;"
if [ "$py_iter" -gt 0 ]; then
	echo " python-with: ns per 'with lock:' of $python over $py_iter iterations, the loop's thread;"
fi
for p in $reals; do
	echo " real-$p: seconds for '$(real_command "$p")' on a generated $(($(wc -c <"$real_input") / 1000000)) MB file, under lockscope run;"
done
echo " targets: uncontended, nested, semaphore and sem-trywait <= 1.50x, contended <= 2.00x, python-with <= 1.10x,"
echo " real <= 1.05x, in the medians)"
