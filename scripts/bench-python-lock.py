# One run of N `with lock:` on a threading.Lock, for scripts/bench.sh: on
# CPython 3.11 and 3.12 each is a sem_trywait and a sem_post (the
# interpreter's uncontended lock).  Prints "python-with CPU_NS WALL_NS",
# the CPU time of this thread and the wall-clock time per iteration of
# the loop alone (the interpreter's and the shim's start-up and exit are
# not in it).
import sys
import threading
import time

lock = threading.Lock()


def run(n):
    for _ in range(n):
        with lock:
            pass


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
run(1000)  # the shim's first sight of each call: its slow path
cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
run(n)
cpu, wall = time.thread_time_ns() - cpu, time.perf_counter_ns() - wall
print("python-with %.3f %.3f" % (cpu / n, wall / n))
