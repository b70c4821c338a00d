/* report_render_dot.c — the lock-order graph as a Graphviz digraph. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "report/report_render.h"

/* The inside of a double-quoted dot string: quotes and backslashes escaped,
 * control characters (which dot would reject or misread) replaced. */
static void put_dot_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fputc('\\', out);
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

static void put_dot_string(FILE *out, const char *s)
{
	fputc('"', out);
	put_dot_escaped(out, s);
	fputc('"', out);
}

/* Label: the lock's name, and below it kind and address when it has a name. */
static void put_node(FILE *out, size_t id, const ls_lock_ref *l)
{
	char name[256];
	ls_lock_label(name, sizeof name, l);
	fprintf(out, "  L%zu [label=\"", id);
	put_dot_escaped(out, name);
	if (l->name) {
		fputs("\\n", out);
		put_dot_escaped(out, l->kind ? l->kind : "lock");
		fprintf(out, " 0x%" PRIx64, l->address);
	}
	fputs("\"];\n", out);
}

int ls_report_write_dot(const ls_report *r, FILE *out)
{
	ls_lock_graph g;
	if (ls_lock_graph_build(r, &g) != 0)
		return -1;
	char title[512];
	if (r->n_merged_from)
		snprintf(title, sizeof title, "lock order of %zu reports of %s: red edges close an inversion",
			 r->n_merged_from, r->program ? r->program : "several programs");
	else
		snprintf(title, sizeof title, "lock order of %s (pid %" PRId64 "): red edges close an inversion",
			 r->program ? r->program : "unknown program", r->pid);
	fputs("digraph lock_order {\n  graph [label=", out);
	put_dot_string(out, title);
	fputs(", labelloc=t, rankdir=LR];\n"
	      "  node [shape=box, style=rounded, fontname=\"monospace\"];\n"
	      "  edge [color=gray40];\n",
	      out);
	for (size_t i = 0; i < g.n_nodes; i++)
		put_node(out, i, g.nodes[i]);
	for (size_t i = 0; i < g.n_edges; i++)
		fprintf(out, "  L%zu -> L%zu%s;\n", g.edges[i].from, g.edges[i].to,
			g.edges[i].in_inversion ? " [color=red, penwidth=2.5, style=bold]" : "");
	fputs("}\n", out);
	ls_lock_graph_free(&g);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
