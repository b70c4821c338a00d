/* pyattach.h — Python frames in a snapshot of another process.
 *
 * Contract: ls_proc_python_open finds the CPython interpreter of the
 * snapshot's process through its modules' symbol tables (before the
 * threads are stopped: it costs them nothing); ls_proc_python_merge, while
 * they are stopped, reads each thread's Python frames (matched by native
 * thread id) and puts them in its stack in place of the evaluation loop's
 * frames, as raw words (core/py_stack.h) the symbolizer resolves after the
 * process runs again.  A process without CPython is left alone; an
 * unsupported version keeps its native frames and says so in
 * snap->python.note.
 */
#ifndef LOCKSCOPE_PYATTACH_H
#define LOCKSCOPE_PYATTACH_H

#include "attach/procattach.h"

void ls_proc_python_open(ls_proc_snapshot *snap);
void ls_proc_python_merge(ls_proc_snapshot *snap);

#endif
