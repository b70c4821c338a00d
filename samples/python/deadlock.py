"""deadlock.py - a real ABBA deadlock between two threading.Lock objects.

Each thread takes its first lock, waits until the other has taken its
own, then asks for the other's: both block forever.  Run it under
`lockscope run --hang-timeout=2 --on-hang=exit`: the deadlock is reported
and the program ends with a non-zero status instead of hanging.
"""
import threading

left = threading.Lock()
right = threading.Lock()
both_hold = threading.Barrier(2)


def worker(first, second):
    with first:
        both_hold.wait()
        with second:
            pass


threads = [threading.Thread(target=worker, args=(left, right), name="left-right"),
           threading.Thread(target=worker, args=(right, left), name="right-left")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("deadlock.py: finished (it should not)")
