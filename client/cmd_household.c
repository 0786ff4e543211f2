/*
 * cmd_household.c - households (农户) and their renovation: add, list,
 * show, set, assign, delete.
 *
 * `add`, `set` and `progress` share one path: each FIELD=VALUE (the
 * option values of `add` and `progress` are turned into the same pairs)
 * is resolved into wire fields by set_field() (names to ids, Chinese
 * labels to codes), the group is resolved inside its village, and
 * huce_local_household_write() applies the domain rules on the state
 * after the change (team and build mode, phone, GPS, 开工/完工 dates,
 * one ID number one household, the first-toilet gate), writes it with
 * its outbox row and derives the status, in one transaction.  The status
 * itself is never a FIELD.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "huce_code.h"
#include "huce_checklist.h"
#include "huce_domain_local.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_review.h"
#include "huce_util.h"

#define HH_SELECT \
	"SELECT h.id, v.name, g.name, h.head, h.approach, h.build, h.type, " \
	"t.name, cd.name, h.status, h.version, h.planned_week, h.water, " \
	"h.village_id, h.group_id, h.team_id, h.cadre_id, h.started, h.finished " \
	"FROM household h " \
	"LEFT JOIN village v ON v.id = h.village_id " \
	"LEFT JOIN village_group g ON g.id = h.group_id " \
	"LEFT JOIN team t ON t.id = h.team_id " \
	"LEFT JOIN cadre cd ON cd.id = h.cadre_id "

static const char *str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static void add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	if (s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

/* The office's review of household id (huce_review.h); "received" when none. */
static cJSON *review_of(struct cli *c, const char *id)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, NULL,
		"SELECT state, note, reviewer, reviewed_at FROM review "
		"WHERE household = ?1 AND deleted = 0", "s", id);
	cJSON *o;

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		o = huce_review_json(NULL, NULL, NULL, NULL);
	else
		o = huce_review_json((const char *)sqlite3_column_text(st, 0),
				     (const char *)sqlite3_column_text(st, 1),
				     (const char *)sqlite3_column_text(st, 2),
				     (const char *)sqlite3_column_text(st, 3));
	if (st)
		sqlite3_reset(st);
	return o;
}

cJSON *cli_household_json(struct cli *c, sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_text(o, "id", st, 0);
	add_text(o, "village", st, 1);
	add_text(o, "group", st, 2);
	add_text(o, "head", st, 3);
	add_text(o, "approach", st, 4);
	add_text(o, "build", st, 5);
	add_text(o, "type", st, 6);
	add_text(o, "team", st, 7);
	add_text(o, "cadre", st, 8);
	add_text(o, "status", st, 9);
	cJSON_AddNumberToObject(o, "version", (double)sqlite3_column_int64(st, 10));
	add_text(o, "planned_week", st, 11);
	add_text(o, "water", st, 12);
	add_text(o, "started", st, 17);
	add_text(o, "finished", st, 18);
	cJSON_AddItemToObject(o, "review", review_of(c, (const char *)sqlite3_column_text(st, 0)));
	return o;
}

/* Resolution context: the village named in the same command, if any. */
struct hh_ctx {
	char village_id[HUCE_ID_STRLEN + 1];
	const char *group;	/* group name given, resolved after village */
};

/* Turn one KEY=VALUE into wire fields in f.  Returns an exit code. */
static int set_field(struct cli *c, cJSON *f, struct hh_ctx *x,
		     const char *key, const char *val)
{
	char id[HUCE_ID_STRLEN + 1];
	const char *code;
	int r;

	if (strcmp(key, "village") == 0) {
		r = cli_resolve(c, "village", NULL, val, x->village_id);
		if (r)
			return r;
		cJSON_AddStringToObject(f, "village_id", x->village_id);
		return 0;
	}
	if (strcmp(key, "group") == 0) {
		x->group = val;	/* needs the village; resolved by finish */
		return 0;
	}
	if (strcmp(key, "team") == 0 || strcmp(key, "cadre") == 0) {
		char wire[16];

		snprintf(wire, sizeof(wire), "%s_id", key);
		if (!*val) {
			cJSON_AddNullToObject(f, wire);
			return 0;
		}
		r = cli_resolve(c, key, NULL, val, id);
		if (r)
			return r;
		cJSON_AddStringToObject(f, wire, id);
		return 0;
	}
	if (strcmp(key, "approach") == 0) {
		code = huce_approach_code(val);
		if (!code)
			return cli_error(HUCE_EINVAL,
					 _("approach '%s' is not biogas-retrofit (原有沼气池改造) or new-build (整厕新建)"),
					 val);
		cJSON_AddStringToObject(f, "approach", code);
		return 0;
	}
	if (strcmp(key, "build") == 0) {
		code = huce_build_code(val);
		if (!code)
			return cli_error(HUCE_EINVAL,
					 _("build '%s' is not self (自建) or contracted (统建)"), val);
		cJSON_AddStringToObject(f, "build", code);
		return 0;
	}
	if (strcmp(key, "type") == 0) {
		code = huce_toilet_type_label(val) ? val : huce_toilet_type_from_label(val);
		if (!code)
			return cli_error(HUCE_EINVAL,
					 _("type '%s' is not one of: three-grid, double-urn, biogas, "
					 "urine-diversion, double-pit, sewer"), val);
		cJSON_AddStringToObject(f, "type", code);
		return 0;
	}
	if (strcmp(key, "water") == 0) {
		if (strcmp(val, "宜水") == 0)
			val = "wet";
		else if (strcmp(val, "宜旱") == 0)
			val = "dry";
	}
	if (strcmp(key, "id_number") == 0 || strcmp(key, "id-number") == 0)
		return huce_local_idnum_fields(c->l, val, f, &c->err) ?
			cli_fail(c, c->err.code) : 0;
	if (strcmp(key, "status") == 0)
		return cli_error(HUCE_EUSAGE,
				 _("status is derived, not set: it changes with "
				 "`huce household progress` (开工/完工), `huce inspect` "
				 "and `huce inspect void`"));
	if (strcmp(key, "开工") == 0)
		key = "started";
	if (strcmp(key, "完工") == 0)
		key = "finished";
	if (strcmp(key, "planned-week") == 0)
		key = "planned_week";
	if (strcmp(key, "house-no") == 0)
		key = "house_no";
	if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0 ||
	    strcmp(key, "merged_into") == 0 || strcmp(key, "id_masked") == 0 ||
	    strcmp(key, "id_hash") == 0 || strcmp(key, "head_norm") == 0 ||
	    strcmp(key, "village_id") == 0 || strcmp(key, "group_id") == 0 ||
	    strcmp(key, "team_id") == 0 || strcmp(key, "cadre_id") == 0 ||
	    !huce_field_find(huce_kind_find("household"), key))
		return cli_error(HUCE_EINVAL,
				 _("household field '%s' cannot be set (fields: village, group, head, "
				 "approach, build, type, team, cadre, id_number, phone, house_no, "
				 "gps, water, current_toilet, agreement, planned_week, started, "
				 "finished)"), key);
	if (!*val && !huce_field_find(huce_kind_find("household"), key)->required)
		cJSON_AddNullToObject(f, key);
	else
		cJSON_AddStringToObject(f, key, val);
	return 0;
}

/*
 * After the pairs are in: the group is resolved inside the village (the
 * household's own when the command names none).  The domain rules come
 * after, in huce_local_household_write().
 */
static int finish_household(struct cli *c, cJSON *f, struct hh_ctx *x,
			    const cJSON *cur)
{
	char gid[HUCE_ID_STRLEN + 1];
	const char *vid = x->village_id[0] ? x->village_id :
		cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id"));
	int r;

	if (x->group) {
		if (!vid)
			return cli_error(HUCE_EINVAL, _("group needs a village"));
		r = cli_resolve(c, "group", vid, x->group, gid);
		if (r)
			return r;
		cJSON_AddStringToObject(f, "group_id", gid);
	} else if (x->village_id[0] && cur &&
		   strcmp(x->village_id, cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id")) ?
			  cJSON_GetStringValue(cJSON_GetObjectItem(cur, "village_id")) : "") != 0) {
		return cli_error(HUCE_EINVAL, _("moving a household to another village needs its group too"));
	}
	return 0;
}

enum huce_err cli_household_rules(struct cli *c, cJSON *f, const cJSON *cur,
				  const char *id)
{
	/* An entry from before status was derived still carries it: dropped. */
	cJSON_DeleteItemFromObjectCaseSensitive(f, "status");
	return huce_local_household_check(c->l, id, f, cur == NULL, &c->err);
}

static const char add_usage[] =
N_("usage: huce household add --village V --group G --head NAME\n"
"         --approach biogas-retrofit|new-build --build self|contracted [--team T]\n"
"         --type three-grid|double-urn|biogas|urine-diversion|double-pit|sewer\n"
"         [--id-number N] [--phone P] [--cadre C] [--planned-week YYYY-Www]\n"
"         [--house-no N] [--water wet|dry] [--gps LAT,LON] [--current-toilet TEXT]\n"
"         [--agreement TEXT] [--started YYYY-MM-DD] [--finished YYYY-MM-DD]\n"
"Register a household for renovation.  Chinese values are accepted too\n"
"(原有沼气池改造, 整厕新建, 自建, 统建, 三格化粪池式, ...).  A contracted\n"
"(统建) toilet names its --team, a self-built (自建) one has none.  PHONE is\n"
"an 11-digit mobile or a landline with its area code (0871-1234567); GPS is\n"
"LAT,LON in decimal degrees.  One ID number is one household; only the\n"
"masked ID number and a keyed hash are stored.  Prints the new household id\n"
"last.\n");

static int hh_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 1000 },
		{ "group", required_argument, NULL, 1001 },
		{ "head", required_argument, NULL, 1002 },
		{ "approach", required_argument, NULL, 1003 },
		{ "build", required_argument, NULL, 1004 },
		{ "team", required_argument, NULL, 1005 },
		{ "type", required_argument, NULL, 1006 },
		{ "id-number", required_argument, NULL, 1007 },
		{ "phone", required_argument, NULL, 1008 },
		{ "cadre", required_argument, NULL, 1009 },
		{ "planned-week", required_argument, NULL, 1010 },
		{ "house-no", required_argument, NULL, 1011 },
		{ "water", required_argument, NULL, 1012 },
		{ "gps", required_argument, NULL, 1013 },
		{ "current-toilet", required_argument, NULL, 1014 },
		{ "agreement", required_argument, NULL, 1015 },
		{ "started", required_argument, NULL, 1016 },
		{ "finished", required_argument, NULL, 1017 },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = {
		"village", "group", "head", "approach", "build", "team", "type",
		"id_number", "phone", "cadre", "planned_week", "house_no", "water",
		"gps", "current_toilet", "agreement", "started", "finished",
	};
	const char *vals[18] = { 0 };
	struct hh_ctx x = { 0 };
	char id[HUCE_ID_STRLEN + 1];
	cJSON *f = NULL;
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, add_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch >= 1000 && ch < 1018)
			vals[ch - 1000] = optarg;
	}
	if (optind != argc)
		return cli_usage(add_usage, _("unexpected argument '%s'"), argv[optind]);
	for (int i = 0; i < 7; i++)
		if (i != 5 && !vals[i])
			return cli_usage(add_usage, _("--%s is required"), keys[i]);
	r = cli_open(c);
	if (r)
		return r;
	f = cJSON_CreateObject();
	if (!f)
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	for (int i = 0; i < 18; i++) {
		if (!vals[i])
			continue;
		r = set_field(c, f, &x, keys[i], vals[i]);
		if (r)
			goto out;
	}
	rc = huce_local_begin(c->l, &c->err);
	if (rc) {
		r = cli_fail(c, rc);
		goto out;
	}
	r = finish_household(c, f, &x, NULL);
	if (r) {
		huce_local_rollback(c->l);
		goto out;
	}
	rc = huce_local_new_id(c->l, id);
	if (!rc)
		rc = huce_local_household_write(c->l, id, f, 1, NULL, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		r = cli_fail(c, rc);
		goto out;
	}
	printf(_("added household %s\n%s\n"), vals[2], id);
out:
	cJSON_Delete(f);
	return r;
}

static const char list_usage[] =
N_("usage: huce household list [--village V] [--status S] [--review STATE] [--json]\n"
"JSON: an array of objects with id, village, group, head, approach, build,\n"
"type, team, cadre, status, version, planned_week, water, started, finished,\n"
"review.  status is derived (planned, building, built, accepted, failed,\n"
"rectifying).  --review: received, approved, has-issues or edited (the\n"
"office's review), or 已接收, 审核通过, 有问题, 已修改.\n");

static int hh_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "status", required_argument, NULL, 's' },
		{ "review", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *village = NULL, *status = NULL, *review = NULL;
	char vid[HUCE_ID_STRLEN + 1] = "";
	sqlite3_stmt *st;
	cJSON *arr;
	int json = 0, ch, r, s;

	while ((ch = cli_getopt(argc, argv, opts, &json, list_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'v')
			village = optarg;
		else if (ch == 's')
			status = optarg;
		else if (ch == 'r')
			review = optarg;
	}
	if (optind != argc)
		return cli_usage(list_usage, _("unexpected argument '%s'"), argv[optind]);
	if (status && huce_enum_index(huce_statuses, status) < 0)
		return cli_error(HUCE_EINVAL,
				 _("status '%s' is not one of: planned, building, built, accepted, failed, rectifying"),
				 status);
	if (review && huce_review_parse_text(review) < 0)
		return cli_error(HUCE_EINVAL, _("review state '%s' is not one of: received "
				 "(已接收), approved (审核通过), has-issues (有问题), edited "
				 "(已修改)"), review);
	if (review)
		review = huce_review_states[huce_review_parse_text(review)];
	r = cli_open(c);
	if (r)
		return r;
	if (village) {
		r = cli_resolve(c, "village", NULL, village, vid);
		if (r)
			return r;
	}
	st = huce_db_query(c->l->db, &c->err,
		HH_SELECT "WHERE h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1) "
		"AND (?2 IS NULL OR h.status = ?2) "
		"AND (?3 IS NULL OR coalesce((SELECT r.state FROM review r WHERE "
		"r.household = h.id AND r.deleted = 0), 'received') = ?3) "
		"ORDER BY v.name, g.name, h.head, h.id",
		"sss", village ? vid : NULL, status, review);
	if (!st)
		return cli_fail(c, c->err.code);
	arr = cJSON_CreateArray();
	if (!json)
		printf(_("code\tid\tvillage\tgroup\thead\ttype\tbuild\tteam\tcadre\tstatus\n"));
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cli_household_json(c, st);
		char code[HUCE_CODE_STRLEN + 1];

		if (huce_code_of(huce_db_handle(c->l->db), "household",
				 cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), code, NULL))
			snprintf(code, sizeof(code), "%.6s", "?");
		cJSON_AddStringToObject(o, "code", code);
		if (!json) {
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", code,
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")),
			       str_or(cJSON_GetStringValue(cJSON_GetObjectItem(o, "village")), "-"),
			       str_or(cJSON_GetStringValue(cJSON_GetObjectItem(o, "group")), "-"),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "head")),
			       huce_value_text("type", cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"))),
			       huce_value_text("build", cJSON_GetStringValue(cJSON_GetObjectItem(o, "build"))),
			       str_or(cJSON_GetStringValue(cJSON_GetObjectItem(o, "team")), "-"),
			       str_or(cJSON_GetStringValue(cJSON_GetObjectItem(o, "cadre")), "-"),
			       huce_value_text("status", cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"))));
			cJSON_Delete(o);
		} else {
			cJSON_AddItemToArray(arr, o);
		}
	}
	sqlite3_reset(st);
	if (json)
		cli_print_json(arr);
	cJSON_Delete(arr);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, _("cannot list households"));
	return 0;
}

/* Rows of a related table as a JSON array of generic records. */
static cJSON *related(struct cli *c, const char *kind, const char *sql,
		      const char *id)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, &c->err, sql, "s", id);
	cJSON *arr = cJSON_CreateArray();
	int s;

	if (!st)
		return arr;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		char rid[HUCE_ID_STRLEN + 1], code[HUCE_CODE_STRLEN + 1];
		cJSON *o;

		snprintf(rid, sizeof(rid), "%s", sqlite3_column_text(st, 0));
		o = huce_local_get(c->l, kind, rid, NULL);
		if (o && !huce_code_of(huce_db_handle(c->l->db),
				       huce_kind_find(kind)->table, rid, code, NULL))
			cJSON_AddStringToObject(o, "code", code);
		if (o && sqlite3_column_count(st) > 1)
			cJSON_AddBoolToObject(o, "uploaded", sqlite3_column_int(st, 1));
		if (o)
			cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(st);
	return arr;
}

/* `household show` as text: one line per key, inspection, rectification, photo. */
static void show_text(const cJSON *o)
{
	static const char *const keys[] = {
		"id", "village", "group", "head", "id_masked", "phone", "house_no",
		"approach", "build", "type", "team", "cadre", "status", "started",
		"finished", "planned_week", "water", "version", NULL
	};
	/* What a person reads for each key (the key itself in English). */
	static const char *const labels[] = {
		N_("id"), N_("village"), N_("group"), N_("head"), N_("id_masked"),
		N_("phone"), N_("house_no"), N_("approach"), N_("build"), N_("type"),
		N_("team"), N_("cadre"), N_("status"), N_("started"), N_("finished"),
		N_("planned_week"), N_("water"), N_("version"), NULL
	};
	const cJSON *v;

	for (int i = 0; keys[i]; i++) {
		char *s;

		v = cJSON_GetObjectItem(o, keys[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		s = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
		huce_i18n_label(_(labels[i]), 13);
		printf("%s\n", s ? s : huce_value_text(keys[i], v->valuestring));
		free(s);
	}
	v = cJSON_GetObjectItem(o, "review");
	if (v) {
		const char *note = cJSON_GetStringValue(cJSON_GetObjectItem(v, "note"));

		huce_i18n_label(_("review"), 13);
		printf("%s%s%s\n",
		       str_or(huce_value_text("review", cJSON_GetStringValue(
			       cJSON_GetObjectItem(v, "state"))), "-"),
		       note ? ": " : "", str_or(note, ""));
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "inspections")) {
		const cJSON *veto = cJSON_GetObjectItem(v, "veto");
		const char *voided = cJSON_GetStringValue(cJSON_GetObjectItem(v, "voided"));

		huce_i18n_label(_("inspection"), 13);
		printf("%s %s %s %s",
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "date")),
		       huce_value_text("stage", cJSON_GetStringValue(cJSON_GetObjectItem(v, "stage"))),
		       huce_value_text("result", cJSON_GetStringValue(cJSON_GetObjectItem(v, "result"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "id")));
		if (cJSON_GetArraySize(veto))
			printf(_(" veto: %s"), cJSON_GetStringValue(cJSON_GetArrayItem(veto, 0)));
		if (voided && *voided)
			printf(_(" VOIDED (作废): %s"), voided);
		putchar('\n');
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "rectifications")) {
		huce_i18n_label(_("rectification"), 13);
		printf(_("%s %s deadline %s\n"),
		       huce_value_text("rectification",
				       cJSON_GetStringValue(cJSON_GetObjectItem(v, "status"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "category")),
		       str_or(cJSON_GetStringValue(cJSON_GetObjectItem(v, "deadline")), "-"));
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "photos")) {
		huce_i18n_label(_("photo"), 13);
		printf("%s %.12s %s\n",
		       huce_value_text("photo", cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "sha256")),
		       cJSON_IsTrue(cJSON_GetObjectItem(v, "uploaded")) ?
			       _("at central") : _("not yet uploaded"));
	}
}

static const char show_usage[] =
N_("usage: huce household show ID [--json]\n"
"The household with its inspections (voided ones marked, with their\n"
"reason), rectifications and photos.\n");

static int hh_show(struct cli *c, int argc, char **argv)
{
	char id[HUCE_ID_STRLEN + 1];
	sqlite3_stmt *st;
	cJSON *o, *full;
	int json = 0, ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, &json, show_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(show_usage, _("household show takes one ID"));
	r = cli_open(c);
	if (r)
		return r;
	r = cli_resolve_id(c, "household", argv[optind], id);
	if (r)
		return r;
	st = huce_db_query(c->l->db, &c->err, HH_SELECT "WHERE h.id = ?1", "s", id);
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		if (st)
			sqlite3_reset(st);
		return cli_error(HUCE_ENOTFOUND, _("household %s not found"), id);
	}
	o = cli_household_json(c, st);
	sqlite3_reset(st);
	full = huce_local_get(c->l, "household", id, NULL);
	{
		static const char *const extra[] = {
			"id_masked", "phone", "house_no", "gps", "current_toilet",
			"agreement", "village_id", "group_id", "team_id", "cadre_id",
			"merged_into", NULL
		};

		for (int i = 0; extra[i]; i++) {
			cJSON *v = cJSON_GetObjectItem(full, extra[i]);

			cJSON_AddItemToObject(o, extra[i], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
		}
	}
	cJSON_Delete(full);
	cJSON_AddItemToObject(o, "inspections", related(c, "inspection",
		"SELECT id FROM inspection WHERE household_id = ?1 AND deleted = 0 ORDER BY date, id", id));
	cJSON_AddItemToObject(o, "rectifications", related(c, "rectification",
		"SELECT id FROM rectification WHERE household_id = ?1 AND deleted = 0 ORDER BY id", id));
	cJSON_AddItemToObject(o, "photos", related(c, "photo",
		"SELECT p.id, coalesce(f.uploaded, 0) FROM photo p LEFT JOIN photo_file f ON f.sha256 = p.sha256 "
		"WHERE p.deleted = 0 AND (p.owner_id = ?1 OR p.owner_id IN "
		"(SELECT id FROM inspection WHERE household_id = ?1)) ORDER BY p.id", id));
	if (json)
		cli_print_json(o);
	else
		show_text(o);
	cJSON_Delete(o);
	return 0;
}

static const char set_usage[] =
N_("usage: huce household set ID FIELD=VALUE...\n"
"FIELD: village, group, head, approach, build, type, team, cadre,\n"
"id_number, phone, house_no, gps, water, current_toilet, agreement,\n"
"planned_week, started (开工), finished (完工).  An empty VALUE clears an\n"
"optional field.  status is not a FIELD: it is derived from the progress\n"
"(`huce household progress`) and the inspections (`huce inspect`,\n"
"`huce inspect void`).\n");

/*
 * Change household id by the wire fields in f (the pairs of `set` or
 * `progress`), in one transaction; print how many fields changed.
 */
static int write_existing(struct cli *c, const char *id, cJSON *f,
			  struct hh_ctx *x)
{
	cJSON *cur;
	enum huce_err rc;
	int r, changed = 0;

	rc = huce_local_begin(c->l, &c->err);
	if (rc)
		return cli_fail(c, rc);
	cur = huce_local_get(c->l, "household", id, NULL);
	r = finish_household(c, f, x, cur);
	cJSON_Delete(cur);
	if (r) {
		huce_local_rollback(c->l);
		return r;
	}
	rc = huce_local_household_write(c->l, id, f, 0, &changed, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf(Q_("household %s: %d field changed\n",
		  "household %s: %d fields changed\n", changed), id, changed);
	return 0;
}

static int hh_set(struct cli *c, int argc, char **argv)
{
	char id[HUCE_ID_STRLEN + 1];
	struct hh_ctx x = { 0 };
	cJSON *f = NULL;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, set_usage)) != -1)
		if (ch == '?')
			return 2;
	if (argc - optind < 2)
		return cli_usage(set_usage, _("household set takes an ID and at least one FIELD=VALUE"));
	for (int i = optind + 1; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=')
			return cli_usage(set_usage, _("'%s' is not FIELD=VALUE"), argv[i]);
	r = cli_open(c);
	if (r)
		return r;
	r = cli_resolve_id(c, "household", argv[optind], id);
	if (r)
		return r;
	f = cJSON_CreateObject();
	if (!f)
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	for (int i = optind + 1; i < argc && !r; i++) {
		char key[64];
		const char *eq = strchr(argv[i], '=');
		size_t kl = (size_t)(eq - argv[i]);

		if (kl >= sizeof(key)) {
			r = cli_error(HUCE_EINVAL, _("field name too long"));
			break;
		}
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		r = set_field(c, f, &x, key, eq + 1);
	}
	if (!r)
		r = write_existing(c, id, f, &x);
	cJSON_Delete(f);
	return r;
}

static const char progress_usage[] =
N_("usage: huce household progress ID [--started YYYY-MM-DD] [--finished YYYY-MM-DD]\n"
"Report construction progress: 开工 (--started, also --开工) and 完工\n"
"(--finished, also --完工), each no later than tomorrow; a finish is on or\n"
"after the start.  After a failed inspection, a new --started is rework\n"
"begun (整改中) and a new --finished rework done.  The household's status is\n"
"derived from these dates and its inspections.  An empty date clears it.\n");

static int hh_progress(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "started", required_argument, NULL, 's' },
		{ "finished", required_argument, NULL, 'f' },
		{ "开工", required_argument, NULL, 's' },
		{ "完工", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *started = NULL, *finished = NULL;
	char id[HUCE_ID_STRLEN + 1];
	struct hh_ctx x = { 0 };
	cJSON *f;
	int ch, r = 0;

	while ((ch = cli_getopt(argc, argv, opts, NULL, progress_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 's')
			started = optarg;
		else if (ch == 'f')
			finished = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage(progress_usage, _("household progress takes one ID"));
	if (!started && !finished)
		return cli_usage(progress_usage, _("give --started or --finished (or both)"));
	r = cli_open(c);
	if (!r)
		r = cli_resolve_id(c, "household", argv[optind], id);
	if (r)
		return r;
	f = cJSON_CreateObject();
	if (!f)
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	if (started)
		r = set_field(c, f, &x, "started", started);
	if (!r && finished)
		r = set_field(c, f, &x, "finished", finished);
	if (!r)
		r = write_existing(c, id, f, &x);
	cJSON_Delete(f);
	return r;
}

static const char assign_usage[] =
N_("usage: huce household assign ID --cadre C\n"
"Make cadre C responsible for the household (挂包).\n");

static int hh_assign(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cadre", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cadre = NULL;
	char id[HUCE_ID_STRLEN + 1], cid[HUCE_ID_STRLEN + 1];
	cJSON *f;
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, assign_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'c')
			cadre = optarg;
	}
	if (optind + 1 != argc || !cadre)
		return cli_usage(assign_usage, _("household assign takes an ID and --cadre C"));
	r = cli_open(c);
	if (r)
		return r;
	r = cli_resolve_id(c, "household", argv[optind], id);
	if (!r)
		r = cli_resolve(c, "cadre", NULL, cadre, cid);
	if (r)
		return r;
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "cadre_id", cid);
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_household_write(c->l, id, f, 0, NULL, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	cJSON_Delete(f);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf(_("household %s assigned to %s\n"), id, cadre);
	return 0;
}

static const char delete_usage[] =
N_("usage: huce household delete ID\n"
"Remove a household registered by mistake (kept as a tombstone so the\n"
"deletion reaches the central and every laptop).\n");

static int hh_delete(struct cli *c, int argc, char **argv)
{
	char id[HUCE_ID_STRLEN + 1];
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, delete_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(delete_usage, _("household delete takes one ID"));
	r = cli_open(c);
	if (r)
		return r;
	r = cli_resolve_id(c, "household", argv[optind], id);
	if (r)
		return r;
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_delete(c->l, "household", id, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf(_("household %s deleted\n"), id);
	return 0;
}

static const char household_usage[] =
N_("usage: huce household add|list|show|set|progress|assign|delete ...\n"
"  add --village V --group G --head NAME --approach A --build B --type T ...\n"
"  list [--village V] [--status S] [--json]\n"
"  show ID [--json]\n"
"  set ID FIELD=VALUE...\n"
"  progress ID [--started YYYY-MM-DD] [--finished YYYY-MM-DD]   开工 / 完工\n"
"  assign ID --cadre C\n"
"  delete ID\n"
"`huce household SUBCOMMAND --help` for details.\n");

int cmd_household(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *c, int argc, char **argv);
	} subs[] = {
		{ "add", hh_add }, { "list", hh_list }, { "show", hh_show },
		{ "set", hh_set }, { "progress", hh_progress },
		{ "assign", hh_assign }, { "delete", hh_delete },
	};

	if (argc < 2)
		return cli_usage(household_usage, _("missing subcommand"));
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(_(household_usage), stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(c, argc - 1, argv + 1);
		}
	}
	return cli_usage(household_usage, _("unknown subcommand 'household %s'"), argv[1]);
}
