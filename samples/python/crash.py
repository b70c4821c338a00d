# Crash sample: a fatal signal raised from Python code, two calls deep,
# while another thread waits; the crash dump must name the Python
# functions and lines (tests/py_frames.sh).  With "ctypes" as argument the
# crash is a real SIGSEGV in C code called from Python (a NULL read).
import os
import signal
import sys
import threading
import time


def waiter():
    threading.Event().wait()  # LINE:crash-waiter


def explode():
    if sys.argv[1:] == ["ctypes"]:
        import ctypes
        ctypes.string_at(0)  # LINE:crash-ctypes
    os.kill(os.getpid(), signal.SIGSEGV)  # LINE:crash-kill


def handle_request():
    explode()  # LINE:crash-caller


threading.Thread(target=waiter, daemon=True).start()
time.sleep(0.2)
handle_request()
