/* debugimage.c — an ELF file with its zlib-compressed sections inflated
 * into a memfd, for libdwfl to read instead of the file (see debugimage.h).
 *
 * Layout of the image: the original bytes up to the first compressed
 * section (ELF header, program headers, notes stay where they were), then
 * every section that had contents at or after that point, in file order,
 * each at its alignment, then the section header table.  Sections without
 * file contents (SHT_NOBITS) keep their offset when it lies in the copied
 * prefix and otherwise take the current end of the image.
 */
#include "config.h"

#include "symbols/debugimage.h"

#include <errno.h>
#include <gelf.h>
#include <libdeflate.h>
#include <libelf.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Refuse absurd alignments rather than pad the image with them. */
#define MAX_SECTION_ALIGN 4096
#define MAX_HELPER_THREADS 8

/* Headers are used in place: only files of the host's byte order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

struct section_plan {
	Elf64_Shdr shdr; /* as it will be in the image */
	uint64_t file_offset; /* where its contents are in the file */
	const unsigned char *src; /* contents, or the zlib stream after the Chdr */
	size_t src_size;
	bool was_compressed;
	bool inflate; /* compressed and not omitted */
	bool moved; /* contents go to shdr.sh_offset in the image */
};

struct image_plan {
	Elf *elf;
	size_t shstrndx;
	const char *const *omit;
	const unsigned char *file;
	size_t file_size;
	Elf64_Ehdr ehdr;
	Elf64_Shdr shdr0; /* copied as is: it may hold extended counts */
	struct section_plan *sections; /* indexes 1..nsections-1 */
	size_t nsections;
	uint64_t prefix_size; /* bytes copied unchanged */
	uint64_t image_size;
	size_t ninflate;
};

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

static bool align_up(uint64_t value, uint64_t align, uint64_t *out)
{
	if (align <= 1) {
		*out = value;
		return true;
	}
	if (align > MAX_SECTION_ALIGN || (align & (align - 1)) || add_overflows(value, align - 1, out))
		return false;
	*out &= ~(align - 1);
	return true;
}

static bool has_file_contents(const Elf64_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_size > 0;
}

static bool is_named(const char *name, const char *const *names)
{
	for (; name && names && *names; names++)
		if (!strcmp(name, *names))
			return true;
	return false;
}

/* Reads one section header into `p`; false when the file is malformed or
 * the section is compressed with something other than zlib. */
static bool plan_section(struct image_plan *plan, Elf_Scn *scn, struct section_plan *p)
{
	Elf64_Shdr *sh = elf64_getshdr(scn);
	if (!sh)
		return false;
	p->shdr = *sh;
	p->file_offset = sh->sh_offset;
	if (!has_file_contents(sh))
		return !(sh->sh_flags & SHF_COMPRESSED);
	uint64_t end;
	if (add_overflows(sh->sh_offset, sh->sh_size, &end) || end > plan->file_size)
		return false;
	p->src = plan->file + sh->sh_offset;
	p->src_size = sh->sh_size;
	if (!(sh->sh_flags & SHF_COMPRESSED))
		return true;
	Elf64_Chdr chdr;
	if (sh->sh_size < sizeof chdr)
		return false;
	memcpy(&chdr, p->src, sizeof chdr);
	if (chdr.ch_type != ELFCOMPRESS_ZLIB || chdr.ch_size == 0)
		return false;
	p->was_compressed = true;
	p->shdr.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
	p->shdr.sh_size = chdr.ch_size;
	p->shdr.sh_addralign = chdr.ch_addralign;
	if (is_named(elf_strptr(plan->elf, plan->shstrndx, sh->sh_name), plan->omit)) {
		p->shdr.sh_type = SHT_NOBITS; /* readers take it as absent */
		return true;
	}
	p->src += sizeof chdr;
	p->src_size -= sizeof chdr;
	p->inflate = true;
	plan->ninflate++;
	return true;
}

static int by_file_offset(const void *a, const void *b)
{
	const struct section_plan *x = *(struct section_plan *const *)a;
	const struct section_plan *y = *(struct section_plan *const *)b;
	if (x->file_offset != y->file_offset)
		return x->file_offset < y->file_offset ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Assigns image offsets; false when the layout cannot be kept. */
static bool plan_offsets(struct image_plan *plan)
{
	size_t n = plan->nsections - 1;
	struct section_plan **order = malloc(n * sizeof *order);
	if (!order)
		return false;
	uint64_t first_rewritten = UINT64_MAX; /* the first compressed section's offset */
	for (size_t i = 0; i < n; i++) {
		order[i] = &plan->sections[i + 1];
		if (order[i]->was_compressed && order[i]->file_offset < first_rewritten)
			first_rewritten = order[i]->file_offset;
	}
	qsort(order, n, sizeof *order, by_file_offset);
	uint64_t phdrs_end;
	bool ok = first_rewritten >= sizeof(Elf64_Ehdr) &&
		  !add_overflows(plan->ehdr.e_phoff,
				 (uint64_t)plan->ehdr.e_phnum * plan->ehdr.e_phentsize, &phdrs_end) &&
		  (plan->ehdr.e_phnum == 0 || phdrs_end <= first_rewritten);
	uint64_t cursor = first_rewritten;
	for (size_t i = 0; ok && i < n; i++) {
		struct section_plan *p = order[i];
		if (!has_file_contents(&p->shdr) && !p->inflate) {
			if (p->file_offset >= first_rewritten)
				p->shdr.sh_offset = cursor;
			continue;
		}
		uint64_t end = p->file_offset + p->src_size;
		if (!p->inflate && end <= first_rewritten)
			continue; /* in the prefix */
		p->moved = true;
		ok = align_up(cursor, p->shdr.sh_addralign, &cursor) &&
		     !add_overflows(cursor, p->shdr.sh_size, &end);
		p->shdr.sh_offset = cursor;
		cursor = end;
	}
	free(order);
	plan->prefix_size = first_rewritten;
	ok = ok && align_up(cursor, 8, &cursor);
	plan->ehdr.e_shoff = cursor;
	return ok && !add_overflows(cursor, plan->nsections * sizeof(Elf64_Shdr), &plan->image_size) &&
	       plan->image_size <= SIZE_MAX / 2;
}

/* Reads the file's section headers into `plan`; false when there is
 * nothing to inflate or the file cannot be handled. */
static bool plan_image(Elf *elf, struct image_plan *plan)
{
	size_t size;
	plan->file = (const unsigned char *)elf_rawfile(elf, &size);
	plan->file_size = size;
	Elf64_Ehdr *ehdr = elf64_getehdr(elf);
	if (!plan->file || !ehdr || ehdr->e_ident[EI_DATA] != HOST_ELFDATA ||
	    ehdr->e_shentsize != sizeof(Elf64_Shdr))
		return false;
	plan->ehdr = *ehdr;
	size_t nsections;
	if (elf_getshdrnum(elf, &nsections) != 0 || nsections < 2)
		return false;
	Elf64_Shdr *sh0 = elf64_getshdr(elf_getscn(elf, 0));
	plan->sections = calloc(nsections, sizeof *plan->sections);
	if (!sh0 || !plan->sections)
		return false;
	plan->shdr0 = *sh0;
	plan->nsections = nsections;
	if (elf_getshdrstrndx(elf, &plan->shstrndx) != 0)
		return false;
	for (size_t i = 1; i < nsections; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		if (!scn || !plan_section(plan, scn, &plan->sections[i]))
			return false;
	}
	return plan->ninflate > 0 && plan_offsets(plan);
}

/* ---- filling the image, on one or more threads ------------------------ */

/* A job fills one section's contents in the image: inflating it, or copying
 * it when it was not compressed.  jobs[0], the largest (.debug_info: 60% of
 * the inflated bytes of libc6-dbg), is the calling thread's and the critical
 * path.  Page allocation costs about half as much as inflating here, so
 * while the caller inflates jobs[0] the first helper faults its pages in
 * ahead of it (faulting in is faster than inflating); then every thread
 * takes the other jobs, largest first, faulting each one's pages in first.
 * (Unmapping the image on a thread of its own, off the caller's path, was
 * measured: no gain.) */
struct job_queue {
	struct section_plan **jobs; /* largest first */
	size_t njobs;
	unsigned char *image;
	atomic_size_t next; /* next job to take (from 1) */
	atomic_bool prefault_taken;
	atomic_bool failed;
};

#define PREFAULT_CHUNK (256 * 1024)

/* Allocates and maps the pages of [start, start+size) with one call rather
 * than one fault per page.  Best effort (MADV_POPULATE_WRITE: Linux 5.14). */
static void populate(unsigned char *start, size_t size)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t first = (uintptr_t)start & ~(page - 1);
	madvise((void *)first, (uintptr_t)start + size - first, MADV_POPULATE_WRITE);
#else
	(void)start;
	(void)size;
#endif
}

/* In chunks, so that the inflating thread finds the first ones ready. */
static void populate_in_chunks(unsigned char *start, size_t size)
{
	for (size_t done = 0; done < size; done += PREFAULT_CHUNK)
		populate(start + done, size - done < PREFAULT_CHUNK ? size - done : PREFAULT_CHUNK);
}

static bool fill_section(struct libdeflate_decompressor *d, unsigned char *image,
			 const struct section_plan *p)
{
	unsigned char *dst = image + p->shdr.sh_offset;
	if (!p->inflate) {
		memcpy(dst, p->src, p->src_size);
		return true;
	}
	/* NULL actual size: the stream must fill sh_size exactly. */
	return libdeflate_zlib_decompress(d, p->src, p->src_size, dst, p->shdr.sh_size, NULL) ==
	       LIBDEFLATE_SUCCESS;
}

static void take_jobs(struct job_queue *q, struct libdeflate_decompressor *d)
{
	size_t i;
	while (!atomic_load(&q->failed) && (i = atomic_fetch_add(&q->next, 1)) < q->njobs) {
		struct section_plan *p = q->jobs[i];
		populate(q->image + p->shdr.sh_offset, p->shdr.sh_size);
		if (!fill_section(d, q->image, p))
			atomic_store(&q->failed, true);
	}
}

static void *fill_helper(void *arg)
{
	struct job_queue *q = arg;
	if (!atomic_exchange(&q->prefault_taken, true))
		populate_in_chunks(q->image + q->jobs[0]->shdr.sh_offset, q->jobs[0]->shdr.sh_size);
	/* Without a decompressor of its own a helper leaves the jobs to the others. */
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	if (d) {
		take_jobs(q, d);
		libdeflate_free_decompressor(d);
	}
	return NULL;
}

static int by_size_descending(const void *a, const void *b)
{
	const struct section_plan *x = *(struct section_plan *const *)a;
	const struct section_plan *y = *(struct section_plan *const *)b;
	return (x->shdr.sh_size < y->shdr.sh_size) - (x->shdr.sh_size > y->shdr.sh_size);
}

/* Threads start with every signal blocked: signals stay the caller's. */
static bool start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool started = pthread_create(thread, NULL, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

static bool fill_all(struct image_plan *plan, unsigned char *image, unsigned threads)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	struct job_queue q = { .njobs = 0, .image = image };
	q.jobs = malloc(plan->nsections * sizeof *q.jobs);
	if (!q.jobs || !d) {
		free(q.jobs);
		libdeflate_free_decompressor(d);
		return false;
	}
	for (size_t i = 1; i < plan->nsections; i++)
		if (plan->sections[i].moved)
			q.jobs[q.njobs++] = &plan->sections[i];
	qsort(q.jobs, q.njobs, sizeof *q.jobs, by_size_descending);
	atomic_init(&q.next, 1);
	atomic_init(&q.prefault_taken, false);
	atomic_init(&q.failed, false);

	pthread_t helpers[MAX_HELPER_THREADS];
	size_t want = threads > 1 ? threads - 1 : 0, started = 0;
	if (want > MAX_HELPER_THREADS)
		want = MAX_HELPER_THREADS;
	while (started < want && start_thread(&helpers[started], fill_helper, &q))
		started++;
	if (!started)
		populate(image + q.jobs[0]->shdr.sh_offset, q.jobs[0]->shdr.sh_size);
	if (!fill_section(d, image, q.jobs[0]))
		atomic_store(&q.failed, true);
	take_jobs(&q, d);
	for (size_t i = 0; i < started; i++)
		pthread_join(helpers[i], NULL);
	libdeflate_free_decompressor(d);
	free(q.jobs);
	return !atomic_load(&q.failed);
}

/* ---- writing the image ----------------------------------------------- */

static bool write_image(struct image_plan *plan, unsigned char *image, unsigned threads)
{
	memcpy(image, plan->file, plan->prefix_size);
	memcpy(image, &plan->ehdr, sizeof plan->ehdr);
	Elf64_Shdr *table = (Elf64_Shdr *)(image + plan->ehdr.e_shoff);
	table[0] = plan->shdr0;
	for (size_t i = 1; i < plan->nsections; i++)
		table[i] = plan->sections[i].shdr;
	return fill_all(plan, image, threads);
}

static int image_fd(struct image_plan *plan, unsigned threads)
{
	int fd = memfd_create("lockscope-debuginfo", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t size = (size_t)plan->image_size;
	void *map = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	bool ok = map != MAP_FAILED && write_image(plan, map, threads);
	if (map != MAP_FAILED)
		munmap(map, size);
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

int ls_debugimage_open(int fd, const ls_debugimage_options *options)
{
	int saved_errno = errno;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct image_plan plan = { .elf = elf, .omit = options ? options->omit : NULL };
	int image = -1;
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == ELFCLASS64 &&
	    plan_image(elf, &plan))
		image = image_fd(&plan, options ? options->threads : 1);
	free(plan.sections);
	if (elf)
		elf_end(elf);
	errno = saved_errno;
	return image;
}
