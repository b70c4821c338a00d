#!/bin/sh
# layering.sh — the rooms of lib/ depend on each other one way only
# (lib/README.md):
#   sort, python, api: nothing of lockscope's (leaves)
#   core: python;   symbols: core;   report, attach: symbols and core
# preload/ and tools/ may use any room; no room uses preload/ or tools/.
# Every quoted include in lib/ but config.h names its room ("core/x.h").
# Fails, listing every include that points the wrong way.
set -eu
lib=${top_srcdir:-$(dirname "$0")/..}/lib
allowed() { # room -> the rooms its files may include
	case $1 in
	sort | python | api) echo "$1" ;;
	core) echo "core python" ;;
	symbols) echo "symbols core python" ;;
	report | attach) echo "$1 symbols core python" ;;
	*) echo "" ;;
	esac
}
wrong=$(mktemp)
trap 'rm -f "$wrong"' EXIT
files=0
for dir in "$lib"/*/; do
	room=$(basename "$dir")
	ok=$(allowed "$room")
	if [ -z "$ok" ]; then
		echo "lib/$room: not a known room (add it to tests/layering.sh and lib/README.md)" >>"$wrong"
		continue
	fi
	for f in "$dir"*.[ch]; do
		[ -e "$f" ] || continue
		files=$((files + 1))
		# lockscope/ is the public include/ directory: any room may use it
		awk -v room="$room" -v ok=" $ok lockscope " -v name="lib/$room/${f##*/}" '
			/^#include "/ {
				target = $0; sub(/^#include "/, "", target); sub(/".*/, "", target)
				if (target == "config.h") next
				to = index(target, "/") ? substr(target, 1, index(target, "/") - 1) : ""
				if (index(ok, " " to " ") == 0)
					printf "%s:%d: includes \"%s\" (lib/%s may include:%s)\n", name, NR, target, room, ok
			}' "$f" >>"$wrong"
	done
done
if [ -s "$wrong" ]; then
	cat "$wrong"
	echo "layering.sh: FAIL: includes against the direction of lib/ (see lib/README.md)"
	exit 1
fi
[ "$files" -gt 0 ] || { echo "layering.sh: FAIL: no files found under $lib"; exit 1; }
echo "layering.sh: $files files in lib/, every include points down the data path"
