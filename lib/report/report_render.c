/* report_render.c — the lock-order graph the dot and html writers draw (report_render.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_render.h"

/* Locks are the same node when their addresses match; locks of unknown
 * address (0) are told apart by name. */
static int compare_locks(const ls_lock_ref *a, const ls_lock_ref *b)
{
	if (a->address != b->address)
		return a->address < b->address ? -1 : 1;
	if (a->address || a->name == b->name)
		return 0;
	if (!a->name || !b->name)
		return a->name ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int compare_lock_ptrs(const void *pa, const void *pb)
{
	return compare_locks(*(const ls_lock_ref *const *)pa, *(const ls_lock_ref *const *)pb);
}

static int compare_graph_edges(const void *pa, const void *pb)
{
	const ls_graph_edge *a = pa, *b = pb;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->to < b->to ? -1 : a->to > b->to;
}

static size_t node_of(const ls_lock_graph *g, const ls_lock_ref *l)
{
	const ls_lock_ref **hit = bsearch(&l, g->nodes, g->n_nodes, sizeof *g->nodes, compare_lock_ptrs);
	return (size_t)(hit - g->nodes);
}

/* Calls visit(ctx, held, acquired, in_inversion) for every edge the report names. */
static void for_each_order_edge(const ls_report *r, void *ctx,
				void (*visit)(void *, const ls_lock_ref *, const ls_lock_ref *, bool))
{
	for (size_t i = 0; i < r->n_order_edges; i++)
		visit(ctx, &r->order_edges[i].held, &r->order_edges[i].acquired, r->order_edges[i].in_inversion);
	for (size_t i = 0; i < r->n_inversions; i++)
		for (size_t j = 0; j < r->inversions[i].n; j++)
			visit(ctx, &r->inversions[i].cycle[j].held, &r->inversions[i].cycle[j].acquired, true);
}

static void collect_nodes(void *ctx, const ls_lock_ref *held, const ls_lock_ref *acquired, bool in_inversion)
{
	ls_lock_graph *g = ctx;
	g->nodes[g->n_nodes++] = held;
	g->nodes[g->n_nodes++] = acquired;
}

static void collect_edges(void *ctx, const ls_lock_ref *held, const ls_lock_ref *acquired, bool in_inversion)
{
	ls_lock_graph *g = ctx;
	g->edges[g->n_edges++] = (ls_graph_edge){ node_of(g, held), node_of(g, acquired), in_inversion };
}

/* Sorts and merges duplicates: nodes keep the first of equal locks, edges
 * OR their in_inversion flags. */
static void unique_nodes(ls_lock_graph *g)
{
	size_t kept = 0;
	qsort(g->nodes, g->n_nodes, sizeof *g->nodes, compare_lock_ptrs);
	for (size_t i = 0; i < g->n_nodes; i++)
		if (kept == 0 || compare_locks(g->nodes[kept - 1], g->nodes[i]) != 0)
			g->nodes[kept++] = g->nodes[i];
	g->n_nodes = kept;
}

static void unique_edges(ls_lock_graph *g)
{
	size_t kept = 0;
	qsort(g->edges, g->n_edges, sizeof *g->edges, compare_graph_edges);
	for (size_t i = 0; i < g->n_edges; i++) {
		if (kept && compare_graph_edges(&g->edges[kept - 1], &g->edges[i]) == 0)
			g->edges[kept - 1].in_inversion |= g->edges[i].in_inversion;
		else
			g->edges[kept++] = g->edges[i];
	}
	g->n_edges = kept;
}

int ls_lock_graph_build(const ls_report *r, ls_lock_graph *g)
{
	size_t n_edges = r->n_order_edges;
	for (size_t i = 0; i < r->n_inversions; i++)
		n_edges += r->inversions[i].n;
	*g = (ls_lock_graph){ 0 };
	if (n_edges == 0)
		return 0;
	g->nodes = calloc(2 * n_edges, sizeof *g->nodes);
	g->edges = calloc(n_edges, sizeof *g->edges);
	if (!g->nodes || !g->edges) {
		ls_lock_graph_free(g);
		return -1;
	}
	for_each_order_edge(r, g, collect_nodes);
	unique_nodes(g);
	for_each_order_edge(r, g, collect_edges);
	unique_edges(g);
	return 0;
}

void ls_lock_graph_free(ls_lock_graph *g)
{
	free(g->nodes);
	free(g->edges);
	*g = (ls_lock_graph){ 0 };
}
