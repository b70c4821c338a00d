# Python programs that hang, under --hang-timeout=2 --on-hang=exit, on
# Debian's python3 and on CPython 3.12 and 3.13 where installed: a real
# ABBA deadlock between two threading.Lock is reported as a deadlock (and
# as the inversion it is) and the program ends with a non-zero status; a
# ThreadPoolExecutor starved by tasks that wait for their own subtasks is
# a stall (every thread waits on a semaphore used as a signal).
. "$top_srcdir/tests/dump_lib.sh"
. "$top_srcdir/tests/py-common.sh"
[ -x "$DEBIAN_PYTHON" ] || { echo "FAIL: $DEBIAN_PYTHON is missing (install Debian's python3)"; exit 1; }
PY_SAMPLES="$top_srcdir/samples/python"

for py in $(ls_pythons 3.12 3.13); do
	version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	out="$WORK/deadlock-$version.txt"
	run_ls "$out" --hang-timeout=2 --on-hang=exit -- "$py" "$PY_SAMPLES/deadlock.py"
	expect_status 86 "python $version deadlock.py: ended by on_hang=exit"
	expect "$out" '^lockscope: deadlock$' "python $version deadlock headline"
	section "$out" '^lockscope: deadlock$' >"$WORK/cycle-$version.txt"
	expect "$WORK/cycle-$version.txt" 'Cycle of 2 threads' "python $version: two-thread cycle"
	[ "$(grep -c 'holds .* (semaphore 0x[0-9a-f]*) and waits for .* (semaphore 0x[0-9a-f]*), owned by tid [0-9]* (.*), used as a lock$' "$WORK/cycle-$version.txt")" -eq 2 ] ||
		fail "python $version: each thread holds one lock and waits for the other's"
	expect "$out" '^lockscope: lock-order inversion \(potential deadlock\)$' "python $version: the inversion reported too"
	expect_not "$out" 'deadlock.py: finished' "python $version: the program did not finish"
	expect "$WORK/cycle-$version.txt" 'holds left \(deadlock.py:10\) .* waits for right \(deadlock.py:11\)' "python $version: the locks named by their Python lines"
	expect "$WORK/cycle-$version.txt" '\[python\] in worker .*deadlock.py:16$' "python $version: where each lock was taken, in Python"
	expect "$out" 'Thread worker \(tid [0-9]+\): waiting on semaphore, used as a lock, initialized at deadlock.py:1[01], blocked on (left|right)' "python $version: thread states name where the lock was made"
	expect "$out" '\[python\] in worker .*deadlock.py:18$' "python $version: each thread blocked at deadlock.py:18"
	expect_not "$out" '^lockscope: (stall|hang)$' "python $version: no stall or hang on top of the deadlock"

	out="$WORK/pool-$version.txt"
	run_ls "$out" --hang-timeout=2 --on-hang=exit -- "$py" "$PY_SAMPLES/pool_starvation.py"
	expect_status 86 "python $version pool_starvation.py: ended by on_hang=exit"
	expect "$out" '^lockscope: stall$' "python $version stall headline"
	expect_not "$out" '^lockscope: (deadlock|hang|hold-and-wait)$' "python $version: nothing but the stall"
	section "$out" '^lockscope: stall$' >"$WORK/stall-$version.txt"
	[ "$(grep -c '^  Thread T[0-9]* (.*) waits for .* (semaphore 0x[0-9a-f]*), used as a signal, .*, for [0-9.]* s$' "$WORK/stall-$version.txt")" -eq 3 ] ||
		{ fail "python $version: the main thread and both workers wait on signals"; sed 's/^/    | /' "$WORK/stall-$version.txt"; }
	expect "$WORK/stall-$version.txt" 'was made at:' "python $version: where each semaphore was made"
	expect "$out" 'waiting on semaphore, used as a signal' "python $version: thread states in the dump"
	expect_not "$out" 'pool_starvation.py: [0-9]' "python $version: the program did not finish"
	# each worker's waiter was made by its parent task's result(), main's by its own
	[ "$(grep -c '^  Thread T[0-9]* (.*) waits for semaphore made at .*, from pool_starvation.py:24 ' "$WORK/stall-$version.txt")" -eq 2 ] ||
		fail "python $version: both workers wait on a waiter made at pool_starvation.py:24 (parent)"
	expect "$WORK/stall-$version.txt" 'waits for semaphore made at .*, from pool_starvation.py:28 ' "python $version: main waits on a waiter made at :28"
	expect "$out" '\[python\] in parent .*pool_starvation.py:24$' "python $version: the parent task's Python frame in the dump"
done
finish
