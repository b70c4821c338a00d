/* pylayout.c — CPython layouts: built-in tables and the debug-offsets parser
 * (pylayout.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "python/pylayout.h"

/* Opcodes whose oparg is the argument count of the call being made, per
 * version (Include/opcode.h: CALL, PRECALL and their specialized forms;
 * a specialized PRECALL of 3.11 makes the call itself). */
static const uint8_t ops_311[256] = {
	[53] = LS_PY_OP_WITH,                                   /* BEFORE_WITH */
	[144] = LS_PY_OP_EXTENDED_ARG, [34] = LS_PY_OP_EXTENDED_ARG, /* EXTENDED_ARG(_QUICK) */
	[166] = LS_PY_OP_CALL, [171] = LS_PY_OP_CALL,           /* PRECALL, CALL */
	[22] = LS_PY_OP_CALL, [23] = LS_PY_OP_CALL, [24] = LS_PY_OP_CALL, /* CALL_ADAPTIVE, CALL_PY_* */
	[64] = LS_PY_OP_CALL, [65] = LS_PY_OP_CALL, [66] = LS_PY_OP_CALL, [67] = LS_PY_OP_CALL,
	[72] = LS_PY_OP_CALL, [73] = LS_PY_OP_CALL, [76] = LS_PY_OP_CALL, [77] = LS_PY_OP_CALL,
	[78] = LS_PY_OP_CALL, [79] = LS_PY_OP_CALL, [80] = LS_PY_OP_CALL, [81] = LS_PY_OP_CALL,
	[113] = LS_PY_OP_CALL, [121] = LS_PY_OP_CALL, [127] = LS_PY_OP_CALL, [141] = LS_PY_OP_CALL,
	[143] = LS_PY_OP_CALL,                                  /* PRECALL_* */
};

static const uint8_t ops_312[256] = {
	[53] = LS_PY_OP_WITH,                                   /* BEFORE_WITH */
	[144] = LS_PY_OP_EXTENDED_ARG,
	[171] = LS_PY_OP_CALL, [241] = LS_PY_OP_CALL,           /* CALL, INSTRUMENTED_CALL */
	[23] = LS_PY_OP_CALL, [24] = LS_PY_OP_CALL, [28] = LS_PY_OP_CALL, [29] = LS_PY_OP_CALL,
	[34] = LS_PY_OP_CALL, [38] = LS_PY_OP_CALL, [39] = LS_PY_OP_CALL, [40] = LS_PY_OP_CALL,
	[41] = LS_PY_OP_CALL, [42] = LS_PY_OP_CALL, [43] = LS_PY_OP_CALL, [44] = LS_PY_OP_CALL,
	[45] = LS_PY_OP_CALL, [46] = LS_PY_OP_CALL, [47] = LS_PY_OP_CALL, [48] = LS_PY_OP_CALL,
	[56] = LS_PY_OP_CALL,                                   /* CALL_* specialized */
};

static const ls_py_layout layout_311 = {
	.version = 0x030b0000,
	.runtime_interpreters_head = 40,
	.interp_next = 0, .interp_threads_head = 16,
	.tstate_next = 8, .tstate_cframe = 56, .cframe_current_frame = 8, .tstate_current_frame = 0,
	.tstate_thread_id = 152, .tstate_native_thread_id = 160,
	.frame_code = 32, .frame_previous = 48, .frame_instr = 56, .frame_owner = 69,
	.frame_is_entry = 68, .instr_is_previous = true, .code_is_stackref = false,
	.owner_cstack = -1, .owner_interpreter = -1,
	.code_type = 8,
	.code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
	.code_firstlineno = 72, .code_firsttraceable = 168, .code_adaptive = 184,
	.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 48, .unicode_compact_size = 72,
	.bytes_size = 16, .bytes_sval = 32,
	.op_kind = ops_311,
};

static const ls_py_layout layout_312 = {
	.version = 0x030c0000,
	.runtime_interpreters_head = 40,
	.interp_next = 0, .interp_threads_head = 72,
	.tstate_next = 8, .tstate_cframe = 56, .cframe_current_frame = 0, .tstate_current_frame = 0,
	.tstate_thread_id = 136, .tstate_native_thread_id = 144,
	.frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
	.frame_is_entry = -1, .instr_is_previous = true, .code_is_stackref = false,
	.owner_cstack = 3, .owner_interpreter = -1,
	.code_type = 8,
	.code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
	.code_firstlineno = 68, .code_firsttraceable = 176, .code_adaptive = 192,
	.unicode_length = 16, .unicode_state = 32, .unicode_ascii_size = 40, .unicode_compact_size = 56,
	.bytes_size = 16, .bytes_sval = 32,
	.op_kind = ops_312,
};

const ls_py_layout *ls_py_layout_builtin(uint32_t hexversion)
{
	switch (hexversion >> 16) {
	case 0x030b: return &layout_311;
	case 0x030c: return &layout_312;
	default: return NULL;
	}
}

void ls_py_version_string(uint32_t hexversion, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", hexversion >> 24, (hexversion >> 16) & 0xff);
}

/* ---- _Py_DebugOffsets ----------------------------------------------------
 *
 * The table is a cookie, a version, a free-threaded flag, then one group of
 * 64-bit words per struct, each group starting with that struct's size.
 * Groups gain fields from one version to the next (3.14 added the main
 * thread to the interpreter group, the stack pointer to the frame group, a
 * set group...), so the parser does not trust a single guess of the group
 * sizes: it tries each plausible combination and accepts the offsets only
 * if every combination whose fixed points check out (PyThreadState starts
 * with prev, next, interp; a frame with its code and previous frame; a
 * PyObject is 16 bytes with ob_type at 8; bytes data at 32...) gives the
 * same answer. */

enum { DBG_HEADER_WORDS = 3, RUNTIME_WORDS = 3, TSTATE_WORDS = 9 };

struct dbg_reader {
	const unsigned char *buf;
	size_t words;            /* 64-bit words available */
};

static bool word(const struct dbg_reader *r, size_t index, uint64_t *v)
{
	if (index >= r->words)
		return false;
	memcpy(v, r->buf + index * 8, 8);
	return true;
}

static bool fits32(uint64_t v, uint32_t *out)
{
	if (v > 0xffffffu)
		return false;
	*out = (uint32_t)v;
	return true;
}

struct dbg_shape { unsigned interp, frame, code, set; };

static bool words_are(const struct dbg_reader *r, size_t at, const uint64_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!word(r, at + i, &v) || v != want[i])
			return false;
	}
	return true;
}

/* Reads the offsets under one guess of the group sizes; false if a fixed
 * point does not hold. */
static bool parse_shape(const struct dbg_reader *r, struct dbg_shape sh, ls_py_layout *l)
{
	size_t runtime = DBG_HEADER_WORDS, interp = runtime + RUNTIME_WORDS, tstate = interp + sh.interp;
	size_t frame = tstate + TSTATE_WORDS, code = frame + sh.frame, object = code + sh.code;
	size_t type = object + 2, tuple = type + 4, list = tuple + 3, set = list + 3;
	size_t dict = set + sh.set, flt = dict + 3, lng = flt + 2, bytes = lng + 3, unicode = bytes + 3;
	uint64_t v[16];
	for (size_t i = 0; i < 4; i++)
		if (!word(r, unicode + i, &v[i]))
			return false;
	/* fixed points of CPython's object model on 64-bit builds */
	if (!words_are(r, object, (const uint64_t[]){ 16, 8 }, 2) ||
	    !words_are(r, type + 1, (const uint64_t[]){ 24 }, 1) ||
	    !words_are(r, tuple + 1, (const uint64_t[]){ 24, 16 }, 2) ||
	    !words_are(r, bytes + 1, (const uint64_t[]){ 16, 32 }, 2) ||
	    !words_are(r, tstate + 1, (const uint64_t[]){ 0, 8, 16 }, 3) ||
	    !words_are(r, frame + 1, (const uint64_t[]){ 8, 0 }, 2))
		return false;
	uint64_t tstate_size, frame_size, code_size, frame_owner, frame_instr;
	if (!word(r, tstate, &tstate_size) || !word(r, frame, &frame_size) || !word(r, code, &code_size) ||
	    !word(r, frame + 3, &frame_instr) || !word(r, frame + 5, &frame_owner) ||
	    frame_size > 256 || frame_instr >= frame_size || frame_owner >= frame_size || tstate_size > 4096)
		return false;
	uint64_t ih, in, ith, tn, tcf, ttid, tntid;
	if (!word(r, runtime + 2, &ih) || !word(r, interp + 2, &in) || !word(r, interp + 3, &ith) ||
	    !word(r, tstate + 2, &tn) || !word(r, tstate + 4, &tcf) || !word(r, tstate + 5, &ttid) ||
	    !word(r, tstate + 6, &tntid) || tcf >= tstate_size || ttid >= tstate_size || tntid >= tstate_size)
		return false;
	uint64_t cf[6], adaptive;
	for (size_t i = 0; i < 5; i++)
		if (!word(r, code + 1 + i, &cf[i]) || cf[i] >= code_size)
			return false;
	if (!word(r, code + 9, &adaptive) || adaptive > code_size || adaptive < 64)
		return false;
	/* the unicode group: size, state, length, sizeof(PyASCIIObject) */
	if (v[1] != 32 || v[2] != 16 || v[3] < 40 || v[3] > 64)
		return false;
	uint64_t bsize = 16, bsval = 32;
	return fits32(ih, &l->runtime_interpreters_head) && fits32(in, &l->interp_next) &&
	       fits32(ith, &l->interp_threads_head) && fits32(tn, &l->tstate_next) &&
	       fits32(tcf, &l->tstate_current_frame) && fits32(ttid, &l->tstate_thread_id) &&
	       fits32(tntid, &l->tstate_native_thread_id) && fits32(8, &l->frame_previous) &&
	       fits32(0, &l->frame_code) && fits32(frame_instr, &l->frame_instr) &&
	       fits32(frame_owner, &l->frame_owner) && fits32(cf[0], &l->code_filename) &&
	       fits32(cf[1], &l->code_name) && fits32(cf[2], &l->code_qualname) &&
	       fits32(cf[3], &l->code_linetable) && fits32(cf[4], &l->code_firstlineno) &&
	       fits32(adaptive, &l->code_adaptive) && fits32(v[2], &l->unicode_length) &&
	       fits32(v[1], &l->unicode_state) && fits32(v[3], &l->unicode_ascii_size) &&
	       fits32(bsize, &l->bytes_size) && fits32(bsval, &l->bytes_sval);
}

int ls_py_layout_parse(const void *buf, size_t len, ls_py_layout *out)
{
	memset(out, 0, sizeof *out);
	if (len < 24 || memcmp(buf, "xdebugpy", 8) != 0)
		return 0;
	struct dbg_reader r = { buf, len / 8 };
	uint64_t version = 0, free_threaded = 1;
	word(&r, 1, &version);
	word(&r, 2, &free_threaded);
	out->version = (uint32_t)version;
	unsigned minor = (unsigned)(version >> 16 & 0xff);
	if (version >> 24 != 3 || minor < 13 || minor > 14 || free_threaded != 0)
		return -1;
	static const unsigned interp_words[] = { 13, 14, 16 }, frame_words[] = { 6, 7, 8 };
	static const unsigned code_words[] = { 10, 11 }, set_words[] = { 0, 4 };
	ls_py_layout found, candidate;
	unsigned matches = 0;
	for (size_t a = 0; a < 3; a++)
		for (size_t b = 0; b < 3; b++)
			for (size_t c = 0; c < 2; c++)
				for (size_t d = 0; d < 2; d++) {
					struct dbg_shape sh = { interp_words[a], frame_words[b], code_words[c], set_words[d] };
					memset(&candidate, 0, sizeof candidate);
					if (!parse_shape(&r, sh, &candidate))
						continue;
					if (matches++ && memcmp(&candidate, &found, sizeof found) != 0)
						return -1;  /* two readings disagree: refuse */
					found = candidate;
				}
	if (!matches)
		return -1;
	*out = found;
	out->version = (uint32_t)version;
	out->tstate_cframe = 0;
	out->cframe_current_frame = 0;
	out->frame_is_entry = -1;
	out->instr_is_previous = false;
	out->code_is_stackref = minor >= 14;
	out->owner_cstack = minor >= 14 ? 4 : 3;
	out->owner_interpreter = minor >= 14 ? 3 : -1;
	out->code_type = 8;
	out->code_firsttraceable = -1;
	out->unicode_compact_size = out->unicode_ascii_size + 16;
	out->op_kind = NULL;
	return 1;
}
