# The fast path's instruction budget: callgrind counts the instructions of
# a fixed number of uncontended lock/unlock pairs (samples/pairbench, its
# run_pairs() alone), natively and under the shim, for two numbers of
# pairs, so that every start-up and first-sight cost cancels:
#   per pair = (I(N2) - I(N1)) / (N2 - N1), added = shim - native.
# Instruction counts do not depend on the machine's load: the figures are
# the same run to run (checked below), so the test can gate.  It fails when
# a mode adds more than its budget.  Without valgrind it fails (build.sh
# installs it; Debian: apt-get install valgrind).
. "$top_srcdir/tests/lib.sh"
ls_setup
command -v valgrind >/dev/null 2>&1 ||
	ls_fail "valgrind is not installed: the fast-path budget is counted with callgrind (apt-get install valgrind)"
BENCH="$SAMPLES/pairbench"
[ -x "$BENCH" ] || ls_fail "$BENCH is not built"
N1=1000
N2=5000

# instructions MODE-ARGS: callgrind's count of run_pairs for N pairs; the
# shim is loaded unless OPTS is "native" (else OPTS is LOCKSCOPE_OPTIONS).
instructions() { # opts n pairbench-args...
	i_opts=$1 n=$2
	shift 2
	args=$*
	out="$LS_WORK/callgrind.out"
	rm -f "$out"
	# (valgrind hands LD_PRELOAD on to the program it runs)
	if [ "$i_opts" = native ]; then
		set -- env -u LD_PRELOAD
	else
		set -- env LD_PRELOAD="$LOCKSCOPE_PRELOAD" LOCKSCOPE_OPTIONS="$i_opts"
	fi
	set -- "$@" timeout -k 5 120 valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=run_pairs "$BENCH" $args "$n"
	"$@" >"$LS_WORK/vg.out" 2>"$LS_WORK/vg.err" ||
		{ RUN_ERR="$LS_WORK/vg.err"; ls_fail "callgrind run failed: $*"; }
	# the shim's own functions ran (or did not, natively) inside run_pairs
	shim_ran=no
	grep -q 'liblockscope-preload' "$out" && shim_ran=yes
	[ "$shim_ran" = "$([ "$i_opts" = native ] && echo no || echo yes)" ] ||
		ls_fail "the shim was $([ $shim_ran = yes ] || echo not) loaded for: $*"
	awk '/^summary:/ { print $2; found = 1; exit } END { if (!found) exit 1 }' "$out" ||
		ls_fail "no summary in callgrind's output for: $*"
}

# per_pair OPTS ARGS...: instructions per pair (two decimals)
per_pair() {
	p_opts=$1
	shift
	a=$(instructions "$p_opts" $N1 "$@") && b=$(instructions "$p_opts" $N2 "$@") || exit 1
	awk -v a="$a" -v b="$b" -v n1=$N1 -v n2=$N2 'BEGIN { printf "%.2f", (b - a) / (n2 - n1) }'
}

failed=0
# check LABEL BUDGET OPTS PAIRBENCH-ARGS: the shim with OPTS against native.
check() {
	label=$1 budget=$2 opts=$3
	shift 3
	cache="$LS_WORK/native.$(echo "$*" | tr ' ' _)"
	[ -f "$cache" ] || (per_pair native "$@") >"$cache" || exit 1
	native=$(cat "$cache")
	shim=$(per_pair "$opts" "$@") || exit 1
	verdict=$(awk -v n="$native" -v s="$shim" -v b="$budget" 'BEGIN { print (s - n <= b) ? "ok" : "OVER" }')
	printf '%-22s native %7.2f  shim %7.2f  added %7.2f  budget %4s  %s\n' "$label" "$native" "$shim" \
		"$(awk -v n="$native" -v s="$shim" 'BEGIN { print s - n }')" "$budget" "$verdict"
	[ "$verdict" = ok ] || failed=1
}

# Same figures run to run: the count of one run, taken twice.
first=$(instructions "" $N1 mutex)
second=$(instructions "" $N1 mutex)
[ "$first" = "$second" ] || ls_fail "callgrind counts differ run to run ($first, $second): the test cannot gate"
ls_pass "deterministic: $first instructions twice"

echo "instructions per uncontended lock/unlock pair (callgrind), added by the shim over native:"
# Default options (inversion detection and contention statistics on).
check "mutex"                35 "" mutex
check "mutex, nested"        30 "" nested   # per pair: 60 per round of two nested pairs
check "mutex, normal kind"   35 "" normal
check "mutex trylock"        35 "" trylock
check "C11 mtx"              35 "" c11
check "rwlock read"          35 "" rdlock
check "rwlock write"         50 "" wrlock
check "spinlock"             55 "" spin
# Semaphores used as locks (CPython's threading.Lock: sem_trywait, then
# sem_post).  glibc's own pair is short (19 instructions, against 55 for
# a default mutex), so the shim's bookkeeping shows in full where a
# mutex's hides behind glibc's dispatch, which the inline path skips:
# the probe of the call cache (9), the compare that says alive and
# nothing new (4) and the room check (3), the class (3), the push (9),
# the blame mark (4), the pop (4) and the blame check (3): 39, less the
# call into glibc (2-3).  Budget 45 per pair (per pair for the nested row).
check "sem_wait + sem_post"  45 "" sem
check "sem_trywait + post"   45 "" semtry
check "semaphores, nested"   45 "" semnested
# A semaphore used as a signal (one thread posts what it then takes):
# both calls are known signals, counted and never held; the post's probe
# of the call cache and the wait's failed lock compare come on top.
check "signal post + wait"   65 "" signal
# A second thread exists: glibc and the shim both take atomic instructions.
check "mutex, 2 threads"     35 "" -t mutex
check "nested, 2 threads"    30 "" -t nested
# Options.
check "mutex, stats=0"       35 "stats=0" mutex
check "mutex, detect=0"      35 "detect=0" mutex
check "mutex, stack_depth=4" 35 "stack_depth=4" mutex
# hold_time times every exclusive hold: two reads of the time-stamp
# counter and the adds of the hold, through the blame functions.
check "mutex, hold_time=1"  220 "hold_time=1" mutex

[ "$failed" -eq 0 ] || ls_fail "a mode adds more instructions per pair than its budget (above)"
ls_pass "every mode within its instruction budget"
