/* Unit tests of lib/core/options.c: LOCKSCOPE_OPTIONS parsing. */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

/* Collects warnings so tests can check how many came and what they said. */
struct warnings {
	int count;
	char last[512];
};

static void collect_warning(void *ctx, const char *message)
{
	struct warnings *w = ctx;
	w->count++;
	strncpy(w->last, message, sizeof w->last - 1);
}

static int parse(ls_options *o, const char *spec, struct warnings *w)
{
	memset(w, 0, sizeof *w);
	return ls_options_parse(o, spec, collect_warning, w);
}

START_TEST(test_defaults)
{
	ls_options o;
	memset(&o, 0x5a, sizeof o);
	ls_options_defaults(&o);
	ck_assert_str_eq(o.output, "");
	ck_assert_int_eq(o.format, LS_FORMAT_TEXT);
	ck_assert(o.detect);
	ck_assert_uint_eq(o.stack_depth, 32);
	ck_assert(o.hang_timeout == 0);
	ck_assert_int_eq(o.on_hang, LS_ON_HANG_REPORT);
	ck_assert_int_eq(o.dump_signal, SIGQUIT);
	ck_assert_int_eq(o.thread_signal, SIGRTMIN + 3);
	ck_assert(o.fatal_signals);
	ck_assert(o.exit_signals);
	ck_assert(o.loop_stall == 0);
	ck_assert(o.stats);
	ck_assert(!o.live);
	ck_assert(!o.hold_time);
	ck_assert(!o.verbose);
}
END_TEST

START_TEST(test_each_type_parses)
{
	ls_options o;
	struct warnings w;
	ls_options_defaults(&o);
	int n = parse(&o,
		      "output=/tmp/r.json:format=json:detect=no:stack_depth=7:hang_timeout=2.5:"
		      "on_hang=exit:hang_exitcode=9:dump_after=0.25:dump_repeat=on:dump_signal=USR2:"
		      "thread_signal=SIGRTMIN+5:fatal_signals=false:live=1:hold_time=TRUE:stats=0:verbose=yes:"
		      "exit_signals=off:loop_stall=0.3",
		      &w);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(w.count, 0);
	ck_assert_str_eq(o.output, "/tmp/r.json");
	ck_assert_int_eq(o.format, LS_FORMAT_JSON);
	ck_assert(!o.detect);
	ck_assert_uint_eq(o.stack_depth, 7);
	ck_assert(o.hang_timeout == 2.5);
	ck_assert_int_eq(o.on_hang, LS_ON_HANG_EXIT);
	ck_assert_int_eq(o.hang_exitcode, 9);
	ck_assert(o.dump_after == 0.25);
	ck_assert(o.dump_repeat);
	ck_assert_int_eq(o.dump_signal, SIGUSR2);
	ck_assert_int_eq(o.thread_signal, SIGRTMIN + 5);
	ck_assert(!o.fatal_signals);
	ck_assert(o.live);
	ck_assert(o.hold_time);
	ck_assert(!o.stats);
	ck_assert(o.verbose);
	ck_assert(!o.exit_signals);
	ck_assert(o.loop_stall == 0.3);
}
END_TEST

/* Each bad pair: one warning naming the key, and the field keeps its value. */
START_TEST(test_bad_values_keep_defaults)
{
	static const char *const bad[] = {
		"stack_depth=0", "stack_depth=129", "stack_depth=-1", "stack_depth=12x", "stack_depth=",
		"format=xml", "detect=maybe", "hang_timeout=-1", "hang_timeout=nan", "hang_timeout=inf",
		"hang_timeout=1e9", "on_hang=panic", "hang_exitcode=0", "hang_exitcode=256",
		"dump_signal=SIGKILL", "dump_signal=STOP", "dump_signal=SIGNOPE", "dump_signal=99",
		"thread_signal=SIGUSR1", "thread_signal=SIGRTMIN+999", "live=2", "loop_stall=-0.5", "loop_stall=soon",
		"exit_signals=2",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ls_options o, defaults;
		struct warnings w;
		ls_options_defaults(&o);
		ls_options_defaults(&defaults);
		int n = parse(&o, bad[i], &w);
		ck_assert_msg(n == 1 && w.count == 1, "%s: %d warnings", bad[i], w.count);
		ck_assert_msg(memcmp(&o, &defaults, sizeof o) == 0, "%s changed the options", bad[i]);
		ck_assert_msg(strstr(w.last, "bad value") && strstr(w.last, bad[i]), "%s: warning '%s'", bad[i],
			      w.last);
	}
}
END_TEST

START_TEST(test_unknown_and_malformed)
{
	ls_options o;
	struct warnings w;
	ls_options_defaults(&o);
	ck_assert_int_eq(parse(&o, "colour=blue", &w), 1);
	ck_assert_ptr_nonnull(strstr(w.last, "unknown option 'colour=blue'"));
	ck_assert_int_eq(parse(&o, "stack_depth", &w), 1);
	ck_assert_ptr_nonnull(strstr(w.last, "malformed"));
	ck_assert_ptr_nonnull(strstr(w.last, "stack_depth"));
	/* A key that is a prefix of a real one is unknown. */
	ck_assert_int_eq(parse(&o, "stack=3", &w), 1);
	ck_assert_ptr_nonnull(strstr(w.last, "unknown option"));
	ck_assert_uint_eq(o.stack_depth, 32);
}
END_TEST

/* Warnings are counted one per bad pair, good pairs around them apply,
 * empty pairs are ignored, and later pairs override earlier ones. */
START_TEST(test_warning_count_and_order)
{
	ls_options o;
	struct warnings w;
	ls_options_defaults(&o);
	int n = parse(&o, "::stack_depth=5:bogus=1:format=json::stack_depth=oops:detect=0:stack_depth=9:", &w);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(w.count, 2);
	ck_assert_uint_eq(o.stack_depth, 9);
	ck_assert_int_eq(o.format, LS_FORMAT_JSON);
	ck_assert(!o.detect);
	ck_assert_int_eq(ls_options_parse(&o, NULL, collect_warning, &w), 0);
	ck_assert_int_eq(ls_options_parse(&o, "", NULL, NULL), 0);
	/* No callback: still counted, nothing crashes. */
	ck_assert_int_eq(ls_options_parse(&o, "x=1:y=2", NULL, NULL), 2);
}
END_TEST

START_TEST(test_long_values)
{
	ls_options o;
	struct warnings w;
	ls_options_defaults(&o);
	size_t len = LS_OPTIONS_PATH_MAX + 50;
	char *spec = malloc(len + 16);
	ck_assert_ptr_nonnull(spec);
	strcpy(spec, "output=");
	memset(spec + 7, 'a', len);
	spec[7 + len] = 0;
	ck_assert_int_eq(parse(&o, spec, &w), 1);
	ck_assert_str_eq(o.output, "");
	ck_assert_uint_lt(strlen(w.last), sizeof w.last); /* the pair is quoted shortened */
	/* The longest path that fits is accepted. */
	memset(spec + 7, 'b', LS_OPTIONS_PATH_MAX - 1);
	spec[7 + LS_OPTIONS_PATH_MAX - 1] = 0;
	ck_assert_int_eq(parse(&o, spec, &w), 0);
	ck_assert_uint_eq(strlen(o.output), LS_OPTIONS_PATH_MAX - 1);
	free(spec);
}
END_TEST

START_TEST(test_signals)
{
	ck_assert_int_eq(ls_parse_signal("SIGQUIT"), SIGQUIT);
	ck_assert_int_eq(ls_parse_signal("quit"), SIGQUIT);
	ck_assert_int_eq(ls_parse_signal("USR1"), SIGUSR1);
	ck_assert_int_eq(ls_parse_signal("10"), 10);
	ck_assert_int_eq(ls_parse_signal("none"), 0);
	ck_assert_int_eq(ls_parse_signal("0"), 0);
	ck_assert_int_eq(ls_parse_signal("SIGRTMIN"), SIGRTMIN);
	ck_assert_int_eq(ls_parse_signal("RTMIN+3"), SIGRTMIN + 3);
	ck_assert_int_eq(ls_parse_signal("SIGRTMIN+"), -1);
	ck_assert_int_eq(ls_parse_signal("SIGRTMIN-1"), -1);
	ck_assert_int_eq(ls_parse_signal("SIGRTMIN+1000"), -1);
	ck_assert_int_eq(ls_parse_signal("SIGBOGUS"), -1);
	ck_assert_int_eq(ls_parse_signal(""), -1);
	ck_assert_int_eq(ls_parse_signal("-3"), -1);
	ck_assert_int_eq(ls_parse_signal("65"), -1);

	char buf[32];
	ck_assert_str_eq(ls_signal_name(SIGSEGV, buf, sizeof buf), "SIGSEGV");
	ck_assert_str_eq(ls_signal_name(SIGRTMIN + 2, buf, sizeof buf), "SIGRTMIN+2");
	/* Every name given reads back to the same signal. */
	int named = 0;
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (strncmp(ls_signal_name(sig, buf, sizeof buf), "SIG", 3))
			continue; /* "signal N": no name (SIGKILL, SIGSTOP, glibc's reserved ones) */
		ck_assert_msg(ls_parse_signal(buf) == sig, "%s reads back as %d, not %d", buf, ls_parse_signal(buf), sig);
		named++;
	}
	ck_assert_int_ge(named, 28 + 30);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_each_type_parses);
	tcase_add_test(tc, test_bad_values_keep_defaults);
	tcase_add_test(tc, test_unknown_and_malformed);
	tcase_add_test(tc, test_warning_count_and_order);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_signals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(options_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
