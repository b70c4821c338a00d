#!/bin/sh
# bench-dump.sh [BUILDDIR] — how fast the dumps are.
#   1. time from a deadlock forming to its complete report (dump_transfer,
#      5 runs; the shim prints it with verbose=1);
#   2. time to dump 100 and 1000 threads (dump_busy with a repeating timer
#      dump): capture (signal every thread, unwind) and symbolize+build,
#      first dump against the second (the symbolizer's cache is warm then).
# Prints figures; asserts nothing (machines are noisy).
set -eu
build=${1:-_build}
ls="$build/tools/lockscope"
[ -x "$ls" ] || { echo "no $ls: build first" >&2; exit 1; }

echo "== deadlock: cycle formed -> report written (dump_transfer, 5 runs)"
for i in 1 2 3 4 5; do
	timeout -k 2 20 "$ls" run -v --on-hang=exit -- "$build/samples/dump_transfer" 2>&1 >/dev/null |
		sed -n 's/.*deadlock reported \([0-9.]*\) s after.*/  run '"$i"': \1 s/p'
done

for n in 100 1000; do
	echo "== dump of $n threads (dump_busy $n, timer dump every 1 s)"
	timeout -k 2 60 "$ls" run -v --dump-after=1 --dump-repeat -- "$build/samples/dump_busy" "$n" 3.5 2>&1 >/dev/null |
		sed -n 's/.*(verbose) dump of \([0-9]*\) threads (\([0-9]*\) missed[^)]*): capture \([0-9.]*\) ms, symbolize \([0-9.]*\) ms/  \1 threads, \2 missed: capture \3 ms, symbolize+build \4 ms/p'
done
