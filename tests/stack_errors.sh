# stack_errors.sh — clear errors and no partial output: usage errors, a
# process that does not exist, lockscope's own pid.
. "$top_srcdir/tests/stack-common.sh"

check_error() { # expected status, expected stderr text, args...
	want=$1 text=$2
	shift 2
	"$lockscope" stack "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" = "$want" ] || fail "lockscope stack $*: status $status, expected $want"
	grep -q -F -- "$text" "$tmp/err" || fail "lockscope stack $*: stderr lacks '$text'"
	[ -s "$tmp/out" ] && fail "lockscope stack $*: printed a partial dump"
	return 0
}

check_error 2 "usage: lockscope stack"
check_error 2 "invalid process id 'abc'" -p abc
check_error 2 "unknown format 'xml'" --format=xml -p 1
# A pid that existed and is gone: reaped child.
sh -c 'exit 0' &
gone=$!
wait "$gone"
check_error 1 "no such process: $gone" -p "$gone"
"$lockscope" stack --help >"$tmp/out" 2>&1 || fail "--help failed"
grep -q -- "--format" "$tmp/out" || fail "--help does not describe --format"
echo "PASS: errors"
