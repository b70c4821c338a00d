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


void ls_lock_ref_free(ls_lock_ref *l)
{
	free(l->kind);
	free(l->name);
	free(l->sem_class);
}

static void free_held_lock(ls_held_lock *h)
{
	ls_lock_ref_free(&h->lock);
	free(h->mode);
	ls_stack_free(&h->stack);
}

void ls_inversion_free(ls_inversion *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		ls_cycle_edge *e = &inv->cycle[i];
		free(e->thread_name);
		ls_lock_ref_free(&e->held);
		free(e->held_mode);
		ls_lock_ref_free(&e->acquired);
		free(e->acquired_mode);
		ls_stack_free(&e->held_stack);
		ls_stack_free(&e->acquire_stack);
	}
	free(inv->cycle);
	free(inv->pids);
}

void ls_deadlock_free(ls_deadlock *d)
{
	for (size_t i = 0; i < d->n; i++) {
		ls_wait_entry *w = &d->entries[i];
		free(w->thread_name);
		free_held_lock(&w->holds);
		ls_lock_ref_free(&w->waits_for);
		free(w->wait_mode);
		free(w->detail);
		ls_stack_free(&w->made_at);
	}
	free(d->kind);
	free(d->entries);
	free(d->pids);
}

void ls_thread_free(ls_thread *t)
{
	free(t->name);
	free(t->state);
	ls_lock_ref_free(&t->waiting_for);
	for (size_t i = 0; i < t->n_held; i++)
		free_held_lock(&t->held[i]);
	free(t->held);
	ls_stack_free(&t->stack);
}

void ls_lock_stats_free(ls_lock_stats *l)
{
	ls_lock_ref_free(&l->lock);
	ls_stack_free(&l->init_stack);
	for (size_t i = 0; i < l->n_sites; i++)
		ls_stack_free(&l->sites[i].stack);
	free(l->sites);
}

void ls_child_report_free(ls_child_report *c)
{
	free(c->program);
	free(c->reason);
	free(c->report);
}

void ls_loop_stall_free(ls_loop_stall *s)
{
	free(s->thread_name);
	free(s->call);
	ls_stack_free(&s->call_site);
	ls_stack_free(&s->stack);
	free(s->pids);
}

void ls_report_free(ls_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_inversions; i++)
		ls_inversion_free(&r->inversions[i]);
	free(r->inversions);
	for (size_t i = 0; i < r->n_deadlocks; i++)
		ls_deadlock_free(&r->deadlocks[i]);
	free(r->deadlocks);
	for (size_t i = 0; i < r->n_threads; i++)
		ls_thread_free(&r->threads[i]);
	free(r->threads);
	for (size_t i = 0; i < r->n_locks; i++)
		ls_lock_stats_free(&r->locks[i]);
	free(r->locks);
	for (size_t i = 0; i < r->n_order_edges; i++) {
		ls_lock_ref_free(&r->order_edges[i].held);
		ls_lock_ref_free(&r->order_edges[i].acquired);
	}
	free(r->order_edges);
	for (size_t i = 0; i < r->n_child_reports; i++)
		ls_child_report_free(&r->child_reports[i]);
	free(r->child_reports);
	for (size_t i = 0; i < r->n_merged_from; i++)
		ls_child_report_free(&r->merged_from[i]);
	free(r->merged_from);
	for (size_t i = 0; i < r->n_loop_stalls; i++)
		ls_loop_stall_free(&r->loop_stalls[i]);
	free(r->loop_stalls);
	free(r->program);
	free(r->reason);
	free(r);
}
