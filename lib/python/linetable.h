/* linetable.h — CPython 3.11+ location tables (co_linetable) to line numbers.
 *
 * Contract: the table is a sequence of entries, each a header byte with bit
 * 7 set (4 bits of kind, 3 bits of length-1 in code units) followed by
 * 6-bit varints (bit 6: more) carrying the line delta and columns; kind 15
 * means "no location", 14 and 13 carry a signed line delta, 10-12 a delta
 * of 0-2, 0-9 none.  The decoder is incremental so that a table can be fed
 * in chunks read from memory with small fixed buffers (a signal handler
 * has no heap): feed chunks in order until it answers.  Pure, no state
 * beyond the caller's ls_py_linescan.
 */
#ifndef LOCKSCOPE_PY_LINETABLE_H
#define LOCKSCOPE_PY_LINETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ls_py_linescan {
	uint32_t target;        /* code unit looked for */
	uint32_t addr;          /* start of the next entry, in code units */
	int line;               /* line before the next entry's delta */
	int answer;             /* LS_PY_LINE_PENDING until found or ended */
} ls_py_linescan;

/* answer when the table ended or broke before covering the target */
#define LS_PY_LINE_NONE (-1)
#define LS_PY_LINE_PENDING (-2)

void ls_py_linescan_start(ls_py_linescan *s, int firstlineno, uint32_t target);
/* Consumes the whole entries in buf[0..len) (all of them when at_end) and
 * returns the number of bytes consumed; the next chunk starts there.  When
 * it returns, s->answer is the line (>= 0, or LS_PY_LINE_NONE for code
 * without a line) or still LS_PY_LINE_PENDING. */
size_t ls_py_linescan_feed(ls_py_linescan *s, const uint8_t *buf, size_t len, bool at_end);

/* One-shot form for a table in memory. */
int ls_py_line_for(const uint8_t *table, size_t len, int firstlineno, uint32_t target);

#endif
