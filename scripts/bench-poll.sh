#!/bin/sh
# bench-poll.sh BUILD_DIR — the cost of the poll interposers (make bench-poll):
# CPU time per epoll_wait and poll call with timeout 0 (samples/pollbench),
# natively, under the shim with loop_stall off (the default: a pass-through)
# and with loop_stall on (a coarse clock read and a few stores per call).
# Runs alternate, RUNS rounds each; prints every figure, the median of each
# and the ratios of the medians against native.
set -eu
build=${1:?usage: bench-poll.sh BUILD_DIR}
script=bench-poll.sh
bench=$build/samples/pollbench
shim=$build/preload/.libs/liblockscope-preload.so
[ -x "$bench" ] && [ -f "$shim" ] || { echo "$script: build first (make)" >&2; exit 1; }
RUNS=${RUNS:-9}
CALLS=${CALLS:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for call in epoll poll; do
	: >$tmp/native
	: >$tmp/off
	: >$tmp/on
	i=0
	while [ $i -lt "$RUNS" ]; do
		"$bench" $call "$CALLS" >>$tmp/native
		LD_PRELOAD=$shim LOCKSCOPE_OPTIONS=stats=0 "$bench" $call "$CALLS" 2>/dev/null >>$tmp/off
		LD_PRELOAD=$shim LOCKSCOPE_OPTIONS=stats=0:loop_stall=1 "$bench" $call "$CALLS" 2>/dev/null >>$tmp/on
		i=$((i + 1))
	done
	native=$(median <$tmp/native)
	off=$(median <$tmp/off)
	on=$(median <$tmp/on)
	printf '%-6s native  %s\n' "$call" "$(tr '\n' ' ' <$tmp/native)"
	printf '%-6s off     %s\n' "$call" "$(tr '\n' ' ' <$tmp/off)"
	printf '%-6s on      %s\n' "$call" "$(tr '\n' ' ' <$tmp/on)"
	awk -v c=$call -v n="$native" -v f="$off" -v o="$on" 'BEGIN {
		printf "%-6s medians (ns per call): native %.1f, loop_stall off %.1f (%.3fx, %+.1f ns), loop_stall on %.1f (%.3fx, %+.1f ns)\n",
			c, n, f, f / n, f - n, o, o / n, o - n }'
done
