/* fuzz_report.c — libFuzzer target for the JSON report reader and every
 * writer.  Built by `make fuzz-smoke` (clang -fsanitize=fuzzer,address,
 * undefined); not part of `make check`.
 *
 * Besides "no crash, no leak, no hang", it checks that whatever the reader
 * accepts, the JSON writer writes back in a form the reader accepts and
 * that re-writes to the same bytes.  The report is also merged with a
 * second copy of itself (report_merge.c): the merge renders, round-trips,
 * and has each of its findings once.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render_json(const ls_report *r, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);
	if (!out)
		abort();
	if (ls_report_write_json(r, out) != 0)
		abort();
	fclose(out);
	return text;
}

static void check_json_round_trip(const ls_report *r)
{
	size_t first_len, second_len;
	char err[256];
	char *first = render_json(r, &first_len);
	ls_report *back = ls_report_parse_json(first, first_len, err, sizeof err);
	if (!back) {
		fprintf(stderr, "fuzz_report: the reader refuses the writer's output: %s\n", err);
		abort();
	}
	char *second = render_json(back, &second_len);
	if (first_len != second_len || memcmp(first, second, first_len) != 0) {
		fprintf(stderr, "fuzz_report: JSON round trip is not stable\n");
		abort();
	}
	free(first);
	free(second);
	ls_report_free(back);
}

static void render_all(const ls_report *r, FILE *sink)
{
	ls_report_write_text(r, sink);
	ls_report_write_dot(r, sink);
	ls_report_write_folded(r, sink);
	ls_report_write_folded_dumps(r, sink);
	ls_report_write_html(r, sink);
	check_json_round_trip(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	char err[256];
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	ls_report *r = ls_report_parse_json((const char *)data, size, err, sizeof err);
	if (!r) {
		if (!err[0] || strchr(err, '\n'))
			abort(); /* every refusal is one non-empty line */
		return 0;
	}
	render_all(r, sink);
	ls_report *copies[2] = { r, ls_report_parse_json((const char *)data, size, err, sizeof err) };
	if (!copies[1])
		abort();  /* accepted once, accepted twice */
	size_t inversions = r->n_inversions;
	const char *sources[2] = { "first", "second" };
	ls_report *merged = ls_report_merge(copies, sources, 2);
	if (!merged)
		abort();
	if (merged->n_inversions > inversions) {
		fprintf(stderr, "fuzz_report: a report merged with itself gained inversions\n");
		abort();
	}
	render_all(merged, sink);
	ls_report_free(merged);
	return 0;
}
