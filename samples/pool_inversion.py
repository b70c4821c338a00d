"""pool_inversion — a worker pool whose worker finds a lock-order inversion.

usage: pool_inversion.py pool|executor fork|spawn LIBINVERT.so

Four workers (multiprocessing.Pool or concurrent.futures.ProcessPoolExecutor,
with the given start method) run eight tasks; task 2 calls invert() of the
sample library through ctypes (a C-level inversion in that worker).  The
Pool is left through its context manager, which ends the workers with
SIGTERM (Pool.terminate); the executor's workers end when shut down.
Prints the pid of the worker that found the inversion.
"""
import concurrent.futures
import ctypes
import multiprocessing
import os
import sys


def task(args):
    number, library = args
    if number == 2:
        ctypes.CDLL(library).invert()
        return os.getpid()
    return 0


def main():
    kind, method, library = sys.argv[1:4]
    context = multiprocessing.get_context(method)
    tasks = [(n, library) for n in range(8)]
    if kind == "pool":
        with context.Pool(4) as pool:
            found = [pid for pid in pool.map(task, tasks) if pid]
    else:
        with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as executor:
            found = [pid for pid in executor.map(task, tasks) if pid]
    print("pool_inversion: %s %s: worker %d found the inversion, parent %d"
          % (kind, method, found[0], os.getpid()), flush=True)


if __name__ == "__main__":
    main()
