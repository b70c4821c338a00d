# stack_cache.sh — the persistent symbol cache ($XDG_CACHE_HOME/lockscope)
# never changes what `lockscope stack` prints: cold, warm, corrupt, under a
# foreign build ID, unusable directories, symlinks, debug info installed
# after the cache was written.
. "$top_srcdir/tests/stack-common.sh"
src="$top_srcdir/samples/stack_sleeper.c"
cache="$XDG_CACHE_HOME/lockscope"

# same_as_reference: $tmp/out is exactly the uncached dump.
same_as_reference() {
	cmp -s "$tmp/ref" "$tmp/out" || {
		diff "$tmp/ref" "$tmp/out" >&2
		fail "$1: output differs from the uncached dump"
	}
}

# from_cache N: -v said N addresses came from the symbol cache.
from_cache() {
	grep -q -E "distinct addresses symbolized \($1 from the symbol cache\)" "$tmp/err" ||
		fail "expected $1 addresses from the symbol cache: $(cat "$tmp/err")"
}

start_target "$samples/stack_sleeper"
wait_for_waiters "$target" 2
# The first attach turns the sleeper's nanosleep into restart_syscall: the
# reference is the second uncached dump.
run_stack --no-cache -p "$target"
run_stack --no-cache -p "$target"
cp "$tmp/out" "$tmp/ref"
expect_re "in slow_holder .*stack_sleeper\.c:$(source_line "$src" "sleeping while holding")\$"
expect_re " in start_thread .*pthread_create\.c:[0-9]+\$"
[ ! -e "$cache" ] || fail "--no-cache created $cache"

# Cold: same output, private files named by build ID.
run_stack -v -p "$target"
same_as_reference cold
from_cache 0
[ "$(stat -c %a "$cache")" = 700 ] || fail "cache directory mode $(stat -c %a "$cache"), not 700"
id=$(readelf -n "$samples/stack_sleeper" | awk '/Build ID/ { print $3 }')
[ -n "$id" ] || fail "stack_sleeper has no build ID"
[ -f "$cache/$id.lines" ] || fail "no cache file $cache/$id.lines: $(ls "$cache")"
for f in "$cache"/*.lines; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f"), not 600"
done
grep -q -E "^0	[0-9]+	slow_holder	.*stack_sleeper\.c\$" "$cache/$id.lines" ||
	fail "the cache does not hold slow_holder's line"
n_files=$(ls "$cache" | wc -l)

# Warm: everything from the cache, same output.
run_stack -v -p "$target"
same_as_reference warm
grep -q -E "\(0 from the symbol cache\)" "$tmp/err" && fail "warm run used no cache: $(cat "$tmp/err")"

# Corrupt (a name changed, checksum not): ignored, output right, file repaired.
sed -i 's/slow_holder/evil_holder/' "$cache/$id.lines"
run_stack -p "$target"
same_as_reference corrupt
grep -q evil_holder "$cache/$id.lines" && fail "the corrupt file was not replaced"
grep -q slow_holder "$cache/$id.lines" || fail "the replaced file lacks slow_holder"

# Truncated and empty files: ignored.
head -c 100 "$cache/$id.lines" >"$tmp/trunc" && cp "$tmp/trunc" "$cache/$id.lines"
run_stack -p "$target"
same_as_reference truncated
: >"$cache/$id.lines"
run_stack -p "$target"
same_as_reference empty

# A valid file of another build ID under this one's name: ignored.
other=$(ls "$cache" | grep -v "^$id\." | head -n 1)
[ -n "$other" ] || fail "only one cache file: $(ls "$cache")"
cp "$cache/$other" "$cache/$id.lines"
run_stack -p "$target"
same_as_reference "wrong build ID"
grep -q "^build-id $id\$" "$cache/$id.lines" || fail "the foreign file was not replaced"

# The cache file is a symlink: not followed, neither read nor written through.
echo "precious" >"$tmp/precious"
rm -f "$cache/$id.lines"
ln -s "$tmp/precious" "$cache/$id.lines"
run_stack -p "$target"
same_as_reference "symlinked file"
[ "$(cat "$tmp/precious")" = precious ] || fail "wrote through a symlink"

# Unusable directories: a symlink, a file, a group-writable directory; and
# names mode.  Output is right in every case and nothing is written.
for kind in symlink file shared; do
	XDG_CACHE_HOME="$tmp/xdg-$kind"
	mkdir -p "$XDG_CACHE_HOME" "$tmp/elsewhere-$kind"
	case $kind in
	symlink) ln -s "$tmp/elsewhere-$kind" "$XDG_CACHE_HOME/lockscope" ;;
	file) echo "not a directory" >"$XDG_CACHE_HOME/lockscope" ;;
	shared) mkdir -m 777 "$XDG_CACHE_HOME/lockscope" ;;
	esac
	run_stack -v -p "$target"
	same_as_reference "cache directory is a $kind"
	from_cache 0
	[ -z "$(ls "$tmp/elsewhere-$kind")" ] || fail "wrote through a symlinked directory"
	[ ! -d "$XDG_CACHE_HOME/lockscope" ] || [ -z "$(ls "$XDG_CACHE_HOME/lockscope")" ] ||
		fail "wrote into an unsafe $kind cache directory"
done
XDG_CACHE_HOME="$tmp/cache"
run_stack -n --no-cache -p "$target"
cp "$tmp/out" "$tmp/ref"
run_stack -n -p "$target"
same_as_reference "names, cold"
run_stack -v -n -p "$target"
same_as_reference "names, warm"
grep -q -E "\(0 from the symbol cache\)" "$tmp/err" && fail "warm names run used no cache"
[ -f "$cache/$id.names" ] || fail "no names-mode cache file"

# Many build IDs: the directory stays bounded.
i=0
while [ "$i" -lt 140 ]; do
	cp "$cache/$id.names" "$cache/$(printf '%040x' "$i").names"
	i=$((i + 1))
done
rm -f "$cache/$id.lines"
run_stack -p "$target"
[ "$(ls "$cache" | wc -l)" -le 128 ] || fail "cache directory grew to $(ls "$cache" | wc -l) files"
[ -f "$cache/$id.lines" ] || fail "trimming removed the file just written"
still_running "$target"

# Debug info installed after the cache was written (debug link next to the
# binary): the stale names-less results are dropped.
kill -9 "$target"
cp "$samples/stack_sleeper" "$tmp/linked_sleeper"
objcopy --only-keep-debug "$tmp/linked_sleeper" "$tmp/linked_sleeper.debug" || fail "objcopy failed"
strip --strip-all "$tmp/linked_sleeper" || fail "strip failed"
(cd "$tmp" && objcopy --add-gnu-debuglink=linked_sleeper.debug linked_sleeper) || fail "objcopy failed"
mv "$tmp/linked_sleeper.debug" "$tmp/saved.debug"
# Same build ID as stack_sleeper, whose results are cached with its lines
# (rightly reused for the same build): start from an empty cache.
XDG_CACHE_HOME="$tmp/cache2"
start_target "$tmp/linked_sleeper"
wait_for_waiters "$target" 2
run_stack -p "$target"
grep -q slow_holder "$tmp/out" && fail "named slow_holder without its debug info"
mv "$tmp/saved.debug" "$tmp/linked_sleeper.debug"
run_stack -v -p "$target"
expect_re "in slow_holder .*stack_sleeper\.c:$(source_line "$src" "sleeping while holding")\$"
grep -q "^dwarf 1$" "$tmp/cache2/lockscope/$id.lines" || fail "the cache file does not record the DWARF now found"
still_running "$target"
echo "PASS: the symbol cache: cold, warm, corrupt, foreign, unsafe, bounded, stale"
