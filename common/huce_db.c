/*
 * huce_db.c - open, migrate, and a per-handle statement cache.
 *
 * The cache is a small open-hashed table keyed by the SQL text pointer
 * and, on collision of pointers from different literals with the same
 * text, by the text itself.  Statements are prepared with
 * SQLITE_PREPARE_PERSISTENT and reset before they are handed out.
 */
#include "huce_db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "huce_i18n.h"
#include "huce_schema.h"

#define STMT_CACHE 128

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct huce_db {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
};

enum huce_err huce_db_fail(struct huce_db *db, struct huce_error *err,
			   const char *what)
{
	int code = sqlite3_extended_errcode(db->db);
	enum huce_err rc = HUCE_EDB;

	if ((code & 0xff) == SQLITE_CONSTRAINT)
		rc = HUCE_EINVAL;
	return huce_fail(err, rc, "%s: %s", what, sqlite3_errmsg(db->db));
}

sqlite3 *huce_db_handle(struct huce_db *db)
{
	return db->db;
}

enum huce_err huce_db_exec(struct huce_db *db, const char *sql,
			   struct huce_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		huce_fail(err, HUCE_EDB, _("database: %s"), msg ? msg : "error");
		sqlite3_free(msg);
		return HUCE_EDB;
	}
	return HUCE_OK;
}

static int migration_number(const char *name, const char *set)
{
	size_t n = strlen(set);
	int v = 0;

	if (strncmp(name, set, n) != 0 || name[n] != '/')
		return -1;
	name += n + 1;
	for (int i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || !strstr(name, ".sql"))
		return -1;
	return v;
}

int huce_db_latest_version(const char *set)
{
	int latest = 0;

	for (const struct huce_schema_file *f = huce_schema_files; f->name; f++) {
		int v = migration_number(f->name, set);

		if (v > latest)
			latest = v;
	}
	return latest;
}

int huce_db_schema_version(struct huce_db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Each file keeps, beside its schema number (user_version), the release
 * of huce that migrated it to that schema (the table huce_release,
 * written in the migration's transaction), so that an older huce that
 * finds a newer schema can name the release to install.  A file whose
 * newer schema came from a huce before 0.2.0 has no row: the words then
 * ask for a newer huce without naming one.
 */
static void newer_schema(struct huce_db *db, int have, int latest,
			 struct huce_error *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *rel = NULL;

	if (sqlite3_prepare_v2(db->db, "SELECT release FROM huce_release "
			       "WHERE schema = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, have);
		if (sqlite3_step(st) == SQLITE_ROW)
			rel = sqlite3_column_text(st, 0);
	}
	if (rel)
		huce_fail(err, HUCE_EDB, _("this file was written by a newer huce "
			  "(schema %d; this huce %s knows %d): install huce %s "
			  "or newer"), have, HUCE_VERSION, latest, (const char *)rel);
	else
		huce_fail(err, HUCE_EDB, _("this file was written by a newer huce "
			  "(schema %d; this huce %s knows %d): install a newer "
			  "huce"), have, HUCE_VERSION, latest);
	sqlite3_finalize(st);
}

static enum huce_err migrate(struct huce_db *db, const char *set,
			     huce_db_migrated_fn fn, void *arg,
			     struct huce_error *err)
{
	int have = huce_db_schema_version(db);
	int latest = huce_db_latest_version(set);
	enum huce_err rc;
	char pragma[256];

	if (have < 0)
		return huce_db_fail(db, err, _("cannot read schema version"));
	if (have > latest) {
		newer_schema(db, have, latest, err);
		return HUCE_EDB;
	}
	if (have == latest)
		return HUCE_OK;
	rc = huce_db_begin(db, err);
	if (rc)
		return rc;
	for (int v = have + 1; v <= latest; v++) {
		const struct huce_schema_file *f;

		for (f = huce_schema_files; f->name; f++)
			if (migration_number(f->name, set) == v)
				break;
		if (!f->name) {
			huce_db_rollback(db);
			return huce_fail(err, HUCE_EDB, _("migration %s/%04d is missing"),
					 set, v);
		}
		rc = huce_db_exec(db, f->data, err);
		if (!rc && fn)
			rc = fn(db, v, arg, err);
		if (rc) {
			huce_db_rollback(db);
			return rc;
		}
	}
	snprintf(pragma, sizeof(pragma),
		 "CREATE TABLE IF NOT EXISTS huce_release(schema INTEGER "
		 "PRIMARY KEY, release TEXT NOT NULL);"
		 "INSERT OR REPLACE INTO huce_release VALUES(%d, '%s');"
		 "PRAGMA user_version=%d", latest, HUCE_VERSION, latest);
	rc = huce_db_exec(db, pragma, err);
	if (rc) {
		huce_db_rollback(db);
		return rc;
	}
	return huce_db_commit(db, err);
}

/*
 * Once per process, before SQLite initialises: no memory statistics
 * (they take a global mutex on every allocation, and nothing reads
 * them).  Connections are opened SQLITE_OPEN_NOMUTEX: each is used by
 * one thread at a time (a laptop's process, or the central's store under
 * its own lock, store_sqlite.c), so SQLite's per-call connection mutex
 * only cost time (together ~9 % of the central's merge instructions,
 * docs/PERFORMANCE.md).
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum huce_err huce_db_open(struct huce_db **out, const char *path,
			   const char *set, struct huce_error *err)
{
	return huce_db_open_ex(out, path, set, NULL, NULL, err);
}

enum huce_err huce_db_open_ex(struct huce_db **out, const char *path,
			      const char *set, huce_db_migrated_fn fn,
			      void *arg, struct huce_error *err)
{
	struct huce_db *db;
	enum huce_err rc;
	int fd;

	*out = NULL;
	pthread_once(&sqlite_once, sqlite_setup);
	/*
	 * Create the file ourselves so it is 0600 from its first byte: the
	 * database holds households' personal data.
	 */
	/*
	 * O_EXCL: only a brand-new file is opened (and closed) here.  Closing
	 * a descriptor of a file drops every POSIX lock this process holds on
	 * it, including those of another SQLite connection already open on
	 * an existing database, which would let it read stale pages.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return huce_fail(err, HUCE_EIO, _("cannot open database '%s': %s"), path, strerror(errno));
	if (fd >= 0)
		close(fd);
	db = calloc(1, sizeof(*db));
	if (!db)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = huce_fail(err, HUCE_EIO, _("cannot open database '%s': %s"), path,
			       db->db ? sqlite3_errmsg(db->db) : "out of memory");
		huce_db_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db->db, 10000);
	sqlite3_extended_result_codes(db->db, 1);
	rc = huce_db_exec(db, "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=ON;", err);
	if (!rc)
		rc = migrate(db, set, fn, arg, err);
	if (rc) {
		char msg[sizeof(err->msg)];

		if (err) {
			snprintf(msg, sizeof(msg), "%s", err->msg);
			huce_fail(err, rc, _("database '%s': %s"), path, msg);
		}
		huce_db_close(db);
		return rc;
	}
	*out = db;
	return HUCE_OK;
}

void huce_db_close(struct huce_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->db);
	free(db);
}

enum huce_err huce_db_begin(struct huce_db *db, struct huce_error *err)
{
	return huce_db_exec(db, "BEGIN IMMEDIATE", err);
}

enum huce_err huce_db_commit(struct huce_db *db, struct huce_error *err)
{
	return huce_db_exec(db, "COMMIT", err);
}

void huce_db_rollback(struct huce_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

static unsigned hash_ptr(const char *p)
{
	uintptr_t v = (uintptr_t)p;

	return (unsigned)((v >> 4) ^ (v >> 12)) % STMT_CACHE;
}

sqlite3_stmt *huce_db_stmt(struct huce_db *db, const char *sql,
			   struct huce_error *err)
{
	unsigned h = hash_ptr(sql);
	sqlite3_stmt *st = NULL;

	for (unsigned i = 0; i < STMT_CACHE; i++) {
		struct stmt_slot *s = &db->cache[(h + i) % STMT_CACHE];

		if (s->sql == sql) {
			sqlite3_reset(s->st);
			sqlite3_clear_bindings(s->st);
			return s->st;
		}
		if (!s->sql) {
			if (sqlite3_prepare_v3(db->db, sql, -1,
					       SQLITE_PREPARE_PERSISTENT,
					       &st, NULL) != SQLITE_OK) {
				huce_db_fail(db, err, _("cannot prepare statement"));
				return NULL;
			}
			s->sql = sql;
			s->st = st;
			return st;
		}
	}
	/* Cache full: a programming error, but still work (leak-free). */
	huce_fail(err, HUCE_EDB, _("statement cache full"));
	return NULL;
}

/*
 * Bind the arguments; texts are copied (SQLITE_TRANSIENT) unless the
 * statement is done with them before the caller's strings go (text_how
 * SQLITE_STATIC: huce_db_run, which clears its bindings as it returns).
 */
static enum huce_err bind_va(struct huce_db *db, sqlite3_stmt *st,
			     sqlite3_destructor_type text_how,
			     const char *types, va_list ap)
{
	int idx = 1;
	int rc = SQLITE_OK;

	for (const char *t = types; *t && rc == SQLITE_OK; t++, idx++) {
		switch (*t) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			rc = s ? sqlite3_bind_text(st, idx, s, -1, text_how)
			       : sqlite3_bind_null(st, idx);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(st, idx, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_double(st, idx, va_arg(ap, double));
			break;
		case 'n':
			rc = sqlite3_bind_null(st, idx);
			break;
		default:
			return HUCE_EINVAL;
		}
	}
	(void)db;
	return rc == SQLITE_OK ? HUCE_OK : HUCE_EDB;
}

enum huce_err huce_db_bindv(struct huce_db *db, sqlite3_stmt *st,
			    const char *types, ...)
{
	va_list ap;
	enum huce_err rc;

	va_start(ap, types);
	rc = bind_va(db, st, SQLITE_TRANSIENT, types, ap);
	va_end(ap);
	return rc;
}

sqlite3_stmt *huce_db_query(struct huce_db *db, struct huce_error *err,
			    const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = huce_db_stmt(db, sql, err);
	va_list ap;
	enum huce_err rc;

	if (!st)
		return NULL;
	va_start(ap, types);
	rc = bind_va(db, st, SQLITE_TRANSIENT, types, ap);
	va_end(ap);
	if (rc) {
		huce_db_fail(db, err, _("cannot bind"));
		return NULL;
	}
	return st;
}

enum huce_err huce_db_run(struct huce_db *db, struct huce_error *err,
			  const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = huce_db_stmt(db, sql, err);
	va_list ap;
	enum huce_err rc;
	int s;

	if (!st)
		return err ? err->code : HUCE_EDB;
	va_start(ap, types);
	rc = bind_va(db, st, SQLITE_STATIC, types, ap);
	va_end(ap);
	if (rc) {
		rc = huce_db_fail(db, err, _("cannot bind"));
		sqlite3_clear_bindings(st);
		return rc;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (s != SQLITE_DONE)
		rc = huce_db_fail(db, err, _("write failed"));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* the texts were the caller's */
	return rc;
}

char *huce_db_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	if (!s)
		return NULL;
	return strdup((const char *)s);
}

char *huce_db_meta_get(struct huce_db *db, const char *key)
{
	sqlite3_stmt *st = huce_db_query(db, NULL,
		"SELECT value FROM meta WHERE key = ?1", "s", key);
	char *v = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = huce_db_col_dup(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

int64_t huce_db_meta_int(struct huce_db *db, const char *key, int64_t dflt)
{
	char *v = huce_db_meta_get(db, key);
	int64_t n = dflt;

	if (v) {
		char *end;
		long long x = strtoll(v, &end, 10);

		if (*end == '\0' && end != v)
			n = (int64_t)x;
		free(v);
	}
	return n;
}

enum huce_err huce_db_meta_set(struct huce_db *db, const char *key,
			       const char *value, struct huce_error *err)
{
	return huce_db_run(db, err,
		"INSERT INTO meta(key, value) VALUES(?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		"ss", key, value);
}

enum huce_err huce_db_meta_set_int(struct huce_db *db, const char *key,
				   int64_t value, struct huce_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	return huce_db_meta_set(db, key, buf, err);
}
