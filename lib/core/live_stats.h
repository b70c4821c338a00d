/* live_stats.h — live statistics in shared memory: layout, publisher, reader.
 *
 * Contract: a preloaded process with live statistics on owns one file,
 * /dev/shm/lockscope-PID (mode 0600, created O_EXCL|O_NOFOLLOW, removed at
 * exit).  It starts with a versioned header (magic, version, capacities and
 * offsets of each table) followed by fixed-capacity tables of locks, call
 * sites, threads and lock-order inversions.  A table that cannot hold
 * everything keeps the costliest entries and says how many existed
 * (total_* against n_*).
 *
 * One publisher (a thread in the program) rewrites the tables from the
 * core's state, bracketed by a sequence counter (odd while writing); every
 * word is stored and loaded atomically.  Readers (`lockscope top`, in
 * another process) copy the tables and retry if the counter moved, a bounded
 * number of times: neither side ever waits for the other.  A reader asks
 * for a fresh publication by bumping `request` and waking the futex on it;
 * without requests the publisher refreshes once a second.  Addresses are
 * published raw: the reader symbolizes them against the process.
 */
#ifndef LOCKSCOPE_LIVE_STATS_H
#define LOCKSCOPE_LIVE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LS_LIVE_MAGIC 0x3145564c4353534cULL /* "LSSCLVE1" */
#define LS_LIVE_VERSION 2
#define LS_LIVE_SITE_FRAMES 6
#define LS_LIVE_HELD 8
#define LS_LIVE_CYCLE 8
#define LS_LIVE_HIST 32

/* Record layouts: only 64-bit words, so each can be copied word by word. */
typedef struct ls_live_lock {
	uint64_t id, addr, kind, inited, owner_tid, waiters, init_pc;
	uint64_t acquisitions, contended, wait_ns, max_wait_ns, hold_ns, max_hold_ns;
	uint64_t wait_hist[LS_LIVE_HIST];
} ls_live_lock;

typedef struct ls_live_site {
	uint64_t lock_id, lock_addr, lock_kind, site, n_frames;
	uint64_t frames[LS_LIVE_SITE_FRAMES];
	uint64_t acquisitions, contended, wait_ns, max_wait_ns, hold_ns, blamed_wait_ns;
} ls_live_site;

enum ls_live_thread_state {
	LS_LIVE_RUNNING, LS_LIVE_WAIT_LOCK, LS_LIVE_WAIT_COND, LS_LIVE_WAIT_JOIN,
	LS_LIVE_WAIT_SIGNAL,   /* on a semaphore used as a signal (wait_object: the semaphore) */
	LS_LIVE_WAIT_BARRIER   /* wait_object: the barrier */
};

typedef struct ls_live_thread {
	uint64_t tid, state, wait_object, wait_mode, wait_since_ns, wait_owner_tid;
	uint64_t acquisitions, contended, wait_ns;
	uint64_t n_held;                      /* may exceed LS_LIVE_HELD */
	uint64_t held_addr[LS_LIVE_HELD];
	uint64_t held_mode[LS_LIVE_HELD];
	uint64_t held_site[LS_LIVE_HELD];
} ls_live_thread;

typedef struct ls_live_edge {
	uint64_t tid, from_addr, to_addr, from_kind, to_kind, acquire_pc;
} ls_live_edge;

typedef struct ls_live_inversion {
	uint64_t n_edges;                     /* may exceed LS_LIVE_CYCLE */
	ls_live_edge edges[LS_LIVE_CYCLE];
} ls_live_inversion;

typedef struct ls_live_header {
	/* static, written once before the file is visible */
	uint64_t magic, version, header_size, total_size, pid, start_ns;
	uint64_t cap_locks, cap_sites, cap_threads, cap_inversions;
	uint64_t off_locks, off_sites, off_threads, off_inversions;
	uint64_t hold_time;
	char program[256];
	/* dynamic */
	uint64_t seq;            /* odd while a publication is being written */
	uint64_t publications, published_ns;
	uint64_t exited;         /* 1 once the final publication is written */
	uint64_t n_locks, n_sites, n_threads, n_inversions;
	uint64_t total_locks, total_sites, total_threads, total_inversions;
	uint64_t site_overflow;  /* lookups the core's site table had no room for (ls_site_overflow) */
	uint64_t loop_stalls;    /* event-loop stalls reported so far (loop_watch.h) */
	uint64_t loop_stalls_now;/* of those, still lasting */
	uint32_t request;        /* futex word: readers bump it to ask for a publication */
	uint32_t pad;
} ls_live_header;

typedef struct ls_live_capacity { size_t locks, sites, threads, inversions; } ls_live_capacity;

/* The file size for these capacities. */
size_t ls_live_size(const ls_live_capacity *cap);
/* Writes the header of a fresh region of ls_live_size(cap) bytes. */
void ls_live_init(void *base, const ls_live_capacity *cap, pid_t pid, const char *program, bool hold_time);
/* Publishes the core's current state (this process) into the region;
 * `final` marks it as the last one (the program is exiting).  Allocates
 * (malloc) scratch space: call it from an ordinary thread. */
void ls_live_publish(void *base, bool final);

/* The path of the file of pid. */
void ls_live_path(pid_t pid, char *buf, size_t len);

/* ---- reader ---------------------------------------------------------- */
typedef struct ls_live_snapshot {
	ls_live_header header;
	ls_live_lock *locks;
	ls_live_site *sites;
	ls_live_thread *threads;
	ls_live_inversion *inversions;
} ls_live_snapshot;

typedef struct ls_live_reader ls_live_reader;

/* Opens the live statistics of pid: fails (NULL, reason in err) when there
 * is none, it belongs to another user, or its version is newer. */
ls_live_reader *ls_live_open(pid_t pid, char *err, size_t errlen);
/* Opens a region already mapped (tests). */
ls_live_reader *ls_live_open_region(void *base, size_t size);
void ls_live_close(ls_live_reader *r);
/* Asks the publisher for a fresh publication (never waits). */
void ls_live_request(ls_live_reader *r);
/* Copies a consistent publication into *out (buffers owned by the reader,
 * valid until the next call).  Returns 0, or -1 if none could be read
 * whole (nothing published yet, or it kept changing). */
int ls_live_read(ls_live_reader *r, ls_live_snapshot *out);

#endif
