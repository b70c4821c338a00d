#!/bin/sh
# py_top.sh — `lockscope top` on a Python program (under tmux): the lock
# Python made is named where Python made it, and the Sites view shows the
# Python line that takes it, not the interpreter's C code.  Sample:
# samples/python/ctypes_contention.py on Debian's python3.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
lockscope="$top_builddir/tools/lockscope"
sample="$top_srcdir/samples/python/ctypes_contention.py"
session="lspytop-$$"
tmp=$(mktemp -d) || exit 1
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
. "$top_srcdir/tests/top-common.sh"
[ -x /usr/bin/python3 ] || { echo "FAIL: Debian's /usr/bin/python3 is missing"; exit 1; }
lock=$(grep -n '# LINE:lock$' "$sample" | cut -d: -f1)

tmux new-session -d -s "$session" -x 120 -y 30 \
	"$lockscope top -d 0.3 -- /usr/bin/python3 $sample 20; echo TOP-EXITED \$?; sleep 30"
# (the LOCK column shows the name's first 32 characters)
wait_for '^mutex made at ctypes_contention\.' || fail "the Python-made lock is not named by its Python line"
# the whole name: the filter matches it, a wrong line does not
init=$(grep -n '# LINE:init$' "$sample" | cut -d: -f1)
tmux send-keys -t "$session" / "ctypes_contention.py:$init" Enter
wait_for "Filter: ctypes_contention.py:$init" || fail "filter not shown"
wait_for '^mutex made at ctypes_contention\.' || fail "the lock's name does not say ctypes_contention.py:$init"
tmux send-keys -t "$session" / "ctypes_contention.py:$((init + 1))" Enter
wait_for "Filter: ctypes_contention.py:$((init + 1))" || fail "second filter not shown"
screen
grep -q '^mutex made at' "$tmp/screen" && fail "the lock's name matches a wrong line"
tmux send-keys -t "$session" / Enter
tmux send-keys -t "$session" 2
wait_for 'CALL SITE' || fail "Sites view did not show"
wait_for "ctypes_contention.py:$lock bump " || fail "no Python call site ctypes_contention.py:$lock bump"
tmux send-keys -t "$session" q
wait_for 'TOP-EXITED 0' || fail "top did not quit with status 0"
[ $status -eq 0 ] && echo "ok: lockscope top names Python locks and call sites"
exit $status
