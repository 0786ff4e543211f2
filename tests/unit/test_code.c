/*
 * test_code.c - short codes (common/huce_code.c) on a real SQLite table:
 * the code is the random tail, longer when the tail is shared; what a
 * person types (code, tail, prefix, upper case, spaces) resolves to one
 * live record or a clear refusal.
 */
#include "huce_code.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define A "0193a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"
#define B "0193a1b2-c3d4-7e5f-8a6b-99993e4f5a6b"	/* shares the last 8 with A */
#define C "0193a1b2-c3d4-7e5f-8a6b-0000000c0ffe"
#define D "0193a1b2-c3d4-7e5f-8a6b-00000000dead"	/* deleted */

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE household(id TEXT PRIMARY KEY, deleted INTEGER NOT NULL);"
		"INSERT INTO household VALUES('" A "', 0), ('" B "', 0), ('" C "', 0),"
		" ('" D "', 1);", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void test_code_of(void **state)
{
	sqlite3 *db = open_db();
	char code[HUCE_CODE_STRLEN + 1];

	(void)state;
	assert_int_equal(huce_code_of(db, "household", C, code, NULL), HUCE_OK);
	assert_string_equal(code, "0c0ffe");
	/* A and B share 3e4f5a6b: 10 digits tell them apart */
	assert_int_equal(huce_code_of(db, "household", A, code, NULL), HUCE_OK);
	assert_string_equal(code, "2d3e4f5a6b");
	assert_int_equal(huce_code_of(db, "household", B, code, NULL), HUCE_OK);
	assert_string_equal(code, "993e4f5a6b");
	sqlite3_close(db);
}

static const struct {
	const char *typed, *want;
	enum huce_err rc;
} resolve_cases[] = {
	{ C, C, HUCE_OK },
	{ "0c0ffe", C, HUCE_OK },
	{ "0C0FFE", C, HUCE_OK },
	{ "  0c0ffe ", C, HUCE_OK },
	{ "c0ffe", C, HUCE_OK },
	{ "1c2d3e4f5a6b", A, HUCE_OK },
	{ "993e4f5a6b", B, HUCE_OK },
	{ "9999", NULL, HUCE_ENOTFOUND },	/* inside, neither head nor tail */
	{ "5a6b", NULL, HUCE_EINVAL },		/* A and B */
	{ "0193a1b2", NULL, HUCE_EINVAL },	/* every id */
	{ "dead", NULL, HUCE_ENOTFOUND },	/* deleted */
	{ "beef", NULL, HUCE_ENOTFOUND },
	{ "abc", NULL, HUCE_ENOTFOUND },	/* too short */
	{ "张三", NULL, HUCE_ENOTFOUND },
	{ "0c0ffe'; --", NULL, HUCE_ENOTFOUND },
	{ "", NULL, HUCE_ENOTFOUND },
};

static void test_resolve(void **state)
{
	sqlite3 *db = open_db();

	(void)state;
	for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		struct huce_error err = { 0 };
		char out[37] = "";
		enum huce_err rc = huce_code_resolve(db, "household", resolve_cases[i].typed,
						     out, &err);

		if (rc != resolve_cases[i].rc)
			fail_msg("'%s': got %d (%s), want %d", resolve_cases[i].typed,
				 rc, err.msg, resolve_cases[i].rc);
		if (resolve_cases[i].want)
			assert_string_equal(out, resolve_cases[i].want);
		else
			assert_true(err.msg[0] != '\0');
	}
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_of),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
