/*
 * store_sqlite.c - the central store on one SQLite file (WAL).
 *
 * This is the embedded default backend of store.h, and the only place
 * where the central's SQL is written (schema/central/0001_init.sql has
 * the tables).  Every statement is a string literal so that huce_db's
 * cache prepares it once per connection; the few lookups that must use
 * a partial index name the field in the SQL text, one literal per field,
 * because SQLite only uses a partial index when the query's WHERE names
 * the same constant.
 *
 * One connection serves the whole process.  The store's lock (store.c)
 * makes the handle safe to share between the HTTP server's threads: each
 * operation runs under it, and a transaction keeps it from begin to
 * commit, so a second thread waits for the first one's batch instead of
 * writing into it.  store.c also holds the rules shared with the
 * PostgreSQL backend; this file is the SQL (store_backend.h).
 * Other processes (an admin command while the central runs) are kept out
 * by SQLite's own locking, with a busy timeout.
 *
 * The global version counter and the central HLC live in the meta table.
 * A write transaction loads them at BEGIN IMMEDIATE (so no other writer
 * can move them meanwhile), hands out versions from memory and writes
 * them back once at COMMIT: the merge of a 10,000-entry batch does not
 * rewrite the meta row 10,000 times.
 */
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_buf.h"
#include "huce_crypto.h"
#include "huce_db.h"

struct sqlite_store {
	struct store base;	/* first: a struct store * is a sqlite_store * */
	struct huce_db *db;
	sqlite3_stmt *fput[STORE_MULTI_ROWS + 1], *hput[STORE_MULTI_ROWS + 1];
	uint64_t hlc_loaded;	/* the HLC as begin found it */
};

static struct sqlite_store *S(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* Copy a text column into a fixed array, cut to fit. */
static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t len = v ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(dst, v, len);
	dst[len] = '\0';
}


/* A step loop's end: SQLITE_DONE is fine, anything else a storage error. */
static enum huce_err step_done(struct sqlite_store *s, sqlite3_stmt *st,
			       int rc, struct huce_error *err, const char *what)
{
	enum huce_err ret = HUCE_OK;

	if (rc != SQLITE_DONE)
		ret = huce_db_fail(s->db, err, what);
	sqlite3_reset(st);
	return ret;
}

/* --- transactions, counter, clock ------------------------------------ */

static enum huce_err load_counters(struct sqlite_store *s,
				   struct huce_error *err)
{
	char *h = huce_db_meta_get(s->db, "hlc");

	s->base.version = huce_db_meta_int(s->db, "version", -1);
	if (s->base.version < 0) {
		free(h);
		return huce_fail(err, HUCE_EDB, "store has no version counter");
	}
	if (!h || huce_hlc_parse(h, &s->base.hlc))
		s->base.hlc = 0;
	free(h);
	s->hlc_loaded = s->base.hlc;
	return HUCE_OK;
}

static enum huce_err sq_begin(struct store *base, int write,
			      struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc;

	rc = huce_db_exec(s->db, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
	if (!rc && write) {
		rc = load_counters(s, err);
		if (rc)
			huce_db_rollback(s->db);
	}
	return rc;
}

static enum huce_err sq_commit(struct store *base, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = HUCE_OK;

	if (base->tx_write) {
		rc = huce_db_meta_set_int(s->db, "version", base->version, err);
		if (!rc && base->hlc != s->hlc_loaded) {
			char hex[HUCE_HLC_STRLEN + 1];

			huce_hlc_format(base->hlc, hex);
			rc = huce_db_meta_set(s->db, "hlc", hex, err);
		}
	}
	if (!rc)
		rc = huce_db_commit(s->db, err);
	if (rc)
		huce_db_rollback(s->db);
	return rc;
}

static void sq_rollback(struct store *base)
{
	huce_db_rollback(S(base)->db);
}

static enum huce_err sq_savepoint(struct store *base, struct huce_error *err)
{
	return huce_db_run(S(base)->db, err, "SAVEPOINT entry", "");
}

static enum huce_err sq_release(struct store *base, struct huce_error *err)
{
	return huce_db_run(S(base)->db, err, "RELEASE entry", "");
}

static enum huce_err sq_rollback_to(struct store *base, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc;

	rc = huce_db_run(s->db, err, "ROLLBACK TO entry", "");
	if (!rc)
		rc = huce_db_run(s->db, err, "RELEASE entry", "");
	return rc;
}

static int64_t sq_committed_version(struct store *base)
{
	return huce_db_meta_int(S(base)->db, "version", 0);
}

/* --- meta ------------------------------------------------------------- */

static char *sq_meta_get(struct store *base, const char *key)
{
	return huce_db_meta_get(S(base)->db, key);
}

static enum huce_err sq_meta_set(struct store *base, const char *key,
				 const char *value, struct huce_error *err)
{
	return huce_db_meta_set(S(base)->db, key, value, err);
}

/* --- devices ---------------------------------------------------------- */

static void read_device(sqlite3_stmt *st, struct store_device *d)
{
	copy_col(d->name, sizeof(d->name), st, 0);
	d->created_at = sqlite3_column_int64(st, 1);
	d->revoked_at = sqlite3_column_int64(st, 2);
	d->hwm = sqlite3_column_int64(st, 3);
	d->last_seen = sqlite3_column_int64(st, 4);
	copy_col(d->hwm_hlc, sizeof(d->hwm_hlc), st, 5);
}

static enum huce_err sq_device_get(struct store *base, const char *name,
				   struct store_device *out,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = huce_db_query(s->db, err,
		"SELECT name, created_at, revoked_at, hwm, last_seen, "
		"CASE WHEN hwm_hlc_seq = hwm THEN hwm_hlc END "
		"FROM device WHERE name = ?1", "s", name);
	int r;

	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		read_device(st, out);
		sqlite3_reset(st);
		return HUCE_OK;
	}
	if (step_done(s, st, r, err, "cannot read device"))
		return HUCE_EDB;
	return huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
}

static enum huce_err sq_device_add(struct store *base, const char *name,
				   const char *token_hash,
				   struct huce_error *err)
{
	struct store_device d;
	struct huce_error gerr = { 0 };
	enum huce_err rc;

	rc = sq_device_get(base, name, &d, &gerr);
	if (rc == HUCE_OK)
		return huce_fail(err, HUCE_EINVAL, "device '%s' already exists", name);
	if (rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", gerr.msg);
	return huce_db_run(S(base)->db, err,
		"INSERT INTO device(name, token_hash, created_at) "
		"VALUES(?1, ?2, ?3)",
		"ssi", name, token_hash, (int64_t)time(NULL));
}

static enum huce_err sq_device_revoke(struct store *base, const char *name,
				      struct huce_error *err)
{
	return huce_db_run(S(base)->db, err,
		"UPDATE device SET revoked_at = ?2 WHERE name = ?1",
		"si", name, (int64_t)time(NULL));
}

static enum huce_err sq_device_list(struct store *base,
				    struct store_device **out, size_t *nout,
				    struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	struct store_device *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	st = huce_db_query(s->db, err,
		"SELECT name, created_at, revoked_at, hwm, last_seen, "
		"CASE WHEN hwm_hlc_seq = hwm THEN hwm_hlc END "
		"FROM device ORDER BY name", "");
	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			struct store_device *nv = realloc(v, na * sizeof(*v));

			if (!nv) {
				rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			alloc = na;
		}
		read_device(st, &v[n++]);
	}
	if (!rc)
		rc = step_done(s, st, r, err, "cannot list devices");
	else
		sqlite3_reset(st);
	*out = v;
	*nout = n;
	return rc;
}

static enum huce_err sq_device_set_hwm(struct store *base, const char *name,
				       int64_t hwm, const char *hwm_hlc,
				       struct huce_error *err)
{
	/* A device that pushes is seen: its pulls only note it when idle. */
	return huce_db_run(S(base)->db, err,
		"UPDATE device SET hwm = ?2, last_seen = ?3, hwm_hlc = ?4, "
		"hwm_hlc_seq = ?2 WHERE name = ?1",
		"siis", name, hwm, (int64_t)time(NULL), hwm_hlc);
}

static enum huce_err sq_token_lookup(struct store *base,
				     const char *token_hash_hex, char **name,
				     int *revoked, int64_t *seen,
				     struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int r;

	*name = NULL;
	*revoked = 0;
	*seen = 0;
	st = huce_db_query(s->db, err,
		"SELECT name, revoked_at IS NOT NULL, last_seen FROM device "
		"WHERE token_hash = ?1", "s", token_hash_hex);
	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*name = huce_db_col_dup(st, 0);
		*revoked = sqlite3_column_int(st, 1);
		*seen = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		return *name ? HUCE_OK : huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	return step_done(s, st, r, err, "cannot check token");
}

static void sq_device_seen(struct store *base, const char *name, int64_t now)
{
	huce_db_run(S(base)->db, NULL,
		"UPDATE device SET last_seen = ?2 WHERE name = ?1",
		"si", name, now);
}

/*
 * store_device_enroll(): bind at the first enrolment, in one UPDATE
 * (RETURNING says who holds the token now).
 */
/* The device columns of schema 0004, in store.c's order. */
static int attr_index(const char *attr)
{
	return strcmp(attr, "box_key") == 0 ? 0 : strcmp(attr, "villages") == 0 ? 1 : 2;
}

static enum huce_err sq_device_attr_get(struct store *base, const char *name,
					const char *attr, char **value,
					struct huce_error *err)
{
	/* Literal SQL: the statement cache is keyed by the text's address. */
	static const char *const sql[3] = {
		"SELECT box_key FROM device WHERE name = ?1",
		"SELECT villages FROM device WHERE name = ?1",
		"SELECT stick_export FROM device WHERE name = ?1",
	};
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int r;

	*value = NULL;
	st = huce_db_query(s->db, err, sql[attr_index(attr)], "s", name);
	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		int null = sqlite3_column_type(st, 0) == SQLITE_NULL;

		*value = null ? NULL : huce_db_col_dup(st, 0);
		sqlite3_reset(st);
		return null || *value ? HUCE_OK : huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return huce_db_fail(s->db, err, "cannot read device");
	return huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
}

static enum huce_err sq_device_attr_set(struct store *base, const char *name,
					const char *attr, const char *value,
					struct huce_error *err)
{
	static const char *const sql[3] = {
		"UPDATE device SET box_key = ?2 WHERE name = ?1",
		"UPDATE device SET villages = ?2 WHERE name = ?1",
		"UPDATE device SET stick_export = ?2 WHERE name = ?1",
	};
	struct sqlite_store *s = S(base);
	const char *q = sql[attr_index(attr)];
	enum huce_err rc;

	rc = value ? huce_db_run(s->db, err, q, "ss", name, value) :
		huce_db_run(s->db, err, q, "sn", name);
	if (!rc && sqlite3_changes(huce_db_handle(s->db)) == 0)
		rc = huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	return rc;
}

static enum huce_err sq_device_enroll(struct store *base, const char *name,
				      const char *install_id,
				      struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	st = huce_db_query(s->db, err,
		"UPDATE device SET install_id = coalesce(install_id, ?2), "
		"enrolled_at = coalesce(enrolled_at, ?3) "
		"WHERE name = ?1 AND revoked_at IS NULL RETURNING install_id",
		"ssi", name, install_id, (int64_t)time(NULL));
	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		const char *have = (const char *)sqlite3_column_text(st, 0);

		if (!have || strcmp(have, install_id) != 0)
			rc = huce_fail(err, HUCE_EFORBIDDEN, "device '%s': its "
				       "token has enrolled another laptop", name);
		r = sqlite3_step(st);
	} else {
		rc = huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	}
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = huce_db_fail(s->db, err, "cannot enrol device");
	sqlite3_reset(st);
	return rc;
}

/* --- records and fields ------------------------------------------------ */

static void read_record(sqlite3_stmt *st, struct store_record *r)
{
	copy_col(r->id, sizeof(r->id), st, 0);
	copy_col(r->kind, sizeof(r->kind), st, 1);
	r->version = sqlite3_column_int64(st, 2);
	r->deleted = sqlite3_column_int(st, 3);
	copy_col(r->created_by, sizeof(r->created_by), st, 4);
	copy_col(r->created_hlc, sizeof(r->created_hlc), st, 5);
	r->created_at = sqlite3_column_int64(st, 6);
	r->del_version = sqlite3_column_int64(st, 7);
	copy_col(r->del_device, sizeof(r->del_device), st, 8);
	copy_col(r->del_hlc, sizeof(r->del_hlc), st, 9);
	copy_col(r->key, sizeof(r->key), st, 10);
}

static enum huce_err sq_record_get(struct store *base, const char *id,
				   struct store_record *out,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = huce_db_query(s->db, err,
		"SELECT id, kind, version, deleted, created_by, created_hlc, "
		"created_at, del_version, del_device, del_hlc, dkey "
		"FROM record WHERE id = ?1", "s", id);
	int r;

	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		read_record(st, out);
		sqlite3_reset(st);
		return HUCE_OK;
	}
	if (step_done(s, st, r, err, "cannot read record"))
		return HUCE_EDB;
	return huce_fail(err, HUCE_ENOTFOUND, "record %s not found", id);
}

static enum huce_err sq_record_put(struct store *base,
				   const struct store_record *r,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc;

	rc = huce_db_run(s->db, err,
		"INSERT INTO record(id, kind, version, deleted, created_by, "
		"created_hlc, created_at, del_version, del_device, del_hlc, dkey) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		"ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, "
		"version = excluded.version, deleted = excluded.deleted, "
		"created_by = excluded.created_by, "
		"created_hlc = excluded.created_hlc, "
		"created_at = excluded.created_at, "
		"del_version = excluded.del_version, "
		"del_device = excluded.del_device, del_hlc = excluded.del_hlc, "
		"dkey = excluded.dkey",
		"ssiissiisss", r->id, r->kind, r->version, (int64_t)r->deleted,
		r->created_by, r->created_hlc, r->created_at, r->del_version,
		r->del_device[0] ? r->del_device : NULL,
		r->del_hlc[0] ? r->del_hlc : NULL,
		r->key[0] ? r->key : NULL);
	return rc;
}

static enum huce_err sq_fields_get(struct store *base, const char *id,
				   struct store_fieldset *out,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	store_fieldset_release(out);
	st = huce_db_query(s->db, err,
		"SELECT name, value, version, hlc, device FROM field "
		"WHERE record_id = ?1 ORDER BY name", "s", id);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_field *f;

		if (out->n == out->alloc) {
			size_t na = out->alloc ? out->alloc * 2 : 32;
			struct store_field *nv = realloc(out->v, na * sizeof(*nv));

			if (!nv) {
				rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
				break;
			}
			out->v = nv;
			out->alloc = na;
		}
		f = &out->v[out->n];
		memset(f, 0, sizeof(*f));
		copy_col(f->name, sizeof(f->name), st, 0);
		f->value = huce_db_col_dup(st, 1);
		if (!f->value) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		f->version = sqlite3_column_int64(st, 2);
		copy_col(f->hlc, sizeof(f->hlc), st, 3);
		copy_col(f->device, sizeof(f->device), st, 4);
		out->n++;
	}
	if (rc) {
		sqlite3_reset(st);
		store_fieldset_release(out);
		return rc;
	}
	rc = step_done(s, st, r, err, "cannot read fields");
	if (rc)
		store_fieldset_release(out);
	return rc;
}

static enum huce_err sq_field_get(struct store *base, const char *id,
				  const char *name, char **value,
				  struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	*value = NULL;
	st = huce_db_query(s->db, err,
		"SELECT value FROM field WHERE record_id = ?1 AND name = ?2",
		"ss", id, name);
	if (!st) {
		return err ? err->code : HUCE_EDB;
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*value = huce_db_col_dup(st, 0);
		sqlite3_reset(st);
		if (!*value)
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	} else if (step_done(s, st, r, err, "cannot read a field")) {
		rc = HUCE_EDB;
	} else {
		rc = huce_fail(err, HUCE_ENOTFOUND, "record %s has no field %s",
			       id, name);
	}
	return rc;
}

static enum huce_err sq_team_gate(struct store *base, const char *team_json,
				  const char *except,
				  char other[HUCE_ID_STRLEN + 1], int *passed,
				  struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	other[0] = '\0';
	*passed = 0;
	if (!except)
		except = "";
	/*
	 * CROSS JOIN fixes the order of the loops: from the team's index
	 * entries outwards.  Left to itself (the central has no ANALYZE
	 * statistics) SQLite drove these from record_kind, a scan of every
	 * household per lookup.  field_team holds (value, record_id), so the
	 * first in id order is a seek.
	 */
	st = huce_db_query(s->db, err,
		"SELECT t.record_id FROM field t CROSS JOIN record h "
		"WHERE h.id = t.record_id "
		"AND t.name = 'team_id' AND t.value = ?1 AND t.record_id <> ?2 "
		"AND h.kind = 'household' AND h.deleted = 0 "
		"ORDER BY t.record_id LIMIT 1", "ss", team_json, except);
	if (!st)
		rc = err ? err->code : HUCE_EDB;
	if (!rc) {
		r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			copy_col(other, HUCE_ID_STRLEN + 1, st, 0);
			sqlite3_reset(st);
		} else {
			rc = step_done(s, st, r, err, "cannot read a team");
		}
	}
	if (!rc && other[0]) {
		/*
		 * Passed: a live acceptance inspection with result pass that
		 * is not voided.  Not the stored status: a derived "accepted"
		 * implies such an inspection, and a typed one proves nothing.
		 */
		st = huce_db_query(s->db, err,
			"SELECT EXISTS (SELECT 1 FROM field t CROSS JOIN record h "
			"CROSS JOIN field k CROSS JOIN record i CROSS JOIN field res "
			"CROSS JOIN field stg WHERE h.id = t.record_id "
			"AND k.name = 'household_id' "
			"AND k.value = '\"' || t.record_id || '\"' "
			"AND i.id = k.record_id "
			"AND res.record_id = i.id AND res.name = 'result' "
			"AND stg.record_id = i.id AND stg.name = 'stage' "
			"AND t.name = 'team_id' AND t.value = ?1 AND t.record_id <> ?2 "
			"AND h.kind = 'household' AND h.deleted = 0 "
			"AND i.kind = 'inspection' AND i.deleted = 0 "
			"AND res.value = '\"pass\"' AND stg.value IN "
			"('\"completion\"', '\"first-toilet\"', '\"re-inspection\"') "
			"AND NOT EXISTS (SELECT 1 FROM field vd WHERE vd.record_id = i.id "
			"AND vd.name = 'voided' AND vd.value NOT IN ('null', '\"\"')))",
			"ss", team_json, except);
		if (!st)
			rc = err ? err->code : HUCE_EDB;
		if (!rc) {
			r = sqlite3_step(st);
			if (r == SQLITE_ROW) {
				*passed = sqlite3_column_int(st, 0) != 0;
				sqlite3_reset(st);
			} else {
				rc = step_done(s, st, r, err, "cannot read a team");
				if (!rc)
					rc = huce_fail(err, HUCE_EDB, "cannot read a team");
			}
		}
	}
	return rc;
}

/*
 * The multi-row INSERTs of fields and history (store_multi_sql): the
 * statements are built for each row count on first use and kept (not
 * in huce_db's cache, which is for literals).
 */
static sqlite3_stmt *multi_stmt(struct sqlite_store *s, sqlite3_stmt **cache,
				size_t rows, const char *head, size_t cols,
				const char *tail, struct huce_error *err)
{
	char *sql;

	if (cache[rows]) {
		sqlite3_reset(cache[rows]);
		sqlite3_clear_bindings(cache[rows]);
		return cache[rows];
	}
	sql = store_multi_sql(head, rows, cols, tail, 0);
	if (!sql) {
		huce_fail(err, HUCE_ENOMEM, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v3(huce_db_handle(s->db), sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &cache[rows], NULL)) {
		huce_db_fail(s->db, err, "cannot prepare statement");
		cache[rows] = NULL;
	}
	free(sql);
	return cache[rows];
}

static void bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, idx);
}

static enum huce_err step_once(struct sqlite_store *s, sqlite3_stmt *st,
			       struct huce_error *err, const char *what)
{
	int r = sqlite3_step(st);
	enum huce_err rc = HUCE_OK;

	if (r != SQLITE_DONE)
		rc = huce_db_fail(s->db, err, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* drop the SQLITE_STATIC pointers */
	return rc;
}

static enum huce_err sq_fields_put(struct store *base, const char *record_id,
				   const struct store_field *f, size_t n,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = multi_stmt(s, s->fput, n,
		"INSERT INTO field(record_id, name, value, version, hlc, "
		"device) VALUES ", 6,
		" ON CONFLICT(record_id, name) DO UPDATE SET "
		"value = excluded.value, version = excluded.version, "
		"hlc = excluded.hlc, device = excluded.device", err);

	if (!st)
		return err ? err->code : HUCE_EDB;
	for (size_t i = 0; i < n; i++) {
		int b = (int)(i * 6);

		bind_text(st, b + 1, record_id);
		bind_text(st, b + 2, f[i].name);
		bind_text(st, b + 3, f[i].value);
		sqlite3_bind_int64(st, b + 4, f[i].version);
		bind_text(st, b + 5, f[i].hlc);
		bind_text(st, b + 6, f[i].device);
	}
	return step_once(s, st, err, "cannot write fields");
}

static enum huce_err sq_history_add(struct store *base,
				    const struct store_history *h, size_t n,
				    struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *st = multi_stmt(s, s->hput, n,
		"INSERT INTO history(record_id, version, field, kind, "
		"before, after, device, hlc, seq, at) VALUES ", 10, "", err);

	if (!st)
		return err ? err->code : HUCE_EDB;
	for (size_t i = 0; i < n; i++) {
		int b = (int)(i * 10);

		bind_text(st, b + 1, h[i].record_id);
		sqlite3_bind_int64(st, b + 2, h[i].version);
		bind_text(st, b + 3, h[i].field);
		bind_text(st, b + 4, h[i].kind);
		bind_text(st, b + 5, h[i].before);
		bind_text(st, b + 6, h[i].after);
		bind_text(st, b + 7, h[i].device);
		bind_text(st, b + 8, h[i].hlc);
		if (h[i].seq > 0)
			sqlite3_bind_int64(st, b + 9, h[i].seq);
		else
			sqlite3_bind_null(st, b + 9);
		sqlite3_bind_int64(st, b + 10, now);
	}
	return step_once(s, st, err, "cannot write history");
}

static enum huce_err sq_history_of(struct store *base, const char *record_id,
				   store_history_cb cb, void *arg,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	st = huce_db_query(s->db, err,
		"SELECT version, field, kind, before, after, device, hlc, seq, at "
		"FROM history WHERE record_id = ?1 ORDER BY version, field",
		"s", record_id);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_history h = {
			.version = sqlite3_column_int64(st, 0),
			.record_id = record_id,
			.field = (const char *)sqlite3_column_text(st, 1),
			.kind = (const char *)sqlite3_column_text(st, 2),
			.before = (const char *)sqlite3_column_text(st, 3),
			.after = (const char *)sqlite3_column_text(st, 4),
			.device = (const char *)sqlite3_column_text(st, 5),
			.hlc = (const char *)sqlite3_column_text(st, 6),
			.seq = sqlite3_column_int64(st, 7),
		};

		rc = cb(arg, &h, sqlite3_column_int64(st, 8));
	}
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	return step_done(s, st, r, err, "cannot read history") ? HUCE_EDB : HUCE_OK;
}

static enum huce_err sq_audit(struct store *base, const char *actor,
			      const char *action, const char *detail,
			      struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc;

	rc = huce_db_run(s->db, err,
		"INSERT INTO audit(at, actor, action, detail) "
		"VALUES(?1, ?2, ?3, ?4)",
		"isss", (int64_t)time(NULL), actor, action, detail);
	return rc;
}

/* --- listings ---------------------------------------------------------- */

/*
 * The listings first collect the matching ids and only then load and
 * hand out each record: the callbacks may write (the office re-points
 * references while it walks them), and a table must not change under a
 * statement that is still stepping through it.
 */
struct idlist {
	char (*v)[HUCE_ID_STRLEN + 1];
	size_t n, alloc;
};

static enum huce_err collect_ids(struct sqlite_store *s, sqlite3_stmt *st,
				 struct idlist *ids, struct huce_error *err)
{
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids->n == ids->alloc) {
			size_t na = ids->alloc ? ids->alloc * 2 : 64;
			void *nv = realloc(ids->v, na * sizeof(*ids->v));

			if (!nv) {
				sqlite3_reset(st);
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
			}
			ids->v = nv;
			ids->alloc = na;
		}
		copy_col(ids->v[ids->n], sizeof(ids->v[0]), st, 0);
		ids->n++;
	}
	return step_done(s, st, r, err, "cannot list records");
}

/* Load each listed record with its fields and hand it to cb. */
static enum huce_err list_and_visit(struct sqlite_store *s, sqlite3_stmt *st,
				    store_record_cb cb, void *arg,
				    struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	struct idlist ids = { 0 };
	enum huce_err rc;

	rc = collect_ids(s, st, &ids, err);
	for (size_t i = 0; !rc && i < ids.n; i++)
		rc = store_visit_id(&s->base, ids.v[i], &fs, cb, arg, err);
	store_fieldset_release(&fs);
	free(ids.v);
	return rc;
}

static enum huce_err sq_by_key(struct store *base, const char *kind,
			       const char *key, const char *except,
			       store_record_cb cb, void *arg,
			       struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc;

	st = huce_db_query(s->db, err,
		"SELECT id FROM record WHERE kind = ?1 AND dkey = ?2 "
		"AND deleted = 0 AND id <> ?3", "sss", kind, key, except);
	rc = st ? list_and_visit(s, st, cb, arg, err) :
		  (err ? err->code : HUCE_EDB);
	return rc;
}

static enum huce_err sq_by_field(struct store *base, enum store_index ix,
				 const char *value_json, const char *except,
				 store_record_cb cb, void *arg,
				 struct huce_error *err)
{
	/* One literal per field, so each uses its partial index. */
#define BY_FIELD(n) \
	"SELECT f.record_id FROM field f JOIN record r ON r.id = f.record_id " \
	"WHERE f.name = '" #n "' AND f.value = ?1 AND r.deleted = 0 " \
	"AND f.record_id <> ?2 ORDER BY f.record_id",
	static const char *const sql[] = { STORE_INDEXED_FIELDS(BY_FIELD) };
#undef BY_FIELD
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	st = huce_db_query(s->db, err, sql[ix], "ss", value_json, except);
	return st ? list_and_visit(s, st, cb, arg, err) :
		    (err ? err->code : HUCE_EDB);
}

static enum huce_err sq_scan_kind(struct store *base, const char *kind,
				  int with_deleted, store_record_cb cb,
				  void *arg, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc;

	if (with_deleted)
		st = huce_db_query(s->db, err,
			"SELECT id FROM record WHERE kind = ?1 ORDER BY id",
			"s", kind);
	else
		st = huce_db_query(s->db, err,
			"SELECT id FROM record WHERE kind = ?1 AND deleted = 0 "
			"ORDER BY id", "s", kind);
	rc = st ? list_and_visit(s, st, cb, arg, err) :
		  (err ? err->code : HUCE_EDB);
	return rc;
}

static enum huce_err sq_id_match(struct store *base, const char *kind,
				 const char *key, int how,
				 char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
				 size_t *n, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int r;

	st = huce_db_query(s->db, err,
		"SELECT id FROM record WHERE kind = ?1 AND (?4 = 0 OR deleted = 0) "
		"AND (id = ?2 OR (?3 & 1 AND substr(id, 1, length(?2)) = ?2) "
		"OR (?3 & 2 AND substr(id, -length(?2)) = ?2)) ORDER BY id LIMIT ?5",
		"ssiii", kind, key, (int64_t)how, (int64_t)(how & STORE_MATCH_LIVE ? 1 : 0),
		(int64_t)max);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		copy_col(ids[(*n)++], sizeof(ids[0]), st, 0);
	return step_done(s, st, r == SQLITE_ROW ? SQLITE_DONE : r, err,
			 "cannot look up ids");
}

/* --- pages of changes ------------------------------------------------- */

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/*
 * One query for the page: the page's record rows joined with their
 * fields, one row per field, fed to store_page_row().
 */
static enum huce_err sq_changes(struct store *base, int64_t after,
				struct store_page *pg, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	/*
	 * One record more than asked tells whether another page follows.
	 * The page is a range of versions, up to that of the (limit + 1)th
	 * record after the cursor: walking record_version and each record's
	 * fields by primary key then yields the rows in the asked order,
	 * where a LIMIT subquery joined to field made SQLite sort the whole
	 * page in a temporary B-tree (values included).
	 */
	st = huce_db_query(s->db, err,
		"SELECT r.version, r.id, r.kind, r.deleted, f.name, f.value, "
		"f.device, f.hlc, r.del_version, r.del_device, r.del_hlc "
		"FROM record r LEFT JOIN field f ON f.record_id = r.id "
		"WHERE r.version > ?1 AND r.version <= coalesce((SELECT version "
		"FROM record WHERE version > ?1 ORDER BY version LIMIT 1 OFFSET ?2), "
		"9223372036854775807) ORDER BY r.version, f.name",
		"ii", after, (int64_t)pg->limit);
	if (!st)
		return err && err->code ? err->code : HUCE_EDB;
	while (!rc && !pg->more && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_page_row row = {
			.version = sqlite3_column_int64(st, 0),
			.id = col_text(st, 1), .kind = col_text(st, 2),
			.deleted = sqlite3_column_int(st, 3),
			.field = col_text(st, 4), .value = col_text(st, 5),
			.device = col_text(st, 6), .hlc = col_text(st, 7),
			.del_version = sqlite3_column_int64(st, 8),
			.del_device = col_text(st, 9), .del_hlc = col_text(st, 10),
		};

		rc = store_page_row(pg, &row);
	}
	if (!rc && !pg->more && r != SQLITE_DONE)
		rc = huce_db_fail(s->db, err, "cannot read changes");
	sqlite3_reset(st);
	return rc;
}

/* --- open and close ------------------------------------------------------ */

static void sq_close(struct store *base)
{
	struct sqlite_store *s = S(base);

	for (int i = 0; i <= STORE_MULTI_ROWS; i++) {
		sqlite3_finalize(s->fput[i]);
		sqlite3_finalize(s->hput[i]);
	}
	huce_db_close(s->db);
}

static const struct store_ops sqlite_ops = {
	.backend = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.committed_version = sq_committed_version,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.device_add = sq_device_add,
	.device_revoke = sq_device_revoke,
	.device_get = sq_device_get,
	.device_list = sq_device_list,
	.device_set_hwm = sq_device_set_hwm,
	.token_lookup = sq_token_lookup,
	.device_seen = sq_device_seen,
	.device_enroll = sq_device_enroll,
	.device_attr_get = sq_device_attr_get,
	.device_attr_set = sq_device_attr_set,
	.record_get = sq_record_get,
	.record_put = sq_record_put,
	.fields_get = sq_fields_get,
	.field_get = sq_field_get,
	.team_gate = sq_team_gate,
	.fields_put = sq_fields_put,
	.history_add = sq_history_add,
	.history_of = sq_history_of,
	.audit = sq_audit,
	.by_key = sq_by_key,
	.by_field = sq_by_field,
	.scan_kind = sq_scan_kind,
	.id_match = sq_id_match,
	.changes = sq_changes,
};

/* A new store gets its town key, the secret of the ID-number hashes. */
static enum huce_err ensure_town_key(struct sqlite_store *s,
				     struct huce_error *err)
{
	unsigned char key[32];
	char hex[65];
	char *have;
	enum huce_err rc;

	have = huce_db_meta_get(s->db, "town_key");
	if (have) {	/* the usual case: no write lock needed */
		free(have);
		return HUCE_OK;
	}
	rc = huce_db_begin(s->db, err);
	if (rc)
		return rc;
	have = huce_db_meta_get(s->db, "town_key");
	if (have) {
		free(have);
		huce_db_rollback(s->db);
		return HUCE_OK;
	}
	rc = huce_random_bytes(key, sizeof(key));
	if (rc) {
		huce_db_rollback(s->db);
		return huce_fail(err, rc, "cannot make the town key");
	}
	huce_hex(key, sizeof(key), hex);
	rc = huce_db_meta_set(s->db, "town_key", hex, err);
	if (!rc)
		rc = huce_db_commit(s->db, err);
	if (rc)
		huce_db_rollback(s->db);
	return rc;
}

enum huce_err store_sqlite_open(struct store **out, const char *path,
				int reader, struct huce_error *err)
{
	struct sqlite_store *s;
	enum huce_err rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	store_base_init(&s->base, &sqlite_ops, reader);
	rc = huce_db_open(&s->db, path, "central", err);
	/*
	 * A batch is one transaction: with SQLite's default 2 MiB page
	 * cache its dirty pages spill to the WAL over and over.  Agents send
	 * at most 1 MiB of payload (~2,000 entries) per batch, which 16 MiB
	 * holds; more only raised the central's RSS (149 MB at 1M records
	 * stored with 64 MiB, 39 MB with 16: docs/PERFORMANCE.md, fix 1).
	 * A reader holds no dirty pages: 8 MiB of cache serves its pages
	 * and token checks, and query_only makes SQLite itself refuse any
	 * write on it.
	 */
	if (!rc && reader)
		rc = huce_db_exec(s->db, "PRAGMA cache_size=-8192;"
				  "PRAGMA temp_store=MEMORY;"
				  "PRAGMA query_only=1;", err);
	else if (!rc)
		rc = huce_db_exec(s->db, "PRAGMA cache_size=-16384;"
				  "PRAGMA temp_store=MEMORY;", err);
	if (!rc && !reader)
		rc = ensure_town_key(s, err);
	if (rc) {
		store_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return HUCE_OK;
}
