#!/bin/sh
# The shim keeps what it symbolized in the persistent symbol cache
# ($XDG_CACHE_HOME/lockscope, else ~/.cache/lockscope), like `lockscope
# stack`: a second run of the same program answers its addresses from there
# and prints the same frames; the directory is 0700 and its files 0600;
# symcache=0 writes nothing; a cache base that belongs to another user (a
# root program run with that user's HOME) is left alone.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
command -v python3 >/dev/null || { echo "FAIL: python3 is needed to parse the JSON report"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
lockscope="$top_builddir/tools/lockscope"
abba="$top_builddir/samples/abba"
status=0
fail() { echo "FAIL: $*"; status=1; }

# run NAME [ENV=VALUE...]: abba under lockscope run (verbose, JSON report
# NAME.json), in an environment of its own; stderr in NAME.err.
run() {
	name=$1
	shift
	env "$@" "$lockscope" run -O verbose=1 -f json -o "$tmp/$name.json" -- "$abba" \
		>/dev/null 2>"$tmp/$name.err" || { fail "$name: abba under lockscope run failed"; cat "$tmp/$name.err"; }
}

# frames NAME: every frame of the report's inversion stacks and lock sites,
# as "module_offset function file:line inlined", sorted.
frames() {
	python3 - "$tmp/$1.json" <<'PY' | sort
import json, os, sys
r = json.load(open(sys.argv[1]))
stacks = []
for inv in r["inversions"]:
    for e in inv["cycle"]:
        stacks += [e["held_stack"], e["acquire_stack"]]
for lock in r["locks"]:
    stacks += [s["stack"] for s in lock.get("sites", [])]
for st in stacks:
    for f in st:
        print(os.path.basename(f.get("module") or "?"), f.get("module_offset"), f.get("function"),
              "%s:%s" % (f.get("file"), f.get("line")), f.get("inlined"))
PY
}

# hits NAME: the addresses the run said it answered from the cache.
hits() { sed -n 's/^lockscope: (verbose) \([0-9]*\) addresses symbolized from the cache.*/\1/p' "$tmp/$1.err" | tail -1; }

cache="$tmp/xdg/lockscope"
run cold XDG_CACHE_HOME="$tmp/xdg"
[ "$(hits cold)" = 0 ] || fail "cold run: expected 0 addresses from the cache, stderr: $(cat "$tmp/cold.err")"
[ -d "$cache" ] || fail "no cache directory $cache"
[ "$(stat -c %a "$cache")" = 700 ] || fail "cache directory mode $(stat -c %a "$cache"), not 700"
id=$(readelf -n "$abba" | awk '/Build ID/ { print $3 }')
[ -n "$id" ] || fail "abba has no build ID"
[ -f "$cache/$id.lines" ] || fail "no cache file for abba's build ID $id: $(ls -a "$cache")"
for f in "$cache"/*; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f mode $(stat -c %a "$f"), not 600"
done
frames cold >"$tmp/cold.frames"
grep -q ' worker_1 .*abba\.c:[0-9]* False$' "$tmp/cold.frames" || fail "cold run: no worker_1 frame: $(cat "$tmp/cold.frames")"

run warm XDG_CACHE_HOME="$tmp/xdg"
n=$(hits warm)
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "warm run: no address answered from the cache, stderr: $(cat "$tmp/warm.err")"
frames warm >"$tmp/warm.frames"
# The same addresses (the same program) must come out the same.
python3 - "$tmp/cold.frames" "$tmp/warm.frames" <<'PY' || status=1
import sys
def load(p):
    out = {}
    for line in open(p):
        mod, off, rest = line.split(" ", 2)
        out[(mod, off)] = rest.strip()
    return out
cold, warm = load(sys.argv[1]), load(sys.argv[2])
common = set(cold) & set(warm)
if not common:
    print("FAIL: the two runs share no frame address"); sys.exit(1)
bad = [(k, cold[k], warm[k]) for k in sorted(common) if cold[k] != warm[k]]
if bad:
    print("FAIL: frames differ between the cold and the warm run: %s" % bad); sys.exit(1)
PY

# symcache=0: nothing written, nothing said.
run off XDG_CACHE_HOME="$tmp/xdg-off" LOCKSCOPE_OPTIONS=symcache=0
[ ! -e "$tmp/xdg-off" ] || fail "symcache=0 created $tmp/xdg-off"
! grep -q 'from the cache' "$tmp/off.err" || fail "symcache=0 still used a cache: $(cat "$tmp/off.err")"

# Without XDG_CACHE_HOME: ~/.cache/lockscope.
mkdir -p "$tmp/home"
run home -u XDG_CACHE_HOME HOME="$tmp/home"
[ -f "$tmp/home/.cache/lockscope/$id.lines" ] || fail "no cache under \$HOME/.cache/lockscope"

# A base that is not ours: left alone (needs a uid to give it to).
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$tmp/other"
	chown 65534 "$tmp/other"
	run foreign -u XDG_CACHE_HOME HOME="$tmp/other"
	[ ! -e "$tmp/other/.cache" ] || fail "a root program wrote into another user's home: $(ls -la "$tmp/other/.cache")"
	grep -q 'worker_1' "$tmp/foreign.json" || fail "the report without a cache lost its frames"
else
	echo "note: not root, the foreign-home case needs a directory owned by another user: not run"
fi
exit $status
