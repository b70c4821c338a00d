# lockbench-common.sh — sourced by bench.sh and bench-contention.sh (not run
# on its own): the build's lockbench and lockscope, checked, a scratch
# directory $tmp removed at exit, and median_min_max.  Expects $build and $script (the caller's
# name, for messages).
bench=$build/samples/lockbench
lockscope=$build/tools/lockscope
[ -x "$bench" ] && [ -x "$lockscope" ] || { echo "$script: build first (make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Numbers, one a line, on stdin: "median min max" on stdout.
median_min_max() {
	sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
