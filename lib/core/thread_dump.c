#include "config.h"

#define UNW_LOCAL_ONLY
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "core/thread_dump.h"
#include "core/tracker.h"

/* Slot arrays are mmap'd and never unmapped: a late answer from a thread
 * that was given up on may still write into an old array. */
struct slot_array {
	enum ls_dump_set set;
	size_t cap;
	ls_dump_slot **order;     /* the capture's result order */
	ls_dump_slot slots[];
};

#define MAX_ARRAYS 64

struct capture_set {
	_Atomic(struct slot_array *) array;
	_Atomic uint32_t answered;  /* futex word: answers to the current capture */
};

static struct capture_set sets[LS_DUMP_SETS];
static struct slot_array *all_arrays[MAX_ARRAYS];
static atomic_size_t n_arrays;
static ls_spinlock grow_lock = LS_SPINLOCK_INIT;
static int dump_signal;
static uintptr_t self_start, self_end;

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void futex_wait(_Atomic uint32_t *word, uint32_t seen, uint64_t timeout_ns)
{
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* ---- unwinding ----------------------------------------------------------- */

void ls_thread_dump_set_self_range(uintptr_t start, uintptr_t end)
{
	self_start = start;
	self_end = end;
}

size_t ls_unwind_context(void *ucontext, uint64_t *pcs, size_t max)
{
	unw_cursor_t cursor;
	if (!max || unw_init_local2(&cursor, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	size_t n = 0;
	do {
		unw_word_t ip = 0;
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		/* Interposer and trampoline frames say nothing the program's do
		 * not; the innermost frame stays, wherever it is. */
		if (n == 0 || ip < self_start || ip >= self_end)
			pcs[n++] = ip;
	} while (n < max && unw_step(&cursor) > 0);
	return n;
}

size_t ls_unwind_python_context(void *ucontext, uint64_t *pcs, size_t max)
{
	/* unwound deeper than kept: Python frames replace evaluation-loop
	 * frames before the stack is cut to max */
	uint64_t all[2 * LS_DUMP_MAX_FRAMES];
	size_t n = ls_unwind_context(ucontext, all, LS_ARRAY_SIZE(all));
	n = ls_pystack_merge_raw(all, n, max);
	n = n < max ? n : max;
	memcpy(pcs, all, n * sizeof *pcs);
	return n;
}

/* ---- slots ------------------------------------------------------------- */

static struct slot_array *array_containing(const void *p)
{
	size_t n = atomic_load_explicit(&n_arrays, memory_order_acquire);
	for (size_t i = 0; i < n; i++) {
		struct slot_array *a = all_arrays[i];
		const char *lo = (const char *)a->slots, *hi = (const char *)(a->slots + a->cap);
		if ((const char *)p >= lo && (const char *)p < hi &&
		    ((const char *)p - lo) % sizeof(ls_dump_slot) == 0)
			return a;
	}
	return NULL;
}

static struct slot_array *new_array(enum ls_dump_set set, size_t cap)
{
	if (atomic_load(&n_arrays) >= MAX_ARRAYS)
		return NULL;
	size_t bytes = sizeof(struct slot_array) + cap * (sizeof(ls_dump_slot) + sizeof(ls_dump_slot *));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct slot_array *a = p;
	a->set = set;
	a->cap = cap;
	a->order = (ls_dump_slot **)(a->slots + cap);
	size_t i = atomic_load(&n_arrays);
	all_arrays[i] = a;
	atomic_store_explicit(&n_arrays, i + 1, memory_order_release);
	return a;
}

void ls_thread_dump_reserve(size_t capacity)
{
	ls_spin_lock(&grow_lock);
	for (int s = 0; s < LS_DUMP_SETS; s++) {
		struct slot_array *a = atomic_load(&sets[s].array);
		if (a && a->cap >= capacity)
			continue;
		size_t cap = a ? a->cap : 64;
		while (cap < capacity)
			cap *= 2;
		struct slot_array *bigger = new_array((enum ls_dump_set)s, cap);
		if (bigger)
			atomic_store_explicit(&sets[s].array, bigger, memory_order_release);
	}
	ls_spin_unlock(&grow_lock);
}

static void on_dump_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	if (si->si_code != SI_QUEUE || si->si_pid != getpid())
		return;
	ls_dump_slot *slot = si->si_value.sival_ptr;
	struct slot_array *a = array_containing(slot);
	if (!a)
		return;
	int saved_errno = errno;
	int expected = LS_SLOT_PENDING;
	if (slot->tid == current_tid() &&
	    atomic_compare_exchange_strong(&slot->state, &expected, LS_SLOT_RUNNING)) {
		slot->n = (uint32_t)ls_unwind_python_context(uc, slot->pcs, LS_DUMP_MAX_FRAMES);
		atomic_store_explicit(&slot->state, LS_SLOT_DONE, memory_order_release);
		atomic_fetch_add(&sets[a->set].answered, 1);
		futex_wake_all(&sets[a->set].answered);
	}
	errno = saved_errno;
}

int ls_thread_dump_init(int signal, size_t capacity)
{
	/* Per-thread caches: libunwind then takes no global lock while a
	 * handler unwinds, so a thread interrupted anywhere can answer. */
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	ls_thread_dump_reserve(capacity);
	dump_signal = signal;
	if (!signal)
		return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_dump_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	return sigaction(signal, &sa, NULL);
}

void ls_thread_dump_atfork_child(void)
{
	ls_spin_reset(&grow_lock);
	for (int s = 0; s < LS_DUMP_SETS; s++) {
		struct slot_array *a = atomic_load(&sets[s].array);
		for (size_t i = 0; a && i < a->cap; i++)
			atomic_store(&a->slots[i].state, LS_SLOT_IDLE);
	}
}

/* ---- threads that block the dump signal ---------------------------------- */

char *ls_raw_put_dec(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* How long answers get before the threads that have not answered are
 * checked for a blocked dump signal, and how often again after that. */
#define BLOCKED_CHECK_NS (20 * 1000000ull)

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Does thread tid block signal sig?  From the SigBlk line of
 * /proc/self/task/TID/status (async-signal-safe: open, read, close). */
static bool blocks_signal(pid_t tid, int sig)
{
	char path[64] = "/proc/self/task/";
	char *p = ls_raw_put_dec(path + strlen(path), (uint64_t)tid);
	memcpy(p, "/status", 8);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	size_t len = 0;
	for (ssize_t n; len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0; ) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	const char *line = strstr(buf, "\nSigBlk:");
	if (!line)
		return false;
	line += strlen("\nSigBlk:");
	while (*line == ' ' || *line == '\t')
		line++;
	uint64_t mask = 0;
	for (int d; (d = hex_digit(*line)) >= 0; line++)
		mask = mask << 4 | (uint64_t)d;
	return sig >= 1 && sig <= 64 && (mask >> (sig - 1) & 1);
}

/* ---- capture ------------------------------------------------------------ */

struct capture {
	struct slot_array *a;
	size_t next_slot;
	ls_dump_result *out;
	pid_t skip_tid;
	size_t sent;
};

/* The next slot not still being written by a thread given up on earlier. */
static ls_dump_slot *claim_slot(struct capture *c)
{
	while (c->next_slot < c->a->cap) {
		ls_dump_slot *s = &c->a->slots[c->next_slot++];
		if (atomic_load(&s->state) != LS_SLOT_RUNNING)
			return s;
	}
	return NULL;
}

static void request(struct capture *c, pid_t tid, ls_thread_state *t)
{
	ls_dump_slot *s = claim_slot(c);
	if (!s) {
		c->out->omitted++;
		return;
	}
	/* Found blocking the signal last time (threads claim the same slots
	 * from one capture to the next): check again before queueing another
	 * signal it cannot take, so repeated dumps do not pile them up. */
	if (atomic_load(&s->state) == LS_SLOT_BLOCKED && s->tid == tid && blocks_signal(tid, dump_signal)) {
		s->thread = t;
		s->n = 0;
		c->a->order[c->out->n++] = s;
		return;
	}
	s->tid = tid;
	s->thread = t;
	s->n = 0;
	atomic_store_explicit(&s->state, LS_SLOT_PENDING, memory_order_release);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = dump_signal;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_ptr = s;
	if (!dump_signal || syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, dump_signal, &si) != 0) {
		/* Gone already (or no signal to ask with): listed without a stack. */
		atomic_store(&s->state, LS_SLOT_IDLE);
		if (errno == ESRCH && dump_signal)
			return;
	} else {
		c->sent++;
	}
	c->a->order[c->out->n++] = s;
}

static void request_main(ls_thread_state *t, void *ctx)
{
	struct capture *c = ctx;
	if (t->tid == getpid() && t->tid != c->skip_tid)
		request(c, t->tid, t);
}

static void request_other(ls_thread_state *t, void *ctx)
{
	struct capture *c = ctx;
	if (t->tid != getpid() && t->tid != c->skip_tid)
		request(c, t->tid, t);
}

/* Marks the signalled threads that have not answered and block the dump
 * signal; returns how many were newly marked. */
static size_t mark_blocked(struct capture *c, size_t first_signalled)
{
	size_t marked = 0;
	for (size_t i = first_signalled; i < c->out->n; i++) {
		ls_dump_slot *s = c->a->order[i];
		int pending = LS_SLOT_PENDING;
		if (atomic_load(&s->state) == LS_SLOT_PENDING && blocks_signal(s->tid, dump_signal) &&
		    atomic_compare_exchange_strong(&s->state, &pending, LS_SLOT_BLOCKED))
			marked++;
	}
	return marked;
}

/* Waits until every signalled thread answered or was found blocking the
 * signal, or the time is up. */
static void wait_answers(struct capture *c, struct capture_set *cs, size_t first_signalled, uint64_t timeout_ns)
{
	uint64_t now = ls_now_ns(), deadline = now + timeout_ns, next_check = now + BLOCKED_CHECK_NS;
	size_t blocked = 0;
	for (;;) {
		uint32_t got = atomic_load_explicit(&cs->answered, memory_order_acquire);
		now = ls_now_ns();
		if (got + blocked >= c->sent || now >= deadline)
			return;
		if (now >= next_check) {
			blocked += mark_blocked(c, first_signalled);
			next_check = now + BLOCKED_CHECK_NS;
			continue;
		}
		futex_wait(&cs->answered, got, (deadline < next_check ? deadline : next_check) - now);
	}
}

static ls_thread_state *registered(pid_t tid)
{
	ls_thread_state *t = ls_tls.state;
	return t && t->tid == tid ? t : NULL;
}

void ls_thread_dump_capture(enum ls_dump_set set, void *self_ucontext, pid_t self_tid, uint64_t timeout_ns,
			    ls_dump_result *out)
{
	struct capture_set *cs = &sets[set];
	memset(out, 0, sizeof *out);
	struct capture c = { .a = atomic_load_explicit(&cs->array, memory_order_acquire), .out = out, .skip_tid = self_tid };
	if (!c.a)
		return;
	atomic_store(&cs->answered, 0);
	if (self_ucontext) {
		ls_dump_slot *s = claim_slot(&c);
		if (s) {
			s->tid = self_tid;
			s->thread = registered(self_tid);
			s->n = (uint32_t)ls_unwind_python_context(self_ucontext, s->pcs, LS_DUMP_MAX_FRAMES);
			atomic_store(&s->state, LS_SLOT_DONE);
			c.a->order[out->n++] = s;
		}
	}
	size_t first_signalled = out->n;
	ls_thread_foreach(request_main, &c);
	ls_thread_foreach(request_other, &c);
	wait_answers(&c, cs, first_signalled, timeout_ns);
	for (size_t i = 0; i < out->n; i++) {
		int pending = LS_SLOT_PENDING;
		ls_dump_slot *s = c.a->order[i];
		if (atomic_compare_exchange_strong(&s->state, &pending, LS_SLOT_IDLE) ||
		    atomic_load(&s->state) != LS_SLOT_DONE)
			out->missed++;
		if (atomic_load(&s->state) == LS_SLOT_BLOCKED)
			out->blocked++;
	}
	out->slots = c.a->order;
}

/* ---- thread names ---------------------------------------------------------- */


void ls_thread_comm(pid_t tid, char *buf, size_t len)
{
	char path[64] = "/proc/self/task/";
	char *p = ls_raw_put_dec(path + strlen(path), (uint64_t)tid);
	memcpy(p, "/comm", 6);
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = 0;
}

/* ---- module table ----------------------------------------------------------- */

#define MAX_MODULES 512
#define MODULE_NAME_MAX 96

struct module_entry {
	uint64_t start, end, base;
	char name[MODULE_NAME_MAX];
};

struct module_table {
	size_t n;
	unsigned long long adds, subs;
	struct module_entry e[MAX_MODULES];
};

/* Double-buffered: the crash handler reads the published table while the
 * watchdog fills the other one. */
static struct module_table tables[2];
static atomic_int published = -1;
static char exe_name[MODULE_NAME_MAX];

static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	n = n < len - 1 ? n : len - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	struct module_table *t = ctx;
	t->adds = info->dlpi_adds;
	t->subs = info->dlpi_subs;
	if (t->n == MAX_MODULES)
		return 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t start = info->dlpi_addr + ph->p_vaddr;
		lo = start < lo ? start : lo;
		hi = start + ph->p_memsz > hi ? start + ph->p_memsz : hi;
	}
	if (lo >= hi)
		return 0;
	struct module_entry *m = &t->e[t->n++];
	m->start = lo;
	m->end = hi;
	m->base = info->dlpi_addr;
	const char *name = info->dlpi_name && info->dlpi_name[0] ? base_name(info->dlpi_name) : exe_name;
	copy_name(m->name, sizeof m->name, name);
	return 0;
}

bool ls_module_table_refresh(void)
{
	if (!exe_name[0]) {
		char path[512];
		ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
		path[n > 0 ? n : 0] = 0;
		copy_name(exe_name, sizeof exe_name, n > 0 ? base_name(path) : "program");
	}
	int cur = atomic_load(&published);
	struct module_table *t = &tables[cur == 0 ? 1 : 0];
	t->n = 0;
	dl_iterate_phdr(add_module, t);
	bool changed = cur < 0 || t->adds != tables[cur].adds || t->subs != tables[cur].subs;
	atomic_store_explicit(&published, cur == 0 ? 1 : 0, memory_order_release);
	return changed;
}

static const struct module_entry *module_of(uint64_t pc)
{
	int cur = atomic_load_explicit(&published, memory_order_acquire);
	if (cur < 0)
		return NULL;
	const struct module_table *t = &tables[cur];
	for (size_t i = 0; i < t->n; i++)
		if (pc >= t->e[i].start && pc < t->e[i].end)
			return &t->e[i];
	return NULL;
}

const char *ls_module_table_find(uint64_t pc, uint64_t *base)
{
	const struct module_entry *m = module_of(pc);
	if (!m)
		return NULL;
	*base = m->base;
	return m->name;
}

bool ls_module_table_extent(uint64_t pc, uint64_t *start, uint64_t *end)
{
	const struct module_entry *m = module_of(pc);
	if (!m)
		return false;
	*start = m->start;
	*end = m->end;
	return true;
}

/* ---- raw writer ------------------------------------------------------------ */

void ls_raw_flush(ls_raw_writer *w)
{
	const char *p = w->buf;
	while (w->len) {
		ssize_t n = write(w->fd, p, w->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		w->len -= (size_t)n;
	}
	w->len = 0;
}

void ls_raw_str(ls_raw_writer *w, const char *s)
{
	while (*s) {
		if (w->len == sizeof w->buf)
			ls_raw_flush(w);
		w->buf[w->len++] = *s++;
	}
}

void ls_raw_dec(ls_raw_writer *w, uint64_t v)
{
	char tmp[24];
	*ls_raw_put_dec(tmp, v) = 0;
	ls_raw_str(w, tmp);
}

void ls_raw_hex(ls_raw_writer *w, uint64_t v, unsigned min_digits)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || n < min_digits);
	char out[24] = "0x";
	size_t k = 2;
	while (n)
		out[k++] = tmp[--n];
	out[k] = 0;
	ls_raw_str(w, out);
}

/* "[python] in FUNCTION FILE:LINE", resolved here with stack buffers. */
static void raw_python_frame(ls_raw_writer *w, uint64_t word)
{
	ls_py_location loc;
	ls_raw_str(w, "[python] in ");
	if (!ls_pystack_resolve(word, &loc)) {
		ls_raw_str(w, "?? (unreadable Python frame)\n");
		return;
	}
	ls_raw_str(w, loc.function);
	ls_raw_str(w, " ");
	ls_raw_str(w, loc.file);
	if (loc.line > 0) {
		ls_raw_str(w, ":");
		ls_raw_dec(w, (uint64_t)loc.line);
	}
	ls_raw_str(w, "\n");
}

void ls_raw_stack(ls_raw_writer *w, const ls_dump_slot *slot)
{
	for (uint32_t i = 0; i < slot->n; i++) {
		uint64_t base = 0;
		ls_raw_str(w, "      #");
		ls_raw_dec(w, i);
		ls_raw_str(w, " ");
		if (ls_py_word_is_python(slot->pcs[i])) {
			raw_python_frame(w, slot->pcs[i]);
			continue;
		}
		const char *module = ls_module_table_find(slot->pcs[i], &base);
		ls_raw_hex(w, slot->pcs[i], 16);
		ls_raw_str(w, " in ");
		if (module) {
			ls_raw_str(w, "(");
			ls_raw_str(w, module);
			ls_raw_str(w, "+");
			ls_raw_hex(w, slot->pcs[i] - base, 1);
			ls_raw_str(w, ")\n");
		} else {
			ls_raw_str(w, "??\n");
		}
	}
}
