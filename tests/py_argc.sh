#!/bin/sh
# py_argc.sh — ls_py_current_call_argc inside CPython's own lock calls.
# tests/libpyprobe.so interposes sem_trywait (CPython 3.11 and 3.12 try
# every threading.Lock acquisition with it first) and reports, at each
# call, the argument count lib/python reads from the calling thread's
# innermost Python frame, and that thread's Python frames.  tests/py/argc.py
# takes one lock `with`, acquire(), acquire(False), acquire(timeout=1),
# acquire(True, 2) and from a generator.  Debian's python3 (3.11) always;
# 3.12 where installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/py-common.sh"
ls_setup
ls_need_debian_python
probe="$top_builddir/tests/.libs/libpyprobe.so"
[ -f "$probe" ] || ls_fail "$probe is not built"
script="$top_srcdir/tests/py/argc.py"

# The first probe line after mark $1 in $out.
after_mark()
{
	awk -v m="mark $1" '$0 == m { on = 1; next } on && /^trywait/ { print; exit }' "$out"
}

expect_after()
{
	line=$(after_mark "$1")
	case $line in
	*"$2"*) ls_pass "$py: $1: $2" ;;
	*) RUN_ERR="$out" ls_fail "$py: after 'mark $1' expected '$2', got: '$line'" ;;
	esac
}

for py in $(ls_pythons 3.12); do
	out="$LS_WORK/argc-$(basename "$py").out"
	LS_PROBE_FD=3 LD_PRELOAD="$probe" timeout 60 "$py" "$script" 3>"$out" ||
		RUN_ERR="$out" ls_fail "$py $script failed"
	grep -q '^status 1 ' "$out" || RUN_ERR="$out" ls_fail "$py: interpreter not supported: $(head -1 "$out")"
	expect_after with "argc=0 runs=1 eval=1 frames=nested_with $script:16 | <module> $script:26*"
	expect_after acquire "argc=0 runs=1 eval=1 frames=<module> $script:28*"
	expect_after acquire-false "argc=1 runs=1 eval=1 frames=<module> $script:31*"
	expect_after acquire-timeout "argc=1 runs=1 eval=1 frames=<module> $script:34*"
	expect_after acquire-blocking-true "argc=2 "
	# the generator runs in its own evaluation loop call under the for loop's
	expect_after generator "argc=0 runs=2 eval=2 frames=via_generator $script:22* | <module> $script:39*"
	[ "$(grep -c '^trywait' "$out")" -ge 6 ] || RUN_ERR="$out" ls_fail "$py: too few probe lines"
done
