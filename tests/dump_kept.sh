# Thread dumps are kept in the JSON report: a SIGQUIT dump is still in the
# last report when the program then exits normally, is killed by SIGTERM
# or calls exec; timer dumps keep the first 4 and the last 4; and
# `lockscope report` prints the kept dumps back.
. "$top_srcdir/tests/dump_lib.sh"
command -v python3 >/dev/null || { echo "FAIL: python3 is needed to parse the JSON report"; exit 1; }
waiter_line=$(grep -n 'LINE:waiter' "$top_srcdir/samples/dump_busy.c" | cut -d: -f1)

# start_busy NAME SECONDS: dump_busy under `lockscope run`, JSON to
# $WORK/NAME.json; sets $runner (lockscope run) and $target (dump_busy).
start_busy() {
	timeout -k 5 60 "$LOCKSCOPE" run --format=json --output="$WORK/$1.json" -- "$SAMPLES/dump_busy" 4 "$2" \
		>"$WORK/$1.out" 2>"$WORK/$1.err" &
	runner=$!
	target=
	for _ in $(seq 200); do
		target=$(awk '/^dump_busy: ready/ { print $3 }' "$WORK/$1.out" 2>/dev/null)
		[ -n "$target" ] && break
		sleep 0.05
	done
	[ -n "$target" ] || { fail "$1: dump_busy did not start"; finish; }
}

# wait_for FILE REGEX WHAT
wait_for() {
	for _ in $(seq 200); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$3 (no /$2/ in $1)"
}

# The kept dumps of a report, one line per fact, for expect.
summarize() { # JSON OUT
	python3 - "$1" >"$2" 2>&1 <<'PY' || fail "$1 parses"
import datetime, json, re, sys
r = json.load(open(sys.argv[1]))
def utc(t):  # "2024-05-01T12:34:56.789Z", a real date
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", t)) and \
        datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").year >= 2020
print("reason", r["reason"])
print("threads with stacks", sum(1 for t in r["threads"] if t["stack"]))
print("dumps", len(r["dumps"]), "omitted", r.get("dumps_omitted", 0))
for d in r["dumps"]:
    print("dump", d["number"], d["reason"], "|", d["headline"], "|", len(d["threads"]), "threads",
          "uptime", d["uptime_seconds"] > 0, "time", utc(d["time"]))
    for t in d["threads"]:
        for f in t["stack"]:
            if f["function"] in ("shutdown_waiter", "counting_worker", "main"):
                print("frame", t["tid"], f["function"], (f["file"] or "").split("/")[-1], f["line"])
PY
}

# expect_busy_dump SUMMARY TEXT WHAT: the SIGQUIT dump of dump_busy's 5
# threads, with function and file:line, in the JSON and in its rendering.
expect_busy_dump() {
	expect "$1" '^threads with stacks 0$' "$3: the last report's own threads have no stacks"
	expect "$1" '^dumps 1 omitted 0$' "$3: one dump kept"
	expect "$1" '^dump 1 signal SIGQUIT \| lockscope: thread dump requested by SIGQUIT \| 5 threads uptime True time True$' \
		"$3: the kept dump: number, reason, headline, threads, times"
	expect "$1" "^frame [0-9]+ shutdown_waiter dump_busy.c $waiter_line\$" "$3: the waiter's frame"
	expect "$1" '^frame [0-9]+ counting_worker dump_busy.c [0-9]+$' "$3: a worker's frame"
	expect "$1" '^frame [0-9]+ main dump_busy.c [0-9]+$' "$3: main's frame"
	[ "$(grep -c ' counting_worker ' "$1")" -ge 3 ] || fail "$3: every worker's stack is kept"
	expect "$2" '^lockscope: thread dump requested by SIGQUIT$' "$3: lockscope report prints the dump's headline"
	expect "$2" '^  kept dump 1 \(signal SIGQUIT\), [0-9.]+ s after start, at [0-9T:.-]+Z$' "$3: when and why"
	section "$2" '^lockscope: thread dump requested by SIGQUIT' >"$2.dump"
	expect "$2.dump" '^lockscope: thread dump \(5 threads\)$' "$3: every thread printed back"
	expect "$2.dump" 'in condition wait on shutdown_cond \(condvar' "$3: the waiter's state printed back"
	expect "$2.dump" "#[0-9]+ 0x[0-9a-f]+ in shutdown_waiter .*dump_busy.c:$waiter_line\$" "$3: the waiter's frame printed back"
	expect "$2.dump" '#[0-9]+ 0x[0-9a-f]+ in counting_worker .*dump_busy.c:[0-9]+$' "$3: a worker's frame printed back"
}

# --- SIGQUIT, then a normal exit(0)
start_busy exit 3
kill -QUIT "$target"
status=0
wait "$runner" || status=$?
expect_status 0 "SIGQUIT then exit: the program ends normally"
expect "$WORK/exit.err" '^lockscope: thread dump requested by SIGQUIT \(details in the JSON report\)$' "the dump was made"
summarize "$WORK/exit.json" "$WORK/exit.sum"
expect "$WORK/exit.sum" '^reason exit$' "SIGQUIT then exit: the last report is the exit report"
"$LOCKSCOPE" report "$WORK/exit.json" >"$WORK/exit.txt" 2>&1 || fail "lockscope report of the exit report"
expect_busy_dump "$WORK/exit.sum" "$WORK/exit.txt" "SIGQUIT then exit"

# --- SIGQUIT, then SIGTERM (the last report is written by the watchdog)
start_busy term 30
kill -QUIT "$target"
wait_for "$WORK/term.err" '^lockscope: thread dump requested by SIGQUIT' "SIGQUIT then SIGTERM: the dump was made"
kill -TERM "$target"
status=0
wait "$runner" || status=$?
expect_status 143 "SIGQUIT then SIGTERM: the program dies by SIGTERM"
summarize "$WORK/term.json" "$WORK/term.sum"
expect "$WORK/term.sum" '^reason signal SIGTERM$' "SIGQUIT then SIGTERM: the last report is SIGTERM's"
"$LOCKSCOPE" report "$WORK/term.json" >"$WORK/term.txt" 2>&1 || fail "lockscope report of the SIGTERM report"
expect_busy_dump "$WORK/term.sum" "$WORK/term.txt" "SIGQUIT then SIGTERM"
"$LOCKSCOPE" report --format=html "$WORK/term.json" >"$WORK/term.html" 2>&1 || fail "html of the SIGTERM report"
expect "$WORK/term.html" '<h2 id="dump-1">Thread dump 1: signal SIGQUIT <small>5 threads' "html: a section for the dump"
expect "$WORK/term.html" "in shutdown_waiter .*dump_busy.c:$waiter_line\$" "html: the dump's frames"
"$LOCKSCOPE" report --format=folded-dumps "$WORK/term.json" >"$WORK/term.folded" 2>&1 ||
	fail "folded-dumps of the SIGTERM report"
expect "$WORK/term.folded" '^([^ ;]+;)*counting_worker;[^ ]+ 3$' "folded-dumps: the 3 workers' stacks counted together"
expect "$WORK/term.folded" '^([^ ;]+;)*shutdown_waiter;[^ ]+ 1$' "folded-dumps: the waiter's stack"

# --- timer dumps: the first 4 and the last 4 are kept, the others counted
run_ls "$WORK/timer.log" --format=json --output="$WORK/timer.json" --dump-after=0.1 --dump-repeat -- \
	"$SAMPLES/dump_busy" 3 2
expect_status 0 "timer dumps: the program ends normally"
python3 - "$WORK/timer.json" >"$WORK/timer.sum" 2>&1 <<'PY' || fail "timer.json parses"
import json, sys
r = json.load(open(sys.argv[1]))
n = [d["number"] for d in r["dumps"]]
made = len(n) + r.get("dumps_omitted", 0)
print("made", made, "enough", made >= 9)
print("kept", n == [1, 2, 3, 4] + list(range(made - 3, made + 1)))
print("reasons", sorted({d["reason"] for d in r["dumps"]}))
# the first ones were made while the waiter waited (the last ones may come
# while the program ends); every one has stacks
print("stacks", all(any(f["function"] == "shutdown_waiter" for t in d["threads"] for f in t["stack"]) for d in r["dumps"][:4])
      and all(any(t["stack"] for t in d["threads"]) for d in r["dumps"]))
PY
expect "$WORK/timer.sum" '^made [0-9]+ enough True$' "timer dumps: more were made than are kept"
expect "$WORK/timer.sum" '^kept True$' "timer dumps: numbers 1-4 and the last 4 kept"
expect "$WORK/timer.sum" "^reasons \\['timer'\\]$" "timer dumps: their reason"
expect "$WORK/timer.sum" '^stacks True$' "timer dumps: the first ones have the waiter's stack, all have stacks"
"$LOCKSCOPE" report "$WORK/timer.json" >"$WORK/timer.txt" 2>&1 || fail "lockscope report of the timer report"
[ "$(grep -c '^lockscope: thread dump after ' "$WORK/timer.txt")" -eq 8 ] || fail "timer dumps: 8 printed back"
expect "$WORK/timer.txt" '^lockscope: [0-9]+ thread dumps? not kept here \(a process keeps its first 4 and its last 4\)$' \
	"timer dumps: the gap is said"

# --- a dump, then exec: an image that found nothing but made a dump
# writes FILE.exec1 before the next image writes FILE
run_ls "$WORK/exec.log" --format=json --output="$WORK/exec.json" --dump-after=0.3 -- \
	"$SAMPLES/dump_busy" 2 0.8 "$SAMPLES/dump_busy" 2 0.1
expect_status 0 "a dump then exec: the program ends normally"
expect "$WORK/exec.log" '^lockscope: thread dump after 0\.[0-9]+ s \(details in the JSON report\)$' "a dump then exec: the dump"
[ "$(grep -c '^dump_busy: counted' "$WORK/exec.log")" -eq 2 ] || fail "a dump then exec: both images ran"
python3 - "$WORK/exec.json.exec1" "$WORK/exec.json" >"$WORK/exec.sum" 2>&1 <<'PY' || fail "the exec reports parse"
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    print(path.split(".")[-1], "reason", r["reason"], "dumps", [(d["reason"], len(d["threads"]),
          any(f["function"] == "shutdown_waiter" for t in d["threads"] for f in t["stack"])) for d in r["dumps"]])
PY
expect "$WORK/exec.sum" "^exec1 reason exec dumps \\[\\('timer', 3, True\\)\\]\$" "a dump then exec: the dump in FILE.exec1"
expect "$WORK/exec.sum" "^json reason exit dumps \\[\\]\$" "a dump then exec: the next image's own report"
finish
