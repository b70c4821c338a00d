# Helpers shared by the dump tests (sourced).  Every program runs under
# `timeout`, so a test never hangs and leaves nothing behind.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
LOCKSCOPE="$top_builddir/tools/lockscope"
SAMPLES="$top_builddir/samples"
command -v timeout >/dev/null || { echo "FAIL: timeout(1) is needed"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

# run_ls OUTFILE LOCKSCOPE-RUN-ARGS... : runs `lockscope run`, stdout+stderr
# into OUTFILE; sets $status.
run_ls() {
	out=$1
	shift
	status=0
	timeout -k 5 30 "$LOCKSCOPE" run "$@" >"$out" 2>&1 || status=$?
}

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect FILE REGEX WHAT
expect() {
	grep -Eq -- "$2" "$1" || { fail "$3 (no /$2/ in $1)"; sed 's/^/    | /' "$1" | head -80; }
}

expect_not() {
	! grep -Eq -- "$2" "$1" || fail "$3 (unexpected /$2/ in $1)"
}

expect_status() {
	[ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1"
}

# The text between a line matching START and the next blank line.
section() {
	awk -v start="$2" '$0 ~ start { on = 1 } on && /^$/ { exit } on' "$1"
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
