/* frame.c — freeing a symbolized stack (frame.h). */
#include "config.h"

#include <stdlib.h>

#include "symbols/frame.h"

void ls_stack_free(ls_stack *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->frames[i].function);
		free(s->frames[i].file);
		free(s->frames[i].module);
	}
	free(s->frames);
	s->frames = NULL;
	s->n = 0;
}
