/* symindex.h — the symbol covering an address, as dwfl_module_addrinfo
 * finds it, without rescanning the symbol table through libelf each time.
 *
 * Contract: ls_symindex_addrinfo(ix, mod, address, &offset, &sym) returns
 * what dwfl_module_addrinfo(mod, address, &offset, &sym, NULL, NULL, NULL)
 * returns: the same name pointer, offset and symbol.  libdwfl reads every
 * entry of the module's symbol table through libelf on every call (0.1 to
 * 0.2 ms in libc's 10 000 symbols, most of a cold `lockscope stack -n`);
 * the index copies what the choice depends on into a flat array, once per
 * module, and scans that instead, in libdwfl's order and with its
 * preferences.  It answers itself when a sized symbol covers the address
 * in an x86-64 executable or shared object (the common case), and hands
 * everything else (sizeless assembly labels only, other architectures,
 * no memory) to libdwfl.  Not thread-safe; modules must outlive the index.
 */
#ifndef LOCKSCOPE_SYMINDEX_H
#define LOCKSCOPE_SYMINDEX_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdint.h>

typedef struct ls_symindex ls_symindex;

ls_symindex *ls_symindex_new(void);
void ls_symindex_free(ls_symindex *ix);

const char *ls_symindex_addrinfo(ls_symindex *ix, Dwfl_Module *mod, GElf_Addr address,
				 GElf_Off *offset, GElf_Sym *sym);

/* How many lookups the index answered itself, and how many libdwfl did. */
void ls_symindex_stats(const ls_symindex *ix, uint64_t *answered, uint64_t *deferred);

#endif
