/* grow.h — (pointer, count) arrays grown one element at a time, and
 * NULL-tolerant string copies: the allocation helpers every producer of
 * reports, symbols and attach results shares.
 *
 * Contract: malloc-based, abort-free (NULL on ENOMEM); not for the shim's
 * lock paths (they allocate from arena.h), only for its reports.
 */
#ifndef LOCKSCOPE_GROW_H
#define LOCKSCOPE_GROW_H

#include <stddef.h>

/* Grows *array (of *count elements of elem_size) by one zeroed element;
 * returns it, or NULL (nothing changed) on ENOMEM. */
void *ls_array_push(void *array_ptr, size_t *count, size_t elem_size);
/* strdup, or NULL for NULL (and on ENOMEM). */
char *ls_strdup_or_null(const char *s);

#endif
