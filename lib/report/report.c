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

void ls_dump_free(ls_dump *d)
{
	free(d->reason);
	free(d->headline);
	free(d->time);
	for (size_t i = 0; i < d->n_threads; i++)
		ls_thread_free(&d->threads[i]);
	free(d->threads);
}

static bool same_frame(const ls_frame *a, const ls_frame *b)
{
	return a->address == b->address && a->line == b->line && a->language == b->language &&
	       (a->function == b->function || (a->function && b->function && !strcmp(a->function, b->function)));
}

bool ls_report_threads_repeat_last_dump(const ls_report *r)
{
	if (!r->n_dumps || !r->n_threads)
		return false;
	const ls_dump *d = &r->dumps[r->n_dumps - 1];
	if (d->n_threads != r->n_threads)
		return false;
	bool stacks = false;  /* threads without any stack are the threads at the end, not a dump */
	for (size_t i = 0; i < r->n_threads; i++) {
		const ls_stack *a = &r->threads[i].stack, *b = &d->threads[i].stack;
		if (r->threads[i].tid != d->threads[i].tid || a->n != b->n)
			return false;
		for (size_t k = 0; k < a->n; k++)
			if (!same_frame(&a->frames[k], &b->frames[k]))
				return false;
		stacks |= a->n > 0;
	}
	return stacks;
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
	for (size_t i = 0; i < r->n_dumps; i++)
		ls_dump_free(&r->dumps[i]);
	free(r->dumps);
	free(r->program);
	free(r->reason);
	free(r);
}
