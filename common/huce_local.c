/*
 * huce_local.c - generic write, delete, read and apply over the typed
 * local tables, with the outbox row written in the same transaction.
 *
 * Column names come only from the kinds table (huce_record.c), never
 * from input, so building SQL text from them is safe; values are always
 * bound.
 */
#include "huce_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_buf.h"
#include "huce_hlc.h"
#include "huce_outbox.h"
#include "huce_record.h"
#include "huce_util.h"

#define SQL_MAX (16 * 1024)

enum huce_err huce_local_open(struct huce_local **out, const char *path,
			      struct huce_error *err)
{
	struct huce_local *l;
	enum huce_err rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = huce_db_open(&l->db, path, "local", err);
	if (rc) {
		free(l);
		return rc;
	}
	*out = l;
	return HUCE_OK;
}

/*
 * A prepared statement for generated SQL, from the per-handle cache
 * (reset, bindings cleared).  Never finalise it; NULL on error.
 */
static sqlite3_stmt *local_stmt(struct huce_local *l, const char *sql,
				struct huce_error *err)
{
	sqlite3_stmt *st = NULL;
	unsigned slot;

	for (unsigned i = 0; i < HUCE_LOCAL_STMTS; i++) {
		if (l->stmts[i].sql && strcmp(l->stmts[i].sql, sql) == 0) {
			sqlite3_reset(l->stmts[i].st);
			sqlite3_clear_bindings(l->stmts[i].st);
			return l->stmts[i].st;
		}
	}
	if (sqlite3_prepare_v3(huce_db_handle(l->db), sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		huce_db_fail(l->db, err, "cannot prepare");
		return NULL;
	}
	slot = l->next_stmt++ % HUCE_LOCAL_STMTS;
	sqlite3_finalize(l->stmts[slot].st);
	free(l->stmts[slot].sql);
	l->stmts[slot].sql = strdup(sql);
	l->stmts[slot].st = st;
	if (!l->stmts[slot].sql) {
		sqlite3_finalize(st);
		l->stmts[slot].st = NULL;
		huce_fail(err, HUCE_ENOMEM, "out of memory");
		return NULL;
	}
	return st;
}

void huce_local_close(struct huce_local *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < HUCE_LOCAL_STMTS; i++) {
		sqlite3_finalize(l->stmts[i].st);
		free(l->stmts[i].sql);
	}
	if (l->in_tx)
		huce_db_rollback(l->db);
	huce_db_close(l->db);
	free(l);
}

enum huce_err huce_local_begin(struct huce_local *l, struct huce_error *err)
{
	enum huce_err rc = huce_db_begin(l->db, err);
	char *v;

	if (rc)
		return rc;
	l->in_tx = 1;
	l->hlc = 0;
	v = huce_db_meta_get(l->db, "hlc");
	if (v) {
		if (huce_hlc_parse(v, &l->hlc))
			l->hlc = 0;
		free(v);
	}
	return HUCE_OK;
}

enum huce_err huce_local_commit(struct huce_local *l, struct huce_error *err)
{
	char hex[HUCE_HLC_STRLEN + 1];
	enum huce_err rc;

	huce_hlc_format(l->hlc, hex);
	rc = huce_db_meta_set(l->db, "hlc", hex, err);
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc)
		huce_db_rollback(l->db);
	l->in_tx = 0;
	return rc;
}

void huce_local_rollback(struct huce_local *l)
{
	huce_db_rollback(l->db);
	l->in_tx = 0;
}

uint64_t huce_local_tick(struct huce_local *l)
{
	return huce_hlc_next(&l->hlc, huce_wall_ms());
}

enum huce_err huce_local_new_id(struct huce_local *l, char *out)
{
	return huce_id_v7(huce_local_tick(l), out);
}

int64_t huce_local_count(struct huce_local *l, const char *sql)
{
	sqlite3_stmt *st = huce_db_stmt(l->db, sql, NULL);
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

/* One column of a row as JSON according to the field's type. */
static cJSON *column_json(sqlite3_stmt *st, int col,
			  const struct huce_field_def *f)
{
	const char *s;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return cJSON_CreateNull();
	if (f && f->type == HUCE_F_INT)
		return cJSON_CreateNumber((double)sqlite3_column_int64(st, col));
	s = (const char *)sqlite3_column_text(st, col);
	if (f && f->type == HUCE_F_JSON) {
		cJSON *j = cJSON_Parse(s ? s : "null");

		return j ? j : cJSON_CreateNull();
	}
	return cJSON_CreateString(s ? s : "");
}

cJSON *huce_local_get(struct huce_local *l, const char *kind, const char *id,
		      struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	char sql[128];
	sqlite3_stmt *st = NULL;
	cJSON *row = NULL;
	int s;

	if (!k) {
		huce_fail(err, HUCE_EINVAL, "unknown kind '%s'", kind);
		return NULL;
	}
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE id = ?1", k->table);
	st = local_stmt(l, sql, err);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		int n = sqlite3_column_count(st);

		row = cJSON_CreateObject();
		for (int i = 0; row && i < n; i++) {
			const char *name = sqlite3_column_name(st, i);
			const struct huce_field_def *f = huce_field_find(k, name);
			cJSON *v;

			if (f && f->local_only)
				continue;
			if (!f && strcmp(name, "id") && strcmp(name, "version") &&
			    strcmp(name, "deleted"))
				continue;
			if (!f && strcmp(name, "id")) {
				v = cJSON_CreateNumber((double)sqlite3_column_int64(st, i));
			} else {
				v = column_json(st, i, f);
			}
			if (!v) {
				cJSON_Delete(row);
				row = NULL;
				break;
			}
			cJSON_AddItemToObject(row, name, v);
		}
		if (!row)
			huce_fail(err, HUCE_ENOMEM, "out of memory");
	} else if (s != SQLITE_DONE) {
		huce_db_fail(l->db, err, "cannot read");
	} else if (err) {
		huce_fail(err, HUCE_ENOTFOUND, "%s %s not found", kind, id);
	}
	sqlite3_reset(st);
	return row;
}

static enum huce_err bind_json(sqlite3_stmt *st, int idx, const cJSON *v,
			       const struct huce_field_def *f)
{
	int rc;

	if (!v || cJSON_IsNull(v)) {
		rc = sqlite3_bind_null(st, idx);
	} else if (f->type == HUCE_F_INT) {
		rc = sqlite3_bind_int64(st, idx, (sqlite3_int64)v->valuedouble);
	} else if (f->type == HUCE_F_JSON) {
		char *s = cJSON_PrintUnformatted(v);

		if (!s)
			return HUCE_ENOMEM;
		rc = sqlite3_bind_text(st, idx, s, -1, free);
	} else if (cJSON_IsString(v)) {
		rc = sqlite3_bind_text(st, idx, v->valuestring, -1, SQLITE_TRANSIENT);
	} else {
		return HUCE_EINVAL;
	}
	return rc == SQLITE_OK ? HUCE_OK : HUCE_EDB;
}

/*
 * Write the given fields of one row: INSERT when the row is absent,
 * UPDATE otherwise.  version < 0 leaves the stored version alone.
 * head_norm is derived here whenever head is written.
 */
static enum huce_err write_row(struct huce_local *l,
			       const struct huce_kind_def *k, const char *id,
			       const cJSON *fields, int exists, int64_t version,
			       int deleted, struct huce_error *err)
{
	struct huce_buf sql = HUCE_BUF_INIT(SQL_MAX);
	sqlite3_stmt *st = NULL;
	const cJSON *v;
	const cJSON *head = NULL;
	char *norm = NULL;
	int idx;
	enum huce_err rc = HUCE_OK;

	if (strcmp(k->kind, "household") == 0) {
		head = cJSON_GetObjectItemCaseSensitive(fields, "head");
		if (head && cJSON_IsString(head)) {
			norm = huce_name_normalize(head->valuestring);
			if (!norm)
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
		}
	}
	if (exists) {
		huce_buf_printf(&sql, "UPDATE %s SET deleted = ?1", k->table);
		if (version >= 0)
			huce_buf_addstr(&sql, ", version = ?2");
		idx = 3;
		cJSON_ArrayForEach(v, fields) {
			const struct huce_field_def *f = huce_field_find(k, v->string);

			if (!f || f->local_only)
				continue;
			huce_buf_printf(&sql, ", %s = ?%d", f->name, idx++);
		}
		if (norm)
			huce_buf_printf(&sql, ", head_norm = ?%d", idx++);
		rc = huce_buf_printf(&sql, " WHERE id = ?%d", idx);
	} else {
		struct huce_buf vals = HUCE_BUF_INIT(SQL_MAX);

		huce_buf_printf(&sql, "INSERT INTO %s(deleted, version", k->table);
		huce_buf_addstr(&vals, "?1, ?2");
		idx = 3;
		cJSON_ArrayForEach(v, fields) {
			const struct huce_field_def *f = huce_field_find(k, v->string);

			if (!f || f->local_only)
				continue;
			huce_buf_printf(&sql, ", %s", f->name);
			huce_buf_printf(&vals, ", ?%d", idx++);
		}
		if (norm) {
			huce_buf_addstr(&sql, ", head_norm");
			huce_buf_printf(&vals, ", ?%d", idx++);
		}
		huce_buf_addstr(&sql, ", id) VALUES(");
		/* Both buffers keep their first failure: one check each. */
		rc = huce_buf_printf(&vals, ", ?%d)", idx);
		if (!rc)
			rc = huce_buf_add(&sql, vals.data, vals.len);
		huce_buf_release(&vals);
	}
	if (rc) {
		rc = huce_fail(err, HUCE_ENOMEM, "statement too long");
		goto out;
	}
	st = local_stmt(l, sql.data, err);
	if (!st) {
		rc = err ? err->code : HUCE_EDB;
		goto out;
	}
	sqlite3_bind_int(st, 1, deleted);
	sqlite3_bind_int64(st, 2, version < 0 ? 0 : version);
	idx = 3;
	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f = huce_field_find(k, v->string);

		if (!f || f->local_only)
			continue;
		rc = bind_json(st, idx++, v, f);
		if (rc) {
			rc = huce_fail(err, rc, "%s.%s: cannot store value",
				       k->kind, f->name);
			goto out;
		}
	}
	if (norm)
		sqlite3_bind_text(st, idx++, norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, idx, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = huce_db_fail(l->db, err, "cannot write record");
out:
	if (st)
		sqlite3_reset(st);
	huce_buf_release(&sql);
	free(norm);
	return rc;
}

enum huce_err huce_local_put(struct huce_local *l, const char *kind,
			     const char *id, const cJSON *fields, int creating,
			     int *changed, struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	struct huce_error gerr = { 0 };
	cJSON *cur = NULL, *diff = NULL;
	const cJSON *v;
	enum huce_err rc;
	int exists;

	if (changed)
		*changed = 0;
	if (!k)
		return huce_fail(err, HUCE_EINVAL, "unknown kind '%s'", kind);
	if (!huce_id_valid(id))
		return huce_fail(err, HUCE_EINVAL, "'%.40s' is not a record id", id);
	cur = huce_local_get(l, kind, id, &gerr);
	if (!cur && gerr.code != HUCE_ENOTFOUND)
		return huce_fail(err, gerr.code, "%s", gerr.msg);
	exists = cur != NULL;
	if (cur && cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "deleted")) != 0)
		creating = 1;
	rc = huce_record_check(k, fields, creating && !exists, 0, err);
	if (rc)
		goto out;
	diff = cJSON_CreateObject();
	if (!diff) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(v, fields) {
		const cJSON *old = cur ? cJSON_GetObjectItemCaseSensitive(cur, v->string) : NULL;
		const struct huce_field_def *fd = huce_field_find(k, v->string);
		cJSON *copy;

		/* Derived here (status, head_norm): neither written nor sent. */
		if (fd && fd->local_only)
			continue;
		if (old && cJSON_Compare(old, v, 1))
			continue;
		if (!old && cJSON_IsNull(v))
			continue;
		copy = cJSON_Duplicate(v, 1);
		if (!copy) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			goto out;
		}
		cJSON_AddItemToObject(diff, v->string, copy);
	}
	if (!cJSON_GetArraySize(diff) && exists &&
	    cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "deleted")) == 0)
		goto out;
	rc = write_row(l, k, id, diff, exists, -1, 0, err);
	if (!rc)
		rc = huce_outbox_append(l, kind, id, "put", diff, err);
	if (!rc && changed)
		*changed = cJSON_GetArraySize(diff);
out:
	cJSON_Delete(cur);
	cJSON_Delete(diff);
	return rc;
}

enum huce_err huce_local_delete(struct huce_local *l, const char *kind,
				const char *id, struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	cJSON *empty;
	enum huce_err rc;
	char sql[128];
	sqlite3_stmt *st = NULL;

	if (!k)
		return huce_fail(err, HUCE_EINVAL, "unknown kind '%s'", kind);
	snprintf(sql, sizeof(sql),
		 "UPDATE %s SET deleted = 1 WHERE id = ?1 AND deleted = 0", k->table);
	if (sqlite3_prepare_v2(huce_db_handle(l->db), sql, -1, &st, NULL))
		return huce_db_fail(l->db, err, "cannot prepare delete");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = huce_db_fail(l->db, err, "cannot delete");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (sqlite3_changes(huce_db_handle(l->db)) == 0)
		return huce_fail(err, HUCE_ENOTFOUND, "%s %s not found", kind, id);
	empty = cJSON_CreateObject();
	if (!empty)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = huce_outbox_append(l, kind, id, "delete", empty, err);
	cJSON_Delete(empty);
	return rc;
}

/* Remove from obj every field named in a pending outbox entry of id. */
static enum huce_err drop_pending(struct huce_local *l, const char *id,
				  cJSON *obj, struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT fields FROM outbox WHERE record_id = ?1 AND state = 'pending'",
		"s", id);
	int s;

	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *f = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		const cJSON *v;

		cJSON_ArrayForEach(v, f)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, v->string);
		cJSON_Delete(f);
	}
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return huce_db_fail(l->db, err, "cannot read outbox");
	return HUCE_OK;
}

enum huce_err huce_local_apply(struct huce_local *l, const char *kind,
			       const char *id, int64_t version, int deleted,
			       const cJSON *fields, struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	cJSON *keep = NULL;
	const cJSON *v;
	enum huce_err rc;
	int exists;

	if (!k)
		return HUCE_OK;	/* a newer central's kind: ignore */
	if (!huce_id_valid(id))
		return huce_fail(err, HUCE_EINVAL, "pulled record has a bad id");
	{
		char sql[128];
		sqlite3_stmt *st;
		int s;

		snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = ?1", k->table);
		st = local_stmt(l, sql, err);
		if (!st)
			return err ? err->code : HUCE_EDB;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_ROW && s != SQLITE_DONE)
			return huce_db_fail(l->db, err, "cannot read");
		exists = s == SQLITE_ROW;
	}
	keep = cJSON_CreateObject();
	if (!keep)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f = huce_field_find(k, v->string);
		cJSON *copy;

		if (!f || f->local_only)
			continue;
		copy = cJSON_Duplicate(v, 1);
		if (!copy) {
			cJSON_Delete(keep);
			return huce_fail(err, HUCE_ENOMEM, "out of memory");
		}
		cJSON_AddItemToObject(keep, v->string, copy);
	}
	rc = drop_pending(l, id, keep, err);
	if (!rc)
		rc = write_row(l, k, id, keep, exists, version, deleted, err);
	cJSON_Delete(keep);
	return rc;
}

/*
 * Replace in row the value of every field of a pending outbox entry of
 * id by its value in cur (the local row before the restore, may be
 * NULL), and set *deleted when a delete of id is pending.
 */
static enum huce_err keep_pending(struct huce_local *l, const char *id,
				  const cJSON *cur, cJSON *row, int *deleted,
				  struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT op, fields FROM outbox WHERE record_id = ?1 "
		"AND state = 'pending' ORDER BY seq", "s", id);
	int s;

	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *op = (const char *)sqlite3_column_text(st, 0);
		cJSON *f = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
		const cJSON *v;

		if (op && strcmp(op, "delete") == 0)
			*deleted = 1;
		else if (op)
			*deleted = 0;
		cJSON_ArrayForEach(v, f) {
			const cJSON *mine = cJSON_GetObjectItemCaseSensitive(cur, v->string);
			cJSON *copy = cJSON_Duplicate(mine ? mine : v, 1);

			if (!copy) {
				cJSON_Delete(f);
				sqlite3_reset(st);
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
			}
			cJSON_DeleteItemFromObjectCaseSensitive(row, v->string);
			cJSON_AddItemToObject(row, v->string, copy);
		}
		cJSON_Delete(f);
	}
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return huce_db_fail(l->db, err, "cannot read outbox");
	return HUCE_OK;
}

enum huce_err huce_local_restore(struct huce_local *l, const char *kind,
				 const char *id, const cJSON *state,
				 struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(state, "fields");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(state, "version");
	const char *skind = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(state, "kind"));
	struct huce_error gerr = { 0 };
	cJSON *cur = NULL, *row = NULL;
	const cJSON *v;
	char sql[128];
	sqlite3_stmt *st;
	enum huce_err rc;
	int deleted, s;

	if (!k)
		return HUCE_OK;	/* a newer kind: this build keeps no row of it */
	if (!huce_id_valid(id))
		return huce_fail(err, HUCE_EINVAL, "'%.40s' is not a record id", id);
	if (state && !cJSON_IsNull(state) &&
	    (!cJSON_IsObject(state) || !cJSON_IsObject(fields) || !skind ||
	     !cJSON_IsNumber(ver) || !(ver->valuedouble >= 0 &&
				       ver->valuedouble <= 9007199254740992.0)))
		return huce_fail(err, HUCE_ESERVER,
				 "the central's state of %s %s is malformed", kind, id);
	/* The id is another kind's at the central: it has no such record. */
	if (skind && strcmp(skind, k->kind) != 0)
		state = NULL;
	deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "deleted"));
	cur = huce_local_get(l, kind, id, &gerr);
	if (!cur && gerr.code != HUCE_ENOTFOUND)
		return huce_fail(err, gerr.code, "%s", gerr.msg);
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?1", k->table);
	st = local_stmt(l, sql, err);
	if (!st) {
		rc = err ? err->code : HUCE_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE) {
		rc = huce_db_fail(l->db, err, "cannot write record");
		goto out;
	}
	rc = HUCE_OK;
	if (!state || cJSON_IsNull(state))
		goto out;
	row = cJSON_CreateObject();
	if (!row) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f = huce_field_find(k, v->string);
		cJSON *copy;

		if (!f || f->local_only || cJSON_GetObjectItemCaseSensitive(row, v->string))
			continue;
		copy = cJSON_Duplicate(v, 1);
		if (!copy) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			goto out;
		}
		cJSON_AddItemToObject(row, v->string, copy);
	}
	rc = keep_pending(l, id, cur, row, &deleted, err);
	if (!rc)
		rc = write_row(l, k, id, row, 0, (int64_t)ver->valuedouble,
			       deleted, err);
out:
	cJSON_Delete(cur);
	cJSON_Delete(row);
	return rc;
}

enum huce_err huce_local_apply_stub(struct huce_local *l, const char *kind,
				    const char *id, int64_t version,
				    const char *hlc, int *ok,
				    struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	sqlite3_stmt *st;
	char sql[160];
	int s, acked = 0, quarantined = 0;

	*ok = 0;
	if (!k) {
		*ok = 1;	/* a newer central's kind: ignored, as in full */
		return HUCE_OK;
	}
	if (!huce_id_valid(id) || !hlc || strlen(hlc) != HUCE_HLC_STRLEN)
		return HUCE_OK;
	/*
	 * The device's newest sent write of the record is the central's
	 * newest stamp, and none of its writes to the record was refused (a
	 * central that did not send a refused record's state left the
	 * quarantined value in the local row until a full record replaces
	 * it).  A newer acknowledged write that the central does
	 * not show (skipped as a replay after this file was restored from a
	 * copy, or one that changed nothing) also asks for the full record.
	 * Pending writes stay on top of a full record anyway.
	 */
	st = local_stmt(l, "SELECT coalesce(sum(state = 'quarantined'), 0), "
			"max(CASE WHEN state = 'acked' THEN hlc END) "
			"FROM outbox WHERE record_id = ?1", err);
	if (!st)
		return err ? err->code : HUCE_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		const char *newest = (const char *)sqlite3_column_text(st, 1);

		quarantined = sqlite3_column_int(st, 0);
		acked = newest && strcmp(newest, hlc) == 0;
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW)
		return huce_db_fail(l->db, err, "cannot read outbox");
	if (!acked || quarantined)
		return HUCE_OK;
	/* The record is here: it takes the version, as a full one would. */
	snprintf(sql, sizeof(sql), "UPDATE %s SET version = ?1 WHERE id = ?2",
		 k->table);
	st = local_stmt(l, sql, err);
	if (!st)
		return err ? err->code : HUCE_EDB;
	sqlite3_bind_int64(st, 1, version);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return huce_db_fail(l->db, err, "cannot write record");
	*ok = sqlite3_changes(huce_db_handle(l->db)) == 1;
	return HUCE_OK;
}
