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
#include "huce_log.h"

struct sqlite_store {
	struct store base;	/* first: a struct store * is a sqlite_store * */
	struct huce_db *db;
	uint64_t hlc_loaded;	/* the HLC as begin found it */
	int sp_open;		/* SAVEPOINT has been run for base.in_sp */
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

	s->sp_open = 0;
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

/*
 * Lazy savepoints (as store_pg.c has them): an entry's SAVEPOINT is run
 * with its first write (before_write), which most entries never make
 * inside it: store.c writes their records after store_release().
 */
static enum huce_err sq_savepoint(struct store *base, struct huce_error *err)
{
	(void)err;
	S(base)->sp_open = 0;
	return HUCE_OK;
}

/* Every write statement first comes here: the lazy SAVEPOINT. */
static enum huce_err before_write(struct sqlite_store *s, struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	if (s->base.in_sp && !s->sp_open) {
		rc = huce_db_run(s->db, err, "SAVEPOINT entry", "");
		s->sp_open = !rc;
	}
	return rc;
}

static enum huce_err sq_release(struct store *base, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = HUCE_OK;

	if (s->sp_open)
		rc = huce_db_run(s->db, err, "RELEASE entry", "");
	s->sp_open = 0;
	return rc;
}

static enum huce_err sq_rollback_to(struct store *base, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = HUCE_OK;

	/* An entry that wrote nothing has nothing in the database to undo. */
	if (s->sp_open) {
		rc = huce_db_run(s->db, err, "ROLLBACK TO entry", "");
		if (!rc)
			rc = huce_db_run(s->db, err, "RELEASE entry", "");
	}
	s->sp_open = 0;
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
	enum huce_err rc = before_write(S(base), err);

	return rc ? rc : huce_db_meta_set(S(base)->db, key, value, err);
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
	if ((rc = before_write(S(base), err)))
		return rc;
	return huce_db_run(S(base)->db, err,
		"INSERT INTO device(name, token_hash, created_at) "
		"VALUES(?1, ?2, ?3)",
		"ssi", name, token_hash, (int64_t)time(NULL));
}

static enum huce_err sq_device_revoke(struct store *base, const char *name,
				      struct huce_error *err)
{
	enum huce_err rc = before_write(S(base), err);

	if (rc)
		return rc;
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
	enum huce_err rc = before_write(S(base), err);

	if (rc)
		return rc;
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
	if (before_write(S(base), NULL))
		return;
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
	enum huce_err rc = before_write(s, err);

	if (rc)
		return rc;
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
	enum huce_err rc = before_write(s, err);
	int r;

	if (rc)
		return rc;
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

/* --- records: the compact layout (schema 0005) -------------------------- */

#define REC_COLS "id, kind, version, deleted, created_by, created_hlc, " \
	"created_at, del_version, del_device, del_hlc, dkey"

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

static int field_name_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct store_field *)pa)->name,
		      ((const struct store_field *)pb)->name);
}

/* Append a field (its value taken over) to a set. */
static int fieldset_push(struct store_fieldset *fs, const struct store_field *f)
{
	if (fs->n == fs->alloc) {
		size_t na = fs->alloc ? fs->alloc * 2 : 32;
		struct store_field *nv = realloc(fs->v, na * sizeof(*nv));

		if (!nv)
			return -1;
		fs->v = nv;
		fs->alloc = na;
	}
	fs->v[fs->n++] = *f;
	return 0;
}

static enum huce_err sq_row_get(struct store *base, const char *id,
				struct store_record *out, char **fields,
				char **stamps, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = huce_db_query(s->db, err,
		"SELECT " REC_COLS ", fields, stamps FROM rec WHERE id = ?1",
		"s", id);
	int r;

	*fields = *stamps = NULL;
	if (!st)
		return err ? err->code : HUCE_EDB;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		read_record(st, out);
		*fields = huce_db_col_dup(st, 11);
		*stamps = huce_db_col_dup(st, 12);
		sqlite3_reset(st);
		if (*fields && *stamps)
			return HUCE_OK;
		free(*fields);
		free(*stamps);
		*fields = *stamps = NULL;
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (step_done(s, st, r, err, "cannot read record"))
		return HUCE_EDB;
	return HUCE_ENOTFOUND;
}

static enum huce_err sq_rows_get(struct store *base, const char *ids_json,
				 store_row_cb cb, void *arg,
				 struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = huce_db_query(s->db, err,
		"SELECT r.id, r.kind, r.version, r.deleted, r.created_by, "
		"r.created_hlc, r.created_at, r.del_version, r.del_device, "
		"r.del_hlc, r.dkey, r.fields, r.stamps "
		"FROM json_each(?1) j CROSS JOIN rec r WHERE r.id = j.value",
		"s", ids_json);
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_record rec;

		read_record(st, &rec);
		rc = cb(arg, &rec, (const char *)sqlite3_column_text(st, 11),
			(const char *)sqlite3_column_text(st, 12));
	}
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	return step_done(s, st, r, err, "cannot read records") ? HUCE_EDB : HUCE_OK;
}

/* Whether r has the columns of old but its version (and its texts). */
static int row_same_but_version(const struct store_record *r,
				const struct store_record *old)
{
	return strcmp(r->kind, old->kind) == 0 && r->deleted == old->deleted &&
	       strcmp(r->created_by, old->created_by) == 0 &&
	       strcmp(r->created_hlc, old->created_hlc) == 0 &&
	       r->created_at == old->created_at &&
	       r->del_version == old->del_version &&
	       strcmp(r->del_device, old->del_device) == 0 &&
	       strcmp(r->del_hlc, old->del_hlc) == 0 &&
	       strcmp(r->key, old->key) == 0;
}

/*
 * A new record is inserted; a stored one updated, in the usual case
 * (an edit: version, fields and stamps) without touching the columns
 * of rec_kind and rec_dkey, whose entries SQLite would rewrite for
 * every column a SET names.
 */
static enum huce_err sq_row_put(struct store *base, const struct store_record *r,
				const struct store_record *old,
				const char *fields, const char *stamps,
				struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = before_write(s, err);

	if (rc)
		return rc;
	if (old && row_same_but_version(r, old))
		rc = huce_db_run(s->db, err,
			"UPDATE rec SET version = ?2, fields = ?3, stamps = ?4 "
			"WHERE id = ?1", "siss", r->id, r->version, fields, stamps);
	else if (old)
		rc = huce_db_run(s->db, err,
			"UPDATE rec SET kind = ?2, version = ?3, deleted = ?4, "
			"created_by = ?5, created_hlc = ?6, created_at = ?7, "
			"del_version = ?8, del_device = ?9, del_hlc = ?10, "
			"dkey = ?11, fields = ?12, stamps = ?13 WHERE id = ?1",
			"ssiissiisssss", r->id, r->kind, r->version, (int64_t)r->deleted,
			r->created_by, r->created_hlc, r->created_at, r->del_version,
			r->del_device[0] ? r->del_device : NULL,
			r->del_hlc[0] ? r->del_hlc : NULL,
			r->key[0] ? r->key : NULL, fields, stamps);
	else
		return huce_db_run(s->db, err,
			"INSERT INTO rec(" REC_COLS ", fields, stamps) "
			"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
			"ssiissiisssss", r->id, r->kind, r->version, (int64_t)r->deleted,
			r->created_by, r->created_hlc, r->created_at, r->del_version,
			r->del_device[0] ? r->del_device : NULL,
			r->del_hlc[0] ? r->del_hlc : NULL,
			r->key[0] ? r->key : NULL, fields, stamps);
	if (!rc && sqlite3_changes(huce_db_handle(s->db)) != 1)
		rc = huce_fail(err, HUCE_EDB, "record %s: its row is gone", r->id);
	return rc;
}

static const char *const ref_names[STORE_IX__COUNT] = {
#define REF_NAME(n) #n,
	STORE_INDEXED_FIELDS(REF_NAME)
#undef REF_NAME
};

static enum huce_err sq_ref_set(struct store *base, enum store_index ix,
				const char *record_id, const char *old_value,
				const char *new_value, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = before_write(s, err);

	if (!rc && old_value)
		rc = huce_db_run(s->db, err,
			"DELETE FROM ref WHERE name = ?1 AND value = ?2 "
			"AND record_id = ?3", "sss", ref_names[ix], old_value,
			record_id);
	if (!rc && new_value)
		rc = huce_db_run(s->db, err,
			"INSERT OR IGNORE INTO ref(name, value, record_id) "
			"VALUES(?1, ?2, ?3)", "sss", ref_names[ix], new_value,
			record_id);
	return rc;
}

static enum huce_err sq_change_add(struct store *base,
				   const struct store_change_row *c,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = before_write(s, err);

	if (rc)
		return rc;
	if (c->seq > 0)
		return huce_db_run(s->db, err,
			"INSERT INTO hist(record_id, version, kind, before, after, "
			"device, hlc, seq, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			"sisssssii", c->record_id, c->version, c->kind, c->before,
			c->after, c->device, c->hlc, c->seq, c->at);
	return huce_db_run(s->db, err,
		"INSERT INTO hist(record_id, version, kind, before, after, "
		"device, hlc, seq, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
		"sisssssi", c->record_id, c->version, c->kind, c->before,
		c->after, c->device, c->hlc, c->at);
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static enum huce_err sq_changes_of(struct store *base, const char *record_id,
				   store_change_cb cb, void *arg,
				   struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	st = huce_db_query(s->db, err,
		"SELECT version, kind, before, after, device, hlc, seq, at "
		"FROM hist WHERE record_id = ?1 ORDER BY version",
		"s", record_id);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_change_row c = {
			.record_id = record_id,
			.version = sqlite3_column_int64(st, 0),
			.kind = col_text(st, 1),
			.before = col_text(st, 2),
			.after = col_text(st, 3),
			.device = col_text(st, 4),
			.hlc = col_text(st, 5),
			.seq = sqlite3_column_int64(st, 6),
			.at = sqlite3_column_int64(st, 7),
		};

		rc = cb(arg, &c);
	}
	if (rc == HUCE_EINVAL)
		rc = huce_fail(err, HUCE_EDB, "the history of %s cannot be read",
			       record_id);
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	return step_done(s, st, r, err, "cannot read history") ? HUCE_EDB : HUCE_OK;
}

static enum huce_err sq_team_gate(struct store *base, const char *team_json,
				  const char *except,
				  char other[HUCE_ID_STRLEN + 1], int *passed,
				  char passer[2][HUCE_ID_STRLEN + 1],
				  struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r;

	other[0] = '\0';
	passer[0][0] = passer[1][0] = '\0';
	*passed = 0;
	if (!except)
		except = "";
	/*
	 * CROSS JOIN fixes the order of the loops: from the team's ref rows
	 * outwards (the central has no ANALYZE statistics).  ref holds
	 * (name, value, record_id), so the first in id order is a seek.
	 */
	st = huce_db_query(s->db, err,
		"SELECT t.record_id FROM ref t CROSS JOIN rec h "
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
		 * is not voided ("voided" absent, null or "").  Not the stored
		 * status: a derived "accepted" implies such an inspection, and
		 * a typed one proves nothing.  The fields of each live
		 * inspection of the team's households are scanned here
		 * (store_gate_passes) until one passes: cheaper than SQLite's
		 * JSON functions, which parse each text whole.
		 */
		st = huce_db_query(s->db, err,
			"SELECT i.id, i.fields, t.record_id FROM ref t CROSS JOIN rec h "
			"CROSS JOIN ref k CROSS JOIN rec i WHERE h.id = t.record_id "
			"AND t.name = 'team_id' AND t.value = ?1 AND t.record_id <> ?2 "
			"AND h.kind = 'household' AND h.deleted = 0 "
			"AND k.name = 'household_id' "
			"AND k.value = '\"' || t.record_id || '\"' "
			"AND i.id = k.record_id "
			"AND i.kind = 'inspection' AND i.deleted = 0",
			"ss", team_json, except);
		if (!st)
			rc = err ? err->code : HUCE_EDB;
		while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
			int p = store_gate_passes(col_text(st, 1));

			if (p < 0)
				rc = huce_fail(err, HUCE_EDB, "record %s: its stored "
					       "fields cannot be read", col_text(st, 0));
			else if (p)
				break;
		}
		if (!rc && r == SQLITE_ROW) {
			*passed = 1;
			/* an id cut short names no record: no passer then */
			if (sqlite3_column_bytes(st, 2) <= HUCE_ID_STRLEN &&
			    sqlite3_column_bytes(st, 0) <= HUCE_ID_STRLEN) {
				copy_col(passer[0], HUCE_ID_STRLEN + 1, st, 2);
				copy_col(passer[1], HUCE_ID_STRLEN + 1, st, 0);
			}
			sqlite3_reset(st);
		} else if (!rc) {
			rc = step_done(s, st, r, err, "cannot read a team");
		} else if (st) {
			sqlite3_reset(st);
		}
	}
	return rc;
}


static enum huce_err sq_audit(struct store *base, const char *actor,
			      const char *action, const char *detail,
			      struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	enum huce_err rc = before_write(s, err);

	if (rc)
		return rc;
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
		"SELECT id FROM rec WHERE kind = ?1 AND dkey = ?2 "
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
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	st = huce_db_query(s->db, err,
		"SELECT f.record_id FROM ref f CROSS JOIN rec r "
		"WHERE r.id = f.record_id AND f.name = ?1 AND f.value = ?2 "
		"AND r.deleted = 0 AND f.record_id <> ?3 ORDER BY f.record_id",
		"sss", ref_names[ix], value_json, except);
	return st ? list_and_visit(s, st, cb, arg, err) :
		    (err ? err->code : HUCE_EDB);
}

static enum huce_err sq_ref_texts(struct store *base, enum store_index ix,
				  const char *value_json, store_text_cb cb,
				  void *arg, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	st = huce_db_query(s->db, err,
		"SELECT f.record_id, r.kind, r.fields FROM ref f CROSS JOIN rec r "
		"WHERE r.id = f.record_id AND f.name = ?1 AND f.value = ?2 "
		"AND r.deleted = 0 ORDER BY f.record_id",
		"ss", ref_names[ix], value_json);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = cb(arg, col_text(st, 0), col_text(st, 1), col_text(st, 2));
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	return step_done(s, st, r, err, "cannot list records") ? HUCE_EDB : HUCE_OK;
}

static enum huce_err sq_ref_ids(struct store *base, enum store_index ix,
			      const char *value_json, store_id_cb cb,
			      void *arg, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	st = huce_db_query(s->db, err,
		"SELECT record_id FROM ref WHERE name = ?1 AND value = ?2 "
		"ORDER BY record_id", "ss", ref_names[ix], value_json);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = cb(arg, col_text(st, 0));
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	return step_done(s, st, r, err, "cannot list records") ? HUCE_EDB : HUCE_OK;
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
			"SELECT id FROM rec WHERE kind = ?1 ORDER BY id",
			"s", kind);
	else
		st = huce_db_query(s->db, err,
			"SELECT id FROM rec WHERE kind = ?1 AND deleted = 0 "
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
		"SELECT id FROM rec WHERE kind = ?1 AND (?4 = 0 OR deleted = 0) "
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


/*
 * One query for the page: the records after the cursor in version order
 * (rec_version), one more than asked to tell whether another page
 * follows, each fed field by field to store_page_row().
 */
static enum huce_err sq_changes(struct store *base, int64_t after,
				struct store_page *pg, struct huce_error *err)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int r = SQLITE_DONE;

	st = huce_db_query(s->db, err,
		"SELECT version, id, kind, deleted, del_version, del_device, "
		"del_hlc, fields, stamps FROM rec WHERE version > ?1 "
		"ORDER BY version LIMIT ?2",
		"ii", after, (int64_t)pg->limit + 1);
	if (!st)
		return err && err->code ? err->code : HUCE_EDB;
	while (!rc && !pg->more && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_page_row row = {
			.version = sqlite3_column_int64(st, 0),
			.id = col_text(st, 1), .kind = col_text(st, 2),
			.deleted = sqlite3_column_int(st, 3),
			.del_version = sqlite3_column_int64(st, 4),
			.del_device = col_text(st, 5), .del_hlc = col_text(st, 6),
		};

		rc = store_page_record(pg, &row, col_text(st, 7), col_text(st, 8));
		if (rc == HUCE_EDB)
			rc = huce_fail(err, HUCE_EDB, "record %s: its stored fields "
				       "cannot be read", row.id);
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
	.row_get = sq_row_get,
	.rows_get = sq_rows_get,
	.row_put = sq_row_put,
	.ref_set = sq_ref_set,
	.change_add = sq_change_add,
	.changes_of = sq_changes_of,
	.team_gate = sq_team_gate,
	.audit = sq_audit,
	.by_key = sq_by_key,
	.by_field = sq_by_field,
	.ref_texts = sq_ref_texts,
	.ref_ids = sq_ref_ids,
	.scan_kind = sq_scan_kind,
	.id_match = sq_id_match,
	.changes = sq_changes,
};

/* --- the move to the compact layout (schema 0005) ----------------------- */

struct move {
	struct huce_db *db;
	struct huce_buf a, b;
	int64_t records, fields, refs, changes, rows;
	uint64_t sum;
};

/* One old record with its fields into rec and ref; summed. */
static enum huce_err move_record(struct move *m, const struct store_record *r,
				 struct store_fieldset *fs,
				 struct huce_error *err)
{
	enum huce_err rc;

	qsort(fs->v, fs->n, sizeof(*fs->v), field_name_cmp);
	m->sum = store_record_sum(m->sum, r, fs);
	m->records++;
	m->fields += (int64_t)fs->n;
	if (store_row_encode(fs, &m->a, &m->b))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = huce_db_run(m->db, err,
		"INSERT INTO rec(" REC_COLS ", fields, stamps) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
		"ssiissiisssss", r->id, r->kind, r->version, (int64_t)r->deleted,
		r->created_by, r->created_hlc, r->created_at, r->del_version,
		r->del_device[0] ? r->del_device : NULL,
		r->del_hlc[0] ? r->del_hlc : NULL,
		r->key[0] ? r->key : NULL, m->a.data, m->b.data);
	for (int ix = 0; !rc && ix < STORE_IX__COUNT; ix++) {
		const struct store_field *f = store_fieldset_find(fs, ref_names[ix]);

		if (!f || !f->value || !*f->value || strcmp(f->value, "null") == 0)
			continue;
		rc = huce_db_run(m->db, err,
			"INSERT OR IGNORE INTO ref(name, value, record_id) "
			"VALUES(?1, ?2, ?3)", "sss", ref_names[ix], f->value, r->id);
		m->refs++;
	}
	return rc;
}

static enum huce_err move_records(struct move *m, struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	struct store_record r = { 0 };
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int have = 0, q;

	st = huce_db_query(m->db, err,
		"SELECT r.id, r.kind, r.version, r.deleted, r.created_by, "
		"r.created_hlc, r.created_at, r.del_version, r.del_device, "
		"r.del_hlc, r.dkey, f.name, f.value, f.version, f.hlc, f.device "
		"FROM record r LEFT JOIN field f ON f.record_id = r.id "
		"ORDER BY r.id, f.name", "");
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (q = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = col_text(st, 0);

		if (!have || strcmp(id, r.id) != 0) {
			if (have)
				rc = move_record(m, &r, &fs, err);
			store_fieldset_release(&fs);
			read_record(st, &r);
			have = 1;
		}
		if (!rc && sqlite3_column_type(st, 11) != SQLITE_NULL) {
			struct store_field f = { 0 };

			copy_col(f.name, sizeof(f.name), st, 11);
			f.value = huce_db_col_dup(st, 12);
			f.version = sqlite3_column_int64(st, 13);
			copy_col(f.hlc, sizeof(f.hlc), st, 14);
			copy_col(f.device, sizeof(f.device), st, 15);
			if (!f.value || fieldset_push(&fs, &f)) {
				free(f.value);
				rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			}
		}
	}
	if (!rc && q != SQLITE_DONE)
		rc = huce_db_fail(m->db, err, "cannot read the old records");
	sqlite3_reset(st);
	if (!rc && have)
		rc = move_record(m, &r, &fs, err);
	store_fieldset_release(&fs);
	return rc;
}

static enum huce_err move_change(struct move *m, struct store_history *h,
				 size_t n, int64_t at, struct huce_error *err)
{
	int has_before;

	m->changes++;
	if (store_history_encode(h, n, &m->b, &m->a, &has_before))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (h[0].seq > 0)
		return huce_db_run(m->db, err,
			"INSERT INTO hist(record_id, version, kind, before, after, "
			"device, hlc, seq, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			"sisssssii", h[0].record_id, h[0].version, h[0].kind,
			has_before ? m->b.data : NULL, m->a.data, h[0].device,
			h[0].hlc, h[0].seq, at);
	return huce_db_run(m->db, err,
		"INSERT INTO hist(record_id, version, kind, before, after, "
		"device, hlc, seq, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
		"sisssssi", h[0].record_id, h[0].version, h[0].kind,
		has_before ? m->b.data : NULL, m->a.data, h[0].device, h[0].hlc, at);
}

/* The old history rows of one change, copied out of the statement. */
struct old_change {
	struct store_history *h;
	char **texts;		/* 7 per row */
	size_t n, alloc;
	int64_t at;
};

static void old_change_reset(struct old_change *c)
{
	for (size_t i = 0; i < c->n * 7; i++)
		free(c->texts[i]);
	c->n = 0;
}

static enum huce_err move_history(struct move *m, struct huce_error *err)
{
	struct old_change c = { 0 };
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int q;

	st = huce_db_query(m->db, err,
		"SELECT record_id, version, field, kind, before, after, device, "
		"hlc, seq, at FROM history ORDER BY record_id, version, field", "");
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (q = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 1);
		char **t;

		if (c.n && (c.h[0].version != v ||
			    strcmp(c.h[0].record_id, col_text(st, 0)) != 0)) {
			rc = move_change(m, c.h, c.n, c.at, err);
			old_change_reset(&c);
		}
		if (!rc && c.n == c.alloc) {
			size_t na = c.alloc ? c.alloc * 2 : 32;
			void *nh = realloc(c.h, na * sizeof(*c.h));

			if (nh)
				c.h = nh;
			nh = nh ? realloc(c.texts, na * 7 * sizeof(*c.texts)) : NULL;
			if (!nh)
				rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			else
				c.texts = nh;
			c.alloc = nh ? na : c.alloc;
		}
		if (rc)
			break;
		t = &c.texts[c.n * 7];
		t[0] = huce_db_col_dup(st, 0);
		t[1] = huce_db_col_dup(st, 2);
		t[2] = huce_db_col_dup(st, 3);
		t[3] = sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL :
			huce_db_col_dup(st, 4);
		t[4] = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL :
			huce_db_col_dup(st, 5);
		t[5] = huce_db_col_dup(st, 6);
		t[6] = huce_db_col_dup(st, 7);
		c.h[c.n] = (struct store_history){ v, t[0], t[2], t[1], t[3], t[4],
			t[5], t[6], sqlite3_column_int64(st, 8) };
		c.at = sqlite3_column_int64(st, 9);
		c.n++;
		m->rows++;
		if (!t[0] || !t[1] || !t[2] || !t[5] || !t[6])
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (!rc && q != SQLITE_DONE)
		rc = huce_db_fail(m->db, err, "cannot read the old history");
	sqlite3_reset(st);
	if (!rc && c.n)
		rc = move_change(m, c.h, c.n, c.at, err);
	old_change_reset(&c);
	free(c.h);
	free(c.texts);
	return rc;
}

/* The sum of rec, as the store will read it. */
static enum huce_err sum_moved(struct move *m, uint64_t *sum, int64_t *n,
			       struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	sqlite3_stmt *st;
	enum huce_err rc = HUCE_OK;
	int q;

	*sum = STORE_SUM_INIT;
	*n = 0;
	st = huce_db_query(m->db, err,
		"SELECT " REC_COLS ", fields, stamps FROM rec ORDER BY id", "");
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (!rc && (q = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_record r;

		read_record(st, &r);
		rc = store_row_decode(col_text(st, 11), col_text(st, 12), &fs);
		if (rc)
			rc = huce_fail(err, HUCE_EDB, "record %s: moved fields cannot "
				       "be read", r.id);
		*sum = store_record_sum(*sum, &r, &fs);
		(*n)++;
	}
	if (!rc && q != SQLITE_DONE)
		rc = huce_db_fail(m->db, err, "cannot read the moved records");
	sqlite3_reset(st);
	store_fieldset_release(&fs);
	return rc;
}

/*
 * After migration 0005: move the records, fields and history of the old
 * tables into rec, ref and hist, in the migration's transaction, and
 * check the move (counts, and a sum of every record with its fields and
 * stamps, taken from the old tables and again from rec as the store
 * reads it).  0006 checks the counts once more in SQL, drops the old
 * tables and puts views in their place.
 */
static enum huce_err compact_migrate(struct huce_db *db, int version,
				     void *arg, struct huce_error *err)
{
	struct move m = { db, HUCE_BUF_INIT(STORE_CHANGE_BYTES_MAX),
			  HUCE_BUF_INIT(STORE_CHANGE_BYTES_MAX), 0, 0, 0, 0, 0,
			  STORE_SUM_INIT };
	uint64_t after;
	int64_t n, hn;
	enum huce_err rc;

	(void)arg;
	if (version != 5)
		return HUCE_OK;
	rc = move_records(&m, err);
	if (!rc)
		rc = move_history(&m, err);
	if (!rc)
		rc = sum_moved(&m, &after, &n, err);
	hn = rc ? 0 : huce_db_meta_int(db, "version", 0);
	if (!rc && (n != m.records || after != m.sum))
		rc = huce_fail(err, HUCE_EDB, "moving the store to the compact "
			       "layout: %lld records with sum %016llx before, %lld "
			       "with %016llx after; nothing was changed",
			       (long long)m.records, (unsigned long long)m.sum,
			       (long long)n, (unsigned long long)after);
	if (!rc && m.records)
		huce_info("central store moved to the compact layout: %lld "
			  "records, %lld fields, %lld references, %lld history "
			  "rows as %lld changes (sum %016llx, version %lld)",
			  (long long)m.records, (long long)m.fields,
			  (long long)m.refs, (long long)m.rows,
			  (long long)m.changes, (unsigned long long)m.sum,
			  (long long)hn);
	huce_buf_release(&m.a);
	huce_buf_release(&m.b);
	return rc;
}

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
	rc = huce_db_open_ex(&s->db, path, "central", compact_migrate, NULL,
			     err);
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
