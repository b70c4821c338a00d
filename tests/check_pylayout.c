/* Unit tests of lib/python/pylayout.c: the built-in layout of the CPython
 * whose headers this is compiled against (Debian's python3-dev: 3.11 on
 * Debian 12; 3.12 headers work too) must match offsetof() in those headers,
 * internal ones included (-DPy_BUILD_CORE); and the _Py_DebugOffsets parser
 * reads a real 3.13 table, a 3.14-shaped one, and refuses what it cannot
 * read. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <opcode.h>
#define NEED_OPCODE_TABLES 1
#include <internal/pycore_opcode.h>

/* 3.11 prepares a call with PRECALL (its specialized forms make the call
 * themselves); 3.12 has CALL and, under sys.monitoring, INSTRUMENTED_CALL. */
#if PY_VERSION_HEX < 0x030c0000
#define CALL_FAMILY_BASE PRECALL
#else
#define CALL_FAMILY_BASE INSTRUMENTED_CALL
#endif

#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "python/pylayout.h"

#define EQ(field, expr) ck_assert_msg(l->field == (expr), #field ": table %u, headers %u", (unsigned)l->field, \
				      (unsigned)(expr))

START_TEST(test_builtin_layout_matches_headers)
{
	const ls_py_layout *l = ls_py_layout_builtin(PY_VERSION_HEX);
	ck_assert_msg(l != NULL, "no built-in layout for the headers' version %s", PY_VERSION);
	EQ(runtime_interpreters_head, offsetof(_PyRuntimeState, interpreters.head));
	EQ(interp_next, offsetof(PyInterpreterState, next));
	EQ(interp_threads_head, offsetof(PyInterpreterState, threads.head));
	EQ(tstate_next, offsetof(PyThreadState, next));
	EQ(tstate_cframe, offsetof(PyThreadState, cframe));
	EQ(cframe_current_frame, offsetof(_PyCFrame, current_frame));
	EQ(tstate_thread_id, offsetof(PyThreadState, thread_id));
	EQ(tstate_native_thread_id, offsetof(PyThreadState, native_thread_id));
	EQ(frame_code, offsetof(_PyInterpreterFrame, f_code));
	EQ(frame_previous, offsetof(_PyInterpreterFrame, previous));
	EQ(frame_instr, offsetof(_PyInterpreterFrame, prev_instr));
	EQ(frame_owner, offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX < 0x030c0000
	EQ(frame_is_entry, offsetof(_PyInterpreterFrame, is_entry));
#else
	ck_assert_int_eq(l->frame_is_entry, -1);
	ck_assert_int_eq(l->owner_cstack, FRAME_OWNED_BY_CSTACK);
#endif
	EQ(code_type, offsetof(PyObject, ob_type));
	EQ(code_filename, offsetof(PyCodeObject, co_filename));
	EQ(code_name, offsetof(PyCodeObject, co_name));
	EQ(code_qualname, offsetof(PyCodeObject, co_qualname));
	EQ(code_linetable, offsetof(PyCodeObject, co_linetable));
	EQ(code_firstlineno, offsetof(PyCodeObject, co_firstlineno));
	EQ(code_firsttraceable, offsetof(PyCodeObject, _co_firsttraceable));
	EQ(code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
	EQ(unicode_length, offsetof(PyASCIIObject, length));
	EQ(unicode_state, offsetof(PyASCIIObject, state));
	EQ(unicode_ascii_size, sizeof(PyASCIIObject));
	EQ(unicode_compact_size, sizeof(PyCompactUnicodeObject));
	EQ(bytes_size, offsetof(PyVarObject, ob_size));
	EQ(bytes_sval, offsetof(PyBytesObject, ob_sval));
	ck_assert(l->instr_is_previous);
	ck_assert_uint_eq(l->version >> 16, PY_VERSION_HEX >> 16);
}
END_TEST

/* The bit fields of str's state where the reader expects them. */
START_TEST(test_unicode_state_bits)
{
	PyASCIIObject o;
	memset(&o, 0, sizeof o);
	o.state.kind = PyUnicode_2BYTE_KIND;
	o.state.compact = 1;
	o.state.ascii = 1;
	uint32_t word;
	memcpy(&word, &o.state, sizeof word);
	ck_assert_uint_eq(word >> 2 & 7, PyUnicode_2BYTE_KIND);
	ck_assert_uint_eq(word >> 5 & 1, 1);
	ck_assert_uint_eq(word >> 6 & 1, 1);
}
END_TEST

START_TEST(test_opcodes)
{
	const ls_py_layout *l = ls_py_layout_builtin(PY_VERSION_HEX);
	ck_assert_uint_eq(l->op_kind[CALL], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[BEFORE_WITH], LS_PY_OP_WITH);
	ck_assert_uint_eq(l->op_kind[EXTENDED_ARG], LS_PY_OP_EXTENDED_ARG);
	ck_assert_uint_eq(l->op_kind[CALL_PY_EXACT_ARGS], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[CALL_FUNCTION_EX], LS_PY_OP_OTHER);
	ck_assert_uint_eq(l->op_kind[LOAD_CONST], LS_PY_OP_OTHER);
#if PY_VERSION_HEX < 0x030c0000
	ck_assert_uint_eq(l->op_kind[PRECALL], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[PRECALL_NO_KW_METHOD_DESCRIPTOR_FAST], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[PRECALL_PYFUNC], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[EXTENDED_ARG_QUICK], LS_PY_OP_EXTENDED_ARG);
#else
	ck_assert_uint_eq(l->op_kind[INSTRUMENTED_CALL], LS_PY_OP_CALL);
	ck_assert_uint_eq(l->op_kind[CALL_NO_KW_METHOD_DESCRIPTOR_FAST], LS_PY_OP_CALL);
#endif
	/* the table's calls are exactly the opcodes CPython specializes from
	 * its calls (_PyOpcode_Deopt maps a specialized form to its base) */
	for (int op = 0; op < 256; op++) {
		int base = _PyOpcode_Deopt[op];
		bool call = base == CALL || base == CALL_FAMILY_BASE;
		ck_assert_msg(call == (l->op_kind[op] == LS_PY_OP_CALL), "opcode %d (base %d): table says %d", op,
			      base, l->op_kind[op]);
	}
}
END_TEST

START_TEST(test_other_versions)
{
	ck_assert_ptr_nonnull(ls_py_layout_builtin(0x030b02f0));
	ck_assert_ptr_nonnull(ls_py_layout_builtin(0x030c01f0));
	ck_assert_ptr_null(ls_py_layout_builtin(0x030a0df0));
	ck_assert_ptr_null(ls_py_layout_builtin(0x030d00f0));
	char buf[16];
	ls_py_version_string(0x030c01f0, buf, sizeof buf);
	ck_assert_str_eq(buf, "3.12");
}
END_TEST

/* ---- _Py_DebugOffsets ---------------------------------------------------- */

/* The table at the start of _PyRuntime in CPython 3.13.0 (x86-64), after
 * its 8-byte cookie. */
static const uint64_t debug_313[] = {
	0x30d00f0, 0, 283320, 608, 632, 194968, 7272, 7264, 7344, 7400, 7656, 7640, 7648, 16, 7752, 0, 7768,
	7760, 304, 0, 8, 16, 72, 152, 160, 232, 32, 80, 8, 0, 56, 72, 70, 208, 112, 120, 128, 136, 68, 52, 96,
	104, 200, 16, 8, 416, 24, 88, 168, 32, 24, 16, 40, 24, 16, 48, 32, 40, 24, 16, 32, 16, 24, 40, 16, 32,
	64, 32, 16, 40, 240, 200,
};

static size_t table_with(unsigned char *buf, size_t cap, const uint64_t *words, size_t n)
{
	memset(buf, 0, cap);
	memcpy(buf, "xdebugpy", 8);
	memcpy(buf + 8, words, n * 8);
	return 8 + n * 8;
}

static void check_313_values(const ls_py_layout *l)
{
	ck_assert_uint_eq(l->runtime_interpreters_head, 632);
	ck_assert_uint_eq(l->interp_next, 7264);
	ck_assert_uint_eq(l->interp_threads_head, 7344);
	ck_assert_uint_eq(l->tstate_next, 8);
	ck_assert_uint_eq(l->tstate_cframe, 0);
	ck_assert_uint_eq(l->tstate_current_frame, 72);
	ck_assert_uint_eq(l->tstate_native_thread_id, 160);
	ck_assert_uint_eq(l->frame_code, 0);
	ck_assert_uint_eq(l->frame_previous, 8);
	ck_assert_uint_eq(l->frame_instr, 56);
	ck_assert_uint_eq(l->frame_owner, 70);
	ck_assert_uint_eq(l->code_filename, 112);
	ck_assert_uint_eq(l->code_qualname, 128);
	ck_assert_uint_eq(l->code_linetable, 136);
	ck_assert_uint_eq(l->code_firstlineno, 68);
	ck_assert_uint_eq(l->code_adaptive, 200);
	ck_assert_uint_eq(l->unicode_ascii_size, 40);
	ck_assert_uint_eq(l->unicode_compact_size, 56);
	ck_assert_uint_eq(l->bytes_sval, 32);
	ck_assert(!l->instr_is_previous);
	ck_assert_int_eq(l->code_firsttraceable, -1);
	ck_assert_ptr_null(l->op_kind);
}

START_TEST(test_debug_offsets_313)
{
	unsigned char buf[LS_PY_DEBUG_OFFSETS_MAX];
	size_t len = table_with(buf, sizeof buf, debug_313, sizeof debug_313 / 8);
	ls_py_layout l;
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), 1);
	ck_assert_uint_eq(l.version, 0x30d00f0);
	check_313_values(&l);
	ck_assert_int_eq(l.owner_cstack, 3);
	ck_assert(!l.code_is_stackref);
	/* cut short before the groups it needs: refused */
	ck_assert_int_eq(ls_py_layout_parse(buf, len - 200, &l), -1);
}
END_TEST

/* 3.14 grew groups: the main thread in the interpreter group, the stack
 * pointer in the frame group, a set group.  Same values otherwise. */
START_TEST(test_debug_offsets_314_shape)
{
	/* debug_313: [1] free_threaded, [2..4] runtime, [5..17] interpreter,
	 * [18..26] thread, [27..32] frame, [33..42] code, [43..54] object,
	 * type, tuple, list, [55..71] dict, float, long, bytes, str, gc */
	uint64_t w[128];
	size_t n = 0;
	w[n++] = 0x30e00f0;
	for (size_t i = 1; i <= 8; i++)
		w[n++] = debug_313[i];
	w[n++] = 7352; /* threads_main, after threads_head */
	for (size_t i = 9; i <= 32; i++)
		w[n++] = debug_313[i];
	w[n++] = 64; /* the frame's stackpointer */
	for (size_t i = 33; i <= 54; i++)
		w[n++] = debug_313[i];
	w[n++] = 200, w[n++] = 24, w[n++] = 40, w[n++] = 32; /* the set group */
	for (size_t i = 55; i < sizeof debug_313 / 8; i++)
		w[n++] = debug_313[i];
	unsigned char buf[LS_PY_DEBUG_OFFSETS_MAX];
	table_with(buf, sizeof buf, w, n);
	ls_py_layout l;
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), 1);
	check_313_values(&l);
	ck_assert_int_eq(l.owner_cstack, 4);
	ck_assert_int_eq(l.owner_interpreter, 3);
	ck_assert(l.code_is_stackref);
}
END_TEST

START_TEST(test_debug_offsets_refused)
{
	unsigned char buf[LS_PY_DEBUG_OFFSETS_MAX];
	uint64_t w[sizeof debug_313 / 8];
	ls_py_layout l;
	/* no cookie: an older interpreter */
	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), 0);
	/* an unknown version */
	memcpy(w, debug_313, sizeof w);
	w[0] = 0x30f00a0;
	table_with(buf, sizeof buf, w, sizeof w / 8);
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), -1);
	ck_assert_uint_eq(l.version, 0x30f00a0);
	/* a free-threaded build */
	memcpy(w, debug_313, sizeof w);
	w[1] = 1;
	table_with(buf, sizeof buf, w, sizeof w / 8);
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), -1);
	/* a group that does not look like CPython's (PyObject not 16 bytes) */
	memcpy(w, debug_313, sizeof w);
	w[43] = 24;
	table_with(buf, sizeof buf, w, sizeof w / 8);
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), -1);
	/* a frame field outside the frame */
	memcpy(w, debug_313, sizeof w);
	w[32] = 4096;
	table_with(buf, sizeof buf, w, sizeof w / 8);
	ck_assert_int_eq(ls_py_layout_parse(buf, sizeof buf, &l), -1);
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("python/pylayout");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_builtin_layout_matches_headers);
	tcase_add_test(tc, test_unicode_state_bits);
	tcase_add_test(tc, test_opcodes);
	tcase_add_test(tc, test_other_versions);
	tcase_add_test(tc, test_debug_offsets_313);
	tcase_add_test(tc, test_debug_offsets_314_shape);
	tcase_add_test(tc, test_debug_offsets_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(layout_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}
