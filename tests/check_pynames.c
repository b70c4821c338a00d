/* Unit tests of lib/report/py_names.c: names for the locks and threads a
 * Python program made, from symbolized stacks and the program's source. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/py_names.h"

START_TEST(test_assigned_name)
{
	char buf[64];
	ck_assert(ls_python_assigned_name("lock_a = threading.Lock()", buf, sizeof buf));
	ck_assert_str_eq(buf, "lock_a");
	ck_assert(ls_python_assigned_name("        self._lock = Lock()  # guards x", buf, sizeof buf));
	ck_assert_str_eq(buf, "self._lock");
	ck_assert(ls_python_assigned_name("\tself.pool.mutex: threading.Lock = threading.Lock()", buf, sizeof buf));
	ck_assert_str_eq(buf, "self.pool.mutex");
	ck_assert(ls_python_assigned_name("a = b = Lock()", buf, sizeof buf));
	ck_assert_str_eq(buf, "a");
	ck_assert(!ls_python_assigned_name("with threading.Lock():", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("if x == Lock():", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("x == y", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("locks[i] = Lock()", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("a, b = Lock(), Lock()", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("return Lock()", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("x: int", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("", buf, sizeof buf));
	ck_assert(!ls_python_assigned_name("3 = x", buf, sizeof buf));
}
END_TEST

static ls_frame native(const char *function)
{
	return (ls_frame){ .address = 0x401000, .function = (char *)function };
}

static ls_frame python(const char *function, const char *file, int line)
{
	return (ls_frame){ .function = (char *)function, .file = (char *)file, .line = line,
			   .language = LS_FRAME_PYTHON };
}

static char source[64];

/* A program source with known lines in a temporary file. */
static void write_source(void)
{
	strcpy(source, "/tmp/lockscope-pynames-XXXXXX");
	int fd = mkstemp(source);
	ck_assert_int_ge(fd, 0);
	static const char text[] = "import threading\n"                 /* 1 */
				   "lock_a = threading.Lock()\n"         /* 2 */
				   "def make():\n"                       /* 3 */
				   "    return threading.Lock()\n"       /* 4 */
				   "lock_b = make()\n"                   /* 5 */
				   "q = queue.Queue()\n"                 /* 6 */
				   "threading.Lock()\n";                 /* 7 */
	ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
}

static const char *base(const char *path) { return strrchr(path, '/') + 1; }

START_TEST(test_lock_names)
{
	write_source();
	char want[256];
	char *name;
	/* made on an assignment line */
	ls_frame a[] = { native("sem_init"), native("PyThread_allocate_lock"), python("<module>", source, 2) };
	name = ls_python_lock_name(&(ls_stack){ a, 3 }, "semaphore");
	snprintf(want, sizeof want, "lock_a (%s:2)", base(source));
	ck_assert_str_eq(name, want);
	free(name);
	/* made by a helper: named by the caller's assignment */
	ls_frame b[] = { native("sem_init"), python("make", source, 4), native("_PyFunction_Vectorcall"),
			 python("<module>", source, 5) };
	name = ls_python_lock_name(&(ls_stack){ b, 4 }, "semaphore");
	snprintf(want, sizeof want, "lock_b (%s:5, made at %s:4)", base(source), base(source));
	ck_assert_str_eq(name, want);
	free(name);
	/* made in Python's library: where, and the program's line that led there */
	ls_frame c[] = { python("RLock", "/nonexistent/lib/python3.11/threading.py", 130),
			 python("Queue.__init__", "/nonexistent/lib/python3.11/queue.py", 35),
			 python("<module>", source, 6) };
	name = ls_python_lock_name(&(ls_stack){ c, 3 }, "semaphore");
	snprintf(want, sizeof want, "semaphore made at queue.py:35, from %s:6", base(source));
	ck_assert_str_eq(name, want); /* that queue.py cannot be read: no assignment */
	free(name);
	/* no assignment on the line, none in the caller */
	ls_frame d[] = { python("<module>", source, 7) };
	name = ls_python_lock_name(&(ls_stack){ d, 1 }, "semaphore");
	snprintf(want, sizeof want, "semaphore made at %s:7", base(source));
	ck_assert_str_eq(name, want);
	free(name);
	/* a file that cannot be read, and a frozen module */
	ls_frame e[] = { python("f", "/nonexistent/x.py", 3), python("<module>", "<frozen importlib._bootstrap>", 5) };
	name = ls_python_lock_name(&(ls_stack){ e, 2 }, NULL);
	ck_assert_str_eq(name, "lock made at x.py:3");
	free(name);
	/* no Python frame: not a Python lock */
	ls_frame f[] = { native("pthread_mutex_init"), native("main") };
	ck_assert_ptr_null(ls_python_lock_name(&(ls_stack){ f, 2 }, "mutex"));
	unlink(source);
}
END_TEST

static ls_frame worker_stack[] = {
	{ .function = "__futex_abstimed_wait_common" },
	{ .function = "Worker.wait", .file = "/srv/app.py", .line = 9, .language = LS_FRAME_PYTHON },
	{ .function = "work", .file = "/srv/app.py", .line = 20, .language = LS_FRAME_PYTHON },
	{ .function = "Thread.run", .file = "/usr/lib/python3.11/threading.py", .line = 975, .language = LS_FRAME_PYTHON },
	{ .function = "Thread._bootstrap_inner", .file = "/usr/lib/python3.11/threading.py", .line = 1038,
	  .language = LS_FRAME_PYTHON },
	{ .function = "Thread._bootstrap", .file = "/usr/lib/python3.11/threading.py", .line = 995,
	  .language = LS_FRAME_PYTHON },
	{ .function = "start_thread" },
};

START_TEST(test_thread_target)
{
	char *t = ls_python_thread_target(&(ls_stack){ worker_stack, 7 });
	ck_assert_str_eq(t, "work");
	free(t);
	/* a subclass's run() */
	ls_frame sub[] = { worker_stack[1], { .function = "Consumer.run", .file = "/srv/app.py", .line = 30,
					       .language = LS_FRAME_PYTHON },
			   worker_stack[4], worker_stack[5] };
	t = ls_python_thread_target(&(ls_stack){ sub, 4 });
	ck_assert_str_eq(t, "Consumer.run");
	free(t);
	/* the main thread, and a stack cut before threading's frames */
	ls_frame main_thread[] = { worker_stack[1], { .function = "<module>", .file = "/srv/app.py", .line = 40,
						      .language = LS_FRAME_PYTHON } };
	ck_assert_ptr_null(ls_python_thread_target(&(ls_stack){ main_thread, 2 }));
	ck_assert_ptr_null(ls_python_thread_target(&(ls_stack){ worker_stack, 3 }));
	/* a program's own threading.py is not Python's */
	ls_frame own[] = { { .function = "Thread._bootstrap", .file = "/srv/threading.py", .line = 1,
			     .language = LS_FRAME_PYTHON } };
	ck_assert_ptr_null(ls_python_thread_target(&(ls_stack){ own, 1 }));
}
END_TEST

START_TEST(test_report_threads)
{
	ls_report *r = ls_report_new();
	ls_thread *t = ls_array_push(&r->threads, &r->n_threads, sizeof *t);
	t->tid = 11;
	t->name = strdup("python3");
	t->stack.frames = worker_stack;
	t->stack.n = 7;
	ls_thread *u = ls_array_push(&r->threads, &r->n_threads, sizeof *u);
	u->tid = 12;
	u->name = strdup("named-by-app");
	u->stack.frames = worker_stack;
	u->stack.n = 7;
	ls_deadlock *d = ls_array_push(&r->deadlocks, &r->n_deadlocks, sizeof *d);
	ls_wait_entry *w = ls_array_push(&d->entries, &d->n, sizeof *w);
	w->tid = 11;
	w->thread_name = strdup("python3");
	ls_report_name_python_threads(r, "python3");
	ck_assert_str_eq(r->threads[0].name, "work");
	ck_assert_str_eq(r->threads[1].name, "named-by-app"); /* the program named it: kept */
	ck_assert_str_eq(r->deadlocks[0].entries[0].thread_name, "work");
	/* the stacks belong to the test */
	r->threads[0].stack = r->threads[1].stack = (ls_stack){ NULL, 0 };
	ls_report_free(r);
}
END_TEST

static Suite *pynames_suite(void)
{
	Suite *s = suite_create("report/py_names");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_assigned_name);
	tcase_add_test(tc, test_lock_names);
	tcase_add_test(tc, test_thread_target);
	tcase_add_test(tc, test_report_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(pynames_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}
