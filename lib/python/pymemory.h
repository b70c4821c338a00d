/* pymemory.h — fault-proof reads of a process's memory (this one or another).
 *
 * Contract: every read goes through process_vm_readv(2), so an address that
 * is unmapped, freed or half-written yields false, never a fault.  Reading
 * this process uses its own pid (the kernel allows a thread group to read
 * itself without ptrace rights).  Async-signal-safe: one system call per
 * batch, no allocation, errno preserved.  A batch is all-or-nothing.
 */
#ifndef LOCKSCOPE_PY_MEMORY_H
#define LOCKSCOPE_PY_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ls_py_span {
	uint64_t addr;
	void *buf;
	size_t len;
} ls_py_span;

/* Reads len bytes at addr of process pid into buf. */
bool ls_py_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Reads n spans (at most 16) in one system call; returns how many leading
 * spans were read whole (a span cut short by a fault does not count). */
size_t ls_py_readv(pid_t pid, const ls_py_span *spans, size_t n);

/* Little-endian loads from a buffer read with the functions above. */
static inline uint64_t ls_py_u64(const void *buf, size_t off)
{
	uint64_t v;
	__builtin_memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}

static inline int32_t ls_py_i32(const void *buf, size_t off)
{
	int32_t v;
	__builtin_memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}

#endif
