#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/live_stats.h"
#include "core/lockscope_internal.h"
#include "core/loop_watch.h"
#include "core/order_graph.h"
#include "core/py_stack.h"
#include "core/site_stats.h"
#include "core/stack_depot.h"
#include "core/thread_state.h"

#define READ_ATTEMPTS 50

/* Every shared word is accessed atomically: the two sides are different
 * processes and the sequence counter only says whether a copy is whole. */
static void store_words(void *dst, const void *src, size_t bytes)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	for (size_t i = 0; i < bytes / 8; i++)
		__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
}

static void load_words(void *dst, const void *src, size_t bytes)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	for (size_t i = 0; i < bytes / 8; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

#define PUT(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

size_t ls_live_size(const ls_live_capacity *cap)
{
	return align64(sizeof(ls_live_header)) + align64(cap->locks * sizeof(ls_live_lock)) +
	       align64(cap->sites * sizeof(ls_live_site)) + align64(cap->threads * sizeof(ls_live_thread)) +
	       align64(cap->inversions * sizeof(ls_live_inversion));
}

void ls_live_init(void *base, const ls_live_capacity *cap, pid_t pid, const char *program, bool hold_time)
{
	ls_live_header *h = base;
	memset(h, 0, sizeof *h);
	h->magic = LS_LIVE_MAGIC;
	h->version = LS_LIVE_VERSION;
	h->header_size = sizeof *h;
	h->total_size = ls_live_size(cap);
	h->pid = (uint64_t)pid;
	h->start_ns = ls_now_ns();
	h->cap_locks = cap->locks;
	h->cap_sites = cap->sites;
	h->cap_threads = cap->threads;
	h->cap_inversions = cap->inversions;
	h->off_locks = align64(sizeof *h);
	h->off_sites = h->off_locks + align64(cap->locks * sizeof(ls_live_lock));
	h->off_threads = h->off_sites + align64(cap->sites * sizeof(ls_live_site));
	h->off_inversions = h->off_threads + align64(cap->threads * sizeof(ls_live_thread));
	h->hold_time = hold_time;
	snprintf(h->program, sizeof h->program, "%s", program ? program : "");
}

void ls_live_path(pid_t pid, char *buf, size_t len) { snprintf(buf, len, "/dev/shm/lockscope-%d", (int)pid); }

/* ---- publisher ------------------------------------------------------- */

struct vec { void *items; size_t n, cap, elem; };

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void *p = realloc(v->items, cap * v->elem);
		if (!p)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	void *e = (char *)v->items + v->n++ * v->elem;
	memset(e, 0, v->elem);
	return e;
}

/* The frame that says where a stack is: its first, or in a Python
 * program its innermost Python frame (core/py_stack.h). */
static uint64_t first_pc(uint32_t stack)
{
	const uint64_t *pcs;
	size_t n = ls_depot_get(stack, &pcs);
	return n ? pcs[ls_pystack_first_python(pcs, n)] : 0;
}

static void gather_lock(ls_lock *l, void *ctx)
{
	if (!atomic_load_explicit(&l->acquisitions, memory_order_relaxed))
		return;
	ls_live_lock *o = vec_push(ctx);
	if (!o)
		return;
	o->id = l->id;
	o->addr = l->addr;
	o->kind = l->kind;
	o->inited = l->inited;
	o->waiters = atomic_load_explicit(&l->waiters, memory_order_relaxed);
	o->init_pc = first_pc(l->init_stack);
	o->acquisitions = atomic_load_explicit(&l->acquisitions, memory_order_relaxed);
	o->contended = atomic_load_explicit(&l->contended, memory_order_relaxed);
	o->wait_ns = atomic_load_explicit(&l->wait_ns, memory_order_relaxed);
	o->max_wait_ns = atomic_load_explicit(&l->max_wait_ns, memory_order_relaxed);
	o->hold_ns = atomic_load_explicit(&l->hold_ns, memory_order_relaxed);
	o->max_hold_ns = atomic_load_explicit(&l->max_hold_ns, memory_order_relaxed);
	for (size_t b = 0; b < LS_LIVE_HIST && b < LS_WAIT_BUCKETS; b++)
		o->wait_hist[b] = atomic_load_explicit(&l->wait_hist[b], memory_order_relaxed);
}

static void gather_site(ls_site_stat *s, void *ctx)
{
	ls_live_site *o = vec_push(ctx);
	if (!o)
		return;
	o->lock_id = atomic_load_explicit(&s->lock_id, memory_order_relaxed);
	o->lock_addr = s->lock_addr;
	ls_lock *l = ls_lock_find(s->lock_addr);
	o->lock_kind = l && l->id == o->lock_id ? l->kind : LS_KIND_COUNT;
	o->site = s->site;
	const uint64_t *pcs;
	size_t n = ls_depot_get(s->stack, &pcs);
	if (n == 0) {
		o->frames[0] = s->site;
		n = 1;
	} else {
		size_t from = ls_pystack_first_python(pcs, n);
		n -= from;
		n = n < LS_LIVE_SITE_FRAMES ? n : LS_LIVE_SITE_FRAMES;
		memcpy(o->frames, pcs + from, n * sizeof *pcs);
	}
	o->n_frames = n;
	o->acquisitions = atomic_load_explicit(&s->acquisitions, memory_order_relaxed);
	o->contended = atomic_load_explicit(&s->contended, memory_order_relaxed);
	o->wait_ns = atomic_load_explicit(&s->wait_ns, memory_order_relaxed);
	o->max_wait_ns = atomic_load_explicit(&s->max_wait_ns, memory_order_relaxed);
	o->hold_ns = atomic_load_explicit(&s->hold_ns, memory_order_relaxed);
	o->blamed_wait_ns = atomic_load_explicit(&s->blamed_wait_ns, memory_order_relaxed);
}

static void gather_thread(ls_thread_state *t, void *ctx)
{
	ls_live_thread *o = vec_push(ctx);
	if (!o)
		return;
	o->tid = (uint64_t)t->tid;
	int kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
	ls_lock *on = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	o->state = kind == LS_WAIT_LOCK ? (on && ls_lock_is_signal(on) ? LS_LIVE_WAIT_SIGNAL : LS_LIVE_WAIT_LOCK)
		 : kind == LS_WAIT_COND ? LS_LIVE_WAIT_COND
		 : kind == LS_WAIT_JOIN ? LS_LIVE_WAIT_JOIN
		 : kind == LS_WAIT_BARRIER ? LS_LIVE_WAIT_BARRIER
					: LS_LIVE_RUNNING;
	if (o->state != LS_LIVE_RUNNING) {
		o->wait_object = atomic_load_explicit(&t->wait_object, memory_order_relaxed);
		o->wait_mode = t->wait_mode;
		o->wait_since_ns = atomic_load_explicit(&t->wait_start_ns, memory_order_relaxed);
	}
	o->acquisitions = atomic_load_explicit(&t->acquisitions, memory_order_relaxed);
	o->contended = atomic_load_explicit(&t->contended, memory_order_relaxed);
	o->wait_ns = atomic_load_explicit(&t->wait_ns, memory_order_relaxed);
	/* The owner changes its held set under us: copy what is there now;
	 * the arena never unmaps, so a stale array is still readable, and the
	 * count read first never exceeds the array read after it. */
	uint32_t n = ls_held_count(t), kept = 0;
	ls_held *held = ls_held_array(t);
	for (uint32_t i = 0; i < n; i++) {
		/* (a semaphore that showed it is a signal is not held: its
		 * taker keeps the entry until it notices) */
		ls_held_view v;
		if (!ls_held_read(&held[i], &v) || ls_lock_is_signal(v.lock))
			continue;
		if (kept < LS_LIVE_HELD) {
			o->held_addr[kept] = v.addr;
			o->held_mode[kept] = v.mode;
			o->held_site[kept] = v.site;
		}
		kept++;
	}
	o->n_held = kept;
}

/* Exclusive holds, (lock address, holder tid), sorted by address: the
 * owners of the locks and of what waiting threads wait for.  The holder
 * of a lock is the thread whose held set lists it in exclusive mode. */
struct exclusive_hold {
	uint64_t addr, tid;
};

static void gather_exclusive_holds(ls_thread_state *t, void *ctx)
{
	/* The count first: an array read after it holds at least that many
	 * entries (a held set only grows into a larger array). */
	uint32_t n = ls_held_count(t);
	ls_held *held = ls_held_array(t);
	for (uint32_t i = 0; i < n; i++) {
		ls_held_view v;
		if (!ls_held_read(&held[i], &v) || v.mode == LS_MODE_READ || ls_lock_is_signal(v.lock))
			continue;
		struct exclusive_hold *o = vec_push(ctx);
		if (!o)
			return;
		*o = (struct exclusive_hold){ v.addr, (uint64_t)t->tid };
	}
}

static int by_addr(const void *a, const void *b)
{
	const struct exclusive_hold *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static uint64_t owner_of(const struct vec *holds, uint64_t addr)
{
	struct exclusive_hold key = { addr, 0 };
	const struct exclusive_hold *h = holds->n ? bsearch(&key, holds->items, holds->n, holds->elem, by_addr) : NULL;
	return h ? h->tid : 0;
}

static void attribute_owners(struct vec *locks, struct vec *threads)
{
	struct vec holds = { .elem = sizeof(struct exclusive_hold) };
	ls_thread_foreach(gather_exclusive_holds, &holds);
	if (holds.n)
		qsort(holds.items, holds.n, holds.elem, by_addr);
	ls_live_lock *l = locks->items;
	for (size_t i = 0; i < locks->n; i++)
		l[i].owner_tid = owner_of(&holds, l[i].addr);
	ls_live_thread *t = threads->items;
	for (size_t i = 0; i < threads->n; i++)
		if (t[i].state == LS_LIVE_WAIT_LOCK)
			t[i].wait_owner_tid = owner_of(&holds, t[i].wait_object);
	free(holds.items);
}

static int by_lock_cost(const void *a, const void *b)
{
	const ls_live_lock *x = a, *y = b;
	if (x->wait_ns != y->wait_ns)
		return x->wait_ns < y->wait_ns ? 1 : -1;
	if (x->acquisitions != y->acquisitions)
		return x->acquisitions < y->acquisitions ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_site_cost(const void *a, const void *b)
{
	const ls_live_site *x = a, *y = b;
	uint64_t cx = x->wait_ns + x->blamed_wait_ns, cy = y->wait_ns + y->blamed_wait_ns;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	if (x->acquisitions != y->acquisitions)
		return x->acquisitions < y->acquisitions ? 1 : -1;
	return x->site < y->site ? -1 : x->site > y->site;
}

static size_t publish_table(void *base, uint64_t off, size_t cap, struct vec *v)
{
	size_t n = v->n < cap ? v->n : cap;
	store_words((char *)base + off, v->items, n * v->elem);
	return n;
}

static void gather_inversions(struct vec *v)
{
	for (const ls_inversion_finding *f = ls_order_findings(); f; f = f->next) {
		ls_live_inversion *o = vec_push(v);
		if (!o)
			return;
		o->n_edges = f->n;
		for (size_t i = 0; i < f->n && i < LS_LIVE_CYCLE; i++) {
			const ls_finding_edge *e = &f->edges[i];
			o->edges[i] = (ls_live_edge){ (uint64_t)e->tid, e->from_addr, e->to_addr, e->from_kind,
						      e->to_kind, first_pc(e->acquire_stack) };
		}
	}
}

void ls_live_publish(void *base, bool final)
{
	ls_live_header *h = base;
	struct vec locks = { .elem = sizeof(ls_live_lock) }, sites = { .elem = sizeof(ls_live_site) },
		   threads = { .elem = sizeof(ls_live_thread) }, invs = { .elem = sizeof(ls_live_inversion) };
	ls_counts_collect();
	ls_lock_foreach(gather_lock, &locks);
	ls_site_foreach(gather_site, &sites);
	ls_thread_foreach(gather_thread, &threads);
	attribute_owners(&locks, &threads);
	gather_inversions(&invs);
	if (locks.n)
		qsort(locks.items, locks.n, locks.elem, by_lock_cost);
	if (sites.n)
		qsort(sites.items, sites.n, sites.elem, by_site_cost);

	uint64_t seq = GET(h->seq);
	PUT(h->seq, seq + 1);
	atomic_thread_fence(memory_order_release);
	PUT(h->n_locks, publish_table(base, h->off_locks, h->cap_locks, &locks));
	PUT(h->n_sites, publish_table(base, h->off_sites, h->cap_sites, &sites));
	PUT(h->n_threads, publish_table(base, h->off_threads, h->cap_threads, &threads));
	PUT(h->n_inversions, publish_table(base, h->off_inversions, h->cap_inversions, &invs));
	PUT(h->total_locks, locks.n);
	PUT(h->total_sites, sites.n);
	PUT(h->total_threads, threads.n);
	PUT(h->total_inversions, invs.n);
	PUT(h->site_overflow, ls_site_overflow());
	PUT(h->loop_stalls, ls_loop_stalls_total());
	PUT(h->loop_stalls_now, ls_loop_stalls_now());
	PUT(h->publications, GET(h->publications) + 1);
	PUT(h->published_ns, ls_now_ns());
	if (final)
		PUT(h->exited, 1);
	__atomic_store_n(&h->seq, seq + 2, __ATOMIC_RELEASE);
	free(locks.items);
	free(sites.items);
	free(threads.items);
	free(invs.items);
}

/* ---- reader ---------------------------------------------------------- */

struct ls_live_reader {
	void *base;
	size_t size;
	bool mapped;
	ls_live_header static_header;
	ls_live_snapshot snap;
};

static bool header_valid(const ls_live_header *h, size_t size, char *err, size_t errlen)
{
	if (h->magic != LS_LIVE_MAGIC) {
		snprintf(err, errlen, "not a lockscope live statistics file");
		return false;
	}
	if (h->version > LS_LIVE_VERSION) {
		snprintf(err, errlen, "live statistics version %llu is newer than this lockscope (%d)",
			 (unsigned long long)h->version, LS_LIVE_VERSION);
		return false;
	}
	if (h->header_size < sizeof *h || h->total_size > size ||
	    h->off_locks + h->cap_locks * sizeof(ls_live_lock) > size ||
	    h->off_sites + h->cap_sites * sizeof(ls_live_site) > size ||
	    h->off_threads + h->cap_threads * sizeof(ls_live_thread) > size ||
	    h->off_inversions + h->cap_inversions * sizeof(ls_live_inversion) > size) {
		snprintf(err, errlen, "live statistics file is truncated or corrupt");
		return false;
	}
	return true;
}

static ls_live_reader *reader_new(void *base, size_t size, bool mapped, char *err, size_t errlen)
{
	ls_live_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base = base;
	r->size = size;
	r->mapped = mapped;
	load_words(&r->static_header, base, sizeof r->static_header);
	const ls_live_header *h = &r->static_header;
	if (!header_valid(h, size, err, errlen)) {
		free(r);
		return NULL;
	}
	r->snap.locks = calloc(h->cap_locks + 1, sizeof *r->snap.locks);
	r->snap.sites = calloc(h->cap_sites + 1, sizeof *r->snap.sites);
	r->snap.threads = calloc(h->cap_threads + 1, sizeof *r->snap.threads);
	r->snap.inversions = calloc(h->cap_inversions + 1, sizeof *r->snap.inversions);
	if (!r->snap.locks || !r->snap.sites || !r->snap.threads || !r->snap.inversions) {
		snprintf(err, errlen, "out of memory");
		r->mapped = false;
		ls_live_close(r);
		return NULL;
	}
	return r;
}

ls_live_reader *ls_live_open_region(void *base, size_t size)
{
	char err[128];
	return reader_new(base, size, false, err, sizeof err);
}

ls_live_reader *ls_live_open(pid_t pid, char *err, size_t errlen)
{
	char path[64];
	ls_live_path(pid, path, sizeof path);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen,
				 "no live statistics for pid %d (%s does not exist): is it running under the "
				 "lockscope shim with live statistics on (lockscope run --live)?",
				 (int)pid, path);
		else
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != getuid() || st.st_size < (off_t)sizeof(ls_live_header)) {
		snprintf(err, errlen, "%s is not a live statistics file of this user", path);
		close(fd);
		return NULL;
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return NULL;
	}
	ls_live_reader *r = reader_new(base, (size_t)st.st_size, true, err, errlen);
	if (!r)
		munmap(base, (size_t)st.st_size);
	return r;
}

void ls_live_close(ls_live_reader *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap(r->base, r->size);
	free(r->snap.locks);
	free(r->snap.sites);
	free(r->snap.threads);
	free(r->snap.inversions);
	free(r);
}

void ls_live_request(ls_live_reader *r)
{
	ls_live_header *h = r->base;
	__atomic_add_fetch(&h->request, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &h->request, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static size_t clamp(uint64_t n, uint64_t cap) { return (size_t)(n < cap ? n : cap); }

int ls_live_read(ls_live_reader *r, ls_live_snapshot *out)
{
	ls_live_header *h = r->base;
	const ls_live_header *fixed = &r->static_header;
	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		uint64_t seq = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		if (seq == 0)
			return -1;
		if (seq & 1) {
			usleep(100);
			continue;
		}
		ls_live_header copy;
		load_words(&copy, h, sizeof copy);
		size_t nl = clamp(copy.n_locks, fixed->cap_locks), ns = clamp(copy.n_sites, fixed->cap_sites);
		size_t nt = clamp(copy.n_threads, fixed->cap_threads), ni = clamp(copy.n_inversions, fixed->cap_inversions);
		const char *base = r->base;
		load_words(r->snap.locks, base + fixed->off_locks, nl * sizeof(ls_live_lock));
		load_words(r->snap.sites, base + fixed->off_sites, ns * sizeof(ls_live_site));
		load_words(r->snap.threads, base + fixed->off_threads, nt * sizeof(ls_live_thread));
		load_words(r->snap.inversions, base + fixed->off_inversions, ni * sizeof(ls_live_inversion));
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(&h->seq, __ATOMIC_RELAXED) != seq)
			continue;
		/* The static part is trusted as first read (a writer cannot move tables). */
		memcpy(&copy, fixed, offsetof(ls_live_header, seq));
		copy.n_locks = nl;
		copy.n_sites = ns;
		copy.n_threads = nt;
		copy.n_inversions = ni;
		r->snap.header = copy;
		*out = r->snap;
		return 0;
	}
	return -1;
}
