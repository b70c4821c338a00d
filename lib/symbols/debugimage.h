/* debugimage.h — an in-memory copy of an ELF file with its compressed
 * sections already decompressed.
 *
 * Contract: ls_debugimage_open(fd) reads the 64-bit ELF file open on `fd`
 * (not closed, not moved) and, when it has SHF_COMPRESSED sections that
 * all use zlib (ELFCOMPRESS_ZLIB), returns a new close-on-exec file
 * descriptor (a memfd) holding an equivalent ELF file: the same bytes up to
 * the first compressed section, every section's contents at its new
 * offset, compressed ones inflated (SHF_COMPRESSED cleared, sh_size and
 * sh_addralign taken from their compression headers), the section header
 * table rewritten at the end.  Any other case — no compressed section, a
 * 32-bit or foreign-endian file, another compression type (zstd), corrupt
 * data, no memory — returns -1, and the caller keeps using `fd`.
 *
 * Why: libdw (elfutils 0.188) inflates every compressed debug section with
 * zlib when a module's DWARF is first used; libdeflate inflates the same
 * streams about 2.5 times faster, straight into the image, several
 * sections at once when allowed, and can leave out sections the caller
 * never reads.
 */
#ifndef LOCKSCOPE_DEBUGIMAGE_H
#define LOCKSCOPE_DEBUGIMAGE_H

typedef struct ls_debugimage_options {
	/* Threads inflating at once (the caller's included); <= 1: no thread
	 * is ever started (callers running inside someone else's program). */
	unsigned threads;
	/* NULL-terminated names of compressed sections the reader will never
	 * look at (e.g. ".debug_loclists" for a symbolizer): they are not
	 * inflated and become SHT_NOBITS, which libdw takes as absent.  NULL:
	 * none. */
	const char *const *omit;
} ls_debugimage_options;

/* options NULL: one thread, nothing omitted. */
int ls_debugimage_open(int fd, const ls_debugimage_options *options);

#endif
