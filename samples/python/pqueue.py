"""pqueue.py - a bounded queue.PriorityQueue, 4 producers and 2 consumers.

The producers block when the queue is full and the consumers when it is
empty: the queue's lock is contended, and nothing is wrong.  Expected:
contention statistics, no finding.
"""
import queue
import threading

PRODUCERS = 4
CONSUMERS = 2
ITEMS = 2000

jobs = queue.PriorityQueue(maxsize=8)
done = []
done_lock = threading.Lock()


def producer(base):
    for i in range(ITEMS):
        jobs.put((i % 7, base + i))


def consumer():
    count = 0
    while True:
        priority, item = jobs.get()
        if item is None:
            break
        count += 1
    with done_lock:
        done.append(count)


consumers = [threading.Thread(target=consumer, name="consumer-%d" % i) for i in range(CONSUMERS)]
producers = [threading.Thread(target=producer, args=(i * ITEMS,), name="producer-%d" % i)
             for i in range(PRODUCERS)]
for t in consumers + producers:
    t.start()
for t in producers:
    t.join()
for _ in consumers:
    jobs.put((99, None))
for t in consumers:
    t.join()
print("pqueue.py: %d items consumed" % sum(done))
