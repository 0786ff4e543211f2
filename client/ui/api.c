/*
 * api.c - the JSON API of `huce ui` under /api/ (docs/UI.md).
 *
 * Each handler reads what the pages show from the local store, or hands
 * a change to the domain layer the CLI calls (common/: checklists,
 * status, the household and inspection rules; client.h: the weekly
 * list's facts, the quarantine, the network module).  No rule is
 * written here: a handler turns JSON into the domain layer's arguments
 * and its result (or its error, with the form field it concerns) back
 * into JSON.  This is the interface a phone app could use later.
 */
#include "ui.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "huce_code.h"
#include "huce_crypto.h"
#include "huce_domain.h"
#include "huce_domain_local.h"
#include "huce_file.h"
#include "huce_photo.h"
#include "huce_record.h"
#include "huce_report.h"
#include "huce_review.h"
#include "huce_util.h"

#define HH_COLS \
	"h.id, v.name, g.name, h.head, h.approach, h.build, h.type, " \
	"t.name, cd.name, h.status, h.version, h.planned_week, h.water, " \
	"h.started, h.finished, h.village_id, h.group_id, h.team_id, h.cadre_id, " \
	"(SELECT count(*) FROM rectification r WHERE r.household_id = h.id " \
	" AND r.deleted = 0 AND r.status = 'open'), " \
	"(SELECT max(i.date) FROM inspection i WHERE i.household_id = h.id " \
	" AND i.deleted = 0 AND coalesce(i.voided, '') = ''), " \
	"rv.state, rv.note, rv.reviewer, rv.reviewed_at "
#define HH_FROM \
	"FROM household h " \
	"LEFT JOIN review rv ON rv.household = h.id AND rv.deleted = 0 " \
	"LEFT JOIN village v ON v.id = h.village_id " \
	"LEFT JOIN village_group g ON g.id = h.group_id " \
	"LEFT JOIN team t ON t.id = h.team_id " \
	"LEFT JOIN cadre cd ON cd.id = h.cadre_id "

static struct huce_db *db(struct ui_call *k)
{
	return k->u->c->l->db;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void put_text(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* A body's string member, or NULL. */
static const char *body_str(const struct ui_call *k, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(k->body, key));
}

static int db_fail(struct ui_call *k, const char *what)
{
	return ui_fail(k, 500, "internal", NULL, "%s: %s", what,
		       k->u->c->err.msg[0] ? k->u->c->err.msg : "storage error");
}

/*
 * Every row of st as an object keyed by the column names: numbers as
 * numbers, text as strings, NULL as null; a column named "*_json"
 * holds JSON text and is parsed (and loses the suffix).  Resets st.
 */
static cJSON *rows_json(sqlite3_stmt *st, int *failed)
{
	cJSON *arr = cJSON_CreateArray();
	int s;

	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			size_t nl = strlen(name);

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				cJSON_AddNullToObject(o, name);
				break;
			case SQLITE_INTEGER:
			case SQLITE_FLOAT:
				cJSON_AddNumberToObject(o, name, sqlite3_column_double(st, i));
				break;
			default:
				if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
					char key[64];
					cJSON *v = cJSON_Parse(col(st, i));

					snprintf(key, sizeof(key), "%.*s", (int)(nl - 5), name);
					cJSON_AddItemToObject(o, key, v ? v : cJSON_CreateNull());
				} else {
					cJSON_AddStringToObject(o, name, col(st, i));
				}
			}
		}
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(st);
	*failed = s != SQLITE_DONE;
	return arr;
}

/* The short code a cadre types (huce_code.h) of id in table. */
static void add_code(struct ui_call *k, cJSON *o, const char *table, const char *id)
{
	char code[HUCE_CODE_STRLEN + 1];

	if (id && huce_code_of(huce_db_handle(db(k)), table, id, code, NULL) == HUCE_OK)
		cJSON_AddStringToObject(o, "code", code);
	else
		cJSON_AddNullToObject(o, "code");
}

/*
 * A row of HH_COLS as the keys of `huce household list --json` (README)
 * and what the pages add: labels, progress, ids of the choices, counts.
 */
static cJSON *household_row(struct ui_call *k, sqlite3_stmt *st)
{
	static const char *const keys[] = {
		"id", "village", "group", "head", "approach", "build", "type",
		"team", "cadre", "status",
	};
	cJSON *o = cJSON_CreateObject();
	const char *status = col(st, 9);
	int s = huce_status_parse(status);

	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_text(o, keys[i], col(st, (int)i));
	cJSON_AddNumberToObject(o, "version", sqlite3_column_double(st, 10));
	put_text(o, "planned_week", col(st, 11));
	put_text(o, "water", col(st, 12));
	put_text(o, "status_label", s >= 0 ? huce_status_label((enum huce_status)s) : NULL);
	put_text(o, "type_label", huce_toilet_type_label(col(st, 6)));
	put_text(o, "started", col(st, 13));
	put_text(o, "finished", col(st, 14));
	put_text(o, "village_id", col(st, 15));
	put_text(o, "group_id", col(st, 16));
	put_text(o, "team_id", col(st, 17));
	put_text(o, "cadre_id", col(st, 18));
	cJSON_AddNumberToObject(o, "open_rectifications", sqlite3_column_double(st, 19));
	put_text(o, "last_inspection", col(st, 20));
	cJSON_AddItemToObject(o, "review", huce_review_json(col(st, 21), col(st, 22),
							    col(st, 23), col(st, 24)));
	add_code(k, o, "household", col(st, 0));
	return o;
}

/* --- session, choices, status ------------------------------------------ */

static cJSON *meta_json(struct ui_call *k, const char *key)
{
	char *v = huce_db_meta_get(db(k), key);
	cJSON *j = v ? cJSON_CreateString(v) : cJSON_CreateNull();

	free(v);
	return j;
}

static int api_session(struct ui_call *k)
{
	char today[11], week[9];

	huce_today(today);
	huce_this_week(week);
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "csrf", k->u->csrf);
	cJSON_AddStringToObject(k->out, "lang",
				ui_lang_english(k->rq->accept_language) ? "en" : "zh-CN");
	cJSON_AddItemToObject(k->out, "device", meta_json(k, "device"));
	cJSON_AddItemToObject(k->out, "town", meta_json(k, "town"));
	cJSON_AddItemToObject(k->out, "central", meta_json(k, "central_url"));
	cJSON_AddStringToObject(k->out, "version", HUCE_VERSION);
	cJSON_AddStringToObject(k->out, "today", today);
	cJSON_AddStringToObject(k->out, "week", week);
	return 0;
}

static cJSON *code_labels(const char *const *codes, const char *(*label)(const char *))
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; codes[i]; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", codes[i]);
		put_text(o, "label", label ? label(codes[i]) : NULL);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static const char *status_label_of(const char *code)
{
	int s = huce_status_parse(code);

	return s >= 0 ? huce_status_label((enum huce_status)s) : NULL;
}

static const char *review_label_of(const char *code)
{
	int s = huce_review_parse(code);

	return s >= 0 ? huce_review_label((enum huce_review_state)s) : NULL;
}

static int api_choices(struct ui_call *k)
{
	static const char *const sql[] = {
		"SELECT id, name FROM village WHERE deleted = 0 ORDER BY name",
		"SELECT id, village_id, name FROM village_group WHERE deleted = 0 ORDER BY name",
		"SELECT id, name, role FROM cadre WHERE deleted = 0 ORDER BY name",
		"SELECT id, name FROM team WHERE deleted = 0 ORDER BY name",
	};
	static const char *const keys[] = { "villages", "groups", "cadres", "teams" };
	int failed = 0;

	k->out = cJSON_CreateObject();
	for (size_t i = 0; i < 4; i++) {
		sqlite3_stmt *st = huce_db_query(db(k), &k->u->c->err, sql[i], "");
		int f = 0;

		if (!st)
			return db_fail(k, "cannot read the choices");
		cJSON_AddItemToObject(k->out, keys[i], rows_json(st, &f));
		failed |= f;
	}
	if (failed)
		return db_fail(k, "cannot read the choices");
	cJSON_AddItemToObject(k->out, "types", code_labels(huce_toilet_types(), huce_toilet_type_label));
	cJSON_AddItemToObject(k->out, "approaches", code_labels(huce_approaches, huce_approach_label));
	cJSON_AddItemToObject(k->out, "builds", code_labels(huce_builds, huce_build_label));
	cJSON_AddItemToObject(k->out, "roles", code_labels(huce_roles, huce_role_label));
	cJSON_AddItemToObject(k->out, "statuses", code_labels(huce_statuses, status_label_of));
	cJSON_AddItemToObject(k->out, "reviews", code_labels(huce_review_states, review_label_of));
	cJSON_AddItemToObject(k->out, "stages", code_labels(huce_stages, NULL));
	cJSON_AddItemToObject(k->out, "waters", code_labels(huce_waters, NULL));
	cJSON_AddItemToObject(k->out, "photo_kinds", code_labels(huce_photo_kinds, NULL));
	return 0;
}

static int add_counts(struct ui_call *k, cJSON *o)
{
	struct huce_local *l = k->u->c->l;

	cJSON_AddNumberToObject(o, "pending", (double)huce_local_count(l,
		"SELECT count(*) FROM outbox WHERE state = 'pending'"));
	cJSON_AddNumberToObject(o, "quarantined", (double)huce_local_count(l,
		"SELECT count(*) FROM outbox WHERE state = 'quarantined'"));
	cJSON_AddNumberToObject(o, "conflicts", (double)huce_local_count(l,
		"SELECT count(*) FROM conflict WHERE status = 'open' AND deleted = 0"));
	cJSON_AddNumberToObject(o, "photos_not_uploaded", (double)huce_local_count(l,
		"SELECT count(*) FROM photo_file WHERE uploaded = 0"));
	cJSON_AddItemToObject(o, "last_sync", meta_json(k, "last_sync"));
	cJSON_AddItemToObject(o, "central", meta_json(k, "central_url"));
	cJSON_AddItemToObject(o, "device", meta_json(k, "device"));
	return 0;
}

static int api_status(struct ui_call *k)
{
	k->out = cJSON_CreateObject();
	return add_counts(k, k->out);
}

/* --- today --------------------------------------------------------------- */

static int api_today(struct ui_call *k)
{
	char today[11], soon[11], week[9];
	sqlite3_stmt *st;
	cJSON *arr;
	int s, failed = 0;
	time_t t = time(NULL) + 7 * 86400;
	struct tm tm;

	huce_today(today);
	huce_this_week(week);
	localtime_r(&t, &tm);
	strftime(soon, sizeof(soon), "%Y-%m-%d", &tm);
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "today", today);
	cJSON_AddStringToObject(k->out, "week", week);
	/*
	 * To visit: a toilet finished and waiting for its acceptance, one
	 * that failed or is being reworked, and one planned for this week or
	 * earlier that has not started.
	 */
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT " HH_COLS HH_FROM
		"WHERE h.deleted = 0 AND coalesce(h.merged_into, '') = '' AND "
		"(h.status IN ('built', 'failed', 'rectifying') OR "
		" (h.status IN ('planned', 'building') AND h.planned_week <= ?1)) "
		"ORDER BY v.name, g.name, h.head, h.id LIMIT 500", "s", week);
	if (!st)
		return db_fail(k, "cannot list households");
	arr = cJSON_AddArrayToObject(k->out, "visit");
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(arr, household_row(k, st));
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return db_fail(k, "cannot list households");
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT r.id, r.household_id AS household, v.name AS village, "
		"g.name AS \"group\", h.head, r.category, r.owner, r.deadline, "
		"r.deadline < ?1 AS overdue FROM rectification r "
		"LEFT JOIN household h ON h.id = r.household_id "
		"LEFT JOIN village v ON v.id = h.village_id "
		"LEFT JOIN village_group g ON g.id = h.group_id "
		"WHERE r.deleted = 0 AND r.status = 'open' AND r.deadline <= ?2 "
		"ORDER BY r.deadline, r.id", "ss", today, soon);
	if (!st)
		return db_fail(k, "cannot list rectifications");
	cJSON_AddItemToObject(k->out, "due", rows_json(st, &failed));
	if (failed)
		return db_fail(k, "cannot list rectifications");
	add_counts(k, k->out);
	/* The office's review notes: households it found issues with. */
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT r.household, v.name AS village, g.name AS \"group\", h.head, r.state, "
		"r.note, r.reviewer AS \"by\", r.reviewed_at AS at FROM review r "
		"JOIN household h ON h.id = r.household AND h.deleted = 0 "
		"LEFT JOIN village v ON v.id = h.village_id "
		"LEFT JOIN village_group g ON g.id = h.group_id "
		"WHERE r.deleted = 0 AND r.state = 'has-issues' ORDER BY r.reviewed_at, r.id", "");
	if (!st)
		return db_fail(k, "cannot read the reviews");
	cJSON_AddItemToObject(k->out, "review", rows_json(st, &failed));
	if (failed)
		return db_fail(k, "cannot read the reviews");
	return 0;
}

/* --- households ---------------------------------------------------------- */

static int api_households(struct ui_call *k)
{
	const char *village = k->rq->arg(k->rq, "village");
	const char *group = k->rq->arg(k->rq, "group");
	const char *status = k->rq->arg(k->rq, "status");
	const char *q = k->rq->arg(k->rq, "q");
	const char *review = k->rq->arg(k->rq, "review");
	char like[300];
	sqlite3_stmt *st;
	int s;

	if (village && !*village)
		village = NULL;
	if (group && !*group)
		group = NULL;
	if (status && !*status)
		status = NULL;
	if (status && huce_status_parse(status) < 0)
		return ui_fail(k, 400, "invalid", "status", "status '%.40s' is not one of: "
			       "planned, building, built, accepted, failed, rectifying", status);
	if (review && !*review)
		review = NULL;
	if (review && huce_review_parse_text(review) < 0)
		return ui_fail(k, 400, "invalid", "review", "review state '%.40s' is not one of: "
			       "received, approved, has-issues, edited", review);
	if (review)
		review = huce_review_states[huce_review_parse_text(review)];
	snprintf(like, sizeof(like), "%%%.256s%%", q ? q : "");
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT " HH_COLS HH_FROM
		"WHERE h.deleted = 0 AND coalesce(h.merged_into, '') = '' "
		"AND (?1 IS NULL OR h.village_id = ?1) AND (?2 IS NULL OR h.group_id = ?2) "
		"AND (?3 IS NULL OR h.status = ?3) AND (h.head LIKE ?4 OR h.id LIKE ?4) "
		"AND (?5 IS NULL OR coalesce(rv.state, 'received') = ?5) "
		"ORDER BY v.name, g.name, h.head, h.id",
		"sssss", village, group, status ? huce_status_name((enum huce_status)huce_status_parse(status)) : NULL,
		like, review);
	if (!st)
		return db_fail(k, "cannot list households");
	k->out = cJSON_CreateArray();
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(k->out, household_row(k, st));
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return db_fail(k, "cannot list households");
	return 0;
}

/* Resolve a household named by id or code; 0, or fails the call. */
static int find_household(struct ui_call *k, const char *typed, char *id)
{
	struct huce_error err = { 0 };
	enum huce_err rc;

	if (!typed || !*typed)
		return ui_fail(k, 400, "invalid", "household", "no household given");
	rc = huce_code_resolve(huce_db_handle(db(k)), "household", typed, id, &err);
	if (rc == HUCE_ENOTFOUND)
		return ui_fail(k, 404, "not_found", "household", "household '%.40s' not found", typed);
	if (rc)
		return ui_fail_err(k, rc, "household", err.msg);
	return 0;
}

static int api_household(struct ui_call *k)
{
	char id[HUCE_ID_STRLEN + 1];
	sqlite3_stmt *st;
	cJSON *full;
	int failed = 0, f;

	if (find_household(k, k->id, id))
		return -1;
	st = huce_db_query(db(k), &k->u->c->err, "SELECT " HH_COLS HH_FROM "WHERE h.id = ?1", "s", id);
	if (!st)
		return db_fail(k, "cannot read the household");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return ui_fail(k, 404, "not_found", "household", "household %s not found", id);
	}
	k->out = household_row(k, st);
	sqlite3_reset(st);
	full = huce_local_get(k->u->c->l, "household", id, NULL);
	{
		static const char *const extra[] = {
			"id_masked", "phone", "house_no", "gps", "current_toilet",
			"agreement", "merged_into", NULL
		};

		for (int i = 0; extra[i]; i++) {
			cJSON *v = cJSON_GetObjectItem(full, extra[i]);

			cJSON_AddItemToObject(k->out, extra[i],
					      v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
		}
	}
	cJSON_Delete(full);
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT id, stage, date, inspectors, result, items AS items_json, "
		"failed AS failed_json, veto AS veto_json, note, voided FROM inspection "
		"WHERE household_id = ?1 AND deleted = 0 ORDER BY date, id", "s", id);
	if (!st)
		return db_fail(k, "cannot read inspections");
	cJSON_AddItemToObject(k->out, "inspections", rows_json(st, &f));
	failed |= f;
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT id, inspection_id AS inspection, category, owner, deadline, status, "
		"closed_by FROM rectification WHERE household_id = ?1 AND deleted = 0 "
		"ORDER BY deadline, id", "s", id);
	if (!st)
		return db_fail(k, "cannot read rectifications");
	cJSON_AddItemToObject(k->out, "rectifications", rows_json(st, &f));
	failed |= f;
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT p.id, p.owner_id AS owner, p.kind, p.taken_at, p.sha256, p.size, "
		"coalesce(f.uploaded, 0) AS uploaded FROM photo p "
		"LEFT JOIN photo_file f ON f.sha256 = p.sha256 "
		"WHERE p.deleted = 0 AND (p.owner_id = ?1 OR p.owner_id IN "
		"(SELECT id FROM inspection WHERE household_id = ?1)) ORDER BY p.id", "s", id);
	if (!st)
		return db_fail(k, "cannot read photos");
	cJSON_AddItemToObject(k->out, "photos", rows_json(st, &f));
	failed |= f;
	if (failed)
		return db_fail(k, "cannot read the household");
	return 0;
}

/* --- checklists ---------------------------------------------------------- */

static cJSON *item_json(const struct huce_checklist_item *it, int stage)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "code", it->code);
	cJSON_AddStringToObject(o, "label", it->label);
	cJSON_AddStringToObject(o, "kind", it->kind == HUCE_ITEM_BOOL ? "bool" : "number");
	put_text(o, "unit", it->unit);
	if (it->has_min)
		cJSON_AddNumberToObject(o, "min", it->min);
	if (it->has_max)
		cJSON_AddNumberToObject(o, "max", it->max);
	if (it->has_range) {
		cJSON_AddNumberToObject(o, "range_lo", it->range_lo);
		cJSON_AddNumberToObject(o, "range_hi", it->range_hi);
	}
	cJSON_AddBoolToObject(o, "critical", it->critical);
	cJSON_AddBoolToObject(o, "verified", it->verified);
	put_text(o, "photo", it->photo);
	put_text(o, "source", it->source);
	cJSON_AddBoolToObject(o, "applies", stage < 0 || (it->stages & (1u << stage)));
	/* Every critical item of the stage must be given (huce_checklist_evaluate). */
	cJSON_AddBoolToObject(o, "required", it->critical && stage >= 0 &&
			      (it->stages & (1u << stage)));
	/* Its photo must come with an inspection of the stage (photo_required). */
	cJSON_AddBoolToObject(o, "photo_required", it->photo && stage >= 0 &&
			      (it->photo_required & (1u << stage)));
	return o;
}

static int api_checklist(struct ui_call *k)
{
	const char *type = k->rq->arg(k->rq, "type");
	const char *hh = k->rq->arg(k->rq, "household");
	const char *stage_s = k->rq->arg(k->rq, "stage");
	const struct huce_checklist_item **items;
	char id[HUCE_ID_STRLEN + 1];
	cJSON *row = NULL, *arr;
	int stage = -1;
	size_t n;

	if (hh) {
		if (find_household(k, hh, id))
			return -1;
		row = huce_local_get(k->u->c->l, "household", id, NULL);
		type = cJSON_GetStringValue(cJSON_GetObjectItem(row, "type"));
	}
	if (stage_s && *stage_s) {
		stage = huce_stage_parse(stage_s);
		if (stage < 0) {
			cJSON_Delete(row);
			return ui_fail(k, 400, "invalid", "stage", "stage '%.40s' is not one of: "
				       "excavation, pre-cover, completion, first-toilet, "
				       "re-inspection, spot-check", stage_s);
		}
	}
	n = type ? huce_checklist_items(k->u->cl, type, &items) : 0;
	if (!n) {
		int r = ui_fail(k, 400, "invalid", "type", "toilet type '%.40s' has no checklist",
				type ? type : "");

		cJSON_Delete(row);
		return r;
	}
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "type", type);
	put_text(k->out, "type_label", huce_toilet_type_label(type));
	put_text(k->out, "stage", stage >= 0 ? huce_stage_name(stage) : NULL);
	arr = cJSON_AddArrayToObject(k->out, "items");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, item_json(items[i], stage));
	cJSON_Delete(row);
	return 0;
}

/* --- inspections, rectifications ---------------------------------------- */

static int api_inspection(struct ui_call *k)
{
	char id[HUCE_ID_STRLEN + 1];
	struct huce_error err = { 0 };
	const struct huce_checklist_item **items;
	sqlite3_stmt *st;
	cJSON *arr, *o, *hh;
	const char *type;
	enum huce_err rc;
	int failed = 0;
	size_t n;

	rc = huce_code_resolve(huce_db_handle(db(k)), "inspection", k->id ? k->id : "", id, &err);
	if (rc)
		return ui_fail_err(k, rc, "inspection", err.msg);
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT id, household_id AS household, stage, date, week, inspectors, result, "
		"items AS items_json, failed AS failed_json, veto AS veto_json, note, gps, voided "
		"FROM inspection WHERE id = ?1", "s", id);
	if (!st)
		return db_fail(k, "cannot read the inspection");
	arr = rows_json(st, &failed);
	o = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	if (!o || failed) {
		cJSON_Delete(o);
		return failed ? db_fail(k, "cannot read the inspection") :
			ui_fail(k, 404, "not_found", "inspection", "inspection %s not found", id);
	}
	k->out = o;
	add_code(k, o, "inspection", id);
	/* The household, as the record prints it. */
	{
		struct ui_call sub = *k;

		sub.id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "household"));
		sub.out = NULL;
		if (api_household(&sub)) {
			k->status = sub.status;
			k->error = sub.error;
			k->field = sub.field;
			memcpy(k->message, sub.message, sizeof(k->message));
			return -1;
		}
		hh = sub.out;
		cJSON_AddItemToObject(o, "household_record", hh);
	}
	/* Each item's label, unit and thresholds, for the record. */
	type = cJSON_GetStringValue(cJSON_GetObjectItem(hh, "type"));
	n = type ? huce_checklist_items(k->u->cl, type, &items) : 0;
	arr = cJSON_AddArrayToObject(o, "checklist");
	for (size_t i = 0; i < n; i++)
		if (cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), items[i]->code))
			cJSON_AddItemToArray(arr, item_json(items[i],
				huce_stage_parse(cJSON_GetStringValue(cJSON_GetObjectItem(o, "stage")))));
	return 0;
}

static int api_rectifications(struct ui_call *k)
{
	const char *all = k->rq->arg(k->rq, "all");
	char today[11];
	sqlite3_stmt *st;
	int failed = 0;

	huce_today(today);
	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT r.id, r.household_id AS household, v.name AS village, "
		"g.name AS \"group\", h.head, r.category, r.owner, r.deadline, r.status, "
		"r.inspection_id AS inspection, r.closed_by, "
		"(r.status = 'open' AND r.deadline < ?2) AS overdue, "
		"i.stage, i.date, i.failed AS failed_json, i.veto AS veto_json, h.type "
		"FROM rectification r LEFT JOIN household h ON h.id = r.household_id "
		"LEFT JOIN village v ON v.id = h.village_id "
		"LEFT JOIN village_group g ON g.id = h.group_id "
		"LEFT JOIN inspection i ON i.id = r.inspection_id "
		"WHERE r.deleted = 0 AND (?1 OR r.status = 'open') "
		"AND (?3 IS NULL OR r.id = ?3) ORDER BY r.deadline, r.id",
		"iss", (int64_t)(all && strcmp(all, "1") == 0) || k->id != NULL, today, k->id);
	if (!st)
		return db_fail(k, "cannot list rectifications");
	k->out = rows_json(st, &failed);
	if (failed)
		return db_fail(k, "cannot list rectifications");
	if (k->id) {
		cJSON *o = cJSON_DetachItemFromArray(k->out, 0);

		cJSON_Delete(k->out);
		k->out = o;
		if (!o)
			return ui_fail(k, 404, "not_found", NULL, "rectification %.40s not found", k->id);
	}
	return 0;
}

/* --- photos -------------------------------------------------------------- */

/*
 * A photo's bytes, from where this laptop keeps them (photo_file.path:
 * the kept copy, common/huce_photo.h; a photo an older huce ui recorded
 * may still name its original, hence the types).  404 when this laptop
 * has no copy (a photo pulled from another laptop: `huce photo get`).
 */
static int api_photo(struct ui_call *k)
{
	static const struct { const unsigned char magic[4]; size_t n; const char *type; } types[] = {
		{ { 0xff, 0xd8, 0xff, 0 }, 3, "image/jpeg" },
		{ { 0x89, 'P', 'N', 'G' }, 4, "image/png" },
		{ { 'R', 'I', 'F', 'F' }, 4, "image/webp" },
		{ { 'G', 'I', 'F', '8' }, 4, "image/gif" },
	};
	sqlite3_stmt *st;
	char *file = NULL;
	enum huce_err rc;

	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT f.path FROM photo p JOIN photo_file f ON f.sha256 = p.sha256 "
		"WHERE p.id = ?1 AND p.deleted = 0", "s", k->id);
	if (!st)
		return db_fail(k, "cannot read the photo");
	if (sqlite3_step(st) == SQLITE_ROW)
		file = huce_db_col_dup(st, 0);
	sqlite3_reset(st);
	if (!file)
		return ui_fail(k, 404, "not_found", NULL, "this laptop has no copy of photo %.40s", k->id);
	huce_buf_init(&k->raw, (size_t)64 << 20);
	rc = huce_file_read(file, (size_t)64 << 20, &k->raw, &k->u->c->err);
	free(file);
	if (rc)
		return ui_fail(k, rc == HUCE_ENOTFOUND ? 404 : 500,
			       rc == HUCE_ENOTFOUND ? "not_found" : "internal", NULL,
			       "cannot read the photo: %s", k->u->c->err.msg);
	k->raw_type = "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (k->raw.len >= types[i].n && memcmp(k->raw.data, types[i].magic, types[i].n) == 0)
			k->raw_type = types[i].type;
	return 0;
}

/* --- a phone's folder: the import grid ---------------------------------- */

/*
 * POST photo-import {dir, within?}: read the folder as `huce photo import
 * DIR` does (huce_photo_folder_read, huce_photo_scan_file: the same
 * matching) and answer the new photos with what is proposed for each.
 * The folder's files stay in u->imp; the rows name them by index n.
 */
static int api_import_scan(struct ui_call *k)
{
	const char *dir = body_str(k, "dir");
	const cJSON *w = cJSON_GetObjectItem(k->body, "within");
	double within = HUCE_PHOTO_MATCH_METRES;
	struct huce_photo_folder *f = &k->u->imp;
	cJSON *rows;
	size_t nknown = 0;
	enum huce_err rc;

	if (!dir || !*dir)
		return ui_fail(k, 400, "invalid", "dir", "give the folder of the phone's photos");
	if (w && !cJSON_IsNull(w) && !(cJSON_IsString(w) && !*w->valuestring)) {
		char *end = NULL;

		within = cJSON_IsNumber(w) ? w->valuedouble :
			 cJSON_IsString(w) ? strtod(w->valuestring, &end) : -1;
		if ((end && *end) || !(within > 0 && within <= 100000))
			return ui_fail(k, 400, "invalid", "within",
				       "the distance is metres, 1 to 100000");
	}
	huce_photo_folder_release(f);
	rc = huce_photo_folder_read(dir, f, &k->u->c->err);
	if (rc) {
		huce_photo_folder_release(f);
		return ui_fail_err(k, rc, "dir", k->u->c->err.msg);
	}
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "dir", dir);
	cJSON_AddNumberToObject(k->out, "within", within);
	cJSON_AddNumberToObject(k->out, "files", (double)f->n);
	cJSON_AddNumberToObject(k->out, "other", (double)f->other);
	rows = cJSON_AddArrayToObject(k->out, "photos");
	for (size_t i = 0; i < f->n; i++) {
		struct huce_photo_scan sc;
		const char *slash = strrchr(f->paths[i], '/');
		cJSON *o;

		rc = huce_photo_scan_file(k->u->c->l, f->paths[i], within, 0, &sc,
					  &k->u->c->err);
		if (rc) {
			huce_photo_scan_release(&sc);
			return db_fail(k, "cannot read the photos");
		}
		if (sc.state == HUCE_PHOTO_SCAN_KNOWN) {
			nknown++;
			huce_photo_scan_release(&sc);
			continue;
		}
		o = cli_photo_scan_json(f->paths[i], &sc, NULL);
		if (!o) {
			huce_photo_scan_release(&sc);
			return ui_fail(k, 500, "internal", NULL, "out of memory");
		}
		cJSON_AddItemToArray(rows, o);
		cJSON_AddNumberToObject(o, "n", (double)i);
		cJSON_AddStringToObject(o, "name", slash ? slash + 1 : f->paths[i]);
		if (sc.state == HUCE_PHOTO_SCAN_NEW) {
			cJSON_AddNumberToObject(o, "width", sc.photo.width);
			cJSON_AddNumberToObject(o, "height", sc.photo.height);
			cJSON_AddNumberToObject(o, "camera_bytes", (double)sc.photo.original_bytes);
			cJSON_AddNumberToObject(o, "bytes", (double)sc.photo.bytes);
			/* the kind proposed also without a household (the grid's select) */
			if (!cJSON_GetObjectItem(o, "kind"))
				cJSON_AddStringToObject(o, "kind", sc.match.kind);
		}
		if (sc.match.household[0]) {
			char *name = cli_record_name(k->u->c, "household", sc.match.household, NULL);

			put_text(o, "household_name", name);
			free(name);
		}
		if (sc.match.inspection[0]) {
			char *name = cli_record_name(k->u->c, "inspection", sc.match.inspection, NULL);

			put_text(o, "inspection_name", name);
			free(name);
		}
		huce_photo_scan_release(&sc);
	}
	cJSON_AddNumberToObject(k->out, "known", (double)nknown);
	return 0;
}

/* The file n of the folder read last, or NULL. */
static const char *import_file(const struct ui_call *k, int64_t n)
{
	const struct huce_photo_folder *f = &k->u->imp;

	return n >= 0 && (uint64_t)n < f->n ? f->paths[n] : NULL;
}

/*
 * GET photo-import/N: the picture of file N as it would be kept (the
 * re-encoded copy, never the file's own bytes), for the grid's preview.
 */
static int api_import_preview(struct ui_call *k)
{
	int64_t n = -1;
	const char *path = huce_parse_i64(k->id, &n) ? NULL : import_file(k, n);
	struct huce_photo ph;
	struct huce_error err = { 0 };
	enum huce_err rc;

	if (!path)
		return ui_fail(k, 404, "not_found", NULL, "no photo %.20s in the folder "
			       "read last: read the folder again", k->id);
	rc = huce_photo_prepare(path, &ph, &err);
	if (!rc) {
		huce_buf_init(&k->raw, ph.jpeg.len + 1);
		rc = huce_buf_add(&k->raw, ph.jpeg.data, ph.jpeg.len);
	}
	huce_photo_release(&ph);
	if (rc)
		return ui_fail_err(k, rc, NULL, err.msg[0] ? err.msg : "out of memory");
	k->raw_type = "image/jpeg";
	return 0;
}

/*
 * POST photo-import/attach {photos:[{n, sha256, owner, kind}]}: each
 * photo the cadre confirmed or corrected, attached to owner (a household
 * or an inspection) as kind through cli_photo_put(), the CLI's door, one
 * transaction each.  A file whose kept copy is no longer sha256 (changed
 * since the folder was read) is refused.  Answers every row: {n, state:
 * attached|refused, photo, code, reason, field}.
 */
static int api_import_attach(struct ui_call *k)
{
	const cJSON *list = cJSON_GetObjectItem(k->body, "photos"), *e;
	struct huce_local *l = k->u->c->l;
	cJSON *rows;
	int attached = 0;

	if (strcmp(k->id, "attach") != 0)
		return ui_fail(k, 404, "not_found", NULL, "no such API: POST /api/photo-import/%.40s", k->id);
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return ui_fail(k, 400, "invalid", "photos", "choose the photos to attach");
	k->out = cJSON_CreateObject();
	rows = cJSON_AddArrayToObject(k->out, "photos");
	cJSON_ArrayForEach(e, list) {
		const cJSON *n = cJSON_GetObjectItem(e, "n");
		const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(e, "sha256"));
		const char *owner = cJSON_GetStringValue(cJSON_GetObjectItem(e, "owner"));
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind"));
		int64_t idx = cJSON_IsNumber(n) && n->valuedouble >= 0 &&
			      n->valuedouble < 1e9 ? (int64_t)n->valuedouble : -1;
		const char *path = import_file(k, idx), *fld = NULL;
		struct huce_photo ph = { 0 };
		struct huce_error err = { 0 };
		char id[HUCE_ID_STRLEN + 1] = "", oid[HUCE_ID_STRLEN + 1], code[HUCE_CODE_STRLEN + 1];
		cJSON *o = cJSON_CreateObject();
		enum huce_err rc = HUCE_OK;

		cJSON_AddItemToArray(rows, o);
		cJSON_AddItemToObject(o, "n", n ? cJSON_Duplicate(n, 0) : cJSON_CreateNull());
		if (!path) {
			rc = huce_fail(&err, HUCE_ENOTFOUND, "no photo %lld in the folder read "
				       "last: read the folder again", (long long)idx);
		} else if (!owner || !*owner) {
			rc = huce_fail(&err, HUCE_EINVAL, "choose the household or inspection");
			fld = "owner";
		} else if (huce_code_resolve(huce_db_handle(l->db), "inspection", owner, oid, NULL) &&
			   huce_code_resolve(huce_db_handle(l->db), "household", owner, oid, &err)) {
			rc = huce_fail(&err, HUCE_ENOTFOUND, "no household or inspection '%.40s'", owner);
			fld = "owner";
		} else if (!kind || huce_enum_index(huce_photo_kinds, kind) < 0) {
			rc = huce_fail(&err, HUCE_EINVAL, "photo kind '%.40s' is not one of: before, "
				       "excavation, tank, water-test, room, pan, vent, cover, plaque, "
				       "after", kind ? kind : "");
			fld = "kind";
		} else {
			rc = huce_photo_prepare(path, &ph, &err);
			if (!rc && (!sha || strcmp(sha, ph.sha256) != 0))
				rc = huce_fail(&err, HUCE_EINVAL, "photo '%s' changed since the folder "
					       "was read: read the folder again", path);
			if (!rc)
				rc = huce_local_begin(l, &err);
			if (!rc) {
				rc = cli_photo_put(k->u->c, oid, kind, &ph, id, NULL);
				if (rc)
					err = k->u->c->err;
			}
			if (!rc)
				rc = huce_local_commit(l, &err);
			if (rc)
				huce_local_rollback(l);
		}
		huce_photo_release(&ph);
		if (rc) {
			cJSON_AddStringToObject(o, "state", "refused");
			cJSON_AddStringToObject(o, "reason", err.msg);
			put_text(o, "field", fld);
			continue;
		}
		cJSON_AddStringToObject(o, "state", "attached");
		cJSON_AddStringToObject(o, "photo", id);
		if (!huce_code_of(huce_db_handle(l->db), "photo", id, code, NULL))
			cJSON_AddStringToObject(o, "code", code);
		attached++;
	}
	cJSON_AddNumberToObject(k->out, "attached", attached);
	return 0;
}

/* --- the weekly list, quarantine, conflicts ----------------------------- */

static int api_report_week(struct ui_call *k)
{
	const char *week = k->rq->arg(k->rq, "week");
	struct huce_report *rep = NULL;
	char thisweek[9];
	enum huce_err rc;
	int y, w;

	if (!week || !*week) {
		huce_this_week(thisweek);
		week = thisweek;
	}
	if (huce_parse_week(week, &y, &w))
		return ui_fail(k, 400, "invalid", "week", "week '%.20s' is not an ISO week like 2026-W48", week);
	rc = huce_report_new(&rep, week, &k->u->c->err);
	if (!rc) {
		huce_report_set_checklists(rep, k->u->cl);
		rc = cli_report_load(k->u->c, rep, week);
	}
	if (!rc)
		rc = huce_report_compute(rep, &k->u->c->err);
	if (!rc) {
		k->out = huce_report_json(rep);
		if (!k->out)
			rc = HUCE_ENOMEM;
	}
	huce_report_free(rep);
	return rc ? ui_fail_err(k, rc, NULL, k->u->c->err.msg) : 0;
}

static int api_quarantine(struct ui_call *k)
{
	k->out = cli_quarantine_json(k->u->c);
	return k->out ? 0 : ui_fail_err(k, k->u->c->err.code, NULL, k->u->c->err.msg);
}

static int sync_running(struct ui *u)
{
	int running;

	pthread_mutex_lock(&u->mu);
	running = u->sync_state == UI_SYNC_RUNNING;
	pthread_mutex_unlock(&u->mu);
	return running;
}

/*
 * Drop or retry a quarantined change: `huce quarantine drop|retry SEQ`
 * (cli_quarantine_drop/retry, which the CLI calls too).  Not while a
 * sync runs: the sync is the other writer of the outbox.
 */
static int quarantine_act(struct ui_call *k, int retry)
{
	struct cli_quarantine_done d;
	enum huce_err rc;
	int64_t seq;

	if (huce_parse_i64(k->id, &seq) || seq < 1)
		return ui_fail(k, 400, "invalid", "seq", "'%.40s' is not a seq of the quarantine", k->id);
	if (sync_running(k->u))
		return ui_fail(k, 409, "busy", NULL, "a sync is running; try again when it is done");
	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	rc = retry ? cli_quarantine_retry(k->u->c, seq, &d) : cli_quarantine_drop(k->u->c, seq, &d);
	if (rc) {
		cli_quarantine_done_release(&d);
		return ui_fail_err(k, rc, NULL, k->u->c->err.msg);
	}
	k->out = cJSON_CreateObject();
	cJSON_AddNumberToObject(k->out, "seq", (double)seq);
	cJSON_AddStringToObject(k->out, "kind", d.kind);
	put_text(k->out, "name", d.name);
	if (retry) {
		cJSON_AddBoolToObject(k->out, "changed", d.changed);
		if (d.changed)
			cJSON_AddNumberToObject(k->out, "new_seq", (double)d.seq);
		else
			cJSON_AddNullToObject(k->out, "new_seq");
	}
	cli_quarantine_done_release(&d);
	return 0;
}

static int api_quarantine_drop(struct ui_call *k)
{
	return quarantine_act(k, 0);
}

static int api_quarantine_retry(struct ui_call *k)
{
	return quarantine_act(k, 1);
}

static int api_conflicts(struct ui_call *k)
{
	static const char *const kinds[] = {
		"household", "inspection", "rectification", "photo", "village",
		"group", "cadre", "team", "target", NULL
	};
	sqlite3_stmt *st;
	cJSON *e;
	int failed = 0;

	st = huce_db_query(db(k), &k->u->c->err,
		"SELECT id, kind, record, field, vals AS values_json, status, resolution "
		"FROM conflict WHERE deleted = 0 AND status = 'open' ORDER BY id", "");
	if (!st)
		return db_fail(k, "cannot list conflicts");
	k->out = rows_json(st, &failed);
	if (failed)
		return db_fail(k, "cannot list conflicts");
	/* Say which record, as the quarantine does (cli_record_name). */
	cJSON_ArrayForEach(e, k->out) {
		const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(e, "record"));
		const char *kind = NULL;
		char *name = NULL;

		for (int i = 0; rec && kinds[i] && !kind; i++) {
			cJSON *row = huce_local_get(k->u->c->l, kinds[i], rec, NULL);

			if (row)
				kind = kinds[i];
			cJSON_Delete(row);
		}
		if (kind)
			name = cli_record_name(k->u->c, kind, rec, NULL);
		put_text(e, "record_kind", kind);
		put_text(e, "name", name);
		free(name);
	}
	return 0;
}

/* --- sync and enrolment -------------------------------------------------- */

static void now_iso(char *out)
{
	huce_iso_time((int64_t)time(NULL), out);
}

struct sync_job {
	struct ui *u;
	const struct huce_net *net;
	char *db_path;
};

/*
 * The sync button: the same sync as `huce sync` (the network module's
 * run()), on a thread of its own and over its own connection to the
 * store, so the pages stay usable meanwhile.
 */
static void *sync_thread(void *arg)
{
	struct sync_job *j = arg;
	struct huce_sync_opts o = { 0 };
	struct huce_sync_stats st = { 0 };
	struct huce_error err = { 0 };
	struct huce_local *l = NULL;
	enum huce_err rc;
	/* Its message goes into a JSON answer: in "C", as the handler's (ui.c). */
	struct huce_i18n_scope in_c = huce_i18n_c_begin();

	rc = huce_local_open(&l, j->db_path, &err);
	if (!rc)
		rc = j->net->run(l, &o, &st, &err);
	huce_local_close(l);
	huce_i18n_c_end(in_c);
	pthread_mutex_lock(&j->u->mu);
	j->u->sync_stats = st;
	j->u->sync_err = err;
	j->u->sync_err.code = rc;
	j->u->sync_state = rc ? UI_SYNC_FAILED : UI_SYNC_DONE;
	now_iso(j->u->sync_finished);
	pthread_mutex_unlock(&j->u->mu);
	free(j->db_path);
	free(j);
	return NULL;
}

void ui_sync_join(struct ui *u)
{
	if (u->sync_thread_live) {
		pthread_join(u->sync_thread, NULL);
		u->sync_thread_live = 0;
	}
}

static int sync_json(struct ui_call *k)
{
	static const char *const states[] = { "idle", "running", "done", "failed" };
	struct ui *u = k->u;
	cJSON *o = cJSON_CreateObject(), *s;

	pthread_mutex_lock(&u->mu);
	cJSON_AddStringToObject(o, "state", states[u->sync_state]);
	put_text(o, "started", u->sync_started[0] ? u->sync_started : NULL);
	put_text(o, "finished", u->sync_finished[0] ? u->sync_finished : NULL);
	s = cJSON_AddObjectToObject(o, "result");
	cJSON_AddNumberToObject(s, "pushed", (double)u->sync_stats.pushed);
	cJSON_AddNumberToObject(s, "quarantined", (double)u->sync_stats.quarantined);
	cJSON_AddNumberToObject(s, "pulled", (double)u->sync_stats.pulled);
	cJSON_AddNumberToObject(s, "photos", (double)u->sync_stats.photos);
	cJSON_AddNumberToObject(s, "requests", (double)u->sync_stats.requests);
	if (u->sync_state == UI_SYNC_FAILED) {
		cJSON_AddStringToObject(o, "error", huce_err_name(u->sync_err.code));
		cJSON_AddStringToObject(o, "message", u->sync_err.msg[0] ? u->sync_err.msg :
					huce_err_text(u->sync_err.code));
	}
	pthread_mutex_unlock(&u->mu);
	add_counts(k, o);
	k->out = o;
	return 0;
}

static int api_sync_start(struct ui_call *k)
{
	struct ui *u = k->u;
	const struct huce_net *net;
	struct sync_job *j;
	char *central;
	int running;

	pthread_mutex_lock(&u->mu);
	running = u->sync_state == UI_SYNC_RUNNING;
	pthread_mutex_unlock(&u->mu);
	if (running) {
		k->status = 202;
		return sync_json(k);
	}
	central = huce_db_meta_get(db(k), "central_url");
	free(central);
	if (!central)
		return ui_fail(k, 409, "not_enrolled", NULL,
			       "this laptop is not enrolled with the town's central yet");
	if (cli_net_load(&net))
		return ui_fail(k, 500, "internal", NULL, "cannot load the network module (huce-net.so)");
	ui_sync_join(u);
	j = calloc(1, sizeof(*j));
	if (!j || !(j->db_path = strdup(u->c->db_path))) {
		free(j);
		return ui_fail(k, 500, "internal", NULL, "out of memory");
	}
	j->u = u;
	j->net = net;
	pthread_mutex_lock(&u->mu);
	u->sync_state = UI_SYNC_RUNNING;
	memset(&u->sync_stats, 0, sizeof(u->sync_stats));
	memset(&u->sync_err, 0, sizeof(u->sync_err));
	now_iso(u->sync_started);
	u->sync_finished[0] = '\0';
	pthread_mutex_unlock(&u->mu);
	if (pthread_create(&u->sync_thread, NULL, sync_thread, j)) {
		free(j->db_path);
		free(j);
		pthread_mutex_lock(&u->mu);
		u->sync_state = UI_SYNC_IDLE;
		pthread_mutex_unlock(&u->mu);
		return ui_fail(k, 500, "internal", NULL, "cannot start the sync");
	}
	u->sync_thread_live = 1;
	k->status = 202;
	return sync_json(k);
}

static int api_enroll(struct ui_call *k)
{
	const char *url = body_str(k, "url"), *token = body_str(k, "token");
	struct huce_sync_opts o = { 0 };
	const struct huce_net *net;
	enum huce_err rc;
	int running;

	if (!url || !*url)
		return ui_fail(k, 400, "invalid", "url", "give the central's address (http://... or https://...)");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return ui_fail(k, 400, "invalid", "url", "the address starts with http:// or https://");
	if (!token || !*token)
		return ui_fail(k, 400, "invalid", "token", "give the token the town office printed");
	pthread_mutex_lock(&k->u->mu);
	running = k->u->sync_state == UI_SYNC_RUNNING;
	pthread_mutex_unlock(&k->u->mu);
	if (running)
		return ui_fail(k, 409, "busy", NULL, "a sync is running; enrol when it is done");
	if (cli_net_load(&net))
		return ui_fail(k, 500, "internal", NULL, "cannot load the network module (huce-net.so)");
	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	rc = net->enroll(k->u->c->l, url, token, &o, &k->u->c->err);
	if (rc)
		return ui_fail_err(k, rc, rc == HUCE_EAUTH || rc == HUCE_EREVOKED ? "token" : "url",
				   k->u->c->err.msg);
	k->out = cJSON_CreateObject();
	cJSON_AddItemToObject(k->out, "device", meta_json(k, "central_device"));
	cJSON_AddStringToObject(k->out, "central", url);
	return 0;
}

/* --- changes: households, progress, inspections ------------------------- */

/*
 * A refusal in the page's language.  Handlers run in the "C" locale (ui.c)
 * so that field_of() can read the form field from the English text; a page
 * in Chinese then gets the same refusal's words in Chinese: once the field is
 * known and the transaction rolled back, the call is made again, in its own
 * transaction rolled back too, under zh_CN (LC_MESSAGES only), and its
 * message replaces the English one.  Nothing is written either way: a
 * refused change writes nothing (DESIGN.md 6), and the rollback undoes what
 * a call might have begun.  Without the zh_CN.UTF-8 locale the message
 * stays English.
 */
typedef enum huce_err (*ui_redo_fn)(struct ui_call *k, void *arg);

static void ui_refusal_in_page_language(struct ui_call *k, ui_redo_fn redo,
					void *arg)
{
	struct huce_local *l = k->u->c->l;
	struct huce_error keep = k->u->c->err;
	locale_t base, zh, was;

	if (ui_lang_english(k->rq->accept_language))
		return;
	base = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!base)
		return;
	zh = newlocale(LC_MESSAGES_MASK, "zh_CN.UTF-8", base);
	if (!zh) {
		freelocale(base);
		return;
	}
	was = uselocale(zh);
	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	if (!huce_local_begin(l, &k->u->c->err)) {
		enum huce_err rc = redo(k, arg);

		huce_local_rollback(l);
		if (rc == keep.code && k->u->c->err.msg[0]) {
			keep = k->u->c->err;
		}
	}
	uselocale(was);
	freelocale(zh);
	k->u->c->err = keep;
}


/*
 * The form field an error of the domain layer concerns.  Its messages
 * begin with the field ("phone: ...", "item 'tank_volume': ...") or
 * name it; wire names are given as the form's.
 */
static const char *field_of(struct ui_call *k, const char *msg,
			    const char *const *fields)
{
	const char *p;

	if (!msg)
		return NULL;
	p = strstr(msg, "item '");
	if (p) {
		const char *end = strchr(p + 6, '\'');

		if (end && end - p - 6 < 60) {
			snprintf(k->field_buf, sizeof(k->field_buf), "item-%.*s",
				 (int)(end - p - 6), p + 6);
			return k->field_buf;
		}
	}
	/*
	 * The field the message begins with, after its kind if it names one
	 * ("household.type: ...", "finished (完工) ... is before started").
	 */
	p = msg;
	for (const char *q = msg; *q >= 'a' && *q <= 'z'; q++) {
		if (q[1] == '.') {
			p = q + 2;
			break;
		}
	}
	for (int i = 0; fields[i]; i++) {
		size_t n = strlen(fields[i]);

		if (strncmp(p, fields[i], n) == 0 && (p[n] == ':' || p[n] == ' '))
			return fields[i];
	}
	for (int i = 0; fields[i]; i++)
		if (strstr(msg, fields[i]))
			return fields[i];
	return NULL;
}


#define UI_PHOTOS_MAX 16
/* base64 of a camera file up to HUCE_PHOTO_MAX_FILE */
#define UI_PHOTO_B64_MAX ((HUCE_PHOTO_MAX_FILE + 2) / 3 * 4)

/* A photo sent with an inspection, re-encoded, kept by cli_photo_put(). */
struct ui_photo {
	const char *kind;
	struct huce_photo ph;
};

/*
 * The form field a photo came from ("photo-CODE", as the page names its
 * file input), so that a refusal is shown there; "photos" otherwise.
 */
static const char *photo_field(const cJSON *p)
{
	const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(p, "field"));

	if (!f || strncmp(f, "photo-", 6) != 0 || strlen(f) > 64)
		return "photos";
	for (const char *s = f + 6; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return "photos";
	return f;
}

/*
 * Decode one photo of the body ({kind, name, field, data: base64}) and
 * re-encode it as the CLI does (huce_photo_prepare_mem: a whole JPEG
 * within the limits, upright, shrunk, time and GPS kept), before
 * anything is written.  A refusal is 400 at the photo's field with the
 * CLI's message, naming the file by its name on the cadre's machine.
 * out->ph is released by the caller, also on failure.
 */
static int photo_read(struct ui_call *k, const cJSON *p, struct ui_photo *out)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(p, "kind"));
	const char *data = cJSON_GetStringValue(cJSON_GetObjectItem(p, "data"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
	const char *fld = photo_field(p);
	struct huce_error err = { 0 };
	unsigned char *bin;
	char shown[81];
	size_t n, len;
	int dn;

	memset(out, 0, sizeof(*out));
	if (!kind || huce_enum_index(huce_photo_kinds, kind) < 0)
		return ui_fail(k, 400, "invalid", fld, "photo kind '%.40s' is not one of: before, "
			       "excavation, tank, water-test, room, pan, vent, cover, plaque, after",
			       kind ? kind : "");
	out->kind = huce_photo_kinds[huce_enum_index(huce_photo_kinds, kind)];
	snprintf(shown, sizeof(shown), "%s", name && *name ? name : kind);
	n = data ? strlen(data) : 0;
	if (n == 0)
		return ui_fail(k, 400, "invalid", fld, "photo '%s' is empty", shown);
	if (n % 4)
		return ui_fail(k, 400, "invalid", fld, "photo '%s' is not base64", shown);
	if (n > UI_PHOTO_B64_MAX)
		return ui_fail(k, 400, "invalid", fld,
			       "photo '%s' is larger than %zu MiB: not a camera photo",
			       shown, HUCE_PHOTO_MAX_FILE >> 20);
	bin = malloc(n / 4 * 3 + 1);
	if (!bin)
		return ui_fail(k, 500, "internal", NULL, "out of memory");
	dn = EVP_DecodeBlock(bin, (const unsigned char *)data, (int)n);
	len = dn < 0 ? 0 : (size_t)dn - (data[n - 1] == '=') - (data[n - 2] == '=');
	if (dn < 0) {
		free(bin);
		return ui_fail(k, 400, "invalid", fld, "photo '%s' is not base64", shown);
	}
	if (huce_photo_prepare_mem(bin, len, shown, &out->ph, &err)) {
		free(bin);
		return ui_fail_err(k, err.code, fld, err.msg);
	}
	free(bin);
	return 0;
}

static const char *const household_fields[] = {
	"village", "group", "head", "approach", "build", "team", "type", "cadre",
	"id_number", "phone", "house_no", "gps", "water", "current_toilet",
	"agreement", "planned_week", "started", "finished", NULL
};

/* A record of kind named by its id must exist here (a select's value). */
static int known_ref(struct ui_call *k, const char *kind, const char *id,
		     const char *field)
{
	cJSON *row = huce_local_get(k->u->c->l, kind, id, NULL);
	int ok = row && !cJSON_IsTrue(cJSON_GetObjectItem(row, "deleted")) &&
		 cJSON_GetNumberValue(cJSON_GetObjectItem(row, "deleted")) == 0;

	cJSON_Delete(row);
	return ok ? 0 : ui_fail(k, 400, "invalid", field, "%s '%.40s' not found", kind, id);
}

/*
 * The form's values (names as in household_fields, ids for the
 * selects, codes or Chinese labels for the choices) as wire fields.
 * cur is the household before the change (NULL when new).
 */
static int household_change(struct ui_call *k, const cJSON *cur, cJSON *f)
{
	const cJSON *e;
	const char *vid = cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id"));

	cJSON_ArrayForEach(e, k->body) {
		const char *key = e->string, *val = cJSON_GetStringValue(e), *code;
		int known = 0;

		for (int i = 0; household_fields[i]; i++)
			known |= strcmp(key, household_fields[i]) == 0;
		if (!known)
			return ui_fail(k, 400, "invalid", key, "'%.40s' is not a household field", key);
		if (!val)
			return ui_fail(k, 400, "invalid", key, "%s: give a text value", key);
		if (strcmp(key, "village") == 0) {
			if (known_ref(k, "village", val, key))
				return -1;
			vid = val;
			cJSON_AddStringToObject(f, "village_id", val);
		} else if (strcmp(key, "team") == 0 || strcmp(key, "cadre") == 0) {
			char wire[16];

			snprintf(wire, sizeof(wire), "%s_id", key);
			if (!*val) {
				cJSON_AddNullToObject(f, wire);
				continue;
			}
			if (known_ref(k, key, val, key))
				return -1;
			cJSON_AddStringToObject(f, wire, val);
		} else if (strcmp(key, "approach") == 0 || strcmp(key, "build") == 0 ||
			   strcmp(key, "type") == 0) {
			code = strcmp(key, "approach") == 0 ? huce_approach_code(val) :
			       strcmp(key, "build") == 0 ? huce_build_code(val) :
			       huce_toilet_type_label(val) ? val : huce_toilet_type_from_label(val);
			/* Neither a code nor a label: the domain layer says what it accepts. */
			cJSON_AddStringToObject(f, key, code ? code : val);
		} else if (strcmp(key, "water") == 0) {
			cJSON_AddStringToObject(f, key, strcmp(val, "宜水") == 0 ? "wet" :
						strcmp(val, "宜旱") == 0 ? "dry" : val);
		} else if (strcmp(key, "id_number") == 0) {
			enum huce_err rc = huce_local_idnum_fields(k->u->c->l, val, f, &k->u->c->err);

			if (rc)
				return ui_fail_err(k, rc, key, k->u->c->err.msg);
		} else if (strcmp(key, "group") != 0) {
			if (!*val && strcmp(key, "head") != 0)
				cJSON_AddNullToObject(f, key);
			else
				cJSON_AddStringToObject(f, key, val);
		}
	}
	/* The group lies in the household's village. */
	{
		const char *gid = body_str(k, "group");
		cJSON *g;
		const char *gv;

		if (!gid && cJSON_GetObjectItem(k->body, "village") && cur &&
		    vid && strcmp(vid, cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id")) ?
				  cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id")) : "") != 0)
			return ui_fail(k, 400, "invalid", "group", "moving a household to another village needs its group too");
		if (!gid)
			return 0;
		g = huce_local_get(k->u->c->l, "group", gid, NULL);
		gv = cJSON_GetStringValue(cJSON_GetObjectItem(g, "village_id"));
		if (!g || !gv || !vid || strcmp(gv, vid) != 0) {
			cJSON_Delete(g);
			return ui_fail(k, 400, "invalid", "group", "choose a group of the household's village");
		}
		cJSON_Delete(g);
		cJSON_AddStringToObject(f, "group_id", gid);
	}
	return 0;
}

static const char *wire_to_form(const char *f)
{
	static const char *const map[][2] = {
		{ "village_id", "village" }, { "group_id", "group" }, { "team_id", "team" },
		{ "cadre_id", "cadre" }, { "id_masked", "id_number" }, { "id_hash", "id_number" },
	};

	for (size_t i = 0; f && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(f, map[i][0]) == 0)
			return map[i][1];
	return f;
}

struct household_redo {
	const char *id;
	const cJSON *fields;
	int creating;
};

static enum huce_err household_redo(struct ui_call *k, void *arg)
{
	const struct household_redo *r = arg;
	int changed = 0;

	return huce_local_household_write(k->u->c->l, r->id, (cJSON *)r->fields,
					  r->creating, &changed, &k->u->c->err);
}

static int household_write(struct ui_call *k, const char *id, int creating)
{
	static const char *const wire_fields[] = {
		"village_id", "group_id", "team_id", "cadre_id", "id_masked", NULL
	};
	struct huce_local *l = k->u->c->l;
	char newid[HUCE_ID_STRLEN + 1];
	cJSON *cur = NULL, *f = cJSON_CreateObject();
	enum huce_err rc;
	int changed = 0;

	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	if (!creating)
		cur = huce_local_get(l, "household", id, NULL);
	if (household_change(k, cur, f)) {
		cJSON_Delete(cur);
		cJSON_Delete(f);
		return -1;
	}
	rc = huce_local_begin(l, &k->u->c->err);
	if (!rc && creating) {
		rc = huce_local_new_id(l, newid);
		id = newid;
	}
	if (!rc)
		rc = huce_local_household_write(l, id, f, creating, &changed, &k->u->c->err);
	if (!rc)
		rc = huce_local_commit(l, &k->u->c->err);
	cJSON_Delete(cur);
	if (rc) {
		const char *msg = k->u->c->err.msg;
		const char *fld = field_of(k, msg, household_fields);
		struct household_redo hr = { id, f, creating };

		huce_local_rollback(l);
		if (!fld)
			fld = wire_to_form(field_of(k, msg, wire_fields));
		ui_refusal_in_page_language(k, household_redo, &hr);
		cJSON_Delete(f);
		return ui_fail_err(k, rc, fld, msg);
	}
	cJSON_Delete(f);
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "id", id);
	cJSON_AddNumberToObject(k->out, "changed", changed);
	if (creating)
		k->status = 201;
	return 0;
}

static int api_household_add(struct ui_call *k)
{
	static const char *const required[] = {
		"village", "group", "head", "approach", "build", "type", NULL
	};

	for (int i = 0; required[i]; i++) {
		const char *v = body_str(k, required[i]);

		if (!v || !*v)
			return ui_fail(k, 400, "invalid", required[i], "%s is required", required[i]);
	}
	return household_write(k, NULL, 1);
}

static int api_household_set(struct ui_call *k)
{
	char id[HUCE_ID_STRLEN + 1];

	if (find_household(k, k->id, id))
		return -1;
	return household_write(k, id, 0);
}

static int api_household_progress(struct ui_call *k)
{
	char id[HUCE_ID_STRLEN + 1];
	const cJSON *e;

	if (find_household(k, k->id, id))
		return -1;
	cJSON_ArrayForEach(e, k->body)
		if (strcmp(e->string, "started") != 0 && strcmp(e->string, "finished") != 0)
			return ui_fail(k, 400, "invalid", e->string, "progress is started and finished only");
	return household_write(k, id, 0);
}

static enum huce_err inspection_redo(struct ui_call *k, void *arg)
{
	struct huce_inspection_out o = { 0 };
	enum huce_err rc = huce_local_inspection_record(k->u->c->l, k->u->cl, arg,
							&o, &k->u->c->err);

	huce_eval_release(&o.ev);
	return rc;
}

static int api_inspect(struct ui_call *k)
{
	static const char *const fields[] = {
		"inspectors", "inspector", "date", "stage", "result", "note", "gps", "household", NULL
	};
	const char *codes[HUCE_CHECKLIST_MAX_ITEMS * 2], *values[HUCE_CHECKLIST_MAX_ITEMS * 2];
	const char *names[32];
	struct huce_inspection_in in = { 0 };
	struct huce_inspection_out o = { 0 };
	struct huce_local *l = k->u->c->l;
	struct ui_photo photos[UI_PHOTOS_MAX];
	const char *kinds[UI_PHOTOS_MAX];
	char hh[HUCE_ID_STRLEN + 1], today[11], num[64][32], pid[HUCE_ID_STRLEN + 1];
	int np;
	const cJSON *e;
	const char *stage = body_str(k, "stage"), *result = body_str(k, "result");
	enum huce_err rc;
	size_t n = 0;

	if (find_household(k, body_str(k, "household"), hh))
		return -1;
	in.household_id = hh;
	in.stage = huce_stage_parse(stage);
	if (in.stage < 0)
		return ui_fail(k, 400, "invalid", "stage", "stage '%.40s' is not one of: excavation, "
			       "pre-cover, completion, first-toilet, re-inspection, spot-check",
			       stage ? stage : "");
	in.date = body_str(k, "date");
	if (!in.date || !*in.date) {
		huce_today(today);
		in.date = today;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(k->body, "inspectors")) {
		if (!cJSON_IsString(e) || in.ninspectors == 32)
			return ui_fail(k, 400, "invalid", "inspectors", "inspectors are up to 32 names");
		names[in.ninspectors++] = e->valuestring;
	}
	if (!in.ninspectors)
		return ui_fail(k, 400, "invalid", "inspectors", "choose at least one inspector");
	in.inspectors = names;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(k->body, "items")) {
		if (n == sizeof(codes) / sizeof(codes[0]))
			return ui_fail(k, 400, "invalid", NULL, "too many items");
		codes[n] = e->string;
		if (cJSON_IsString(e)) {
			values[n] = e->valuestring;
		} else if (cJSON_IsBool(e)) {
			values[n] = cJSON_IsTrue(e) ? "yes" : "no";
		} else if (cJSON_IsNumber(e) && n < 64) {
			snprintf(num[n], sizeof(num[n]), "%.10g", e->valuedouble);
			values[n] = num[n];
		} else {
			return ui_fail(k, 400, "invalid", "", "item '%.40s': give a number or yes/no", e->string);
		}
		n++;
	}
	in.codes = codes;
	in.values = values;
	in.nitems = n;
	in.result = result && *result ? result : NULL;
	in.note = body_str(k, "note");
	in.gps = body_str(k, "gps");
	np = cJSON_GetArraySize(cJSON_GetObjectItem(k->body, "photos"));
	if (np > UI_PHOTOS_MAX)
		return ui_fail(k, 400, "invalid", "photos", "at most %d photos", UI_PHOTOS_MAX);
	for (int i = 0; i < np; i++) {
		if (photo_read(k, cJSON_GetArrayItem(cJSON_GetObjectItem(k->body, "photos"), i),
			       &photos[i])) {
			for (int j = 0; j <= i; j++)
				huce_photo_release(&photos[j].ph);
			return -1;
		}
	}
	for (int i = 0; i < np; i++)
		kinds[i] = photos[i].kind;
	in.photo_kinds = kinds;
	in.nphotos = (size_t)np;
	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	rc = huce_local_begin(l, &k->u->c->err);
	if (!rc)
		rc = huce_local_inspection_record(l, k->u->cl, &in, &o, &k->u->c->err);
	for (int i = 0; i < np && !rc; i++)
		rc = cli_photo_put(k->u->c, o.id, photos[i].kind, &photos[i].ph, pid, NULL);
	for (int i = 0; i < np; i++)
		huce_photo_release(&photos[i].ph);
	if (!rc)
		rc = huce_local_commit(l, &k->u->c->err);
	if (rc) {
		const char *fld = field_of(k, k->u->c->err.msg, fields);

		huce_local_rollback(l);
		huce_eval_release(&o.ev);
		if (fld && strcmp(fld, "inspector") == 0)
			fld = "inspectors";
		/* an item lacking its photo: the error goes to the item's photo slot */
		if (fld && strncmp(fld, "item-", 5) == 0 && strstr(k->u->c->err.msg, " photo at stage ")) {
			char slot[sizeof(k->field_buf)];

			snprintf(slot, sizeof(slot), "photo-%s", fld + 5);
			snprintf(k->field_buf, sizeof(k->field_buf), "%s", slot);
			fld = k->field_buf;
		}
		ui_refusal_in_page_language(k, inspection_redo, &in);
		return ui_fail_err(k, rc, fld, k->u->c->err.msg);
	}
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "id", o.id);
	cJSON_AddStringToObject(k->out, "result", o.result);
	cJSON_AddBoolToObject(k->out, "overridden", o.overridden);
	cJSON_AddItemToObject(k->out, "failed", cJSON_Duplicate(o.ev.failed, 1));
	cJSON_AddItemToObject(k->out, "veto", cJSON_Duplicate(o.ev.veto, 1));
	put_text(k->out, "deadline", o.deadline[0] ? o.deadline : NULL);
	cJSON_AddNumberToObject(k->out, "closed", o.closed);
	cJSON_AddStringToObject(k->out, "status", huce_status_name(o.status));
	{
		sqlite3_stmt *st = huce_db_query(db(k), NULL,
			"SELECT id FROM rectification WHERE inspection_id = ?1 AND deleted = 0 "
			"ORDER BY id LIMIT 1", "s", o.id);

		put_text(k->out, "rectification",
			 st && sqlite3_step(st) == SQLITE_ROW ? col(st, 0) : NULL);
		if (st)
			sqlite3_reset(st);
	}
	huce_eval_release(&o.ev);
	k->status = 201;
	return 0;
}

/*
 * Void a wrong inspection: `huce inspect void ID --reason TEXT`
 * (huce_local_inspection_void, which checks the reason).
 */
struct void_redo {
	const char *id, *reason;
};

static enum huce_err void_redo(struct ui_call *k, void *arg)
{
	const struct void_redo *r = arg;
	struct huce_void_out o;

	return huce_local_inspection_void(k->u->c->l, r->id, r->reason, &o,
					  &k->u->c->err);
}

static int api_inspection_void(struct ui_call *k)
{
	char id[HUCE_ID_STRLEN + 1];
	struct huce_error err = { 0 };
	struct huce_void_out o;
	struct huce_local *l = k->u->c->l;
	const char *reason = body_str(k, "reason");
	enum huce_err rc;

	rc = huce_code_resolve(huce_db_handle(db(k)), "inspection", k->id, id, &err);
	if (rc)
		return ui_fail_err(k, rc, NULL, err.msg);
	memset(&k->u->c->err, 0, sizeof(k->u->c->err));
	rc = huce_local_begin(l, &k->u->c->err);
	if (!rc)
		rc = huce_local_inspection_void(l, id, reason, &o, &k->u->c->err);
	if (!rc)
		rc = huce_local_commit(l, &k->u->c->err);
	if (rc) {
		static const char *const fields[] = { "reason", NULL };
		struct void_redo vr = { id, reason };
		const char *fld = field_of(k, k->u->c->err.msg, fields);

		huce_local_rollback(l);
		ui_refusal_in_page_language(k, void_redo, &vr);
		return ui_fail_err(k, rc, fld, k->u->c->err.msg);
	}
	k->out = cJSON_CreateObject();
	cJSON_AddStringToObject(k->out, "id", id);
	cJSON_AddStringToObject(k->out, "household", o.household_id);
	cJSON_AddNumberToObject(k->out, "closed", o.closed);
	cJSON_AddNumberToObject(k->out, "reopened", o.reopened);
	cJSON_AddStringToObject(k->out, "status", huce_status_name(o.status));
	put_text(k->out, "status_label", huce_status_label(o.status));
	return 0;
}

/* --- routing ------------------------------------------------------------- */

struct route {
	const char *method;
	const char *path;	/* first segment */
	int with_id;		/* 0 none, 1 required, 2 optional */
	const char *sub;	/* the segment after the id, or NULL */
	int (*fn)(struct ui_call *k);
};

static int api_sync_get(struct ui_call *k)
{
	return sync_json(k);
}

static const struct route routes[] = {
	{ "GET", "session", 0, NULL, api_session },
	{ "GET", "choices", 0, NULL, api_choices },
	{ "GET", "status", 0, NULL, api_status },
	{ "GET", "today", 0, NULL, api_today },
	{ "GET", "households", 0, NULL, api_households },
	{ "GET", "households", 1, NULL, api_household },
	{ "GET", "checklist", 0, NULL, api_checklist },
	{ "GET", "inspections", 1, NULL, api_inspection },
	{ "GET", "rectifications", 2, NULL, api_rectifications },
	{ "GET", "report-week", 0, NULL, api_report_week },
	{ "GET", "quarantine", 0, NULL, api_quarantine },
	{ "GET", "conflicts", 0, NULL, api_conflicts },
	{ "GET", "photos", 1, NULL, api_photo },
	{ "GET", "sync", 0, NULL, api_sync_get },
	{ "POST", "sync", 0, NULL, api_sync_start },
	{ "POST", "enroll", 0, NULL, api_enroll },
	{ "POST", "households", 0, NULL, api_household_add },
	{ "POST", "households", 1, NULL, api_household_set },
	{ "POST", "households", 1, "progress", api_household_progress },
	{ "POST", "inspections", 0, NULL, api_inspect },
	{ "POST", "photo-import", 0, NULL, api_import_scan },
	{ "GET", "photo-import", 1, NULL, api_import_preview },
	{ "POST", "photo-import", 1, NULL, api_import_attach },
	{ "POST", "inspections", 1, "void", api_inspection_void },
	{ "POST", "quarantine", 1, "drop", api_quarantine_drop },
	{ "POST", "quarantine", 1, "retry", api_quarantine_retry },
	{ NULL, NULL, 0, NULL, NULL },
};

int ui_api(struct ui_call *k, const char *path)
{
	char seg[3][64] = { "", "", "" };
	int n = 0;
	const char *p = path;

	/* Up to three segments: collection / id / sub. */
	while (*p && n < 3) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0 || len >= sizeof(seg[0]))
			return ui_fail(k, 404, "not_found", NULL, "no such API");
		memcpy(seg[n], p, len);
		seg[n++][len] = '\0';
		p += len;
		if (*p == '/')
			p++;
	}
	if (*p || n == 0)
		return ui_fail(k, 404, "not_found", NULL, "no such API");
	k->id = n > 1 ? seg[1] : NULL;
	k->sub = n > 2 ? seg[2] : NULL;
	for (const struct route *r = routes; r->method; r++) {
		if (strcmp(r->path, seg[0]) != 0 || strcmp(r->method, k->rq->method) != 0)
			continue;
		if ((r->with_id == 0 && k->id) || (r->with_id == 1 && !k->id))
			continue;
		if (r->sub ? !k->sub || strcmp(r->sub, k->sub) != 0 : k->sub != NULL)
			continue;
		return r->fn(k);
	}
	return ui_fail(k, 404, "not_found", NULL, "no such API: %s /api/%.100s", k->rq->method, path);
}
