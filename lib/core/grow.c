/* grow.c — growable arrays and string copies (grow.h).
 *
 * ls_array_push reallocates whenever count is 0 or a power of two, so the
 * capacity is always the next power of two >= count.  An array must therefore
 * only be grown with ls_array_push (or allocated with at least that much).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

char *ls_strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool is_zero_or_power_of_two(size_t n)
{
	return (n & (n - 1)) == 0;
}

void *ls_array_push(void *array_ptr, size_t *count, size_t elem_size)
{
	char **array = array_ptr;
	size_t n = *count;

	if (elem_size == 0)
		return NULL;
	if (is_zero_or_power_of_two(n)) {
		size_t capacity = n ? n * 2 : 1;
		if (capacity < n || capacity > SIZE_MAX / elem_size)
			return NULL;
		char *grown = realloc(*array, capacity * elem_size);
		if (!grown)
			return NULL;
		*array = grown;
	}
	char *elem = *array + n * elem_size;
	memset(elem, 0, elem_size);
	*count = n + 1;
	return elem;
}
