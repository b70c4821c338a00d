/* linetable.c — incremental decoder of CPython's location table (linetable.h). */
#include "config.h"

#include "python/linetable.h"

enum { KIND_NO_COLUMNS = 13, KIND_LONG = 14, KIND_NONE = 15, KIND_ONE_LINE0 = 10 };

void ls_py_linescan_start(ls_py_linescan *s, int firstlineno, uint32_t target)
{
	s->target = target;
	s->addr = 0;
	s->line = firstlineno;
	s->answer = LS_PY_LINE_PENDING;
}

/* A signed varint (zigzag-like: the low bit is the sign) from p, bounded by end. */
static int signed_varint(const uint8_t *p, const uint8_t *end)
{
	unsigned v = 0, shift = 0;
	for (; p < end && shift < 32; p++, shift += 6) {
		v |= (unsigned)(*p & 63) << shift;
		if (!(*p & 64))
			break;
	}
	return v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
}

size_t ls_py_linescan_feed(ls_py_linescan *s, const uint8_t *buf, size_t len, bool at_end)
{
	size_t pos = 0;
	while (s->answer == LS_PY_LINE_PENDING && pos < len) {
		uint8_t head = buf[pos];
		if (!(head & 128)) {   /* not an entry start: a corrupt table */
			s->answer = LS_PY_LINE_NONE;
			break;
		}
		size_t next = pos + 1;
		while (next < len && !(buf[next] & 128))
			next++;
		if (next == len && !at_end)
			break;             /* the entry may go on in the next chunk */
		unsigned kind = head >> 3 & 15, units = (head & 7) + 1u;
		int delta = 0;
		if (kind == KIND_NO_COLUMNS || kind == KIND_LONG)
			delta = signed_varint(buf + pos + 1, buf + next);
		else if (kind >= KIND_ONE_LINE0 && kind < KIND_NO_COLUMNS)
			delta = (int)kind - KIND_ONE_LINE0;
		s->line += delta;
		if (s->target < s->addr + units)
			s->answer = kind == KIND_NONE ? LS_PY_LINE_NONE : s->line;
		s->addr += units;
		pos = next;
	}
	if (at_end && pos >= len && s->answer == LS_PY_LINE_PENDING)
		s->answer = LS_PY_LINE_NONE;
	return pos;
}

int ls_py_line_for(const uint8_t *table, size_t len, int firstlineno, uint32_t target)
{
	ls_py_linescan s;
	ls_py_linescan_start(&s, firstlineno, target);
	ls_py_linescan_feed(&s, table, len, true);
	return s.answer;
}
