/* report_format.h — the formats every report writer shares: frames, locks,
 * durations, and the order of the statistics tables.
 *
 * Contract: pure functions of the report model (report.h); the text, html,
 * dot and folded writers and the tools use them, and they use nothing but
 * the model, so no two writers depend on each other for a format.
 */
#ifndef LOCKSCOPE_REPORT_FORMAT_H
#define LOCKSCOPE_REPORT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

/* Frame formatting shared by every text output:
 * "#N 0xADDR in FUNCTION FILE:LINE", "(MODULE+0xOFF)" without debug info,
 * " [inlined]" after inlined frames, "#N [python] in FUNCTION FILE:LINE"
 * for a Python frame.  Returns snprintf-like length. */
int ls_format_frame(char *buf, size_t len, unsigned index, const ls_frame *f);
/* The frame that says where a stack is: its innermost Python frame when
 * it has any (the native ones above it are the interpreter's), else its
 * first; NULL for an empty stack. */
const ls_frame *ls_stack_key_frame(const ls_stack *s);
/* Lock formatting: "resource_a (mutex 0x55d0c0a4e040)". */
int ls_format_lock(char *buf, size_t len, const ls_lock_ref *l);

/* "12 ns", "3.4 us", "5.678 ms", "1.234 s". */
void ls_format_ns(char *buf, size_t len, uint64_t ns);
/* Indexes of r->locks sorted by wait time, most first (ties: contended,
 * acquisitions, original order); malloc'd, NULL on ENOMEM or no locks. */
size_t *ls_locks_by_wait(const ls_report *r);
/* Indexes of l->sites in the same order. */
size_t *ls_sites_by_wait(const ls_lock_stats *l);

/* The short name of a lock: its name, else "KIND 0xADDR"; snprintf-like. */
int ls_lock_label(char *buf, size_t len, const ls_lock_ref *l);

#endif
