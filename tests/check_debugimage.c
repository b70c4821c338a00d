/* check_debugimage.c — the inflated image of an ELF file with compressed
 * debug sections (lib/symbols/debugimage.c).
 *
 * The fixture is this test program itself (built with -g), its debug
 * sections compressed with `objcopy --compress-debug-sections=zlib`; the
 * reference is the same file decompressed by `objcopy
 * --decompress-debug-sections`.  Both objcopy runs must succeed: a missing
 * objcopy fails the test.
 */
#include "config.h"

#include <check.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "symbols/debugimage.h"

#ifndef ELFCOMPRESS_ZSTD /* glibc 2.36's elf.h predates it */
#define ELFCOMPRESS_ZSTD 2
#endif

static char tmpdir[] = "/tmp/check_debugimage.XXXXXX";
static char compressed[sizeof tmpdir + 32];
static char decompressed[sizeof tmpdir + 32];
static char self[4096];

static void run_objcopy(const char *option, const char *in, const char *out)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execlp("objcopy", "objcopy", option, in, out, (char *)NULL);
		_exit(127);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "objcopy %s %s failed (status %d; is binutils installed?)", option, in, status);
}

static void setup_files(void)
{
	elf_version(EV_CURRENT);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(compressed, sizeof compressed, "%s/zlib", tmpdir);
	snprintf(decompressed, sizeof decompressed, "%s/plain", tmpdir);
	run_objcopy("--compress-debug-sections=zlib", self, compressed);
	run_objcopy("--decompress-debug-sections", compressed, decompressed);
}

static void remove_files(void)
{
	unlink(compressed);
	unlink(decompressed);
	rmdir(tmpdir);
}

/* A writable copy of `path` in the temporary directory. */
static char *copy_of(const char *path, const char *name, unsigned char **bytes, size_t *size)
{
	FILE *in = fopen(path, "rb");
	ck_assert_ptr_nonnull(in);
	struct stat st;
	ck_assert_int_eq(fstat(fileno(in), &st), 0);
	*size = (size_t)st.st_size;
	*bytes = malloc(*size);
	ck_assert_ptr_nonnull(*bytes);
	ck_assert_uint_eq(fread(*bytes, 1, *size, in), *size);
	fclose(in);
	char *copy = malloc(strlen(tmpdir) + strlen(name) + 2);
	ck_assert_ptr_nonnull(copy);
	sprintf(copy, "%s/%s", tmpdir, name);
	return copy;
}

static void write_file(const char *path, const unsigned char *bytes, size_t size)
{
	FILE *out = fopen(path, "wb");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(bytes, 1, size, out), size);
	ck_assert_int_eq(fclose(out), 0);
}

static int image_of(const char *path, const ls_debugimage_options *options)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	int image = ls_debugimage_open(fd, options);
	close(fd);
	return image;
}

static Elf *elf_of(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ck_assert_ptr_nonnull(elf);
	ck_assert_int_eq(elf_kind(elf), ELF_K_ELF);
	return elf;
}

static const char *section_name(Elf *elf, Elf_Scn *scn)
{
	size_t shstrndx;
	GElf_Shdr sh;
	ck_assert_int_eq(elf_getshdrstrndx(elf, &shstrndx), 0);
	ck_assert_ptr_nonnull(gelf_getshdr(scn, &sh));
	return elf_strptr(elf, shstrndx, sh.sh_name);
}

static Elf_Scn *section_named(Elf *elf, const char *name)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));)
		if (!strcmp(section_name(elf, scn), name))
			return scn;
	return NULL;
}

static size_t compressed_sections(Elf *elf)
{
	size_t n = 0;
	GElf_Shdr sh;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));)
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			n++;
	return n;
}

/* Every section of the image has the name, type, flags and contents of
 * the same section in objcopy's decompressed file. */
static void assert_matches_reference(int image)
{
	int ref_fd = open(decompressed, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ref_fd, 0);
	Elf *ref = elf_of(ref_fd);
	Elf *img = elf_of(image);
	size_t n_ref, n_img;
	ck_assert_int_eq(elf_getshdrnum(ref, &n_ref), 0);
	ck_assert_int_eq(elf_getshdrnum(img, &n_img), 0);
	ck_assert_uint_eq(n_img, n_ref);
	ck_assert_uint_eq(compressed_sections(img), 0);
	size_t debug_sections = 0;
	for (size_t i = 1; i < n_img; i++) {
		Elf_Scn *iscn = elf_getscn(img, i);
		const char *name = section_name(img, iscn);
		Elf_Scn *rscn = section_named(ref, name);
		ck_assert_msg(rscn != NULL, "section %s missing from the reference", name);
		GElf_Shdr ish, rsh;
		gelf_getshdr(iscn, &ish);
		gelf_getshdr(rscn, &rsh);
		ck_assert_uint_eq(ish.sh_type, rsh.sh_type);
		ck_assert_uint_eq(ish.sh_flags, rsh.sh_flags);
		ck_assert_uint_eq(ish.sh_size, rsh.sh_size);
		ck_assert_uint_eq(ish.sh_addr, rsh.sh_addr);
		if (ish.sh_type == SHT_NOBITS || ish.sh_size == 0)
			continue;
		Elf_Data *idata = elf_rawdata(iscn, NULL);
		Elf_Data *rdata = elf_rawdata(rscn, NULL);
		ck_assert_ptr_nonnull(idata);
		ck_assert_ptr_nonnull(rdata);
		ck_assert_uint_eq(idata->d_size, rdata->d_size);
		ck_assert_msg(!memcmp(idata->d_buf, rdata->d_buf, idata->d_size),
			      "section %s differs", name);
		if (!strncmp(name, ".debug_", 7))
			debug_sections++;
	}
	ck_assert_uint_ge(debug_sections, 4); /* info, abbrev, line, str at least */
	elf_end(img);
	elf_end(ref);
	close(ref_fd);
}

START_TEST(test_image_matches_objcopy_decompressed)
{
	int fd = open(compressed, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	Elf *elf = elf_of(fd);
	ck_assert_uint_ge(compressed_sections(elf), 4); /* the fixture is what it claims */
	elf_end(elf);
	close(fd);

	int image = image_of(compressed, NULL);
	ck_assert_int_ge(image, 0);
	assert_matches_reference(image);
	close(image);
}
END_TEST

/* The ELF header and program headers keep their bytes (but e_shoff). */
START_TEST(test_image_keeps_headers)
{
	int image = image_of(compressed, NULL);
	ck_assert_int_ge(image, 0);
	Elf *img = elf_of(image);
	int fd = open(compressed, O_RDONLY | O_CLOEXEC);
	Elf *orig = elf_of(fd);
	GElf_Ehdr ie, oe;
	gelf_getehdr(img, &ie);
	gelf_getehdr(orig, &oe);
	ck_assert_uint_eq(ie.e_phnum, oe.e_phnum);
	ck_assert_uint_eq(ie.e_phoff, oe.e_phoff);
	ck_assert_uint_eq(ie.e_entry, oe.e_entry);
	ck_assert_uint_eq(ie.e_shstrndx, oe.e_shstrndx);
	for (int i = 0; i < ie.e_phnum; i++) {
		GElf_Phdr ip, op;
		gelf_getphdr(img, i, &ip);
		gelf_getphdr(orig, i, &op);
		ck_assert(!memcmp(&ip, &op, sizeof ip));
	}
	elf_end(orig);
	elf_end(img);
	close(fd);
	close(image);
}
END_TEST

static unsigned char *whole_file(int fd, size_t *size)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	*size = (size_t)st.st_size;
	unsigned char *bytes = malloc(*size);
	ck_assert_ptr_nonnull(bytes);
	ck_assert_int_eq(pread(fd, bytes, *size, 0), (ssize_t)*size);
	return bytes;
}

START_TEST(test_threads_build_the_same_image)
{
	ls_debugimage_options one = { .threads = 1 };
	ls_debugimage_options four = { .threads = 4 };
	int a = image_of(compressed, &one), b = image_of(compressed, &four);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	size_t na, nb;
	unsigned char *x = whole_file(a, &na), *y = whole_file(b, &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert(!memcmp(x, y, na));
	free(x);
	free(y);
	close(a);
	close(b);
}
END_TEST

START_TEST(test_libdw_reads_the_image)
{
	int image = image_of(compressed, NULL);
	ck_assert_int_ge(image, 0);
	int ref_fd = open(decompressed, O_RDONLY | O_CLOEXEC);
	Dwarf *dw_img = dwarf_begin(image, DWARF_C_READ);
	Dwarf *dw_ref = dwarf_begin(ref_fd, DWARF_C_READ);
	ck_assert_ptr_nonnull(dw_img);
	ck_assert_ptr_nonnull(dw_ref);
	Dwarf_Off off_i = 0, off_r = 0, next_i, next_r;
	size_t hsize, units = 0;
	for (;;) {
		int ri = dwarf_nextcu(dw_img, off_i, &next_i, &hsize, NULL, NULL, NULL);
		int rr = dwarf_nextcu(dw_ref, off_r, &next_r, &hsize, NULL, NULL, NULL);
		ck_assert_int_eq(ri, rr);
		if (ri != 0)
			break;
		Dwarf_Die di, dr;
		ck_assert_ptr_nonnull(dwarf_offdie(dw_img, off_i + hsize, &di));
		ck_assert_ptr_nonnull(dwarf_offdie(dw_ref, off_r + hsize, &dr));
		ck_assert_str_eq(dwarf_diename(&di), dwarf_diename(&dr));
		off_i = next_i;
		off_r = next_r;
		units++;
	}
	ck_assert_uint_ge(units, 1);
	dwarf_end(dw_img);
	dwarf_end(dw_ref);
	close(ref_fd);
	close(image);
}
END_TEST

START_TEST(test_omitted_section_is_nobits)
{
	static const char *const omit[] = { ".debug_line", NULL };
	ls_debugimage_options options = { .threads = 2, .omit = omit };
	int image = image_of(compressed, &options);
	ck_assert_int_ge(image, 0);
	Elf *img = elf_of(image);
	GElf_Shdr sh;
	gelf_getshdr(section_named(img, ".debug_line"), &sh);
	ck_assert_uint_eq(sh.sh_type, SHT_NOBITS);
	ck_assert_uint_eq(sh.sh_flags & SHF_COMPRESSED, 0);
	gelf_getshdr(section_named(img, ".debug_info"), &sh);
	ck_assert_uint_eq(sh.sh_type, SHT_PROGBITS);
	ck_assert_uint_eq(compressed_sections(img), 0);
	elf_end(img);
	close(image);
}
END_TEST

START_TEST(test_uncompressed_file_is_left_alone)
{
	errno = 1234;
	ck_assert_int_eq(image_of(decompressed, NULL), -1);
	ck_assert_int_eq(errno, 1234);
}
END_TEST

START_TEST(test_not_elf_is_left_alone)
{
	char *path = malloc(strlen(tmpdir) + 16);
	sprintf(path, "%s/text", tmpdir);
	write_file(path, (const unsigned char *)"not an ELF file\n", 16);
	ck_assert_int_eq(image_of(path, NULL), -1);
	unlink(path);
	free(path);
}
END_TEST

/* Offset of the compression header of the first compressed section. */
static size_t first_chdr_offset(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = elf_of(fd);
	size_t offset = 0;
	GElf_Shdr sh;
	for (Elf_Scn *scn = NULL; !offset && (scn = elf_nextscn(elf, scn));)
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			offset = sh.sh_offset;
	elf_end(elf);
	close(fd);
	ck_assert_uint_gt(offset, 0);
	return offset;
}

/* A copy of the compressed fixture altered by `patch`; -1 expected. */
static void assert_patched_copy_refused(const char *name, void (*patch)(unsigned char *, size_t))
{
	unsigned char *bytes;
	size_t size;
	char *path = copy_of(compressed, name, &bytes, &size);
	patch(bytes, size);
	write_file(path, bytes, size);
	ls_debugimage_options options = { .threads = 2 };
	ck_assert_int_eq(image_of(path, &options), -1);
	unlink(path);
	free(path);
	free(bytes);
}

static void make_zstd(unsigned char *bytes, size_t size)
{
	size_t at = first_chdr_offset(compressed);
	Elf64_Chdr chdr;
	ck_assert_uint_le(at + sizeof chdr, size);
	memcpy(&chdr, bytes + at, sizeof chdr);
	ck_assert_uint_eq(chdr.ch_type, ELFCOMPRESS_ZLIB);
	chdr.ch_type = ELFCOMPRESS_ZSTD;
	memcpy(bytes + at, &chdr, sizeof chdr);
}

static void corrupt_stream(unsigned char *bytes, size_t size)
{
	size_t at = first_chdr_offset(compressed) + sizeof(Elf64_Chdr);
	ck_assert_uint_le(at + 64, size);
	memset(bytes + at + 2, 0xff, 62); /* past the zlib header: the deflate blocks */
}

static void make_32_bit(unsigned char *bytes, size_t size)
{
	bytes[EI_CLASS] = ELFCLASS32;
}

START_TEST(test_zstd_section_is_left_alone)
{
	assert_patched_copy_refused("zstd", make_zstd);
}
END_TEST

START_TEST(test_corrupt_stream_is_left_alone)
{
	assert_patched_copy_refused("corrupt", corrupt_stream);
}
END_TEST

START_TEST(test_32_bit_file_is_left_alone)
{
	assert_patched_copy_refused("elf32", make_32_bit);
}
END_TEST

static Suite *debugimage_suite(void)
{
	Suite *s = suite_create("debugimage");
	TCase *tc = tcase_create("image");
	tcase_add_unchecked_fixture(tc, setup_files, remove_files);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_image_matches_objcopy_decompressed);
	tcase_add_test(tc, test_image_keeps_headers);
	tcase_add_test(tc, test_threads_build_the_same_image);
	tcase_add_test(tc, test_libdw_reads_the_image);
	tcase_add_test(tc, test_omitted_section_is_nobits);
	tcase_add_test(tc, test_uncompressed_file_is_left_alone);
	tcase_add_test(tc, test_not_elf_is_left_alone);
	tcase_add_test(tc, test_zstd_section_is_left_alone);
	tcase_add_test(tc, test_corrupt_stream_is_left_alone);
	tcase_add_test(tc, test_32_bit_file_is_left_alone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(debugimage_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
