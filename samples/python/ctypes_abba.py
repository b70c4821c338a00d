# ABBA between two pthread mutexes that Python code makes and takes
# through ctypes (libc's pthread_mutex_* under the shim, Python frames on
# top): one thread takes lock_a then lock_b, the next lock_b then lock_a,
# one after the other, so the program ends but the order is inverted.
# lock_a is made by a C call on an assignment line, as `x = threading.Lock()`
# makes one; lock_b by a helper function the assignment calls.
# (tests/py_names.sh)
import ctypes
import threading

libc = ctypes.CDLL(None)
MUTEX_SIZE = 40  # sizeof(pthread_mutex_t) on x86-64


def new_mutex():
    m = ctypes.create_string_buffer(MUTEX_SIZE)
    libc.pthread_mutex_init(m, None)  # LINE:helper-init
    return m


buf_a = ctypes.create_string_buffer(MUTEX_SIZE)
lock_a = libc.pthread_mutex_init(buf_a, None) or buf_a  # LINE:lock-a
lock_b = new_mutex()  # LINE:lock-b


def take_both(first, second):
    libc.pthread_mutex_lock(first)
    libc.pthread_mutex_lock(second)  # LINE:take-second
    libc.pthread_mutex_unlock(second)
    libc.pthread_mutex_unlock(first)


def forward():
    take_both(lock_a, lock_b)  # LINE:forward


def backward():
    take_both(lock_b, lock_a)  # LINE:backward


for target in (forward, backward):
    t = threading.Thread(target=target)
    t.start()
    t.join()
