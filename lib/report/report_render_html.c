/* report_render_html.c — one self-contained HTML page of a report.
 *
 * Everything is inline (style, a few lines of script to sort tables, the
 * lock-order graph as SVG laid out here on a circle), so the page can be
 * attached to a CI run and opened offline: no fetch, no external file.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_render.h"

/* Beyond this many locks a circle is unreadable: the page points to dot. */
#define SVG_MAX_NODES 200
#define SVG_MARGIN 190.0
#define NODE_RADIUS 7.0

static const char page_style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"h1 small{font-weight:normal;color:#666}"
	"pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:90%}"
	"table{border-collapse:collapse;font-size:90%}"
	"th,td{border:1px solid #ccc;padding:.2em .5em}"
	"th{background:#eee;cursor:pointer;user-select:none}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".bad{color:#b00;font-weight:bold}"
	"svg text{font:11px monospace}";

/* Sorts a table on a click of its header; numbers sort by data-v. */
static const char sort_script[] =
	"for(const th of document.querySelectorAll('table.sortable th'))"
	"th.addEventListener('click',()=>{"
	"const body=th.closest('table').tBodies[0],col=th.cellIndex;"
	"const dir=th.dataset.dir==='desc'?1:-1;th.dataset.dir=dir<0?'desc':'asc';"
	"const key=td=>td.dataset.v!==undefined?Number(td.dataset.v):td.textContent;"
	"const rows=Array.from(body.rows).sort((a,b)=>{"
	"const x=key(a.cells[col]),y=key(b.cells[col]);return(x<y?-1:x>y?1:0)*dir;});"
	"for(const r of rows)body.appendChild(r);});";

static void put_html(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(c < 0x20 && c != '\n' ? '?' : c, out);
		}
	}
}

static void put_lock_label_html(FILE *out, const ls_lock_ref *l)
{
	char label[256];
	ls_lock_label(label, sizeof label, l);
	put_html(out, label);
}

/* A table cell holding a duration, sortable by its value in ns. */
static void put_ns_cell(FILE *out, uint64_t ns)
{
	char text[32];
	ls_format_ns(text, sizeof text, ns);
	fprintf(out, "<td class=n data-v=\"%" PRIu64 "\">%s</td>", ns, text);
}

static void put_count_cell(FILE *out, uint64_t n)
{
	fprintf(out, "<td class=n data-v=\"%" PRIu64 "\">%" PRIu64 "</td>", n, n);
}

static void put_header_row(FILE *out, const char *const *columns, size_t n)
{
	fputs("<thead><tr>", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<th>%s</th>", columns[i]);
	fputs("</tr></thead>\n<tbody>\n", out);
}

static void write_summary(FILE *out, const ls_report *r)
{
	fputs("<h1>lockscope report: ", out);
	put_html(out, r->program ? r->program : r->n_merged_from ? "several programs" : "unknown program");
	if (r->n_merged_from)
		fprintf(out, " <small>%zu reports merged", r->n_merged_from);
	else
		fprintf(out, " <small>pid %" PRId64, r->pid);
	if (r->reason) {
		fputs(", reason: ", out);
		put_html(out, r->reason);
	}
	fputs("</small></h1>\n<p>", out);
	fprintf(out, "<span%s>%zu lock-order inversion%s</span>, ", r->n_inversions ? " class=bad" : "",
		r->n_inversions, r->n_inversions == 1 ? "" : "s");
	fprintf(out, "<span%s>%zu deadlock%s or hang%s</span>, ", r->n_deadlocks ? " class=bad" : "", r->n_deadlocks,
		r->n_deadlocks == 1 ? "" : "s", r->n_deadlocks == 1 ? "" : "s");
	if (r->n_loop_stalls)
		fprintf(out, "<span class=bad>%zu event-loop stall%s</span>, ", r->n_loop_stalls,
			r->n_loop_stalls == 1 ? "" : "s");
	if (r->n_dumps)
		fprintf(out, "<a href=\"#dump-1\">%zu thread dump%s</a>, ", r->n_dumps, r->n_dumps == 1 ? "" : "s");
	fprintf(out, "%zu thread%s, %" PRIu64 " lock%s", r->n_threads, r->n_threads == 1 ? "" : "s",
		ls_report_locks_total(r), ls_report_locks_total(r) == 1 ? "" : "s");
	if (ls_report_locks_total(r) > r->n_locks)
		fprintf(out, " (the %zu with the most wait time listed)", r->n_locks);
	fputs(".</p>\n", out);
}

/* What the text writer writes of the report (the findings and threads,
 * or kept dump `dump` when it is not SIZE_MAX), as a malloc'd string; the
 * text report's format, kept in one place.  NULL on ENOMEM. */
static char *text_of(const ls_report *r, size_t dump, size_t *len)
{
	char *text = NULL;
	FILE *mem = open_memstream(&text, len);
	if (!mem)
		return NULL;
	if (dump == SIZE_MAX)
		ls_report_write_text_findings(r, mem);
	else
		ls_report_write_text_dump(r, dump, mem);
	if (fclose(mem) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The text as preformatted HTML (and frees it). */
static void put_pre(FILE *out, char *text)
{
	fputs("<pre>", out);
	put_html(out, text);
	fputs("</pre>\n", out);
	free(text);
}

static int write_findings(FILE *out, const ls_report *r)
{
	if (!r->n_inversions && !r->n_deadlocks && !r->n_loop_stalls && !r->n_threads)
		return 0;
	size_t len = 0;
	char *text = text_of(r, SIZE_MAX, &len);
	if (!text)
		return -1;
	if (!len) {  /* only threads, shown as the last dump */
		free(text);
		return 0;
	}
	fputs("<h2>Findings and threads</h2>\n", out);
	put_pre(out, text);
	return 0;
}

/* One section per kept thread dump, each read as in the text report. */
static int write_dumps(FILE *out, const ls_report *r)
{
	for (size_t i = 0; i < r->n_dumps; i++) {
		const ls_dump *d = &r->dumps[i];
		size_t len = 0;
		char *text = text_of(r, i, &len);
		if (!text)
			return -1;
		fprintf(out, "<h2 id=\"dump-%zu\">Thread dump", i + 1);
		if (d->number)
			fprintf(out, " %" PRIu64, d->number);
		if (d->pid)
			fprintf(out, " of pid %" PRId64, d->pid);
		fputs(": ", out);
		put_html(out, d->reason ? d->reason : "reason unknown");
		fprintf(out, " <small>%zu thread%s, %.3f s after start</small></h2>\n", d->n_threads,
			d->n_threads == 1 ? "" : "s", d->uptime_seconds);
		put_pre(out, text);
	}
	if (r->dumps_omitted)
		fprintf(out, "<p>%" PRIu64 " more thread dump%s made but not kept (a process keeps its first %d and its last %d).</p>\n",
			r->dumps_omitted, r->dumps_omitted == 1 ? "" : "s", LS_DUMPS_KEPT_FIRST, LS_DUMPS_KEPT_LAST);
	return 0;
}

struct point {
	double x, y;
};

/* Where node i of n sits on the circle of radius `radius` around `center`. */
static struct point node_position(size_t i, size_t n, double radius, struct point center)
{
	if (n == 1)
		return center;
	double angle = 2 * M_PI * (double)i / (double)n - M_PI / 2;
	return (struct point){ center.x + radius * cos(angle), center.y + radius * sin(angle) };
}

/* A curved arrow from a to b; the bend makes A->B and B->A two arcs. */
static void put_svg_edge(FILE *out, struct point a, struct point b, bool in_inversion)
{
	double dx = b.x - a.x, dy = b.y - a.y, len = hypot(dx, dy);
	if (len < 1)
		return;
	struct point control = { (a.x + b.x) / 2 - dy * 0.15, (a.y + b.y) / 2 + dx * 0.15 };
	/* Stop at the target's rim, along the direction the curve arrives from. */
	double ex = b.x - control.x, ey = b.y - control.y, elen = hypot(ex, ey);
	struct point end = { b.x - ex / elen * (NODE_RADIUS + 2), b.y - ey / elen * (NODE_RADIUS + 2) };
	fprintf(out, "<path d=\"M%.1f %.1fQ%.1f %.1f %.1f %.1f\" fill=\"none\" %s/>\n", a.x, a.y, control.x, control.y,
		end.x, end.y,
		in_inversion ? "stroke=\"#c00\" stroke-width=\"2.5\" marker-end=\"url(#bad)\" class=\"inversion\""
			     : "stroke=\"#888\" stroke-width=\"1\" marker-end=\"url(#ok)\"");
}

static void put_svg_node(FILE *out, const ls_lock_ref *l, struct point p, struct point center)
{
	bool right = p.x >= center.x;
	double offset = right ? NODE_RADIUS + 4 : -(NODE_RADIUS + 4);
	fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.0f\" fill=\"#dde\" stroke=\"#446\"><title>", p.x, p.y,
		NODE_RADIUS);
	char full[320];
	ls_format_lock(full, sizeof full, l);
	put_html(out, full);
	fprintf(out, "</title></circle>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" dominant-baseline=\"middle\">",
		p.x + offset, p.y, right ? "start" : "end");
	put_lock_label_html(out, l);
	fputs("</text>\n", out);
}

static int write_graph(FILE *out, const ls_report *r)
{
	ls_lock_graph g;
	if (ls_lock_graph_build(r, &g) != 0)
		return -1;
	if (g.n_nodes == 0) {
		ls_lock_graph_free(&g);
		return 0;
	}
	fputs("<h2>Lock-order graph</h2>\n", out);
	if (g.n_nodes > SVG_MAX_NODES) {
		fprintf(out, "<p>%zu locks are too many to draw here: use <code>lockscope report --format=dot</code>.</p>\n",
			g.n_nodes);
		ls_lock_graph_free(&g);
		return 0;
	}
	double radius = fmax(90.0, 28.0 * (double)g.n_nodes / (2 * M_PI));
	double size = 2 * (radius + SVG_MARGIN);
	struct point center = { size / 2, size / 2 };
	fprintf(out, "<p>An arrow A &rarr; B: a thread acquired B while holding A. Red arrows close a cycle.</p>\n"
		     "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n"
		     "<defs><marker id=\"ok\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
		     "orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#888\"/></marker>"
		     "<marker id=\"bad\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
		     "orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#c00\"/></marker></defs>\n",
		size, size, size, size);
	for (size_t i = 0; i < g.n_edges; i++)
		if (g.edges[i].from != g.edges[i].to)
			put_svg_edge(out, node_position(g.edges[i].from, g.n_nodes, radius, center),
				     node_position(g.edges[i].to, g.n_nodes, radius, center), g.edges[i].in_inversion);
	for (size_t i = 0; i < g.n_nodes; i++)
		put_svg_node(out, g.nodes[i], node_position(i, g.n_nodes, radius, center), center);
	fputs("</svg>\n", out);
	ls_lock_graph_free(&g);
	return 0;
}

static void put_top_site_cell(FILE *out, const ls_lock_stats *l)
{
	size_t *sites = ls_sites_by_wait(l);
	fputs("<td>", out);
	if (sites && l->sites[sites[0]].stack.n) {
		char frame[512];
		ls_format_frame(frame, sizeof frame, 0, ls_stack_key_frame(&l->sites[sites[0]].stack));
		put_html(out, frame);
	}
	fputs("</td>", out);
	free(sites);
}

static int write_lock_table(FILE *out, const ls_report *r)
{
	static const char *const columns[] = { "lock", "kind", "address", "acquired", "contended", "wait total",
					       "wait max", "hold total", "hold max", "top waiting site" };
	if (r->n_locks == 0)
		return 0;
	size_t *order = ls_locks_by_wait(r);
	if (!order)
		return -1;
	fputs("<h2>Lock statistics</h2>\n<p>Sorted by wait time; click a column to sort by it.</p>\n"
	      "<table class=sortable>",
	      out);
	put_header_row(out, columns, sizeof columns / sizeof columns[0]);
	for (size_t i = 0; i < r->n_locks; i++) {
		const ls_lock_stats *l = &r->locks[order[i]];
		fputs("<tr><td>", out);
		put_lock_label_html(out, &l->lock);
		fputs("</td><td>", out);
		put_html(out, l->lock.kind ? l->lock.kind : "lock");
		fprintf(out, "</td><td>0x%" PRIx64 "</td>", l->lock.address);
		put_count_cell(out, l->acquisitions);
		put_count_cell(out, l->contended);
		put_ns_cell(out, l->wait_ns);
		put_ns_cell(out, l->max_wait_ns);
		put_ns_cell(out, l->hold_ns);
		put_ns_cell(out, l->max_hold_ns);
		put_top_site_cell(out, l);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	free(order);
	return 0;
}

static uint64_t seconds_to_ns(double seconds)
{
	double ns = seconds * 1e9;
	return !(ns > 0) ? 0 : ns >= 0x1p64 ? UINT64_MAX : (uint64_t)ns;
}

static void write_thread_table(FILE *out, const ls_report *r)
{
	static const char *const columns[] = { "tid", "name", "state", "waiting for", "waited",
					       "locks held", "acquisitions", "wait total" };
	if (r->n_threads == 0)
		return;
	fputs("<h2>Threads</h2>\n<table class=sortable>", out);
	put_header_row(out, columns, sizeof columns / sizeof columns[0]);
	for (size_t i = 0; i < r->n_threads; i++) {
		const ls_thread *t = &r->threads[i];
		fputs("<tr>", out);
		put_count_cell(out, t->tid);
		fputs("<td>", out);
		put_html(out, t->name ? t->name : "");
		fputs("</td><td>", out);
		put_html(out, t->state ? t->state : "");
		fputs("</td><td>", out);
		if (t->waiting_for.kind || t->waiting_for.name || t->waiting_for.address)
			put_lock_label_html(out, &t->waiting_for);
		fputs("</td>", out);
		put_ns_cell(out, seconds_to_ns(t->wait_seconds));
		put_count_cell(out, t->n_held);
		put_count_cell(out, t->acquisitions);
		put_ns_cell(out, t->wait_ns);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void write_process_table(FILE *out, const char *title, const ls_child_report *reports, size_t n)
{
	static const char *const columns[] = { "pid", "program", "reason", "inversions", "other findings", "report" };
	if (n == 0)
		return;
	fputs("<h2>", out);
	put_html(out, title);
	fputs("</h2>\n<table class=sortable>", out);
	put_header_row(out, columns, sizeof columns / sizeof columns[0]);
	for (size_t i = 0; i < n; i++) {
		const ls_child_report *c = &reports[i];
		fprintf(out, "<tr><td class=n data-v=\"%" PRId64 "\">%" PRId64 "</td><td>", c->pid, c->pid);
		put_html(out, c->program ? c->program : "");
		fputs("</td><td>", out);
		put_html(out, c->reason ? c->reason : "");
		fputs("</td>", out);
		put_count_cell(out, c->inversions);
		put_count_cell(out, c->other_findings);
		fputs("<td>", out);
		put_html(out, c->report ? c->report : "standard error");
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

int ls_report_write_html(const ls_report *r, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=\"utf-8\">\n<title>lockscope report: ", out);
	put_html(out, r->program ? r->program : "unknown program");
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", page_style);
	write_summary(out, r);
	int rc = write_findings(out, r);
	if (rc == 0)
		rc = write_dumps(out, r);
	if (rc == 0)
		rc = write_graph(out, r);
	if (rc == 0)
		rc = write_lock_table(out, r);
	if (rc == 0)
		write_thread_table(out, r);
	if (rc == 0) {
		write_process_table(out, "Reports merged", r->merged_from, r->n_merged_from);
		write_process_table(out, "Other processes of this run", r->child_reports, r->n_child_reports);
	}
	fprintf(out, "<script>%s</script>\n</body>\n</html>\n", sort_script);
	return rc == 0 && fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
