# stack-common.sh — shared by tests/stack*.sh (sourced, not a test).
# Starts real target programs, waits (bounded) until their threads are in
# the expected state, runs `lockscope stack -p`, and always kills the
# targets, whatever happens.
set -u
lockscope="$top_builddir/tools/lockscope"
samples="$top_builddir/samples"
tmp=$(mktemp -d)
# A private symbol cache per test: no state shared with the user or other tests.
export XDG_CACHE_HOME="$tmp/cache"
targets=
cleanup() {
	for p in $targets; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$tmp/out" ]; then
		echo "--- lockscope stack output:" >&2
		cat "$tmp/out" >&2
	fi
	if [ -f "$tmp/err" ]; then
		echo "--- stderr:" >&2
		cat "$tmp/err" >&2
	fi
	exit 1
}

[ -x "$lockscope" ] || fail "$lockscope not built"

# start_target PROGRAM ARGS: runs it in the background, sets $target.
start_target() {
	[ -x "$1" ] || fail "$1 not built"
	"$@" >/dev/null 2>&1 &
	target=$!
	targets="$targets $target"
}

# futex_waiters PID: how many of its threads are blocked in futex(2) (202).
futex_waiters() {
	n=0
	for f in /proc/"$1"/task/*/syscall; do
		read -r nr rest 2>/dev/null <"$f" || continue
		[ "$nr" = 202 ] && n=$((n + 1))
	done
	echo "$n"
}

# wait_until WHAT CMD...: polls CMD until it succeeds; after ~10 s fails
# saying WHAT never happened.
wait_until() {
	what=$1
	shift
	tries=0
	until "$@"; do
		tries=$((tries + 1))
		[ "$tries" -le 200 ] || fail "$what"
		sleep 0.05
	done
}

# wait_for_waiters PID N: until N threads block in futex(2); at most ~20 s.
wait_for_waiters() {
	tries=0
	while [ "$(futex_waiters "$1")" -lt "$2" ]; do
		kill -0 "$1" 2>/dev/null || fail "target $1 died"
		tries=$((tries + 1))
		[ "$tries" -le 400 ] || fail "target $1: $2 threads never blocked in futex (have $(futex_waiters "$1"))"
		sleep 0.05
	done
}

# thread_tid PID NAME: the tid of the thread named NAME.
thread_tid() {
	for d in /proc/"$1"/task/*; do
		if [ "$(cat "$d/comm" 2>/dev/null)" = "$2" ]; then
			basename "$d"
			return
		fi
	done
	fail "no thread named $2 in $1"
}

# source_line FILE MARKER: line number of the (unique) line containing MARKER.
source_line() {
	grep -n -F "$2" "$1" | cut -d: -f1 | head -n 1
}

# run_stack ARGS: runs lockscope stack into $tmp/out, $tmp/err; must exit 0.
run_stack() {
	"$lockscope" stack "$@" >"$tmp/out" 2>"$tmp/err" || fail "lockscope stack $* exited $?"
}

expect() { # fixed string
	grep -q -F -- "$1" "$tmp/out" || fail "output lacks: $1"
}

expect_re() { # extended regex
	grep -q -E -- "$1" "$tmp/out" || fail "output lacks a line matching: $1"
}

# still_running PID [gone-ok]: the target was left running, not stopped
# nor traced (one read of its status: state and tracer as of one moment).
# With gone-ok, a target that has exited since (a zombie, or reaped)
# passes: one that ends by itself.
still_running() {
	status=$(cat /proc/"$1"/status 2>/dev/null) || status=
	if [ -z "$status" ]; then
		[ "${2:-}" = gone-ok ] || fail "target $1 is gone (no /proc/$1/status)"
		return 0
	fi
	state=$(echo "$status" | awk '/^State:/ { print $2 }')
	case $state in
	Z | X) [ "${2:-}" = gone-ok ] && return 0 ;;
	esac
	case $state in
	T | t | Z | X) fail "target $1 left in state $state" ;;
	esac
	tracer=$(echo "$status" | awk '/^TracerPid:/ { print $2 }')
	[ "$tracer" = 0 ] || fail "target $1 still traced by '$tracer' (state $state)"
}
