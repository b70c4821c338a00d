/* symindex.c — dwfl_module_addrinfo's choice over a flat copy of the
 * symbol table (see symindex.h for why and when).
 *
 * libdwfl's rules (libdwfl/dwfl_module_addrsym.c; elfutils 0.188 here),
 * restated for the case answered locally:
 *  - only named, defined symbols count, and not section, file or TLS ones;
 *  - the global symbols are searched first, the locals only when no global
 *    covers the address and no global sizeless label sits exactly on it;
 *  - among the sized symbols covering the address, in table order, a later
 *    one replaces the one chosen so far when it starts closer to the
 *    address, when it binds more strongly (global, weak, local, other), or
 *    when it starts at the same place, is smaller and binds as strongly.
 * What libdwfl does with sizeless labels depends on section lookups and on
 * every symbol seen before them: when no sized symbol covers the address,
 * the question goes to libdwfl itself.
 */
#include "config.h"

#include "symbols/symindex.h"

#include <stdbool.h>
#include <stdlib.h>

/* What the choice between two symbols depends on. */
struct entry {
	GElf_Addr value; /* where the symbol starts, as libdwfl sees it */
	GElf_Xword size; /* 0: a sizeless label */
	int ndx;         /* index in the module's symbol table */
	int rank;        /* binding: global 3, weak 2, local 1, others 0 */
};

struct module_index {
	Dwfl_Module *mod;
	bool usable;           /* false: every lookup goes to libdwfl */
	struct entry *entries; /* the globals, then the locals, each in table order */
	size_t n_globals, n;
};

struct ls_symindex {
	struct module_index *modules;
	size_t n_modules;
	uint64_t answered, deferred;
};

ls_symindex *ls_symindex_new(void)
{
	return calloc(1, sizeof(ls_symindex));
}

void ls_symindex_free(ls_symindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n_modules; i++)
		free(ix->modules[i].entries);
	free(ix->modules);
	free(ix);
}

void ls_symindex_stats(const ls_symindex *ix, uint64_t *answered, uint64_t *deferred)
{
	*answered = ix ? ix->answered : 0;
	*deferred = ix ? ix->deferred : 0;
}

/* ---- building ---------------------------------------------------------- */

static int binding_rank(unsigned char info)
{
	switch (GELF_ST_BIND(info)) {
	case STB_GLOBAL:
		return 3;
	case STB_WEAK:
		return 2;
	case STB_LOCAL:
		return 1;
	default:
		return 0;
	}
}

static bool considered(const char *name, const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);
	return name && name[0] && sym->st_shndx != SHN_UNDEF && type != STT_SECTION &&
	       type != STT_FILE && type != STT_TLS;
}

/* Elsewhere libdwfl resolves function descriptors (ppc64) and matches a
 * symbol at two addresses, or handles relocatable files its own way. */
static bool indexable(Dwfl_Module *mod)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	GElf_Ehdr ehdr;
	return elf && gelf_getehdr(elf, &ehdr) && ehdr.e_machine == EM_X86_64 &&
	       ehdr.e_type != ET_REL;
}

static void append_symbols(struct module_index *m, int from, int to)
{
	for (int i = from; i < to; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &value, NULL, NULL, NULL);
		if (considered(name, &sym))
			m->entries[m->n++] = (struct entry){ value, sym.st_size, i, binding_rank(sym.st_info) };
	}
}

/* Leaves m unusable when the module has no symbol table (libdwfl then
 * answers NULL itself) or is not indexable. */
static void build(struct module_index *m, Dwfl_Module *mod)
{
	*m = (struct module_index){ .mod = mod };
	int count = dwfl_module_getsymtab(mod);
	int first_global = count > 0 ? dwfl_module_getsymtab_first_global(mod) : -1;
	if (first_global < 0 || !indexable(mod))
		return;
	m->entries = malloc((size_t)count * sizeof *m->entries);
	if (!m->entries)
		return;
	/* first_global 0: only a dynamic symbol table, searched whole. */
	append_symbols(m, first_global > 1 ? first_global : 1, count);
	m->n_globals = m->n;
	if (first_global > 1)
		append_symbols(m, 1, first_global);
	m->usable = true;
}

static struct module_index *index_of(ls_symindex *ix, Dwfl_Module *mod)
{
	for (size_t i = 0; i < ix->n_modules; i++)
		if (ix->modules[i].mod == mod)
			return &ix->modules[i];
	struct module_index *grown = realloc(ix->modules, (ix->n_modules + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	ix->modules = grown;
	struct module_index *m = &ix->modules[ix->n_modules++];
	build(m, mod);
	return m;
}

/* ---- the lookup -------------------------------------------------------- */

static bool replaces(const struct entry *chosen, const struct entry *e)
{
	if (!chosen || chosen->value < e->value || chosen->rank < e->rank)
		return true;
	return chosen->value == e->value &&
	       ((chosen->size > e->size && chosen->rank <= e->rank) ||
		(chosen->size >= e->size && chosen->rank < e->rank));
}

/* The sized symbol of e[from, to) libdwfl would choose for address, or
 * NULL; *label_there is set when a sizeless label starts at address. */
static const struct entry *choose(const struct entry *e, size_t from, size_t to,
				  GElf_Addr address, bool *label_there)
{
	const struct entry *chosen = NULL;
	for (size_t i = from; i < to; i++) {
		if (e[i].value > address)
			continue;
		if (e[i].size == 0)
			*label_there |= e[i].value == address;
		else if (address - e[i].value < e[i].size && replaces(chosen, &e[i]))
			chosen = &e[i];
	}
	return chosen;
}

const char *ls_symindex_addrinfo(ls_symindex *ix, Dwfl_Module *mod, GElf_Addr address,
				 GElf_Off *offset, GElf_Sym *sym)
{
	struct module_index *m = ix ? index_of(ix, mod) : NULL;
	const struct entry *chosen = NULL;
	if (m && m->usable) {
		bool label_there = false;
		chosen = choose(m->entries, 0, m->n_globals, address, &label_there);
		if (!chosen && !label_there)
			chosen = choose(m->entries, m->n_globals, m->n, address, &label_there);
	}
	if (!chosen) {
		if (ix)
			ix->deferred++;
		return dwfl_module_addrinfo(mod, address, offset, sym, NULL, NULL, NULL);
	}
	ix->answered++;
	GElf_Addr value;
	const char *name = dwfl_module_getsym_info(mod, chosen->ndx, sym, &value, NULL, NULL, NULL);
	*offset = address - value;
	return name;
}
