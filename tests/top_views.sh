#!/bin/sh
# lockscope top under tmux, the parts top.sh leaves out: sort keys change
# the order on screen, PgUp/PgDn/Home/End page through a long list, Z
# freezes the figures, the Inversions view shows a real inversion and a
# real deadlock (with the Threads view naming who waits for whom), the
# program's reports go to the log top names.  Then the live file itself:
# mode 0600, removed at exit, and a symlink planted at its path not followed.
set -u
: "${top_builddir:?}" "${top_srcdir:?}" "${LOCKSCOPE_PRELOAD:?}"
lockscope="$top_builddir/tools/lockscope"
samples="$top_builddir/samples"
session="lstopv-$$"
tmp=$(mktemp -d) || exit 1
started=   # "pid:name" of every program started, killed if still there at the end
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null
	for entry in $started; do
		p=${entry%%:*}
		[ "$(ps -o comm= -p "$p" 2>/dev/null)" = "${entry#*:}" ] && kill -9 "$p" 2>/dev/null
		rm -f "/dev/shm/lockscope-$p"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
. "$top_srcdir/tests/top-common.sh"
# line SAMPLE MARKER: the source line carrying /* MARKER */
line() { grep -n "/\* $2 \*/" "$top_srcdir/samples/$1.c" | cut -d: -f1; }

# start_top WIDTH PROG ARGS...: lockscope top on PROG in a fresh session;
# the log of the program's output goes to $tmp/logs.
start_top() {
	width=$1; shift
	tmux kill-session -t "$session" 2>/dev/null
	mkdir -p "$tmp/logs"
	tmux new-session -d -s "$session" -x "$width" -y 24 \
		"TMPDIR=$tmp/logs $lockscope top -d 0.3 -- $*; echo TOP-EXITED \$?; sleep 30"
	name=$(basename "$1")
	if wait_for "$name \(pid [0-9]+\)"; then
		prog_pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$tmp/screen" | head -n 1)
		started="$started $prog_pid:$name"
	else
		fail "top never showed $name's header"
		prog_pid=
	fi
}

quit_top() {
	tmux send-keys -t "$session" q
	wait_for 'TOP-EXITED 0' || fail "top did not quit with status 0"
}

# Column COL (awk field) of the rows whose first field starts with PREFIX.
column() { awk -v p="$1" -v c="$2" 'index($1, p) == 1 { print $c }' "$tmp/screen"; }
# sorted ORDER-FLAGS: the column read by the last `column` is in that order
in_order() { column "$1" "$2" >"$tmp/col"; [ -s "$tmp/col" ] && LC_ALL=C sort -c ${3:-} "$tmp/col" 2>/dev/null; }

# ---- sort keys and paging: 60 locks, bucket i taken (i+1)*10 times -------
# Locks columns: LOCK KIND ACQUIRED ...; 24 lines leave 18 rows of the list.
start_top 100 "$samples/contention_many" 60
wait_for '^bucket_lock' || fail "contention_many: no bucket_lock rows"
wait_for 'Acquisitions: 18300 ' || fail "contention_many: not all 18300 acquisitions shown"
grep -q 'WAIT TOTALv' "$tmp/screen" || fail "the default sort (wait total, descending) is not marked"
tmux send-keys -t "$session" '<' '<'
wait_for 'ACQUIREDv' || fail "'<' twice did not sort by ACQUIRED"
settle in_order bucket_lock 3 -nr || fail "ACQUIRED column not descending"
[ "$(column bucket_lock 3 | head -n 1)" = 600 ] || fail "sorted by ACQUIRED, descending: first row is not 600"
tmux send-keys -t "$session" I
wait_for 'ACQUIRED\^' || fail "I did not invert the order"
settle in_order bucket_lock 3 -n || fail "ACQUIRED column not ascending"
[ "$(column bucket_lock 3 | head -n 1)" = 10 ] || fail "sorted by ACQUIRED, ascending: first row is not 10"
tmux send-keys -t "$session" '<' '<'
wait_for 'LOCK\^' || fail "'<' did not move the sort to LOCK"
settle in_order bucket_lock 1 || fail "LOCK column not in name order"
[ "$(column bucket_lock 1 | head -n 1)" = bucket_lock ] || fail "sorted by name, ascending: bucket_lock (offset 0) not first"
tmux send-keys -t "$session" F6 F6 I
wait_for 'ACQUIREDv' || fail "F6 twice from LOCK did not sort by ACQUIRED"
# (a capture may land between the header and the rows still being repainted)
rows() { [ "$(column bucket_lock 3 | head -n 1)" = "$1" ] && { [ -z "${2:-}" ] || [ "$(column bucket_lock 3 | tail -n 1)" = "$2" ]; }; }
settle rows 600 || fail "back to ACQUIRED descending: first row is not 600"

# Paging: the selection moves a page (18 rows) and the list scrolls with it.
tmux send-keys -t "$session" NPage NPage
wait_for '^bucket_lock\+1600 ' || fail "PgDn twice: rows 19..36 (410..240) not shown"
settle rows 410 240 || fail "PgDn twice: expected rows 410..240"
grep -q ' 600 ' "$tmp/screen" && fail "PgDn twice: the first row is still shown"
tmux send-keys -t "$session" End
wait_for '^bucket_lock  ' || fail "End: the last row (bucket_lock, 10) not shown"
settle rows 180 10 || fail "End: rows 180..10 expected"
tmux send-keys -t "$session" PPage
wait_for '^bucket_lock\+720 ' || fail "PgUp from the end: rows 190..20 not shown"
settle rows 190 20 || fail "PgUp from the end: expected rows 190..20"
tmux send-keys -t "$session" Home
wait_for '^bucket_lock\+2360 ' || fail "Home: the first row (600) not shown"
quit_top

# ---- Z pause: figures stay while paused, move again after --------------
acquired() { column log_lock 3; }
start_top 100 "$samples/contention_counter" 100000 1000
wait_for '^log_lock' || fail "contention_counter: no log_lock row"
tmux send-keys -t "$session" Z
wait_for ' - paused - ' || fail "Z did not pause"
frozen=$(acquired)
frozen_header=$(sed -n 2p "$tmp/screen")
sleep 1.5   # five refresh periods
screen
[ -n "$frozen" ] && [ "$(acquired)" = "$frozen" ] || fail "paused, yet ACQUIRED moved: '$frozen' then '$(acquired)'"
[ "$(sed -n 2p "$tmp/screen")" = "$frozen_header" ] || fail "paused, yet the totals line changed"
tmux send-keys -t "$session" Z
wait_for ' - running - ' || fail "Z again did not resume"
i=0
while [ $i -lt 150 ]; do
	screen
	now=$(acquired)
	[ -n "$now" ] && [ "$now" -gt "$frozen" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ $i -lt 150 ] || fail "resumed, but ACQUIRED stayed at $frozen"
quit_top

# ---- a real inversion --------------------------------------------------
start_top 160 "$samples/abba_linger" 60
wait_for 'Inversions: 1 ' || fail "abba_linger: the header does not count the inversion"
tmux send-keys -t "$session" 4
wait_for 'inversion #1: ' || fail "abba_linger: Inversions view shows no inversion"
grep -Eq 'inversion #1: (journal_lock -> index_lock -> journal_lock|index_lock -> journal_lock -> index_lock)' \
	"$tmp/screen" || fail "the inversion's cycle is not journal_lock/index_lock"
grep -q "took index_lock at abba_linger.c:$(line abba_linger JOURNAL_THEN_INDEX) append_then_index" "$tmp/screen" ||
	fail "no 'took index_lock at abba_linger.c:N append_then_index'"
grep -q "took journal_lock at abba_linger.c:$(line abba_linger INDEX_THEN_JOURNAL) reindex_then_append" "$tmp/screen" ||
	fail "no 'took journal_lock at abba_linger.c:N reindex_then_append'"
grep -q 'DEADLOCK' "$tmp/screen" && fail "abba_linger never deadlocks, yet a DEADLOCK is shown"
grep -q 'lockscope: lock-order' "$tmp/screen" && fail "the shim's report was written over the screen"
quit_top
grep -q "reports are in $tmp/logs/lockscope-top-" "$tmp/screen" || fail "top did not name the program's log"
cat "$tmp"/logs/lockscope-top-* >"$tmp/log" 2>/dev/null
grep -q 'lockscope: lock-order inversion (potential deadlock)' "$tmp/log" ||
	{ fail "the log has no inversion report"; cat "$tmp/log"; }
grep -q 'abba_linger: 0 0' "$tmp/log" || fail "the log lacks the program's own output"
rm -rf "$tmp/logs"

# ---- a real deadlock ---------------------------------------------------
start_top 160 "$samples/dump_transfer"
tmux send-keys -t "$session" 4
wait_for 'DEADLOCK: thread' || fail "dump_transfer: no DEADLOCK row"
dl=$(grep -o 'DEADLOCK: .*' "$tmp/screen")
a=$(echo "$dl" | sed -n 's/^DEADLOCK: thread \([0-9]*\) waits for \([a-z]*\) held by \([0-9]*\); thread \([0-9]*\) waits for \([a-z]*\) held by \([0-9]*\);.*/\1 \2 \3 \4 \5 \6/p')
set -- $a
if [ $# -ne 6 ]; then
	fail "DEADLOCK row does not name two threads waiting for each other: $dl"
elif [ "$3" != "$4" ] || [ "$6" != "$1" ] || [ "$2" = "$5" ]; then
	fail "DEADLOCK row is not a cycle: $dl"
else
	case "$2 $5" in
	"checking savings"|"savings checking") ;;
	*) fail "DEADLOCK row names locks other than checking and savings: $dl" ;;
	esac
fi
tmux send-keys -t "$session" 3
wait_for 'waiting for checking \(excl\) held by [0-9]+' || fail "Threads view: nobody waits for checking"
grep -Eq 'waiting for savings \(excl\) held by [0-9]+' "$tmp/screen" || fail "Threads view: nobody waits for savings"
grep -q 'holds checking (excl)' "$tmp/screen" && grep -q 'holds savings (excl)' "$tmp/screen" ||
	fail "Threads view: the held locks are not shown"
deadlocked=$prog_pid
quit_top
if [ -n "$deadlocked" ]; then
	kill -0 "$deadlocked" 2>/dev/null && fail "the deadlocked program $deadlocked still runs after quit"
	[ -e "/dev/shm/lockscope-$deadlocked" ] && fail "/dev/shm/lockscope-$deadlocked left by the killed program"
fi
tmux kill-session -t "$session" 2>/dev/null

# ---- the live file -----------------------------------------------------
# await_file PID: until /dev/shm/lockscope-PID is a regular file
await_file() {
	i=0
	while [ $i -lt 150 ]; do
		[ -f "/dev/shm/lockscope-$1" ] && [ ! -L "/dev/shm/lockscope-$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
LD_PRELOAD="$LOCKSCOPE_PRELOAD" LOCKSCOPE_OPTIONS=live=1 "$samples/abba_linger" 2 >/dev/null 2>&1 &
p=$!
started="$started $p:abba_linger"
if await_file "$p"; then
	mode=$(stat -c '%a %u' "/dev/shm/lockscope-$p")
	[ "$mode" = "600 $(id -u)" ] || fail "live file mode/owner is '$mode', want '600 $(id -u)'"
else
	fail "no live file for pid $p"
fi
wait "$p"
[ -e "/dev/shm/lockscope-$p" ] && fail "/dev/shm/lockscope-$p not removed at exit"

# A symlink planted at the path the program will use (the shell's pid is
# the program's after exec): it is replaced, never written through.
echo precious >"$tmp/target"
sh -c 'ln -s "$1" "/dev/shm/lockscope-$$" && exec env LD_PRELOAD="$2" LOCKSCOPE_OPTIONS=live=1 "$3" 2' \
	sh "$tmp/target" "$LOCKSCOPE_PRELOAD" "$samples/abba_linger" >/dev/null 2>&1 &
p=$!
started="$started $p:abba_linger"
await_file "$p" || fail "the program did not replace the symlink at /dev/shm/lockscope-$p by its own file"
wait "$p"
[ "$(cat "$tmp/target")" = precious ] || fail "the symlink's target was written through"
[ -e "/dev/shm/lockscope-$p" ] || [ -L "/dev/shm/lockscope-$p" ] && fail "/dev/shm/lockscope-$p left behind"

[ $status = 0 ] && echo "ok lockscope top: sort, paging, pause, inversion, deadlock, live file"
exit $status
