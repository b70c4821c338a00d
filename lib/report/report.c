/* report.c — allocation and release of the in-memory report model (report.h).
 *
 * Arrays of the model are (pointer, count) pairs whose capacity is implicit:
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report/report.h"

ls_report *ls_report_new(void)
{
	ls_report *r = calloc(1, sizeof *r);
	if (r)
		r->version = LS_REPORT_VERSION;
	return r;
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
	ls_stack_free(&h->stack);
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
		ls_stack_free(&e->held_stack);
		ls_stack_free(&e->acquire_stack);
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
	ls_stack_free(&t->stack);
}

static void free_lock_stats(ls_lock_stats *l)
{
	free_lock_ref(&l->lock);
	ls_stack_free(&l->init_stack);
	for (size_t i = 0; i < l->n_sites; i++)
		ls_stack_free(&l->sites[i].stack);
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
	for (size_t i = 0; i < r->n_child_reports; i++) {
		free(r->child_reports[i].program);
		free(r->child_reports[i].reason);
		free(r->child_reports[i].report);
	}
	free(r->child_reports);
	free(r->program);
	free(r->reason);
	free(r);
}
