/*
 * report.c - the office's weekly list (周清单) over the central store.
 *
 * `huce-syncd admin --store S report week [--week YYYY-Www] [--json]
 * [--format text|csv|html] [--out F]` gives, per village: the week's
 * target, households, toilets built (status built, accepted, failed or
 * rectifying), households inspected that week and how many of them
 * passed or failed, toilets accepted to date, open rectifications and
 * open conflicts touching the village's records (so a number that may
 * still change is marked).  Villages are ranked as the laptop's
 * `huce report week` ranks them: most passed first, then fewest open
 * rectifications, then by name.  The JSON keys are the laptop's too,
 * plus "conflicts".
 *
 * The report reads whole kinds through the store's scan; a town has a
 * few thousand households, and a report is not on the sync path.  CSV
 * output starts with a UTF-8 byte order mark so that spreadsheet
 * programs in the office read the Chinese headers right; files are
 * written to a temporary name and renamed, so a reader never sees half
 * a report.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "huce_buf.h"
#include "huce_file.h"
#include "huce_util.h"

#define REPORT_MAX (64u * 1024 * 1024)

struct village_row {
	char id[HUCE_ID_STRLEN + 1];
	char *name;
	int64_t target, households, built, inspected, passed, failed;
	int64_t accepted, open_rect, conflicts;
	cJSON *seen_any, *seen_pass, *seen_fail;	/* household ids this week */
};

struct report {
	const char *week;
	struct village_row *v;
	size_t n, alloc;
	cJSON *hh_village;	/* household id -> village id */
	cJSON *rec_household;	/* inspection/rectification/photo id -> household id */
};

static struct village_row *find_village(struct report *r, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

static const char *str_field(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static enum huce_err add_village(void *arg, const struct store_record *rec,
				 const cJSON *fields)
{
	struct report *r = arg;
	struct village_row *row;
	const char *name = str_field(fields, "name");

	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 32;
		struct village_row *nv = realloc(r->v, na * sizeof(*nv));

		if (!nv)
			return HUCE_ENOMEM;
		r->v = nv;
		r->alloc = na;
	}
	row = &r->v[r->n];
	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s", rec->id);
	row->name = strdup(name ? name : "");
	row->seen_any = cJSON_CreateObject();
	row->seen_pass = cJSON_CreateObject();
	row->seen_fail = cJSON_CreateObject();
	r->n++;
	if (!row->name || !row->seen_any || !row->seen_pass || !row->seen_fail)
		return HUCE_ENOMEM;
	return HUCE_OK;
}

static enum huce_err add_target(void *arg, const struct store_record *rec,
				const cJSON *fields)
{
	struct report *r = arg;
	struct village_row *row = find_village(r, str_field(fields, "village_id"));
	const char *week = str_field(fields, "week");

	(void)rec;
	if (row && week && strcmp(week, r->week) == 0)
		row->target += (int64_t)cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(fields, "n"));
	return HUCE_OK;
}

static int is_status(const char *s, const char *const *set)
{
	for (int i = 0; s && set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static enum huce_err add_household(void *arg, const struct store_record *rec,
				   const cJSON *fields)
{
	static const char *const built[] = {
		"built", "accepted", "failed", "rectifying", NULL
	};
	struct report *r = arg;
	const char *vid = str_field(fields, "village_id");
	const char *status = str_field(fields, "status");
	struct village_row *row = find_village(r, vid);

	if (!row)
		return HUCE_OK;
	if (!cJSON_AddStringToObject(r->hh_village, rec->id, vid))
		return HUCE_ENOMEM;
	row->households++;
	if (is_status(status, built))
		row->built++;
	if (status && strcmp(status, "accepted") == 0)
		row->accepted++;
	return HUCE_OK;
}

static struct village_row *village_of_household(struct report *r,
						const char *hh)
{
	if (!hh)
		return NULL;
	return find_village(r, cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(r->hh_village, hh)));
}

/* Count a household once per set. */
static enum huce_err mark(cJSON *set, const char *hh, int64_t *count)
{
	if (cJSON_GetObjectItemCaseSensitive(set, hh))
		return HUCE_OK;
	if (!cJSON_AddTrueToObject(set, hh))
		return HUCE_ENOMEM;
	(*count)++;
	return HUCE_OK;
}

static enum huce_err add_inspection(void *arg, const struct store_record *rec,
				    const cJSON *fields)
{
	struct report *r = arg;
	const char *hh = str_field(fields, "household_id");
	const char *week = str_field(fields, "week");
	const char *result = str_field(fields, "result");
	struct village_row *row = village_of_household(r, hh);
	enum huce_err rc;

	if (hh && !cJSON_AddStringToObject(r->rec_household, rec->id, hh))
		return HUCE_ENOMEM;
	if (!row || !week || strcmp(week, r->week) != 0)
		return HUCE_OK;
	rc = mark(row->seen_any, hh, &row->inspected);
	if (!rc && result && strcmp(result, "pass") == 0)
		rc = mark(row->seen_pass, hh, &row->passed);
	if (!rc && result && strcmp(result, "fail") == 0)
		rc = mark(row->seen_fail, hh, &row->failed);
	return rc;
}

static enum huce_err add_rectification(void *arg, const struct store_record *rec,
				       const cJSON *fields)
{
	struct report *r = arg;
	const char *hh = str_field(fields, "household_id");
	const char *status = str_field(fields, "status");
	struct village_row *row = village_of_household(r, hh);

	if (hh && !cJSON_AddStringToObject(r->rec_household, rec->id, hh))
		return HUCE_ENOMEM;
	if (row && (!status || strcmp(status, "open") == 0))
		row->open_rect++;
	return HUCE_OK;
}

static enum huce_err add_photo(void *arg, const struct store_record *rec,
			       const cJSON *fields)
{
	struct report *r = arg;
	const char *owner = str_field(fields, "owner_id");

	(void)rec;
	if (owner && !cJSON_GetObjectItemCaseSensitive(r->hh_village, owner)) {
		const char *hh = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(r->rec_household, owner));

		owner = hh;
	}
	if (owner && !cJSON_AddStringToObject(r->rec_household, rec->id, owner))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

static enum huce_err add_conflict(void *arg, const struct store_record *rec,
				  const cJSON *fields)
{
	struct report *r = arg;
	const char *status = str_field(fields, "status");
	const char *record = str_field(fields, "record");
	struct village_row *row;

	(void)rec;
	if (!status || strcmp(status, "open") != 0 || !record)
		return HUCE_OK;
	row = village_of_household(r, record);
	if (!row)
		row = village_of_household(r, cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(r->rec_household, record)));
	if (!row)
		row = find_village(r, record);
	if (row)
		row->conflicts++;
	return HUCE_OK;
}

static int rank_cmp(const void *pa, const void *pb)
{
	const struct village_row *a = pa, *b = pb;

	if (a->passed != b->passed)
		return a->passed > b->passed ? -1 : 1;
	if (a->open_rect != b->open_rect)
		return a->open_rect < b->open_rect ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void report_release(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		cJSON_Delete(r->v[i].seen_any);
		cJSON_Delete(r->v[i].seen_pass);
		cJSON_Delete(r->v[i].seen_fail);
	}
	free(r->v);
	cJSON_Delete(r->hh_village);
	cJSON_Delete(r->rec_household);
	memset(r, 0, sizeof(*r));
}

static const char *const col_keys[] = {
	"target", "households", "built", "inspected", "passed", "failed",
	"accepted", "open_rectifications", "conflicts", NULL
};
static const char *const col_zh[] = {
	"本周任务", "农户数", "已建成", "本周检查", "本周合格", "本周不合格",
	"累计验收", "未完成整改", "待处理冲突", NULL
};

static void row_values(const struct village_row *v, int64_t out[9])
{
	out[0] = v->target;
	out[1] = v->households;
	out[2] = v->built;
	out[3] = v->inspected;
	out[4] = v->passed;
	out[5] = v->failed;
	out[6] = v->accepted;
	out[7] = v->open_rect;
	out[8] = v->conflicts;
}

static enum huce_err build(struct store *s, struct report *r,
			   struct huce_error *err)
{
	enum huce_err rc;

	r->hh_village = cJSON_CreateObject();
	r->rec_household = cJSON_CreateObject();
	if (!r->hh_village || !r->rec_household)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = store_begin(s, 0, err);
	if (rc)
		return rc;
	rc = store_scan_kind(s, "village", 0, add_village, r, err);
	if (!rc)
		rc = store_scan_kind(s, "target", 0, add_target, r, err);
	if (!rc)
		rc = store_scan_kind(s, "household", 0, add_household, r, err);
	if (!rc)
		rc = store_scan_kind(s, "inspection", 0, add_inspection, r, err);
	if (!rc)
		rc = store_scan_kind(s, "rectification", 0, add_rectification, r, err);
	if (!rc)
		rc = store_scan_kind(s, "photo", 0, add_photo, r, err);
	if (!rc)
		rc = store_scan_kind(s, "conflict", 0, add_conflict, r, err);
	if (rc) {
		store_rollback(s);
		if (rc == HUCE_ENOMEM)
			huce_fail(err, rc, "out of memory");
		return rc;
	}
	rc = store_commit(s, err);
	if (rc)
		return rc;
	qsort(r->v, r->n, sizeof(*r->v), rank_cmp);
	return HUCE_OK;
}

static cJSON *report_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "villages");

	if (!o || !arr || !cJSON_AddStringToObject(o, "week", r->week)) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		cJSON *row = cJSON_CreateObject();
		int64_t vals[9];

		if (!row || !cJSON_AddItemToArray(arr, row) ||
		    !cJSON_AddStringToObject(row, "village", r->v[i].name) ||
		    !cJSON_AddStringToObject(row, "village_id", r->v[i].id)) {
			cJSON_Delete(o);
			return NULL;
		}
		row_values(&r->v[i], vals);
		for (int k = 0; col_keys[k]; k++)
			if (!cJSON_AddNumberToObject(row, col_keys[k], (double)vals[k])) {
				cJSON_Delete(o);
				return NULL;
			}
		if (!cJSON_AddNumberToObject(row, "rank", (double)(i + 1))) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/* One CSV cell, quoted when it must be (RFC 4180). */
static enum huce_err csv_cell(struct huce_buf *b, const char *s)
{
	enum huce_err rc = HUCE_OK;

	if (!strpbrk(s, ",\"\r\n"))
		return huce_buf_addstr(b, s);
	rc = huce_buf_addstr(b, "\"");
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '"' ? huce_buf_addstr(b, "\"\"") : huce_buf_add(b, p, 1);
	if (!rc)
		rc = huce_buf_addstr(b, "\"");
	return rc;
}

static enum huce_err html_text(struct huce_buf *b, const char *s)
{
	enum huce_err rc = HUCE_OK;

	for (const char *p = s; !rc && *p; p++) {
		switch (*p) {
		case '<': rc = huce_buf_addstr(b, "&lt;"); break;
		case '>': rc = huce_buf_addstr(b, "&gt;"); break;
		case '&': rc = huce_buf_addstr(b, "&amp;"); break;
		case '"': rc = huce_buf_addstr(b, "&quot;"); break;
		default: rc = huce_buf_add(b, p, 1); break;
		}
	}
	return rc;
}

static enum huce_err render(const struct report *r, const char *format,
			    struct huce_buf *b)
{
	enum huce_err rc = HUCE_OK;
	int csv = strcmp(format, "csv") == 0, html = strcmp(format, "html") == 0;

	if (csv) {
		rc = huce_buf_addstr(b, "\xef\xbb\xbf排名,村委会");
		for (int k = 0; !rc && col_zh[k]; k++)
			rc = huce_buf_printf(b, ",%s", col_zh[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "\r\n");
	} else if (html) {
		rc = huce_buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"zh\">\n"
			"<head><meta charset=\"utf-8\"><title>周清单 ");
		if (!rc)
			rc = html_text(b, r->week);
		if (!rc)
			rc = huce_buf_printf(b, "</title>\n<style>table{border-collapse:"
				"collapse}td,th{border:1px solid #888;padding:2px 6px}"
				"td.n{text-align:right}tr.c td{background:#fee}</style>"
				"</head>\n<body>\n<h1>周清单 %s</h1>\n<table>\n"
				"<tr><th>排名</th><th>村委会</th>", r->week);
		for (int k = 0; !rc && col_zh[k]; k++)
			rc = huce_buf_printf(b, "<th>%s</th>", col_zh[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "</tr>\n");
	} else {
		rc = huce_buf_printf(b, "周清单 week %s\nrank\tvillage", r->week);
		for (int k = 0; !rc && col_keys[k]; k++)
			rc = huce_buf_printf(b, "\t%s", col_keys[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "\n");
	}
	for (size_t i = 0; !rc && i < r->n; i++) {
		int64_t vals[9];

		row_values(&r->v[i], vals);
		if (csv) {
			rc = huce_buf_printf(b, "%zu,", i + 1);
			if (!rc)
				rc = csv_cell(b, r->v[i].name);
			for (int k = 0; !rc && col_keys[k]; k++)
				rc = huce_buf_printf(b, ",%lld", (long long)vals[k]);
			if (!rc)
				rc = huce_buf_addstr(b, "\r\n");
		} else if (html) {
			rc = huce_buf_printf(b, "<tr%s><td class=\"n\">%zu</td><td>",
					     r->v[i].conflicts ? " class=\"c\"" : "",
					     i + 1);
			if (!rc)
				rc = html_text(b, r->v[i].name);
			if (!rc)
				rc = huce_buf_addstr(b, "</td>");
			for (int k = 0; !rc && col_keys[k]; k++)
				rc = huce_buf_printf(b, "<td class=\"n\">%lld</td>",
						     (long long)vals[k]);
			if (!rc)
				rc = huce_buf_addstr(b, "</tr>\n");
		} else {
			rc = huce_buf_printf(b, "%zu\t%s", i + 1, r->v[i].name);
			for (int k = 0; !rc && col_keys[k]; k++)
				rc = huce_buf_printf(b, "\t%lld", (long long)vals[k]);
			if (!rc)
				rc = huce_buf_addstr(b, "\n");
		}
	}
	if (!rc && html)
		rc = huce_buf_addstr(b, "</table>\n<p>待处理冲突：该村尚有未解决的数据冲突，"
				     "数字可能变化。</p>\n</body>\n</html>\n");
	return rc;
}

static const char report_usage[] =
"usage: huce-syncd admin --store S report week [--week YYYY-Www] [--json]\n"
"           [--format text|csv|html] [--out FILE]\n"
"The weekly list (周清单) per village, ranked by households that passed\n"
"this week, then by fewest open rectifications: target, households,\n"
"built, inspected, passed, failed (households with an inspection that\n"
"week), accepted (to date), open_rectifications, conflicts (open ones\n"
"touching the village's records: its numbers may still change).\n"
"JSON: {\"week\": W, \"villages\": [{village, village_id, target, ...,\n"
"conflicts, rank}]}.  CSV and HTML have Chinese headers.\n";

int admin_report(struct store *s, const char *actor, int argc, char **argv)
{
	struct report r;
	struct huce_error err = { 0 };
	struct huce_buf out = HUCE_BUF_INIT(REPORT_MAX);
	const char *week = NULL, *format = NULL, *path = NULL;
	char thisweek[9], detail[64];
	cJSON *j = NULL;
	enum huce_err rc;
	int json = 0, y, w, ret = 0;

	memset(&r, 0, sizeof(r));
	if (argc < 2 || strcmp(argv[1], "week") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
				  strcmp(argv[1], "-h") == 0)) {
			fputs(report_usage, stdout);
			return 0;
		}
		fprintf(stderr, "huce-syncd admin: report %s is not available; "
			"expected `report week`\n", argc >= 2 ? argv[1] : "(nothing)");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(report_usage, stdout);
			return 0;
		} else if ((strcmp(a, "--week") == 0 || strcmp(a, "--format") == 0 ||
			    strcmp(a, "--out") == 0) && i + 1 < argc) {
			if (a[2] == 'w')
				week = argv[++i];
			else if (a[2] == 'f')
				format = argv[++i];
			else
				path = argv[++i];
		} else if (strncmp(a, "--week=", 7) == 0) {
			week = a + 7;
		} else if (strncmp(a, "--format=", 9) == 0) {
			format = a + 9;
		} else if (strncmp(a, "--out=", 6) == 0) {
			path = a + 6;
		} else {
			fprintf(stderr, "huce-syncd admin: report: unexpected argument '%s'\n%s",
				a, report_usage);
			return 2;
		}
	}
	if (json && format && strcmp(format, "json") != 0) {
		fprintf(stderr, "huce-syncd admin: report: --json and --format %s "
			"do not go together\n", format);
		return 2;
	}
	if (json)
		format = "json";
	if (!format)
		format = "text";
	if (strcmp(format, "text") && strcmp(format, "csv") &&
	    strcmp(format, "html") && strcmp(format, "json")) {
		fprintf(stderr, "huce-syncd admin: report: format '%s' is not text, "
			"csv, html or json\n", format);
		return 2;
	}
	if (!week) {
		huce_this_week(thisweek);
		week = thisweek;
	}
	if (huce_parse_week(week, &y, &w)) {
		fprintf(stderr, "huce-syncd admin: week '%s' is not an ISO week "
			"like 2026-W48\n", week);
		return 3;
	}
	r.week = week;
	rc = build(s, &r, &err);
	if (rc)
		goto fail;
	if (strcmp(format, "json") == 0) {
		char *text;

		j = report_json(&r);
		text = j ? cJSON_Print(j) : NULL;
		rc = text ? huce_buf_addstr(&out, text) : HUCE_ENOMEM;
		if (!rc)
			rc = huce_buf_addstr(&out, "\n");
		free(text);
	} else {
		rc = render(&r, format, &out);
	}
	if (rc) {
		huce_fail(&err, rc, "cannot build the report: %s", huce_err_text(rc));
		goto fail;
	}
	if (path)
		rc = huce_file_write_atomic(path, out.data, out.len, 0666, &err);
	else if (fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = huce_fail(&err, HUCE_EIO, "cannot write the report: %s", strerror(errno));
	if (rc)
		goto fail;
	snprintf(detail, sizeof(detail), "week %s, %zu villages", week, r.n);
	store_audit(s, actor, "report week", detail, NULL);
	goto out;
fail:
	fprintf(stderr, "huce-syncd admin: %s\n", err.msg);
	ret = huce_err_exit(rc);
out:
	cJSON_Delete(j);
	huce_buf_release(&out);
	report_release(&r);
	return ret;
}
