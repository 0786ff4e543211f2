/*
 * test_db.c - unit tests of the SQLite layer (common/huce_db.c): opening,
 * migrations, pragmas, file mode, the statement cache, binding helpers
 * and the meta table.
 *
 * Each test works in its own fresh temporary directory.  Databases in
 * "before" states (empty at user_version 0, half-made, from the future)
 * are made with the plain SQLite API, independently of the code under
 * test.
 */
#include "huce_db.h"

#include <ftw.h>
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

struct fixture {
	char dir[256];
	char path[300];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/huce-test-db.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/local.db", f->dir);
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Run SQL on a file with plain SQLite (not through huce_db). */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("raw_exec: %s", msg);
	sqlite3_close(db);
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t q_int(struct huce_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(huce_db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The tables of the local schema that must exist after migration. */
static const char *const local_tables[] = {
	"meta", "village", "village_group", "cadre", "team", "household",
	"inspection", "rectification", "photo", "photo_file", "target",
	"conflict", "outbox",
};

static void check_local_schema(struct huce_db *db)
{
	char sql[256];

	for (size_t i = 0; i < sizeof(local_tables) / sizeof(local_tables[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
			 local_tables[i]);
		if (q_int(db, sql) != 1)
			fail_msg("table %s missing after migration", local_tables[i]);
	}
}

static void test_latest_version(void **state)
{
	(void)state;
	assert_true(huce_db_latest_version("local") >= 1);
	assert_true(huce_db_latest_version("central") >= 1);
	assert_int_equal(huce_db_latest_version("nosuchset"), 0);
	/* A prefix of a set name is not the set. */
	assert_int_equal(huce_db_latest_version("loc"), 0);
}

/* A brand-new path: created, migrated to the latest version. */
static void test_open_new_file(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = (struct huce_db *)&err;	/* must be overwritten */

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_non_null(db);
	assert_int_equal(huce_db_schema_version(db), huce_db_latest_version("local"));
	check_local_schema(db);
	huce_db_close(db);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
			 huce_db_latest_version("local"));
}

/* An existing empty database at user_version 0 migrates fully. */
static void test_migrate_from_zero(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;

	raw_exec(f->path, "PRAGMA user_version = 0; VACUUM;");
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"), 0);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_schema_version(db), huce_db_latest_version("local"));
	check_local_schema(db);
	huce_db_close(db);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
			 huce_db_latest_version("local"));
}

/*
 * Migrations run in one transaction: when one fails half-way nothing of
 * it stays and user_version is not advanced.  A stray table named like
 * one the migration creates makes it fail.
 */
static void test_failed_migration_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = (struct huce_db *)&err;

	raw_exec(f->path, "CREATE TABLE outbox(x INTEGER);");
	assert_int_not_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_null(db);
	assert_true(err.msg[0] != '\0');
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
	/* The tables the migration made before failing are gone. */
	assert_int_equal(raw_int(f->path,
		"SELECT count(*) FROM sqlite_master WHERE name IN ('meta', 'village', 'household')"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 1);
}

/* Opening again changes nothing: same version, same schema, same data. */
static void test_open_twice_idempotent(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	int64_t objects;
	char *v;

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "device", "阿猛-1", &err), HUCE_OK);
	objects = q_int(db, "SELECT count(*) FROM sqlite_master");
	huce_db_close(db);
	for (int i = 0; i < 3; i++) {
		db = NULL;
		assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
		assert_int_equal(huce_db_schema_version(db), huce_db_latest_version("local"));
		assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master"), objects);
		v = huce_db_meta_get(db, "device");
		assert_string_equal(v, "阿猛-1");
		free(v);
		huce_db_close(db);
	}
	/* Two handles on one file at once. */
	{
		struct huce_db *a = NULL, *b = NULL;

		assert_int_equal(huce_db_open(&a, f->path, "local", &err), HUCE_OK);
		assert_int_equal(huce_db_open(&b, f->path, "local", &err), HUCE_OK);
		assert_int_equal(huce_db_meta_set(a, "k", "from a", &err), HUCE_OK);
		v = huce_db_meta_get(b, "k");
		assert_string_equal(v, "from a");
		free(v);
		huce_db_close(a);
		huce_db_close(b);
	}
}

/* A database made by a newer program is refused and left alone. */
static void test_newer_version_refused(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = (struct huce_db *)&err;
	int newer = huce_db_latest_version("local") + 1;
	char sql[128];

	snprintf(sql, sizeof(sql), "CREATE TABLE future(x); PRAGMA user_version = %d;", newer);
	raw_exec(f->path, sql);
	assert_int_not_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_null(db);
	assert_int_equal(err.code, HUCE_EDB);
	assert_non_null(strstr(err.msg, "newer"));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), newer);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"), 1);
	/* err may be NULL */
	db = (struct huce_db *)&err;
	assert_int_not_equal(huce_db_open(&db, f->path, "local", NULL), HUCE_OK);
	assert_null(db);
}

/*
 * A migration keeps the release that made the schema (huce_release); an
 * older program that finds a newer schema names the release to install
 * (a downgrade in the field), or asks for a newer huce when the newer
 * program did not say.
 */
static void test_newer_names_release(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	int latest = huce_db_latest_version("local");
	char sql[200], want[200];

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	huce_db_close(db);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM huce_release WHERE "
		 "schema = %d AND release = '%s'", latest, HUCE_VERSION);
	assert_int_equal(raw_int(f->path, sql), 1);

	snprintf(sql, sizeof(sql), "INSERT INTO huce_release VALUES(%d, '9.1.2');"
		 "PRAGMA user_version = %d;", latest + 1, latest + 1);
	raw_exec(f->path, sql);
	db = NULL;
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_EDB);
	assert_null(db);
	snprintf(want, sizeof(want), "this file was written by a newer huce "
		 "(schema %d; this huce %s knows %d): install huce 9.1.2 or newer",
		 latest + 1, HUCE_VERSION, latest);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, f->path));

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", latest + 2);
	raw_exec(f->path, sql);
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_EDB);
	assert_non_null(strstr(err.msg, "install a newer huce"));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), latest + 2);
}

/* The file is created 0600 whatever the umask: it holds personal data. */
static void test_file_mode(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	struct stat st;
	mode_t old = umask(0);
	char side[320];

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "x", "y", &err), HUCE_OK);
	umask(old);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The WAL and shared-memory files hold the same data. */
	snprintf(side, sizeof(side), "%s-wal", f->path);
	if (stat(side, &st) == 0)
		assert_int_equal(st.st_mode & 077, 0);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	if (stat(side, &st) == 0)
		assert_int_equal(st.st_mode & 077, 0);
	huce_db_close(db);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = (struct huce_db *)&err;
	char path[400];

	snprintf(path, sizeof(path), "%s/no/such/dir/x.db", f->dir);
	assert_int_equal(huce_db_open(&db, path, "local", &err), HUCE_EIO);
	assert_null(db);
	assert_non_null(strstr(err.msg, path));
	/* A file that is not a database. */
	{
		FILE *fp = fopen(f->path, "w");

		assert_non_null(fp);
		fputs("this is not an SQLite database, just some text long enough\n"
		      "to fill the header that SQLite reads first......................\n", fp);
		fclose(fp);
	}
	db = (struct huce_db *)&err;
	assert_int_not_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_null(db);
	huce_db_close(NULL);	/* no-op */
}

static void test_pragmas(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(sqlite3_prepare_v2(huce_db_handle(db), "PRAGMA journal_mode", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(db, "PRAGMA synchronous"), 2);	/* FULL */
	huce_db_close(db);
}

static void test_stmt_cache(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	static const char sql_a[] = "SELECT value FROM meta ORDER BY key";
	static const char sql_b[] = "SELECT count(*) FROM meta";
	sqlite3_stmt *a, *a2, *b;
	char (*many)[64] = calloc(200, 64);

	assert_non_null(many);
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "a", "1", &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "b", "2", &err), HUCE_OK);
	a = huce_db_stmt(db, sql_a, &err);
	assert_non_null(a);
	b = huce_db_stmt(db, sql_b, &err);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	/* Step part-way, then ask again: same statement, reset to the start. */
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(a, 0), "1");
	a2 = huce_db_stmt(db, sql_a, &err);
	assert_ptr_equal(a, a2);
	assert_int_equal(sqlite3_step(a2), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(a2, 0), "1");
	sqlite3_reset(a2);

	/* Bindings are cleared between uses. */
	{
		static const char q[] = "SELECT ?1 IS NULL";
		sqlite3_stmt *s = huce_db_query(db, &err, q, "s", "x");

		assert_non_null(s);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 0);
		s = huce_db_stmt(db, q, &err);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 1);
		sqlite3_reset(s);
	}

	/* Bad SQL: NULL with a message. */
	{
		static const char bad[] = "SELEC nonsense";

		err.msg[0] = '\0';
		assert_null(huce_db_stmt(db, bad, &err));
		assert_true(err.msg[0] != '\0');
	}

	/*
	 * The cache holds a bounded number of statements; past that it
	 * refuses with a message instead of growing or crashing, and what
	 * was cached keeps working.
	 */
	{
		int refused = 0;

		for (int i = 0; i < 200; i++) {
			snprintf(many[i], 64, "SELECT %d", i);
			if (!huce_db_stmt(db, many[i], &err)) {
				refused++;
				assert_non_null(strstr(err.msg, "cache"));
			}
		}
		assert_true(refused > 0);
		assert_ptr_equal(huce_db_stmt(db, sql_a, &err), a);
	}
	huce_db_close(db);
	free(many);
}

static void test_run_and_bind(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	sqlite3_stmt *st;

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_exec(db, "CREATE TEMP TABLE t(s TEXT, i INTEGER, d REAL, n TEXT)",
				      &err), HUCE_OK);
	assert_int_equal(huce_db_run(db, &err, "INSERT INTO t VALUES(?1, ?2, ?3, ?4)", "sidn",
				     "'; DROP TABLE t; --", (int64_t)INT64_MAX, 1.5), HUCE_OK);
	assert_int_equal(huce_db_run(db, &err, "INSERT INTO t VALUES(?1, ?2, ?3, ?4)", "sidn",
				     (const char *)NULL, (int64_t)-7, -0.25), HUCE_OK);
	st = huce_db_query(db, &err, "SELECT s, i, d, n FROM t WHERE i = ?1", "i", (int64_t)INT64_MAX);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "'; DROP TABLE t; --");
	assert_true(sqlite3_column_int64(st, 1) == INT64_MAX);
	assert_true(sqlite3_column_double(st, 2) == 1.5);
	assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
	{
		char *s = huce_db_col_dup(st, 0);

		assert_string_equal(s, "'; DROP TABLE t; --");
		free(s);
		assert_null(huce_db_col_dup(st, 3));
	}
	sqlite3_reset(st);
	st = huce_db_query(db, &err, "SELECT s IS NULL, d FROM t WHERE i = ?1", "i", (int64_t)-7);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_true(sqlite3_column_double(st, 1) == -0.25);
	sqlite3_reset(st);

	/* A constraint violation is invalid data, not a storage fault. */
	assert_int_equal(huce_db_meta_set(db, "k", "v", &err), HUCE_OK);
	assert_int_equal(huce_db_run(db, &err, "INSERT INTO meta(key, value) VALUES(?1, ?2)",
				     "ss", "k", "w"), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "UNIQUE"));
	/* A NOT NULL violation too. */
	assert_int_equal(huce_db_run(db, &err, "INSERT INTO meta(key, value) VALUES(?1, ?2)",
				     "ss", "k2", (const char *)NULL), HUCE_EINVAL);
	/* An unknown type letter is refused. */
	assert_int_not_equal(huce_db_run(db, &err, "SELECT ?1", "x", 1), HUCE_OK);
	/* Bad SQL in exec. */
	assert_int_equal(huce_db_exec(db, "NOT SQL", &err), HUCE_EDB);
	assert_true(err.msg[0] != '\0');
	huce_db_close(db);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	char *v;

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_int_equal(huce_db_begin(db, &err), HUCE_OK);
	/* No nesting. */
	assert_int_not_equal(huce_db_begin(db, &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "gone", "1", &err), HUCE_OK);
	huce_db_rollback(db);
	assert_null(huce_db_meta_get(db, "gone"));
	huce_db_rollback(db);	/* outside a transaction: harmless */

	assert_int_equal(huce_db_begin(db, &err), HUCE_OK);
	assert_int_equal(huce_db_meta_set(db, "kept", "1", &err), HUCE_OK);
	assert_int_equal(huce_db_commit(db, &err), HUCE_OK);
	huce_db_close(db);
	db = NULL;
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	v = huce_db_meta_get(db, "kept");
	assert_string_equal(v, "1");
	free(v);
	assert_int_not_equal(huce_db_commit(db, &err), HUCE_OK);	/* none open */
	huce_db_close(db);
}

static void test_meta(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_db *db = NULL;
	char *v;

	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_null(huce_db_meta_get(db, "device"));
	assert_true(huce_db_meta_int(db, "cursor", 17) == 17);
	assert_int_equal(huce_db_meta_set(db, "device", "张三的电脑", &err), HUCE_OK);
	v = huce_db_meta_get(db, "device");
	assert_string_equal(v, "张三的电脑");
	free(v);
	/* Set again: replaced, not duplicated. */
	assert_int_equal(huce_db_meta_set(db, "device", "d2", &err), HUCE_OK);
	v = huce_db_meta_get(db, "device");
	assert_string_equal(v, "d2");
	free(v);
	assert_int_equal(q_int(db, "SELECT count(*) FROM meta WHERE key = 'device'"), 1);
	/* Empty value is a value. */
	assert_int_equal(huce_db_meta_set(db, "empty", "", &err), HUCE_OK);
	v = huce_db_meta_get(db, "empty");
	assert_string_equal(v, "");
	free(v);

	static const struct {
		int64_t v;
	} ints[] = { { 0 }, { 1 }, { -1 }, { INT64_MAX }, { INT64_MIN } };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		assert_int_equal(huce_db_meta_set_int(db, "cursor", ints[i].v, &err), HUCE_OK);
		assert_true(huce_db_meta_int(db, "cursor", 99) == ints[i].v);
	}
	/* Not a number: the default. */
	static const char *const not_ints[] = { "", "12x", "x12", "1.5", " " };
	for (size_t i = 0; i < sizeof(not_ints) / sizeof(not_ints[0]); i++) {
		assert_int_equal(huce_db_meta_set(db, "cursor", not_ints[i], &err), HUCE_OK);
		if (huce_db_meta_int(db, "cursor", 99) != 99)
			fail_msg("meta_int('%s') did not give the default", not_ints[i]);
	}
	/* Survives reopening. */
	assert_int_equal(huce_db_meta_set_int(db, "cursor", 123456789012ll, &err), HUCE_OK);
	huce_db_close(db);
	db = NULL;
	assert_int_equal(huce_db_open(&db, f->path, "local", &err), HUCE_OK);
	assert_true(huce_db_meta_int(db, "cursor", 0) == 123456789012ll);
	huce_db_close(db);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latest_version),
		T(test_open_new_file),
		T(test_migrate_from_zero),
		T(test_failed_migration_rolls_back),
		T(test_open_twice_idempotent),
		T(test_newer_version_refused),
		T(test_newer_names_release),
		T(test_file_mode),
		T(test_open_errors),
		T(test_pragmas),
		T(test_stmt_cache),
		T(test_run_and_bind),
		T(test_transactions),
		T(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
