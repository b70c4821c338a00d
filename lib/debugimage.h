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
 * streams about 2.5 times faster, straight into the image, and `threads`
 * > 1 inflates several sections at once (largest first).  With threads <= 1
 * no thread is ever started (callers running inside someone else's
 * program use that).
 */
#ifndef LOCKSCOPE_DEBUGIMAGE_H
#define LOCKSCOPE_DEBUGIMAGE_H

int ls_debugimage_open(int fd, unsigned threads);

#endif
