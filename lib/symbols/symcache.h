/* symcache.h — persistent symbolization results, one file per ELF build ID.
 *
 * Contract: a symcache maps (offset in an ELF object, return-address flag)
 * to the inline chain the symbolizer produced for it (function, file, line,
 * inlined; no addresses or module names).  Its file is named by the
 * object's build ID and the lookup mode ("lines" or "names"), and repeats
 * both inside, so a rebuilt object (new build ID) never sees old results.
 * Files live in a private directory (0700, owned by the caller's effective
 * uid, never created inside another user's folder; anything else is
 * refused), are written 0600 through a temporary file
 * and rename(2), never followed through symlinks, carry a checksum, and are
 * bounded in size and number.  A missing, corrupt, foreign or unwritable
 * file is never an error: the cache starts empty and the caller symbolizes
 * from scratch.  Not thread-safe.
 */
#ifndef LOCKSCOPE_SYMCACHE_H
#define LOCKSCOPE_SYMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols/frame.h"

typedef struct ls_symcache ls_symcache;

/* The default directory: $XDG_CACHE_HOME/lockscope, else $HOME/.cache/lockscope.
 * Returns a malloc'd path or NULL (no usable environment). */
char *ls_symcache_default_dir(void);

/* Opens (creating it 0700 if needed, and its parent) the cache directory.
 * Returns a directory fd, or -1 when the directory cannot be used safely
 * (not a directory, a symlink, not ours, group/other-accessible, or to be
 * created inside a folder of a user other than us or root). */
int ls_symcache_open_dir(const char *path);

/* Loads the results for one object (build_id of len bytes; mode "lines" or
 * "names") from dirfd, or starts empty.  NULL only when out of memory.
 * `had_dwarf` tells whether the object had DWARF when the file was written. */
ls_symcache *ls_symcache_load(int dirfd, const unsigned char *build_id, size_t len, const char *mode);
bool ls_symcache_had_dwarf(const ls_symcache *c);
void ls_symcache_set_dwarf(ls_symcache *c, bool had_dwarf);
/* Forgets every entry (the file is rewritten on the next save). */
void ls_symcache_reset(ls_symcache *c);

/* The cached chain for (offset, is_return_address): *n frames whose strings
 * the cache owns, or NULL. */
const ls_frame *ls_symcache_find(const ls_symcache *c, uint64_t offset, bool is_return_address, size_t *n);
/* Records a chain (strings are copied; addresses and modules are not kept).
 * Silently ignored past the size bound. */
void ls_symcache_add(ls_symcache *c, uint64_t offset, bool is_return_address,
		     const ls_frame *frames, size_t n);

/* Writes the file if anything changed; 0 or -1 (errno).  Also trims the
 * directory to its bound, removing the least recently written files. */
int ls_symcache_save(ls_symcache *c, int dirfd);
void ls_symcache_free(ls_symcache *c);

#endif
