/*
 * report.c - the office's reports over the central store (report.h).
 *
 *   huce-syncd admin --store S report week [--week YYYY-Www]
 *   huce-syncd admin --store S report dispatch [--date YYYY-MM-DD]
 *   huce-syncd admin --store S report month [--month YYYY-MM] [--config F]
 *       [--json | --format text|json|csv|xlsx|html] [--out F]
 *       [--stale-days N] [--blobs DIR]
 *   huce-syncd admin --store S audit sample --rate R [--seed N]
 *       [--as-of YYYY-MM-DD] [--json]
 *
 * This file only loads the facts from the store (the store's scans,
 * which read the same on SQLite and PostgreSQL: no SQL of its own) and
 * writes the answers: what each column counts, as of the last day of a
 * period or as that period's events, and the rankings are
 * common/huce_report.c's, which the laptop's `huce report week` calls
 * too, so both give the same numbers for the same records (README,
 * "The weekly list").  The central knows two facts the laptop does not:
 * when each record reached it (the record's created_at: entered_same_week
 * and the late entries), and whether a photo's bytes arrived (its file
 * under the photo directory, blobs.h: missing_photos).  Open conflicts
 * are counted per village and in all, never folded into one side.
 *
 * The dispatch meetings (周一通报、周三调度、周五调度) compare two counts:
 * as of the meeting's day and as of the one before (Fri -> Mon,
 * Mon -> Wed, Wed -> Fri); the month's ranking (红黑榜) applies the
 * weights and thresholds of a small JSON file (README, "The month's
 * ranking").  The audit sample draws a reproducible sample of accepted
 * households with a seeded generator (splitmix64) over the households
 * in id order, which is the same on both stores.
 *
 * The reports read whole kinds through the store's scan in one read
 * transaction; a town has a few thousand households, and a report is
 * not on the sync path.
 */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blobs.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_domain.h"
#include "huce_i18n.h"
#include "huce_file.h"
#include "huce_report.h"
#include "huce_util.h"
#include "store.h"

#define REPORT_MAX	(64u * 1024 * 1024)
#define CONFIG_MAX	(64u * 1024)
#define NREPORTS	3

/* --- dates ----------------------------------------------------------------- */

/* Noon UTC of a date, so that adding days never crosses a day boundary. */
static int date_time(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	int y, m, d;

	if (!s || huce_parse_date(s, &y, &m, &d))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	*t = timegm(&tm);
	return 0;
}

/* The date n days after s (s valid), and its weekday (0 Sunday). */
static int date_add(const char *s, int n, char out[11])
{
	struct tm tm;
	time_t t = 0;
	char tmp[32];

	date_time(s, &t);
	t += (time_t)n * 86400;
	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
		 (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
	memcpy(out, tmp, 11);
	return tm.tm_wday;
}

static int weekday(const char *s)
{
	char tmp[11];

	return date_add(s, 0, tmp);
}

/* A month "YYYY-MM": its first and last day.  0 on success. */
static int month_days(const char *s, char from[11], char to[11])
{
	char first[32], next[32];
	int y, m, dd;
	char *end;
	long v;

	if (!s || strlen(s) != 7 || s[4] != '-')
		return -1;
	v = strtol(s, &end, 10);
	if (end != s + 4 || v < 2000 || v > 9999)
		return -1;
	y = (int)v;
	if (s[5] < '0' || s[5] > '9' || s[6] < '0' || s[6] > '9')
		return -1;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	if (m < 1 || m > 12)
		return -1;
	snprintf(first, sizeof(first), "%04d-%02d-01", y, m);
	snprintf(next, sizeof(next), "%04d-%02d-01", m == 12 ? y + 1 : y,
		 m == 12 ? 1 : m + 1);
	if (huce_parse_date(first, &y, &m, &dd))
		return -1;
	memcpy(from, first, 11);
	date_add(next, -1, to);
	return 0;
}

/* --- options --------------------------------------------------------------- */

struct opts {
	const char *week, *month, *date, *format, *out, *config, *blobs;
	const char *rate, *seed, *as_of;
	int json, stale_days;
};

static const char report_usage[] =
N_("usage: huce-syncd admin --store S report week [--week YYYY-Www]\n"
"       huce-syncd admin --store S report dispatch [--date YYYY-MM-DD]\n"
"       huce-syncd admin --store S report month [--month YYYY-MM] [--config F]\n"
"           [--json | --format text|json|csv|xlsx|html] [--out FILE]\n"
"           [--stale-days N] [--blobs DIR]\n"
"\n"
"week      the weekly list (周清单) per village and for the town, counted as\n"
"          of the week's Sunday from the records' own dates, ranked by\n"
"          accepted (equal villages share a rank); the same numbers as the\n"
"          laptop's `huce report week`, plus same-week entry (当周验收当周\n"
"          录入) with the late ones and their lag, and missing photos.\n"
"dispatch  the figures as of a dispatch day (a Monday, Wednesday or\n"
"          Friday; default the last one) and their change since the one\n"
"          before (Fri -> Mon, Mon -> Wed, Wed -> Fri).\n"
"month     plan (the weekly targets of the ISO weeks whose Thursday falls\n"
"          in the month), accepted in the month, rate and rank per\n"
"          village; the red and black lists (红黑榜) with their reasons\n"
"          under the rules of --config (JSON; README for the defaults);\n"
"          each cadre's assigned households (挂包).\n"
"--stale-days N  households with no visit for N days (default 14)\n"
"--blobs DIR     the central's photo directory (default STORE.blobs for a\n"
"                SQLite store; without it a PostgreSQL store's photos are\n"
"                not checked)\n"
"JSON keys: README, \"The office's reports\".  CSV is UTF-8 with a byte\n"
"order mark; XLSX (a sheet per section) and HTML (one page) need --out for\n"
"XLSX.  --out writes to a temporary file and renames it.\n");

static const char audit_usage[] =
N_("usage: huce-syncd admin --store S audit sample --rate R [--seed N]\n"
"           [--as-of YYYY-MM-DD] [--json]\n"
"A reproducible random sample of the households accepted as of a day\n"
"(default today) for re-checking on site (账实相符): R is a fraction\n"
"(0.05) or a percent (5%); the same seed and day give the same sample.\n"
"Record each re-check as a spot-check inspection; the reports count the\n"
"re-checks done and the mismatches found (a failed spot-check of an\n"
"accepted toilet).\n"
"JSON: {as_of, seed, rate, population, households: [{household, village,\n"
"group, head, cadre, accepted_on, rechecked}]}.\n");

/* Parse argv[2..]; returns -1 to go on, else an exit code. */
static int parse_opts(int argc, char **argv, struct opts *o, const char *usage)
{
	static const char *const names[] = {
		"week", "month", "date", "format", "out", "config", "blobs",
		"rate", "seed", "as-of", "stale-days", NULL,
	};

	memset(o, 0, sizeof(*o));
	o->stale_days = 14;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k, len;

		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		for (k = 0; names[k]; k++) {
			len = strlen(names[k]);
			if (strncmp(a, "--", 2) || strncmp(a + 2, names[k], len))
				continue;
			if (a[2 + len] == '=') {
				val = a + 3 + len;
				break;
			}
			if (a[2 + len] == '\0' && i + 1 < argc) {
				val = argv[++i];
				break;
			}
		}
		if (!names[k] || !val) {
			fprintf(stderr, _("huce-syncd admin: %s: unexpected argument '%s'\n%s"),
				argv[0], a, usage);
			return 2;
		}
		switch (k) {
		case 0: o->week = val; break;
		case 1: o->month = val; break;
		case 2: o->date = val; break;
		case 3: o->format = val; break;
		case 4: o->out = val; break;
		case 5: o->config = val; break;
		case 6: o->blobs = val; break;
		case 7: o->rate = val; break;
		case 8: o->seed = val; break;
		case 9: o->as_of = val; break;
		default: {
			int64_t n;

			if (huce_parse_i64(val, &n) || n < 0 || n > 3650) {
				fprintf(stderr, _("huce-syncd admin: --stale-days '%s' is "
					"not a number of days (0..3650)\n"), val);
				return 2;
			}
			o->stale_days = (int)n;
			break;
		}
		}
	}
	if (o->json && o->format && strcmp(o->format, "json") != 0) {
		fprintf(stderr, _("huce-syncd admin: %s: --json and --format %s do "
			"not go together\n"), argv[0], o->format);
		return 2;
	}
	if (o->json)
		o->format = "json";
	if (!o->format)
		o->format = "text";
	if (strcmp(o->format, "text") && strcmp(o->format, "csv") &&
	    strcmp(o->format, "html") && strcmp(o->format, "json") &&
	    strcmp(o->format, "xlsx")) {
		fprintf(stderr, _("huce-syncd admin: %s: format '%s' is not text, "
			"json, csv, xlsx or html\n"), argv[0], o->format);
		return 2;
	}
	if (strcmp(o->format, "xlsx") == 0 && !o->out) {
		fprintf(stderr, _("huce-syncd admin: %s: --format xlsx needs --out "
			"FILE\n"), argv[0]);
		return 2;
	}
	return -1;
}

/* --- loading the facts ----------------------------------------------------- */

struct load {
	struct huce_report *r[NREPORTS];
	size_t n;
	cJSON *conflicts;	/* records of open conflicts */
	const char *blobs;	/* the photo directory, or NULL: not known */
	const struct huce_checklists *cl;	/* photos_lacking, or NULL */
};

#define EACH(l, i) for (size_t i = 0; i < (l)->n; i++)

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

	EACH(l, i)
		huce_report_add_village(l->r[i], rec->id, str_field(fields, "name"));
	return HUCE_OK;
}

static enum huce_err add_target(void *arg, const struct store_record *rec,
				const cJSON *fields)
{
	struct load *l = arg;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(fields, "n");

	(void)rec;
	if (cJSON_IsNumber(n))
		EACH(l, i)
			huce_report_add_target(l->r[i], str_field(fields, "village_id"),
					       str_field(fields, "week"),
					       (int64_t)n->valuedouble);
	return HUCE_OK;
}

static enum huce_err add_household(void *arg, const struct store_record *rec,
				   const cJSON *fields)
{
	struct load *l = arg;

	EACH(l, i) {
		huce_report_add_household(l->r[i], rec->id,
					  str_field(fields, "village_id"),
					  str_field(fields, "started"),
					  str_field(fields, "finished"),
					  !rec->deleted &&
					  !has_text(fields, "merged_into"));
		huce_report_household_details(l->r[i], str_field(fields, "head"),
					      str_field(fields, "team_id"),
					      str_field(fields, "cadre_id"));
		huce_report_household_type(l->r[i], str_field(fields, "type"));
	}
	return HUCE_OK;
}

static enum huce_err add_inspection(void *arg, const struct store_record *rec,
				    const cJSON *fields)
{
	struct load *l = arg;
	const cJSON *failed = cJSON_GetObjectItemCaseSensitive(fields, "failed");

	EACH(l, i) {
		const cJSON *e;

		huce_report_add_inspection(l->r[i], rec->id,
					   str_field(fields, "household_id"),
					   str_field(fields, "date"),
					   str_field(fields, "stage"),
					   str_field(fields, "result"),
					   !rec->deleted && !has_text(fields, "voided"),
					   rec->created_at);
		cJSON_ArrayForEach(e, failed)
			if (cJSON_IsString(e))
				huce_report_inspection_failed(l->r[i], e->valuestring);
	}
	return HUCE_OK;
}

static enum huce_err add_rectification(void *arg, const struct store_record *rec,
				       const cJSON *fields)
{
	struct load *l = arg;

	EACH(l, i) {
		huce_report_add_rectification(l->r[i], rec->id,
					      str_field(fields, "household_id"),
					      str_field(fields, "inspection_id"),
					      str_field(fields, "status"),
					      str_field(fields, "closed_by"),
					      !rec->deleted);
		huce_report_rectification_deadline(l->r[i],
						   str_field(fields, "deadline"));
	}
	return HUCE_OK;
}

static enum huce_err add_team(void *arg, const struct store_record *rec,
			      const cJSON *fields)
{
	struct load *l = arg;

	EACH(l, i)
		huce_report_add_team(l->r[i], rec->id, str_field(fields, "name"));
	return HUCE_OK;
}

static enum huce_err add_cadre(void *arg, const struct store_record *rec,
			       const cJSON *fields)
{
	struct load *l = arg;

	EACH(l, i)
		huce_report_add_cadre(l->r[i], rec->id, str_field(fields, "name"));
	return HUCE_OK;
}

/* Whether the complete bytes of photo sha are in the photo directory. */
static int blob_here(const char *dir, const char *sha)
{
	char path[4200];
	struct stat st;

	if (!sha || !blob_name_valid(sha))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static enum huce_err add_photo(void *arg, const struct store_record *rec,
			       const cJSON *fields)
{
	struct load *l = arg;
	/* present counts only when the photo directory is known (photos_known) */
	int present = l->blobs && blob_here(l->blobs, str_field(fields, "sha256"));

	EACH(l, i) {
		huce_report_add_photo(l->r[i], rec->id, str_field(fields, "owner_id"),
				      present, !rec->deleted);
		huce_report_photo_kind(l->r[i], str_field(fields, "kind"));
	}
	return HUCE_OK;
}

/* The office's review (信息审核): kind review, field household and state. */
static enum huce_err add_review(void *arg, const struct store_record *rec,
				const cJSON *fields)
{
	struct load *l = arg;

	(void)rec;
	EACH(l, i)
		huce_report_add_review(l->r[i], str_field(fields, "household"),
				       str_field(fields, "state"));
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
		EACH(l, i)
			huce_report_add_conflict(l->r[i], cJSON_IsString(o)
					 ? o->valuestring : record);
		cJSON_Delete(o);
	}
	return HUCE_OK;
}

/* The photo directory: --blobs, else STORE.blobs for a SQLite store. */
static const char *blob_dir(const struct report_ctx *c, const struct opts *o,
			    char *buf, size_t n)
{
	if (o->blobs)
		return o->blobs;
	if (!c->spec || strncmp(c->spec, "postgres", 8) == 0)
		return NULL;
	snprintf(buf, n, "%s.blobs", c->spec);
	return buf;
}

/* Load the store's facts into each report of l, in one read transaction. */
static enum huce_err load_facts(struct store *s, struct load *l,
				struct huce_error *err)
{
	static const struct {
		const char *kind;
		int with_deleted;
		store_record_cb cb;
	} scans[] = {
		{ "village", 0, add_village },
		{ "target", 0, add_target },
		{ "household", 1, add_household },
		{ "inspection", 1, add_inspection },
		{ "rectification", 1, add_rectification },
		{ "team", 0, add_team },
		{ "cadre", 0, add_cadre },
		{ "photo", 0, add_photo },
		{ "review", 0, add_review },
		{ "conflict", 0, add_conflict },
	};
	enum huce_err rc;

	l->conflicts = cJSON_CreateArray();
	if (!l->conflicts)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (l->blobs)
		EACH(l, i)
			huce_report_set_photos_known(l->r[i]);
	EACH(l, i)
		huce_report_set_checklists(l->r[i], l->cl);
	rc = store_begin(s, 0, err);
	for (size_t k = 0; !rc && k < sizeof(scans) / sizeof(scans[0]); k++)
		rc = store_scan_kind(s, scans[k].kind, scans[k].with_deleted,
				     scans[k].cb, l, err);
	if (!rc)
		rc = add_conflicts(s, l, err);
	cJSON_Delete(l->conflicts);
	l->conflicts = NULL;
	if (rc) {
		store_rollback(s);
		if (rc == HUCE_ENOMEM)
			huce_fail(err, rc, _("out of memory"));
		return rc;
	}
	rc = store_commit(s, err);
	EACH(l, i)
		if (!rc)
			rc = huce_report_compute(l->r[i], err);
	return rc;
}

/* --- shared pieces of the documents ---------------------------------------- */

/* The Chinese label of a checklist item code, or NULL. */
static const char *item_label(const struct huce_checklists *cl, const char *code)
{
	const char *const *types = huce_toilet_types();
	const struct huce_checklist_item *it;

	if (!cl)
		return NULL;
	it = huce_checklist_find(cl, "common", code);
	for (size_t i = 0; !it && types[i]; i++)
		it = huce_checklist_find(cl, types[i], code);
	return it ? it->label : NULL;
}

static const struct report_col fail_cols[] = {
	{ "村委会", REPORT_TEXT }, { "检查项", REPORT_TEXT },
	{ "名称", REPORT_TEXT }, { "不合格次数", REPORT_INT },
};

/* Failures by checklist item: per village, then the town's. */
static void failures_table(struct report_doc *d, const struct huce_report *r,
			   const struct huce_checklists *cl)
{
	struct report_table *t = report_doc_table(d, "不合格项", fail_cols, 4);
	const struct huce_report_row *rows;
	size_t n = huce_report_rows(r, &rows);

	for (size_t i = 0; i <= n; i++) {
		const struct huce_report_row *w = i < n ? &rows[i] : huce_report_town(r);

		for (size_t k = 0; k < w->nfailures; k++) {
			cJSON *row = report_table_row(d, t, i < n ? NULL : "t");

			report_cell_text(d, row, w->village);
			report_cell_text(d, row, w->failures[k].item);
			report_cell_text(d, row, item_label(cl, w->failures[k].item));
			report_cell_int(d, row, w->failures[k].n);
		}
	}
}

/* Write the answer to --out (atomically) or stdout. */
static enum huce_err emit(const struct opts *o, const struct huce_buf *out,
			  struct huce_error *err)
{
	if (o->out)
		return huce_file_write_atomic(o->out, out->data, out->len, 0666, err);
	if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
		return huce_fail(err, HUCE_EIO, _("cannot write the report: %s"),
				 strerror(errno));
	return HUCE_OK;
}

/* A document in the format asked for (not json, not the week's text). */
static enum huce_err write_doc(const struct opts *o, const struct report_doc *d,
			       struct huce_error *err)
{
	struct huce_buf out = HUCE_BUF_INIT(REPORT_MAX);
	enum huce_err rc;

	if (d->oom)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (strcmp(o->format, "xlsx") == 0)
		return report_doc_xlsx(d, o->out, err);
	if (strcmp(o->format, "csv") == 0)
		rc = report_doc_csv(d, &out);
	else if (strcmp(o->format, "html") == 0)
		rc = report_doc_html(d, &out);
	else
		rc = report_doc_text(d, &out);
	if (rc)
		rc = huce_fail(err, rc, _("cannot build the report: %s"), _(huce_err_text(rc)));
	else
		rc = emit(o, &out, err);
	huce_buf_release(&out);
	return rc;
}

static enum huce_err write_json(const struct opts *o, const cJSON *j,
				struct huce_error *err)
{
	struct huce_buf out = HUCE_BUF_INIT(REPORT_MAX);
	char *text = j ? cJSON_Print(j) : NULL;
	enum huce_err rc;

	if (!text)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	huce_buf_addstr(&out, text);
	rc = huce_buf_addstr(&out, "\n");
	free(text);
	rc = rc ? huce_fail(err, rc, _("cannot build the report: %s"),
			    _(huce_err_text(rc))) : emit(o, &out, err);
	huce_buf_release(&out);
	return rc;
}

static void audit_line(const struct report_ctx *c, const char *action,
		       const char *detail)
{
	struct huce_error err = { 0 };

	if (store_audit(c->store, c->actor, action, detail, &err))
		fprintf(stderr, _("huce-syncd admin: warning: audit log: %s\n"), err.msg);
}

/* --- the week -------------------------------------------------------------- */

static const struct report_col week_cols[] = {
	{ "排名", REPORT_INT }, { "村委会", REPORT_TEXT },
	{ "本周任务", REPORT_INT }, { "农户数", REPORT_INT },
	{ "已建成", REPORT_INT }, { "本周检查", REPORT_INT },
	{ "本周合格", REPORT_INT }, { "本周不合格", REPORT_INT },
	{ "累计验收", REPORT_INT }, { "未完成整改", REPORT_INT },
	{ "当周验收当周录入", REPORT_INT }, { "待处理冲突", REPORT_INT },
	{ "已开工", REPORT_INT }, { "本周新增验收", REPORT_INT },
	{ "本周首次验收", REPORT_INT }, { "首次验收合格", REPORT_INT },
	{ "一次验收合格率", REPORT_PCT }, { "本周新开整改", REPORT_INT },
	{ "逾期整改", REPORT_INT }, { "本周完成整改", REPORT_INT },
	{ "首厕未过施工队", REPORT_INT }, { "照片未到", REPORT_INT }, { "验收缺照片", REPORT_INT },
	{ "久未走访户", REPORT_INT }, { "当周录入率", REPORT_PCT },
	{ "抽查复核", REPORT_INT }, { "账实不符", REPORT_INT },
	{ "审核通过", REPORT_INT }, { "审核有问题", REPORT_INT },
	{ "问题已修改", REPORT_INT },
};

/* One line of the week's main table (rank 0: the town). */
static void week_row(struct report_doc *d, struct report_table *t,
		     const struct huce_report_row *w, int town)
{
	cJSON *row = report_table_row(d, t, town ? "t" : w->conflicts ? "c" : NULL);

	report_cell_int(d, row, town ? -1 : w->rank);
	report_cell_text(d, row, w->village);
	report_cell_int(d, row, w->target);
	report_cell_int(d, row, w->households);
	report_cell_int(d, row, w->built);
	report_cell_int(d, row, w->inspected);
	report_cell_int(d, row, w->passed);
	report_cell_int(d, row, w->failed);
	report_cell_int(d, row, w->accepted);
	report_cell_int(d, row, w->open_rectifications);
	report_cell_int(d, row, w->entered_same_week);
	report_cell_int(d, row, w->conflicts);
	report_cell_int(d, row, w->started);
	report_cell_int(d, row, w->newly_accepted);
	report_cell_int(d, row, w->first_inspected);
	report_cell_int(d, row, w->first_passed);
	report_cell_rate(d, row, huce_report_rate(w->first_passed, w->first_inspected));
	report_cell_int(d, row, w->rect_opened);
	report_cell_int(d, row, w->rect_overdue);
	report_cell_int(d, row, w->rect_closed);
	report_cell_int(d, row, w->teams_blocked);
	report_cell_int(d, row, w->missing_photos);
	report_cell_int(d, row, w->photos_lacking);
	report_cell_int(d, row, w->stale);
	report_cell_rate(d, row, huce_report_rate(w->entered_same_week, w->passed));
	report_cell_int(d, row, w->rechecks);
	report_cell_int(d, row, w->mismatches);
	report_cell_int(d, row, w->review_approved);
	report_cell_int(d, row, w->review_has_issues);
	report_cell_int(d, row, w->review_edited);
}

static const struct report_col late_cols[] = {
	{ "村委会", REPORT_TEXT }, { "户主", REPORT_TEXT },
	{ "验收日期", REPORT_TEXT }, { "录入日期", REPORT_TEXT },
	{ "滞后天数", REPORT_INT }, { "农户ID", REPORT_TEXT },
};

static const struct report_col team_cols[] = {
	{ "施工队", REPORT_TEXT }, { "户数", REPORT_INT }, { "施工队ID", REPORT_TEXT },
};

static void week_doc(struct report_doc *d, const struct huce_report *r,
		     const struct opts *o, const struct huce_checklists *cl)
{
	const struct huce_report_row *rows;
	const struct huce_report_late *late;
	const struct huce_report_team *teams;
	size_t n = huce_report_rows(r, &rows), nl, nt;
	struct report_table *t;
	char title[64], period[160];

	snprintf(title, sizeof(title), "周清单 %s", huce_report_week(r));
	snprintf(period, sizeof(period), "%s 至 %s（久未走访：%d 天）",
		 huce_report_from(r), huce_report_to(r), o->stale_days);
	report_doc_init(d, title, period);
	d->note = "累计数（农户数、已开工、已建成、累计验收、未完成整改、逾期整改、"
		  "首厕未过施工队、久未走访户）按本周日止的记录日期计；本周数按本周内的"
		  "日期计，每户每栏只计一次。当周验收当周录入：本周合格、且其验收记录在"
		  "本周内到达镇里的户数；录入滞后表列出其余的户。待处理冲突：该村尚有未"
		  "解决的数据冲突，数字可能变化。审核通过、审核有问题、问题已修改：镇里"
		  "信息审核的当前状态（户数）。";
	t = report_doc_table(d, "村委会进度", week_cols,
			     sizeof(week_cols) / sizeof(week_cols[0]));
	for (size_t i = 0; i < n; i++)
		week_row(d, t, &rows[i], 0);
	week_row(d, t, huce_report_town(r), 1);
	failures_table(d, r, cl);
	t = report_doc_table(d, "录入滞后", late_cols, 6);
	nl = huce_report_late(r, &late);
	for (size_t i = 0; i < nl; i++) {
		cJSON *row = report_table_row(d, t, NULL);

		report_cell_text(d, row, late[i].village);
		report_cell_text(d, row, late[i].head);
		report_cell_text(d, row, late[i].date);
		report_cell_text(d, row, late[i].entered);
		report_cell_int(d, row, late[i].lag_days);
		report_cell_text(d, row, late[i].household_id);
	}
	t = report_doc_table(d, "首厕未过施工队", team_cols, 3);
	nt = huce_report_blocked(r, &teams);
	for (size_t i = 0; i < nt; i++) {
		cJSON *row = report_table_row(d, t, NULL);

		report_cell_text(d, row, teams[i].name);
		report_cell_int(d, row, teams[i].households);
		report_cell_text(d, row, teams[i].team_id);
	}
	d->bars_title = "本周验收进度（本周新增验收 / 周任务）";
	d->bars = cJSON_CreateArray();
	for (size_t i = 0; d->bars && i < n; i++) {
		cJSON *b = cJSON_CreateArray();

		cJSON_AddItemToArray(b, cJSON_CreateString(rows[i].village));
		cJSON_AddItemToArray(b, cJSON_CreateNumber((double)rows[i].target));
		cJSON_AddItemToArray(b, cJSON_CreateNumber((double)rows[i].newly_accepted));
		if (cJSON_GetArraySize(b) != 3 || !cJSON_AddItemToArray(d->bars, b)) {
			cJSON_Delete(b);
			d->oom = 1;
		}
	}
	if (!d->bars)
		d->oom = 1;
}

static int report_week(const struct report_ctx *c, const struct opts *o)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	struct load l = { 0 };
	struct report_doc d;
	char thisweek[9], detail[96], bbuf[4200];
	const struct huce_report_row *rows;
	const char *week = o->week;
	enum huce_err rc;
	int y, w, ret = 0;

	report_doc_init(&d, NULL, NULL);
	if (!week) {
		huce_this_week(thisweek);
		week = thisweek;
	}
	if (huce_parse_week(week, &y, &w)) {
		fprintf(stderr, _("huce-syncd admin: week '%s' is not an ISO week "
			"like 2026-W48\n"), week);
		return 3;
	}
	rc = huce_report_new(&r, week, &err);
	if (rc)
		goto fail;
	huce_report_set_stale_days(r, o->stale_days);
	l.r[0] = r;
	l.n = 1;
	l.blobs = blob_dir(c, o, bbuf, sizeof(bbuf));
	l.cl = c->checklists;
	rc = load_facts(c->store, &l, &err);
	if (rc)
		goto fail;
	if (strcmp(o->format, "json") == 0) {
		cJSON *j = huce_report_json(r);

		rc = write_json(o, j, &err);
		cJSON_Delete(j);
	} else if (strcmp(o->format, "text") == 0) {
		struct huce_buf out = HUCE_BUF_INIT(REPORT_MAX);

		rc = huce_report_text(r, &out);
		rc = rc ? huce_fail(&err, rc, _("cannot build the report: %s"),
				    _(huce_err_text(rc))) : emit(o, &out, &err);
		huce_buf_release(&out);
	} else {
		week_doc(&d, r, o, c->checklists);
		rc = write_doc(o, &d, &err);
	}
	if (rc)
		goto fail;
	snprintf(detail, sizeof(detail), "week %s, %zu villages", week,
		 huce_report_rows(r, &rows));
	audit_line(c, "report week", detail);
	goto out;
fail:
	fprintf(stderr, _("huce-syncd admin: %s\n"), err.msg[0] ? err.msg
							      : _(huce_err_text(rc)));
	ret = huce_err_exit(rc);
out:
	report_doc_release(&d);
	huce_report_free(r);
	return ret;
}

/* --- the dispatch meetings ------------------------------------------------- */

static const struct report_col dispatch_cols[] = {
	{ "排名", REPORT_INT }, { "村委会", REPORT_TEXT },
	{ "本周任务", REPORT_INT }, { "本周已验收", REPORT_INT },
	{ "农户数", REPORT_INT }, { "已开工", REPORT_INT },
	{ "已建成", REPORT_INT }, { "累计验收", REPORT_INT },
	{ "未完成整改", REPORT_INT }, { "逾期整改", REPORT_INT },
	{ "待处理冲突", REPORT_INT }, { "审核通过", REPORT_INT },
	{ "审核有问题", REPORT_INT }, { "问题已修改", REPORT_INT },
	{ "期间检查", REPORT_INT }, { "期间合格", REPORT_INT },
	{ "期间不合格", REPORT_INT },
	{ "农户数变化", REPORT_INT }, { "开工变化", REPORT_INT },
	{ "建成变化", REPORT_INT }, { "验收变化", REPORT_INT },
	{ "整改变化", REPORT_INT }, { "逾期变化", REPORT_INT },
};

/* The line of the same village in another report (or its town line). */
static const struct huce_report_row *same_row(const struct huce_report *r,
					      const struct huce_report_row *w)
{
	const struct huce_report_row *rows;
	size_t n = huce_report_rows(r, &rows);

	if (!w->village_id[0])
		return huce_report_town(r);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].village_id, w->village_id) == 0)
			return &rows[i];
	return NULL;
}

/* The change of the as-of columns between two counts. */
static cJSON *change_json(const struct huce_report_row *now,
			  const struct huce_report_row *prev)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddNumberToObject(o, "households",
			(double)(now->households - prev->households)) ||
	    !cJSON_AddNumberToObject(o, "started",
			(double)(now->started - prev->started)) ||
	    !cJSON_AddNumberToObject(o, "built", (double)(now->built - prev->built)) ||
	    !cJSON_AddNumberToObject(o, "accepted",
			(double)(now->accepted - prev->accepted)) ||
	    !cJSON_AddNumberToObject(o, "open_rectifications",
			(double)(now->open_rectifications - prev->open_rectifications)) ||
	    !cJSON_AddNumberToObject(o, "rectifications_overdue",
			(double)(now->rect_overdue - prev->rect_overdue))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void dispatch_row(struct report_doc *d, struct report_table *t,
			 const struct huce_report_row *w,
			 const struct huce_report_row *p,
			 const struct huce_report_row *wk, int town)
{
	cJSON *row = report_table_row(d, t, town ? "t" : w->conflicts ? "c" : NULL);

	report_cell_int(d, row, town ? -1 : w->rank);
	report_cell_text(d, row, w->village);
	report_cell_int(d, row, w->target);
	report_cell_int(d, row, wk->newly_accepted);
	report_cell_int(d, row, w->households);
	report_cell_int(d, row, w->started);
	report_cell_int(d, row, w->built);
	report_cell_int(d, row, w->accepted);
	report_cell_int(d, row, w->open_rectifications);
	report_cell_int(d, row, w->rect_overdue);
	report_cell_int(d, row, w->conflicts);
	report_cell_int(d, row, w->review_approved);
	report_cell_int(d, row, w->review_has_issues);
	report_cell_int(d, row, w->review_edited);
	report_cell_int(d, row, w->inspected);
	report_cell_int(d, row, w->passed);
	report_cell_int(d, row, w->failed);
	report_cell_num(d, row, (double)(w->households - p->households));
	report_cell_num(d, row, (double)(w->started - p->started));
	report_cell_num(d, row, (double)(w->built - p->built));
	report_cell_num(d, row, (double)(w->accepted - p->accepted));
	report_cell_num(d, row, (double)(w->open_rectifications - p->open_rectifications));
	report_cell_num(d, row, (double)(w->rect_overdue - p->rect_overdue));
}

/* One village's (or the town's) dispatch object. */
static cJSON *dispatch_json_row(const struct huce_report_row *w,
				const struct huce_report_row *p,
				const struct huce_report_row *wk)
{
	cJSON *o = huce_report_row_json(w), *ch;

	if (!o)
		return NULL;
	ch = change_json(w, p);
	if (!ch || !cJSON_AddItemToObject(o, "change", ch) ||
	    !cJSON_AddNumberToObject(o, "week_accepted", (double)wk->newly_accepted)) {
		if (!cJSON_GetObjectItem(o, "change"))
			cJSON_Delete(ch);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *const weekday_zh[7] = {
	"周日", "周一", "周二", "周三", "周四", "周五", "周六",
};

static int report_dispatch(const struct report_ctx *c, const struct opts *o)
{
	struct huce_report *now = NULL, *prev = NULL, *wk = NULL;
	struct huce_error err = { 0 };
	struct load l = { 0 };
	struct report_doc d;
	const struct huce_report_row *rows;
	char date[11], since[11], mon[11], sincep[11], week[9];
	char detail[96], bbuf[4200], title[96], period[200];
	enum huce_err rc;
	cJSON *j = NULL, *arr, *town;
	int wd, y, m, dd, ret = 0;
	size_t n;

	report_doc_init(&d, NULL, NULL);
	if (o->date) {
		if (huce_parse_date(o->date, &y, &m, &dd)) {
			fprintf(stderr, _("huce-syncd admin: report dispatch: '%s' is not "
				"a date (YYYY-MM-DD)\n"), o->date);
			return 2;
		}
		snprintf(date, sizeof(date), "%s", o->date);
		wd = weekday(date);
		if (wd != 1 && wd != 3 && wd != 5) {
			fprintf(stderr, _("huce-syncd admin: report dispatch: %s (%s) is "
				"not a dispatch day: Monday, Wednesday or Friday "
				"(周一通报、周三调度、周五调度)\n"), date, weekday_zh[wd]);
			return 2;
		}
	} else {
		/* the last dispatch day, today included */
		huce_today(date);
		for (wd = weekday(date); wd != 1 && wd != 3 && wd != 5; wd = weekday(date))
			date_add(date, -1, date);
	}
	/* Mon <- Fri (3 days), Wed <- Mon, Fri <- Wed (2 days) */
	date_add(date, wd == 1 ? -3 : -2, since);
	date_add(since, 1, sincep);
	date_add(date, 1 - wd, mon);
	huce_parse_date(date, &y, &m, &dd);
	huce_week_of(y, m, dd, week);
	rc = huce_report_new_range(&now, sincep, date, &err);
	if (!rc)
		rc = huce_report_new_range(&prev, since, since, &err);
	if (!rc)
		rc = huce_report_new_range(&wk, mon, date, &err);
	if (rc)
		goto fail;
	huce_report_set_target_week(now, week);
	huce_report_set_target_week(prev, week);
	huce_report_set_target_week(wk, week);
	l.r[0] = now;
	l.r[1] = prev;
	l.r[2] = wk;
	l.n = 3;
	EACH(&l, i)
		huce_report_set_stale_days(l.r[i], o->stale_days);
	l.blobs = blob_dir(c, o, bbuf, sizeof(bbuf));
	l.cl = c->checklists;
	rc = load_facts(c->store, &l, &err);
	if (rc)
		goto fail;
	n = huce_report_rows(now, &rows);
	if (strcmp(o->format, "json") == 0) {
		j = cJSON_CreateObject();
		arr = j && cJSON_AddStringToObject(j, "date", date) &&
		      cJSON_AddStringToObject(j, "since", since) &&
		      cJSON_AddStringToObject(j, "week", week) &&
		      cJSON_AddNumberToObject(j, "conflicts",
					      (double)huce_report_conflicts(now))
		      ? cJSON_AddArrayToObject(j, "villages") : NULL;
		for (size_t i = 0; arr && i < n; i++) {
			const struct huce_report_row *p = same_row(prev, &rows[i]);
			const struct huce_report_row *k = same_row(wk, &rows[i]);
			cJSON *v = p && k ? dispatch_json_row(&rows[i], p, k) : NULL;

			if (!v || !cJSON_AddItemToArray(arr, v)) {
				cJSON_Delete(v);
				arr = NULL;
			}
		}
		town = arr ? dispatch_json_row(huce_report_town(now),
					       huce_report_town(prev),
					       huce_report_town(wk)) : NULL;
		if (town) {
			cJSON_DeleteItemFromObject(town, "village_id");
			cJSON_DeleteItemFromObject(town, "rank");
		}
		if (!town || !cJSON_AddItemToObject(j, "town", town)) {
			cJSON_Delete(town);
			rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
			goto fail;
		}
		rc = write_json(o, j, &err);
	} else {
		struct report_table *t;

		snprintf(title, sizeof(title), "%s %s %s", wd == 1 ? "周一通报"
			 : wd == 3 ? "周三调度" : "周五调度", date, week);
		snprintf(period, sizeof(period), "截至 %s；变化：与 %s（%s）相比；"
			 "期间：%s 至 %s", date, since, weekday_zh[weekday(since)],
			 sincep, date);
		report_doc_init(&d, title, period);
		d.note = "累计数按当日止的记录日期计；变化为与上一次调度日相比的增减；"
			 "期间检查、合格、不合格为两次调度之间的日期，每户只计一次；"
			 "本周已验收为本周一起新增验收的户数；审核通过、审核有问题、问题已"
			 "修改为镇里信息审核的当前状态（户数）。";
		t = report_doc_table(&d, "调度", dispatch_cols,
				     sizeof(dispatch_cols) / sizeof(dispatch_cols[0]));
		for (size_t i = 0; i < n; i++) {
			const struct huce_report_row *p = same_row(prev, &rows[i]);
			const struct huce_report_row *k = same_row(wk, &rows[i]);

			if (p && k)
				dispatch_row(&d, t, &rows[i], p, k, 0);
		}
		dispatch_row(&d, t, huce_report_town(now), huce_report_town(prev),
			     huce_report_town(wk), 1);
		failures_table(&d, now, c->checklists);
		d.bars_title = "本周验收进度（本周已验收 / 周任务）";
		d.bars = cJSON_CreateArray();
		for (size_t i = 0; d.bars && i < n; i++) {
			const struct huce_report_row *k = same_row(wk, &rows[i]);
			cJSON *b = cJSON_CreateArray();

			cJSON_AddItemToArray(b, cJSON_CreateString(rows[i].village));
			cJSON_AddItemToArray(b, cJSON_CreateNumber((double)rows[i].target));
			cJSON_AddItemToArray(b, cJSON_CreateNumber(k ? (double)k->newly_accepted : 0));
			if (cJSON_GetArraySize(b) != 3 || !cJSON_AddItemToArray(d.bars, b)) {
				cJSON_Delete(b);
				d.oom = 1;
			}
		}
		if (!d.bars)
			d.oom = 1;
		rc = write_doc(o, &d, &err);
	}
	if (rc)
		goto fail;
	snprintf(detail, sizeof(detail), "dispatch %s since %s, %zu villages",
		 date, since, n);
	audit_line(c, "report dispatch", detail);
	goto out;
fail:
	fprintf(stderr, _("huce-syncd admin: %s\n"), err.msg[0] ? err.msg
							      : _(huce_err_text(rc)));
	ret = huce_err_exit(rc);
out:
	cJSON_Delete(j);
	report_doc_release(&d);
	huce_report_free(now);
	huce_report_free(prev);
	huce_report_free(wk);
	return ret;
}

/* --- the month ------------------------------------------------------------- */

/*
 * The rules' file (JSON; every key optional, README "The month's
 * ranking"):
 *   {"weights": {"rate": 1, "first_pass_rate": 0, "entered_same_week_rate": 0},
 *    "red": {"min_rate": 90, "top": 3},
 *    "black": {"max_rate": 50, "bottom": 2, "needs_overdue": true}}
 */
static enum huce_err number_of(const cJSON *o, const char *section,
			       const char *key, double lo, double hi,
			       double *out, struct huce_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return HUCE_OK;
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
		return huce_fail(err, HUCE_EINVAL, _("%s.%s must be a number from "
				 "%g to %g"), section, key, lo, hi);
	*out = v->valuedouble;
	return HUCE_OK;
}

/* Every key of o is one of keys (a typo is an error, not a default). */
static enum huce_err known_keys(const cJSON *o, const char *section,
				const char *const *keys, struct huce_error *err)
{
	const cJSON *e;

	if (!cJSON_IsObject(o))
		return huce_fail(err, HUCE_EINVAL, _("%s must be an object"), section);
	cJSON_ArrayForEach(e, o) {
		size_t k;

		for (k = 0; keys[k] && strcmp(keys[k], e->string); k++)
			;
		if (!keys[k])
			return huce_fail(err, HUCE_EINVAL, _("%s: unknown key '%.40s'"),
					 section, e->string);
	}
	return HUCE_OK;
}

static enum huce_err read_rules(const char *path, struct huce_month_rules *rules,
				struct huce_error *err)
{
	static const char *const top_keys[] = { "weights", "red", "black", NULL };
	static const char *const w_keys[] = {
		"rate", "first_pass_rate", "entered_same_week_rate", NULL,
	};
	static const char *const red_keys[] = { "min_rate", "top", NULL };
	static const char *const black_keys[] = {
		"max_rate", "bottom", "needs_overdue", NULL,
	};
	struct huce_buf b;
	struct huce_error perr = { 0 };
	cJSON *j = NULL;
	const cJSON *w, *red, *black, *no;
	double top, bottom;
	enum huce_err rc;

	huce_month_rules_default(rules);
	if (!path)
		return HUCE_OK;
	rc = huce_file_read(path, CONFIG_MAX, &b, err);
	if (!rc) {
		j = cJSON_ParseWithLength(b.data, b.len);
		if (!j)
			rc = huce_fail(err, HUCE_EINVAL, _("'%s' is not JSON"), path);
	}
	huce_buf_release(&b);
	if (rc)
		return rc;
	w = cJSON_GetObjectItemCaseSensitive(j, "weights");
	red = cJSON_GetObjectItemCaseSensitive(j, "red");
	black = cJSON_GetObjectItemCaseSensitive(j, "black");
	top = rules->red_top;
	bottom = rules->black_bottom;
	rc = known_keys(j, "the rules", top_keys, &perr);
	if (!rc && w)
		rc = known_keys(w, "weights", w_keys, &perr);
	if (!rc && red)
		rc = known_keys(red, "red", red_keys, &perr);
	if (!rc && black)
		rc = known_keys(black, "black", black_keys, &perr);
	if (!rc)
		rc = number_of(w, "weights", "rate", -100, 100, &rules->w_rate, &perr);
	if (!rc)
		rc = number_of(w, "weights", "first_pass_rate", -100, 100,
			       &rules->w_first_pass, &perr);
	if (!rc)
		rc = number_of(w, "weights", "entered_same_week_rate", -100, 100,
			       &rules->w_same_week, &perr);
	if (!rc)
		rc = number_of(red, "red", "min_rate", 0, 1000, &rules->red_min_rate,
			       &perr);
	if (!rc)
		rc = number_of(red, "red", "top", 0, 1000, &top, &perr);
	if (!rc)
		rc = number_of(black, "black", "max_rate", 0, 1000,
			       &rules->black_max_rate, &perr);
	if (!rc)
		rc = number_of(black, "black", "bottom", 0, 1000, &bottom, &perr);
	no = cJSON_GetObjectItemCaseSensitive(black, "needs_overdue");
	if (!rc && no && !cJSON_IsBool(no))
		rc = huce_fail(&perr, HUCE_EINVAL, _("black.needs_overdue must be "
			       "true or false"));
	if (!rc && no)
		rules->black_needs_overdue = cJSON_IsTrue(no);
	if (!rc && (top != (int)top || bottom != (int)bottom))
		rc = huce_fail(&perr, HUCE_EINVAL, _("red.top and black.bottom are "
			       "whole numbers of villages"));
	rules->red_top = (int)top;
	rules->black_bottom = (int)bottom;
	cJSON_Delete(j);
	if (rc)
		return huce_fail(err, rc, "%s: %s", path, perr.msg);
	return HUCE_OK;
}

static cJSON *rules_json(const struct huce_month_rules *u)
{
	cJSON *o = cJSON_CreateObject(), *w, *red, *black;

	w = cJSON_AddObjectToObject(o, "weights");
	red = cJSON_AddObjectToObject(o, "red");
	black = cJSON_AddObjectToObject(o, "black");
	if (!w || !red || !black ||
	    !cJSON_AddNumberToObject(w, "rate", u->w_rate) ||
	    !cJSON_AddNumberToObject(w, "first_pass_rate", u->w_first_pass) ||
	    !cJSON_AddNumberToObject(w, "entered_same_week_rate", u->w_same_week) ||
	    !cJSON_AddNumberToObject(red, "min_rate", u->red_min_rate) ||
	    !cJSON_AddNumberToObject(red, "top", u->red_top) ||
	    !cJSON_AddNumberToObject(black, "max_rate", u->black_max_rate) ||
	    !cJSON_AddNumberToObject(black, "bottom", u->black_bottom) ||
	    !cJSON_AddBoolToObject(black, "needs_overdue", u->black_needs_overdue)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* One village's month object (town: no id, rank, list). */
static cJSON *month_row_json(const struct huce_report_row *w, int town)
{
	cJSON *o = cJSON_CreateObject(), *why;
	const char *list = huce_report_list_name(w->list);
	double rate = huce_report_rate(w->newly_accepted, w->target);
	int ok;

	ok = o && cJSON_AddStringToObject(o, "village", w->village) &&
	     (town || cJSON_AddStringToObject(o, "village_id", w->village_id)) &&
	     cJSON_AddNumberToObject(o, "plan", (double)w->target) &&
	     cJSON_AddNumberToObject(o, "accepted", (double)w->newly_accepted) &&
	     (rate < 0 ? cJSON_AddNullToObject(o, "rate")
		       : cJSON_AddNumberToObject(o, "rate", rate));
	if (ok && !town)
		ok = (w->score < 0 ? cJSON_AddNullToObject(o, "score")
				   : cJSON_AddNumberToObject(o, "score", w->score)) &&
		     cJSON_AddNumberToObject(o, "rank", w->rank) &&
		     (list ? cJSON_AddStringToObject(o, "list", list)
			   : cJSON_AddNullToObject(o, "list")) &&
		     (why = cJSON_AddArrayToObject(o, "reasons")) != NULL;
	for (int k = 0; ok && !town && k < 4 && w->reasons[k]; k++)
		ok = cJSON_AddItemToArray(cJSON_GetObjectItem(o, "reasons"),
					  cJSON_CreateString(w->reasons[k]));
	if (ok) {
		double fp = huce_report_rate(w->first_passed, w->first_inspected);
		double sw = huce_report_rate(w->entered_same_week, w->passed);

		ok = cJSON_AddNumberToObject(o, "accepted_total", (double)w->accepted) &&
		     cJSON_AddNumberToObject(o, "households", (double)w->households) &&
		     (fp < 0 ? cJSON_AddNullToObject(o, "first_pass_rate")
			     : cJSON_AddNumberToObject(o, "first_pass_rate", fp)) &&
		     (sw < 0 ? cJSON_AddNullToObject(o, "entered_same_week_rate")
			     : cJSON_AddNumberToObject(o, "entered_same_week_rate", sw)) &&
		     cJSON_AddNumberToObject(o, "rectifications_overdue",
					     (double)w->rect_overdue) &&
		     cJSON_AddNumberToObject(o, "rechecks", (double)w->rechecks) &&
		     cJSON_AddNumberToObject(o, "mismatches", (double)w->mismatches) &&
		     cJSON_AddNumberToObject(o, "conflicts", (double)w->conflicts) &&
		     cJSON_AddNumberToObject(o, "review_approved",
					     (double)w->review_approved) &&
		     cJSON_AddNumberToObject(o, "review_has_issues",
					     (double)w->review_has_issues) &&
		     cJSON_AddNumberToObject(o, "review_edited",
					     (double)w->review_edited);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *cadre_json(const struct huce_report_cadre *c)
{
	cJSON *o = cJSON_CreateObject();
	double rate = huce_report_rate(c->accepted, c->households);

	if (!o || !cJSON_AddStringToObject(o, "cadre", c->name) ||
	    !cJSON_AddStringToObject(o, "cadre_id", c->cadre_id) ||
	    !cJSON_AddNumberToObject(o, "households", (double)c->households) ||
	    !cJSON_AddNumberToObject(o, "accepted", (double)c->accepted) ||
	    !cJSON_AddNumberToObject(o, "accepted_in_month", (double)c->newly_accepted) ||
	    !(rate < 0 ? cJSON_AddNullToObject(o, "rate")
		       : cJSON_AddNumberToObject(o, "rate", rate))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const struct report_col month_cols[] = {
	{ "排名", REPORT_INT }, { "村委会", REPORT_TEXT },
	{ "月计划", REPORT_INT }, { "本月验收", REPORT_INT },
	{ "完成率", REPORT_PCT }, { "得分", REPORT_NUM },
	{ "红黑榜", REPORT_TEXT }, { "原因", REPORT_TEXT },
	{ "累计验收", REPORT_INT }, { "农户数", REPORT_INT },
	{ "一次验收合格率", REPORT_PCT }, { "当周录入率", REPORT_PCT },
	{ "逾期整改", REPORT_INT }, { "抽查复核", REPORT_INT },
	{ "账实不符", REPORT_INT }, { "待处理冲突", REPORT_INT },
	{ "审核通过", REPORT_INT }, { "审核有问题", REPORT_INT },
	{ "问题已修改", REPORT_INT },
};

static const struct report_col cadre_cols[] = {
	{ "挂包干部", REPORT_TEXT }, { "挂包户数", REPORT_INT },
	{ "已验收", REPORT_INT }, { "本月验收", REPORT_INT },
	{ "完成率", REPORT_PCT },
};

/* The reasons of a line joined by "；" into buf. */
static const char *joined_reasons(const struct huce_report_row *w, char *buf,
				  size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < 4 && w->reasons[k]; k++) {
		int m = snprintf(buf + len, n - len, "%s%s", k ? "；" : "",
				 w->reasons[k]);

		if (m < 0 || (size_t)m >= n - len)
			break;
		len += (size_t)m;
	}
	return buf;
}

static void month_row(struct report_doc *d, struct report_table *t,
		      const struct huce_report_row *w, int town)
{
	const char *list = huce_report_list_name(w->list);
	cJSON *row = report_table_row(d, t, town ? "t" : list);
	char why[700];

	report_cell_int(d, row, town ? -1 : w->rank);
	report_cell_text(d, row, w->village);
	report_cell_int(d, row, w->target);
	report_cell_int(d, row, w->newly_accepted);
	report_cell_rate(d, row, huce_report_rate(w->newly_accepted, w->target));
	if (town || w->score < 0)
		report_cell_text(d, row, NULL);
	else
		report_cell_num(d, row, w->score);
	report_cell_text(d, row, w->list == HUCE_LIST_RED ? "红榜" :
			 w->list == HUCE_LIST_BLACK ? "黑榜" : NULL);
	report_cell_text(d, row, town ? NULL : joined_reasons(w, why, sizeof(why)));
	report_cell_int(d, row, w->accepted);
	report_cell_int(d, row, w->households);
	report_cell_rate(d, row, huce_report_rate(w->first_passed, w->first_inspected));
	report_cell_rate(d, row, huce_report_rate(w->entered_same_week, w->passed));
	report_cell_int(d, row, w->rect_overdue);
	report_cell_int(d, row, w->rechecks);
	report_cell_int(d, row, w->mismatches);
	report_cell_int(d, row, w->conflicts);
	report_cell_int(d, row, w->review_approved);
	report_cell_int(d, row, w->review_has_issues);
	report_cell_int(d, row, w->review_edited);
}

static void month_doc(struct report_doc *d, const struct huce_report *r,
		      const char *month, const struct huce_checklists *cl)
{
	const struct huce_report_row *rows;
	const struct huce_report_cadre *cadres;
	size_t n = huce_report_rows(r, &rows), nc = huce_report_cadres(r, &cadres);
	struct report_table *t;
	char title[64], period[96], why[700];

	snprintf(title, sizeof(title), "月度排名与红黑榜 %s", month);
	snprintf(period, sizeof(period), "%s 至 %s", huce_report_from(r),
		 huce_report_to(r));
	report_doc_init(d, title, period);
	d->note = "月计划：周四落在本月的各 ISO 周的周任务之和；本月验收：月末为已验收、"
		  "月初前一日不是的户数；完成率 = 本月验收 / 月计划；排名按得分（默认即"
		  "完成率），得分相同名次相同；无计划的村不排入红黑榜。当周录入率：本月"
		  "合格的户中，验收记录在验收当周到达镇里的比例。审核通过、审核有问题、"
		  "问题已修改：镇里信息审核的当前状态（户数）。";
	t = report_doc_table(d, "月度排名", month_cols,
			     sizeof(month_cols) / sizeof(month_cols[0]));
	for (size_t i = 0; i < n; i++)
		month_row(d, t, &rows[i], 0);
	month_row(d, t, huce_report_town(r), 1);
	t = report_doc_table(d, "挂包干部", cadre_cols, 5);
	for (size_t i = 0; i < nc; i++) {
		cJSON *row = report_table_row(d, t, NULL);

		report_cell_text(d, row, cadres[i].name);
		report_cell_int(d, row, cadres[i].households);
		report_cell_int(d, row, cadres[i].accepted);
		report_cell_int(d, row, cadres[i].newly_accepted);
		report_cell_rate(d, row, huce_report_rate(cadres[i].accepted,
							  cadres[i].households));
	}
	failures_table(d, r, cl);
	d->bars_title = "本月验收进度（本月验收 / 月计划）";
	d->bars = cJSON_CreateArray();
	d->lists = cJSON_CreateArray();
	if (!d->bars || !d->lists)
		d->oom = 1;
	for (size_t i = 0; !d->oom && i < n; i++) {
		cJSON *b = cJSON_CreateArray(), *e;

		cJSON_AddItemToArray(b, cJSON_CreateString(rows[i].village));
		cJSON_AddItemToArray(b, cJSON_CreateNumber((double)rows[i].target));
		cJSON_AddItemToArray(b, cJSON_CreateNumber((double)rows[i].newly_accepted));
		if (cJSON_GetArraySize(b) != 3 || !cJSON_AddItemToArray(d->bars, b)) {
			cJSON_Delete(b);
			d->oom = 1;
		}
		if (rows[i].list == HUCE_LIST_NONE)
			continue;
		e = cJSON_CreateArray();
		cJSON_AddItemToArray(e, cJSON_CreateString(huce_report_list_name(rows[i].list)));
		cJSON_AddItemToArray(e, cJSON_CreateString(rows[i].village));
		cJSON_AddItemToArray(e, cJSON_CreateNumber(rows[i].rank));
		cJSON_AddItemToArray(e, cJSON_CreateNumber(rows[i].rate));
		cJSON_AddItemToArray(e, cJSON_CreateString(joined_reasons(&rows[i], why,
									  sizeof(why))));
		if (cJSON_GetArraySize(e) != 5 || !cJSON_AddItemToArray(d->lists, e)) {
			cJSON_Delete(e);
			d->oom = 1;
		}
	}
}

static int report_month(const struct report_ctx *c, const struct opts *o)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	struct huce_month_rules rules;
	struct load l = { 0 };
	struct report_doc d;
	const struct huce_report_row *rows;
	const struct huce_report_cadre *cadres;
	char month[16], from[11], to[11], detail[96], bbuf[4200];
	enum huce_err rc;
	cJSON *j = NULL, *arr, *town;
	size_t n, nc;
	int ret = 0;

	report_doc_init(&d, NULL, NULL);
	if (o->month) {
		snprintf(month, sizeof(month), "%s", o->month);
	} else {
		huce_today(from);
		snprintf(month, sizeof(month), "%.7s", from);
	}
	if (month_days(month, from, to)) {
		fprintf(stderr, _("huce-syncd admin: report month: '%s' is not a "
			"month like 2026-10\n"), month);
		return 2;
	}
	rc = read_rules(o->config, &rules, &err);
	if (!rc)
		rc = huce_report_new_range(&r, from, to, &err);
	if (rc)
		goto fail;
	huce_report_set_stale_days(r, o->stale_days);
	l.r[0] = r;
	l.n = 1;
	l.blobs = blob_dir(c, o, bbuf, sizeof(bbuf));
	l.cl = c->checklists;
	rc = load_facts(c->store, &l, &err);
	if (!rc)
		rc = huce_report_rank_month(r, &rules, &err);
	if (rc)
		goto fail;
	n = huce_report_rows(r, &rows);
	nc = huce_report_cadres(r, &cadres);
	if (strcmp(o->format, "json") == 0) {
		cJSON *ru;

		j = cJSON_CreateObject();
		arr = j && cJSON_AddStringToObject(j, "month", month) &&
		      cJSON_AddStringToObject(j, "from", from) &&
		      cJSON_AddStringToObject(j, "to", to) &&
		      cJSON_AddNumberToObject(j, "conflicts",
					      (double)huce_report_conflicts(r))
		      ? cJSON_AddArrayToObject(j, "villages") : NULL;
		for (size_t i = 0; arr && i < n; i++) {
			cJSON *v = month_row_json(&rows[i], 0);

			if (!v || !cJSON_AddItemToArray(arr, v)) {
				cJSON_Delete(v);
				arr = NULL;
			}
		}
		town = arr ? month_row_json(huce_report_town(r), 1) : NULL;
		if (!town || !cJSON_AddItemToObject(j, "town", town)) {
			cJSON_Delete(town);
			arr = NULL;
		}
		ru = arr ? rules_json(&rules) : NULL;
		if (!ru || !cJSON_AddItemToObject(j, "rules", ru)) {
			cJSON_Delete(ru);
			arr = NULL;
		}
		arr = arr ? cJSON_AddArrayToObject(j, "cadres") : NULL;
		for (size_t i = 0; arr && i < nc; i++) {
			cJSON *v = cadre_json(&cadres[i]);

			if (!v || !cJSON_AddItemToArray(arr, v)) {
				cJSON_Delete(v);
				arr = NULL;
			}
		}
		if (!arr) {
			rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
			goto fail;
		}
		rc = write_json(o, j, &err);
	} else {
		month_doc(&d, r, month, c->checklists);
		rc = write_doc(o, &d, &err);
	}
	if (rc)
		goto fail;
	snprintf(detail, sizeof(detail), "month %s, %zu villages", month, n);
	audit_line(c, "report month", detail);
	goto out;
fail:
	fprintf(stderr, _("huce-syncd admin: %s\n"), err.msg[0] ? err.msg
							      : _(huce_err_text(rc)));
	ret = huce_err_exit(rc);
out:
	cJSON_Delete(j);
	report_doc_release(&d);
	huce_report_free(r);
	return ret;
}

int admin_report(const struct report_ctx *c, int argc, char **argv)
{
	struct opts o;
	int ret;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(_(report_usage), stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "week") && strcmp(argv[1], "month") &&
			 strcmp(argv[1], "dispatch"))) {
		fprintf(stderr, _("huce-syncd admin: report %s: expected `report week`, "
			"`report dispatch` or `report month`\n%s"),
			argc >= 2 ? argv[1] : "(nothing)", _(report_usage));
		return 2;
	}
	ret = parse_opts(argc, argv, &o, _(report_usage));
	if (ret >= 0)
		return ret;
	if ((o.week && strcmp(argv[1], "week")) ||
	    (o.month && strcmp(argv[1], "month")) ||
	    (o.date && strcmp(argv[1], "dispatch")) ||
	    (o.config && strcmp(argv[1], "month")) || o.rate || o.seed || o.as_of) {
		fprintf(stderr, _("huce-syncd admin: report %s: --week goes with week, "
			"--date with dispatch, --month and --config with month\n"),
			argv[1]);
		return 2;
	}
	if (strcmp(argv[1], "week") == 0)
		return report_week(c, &o);
	if (strcmp(argv[1], "dispatch") == 0)
		return report_dispatch(c, &o);
	return report_month(c, &o);
}

/* --- the audit sample (账实相符) -------------------------------------------- */

struct audit_hh {
	char *id, *village_id, *group_id, *head, *cadre_id, *started, *finished;
};

struct audit_insp {
	char *id, *household_id, *date;
	int stage, pass, live;
};

struct audit_load {
	struct audit_hh *hh;
	size_t nhh, ahh;
	struct audit_insp *in;
	size_t nin, ain;
	cJSON *names;		/* id -> name of villages, groups, cadres */
	int oom;
};

static char *dup_or_null(struct audit_load *a, const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		a->oom = 1;
	return p;
}

static enum huce_err audit_name(void *arg, const struct store_record *rec,
				const cJSON *fields)
{
	struct audit_load *a = arg;
	const char *name = str_field(fields, "name");

	if (!cJSON_AddStringToObject(a->names, rec->id, name ? name : ""))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

static enum huce_err audit_household(void *arg, const struct store_record *rec,
				     const cJSON *fields)
{
	struct audit_load *a = arg;
	struct audit_hh *h;

	if (has_text(fields, "merged_into"))
		return HUCE_OK;
	if (a->nhh == a->ahh) {
		size_t n = a->ahh ? a->ahh * 2 : 256;
		void *p = realloc(a->hh, n * sizeof(*a->hh));

		if (!p)
			return HUCE_ENOMEM;
		a->hh = p;
		a->ahh = n;
	}
	h = &a->hh[a->nhh++];
	h->id = dup_or_null(a, rec->id);
	h->village_id = dup_or_null(a, str_field(fields, "village_id"));
	h->group_id = dup_or_null(a, str_field(fields, "group_id"));
	h->head = dup_or_null(a, str_field(fields, "head"));
	h->cadre_id = dup_or_null(a, str_field(fields, "cadre_id"));
	h->started = dup_or_null(a, str_field(fields, "started"));
	h->finished = dup_or_null(a, str_field(fields, "finished"));
	return a->oom ? HUCE_ENOMEM : HUCE_OK;
}

static enum huce_err audit_inspection(void *arg, const struct store_record *rec,
				      const cJSON *fields)
{
	struct audit_load *a = arg;
	struct audit_insp *in;
	const char *hh = str_field(fields, "household_id");
	const char *date = str_field(fields, "date");
	const char *result = str_field(fields, "result");
	int y, m, d;

	if (!hh || !date || huce_parse_date(date, &y, &m, &d) ||
	    has_text(fields, "voided"))
		return HUCE_OK;
	if (a->nin == a->ain) {
		size_t n = a->ain ? a->ain * 2 : 256;
		void *p = realloc(a->in, n * sizeof(*a->in));

		if (!p)
			return HUCE_ENOMEM;
		a->in = p;
		a->ain = n;
	}
	in = &a->in[a->nin++];
	in->id = dup_or_null(a, rec->id);
	in->household_id = dup_or_null(a, hh);
	in->date = dup_or_null(a, date);
	in->stage = huce_stage_parse(str_field(fields, "stage"));
	in->pass = result && strcmp(result, "pass") == 0;
	in->live = 1;
	return a->oom ? HUCE_ENOMEM : HUCE_OK;
}

static void audit_load_release(struct audit_load *a)
{
	for (size_t i = 0; i < a->nhh; i++) {
		free(a->hh[i].id);
		free(a->hh[i].village_id);
		free(a->hh[i].group_id);
		free(a->hh[i].head);
		free(a->hh[i].cadre_id);
		free(a->hh[i].started);
		free(a->hh[i].finished);
	}
	for (size_t i = 0; i < a->nin; i++) {
		free(a->in[i].id);
		free(a->in[i].household_id);
		free(a->in[i].date);
	}
	free(a->hh);
	free(a->in);
	cJSON_Delete(a->names);
}

static int audit_insp_cmp(const void *x, const void *y)
{
	const struct audit_insp *a = x, *b = y;
	int c = strcmp(a->household_id, b->household_id);

	return c ? c : strcmp(a->id, b->id);
}

static int audit_hh_cmp(const void *x, const void *y)
{
	return strcmp(((const struct audit_hh *)x)->id,
		      ((const struct audit_hh *)y)->id);
}

/* splitmix64: a small generator that every platform computes alike. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform number in [0, n) without modulo bias. */
static uint64_t below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = splitmix64(state);
	while (x >= limit);
	return x % n;
}

/* One sampled household, and what the office needs to find it. */
struct pick {
	const struct audit_hh *h;
	const char *village, *group, *cadre;
	char accepted_on[11];
	const char *rechecked;		/* "pass", "fail" or NULL */
};

static int pick_cmp(const void *x, const void *y)
{
	const struct pick *a = x, *b = y;
	int c = strcmp(a->village, b->village);

	if (!c)
		c = strcmp(a->group, b->group);
	if (!c)
		c = strcmp(a->h->head ? a->h->head : "", b->h->head ? b->h->head : "");
	return c ? c : strcmp(a->h->id, b->h->id);
}

/* The rate: "0.05", "5%"; 0 < rate <= 1.  0 on success. */
static int parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	if (*end == '%' && end[1] == '\0')
		v /= 100.0;
	else if (*end)
		return -1;
	if (!(v > 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

static const char *name_of(const cJSON *names, const char *id)
{
	const char *s = id ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(names, id))
			   : NULL;

	return s ? s : "";
}

static int audit_sample(const struct report_ctx *c, const struct opts *o)
{
	struct audit_load a = { 0 };
	struct huce_error err = { 0 };
	struct huce_insp_fact *facts = NULL;
	struct pick *pop = NULL;
	size_t npop = 0, k = 0, maxrun = 0;
	uint64_t seed, state;
	double rate;
	char as_of[11], detail[128];
	enum huce_err rc;
	int y, m, d, ret = 0;
	cJSON *j = NULL, *arr;

	if (parse_rate(o->rate, &rate)) {
		fprintf(stderr, _("huce-syncd admin: audit sample: --rate '%s' is not "
			"a fraction (0.05) or a percent (5%%) above 0 and at most 1\n"),
			o->rate ? o->rate : "");
		return 2;
	}
	if (o->seed) {
		int64_t s;

		if (huce_parse_i64(o->seed, &s) || s < 0) {
			fprintf(stderr, _("huce-syncd admin: audit sample: --seed '%s' is "
				"not a whole number\n"), o->seed);
			return 2;
		}
		seed = (uint64_t)s;
	} else {
		/* a fresh draw; printed, so it can be drawn again */
		seed = ((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20)) % 1000000000ULL;
	}
	if (o->as_of) {
		if (huce_parse_date(o->as_of, &y, &m, &d)) {
			fprintf(stderr, _("huce-syncd admin: audit sample: --as-of '%s' is "
				"not a date (YYYY-MM-DD)\n"), o->as_of);
			return 2;
		}
		snprintf(as_of, sizeof(as_of), "%s", o->as_of);
	} else {
		huce_today(as_of);
	}
	a.names = cJSON_CreateObject();
	if (!a.names) {
		rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
		goto fail;
	}
	rc = store_begin(c->store, 0, &err);
	if (!rc)
		rc = store_scan_kind(c->store, "village", 0, audit_name, &a, &err);
	if (!rc)
		rc = store_scan_kind(c->store, "group", 0, audit_name, &a, &err);
	if (!rc)
		rc = store_scan_kind(c->store, "cadre", 0, audit_name, &a, &err);
	if (!rc)
		rc = store_scan_kind(c->store, "household", 0, audit_household, &a, &err);
	if (!rc)
		rc = store_scan_kind(c->store, "inspection", 0, audit_inspection, &a, &err);
	if (rc) {
		store_rollback(c->store);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, _("out of memory"));
		goto fail;
	}
	rc = store_commit(c->store, &err);
	if (rc)
		goto fail;
	/* households in id order (the same on every store), inspections by household */
	if (a.nhh)
		qsort(a.hh, a.nhh, sizeof(*a.hh), audit_hh_cmp);
	if (a.nin)
		qsort(a.in, a.nin, sizeof(*a.in), audit_insp_cmp);
	for (size_t i = 0, e; i < a.nin; i = e) {
		for (e = i + 1; e < a.nin &&
		     strcmp(a.in[e].household_id, a.in[i].household_id) == 0; e++)
			;
		if (e - i > maxrun)
			maxrun = e - i;
	}
	facts = calloc(maxrun ? maxrun : 1, sizeof(*facts));
	pop = calloc(a.nhh ? a.nhh : 1, sizeof(*pop));
	if (!facts || !pop) {
		rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
		goto fail;
	}
	for (size_t i = 0, s = 0; i < a.nhh; i++) {
		const struct audit_hh *h = &a.hh[i];
		const struct huce_insp_fact *dec;
		const char *recheck = NULL, *recheck_date = "";
		size_t e, n = 0;

		while (s < a.nin && strcmp(a.in[s].household_id, h->id) < 0)
			s++;
		for (e = s; e < a.nin && strcmp(a.in[e].household_id, h->id) == 0; e++) {
			facts[n++] = (struct huce_insp_fact){
				.id = a.in[e].id, .date = a.in[e].date,
				.stage = a.in[e].stage, .pass = a.in[e].pass,
			};
			/* the latest spot-check after as_of is the re-check */
			if (a.in[e].stage == HUCE_STAGE_SPOT_CHECK &&
			    strcmp(a.in[e].date, as_of) > 0 &&
			    strcmp(a.in[e].date, recheck_date) >= 0) {
				recheck_date = a.in[e].date;
				recheck = a.in[e].pass ? "pass" : "fail";
			}
		}
		s = e;
		if (huce_status_derive(h->started, h->finished, facts, n, as_of) !=
		    HUCE_STATUS_ACCEPTED)
			continue;
		dec = huce_insp_decisive(facts, n, as_of);
		pop[npop] = (struct pick){
			.h = h, .village = name_of(a.names, h->village_id),
			.group = name_of(a.names, h->group_id),
			.cadre = h->cadre_id ? name_of(a.names, h->cadre_id) : NULL,
			.rechecked = recheck,
		};
		snprintf(pop[npop].accepted_on, sizeof(pop[npop].accepted_on), "%s",
			 dec ? dec->date : "");
		npop++;
	}
	/* k = ceil(rate * population); a partial Fisher-Yates shuffle */
	if (npop) {
		double want = rate * (double)npop;

		k = (size_t)want;
		if ((double)k < want - 1e-9)
			k++;
		if (k > npop)
			k = npop;
	}
	state = seed;
	for (size_t i = 0; i < k; i++) {
		size_t jdx = i + (size_t)below(&state, (uint64_t)(npop - i));
		struct pick tmp = pop[i];

		pop[i] = pop[jdx];
		pop[jdx] = tmp;
	}
	if (k)
		qsort(pop, k, sizeof(*pop), pick_cmp);
	if (o->json) {
		j = cJSON_CreateObject();
		arr = j && cJSON_AddStringToObject(j, "as_of", as_of) &&
		      cJSON_AddNumberToObject(j, "seed", (double)seed) &&
		      cJSON_AddNumberToObject(j, "rate", rate) &&
		      cJSON_AddNumberToObject(j, "population", (double)npop)
		      ? cJSON_AddArrayToObject(j, "households") : NULL;
		for (size_t i = 0; arr && i < k; i++) {
			cJSON *e = cJSON_CreateObject();

			if (!e || !cJSON_AddItemToArray(arr, e)) {
				cJSON_Delete(e);
				arr = NULL;
			} else if (!cJSON_AddStringToObject(e, "household", pop[i].h->id) ||
			    !cJSON_AddStringToObject(e, "village", pop[i].village) ||
			    !cJSON_AddStringToObject(e, "group", pop[i].group) ||
			    !cJSON_AddStringToObject(e, "head", pop[i].h->head ? pop[i].h->head : "") ||
			    !(pop[i].cadre ? cJSON_AddStringToObject(e, "cadre", pop[i].cadre)
					   : cJSON_AddNullToObject(e, "cadre")) ||
			    !cJSON_AddStringToObject(e, "accepted_on", pop[i].accepted_on) ||
			    !(pop[i].rechecked
			      ? cJSON_AddStringToObject(e, "rechecked", pop[i].rechecked)
			      : cJSON_AddNullToObject(e, "rechecked"))) {
				arr = NULL;
			}
		}
		if (!arr) {
			rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
			goto fail;
		}
		rc = write_json(o, j, &err);
		if (rc)
			goto fail;
	} else {
		printf(_("抽查样本 (audit sample) as of %s: %zu of %zu accepted "
		       "households, rate %g, seed %llu\n"), as_of, k, npop, rate,
		       (unsigned long long)seed);
		printf(_("village\tgroup\thead\tcadre\taccepted_on\trechecked\thousehold\n"));
		for (size_t i = 0; i < k; i++)
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pop[i].village,
			       pop[i].group, pop[i].h->head ? pop[i].h->head : "",
			       pop[i].cadre ? pop[i].cadre : "-", pop[i].accepted_on,
			       pop[i].rechecked ? pop[i].rechecked : "-", pop[i].h->id);
		printf(_("record each re-check as a spot-check inspection: "
		       "huce inspect HOUSEHOLD --stage spot-check ...\n"));
	}
	snprintf(detail, sizeof(detail), "sample %zu of %zu, rate %g, seed %llu, as of %s",
		 k, npop, rate, (unsigned long long)seed, as_of);
	audit_line(c, "audit sample", detail);
	goto out;
fail:
	fprintf(stderr, _("huce-syncd admin: %s\n"), err.msg[0] ? err.msg
							      : _(huce_err_text(rc)));
	ret = huce_err_exit(rc);
out:
	cJSON_Delete(j);
	free(pop);
	free(facts);
	audit_load_release(&a);
	return ret;
}

int admin_audit(const struct report_ctx *c, int argc, char **argv)
{
	struct opts o;
	int ret;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(_(audit_usage), stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "sample") != 0) {
		fprintf(stderr, _("huce-syncd admin: audit %s: expected `audit sample`\n%s"),
			argc >= 2 ? argv[1] : "(nothing)", _(audit_usage));
		return 2;
	}
	ret = parse_opts(argc, argv, &o, _(audit_usage));
	if (ret >= 0)
		return ret;
	if (o.week || o.month || o.date || o.config || o.blobs || o.out ||
	    (strcmp(o.format, "text") && strcmp(o.format, "json"))) {
		fprintf(stderr, _("huce-syncd admin: audit sample takes --rate, --seed, "
			"--as-of and --json\n%s"), _(audit_usage));
		return 2;
	}
	if (!o.rate) {
		fprintf(stderr, _("huce-syncd admin: audit sample: --rate is required\n%s"),
			_(audit_usage));
		return 2;
	}
	return audit_sample(c, &o);
}
