/* check_symbolize.c — unit tests of lib/symbols/symbolize.c against this very binary
 * (functions, file:line, inlined frames, data symbols) and libc. */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/symbolize.h"

pthread_mutex_t some_global_mutex = PTHREAD_MUTEX_INITIALIZER;
uint64_t some_global_table[8];
/* Zero-initialized and large: its tail lies past the executable's last
 * file-backed page, in the anonymous .bss mapping. */
char big_bss_array[1 << 16];

/* Lines of the call sites below, recorded on the same source line. */
static int known_call_line, inlined_call_line, outer_call_line;
static volatile uint64_t sink;

static __attribute__((noinline)) uint64_t caller_pc(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

__attribute__((noinline)) uint64_t known_function(void);
__attribute__((noinline)) uint64_t known_function(void)
{
	uint64_t pc = caller_pc(); known_call_line = __LINE__;
	sink = pc; /* keeps the call above from becoming a tail call */
	return pc;
}

static inline __attribute__((always_inline)) uint64_t inlined_helper(void)
{
	uint64_t pc = caller_pc(); inlined_call_line = __LINE__;
	sink = pc;
	return pc;
}

__attribute__((noinline)) uint64_t outer_function(void);
__attribute__((noinline)) uint64_t outer_function(void)
{
	uint64_t pc = inlined_helper(); outer_call_line = __LINE__;
	sink = pc;
	return pc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);
	return s && n >= k && !strcmp(s + n - k, suffix);
}

static void free_frames(ls_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].function);
		free(f[i].file);
		free(f[i].module);
	}
}

/* libc's own pthread_mutex_lock (sanitizer runtimes interpose the name). */
static void *libc_mutex_lock(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	ck_assert_ptr_nonnull(libc);
	void *fn = dlsym(libc, "pthread_mutex_lock");
	ck_assert_ptr_nonnull(fn);
	dlclose(libc);
	return fn;
}

static ls_symbolizer *sym;

static void setup(void)
{
	sym = ls_symbolizer_new_self();
	ck_assert_ptr_nonnull(sym);
}

static void teardown(void)
{
	ls_symbolizer_free(sym);
}

START_TEST(test_function_file_line)
{
	uint64_t pc = known_function();
	ls_frame f[8];
	size_t n = ls_symbolize(sym, pc, true, f, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].function, "known_function");
	ck_assert_msg(ends_with(f[0].file, "check_symbolize.c"), "file %s", f[0].file);
	ck_assert_int_eq(f[0].line, known_call_line);
	ck_assert_uint_eq(f[0].address, pc);
	ck_assert_msg(ends_with(f[0].module, "check_symbolize"), "module %s", f[0].module);
	ck_assert(!f[0].inlined);
	free_frames(f, n);
}
END_TEST

START_TEST(test_inlined_chain)
{
	uint64_t pc = outer_function();
	ls_frame f[8];
	size_t n = ls_symbolize(sym, pc, true, f, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].function, "inlined_helper");
	ck_assert(f[0].inlined);
	ck_assert_int_eq(f[0].line, inlined_call_line);
	ck_assert_msg(ends_with(f[0].file, "check_symbolize.c"), "file %s", f[0].file);
	ck_assert_str_eq(f[1].function, "outer_function");
	ck_assert(!f[1].inlined);
	ck_assert_int_eq(f[1].line, outer_call_line);
	ck_assert_msg(ends_with(f[1].file, "check_symbolize.c"), "file %s", f[1].file);
	ck_assert_uint_eq(f[0].module_offset, f[1].module_offset);
	free_frames(f, n);
}
END_TEST

START_TEST(test_libc_function)
{
	void *fn = libc_mutex_lock();
	ls_frame f[8];
	size_t n = ls_symbolize(sym, (uint64_t)(uintptr_t)fn, false, f, 8);
	ck_assert_uint_ge(n, 1);
	ck_assert_msg(f[n - 1].function && strstr(f[n - 1].function, "pthread_mutex_lock"),
		      "function %s", f[n - 1].function);
	ck_assert_msg(strstr(f[0].module, "libc.so"), "module %s", f[0].module);
	/* libc6-dbg is a build requirement (see build.sh): lines must resolve. */
	ck_assert_msg(f[0].file != NULL && f[0].line > 0, "no line info for libc (libc6-dbg missing?)");
	free_frames(f, n);
}
END_TEST

START_TEST(test_data_symbol)
{
	char *name = ls_symbolize_data(sym, (uint64_t)(uintptr_t)&some_global_mutex);
	ck_assert_str_eq(name, "some_global_mutex");
	free(name);
	name = ls_symbolize_data(sym, (uint64_t)(uintptr_t)&some_global_table[2]);
	ck_assert_str_eq(name, "some_global_table+16");
	free(name);
	name = ls_symbolize_data(sym, (uint64_t)(uintptr_t)&big_bss_array[60000]);
	ck_assert_str_eq(name, "big_bss_array+60000");
	free(name);
	int on_stack;
	ck_assert_ptr_null(ls_symbolize_data(sym, (uint64_t)(uintptr_t)&on_stack));
}
END_TEST

START_TEST(test_cache)
{
	uint64_t pc = known_function();
	uint64_t hits0, misses0, hits1, misses1;
	ls_frame a[4], b[4];
	ls_symbolizer_cache_stats(sym, &hits0, &misses0);
	size_t na = ls_symbolize(sym, pc, true, a, 4);
	size_t nb = ls_symbolize(sym, pc, true, b, 4);
	ls_symbolizer_cache_stats(sym, &hits1, &misses1);
	ck_assert_uint_eq(misses1 - misses0, 1);
	ck_assert_uint_eq(hits1 - hits0, 1);
	ck_assert_uint_eq(na, nb);
	ck_assert_str_eq(a[0].function, b[0].function);
	ck_assert_str_eq(a[0].file, b[0].file);
	ck_assert_int_eq(a[0].line, b[0].line);
	ck_assert_ptr_ne(a[0].function, b[0].function); /* each caller owns its copy */
	free_frames(a, na);
	free_frames(b, nb);
}
END_TEST

START_TEST(test_no_module)
{
	ls_frame f[4];
	size_t n = ls_symbolize(sym, 0x10, true, f, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(f[0].module);
	ck_assert_ptr_null(f[0].function);
	ck_assert_ptr_null(f[0].file);
	ck_assert_uint_eq(f[0].address, 0x10);
	ck_assert_ptr_null(ls_symbolize_data(sym, 0x10));
}
END_TEST

START_TEST(test_stack)
{
	uint64_t pcs[3] = { (uint64_t)(uintptr_t)libc_mutex_lock(),
			    outer_function(), known_function() };
	ls_stack st = { NULL, 0 };
	ck_assert_int_eq(ls_symbolize_stack(sym, pcs, 3, &st), 0);
	ck_assert_uint_eq(st.n, 4); /* the inlined frame adds one */
	ck_assert_str_eq(st.frames[1].function, "inlined_helper");
	ck_assert(st.frames[1].inlined);
	ck_assert_str_eq(st.frames[2].function, "outer_function");
	ck_assert_str_eq(st.frames[3].function, "known_function");
	free_frames(st.frames, st.n);
	free(st.frames);
}
END_TEST

START_TEST(test_add_module_overlap_ignored)
{
	/* libc is mapped: re-adding it at its own base must change nothing. */
	void *fn = libc_mutex_lock();
	Dl_info info;
	ck_assert(dladdr(fn, &info));
	ls_frame before[4], after[4];
	size_t nb = ls_symbolize(sym, (uint64_t)(uintptr_t)fn, false, before, 4);
	ls_symbolizer_add_module(sym, info.dli_fname, (uint64_t)(uintptr_t)info.dli_fbase);
	size_t na = ls_symbolize(sym, (uint64_t)(uintptr_t)fn, false, after, 4);
	ck_assert_uint_eq(na, nb);
	ck_assert_str_eq(after[na - 1].function, before[nb - 1].function);
	free_frames(before, nb);
	free_frames(after, na);
}
END_TEST

START_TEST(test_add_module_unmapped)
{
	/* A library at an address where nothing is mapped: its symbols resolve
	 * there, as for a dlclose'd library. */
	void *fn = libc_mutex_lock();
	Dl_info info;
	ck_assert(dladdr(fn, &info));
	uint64_t fake_base = 0x100000000000ULL;
	uint64_t offset = (uint64_t)(uintptr_t)fn - (uint64_t)(uintptr_t)info.dli_fbase;
	ls_symbolizer_add_module(sym, info.dli_fname, fake_base);
	ls_frame f[4];
	size_t n = ls_symbolize(sym, fake_base + offset, false, f, 4);
	ck_assert_msg(f[n - 1].function && strstr(f[n - 1].function, "pthread_mutex_lock"),
		      "function %s", f[n - 1].function);
	ck_assert_uint_eq(f[0].module_offset, offset);
	free_frames(f, n);
}
END_TEST

static Suite *symbolize_suite(void)
{
	Suite *s = suite_create("symbolize");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_function_file_line);
	tcase_add_test(tc, test_inlined_chain);
	tcase_add_test(tc, test_libc_function);
	tcase_add_test(tc, test_data_symbol);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_no_module);
	tcase_add_test(tc, test_stack);
	tcase_add_test(tc, test_add_module_overlap_ignored);
	tcase_add_test(tc, test_add_module_unmapped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(symbolize_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
