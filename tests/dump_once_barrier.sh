# pthread_once and barriers: a once routine re-entering its own
# pthread_once is a deadlock of one thread; a cycle through a once control
# (held by the thread running its routine) is a deadlock of two threads and
# an inversion; a barrier that waits for a thread that is gone stalls the
# program, and a thread in a timed wait whose deadline is ahead keeps it
# from being a stall.
. "$top_srcdir/tests/dump_lib.sh"

# line_of FILE TEXT [NTH]
line_of() {
	grep -n -F -- "$2" "$top_srcdir/samples/$1" | sed -n "${3:-1}p" | cut -d: -f1
}

# --- recursive pthread_once
first=$(line_of once_recursive.c 'pthread_once(&config_once, init_config);' 2)
again=$(line_of once_recursive.c 'pthread_once(&config_once, init_config);' 1)
run_ls "$WORK/recursive.txt" --on-hang=exit -- "$SAMPLES/once_recursive"
expect_status 86 "recursive once: deadlock with --on-hang=exit"
expect "$WORK/recursive.txt" '^lockscope: deadlock$' "deadlock headline"
section "$WORK/recursive.txt" '^lockscope: deadlock$' >"$WORK/recursive-cycle.txt"
[ "$(grep -c '^  Thread T' "$WORK/recursive-cycle.txt")" -eq 1 ] || fail "one thread in the cycle"
expect "$WORK/recursive-cycle.txt" '^  Thread T1 \(config-loader, tid [0-9]+\) waits for config_once \(once 0x[0-9a-f]+\), which it holds itself$' "waits for the once control it holds"
expect "$WORK/recursive-cycle.txt" 'config_once was acquired at:' "where it took the control"
expect "$WORK/recursive-cycle.txt" "in config_loader .*once_recursive.c:$first" "the first pthread_once"
expect "$WORK/recursive.txt" 'Thread config-loader \(tid [0-9]+\): waiting for a once routine to finish' "thread state"
expect "$WORK/recursive.txt" "in load_defaults .*once_recursive.c:$again" "live stack at the re-entry"
expect_not "$WORK/recursive.txt" 'once_recursive: config' "the program did not go on"

# --- a cycle through a once control
run_ls "$WORK/cross.txt" --on-hang=exit -- "$SAMPLES/once_cross"
expect_status 86 "cross once: deadlock with --on-hang=exit"
expect "$WORK/cross.txt" '^lockscope: lock-order inversion \(potential deadlock\)$' "inversion headline"
expect "$WORK/cross.txt" 'Cycle of 2 locks: (plugins_lock -> registry_once -> plugins_lock|registry_once -> plugins_lock -> registry_once)$' "the inversion's cycle"
expect "$WORK/cross.txt" "acquired registry_once \(once 0x[0-9a-f]+\) while holding plugins_lock" "the plugin's order"
expect "$WORK/cross.txt" "in init_registry .*once_cross.c:$(line_of once_cross.c 'pthread_mutex_lock(&plugins_lock); /* held')" "where the routine takes plugins_lock"
section "$WORK/cross.txt" '^lockscope: deadlock$' >"$WORK/cross-cycle.txt"
expect "$WORK/cross-cycle.txt" 'Cycle of 2 threads' "two-thread cycle"
expect "$WORK/cross-cycle.txt" 'plugin, tid [0-9]+\) holds plugins_lock \(mutex 0x[0-9a-f]+\) and waits for registry_once \(once 0x[0-9a-f]+\), owned by tid [0-9]+ \(loader\)' "the plugin waits for the loader's routine"
expect "$WORK/cross-cycle.txt" 'loader, tid [0-9]+\) holds registry_once \(once 0x[0-9a-f]+\) and waits for plugins_lock \(mutex 0x[0-9a-f]+\), owned by tid [0-9]+ \(plugin\)' "the loader's routine waits for plugins_lock"
expect "$WORK/cross-cycle.txt" "in loader .*once_cross.c:$(line_of once_cross.c 'pthread_once(&registry_once, init_registry);' 1)" "where the loader took the control"

# --- a barrier waiting for a worker that is gone: a stall
init=$(line_of barrier_stall.c 'pthread_barrier_init(')
run_ls "$WORK/barrier.txt" --hang-timeout=1 --on-hang=exit -- "$SAMPLES/barrier_stall"
expect_status 86 "stall with --on-hang=exit"
expect "$WORK/barrier.txt" '^lockscope: stall$' "stall headline"
expect_not "$WORK/barrier.txt" '^lockscope: (deadlock|hang)$' "no other finding"
section "$WORK/barrier.txt" '^lockscope: stall$' >"$WORK/stall.txt"
[ "$(grep -c 'phase-worker, tid [0-9]*) waits for phase_barrier (barrier 0x[0-9a-f]*), 3 of 4 arrived, for [0-9.]* s$' "$WORK/stall.txt")" -eq 3 ] ||
	fail "three workers wait at the barrier, 3 of 4 arrived, and for how long"
expect "$WORK/stall.txt" 'barrier_stall, tid [0-9]+\) waits for thread tid [0-9]+ .*, for [0-9.]+ s$' "main joins a worker"
expect "$WORK/stall.txt" 'phase_barrier was made at:' "where the barrier was made"
expect "$WORK/stall.txt" "in main .*barrier_stall.c:$init" "the pthread_barrier_init line"
expect "$WORK/barrier.txt" 'Thread phase-worker \(tid [0-9]+\): waiting at barrier, 3 of 4 arrived, initialized at barrier_stall.c:[0-9]+, blocked on phase_barrier' "thread state in the dump"

# JSON: the stall's entries carry the wait, its detail and where the barrier was made.
run_ls "$WORK/barrier-json.log" --hang-timeout=1 --on-hang=exit --format=json --output="$WORK/barrier.json" -- "$SAMPLES/barrier_stall"
expect_status 86 "JSON stall with --on-hang=exit"
python3 - "$WORK/barrier.json" >"$WORK/barrier-parsed.txt" 2>&1 <<'PY' || fail "the JSON stall parses"
import json, sys
r = json.load(open(sys.argv[1]))
stall = [x for x in r["deadlocks"] if x["kind"] == "stall"][0]
for e in stall["threads"]:
    w = e["waits_for"]
    print(w["kind"], e.get("detail"), e["wait_seconds"] >= 1.0, (e.get("made_at") or [{}])[0].get("function"))
PY
[ "$(grep -c '^barrier 3 of 4 arrived True main$' "$WORK/barrier-parsed.txt")" -eq 3 ] ||
	{ fail "JSON stall entries (kind, detail, wait_seconds, made_at)"; cat "$WORK/barrier-parsed.txt"; }

# The same with a thread in a timed wait whose deadline is always ahead:
# not stalled, so no stall is reported (the program never ends).
# (A broken analysis would report it about 1.25 s in; the run is ended at 4 s.)
status=0
timeout -k 2 4 "$LOCKSCOPE" run --hang-timeout=1 --on-hang=exit -- "$SAMPLES/barrier_stall" monitored \
	>"$WORK/monitored.txt" 2>&1 || status=$?
expect_status 124 "monitored: keeps running until ended"
expect_not "$WORK/monitored.txt" '^lockscope: (stall|deadlock|hang)$' "a thread in a timed wait is not stalled"
finish
