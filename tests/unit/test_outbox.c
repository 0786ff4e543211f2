/*
 * test_outbox.c - unit tests of change capture in the local store
 * (common/huce_local.c, DESIGN.md section 3).
 *
 * The property under test: no write without its outbox row, no outbox
 * row without its write.  A put writes the typed row and exactly one
 * outbox row holding only the changed fields, the base version (meta
 * 'cursor') and an HLC timestamp later than any before it; a put that
 * changes nothing writes nothing; a write that fails part-way (a bad
 * value, or the outbox insert itself failing after the row was written,
 * forced with a temporary trigger) and is rolled back leaves neither.
 * Pulled state (huce_local_apply) never overwrites fields the device
 * has changed and not yet had acknowledged; a refused change is undone
 * (huce_local_restore) down to the central's state.  The HLC survives restarts
 * and stays monotonic when the wall clock is behind it.
 *
 * The outbox's life after a restore (common/huce_outbox.c): the rule
 * huce_outbox_ahead() that the laptop and the office's stick import
 * both decide by, as a table; a batch renumbered for the office
 * (huce_outbox_batch_shift) is the batch the renumbered outbox makes;
 * and a stick's reply to a restored file (huce_outbox_answer) renumbers
 * its entries as the office did and takes the acknowledgement, while an
 * acknowledgement of entries this file does not hold takes nothing.
 */
#include "huce_local.h"

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

#include "huce_batch.h"
#include "huce_hlc.h"
#include "huce_id.h"
#include "huce_outbox.h"

struct fixture {
	char dir[256];
	char path[300];
	struct huce_local *l;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	struct huce_error err = { HUCE_OK, "" };

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/huce-test-outbox.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/local.db", f->dir);
	if (huce_local_open(&f->l, f->path, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		free(f);
		return -1;
	}
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

	huce_local_close(f->l);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void reopen(struct fixture *f)
{
	struct huce_error err = { HUCE_OK, "" };

	huce_local_close(f->l);
	f->l = NULL;
	assert_int_equal(huce_local_open(&f->l, f->path, &err), HUCE_OK);
}

static sqlite3 *H(struct fixture *f)
{
	return huce_db_handle(f->l->db);
}

static int64_t q_int(struct fixture *f, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(H(f), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(H(f)));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A text column of the first row, malloc'd ("<NULL>" for NULL). */
static char *q_text(struct fixture *f, const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(H(f), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(H(f)));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		v = strdup(s ? s : "<NULL>");
	}
	sqlite3_finalize(st);
	return v;
}

static void exec_sql(struct fixture *f, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(H(f), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("'%s': %s", sql, msg);
}

struct outbox_row {
	int64_t seq, base;
	char record_id[64], kind[32], op[16], state[16], hlc[32];
	cJSON *fields;
};

static int outbox_get(struct fixture *f, int64_t seq, struct outbox_row *r)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sqlite3_prepare_v2(H(f),
		"SELECT seq, record_id, kind, op, fields, base, hlc, state FROM outbox "
		"WHERE seq = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		r->seq = sqlite3_column_int64(st, 0);
		snprintf(r->record_id, sizeof(r->record_id), "%s", sqlite3_column_text(st, 1));
		snprintf(r->kind, sizeof(r->kind), "%s", sqlite3_column_text(st, 2));
		snprintf(r->op, sizeof(r->op), "%s", sqlite3_column_text(st, 3));
		r->fields = cJSON_Parse((const char *)sqlite3_column_text(st, 4));
		r->base = sqlite3_column_int64(st, 5);
		snprintf(r->hlc, sizeof(r->hlc), "%s", sqlite3_column_text(st, 6));
		snprintf(r->state, sizeof(r->state), "%s", sqlite3_column_text(st, 7));
	}
	sqlite3_finalize(st);
	return found;
}

static uint64_t hlc_of(const char *s)
{
	uint64_t v = 0;

	if (huce_hlc_parse(s, &v))
		fail_msg("'%s' is not an HLC timestamp", s);
	return v;
}

static int64_t n_outbox(struct fixture *f)
{
	return q_int(f, "SELECT count(*) FROM outbox");
}

static int64_t n_village(struct fixture *f)
{
	return q_int(f, "SELECT count(*) FROM village");
}

static cJSON *village_fields(const char *name, const char *town)
{
	cJSON *o = cJSON_CreateObject();

	assert_non_null(o);
	if (name)
		cJSON_AddStringToObject(o, "name", name);
	if (town)
		cJSON_AddStringToObject(o, "town", town);
	return o;
}

/* Put in its own transaction; returns put's result (commit on success). */
static enum huce_err put1(struct fixture *f, const char *kind, const char *id,
			  cJSON *fields, int creating, int *changed)
{
	struct huce_error err = { HUCE_OK, "" };
	enum huce_err rc;

	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	rc = huce_local_put(f->l, kind, id, fields, creating, changed, &err);
	if (rc) {
		huce_local_rollback(f->l);
		return rc;
	}
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	return HUCE_OK;
}

static void test_put_writes_row_and_one_outbox_row(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", "阿猛镇");
	struct outbox_row r;
	char *s, *meta_hlc;
	int changed = -1;

	assert_int_equal(huce_db_meta_set_int(f->l->db, "cursor", 7, &err), HUCE_OK);
	huce_id_named("village", NULL, "阿猛村", id);
	assert_int_equal(put1(f, "village", id, flds, 1, &changed), HUCE_OK);
	assert_int_equal(changed, 2);

	/* The row. */
	assert_int_equal(n_village(f), 1);
	s = q_text(f, "SELECT name FROM village WHERE id = ?1", id);
	assert_string_equal(s, "阿猛村");
	free(s);
	s = q_text(f, "SELECT town FROM village WHERE id = ?1", id);
	assert_string_equal(s, "阿猛镇");
	free(s);
	assert_int_equal(q_int(f, "SELECT version + deleted FROM village"), 0);

	/* Exactly one outbox row, and what it says. */
	assert_int_equal(n_outbox(f), 1);
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r));
	assert_string_equal(r.record_id, id);
	assert_string_equal(r.kind, "village");
	assert_string_equal(r.op, "put");
	assert_string_equal(r.state, "pending");
	assert_true(r.base == 7);
	assert_non_null(r.fields);
	assert_true(cJSON_Compare(r.fields, flds, 1));
	/* The HLC it carries is what the commit persisted, or earlier. */
	meta_hlc = huce_db_meta_get(f->l->db, "hlc");
	assert_non_null(meta_hlc);
	assert_true(hlc_of(r.hlc) <= hlc_of(meta_hlc));
	assert_true(huce_hlc_ms(hlc_of(r.hlc)) + 5000 >= huce_wall_ms());
	free(meta_hlc);
	cJSON_Delete(r.fields);

	/* huce_local_get gives back what was put. */
	{
		cJSON *row = huce_local_get(f->l, "village", id, &err);

		assert_non_null(row);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(row, "name")), "阿猛村");
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(row, "id")), id);
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(row, "version")) == 0);
		cJSON_Delete(row);
	}
	cJSON_Delete(flds);
}

static void test_identical_put_writes_nothing(void **state)
{
	struct fixture *f = *state;
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", "阿猛镇");
	char *hlc_before, *hlc_after;
	int changed = -1;

	huce_id_named("village", NULL, "阿猛村", id);
	assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
	assert_int_equal(n_outbox(f), 1);
	hlc_before = q_text(f, "SELECT group_concat(hlc) FROM outbox", NULL);

	/* The same values again, as an update and as a re-creation. */
	assert_int_equal(put1(f, "village", id, flds, 0, &changed), HUCE_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(put1(f, "village", id, flds, 1, &changed), HUCE_OK);
	assert_int_equal(changed, 0);
	/* A subset of the same values. */
	{
		cJSON *sub = village_fields("阿猛村", NULL);

		assert_int_equal(put1(f, "village", id, sub, 0, &changed), HUCE_OK);
		assert_int_equal(changed, 0);
		cJSON_Delete(sub);
	}
	assert_int_equal(n_outbox(f), 1);
	assert_int_equal(n_village(f), 1);
	hlc_after = q_text(f, "SELECT group_concat(hlc) FROM outbox", NULL);
	assert_string_equal(hlc_before, hlc_after);
	free(hlc_before);
	free(hlc_after);
	cJSON_Delete(flds);
}

static void test_only_changed_fields(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", "阿猛镇");
	struct outbox_row r1, r2, r3;
	char *s;
	int changed = -1;

	huce_id_named("village", NULL, "阿猛村", id);
	assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
	cJSON_Delete(flds);
	/* The device has since seen central version 9. */
	assert_int_equal(huce_db_meta_set_int(f->l->db, "cursor", 9, &err), HUCE_OK);

	flds = village_fields("阿猛村", "新街镇");
	assert_int_equal(put1(f, "village", id, flds, 0, &changed), HUCE_OK);
	assert_int_equal(changed, 1);
	cJSON_Delete(flds);
	/* Clearing an optional field is a change too. */
	flds = cJSON_CreateObject();
	cJSON_AddNullToObject(flds, "town");
	assert_int_equal(put1(f, "village", id, flds, 0, &changed), HUCE_OK);
	assert_int_equal(changed, 1);
	cJSON_Delete(flds);

	assert_int_equal(n_outbox(f), 3);
	assert_int_equal(n_village(f), 1);
	assert_true(outbox_get(f, q_int(f, "SELECT min(seq) FROM outbox"), &r1));
	assert_true(outbox_get(f, q_int(f, "SELECT min(seq) FROM outbox WHERE seq > "
					 "(SELECT min(seq) FROM outbox)"), &r2));
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r3));
	assert_true(r1.seq < r2.seq && r2.seq < r3.seq);
	assert_true(hlc_of(r1.hlc) < hlc_of(r2.hlc));
	assert_true(hlc_of(r2.hlc) < hlc_of(r3.hlc));
	assert_true(r1.base == 0);
	assert_true(r2.base == 9);
	assert_true(r3.base == 9);
	/* Only the changed field. */
	{
		cJSON *want = cJSON_Parse("{\"town\":\"新街镇\"}");

		assert_true(cJSON_Compare(r2.fields, want, 1));
		cJSON_Delete(want);
		want = cJSON_Parse("{\"town\":null}");
		assert_true(cJSON_Compare(r3.fields, want, 1));
		cJSON_Delete(want);
	}
	s = q_text(f, "SELECT town FROM village WHERE id = ?1", id);
	assert_string_equal(s, "<NULL>");
	free(s);
	cJSON_Delete(r1.fields);
	cJSON_Delete(r2.fields);
	cJSON_Delete(r3.fields);
}

/* Invalid input: refused before anything is written, and rollback undoes the rest. */
static void test_invalid_put_then_rollback(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char vid[HUCE_ID_STRLEN + 1], cid[HUCE_ID_STRLEN + 1];
	static const char *const bad_json[] = {
		"{\"name\":\"a\\nb\",\"role\":\"liaison\"}",	/* control char */
		"{\"name\":\"张三\",\"role\":\"boss\"}",		/* not an allowed value */
		"{\"name\":\"张三\"}",				/* required role missing */
		"{\"name\":\"\",\"role\":\"liaison\"}",		/* empty required */
		"{\"name\":\"张三\",\"role\":\"liaison\",\"salary\":\"x\"}",	/* unknown field */
		"{\"name\":\"张三\",\"role\":\"liaison\",\"version\":5}",
		"{\"name\":7,\"role\":\"liaison\"}",		/* wrong type */
		"{\"name\":\"张三\",\"role\":\"liaison\",\"phone\":\"1234567890123456789012345678901234567890\"}",
	};
	cJSON *v = village_fields("阿猛村", NULL);

	huce_id_named("village", NULL, "阿猛村", vid);
	huce_id_named("cadre", NULL, "张三", cid);
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		cJSON *c = cJSON_Parse(bad_json[i]);
		enum huce_err rc;

		assert_non_null(c);
		assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
		/* A good write first, in the same transaction. */
		assert_int_equal(huce_local_put(f->l, "village", vid, v, 1, NULL, &err), HUCE_OK);
		err.msg[0] = '\0';
		rc = huce_local_put(f->l, "cadre", cid, c, 1, NULL, &err);
		if (rc != HUCE_EINVAL)
			fail_msg("case %zu (%s): got %d", i, bad_json[i], rc);
		assert_true(err.msg[0] != '\0');
		/* The bad write itself wrote nothing. */
		assert_int_equal(q_int(f, "SELECT count(*) FROM cadre"), 0);
		assert_int_equal(n_outbox(f), 1);
		huce_local_rollback(f->l);
		assert_int_equal(n_village(f), 0);
		assert_int_equal(n_outbox(f), 0);
		assert_null(huce_db_meta_get(f->l->db, "hlc"));
		cJSON_Delete(c);
	}
	/* Bad kind and bad id. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_put(f->l, "nosuchkind", vid, v, 1, NULL, &err), HUCE_EINVAL);
	assert_int_equal(huce_local_put(f->l, "village", "not-an-id", v, 1, NULL, &err), HUCE_EINVAL);
	assert_int_equal(huce_local_put(f->l, "village", "'; DROP TABLE village; --", v, 1, NULL,
					&err), HUCE_EINVAL);
	huce_local_rollback(f->l);
	assert_int_equal(n_village(f), 0);
	assert_int_equal(n_outbox(f), 0);
	cJSON_Delete(v);
}

/*
 * The outbox insert fails after the typed row was written: the put
 * reports the failure, and rollback leaves neither the row nor an
 * outbox entry, nor an advanced HLC.
 */
static void test_outbox_failure_after_row_written(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", "阿猛镇");
	enum huce_err rc;
	char *hlc_before, *hlc_after, *s;

	huce_id_named("village", NULL, "阿猛村", id);
	exec_sql(f, "CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON outbox "
		    "BEGIN SELECT RAISE(ABORT, 'outbox full'); END;");

	/* 1. Creating a record. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	rc = huce_local_put(f->l, "village", id, flds, 1, NULL, &err);
	assert_int_not_equal(rc, HUCE_OK);
	assert_non_null(strstr(err.msg, "outbox full"));
	/* The row had been written: the rollback is what removes it. */
	assert_int_equal(n_village(f), 1);
	huce_local_rollback(f->l);
	assert_int_equal(n_village(f), 0);
	assert_int_equal(n_outbox(f), 0);
	assert_null(huce_db_meta_get(f->l->db, "hlc"));

	/* Without the trigger the same put works. */
	exec_sql(f, "DROP TRIGGER no_outbox;");
	assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
	assert_int_equal(n_village(f), 1);
	assert_int_equal(n_outbox(f), 1);
	hlc_before = huce_db_meta_get(f->l->db, "hlc");

	/* 2. Updating it. */
	exec_sql(f, "CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON outbox "
		    "BEGIN SELECT RAISE(ABORT, 'outbox full'); END;");
	cJSON_Delete(flds);
	flds = village_fields("阿猛村", "新街镇");
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_not_equal(huce_local_put(f->l, "village", id, flds, 0, NULL, &err), HUCE_OK);
	s = q_text(f, "SELECT town FROM village WHERE id = ?1", id);
	assert_string_equal(s, "新街镇");	/* written, pending rollback */
	free(s);
	huce_local_rollback(f->l);
	s = q_text(f, "SELECT town FROM village WHERE id = ?1", id);
	assert_string_equal(s, "阿猛镇");
	free(s);
	assert_int_equal(n_outbox(f), 1);

	/* 3. Deleting it. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_not_equal(huce_local_delete(f->l, "village", id, &err), HUCE_OK);
	huce_local_rollback(f->l);
	assert_int_equal(q_int(f, "SELECT deleted FROM village"), 0);
	assert_int_equal(n_outbox(f), 1);

	hlc_after = huce_db_meta_get(f->l->db, "hlc");
	assert_string_equal(hlc_before, hlc_after);
	free(hlc_before);
	free(hlc_after);
	cJSON_Delete(flds);
}

/* The row write fails: no outbox row is made at all. */
static void test_row_failure_no_outbox(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", NULL);

	huce_id_named("village", NULL, "阿猛村", id);
	exec_sql(f, "CREATE TEMP TRIGGER no_village BEFORE INSERT ON village "
		    "BEGIN SELECT RAISE(ABORT, 'disk says no'); END;");
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_not_equal(huce_local_put(f->l, "village", id, flds, 1, NULL, &err), HUCE_OK);
	assert_int_equal(n_outbox(f), 0);
	assert_int_equal(n_village(f), 0);
	huce_local_rollback(f->l);
	assert_int_equal(n_outbox(f), 0);
	cJSON_Delete(flds);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *flds = village_fields("阿猛村", NULL);
	struct outbox_row r;

	huce_id_named("village", NULL, "阿猛村", id);
	assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_delete(f->l, "village", id, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT deleted FROM village"), 1);
	assert_int_equal(n_outbox(f), 2);
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r));
	assert_string_equal(r.op, "delete");
	assert_string_equal(r.record_id, id);
	assert_int_equal(cJSON_GetArraySize(r.fields), 0);
	cJSON_Delete(r.fields);
	/* Deleting twice: not found, nothing queued. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_delete(f->l, "village", id, &err), HUCE_ENOTFOUND);
	huce_local_rollback(f->l);
	assert_int_equal(n_outbox(f), 2);
	/* Re-adding revives it, with its own outbox row. */
	assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT deleted FROM village"), 0);
	assert_int_equal(n_outbox(f), 3);
	cJSON_Delete(flds);
}

/* Pulled state does not overwrite fields with pending local changes. */
static void test_apply_keeps_pending(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1], other[HUCE_ID_STRLEN + 1];
	cJSON *local = village_fields("本地名", NULL);
	cJSON *pulled = village_fields("中心名", "中心镇");
	int64_t before;
	char *s;

	huce_id_named("village", NULL, "本地名", id);
	assert_int_equal(put1(f, "village", id, local, 1, NULL), HUCE_OK);
	before = n_outbox(f);

	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_apply(f->l, "village", id, 3, 0, pulled, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	s = q_text(f, "SELECT name FROM village WHERE id = ?1", id);
	assert_string_equal(s, "本地名");	/* pending: kept */
	free(s);
	s = q_text(f, "SELECT town FROM village WHERE id = ?1", id);
	assert_string_equal(s, "中心镇");	/* not pending: taken */
	free(s);
	assert_int_equal(q_int(f, "SELECT version FROM village"), 3);
	assert_int_equal(n_outbox(f), before);	/* apply queues nothing */

	/* Once the central has acknowledged the edit, pulled values win. */
	exec_sql(f, "UPDATE outbox SET state = 'acked'");
	cJSON_Delete(pulled);
	pulled = village_fields("中心名二", "中心镇");
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_apply(f->l, "village", id, 4, 0, pulled, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	s = q_text(f, "SELECT name FROM village WHERE id = ?1", id);
	assert_string_equal(s, "中心名二");
	free(s);
	assert_int_equal(q_int(f, "SELECT version FROM village"), 4);

	/* A quarantined entry is not pending either. */
	exec_sql(f, "UPDATE outbox SET state = 'quarantined'");

	/* A record this device never had is inserted at its version. */
	huce_id_named("village", NULL, "远方村", other);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_apply(f->l, "village", other, 12, 0, pulled, &err), HUCE_OK);
	/* Deleted at the central. */
	assert_int_equal(huce_local_apply(f->l, "village", id, 13, 1, pulled, &err), HUCE_OK);
	/* A kind from a newer central is ignored; a bad id is refused. */
	assert_int_equal(huce_local_apply(f->l, "spaceship", other, 14, 0, pulled, &err), HUCE_OK);
	assert_int_equal(huce_local_apply(f->l, "village", "x", 14, 0, pulled, &err), HUCE_EINVAL);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT version FROM village WHERE name = '中心名二' AND town = '中心镇' "
			       "AND deleted = 0"), 12);
	assert_int_equal(q_int(f, "SELECT deleted FROM village WHERE version = 13"), 1);
	assert_int_equal(n_outbox(f), before);
	cJSON_Delete(local);
	cJSON_Delete(pulled);
}

/* A pending household edit survives a pull; other fields update. */
static void test_apply_household(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *h = cJSON_Parse(
		"{\"village_id\":\"ebdebf93-7d17-8b1e-ae58-76b1682c6fc0\","
		"\"group_id\":\"2534d499-b9c6-82ab-88c1-2cc43992ea2d\","
		"\"head\":\"张　三\",\"approach\":\"new-build\",\"build\":\"self\","
		"\"type\":\"three-grid\",\"status\":\"planned\"}");
	cJSON *set = cJSON_Parse("{\"house_no\":\"7\",\"status\":\"built\"}");
	cJSON *pulled = cJSON_Parse(
		"{\"village_id\":\"ebdebf93-7d17-8b1e-ae58-76b1682c6fc0\","
		"\"group_id\":\"2534d499-b9c6-82ab-88c1-2cc43992ea2d\","
		"\"head\":\"张四\",\"head_norm\":\"forged\",\"approach\":\"new-build\","
		"\"build\":\"self\",\"type\":\"sewer\",\"status\":\"planned\"}");
	char *s;
	struct outbox_row r;

	assert_non_null(h);
	assert_non_null(set);
	assert_non_null(pulled);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_new_id(f->l, id), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(put1(f, "household", id, h, 1, NULL), HUCE_OK);
	/* head_norm is derived locally and never queued. */
	s = q_text(f, "SELECT head_norm FROM household WHERE id = ?1", id);
	assert_string_equal(s, "张三");
	free(s);
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r));
	assert_null(cJSON_GetObjectItem(r.fields, "head_norm"));
	/*
	 * status is derived on the laptop (huce_domain_local.h): not stored
	 * from the creation, not queued.
	 */
	assert_null(cJSON_GetObjectItem(r.fields, "status"));
	cJSON_Delete(r.fields);
	s = q_text(f, "SELECT status FROM household WHERE id = ?1", id);
	assert_string_equal(s, "planned");
	free(s);
	/* The acked creation, then a pending edit (status in it is dropped). */
	exec_sql(f, "UPDATE outbox SET state = 'acked'");
	assert_int_equal(put1(f, "household", id, set, 0, NULL), HUCE_OK);
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r));
	assert_null(cJSON_GetObjectItem(r.fields, "status"));
	assert_non_null(cJSON_GetObjectItem(r.fields, "house_no"));
	cJSON_Delete(r.fields);

	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_apply(f->l, "household", id, 5, 0, pulled, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	s = q_text(f, "SELECT status || '|' || house_no || '|' || head || '|' || type || "
		      "'|' || head_norm FROM household WHERE id = ?1", id);
	/* The pulled status is not taken either: it is derived here. */
	assert_string_equal(s, "planned|7|张四|sewer|张四");
	free(s);
	cJSON_Delete(h);
	cJSON_Delete(set);
	cJSON_Delete(pulled);
}

/*
 * A refused change is undone (huce_local_restore): the row becomes the
 * central's state, a column the central has no value for takes its
 * default, and only pending fields stay on top; no state, or a state of
 * another kind, removes the row; a malformed state is refused.
 */
static void test_restore(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *h = cJSON_Parse(
		"{\"village_id\":\"ebdebf93-7d17-8b1e-ae58-76b1682c6fc0\","
		"\"group_id\":\"2534d499-b9c6-82ab-88c1-2cc43992ea2d\","
		"\"head\":\"张三\",\"approach\":\"new-build\",\"build\":\"self\","
		"\"type\":\"three-grid\"}");
	cJSON *refused = cJSON_Parse(
		"{\"build\":\"contracted\",\"status\":\"building\","
		"\"team_id\":\"7598f32b-0bb0-8dec-92ae-3e710c94597a\"}");
	cJSON *phone = cJSON_Parse("{\"phone\":\"13900000001\"}");
	cJSON *central = cJSON_Parse(
		"{\"kind\":\"household\",\"version\":7,\"deleted\":false,\"fields\":"
		"{\"village_id\":\"ebdebf93-7d17-8b1e-ae58-76b1682c6fc0\","
		"\"group_id\":\"2534d499-b9c6-82ab-88c1-2cc43992ea2d\","
		"\"head\":\"张 三\",\"approach\":\"new-build\",\"build\":\"self\","
		"\"type\":\"three-grid\",\"phone\":\"13800000000\",\"spaceship\":1}}");
	cJSON *other = cJSON_Parse(
		"{\"kind\":\"team\",\"version\":2,\"deleted\":false,\"fields\":{\"name\":\"x\"}}");
	static const char *const bad[] = {
		"[]", "{\"kind\":\"household\",\"version\":1,\"deleted\":false}",
		"{\"kind\":\"household\",\"version\":-1,\"fields\":{}}",
		"{\"version\":1,\"fields\":{}}",
		"{\"kind\":\"household\",\"version\":1e300,\"fields\":{}}",
	};
	char *s;

	assert_non_null(h);
	assert_non_null(refused);
	assert_non_null(phone);
	assert_non_null(central);
	assert_non_null(other);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_new_id(f->l, id), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(put1(f, "household", id, h, 1, NULL), HUCE_OK);
	assert_int_equal(put1(f, "household", id, refused, 0, NULL), HUCE_OK);
	exec_sql(f, "UPDATE outbox SET state = 'acked' WHERE seq = 1");
	exec_sql(f, "UPDATE outbox SET state = 'quarantined' WHERE seq = 2");
	assert_int_equal(put1(f, "household", id, phone, 0, NULL), HUCE_OK);

	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_restore(f->l, "household", id, central, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	s = q_text(f, "SELECT build || '|' || coalesce(team_id, 'none') || '|' || status || '|' || "
		      "phone || '|' || head || '|' || head_norm || '|' || version || '|' || deleted "
		      "FROM household WHERE id = ?1", id);
	assert_string_equal(s, "self|none|planned|13900000001|张 三|张三|7|0");
	free(s);
	assert_int_equal(n_outbox(f), 3);	/* restoring queues nothing */

	/* A pending delete keeps the record deleted. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_delete(f->l, "household", id, &err), HUCE_OK);
	assert_int_equal(huce_local_restore(f->l, "household", id, central, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT deleted FROM household"), 1);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *b = cJSON_Parse(bad[i]);

		assert_non_null(b);
		assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
		assert_int_equal(huce_local_restore(f->l, "household", id, b, &err),
				 HUCE_ESERVER);
		huce_local_rollback(f->l);
		cJSON_Delete(b);
	}
	assert_int_equal(q_int(f, "SELECT count(*) FROM household"), 1);

	/* The id is another kind's at the central, or the central has none. */
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_restore(f->l, "household", id, other, &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT count(*) FROM household"), 0);
	assert_int_equal(huce_local_restore(f->l, "household", id, NULL, &err), HUCE_OK);
	assert_int_equal(huce_local_restore(f->l, "spaceship", id, NULL, &err), HUCE_OK);
	assert_int_equal(huce_local_restore(f->l, "household", "x", NULL, &err), HUCE_EINVAL);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT count(*) FROM household"), 0);
	cJSON_Delete(h);
	cJSON_Delete(refused);
	cJSON_Delete(phone);
	cJSON_Delete(central);
	cJSON_Delete(other);
}

/*
 * The HLC is persisted by commit and reloaded by begin: across reopening
 * it keeps increasing, and a stored value ahead of the wall clock (the
 * clock was set back, or the value came from a device with a fast
 * clock) is never gone back on.
 */
static void test_hlc_persisted_monotonic(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	uint64_t t1, t2, t3, t4, future;
	char hex[HUCE_HLC_STRLEN + 1], id[HUCE_ID_STRLEN + 1], *s;
	cJSON *flds = village_fields("阿猛村", NULL);
	struct outbox_row r;

	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	t1 = huce_local_tick(f->l);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	s = huce_db_meta_get(f->l->db, "hlc");
	huce_hlc_format(t1, hex);
	assert_string_equal(s, hex);
	free(s);

	reopen(f);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	t2 = huce_local_tick(f->l);
	assert_true(t2 > t1);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);

	/* Ten years ahead of the wall clock, counter 5. */
	future = ((huce_wall_ms() + 10ull * 365 * 86400 * 1000) << 16) | 5;
	huce_hlc_format(future, hex);
	assert_int_equal(huce_db_meta_set(f->l->db, "hlc", hex, &err), HUCE_OK);
	reopen(f);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	t3 = huce_local_tick(f->l);
	assert_true(t3 > future);
	huce_id_named("village", NULL, "阿猛村", id);
	assert_int_equal(huce_local_put(f->l, "village", id, flds, 1, NULL, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	assert_true(outbox_get(f, q_int(f, "SELECT max(seq) FROM outbox"), &r));
	assert_true(hlc_of(r.hlc) > t3);
	cJSON_Delete(r.fields);

	reopen(f);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	t4 = huce_local_tick(f->l);
	assert_true(t4 > hlc_of(r.hlc));
	/* A new id made now sorts after ids made before. */
	{
		char newer[HUCE_ID_STRLEN + 1], older[HUCE_ID_STRLEN + 1];

		assert_int_equal(huce_id_v7(t2, older), HUCE_OK);
		assert_int_equal(huce_local_new_id(f->l, newer), HUCE_OK);
		assert_true(strcmp(older, newer) < 0);
	}
	huce_local_rollback(f->l);
	cJSON_Delete(flds);
}

/* seq never goes back, even when acknowledged rows are pruned. */
static void test_seq_monotonic(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "一村", "二村", "三村", "四村", "五村" };
	char id[HUCE_ID_STRLEN + 1];
	int64_t prev = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON *flds = village_fields(names[i], NULL);
		int64_t seq;

		if (i == 3) {
			exec_sql(f, "DELETE FROM outbox");
			reopen(f);
		}
		huce_id_named("village", NULL, names[i], id);
		assert_int_equal(put1(f, "village", id, flds, 1, NULL), HUCE_OK);
		seq = q_int(f, "SELECT max(seq) FROM outbox");
		assert_true(seq > prev);
		prev = seq;
		cJSON_Delete(flds);
	}
	assert_true(prev == 5);
}

static void test_get_errors(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char id[HUCE_ID_STRLEN + 1];

	huce_id_named("village", NULL, "无此村", id);
	assert_null(huce_local_get(f->l, "village", id, &err));
	assert_int_equal(err.code, HUCE_ENOTFOUND);
	assert_null(huce_local_get(f->l, "village", id, NULL));
	assert_null(huce_local_get(f->l, "nosuchkind", id, &err));
	assert_int_equal(err.code, HUCE_EINVAL);
	huce_local_close(NULL);	/* no-op */
}


/* huce_outbox_ahead(): the laptop's probe and the office's, one table. */
static void test_ahead_table(void **state)
{
	static const char A[] = "01a2288ef4c30001", B[] = "01a2288ef4c30002";
	static const char LATE[] = "01a2288ef4c3ffff", EARLY[] = "01a2288ef4c30000";
	static const struct {
		int64_t hwm;
		const char *hwm_hlc, *mine;
		int64_t max_seq;
		const char *clock;
		enum huce_ahead want;
	} t[] = {
		/* the laptop, which sees its whole outbox */
		{ 9, A, A, 12, NULL, HUCE_AHEAD_LOST },
		{ 9, A, B, 12, NULL, HUCE_AHEAD_RESTORED },	/* another entry */
		{ 9, A, "", 5, NULL, HUCE_AHEAD_RESTORED },	/* none */
		{ 9, "", "", 5, NULL, HUCE_AHEAD_RESTORED },	/* past every seq */
		{ 9, "", A, 12, NULL, HUCE_AHEAD_UNKNOWN },	/* an old central */
		/* the office, which sees an export written at clock */
		{ 9, A, A, 12, LATE, HUCE_AHEAD_LOST },
		{ 9, A, B, 12, LATE, HUCE_AHEAD_RESTORED },
		{ 9, A, "", 5, LATE, HUCE_AHEAD_RESTORED },	/* written before it */
		{ 9, LATE, "", 5, A, HUCE_AHEAD_UNKNOWN },	/* maybe pushed since */
		{ 9, "", "", 5, A, HUCE_AHEAD_UNKNOWN },
		{ 9, EARLY, "", 5, A, HUCE_AHEAD_RESTORED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (huce_outbox_ahead(t[i].hwm, t[i].hwm_hlc, t[i].mine, t[i].max_seq,
				      t[i].clock) != t[i].want)
			fail_msg("row %zu: got %d, want %d", i,
				 (int)huce_outbox_ahead(t[i].hwm, t[i].hwm_hlc, t[i].mine,
							t[i].max_seq, t[i].clock),
				 (int)t[i].want);
}

/* Three villages written; returns their ids in ids. */
static void three_villages(struct fixture *f, char ids[3][HUCE_ID_STRLEN + 1])
{
	static const char *const names[] = { "甲村", "乙村", "丙村" };

	for (int i = 0; i < 3; i++) {
		cJSON *v = village_fields(names[i], NULL);

		assert_int_equal(huce_local_new_id(f->l, ids[i]), HUCE_OK);
		assert_int_equal(put1(f, "village", ids[i], v, 1, NULL), HUCE_OK);
		cJSON_Delete(v);
	}
}

/*
 * The batch of a restored file, shifted for the office, is the batch
 * its renumbered outbox makes: same entries, seqs moved, in the header
 * too.
 */
static void test_batch_shift(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	struct huce_buf pay = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf b = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_buf moved = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_buf got = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_batch_header h;
	char ids[3][HUCE_ID_STRLEN + 1];
	int64_t first, last, count;
	cJSON *in, *out;
	int i = 0;
	const cJSON *e;

	three_villages(f, ids);
	assert_int_equal(huce_outbox_payload(f->l, 0, 1 << 20, &pay, &first, &last,
					     &count, &err), HUCE_OK);
	assert_int_equal(count, 3);
	assert_int_equal(huce_batch_encode("lap", (uint64_t)first, (uint64_t)last,
					   (uint32_t)count, pay.data, pay.len, 6, &b,
					   &err), HUCE_OK);
	assert_int_equal(huce_outbox_batch_shift(b.data, b.len, 40, &moved, &err), HUCE_OK);
	assert_int_equal(huce_batch_decode(moved.data, moved.len, HUCE_BATCH_MAX_RAW,
					   &h, &got, &err), HUCE_OK);
	assert_string_equal(h.device, "lap");
	assert_int_equal(h.first_seq, 41);
	assert_int_equal(h.last_seq, 43);
	assert_int_equal(h.count, 3);
	in = cJSON_ParseWithLength(pay.data, pay.len);
	out = cJSON_ParseWithLength(got.data, got.len);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(out, "entries")) {
		cJSON *orig = cJSON_Duplicate(cJSON_GetArrayItem(cJSON_GetObjectItem(in, "entries"), i++), 1);

		assert_int_equal(huce_wire_int(cJSON_GetObjectItem(e, "seq")),
				 huce_wire_int(cJSON_GetObjectItem(orig, "seq")) + 40);
		cJSON_SetNumberValue(cJSON_GetObjectItem(orig, "seq"),
				     cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq")));
		assert_true(cJSON_Compare(orig, e, 1));
		cJSON_Delete(orig);
	}
	assert_int_equal(i, 3);
	/* not a batch: refused, nothing made */
	assert_int_equal(huce_outbox_batch_shift("HUCBxx", 6, 1, &moved, &err), HUCE_EINVAL);
	assert_int_equal(moved.len, 0);
	cJSON_Delete(in);
	cJSON_Delete(out);
	huce_buf_release(&pay);
	huce_buf_release(&b);
	huce_buf_release(&moved);
	huce_buf_release(&got);
}

/*
 * A stick's reply to a restored file: the office had this device's
 * entries up to 7 (probe), took the export's three entries as 8..10; the
 * file renumbers them so and takes 10 as acknowledged.  A reply whose
 * entry 10 is not this file's takes nothing: the entries go after it,
 * pending, to be sent again.
 */
static void test_answer_restored(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	static const char lost[] = "01a2288ef4c30001";
	char ids[3][HUCE_ID_STRLEN + 1], *h3;
	int64_t nrej = -1;

	three_villages(f, ids);
	h3 = q_text(f, "SELECT hlc FROM outbox WHERE seq = 3", NULL);
	assert_int_equal(huce_outbox_answer(f->l, 7, lost, 10, h3, NULL, 0, &nrej,
					    &err), HUCE_OK);
	assert_int_equal(nrej, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM outbox WHERE state = 'acked' "
			       "AND seq IN (8, 9, 10)"), 3);
	assert_int_equal(q_int(f, "SELECT value FROM meta WHERE key = 'acked_seq'"), 10);
	assert_int_equal(q_int(f, "SELECT count(*) FROM outbox"), 3);
	free(h3);

	/* the next write follows them */
	{
		cJSON *v = village_fields("丁村", NULL);
		char id[HUCE_ID_STRLEN + 1];

		assert_int_equal(huce_local_new_id(f->l, id), HUCE_OK);
		assert_int_equal(put1(f, "village", id, v, 1, NULL), HUCE_OK);
		cJSON_Delete(v);
	}
	assert_int_equal(q_int(f, "SELECT max(seq) FROM outbox"), 11);

	/* a reply naming an entry 14 that is not this file's: nothing taken */
	assert_int_equal(huce_outbox_answer(f->l, 10, lost, 14, lost, NULL, 0, &nrej,
					    &err), HUCE_OK);
	assert_int_equal(q_int(f, "SELECT value FROM meta WHERE key = 'acked_seq'"), 14);
	assert_int_equal(q_int(f, "SELECT min(seq) FROM outbox WHERE state = 'pending'"), 15);
	assert_int_equal(q_int(f, "SELECT count(*) FROM outbox WHERE state = 'pending'"), 1);
}

/*
 * A late answer names a refused entry by seq and record: if this file's
 * entry at that seq is of another record (it renumbered since), nothing
 * is quarantined and no record is put back.
 */
static void test_ack_other_record(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { HUCE_OK, "" };
	char ids[3][HUCE_ID_STRLEN + 1], text[400];
	cJSON *rej;
	int64_t nrej = -1;

	three_villages(f, ids);
	snprintf(text, sizeof(text), "[{\"seq\": 2, \"id\": \"%s\", \"error\": \"invalid\", "
		 "\"message\": \"no\", \"state\": null}]", ids[0]);
	rej = cJSON_Parse(text);
	assert_int_equal(huce_outbox_ack(f->l, 3, rej, &nrej, &err), HUCE_OK);
	assert_int_equal(nrej, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM outbox WHERE state = 'acked'"), 3);
	assert_int_equal(n_village(f), 3);
	cJSON_Delete(rej);
	/* the same answer naming the right record quarantines it */
	snprintf(text, sizeof(text), "[{\"seq\": 2, \"id\": \"%s\", \"error\": \"invalid\", "
		 "\"message\": \"no\", \"state\": null}]", ids[1]);
	rej = cJSON_Parse(text);
	exec_sql(f, "UPDATE outbox SET state = 'pending'");
	assert_int_equal(huce_outbox_ack(f->l, 3, rej, &nrej, &err), HUCE_OK);
	assert_int_equal(nrej, 1);
	assert_int_equal(q_int(f, "SELECT seq FROM outbox WHERE state = 'quarantined'"), 2);
	assert_int_equal(n_village(f), 2);
	cJSON_Delete(rej);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_writes_row_and_one_outbox_row),
		T(test_identical_put_writes_nothing),
		T(test_only_changed_fields),
		T(test_invalid_put_then_rollback),
		T(test_outbox_failure_after_row_written),
		T(test_row_failure_no_outbox),
		T(test_delete),
		T(test_apply_keeps_pending),
		T(test_apply_household),
		T(test_restore),
		T(test_hlc_persisted_monotonic),
		T(test_seq_monotonic),
		T(test_get_errors),
		T(test_ahead_table),
		T(test_batch_shift),
		T(test_answer_restored),
		T(test_ack_other_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
