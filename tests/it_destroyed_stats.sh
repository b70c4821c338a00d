#!/bin/sh
# Locks that made threads wait keep their statistics after they are
# destroyed or freed: four per-request mutexes, each contended once, appear
# in the exit report marked "(destroyed)" with their waits.
set -u
. "$top_srcdir/tests/lib.sh"
ls_setup
report=$LS_WORK/report.json
ls_run shortlived --format=json --output="$report" -- "$SAMPLES/contention_shortlived"
ls_expect_status 0
grep -q '4 requests served' "$RUN_OUT" || ls_fail "the sample did not finish"
python3 - "$report" <<'PY' || ls_fail "destroyed locks' statistics (above)"
import json, sys
locks = json.load(open(sys.argv[1]))["locks"]
dead = [l for l in locks if (l["name"] or "").endswith("(destroyed)")]
problems = []
if len(dead) != 4:
    problems.append("expected 4 destroyed locks, found %d among %s" % (len(dead), [l["name"] for l in locks]))
for l in dead:
    if l["contended"] != 1 or l["acquisitions"] != 2:
        problems.append("%s: acquisitions %d, contended %d (expected 2 and 1)" % (l["name"], l["acquisitions"], l["contended"]))
    if l["wait_ns"] < 1000000:
        problems.append("%s: waited %d ns, but the holder kept it 20 ms" % (l["name"], l["wait_ns"]))
    if "contention_shortlived.c" not in (l["name"] or ""):
        problems.append("%s: not named by its init site" % l["name"])
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
ls_pass "4 destroyed or freed locks keep acquisitions, contention and wait time"
