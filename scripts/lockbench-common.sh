# lockbench-common.sh — sourced by bench.sh and bench-contention.sh (not run
# on its own): the build's lockbench and lockscope, checked, and a scratch
# directory $tmp removed at exit.  Expects $build and $script (the caller's
# name, for messages).
bench=$build/samples/lockbench
lockscope=$build/tools/lockscope
[ -x "$bench" ] && [ -x "$lockscope" ] || { echo "$script: build first (make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
