/* check_symcache.c — unit tests of lib/symbols/symcache.c: round trip, checksum,
 * build ID and mode keying, unsafe directories and names. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/symcache.h"

static const unsigned char id_a[] = { 0x93, 0xac, 0x61, 0xec, 0x01 };
static const unsigned char id_b[] = { 0x12, 0x34, 0x56, 0x78, 0x02 };

static char dir[64];
static int dirfd_ = -1;

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_symcache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/lockscope", dir);
	dirfd_ = ls_symcache_open_dir(path);
	ck_assert_int_ge(dirfd_, 0);
}

static void teardown(void)
{
	char cmd[128];
	close(dirfd_);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A two-frame chain: an inlined frame and its caller. */
static void sample_chain(ls_frame f[2])
{
	memset(f, 0, 2 * sizeof *f);
	f[0] = (ls_frame){ .function = "inner", .file = "./nptl/x.c", .line = 57, .inlined = true };
	f[1] = (ls_frame){ .function = "outer", .file = NULL, .line = 0 };
}

static ls_symcache *saved_cache(void)
{
	ls_symcache *c = ls_symcache_load(dirfd_, id_a, sizeof id_a, "lines");
	ls_frame f[2];
	sample_chain(f);
	ls_symcache_add(c, 0x85f16, true, f, 2);
	ls_symcache_set_dwarf(c, true);
	ck_assert_int_eq(ls_symcache_save(c, dirfd_), 0);
	return c;
}

static void file_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/lockscope/%s", dir, name);
}

START_TEST(round_trip)
{
	ls_symcache_free(saved_cache());
	ls_symcache *c = ls_symcache_load(dirfd_, id_a, sizeof id_a, "lines");
	size_t n = 0;
	const ls_frame *f = ls_symcache_find(c, 0x85f16, true, &n);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].function, "inner");
	ck_assert_str_eq(f[0].file, "./nptl/x.c");
	ck_assert_int_eq(f[0].line, 57);
	ck_assert(f[0].inlined);
	ck_assert_str_eq(f[1].function, "outer");
	ck_assert_ptr_null(f[1].file);
	ck_assert(!f[1].inlined);
	ck_assert(ls_symcache_had_dwarf(c));
	/* The return-address flag is part of the key. */
	ck_assert_ptr_null(ls_symcache_find(c, 0x85f16, false, &n));
	ls_symcache_free(c);
	char path[128];
	file_path(path, sizeof path, "93ac61ec01.lines");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(keyed_by_build_id_and_mode)
{
	ls_symcache_free(saved_cache());
	size_t n;
	ls_symcache *other = ls_symcache_load(dirfd_, id_b, sizeof id_b, "lines");
	ck_assert_ptr_null(ls_symcache_find(other, 0x85f16, true, &n));
	ls_symcache_free(other);
	ls_symcache *names = ls_symcache_load(dirfd_, id_a, sizeof id_a, "names");
	ck_assert_ptr_null(ls_symcache_find(names, 0x85f16, true, &n));
	ls_symcache_free(names);
	/* A valid file of id_a renamed to id_b's name: its header disagrees. */
	char from[128], to[128];
	file_path(from, sizeof from, "93ac61ec01.lines");
	file_path(to, sizeof to, "1234567802.lines");
	ck_assert_int_eq(rename(from, to), 0);
	other = ls_symcache_load(dirfd_, id_b, sizeof id_b, "lines");
	ck_assert_ptr_null(ls_symcache_find(other, 0x85f16, true, &n));
	ls_symcache_free(other);
}
END_TEST

/* Flips one byte of the saved file at `offset` from its end. */
static void corrupt_byte(long from_end)
{
	char path[128];
	file_path(path, sizeof path, "93ac61ec01.lines");
	FILE *f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, -from_end, SEEK_END), 0);
	int ch = fgetc(f);
	ck_assert_int_eq(fseek(f, -from_end, SEEK_END), 0);
	fputc(ch ^ 1, f);
	fclose(f);
}

START_TEST(corruption_is_ignored)
{
	static const long spots[] = { 1, 5, 30, 60, 110 };
	for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
		ls_symcache_free(saved_cache());
		corrupt_byte(spots[i]);
		ls_symcache *c = ls_symcache_load(dirfd_, id_a, sizeof id_a, "lines");
		size_t n;
		ck_assert_msg(!ls_symcache_find(c, 0x85f16, true, &n), "byte %ld from the end", spots[i]);
		ls_symcache_free(c);
	}
}
END_TEST

START_TEST(unsafe_directories_are_refused)
{
	char path[160];
	snprintf(path, sizeof path, "%s/shared", dir);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(chmod(path, 0777), 0);
	ck_assert_int_lt(ls_symcache_open_dir(path), 0);
	snprintf(path, sizeof path, "%s/link", dir);
	char target[160];
	snprintf(target, sizeof target, "%s/lockscope", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_lt(ls_symcache_open_dir(path), 0);
	ck_assert_int_lt(ls_symcache_open_dir("relative/dir"), 0);
	/* Without a directory the cache still works in memory. */
	ls_symcache *c = ls_symcache_load(-1, id_a, sizeof id_a, "lines");
	ls_frame f[2];
	sample_chain(f);
	ls_symcache_add(c, 0x10, false, f, 2);
	size_t n;
	ck_assert_ptr_nonnull(ls_symcache_find(c, 0x10, false, &n));
	ck_assert_int_eq(ls_symcache_save(c, -1), -1);
	ls_symcache_free(c);
}
END_TEST

/* Not created inside a folder of another user (root with a user's HOME);
 * root's folders (/tmp) and one's own are fine.  Needs root to give a
 * folder away. */
START_TEST(not_created_in_another_users_folder)
{
	char path[160];
	snprintf(path, sizeof path, "%s/home", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/home/.cache/lockscope", dir);
	if (geteuid() != 0) {
		int fd = ls_symcache_open_dir(path);
		ck_assert_int_ge(fd, 0);
		close(fd);
		return;
	}
	char home[128];
	snprintf(home, sizeof home, "%s/home", dir);
	ck_assert_int_eq(chown(home, 65534, 65534), 0);
	ck_assert_int_lt(ls_symcache_open_dir(path), 0);
	snprintf(path, sizeof path, "%s/home/.cache", dir);
	struct stat st;
	ck_assert_int_ne(stat(path, &st), 0);
	/* under root's own folder: created */
	ck_assert_int_eq(chown(home, 0, 0), 0);
	snprintf(path, sizeof path, "%s/home/.cache/lockscope", dir);
	int fd = ls_symcache_open_dir(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(unstorable_names_are_skipped)
{
	ls_symcache *c = ls_symcache_load(dirfd_, id_a, sizeof id_a, "lines");
	ls_frame f = { .function = "bad\tname", .line = 1 };
	ls_symcache_add(c, 0x20, true, &f, 1);
	size_t n;
	ck_assert_ptr_null(ls_symcache_find(c, 0x20, true, &n));
	ls_symcache_free(c);
}
END_TEST

START_TEST(default_dir_follows_xdg)
{
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	char *d = ls_symcache_default_dir();
	ck_assert_str_eq(d, "/x/cache/lockscope");
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	d = ls_symcache_default_dir();
	ck_assert_str_eq(d, "/home/u/.cache/lockscope");
	free(d);
}
END_TEST

static Suite *symcache_suite(void)
{
	Suite *s = suite_create("symcache");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, keyed_by_build_id_and_mode);
	tcase_add_test(tc, corruption_is_ignored);
	tcase_add_test(tc, unsafe_directories_are_refused);
	tcase_add_test(tc, not_created_in_another_users_folder);
	tcase_add_test(tc, unstorable_names_are_skipped);
	tcase_add_test(tc, default_dir_follows_xdg);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(symcache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
