"""correct_sync.py - Condition, Event, Barrier, RLock and Semaphore used correctly.

A producer and consumers hand items over through a Condition; an Event
starts the workers; a Barrier separates two phases; an RLock is taken
recursively and around a Condition wait; a Semaphore bounds how many
workers use a resource at once; a ThreadPoolExecutor runs independent
tasks and a bounded Queue feeds a worker.  At the end the pool's
workers idle and a consumer waits with a timeout while the main thread
sleeps for 1.5 s: none of them is stuck (a sleeping thread is not in a
synchronisation wait, a timed wait's deadline is ahead), so even with a
hang timeout of 1 s nothing may be reported.  Nothing here can deadlock:
no inversion, no deadlock, no hang and no stall may be reported.
"""
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

WORKERS = 4
ITEMS = 200

items = []
items_cond = threading.Condition()
go = threading.Event()
phase = threading.Barrier(WORKERS)
slots = threading.Semaphore(2)
stats_lock = threading.RLock()
stats = {"consumed": 0, "in_resource": 0, "max_in_resource": 0}
finished = False


def record(key, n=1):
    with stats_lock:
        with stats_lock:
            stats[key] += n


def use_resource():
    with slots:
        with stats_lock:
            stats["in_resource"] += 1
            stats["max_in_resource"] = max(stats["max_in_resource"], stats["in_resource"])
        with stats_lock:
            stats["in_resource"] -= 1


def consumer():
    go.wait()
    while True:
        with items_cond:
            while not items and not finished:
                items_cond.wait()
            if not items:
                break
            items.pop()
        record("consumed")
        use_resource()
    phase.wait()
    use_resource()


def producer():
    global finished
    go.set()
    for i in range(ITEMS):
        with items_cond:
            items.append(i)
            items_cond.notify()
    with items_cond:
        finished = True
        items_cond.notify_all()


def rlock_condition():
    cond = threading.Condition(stats_lock)
    ready = []

    def waiter():
        with cond:
            while not ready:
                cond.wait(timeout=5)

    t = threading.Thread(target=waiter, name="rlock-waiter")
    t.start()
    with cond:
        ready.append(True)
        cond.notify()
    t.join()


def pool_and_queue():
    with ThreadPoolExecutor(max_workers=3) as pool:
        total = sum(pool.map(lambda n: n * 2, range(50)))
    q = queue.Queue(maxsize=4)

    def drain():
        while q.get() is not None:
            pass

    t = threading.Thread(target=drain, name="drain")
    t.start()
    for i in range(100):
        q.put(i)
    q.put(None)
    t.join()
    return total


def idle_phase():
    results = queue.Queue()

    def patient():
        results.put(results_in.get(timeout=30))

    results_in = queue.Queue()
    waiter = threading.Thread(target=patient, name="patient")
    with ThreadPoolExecutor(max_workers=2) as pool:
        pool.submit(int, 1).result()
        waiter.start()
        time.sleep(1.5)
        results_in.put("late")
    waiter.join()
    return results.get()


threads = [threading.Thread(target=consumer, name="consumer-%d" % i) for i in range(WORKERS)]
for t in threads:
    t.start()
producer()
for t in threads:
    t.join()
rlock_condition()
total = pool_and_queue()
late = idle_phase()
print("correct_sync.py: consumed %d, at most %d in the resource, pool total %d, %s"
      % (stats["consumed"], stats["max_in_resource"], total, late))
