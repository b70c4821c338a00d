/* symbolize.c — addresses to functions, files, lines (libdwfl), with a
 * per-address cache.  ELF symbol names come from symindex.h: libdwfl's
 * choice, without its scan of the whole symbol table per lookup.
 *
 * Debug information is looked up locally only (find_local_debuginfo below):
 * the file itself, /usr/lib/debug/.build-id/NN/REST.debug, then the
 * .gnu_debuglink name next to the file, in its .debug/ directory and under
 * /usr/lib/debug.  The libdwfl standard callbacks are not used because they
 * fall back to debuginfod (a network client with a 90 s default timeout,
 * loaded with dlopen) — unacceptable in a hung or dying process.
 */
#include "config.h"

#include "symbols/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/lockscope_internal.h"
#include "core/py_stack.h"
#include "symbols/debugimage.h"
#include "symbols/pysymbols.h"
#include "symbols/symcache.h"
#include "symbols/symindex.h"

#define DEBUG_ROOT "/usr/lib/debug"
/* Deepest inline chain kept per address (real chains are a handful deep). */
#define MAX_INLINE_DEPTH 32

/* One cached lookup: the inline chain of `address` (innermost first). */
struct cache_entry {
	uint64_t address;
	bool is_return_address;
	bool used;
	ls_frame *frames;
	size_t n;
};

/* One module's persistent results (disk cache enabled only). */
struct module_results {
	Dwfl_Module *mod;
	ls_symcache *disk; /* NULL: module without a build ID */
};

struct ls_symbolizer {
	Dwfl *dwfl;
	bool owns_dwfl;
	bool in_process; /* symbolizes this process: never starts threads */
	bool use_dwarf; /* file:line and inline chains; else ELF symbols only */
	int disk_dirfd; /* persistent cache directory, -1 when disabled */
	struct module_results *modules;
	size_t n_modules;
	uint64_t disk_hits;
	ls_symindex *symbols; /* ELF symbol lookups, created on first use */
	struct cache_entry *table;
	size_t capacity; /* power of two */
	size_t count;
	uint64_t hits, misses;
	pid_t pid;            /* the process symbolized, 0 when unknown */
	struct ls_symbolizer_python *python; /* pysymbols.c's, created on first use */
};

/* Frames own their strings; libdw's are borrowed, so copy them. */
static char *dup_or_null(const char *text)
{
	return text ? strdup(text) : NULL;
}

/* ---- local-only debug file lookup ------------------------------------ */

static int open_debug_file(const char *path, char **debuginfo_file_name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char *copy = strdup(path);
	if (!copy) {
		close(fd);
		return -1;
	}
	*debuginfo_file_name = copy;
	return fd;
}

static int find_by_build_id(const unsigned char *id, int len, char **debuginfo_file_name)
{
	/* DEBUG_ROOT/.build-id/ + 2 hex + / + 2*(len-1) hex + .debug */
	char path[sizeof DEBUG_ROOT + 16 + 2 * 64 + 8];
	if (len < 2 || len > 64)
		return -1;
	int pos = snprintf(path, sizeof path, DEBUG_ROOT "/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		pos += snprintf(path + pos, sizeof path - (size_t)pos, "%02x", id[i]);
	snprintf(path + pos, sizeof path - (size_t)pos, ".debug");
	return open_debug_file(path, debuginfo_file_name);
}

/* True unless both the module and the candidate carry build IDs and they
 * differ.  A debuglink CRC of 0 is how libdwfl asks for a dwz alternate
 * file, whose build ID is not the module's: accept it. */
static bool candidate_matches(int fd, const unsigned char *id, int len, GElf_Word crc)
{
	if (len <= 0 || crc == 0)
		return true;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return false;
	const void *cand_id;
	ssize_t cand_len = dwelf_elf_gnu_build_id(elf, &cand_id);
	bool ok = cand_len <= 0 || (cand_len == len && !memcmp(cand_id, id, (size_t)len));
	elf_end(elf);
	return ok;
}

static int find_by_debuglink(const char *file_name, const char *debuglink,
			     const unsigned char *id, int id_len, GElf_Word crc,
			     char **debuginfo_file_name)
{
	if (!debuglink || !*debuglink)
		return -1;
	if (debuglink[0] == '/')
		return open_debug_file(debuglink, debuginfo_file_name);
	if (!file_name)
		return -1;
	const char *slash = strrchr(file_name, '/');
	int dirlen = slash ? (int)(slash - file_name) : 0;
	static const char *const formats[] = { "%.*s/%s", "%.*s/.debug/%s", DEBUG_ROOT "%.*s/%s" };
	for (size_t i = 0; i < LS_ARRAY_SIZE(formats); i++) {
		char path[4096];
		if (snprintf(path, sizeof path, formats[i], dirlen, file_name, debuglink) >= (int)sizeof path)
			continue;
		if (!strcmp(path, file_name))
			continue;
		char *name = NULL;
		int fd = open_debug_file(path, &name);
		if (fd < 0)
			continue;
		if (candidate_matches(fd, id, id_len, crc)) {
			*debuginfo_file_name = name;
			return fd;
		}
		free(name);
		close(fd);
	}
	return -1;
}

static int find_local_debug_file(Dwfl_Module *mod, const char *file_name,
				 const char *debuglink_file, GElf_Word debuglink_crc,
				 char **debuginfo_file_name)
{
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr;
	int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
	/* crc 0 with a debuglink: libdwfl asks for the dwz alternate file. */
	bool wants_alt_file = debuglink_file && debuglink_crc == 0;
	if (id_len > 0 && !wants_alt_file) {
		int fd = find_by_build_id(id, id_len, debuginfo_file_name);
		if (fd >= 0)
			return fd;
	}
	return find_by_debuglink(file_name, debuglink_file, id, id_len, debuglink_crc,
				 debuginfo_file_name);
}

/* Symbolizers of another process (lockscope stack, top) may start threads
 * to inflate debug sections; those of this process run inside the user's
 * program (the preload shim's reports) and never do. */
#define REMOTE_INFLATE_THREADS 2

/* Sections no lookup here reads (variable locations, macros): not inflated.
 * In libc6-dbg .debug_loclists is 14% of the inflated bytes. */
static const char *const unread_sections[] = {
	".debug_loc", ".debug_loclists", ".debug_macro", ".debug_macinfo", NULL
};

/* The debug file found, or when its debug sections are compressed (as
 * Debian's -dbg packages ship them) and the module's symbolizer will read
 * its DWARF, an image with them already inflated (debugimage.h): libdw
 * would otherwise inflate them itself with zlib, about 2.5 times slower and
 * on one thread.  Symbol-table-only lookups (use_dwarf false) never pay for
 * inflating.  Each module's userdata is its symbolizer (claim_modules); it
 * is NULL for modules looked at before a symbolizer wraps the Dwfl.  The
 * name stays the file's: libdwfl resolves the dwz alternate file relative
 * to it. */
static int find_local_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				GElf_Addr base, const char *file_name, const char *debuglink_file,
				GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	int fd = find_local_debug_file(mod, file_name, debuglink_file, debuglink_crc,
				       debuginfo_file_name);
	const ls_symbolizer *s = *userdata;
	if (fd >= 0 && s && s->use_dwarf) {
		ls_debugimage_options options = {
			.threads = s->in_process ? 1 : REMOTE_INFLATE_THREADS,
			.omit = unread_sections,
		};
		int image = ls_debugimage_open(fd, &options);
		if (image >= 0) {
			close(fd);
			fd = image;
		}
	}
	errno = 0; /* "nothing found" rather than an error */
	return fd;
}

static char *no_debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = find_local_debuginfo,
	.debuginfo_path = &no_debuginfo_path,
};

/* ---- construction ---------------------------------------------------- */

/* Makes `owner` the userdata of every module of `dwfl` whose userdata is
 * `previous` (find_local_debuginfo reads it). */
struct module_claim {
	void *previous, *owner;
};

static int claim_module(Dwfl_Module *mod, void **userdata, const char *name,
			Dwarf_Addr start, void *arg)
{
	struct module_claim *c = arg;
	if (*userdata == c->previous)
		*userdata = c->owner;
	return DWARF_CB_OK;
}

static void claim_modules(Dwfl *dwfl, void *previous, void *owner)
{
	struct module_claim c = { previous, owner };
	dwfl_getmodules(dwfl, claim_module, &c, 0);
}

static ls_symbolizer *symbolizer_wrap(Dwfl *dwfl, bool owns, bool in_process)
{
	ls_symbolizer *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->dwfl = dwfl;
	s->owns_dwfl = owns;
	s->in_process = in_process;
	s->use_dwarf = true;
	s->disk_dirfd = -1;
	claim_modules(dwfl, NULL, s);
	return s;
}

static ls_symbolizer *symbolizer_of_pid(pid_t pid)
{
	Dwfl *dwfl = ls_symbolizer_dwfl_begin();
	if (!dwfl)
		return NULL;
	dwfl_report_begin(dwfl);
	int rc = dwfl_linux_proc_report(dwfl, pid);
	if (dwfl_report_end(dwfl, NULL, NULL) != 0 || rc != 0) {
		dwfl_end(dwfl);
		if (rc > 0)
			errno = rc;
		return NULL;
	}
	ls_symbolizer *s = symbolizer_wrap(dwfl, true, pid == getpid());
	if (!s)
		dwfl_end(dwfl);
	else
		s->pid = pid;
	return s;
}

ls_symbolizer *ls_symbolizer_new_pid(pid_t pid)
{
	return symbolizer_of_pid(pid);
}

ls_symbolizer *ls_symbolizer_new_self(void)
{
	return symbolizer_of_pid(getpid());
}

ls_symbolizer *ls_symbolizer_new_dwfl(struct Dwfl *dwfl)
{
	return dwfl ? symbolizer_wrap(dwfl, false, false) : NULL;
}

struct Dwfl *ls_symbolizer_get_dwfl(ls_symbolizer *s) { return s->dwfl; }
bool ls_symbolizer_is_self(const ls_symbolizer *s) { return s->in_process; }
struct ls_symbolizer_python **ls_symbolizer_python_slot(ls_symbolizer *s) { return &s->python; }

pid_t ls_symbolizer_get_pid(ls_symbolizer *s)
{
	pid_t pid = s->pid ? s->pid : dwfl_pid(s->dwfl);
	return pid > 0 ? pid : 0;
}

struct Dwfl *ls_symbolizer_dwfl_begin(void)
{
	return dwfl_begin(&proc_callbacks);
}

static void free_frame_strings(ls_frame *f)
{
	free(f->function);
	free(f->file);
	free(f->module);
}

static void cache_clear(ls_symbolizer *s)
{
	for (size_t i = 0; i < s->capacity; i++) {
		struct cache_entry *e = &s->table[i];
		if (!e->used)
			continue;
		for (size_t j = 0; j < e->n; j++)
			free_frame_strings(&e->frames[j]);
		free(e->frames);
	}
	free(s->table);
	s->table = NULL;
	s->capacity = s->count = 0;
}

static void disk_results_drop(ls_symbolizer *s)
{
	for (size_t i = 0; i < s->n_modules; i++)
		ls_symcache_free(s->modules[i].disk);
	free(s->modules);
	s->modules = NULL;
	s->n_modules = 0;
}

void ls_symbolizer_free(ls_symbolizer *s)
{
	if (!s)
		return;
	cache_clear(s);
	disk_results_drop(s);
	ls_symindex_free(s->symbols);
	ls_symbolizer_python_free(s->python);
	if (s->disk_dirfd >= 0)
		close(s->disk_dirfd);
	if (s->owns_dwfl)
		dwfl_end(s->dwfl);
	else
		claim_modules(s->dwfl, s, NULL); /* the Dwfl outlives s */
	free(s);
}

struct overlap_query {
	Dwarf_Addr low, high;
	bool overlaps;
};

static int check_overlap(Dwfl_Module *mod, void **userdata, const char *name,
			 Dwarf_Addr start, void *arg)
{
	struct overlap_query *q = arg;
	Dwarf_Addr low, high;
	dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL);
	if (low < q->high && q->low < high) {
		q->overlaps = true;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* Address range [low, high) the PT_LOAD segments of `path` would occupy at `base`. */
static bool elf_load_extent(const char *path, uint64_t base, Dwarf_Addr *low, Dwarf_Addr *high)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t nphdr = 0;
	bool found = false;
	if (elf && elf_getphdrnum(elf, &nphdr) == 0) {
		*low = UINT64_MAX;
		*high = 0;
		for (size_t i = 0; i < nphdr; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			found = true;
			if (base + ph.p_vaddr < *low)
				*low = base + ph.p_vaddr;
			if (base + ph.p_vaddr + ph.p_memsz > *high)
				*high = base + ph.p_vaddr + ph.p_memsz;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

void ls_symbolizer_add_module(ls_symbolizer *s, const char *path, uint64_t base)
{
	if (!s || !path)
		return;
	elf_version(EV_CURRENT);
	struct overlap_query q = { 0 };
	if (!elf_load_extent(path, base, &q.low, &q.high))
		return;
	dwfl_getmodules(s->dwfl, check_overlap, &q, 0);
	if (q.overlaps)
		return;
	dwfl_report_begin_add(s->dwfl);
	dwfl_report_elf(s->dwfl, path, path, -1, base, false);
	dwfl_report_end(s->dwfl, NULL, NULL);
	claim_modules(s->dwfl, NULL, s);
	/* Addresses that had no module before may have one now. */
	cache_clear(s);
}

/* ---- the lookup ------------------------------------------------------ */

/* dwfl_module_addrinfo's answer (symindex.h); without memory for the
 * index, libdwfl's own. */
static const char *elf_symbol_at(ls_symbolizer *s, Dwfl_Module *mod, uint64_t address,
				 GElf_Off *offset, GElf_Sym *sym)
{
	if (!s->symbols)
		s->symbols = ls_symindex_new();
	return ls_symindex_addrinfo(s->symbols, mod, address, offset, sym);
}

static bool is_function_scope(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* Source position: the file is borrowed from libdw, copied when emitted. */
struct position {
	const char *file;
	int line;
};

static struct position call_site_of(Dwarf_Die *inlined, Dwarf_Die *cudie)
{
	struct position p = { NULL, 0 };
	Dwarf_Attribute attr;
	Dwarf_Word value;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) == 0)
		p.line = (int)value;
	Dwarf_Files *files;
	size_t nfiles;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &value) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && value < nfiles)
		p.file = dwarf_filesrc(files, value, NULL, NULL);
	return p;
}

/* What an address minus it gives: the offset in the ELF file's own
 * address space, the same from run to run (PIE and ASLR aside). */
static Dwarf_Addr module_bias(Dwfl_Module *mod)
{
	Dwarf_Addr bias = 0;
	if (!dwfl_module_getelf(mod, &bias))
		dwfl_module_info(mod, NULL, &bias, NULL, NULL, NULL, NULL, NULL);
	return bias;
}

static void fill_module(ls_frame *f, Dwfl_Module *mod, uint64_t address)
{
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	f->module = dup_or_null(modname);
	f->module_offset = address - module_bias(mod);
}

/* Fills frames[] for the inline chain at `pc` from DWARF; returns the count
 * (0 when the module has no DWARF for pc). */
static size_t dwarf_chain(Dwfl_Module *mod, Dwarf_Addr pc, ls_frame *frames, size_t max)
{
	Dwarf_Addr dwbias;
	Dwarf_Die *cudie = dwfl_module_addrdie(mod, pc, &dwbias);
	if (!cudie)
		return 0;
	struct position pos = { NULL, 0 };
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
	if (line)
		pos.file = dwfl_lineinfo(line, NULL, &pos.line, NULL, NULL, NULL);

	Dwarf_Die *scopes = NULL;
	int nscopes = dwarf_getscopes(cudie, pc - dwbias, &scopes);
	int first = 0;
	while (first < nscopes && !is_function_scope(&scopes[first]))
		first++;
	/* dwarf_getscopes continues past an inlined instance with the scopes of
	 * its abstract definition; the physical nesting (who it was inlined
	 * into) comes from dwarf_getscopes_die. */
	Dwarf_Die *chain = NULL;
	int nchain = first < nscopes ? dwarf_getscopes_die(&scopes[first], &chain) : 0;
	size_t n = 0;
	for (int i = 0; i < nchain && n < max; i++) {
		Dwarf_Die *die = &chain[i];
		if (!is_function_scope(die))
			continue;
		ls_frame *f = &frames[n++];
		f->function = dup_or_null(dwarf_diename(die));
		f->file = dup_or_null(pos.file);
		f->line = pos.line;
		if (dwarf_tag(die) != DW_TAG_inlined_subroutine)
			break;
		f->inlined = true;
		pos = call_site_of(die, cudie);
	}
	free(chain);
	free(scopes);
	if (n == 0 && pos.file && max > 0) {
		/* Line info but no function DIE (e.g. assembly): keep the position. */
		frames[0].file = dup_or_null(pos.file);
		frames[0].line = pos.line;
		n = 1;
	}
	return n;
}

static size_t lookup_uncached(ls_symbolizer *s, uint64_t address, bool is_return_address,
			      ls_frame *frames, size_t max)
{
	memset(frames, 0, max * sizeof *frames);
	Dwarf_Addr pc = is_return_address && address > 0 ? address - 1 : address;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, pc);
	if (!mod) {
		frames[0].address = address;
		return 1;
	}
	size_t n = s->use_dwarf ? dwarf_chain(mod, pc, frames, max) : 0;
	if (n == 0)
		n = 1;
	ls_frame *outer = &frames[n - 1];
	GElf_Off offset;
	GElf_Sym sym;
	const char *symname = elf_symbol_at(s, mod, pc, &offset, &sym);
	/* The ELF symbol is the authoritative name of the real (outermost)
	 * function; DWARF may lack a name (artificial DIEs) or be missing. */
	if (symname && (!outer->function || !outer->inlined)) {
		free(outer->function);
		/* .symtab spells versioned symbols "name@VERSION" / "name@@VERSION". */
		outer->function = strndup(symname, strcspn(symname, "@"));
	}
	for (size_t i = 0; i < n; i++) {
		frames[i].address = address;
		fill_module(&frames[i], mod, address);
	}
	return n;
}

/* ---- the persistent cache (symcache.h) ------------------------------- */

static bool module_has_dwarf(Dwfl_Module *mod)
{
	Dwarf_Addr bias;
	return dwfl_module_getdwarf(mod, &bias) != NULL;
}

/* The persistent results for `mod`, loaded on first use; NULL when the
 * module has no build ID to key them by. */
static ls_symcache *disk_results_of(ls_symbolizer *s, Dwfl_Module *mod)
{
	for (size_t i = 0; i < s->n_modules; i++)
		if (s->modules[i].mod == mod)
			return s->modules[i].disk;
	struct module_results *slot = ls_array_push(&s->modules, &s->n_modules, sizeof *slot);
	if (!slot)
		return NULL;
	slot->mod = mod;
	module_bias(mod); /* the build ID note is read with the ELF */
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr;
	int len = dwfl_module_build_id(mod, &id, &id_vaddr);
	if (len <= 0)
		return NULL;
	slot->disk = ls_symcache_load(s->disk_dirfd, id, (size_t)len, s->use_dwarf ? "lines" : "names");
	/* Results written while the module had no debug info are stale once
	 * its debug info is installed (e.g. libc6-dbg): start over.  Looking
	 * costs a few failed opens when there still is none. */
	if (slot->disk && s->use_dwarf && !ls_symcache_had_dwarf(slot->disk) && module_has_dwarf(mod))
		ls_symcache_reset(slot->disk);
	return slot->disk;
}

/* lookup_uncached, answered from (and recorded in) the persistent cache
 * when there is one: a hit reads no DWARF and no symbol table at all. */
static size_t lookup_persistent(ls_symbolizer *s, uint64_t address, bool is_return_address,
				ls_frame *frames, size_t max)
{
	Dwarf_Addr pc = is_return_address && address > 0 ? address - 1 : address;
	Dwfl_Module *mod = s->disk_dirfd >= 0 ? dwfl_addrmodule(s->dwfl, pc) : NULL;
	ls_symcache *disk = mod ? disk_results_of(s, mod) : NULL;
	if (!disk)
		return lookup_uncached(s, address, is_return_address, frames, max);
	uint64_t offset = address - module_bias(mod);
	size_t n = 0;
	const ls_frame *known = ls_symcache_find(disk, offset, is_return_address, &n);
	if (known && n <= max) {
		memset(frames, 0, n * sizeof *frames);
		for (size_t i = 0; i < n; i++) {
			frames[i].function = dup_or_null(known[i].function);
			frames[i].file = dup_or_null(known[i].file);
			frames[i].line = known[i].line;
			frames[i].inlined = known[i].inlined;
			frames[i].address = address;
			fill_module(&frames[i], mod, address);
		}
		s->disk_hits++;
		return n;
	}
	n = lookup_uncached(s, address, is_return_address, frames, max);
	ls_symcache_add(disk, offset, is_return_address, frames, n);
	if (s->use_dwarf)
		ls_symcache_set_dwarf(disk, module_has_dwarf(mod));
	return n;
}

bool ls_symbolizer_use_disk_cache(ls_symbolizer *s, const char *dir)
{
	if (!s)
		return false;
	char *default_dir = dir ? NULL : ls_symcache_default_dir();
	const char *path = dir ? dir : default_dir;
	int fd = path ? ls_symcache_open_dir(path) : -1;
	free(default_dir);
	if (fd < 0)
		return false;
	disk_results_drop(s);
	if (s->disk_dirfd >= 0)
		close(s->disk_dirfd);
	s->disk_dirfd = fd;
	return true;
}

int ls_symbolizer_save_disk_cache(ls_symbolizer *s)
{
	int rc = 0;
	for (size_t i = 0; s && i < s->n_modules; i++)
		if (s->modules[i].disk && ls_symcache_save(s->modules[i].disk, s->disk_dirfd) != 0)
			rc = -1;
	return rc;
}

uint64_t ls_symbolizer_disk_hits(const ls_symbolizer *s)
{
	return s ? s->disk_hits : 0;
}

/* ---- the cache ------------------------------------------------------- */

static size_t slot_of(const ls_symbolizer *s, uint64_t address, bool is_return_address)
{
	return (size_t)ls_hash64(address * 2 + is_return_address) & (s->capacity - 1);
}

static struct cache_entry *cache_find(ls_symbolizer *s, uint64_t address, bool is_return_address)
{
	if (!s->capacity)
		return NULL;
	for (size_t i = slot_of(s, address, is_return_address);; i = (i + 1) & (s->capacity - 1)) {
		struct cache_entry *e = &s->table[i];
		if (!e->used)
			return NULL;
		if (e->address == address && e->is_return_address == is_return_address)
			return e;
	}
}

static bool cache_grow(ls_symbolizer *s)
{
	size_t capacity = s->capacity ? s->capacity * 2 : 256;
	struct cache_entry *table = calloc(capacity, sizeof *table);
	if (!table)
		return false;
	struct cache_entry *old = s->table;
	size_t old_capacity = s->capacity;
	s->table = table;
	s->capacity = capacity;
	for (size_t i = 0; i < old_capacity; i++) {
		if (!old[i].used)
			continue;
		size_t j = slot_of(s, old[i].address, old[i].is_return_address);
		while (table[j].used)
			j = (j + 1) & (capacity - 1);
		table[j] = old[i];
	}
	free(old);
	return true;
}

/* Stores a copy of frames[0..n); returns the entry or NULL on ENOMEM. */
static struct cache_entry *cache_insert(ls_symbolizer *s, uint64_t address, bool is_return_address,
					const ls_frame *frames, size_t n)
{
	if ((s->count + 1) * 2 > s->capacity && !cache_grow(s))
		return NULL;
	ls_frame *copy = malloc(n * sizeof *copy);
	if (!copy)
		return NULL;
	memcpy(copy, frames, n * sizeof *copy);
	size_t i = slot_of(s, address, is_return_address);
	while (s->table[i].used)
		i = (i + 1) & (s->capacity - 1);
	s->table[i] = (struct cache_entry){ address, is_return_address, true, copy, n };
	s->count++;
	return &s->table[i];
}

static void copy_frame(ls_frame *dst, const ls_frame *src)
{
	*dst = *src;
	dst->function = dup_or_null(src->function);
	dst->file = dup_or_null(src->file);
	dst->module = dup_or_null(src->module);
}

/* A Python word (core/py_stack.h) as a frame of language "python": no
 * address, no module.  Not cached: a raw word names a code object that may
 * be gone by the next dump. */
static size_t python_frame(ls_symbolizer *s, uint64_t word, ls_frame *out)
{
	ls_py_location loc;
	memset(out, 0, sizeof *out);
	out->language = LS_FRAME_PYTHON;
	if (!(s->in_process ? ls_pystack_resolve(word, &loc) : ls_symbolize_remote_python(s, word, &loc))) {
		out->function = strdup("?? (unreadable Python frame)");
		return 1;
	}
	out->function = strdup(loc.function);
	out->file = strdup(loc.file);
	out->line = loc.line;
	return 1;
}

size_t ls_symbolize(ls_symbolizer *s, uint64_t address, bool is_return_address,
		    ls_frame *out, size_t max)
{
	if (!s || max == 0)
		return 0;
	if (ls_py_word_is_python(address))
		return python_frame(s, address, out);
	struct cache_entry *e = cache_find(s, address, is_return_address);
	if (e) {
		s->hits++;
	} else {
		s->misses++;
		ls_frame frames[MAX_INLINE_DEPTH];
		size_t n = lookup_persistent(s, address, is_return_address, frames, MAX_INLINE_DEPTH);
		e = cache_insert(s, address, is_return_address, frames, n);
		if (!e) { /* no memory for the cache: hand the fresh strings over */
			size_t k = n < max ? n : max;
			memcpy(out, frames, k * sizeof *out);
			for (size_t i = k; i < n; i++)
				free_frame_strings(&frames[i]);
			return k;
		}
	}
	size_t k = e->n < max ? e->n : max;
	for (size_t i = 0; i < k; i++)
		copy_frame(&out[i], &e->frames[i]);
	return k;
}

int ls_symbolize_stack(ls_symbolizer *s, const uint64_t *pcs, size_t n, ls_stack *out)
{
	for (size_t i = 0; i < n; i++) {
		ls_frame chain[MAX_INLINE_DEPTH];
		size_t k = ls_symbolize(s, pcs[i], i > 0, chain, MAX_INLINE_DEPTH);
		ls_frame *grown = realloc(out->frames, (out->n + k) * sizeof *grown);
		if (!grown) {
			for (size_t j = 0; j < k; j++)
				free_frame_strings(&chain[j]);
			errno = ENOMEM;
			return -1;
		}
		memcpy(grown + out->n, chain, k * sizeof *grown);
		out->frames = grown;
		out->n += k;
	}
	return 0;
}

struct nearest_below {
	Dwarf_Addr address;
	Dwarf_Addr best_end;
	Dwfl_Module *best;
};

static int find_nearest_below(Dwfl_Module *mod, void **userdata, const char *name,
			      Dwarf_Addr start, void *arg)
{
	struct nearest_below *q = arg;
	Dwarf_Addr end;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	if (end <= q->address && (!q->best || end > q->best_end)) {
		q->best = mod;
		q->best_end = end;
	}
	return DWARF_CB_OK;
}

/* The module whose memory image covers `address`.  A module's range as
 * reported from /proc/PID/maps ends with its last file-backed page, but the
 * zero-filled tail of its last PT_LOAD segment (.bss, where every statically
 * initialized mutex lives) is an anonymous mapping right after it: for an
 * address past every module, check the image of the module just below. */
static Dwfl_Module *module_of_data(Dwfl *dwfl, uint64_t address)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, address);
	if (mod)
		return mod;
	struct nearest_below q = { address, 0, NULL };
	dwfl_getmodules(dwfl, find_nearest_below, &q, 0);
	if (!q.best)
		return NULL;
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(q.best, &bias);
	size_t nphdr;
	if (!elf || elf_getphdrnum(elf, &nphdr) != 0)
		return NULL;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    address >= bias + ph.p_vaddr && address < bias + ph.p_vaddr + ph.p_memsz)
			return q.best;
	}
	return NULL;
}

char *ls_symbolize_data(ls_symbolizer *s, uint64_t address)
{
	if (!s)
		return NULL;
	Dwfl_Module *mod = module_of_data(s->dwfl, address);
	if (!mod)
		return NULL;
	GElf_Off offset;
	GElf_Sym sym;
	const char *name = elf_symbol_at(s, mod, address, &offset, &sym);
	/* addrinfo falls back to the nearest symbol below for unsized ones:
	 * only a symbol that really covers the address names it. */
	if (!name || (sym.st_size ? offset >= sym.st_size : offset != 0))
		return NULL;
	if (offset == 0)
		return dup_or_null(name);
	char *text = NULL;
	if (asprintf(&text, "%s+%llu", name, (unsigned long long)offset) < 0)
		return NULL;
	return text;
}

void ls_symbolizer_use_dwarf(ls_symbolizer *s, bool use_dwarf)
{
	if (s->use_dwarf != use_dwarf) {
		cache_clear(s);
		disk_results_drop(s); /* kept per mode */
	}
	s->use_dwarf = use_dwarf;
}

void ls_symbolizer_cache_stats(const ls_symbolizer *s, uint64_t *hits, uint64_t *misses)
{
	*hits = s ? s->hits : 0;
	*misses = s ? s->misses : 0;
}
