# Contention on a pthread mutex Python code makes and takes through ctypes:
# four threads bump a counter under counter_lock, holding it across a short
# sleep, for `lockscope top` to show a Python lock name and Python call
# sites (tests/py_top.sh).  Argument: seconds to run (default 30).
import ctypes
import sys
import threading
import time

libc = ctypes.CDLL(None)
counter_lock = ctypes.create_string_buffer(40)
libc.pthread_mutex_init(counter_lock, None)  # LINE:init
counter = 0
stop = time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 30)


def bump():
    global counter
    libc.pthread_mutex_lock(counter_lock)  # LINE:lock
    counter += 1
    time.sleep(0.001)
    libc.pthread_mutex_unlock(counter_lock)


def worker():
    while time.monotonic() < stop:
        bump()


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counted", counter)
