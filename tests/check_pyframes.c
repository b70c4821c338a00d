/* Unit tests of lib/python/pyframes.c: the frame walk, resolution and the
 * merge into native stacks, on CPython 3.11-shaped structures built in this
 * process's memory (the reader reads them with process_vm_readv on its own
 * pid, as it reads a real interpreter): runs split at entry frames, lines
 * from the location table, UTF-16 names, and what must not crash — a cycle
 * in the chain, a frame in unmapped memory, a code pointer to nowhere, a
 * frame still being set up. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "python/pyframes.h"

/* 3.11 offsets (pylayout.c, checked by check_pylayout) */
enum {
	RT_HEAD = 40, IN_THREADS = 16, TS_NEXT = 8, TS_CFRAME = 56, TS_NATIVE = 160, CF_FRAME = 8,
	FR_CODE = 32, FR_PREV = 48, FR_INSTR = 56, FR_ENTRY = 68, FR_OWNER = 69, FR_SIZE = 72,
	CO_TYPE = 8, CO_FIRSTLINE = 72, CO_FILE = 112, CO_NAME = 120, CO_QUAL = 128, CO_TABLE = 136,
	CO_TRACEABLE = 168, CO_CODE = 184,
};

static void put64(void *base, size_t off, uint64_t v) { memcpy((char *)base + off, &v, 8); }
static void put32(void *base, size_t off, uint32_t v) { memcpy((char *)base + off, &v, 4); }

static _Alignas(16) unsigned char runtime[64], interp[64], tstate[256], cframe[16], code_type[16];
static _Alignas(16) unsigned char frames[4][FR_SIZE];
static _Alignas(16) unsigned char code_a[CO_CODE + 64], code_b[CO_CODE + 64];
static _Alignas(16) unsigned char name_a[128], name_b[128], file_x[128], table_a[64], table_b[64];
static ls_py_interp ip;

/* A compact str: ASCII (kind 1) or UTF-16 (kind 2) characters after the
 * 3.11 header (48 bytes ASCII, 72 otherwise). */
static uint64_t make_str(unsigned char *o, const char *ascii, const uint16_t *wide, size_t n)
{
	memset(o, 0, 128);
	put64(o, 16, n);
	put32(o, 32, (ascii ? 1u : 2u) << 2 | 1u << 5 | (ascii ? 1u << 6 : 0) | 1u << 7);
	if (ascii)
		memcpy(o + 48, ascii, n + 1);
	else
		memcpy(o + 72, wide, n * 2);
	return (uintptr_t)o;
}

/* A bytes object holding a location table. */
static uint64_t make_table(unsigned char *o, const uint8_t *t, size_t n)
{
	memset(o, 0, 64);
	put64(o, 16, n);
	memcpy(o + 32, t, n);
	return (uintptr_t)o;
}

static void make_code(unsigned char *co, uint64_t qual, uint64_t table, int firstline, int traceable)
{
	memset(co, 0, CO_CODE);
	put64(co, CO_TYPE, (uintptr_t)code_type);
	put32(co, CO_FIRSTLINE, (uint32_t)firstline);
	put64(co, CO_FILE, (uintptr_t)file_x);
	put64(co, CO_NAME, qual);
	put64(co, CO_QUAL, qual);
	put64(co, CO_TABLE, table);
	put32(co, CO_TRACEABLE, (uint32_t)traceable);
}

/* Frame i runs `code` at instruction `lasti`. */
static void make_frame(int i, const unsigned char *code, int lasti, const void *previous, bool entry)
{
	memset(frames[i], 0, FR_SIZE);
	put64(frames[i], FR_CODE, (uintptr_t)code);
	put64(frames[i], FR_PREV, (uintptr_t)previous);
	put64(frames[i], FR_INSTR, (uintptr_t)code + CO_CODE + 2 * (uint64_t)lasti);
	frames[i][FR_ENTRY] = entry;
}

static void setup(void)
{
	memset(runtime, 0, sizeof runtime);
	put64(runtime, RT_HEAD, (uintptr_t)interp);
	memset(interp, 0, sizeof interp);
	put64(interp, IN_THREADS, (uintptr_t)tstate);
	memset(tstate, 0, sizeof tstate);
	put64(tstate, TS_CFRAME, (uintptr_t)cframe);
	put64(tstate, TS_NATIVE, (uint64_t)syscall(SYS_gettid));
	/* a: "inner", lines: units 0-1 line 10, 2-5 line 12 (first line 10);
	 * b: "outer.<locals>.caf\u00e9" (UTF-16), all on line 20 */
	static const uint8_t ta[] = { 0x80 | 10 << 3 | 1, 0, 1, 0x80 | 12 << 3 | 3, 0, 1 };
	static const uint8_t tb[] = { 0x80 | 10 << 3 | 7, 0, 1 };
	static const uint16_t cafe[] = { 'o', 'u', 't', 'e', 'r', '.', 'c', 'a', 'f', 0xe9 };
	make_code(code_a, make_str(name_a, "inner", NULL, 5), make_table(table_a, ta, sizeof ta), 10, 1);
	make_code(code_b, make_str(name_b, NULL, cafe, 10), make_table(table_b, tb, sizeof tb), 20, 0);
	make_str(file_x, "/srv/app.py", NULL, 11);
	/* inner (a, unit 3) called by outer (b, unit 5), one run */
	make_frame(1, code_b, 5, NULL, true);
	make_frame(0, code_a, 3, frames[1], false);
	put64(cframe, CF_FRAME, (uintptr_t)frames[0]);
	memset(&ip, 0, sizeof ip);
	ip.status = LS_PY_SUPPORTED;
	ip.layout = *ls_py_layout_builtin(0x030b0000);
	ip.runtime = (uintptr_t)runtime;
	ip.code_type = (uintptr_t)code_type;
	ip.eval_start = 0x1000;
	ip.eval_end = 0x2000;
}

START_TEST(test_walk_and_resolve)
{
	ls_py_raw_frame py[8];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_a);
	ck_assert_int_eq(py[0].lasti, 3);
	ck_assert_uint_eq(py[0].flags, 0);
	ck_assert_uint_eq(py[1].flags, LS_PY_FRAME_ENTRY);
	ls_py_location loc;
	ck_assert(ls_py_resolve(&ip, py[0].code, py[0].lasti, &loc));
	ck_assert_str_eq(loc.function, "inner");
	ck_assert_str_eq(loc.file, "/srv/app.py");
	ck_assert_int_eq(loc.line, 12);
	ck_assert(ls_py_resolve(&ip, py[1].code, py[1].lasti, &loc));
	ck_assert_str_eq(loc.function, "outer.caf\xc3\xa9");
	ck_assert_int_eq(loc.line, 20);
	/* another thread: no state, no frames */
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 1, py, 8), 0);
	ls_py_thread_ref threads[4];
	ck_assert_uint_eq(ls_py_list_threads(&ip, threads, 4), 1);
	ck_assert_uint_eq(threads[0].tstate, (uintptr_t)tstate);
	ck_assert_uint_eq(ls_py_tstate_frames(&ip, threads[0].tstate, py, 8), 2);
}
END_TEST

START_TEST(test_cycle_is_bounded)
{
	put64(frames[1], FR_PREV, (uintptr_t)frames[0]);
	frames[1][FR_ENTRY] = 0;
	ls_py_raw_frame py[64];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 64), 64);
	/* a frame that is its own previous frame ends the walk */
	put64(frames[0], FR_PREV, (uintptr_t)frames[0]);
	ck_assert_uint_le(ls_py_thread_frames(&ip, 0, py, 64), 1);
}
END_TEST

START_TEST(test_unmapped_memory)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *gone = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(gone, MAP_FAILED);
	memcpy(gone, frames[1], FR_SIZE);
	put64(frames[0], FR_PREV, (uintptr_t)gone);
	munmap(gone, (size_t)page);
	ls_py_raw_frame py[8];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 1);
	/* code objects that are gone, or not code */
	ls_py_location loc;
	ck_assert(!ls_py_resolve(&ip, (uintptr_t)gone, 0, &loc));
	ck_assert(!ls_py_resolve(&ip, 0x10, 0, &loc));
	ck_assert(!ls_py_resolve(&ip, (uintptr_t)name_a, 0, &loc));
	/* a str pointer to nowhere */
	put64(code_a, CO_QUAL, 0x7ff000000000ull);
	ck_assert(!ls_py_resolve(&ip, (uintptr_t)code_a, 3, &loc));
	/* the thread state list leads nowhere: this thread keeps the state it
	 * was found in (still naming it), a thread never seen finds none */
	put64(runtime, RT_HEAD, 0x20);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 1);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 1, py, 8), 0);
	put64(tstate, TS_NATIVE, 1);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 0);
}
END_TEST

/* The calling thread's walks read its state, _PyCFrame word and frame
 * window of last time in one go: what changed since is seen all the same
 * (a new innermost frame, another _PyCFrame, a frame that moved, the
 * state given up). */
START_TEST(test_read_ahead_sees_changes)
{
	ls_py_raw_frame py[8];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	/* a call: frame 2 (b at unit 1) on top, in the window read last time */
	make_frame(2, code_b, 1, frames[0], false);
	put64(cframe, CF_FRAME, (uintptr_t)frames[2]);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 3);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_b);
	ck_assert_int_eq(py[0].lasti, 1);
	/* the same frame at another instruction */
	put64(frames[2], FR_INSTR, (uintptr_t)code_b + CO_CODE + 2 * 4);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 3);
	ck_assert_int_eq(py[0].lasti, 4);
	/* a nested evaluation loop: another _PyCFrame naming frame 3 */
	static _Alignas(16) unsigned char cframe2[16];
	make_frame(3, code_a, 1, frames[1], false);
	put64(cframe2, CF_FRAME, (uintptr_t)frames[3]);
	put64(tstate, TS_CFRAME, (uintptr_t)cframe2);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_a);
	ck_assert_int_eq(py[0].lasti, 1);
	/* back to the first one, whose frame is now elsewhere (a heap copy) */
	static _Alignas(16) unsigned char moved[FR_SIZE];
	memcpy(moved, frames[0], FR_SIZE);
	put64(cframe, CF_FRAME, (uintptr_t)moved);
	put64(tstate, TS_CFRAME, (uintptr_t)cframe);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_a);
	ck_assert_int_eq(py[0].lasti, 3);
	/* the state no longer names this thread */
	put64(tstate, TS_NATIVE, 1);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 0);
}
END_TEST

/* Before its first traceable instruction a frame is still being set up:
 * left out (CPython does not show it either); so is a frame whose
 * instruction pointer is before its code. */
START_TEST(test_incomplete_frames)
{
	ls_py_location loc;
	ck_assert(!ls_py_resolve(&ip, (uintptr_t)code_a, 0, &loc));
	put64(frames[0], FR_INSTR, (uintptr_t)code_a + CO_CODE - 2);
	ls_py_raw_frame py[8];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 1);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_b);
}
END_TEST

/* Frames as CPython lays them out (each caller just below its callee, so
 * one read brings several), and a frame at the start of a mapping with
 * nothing mapped below (the read of the memory below it fails: read alone). */
START_TEST(test_frame_layouts)
{
	make_frame(0, code_b, 5, NULL, true);
	make_frame(1, code_a, 3, frames[0], false);
	put64(cframe, CF_FRAME, (uintptr_t)frames[1]);
	ls_py_raw_frame py[8];
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_a);
	ck_assert_uint_eq(py[1].code, (uintptr_t)code_b);
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *two = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(two, MAP_FAILED);
	munmap(two, (size_t)page);
	unsigned char *alone = two + page;
	memcpy(alone, frames[1], FR_SIZE);
	put64(cframe, CF_FRAME, (uintptr_t)alone);
	ck_assert_uint_eq(ls_py_thread_frames(&ip, 0, py, 8), 2);
	ck_assert_uint_eq(py[0].code, (uintptr_t)code_a);
	ck_assert_uint_eq(py[1].code, (uintptr_t)code_b);
	munmap(alone, (size_t)page);
}
END_TEST

/* Code headers read in batches: one that cannot be read does not hide the
 * others. */
START_TEST(test_code_keys)
{
	ls_py_raw_frame f[10];
	for (int i = 0; i < 10; i++)
		f[i] = (ls_py_raw_frame){ i == 3 ? 0x10 : i % 2 ? (uintptr_t)code_b : (uintptr_t)code_a, 3, 0 };
	f[7].code = 0;
	ls_py_code_key keys[10];
	bool ok[10];
	ck_assert_uint_eq(ls_py_code_keys_read(&ip, f, 10, keys, ok), 8);
	for (int i = 0; i < 10; i++) {
		ck_assert(ok[i] == (i != 3 && i != 7));
		if (ok[i])
			ck_assert_uint_eq(keys[i].qualname, (uintptr_t)(i % 2 ? name_b : name_a));
	}
}
END_TEST

static uint64_t word_of(const ls_py_raw_frame *f, void *ctx)
{
	(void)ctx;
	return 0xa000 + (f->code & 0xff); /* distinguishable words */
}

START_TEST(test_merge)
{
	/* two runs: [x, y*] and [z*]; an empty run marker; three eval frames */
	ls_py_raw_frame py[] = { { 0x110, 1, 0 }, { 0x120, 2, LS_PY_FRAME_ENTRY }, { 0x130, 3, LS_PY_FRAME_ENTRY },
				 { 0, 0, LS_PY_FRAME_ENTRY } };
	uint64_t pcs[] = { 0x500, 0x1100, 0x600, 0x1200, 0x1300, 0x1400, 0x700 };
	uint64_t out[16];
	size_t origin[16];
	size_t n = ls_py_merge(&ip, pcs, 7, py, 4, word_of, NULL, out, origin, 16);
	uint64_t want[] = { 0x500, 0xa010, 0xa020, 0x600, 0xa030, 0x1300, 0x1400, 0x700 };
	size_t want_origin[] = { 0, 1, 1, 2, 3, 4, 5, 6 };
	ck_assert_uint_eq(n, 8);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(out[i] == want[i], "word %zu: %#lx, want %#lx", i, (unsigned long)out[i],
			      (unsigned long)want[i]);
		ck_assert_uint_eq(origin[i], want_origin[i]);
	}
	/* cut to max */
	ck_assert_uint_eq(ls_py_merge(&ip, pcs, 7, py, 4, word_of, NULL, out, NULL, 2), 2);
	/* no Python frames, or no interpreter: the stack as it is */
	ck_assert_uint_eq(ls_py_merge(&ip, pcs, 7, py, 0, word_of, NULL, out, NULL, 16), 7);
	ck_assert_uint_eq(ls_py_merge(NULL, pcs, 7, py, 4, word_of, NULL, out, NULL, 16), 7);
	ck_assert_uint_eq(out[1], 0x1100);
}
END_TEST

START_TEST(test_raw_words)
{
	uint64_t code = 0x7f12345678f0ull;
	uint64_t w = ls_py_raw_word(code, 12345);
	ck_assert(ls_py_word_is_python(w));
	ck_assert(ls_py_word_is_raw(w));
	uint64_t c;
	int32_t lasti;
	ls_py_raw_word_decode(w, &c, &lasti);
	ck_assert_uint_eq(c, code);
	ck_assert_int_eq(lasti, 12345);
	ls_py_raw_word_decode(ls_py_raw_word(code, 1 << 30), &c, &lasti);
	ck_assert_int_eq(lasti, LS_PY_RAW_LASTI_MAX);
	ck_assert(!ls_py_word_is_python(0x7fffffffffffull));
	ck_assert(!ls_py_word_is_raw(LS_PY_WORD_TAG | 5));
}
END_TEST

static Suite *pyframes_suite(void)
{
	Suite *s = suite_create("python/pyframes");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_walk_and_resolve);
	tcase_add_test(tc, test_cycle_is_bounded);
	tcase_add_test(tc, test_unmapped_memory);
	tcase_add_test(tc, test_read_ahead_sees_changes);
	tcase_add_test(tc, test_incomplete_frames);
	tcase_add_test(tc, test_frame_layouts);
	tcase_add_test(tc, test_code_keys);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_raw_words);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(pyframes_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}
