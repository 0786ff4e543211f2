/*
 * import.c - the office's lists into the central store.
 *
 * What a list looks like and what an import promises are in import.h.
 * The work is in passes over the rows, so that every bad row is found
 * in one run and a bad row anywhere leaves the store as it was:
 *
 *   1. csv_table_parse() reads the text; find_header() finds the header
 *      row (the first, or the first below a title); map_header() finds
 *      each known column in it and so which list it is (unknown
 *      columns are ignored, and reported);
 *   2. check_hh() / check_target() check every row and turn its values
 *      into codes, writing nothing; a problem is noted (problem()) and
 *      the row's other cells are still checked;
 *   3. the rows that passed are written in one write transaction, each
 *      in a savepoint: its names resolved (resolve_names: made with
 *      --create, else refused with a suggestion), then the household or
 *      target added, updated with what changed, or left as it is.  A
 *      row the merge refuses is rolled back to its savepoint and noted.
 *      A row found bad in pass 2 is not written, but its names are
 *      looked up all the same (check_bad_row_names), so an unknown name
 *      is reported in the same run as the row's other problems;
 *   4. with any problem and no --skip-bad the transaction is rolled
 *      back; else the audit line (counts only, no names) goes in with it.
 *
 * Problems name the line and the column as the clerk wrote it in the
 * header: "line 7, column 厕所类型: '马桶式' is not a toilet type".
 */
#include "import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "central.h"
#include "csv_table.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_domain.h"
#include "huce_id.h"
#include "huce_idnum.h"
#include "huce_record.h"
#include "huce_suggest.h"
#include "huce_util.h"
#include "store.h"

enum col {
	C_VILLAGE, C_GROUP, C_HEAD, C_IDNUM, C_PHONE, C_CADRE, C_APPROACH,
	C_BUILD, C_TYPE, C_TEAM, C_WEEK,
	C_TWEEK, C_TARGET,		/* the targets list */
	C__COUNT
};

enum list { L_HOUSEHOLDS, L_TARGETS };

static const struct column {
	const char *zh;
	const char *aliases[4];	/* English names (any case) and variants */
	unsigned required;	/* bit L_*: required in that list */
} columns[C__COUNT] = {
	[C_VILLAGE] = { "村委会", { "village", "村委会名称", "村" }, 3 },
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
	[C_TWEEK] = { "周", { "week", "周次" }, 2 },
	[C_TARGET] = { "目标", { "target", "n", "目标数" }, 2 },
};

#define REQUIRED(c, l)	((columns[c].required >> (l)) & 1u)
#define TARGET_MAX	100000

/* One checked row. */
struct row {
	int line;
	int bad;			/* a problem was noted */
	const char *cell[C__COUNT];	/* borrowed from the table; "" when absent */
	/* households */
	const char *approach, *build, *type;	/* codes */
	char phone[32];			/* normalised */
	char masked[HUCE_IDNUM_LEN + 1];
	char hash[65];
	/* targets */
	int64_t n;
};

/* Known names of a kind, for suggestions (loaded on first need). */
struct names {
	int loaded;
	char **name;
	char (*parent)[HUCE_ID_STRLEN + 1];	/* groups: their village */
	size_t n, alloc;
};

enum { N_VILLAGE, N_GROUP, N_CADRE, N_TEAM, N__COUNT };

struct import {
	struct central *c;
	const struct import_opts *o;
	enum list list;
	int col[C__COUNT];		/* index of each column, -1 when absent */
	const char *header[C__COUNT];	/* the header text used */
	unsigned char key[64];
	int keylen;
	char *town;
	struct import_result *res;
	struct names names[N__COUNT];
	/* records this row made, added to res only when it lands */
	int made[N__COUNT];
};

static const char *const name_kinds[N__COUNT] = { "village", "group", "cadre", "team" };

/* --- problems ------------------------------------------------------------ */

static const char *col_name(const struct import *x, int c)
{
	return c < 0 ? NULL : x->header[c] ? x->header[c] : columns[c].zh;
}

/*
 * Note a problem of row r at column c (-1: the row as a whole); value
 * (may be NULL) is the cell as written.  Only HUCE_ENOMEM fails.
 */
static enum huce_err problem(struct import *x, struct row *r, int c,
			     const char *value, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum huce_err problem(struct import *x, struct row *r, int c,
			     const char *value, const char *fmt, ...)
{
	struct import_result *res = x->res;
	const char *cn = col_name(x, c);
	char reason[600];
	va_list ap;
	cJSON *p;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (!res->problems)
		res->problems = cJSON_CreateArray();
	p = cJSON_CreateObject();
	if (!res->problems || !p || !cJSON_AddItemToArray(res->problems, p)) {
		cJSON_Delete(p);
		return HUCE_ENOMEM;
	}
	if (!cJSON_AddNumberToObject(p, "line", r->line) ||
	    !(cn ? cJSON_AddStringToObject(p, "column", cn) : cJSON_AddNullToObject(p, "column")) ||
	    !(value && c != C_IDNUM ? cJSON_AddStringToObject(p, "value", value) :
	      cJSON_AddNullToObject(p, "value")) ||
	    !cJSON_AddStringToObject(p, "reason", reason))
		return HUCE_ENOMEM;
	if (!r->bad) {
		r->bad = 1;
		res->bad_rows++;
	}
	return HUCE_OK;
}

char *import_problem_text(const cJSON *p)
{
	struct huce_buf b = HUCE_BUF_INIT(4096);
	const char *col = cJSON_GetStringValue(cJSON_GetObjectItem(p, "column"));
	const char *val = cJSON_GetStringValue(cJSON_GetObjectItem(p, "value"));
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(p, "reason"));

	huce_buf_printf(&b, "line %d", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line")));
	if (col)
		huce_buf_printf(&b, ", column %s", col);
	huce_buf_addstr(&b, ": ");
	if (val)
		huce_buf_printf(&b, "'%s' ", val);
	huce_buf_addstr(&b, why ? why : "?");
	if (b.err) {
		huce_buf_release(&b);
		return NULL;
	}
	return huce_buf_detach(&b, NULL);
}

/* Order problems by line, keeping the order within a line (stable). */
static void sort_problems(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr);
	cJSON **v;

	if (n < 2)
		return;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(arr, 0);
	for (int i = 1; i < n; i++) {	/* insertion sort: stable, lists are short */
		cJSON *t = v[i];
		double l = cJSON_GetNumberValue(cJSON_GetObjectItem(t, "line"));
		int j = i;

		while (j > 0 && cJSON_GetNumberValue(cJSON_GetObjectItem(v[j - 1], "line")) > l) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
}

/* --- the header ------------------------------------------------------------ */

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

/*
 * The header row: the first of the first few rows with at least two
 * known column names.  A spreadsheet often carries a title above it
 * (XX镇农村户厕改造清单, or the title row of `household list --format
 * xlsx`); those lines are skipped.  When no row qualifies, the first
 * row is the header, and map_header() says what it lacks.
 */
#define HEADER_SEARCH 10

static size_t find_header(const struct csv_table *csv)
{
	for (size_t i = 0; i < csv->n && i < HEADER_SEARCH; i++) {
		const struct csv_table_row *r = &csv->rows[i];
		int known = 0;

		for (size_t k = 0; k < r->n; k++)
			known += r->cell[k][0] && match_header(r->cell[k]) >= 0;
		if (known >= 2)
			return i;
	}
	return 0;
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
	/* A list with a week and a target but no head is the targets list. */
	x->list = x->col[C_TWEEK] >= 0 && x->col[C_TARGET] >= 0 && x->col[C_HEAD] < 0 ?
		L_TARGETS : L_HOUSEHOLDS;
	x->res->list = x->list == L_TARGETS ? "targets" : "households";
	for (int c = 0; c < C__COUNT; c++)
		if (REQUIRED(c, x->list) && x->col[c] < 0)
			return huce_fail(err, HUCE_EINVAL,
					 "line %d: missing column %s (%s) of the %s list%s",
					 r->line, columns[c].zh, columns[c].aliases[0],
					 x->res->list, x->list == L_HOUSEHOLDS ?
					 " (a targets list has the columns 村委会, 周, 目标)" : "");
	return HUCE_OK;
}

/* --- pass 2: checks ------------------------------------------------------- */

static void cells(struct import *x, const struct csv_table_row *t, struct row *r)
{
	memset(r, 0, sizeof(*r));
	r->line = t->line;
	for (int c = 0; c < C__COUNT; c++) {
		int i = x->col[c];

		r->cell[c] = i >= 0 && (size_t)i < t->n ? t->cell[i] : "";
	}
}

#define NOTE(...) do { if (problem(x, r, __VA_ARGS__)) return HUCE_ENOMEM; } while (0)

static enum huce_err check_names(struct import *x, struct row *r,
				 const int *cols, size_t n)
{
	struct huce_error e = { 0 };

	for (size_t k = 0; k < n; k++) {
		int c = cols[k];

		if (REQUIRED(c, x->list) && c != C_CADRE && !r->cell[c][0])
			NOTE(c, NULL, "is empty");
		else if (r->cell[c][0] &&
			 huce_text_check(r->cell[c], "name", 128, 0, &e))
			NOTE(c, NULL, "%s", e.msg);
	}
	return HUCE_OK;
}

/* Check one household row and turn its values into codes.  Nothing is stored. */
static enum huce_err check_hh(struct import *x, struct row *r)
{
	static const int text_cols[] = { C_VILLAGE, C_GROUP, C_HEAD, C_CADRE, C_TEAM };
	struct huce_error e = { 0 };
	int y, w;

	if (check_names(x, r, text_cols, sizeof(text_cols) / sizeof(text_cols[0])))
		return HUCE_ENOMEM;
	r->approach = huce_approach_code(r->cell[C_APPROACH]);
	if (!r->cell[C_APPROACH][0])
		NOTE(C_APPROACH, NULL, "is empty");
	else if (!r->approach)
		NOTE(C_APPROACH, r->cell[C_APPROACH],
		     "is not 原有沼气池改造 (biogas-retrofit) or 整厕新建 (new-build)");
	r->build = huce_build_code(r->cell[C_BUILD]);
	if (!r->cell[C_BUILD][0])
		NOTE(C_BUILD, NULL, "is empty");
	else if (!r->build)
		NOTE(C_BUILD, r->cell[C_BUILD], "is not 自建 (self) or 统建 (contracted)");
	r->type = huce_toilet_type_label(r->cell[C_TYPE]) ? r->cell[C_TYPE] :
		huce_toilet_type_from_label(r->cell[C_TYPE]);
	if (!r->cell[C_TYPE][0])
		NOTE(C_TYPE, NULL, "is empty");
	else if (!r->type)
		NOTE(C_TYPE, r->cell[C_TYPE],
		     "is not a toilet type (三格化粪池式, 双瓮漏斗式, 三联通沼气池式, "
		     "粪尿分集式, 双坑交替式, 完整下水道水冲式)");
	if (r->build && huce_build_team_check(r->build, r->cell[C_TEAM], &e))
		NOTE(C_TEAM, NULL, "%s",
		     strncmp(e.msg, "team: ", 6) == 0 ? e.msg + 6 : e.msg);
	if (r->cell[C_IDNUM][0]) {
		if (huce_idnum_check(r->cell[C_IDNUM], &e)) {
			NOTE(C_IDNUM, NULL, "%s", e.msg);
		} else {
			huce_idnum_mask(r->cell[C_IDNUM], r->masked);
			if (x->keylen <= 0 ||
			    huce_idnum_hash(r->cell[C_IDNUM], x->key, (size_t)x->keylen,
					    r->hash) != HUCE_OK)
				return HUCE_EDB;
		}
	}
	if (r->cell[C_PHONE][0] &&
	    huce_phone_check(r->cell[C_PHONE], r->phone, sizeof(r->phone), &e))
		NOTE(C_PHONE, NULL, "%s",
		     strncmp(e.msg, "phone: ", 7) == 0 ? e.msg + 7 : e.msg);
	if (r->cell[C_WEEK][0] && huce_parse_week(r->cell[C_WEEK], &y, &w))
		NOTE(C_WEEK, r->cell[C_WEEK], "is not an ISO week like 2026-W48");
	return HUCE_OK;
}

/* A whole number, also as a spreadsheet writes one ("12.0"). */
static int parse_count(const char *s, int64_t *n)
{
	char buf[32];
	size_t len = strlen(s);

	if (len >= 2 && len < sizeof(buf) && strcmp(s + len - 2, ".0") == 0) {
		memcpy(buf, s, len - 2);
		buf[len - 2] = '\0';
		s = buf;
	}
	return huce_parse_i64(s, n);
}

static enum huce_err check_target(struct import *x, struct row *r)
{
	static const int text_cols[] = { C_VILLAGE };
	int y, w;

	if (check_names(x, r, text_cols, 1))
		return HUCE_ENOMEM;
	if (!r->cell[C_TWEEK][0])
		NOTE(C_TWEEK, NULL, "is empty");
	else if (huce_parse_week(r->cell[C_TWEEK], &y, &w))
		NOTE(C_TWEEK, r->cell[C_TWEEK], "is not an ISO week like 2026-W48");
	if (!r->cell[C_TARGET][0])
		NOTE(C_TARGET, NULL, "is empty");
	else if (parse_count(r->cell[C_TARGET], &r->n) || r->n < 0 || r->n > TARGET_MAX)
		NOTE(C_TARGET, r->cell[C_TARGET], "is not a whole number 0..%d", TARGET_MAX);
	return HUCE_OK;
}

/* Order of rows by a key, then line. */
struct keyed {
	const char *key;
	struct row *r;
};

static int by_key_line(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	return c ? c : (a->r->line > b->r->line) - (a->r->line < b->r->line);
}

/*
 * One key, one row: of rows with one key (an ID number's hash; a
 * target's village and week) each later one is a bad row naming the
 * first's line.  Sorting makes a long list cost n log n.
 */
static enum huce_err check_once(struct import *x, struct row *rows, size_t n,
				char **keys, int c, const char *what)
{
	struct keyed *v = calloc(n ? n : 1, sizeof(*v));
	size_t k = 0, first = 0;

	if (!v)
		return HUCE_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (keys[i] && keys[i][0])
			v[k++] = (struct keyed){ keys[i], &rows[i] };
	qsort(v, k, sizeof(*v), by_key_line);
	for (size_t i = 1; i < k; i++) {
		if (strcmp(v[i].key, v[i - 1].key) != 0) {
			first = i;
			continue;
		}
		if (problem(x, v[i].r, c, c == C_IDNUM ? NULL : v[i].r->cell[c],
			    "%s as line %d", what, v[first].r->line)) {
			free(v);
			return HUCE_ENOMEM;
		}
	}
	free(v);
	return HUCE_OK;
}

/* --- pass 3: names ------------------------------------------------------------ */

static enum huce_err name_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct names *nm = arg;
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "name"));
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "village_id"));

	(void)r;
	if (!n)
		return HUCE_OK;
	if (nm->n == nm->alloc) {
		size_t na = nm->alloc ? nm->alloc * 2 : 32;
		char **nv = realloc(nm->name, na * sizeof(*nv));
		char (*pv)[HUCE_ID_STRLEN + 1];

		if (!nv)
			return HUCE_ENOMEM;
		nm->name = nv;
		pv = realloc(nm->parent, na * sizeof(*pv));
		if (!pv)
			return HUCE_ENOMEM;
		nm->parent = pv;
		nm->alloc = na;
	}
	nm->name[nm->n] = strdup(n);
	if (!nm->name[nm->n])
		return HUCE_ENOMEM;
	snprintf(nm->parent[nm->n], sizeof(nm->parent[0]), "%s", p ? p : "");
	nm->n++;
	return HUCE_OK;
}

static void names_release(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->name[i]);
	free(nm->name);
	free(nm->parent);
	memset(nm, 0, sizeof(*nm));
}

/* The known name of kind k nearest to name (within parent for groups), or NULL. */
static const char *suggest(struct import *x, int k, const char *parent,
			   const char *name, enum huce_err *rc)
{
	struct names *nm = &x->names[k];
	struct huce_error e = { 0 };
	const char **v;
	const char *best;
	size_t n = 0;

	*rc = HUCE_OK;
	if (!nm->loaded) {
		*rc = store_scan_kind(x->c->store, name_kinds[k], 0, name_visit, nm, &e);
		if (*rc)
			return NULL;
		nm->loaded = 1;
	}
	v = calloc(nm->n ? nm->n : 1, sizeof(*v));
	if (!v) {
		*rc = HUCE_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < nm->n; i++)
		if (!parent || strcmp(nm->parent[i], parent) == 0)
			v[n++] = nm->name[i];
	best = huce_suggest(name, v, n);
	free(v);
	return best;
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

/*
 * The id of the record of kind k named by column c of row r (parent:
 * the village, for a group): when the store has it, id is set and *ok
 * is 1; when not, with --create it is made (as a laptop would, with
 * the name-derived id), else the row gets a problem suggesting the
 * nearest known name and *ok is 0.
 */
static enum huce_err resolve_name(struct import *x, struct row *r, int k, int c,
				  const char *parent, char *id, int *ok,
				  struct huce_error *err)
{
	const char *name = r->cell[c];
	struct store_record rec;
	struct huce_error e = { 0 };
	enum huce_err rc;
	cJSON *f;

	*ok = 0;
	huce_id_named(name_kinds[k], parent, name, id);
	rc = store_record_get(x->c->store, id, &rec, &e);
	if (rc == HUCE_OK && !rec.deleted) {
		*ok = 1;
		return HUCE_OK;
	}
	if (rc && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", e.msg);
	if (!x->o->create) {
		const char *near = suggest(x, k, k == N_GROUP ? parent : NULL, name, &rc);

		if (rc)
			return huce_fail(err, rc, "cannot list the known %ss", name_kinds[k]);
		if (near)
			rc = problem(x, r, c, name, "is not a known %s: did you mean %s? "
				     "(--create adds a new one)", name_kinds[k], near);
		else
			rc = problem(x, r, c, name, "is not a known %s (--create adds it)",
				     name_kinds[k]);
		return rc ? huce_fail(err, rc, "out of memory") : HUCE_OK;
	}
	f = obj_with_name(name);
	if (f && k == N_VILLAGE && x->town)
		cJSON_AddStringToObject(f, "town", x->town);
	if (f && k == N_GROUP)
		cJSON_AddStringToObject(f, "village_id", parent);
	if (f && k == N_CADRE)
		cJSON_AddStringToObject(f, "role", "liaison");
	if (!f)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = central_office_put(x->c, name_kinds[k], id, f, rc != HUCE_OK, err);
	cJSON_Delete(f);
	if (!rc) {
		x->made[k]++;
		*ok = 1;
	}
	return rc;
}

/* --- pass 3: households ------------------------------------------------------ */

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
	char found[HUCE_ID_STRLEN + 1];	/* the row's household, "" when none */
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

	if (strcmp(r->kind, "household") != 0 || !head || p->found[0])
		return HUCE_OK;
	if (h && p->hash[0] && strcmp(h, p->hash) != 0)
		return HUCE_OK;	/* namesakes with different ID numbers */
	same = same_head(head, p->norm);
	if (same < 0)
		return HUCE_ENOMEM;
	if (same)
		snprintf(p->found, sizeof(p->found), "%s", r->id);
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
		if (!p->found[0])
			snprintf(p->found, sizeof(p->found), "%s", r->id);
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
 * Set found to the row's household when it is already in the store; a
 * problem when its ID number belongs to another household.
 */
static enum huce_err find_present(struct import *x, struct row *r,
				  const char *gid, char *found,
				  struct huce_error *err)
{
	struct store *s = x->c->store;
	struct present_scan ps = { .gid = gid, .hash = r->hash };
	struct huce_error e = { 0 };
	char q[72];
	enum huce_err rc = HUCE_OK;

	found[0] = '\0';
	ps.norm = huce_name_normalize(r->cell[C_HEAD]);
	if (!ps.norm)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (r->hash[0]) {
		snprintf(q, sizeof(q), "\"%s\"", r->hash);
		rc = store_by_field(s, "id_hash", q, NULL, hash_visit, &ps, &e);
	}
	if (!rc && !ps.found[0] && !ps.other) {
		snprintf(q, sizeof(q), "\"%s\"", gid);
		rc = store_by_field(s, "group_id", q, NULL, present_visit, &ps, &e);
	}
	if (rc) {
		rc = huce_fail(err, rc, "%s", rc == HUCE_ENOMEM ? "out of memory" : e.msg);
	} else if (!ps.found[0] && ps.other) {
		char *village = name_of(s, ps.other_vid), *group = name_of(s, ps.other_gid);

		if (!village || !group ||
		    problem(x, r, C_IDNUM, NULL, "this ID number is already used by "
			    "%s (%s %s)", ps.other_head, village, group))
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		free(village);
		free(group);
	}
	snprintf(found, HUCE_ID_STRLEN + 1, "%s", ps.found);
	free((char *)ps.norm);
	free(ps.other_head);
	return rc;
}

/* Add name = value to f unless the stored fields cur already hold it. */
static int differs(cJSON *f, const cJSON *cur, const char *name, const char *value)
{
	const char *have = cJSON_GetStringValue(cJSON_GetObjectItem(cur, name));

	if (!value) {
		if (!have)
			return 1;
		return cJSON_AddNullToObject(f, name) != NULL;
	}
	if (have && strcmp(have, value) == 0)
		return 1;
	return cJSON_AddStringToObject(f, name, value) != NULL;
}

/*
 * The fields of the row that differ from household id's, into *out (the
 * caller frees); empty cells change nothing.
 */
static enum huce_err hh_changes(struct import *x, const struct row *r,
				const char *id, const char *cid, const char *tid,
				cJSON **out, struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	cJSON *cur = NULL, *f = NULL;
	enum huce_err rc;
	int ok;

	*out = NULL;
	rc = store_fields_get(x->c->store, id, &fs, err);
	if (rc)
		return rc;
	cur = store_fieldset_json(&fs);
	f = cJSON_CreateObject();
	ok = cur && f && differs(f, cur, "approach", r->approach) &&
		differs(f, cur, "build", r->build) &&
		differs(f, cur, "type", r->type);
	if (ok && r->phone[0])
		ok = differs(f, cur, "phone", r->phone);
	if (ok && r->hash[0] && !cJSON_GetStringValue(cJSON_GetObjectItem(cur, "id_hash")))
		ok = differs(f, cur, "id_hash", r->hash) &&
			differs(f, cur, "id_masked", r->masked);
	if (ok && r->cell[C_CADRE][0])
		ok = differs(f, cur, "cadre_id", cid);
	if (ok && r->cell[C_TEAM][0])
		ok = differs(f, cur, "team_id", tid);
	else if (ok && strcmp(r->build, "self") == 0)
		ok = differs(f, cur, "team_id", NULL);	/* now self-built: no team */
	if (ok && r->cell[C_WEEK][0])
		ok = differs(f, cur, "planned_week", r->cell[C_WEEK]);
	cJSON_Delete(cur);
	store_fieldset_release(&fs);
	if (!ok) {
		cJSON_Delete(f);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	*out = f;
	return HUCE_OK;
}

static cJSON *hh_new(const struct row *r, const char *vid, const char *gid,
		     const char *cid, const char *tid)
{
	cJSON *f = cJSON_CreateObject();
	int ok;

	if (!f)
		return NULL;
	ok = cJSON_AddStringToObject(f, "village_id", vid) &&
		cJSON_AddStringToObject(f, "group_id", gid) &&
		cJSON_AddStringToObject(f, "head", r->cell[C_HEAD]) &&
		(!r->masked[0] || cJSON_AddStringToObject(f, "id_masked", r->masked)) &&
		(!r->hash[0] || cJSON_AddStringToObject(f, "id_hash", r->hash)) &&
		(!r->phone[0] || cJSON_AddStringToObject(f, "phone", r->phone)) &&
		cJSON_AddStringToObject(f, "approach", r->approach) &&
		cJSON_AddStringToObject(f, "build", r->build) &&
		cJSON_AddStringToObject(f, "type", r->type) &&
		(!r->cell[C_TEAM][0] || cJSON_AddStringToObject(f, "team_id", tid)) &&
		(!r->cell[C_CADRE][0] || cJSON_AddStringToObject(f, "cadre_id", cid)) &&
		(!r->cell[C_WEEK][0] ||
		 cJSON_AddStringToObject(f, "planned_week", r->cell[C_WEEK]));
	if (!ok) {
		cJSON_Delete(f);
		return NULL;
	}
	return f;
}

/*
 * A refusal of the merge is a problem of the row (the first-toilet gate
 * names the team; anything else the head) and not a failure of the run;
 * a storage failure is.
 */
static enum huce_err put_refused(struct import *x, struct row *r, enum huce_err rc,
				 const struct huce_error *e, struct huce_error *err)
{
	if (rc != HUCE_EINVAL && rc != HUCE_EGATE && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "line %d: %s", r->line, e->msg);
	if (problem(x, r, rc == HUCE_EGATE ? C_TEAM : -1,
		    rc == HUCE_EGATE ? r->cell[C_TEAM] : NULL, "%s", e->msg))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	return HUCE_OK;
}

/* Store one checked household row (inside the import's transaction). */
static enum huce_err import_hh(struct import *x, struct row *r,
			       struct huce_error *err)
{
	char vid[HUCE_ID_STRLEN + 1], gid[HUCE_ID_STRLEN + 1];
	char cid[HUCE_ID_STRLEN + 1] = "", tid[HUCE_ID_STRLEN + 1] = "";
	char hid[HUCE_ID_STRLEN + 1];
	struct huce_error e = { 0 };
	cJSON *f = NULL;
	enum huce_err rc;
	int okv, okg = 1, okc = 1, okt = 1;

	rc = resolve_name(x, r, N_VILLAGE, C_VILLAGE, NULL, vid, &okv, err);
	if (!rc && okv)
		rc = resolve_name(x, r, N_GROUP, C_GROUP, vid, gid, &okg, err);
	if (!rc && r->cell[C_CADRE][0])
		rc = resolve_name(x, r, N_CADRE, C_CADRE, NULL, cid, &okc, err);
	if (!rc && r->cell[C_TEAM][0])
		rc = resolve_name(x, r, N_TEAM, C_TEAM, NULL, tid, &okt, err);
	if (rc || !okv || !okg || !okc || !okt)
		return rc;

	rc = find_present(x, r, gid, hid, err);
	if (rc || r->bad)
		return rc;
	if (hid[0]) {
		x->res->present++;
		rc = hh_changes(x, r, hid, cid, tid, &f, err);
		if (rc)
			return rc;
		if (!cJSON_GetArraySize(f)) {
			cJSON_Delete(f);
			return HUCE_OK;
		}
		rc = central_office_put(x->c, "household", hid, f, 0, &e);
		if (!rc)
			x->res->updated++;
	} else {
		rc = huce_id_v7(store_hlc_tick(x->c->store), hid);
		if (rc)
			return huce_fail(err, rc, "cannot make a household id");
		f = hh_new(r, vid, gid, cid, tid);
		if (!f)
			return huce_fail(err, HUCE_ENOMEM, "out of memory");
		rc = central_office_put(x->c, "household", hid, f, 1, &e);
		if (!rc)
			x->res->added++;
	}
	cJSON_Delete(f);
	return rc ? put_refused(x, r, rc, &e, err) : HUCE_OK;
}

/* --- pass 3: targets --------------------------------------------------------- */

static enum huce_err import_target(struct import *x, struct row *r,
				   struct huce_error *err)
{
	char vid[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1];
	struct huce_error e = { 0 };
	char *have = NULL;
	cJSON *f;
	enum huce_err rc;
	int ok, exists;

	rc = resolve_name(x, r, N_VILLAGE, C_VILLAGE, NULL, vid, &ok, err);
	if (rc || !ok)
		return rc;
	huce_id_named("target", vid, r->cell[C_TWEEK], id);
	rc = store_field_get(x->c->store, id, "n", &have, &e);
	if (rc && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", e.msg);
	exists = rc == HUCE_OK;
	if (exists) {
		int64_t n = -1;

		x->res->present++;
		if (!huce_parse_i64(have, &n) && n == r->n) {
			free(have);
			return HUCE_OK;
		}
	}
	free(have);
	f = cJSON_CreateObject();
	if (!f || !cJSON_AddStringToObject(f, "village_id", vid) ||
	    !cJSON_AddStringToObject(f, "week", r->cell[C_TWEEK]) ||
	    !cJSON_AddNumberToObject(f, "n", (double)r->n)) {
		cJSON_Delete(f);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	rc = central_office_put(x->c, "target", id, f, 0, &e);
	cJSON_Delete(f);
	if (rc)
		return put_refused(x, r, rc, &e, err);
	if (exists)
		x->res->updated++;
	else
		x->res->added++;
	return HUCE_OK;
}

/*
 * Write one row in its own savepoint: a row that turns out bad here
 * (unknown name, refused by the merge) leaves nothing behind, and the
 * counts of what it made are kept only when it lands.
 */
static enum huce_err write_row(struct import *x, struct row *r,
			       struct huce_error *err)
{
	struct import_result *res = x->res;
	int added = res->added, present = res->present, updated = res->updated;
	enum huce_err rc;

	memset(x->made, 0, sizeof(x->made));
	rc = store_savepoint(x->c->store, err);
	if (rc)
		return rc;
	rc = x->list == L_TARGETS ? import_target(x, r, err) : import_hh(x, r, err);
	if (rc)
		return rc;
	if (r->bad) {
		res->added = added;
		res->present = present;
		res->updated = updated;
		return store_rollback_to(x->c->store, err);
	}
	res->villages += x->made[N_VILLAGE];
	res->groups += x->made[N_GROUP];
	res->cadres += x->made[N_CADRE];
	res->teams += x->made[N_TEAM];
	/* a name made here is known to the rows after it */
	for (int k = 0; k < N__COUNT; k++)
		if (x->made[k])
			names_release(&x->names[k]);
	return store_release(x->c->store, err);
}

/* Whether column c of row r has a problem noted already. */
static int has_problem(const struct import *x, const struct row *r, int c)
{
	const char *cn = col_name(x, c);
	const cJSON *p;

	cJSON_ArrayForEach(p, x->res->problems)
		if ((int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line")) == r->line &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "column")) ?
			   cJSON_GetStringValue(cJSON_GetObjectItem(p, "column")) : "",
			   cn ? cn : "") == 0)
			return 1;
	return 0;
}

/*
 * A row already bad is not written, but its names are still looked up
 * (without --create: with it they would be made), so that a mistyped
 * village on a row with a wrong toilet type is named in the same run
 * and the clerk fixes the list in one go.  Writes nothing.
 */
static enum huce_err check_bad_row_names(struct import *x, struct row *r,
					 struct huce_error *err)
{
	char vid[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1];
	static const struct { int n, c; } more[] = {
		{ N_CADRE, C_CADRE }, { N_TEAM, C_TEAM },
	};
	enum huce_err rc = HUCE_OK;
	int ok = 0;

	if (x->o->create)
		return HUCE_OK;		/* the names would be made */
	if (r->cell[C_VILLAGE][0] && !has_problem(x, r, C_VILLAGE))
		rc = resolve_name(x, r, N_VILLAGE, C_VILLAGE, NULL, vid, &ok, err);
	if (rc || x->list == L_TARGETS)
		return rc;
	if (ok && r->cell[C_GROUP][0] && !has_problem(x, r, C_GROUP))
		rc = resolve_name(x, r, N_GROUP, C_GROUP, vid, id, &ok, err);
	for (size_t k = 0; !rc && k < sizeof(more) / sizeof(more[0]); k++)
		if (r->cell[more[k].c][0] && !has_problem(x, r, more[k].c))
			rc = resolve_name(x, r, more[k].n, more[k].c, NULL, id, &ok, err);
	return rc;
}

/* --- the whole list ------------------------------------------------------------- */

static enum huce_err check_all(struct import *x, const struct csv_table *csv,
			       struct row *rows, struct huce_error *err)
{
	size_t n = csv->n - 1;
	char **keys = calloc(n ? n : 1, sizeof(*keys));
	enum huce_err rc = HUCE_OK;

	if (!keys)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		cells(x, &csv->rows[i + 1], &rows[i]);
		rc = x->list == L_TARGETS ? check_target(x, &rows[i]) :
			check_hh(x, &rows[i]);
		if (rc)
			break;
		if (x->list == L_HOUSEHOLDS) {
			keys[i] = rows[i].hash;
		} else if (!rows[i].bad) {
			size_t kl = strlen(rows[i].cell[C_VILLAGE]) + 12;

			keys[i] = malloc(kl);
			if (!keys[i])
				rc = HUCE_ENOMEM;
			else
				snprintf(keys[i], kl, "%s\x1f%s", rows[i].cell[C_VILLAGE],
					 rows[i].cell[C_TWEEK]);
		}
	}
	if (!rc)
		rc = x->list == L_TARGETS ?
			check_once(x, rows, n, keys, C_TWEEK, "the same village and week") :
			check_once(x, rows, n, keys, C_IDNUM, "the same ID number");
	if (x->list == L_TARGETS)
		for (size_t i = 0; i < n; i++)
			free(keys[i]);
	free(keys);
	if (rc == HUCE_EDB)
		return huce_fail(err, rc, "the store has no usable town key");
	if (rc)
		return huce_fail(err, rc, "out of memory");
	return HUCE_OK;
}

enum huce_err import_list(struct central *c, const char *actor,
			  const char *text, size_t len,
			  const struct import_opts *opts,
			  struct import_result *res, struct huce_error *err)
{
	struct import x;
	struct csv_table csv = { 0 }, body;
	struct row *rows = NULL;
	char *keyhex = NULL, detail[200];
	enum huce_err rc;
	size_t n, hdr;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.o = opts;
	x.res = res;
	res->list = "households";
	rc = csv_table_parse(text, len, &csv, err);
	if (rc)
		goto out;
	if (!csv.n) {
		rc = huce_fail(err, HUCE_EINVAL, "the list is empty");
		goto out;
	}
	hdr = find_header(&csv);
	res->header_line = csv.rows[hdr].line;
	rc = map_header(&x, &csv.rows[hdr], err);
	if (rc)
		goto out;
	/* the header and the rows below it */
	body = (struct csv_table){ .rows = csv.rows + hdr, .n = csv.n - hdr };
	keyhex = store_meta_get(c->store, "town_key");
	x.keylen = keyhex ? huce_hex_decode(keyhex, x.key, sizeof(x.key)) : -1;
	x.town = store_meta_get(c->store, "town");
	n = body.n - 1;
	res->rows = (int)n;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	/* Every row is checked before anything is written. */
	rc = check_all(&x, &body, rows, err);
	if (rc)
		goto out;
	rc = store_begin(c->store, 1, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < n && !rc; i++)
		rc = rows[i].bad ? check_bad_row_names(&x, &rows[i], err)
				 : write_row(&x, &rows[i], err);
	if (!rc && res->bad_rows && !opts->skip_bad)
		rc = huce_fail(err, HUCE_EINVAL, "%d of %d rows %s bad: nothing was "
			       "imported (--skip-bad imports the others)",
			       res->bad_rows, res->rows, res->bad_rows == 1 ? "is" : "are");
	if (!rc) {
		snprintf(detail, sizeof(detail),
			 "%s: %d added, %d present, %d updated, %d bad; made %d villages, "
			 "%d groups, %d cadres, %d teams", res->list, res->added,
			 res->present, res->updated, res->bad_rows, res->villages,
			 res->groups, res->cadres, res->teams);
		rc = store_audit(c->store, actor, "import", detail, err);
	}
	if (!rc)
		rc = store_commit(c->store, err);
	else
		store_rollback(c->store);
out:
	sort_problems(res->problems);
	if (rc) {
		/* Nothing was written: count nothing either. */
		res->added = res->present = res->updated = 0;
		res->villages = res->groups = res->cadres = res->teams = 0;
	}
	for (int k = 0; k < N__COUNT; k++)
		names_release(&x.names[k]);
	free(rows);
	free(keyhex);
	free(x.town);
	csv_table_release(&csv);
	return rc;
}

void import_result_release(struct import_result *res)
{
	cJSON_Delete(res->ignored);
	cJSON_Delete(res->problems);
	memset(res, 0, sizeof(*res));
}
