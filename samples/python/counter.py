"""counter.py - 50 threads incrementing a counter under one threading.Lock.

Each thread takes counter_lock 2000 times, and the main thread takes it
once to hold the workers back while they start: 100001 acquisitions, some
of them contended (every worker that reached the lock while the main
thread held it waited), and nothing wrong.  Expected: the lock's
acquisition count exact, contention shown, no finding.
"""
import threading
import time

THREADS = 50
ROUNDS = 2000

counter_lock = threading.Lock()
counter = 0


def increment():
    global counter
    for _ in range(ROUNDS):
        with counter_lock:
            counter += 1


threads = [threading.Thread(target=increment, name="incr-%d" % i) for i in range(THREADS)]
with counter_lock:
    for t in threads:
        t.start()
    time.sleep(0.2)
for t in threads:
    t.join()
print("counter.py: %d" % counter)
