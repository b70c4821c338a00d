# The raw crash dump: a thread faults inside malloc (a use-after-free write
# corrupted the free list) while holding the malloc arena's lock.  With
# MALLOC_ARENA_MAX=1 the watchdog shares that arena, blocks in malloc as
# soon as it starts the report, and never answers: the crashing thread
# writes module+offset frames itself after its bounded wait, and the
# process still dies by SIGSEGV.  With the default arenas the same crash
# is symbolized by the watchdog.
. "$top_srcdir/tests/dump_lib.sh"
command -v eu-addr2line >/dev/null || { echo "FAIL: eu-addr2line (elfutils) is needed"; exit 1; }
command -v nm >/dev/null || { echo "FAIL: nm (binutils) is needed"; exit 1; }
bin="$SAMPLES/dump_heapcrash"

status=0
MALLOC_ARENA_MAX=1 timeout -k 5 30 "$LOCKSCOPE" run -- "$bin" >"$WORK/raw.txt" 2>&1 || status=$?
expect_status 139 "raw fallback: still dies by SIGSEGV (not killed by timeout: 124)"
expect "$WORK/raw.txt" '^lockscope: fatal signal SIGSEGV at address 0x20 in thread allocator \(tid [0-9]+\)$' "raw headline"
expect "$WORK/raw.txt" '^  \(raw dump: the symbolizer did not answer in time; frames are module\+offset\)$' "raw dump announced"
expect_not "$WORK/raw.txt" '^lockscope: thread dump' "no symbolized dump"
expect_not "$WORK/raw.txt" 'not reached' "the program did not go on"
# The faulting thread first: frames inside libc (malloc), then the sample.
awk '/^  Thread allocator/ { on = 1; print; next } on && /^  Thread / { exit } on' "$WORK/raw.txt" >"$WORK/allocator.txt"
expect "$WORK/allocator.txt" '^  Thread allocator \(tid [0-9]+\): crashed$' "faulting thread marked"
[ "$(awk '/^  Thread /' "$WORK/raw.txt" | head -1 | grep -c allocator)" -eq 1 ] || fail "faulting thread listed first"
expect "$WORK/allocator.txt" '^      #0 0x[0-9a-f]{16} in \(libc\.so\.6\+0x[0-9a-f]+\)$' "innermost frame in libc, module+offset"
# Each frame of the sample maps back to its functions with the offset.
sed -n 's/^ *#[0-9]* \(0x[0-9a-f]*\) in (dump_heapcrash+\(0x[0-9a-f]*\))$/\1 \2/p' "$WORK/allocator.txt" >"$WORK/frames.txt"
[ -s "$WORK/frames.txt" ] || fail "sample frames as dump_heapcrash+0xOFFSET"
: >"$WORK/functions.txt"
while read -r pc off; do
	# a return address: the call is the byte before it
	eu-addr2line -f -e "$bin" "$(printf '0x%x' $((off - 1)))" | head -1 >>"$WORK/functions.txt"
	base=$((pc - off))
done <"$WORK/frames.txt"
expect "$WORK/functions.txt" '^use_after_free_then_allocate$' "the faulting function from its offset"
expect "$WORK/functions.txt" '^allocator$' "its caller from its offset"
# The journal thread's lock: the raw address is journal_lock's.
expect "$WORK/raw.txt" '^  Thread journal \(tid [0-9]+\)$' "other thread listed"
held=$(sed -n 's/^    holds mutex \(0x[0-9a-f]*\)$/\1/p' "$WORK/raw.txt" | head -1)
sym=$(nm "$bin" | awk '$3 == "journal_lock" { print "0x" $1 }')
if [ -n "$held" ] && [ -n "$sym" ] && [ -n "${base:-}" ]; then
	[ $((held - base)) -eq $((sym)) ] || fail "held lock is journal_lock ($held - base $base != $sym)"
else
	fail "held lock address, journal_lock symbol and load base found"
fi
expect "$WORK/raw.txt" '^  Thread dump_heapcrash \(tid [0-9]+\)$' "main thread listed"

# Default arenas: the watchdog allocates from its own and symbolizes.
run_ls "$WORK/symbolized.txt" -- "$bin"
expect_status 139 "symbolized: dies by SIGSEGV"
expect "$WORK/symbolized.txt" '^lockscope: fatal signal SIGSEGV \(Segmentation fault\) at address 0x20 in thread allocator' "symbolized headline"
expect "$WORK/symbolized.txt" '#0 0x[0-9a-f]+ in _int_malloc .*malloc\.c:[0-9]+' "fault inside _int_malloc"
expect "$WORK/symbolized.txt" 'in use_after_free_then_allocate .*dump_heapcrash\.c:[0-9]+' "the sample's frame with file:line"
expect "$WORK/symbolized.txt" 'holds journal_lock \(mutex 0x[0-9a-f]+\)' "the journal's lock by name"
expect_not "$WORK/symbolized.txt" 'raw dump' "no raw fallback"
finish
