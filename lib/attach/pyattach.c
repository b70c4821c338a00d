/* pyattach.c — Python frames in a snapshot of another process (pyattach.h). */
#include "config.h"

#include <stdlib.h>

#include "attach/pyattach.h"
#include "symbols/pysymbols.h"

#define MAX_PYTHON_THREADS 4096
#define MAX_PYTHON_FRAMES 1024

void ls_proc_python_open(ls_proc_snapshot *snap)
{
	ls_py_interp_open_dwfl(&snap->python, snap->dwfl, snap->pid, NULL);
}

/* Replaces t's evaluation-loop frames by the Python frames at tstate. */
static void merge_thread(const ls_py_interp *ip, ls_proc_thread *t, uint64_t tstate, ls_py_raw_frame *py)
{
	size_t npy = ls_py_tstate_frames(ip, tstate, py, MAX_PYTHON_FRAMES);
	if (!npy || !t->n_frames)
		return;
	size_t cap = t->n_frames + npy;
	uint64_t *pcs = malloc(cap * sizeof *pcs);
	size_t *origin = malloc(cap * sizeof *origin);
	bool *activation = malloc(cap * sizeof *activation);
	if (pcs && origin && activation) {
		size_t k = ls_py_merge(ip, t->pcs, t->n_frames, py, npy, ls_py_raw_word_of, NULL, pcs, origin, cap);
		/* a Python word is symbolized as is: no return address to back up */
		for (size_t j = 0; j < k; j++)
			activation[j] = ls_py_word_is_python(pcs[j]) || t->is_activation[origin[j]];
		free(t->pcs);
		free(t->is_activation);
		t->pcs = pcs;
		t->is_activation = activation;
		t->n_frames = k;
		pcs = NULL;
		activation = NULL;
	}
	free(pcs);
	free(origin);
	free(activation);
}

void ls_proc_python_merge(ls_proc_snapshot *snap)
{
	const ls_py_interp *ip = &snap->python;
	if (ip->status != LS_PY_SUPPORTED)
		return;
	ls_py_thread_ref *threads = malloc(MAX_PYTHON_THREADS * sizeof *threads);
	ls_py_raw_frame *py = malloc(MAX_PYTHON_FRAMES * sizeof *py);
	size_t n = threads && py ? ls_py_list_threads(ip, threads, MAX_PYTHON_THREADS) : 0;
	for (size_t i = 0; i < snap->n_threads; i++)
		for (size_t j = 0; j < n; j++)
			if (threads[j].tid == snap->threads[i].tid) {
				merge_thread(ip, &snap->threads[i], threads[j].tstate, py);
				break;
			}
	free(threads);
	free(py);
}
