#!/bin/sh
# bench-python.sh BUILDDIR — what Python frames cost where stacks are
# captured (never on the uncontended lock path): per capture of a thread's
# stack as for a new order edge or call site, native only (what a C
# program pays) against native + Python frames (interned, after the first
# capture: one read per Python frame plus the walk), a dump handler's raw
# capture, and ls_py_current_call_argc; with 10 and 40 nested Python calls,
# on Debian's python3 (and 3.12 where installed).  Medians of 5 runs of
# 2000 captures each.  Prints figures, not a verdict.
set -eu
build=${1:?usage: bench-python.sh BUILDDIR}
src=$(cd "$(dirname "$0")/.." && pwd)
probe="$build/tests/.libs/libpyprobe.so"
[ -f "$probe" ] || { echo "bench-python.sh: $probe is not built (make check builds it)" >&2; exit 1; }
. "$src/tests/py-common.sh"
ls_fail() { echo "bench-python.sh: $*" >&2; exit 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
for py in $(ls_pythons 3.12); do
	for depth in 10 40; do
		runs=$(for _ in 1 2 3 4 5; do
			LS_PROBE_BENCH=2000 LS_PROBE_FD=3 LD_PRELOAD="$probe" nice "$py" "$src/scripts/bench-python.py" "$depth" 3>&1 |
				grep '^bench'
		done)
		echo "$py, $depth nested calls: $(echo "$runs" | head -1 | field frames) frames kept of which" \
			"$(echo "$runs" | head -1 | field python) Python;" \
			"native capture $(echo "$runs" | field native_us | median) us," \
			"with Python frames $(echo "$runs" | field capture_us | median) us," \
			"raw (dump handler) $(echo "$runs" | field raw_us | median) us," \
			"argc $(echo "$runs" | field argc_us | median) us"
	done
done
