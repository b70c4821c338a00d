# Cost of Python frames in captured stacks: takes a lock with two
# arguments under `depth` nested Python calls (a service's request handler
# a few layers down), where tests/libpyprobe.so times the captures
# (scripts/bench-python.sh).
import sys
import threading

lock = threading.Lock()


def nested(depth):
    if depth:
        return nested(depth - 1)
    lock.acquire(True, -1)
    lock.release()


nested(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
