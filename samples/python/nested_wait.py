# Frames sample: threads that block at known Python lines, under nested
# functions, a method and a generator, for dumps (--dump-after, SIGQUIT)
# and `lockscope stack -p` (tests/py_frames.sh).
import os
import sys
import threading
import time

gate = threading.Lock()
gate.acquire()  # never released: the workers block on it forever


class Worker:
    def run(self):
        self.wait_at_gate()

    def wait_at_gate(self):
        gate.acquire()  # LINE:worker-wait


def outer():
    def inner():
        time.sleep(3600)  # LINE:main-sleep
    inner()


def ticks():
    while True:
        yield gate.acquire()  # LINE:generator-wait


def consume():
    for _ in ticks():
        pass


threading.Thread(target=Worker().run, name="worker").start()
threading.Thread(target=consume, name="consumer").start()
print("ready", os.getpid(), flush=True)
sys.stdout.flush()
outer()
