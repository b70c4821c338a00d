/* frame.h — a symbolized stack frame, the unit every stack is made of.
 *
 * Contract: what the symbolizer (symbolize.h) produces and the report model
 * (report/report.h) and the attach code carry.  Strings are malloc'd and
 * owned by the frame's container; NULL means unknown.
 */
#ifndef LOCKSCOPE_FRAME_H
#define LOCKSCOPE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a frame is a frame of: machine code, or a Python function (a frame
 * CPython's evaluation loop runs: function, file and line, no address). */
enum ls_frame_language { LS_FRAME_NATIVE = 0, LS_FRAME_PYTHON = 1 };

typedef struct ls_frame {
	uint64_t address;       /* pc (for callers: the return address - 1 is what was symbolized) */
	char *function;         /* demangled-as-is symbol, or NULL */
	char *file;             /* source file, or NULL without debug info */
	int line;               /* 0 when unknown */
	char *module;           /* path of the ELF object containing address, or NULL */
	uint64_t module_offset; /* address - module load base */
	bool inlined;           /* inlined into the frame that follows it */
	uint8_t language;       /* enum ls_frame_language */
} ls_frame;

typedef struct ls_stack {
	ls_frame *frames;
	size_t n;
} ls_stack;

/* Frees the frames' strings and the array; leaves s empty. */
void ls_stack_free(ls_stack *s);

#endif
