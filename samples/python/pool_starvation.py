"""pool_starvation.py - a thread pool starved by its own tasks.

A ThreadPoolExecutor with two workers runs two parent tasks; each submits
a subtask to the same pool and waits for its result.  The subtasks sit in
the queue behind the parents, which never finish: every thread waits (the
workers on their futures, the main thread on the parents') and none can
wake another.  No lock cycle: a stall.  (The parents start their
subtasks only once both are running, so that neither can finish before
the other has taken the second worker.)
"""
import threading
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(max_workers=2)
both_running = threading.Barrier(2)


def subtask(n):
    return n * n


def parent(n):
    both_running.wait()
    return pool.submit(subtask, n).result()


futures = [pool.submit(parent, n) for n in range(2)]
print("pool_starvation.py: %d (it should not finish)" % sum(f.result() for f in futures))
