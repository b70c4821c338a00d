# top-common.sh — screen helpers shared by the tmux-driven tests of
# `lockscope top`.  The sourcing test sets $session (its tmux session) and
# $tmp (its scratch directory) and keeps $status (0 until a check fails).
command -v tmux >/dev/null || { echo "FAIL: tmux is needed"; exit 1; }
fail() { echo "FAIL: $*"; echo "--- screen:"; cat "$tmp/screen"; status=1; }
screen() { tmux capture-pane -p -t "$session" >"$tmp/screen"; }
# wait_for PATTERN: poll the screen (up to 15 s) until PATTERN (ERE) shows
wait_for() {
	i=0
	while [ $i -lt 150 ]; do
		screen
		grep -Eq -- "$1" "$tmp/screen" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# settle CMD...: poll the screen (up to 15 s) until CMD, a check of
# $tmp/screen, succeeds: a capture may land between a header and the rows
# the viewer is still repainting
settle() {
	i=0
	while [ $i -lt 150 ]; do
		screen
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
