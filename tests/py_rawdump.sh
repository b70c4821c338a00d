#!/bin/sh
# py_rawdump.sh — the signal-handler side of Python frames: what a dump
# handler stores (raw code-object words in place of the evaluation loop's
# frames, core/py_stack.h) and what the crash path's raw writer prints from
# them inside the handler, with stack buffers only.  tests/libpyprobe.so
# raises SIGUSR2 in each CPython lock call (sem_trywait) of tests/py/argc.py
# and does both in the handler.  Debian's python3 always; 3.12 where
# installed (3.13 no longer takes threading.Lock with sem_trywait).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/py-common.sh"
ls_setup
ls_probe_setup

# The raw dump (between "raw" and "end") after mark $1.
raw_after_mark() {
	awk -v m="mark $1" '$0 == m { on = 1; next } on && /^raw$/ { raw = 1; next } raw && /^end$/ { exit } raw' "$out"
}

for py in $(ls_pythons 3.12); do
	out="$LS_WORK/raw-$(basename "$py").out"
	LS_PROBE_RAW=1 LS_PROBE_FD=3 LD_PRELOAD="$probe" timeout 60 "$py" "$script" 3>"$out" ||
		RUN_ERR="$out" ls_fail "$py $script failed"
	raw_after_mark with >"$LS_WORK/with.raw"
	# the Python frames, innermost first, right where the evaluation loop was
	grep -A1 '\[python\] in nested_with ' "$LS_WORK/with.raw" | tr -s ' ' >"$LS_WORK/with.pair"
	grep -Eq "^ #[0-9]+ \[python\] in nested_with .*/argc.py:16\$" "$LS_WORK/with.pair" &&
		grep -Eq "^ #[0-9]+ \[python\] in <module> .*/argc.py:26\$" "$LS_WORK/with.pair" ||
		RUN_ERR="$LS_WORK/with.raw" ls_fail "$py: raw dump of 'with lock:' lacks nested_with argc.py:16 then <module> argc.py:26"
	# native frames keep the raw writer's module+offset form
	grep -Eq '#0 0x[0-9a-f]{16} in \(' "$LS_WORK/with.raw" ||
		RUN_ERR="$LS_WORK/with.raw" ls_fail "$py: the native frames are not module+offset"
	raw_after_mark generator >"$LS_WORK/gen.raw"
	grep -Eq '\[python\] in via_generator .*/argc.py:22$' "$LS_WORK/gen.raw" ||
		RUN_ERR="$LS_WORK/gen.raw" ls_fail "$py: raw dump in a generator lacks via_generator argc.py:22"
	ls_pass "$py: raw dump from a signal handler"
done
