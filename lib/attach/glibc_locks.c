/* glibc_locks.c — decoding glibc 2.36 mutexes and rwlocks of another process. */
#include "config.h"

#include "attach/glibc_locks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "core/lockscope_internal.h"

/* glibc-internal __kind bits (nptl/pthreadP.h), not in public headers. */
#define MUTEX_KIND_MASK 3
#define MUTEX_ROBUST 16
#define MUTEX_PRIO_INHERIT 32
#define MUTEX_PRIO_PROTECT 64
#define MUTEX_PSHARED 128
#define FUTEX_TID_MASK 0x3fffffffu

/* futex(2) operations, without FUTEX_PRIVATE_FLAG / FUTEX_CLOCK_REALTIME. */
#define FUTEX_CMD_MASK 127
enum { OP_WAIT = 0, OP_LOCK_PI = 6, OP_WAIT_BITSET = 9, OP_WAIT_REQUEUE_PI = 11, OP_LOCK_PI2 = 13 };

#define RWLOCK_SIZE 56
static const long rwlock_read_fields[] = { 8, 0 };   /* __wrphase_futex, __readers */
static const long rwlock_write_fields[] = { 12, 8 }; /* __writers_futex, __wrphase_futex */

bool ls_is_futex_wait(long syscall_nr, const uint64_t args[6])
{
	if (syscall_nr != SYS_futex)
		return false;
	switch (args[1] & FUTEX_CMD_MASK) {
	case OP_WAIT:
	case OP_WAIT_BITSET:
	case OP_LOCK_PI:
	case OP_LOCK_PI2:
	case OP_WAIT_REQUEUE_PI:
		return true;
	default:
		return false;
	}
}

struct wait_pattern {
	const char *substring;
	ls_wait_kind kind;
};

/* Matched against each frame's function, innermost first; the first frame
 * matching any pattern decides (so a condvar wait re-locking its mutex is
 * a mutex wait).  Substrings cover glibc's internal aliases
 * (___pthread_mutex_lock, __pthread_rwlock_wrlock_full64, ...). */
static const struct wait_pattern wait_patterns[] = {
	/* glibc's own int locks (stack cache, loader, stdio): no pthread_mutex_t */
	{ "__lll_lock_wait_private", LS_WAIT_INTERNAL_LOCK },
	{ "__lll_lock_wait", LS_WAIT_MUTEX },
	{ "pthread_mutex_lock", LS_WAIT_MUTEX },
	{ "pthread_mutex_timedlock", LS_WAIT_MUTEX },
	{ "pthread_mutex_clocklock", LS_WAIT_MUTEX },
	{ "pthread_mutex_cond_lock", LS_WAIT_MUTEX },
	{ "mtx_lock", LS_WAIT_MUTEX },
	{ "mtx_timedlock", LS_WAIT_MUTEX },
	{ "rwlock_rdlock", LS_WAIT_RWLOCK_READ },
	{ "rwlock_timedrdlock", LS_WAIT_RWLOCK_READ },
	{ "rwlock_clockrdlock", LS_WAIT_RWLOCK_READ },
	{ "rwlock_wrlock", LS_WAIT_RWLOCK_WRITE },
	{ "rwlock_timedwrlock", LS_WAIT_RWLOCK_WRITE },
	{ "rwlock_clockwrlock", LS_WAIT_RWLOCK_WRITE },
	{ "pthread_cond_wait", LS_WAIT_CONDVAR },
	{ "pthread_cond_timedwait", LS_WAIT_CONDVAR },
	{ "pthread_cond_clockwait", LS_WAIT_CONDVAR },
	{ "cnd_wait", LS_WAIT_CONDVAR },
	{ "cnd_timedwait", LS_WAIT_CONDVAR },
	{ "pthread_join", LS_WAIT_JOIN },
	{ "pthread_timedjoin", LS_WAIT_JOIN },
	{ "pthread_clockjoin", LS_WAIT_JOIN },
	{ "thrd_join", LS_WAIT_JOIN },
};

ls_wait_kind ls_glibc_wait_kind(const ls_stack *stack)
{
	for (size_t i = 0; i < stack->n; i++) {
		const char *fn = stack->frames[i].function;
		if (!fn)
			continue;
		for (size_t p = 0; p < LS_ARRAY_SIZE(wait_patterns); p++)
			if (strstr(fn, wait_patterns[p].substring))
				return wait_patterns[p].kind;
	}
	return LS_WAIT_OTHER_FUTEX;
}

const char *ls_wait_kind_state(ls_wait_kind kind)
{
	switch (kind) {
	case LS_WAIT_MUTEX:
		return "waiting for lock";
	case LS_WAIT_RWLOCK_READ:
		return "waiting for read lock";
	case LS_WAIT_RWLOCK_WRITE:
		return "waiting for write lock";
	case LS_WAIT_CONDVAR:
		return "in condition wait";
	case LS_WAIT_JOIN:
		return "joining a thread";
	case LS_WAIT_INTERNAL_LOCK:
		return "waiting for a glibc-internal lock";
	case LS_WAIT_OTHER_FUTEX:
		return "in futex wait";
	case LS_WAIT_NONE:
		break;
	}
	return "not waiting";
}

static int32_t load_i32(const unsigned char *p)
{
	int32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t load_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

void ls_glibc_decode_mutex(const unsigned char raw[40], ls_glibc_mutex *out)
{
	static const char *const types[] = { "normal", "recursive", "errorcheck", "adaptive" };
	memset(out, 0, sizeof *out);
	out->lock = load_i32(raw + 0);
	out->count = load_u32(raw + 4);
	out->owner_field = load_i32(raw + 8);
	out->kind = load_i32(raw + 16);
	out->type = types[out->kind & MUTEX_KIND_MASK];
	out->robust = out->kind & MUTEX_ROBUST;
	out->pi = out->kind & MUTEX_PRIO_INHERIT;
	out->pp = out->kind & MUTEX_PRIO_PROTECT;
	out->pshared = out->kind & MUTEX_PSHARED;
	if (out->robust || out->pi)
		out->owner_tid = (uint32_t)out->lock & FUTEX_TID_MASK;
	else if (out->owner_field > 0)
		out->owner_tid = (uint64_t)out->owner_field;
}

static int read_remote(pid_t pid, uint64_t address, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)address, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EFAULT;
	return -1;
}

int ls_glibc_read_mutex(pid_t pid, uint64_t address, ls_glibc_mutex *out)
{
	unsigned char raw[40];
	if (read_remote(pid, address, raw, sizeof raw) != 0)
		return -1;
	ls_glibc_decode_mutex(raw, out);
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void ls_glibc_decode_rwlock(const unsigned char raw[56], ls_glibc_rwlock *out)
{
	out->readers = load_u32(raw + 0);
	out->writers = load_u32(raw + 4);
	out->wrphase_futex = load_u32(raw + 8);
	out->writers_futex = load_u32(raw + 12);
	out->cur_writer = load_i32(raw + 24);
	out->shared = load_i32(raw + 28);
	out->flags = load_u32(raw + 48);
	/* pthread_rwlock_init and PTHREAD_RWLOCK_INITIALIZER zero the padding;
	 * the futex words only use their low bits (value | FUTEX_USED). */
	out->plausible = all_zero(raw + 16, 8) && all_zero(raw + 33, 15) &&
			 all_zero(raw + 52, 4) && out->flags <= 2 &&
			 (out->shared == 0 || out->shared == 1) && out->cur_writer >= 0 &&
			 out->wrphase_futex <= 3 && out->writers_futex <= 3;
}

int ls_glibc_find_rwlock(pid_t pid, uint64_t futex, ls_wait_kind kind, long known_offset,
			 uint64_t *base, ls_glibc_rwlock *out)
{
	const long *fields = kind == LS_WAIT_RWLOCK_WRITE ? rwlock_write_fields : rwlock_read_fields;
	size_t n = kind == LS_WAIT_RWLOCK_WRITE ? LS_ARRAY_SIZE(rwlock_write_fields)
						: LS_ARRAY_SIZE(rwlock_read_fields);
	bool offset_is_a_field = false;
	for (size_t i = 0; i < n; i++)
		offset_is_a_field |= known_offset == fields[i];
	if (!offset_is_a_field)
		known_offset = -1; /* e.g. an rwlock inside a larger named struct */
	for (size_t i = 0; i < n; i++) {
		if (known_offset >= 0 && known_offset != fields[i])
			continue;
		if (futex < (uint64_t)fields[i])
			continue;
		unsigned char raw[RWLOCK_SIZE];
		uint64_t candidate = futex - (uint64_t)fields[i];
		if (read_remote(pid, candidate, raw, sizeof raw) != 0)
			continue;
		ls_glibc_decode_rwlock(raw, out);
		if (out->plausible || known_offset >= 0) {
			*base = candidate;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

size_t ls_find_wait_cycles(const size_t *next, size_t n, size_t *cycle_of)
{
	/* visit[i]: 0 unvisited, else 1 + the start of the walk that reached it */
	size_t *visit = calloc(n ? n : 1, sizeof *visit);
	if (!visit)
		return SIZE_MAX;
	size_t cycles = 0;
	for (size_t i = 0; i < n; i++)
		cycle_of[i] = SIZE_MAX;
	for (size_t start = 0; start < n; start++) {
		size_t v = start;
		while (v < n && !visit[v]) {
			visit[v] = start + 1;
			v = next[v];
		}
		/* Reaching a thread first seen on this very walk closes a cycle. */
		if (v < n && visit[v] == start + 1 && cycle_of[v] == SIZE_MAX) {
			size_t u = v;
			do {
				cycle_of[u] = cycles;
				u = next[u];
			} while (u != v);
			cycles++;
		}
	}
	free(visit);
	return cycles;
}
