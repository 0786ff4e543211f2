/*
 * huce_clock.c - this laptop's clock against the central's (huce_clock.h).
 *
 * The SQL of the local date_default table (schema/local/0003) and of the
 * meta keys clock_skew, clock_checked_at and clock_good_n lives here and
 * nowhere else.
 */
#include "huce_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_i18n.h"
#include "huce_util.h"

int huce_clock_is_off(int64_t skew)
{
	return skew > HUCE_CLOCK_SKEW_MAX || skew < -HUCE_CLOCK_SKEW_MAX;
}

void huce_clock_describe(int64_t skew, char *out, size_t size)
{
	int64_t a = skew < 0 ? -skew : skew;

	/*
	 * Rounded to the nearest unit: a clock set 400 days back reads a
	 * second or so less than that by the time the central answers.
	 */
	/*
	 * TRANSLATORS: these are followed by "the central's" in English;
	 * translate them with the comparison to the central's clock in
	 * (比中心服务器慢 3 小时), as that phrase is left out of the
	 * sentences that use them.
	 */
	if (a < 60)
		snprintf(out, size, "%s", _("in step with"));
	else if (a < 3600)
		snprintf(out, size, skew < 0 ? _("%lld minutes behind") :
			 _("%lld minutes ahead of"), (long long)((a + 30) / 60));
	else if (a < 2 * 86400)
		snprintf(out, size, skew < 0 ? _("%lld hours behind") :
			 _("%lld hours ahead of"), (long long)((a + 1800) / 3600));
	else
		snprintf(out, size, skew < 0 ? _("%lld days behind") :
			 _("%lld days ahead of"), (long long)((a + 43200) / 86400));
}

/* Whether the last check found the clock off. */
static int last_off(struct huce_local *l)
{
	char *checked = huce_db_meta_get(l->db, "clock_checked_at");
	int off = checked && huce_clock_is_off(huce_db_meta_int(l->db, "clock_skew", 0));

	free(checked);
	return off;
}

enum huce_err huce_clock_defaulted(struct huce_local *l, const char *kind,
				   const char *id, const char *field,
				   const char *value, int *off,
				   struct huce_error *err)
{
	int bad = last_off(l);

	if (off)
		*off = bad;
	return huce_db_run(l->db, err,
		"INSERT INTO date_default(record_id, kind, field, value, flagged) "
		"VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(record_id, field) DO UPDATE "
		"SET value = excluded.value, flagged = excluded.flagged",
		"ssssi", id, kind, field, value, (int64_t)bad);
}

enum huce_err huce_clock_check(struct huce_local *l, int64_t central,
			       int64_t local, int64_t *flagged,
			       struct huce_error *err)
{
	int64_t skew = local - central;
	char at[21];
	enum huce_err rc;

	huce_iso_time(central, at);
	rc = huce_db_begin(l->db, err);
	if (rc)
		return rc;
	rc = huce_db_meta_set_int(l->db, "clock_skew", skew, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "clock_checked_at", at, err);
	if (!rc && huce_clock_is_off(skew))
		rc = huce_db_run(l->db, err,
			"UPDATE date_default SET flagged = 1 WHERE flagged = 0 AND "
			"n > coalesce((SELECT CAST(value AS INTEGER) FROM meta "
			"WHERE key = 'clock_good_n'), 0)", "");
	else if (!rc)
		rc = huce_db_run(l->db, err,
			"INSERT INTO meta(key, value) VALUES('clock_good_n', "
			"(SELECT coalesce(max(n), 0) FROM date_default)) "
			"ON CONFLICT(key) DO UPDATE SET value = excluded.value", "");
	/* Dates taken while the clock was right need no remembering. */
	if (!rc && !huce_clock_is_off(skew))
		rc = huce_db_run(l->db, err,
			"DELETE FROM date_default WHERE flagged = 0", "");
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc) {
		huce_db_rollback(l->db);
		return rc;
	}
	if (flagged)
		*flagged = huce_local_count(l,
			"SELECT count(*) FROM date_default WHERE flagged = 1");
	return HUCE_OK;
}

cJSON *huce_clock_status(struct huce_local *l)
{
	char *checked = huce_db_meta_get(l->db, "clock_checked_at");
	int64_t skew = huce_db_meta_int(l->db, "clock_skew", 0);
	cJSON *o, *arr;
	sqlite3_stmt *st;

	st = huce_db_query(l->db, NULL,
		"SELECT d.record_id, d.kind, d.field, d.value, h.head, i.stage "
		"FROM date_default d "
		"LEFT JOIN inspection i ON d.kind = 'inspection' AND i.id = d.record_id "
		"LEFT JOIN household h ON h.id = i.household_id "
		"WHERE d.flagged = 1 AND coalesce(i.deleted, 0) = 0 ORDER BY d.n", "");
	o = cJSON_CreateObject();
	if (checked) {
		cJSON_AddNumberToObject(o, "skew_seconds", (double)skew);
		cJSON_AddStringToObject(o, "checked_at", checked);
	} else {
		cJSON_AddNullToObject(o, "skew_seconds");
		cJSON_AddNullToObject(o, "checked_at");
	}
	cJSON_AddBoolToObject(o, "off", checked && huce_clock_is_off(skew));
	arr = cJSON_AddArrayToObject(o, "confirm");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "record", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(e, "field", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "value", (const char *)sqlite3_column_text(st, 3));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			cJSON_AddStringToObject(e, "household",
						(const char *)sqlite3_column_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			cJSON_AddStringToObject(e, "stage",
						(const char *)sqlite3_column_text(st, 5));
		cJSON_AddItemToArray(arr, e);
	}
	if (st)
		sqlite3_reset(st);
	if (!checked && cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	free(checked);
	return o;
}

enum huce_err huce_clock_confirm(struct huce_local *l,
				 const char *const *ids, size_t n,
				 int64_t *count, struct huce_error *err)
{
	sqlite3 *h = huce_db_handle(l->db);
	enum huce_err rc;

	*count = 0;
	rc = huce_db_begin(l->db, err);
	if (rc)
		return rc;
	if (n == 0) {
		rc = huce_db_run(l->db, err,
			"DELETE FROM date_default WHERE flagged = 1", "");
		*count = sqlite3_changes(h);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_stmt *st = huce_db_query(l->db, err,
			"SELECT count(*) FROM date_default WHERE flagged = 1 "
			"AND substr(record_id, 1, length(?1)) = ?1", "s", ids[i]);
		int64_t m = 0;

		if (!st) {
			rc = err ? err->code : HUCE_EDB;
			break;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			m = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (m == 0 || !*ids[i])
			rc = huce_fail(err, HUCE_ENOTFOUND, _("no date to confirm for "
				       "'%.80s'"), ids[i]);
		else if (m > 1)
			rc = huce_fail(err, HUCE_EINVAL, _("'%.80s' matches %lld dates "
				       "to confirm: give more of the id"), ids[i],
				       (long long)m);
		else
			rc = huce_db_run(l->db, err,
				"DELETE FROM date_default WHERE flagged = 1 AND "
				"substr(record_id, 1, length(?1)) = ?1", "s", ids[i]);
		if (!rc)
			(*count)++;
	}
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc) {
		huce_db_rollback(l->db);
		*count = 0;
	}
	return rc;
}
