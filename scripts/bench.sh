#!/bin/sh
# bench.sh — the shim's overhead on lock-heavy loops, measured against the
# native run in the same invocation.  Prints ns per lock/unlock pair and the
# ratio per mode (median of RUNS runs each), and the ratio of the whole
# benchmark.  Usage: scripts/bench.sh [BUILD_DIR] (env: ITER, RUNS, OPTS)
set -eu
build=${1:-_build}
iter=${ITER:-5000000}
runs=${RUNS:-5}
bench=$build/samples/lockbench
lockscope=$build/tools/lockscope
[ -x "$bench" ] && [ -x "$lockscope" ] || { echo "bench.sh: build first (make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_variant() { # name, command prefix...
	name=$1; shift
	i=0
	while [ $i -lt "$runs" ]; do
		"$@" "$bench" mixed "$iter" 2>/dev/null >>"$tmp/$name"
		i=$((i + 1))
	done
}

# Interleave native and shim runs so machine noise hits both alike.
i=0
while [ $i -lt "$runs" ]; do
	RUNS=1 runs=1 run_variant native env
	runs=1 run_variant shim "$lockscope" run ${OPTS:+-O "$OPTS"} --
	i=$((i + 1))
done

median() { # file mode
	grep "^$2 " "$1" | awk '{print $2}' | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

printf '%-12s %12s %12s %8s\n' mode "native ns" "lockscope ns" ratio
total_n=0; total_s=0
for mode in uncontended nested contended; do
	n=$(median "$tmp/native" $mode)
	s=$(median "$tmp/shim" $mode)
	printf '%-12s %12.2f %12.2f %7.2fx\n' $mode "$n" "$s" "$(echo "$s $n" | awk '{print $1/$2}')"
	total_n=$(echo "$total_n $n" | awk '{print $1+$2}')
	total_s=$(echo "$total_s $s" | awk '{print $1+$2}')
done
printf '%-12s %12.2f %12.2f %7.2fx\n' all "$total_n" "$total_s" "$(echo "$total_s $total_n" | awk '{print $1/$2}')"
echo "(median of $runs runs, $iter iterations per mode; target: all <= 1.50x)"
