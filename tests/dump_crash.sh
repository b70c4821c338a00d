# A crash in a worker while other threads hold locks: the faulting thread
# first (with file:line), every other thread, and the process still dies
# by SIGSEGV.
. "$top_srcdir/tests/dump_lib.sh"

run_ls "$WORK/crash.txt" -- "$SAMPLES/dump_crash"
expect_status 139 "dies by SIGSEGV (128+11)"
expect "$WORK/crash.txt" '^lockscope: fatal signal SIGSEGV \(Segmentation fault\) at address 0x8 in thread parser \(tid [0-9]+\)' "fatal signal headline"
awk '/^lockscope: thread dump/ { getline; print; exit }' "$WORK/crash.txt" >"$WORK/first.txt"
expect "$WORK/first.txt" '^  Thread parser \(tid [0-9]+\): crashed: SIGSEGV, holding locks' "faulting thread first"
section "$WORK/crash.txt" '^  Thread parser' | sed '/^  Thread [^p]/,$d' >"$WORK/parser.txt"
expect "$WORK/parser.txt" '#0 0x[0-9a-f]+ in parse_record .*dump_crash.c:21 \[inlined\]' "faulting frame with file:line"
expect "$WORK/parser.txt" '#1 0x[0-9a-f]+ in parser .*dump_crash.c:32' "its caller"
expect "$WORK/parser.txt" 'holds journal_lock \(mutex' "the lock it held"
expect "$WORK/crash.txt" 'Thread indexer \(tid [0-9]+\): holding locks' "indexer dumped"
expect "$WORK/crash.txt" 'holds table_lock \(mutex 0x[0-9a-f]+\), acquired at:' "indexer's lock"
expect "$WORK/crash.txt" 'in indexer .*dump_crash.c:44' "indexer's live stack"
expect "$WORK/crash.txt" 'Thread dump_crash \(tid [0-9]+\): waiting for lock, blocked on table_lock' "main thread dumped"
expect_not "$WORK/crash.txt" 'raw dump' "symbolized by the watchdog, no raw fallback"
expect_not "$WORK/crash.txt" 'not reached' "the program did not go on"

# JSON: the report is written at once, since there is no exit.
run_ls "$WORK/log.txt" --format=json --output="$WORK/crash.json" -- "$SAMPLES/dump_crash"
expect_status 139 "JSON run dies by SIGSEGV too"
command -v python3 >/dev/null || fail "python3 is needed to parse the JSON report"
python3 - "$WORK/crash.json" >"$WORK/parsed.txt" 2>&1 <<'PY' || fail "the JSON report parses"
import json, sys
r = json.load(open(sys.argv[1]))
print("reason", r["reason"])
t = r["threads"][0]
print("first", t["name"], t["state"])
f = t["stack"][0]
print("frame", f["function"], f["file"].split("/")[-1], f["line"])
print("threads", len(r["threads"]))
PY
expect "$WORK/parsed.txt" '^reason signal SIGSEGV$' "JSON reason"
expect "$WORK/parsed.txt" '^first parser crashed: SIGSEGV' "JSON faulting thread first"
expect "$WORK/parsed.txt" '^frame parse_record dump_crash.c 21$' "JSON faulting frame"
expect "$WORK/parsed.txt" '^threads 3$' "JSON every thread"

# fatal_signals=0: no dump, same death.
run_ls "$WORK/off.txt" -O fatal_signals=0 -- "$SAMPLES/dump_crash"
expect_status 139 "still dies by SIGSEGV"
expect_not "$WORK/off.txt" 'fatal signal' "no dump when disabled"
finish
