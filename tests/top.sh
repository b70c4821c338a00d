#!/bin/sh
# lockscope top, driven for real under tmux: start a contended sample through
# it, read the screen, check lock names and growing counts, switch views,
# filter, quit; then attach with -p to a program started by lockscope run.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
lockscope="$top_builddir/tools/lockscope"
sample="$top_builddir/samples/contention_counter"
session="lstop-$$"
tmp=$(mktemp -d) || exit 1
bg_pid=
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null && wait "$bg_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
. "$top_srcdir/tests/top-common.sh"
# count of log_lock's ACQUIRED column on the Locks view
acquired() { awk '$1 == "log_lock" { print $3 }' "$tmp/screen"; }  # LOCK KIND ACQUIRED

tmux new-session -d -s "$session" -x 80 -y 24 \
	"$lockscope top -d 0.3 -- $sample 100000 1000; echo TOP-EXITED \$?; sleep 30"
wait_for 'log_lock' || fail "log_lock never appeared on the Locks view"
grep -q 'contention_counter (pid' "$tmp/screen" || fail "no program/pid header"
first=$(acquired)
sleep 1.2
wait_for 'log_lock'
second=$(acquired)
if [ -z "$first" ] || [ -z "$second" ] || [ "$second" -le "$first" ]; then
	fail "acquisitions did not grow: '$first' then '$second'"
fi

tmux send-keys -t "$session" 2
wait_for 'CALL SITE' || fail "Sites view did not show"
grep -q 'contention_counter.c:25' "$tmp/screen" || fail "no call site contention_counter.c:25 on the Sites view"

tmux send-keys -t "$session" 3
wait_for 'STATE' || fail "Threads view did not show"
grep -Eq 'running|waiting for log_lock|joining' "$tmp/screen" || fail "no thread states"

tmux send-keys -t "$session" Tab
wait_for 'no inversions or deadlocks' || fail "Inversions view (Tab) did not show"

tmux send-keys -t "$session" 1 / zzz Enter
wait_for 'Filter: zzz' || fail "filter not shown"
screen
grep -q '^log_lock' "$tmp/screen" && fail "filter 'zzz' still shows log_lock"
tmux send-keys -t "$session" / l o g _ Enter
wait_for '^log_lock' || fail "filter 'log_' lost log_lock"

tmux send-keys -t "$session" F1
wait_for 'lockscope top - keys' || fail "help did not show"
tmux send-keys -t "$session" Escape
tmux resize-window -t "$session" -x 100 -y 30 2>/dev/null
wait_for '^log_lock' || fail "no locks after help and resize"

tmux send-keys -t "$session" q
wait_for 'TOP-EXITED 0' || fail "top did not quit with status 0"
tmux kill-session -t "$session" 2>/dev/null

# Attach to a program started elsewhere; the program exits, figures stay.
"$lockscope" run --live -- "$sample" 2000 1000 >/dev/null 2>&1 &
bg_pid=$!
# lockscope run forks the program: find its child's file
prog_pid=
i=0
while [ -z "$prog_pid" ] && [ $i -lt 100 ]; do
	for f in /dev/shm/lockscope-*; do
		p=${f#/dev/shm/lockscope-}
		[ -e "$f" ] && [ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$bg_pid" ] && prog_pid=$p
	done
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$prog_pid" ]; then
	fail "no live statistics file for the program started by lockscope run --live"
else
	tmux new-session -d -s "$session" -x 80 -y 24 "$lockscope top -d 0.5 -p $prog_pid; echo TOP-EXITED \$?; sleep 30"
	wait_for 'log_lock' || fail "attach -p: log_lock never appeared"
	wait_for ' - exited - ' || fail "attach -p: the program's exit was not shown"
	wait_for '^log_lock  *mutex  *100000 ' || fail "attach -p: final count 100000 not kept on screen"
	tmux send-keys -t "$session" F10
	wait_for 'TOP-EXITED 0' || fail "F10 did not quit"
fi
wait "$bg_pid" 2>/dev/null
bg_pid=
[ -e "/dev/shm/lockscope-$prog_pid" ] && fail "/dev/shm/lockscope-$prog_pid left behind"

# No live statistics: a clear error.
"$lockscope" top -p 1 >"$tmp/out" 2>&1 && fail "top -p 1 succeeded"
grep -q 'no live statistics for pid 1' "$tmp/out" || { cat "$tmp/out"; fail "unclear error for a pid without live statistics"; }
[ $status = 0 ] && echo "ok lockscope top under tmux"
exit $status
