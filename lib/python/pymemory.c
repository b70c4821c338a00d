/* pymemory.c — fault-proof reads through process_vm_readv (pymemory.h). */
#include "config.h"

#include <errno.h>
#include <sys/uio.h>

#include "python/pymemory.h"

#define MAX_SPANS 16

size_t ls_py_readv(pid_t pid, const ls_py_span *spans, size_t n)
{
	if (n > MAX_SPANS)
		n = MAX_SPANS;
	struct iovec local[MAX_SPANS], remote[MAX_SPANS];
	size_t want = 0;
	for (size_t i = 0; i < n; i++) {
		if (!spans[i].addr || !spans[i].len)
			return 0;
		local[i] = (struct iovec){ spans[i].buf, spans[i].len };
		remote[i] = (struct iovec){ (void *)(uintptr_t)spans[i].addr, spans[i].len };
		want += spans[i].len;
	}
	if (!n)
		return 0;
	int saved_errno = errno;
	ssize_t got = process_vm_readv(pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
	errno = saved_errno;
	if (got < 0)
		return 0;
	if ((size_t)got == want)
		return n;
	/* Partial (a fault stops the transfer): count the spans copied whole. */
	size_t whole = 0;
	for (size_t i = 0; i < n && (size_t)got >= spans[i].len; i++) {
		got -= (ssize_t)spans[i].len;
		whole++;
	}
	return whole;
}

bool ls_py_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ls_py_span s = { addr, buf, len };
	return ls_py_readv(pid, &s, 1) == 1;
}
