/* symcache.c — persistent symbolization results per build ID (symcache.h).
 *
 * File format (text, so a reader can inspect it):
 *   lockscope-symcache 1
 *   build-id HEX
 *   mode lines|names
 *   dwarf 0|1
 *   then per cached address:   OFFSET_HEX r|a N
 *   followed by N frame lines:  INLINED<TAB>LINE<TAB>FUNCTION<TAB>FILE
 *   checksum HEX   (FNV-1a 64 of every byte before this line)
 * Anything that does not parse exactly, or fails the checksum, is dropped
 * whole: a cache must never change what the symbolizer would say.
 */
#include "config.h"

#include "symbols/symcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/lockscope_internal.h"

#define FORMAT_TAG "lockscope-symcache 1"
#define MAX_FILE_BYTES (16u << 20)
#define MAX_ENTRIES (1u << 16)
#define MAX_FRAMES_PER_ENTRY 64
/* Files kept in the directory; older ones are removed on save. */
#define MAX_FILES 128

struct entry {
	uint64_t offset;
	bool is_return_address;
	ls_frame *frames;
	size_t n;
};

struct ls_symcache {
	char name[160];     /* file name: BUILDID.MODE */
	char build_id[130]; /* hex */
	char mode[8];
	bool had_dwarf;
	bool dirty;
	struct entry *entries;
	size_t n_entries, cap_entries;
	size_t *index; /* open addressing over entries; SIZE_MAX = empty */
	size_t index_cap;
};

/* ---- directory ------------------------------------------------------- */

char *ls_symcache_default_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *path = NULL;
	/* The XDG spec says relative values are to be ignored. */
	if (xdg && xdg[0] == '/') {
		if (asprintf(&path, "%s/lockscope", xdg) < 0)
			return NULL;
		return path;
	}
	const char *home = getenv("HOME");
	if (!home || home[0] != '/')
		return NULL;
	if (asprintf(&path, "%s/.cache/lockscope", home) < 0)
		return NULL;
	return path;
}

/* A directory we may trust with our files: ours, private, not a symlink. */
static int open_private_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the cache directory may be created at path: the nearest folder
 * on its way that exists belongs to the effective user or to root.  A root
 * program run with another user's HOME must not plant root-owned folders
 * in that home; a user's cache under /tmp is fine. */
static bool may_create_under(const char *path)
{
	char at[PATH_MAX];
	struct stat st;
	if (strlen(path) >= sizeof at)
		return false;
	strcpy(at, path);
	for (;;) {
		if (stat(at, &st) == 0)
			return st.st_uid == geteuid() || st.st_uid == 0;
		char *slash = strrchr(at, '/');
		if (!slash || slash == at)
			return false;
		*slash = '\0';
	}
}

int ls_symcache_open_dir(const char *path)
{
	if (!path || path[0] != '/' || !may_create_under(path))
		return -1;
	char *parent = strdup(path);
	if (!parent)
		return -1;
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		/* ~/.cache itself may not exist yet; its mode is the user's business. */
		if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return open_private_dir(path);
}

/* ---- in-memory table ------------------------------------------------- */

static void free_frames(ls_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(frames[i].function);
		free(frames[i].file);
		free(frames[i].module);
	}
	free(frames);
}

static size_t slot_of(const ls_symcache *c, uint64_t offset, bool is_return_address)
{
	return (size_t)ls_hash64(offset * 2 + is_return_address) & (c->index_cap - 1);
}

static bool index_rebuild(ls_symcache *c, size_t cap)
{
	size_t *index = malloc(cap * sizeof *index);
	if (!index)
		return false;
	for (size_t i = 0; i < cap; i++)
		index[i] = SIZE_MAX;
	free(c->index);
	c->index = index;
	c->index_cap = cap;
	for (size_t e = 0; e < c->n_entries; e++) {
		size_t i = slot_of(c, c->entries[e].offset, c->entries[e].is_return_address);
		while (index[i] != SIZE_MAX)
			i = (i + 1) & (cap - 1);
		index[i] = e;
	}
	return true;
}

const ls_frame *ls_symcache_find(const ls_symcache *c, uint64_t offset, bool is_return_address, size_t *n)
{
	if (!c || !c->index_cap)
		return NULL;
	for (size_t i = slot_of(c, offset, is_return_address);; i = (i + 1) & (c->index_cap - 1)) {
		if (c->index[i] == SIZE_MAX)
			return NULL;
		const struct entry *e = &c->entries[c->index[i]];
		if (e->offset == offset && e->is_return_address == is_return_address) {
			*n = e->n;
			return e->frames;
		}
	}
}

/* Takes ownership of frames (freed on failure). */
static bool insert_entry(ls_symcache *c, uint64_t offset, bool is_return_address, ls_frame *frames, size_t n)
{
	if (c->n_entries >= MAX_ENTRIES)
		goto fail;
	if ((c->n_entries + 1) * 2 > c->index_cap && !index_rebuild(c, c->index_cap ? c->index_cap * 2 : 64))
		goto fail;
	if (c->n_entries == c->cap_entries) {
		size_t cap = c->cap_entries ? c->cap_entries * 2 : 32;
		struct entry *grown = realloc(c->entries, cap * sizeof *grown);
		if (!grown)
			goto fail;
		c->entries = grown;
		c->cap_entries = cap;
	}
	size_t e = c->n_entries++;
	c->entries[e] = (struct entry){ offset, is_return_address, frames, n };
	size_t i = slot_of(c, offset, is_return_address);
	while (c->index[i] != SIZE_MAX)
		i = (i + 1) & (c->index_cap - 1);
	c->index[i] = e;
	return true;
fail:
	free_frames(frames, n);
	return false;
}

/* Names with a tab or newline would break the line format: not cached. */
static bool storable(const char *text)
{
	return !text || !text[strcspn(text, "\t\n")];
}

void ls_symcache_add(ls_symcache *c, uint64_t offset, bool is_return_address,
		     const ls_frame *frames, size_t n)
{
	size_t found;
	if (!c || n == 0 || n > MAX_FRAMES_PER_ENTRY || ls_symcache_find(c, offset, is_return_address, &found))
		return;
	for (size_t i = 0; i < n; i++)
		if (!storable(frames[i].function) || !storable(frames[i].file))
			return;
	ls_frame *copy = calloc(n, sizeof *copy);
	if (!copy)
		return;
	for (size_t i = 0; i < n; i++) {
		copy[i].function = ls_strdup_or_null(frames[i].function);
		copy[i].file = ls_strdup_or_null(frames[i].file);
		copy[i].line = frames[i].line;
		copy[i].inlined = frames[i].inlined;
		if ((frames[i].function && !copy[i].function) || (frames[i].file && !copy[i].file)) {
			free_frames(copy, n);
			return;
		}
	}
	if (insert_entry(c, offset, is_return_address, copy, n))
		c->dirty = true;
}

static void clear_entries(ls_symcache *c)
{
	for (size_t e = 0; e < c->n_entries; e++)
		free_frames(c->entries[e].frames, c->entries[e].n);
	free(c->entries);
	free(c->index);
	c->entries = NULL;
	c->index = NULL;
	c->n_entries = c->cap_entries = c->index_cap = 0;
}

void ls_symcache_reset(ls_symcache *c)
{
	clear_entries(c);
	c->dirty = true;
}

bool ls_symcache_had_dwarf(const ls_symcache *c)
{
	return c->had_dwarf;
}

void ls_symcache_set_dwarf(ls_symcache *c, bool had_dwarf)
{
	if (c->had_dwarf != had_dwarf)
		c->dirty = true;
	c->had_dwarf = had_dwarf;
}

void ls_symcache_free(ls_symcache *c)
{
	if (!c)
		return;
	clear_entries(c);
	free(c);
}

/* ---- reading --------------------------------------------------------- */

static uint64_t fnv1a(const char *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The next '\n'-terminated line, NUL-terminated in place; NULL at the end
 * or on a last line without its newline. */
static char *next_line(char **cursor, char *end)
{
	char *line = *cursor;
	char *nl = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
	if (!nl)
		return NULL;
	*nl = '\0';
	*cursor = nl + 1;
	return line;
}

/* "I\tLINE\tFUNCTION\tFILE" */
static bool parse_frame(char *line, ls_frame *f)
{
	char *fields[4];
	for (int i = 0; i < 4; i++) {
		fields[i] = line;
		char *tab = i < 3 ? strchr(line, '\t') : NULL;
		if (i < 3 && !tab)
			return false;
		if (tab) {
			*tab = '\0';
			line = tab + 1;
		}
	}
	if (strcmp(fields[0], "0") && strcmp(fields[0], "1"))
		return false;
	char *end;
	long lineno = strtol(fields[1], &end, 10);
	if (*end || end == fields[1] || lineno < 0 || lineno > INT32_MAX)
		return false;
	f->inlined = fields[0][0] == '1';
	f->line = (int)lineno;
	f->function = fields[2][0] ? strdup(fields[2]) : NULL;
	f->file = fields[3][0] ? strdup(fields[3]) : NULL;
	return (!fields[2][0] || f->function) && (!fields[3][0] || f->file);
}

static bool parse_entry(ls_symcache *c, char *head, char **cursor, char *end)
{
	unsigned long long offset;
	char kind;
	unsigned n;
	int used = 0;
	if (sscanf(head, "%llx %c %u%n", &offset, &kind, &n, &used) != 3 || head[used] ||
	    (kind != 'r' && kind != 'a') || n == 0 || n > MAX_FRAMES_PER_ENTRY)
		return false;
	ls_frame *frames = calloc(n, sizeof *frames);
	if (!frames)
		return false;
	for (unsigned i = 0; i < n; i++) {
		char *line = next_line(cursor, end);
		if (!line || !parse_frame(line, &frames[i])) {
			free_frames(frames, n);
			return false;
		}
	}
	size_t dup;
	if (ls_symcache_find(c, offset, kind == 'r', &dup)) {
		free_frames(frames, n);
		return false;
	}
	return insert_entry(c, offset, kind == 'r', frames, n);
}

/* Parses buf[0..len) (modified in place); false if anything is off. */
static bool parse_file(ls_symcache *c, char *buf, size_t len)
{
	static const char mark[] = "checksum ";
	/* The checksum line is the last line. */
	if (len < 2 || buf[len - 1] != '\n')
		return false;
	char *last = buf + len - 1;
	while (last > buf && last[-1] != '\n')
		last--;
	unsigned long long sum;
	int used = 0;
	if (strncmp(last, mark, sizeof mark - 1) ||
	    sscanf(last + sizeof mark - 1, "%16llx\n%n", &sum, &used) != 1 ||
	    last + sizeof mark - 1 + used != buf + len || sum != fnv1a(buf, (size_t)(last - buf)))
		return false;

	char *cursor = buf, *end = last;
	char expect[200];
	const char *header[] = { FORMAT_TAG, "build-id", "mode" };
	const char *values[] = { NULL, c->build_id, c->mode };
	for (size_t i = 0; i < LS_ARRAY_SIZE(header); i++) {
		char *line = next_line(&cursor, end);
		if (values[i])
			snprintf(expect, sizeof expect, "%s %s", header[i], values[i]);
		else
			snprintf(expect, sizeof expect, "%s", header[i]);
		if (!line || strcmp(line, expect))
			return false;
	}
	char *dwarf = next_line(&cursor, end);
	if (!dwarf || (strcmp(dwarf, "dwarf 0") && strcmp(dwarf, "dwarf 1")))
		return false;
	c->had_dwarf = dwarf[6] == '1';
	while (cursor < end) {
		char *head = next_line(&cursor, end);
		if (!head || !parse_entry(c, head, &cursor, end))
			return false;
	}
	return true;
}

/* Reads a regular file of ours, not through a symlink, within the bound. */
static char *read_cache_file(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    st.st_size > 0 && (uint64_t)st.st_size <= MAX_FILE_BYTES &&
	    (buf = malloc((size_t)st.st_size + 1))) {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		buf[got] = '\0';
		*len = got;
	}
	close(fd);
	return buf;
}

ls_symcache *ls_symcache_load(int dirfd, const unsigned char *build_id, size_t len, const char *mode)
{
	ls_symcache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (len == 0 || len > 64 || strlen(mode) >= sizeof c->mode) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		snprintf(c->build_id + 2 * i, 3, "%02x", build_id[i]);
	snprintf(c->mode, sizeof c->mode, "%s", mode);
	snprintf(c->name, sizeof c->name, "%s.%s", c->build_id, c->mode);
	if (dirfd < 0)
		return c;
	size_t size = 0;
	char *buf = read_cache_file(dirfd, c->name, &size);
	if (buf && !parse_file(c, buf, size)) {
		/* Corrupt or foreign: start over and replace it on save. */
		clear_entries(c);
		c->had_dwarf = false;
		c->dirty = true;
	}
	free(buf);
	return c;
}

/* ---- writing --------------------------------------------------------- */

static void write_entries(const ls_symcache *c, FILE *out)
{
	fprintf(out, FORMAT_TAG "\nbuild-id %s\nmode %s\ndwarf %d\n", c->build_id, c->mode, c->had_dwarf);
	for (size_t e = 0; e < c->n_entries; e++) {
		const struct entry *en = &c->entries[e];
		fprintf(out, "%" PRIx64 " %c %zu\n", en->offset, en->is_return_address ? 'r' : 'a', en->n);
		for (size_t i = 0; i < en->n; i++) {
			const ls_frame *f = &en->frames[i];
			fprintf(out, "%d\t%d\t%s\t%s\n", f->inlined, f->line, f->function ? f->function : "",
				f->file ? f->file : "");
		}
	}
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* A fresh 0600 temporary file in dirfd (O_EXCL: never an existing one). */
static int create_temp(int dirfd, char *name, size_t size)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(name, size, ".tmp.%d.%lx", (int)getpid(),
			 (unsigned long)ls_hash64((uint64_t)ts.tv_nsec ^ ((uint64_t)attempt << 40)));
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

struct aged_file {
	char name[256];
	struct timespec mtime;
};

static int older_first(const void *a, const void *b)
{
	const struct aged_file *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) - (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

static bool is_cache_file_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return name[0] != '.' && dot && (!strcmp(dot, ".lines") || !strcmp(dot, ".names"));
}

/* Keeps at most MAX_FILES cache files: removes the least recently written. */
static void trim_directory(int dirfd)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct aged_file *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	while ((d = readdir(dir))) {
		struct stat st;
		if (!is_cache_file_name(d->d_name) || strlen(d->d_name) >= sizeof files->name ||
		    fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct aged_file *grown = realloc(files, cap * sizeof *grown);
			if (!grown)
				break;
			files = grown;
		}
		snprintf(files[n].name, sizeof files[n].name, "%s", d->d_name);
		files[n++].mtime = st.st_mtim;
	}
	closedir(dir);
	if (n > MAX_FILES) {
		qsort(files, n, sizeof *files, older_first);
		for (size_t i = 0; i < n - MAX_FILES; i++)
			unlinkat(dirfd, files[i].name, 0);
	}
	free(files);
}

int ls_symcache_save(ls_symcache *c, int dirfd)
{
	if (!c || !c->dirty)
		return 0;
	if (dirfd < 0) {
		errno = EBADF;
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return -1;
	write_entries(c, out);
	if (fflush(out) != 0) {
		fclose(out);
		free(text);
		return -1;
	}
	fprintf(out, "checksum %016llx\n", (unsigned long long)fnv1a(text, len));
	int rc = fclose(out);
	char temp[64];
	int fd = rc == 0 && len <= MAX_FILE_BYTES ? create_temp(dirfd, temp, sizeof temp) : -1;
	if (fd < 0) {
		free(text);
		return -1;
	}
	rc = write_all(fd, text, len);
	free(text);
	if (close(fd) != 0)
		rc = -1;
	/* rename replaces whatever is there (even a symlink) without following it. */
	if (rc != 0 || renameat(dirfd, temp, dirfd, c->name) != 0) {
		int saved = errno;
		unlinkat(dirfd, temp, 0);
		errno = saved;
		return -1;
	}
	c->dirty = false;
	trim_directory(dirfd);
	return 0;
}
