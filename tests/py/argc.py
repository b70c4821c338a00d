# Takes one threading.Lock in each way the shim must tell apart, writing a
# mark before each to the probe's descriptor (tests/py_argc.sh).
import os
import threading

fd = int(os.environ["LS_PROBE_FD"])
lock = threading.Lock()


def mark(what):
    os.write(fd, ("mark " + what + "\n").encode())


def nested_with():
    mark("with")
    with lock:
        pass


def via_generator():
    mark("generator")
    yield lock.acquire()
    lock.release()


nested_with()
mark("acquire")
lock.acquire()
lock.release()
mark("acquire-false")
lock.acquire(False)
lock.release()
mark("acquire-timeout")
lock.acquire(timeout=1)
lock.release()
mark("acquire-blocking-true")
lock.acquire(True, 2)
lock.release()
for _ in via_generator():
    pass
mark("end")
