/*
 * report.c - the office's weekly list (周清单) over the central store.
 *
 * `huce-syncd admin --store S report week [--week YYYY-Www] [--json]
 * [--format text|csv|html] [--out F]`.  This file only loads the facts
 * from the store and writes the answer: what each column counts, as of
 * the week's Sunday or as that week's events, and the ranking are
 * common/huce_report.c's, which the laptop's `huce report week` calls
 * too, so both give the same numbers for the same records (README, "The
 * weekly list").  The central knows one fact the laptop does not: when
 * each record reached it (the record's created_at), which is what
 * entered_same_week counts.  Open conflicts are counted per village
 * (and in all), so a number that may still change is marked.
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
#include "huce_report.h"
#include "huce_util.h"

#define REPORT_MAX (64u * 1024 * 1024)

struct load {
	struct huce_report *r;
	cJSON *conflicts;	/* records of open conflicts */
};

static const char *str_field(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static int has_text(const cJSON *o, const char *name)
{
	const char *v = str_field(o, name);

	return v && *v;
}

static enum huce_err add_village(void *arg, const struct store_record *rec,
				 const cJSON *fields)
{
	struct load *l = arg;

	huce_report_add_village(l->r, rec->id, str_field(fields, "name"));
	return HUCE_OK;
}

static enum huce_err add_target(void *arg, const struct store_record *rec,
				const cJSON *fields)
{
	struct load *l = arg;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(fields, "n");

	(void)rec;
	if (cJSON_IsNumber(n))
		huce_report_add_target(l->r, str_field(fields, "village_id"),
				       str_field(fields, "week"),
				       (int64_t)n->valuedouble);
	return HUCE_OK;
}

static enum huce_err add_household(void *arg, const struct store_record *rec,
				   const cJSON *fields)
{
	struct load *l = arg;

	huce_report_add_household(l->r, rec->id, str_field(fields, "village_id"),
				  str_field(fields, "started"),
				  str_field(fields, "finished"),
				  !rec->deleted && !has_text(fields, "merged_into"));
	return HUCE_OK;
}

static enum huce_err add_inspection(void *arg, const struct store_record *rec,
				    const cJSON *fields)
{
	struct load *l = arg;

	huce_report_add_inspection(l->r, rec->id, str_field(fields, "household_id"),
				   str_field(fields, "date"),
				   str_field(fields, "stage"),
				   str_field(fields, "result"),
				   !rec->deleted && !has_text(fields, "voided"),
				   rec->created_at);
	return HUCE_OK;
}

static enum huce_err add_rectification(void *arg, const struct store_record *rec,
				       const cJSON *fields)
{
	struct load *l = arg;

	huce_report_add_rectification(l->r, rec->id,
				      str_field(fields, "household_id"),
				      str_field(fields, "inspection_id"),
				      str_field(fields, "status"),
				      str_field(fields, "closed_by"),
				      !rec->deleted);
	return HUCE_OK;
}

static enum huce_err add_conflict(void *arg, const struct store_record *rec,
				  const cJSON *fields)
{
	struct load *l = arg;
	const char *status = str_field(fields, "status");
	const char *record = str_field(fields, "record");

	(void)rec;
	if (!status || strcmp(status, "open") != 0)
		return HUCE_OK;
	if (!cJSON_AddItemToArray(l->conflicts, cJSON_CreateString(record ? record : "")))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

/* An open conflict on a photo is its owner's; a few point reads. */
static enum huce_err add_conflicts(struct store *s, struct load *l,
				   struct huce_error *err)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, l->conflicts) {
		const char *record = c->valuestring;
		struct store_record rec;
		struct huce_error gerr = { 0 };
		char *owner = NULL;
		cJSON *o = NULL;
		enum huce_err rc = store_record_get(s, record, &rec, &gerr);

		if (rc && rc != HUCE_ENOTFOUND)
			return huce_fail(err, rc, "%s", gerr.msg);
		if (!rc && strcmp(rec.kind, "photo") == 0) {
			rc = store_field_get(s, record, "owner_id", &owner, &gerr);
			if (rc && rc != HUCE_ENOTFOUND)
				return huce_fail(err, rc, "%s", gerr.msg);
			o = owner ? cJSON_Parse(owner) : NULL;
			free(owner);
		}
		huce_report_add_conflict(l->r, cJSON_IsString(o) ? o->valuestring
								 : record);
		cJSON_Delete(o);
	}
	return HUCE_OK;
}

static enum huce_err build(struct store *s, struct huce_report *r,
			   struct huce_error *err)
{
	struct load l = { r, cJSON_CreateArray() };
	enum huce_err rc;

	if (!l.conflicts)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = store_begin(s, 0, err);
	if (rc) {
		cJSON_Delete(l.conflicts);
		return rc;
	}
	rc = store_scan_kind(s, "village", 0, add_village, &l, err);
	if (!rc)
		rc = store_scan_kind(s, "target", 0, add_target, &l, err);
	if (!rc)
		rc = store_scan_kind(s, "household", 1, add_household, &l, err);
	if (!rc)
		rc = store_scan_kind(s, "inspection", 1, add_inspection, &l, err);
	if (!rc)
		rc = store_scan_kind(s, "rectification", 1, add_rectification, &l, err);
	if (!rc)
		rc = store_scan_kind(s, "conflict", 0, add_conflict, &l, err);
	if (!rc)
		rc = add_conflicts(s, &l, err);
	cJSON_Delete(l.conflicts);
	if (rc) {
		store_rollback(s);
		if (rc == HUCE_ENOMEM)
			huce_fail(err, rc, "out of memory");
		return rc;
	}
	rc = store_commit(s, err);
	if (!rc)
		rc = huce_report_compute(r, err);
	return rc;
}

/* CSV and HTML columns: the JSON keys' order, with Chinese headers. */
static const char *const col_zh[] = {
	"本周任务", "农户数", "已建成", "本周检查", "本周合格", "本周不合格",
	"累计验收", "未完成整改", "当周验收当周录入", "待处理冲突", NULL
};

static void row_values(const struct huce_report_row *v, int64_t out[10])
{
	out[0] = v->target;
	out[1] = v->households;
	out[2] = v->built;
	out[3] = v->inspected;
	out[4] = v->passed;
	out[5] = v->failed;
	out[6] = v->accepted;
	out[7] = v->open_rectifications;
	out[8] = v->entered_same_week;
	out[9] = v->conflicts;
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

static enum huce_err render(const struct huce_report *r, const char *format,
			    struct huce_buf *b)
{
	const struct huce_report_row *rows;
	size_t n = huce_report_rows(r, &rows);
	const char *week = huce_report_week(r);
	enum huce_err rc = HUCE_OK;
	int csv = strcmp(format, "csv") == 0, html = strcmp(format, "html") == 0;

	if (!csv && !html)
		return huce_report_text(r, b);
	if (csv) {
		rc = huce_buf_addstr(b, "\xef\xbb\xbf排名,村委会");
		for (int k = 0; !rc && col_zh[k]; k++)
			rc = huce_buf_printf(b, ",%s", col_zh[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "\r\n");
	} else {
		rc = huce_buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"zh\">\n"
			"<head><meta charset=\"utf-8\"><title>周清单 ");
		if (!rc)
			rc = html_text(b, week);
		if (!rc)
			rc = huce_buf_printf(b, "</title>\n<style>table{border-collapse:"
				"collapse}td,th{border:1px solid #888;padding:2px 6px}"
				"td.n{text-align:right}tr.c td{background:#fee}</style>"
				"</head>\n<body>\n<h1>周清单 %s</h1>\n<p>%s 至 %s</p>\n"
				"<table>\n<tr><th>排名</th><th>村委会</th>", week,
				huce_report_from(r), huce_report_to(r));
		for (int k = 0; !rc && col_zh[k]; k++)
			rc = huce_buf_printf(b, "<th>%s</th>", col_zh[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "</tr>\n");
	}
	for (size_t i = 0; !rc && i < n; i++) {
		int64_t vals[10];

		row_values(&rows[i], vals);
		if (csv) {
			rc = huce_buf_printf(b, "%d,", rows[i].rank);
			if (!rc)
				rc = csv_cell(b, rows[i].village);
			for (int k = 0; !rc && col_zh[k]; k++)
				rc = vals[k] < 0 ? huce_buf_addstr(b, ",")
						 : huce_buf_printf(b, ",%lld", (long long)vals[k]);
			if (!rc)
				rc = huce_buf_addstr(b, "\r\n");
		} else {
			rc = huce_buf_printf(b, "<tr%s><td class=\"n\">%d</td><td>",
					     rows[i].conflicts ? " class=\"c\"" : "",
					     rows[i].rank);
			if (!rc)
				rc = html_text(b, rows[i].village);
			if (!rc)
				rc = huce_buf_addstr(b, "</td>");
			for (int k = 0; !rc && col_zh[k]; k++)
				rc = vals[k] < 0
					? huce_buf_addstr(b, "<td class=\"n\">-</td>")
					: huce_buf_printf(b, "<td class=\"n\">%lld</td>",
							  (long long)vals[k]);
			if (!rc)
				rc = huce_buf_addstr(b, "</tr>\n");
		}
	}
	if (!rc && html)
		rc = huce_buf_addstr(b, "</table>\n<p>累计数（农户数、已建成、累计验收、"
				     "未完成整改）按本周日止的记录日期计；本周数按本周内"
				     "的日期计，每户每栏只计一次。待处理冲突：该村尚有未"
				     "解决的数据冲突，数字可能变化。</p>\n</body>\n</html>\n");
	return rc;
}

static const char report_usage[] =
"usage: huce-syncd admin --store S report week [--week YYYY-Www] [--json]\n"
"           [--format text|csv|html] [--out FILE]\n"
"The weekly list (周清单) per village, counted as of the end of the week\n"
"(its Sunday) from the records' own dates, ranked by accepted (equal\n"
"villages share a rank).  As of Sunday: households, built, accepted,\n"
"open_rectifications; that week's events, each household once:\n"
"inspected, passed, failed (by its last deciding inspection of the week),\n"
"entered_same_week (passed, and the deciding inspection reached this\n"
"central that week); conflicts: open ones now, touching the village's\n"
"records (its numbers may still change).  The laptop's `huce report week`\n"
"gives the same numbers (README, \"The weekly list\").\n"
"JSON: {\"week\": W, \"from\", \"to\", \"conflicts\", \"villages\": [{village,\n"
"village_id, target, ..., entered_same_week, conflicts, rank}]}.  CSV and\n"
"HTML have Chinese headers.\n";

int admin_report(struct store *s, const char *actor, int argc, char **argv)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	struct huce_buf out = HUCE_BUF_INIT(REPORT_MAX);
	const char *week = NULL, *format = NULL, *path = NULL;
	char thisweek[9], detail[64];
	const struct huce_report_row *rows;
	cJSON *j = NULL;
	enum huce_err rc;
	int json = 0, y, w, ret = 0;

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
	rc = huce_report_new(&r, week, &err);
	if (!rc)
		rc = build(s, r, &err);
	if (rc)
		goto fail;
	if (strcmp(format, "json") == 0) {
		char *text;

		j = huce_report_json(r);
		text = j ? cJSON_Print(j) : NULL;
		rc = text ? huce_buf_addstr(&out, text) : HUCE_ENOMEM;
		if (!rc)
			rc = huce_buf_addstr(&out, "\n");
		free(text);
	} else {
		rc = render(r, format, &out);
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
	snprintf(detail, sizeof(detail), "week %s, %zu villages", week,
		 huce_report_rows(r, &rows));
	store_audit(s, actor, "report week", detail, NULL);
	goto out;
fail:
	fprintf(stderr, "huce-syncd admin: %s\n", err.msg);
	ret = huce_err_exit(rc);
out:
	cJSON_Delete(j);
	huce_buf_release(&out);
	huce_report_free(r);
	return ret;
}
