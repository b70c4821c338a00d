/* pyframes.c — walking CPython's frame chains with fault-proof reads
 * (pyframes.h). */
#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "python/linetable.h"
#include "python/pyframes.h"
#include "python/pymemory.h"

/* Bounds on every walk: a corrupt or cyclic chain ends there. */
#define MAX_INTERPRETERS 64
#define MAX_THREAD_STATES 4096
#define MAX_FRAMES_WALKED 4096
#define MAX_STRING_CHARS 256   /* >= the longest ls_py_location string */
#define MAX_LINETABLE_BYTES (1u << 20)
#define LINETABLE_CHUNK 256
#define CODE_HEADER_MAX 512
#define FRAME_HEADER_MAX 128
#define TSTATE_HEADER_MAX 512

enum { OWNED_BY_GENERATOR = 1 };

/* This process's pid and the calling thread's id without a system call
 * each time (a syscall here costs as much as a read): the pid is updated in
 * a child after fork (pthread_atfork, registered by ls_py_self_init), and a
 * thread's cached id is only trusted under the pid it was read under. */
static _Atomic pid_t own_pid;
static __thread pid_t cached_tid __attribute__((tls_model("initial-exec")));
static __thread pid_t cached_tid_pid __attribute__((tls_model("initial-exec")));

static pid_t self_pid(void)
{
	pid_t p = atomic_load_explicit(&own_pid, memory_order_relaxed);
	return p ? p : getpid();
}

static void after_fork_in_child(void) { atomic_store(&own_pid, getpid()); }

static pid_t self_tid(void)
{
	pid_t p = self_pid();
	if (cached_tid_pid != p) {
		cached_tid = (pid_t)syscall(SYS_gettid);
		cached_tid_pid = p;
	}
	return cached_tid;
}

static pid_t pid_of(const ls_py_interp *ip) { return ip->pid ? ip->pid : self_pid(); }

static size_t max4(size_t a, size_t b, size_t c, size_t d)
{
	size_t m = a > b ? a : b;
	m = m > c ? m : c;
	return m > d ? m : d;
}

static size_t tstate_span(const ls_py_layout *l)
{
	return max4(l->tstate_next, l->tstate_cframe, l->tstate_current_frame,
		    l->tstate_thread_id > l->tstate_native_thread_id ? l->tstate_thread_id : l->tstate_native_thread_id) + 8;
}

static size_t frame_span(const ls_py_layout *l)
{
	size_t m = max4(l->frame_code, l->frame_previous, l->frame_instr, l->frame_owner) + 8;
	return l->frame_is_entry >= 0 && (size_t)l->frame_is_entry + 1 > m ? (size_t)l->frame_is_entry + 1 : m;
}

/* ---- opening ------------------------------------------------------------ */

static void version_name(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", v >> 24, v >> 16 & 0xff, v >> 8 & 0xff);
}

static enum ls_py_status unsupported(ls_py_interp *ip, const char *why)
{
	char v[32] = "";
	if (ip->version)
		version_name(ip->version, v, sizeof v);
	snprintf(ip->note, sizeof ip->note, "CPython %s: %s; native frames only (Python frames are read for 3.11 to 3.14)",
		 ip->version ? v : "(version unknown)", why);
	return ip->status = LS_PY_UNSUPPORTED;
}

enum ls_py_status ls_py_interp_open(ls_py_interp *ip, pid_t pid, uint64_t py_version, uint64_t runtime,
				    uint64_t code_type, uint64_t eval_start, uint64_t eval_size)
{
	memset(ip, 0, sizeof *ip);
	ip->pid = pid;
	if (!runtime)
		return ip->status = LS_PY_ABSENT;
	ip->runtime = runtime;
	ip->code_type = code_type;
	pid_t p = pid_of(ip);
	uint32_t v = 0;
	if (py_version && ls_py_read(p, py_version, &v, sizeof v))
		ip->version = v;
	unsigned char table[LS_PY_DEBUG_OFFSETS_MAX];
	int parsed = ls_py_read(p, runtime, table, sizeof table) ? ls_py_layout_parse(table, sizeof table, &ip->layout) : 0;
	if (parsed < 0) {
		if (!ip->version)
			ip->version = ip->layout.version;
		return unsupported(ip, "its debug offsets table has a layout this build cannot read");
	}
	if (parsed == 0) {
		if (!ip->version)
			return unsupported(ip, "older than 3.11 (no Py_Version symbol)");
		const ls_py_layout *builtin = ls_py_layout_builtin(ip->version);
		if (!builtin)
			return unsupported(ip, "version not supported");
		ip->layout = *builtin;
	} else if (!ip->version) {
		ip->version = ip->layout.version;
	}
	if (!eval_start || !eval_size)
		return unsupported(ip, "_PyEval_EvalFrameDefault not found in its symbol table");
	ip->eval_start = eval_start;
	ip->eval_end = eval_start + eval_size;
	char vs[32];
	version_name(ip->version, vs, sizeof vs);
	snprintf(ip->note, sizeof ip->note, "CPython %s: Python frames shown in place of _PyEval_EvalFrameDefault", vs);
	return ip->status = LS_PY_SUPPORTED;
}

static ls_py_interp self_interp;
static atomic_bool self_ready;

void ls_py_self_init(void)
{
	if (atomic_load(&self_ready))
		return;
	void *version = dlsym(RTLD_DEFAULT, "Py_Version");
	void *runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
	void *code_type = dlsym(RTLD_DEFAULT, "PyCode_Type");
	void *eval = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
	uint64_t eval_size = 0;
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (eval && dladdr1(eval, &info, (void **)&sym, RTLD_DL_SYMENT) && sym)
		eval_size = sym->st_size;
	atomic_store(&own_pid, getpid());
	pthread_atfork(NULL, NULL, after_fork_in_child);
	ls_py_interp_open(&self_interp, 0, (uintptr_t)version, (uintptr_t)runtime, (uintptr_t)code_type,
			  (uintptr_t)eval, eval_size);
	atomic_store_explicit(&self_ready, true, memory_order_release);
}

const ls_py_interp *ls_py_self(void)
{
	return atomic_load_explicit(&self_ready, memory_order_acquire) ? &self_interp : NULL;
}

/* ---- thread states ------------------------------------------------------ */

/* Reads a thread state's header into buf; true if it is the thread tid. */
static bool tstate_is(const ls_py_interp *ip, pid_t p, uint64_t tstate, pid_t tid, unsigned char *buf)
{
	return ls_py_read(p, tstate, buf, tstate_span(&ip->layout)) &&
	       ls_py_u64(buf, ip->layout.tstate_native_thread_id) == (uint64_t)tid;
}

/* Calls visit(tstate, header, ctx) for every thread state of every
 * interpreter (bounded), until it returns true; returns that state, or 0. */
typedef bool (*tstate_visitor)(uint64_t tstate, const unsigned char *header, void *ctx);

static uint64_t each_tstate(const ls_py_interp *ip, pid_t p, unsigned char *buf, tstate_visitor visit, void *ctx)
{
	const ls_py_layout *l = &ip->layout;
	uint64_t interp = 0;
	if (!ls_py_read(p, ip->runtime + l->runtime_interpreters_head, &interp, sizeof interp))
		return 0;
	size_t budget = MAX_THREAD_STATES;
	for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
		uint64_t head = 0, next = 0;
		ls_py_span s[2] = { { interp + l->interp_threads_head, &head, 8 }, { interp + l->interp_next, &next, 8 } };
		if (ls_py_readv(p, s, 2) != 2)
			return 0;
		for (uint64_t t = head; t && budget; budget--) {
			if (!ls_py_read(p, t, buf, tstate_span(l)))
				break;
			if (visit(t, buf, ctx))
				return t;
			t = ls_py_u64(buf, l->tstate_next);
		}
		interp = next;
	}
	return 0;
}

struct tid_query {
	const ls_py_layout *layout;
	pid_t tid;
};

static bool has_tid(uint64_t tstate, const unsigned char *header, void *ctx)
{
	(void)tstate;
	const struct tid_query *q = ctx;
	return ls_py_u64(header, q->layout->tstate_native_thread_id) == (uint64_t)q->tid;
}

/* Finds thread tid's state; its header is left in buf.  0 when none. */
static uint64_t find_tstate(const ls_py_interp *ip, pid_t p, pid_t tid, unsigned char *buf)
{
	struct tid_query q = { &ip->layout, tid };
	return each_tstate(ip, p, buf, has_tid, &q);
}

struct thread_list {
	const ls_py_layout *layout;
	ls_py_thread_ref *out;
	size_t n, max;
};

static bool list_thread(uint64_t tstate, const unsigned char *header, void *ctx)
{
	struct thread_list *list = ctx;
	if (list->n == list->max)
		return true;
	list->out[list->n++] =
		(ls_py_thread_ref){ (pid_t)ls_py_u64(header, list->layout->tstate_native_thread_id), tstate };
	return false;
}

size_t ls_py_list_threads(const ls_py_interp *ip, ls_py_thread_ref *out, size_t max)
{
	unsigned char tbuf[TSTATE_HEADER_MAX];
	if (!ip || ip->status != LS_PY_SUPPORTED || tstate_span(&ip->layout) > sizeof tbuf)
		return 0;
	struct thread_list list = { &ip->layout, out, 0, max };
	each_tstate(ip, pid_of(ip), tbuf, list_thread, &list);
	return list.n;
}

/* The calling thread's last walk: its thread state (found once by walking
 * every thread, later checked to still name this thread), the _PyCFrame
 * (3.11, 3.12) that named its current frame, and the window that frame was
 * read from (see read_ahead). */
struct self_walk {
	const ls_py_interp *ip;
	uint64_t tstate, cframe, window_start;
	size_t window_len;
};
static __thread struct self_walk self_walk __attribute__((tls_model("initial-exec")));

static uint64_t tstate_of(const ls_py_interp *ip, pid_t p, pid_t tid, unsigned char *buf)
{
	bool self = p == self_pid() && tid == self_tid();
	struct self_walk *m = &self_walk;
	if (self && m->ip == ip && m->tstate && tstate_is(ip, p, m->tstate, tid, buf))
		return m->tstate;
	uint64_t t = find_tstate(ip, p, tid, buf);
	if (self)
		*m = (struct self_walk){ .ip = ip, .tstate = t };
	return t;
}

static uint64_t current_frame(const ls_py_interp *ip, pid_t p, const unsigned char *tbuf)
{
	const ls_py_layout *l = &ip->layout;
	if (!l->tstate_cframe)
		return ls_py_u64(tbuf, l->tstate_current_frame);
	uint64_t cframe = ls_py_u64(tbuf, l->tstate_cframe), frame = 0;
	if (!cframe || !ls_py_read(p, cframe + l->cframe_current_frame, &frame, sizeof frame))
		return 0;
	return frame;
}

/* ---- frames ------------------------------------------------------------- */

struct walk {
	ls_py_raw_frame *out;
	size_t n, max;
};

/* Ends the current run: its last frame becomes the entry frame, or an
 * empty run is recorded when it has none. */
static void end_run(struct walk *w)
{
	if (w->n && !(w->out[w->n - 1].flags & LS_PY_FRAME_ENTRY))
		w->out[w->n - 1].flags |= LS_PY_FRAME_ENTRY;
	else if (w->n < w->max)
		w->out[w->n++] = (ls_py_raw_frame){ 0, 0, LS_PY_FRAME_ENTRY };
}

static uint64_t code_pointer(const ls_py_layout *l, uint64_t word)
{
	/* 3.14's _PyStackRef keeps tag bits in the low bits */
	return l->code_is_stackref ? word & ~(uint64_t)7 : word;
}

/* A copy of the memory just below the frame being read: a thread's frames
 * sit next to each other in its data stack, each caller below its callee,
 * so one read usually brings several (generators' frames live elsewhere,
 * and are then read one by one). */
#define FRAME_WINDOW 2048

struct frame_window {
	uint64_t start;          /* address of buf[0]; 0 when empty */
	size_t len;
	unsigned char buf[FRAME_WINDOW];
};

/* The span bytes of the frame at addr, from the window or read now. */
static const unsigned char *frame_bytes(struct frame_window *w, pid_t p, uint64_t addr, size_t span)
{
	if (w->start && addr >= w->start && addr + span <= w->start + w->len)
		return w->buf + (addr - w->start);
	uint64_t end = addr + span;
	w->start = end > FRAME_WINDOW && end - FRAME_WINDOW > 4096 ? end - FRAME_WINDOW : addr;
	w->len = end - w->start;
	if (w->start < addr && !ls_py_read(p, w->start, w->buf, w->len)) {
		/* The window crossed into unmapped memory (a data stack chunk
		 * starts a mapping): keep what lies on the frame's own page. */
		uint64_t page = addr & ~(uint64_t)4095;
		w->start = page > w->start ? page : addr;
		w->len = end - w->start;
		if (w->start < addr && !ls_py_read(p, w->start, w->buf, w->len))
			w->start = addr;
		if (w->start == addr)
			w->len = span;
	}
	if (w->start == addr && !ls_py_read(p, addr, w->buf, span)) {
		w->start = 0;
		return NULL;
	}
	return w->buf + (addr - w->start);
}

/* Walks the frame chain from `frame`, through `window` (empty, or filled
 * by the caller); *first (when not NULL) is left with the window the
 * innermost frame was read from. */
static size_t walk_frames_in(const ls_py_interp *ip, pid_t p, uint64_t frame, ls_py_raw_frame *out, size_t max,
			     struct frame_window *window, struct frame_window *first)
{
	const ls_py_layout *l = &ip->layout;
	struct walk w = { out, 0, max };
	size_t span = frame_span(l);
	if (span > FRAME_HEADER_MAX)
		return 0;
	for (int steps = 0; frame && steps < MAX_FRAMES_WALKED && w.n < w.max; steps++) {
		const unsigned char *fbuf = frame_bytes(window, p, frame, span);
		if (!fbuf)
			break;
		if (steps == 0 && first) {
			first->start = window->start;
			first->len = window->len;
		}
		int owner = (signed char)fbuf[l->frame_owner];
		uint64_t previous = ls_py_u64(fbuf, l->frame_previous);
		if (previous == frame)
			break;
		if (l->owner_cstack >= 0 && owner == l->owner_cstack) {
			end_run(&w);
		} else if (l->owner_interpreter < 0 || owner != l->owner_interpreter) {
			uint64_t code = code_pointer(l, ls_py_u64(fbuf, l->frame_code));
			int64_t offset = (int64_t)(ls_py_u64(fbuf, l->frame_instr) - (code + l->code_adaptive));
			/* a frame not yet started (prev_instr before the code) is left out */
			if (code && !(code & 7) && offset >= 0 && offset / 2 <= INT32_MAX)
				w.out[w.n++] = (ls_py_raw_frame){ code, (int32_t)(offset / 2), 0 };
			if (l->frame_is_entry >= 0 && fbuf[l->frame_is_entry])
				end_run(&w);
		}
		frame = previous;
	}
	return w.n;
}

static size_t walk_frames(const ls_py_interp *ip, pid_t p, uint64_t frame, ls_py_raw_frame *out, size_t max)
{
	struct frame_window window = { .start = 0 };
	return walk_frames_in(ip, p, frame, out, max, &window, NULL);
}

/* One readv of the calling thread's remembered thread state, the word of
 * its remembered _PyCFrame that names the current frame, and its
 * remembered window: a lock call usually comes from the evaluation loop
 * of the previous one, and reading these in turn takes three or more
 * system calls.  Reading them together is as exact as in turn: the thread
 * reading is the one that owns them, so nothing moves in between; the word
 * read ahead is used only when the state points at that _PyCFrame now.
 * False when the state cannot be read or no longer names this thread.
 * Otherwise tbuf holds its header, *frame the current frame when the word
 * read ahead is the current one (else 0), and the window what it read
 * (start 0 when it could not). */
static bool read_ahead(const ls_py_interp *ip, pid_t p, pid_t tid, unsigned char *tbuf,
		       struct frame_window *window, uint64_t *frame)
{
	const ls_py_layout *l = &ip->layout;
	const struct self_walk *m = &self_walk;
	*frame = 0;
	window->start = 0;
	if (m->ip != ip || !m->tstate)
		return false;
	uint64_t cframe_word = 0;
	ls_py_span spans[3];
	size_t n = 0;
	spans[n++] = (ls_py_span){ m->tstate, tbuf, tstate_span(l) };
	bool cframe_ahead = l->tstate_cframe && m->cframe;
	if (cframe_ahead)
		spans[n++] = (ls_py_span){ m->cframe + l->cframe_current_frame, &cframe_word, sizeof cframe_word };
	if (m->window_start)
		spans[n++] = (ls_py_span){ m->window_start, window->buf, m->window_len };
	size_t got = ls_py_readv(p, spans, n);
	if (got == 0 || ls_py_u64(tbuf, l->tstate_native_thread_id) != (uint64_t)tid)
		return false;
	if (!l->tstate_cframe)
		*frame = ls_py_u64(tbuf, l->tstate_current_frame);
	else if (cframe_ahead && got >= 2 && ls_py_u64(tbuf, l->tstate_cframe) == m->cframe)
		*frame = cframe_word;
	if (m->window_start && got == n) {
		window->start = m->window_start;
		window->len = m->window_len;
	}
	return true;
}

/* The calling thread's current frame (0: none), its thread state's header
 * left in tbuf, read ahead where that holds and in turn where not; the
 * window holds what was read ahead of it (start 0: nothing). */
static uint64_t self_current(const ls_py_interp *ip, pid_t p, pid_t tid, unsigned char *tbuf,
			     struct frame_window *window)
{
	uint64_t frame;
	if (!read_ahead(ip, p, tid, tbuf, window, &frame) && !tstate_of(ip, p, tid, tbuf))
		return 0;
	if (!frame)
		frame = current_frame(ip, p, tbuf);
	const ls_py_layout *l = &ip->layout;
	self_walk.cframe = l->tstate_cframe ? ls_py_u64(tbuf, l->tstate_cframe) : 0;
	return frame;
}

/* The window the current frame was read from, for the next read-ahead. */
static void remember_window(const struct frame_window *w)
{
	self_walk.window_start = w->start;
	self_walk.window_len = w->start ? w->len : 0;
}

static size_t self_frames(const ls_py_interp *ip, pid_t p, pid_t tid, ls_py_raw_frame *out, size_t max)
{
	unsigned char tbuf[TSTATE_HEADER_MAX];
	struct frame_window window, first = { .start = 0 };
	uint64_t frame = self_current(ip, p, tid, tbuf, &window);
	size_t n = walk_frames_in(ip, p, frame, out, max, &window, &first);
	remember_window(&first);
	return n;
}

size_t ls_py_thread_frames(const ls_py_interp *ip, pid_t tid, ls_py_raw_frame *out, size_t max)
{
	if (!ip || ip->status != LS_PY_SUPPORTED || !max)
		return 0;
	pid_t p = pid_of(ip);
	if (!tid)
		tid = self_tid();
	unsigned char tbuf[TSTATE_HEADER_MAX];
	if (tstate_span(&ip->layout) > sizeof tbuf)
		return 0;
	if (p == self_pid() && tid == self_tid())
		return self_frames(ip, p, tid, out, max);
	uint64_t tstate = tstate_of(ip, p, tid, tbuf);
	if (!tstate)
		return 0;
	return walk_frames(ip, p, current_frame(ip, p, tbuf), out, max);
}

size_t ls_py_tstate_frames(const ls_py_interp *ip, uint64_t tstate, ls_py_raw_frame *out, size_t max)
{
	unsigned char tbuf[TSTATE_HEADER_MAX];
	if (!ip || ip->status != LS_PY_SUPPORTED || !max || tstate_span(&ip->layout) > sizeof tbuf)
		return 0;
	pid_t p = pid_of(ip);
	if (!ls_py_read(p, tstate, tbuf, tstate_span(&ip->layout)))
		return 0;
	return walk_frames(ip, p, current_frame(ip, p, tbuf), out, max);
}

uint64_t ls_py_raw_word_of(const ls_py_raw_frame *frame, void *ctx)
{
	(void)ctx;
	return ls_py_raw_word(frame->code, frame->lasti);
}

/* ---- resolving ------------------------------------------------------------ */

/* The key of a code object from its header (cbuf, code_adaptive bytes). */
static bool code_key_from(const ls_py_interp *ip, const unsigned char *cbuf, uint64_t code, int32_t lasti,
			  ls_py_code_key *key)
{
	const ls_py_layout *l = &ip->layout;
	if (ip->code_type && ls_py_u64(cbuf, l->code_type) != ip->code_type)
		return false;
	key->code = code;
	key->lasti = lasti;
	key->qualname = ls_py_u64(cbuf, l->code_qualname);
	key->filename = ls_py_u64(cbuf, l->code_filename);
	key->linetable = ls_py_u64(cbuf, l->code_linetable);
	key->firstlineno = ls_py_i32(cbuf, l->code_firstlineno);
	/* a frame before its first traceable instruction is still being set
	 * up (cells, a new generator): not shown, as CPython does not */
	if (l->code_firsttraceable >= 0 && lasti < ls_py_i32(cbuf, (size_t)l->code_firsttraceable))
		return false;
	return key->qualname && key->filename;
}

bool ls_py_code_key_read(const ls_py_interp *ip, uint64_t code, int32_t lasti, ls_py_code_key *key)
{
	unsigned char cbuf[CODE_HEADER_MAX];
	return code && ip->layout.code_adaptive <= sizeof cbuf &&
	       ls_py_read(pid_of(ip), code, cbuf, ip->layout.code_adaptive) && code_key_from(ip, cbuf, code, lasti, key);
}

#define KEY_BATCH 8

size_t ls_py_code_keys_read(const ls_py_interp *ip, const ls_py_raw_frame *frames, size_t n, ls_py_code_key *keys,
			    bool *ok)
{
	size_t len = ip->layout.code_adaptive, good = 0;
	unsigned char cbuf[KEY_BATCH][CODE_HEADER_MAX];
	for (size_t i = 0; i < n; i++)
		ok[i] = false;
	if (len > CODE_HEADER_MAX)
		return 0;
	for (size_t first = 0; first < n; first += KEY_BATCH) {
		size_t count = n - first < KEY_BATCH ? n - first : KEY_BATCH, k = 0;
		ls_py_span spans[KEY_BATCH];
		size_t index[KEY_BATCH];
		for (size_t i = first; i < first + count; i++)
			if (frames[i].code) {
				index[k] = i;
				spans[k] = (ls_py_span){ frames[i].code, cbuf[k], len };
				k++;
			}
		size_t whole = ls_py_readv(pid_of(ip), spans, k);
		for (size_t j = 0; j < k; j++) {
			size_t i = index[j];
			/* after a span that failed, the rest are read one by one */
			ok[i] = j < whole ? code_key_from(ip, cbuf[j], frames[i].code, frames[i].lasti, &keys[i])
					  : ls_py_code_key_read(ip, frames[i].code, frames[i].lasti, &keys[i]);
			good += ok[i];
		}
	}
	return good;
}

/* Appends code point c as UTF-8 (control characters as '?'); false when
 * there is no room. */
static bool put_utf8(char *out, size_t cap, size_t *n, uint32_t c)
{
	unsigned char b[4];
	size_t k;
	if (c < 0x20 || c == 0x7f)
		c = '?';
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 63));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12);
		b[1] = (unsigned char)(0x80 | (c >> 6 & 63));
		b[2] = (unsigned char)(0x80 | (c & 63));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (c >> 18 & 7));
		b[1] = (unsigned char)(0x80 | (c >> 12 & 63));
		b[2] = (unsigned char)(0x80 | (c >> 6 & 63));
		b[3] = (unsigned char)(0x80 | (c & 63));
		k = 4;
	}
	if (*n + k >= cap)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

/* A str object (compact: the characters follow the header) into out as
 * UTF-8.  pre holds the first prelen bytes of the object when the caller
 * already read them. */
static bool read_str(const ls_py_interp *ip, uint64_t obj, const unsigned char *pre, size_t prelen, char *out,
		     size_t cap)
{
	const ls_py_layout *l = &ip->layout;
	pid_t p = pid_of(ip);
	unsigned char head[128];
	if (l->unicode_compact_size > sizeof head)
		return false;
	if (prelen < l->unicode_ascii_size) {
		if (!ls_py_read(p, obj, head, l->unicode_ascii_size))
			return false;
		pre = head;
		prelen = l->unicode_ascii_size;
	}
	uint32_t state;
	memcpy(&state, pre + l->unicode_state, sizeof state);
	unsigned kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
	uint64_t length = ls_py_u64(pre, l->unicode_length);
	if (!compact || (kind != 1 && kind != 2 && kind != 4) || length > (1u << 24))
		return false;
	size_t chars = length < cap - 1 ? (size_t)length : cap - 1;
	chars = chars < MAX_STRING_CHARS ? chars : MAX_STRING_CHARS;
	size_t data = ascii ? l->unicode_ascii_size : l->unicode_compact_size;
	size_t bytes = chars * kind;
	unsigned char tmp[MAX_STRING_CHARS * 4];
	const unsigned char *src;
	if (prelen >= data + bytes) {
		src = pre + data;
	} else {
		if (bytes && !ls_py_read(p, obj + data, tmp, bytes))
			return false;
		src = tmp;
	}
	size_t n = 0;
	for (size_t i = 0; i < chars; i++) {
		uint32_t c = kind == 1 ? src[i] : kind == 2 ? (uint32_t)(src[2 * i] | src[2 * i + 1] << 8)
						      : (uint32_t)(src[4 * i] | src[4 * i + 1] << 8 | src[4 * i + 2] << 16 |
								   (uint32_t)src[4 * i + 3] << 24);
		if (!put_utf8(out, cap, &n, c))
			break;
	}
	out[n] = 0;
	return true;
}

/* The line of lasti from the code's location table, fed in chunks. */
static int read_line(const ls_py_interp *ip, const ls_py_code_key *key, const unsigned char *pre, size_t prelen)
{
	const ls_py_layout *l = &ip->layout;
	pid_t p = pid_of(ip);
	unsigned char head[64];
	if (prelen < l->bytes_sval) {
		if (l->bytes_sval > sizeof head || !ls_py_read(p, key->linetable, head, l->bytes_sval))
			return 0;
		pre = head;
		prelen = l->bytes_sval;
	}
	uint64_t size = ls_py_u64(pre, l->bytes_size);
	if (size > MAX_LINETABLE_BYTES)
		return 0;
	ls_py_linescan scan;
	ls_py_linescan_start(&scan, key->firstlineno, (uint32_t)key->lasti);
	uint64_t done = 0;
	size_t have = prelen - l->bytes_sval;
	if (have) {
		size_t use = have < size ? have : (size_t)size;
		done = ls_py_linescan_feed(&scan, pre + l->bytes_sval, use, use == size);
	}
	unsigned char chunk[LINETABLE_CHUNK];
	for (int rounds = 0; scan.answer == LS_PY_LINE_PENDING && done < size && rounds < 8192; rounds++) {
		size_t want = size - done < sizeof chunk ? (size_t)(size - done) : sizeof chunk;
		if (!ls_py_read(p, key->linetable + l->bytes_sval + done, chunk, want))
			return 0;
		size_t used = ls_py_linescan_feed(&scan, chunk, want, done + want == size);
		if (!used && scan.answer == LS_PY_LINE_PENDING)
			return 0;   /* an entry longer than a chunk: corrupt */
		done += used;
	}
	return scan.answer > 0 ? scan.answer : 0;
}

bool ls_py_resolve_key(const ls_py_interp *ip, const ls_py_code_key *key, ls_py_location *out)
{
	const ls_py_layout *l = &ip->layout;
	/* One system call for the three objects' headers and first bytes;
	 * an object near the end of a mapping is read again on its own. */
	unsigned char qual[128 + 128], file[128 + 256], table[64 + LINETABLE_CHUNK];
	size_t qlen = l->unicode_compact_size + 128, flen = l->unicode_compact_size + 256, tlen = l->bytes_sval + LINETABLE_CHUNK;
	if (qlen > sizeof qual || flen > sizeof file || tlen > sizeof table)
		return false;
	ls_py_span s[3] = { { key->qualname, qual, qlen }, { key->filename, file, flen }, { key->linetable, table, tlen } };
	size_t whole = ls_py_readv(pid_of(ip), s, key->linetable ? 3 : 2);
	if (!read_str(ip, key->qualname, qual, whole >= 1 ? qlen : 0, out->function, sizeof out->function) ||
	    !read_str(ip, key->filename, file, whole >= 2 ? flen : 0, out->file, sizeof out->file))
		return false;
	out->line = key->linetable ? read_line(ip, key, table, whole >= 3 ? tlen : 0) : 0;
	return true;
}

bool ls_py_resolve(const ls_py_interp *ip, uint64_t code, int32_t lasti, ls_py_location *out)
{
	ls_py_code_key key;
	return ip && ip->status == LS_PY_SUPPORTED && ls_py_code_key_read(ip, code, lasti, &key) &&
	       ls_py_resolve_key(ip, &key, out);
}

/* ---- merging with a native stack ----------------------------------------- */

/* Writes the words of the run starting at py[start] into out (from *k, up
 * to max); returns where the next run starts. */
static size_t put_run(const ls_py_raw_frame *py, size_t npy, size_t start, ls_py_word_fn word, void *ctx,
		      uint64_t *out, size_t *k, size_t max)
{
	size_t end = start;
	while (end < npy && !(py[end].flags & LS_PY_FRAME_ENTRY))
		end++;
	end = end < npy ? end + 1 : npy;
	for (size_t j = start; j < end && *k < max; j++) {
		uint64_t w = py[j].code ? word(&py[j], ctx) : 0;
		if (w)
			out[(*k)++] = w;
	}
	return end;
}

size_t ls_py_merge(const ls_py_interp *ip, const uint64_t *pcs, size_t n, const ls_py_raw_frame *py, size_t npy,
		   ls_py_word_fn word, void *ctx, uint64_t *out, size_t *origin, size_t max)
{
	size_t k = 0, next_run = 0;
	for (size_t i = 0; i < n && k < max; i++) {
		/* a return address points after the call: look up the call */
		uint64_t at = i ? pcs[i] - 1 : pcs[i];
		size_t first = k;
		if (!ip || !ls_py_is_eval_pc(ip, at) || next_run >= npy) {
			out[k++] = pcs[i];
		} else {
			next_run = put_run(py, npy, next_run, word, ctx, out, &k, max);
			if (k == first)
				out[k++] = pcs[i];   /* an empty run: the native frame stays */
		}
		for (size_t j = first; origin && j < k; j++)
			origin[j] = i;
	}
	return k;
}

/* ---- argument count of the current call -------------------------------- */

/* The calling thread's current frame's first span bytes into fbuf. */
static bool self_current_frame(const ls_py_interp *ip, pid_t p, pid_t tid, unsigned char *tbuf,
			       unsigned char *fbuf, size_t span)
{
	struct frame_window window;
	uint64_t frame = self_current(ip, p, tid, tbuf, &window);
	const unsigned char *bytes = frame ? frame_bytes(&window, p, frame, span) : NULL;
	if (!bytes)
		return false;
	memcpy(fbuf, bytes, span);
	remember_window(&window);
	return true;
}

int ls_py_current_call_argc(void)
{
	const ls_py_interp *ip = ls_py_self();
	if (!ip || ip->status != LS_PY_SUPPORTED || !ip->layout.op_kind)
		return -1;
	const ls_py_layout *l = &ip->layout;
	pid_t p = self_pid(), tid = self_tid();
	unsigned char tbuf[TSTATE_HEADER_MAX], fbuf[FRAME_HEADER_MAX];
	size_t span = frame_span(l);
	if (tstate_span(l) > sizeof tbuf || span > sizeof fbuf)
		return -1;
	if (!self_current_frame(ip, p, tid, tbuf, fbuf, span))
		return -1;
	if (l->owner_cstack >= 0 && (signed char)fbuf[l->frame_owner] == l->owner_cstack)
		return -1;  /* between frames: no Python call in progress */
	uint64_t start = code_pointer(l, ls_py_u64(fbuf, l->frame_code)) + l->code_adaptive;
	uint64_t instr = ls_py_u64(fbuf, l->frame_instr);
	if (instr < start || (instr - start) & 1)
		return -1;
	/* the instruction and, when there is one, the code unit before it
	 * (an EXTENDED_ARG prefix holds the oparg's high byte) */
	unsigned char units[4] = { 0 };
	bool has_prefix = instr >= start + 2;
	if (!ls_py_read(p, has_prefix ? instr - 2 : instr, has_prefix ? units : units + 2, has_prefix ? 4 : 2))
		return -1;
	switch (l->op_kind[units[2]]) {
	case LS_PY_OP_WITH:
		return 0;
	case LS_PY_OP_CALL:
		if (has_prefix && l->op_kind[units[0]] == LS_PY_OP_EXTENDED_ARG)
			return units[3] | units[1] << 8;
		return units[3];
	default:
		return -1;
	}
}
