/* pysymbols.c — the CPython interpreter of a symbolized process (pysymbols.h). */
#include "config.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/py_stack.h"
#include "python/pymemory.h"
#include "symbols/pysymbols.h"

struct ls_symbolizer_python {
	bool opened;
	ls_py_interp interp;
	uint64_t table;          /* the shim's ls_pyloc_table there, 0 when none */
};

struct symbol_search {
	const char *exe;         /* the executable's path, NULL when unknown */
	const char *const *names;
	size_t n, found;
	uint64_t *addr, *size;
};

/* Where CPython and the shim can be: the executable (a python binary,
 * or a program that embeds CPython statically), libpython, the shim.
 * Other modules' symbol tables are not read (a large process has many). */
static bool may_define(const char *module, const char *exe)
{
	const char *slash = strrchr(module, '/');
	const char *base = slash ? slash + 1 : module;
	return strstr(base, "python") || strstr(base, "lockscope") || (exe && !strcmp(module, exe));
}

static int search_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	(void)userdata, (void)start;
	struct symbol_search *q = arg;
	if (!name || !may_define(name, q->exe))
		return DWARF_CB_OK;
	int count = dwfl_module_getsymtab(mod);
	for (int i = 1; i < count && q->found < q->n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *sname = dwfl_module_getsym_info(mod, i, &sym, &value, NULL, NULL, NULL);
		if (!sname || sym.st_shndx == SHN_UNDEF || !value)
			continue;
		for (size_t k = 0; k < q->n; k++)
			if (!q->addr[k] && !strcmp(sname, q->names[k])) {
				q->addr[k] = value;
				q->size[k] = sym.st_size;
				q->found++;
			}
	}
	return q->found < q->n ? DWARF_CB_OK : DWARF_CB_ABORT;
}

size_t ls_dwfl_find_symbols(struct Dwfl *dwfl, pid_t pid, const char *const *names, size_t n, uint64_t *addr,
			    uint64_t *size)
{
	memset(addr, 0, n * sizeof *addr);
	memset(size, 0, n * sizeof *size);
	char link[64], exe[4096];
	snprintf(link, sizeof link, "/proc/%d/exe", pid ? (int)pid : (int)getpid());
	ssize_t len = readlink(link, exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = 0;
	struct symbol_search q = { len > 0 ? exe : NULL, names, n, 0, addr, size };
	dwfl_getmodules(dwfl, search_module, &q, 0);
	return q.found;
}

static struct ls_symbolizer_python *state(ls_symbolizer *s)
{
	struct ls_symbolizer_python **slot = ls_symbolizer_python_slot(s);
	if (!*slot)
		*slot = calloc(1, sizeof **slot);
	return *slot;
}

enum { SYM_VERSION, SYM_RUNTIME, SYM_CODE_TYPE, SYM_EVAL, SYM_TABLE, N_SYMS };
static const char *const symbol_names[N_SYMS] = { "Py_Version", "_PyRuntime", "PyCode_Type",
						   "_PyEval_EvalFrameDefault", "ls_pyloc_table" };

enum ls_py_status ls_py_interp_open_dwfl(ls_py_interp *ip, struct Dwfl *dwfl, pid_t pid, uint64_t *pyloc_table)
{
	uint64_t addr[N_SYMS], size[N_SYMS];
	memset(ip, 0, sizeof *ip);
	if (pyloc_table)
		*pyloc_table = 0;
	if (pid <= 0 || !ls_dwfl_find_symbols(dwfl, pid, symbol_names, N_SYMS, addr, size))
		return ip->status = LS_PY_ABSENT;
	if (pyloc_table)
		*pyloc_table = addr[SYM_TABLE];
	return ls_py_interp_open(ip, pid, addr[SYM_VERSION], addr[SYM_RUNTIME], addr[SYM_CODE_TYPE], addr[SYM_EVAL],
				 size[SYM_EVAL]);
}

static void open_remote(ls_symbolizer *s, struct ls_symbolizer_python *p)
{
	p->opened = true;
	ls_py_interp_open_dwfl(&p->interp, ls_symbolizer_get_dwfl(s), ls_symbolizer_get_pid(s), &p->table);
}

void ls_symbolizer_set_python(ls_symbolizer *s, const ls_py_interp *ip)
{
	struct ls_symbolizer_python *p = state(s);
	if (!p || !ip)
		return;
	p->interp = *ip;
	p->opened = true;
	/* the location table is only in a process running the shim */
	uint64_t addr[N_SYMS], size[N_SYMS];
	const char *const table_name[] = { symbol_names[SYM_TABLE] };
	if (ls_dwfl_find_symbols(ls_symbolizer_get_dwfl(s), ip->pid, table_name, 1, addr, size))
		p->table = addr[0];
}

const ls_py_interp *ls_symbolizer_python(ls_symbolizer *s)
{
	if (ls_symbolizer_is_self(s))
		return ls_py_self();
	struct ls_symbolizer_python *p = state(s);
	if (!p)
		return NULL;
	if (!p->opened)
		open_remote(s, p);
	return p->interp.status == LS_PY_ABSENT ? NULL : &p->interp;
}

/* An interned word, from the location table of the shim in that process. */
static bool remote_location(ls_symbolizer *s, struct ls_symbolizer_python *p, uint64_t id, ls_py_location *out)
{
	pid_t pid = ls_symbolizer_get_pid(s);
	ls_pyloc_root head;
	size_t head_len = offsetof(ls_pyloc_root, pages);
	if (!p->table || !id || !ls_py_read(pid, p->table, &head, head_len) || head.magic != LS_PYLOC_MAGIC ||
	    head.record_size != sizeof *out || id > head.count || (id - 1) / LS_PYLOC_PAGE >= LS_PYLOC_PAGES)
		return false;
	uint64_t page = 0;
	if (!ls_py_read(pid, p->table + offsetof(ls_pyloc_root, pages) + (id - 1) / LS_PYLOC_PAGE * sizeof page, &page,
			sizeof page) ||
	    !page || !ls_py_read(pid, page + (id - 1) % LS_PYLOC_PAGE * sizeof *out, out, sizeof *out))
		return false;
	out->function[sizeof out->function - 1] = 0;
	out->file[sizeof out->file - 1] = 0;
	return true;
}

bool ls_symbolize_remote_python(ls_symbolizer *s, uint64_t word, ls_py_location *out)
{
	if (!ls_py_word_is_python(word) || !ls_symbolizer_python(s))
		return false;
	struct ls_symbolizer_python *p = state(s);
	if (!ls_py_word_is_raw(word))
		return remote_location(s, p, word & 0xffffffffu, out);
	uint64_t code;
	int32_t lasti;
	ls_py_raw_word_decode(word, &code, &lasti);
	return ls_py_resolve(&p->interp, code, lasti, out);
}

void ls_symbolizer_python_free(struct ls_symbolizer_python *p) { free(p); }
