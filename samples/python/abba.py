"""abba.py - an ABBA between two threading.Lock objects.

transfer_in takes accounts_lock then audit_lock; audit takes them the
other way round.  The two threads run one after the other, so this run
does not deadlock, but another interleaving would: one lock-order
inversion between the two locks (both semaphores used as locks).
"""
import threading

accounts_lock = threading.Lock()
audit_lock = threading.Lock()
balance = 0
audited = 0


def transfer_in(amount):
    global balance
    with accounts_lock:
        with audit_lock:
            balance += amount


def audit():
    global audited
    with audit_lock:
        with accounts_lock:
            audited = balance


for target, args in ((transfer_in, (5,)), (audit, ())):
    worker = threading.Thread(target=target, args=args, name=target.__name__)
    worker.start()
    worker.join()
print("abba.py: balance %d, audited %d" % (balance, audited))
