/*
 * test_file.c - unit tests of whole-file read and atomic write
 * (common/huce_file.c), on real files in a temporary directory.
 */
#include "huce_file.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct dir {
	char path[64];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/huce-test-file-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	DIR *dh = opendir(d->path);
	struct dirent *e;
	char p[384];

	while (dh && (e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
		unlink(p);
	}
	if (dh)
		closedir(dh);
	rmdir(d->path);
	free(d);
	return 0;
}

/* Files in the directory, the target included (no temporary left). */
static int count_files(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (dh && (e = readdir(dh)))
		n += e->d_name[0] != '.';
	if (dh)
		closedir(dh);
	return n;
}

static void test_write_then_read(void **state)
{
	struct dir *d = *state;
	struct huce_error err = { 0 };
	struct huce_buf b;
	struct stat st;
	char path[128];

	snprintf(path, sizeof(path), "%s/out.txt", d->path);
	assert_int_equal(huce_file_write_atomic(path, "first", 5, 0600, &err), HUCE_OK);
	assert_int_equal(huce_file_write_atomic(path, "户厕\0x", 8, 0600, &err), HUCE_OK);
	assert_int_equal(count_files(d->path), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(huce_file_read(path, 8, &b, &err), HUCE_OK);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "户厕\0x", 9);	/* NUL-terminated */
	huce_buf_release(&b);
	/* One byte over the limit is refused, and names the file. */
	assert_int_equal(huce_file_read(path, 7, &b, &err), HUCE_ETOOBIG);
	assert_null(b.data);
	assert_non_null(strstr(err.msg, "out.txt"));
	/* An empty file reads as an empty buffer. */
	assert_int_equal(huce_file_write_atomic(path, "", 0, 0600, &err), HUCE_OK);
	assert_int_equal(huce_file_read(path, 8, &b, &err), HUCE_OK);
	assert_int_equal(b.len, 0);
	huce_buf_release(&b);
}

static void test_failures(void **state)
{
	struct dir *d = *state;
	struct huce_error err = { 0 };
	struct huce_buf b;
	char path[128];

	snprintf(path, sizeof(path), "%s/missing", d->path);
	assert_int_equal(huce_file_read(path, 8, &b, &err), HUCE_ENOTFOUND);
	assert_non_null(strstr(err.msg, "cannot open"));
	snprintf(path, sizeof(path), "%s/no/such/dir/out", d->path);
	assert_int_equal(huce_file_write_atomic(path, "x", 1, 0600, &err), HUCE_EIO);
	assert_non_null(strstr(err.msg, "cannot write"));
	/* A target that cannot be replaced (a directory) stays, no temp left. */
	snprintf(path, sizeof(path), "%s/sub", d->path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(huce_file_write_atomic(path, "x", 1, 0600, &err), HUCE_EIO);
	assert_int_equal(count_files(d->path), 1);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
