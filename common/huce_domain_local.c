/*
 * huce_domain_local.c - the domain rules applied to the laptop's store
 * (huce_domain_local.h).
 *
 * Each function reads the facts a rule needs with one or two queries,
 * calls the pure rule (huce_domain.c, huce_checklist.c) and writes the
 * outcome through huce_local_put(), which appends the outbox row, except
 * for household.status: that is derived here on every change and never
 * sent.
 */
#include "huce_domain_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_buf.h"
#include "huce_code.h"
#include "huce_crypto.h"
#include "huce_i18n.h"
#include "huce_idnum.h"
#include "huce_record.h"
#include "huce_util.h"

#define MAX_RECT 64	/* open rectifications of one household, per change */

static const char *jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A text column copied into out (NUL-terminated; "" for NULL). */
static void col_copy(sqlite3_stmt *st, int col, char *out, size_t n)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(out, n, "%s", s ? s : "");
}

/* --- status ----------------------------------------------------------- */

/* One inspection row, owned, for the status machine. */
struct fact_row {
	char id[HUCE_ID_STRLEN + 1];
	char date[11];
};

enum huce_err huce_local_status_refresh(struct huce_local *l,
					const char *household_id,
					struct huce_error *err)
{
	struct huce_insp_fact *facts = NULL;
	struct fact_row *rows = NULL;
	char started[11] = "", finished[11] = "";
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	enum huce_status status;
	enum huce_err rc = HUCE_OK;
	int s, found = 0;

	st = huce_db_query(l->db, err,
		"SELECT started, finished FROM household WHERE id = ?1",
		"s", household_id);
	if (!st)
		return err ? err->code : HUCE_EDB;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		found = 1;
		col_copy(st, 0, started, sizeof(started));
		col_copy(st, 1, finished, sizeof(finished));
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return huce_db_fail(l->db, err, _("cannot read household"));
	if (!found)
		return HUCE_OK;
	st = huce_db_query(l->db, err,
		"SELECT id, date, stage, result = 'pass', coalesce(voided, '') <> '' "
		"FROM inspection WHERE household_id = ?1 AND deleted = 0",
		"s", household_id);
	if (!st)
		return err ? err->code : HUCE_EDB;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct huce_insp_fact *nf = realloc(facts, ncap * sizeof(*nf));
			struct fact_row *nr;

			if (nf)
				facts = nf;
			nr = nf ? realloc(rows, ncap * sizeof(*nr)) : NULL;
			if (!nr) {
				rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
				break;
			}
			rows = nr;
			cap = ncap;
		}
		col_copy(st, 0, rows[n].id, sizeof(rows[n].id));
		col_copy(st, 1, rows[n].date, sizeof(rows[n].date));
		facts[n].stage = huce_stage_parse((const char *)sqlite3_column_text(st, 2));
		facts[n].pass = sqlite3_column_int(st, 3);
		facts[n].voided = sqlite3_column_int(st, 4);
		n++;
	}
	sqlite3_reset(st);
	if (!rc && s != SQLITE_DONE)
		rc = huce_db_fail(l->db, err, _("cannot read inspections"));
	if (rc)
		goto out;
	/* The rows array may have moved while growing: point at it now. */
	for (size_t i = 0; i < n; i++) {
		facts[i].id = rows[i].id;
		facts[i].date = rows[i].date;
	}
	status = huce_status_derive(started, finished, facts, n, NULL);
	rc = huce_db_run(l->db, err,
		"UPDATE household SET status = ?2 WHERE id = ?1 AND status IS NOT ?2",
		"ss", household_id, huce_status_name(status));
out:
	free(facts);
	free(rows);
	return rc;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The household whose status a record of kind touches, or "" (hh). */
static enum huce_err household_of(struct huce_local *l, const char *kind,
				  const char *id, char *hh,
				  struct huce_error *err)
{
	hh[0] = '\0';
	if (!kind || !id)
		return HUCE_OK;
	if (strcmp(kind, "household") == 0) {
		snprintf(hh, HUCE_ID_STRLEN + 1, "%s", id);
	} else if (strcmp(kind, "inspection") == 0) {
		/* The row was just written: it knows its household. */
		sqlite3_stmt *st = huce_db_query(l->db, err,
			"SELECT household_id FROM inspection WHERE id = ?1", "s", id);

		if (!st)
			return err ? err->code : HUCE_EDB;
		if (sqlite3_step(st) == SQLITE_ROW)
			col_copy(st, 0, hh, HUCE_ID_STRLEN + 1);
		sqlite3_reset(st);
	}
	if (!huce_id_valid(hh))
		hh[0] = '\0';
	return HUCE_OK;
}

enum huce_err huce_local_status_refresh_record(struct huce_local *l,
					       const char *kind, const char *id,
					       struct huce_error *err)
{
	char hh[HUCE_ID_STRLEN + 1];
	enum huce_err rc = household_of(l, kind, id, hh, err);

	if (rc || !hh[0])
		return rc;
	return huce_local_status_refresh(l, hh, err);
}

enum huce_err huce_local_status_refresh_page(struct huce_local *l,
					     const cJSON *changes,
					     struct huce_error *err)
{
	/* Each household once, however many of its records the page holds
	 * (a household and its inspections usually arrive together). */
	int n = cJSON_GetArraySize(changes), k = 0;
	char (*hh)[HUCE_ID_STRLEN + 1] = calloc(n > 0 ? (size_t)n : 1, sizeof(*hh));
	const cJSON *ch;
	enum huce_err rc = HUCE_OK;

	if (!hh)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	cJSON_ArrayForEach(ch, changes) {
		rc = household_of(l, jstr(ch, "kind"), jstr(ch, "id"), hh[k], err);
		if (rc)
			goto out;
		if (hh[k][0])
			k++;
	}
	qsort(hh, (size_t)k, sizeof(*hh), id_cmp);
	for (int i = 0; !rc && i < k; i++)
		if (i == 0 || strcmp(hh[i], hh[i - 1]) != 0)
			rc = huce_local_status_refresh(l, hh[i], err);
out:
	free(hh);
	return rc;
}

/* --- names ------------------------------------------------------------ */

void huce_local_household_name(struct huce_local *l, const char *id,
			       char *out, size_t n)
{
	sqlite3_stmt *st = huce_db_query(l->db, NULL,
		"SELECT h.head, v.name, g.name FROM household h "
		"LEFT JOIN village v ON v.id = h.village_id "
		"LEFT JOIN village_group g ON g.id = h.group_id WHERE h.id = ?1",
		"s", id);

	char code[HUCE_CODE_STRLEN + 1];

	if (huce_code_of(huce_db_handle(l->db), "household", id, code, NULL))
		snprintf(code, sizeof(code), "%.12s", id);
	snprintf(out, n, "%s", code);
	if (!st)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *head = (const char *)sqlite3_column_text(st, 0);
		const char *village = (const char *)sqlite3_column_text(st, 1);
		const char *group = (const char *)sqlite3_column_text(st, 2);

		snprintf(out, n, "%s (%s %s, code %s)", head ? head : "?",
			 village ? village : "?", group ? group : "?", code);
	}
	sqlite3_reset(st);
}

/* Add text column col of st as key (null for SQL NULL). */
static void add_col(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *huce_local_describe(struct huce_local *l, const char *id)
{
	sqlite3_stmt *st;
	cJSON *o = NULL;
	char code[HUCE_CODE_STRLEN + 1], label[512], hh[HUCE_ID_STRLEN + 1] = "";

	st = huce_db_query(l->db, NULL,
		"SELECT h.head, v.name, g.name, h.id_masked, h.deleted, "
		" (SELECT count(*) FROM inspection i WHERE i.household_id = h.id "
		"   AND i.deleted = 0 AND coalesce(i.voided, '') = ''), "
		" (SELECT i.result FROM inspection i WHERE i.household_id = h.id "
		"   AND i.deleted = 0 AND coalesce(i.voided, '') = '' "
		"   ORDER BY i.date DESC, i.id DESC LIMIT 1) "
		"FROM household h LEFT JOIN village v ON v.id = h.village_id "
		"LEFT JOIN village_group g ON g.id = h.group_id WHERE h.id = ?1",
		"s", id);
	if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
		if (huce_code_of(huce_db_handle(l->db), "household", id, code, NULL))
			snprintf(code, sizeof(code), "%.12s", id);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "code", code);
		cJSON_AddStringToObject(o, "kind", "household");
		add_col(o, "head", st, 0);
		add_col(o, "village", st, 1);
		add_col(o, "group", st, 2);
		add_col(o, "id_masked", st, 3);
		cJSON_AddBoolToObject(o, "deleted", sqlite3_column_int(st, 4));
		cJSON_AddNumberToObject(o, "inspections", sqlite3_column_int(st, 5));
		add_col(o, "last_result", st, 6);
	}
	if (st)
		sqlite3_reset(st);
	if (o) {
		huce_local_household_name(l, id, label, sizeof(label));
		cJSON_AddStringToObject(o, "label", label);
		return o;
	}
	st = huce_db_query(l->db, NULL,
		"SELECT household_id, stage, date, inspectors, result, voided "
		"FROM inspection WHERE id = ?1", "s", id);
	if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
		if (huce_code_of(huce_db_handle(l->db), "inspection", id, code, NULL))
			snprintf(code, sizeof(code), "%.12s", id);
		snprintf(hh, sizeof(hh), "%s", sqlite3_column_text(st, 0) ?
			 (const char *)sqlite3_column_text(st, 0) : "");
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "code", code);
		cJSON_AddStringToObject(o, "kind", "inspection");
		add_col(o, "stage", st, 1);
		add_col(o, "date", st, 2);
		add_col(o, "inspector", st, 3);
		add_col(o, "result", st, 4);
		add_col(o, "voided", st, 5);
		snprintf(label, sizeof(label), "%s %s by %s: %s",
			 cJSON_GetStringValue(cJSON_GetObjectItem(o, "stage")),
			 cJSON_GetStringValue(cJSON_GetObjectItem(o, "date")),
			 sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "?",
			 cJSON_GetStringValue(cJSON_GetObjectItem(o, "result")));
		cJSON_AddStringToObject(o, "label", label);
	}
	if (st)
		sqlite3_reset(st);
	if (o) {
		huce_local_household_name(l, hh, label, sizeof(label));
		cJSON_AddStringToObject(o, "household", label);
	}
	return o;
}

/* --- gate ------------------------------------------------------------- */

enum huce_err huce_local_gate_check(struct huce_local *l, const char *team_id,
				    const char *household_id,
				    struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT "
		" (SELECT count(*) FROM household h WHERE h.team_id = ?1 AND h.deleted = 0"
		"   AND h.id <> ?2 AND " HUCE_LOCAL_SQL_HH_PASSED "),"
		" (SELECT count(*) FROM household WHERE team_id = ?1 AND deleted = 0 AND id <> ?2),"
		" (SELECT id FROM household WHERE team_id = ?1 AND deleted = 0 AND id <> ?2"
		"   ORDER BY id LIMIT 1),"
		" (SELECT name FROM team WHERE id = ?1)",
		"ss", team_id, household_id ? household_id : "");
	char first[HUCE_ID_STRLEN + 1] = "", team[256] = "", name[512];
	int64_t passed, others;

	if (!st)
		return err ? err->code : HUCE_EDB;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return huce_db_fail(l->db, err, _("cannot check the first-toilet gate"));
	}
	passed = sqlite3_column_int64(st, 0);
	others = sqlite3_column_int64(st, 1);
	col_copy(st, 2, first, sizeof(first));
	col_copy(st, 3, team, sizeof(team));
	sqlite3_reset(st);
	if (huce_gate_open(others > 0, passed > 0))
		return HUCE_OK;
	huce_local_household_name(l, first, name, sizeof(name));
	return huce_fail(err, HUCE_EGATE,
			 _("team '%s' has not passed its first toilet (首厕过关): "
			 "household %s must be accepted before the team is given "
			 "another or starts one"), team, name);
}

/* --- households -------------------------------------------------------- */

enum huce_err huce_local_idnum_fields(struct huce_local *l, const char *number,
				      cJSON *fields, struct huce_error *err)
{
	char masked[HUCE_IDNUM_LEN + 1], hash[65];
	unsigned char key[64];
	struct huce_error ierr = { 0 };
	char *keyhex;
	int keylen = -1;

	cJSON_DeleteItemFromObjectCaseSensitive(fields, "id_masked");
	cJSON_DeleteItemFromObjectCaseSensitive(fields, "id_hash");
	if (!number || !*number) {
		cJSON_AddNullToObject(fields, "id_masked");
		cJSON_AddNullToObject(fields, "id_hash");
		return HUCE_OK;
	}
	if (huce_idnum_check(number, &ierr))
		return huce_fail(err, HUCE_EINVAL, _("id_number: %s"), ierr.msg);
	huce_idnum_mask(number, masked);
	cJSON_AddStringToObject(fields, "id_masked", masked);
	/*
	 * The keyed hash needs the town's key, which arrives at enrolment.
	 * Before that only the masked form is kept (DESIGN.md section 7).
	 */
	keyhex = huce_db_meta_get(l->db, "town_key");
	if (keyhex)
		keylen = huce_hex_decode(keyhex, key, sizeof(key));
	free(keyhex);
	if (keylen > 0 && huce_idnum_hash(number, key, (size_t)keylen, hash) == HUCE_OK)
		cJSON_AddStringToObject(fields, "id_hash", hash);
	else
		cJSON_AddNullToObject(fields, "id_hash");
	return HUCE_OK;
}

/* The value of key after the change: change's if it has one, else cur's. */
static const cJSON *after(const cJSON *change, const cJSON *cur, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(change, key);

	return v ? v : cJSON_GetObjectItemCaseSensitive(cur, key);
}

static const char *after_str(const cJSON *change, const cJSON *cur, const char *key)
{
	return cJSON_GetStringValue(after(change, cur, key));
}

static int changes(const cJSON *change, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(change, key) != NULL;
}

/* A string value newly given (not cleared, not the same as before). */
static int newly_set(const cJSON *change, const cJSON *cur, const char *key)
{
	const char *nw = jstr(change, key), *old = jstr(cur, key);

	return nw && (!old || strcmp(old, nw) != 0);
}

/*
 * Check a field with a canonicalising rule and put the canonical form
 * back into change.
 */
static enum huce_err canonical(cJSON *change, const char *key,
			       enum huce_err (*check)(const char *, char *, size_t,
						      struct huce_error *),
			       struct huce_error *err)
{
	const char *v = jstr(change, key);
	char out[64];
	enum huce_err rc;

	if (!v)
		return HUCE_OK;
	if (!*v) {
		cJSON_ReplaceItemInObjectCaseSensitive(change, key, cJSON_CreateNull());
		return HUCE_OK;
	}
	rc = check(v, out, sizeof(out), err);
	if (!rc && !cJSON_ReplaceItemInObjectCaseSensitive(change, key,
							    cJSON_CreateString(out)))
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	return rc;
}

/* One ID number, one household (DESIGN.md section 2, 一宅一厕). */
static enum huce_err idnum_unique(struct huce_local *l, const char *id,
				  const cJSON *change, const cJSON *cur,
				  struct huce_error *err)
{
	const char *masked = after_str(change, cur, "id_masked");
	const char *hash = after_str(change, cur, "id_hash");
	const char *head = after_str(change, cur, "head");
	char other[HUCE_ID_STRLEN + 1] = "", name[512];
	char *norm;
	sqlite3_stmt *st;
	int s;

	if (!masked || !(changes(change, "id_masked") || changes(change, "head")))
		return HUCE_OK;
	norm = huce_name_normalize(head ? head : "");
	if (!norm)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	/*
	 * With the town's key on both sides the keyed hash decides; a
	 * household made before enrolment has only the masked number, and
	 * there the masked number and the normalised head name decide
	 * together (DESIGN.md section 7).
	 */
	st = huce_db_query(l->db, err,
		"SELECT id FROM household WHERE deleted = 0 AND merged_into IS NULL "
		"AND id <> ?1 AND ((?2 IS NOT NULL AND id_hash = ?2) OR "
		"((?2 IS NULL OR id_hash IS NULL) AND id_masked = ?3 AND head_norm = ?4)) "
		"ORDER BY id LIMIT 1",
		"ssss", id, hash, masked, norm);
	free(norm);
	if (!st)
		return err ? err->code : HUCE_EDB;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		col_copy(st, 0, other, sizeof(other));
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return huce_db_fail(l->db, err, _("cannot check the ID number"));
	if (!other[0])
		return HUCE_OK;
	huce_local_household_name(l, other, name, sizeof(name));
	return huce_fail(err, HUCE_EINVAL,
			 _("id_number: this ID number (%s) is already registered for "
			 "household %s: one ID number is one household (一宅一厕)"),
			 masked, name);
}

/* The rules on the state after the change, before anything is written. */
static enum huce_err household_rules(struct huce_local *l, const char *id,
				     cJSON *change, const cJSON *cur,
				     int creating, struct huce_error *err)
{
	const char *team = after_str(change, cur, "team_id");
	char today[11];
	enum huce_err rc;

	if (changes(change, "status"))
		return huce_fail(err, HUCE_EUSAGE,
				 _("status is derived, not set: it changes with "
				 "`huce household progress` (开工/完工), `huce inspect` "
				 "and `huce inspect void`"));
	rc = canonical(change, "phone", huce_phone_check, err);
	if (!rc)
		rc = canonical(change, "gps", huce_gps_check, err);
	if (rc)
		return rc;
	if (creating || changes(change, "build") || changes(change, "team_id")) {
		rc = huce_build_team_check(after_str(change, cur, "build"), team, err);
		if (rc)
			return rc;
	}
	if (creating || changes(change, "started") || changes(change, "finished")) {
		huce_today(today);
		rc = huce_progress_check(after_str(change, cur, "started"),
					 after_str(change, cur, "finished"),
					 jstr(change, "finished") != NULL, today, err);
		if (rc)
			return rc;
	}
	rc = idnum_unique(l, id, change, cur, err);
	if (rc)
		return rc;
	/* The gate: a team newly given the household, or its work starting. */
	if (team && (newly_set(change, cur, "team_id") ||
		     newly_set(change, cur, "started")))
		rc = huce_local_gate_check(l, team, creating ? NULL : id, err);
	return rc;
}

/* The live row of household id into *cur, or HUCE_ENOTFOUND. */
static enum huce_err live_household(struct huce_local *l, const char *id,
				    cJSON **cur, struct huce_error *err)
{
	struct huce_error gerr = { 0 };

	*cur = huce_local_get(l, "household", id, &gerr);
	if (*cur && cJSON_GetNumberValue(cJSON_GetObjectItem(*cur, "deleted")) == 0)
		return HUCE_OK;
	cJSON_Delete(*cur);
	*cur = NULL;
	if (gerr.code && gerr.code != HUCE_ENOTFOUND)
		return huce_fail(err, gerr.code, "%s", gerr.msg);
	return huce_fail(err, HUCE_ENOTFOUND, _("household %s not found"), id);
}

enum huce_err huce_local_household_check(struct huce_local *l, const char *id,
					 cJSON *change, int creating,
					 struct huce_error *err)
{
	cJSON *cur = NULL;
	enum huce_err rc = creating ? HUCE_OK : live_household(l, id, &cur, err);

	if (!rc)
		rc = household_rules(l, id, change, cur, creating, err);
	cJSON_Delete(cur);
	return rc;
}

enum huce_err huce_local_household_write(struct huce_local *l, const char *id,
					 cJSON *change, int creating,
					 int *changed, struct huce_error *err)
{
	cJSON *cur = NULL;
	enum huce_err rc;

	if (changed)
		*changed = 0;
	if (!creating) {
		rc = live_household(l, id, &cur, err);
		if (rc)
			return rc;
	}
	rc = household_rules(l, id, change, cur, creating, err);
	if (!rc)
		rc = huce_local_put(l, "household", id, change, creating, changed, err);
	if (!rc)
		rc = huce_local_status_refresh(l, id, err);
	cJSON_Delete(cur);
	return rc;
}

/* --- inspections ------------------------------------------------------- */

/* date + days as YYYY-MM-DD (out holds 11 bytes). */
static void add_days(const char *date, int days, char *out)
{
	struct tm tm = { 0 };
	int y, m, d;
	time_t t;

	if (huce_parse_date(date, &y, &m, &d)) {
		out[0] = '\0';
		return;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + days;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Each inspector is a cadre of this store; joined with 、 into names. */
static enum huce_err inspectors_known(struct huce_local *l,
				      const struct huce_inspection_in *in,
				      struct huce_buf *names,
				      struct huce_error *err)
{
	if (!in->ninspectors)
		return huce_fail(err, HUCE_EINVAL, _("inspection: no inspector named"));
	for (size_t i = 0; i < in->ninspectors; i++) {
		const char *name = in->inspectors[i];
		sqlite3_stmt *st;
		enum huce_err rc;
		int s;

		rc = huce_text_check(name, _("inspector name"), 128, 0, err);
		if (rc)
			return rc;
		st = huce_db_query(l->db, err,
			"SELECT 1 FROM cadre WHERE name = ?1 AND deleted = 0", "s", name);
		if (!st)
			return err ? err->code : HUCE_EDB;
		s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_ROW && s != SQLITE_DONE)
			return huce_db_fail(l->db, err, _("cannot look up cadre"));
		if (s == SQLITE_DONE)
			return huce_fail(err, HUCE_EINVAL,
					 _("inspector '%s' is not a known cadre: add them "
					 "first with `huce cadre add %s --role inspector`"),
					 name, name);
		if ((names->len && huce_buf_addstr(names, "、")) ||
		    huce_buf_addstr(names, name))
			return huce_fail(err, HUCE_EINVAL, _("too many inspectors"));
	}
	return HUCE_OK;
}

/*
 * Everything about an inspection that can be checked before it is
 * graded: the household is here and has a type, the date, the stage,
 * the typed result, the note and the GPS (canonical into gps).
 */
static enum huce_err inspection_checks(struct huce_local *l,
				       const struct huce_inspection_in *in,
				       struct huce_inspection_out *out,
				       char *gps, size_t gpsn,
				       struct huce_error *err)
{
	char today[11];
	cJSON *hh;
	enum huce_err rc;

	hh = huce_local_get(l, "household", in->household_id, NULL);
	if (!hh || cJSON_GetNumberValue(cJSON_GetObjectItem(hh, "deleted")) != 0) {
		cJSON_Delete(hh);
		return huce_fail(err, HUCE_ENOTFOUND, _("household %s not found"),
				 in->household_id);
	}
	snprintf(out->type, sizeof(out->type), "%s", jstr(hh, "type") ? jstr(hh, "type") : "");
	cJSON_Delete(hh);
	if (!huce_stage_name(in->stage))
		return huce_fail(err, HUCE_EINVAL, _("unknown inspection stage %d"), in->stage);
	huce_today(today);
	rc = huce_inspection_date_check(in->date, today, err);
	if (rc)
		return rc;
	if (in->result && strcmp(in->result, "pass") && strcmp(in->result, "fail"))
		return huce_fail(err, HUCE_EINVAL, _("result '%.40s' is not pass or fail"),
				 in->result);
	if (in->note && huce_text_check(in->note, _("note"), 1024, 1, err))
		return HUCE_EINVAL;
	gps[0] = '\0';
	if (in->gps && huce_gps_check(in->gps, gps, gpsn, err))
		return HUCE_EINVAL;
	return HUCE_OK;
}

/* Open a rectification (整改) for what failed in inspection out->id. */
static enum huce_err open_rectification(struct huce_local *l,
					const struct huce_checklists *cl,
					const struct huce_inspection_in *in,
					struct huce_inspection_out *out,
					struct huce_error *err)
{
	struct huce_buf cat = HUCE_BUF_INIT(1000);
	char rid[HUCE_ID_STRLEN + 1], owner[256] = "";
	const cJSON *code;
	sqlite3_stmt *st;
	cJSON *rf = cJSON_CreateObject();
	enum huce_err rc;

	cJSON_ArrayForEach(code, out->ev.failed) {
		const struct huce_checklist_item *it =
			huce_checklist_find(cl, out->type, code->valuestring);

		if (cat.len)
			huce_buf_addstr(&cat, "; ");
		huce_buf_addstr(&cat, it && it->label ? it->label : code->valuestring);
	}
	if (!cat.len)
		huce_buf_addstr(&cat, in->note && *in->note ? in->note : "验收不合格");
	add_days(in->date, 14, out->deadline);
	st = huce_db_query(l->db, NULL,
		"SELECT c.name FROM household h JOIN cadre c ON c.id = h.cadre_id "
		"WHERE h.id = ?1", "s", in->household_id);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		col_copy(st, 0, owner, sizeof(owner));
	if (st)
		sqlite3_reset(st);
	cJSON_AddStringToObject(rf, "household_id", in->household_id);
	cJSON_AddStringToObject(rf, "inspection_id", out->id);
	cJSON_AddStringToObject(rf, "category", cat.data ? cat.data : "验收不合格");
	if (owner[0])
		cJSON_AddStringToObject(rf, "owner", owner);
	cJSON_AddStringToObject(rf, "deadline", out->deadline);
	cJSON_AddStringToObject(rf, "status", "open");
	rc = huce_local_new_id(l, rid);
	if (!rc)
		rc = huce_local_put(l, "rectification", rid, rf, 1, NULL, err);
	cJSON_Delete(rf);
	huce_buf_release(&cat);
	return rc;
}

/*
 * Set status and closed_by of the rectifications of household hh picked
 * by which ('o': open ones; 'b': opened by insp; 'c': closed by insp).
 */
static enum huce_err set_rectifications(struct huce_local *l, const char *hh,
					const char *insp, char which,
					const char *status, const char *closed_by,
					int *count, struct huce_error *err)
{
	char ids[MAX_RECT][HUCE_ID_STRLEN + 1];
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT id FROM rectification WHERE household_id = ?1 AND deleted = 0 AND "
		"CASE ?3 WHEN 'o' THEN status = 'open' "
		"WHEN 'b' THEN status = 'open' AND inspection_id = ?2 "
		"ELSE status = 'closed' AND closed_by = ?2 AND inspection_id <> ?2 END "
		"ORDER BY id",
		"sss", hh, insp, which == 'o' ? "o" : which == 'b' ? "b" : "c");
	enum huce_err rc = HUCE_OK;
	int n = 0;

	*count = 0;
	if (!st)
		return err ? err->code : HUCE_EDB;
	while (n < MAX_RECT && sqlite3_step(st) == SQLITE_ROW)
		col_copy(st, 0, ids[n++], sizeof(ids[0]));
	sqlite3_reset(st);
	for (int i = 0; i < n && !rc; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "status", status);
		if (closed_by)
			cJSON_AddStringToObject(f, "closed_by", closed_by);
		else
			cJSON_AddNullToObject(f, "closed_by");
		rc = huce_local_put(l, "rectification", ids[i], f, 0, NULL, err);
		cJSON_Delete(f);
	}
	*count = n;
	return rc;
}

/* The household's status as now stored. */
static enum huce_status stored_status(struct huce_local *l, const char *hh)
{
	sqlite3_stmt *st = huce_db_query(l->db, NULL,
		"SELECT status FROM household WHERE id = ?1", "s", hh);
	int s = HUCE_STATUS_PLANNED;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		s = huce_status_parse((const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	return s < 0 ? HUCE_STATUS_PLANNED : (enum huce_status)s;
}

/* The inspection record's fields from the input and its grading. */
static cJSON *inspection_fields(const struct huce_inspection_in *in,
				const struct huce_inspection_out *out,
				const char *inspectors, const char *gps)
{
	cJSON *f = cJSON_CreateObject();
	char week[9];
	int y, m, d;

	huce_parse_date(in->date, &y, &m, &d);
	huce_week_of(y, m, d, week);
	cJSON_AddStringToObject(f, "household_id", in->household_id);
	cJSON_AddStringToObject(f, "stage", huce_stage_name(in->stage));
	cJSON_AddStringToObject(f, "date", in->date);
	cJSON_AddStringToObject(f, "week", week);
	cJSON_AddStringToObject(f, "inspectors", inspectors);
	cJSON_AddItemToObject(f, "items", cJSON_Duplicate(out->ev.items, 1));
	cJSON_AddItemToObject(f, "failed", cJSON_Duplicate(out->ev.failed, 1));
	cJSON_AddItemToObject(f, "veto", cJSON_Duplicate(out->ev.veto, 1));
	cJSON_AddStringToObject(f, "result", out->result);
	if (in->note)
		cJSON_AddStringToObject(f, "note", in->note);
	if (gps && *gps)
		cJSON_AddStringToObject(f, "gps", gps);
	return f;
}

enum huce_err huce_local_inspection_record(struct huce_local *l,
					   const struct huce_checklists *cl,
					   const struct huce_inspection_in *in,
					   struct huce_inspection_out *out,
					   struct huce_error *err)
{
	struct huce_buf names = HUCE_BUF_INIT(1024);
	char gps[64];
	cJSON *f = NULL;
	enum huce_err rc;

	memset(out, 0, sizeof(*out));
	rc = inspection_checks(l, in, out, gps, sizeof(gps), err);
	if (!rc)
		rc = inspectors_known(l, in, &names, err);
	if (!rc) {
		struct huce_error eerr = { 0 };

		rc = huce_checklist_evaluate(cl, out->type, in->stage, in->nitems,
					     in->codes, in->values, &out->ev, &eerr);
		if (rc)
			huce_fail(err, rc, _("%s (household type %s)"), eerr.msg, out->type);
	}
	/* The photo evidence the checklist asks of the stage (photo_required). */
	if (!rc)
		rc = huce_checklist_photos_check(cl, out->type, in->stage, in->photo_kinds,
						 in->nphotos, err);
	if (rc)
		goto out;
	/* A failed veto item makes it fail whatever was typed. */
	if (cJSON_GetArraySize(out->ev.veto) > 0) {
		out->result = "fail";
		out->overridden = in->result && strcmp(in->result, "pass") == 0;
	} else if (in->result) {
		out->result = strcmp(in->result, "pass") == 0 ? "pass" : "fail";
	} else {
		out->result = out->ev.pass ? "pass" : "fail";
	}
	f = inspection_fields(in, out, names.data, gps);
	rc = f ? huce_local_new_id(l, out->id) : huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (!rc)
		rc = huce_local_put(l, "inspection", out->id, f, 1, NULL, err);
	if (!rc && strcmp(out->result, "fail") == 0)
		rc = open_rectification(l, cl, in, out, err);
	else if (!rc && huce_stage_accepts(in->stage))
		rc = set_rectifications(l, in->household_id, out->id, 'o', "closed",
					out->id, &out->closed, err);
	if (!rc)
		rc = huce_local_status_refresh(l, in->household_id, err);
	if (!rc)
		out->status = stored_status(l, in->household_id);
out:
	if (rc)
		huce_eval_release(&out->ev);
	cJSON_Delete(f);
	huce_buf_release(&names);
	return rc;
}

enum huce_err huce_local_inspection_void(struct huce_local *l,
					 const char *inspection_id,
					 const char *reason,
					 struct huce_void_out *out,
					 struct huce_error *err)
{
	cJSON *insp, *f;
	const char *was;
	enum huce_err rc;

	memset(out, 0, sizeof(*out));
	rc = huce_text_check(reason, _("reason"), 1024, 0, err);
	if (rc)
		return rc;
	insp = huce_local_get(l, "inspection", inspection_id, NULL);
	if (!insp || cJSON_GetNumberValue(cJSON_GetObjectItem(insp, "deleted")) != 0) {
		cJSON_Delete(insp);
		return huce_fail(err, HUCE_ENOTFOUND, _("inspection %s not found"),
				 inspection_id);
	}
	snprintf(out->household_id, sizeof(out->household_id), "%s",
		 jstr(insp, "household_id") ? jstr(insp, "household_id") : "");
	was = jstr(insp, "voided");
	if (was && *was) {
		rc = huce_fail(err, HUCE_EINVAL,
			       _("inspection %s is already voided (%.200s): a voiding "
			       "is final; record a new inspection instead"),
			       inspection_id, was);
		cJSON_Delete(insp);
		return rc;
	}
	cJSON_Delete(insp);
	f = cJSON_CreateObject();
	if (!f || !cJSON_AddStringToObject(f, "voided", reason)) {
		cJSON_Delete(f);
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	}
	rc = huce_local_put(l, "inspection", inspection_id, f, 0, NULL, err);
	cJSON_Delete(f);
	/* What it opened is closed by its voiding. */
	if (!rc)
		rc = set_rectifications(l, out->household_id, inspection_id, 'b',
					"closed", inspection_id, &out->closed, err);
	if (!rc)
		rc = huce_local_status_refresh(l, out->household_id, err);
	if (rc)
		return rc;
	out->status = stored_status(l, out->household_id);
	/* What it closed is open again, unless the toilet stays accepted. */
	if (out->status != HUCE_STATUS_ACCEPTED)
		rc = set_rectifications(l, out->household_id, inspection_id, 'c',
					"open", NULL, &out->reopened, err);
	return rc;
}
