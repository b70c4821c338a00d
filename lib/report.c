/* report.c — allocation and release of the in-memory report model (report.h).
 *
 * Arrays of the model are (pointer, count) pairs whose capacity is implicit:
 * ls_report_push reallocates whenever count is 0 or a power of two, so the
 * capacity is always the next power of two >= count.  An array must therefore
 * only be grown with ls_report_push (or allocated with at least that much).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

ls_report *ls_report_new(void)
{
	ls_report *r = calloc(1, sizeof *r);
	if (r)
		r->version = LS_REPORT_VERSION;
	return r;
}

char *ls_strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool is_zero_or_power_of_two(size_t n)
{
	return (n & (n - 1)) == 0;
}

void *ls_report_push(void *array_ptr, size_t *count, size_t elem_size)
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

static void free_stack(ls_stack *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->frames[i].function);
		free(s->frames[i].file);
		free(s->frames[i].module);
	}
	free(s->frames);
}

static void free_lock_ref(ls_lock_ref *l)
{
	free(l->kind);
	free(l->name);
}

static void free_held_lock(ls_held_lock *h)
{
	free_lock_ref(&h->lock);
	free(h->mode);
	free_stack(&h->stack);
}

static void free_inversion(ls_inversion *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		ls_cycle_edge *e = &inv->cycle[i];
		free(e->thread_name);
		free_lock_ref(&e->held);
		free(e->held_mode);
		free_lock_ref(&e->acquired);
		free(e->acquired_mode);
		free_stack(&e->held_stack);
		free_stack(&e->acquire_stack);
	}
	free(inv->cycle);
}

static void free_deadlock(ls_deadlock *d)
{
	for (size_t i = 0; i < d->n; i++) {
		ls_wait_entry *w = &d->entries[i];
		free(w->thread_name);
		free_held_lock(&w->holds);
		free_lock_ref(&w->waits_for);
		free(w->wait_mode);
	}
	free(d->kind);
	free(d->entries);
}

static void free_thread(ls_thread *t)
{
	free(t->name);
	free(t->state);
	free_lock_ref(&t->waiting_for);
	for (size_t i = 0; i < t->n_held; i++)
		free_held_lock(&t->held[i]);
	free(t->held);
	free_stack(&t->stack);
}

static void free_lock_stats(ls_lock_stats *l)
{
	free_lock_ref(&l->lock);
	free_stack(&l->init_stack);
	for (size_t i = 0; i < l->n_sites; i++)
		free_stack(&l->sites[i].stack);
	free(l->sites);
}

void ls_report_free(ls_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_inversions; i++)
		free_inversion(&r->inversions[i]);
	free(r->inversions);
	for (size_t i = 0; i < r->n_deadlocks; i++)
		free_deadlock(&r->deadlocks[i]);
	free(r->deadlocks);
	for (size_t i = 0; i < r->n_threads; i++)
		free_thread(&r->threads[i]);
	free(r->threads);
	for (size_t i = 0; i < r->n_locks; i++)
		free_lock_stats(&r->locks[i]);
	free(r->locks);
	for (size_t i = 0; i < r->n_order_edges; i++) {
		free_lock_ref(&r->order_edges[i].held);
		free_lock_ref(&r->order_edges[i].acquired);
	}
	free(r->order_edges);
	free(r->program);
	free(r->reason);
	free(r);
}
