# lib.sh — shared helpers for the integration tests (sourced, not run).
#
# A test sources this file, calls ls_setup, runs programs under the shim
# with ls_run and asserts on what they reported.  Every assertion prints
# what was expected and what came, and exits non-zero on the first failure.
# A missing tool is a failure, never a skip.  Programs run under
# `timeout`, so a hung test ends; the scratch directory goes at exit.

ls_fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	if [ -n "${RUN_ERR:-}" ] && [ -f "$RUN_ERR" ]; then
		printf -- '--- stderr of the last run (%s) ---\n' "$RUN_ERR" >&2
		head -n 80 "$RUN_ERR" >&2
		printf -- '--- end ---\n' >&2
	fi
	exit 1
}

ls_pass() { printf 'ok: %s\n' "$*"; }

ls_need()
{
	command -v "$1" >/dev/null 2>&1 || ls_fail "required tool '$1' is not installed"
}

ls_cleanup()
{
	[ -n "${LS_WORK:-}" ] && rm -rf "$LS_WORK"
}

# Checks the build is there and makes the scratch directory $LS_WORK.
ls_setup()
{
	: "${top_builddir:?top_builddir is not set (run through make check)}"
	: "${top_srcdir:?top_srcdir is not set (run through make check)}"
	ls_need python3
	ls_need timeout
	LOCKSCOPE="$top_builddir/tools/lockscope"
	SAMPLES="$top_builddir/samples"
	[ -x "$LOCKSCOPE" ] || ls_fail "$LOCKSCOPE is not built"
	[ -n "${LOCKSCOPE_PRELOAD:-}" ] && [ -f "$LOCKSCOPE_PRELOAD" ] ||
		ls_fail "the shim is missing (LOCKSCOPE_PRELOAD='${LOCKSCOPE_PRELOAD:-}')"
	export LOCKSCOPE_PRELOAD
	unset LOCKSCOPE_OPTIONS
	LS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/lockscope-it.XXXXXX") || ls_fail "mktemp failed"
	trap ls_cleanup EXIT
	trap 'exit 130' INT TERM
}

# ls_run NAME [lockscope run flags] -- PROG [ARGS]
# Runs `lockscope run` with a time limit; stdout and stderr go to
# $RUN_OUT and $RUN_ERR ($LS_WORK/NAME.out, .err), the status to
# $RUN_STATUS.  Running out of time is a failure.
ls_run()
{
	name=$1
	shift
	RUN_OUT="$LS_WORK/$name.out"
	RUN_ERR="$LS_WORK/$name.err"
	RUN_STATUS=0
	timeout -k 5 "${LS_TIMEOUT:-60}" "$LOCKSCOPE" run "$@" >"$RUN_OUT" 2>"$RUN_ERR" || RUN_STATUS=$?
	case $RUN_STATUS in
	124 | 137) ls_fail "$name: timed out after ${LS_TIMEOUT:-60}s: lockscope run $*" ;;
	esac
}

ls_expect_status()
{
	[ "$RUN_STATUS" -eq "$1" ] ||
		ls_fail "${2:-exit status}: expected status $1, got $RUN_STATUS"
}

# ls_expect_line FILE TEXT [WHAT]: some line of FILE contains TEXT (fixed string).
ls_expect_line()
{
	grep -F -q -- "$2" "$1" ||
		ls_fail "${3:-output}: expected a line containing '$2' in $(basename "$1")"
}

# ls_expect_count FILE TEXT N [WHAT]: exactly N lines of FILE contain TEXT.
ls_expect_count()
{
	got=$(grep -F -c -- "$2" "$1")
	[ "$got" -eq "$3" ] ||
		ls_fail "${4:-output}: expected $3 line(s) containing '$2' in $(basename "$1"), got $got"
}

# ls_expect_summary FILE N [PID]: the text report's summary line says N
# inversions (for process PID when given), and there is exactly one such
# summary line for that process.
ls_expect_summary()
{
	pattern='^lockscope: [0-9]+ inversions?, '
	[ $# -ge 3 ] && pattern="$pattern.*\\(pid $3\\)\$"
	lines=$(grep -E -c -- "$pattern" "$1")
	[ "$lines" -eq 1 ] ||
		ls_fail "expected one summary line 'lockscope: N inversion(s), ...${3:+ (pid $3)}' in $(basename "$1"), got $lines"
	got=$(grep -E -- "$pattern" "$1" | sed -E 's/^lockscope: ([0-9]+) inversions?,.*/\1/')
	[ "$got" = "$2" ] ||
		ls_fail "summary${3:+ of pid $3}: expected $2 inversion(s), got $got ($(grep -E -- "$pattern" "$1"))"
}

# ls_json FILE EXPR: prints the Python expression EXPR evaluated with the
# report loaded as `d` (for example "len(d['inversions'])").
ls_json()
{
	python3 -c '
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
print(eval(sys.argv[2]))' "$1" "$2" || ls_fail "cannot evaluate $2 on $1"
}

# ls_expect_json FILE EXPR EXPECTED: the value of EXPR printed is EXPECTED.
ls_expect_json()
{
	got=$(ls_json "$1" "$2")
	[ "$got" = "$3" ] || ls_fail "$(basename "$1"): expected $2 == $3, got $got"
}

# ls_expect_cycle text|json FILE INDEX EDGE...
# Inversion number INDEX (from 0) of the report in FILE has exactly these
# edges, in any order.  An EDGE is
#     HELD>ACQUIRED@FUNCTION:FILE:LINE@FUNCTION:FILE:LINE
# naming the lock held and the lock acquired, then the innermost frame of
# the held lock's stack and of the acquisition's stack (FILE compares by
# basename; LINE may be * for any).
ls_expect_cycle()
{
	python3 - "$@" <<'PYEOF' || ls_fail "inversion $3 in $(basename "$2") is not the expected cycle"
import json, os, re, sys

fmt, path, index, specs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]

def parse_spec(spec):
    locks, held_frame, acq_frame = spec.split("@")
    held, acquired = locks.split(">")
    return held, acquired, held_frame, acq_frame

def frame_text(function, file, line):
    return "%s:%s:%s" % (function, os.path.basename(file or "?"), line)

def frame_matches(expected, got):
    ef, efile, eline = expected.split(":")
    gf, gfile, gline = got.split(":")
    return ef == gf and efile == gfile and (eline == "*" or eline == gline)

def text_inversions(text):
    blocks = text.split("lockscope: lock-order inversion (potential deadlock)\n")[1:]
    out = []
    edge_re = re.compile(r"^  Thread T\d+ .*? acquired (.+?) \(\w+ 0x[0-9a-f]+\)(?: for \w+)?"
                         r" while holding (.+?) \(\w+ 0x[0-9a-f]+\)(?: for \w+)?:$")
    frame_re = re.compile(r"^\s+#0 0x[0-9a-f]+ in (\S+) (\S+):(\d+)")
    for block in blocks:
        edges, cycle_len = [], None
        current = None
        for line in block.splitlines():
            if line.startswith("lockscope: "):
                break
            m = re.match(r"^  Cycle of (\d+) locks: ", line)
            if m:
                cycle_len = int(m.group(1))
                continue
            m = edge_re.match(line)
            if m:
                current = {"held": m.group(2), "acquired": m.group(1), "frames": []}
                edges.append(current)
                continue
            m = frame_re.match(line)
            if m and current is not None:
                current["frames"].append(frame_text(m.group(1), m.group(2), m.group(3)))
        result = []
        for e in edges:
            frames = e["frames"] + ["<none>", "<none>"]
            result.append((e["held"], e["acquired"], frames[0], frames[1]))
        if cycle_len is not None and cycle_len != len(result):
            print("the cycle line says %d locks but %d edges are listed" % (cycle_len, len(result)))
            sys.exit(1)
        out.append(result)
    return out

def first_frame(stack):
    if not stack:
        return "<none>"
    f = stack[0]
    return frame_text(f.get("function"), f.get("file"), f.get("line"))

def json_inversions(doc):
    out = []
    for inv in doc["inversions"]:
        out.append([(e["held"].get("name"), e["acquired"].get("name"),
                     first_frame(e.get("held_stack")), first_frame(e.get("acquire_stack")))
                    for e in inv["cycle"]])
    return out

with open(path) as f:
    inversions = json_inversions(json.load(f)) if fmt == "json" else text_inversions(f.read())
if index >= len(inversions):
    print("%s report has %d inversion(s); wanted number %d" % (fmt, len(inversions), index))
    sys.exit(1)
got = inversions[index]
expected = [parse_spec(s) for s in specs]
problems = []
if len(got) != len(expected):
    problems.append("expected %d edges, got %d" % (len(expected), len(got)))
unmatched = list(got)
for held, acquired, hf, af in expected:
    candidates = [g for g in unmatched if g[0] == held and g[1] == acquired]
    if not candidates:
        problems.append("no edge %s -> %s" % (held, acquired))
        continue
    g = candidates[0]
    unmatched.remove(g)
    if not frame_matches(hf, g[2]):
        problems.append("edge %s -> %s: %s held at %s, expected %s" % (held, acquired, held, g[2], hf))
    if not frame_matches(af, g[3]):
        problems.append("edge %s -> %s: %s acquired at %s, expected %s" % (held, acquired, acquired, g[3], af))
if problems:
    print("%s report, inversion %d:" % (fmt, index))
    for p in problems:
        print("  " + p)
    print("  edges reported (held > acquired @ held frame @ acquire frame):")
    for g in got:
        print("    %s > %s @ %s @ %s" % g)
    sys.exit(1)
PYEOF
}

# ls_expect_inversions_text FILE N: N findings in the text report, and the
# summary line agrees.
ls_expect_inversions_text()
{
	ls_expect_count "$1" "lockscope: lock-order inversion (potential deadlock)" "$2" "inversion findings"
	ls_expect_summary "$1" "$2"
}

# ls_expect_inversions_json FILE N
ls_expect_inversions_json()
{
	[ -s "$1" ] || ls_fail "no JSON report at $1"
	ls_expect_json "$1" "len(d['inversions'])" "$2"
}

# ls_run_both NAME -- PROG [ARGS]: runs PROG twice under `lockscope run`,
# once with the text report (stderr: $TEXT_REPORT, stdout: $TEXT_OUT) and
# once with --format=json --output ($JSON_REPORT); both must exit 0.
ls_run_both()
{
	both_name=$1
	shift
	JSON_REPORT="$LS_WORK/$both_name.json"
	ls_run "$both_name-json" --format=json --output="$JSON_REPORT" "$@"
	ls_expect_status 0 "$both_name (JSON run)"
	ls_run "$both_name-text" "$@"
	ls_expect_status 0 "$both_name (text run)"
	TEXT_REPORT=$RUN_ERR
	TEXT_OUT=$RUN_OUT
}

# ls_expect_report N [EDGE...]: both reports of ls_run_both have N
# inversions, and the first one has exactly these edges (see ls_expect_cycle).
ls_expect_report()
{
	expected_n=$1
	shift
	ls_expect_inversions_text "$TEXT_REPORT" "$expected_n"
	ls_expect_inversions_json "$JSON_REPORT" "$expected_n"
	if [ $# -gt 0 ]; then
		ls_expect_cycle text "$TEXT_REPORT" 0 "$@"
		ls_expect_cycle json "$JSON_REPORT" 0 "$@"
	fi
}
