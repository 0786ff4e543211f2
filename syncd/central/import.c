/*
 * import.c - the office's household list into the central store.
 *
 * What a list looks like and what an import promises are in import.h.
 * The work is in three passes over the rows, so that a bad row anywhere
 * leaves the store as it was:
 *
 *   1. csv_table_parse() reads the text; map_header() finds each known
 *      column in the header row (unknown ones are ignored, and reported);
 *   2. check_row() checks every row and turns its values into codes,
 *      writing nothing;
 *   3. in one write transaction, import_row() makes what each row names
 *      and adds its household unless it is already there, and the audit
 *      line (counts only, no names) goes in with it.
 *
 * Errors name the line and the column as the clerk wrote it in the
 * header: "line 7, column 厕所类型: '马桶式' is not a toilet type".
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "central.h"
#include "csv_table.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_id.h"
#include "huce_idnum.h"
#include "huce_record.h"
#include "huce_util.h"
#include "store.h"

enum col {
	C_VILLAGE, C_GROUP, C_HEAD, C_IDNUM, C_PHONE, C_CADRE, C_APPROACH,
	C_BUILD, C_TYPE, C_TEAM, C_WEEK, C__COUNT
};

static const struct column {
	const char *zh;
	const char *aliases[4];	/* English names (any case) and variants */
	int required;
} columns[C__COUNT] = {
	[C_VILLAGE] = { "村委会", { "village", "村委会名称" }, 1 },
	[C_GROUP] = { "村民小组", { "group", "村小组" }, 1 },
	[C_HEAD] = { "户主姓名", { "head", "户主" }, 1 },
	[C_IDNUM] = { "身份证号", { "id_number", "id-number", "身份证号码" }, 0 },
	[C_PHONE] = { "联系电话", { "phone", "电话" }, 0 },
	[C_CADRE] = { "挂包干部", { "cadre" }, 1 },
	[C_APPROACH] = { "改造方式", { "approach" }, 1 },
	[C_BUILD] = { "建设方式", { "build" }, 1 },
	[C_TYPE] = { "厕所类型", { "type" }, 1 },
	[C_TEAM] = { "施工队", { "team" }, 0 },
	[C_WEEK] = { "计划周", { "planned_week", "planned-week" }, 0 },
};

/* One validated row of the household list. */
struct hh_in {
	int line;
	const char *cell[C__COUNT];	/* borrowed from the table; "" when absent */
	const char *approach, *build, *type;	/* codes */
	char masked[HUCE_IDNUM_LEN + 1];
	char hash[65];
};

struct import {
	struct central *c;
	int col[C__COUNT];		/* index of each column, -1 when absent */
	const char *header[C__COUNT];	/* the header text used */
	unsigned char key[64];
	int keylen;
	char *town;
	struct import_result *res;
};

static int match_header(const char *h)
{
	for (int c = 0; c < C__COUNT; c++) {
		if (strcmp(h, columns[c].zh) == 0)
			return c;
		for (int k = 0; k < 4 && columns[c].aliases[k]; k++)
			if (strcasecmp(h, columns[c].aliases[k]) == 0)
				return c;
	}
	return -1;
}

static enum huce_err map_header(struct import *x, const struct csv_table_row *r,
				struct huce_error *err)
{
	for (int c = 0; c < C__COUNT; c++)
		x->col[c] = -1;
	for (size_t i = 0; i < r->n; i++) {
		int c = match_header(r->cell[i]);

		if (c < 0) {
			if (!r->cell[i][0])
				continue;
			if (!x->res->ignored)
				x->res->ignored = cJSON_CreateArray();
			if (!x->res->ignored ||
			    !cJSON_AddItemToArray(x->res->ignored,
						  cJSON_CreateString(r->cell[i])))
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
			continue;
		}
		if (x->col[c] >= 0)
			return huce_fail(err, HUCE_EINVAL,
					 "line %d: column %s is given twice",
					 r->line, columns[c].zh);
		x->col[c] = (int)i;
		x->header[c] = r->cell[i];
	}
	for (int c = 0; c < C__COUNT; c++)
		if (columns[c].required && x->col[c] < 0)
			return huce_fail(err, HUCE_EINVAL,
					 "line %d: missing column %s (%s)", r->line,
					 columns[c].zh, columns[c].aliases[0]);
	return HUCE_OK;
}

#define ROW_FAIL(x, in, c, fmt, ...) \
	huce_fail(err, HUCE_EINVAL, "line %d, column %s: " fmt, (in)->line, \
		  (x)->header[c] ? (x)->header[c] : columns[c].zh, __VA_ARGS__)

/* Check one row and turn its values into codes.  Nothing is stored. */
static enum huce_err check_row(struct import *x, const struct csv_table_row *r,
			       struct hh_in *in, struct huce_error *err)
{
	static const int text_cols[] = { C_VILLAGE, C_GROUP, C_HEAD, C_CADRE, C_TEAM };
	struct huce_error e = { 0 };
	int y, w;

	memset(in, 0, sizeof(*in));
	in->line = r->line;
	for (int c = 0; c < C__COUNT; c++) {
		int i = x->col[c];

		in->cell[c] = i >= 0 && (size_t)i < r->n ? r->cell[i] : "";
		if (columns[c].required && c != C_CADRE && !in->cell[c][0])
			return ROW_FAIL(x, in, c, "%s", "is empty");
	}
	for (size_t k = 0; k < sizeof(text_cols) / sizeof(text_cols[0]); k++) {
		int c = text_cols[k];

		if (in->cell[c][0] &&
		    huce_text_check(in->cell[c], "name", 128, 0, &e))
			return ROW_FAIL(x, in, c, "%s", e.msg);
	}
	in->approach = huce_approach_code(in->cell[C_APPROACH]);
	if (!in->approach)
		return ROW_FAIL(x, in, C_APPROACH,
				"'%s' is not 原有沼气池改造 (biogas-retrofit) or "
				"整厕新建 (new-build)", in->cell[C_APPROACH]);
	in->build = huce_build_code(in->cell[C_BUILD]);
	if (!in->build)
		return ROW_FAIL(x, in, C_BUILD, "'%s' is not 自建 (self) or 统建 (contracted)",
				in->cell[C_BUILD]);
	in->type = huce_toilet_type_label(in->cell[C_TYPE]) ? in->cell[C_TYPE] :
		huce_toilet_type_from_label(in->cell[C_TYPE]);
	if (!in->type)
		return ROW_FAIL(x, in, C_TYPE,
				"'%s' is not a toilet type (三格化粪池式, 双瓮漏斗式, "
				"三联通沼气池式, 粪尿分集式, 双坑交替式, 完整下水道水冲式)",
				in->cell[C_TYPE]);
	if (in->cell[C_TEAM][0] && strcmp(in->build, "contracted") != 0)
		return ROW_FAIL(x, in, C_TEAM, "%s",
				"a self-built toilet (自建) has no construction team");
	if (in->cell[C_IDNUM][0]) {
		if (huce_idnum_check(in->cell[C_IDNUM], &e))
			return ROW_FAIL(x, in, C_IDNUM, "%s", e.msg);
		huce_idnum_mask(in->cell[C_IDNUM], in->masked);
		if (x->keylen <= 0 ||
		    huce_idnum_hash(in->cell[C_IDNUM], x->key, (size_t)x->keylen,
				    in->hash) != HUCE_OK)
			return huce_fail(err, HUCE_EDB, "the store has no usable town key");
	}
	if (in->cell[C_PHONE][0] &&
	    huce_text_check(in->cell[C_PHONE], "phone", 32, 0, &e))
		return ROW_FAIL(x, in, C_PHONE, "%s", e.msg);
	if (in->cell[C_WEEK][0] && huce_parse_week(in->cell[C_WEEK], &y, &w))
		return ROW_FAIL(x, in, C_WEEK, "'%s' is not an ISO week like 2026-W48",
				in->cell[C_WEEK]);
	return HUCE_OK;
}

static int by_hash_line(const void *pa, const void *pb)
{
	const struct hh_in *a = *(const struct hh_in *const *)pa;
	const struct hh_in *b = *(const struct hh_in *const *)pb;
	int c = strcmp(a->hash, b->hash);

	return c ? c : (a->line > b->line) - (a->line < b->line);
}

/*
 * One ID number is one household, also within the list: of two rows with
 * one number (the same household listed twice, or a slip of the keyboard)
 * the later is a bad row naming the earlier's line.  The rows are sorted
 * by hash, so a long list costs n log n; the bad row nearest the top is
 * the one reported.
 */
static enum huce_err check_ids_once(struct import *x, const struct hh_in *rows,
				    size_t n, struct huce_error *err)
{
	const struct hh_in **v = calloc(n ? n : 1, sizeof(*v));
	const struct hh_in *in = NULL, *first = NULL;
	size_t k = 0, run = 0;
	enum huce_err rc = HUCE_OK;

	if (!v)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (rows[i].hash[0])
			v[k++] = &rows[i];
	qsort(v, k, sizeof(*v), by_hash_line);
	for (size_t i = 1; i < k; i++) {
		if (strcmp(v[i]->hash, v[i - 1]->hash) != 0)
			run = i;
		else if (i == run + 1 && (!in || v[i]->line < in->line)) {
			in = v[i];
			first = v[run];
		}
	}
	if (in)
		rc = ROW_FAIL(x, in, C_IDNUM, "the same ID number as line %d", first->line);
	free(v);
	return rc;
}

/* Make the named record kind/id with fields unless it is there. */
static enum huce_err ensure_named(struct import *x, const char *kind,
				  const char *id, cJSON *fields, int *made,
				  struct huce_error *err)
{
	struct store_record r;
	struct huce_error gerr = { 0 };
	enum huce_err rc;

	rc = store_record_get(x->c->store, id, &r, &gerr);
	if (rc == HUCE_OK && !r.deleted)
		return HUCE_OK;
	if (rc && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", gerr.msg);
	rc = central_office_put(x->c, kind, id, fields, rc != HUCE_OK, err);
	if (!rc)
		(*made)++;
	return rc;
}

/*
 * Is a row already in the store (an earlier import, or a laptop's
 * record)?  Two lookups, both indexed:
 *  - by ID hash, when the row has a number: a live household with it is
 *    this row's household when it is in the row's group with the same
 *    normalised head (present); any other is a different household that
 *    already has the number, and the row is refused, naming it;
 *  - else by group and normalised head: a namesake is this household
 *    unless both have ID numbers and they differ (then they are two
 *    people of one name, and the row is new).
 */
struct present_scan {
	const char *gid;	/* the row's group */
	const char *norm;	/* the row's normalised head */
	const char *hash;	/* "" when none */
	int found;		/* the row's household is there */
	int other;		/* by hash: another household has the number */
	char *other_head;	/* its head (malloc'd) */
	char other_vid[HUCE_ID_STRLEN + 1], other_gid[HUCE_ID_STRLEN + 1];
};

/* Does head normalise to norm?  -1 on OOM. */
static int same_head(const char *head, const char *norm)
{
	char *n = huce_name_normalize(head);
	int same;

	if (!n)
		return -1;
	same = strcmp(n, norm) == 0;
	free(n);
	return same;
}

static enum huce_err present_visit(void *arg, const struct store_record *r,
				   const cJSON *fields)
{
	struct present_scan *p = arg;
	const char *head = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "head"));
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "id_hash"));
	int same;

	if (strcmp(r->kind, "household") != 0 || !head)
		return HUCE_OK;
	if (h && p->hash[0] && strcmp(h, p->hash) != 0)
		return HUCE_OK;	/* namesakes with different ID numbers */
	same = same_head(head, p->norm);
	if (same < 0)
		return HUCE_ENOMEM;
	if (same)
		p->found = 1;
	return HUCE_OK;
}

static enum huce_err hash_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct present_scan *p = arg;
	const char *head = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "head"));
	const char *g = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "group_id"));
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "village_id"));
	int same = 0;

	if (strcmp(r->kind, "household") != 0)
		return HUCE_OK;
	if (head && g && strcmp(g, p->gid) == 0) {
		same = same_head(head, p->norm);
		if (same < 0)
			return HUCE_ENOMEM;
	}
	if (same) {
		p->found = 1;
	} else if (!p->other) {
		p->other = 1;
		p->other_head = strdup(head ? head : "?");
		if (!p->other_head)
			return HUCE_ENOMEM;
		snprintf(p->other_vid, sizeof(p->other_vid), "%s", v ? v : "");
		snprintf(p->other_gid, sizeof(p->other_gid), "%s", g ? g : "");
	}
	return HUCE_OK;
}

/* The name of the village or group id (malloc'd), "?" when unknown; NULL on OOM. */
static char *name_of(struct store *s, const char *id)
{
	struct huce_error e = { 0 };
	char *json = NULL, *name;
	cJSON *v;

	if (!id[0] || store_field_get(s, id, "name", &json, &e) != HUCE_OK)
		return strdup("?");
	v = cJSON_Parse(json);
	name = strdup(cJSON_IsString(v) ? cJSON_GetStringValue(v) : "?");
	cJSON_Delete(v);
	free(json);
	return name;
}

/*
 * Set *present when the row's household is already in the store; refuse
 * the row when its ID number belongs to another household.
 */
static enum huce_err find_present(struct import *x, const struct hh_in *in,
				  const char *gid, int *present,
				  struct huce_error *err)
{
	struct store *s = x->c->store;
	struct present_scan ps = { .gid = gid, .hash = in->hash };
	struct huce_error e = { 0 };
	char q[72];
	enum huce_err rc;

	*present = 0;
	ps.norm = huce_name_normalize(in->cell[C_HEAD]);
	if (!ps.norm)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (in->hash[0]) {
		snprintf(q, sizeof(q), "\"%s\"", in->hash);
		rc = store_by_field(s, "id_hash", q, NULL, hash_visit, &ps, &e);
	} else {
		rc = HUCE_OK;
	}
	if (!rc && !ps.found && !ps.other) {
		snprintf(q, sizeof(q), "\"%s\"", gid);
		rc = store_by_field(s, "group_id", q, NULL, present_visit, &ps, &e);
	}
	if (rc) {
		rc = huce_fail(err, rc, "%s", rc == HUCE_ENOMEM ? "out of memory" : e.msg);
	} else if (!ps.found && ps.other) {
		char *village = name_of(s, ps.other_vid), *group = name_of(s, ps.other_gid);

		if (village && group)
			rc = ROW_FAIL(x, in, C_IDNUM, "this ID number is already used by "
				      "%s (%s %s)", ps.other_head, village, group);
		else
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		free(village);
		free(group);
	}
	*present = ps.found;
	free((char *)ps.norm);
	free(ps.other_head);
	return rc;
}

static cJSON *obj_with_name(const char *name)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "name", name)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Store one checked row (inside the import's transaction). */
static enum huce_err import_row(struct import *x, const struct hh_in *in,
				struct huce_error *err)
{
	struct store *s = x->c->store;
	char vid[HUCE_ID_STRLEN + 1], gid[HUCE_ID_STRLEN + 1];
	char cid[HUCE_ID_STRLEN + 1], tid[HUCE_ID_STRLEN + 1];
	char hid[HUCE_ID_STRLEN + 1];
	struct huce_error e = { 0 };
	cJSON *f = NULL;
	enum huce_err rc;
	int present;

	huce_id_named("village", NULL, in->cell[C_VILLAGE], vid);
	huce_id_named("group", vid, in->cell[C_GROUP], gid);
	f = obj_with_name(in->cell[C_VILLAGE]);
	if (f && x->town)
		cJSON_AddStringToObject(f, "town", x->town);
	rc = f ? ensure_named(x, "village", vid, f, &x->res->villages, err) : HUCE_ENOMEM;
	cJSON_Delete(f);
	f = rc ? NULL : obj_with_name(in->cell[C_GROUP]);
	if (f)
		cJSON_AddStringToObject(f, "village_id", vid);
	if (!rc)
		rc = f ? ensure_named(x, "group", gid, f, &x->res->groups, err) : HUCE_ENOMEM;
	cJSON_Delete(f);
	f = NULL;
	if (!rc && in->cell[C_CADRE][0]) {
		huce_id_named("cadre", NULL, in->cell[C_CADRE], cid);
		f = obj_with_name(in->cell[C_CADRE]);
		if (f)
			cJSON_AddStringToObject(f, "role", "liaison");
		rc = f ? ensure_named(x, "cadre", cid, f, &x->res->cadres, err) : HUCE_ENOMEM;
		cJSON_Delete(f);
		f = NULL;
	}
	if (!rc && in->cell[C_TEAM][0]) {
		huce_id_named("team", NULL, in->cell[C_TEAM], tid);
		f = obj_with_name(in->cell[C_TEAM]);
		rc = f ? ensure_named(x, "team", tid, f, &x->res->teams, err) : HUCE_ENOMEM;
		cJSON_Delete(f);
		f = NULL;
	}
	if (rc)
		goto out;

	rc = find_present(x, in, gid, &present, err);
	if (rc)
		goto out;
	if (present) {
		x->res->present++;
		goto out;
	}
	rc = huce_id_v7(store_hlc_tick(s), hid);
	if (rc) {
		rc = huce_fail(err, rc, "cannot make a household id");
		goto out;
	}
	f = cJSON_CreateObject();
	if (!f) {
		rc = HUCE_ENOMEM;
		goto out;
	}
	cJSON_AddStringToObject(f, "village_id", vid);
	cJSON_AddStringToObject(f, "group_id", gid);
	cJSON_AddStringToObject(f, "head", in->cell[C_HEAD]);
	if (in->masked[0])
		cJSON_AddStringToObject(f, "id_masked", in->masked);
	if (in->hash[0])
		cJSON_AddStringToObject(f, "id_hash", in->hash);
	if (in->cell[C_PHONE][0])
		cJSON_AddStringToObject(f, "phone", in->cell[C_PHONE]);
	cJSON_AddStringToObject(f, "approach", in->approach);
	cJSON_AddStringToObject(f, "build", in->build);
	cJSON_AddStringToObject(f, "type", in->type);
	if (in->cell[C_TEAM][0])
		cJSON_AddStringToObject(f, "team_id", tid);
	if (in->cell[C_CADRE][0])
		cJSON_AddStringToObject(f, "cadre_id", cid);
	if (in->cell[C_WEEK][0])
		cJSON_AddStringToObject(f, "planned_week", in->cell[C_WEEK]);
	cJSON_AddStringToObject(f, "status", "planned");
	rc = central_office_put(x->c, "household", hid, f, 1, &e);
	if (rc) {
		int c = rc == HUCE_EGATE ? C_TEAM : C_HEAD;

		if (rc == HUCE_EGATE || rc == HUCE_EINVAL)
			rc = huce_fail(err, rc, "line %d, column %s: %s", in->line,
				       x->header[c] ? x->header[c] : columns[c].zh,
				       e.msg);
		else
			rc = huce_fail(err, rc, "line %d: %s", in->line, e.msg);
		goto out;
	}
	x->res->households++;
out:
	if (rc == HUCE_ENOMEM)
		huce_fail(err, rc, "out of memory");
	cJSON_Delete(f);
	return rc;
}
enum huce_err import_csv(struct central *c, const char *actor,
			 const char *text, size_t len,
			 struct import_result *res, struct huce_error *err)
{
	struct import x;
	struct csv_table csv = { 0 };
	struct hh_in *rows = NULL;
	char *keyhex = NULL, detail[160];
	enum huce_err rc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.res = res;
	rc = csv_table_parse(text, len, &csv, err);
	if (rc)
		goto out;
	if (!csv.n) {
		rc = huce_fail(err, HUCE_EINVAL, "the household list is empty");
		goto out;
	}
	rc = map_header(&x, &csv.rows[0], err);
	if (rc)
		goto out;
	keyhex = store_meta_get(c->store, "town_key");
	x.keylen = keyhex ? huce_hex_decode(keyhex, x.key, sizeof(x.key)) : -1;
	x.town = store_meta_get(c->store, "town");
	rows = calloc(csv.n, sizeof(*rows));
	if (!rows) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	/* Every row is checked before anything is written. */
	for (size_t i = 1; i < csv.n && !rc; i++)
		rc = check_row(&x, &csv.rows[i], &rows[i], err);
	if (!rc)
		rc = check_ids_once(&x, rows + 1, csv.n - 1, err);
	if (rc)
		goto out;
	rc = store_begin(c->store, 1, err);
	if (rc)
		goto out;
	for (size_t i = 1; i < csv.n && !rc; i++)
		rc = import_row(&x, &rows[i], err);
	if (!rc) {
		snprintf(detail, sizeof(detail),
			 "csv: %d households, %d present, %d villages, %d groups, "
			 "%d cadres, %d teams", res->households, res->present,
			 res->villages, res->groups, res->cadres, res->teams);
		rc = store_audit(c->store, actor, "import", detail, err);
	}
	if (!rc)
		rc = store_commit(c->store, err);
	else
		store_rollback(c->store);
out:
	if (rc) {
		/* Nothing was written: count nothing either. */
		res->households = res->present = 0;
		res->villages = res->groups = res->cadres = res->teams = 0;
	}
	free(rows);
	free(keyhex);
	free(x.town);
	csv_table_release(&csv);
	return rc;
}

void import_result_release(struct import_result *res)
{
	cJSON_Delete(res->ignored);
	memset(res, 0, sizeof(*res));
}
