/* report_render.h — the graphical/tool-oriented writers of an ls_report
 * (dot, folded stacks, html) and the lock-order graph two of them draw.
 *
 * Contract: like the writers of report.h, each reads the report only and
 * returns 0 on success, -1 on an I/O error.  Any report the JSON reader
 * accepts renders without crashing, whatever its strings contain: each
 * writer escapes for its own output language.
 */
#ifndef LOCKSCOPE_REPORT_RENDER_H
#define LOCKSCOPE_REPORT_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report.h"
#include "report/report_format.h"

/* Graphviz digraph of the lock-order graph: one node per lock, one edge per
 * lock_order entry (and per inversion edge), inversion edges red and bold. */
int ls_report_write_dot(const ls_report *r, FILE *out);
/* Folded stacks ("outer;...;inner WAIT_NS" lines) of the wait time of every
 * lock call site, for flamegraph.pl and speedscope. */
int ls_report_write_folded(const ls_report *r, FILE *out);
/* Folded stacks ("outer;...;inner COUNT") of the threads of every kept
 * dump (and of threads[] when they have stacks and are not the last dump
 * again): one sample per thread per dump, identical stacks counted once. */
int ls_report_write_folded_dumps(const ls_report *r, FILE *out);
/* One self-contained HTML page: summary, findings, sortable tables and the
 * lock-order graph as inline SVG.  No network fetch, no external file. */
int ls_report_write_html(const ls_report *r, FILE *out);

/* The lock-order graph: one node per distinct lock (by address, then name)
 * among the lock_order edges and the inversion cycles, one edge per
 * distinct (held, acquired) pair, in_inversion if any source said so. */
typedef struct ls_graph_edge {
	size_t from, to;
	bool in_inversion;
} ls_graph_edge;

typedef struct ls_lock_graph {
	const ls_lock_ref **nodes;
	size_t n_nodes;
	ls_graph_edge *edges;
	size_t n_edges;
} ls_lock_graph;

/* Returns 0, or -1 on ENOMEM (g is then empty). */
int ls_lock_graph_build(const ls_report *r, ls_lock_graph *g);
void ls_lock_graph_free(ls_lock_graph *g);

#endif
