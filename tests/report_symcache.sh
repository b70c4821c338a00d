# The shim keeps what it symbolized in the persistent symbol cache
# ($XDG_CACHE_HOME/lockscope, else ~/.cache/lockscope), like `lockscope
# stack`: a second run of the same program answers its addresses from there
# and prints the same frames; the directory is 0700 and its files 0600;
# symcache=0 writes nothing; a cache base that belongs to another user (a
# root program run with that user's HOME) is left alone.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_need readelf
tmp=$LS_WORK
abba="$SAMPLES/abba"

# run NAME [FLAGS]: abba under lockscope run (verbose, JSON report
# NAME.json) in the environment the caller exported.
run() {
	name=$1
	shift
	ls_run "$name" -O verbose=1 "$@" -f json -o "$tmp/$name.json" -- "$abba"
	ls_expect_status 0 "$name"
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
XDG_CACHE_HOME="$tmp/xdg"
export XDG_CACHE_HOME
run cold
[ "$(hits cold)" = 0 ] || ls_fail "cold run: expected 0 addresses from the cache"
[ -d "$cache" ] || ls_fail "no cache directory $cache"
[ "$(stat -c %a "$cache")" = 700 ] || ls_fail "cache directory mode $(stat -c %a "$cache"), not 700"
id=$(readelf -n "$abba" | awk '/Build ID/ { print $3 }')
[ -n "$id" ] || ls_fail "abba has no build ID"
[ -f "$cache/$id.lines" ] || ls_fail "no cache file for abba's build ID $id: $(ls -a "$cache")"
for f in "$cache"/*; do
	[ "$(stat -c %a "$f")" = 600 ] || ls_fail "$f mode $(stat -c %a "$f"), not 600"
done
frames cold >"$tmp/cold.frames"
grep -q ' worker_1 .*abba\.c:[0-9]* False$' "$tmp/cold.frames" ||
	ls_fail "cold run: no worker_1 frame: $(cat "$tmp/cold.frames")"

run warm
n=$(hits warm)
[ -n "$n" ] && [ "$n" -gt 0 ] || ls_fail "warm run: no address answered from the cache"
frames warm >"$tmp/warm.frames"
# The same addresses (the same program) must come out the same.
python3 - "$tmp/cold.frames" "$tmp/warm.frames" <<'PY' || ls_fail "the warm run's frames are not the cold run's"
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
    sys.exit("the two runs share no frame address")
bad = [(k, cold[k], warm[k]) for k in sorted(common) if cold[k] != warm[k]]
if bad:
    sys.exit("frames differ between the cold and the warm run: %s" % bad)
PY

# symcache=0: nothing written, nothing said.
XDG_CACHE_HOME="$tmp/xdg-off"
run off -O symcache=0
[ ! -e "$tmp/xdg-off" ] || ls_fail "symcache=0 created $tmp/xdg-off"
! grep -q 'from the cache' "$tmp/off.err" || ls_fail "symcache=0 still used a cache"

# Without XDG_CACHE_HOME: ~/.cache/lockscope.
unset XDG_CACHE_HOME
mkdir -p "$tmp/home"
HOME="$tmp/home"
export HOME
run home
[ -f "$tmp/home/.cache/lockscope/$id.lines" ] || ls_fail "no cache under \$HOME/.cache/lockscope"

# A base that is not ours: left alone (needs a uid to give it to).
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$tmp/other"
	chown 65534 "$tmp/other"
	HOME="$tmp/other"
	run foreign
	[ ! -e "$tmp/other/.cache" ] || ls_fail "a root program wrote into another user's home"
	grep -q 'worker_1' "$tmp/foreign.json" || ls_fail "the report without a cache lost its frames"
else
	echo "note: not root, the foreign-home case needs a directory owned by another user: not run"
fi
ls_pass "the shim's symbol cache: private, same frames warm as cold, off with symcache=0"
