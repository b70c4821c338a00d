/* check_symindex.c — lib/symbols/symindex.c must answer exactly what
 * dwfl_module_addrinfo answers, probed at the edges and middles of the
 * symbols of this binary and of libc (with libc6-dbg: 10 000 symbols,
 * globals, weak aliases, locals, sizeless assembly labels). */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/symbolize.h"
#include "symbols/symindex.h"

/* A global sizeless label inside a local function: libdwfl names its
 * address after the label and never looks at the locals (hand-written
 * assembly looks like this). */
__asm__(".text\n"
	".type local_span, @function\n"
	"local_span:\n"
	"\tnop\n"
	".globl global_label\n"
	"global_label:\n"
	"\tnop\n"
	"\tret\n"
	".size local_span, .-local_span\n");

/* Symbols probed per module: libdwfl's own answer costs up to 0.2 ms each. */
#define PROBED_SYMBOLS 800

static Dwfl *dwfl;

static void setup(void)
{
	dwfl = ls_symbolizer_dwfl_begin();
	ck_assert_ptr_nonnull(dwfl);
	dwfl_report_begin(dwfl);
	ck_assert_int_eq(dwfl_linux_proc_report(dwfl, getpid()), 0);
	ck_assert_int_eq(dwfl_report_end(dwfl, NULL, NULL), 0);
}

static void teardown(void)
{
	dwfl_end(dwfl);
}

static bool same_symbol(const GElf_Sym *a, const GElf_Sym *b)
{
	return a->st_name == b->st_name && a->st_info == b->st_info && a->st_other == b->st_other &&
	       a->st_shndx == b->st_shndx && a->st_value == b->st_value && a->st_size == b->st_size;
}

static void expect_same_answer(ls_symindex *ix, Dwfl_Module *mod, GElf_Addr address)
{
	GElf_Off want_offset = 0, got_offset = 0;
	GElf_Sym want_sym, got_sym;
	const char *want = dwfl_module_addrinfo(mod, address, &want_offset, &want_sym, NULL, NULL, NULL);
	const char *got = ls_symindex_addrinfo(ix, mod, address, &got_offset, &got_sym);
	ck_assert_msg(got == want, "address %#llx: index says %s, libdwfl %s",
		      (unsigned long long)address, got ? got : "(none)", want ? want : "(none)");
	if (want) {
		ck_assert_msg(got_offset == want_offset, "address %#llx (%s): offset %llu, libdwfl %llu",
			      (unsigned long long)address, want, (unsigned long long)got_offset,
			      (unsigned long long)want_offset);
		ck_assert_msg(same_symbol(&got_sym, &want_sym), "address %#llx (%s): another symbol",
			      (unsigned long long)address, want);
	}
}

/* Probes the module around every k-th symbol: just below, at the start,
 * in the middle, at the last byte, just past the end. */
static void probe_module(Dwfl_Module *mod, uint64_t *answered, uint64_t *deferred)
{
	ls_symindex *ix = ls_symindex_new();
	ck_assert_ptr_nonnull(ix);
	int count = dwfl_module_getsymtab(mod);
	ck_assert_int_gt(count, 1);
	int step = count / PROBED_SYMBOLS + 1;
	for (int i = 1; i < count; i += step) {
		GElf_Sym sym;
		GElf_Addr value;
		if (!dwfl_module_getsym_info(mod, i, &sym, &value, NULL, NULL, NULL) || !value)
			continue;
		GElf_Addr last = value + (sym.st_size ? sym.st_size - 1 : 0);
		const GElf_Addr probes[] = { value - 1, value, value + sym.st_size / 2, last, last + 1 };
		for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++)
			expect_same_answer(ix, mod, probes[p]);
	}
	ls_symindex_stats(ix, answered, deferred);
	ls_symindex_free(ix);
}

static Dwfl_Module *module_of(const void *address)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, (Dwarf_Addr)(uintptr_t)address);
	ck_assert_ptr_nonnull(mod);
	return mod;
}

START_TEST(test_same_as_libdwfl_in_libc)
{
	uint64_t answered, deferred;
	probe_module(module_of((const void *)(uintptr_t)&pthread_mutex_lock), &answered, &deferred);
	/* Most probes fall inside a sized symbol: the index answers them
	 * (the others land in padding, on labels, before or past data). */
	ck_assert_uint_gt(answered, deferred);
}
END_TEST

START_TEST(test_same_as_libdwfl_in_this_binary)
{
	uint64_t answered, deferred;
	probe_module(module_of((const void *)(uintptr_t)&probe_module), &answered, &deferred);
	ck_assert_uint_gt(answered, 0);
}
END_TEST

START_TEST(test_without_index_asks_libdwfl)
{
	Dwfl_Module *mod = module_of((const void *)(uintptr_t)&pthread_mutex_lock);
	GElf_Off offset;
	GElf_Sym sym;
	GElf_Addr address = (GElf_Addr)(uintptr_t)&pthread_mutex_lock;
	const char *name = ls_symindex_addrinfo(NULL, mod, address, &offset, &sym);
	ck_assert_ptr_eq(name, dwfl_module_addrinfo(mod, address, &offset, &sym, NULL, NULL, NULL));
	ck_assert_ptr_nonnull(name);
}
END_TEST

static Suite *symindex_suite(void)
{
	Suite *s = suite_create("symindex");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_same_as_libdwfl_in_libc);
	tcase_add_test(tc, test_same_as_libdwfl_in_this_binary);
	tcase_add_test(tc, test_without_index_asks_libdwfl);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(symindex_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
