/* py_names.h — names for what a Python program made: locks and threads.
 *
 * Contract: works on symbolized stacks (frames of language "python",
 * symbols/frame.h) of a report being produced in the program's own process
 * (source files are read from the paths CPython recorded, relative ones
 * from the current directory).  Never called from a signal handler.
 *
 * A lock whose init stack has Python frames is named where Python made it:
 * the innermost Python frame outside threading.py (whose RLock(),
 * Condition(), Event()... make locks for their callers), and the name it
 * was assigned to when that source line reads `NAME = ...` or
 * `self.NAME = ...`:
 *     "lock_a (abba.py:7)", "self.lock (bank.py:12)",
 *     "lock made at pool.py:30" (no assignment on the line),
 * and, when that frame is in Python's own library, the first frame of the
 * program's code that led there:
 *     "self.mutex (queue.py:35, from app.py:12)".
 * A thread whose OS name is just the program's (CPython 3.11-3.13 do not
 * name threads) is named after its Thread's target: the function
 * threading's run() called, or the run() method a Thread subclass
 * defines ("worker", "Consumer.run").
 */
#ifndef LOCKSCOPE_PY_NAMES_H
#define LOCKSCOPE_PY_NAMES_H

#include "report/report.h"

/* The name of a lock made by Python code (malloc'd), or NULL when its
 * init stack has no Python frame. */
char *ls_python_lock_name(const ls_stack *init_stack, const char *kind);

/* The Thread target a stack runs (malloc'd), or NULL when the stack is not
 * that of a threading.Thread (or too short to tell). */
char *ls_python_thread_target(const ls_stack *stack);

/* Renames, in r, the threads (and inversion edges and deadlock entries of
 * the same threads) named `program_comm` (or unnamed) whose stacks show a
 * Thread target. */
void ls_report_name_python_threads(ls_report *r, const char *program_comm);

/* The assignment target of a Python source line ("lock_a" in
 * "lock_a = threading.Lock()", "self.x" in "self.x: Lock = Lock()"),
 * into buf; false when the line assigns to no simple name. */
bool ls_python_assigned_name(const char *line, char *buf, size_t len);

#endif
