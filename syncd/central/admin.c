/*
 * admin.c - `huce-syncd admin`: the town office's tools on the central store.
 *
 *   huce-syncd admin --store S [--checklists DIR] COMMAND ...
 *
 * Devices (enrol, list, revoke), the merged household list in the same
 * shape as a laptop's `huce household list --json`, the conflicts and
 * their resolution, imports (a laptop's batch file carried on a USB
 * stick, or the office's own CSV household list, import.c) and the
 * weekly report (report.c).  Everything that changes records goes through merge.c, so
 * an office change is validated, versioned, logged in the history and
 * pulled by every laptop like any other; this file only parses
 * arguments, reads files and formats answers.  Every command leaves a
 * line in the audit log, with ids and counts but no personal data.
 *
 * Exit codes are the contract's: 0 ok, 1 runtime, 2 usage, 3 invalid
 * data (nothing written), 4 not found; an error is one lowercase line
 * on stderr.
 */
#include "syncd.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include "blobs.h"
#include "central.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_domain.h"
#include "huce_file.h"
#include "huce_i18n.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_review.h"
#include "huce_suggest.h"
#include "huce_util.h"
#include "import.h"
#include "list_file.h"
#include "names.h"
#include "report.h"
#include "resolve.h"
#include "photos.h"
#include "review.h"
#include "stick.h"
#include "store.h"

#define FILE_MAX	((size_t)64 * 1024 * 1024)

static const char usage[] =
N_("usage: huce-syncd admin --store S [--checklists DIR] [--blobs DIR] COMMAND ...\n"
"\n"
"  device add NAME [--villages V,...] [--enroll-file F [--url URL]]\n"
"                               enrol a laptop; prints its token (once) last;\n"
"                               --villages scopes its pulls, --enroll-file\n"
"                               writes the file `huce enroll FILE` takes\n"
"  device list [--json]\n"
"  device revoke NAME\n"
"  household list [--village V] [--status S] [--review STATE] [--cadre C]\n"
"                 [--json | --format text|json|csv|xlsx [--out F]]\n"
"                               the merged list (same keys as `huce household list`)\n"
"  household show ID [--json]   one household: inspections, photos, rectifications,\n"
"                               review and the history of its changes\n"
"  review HOUSEHOLD --approve | --issues TEXT\n"
"                               the office's review (信息审核); reaches the laptops\n"
"  target set --village V --week YYYY-Www N\n"
"  target list [--json]         weekly targets (周任务)\n"
"  conflicts [--all] [--json]   open conflicts with every value and its author\n"
"  resolve ID --take N | --value V\n"
"                               close a conflict; the outcome reaches every laptop\n"
"  import FILE [--ack-out F]    a laptop's batch file (huce export)\n"
"  import DIR [--blobs D] [--json]\n"
"                               a USB stick: every laptop's export, and its reply\n"
"  import FILE [--create] [--skip-bad]\n"
"                               the office's list of households or of weekly\n"
"                               targets: CSV (UTF-8 or GB18030) or .xlsx\n"
"  report week [--week YYYY-Www]   the weekly list (周清单)\n"
"  report dispatch [--date D]      Monday's, Wednesday's, Friday's figures\n"
"  report month [--month YYYY-MM] [--config F]   ranking, red and black lists\n"
"        [--json | --format text|json|csv|xlsx|html] [--out F] [--stale-days N]\n"
"  audit sample --rate R [--seed N] [--as-of D] [--json]\n"
"                               accepted households to re-check (账实相符)\n"
"  town [NAME]                  show or set the town's name (sent at enrolment)\n"
"  photos [--missing] [--json] [--blobs DIR]   photo records and whether\n"
"                               their bytes have arrived\n"
"\n"
"exit codes: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found\n");

struct admin {
	struct store *store;
	const char *blobs;	/* the central's photos; NULL: unknown */
	struct central central;
	char actor[160];
};

static int fail(enum huce_err rc, const struct huce_error *err)
{
	fprintf(stderr, _("huce-syncd admin: %s\n"),
		err && err->msg[0] ? err->msg : _(huce_err_text(rc)));
	return huce_err_exit(rc);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("huce-syncd admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(_(usage), stderr);
	return 2;
}

static void print_json(const cJSON *v)
{
	char *s = cJSON_Print(v);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

static void audit(struct admin *a, const char *action, const char *detail)
{
	struct huce_error err = { 0 };

	if (store_audit(a->store, a->actor, action, detail, &err))
		fprintf(stderr, _("huce-syncd admin: warning: audit log: %s\n"), err.msg);
}

static void iso_or_null(cJSON *o, const char *key, int64_t secs)
{
	char t[21];

	if (!secs) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	huce_iso_time(secs, t);
	cJSON_AddStringToObject(o, key, t);
}

/* --- devices ------------------------------------------------------------ */

static int device_name_ok(const char *name, struct huce_error *err)
{
	if (huce_text_check(name, "device name", HUCE_BATCH_DEVICE_MAX, 0, err))
		return 0;
	if (strcmp(name, "office") == 0 || strcmp(name, "central") == 0) {
		huce_fail(err, HUCE_EINVAL, _("device name '%s' is reserved"), name);
		return 0;
	}
	return 1;
}

/*
 * device add NAME [--villages V,...] [--enroll-file F [--url URL]]: a
 * scoped laptop (stick.h), and the enrolment file of a laptop that only
 * ever syncs by USB stick.
 */
static int device_add(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	unsigned char raw[32];
	char token[65], hash[65];
	const char *name = argv[2], *villages = NULL, *file = NULL, *url = NULL;
	cJSON *scope = NULL;
	char *scope_text = NULL;
	enum huce_err rc;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--villages") == 0 && i + 1 < argc)
			villages = argv[++i];
		else if (strcmp(argv[i], "--enroll-file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			url = argv[++i];
		else
			return usage_error(_("device add: unexpected argument '%s'"), argv[i]);
	}
	if (url && !file)
		return usage_error(_("device add: --url goes with --enroll-file"));
	if (!device_name_ok(name, &err))
		return fail(HUCE_EINVAL, &err);
	if (villages) {
		rc = stick_villages_parse(a->store, villages, &scope, &err);
		scope_text = rc ? NULL : cJSON_PrintUnformatted(scope);
		cJSON_Delete(scope);
		if (rc)
			return rc == HUCE_EUSAGE ? usage_error("%s", err.msg) : fail(rc, &err);
		if (!scope_text)
			return fail(HUCE_ENOMEM, NULL);
	}
	rc = huce_random_bytes(raw, sizeof(raw));
	if (rc) {
		huce_fail(&err, rc, _("cannot make a token: no randomness"));
		return fail(rc, &err);
	}
	huce_hex(raw, sizeof(raw), token);
	huce_sha256_hex(token, strlen(token), hash);
	rc = store_device_add(a->store, name, hash, &err);
	if (!rc && scope_text)
		rc = store_device_attr_set(a->store, name, "villages", scope_text, &err);
	free(scope_text);
	if (rc)
		return fail(rc, &err);
	audit(a, "device add", name);
	if (file) {
		rc = stick_enroll_file(a->store, file, name, token, url, &err);
		if (rc)
			return fail(rc, &err);
		audit(a, "enroll file", name);
	}
	printf(_("device '%s' enrolled; give it this token (shown once):\n%s\n"),
	       name, token);
	return 0;
}

static enum huce_err device_row(void *arg, const struct store_device *d)
{
	cJSON *arr = arg;
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "name", d->name);
	iso_or_null(o, "created_at", d->created_at);
	cJSON_AddBoolToObject(o, "revoked", d->revoked_at != 0);
	iso_or_null(o, "revoked_at", d->revoked_at);
	cJSON_AddNumberToObject(o, "hwm", (double)d->hwm);
	iso_or_null(o, "last_seen", d->last_seen);
	return HUCE_OK;
}

static int device_list(struct admin *a, int json)
{
	struct huce_error err = { 0 };
	cJSON *arr = cJSON_CreateArray();
	const cJSON *o;
	enum huce_err rc;

	if (!arr)
		return fail(HUCE_ENOMEM, NULL);
	rc = store_device_list(a->store, device_row, arr, &err);
	if (rc) {
		cJSON_Delete(arr);
		return fail(rc, &err);
	}
	if (json) {
		print_json(arr);
	} else {
		printf(_("name\tcreated\trevoked\thwm\tlast_seen\n"));
		cJSON_ArrayForEach(o, arr) {
			const char *rv = cJSON_GetStringValue(cJSON_GetObjectItem(o, "revoked_at"));
			const char *ls = cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_seen"));

			printf("%s\t%s\t%s\t%lld\t%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "created_at")),
			       rv ? rv : "-",
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "hwm")),
			       ls ? ls : _("never"));
		}
	}
	cJSON_Delete(arr);
	audit(a, "device list", NULL);
	return 0;
}

static int device_revoke(struct admin *a, const char *name)
{
	struct huce_error err = { 0 };
	enum huce_err rc = store_device_revoke(a->store, name, &err);

	if (rc)
		return fail(rc, &err);
	audit(a, "device revoke", name);
	printf(_("device '%s' revoked\n"), name);
	return 0;
}

static int cmd_device(struct admin *a, int argc, char **argv)
{
	int json = 0;

	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				json = 1;
			else
				return usage_error(_("device list: unexpected argument '%s'"),
						   argv[i]);
		}
		return device_list(a, json);
	}
	if (argc >= 3 && strcmp(argv[1], "add") == 0)
		return device_add(a, argc, argv);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0)
		return device_revoke(a, argv[2]);
	return usage_error(_("expected device add NAME | list [--json] | revoke NAME"));
}

/* --- names and ids -------------------------------------------------------- */

static enum huce_err name_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	cJSON *arr = arg;
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "name"));
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "village_id"));
	cJSON *o = cJSON_CreateObject();

	(void)r;
	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	if (!cJSON_AddStringToObject(o, "name", n ? n : "") ||
	    !cJSON_AddStringToObject(o, "parent", p ? p : ""))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

/*
 * The live record of kind named typed (its name within parent, or its
 * id) into id.  HUCE_ENOTFOUND names the nearest known name.
 */
static enum huce_err resolve_named(struct admin *a, const char *kind,
				   const char *parent, const char *typed,
				   char *id, struct huce_error *err)
{
	struct store_record rec;
	struct huce_error e = { 0 };
	cJSON *known = NULL;
	const char **v = NULL, *near;
	const cJSON *o;
	size_t n = 0;
	enum huce_err rc;

	if (huce_id_valid(typed) && !store_record_get(a->store, typed, &rec, &e) &&
	    !rec.deleted && strcmp(rec.kind, kind) == 0) {
		snprintf(id, HUCE_ID_STRLEN + 1, "%s", typed);
		return HUCE_OK;
	}
	huce_id_named(kind, parent, typed, id);
	rc = store_record_get(a->store, id, &rec, &e);
	if (!rc && !rec.deleted)
		return HUCE_OK;
	if (rc && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", e.msg);
	known = cJSON_CreateArray();
	rc = known ? store_scan_kind(a->store, kind, 0, name_visit, known, err) : HUCE_ENOMEM;
	if (!rc)
		v = calloc((size_t)cJSON_GetArraySize(known) + 1, sizeof(*v));
	if (!rc && !v)
		rc = HUCE_ENOMEM;
	if (rc) {
		cJSON_Delete(known);
		return huce_fail(err, rc, _("cannot list the %s names"), huce_kind_text(kind));
	}
	cJSON_ArrayForEach(o, known)
		if (!parent || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "parent")),
				      parent) == 0)
			v[n++] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "name"));
	near = huce_suggest(typed, v, n);
	if (near)
		huce_fail(err, HUCE_ENOTFOUND, _("no %s '%s' (did you mean %s?)"), huce_kind_text(kind),
			  typed, near);
	else
		huce_fail(err, HUCE_ENOTFOUND, _("no %s '%s'"), huce_kind_text(kind), typed);
	free(v);
	cJSON_Delete(known);
	return HUCE_ENOTFOUND;
}

/*
 * The live household typed names: its id, its short code, or a unique
 * prefix or tail of at least 4 characters (names.h).
 */
static enum huce_err resolve_household(struct admin *a, const char *typed,
				       char *id, struct huce_error *err)
{
	return names_resolve(a->store, "household", "household", typed, id, err);
}

/* --- household list ------------------------------------------------------ */

static enum huce_err name_row(void *arg, const struct store_record *r,
			      const cJSON *fields)
{
	cJSON *names = arg;
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "name"));

	if (n && !cJSON_AddStringToObject(names, r->id, n))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

struct hh_list {
	struct store *store;
	cJSON *village, *group, *team, *cadre;
	cJSON *reviews;		/* household id -> review JSON */
	cJSON *rows;
	/* filters; NULL: any */
	const char *f_village, *f_cadre, *f_status, *f_review;
};

static void add_name(cJSON *o, const char *key, const cJSON *names,
		     const cJSON *fields, const char *idkey)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(fields, idkey));
	const char *n = id ? cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(names, id)) : NULL;

	if (n)
		cJSON_AddStringToObject(o, key, n);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_text(cJSON *o, const char *key, const cJSON *fields,
		     const char *dflt)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(fields, key));

	if (!s)
		s = dflt;
	if (s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static int field_is(const cJSON *fields, const char *key, const char *want)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(fields, key));

	return !want || (s && strcmp(s, want) == 0);
}

static enum huce_err hh_row(void *arg, const struct store_record *r,
			    const cJSON *fields)
{
	struct hh_list *l = arg;
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(l->reviews, r->id);
	const char *state = rv ? cJSON_GetStringValue(cJSON_GetObjectItem(rv, "state")) :
		"received";
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "status"));
	char code[HUCE_CODE_STRLEN + 1];
	cJSON *o;

	if (!field_is(fields, "village_id", l->f_village) ||
	    !field_is(fields, "cadre_id", l->f_cadre) ||
	    (l->f_status && strcmp(status ? status : "planned", l->f_status) != 0) ||
	    (l->f_review && strcmp(state ? state : "", l->f_review) != 0))
		return HUCE_OK;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(l->rows, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "id", r->id);
	if (names_code_of(l->store, "household", r->id, code, NULL))
		return HUCE_EDB;
	cJSON_AddStringToObject(o, "code", code);
	add_name(o, "village", l->village, fields, "village_id");
	add_name(o, "group", l->group, fields, "group_id");
	add_text(o, "head", fields, NULL);
	add_text(o, "approach", fields, NULL);
	add_text(o, "build", fields, NULL);
	add_text(o, "type", fields, NULL);
	add_name(o, "team", l->team, fields, "team_id");
	add_name(o, "cadre", l->cadre, fields, "cadre_id");
	add_text(o, "status", fields, "planned");
	cJSON_AddNumberToObject(o, "version", (double)r->version);
	add_text(o, "planned_week", fields, NULL);
	add_text(o, "water", fields, NULL);
	add_text(o, "started", fields, NULL);
	add_text(o, "finished", fields, NULL);
	cJSON_AddItemToObject(o, "review", rv ? cJSON_Duplicate(rv, 1) : review_received());
	return HUCE_OK;
}

/* NULL sorts first, as in SQLite. */
static int cmp_key(const cJSON *a, const cJSON *b, const char *key)
{
	const char *x = cJSON_GetStringValue(cJSON_GetObjectItem(a, key));
	const char *y = cJSON_GetStringValue(cJSON_GetObjectItem(b, key));

	if (!x || !y)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int hh_cmp(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	static const char *const keys[] = { "village", "group", "head", "id", NULL };
	int c = 0;

	for (int i = 0; !c && keys[i]; i++)
		c = cmp_key(a, b, keys[i]);
	return c;
}

/* One CSV field, quoted by libcsv (csv_write: always in quotes). */
static void csv_field(struct huce_buf *b, const char *s, int first)
{
	size_t n = strlen(s ? s : ""), need;

	if (!s)
		s = "";
	need = csv_write(NULL, 0, s, n);
	if (!first)
		huce_buf_addstr(b, ",");
	if (huce_buf_reserve(b, need) == HUCE_OK) {
		csv_write(b->data + b->len, need, s, n);
		b->len += need;
		b->data[b->len] = '\0';
	}
}

/*
 * The list for a spreadsheet, in the office's own column names and
 * values as it writes them (改造方式 整厕新建 ...), so the file can be
 * edited and imported again (编号, 状态, 审核 and 审核意见 are then
 * ignored).
 */
#define HH_COLS 13
static const struct report_col hh_cols[HH_COLS] = {
	{ "编号", REPORT_TEXT }, { "村委会", REPORT_TEXT },
	{ "村民小组", REPORT_TEXT }, { "户主姓名", REPORT_TEXT },
	{ "挂包干部", REPORT_TEXT }, { "改造方式", REPORT_TEXT },
	{ "建设方式", REPORT_TEXT }, { "厕所类型", REPORT_TEXT },
	{ "施工队", REPORT_TEXT }, { "计划周", REPORT_TEXT },
	{ "状态", REPORT_TEXT }, { "审核", REPORT_TEXT },
	{ "审核意见", REPORT_TEXT },
};

/* One household of the list (household list --json) as the columns above. */
static void hh_cells(const cJSON *o, const char *v[HH_COLS])
{
	const cJSON *rv = cJSON_GetObjectItem(o, "review");
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"));
	int sn = huce_status_parse(st);
	int rn = huce_review_parse(cJSON_GetStringValue(cJSON_GetObjectItem(rv, "state")));
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));

	v[0] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
	v[1] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "village"));
	v[2] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "group"));
	v[3] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "head"));
	v[4] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "cadre"));
	v[5] = huce_approach_label(cJSON_GetStringValue(cJSON_GetObjectItem(o, "approach")));
	v[6] = huce_build_label(cJSON_GetStringValue(cJSON_GetObjectItem(o, "build")));
	v[7] = type ? huce_toilet_type_label(type) : NULL;
	v[8] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "team"));
	v[9] = cJSON_GetStringValue(cJSON_GetObjectItem(o, "planned_week"));
	v[10] = sn >= 0 ? huce_status_label((enum huce_status)sn) : st;
	v[11] = rn >= 0 ? huce_review_label((enum huce_review_state)rn) : NULL;
	v[12] = cJSON_GetStringValue(cJSON_GetObjectItem(rv, "note"));
}

/* As CSV: UTF-8 with a byte order mark (so Excel reads it as UTF-8), CRLF. */
static enum huce_err hh_csv(const cJSON *rows, struct huce_buf *b)
{
	const cJSON *o;

	huce_buf_addstr(b, "\xef\xbb\xbf");
	for (int i = 0; i < HH_COLS; i++)
		csv_field(b, hh_cols[i].title, !i);
	huce_buf_addstr(b, "\r\n");
	cJSON_ArrayForEach(o, rows) {
		const char *v[HH_COLS];

		hh_cells(o, v);
		for (int i = 0; i < HH_COLS; i++)
			csv_field(b, v[i], !i);
		huce_buf_addstr(b, "\r\n");
	}
	return b->err;
}

/*
 * As a workbook (report_doc_xlsx, as the reports are): one sheet 农户清单
 * with a title row naming the filters, the header frozen and printed on
 * every page, column widths from the widest cell, A4 landscape.
 */
static enum huce_err hh_xlsx(const cJSON *rows, const char *filters,
			     const char *path, struct huce_error *err)
{
	struct report_doc d;
	struct report_table *t;
	const cJSON *o;
	char day[11], period[200];
	enum huce_err rc;

	huce_today(day);
	snprintf(period, sizeof(period), "%s（%s，共 %d 户）", filters, day,
		 cJSON_GetArraySize(rows));
	report_doc_init(&d, "农户清单", period);
	t = report_doc_table(&d, "农户清单", hh_cols, HH_COLS);
	cJSON_ArrayForEach(o, rows) {
		cJSON *row = report_table_row(&d, t, NULL);
		const char *v[HH_COLS];

		hh_cells(o, v);
		for (int i = 0; i < HH_COLS; i++)
			report_cell_text(&d, row, v[i]);
	}
	rc = report_doc_xlsx(&d, path, err);
	report_doc_release(&d);
	return rc;
}

/* What the list was filtered by, in words: "村委会 新华村；状态 验收合格". */
static void hh_filters(char *buf, size_t n, const char *village,
		       const char *status, const char *review, const char *cadre)
{
	int len = 0, sn = status ? huce_status_parse(status) : -1;
	int rn = review ? huce_review_parse(review) : -1;
	const char *parts[4][2] = {
		{ "村委会", village },
		{ "状态", sn >= 0 ? huce_status_label((enum huce_status)sn) : NULL },
		{ "审核", rn >= 0 ? huce_review_label((enum huce_review_state)rn) : NULL },
		{ "挂包干部", cadre },
	};

	buf[0] = '\0';
	for (int i = 0; i < 4; i++) {
		int m;

		if (!parts[i][1])
			continue;
		m = snprintf(buf + len, n - (size_t)len, "%s%s %s", len ? "；" : "",
			     parts[i][0], parts[i][1]);
		if (m < 0 || (size_t)m >= n - (size_t)len)
			break;
		len += m;
	}
	if (!buf[0])
		snprintf(buf, n, "全部农户");
}

static const char hh_list_usage[] =
	N_("expected household list [--village V] [--status S] [--review STATE] "
	"[--cadre C] [--json | --format text|json|csv|xlsx [--out F]]");

static int household_list(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct hh_list l = { 0 };
	struct huce_buf csv = HUCE_BUF_INIT(FILE_MAX);
	cJSON *sorted = NULL, **v = NULL;
	const char *format = "text", *out = NULL, *village = NULL, *cadre = NULL;
	char vid[HUCE_ID_STRLEN + 1], cid[HUCE_ID_STRLEN + 1];
	enum huce_err rc;
	int n, ret = 0;
	char detail[32];

	for (int i = 2; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--json") == 0)
			format = "json";
		else if (strcmp(argv[i], "--format") == 0 && val && ++i)
			format = val;
		else if (strcmp(argv[i], "--out") == 0 && val && ++i)
			out = val;
		else if (strcmp(argv[i], "--village") == 0 && val && ++i)
			village = val;
		else if (strcmp(argv[i], "--cadre") == 0 && val && ++i)
			cadre = val;
		else if (strcmp(argv[i], "--status") == 0 && val && ++i)
			l.f_status = val;
		else if (strcmp(argv[i], "--review") == 0 && val && ++i)
			l.f_review = val;
		else
			return usage_error(_("household list: unexpected argument '%s'; %s"),
					   argv[i], _(hh_list_usage));
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "csv") &&
	    strcmp(format, "xlsx"))
		return usage_error(_("household list: format '%s' is not text, json, csv "
				     "or xlsx"), format);
	if (out && strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
		return usage_error(_("household list: --out is for --format csv or xlsx"));
	if (!out && strcmp(format, "xlsx") == 0)
		return usage_error(_("household list: --format xlsx needs --out FILE"));
	if (l.f_status && huce_status_parse(l.f_status) < 0) {
		huce_fail(&err, HUCE_EINVAL, _("status '%s' is not one of: planned (计划), "
			  "building (在建), built (完工待验), accepted (验收合格), "
			  "failed (验收不合格), rectifying (整改中)"), l.f_status);
		return fail(HUCE_EINVAL, &err);
	}
	if (l.f_status)
		l.f_status = huce_status_name((enum huce_status)huce_status_parse(l.f_status));
	if (l.f_review && huce_review_parse_text(l.f_review) < 0) {
		huce_fail(&err, HUCE_EINVAL, _("review state '%s' is not one of: received "
			  "(已接收), approved (审核通过), has-issues (有问题), edited "
			  "(已修改)"), l.f_review);
		return fail(HUCE_EINVAL, &err);
	}
	if (l.f_review)
		l.f_review = huce_review_states[huce_review_parse_text(l.f_review)];
	l.store = a->store;
	l.village = cJSON_CreateObject();
	l.group = cJSON_CreateObject();
	l.team = cJSON_CreateObject();
	l.cadre = cJSON_CreateObject();
	l.rows = cJSON_CreateArray();
	sorted = cJSON_CreateArray();
	if (!l.village || !l.group || !l.team || !l.cadre || !l.rows || !sorted) {
		ret = fail(HUCE_ENOMEM, NULL);
		goto out;
	}
	rc = store_begin(a->store, 0, &err);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	if (village) {
		rc = resolve_named(a, "village", NULL, village, vid, &err);
		l.f_village = vid;
	}
	if (!rc && cadre) {
		rc = resolve_named(a, "cadre", NULL, cadre, cid, &err);
		l.f_cadre = cid;
	}
	if (!rc)
		rc = store_scan_kind(a->store, "village", 1, name_row, l.village, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "group", 1, name_row, l.group, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "team", 1, name_row, l.team, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "cadre", 1, name_row, l.cadre, &err);
	if (!rc)
		rc = review_all(a->store, &l.reviews, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "household", 0, hh_row, &l, &err);
	if (rc) {
		store_rollback(a->store);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, _("out of memory"));
		ret = fail(rc, &err);
		goto out;
	}
	rc = store_commit(a->store, &err);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	n = cJSON_GetArraySize(l.rows);
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		ret = fail(HUCE_ENOMEM, NULL);
		goto out;
	}
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(l.rows, 0);
	qsort(v, (size_t)n, sizeof(*v), hh_cmp);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(sorted, v[i]);
	if (strcmp(format, "json") == 0) {
		print_json(sorted);
	} else if (strcmp(format, "csv") == 0) {
		rc = hh_csv(sorted, &csv);
		if (rc)
			huce_fail(&err, rc, _("the list is too long for CSV"));
		else if (out)
			rc = huce_file_write_atomic(out, csv.data, csv.len, 0666, &err);
		else if (fwrite(csv.data, 1, csv.len, stdout) != csv.len)
			rc = huce_fail(&err, HUCE_EIO, _("cannot write the list"));
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
		if (out)
			printf("%s\n", out);
	} else if (strcmp(format, "xlsx") == 0) {
		char filters[400];

		hh_filters(filters, sizeof(filters), village, l.f_status, l.f_review, cadre);
		rc = hh_xlsx(sorted, filters, out, &err);
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
		printf("%s\n", out);
	} else {
		const cJSON *o;

		printf(_("code\tid\tvillage\tgroup\thead\ttype\tbuild\tteam\tcadre\tstatus\treview\n"));
		cJSON_ArrayForEach(o, sorted) {
			static const char *const keys[] = {
				"code", "id", "village", "group", "head", "type", "build",
				"team", "cadre", "status", NULL
			};

			for (int i = 0; keys[i]; i++) {
				const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, keys[i]));

				printf("%s%s", i ? "\t" : "", s ? s : "-");
			}
			printf("\t%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(
				cJSON_GetObjectItem(o, "review"), "state")));
		}
	}
	snprintf(detail, sizeof(detail), "%d households", n);
	audit(a, "household list", detail);
out:
	huce_buf_release(&csv);
	free(v);
	cJSON_Delete(sorted);
	cJSON_Delete(l.village);
	cJSON_Delete(l.group);
	cJSON_Delete(l.team);
	cJSON_Delete(l.cadre);
	cJSON_Delete(l.reviews);
	cJSON_Delete(l.rows);
	return ret;
}

/* --- household show ------------------------------------------------------- */

/* A record as an object: "id", its fields (id_hash left out), "version". */
static cJSON *record_json(const struct store_record *r, const cJSON *fields)
{
	cJSON *o = cJSON_CreateObject(), *f = cJSON_Duplicate(fields, 1);

	if (!o || !f) {
		cJSON_Delete(o);
		cJSON_Delete(f);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(f, "id_hash");
	cJSON_AddStringToObject(o, "id", r->id);
	while (f->child) {
		cJSON *it = cJSON_DetachItemViaPointer(f, f->child);

		cJSON_AddItemToObject(o, it->string, it);
	}
	cJSON_Delete(f);
	cJSON_AddNumberToObject(o, "version", (double)r->version);
	return o;
}

struct related {
	const char *kind;	/* NULL: any */
	cJSON *arr;
};

static enum huce_err related_visit(void *arg, const struct store_record *r,
				   const cJSON *fields)
{
	struct related *x = arg;
	cJSON *o;

	if (x->kind && strcmp(r->kind, x->kind) != 0)
		return HUCE_OK;
	o = record_json(r, fields);
	if (!o || !cJSON_AddItemToArray(x->arr, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	return HUCE_OK;
}

static enum huce_err related(struct admin *a, const char *field, const char *id,
			     const char *kind, cJSON *arr, struct huce_error *err)
{
	struct related x = { kind, arr };
	char q[HUCE_ID_STRLEN + 3];

	snprintf(q, sizeof(q), "\"%s\"", id);
	return store_by_field(a->store, field, q, NULL, related_visit, &x, err);
}

static int by_date_id(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	int c = cmp_key(a, b, "date");

	return c ? c : cmp_key(a, b, "id");
}

static void sort_array(cJSON *arr, int (*cmp)(const void *, const void *))
{
	int n = cJSON_GetArraySize(arr);
	cJSON **v = calloc((size_t)n + 1, sizeof(*v));

	if (!v)
		return;
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(arr, 0);
	qsort(v, (size_t)n, sizeof(*v), cmp);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
}

/* Whether the central has the bytes of photo sha: 1, 0, or -1 when unknown. */
static int blob_arrived(const struct admin *a, const char *sha)
{
	char path[4200];
	struct stat st;

	if (!a->blobs || !sha || !blob_name_valid(sha))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", a->blobs, sha);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* History rows into changes: the rows of one record at one version are one. */
static enum huce_err history_visit(void *arg, const struct store_history *h,
				   int64_t at)
{
	cJSON *arr = arg, *last = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	cJSON *fields, *ch;
	char t[21];

	if (strcmp(h->field, "id_hash") == 0)
		return HUCE_OK;
	if (!last || cJSON_GetNumberValue(cJSON_GetObjectItem(last, "version")) !=
	    (double)h->version ||
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(last, "record")), h->record_id)) {
		last = cJSON_CreateObject();
		if (!last || !cJSON_AddItemToArray(arr, last)) {
			cJSON_Delete(last);
			return HUCE_ENOMEM;
		}
		huce_iso_time(at, t);
		cJSON_AddNumberToObject(last, "version", (double)h->version);
		cJSON_AddStringToObject(last, "at", t);
		cJSON_AddStringToObject(last, "device", h->device);
		if (h->seq > 0)
			cJSON_AddNumberToObject(last, "seq", (double)h->seq);
		else
			cJSON_AddNullToObject(last, "seq");
		cJSON_AddStringToObject(last, "kind", h->kind);
		cJSON_AddStringToObject(last, "record", h->record_id);
		cJSON_AddItemToObject(last, "fields", cJSON_CreateObject());
	}
	fields = cJSON_GetObjectItem(last, "fields");
	ch = cJSON_CreateObject();
	if (!fields || !ch || !cJSON_AddItemToObject(fields, h->field, ch)) {
		cJSON_Delete(ch);
		return HUCE_ENOMEM;
	}
	cJSON_AddItemToObject(ch, "before", h->before ? cJSON_Parse(h->before) : cJSON_CreateNull());
	cJSON_AddItemToObject(ch, "after", h->after ? cJSON_Parse(h->after) : cJSON_CreateNull());
	return HUCE_OK;
}

static int by_version(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	double x = cJSON_GetNumberValue(cJSON_GetObjectItem(a, "version"));
	double y = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "version"));

	return x != y ? (x > y) - (x < y) : cmp_key(a, b, "record");
}

/* The history of household o and of the records that belong to it. */
static enum huce_err household_history(struct admin *a, const cJSON *o,
				       cJSON *hist, struct huce_error *err)
{
	static const char *const parts[] = { "inspections", "rectifications", "photos", NULL };
	char rid[HUCE_ID_STRLEN + 1];
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
	const cJSON *r;
	enum huce_err rc;

	huce_review_id(id, rid);
	rc = store_history_of(a->store, id, history_visit, hist, err);
	if (!rc)
		rc = store_history_of(a->store, rid, history_visit, hist, err);
	for (int i = 0; !rc && parts[i]; i++)
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(o, parts[i]))
			if (!rc)
				rc = store_history_of(a->store,
					cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")),
					history_visit, hist, err);
	if (!rc)
		sort_array(hist, by_version);
	return rc;
}

static void print_show(const cJSON *o)
{
	static const char *const keys[] = {
		"id", "code", "village", "group", "head", "id_masked", "phone", "house_no",
		"approach", "build", "type", "team", "cadre", "status", "planned_week",
		"started", "finished", "water", "version", NULL
	};
	/* What a person reads for each key (the key itself in English). */
	static const char *const labels[] = {
		N_("id"), N_("code"), N_("village"), N_("group"), N_("head"),
		N_("id_masked"), N_("phone"), N_("house_no"), N_("approach"),
		N_("build"), N_("type"), N_("team"), N_("cadre"), N_("status"),
		N_("planned_week"), N_("started"), N_("finished"), N_("water"),
		N_("version"), NULL
	};
	const cJSON *v, *rv = cJSON_GetObjectItem(o, "review");
	const char *note = cJSON_GetStringValue(cJSON_GetObjectItem(rv, "note"));

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
	huce_i18n_label(_("review"), 13);
	printf("%s%s%s\n",
	       huce_value_text("review", cJSON_GetStringValue(cJSON_GetObjectItem(rv, "state"))),
	       note ? ": " : "", note ? note : "");
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "inspections")) {
		huce_i18n_label(_("inspection"), 13);
		printf(_("%s %s %s %s (code %s)\n"),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "date")),
		       huce_value_text("stage", cJSON_GetStringValue(cJSON_GetObjectItem(v, "stage"))),
		       huce_value_text("result", cJSON_GetStringValue(cJSON_GetObjectItem(v, "result"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "id")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "code")));
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "rectifications")) {
		const char *dl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "deadline"));

		huce_i18n_label(_("rectification"), 13);
		printf(_("%s %s deadline %s\n"),
		       huce_value_text("rectification",
				       cJSON_GetStringValue(cJSON_GetObjectItem(v, "status"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "category")),
		       dl ? dl : "-");
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "photos")) {
		const cJSON *ar = cJSON_GetObjectItem(v, "arrived");

		huce_i18n_label(_("photo"), 13);
		printf("%s %.12s %s\n",
		       huce_value_text("photo", cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind"))),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "sha256")),
		       cJSON_IsTrue(ar) ? _("arrived") : cJSON_IsFalse(ar) ?
		       _("not arrived") : _("(bytes unknown: --blobs DIR)"));
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "history")) {
		const cJSON *f;
		int first = 1;

		huce_i18n_label(_("change"), 13);
		printf("v%lld %s %s %s",
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(v, "version")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "at")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(v, "device")),
		       huce_kind_text(cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind"))));
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(v, "fields")) {
			printf("%s%s", first ? ": " : ", ", f->string);
			first = 0;
		}
		putchar('\n');
	}
}

/* The names of the records household fields refer to, as "village" ... */
static void add_ref_names(struct admin *a, cJSON *o, const cJSON *fields)
{
	static const char *const nk[4] = { "village", "group", "team", "cadre" };

	for (int k = 0; k < 4; k++) {
		char key[16], *val = NULL;
		const char *ref;
		cJSON *name = NULL;

		snprintf(key, sizeof(key), "%s_id", nk[k]);
		ref = cJSON_GetStringValue(cJSON_GetObjectItem(fields, key));
		if (ref && !store_field_get(a->store, ref, "name", &val, NULL))
			name = cJSON_Parse(val);
		free(val);
		cJSON_AddItemToObject(o, nk[k], name ? name : cJSON_CreateNull());
	}
}

/* Add "code": the short code of record id of kind (names.h). */
static enum huce_err add_code(struct admin *a, cJSON *o, const char *kind,
			      const char *id, struct huce_error *err)
{
	char code[HUCE_CODE_STRLEN + 1];
	enum huce_err rc;

	if (!id)
		return HUCE_OK;
	rc = names_code_of(a->store, kind, id, code, err);
	if (!rc && !cJSON_AddStringToObject(o, "code", code))
		rc = HUCE_ENOMEM;
	return rc;
}

/* The household id with everything that belongs to it, into *out. */
static enum huce_err household_json(struct admin *a, const char *id, cJSON **out,
				    struct huce_error *err)
{
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	cJSON *o = NULL, *fields = NULL, *rv = NULL, *insp, *rect, *photos, *hist;
	const cJSON *it;
	enum huce_err rc;

	*out = NULL;
	rc = store_record_get(a->store, id, &rec, err);
	if (!rc)
		rc = store_fields_get(a->store, id, &fs, err);
	if (rc)
		goto out;
	fields = store_fieldset_json(&fs);
	o = fields ? record_json(&rec, fields) : NULL;
	if (!o) {
		rc = HUCE_ENOMEM;
		goto out;
	}
	add_ref_names(a, o, fields);
	rc = add_code(a, o, "household", id, err);
	if (rc)
		goto out;
	if (!cJSON_GetObjectItem(o, "status"))
		cJSON_AddStringToObject(o, "status", "planned");
	cJSON_AddStringToObject(o, "created_by", rec.created_by);
	rc = review_json(a->store, id, &rv, err);
	if (rc)
		goto out;
	cJSON_AddItemToObject(o, "review", rv);
	insp = cJSON_AddArrayToObject(o, "inspections");
	rect = cJSON_AddArrayToObject(o, "rectifications");
	photos = cJSON_AddArrayToObject(o, "photos");
	hist = cJSON_AddArrayToObject(o, "history");
	if (!insp || !rect || !photos || !hist) {
		rc = HUCE_ENOMEM;
		goto out;
	}
	rc = related(a, "household_id", id, "inspection", insp, err);
	if (!rc)
		rc = related(a, "household_id", id, "rectification", rect, err);
	if (!rc)
		rc = related(a, "owner_id", id, "photo", photos, err);
	cJSON_ArrayForEach(it, insp)
		if (!rc)
			rc = related(a, "owner_id", cJSON_GetStringValue(
					     cJSON_GetObjectItem(it, "id")), "photo", photos, err);
	if (rc)
		goto out;
	sort_array(insp, by_date_id);
	cJSON_ArrayForEach(it, insp)
		if (!rc)
			rc = add_code(a, (cJSON *)it, "inspection",
				      cJSON_GetStringValue(cJSON_GetObjectItem(it, "id")), err);
	if (rc)
		goto out;
	cJSON_ArrayForEach(it, photos) {
		int got = blob_arrived(a, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")));

		if (got < 0)
			cJSON_AddNullToObject((cJSON *)it, "arrived");
		else
			cJSON_AddBoolToObject((cJSON *)it, "arrived", got);
	}
	rc = household_history(a, o, hist, err);
out:
	if (rc == HUCE_ENOMEM)
		huce_fail(err, rc, _("out of memory"));
	if (!rc) {
		*out = o;
		o = NULL;
	}
	store_fieldset_release(&fs);
	cJSON_Delete(fields);
	cJSON_Delete(o);
	return rc;
}

static int household_show(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	const char *typed = NULL;
	char id[HUCE_ID_STRLEN + 1], detail[64];
	cJSON *o = NULL;
	int json = 0;
	enum huce_err rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (!typed && argv[i][0] != '-')
			typed = argv[i];
		else
			return usage_error(_("household show: unexpected argument '%s'"), argv[i]);
	}
	if (!typed)
		return usage_error(_("expected household show ID [--json]"));
	rc = store_begin(a->store, 0, &err);
	if (rc)
		return fail(rc, &err);
	rc = resolve_household(a, typed, id, &err);
	if (!rc)
		rc = household_json(a, id, &o, &err);
	if (rc) {
		store_rollback(a->store);
		return fail(rc, &err);
	}
	store_commit(a->store, &err);
	if (json)
		print_json(o);
	else
		print_show(o);
	cJSON_Delete(o);
	snprintf(detail, sizeof(detail), "household %s", id);
	audit(a, "household show", detail);
	return 0;
}

static int cmd_household(struct admin *a, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return household_list(a, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return household_show(a, argc, argv);
	return usage_error(_("expected household list ... | show ID [--json]"));
}

/* --- review ------------------------------------------------------------------ */

static int review(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	const char *typed = NULL, *issues = NULL;
	char id[HUCE_ID_STRLEN + 1], detail[96];
	int approve = 0;
	enum huce_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--approve") == 0)
			approve = 1;
		else if (strcmp(argv[i], "--issues") == 0 && i + 1 < argc)
			issues = argv[++i];
		else if (strncmp(argv[i], "--issues=", 9) == 0)
			issues = argv[i] + 9;
		else if (!typed && argv[i][0] != '-')
			typed = argv[i];
		else
			return usage_error(_("review: unexpected argument '%s'"), argv[i]);
	}
	if (!typed || approve == (issues != NULL))
		return usage_error(_("expected review HOUSEHOLD --approve | --issues TEXT"));
	if (issues && huce_text_check(issues, "issues", 1024, 0, &err))
		return fail(HUCE_EINVAL, &err);
	rc = store_begin(a->store, 1, &err);
	if (rc)
		return fail(rc, &err);
	rc = resolve_household(a, typed, id, &err);
	if (!rc)
		rc = review_office(&a->central, id, approve ? HUCE_REVIEW_EV_APPROVE :
				   HUCE_REVIEW_EV_ISSUES, issues, a->actor, &err);
	if (!rc) {
		snprintf(detail, sizeof(detail), "household %s: %s", id,
			 approve ? "approved" : "has-issues");
		rc = store_audit(a->store, a->actor, "review", detail, &err);
	}
	if (!rc)
		rc = store_commit(a->store, &err);
	else
		store_rollback(a->store);
	if (rc)
		return fail(rc, &err);
	printf(_("household %s: %s\n"), id,
	       huce_value_text("review", approve ? "approved" : "has-issues"));
	return 0;
}

/* --- targets --------------------------------------------------------------- */

struct target_list {
	cJSON *villages, *rows;
};

static enum huce_err target_row(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct target_list *l = arg;
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(l->rows, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "id", r->id);
	add_name(o, "village", l->villages, fields, "village_id");
	add_text(o, "week", fields, NULL);
	cJSON_AddNumberToObject(o, "n", cJSON_GetNumberValue(cJSON_GetObjectItem(fields, "n")));
	cJSON_AddNumberToObject(o, "version", (double)r->version);
	return HUCE_OK;
}

static int by_week_village(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	int c = cmp_key(a, b, "week");

	return c ? c : cmp_key(a, b, "village");
}

static int target_list(struct admin *a, int json)
{
	struct huce_error err = { 0 };
	struct target_list l = { cJSON_CreateObject(), cJSON_CreateArray() };
	const cJSON *o;
	enum huce_err rc = l.villages && l.rows ? HUCE_OK : HUCE_ENOMEM;

	if (!rc)
		rc = store_scan_kind(a->store, "village", 1, name_row, l.villages, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "target", 0, target_row, &l, &err);
	if (rc) {
		cJSON_Delete(l.villages);
		cJSON_Delete(l.rows);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, _("out of memory"));
		return fail(rc, &err);
	}
	sort_array(l.rows, by_week_village);
	if (json) {
		print_json(l.rows);
	} else {
		printf(_("id\tvillage\tweek\tn\tversion\n"));
		cJSON_ArrayForEach(o, l.rows) {
			const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, "village"));

			printf("%s\t%s\t%s\t%lld\t%lld\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), v ? v : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "week")),
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "n")),
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "version")));
		}
	}
	audit(a, "target list", NULL);
	cJSON_Delete(l.villages);
	cJSON_Delete(l.rows);
	return 0;
}

static int target_set(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	const char *village = NULL, *week = NULL, *num = NULL;
	char vid[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1], detail[96];
	int64_t n;
	int y, w;
	cJSON *f = NULL;
	enum huce_err rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--village") == 0 && i + 1 < argc)
			village = argv[++i];
		else if (strcmp(argv[i], "--week") == 0 && i + 1 < argc)
			week = argv[++i];
		else if (!num && argv[i][0] != '-')
			num = argv[i];
		else
			return usage_error(_("target set: unexpected argument '%s'"), argv[i]);
	}
	if (!village || !week || !num)
		return usage_error(_("expected target set --village V --week YYYY-Www N"));
	if (huce_parse_week(week, &y, &w)) {
		huce_fail(&err, HUCE_EINVAL, _("week '%s' is not an ISO week like 2026-W48"), week);
		return fail(HUCE_EINVAL, &err);
	}
	if (huce_parse_i64(num, &n) || n < 0 || n > 100000) {
		huce_fail(&err, HUCE_EINVAL, _("target '%s' is not a whole number 0..100000"), num);
		return fail(HUCE_EINVAL, &err);
	}
	rc = store_begin(a->store, 1, &err);
	if (rc)
		return fail(rc, &err);
	rc = resolve_named(a, "village", NULL, village, vid, &err);
	if (!rc) {
		huce_id_named("target", vid, week, id);
		f = cJSON_CreateObject();
		if (!f || !cJSON_AddStringToObject(f, "village_id", vid) ||
		    !cJSON_AddStringToObject(f, "week", week) ||
		    !cJSON_AddNumberToObject(f, "n", (double)n))
			rc = huce_fail(&err, HUCE_ENOMEM, _("out of memory"));
	}
	if (!rc)
		rc = central_office_put(&a->central, "target", id, f, 0, &err);
	cJSON_Delete(f);
	if (!rc) {
		snprintf(detail, sizeof(detail), "target %s", id);
		rc = store_audit(a->store, a->actor, "target set", detail, &err);
	}
	if (!rc)
		rc = store_commit(a->store, &err);
	else
		store_rollback(a->store);
	if (rc)
		return fail(rc, &err);
	printf(_("target %s %s = %lld\n%s\n"), village, week, (long long)n, id);
	return 0;
}

static int cmd_target(struct admin *a, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return target_set(a, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		if (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0))
			return target_list(a, argc == 3);
		return usage_error(_("expected target list [--json]"));
	}
	return usage_error(_("expected target set --village V --week YYYY-Www N | list [--json]"));
}

/* --- conflicts ------------------------------------------------------------- */

struct conflict_list {
	cJSON *rows;
	int all;
};

static enum huce_err conflict_row(void *arg, const struct store_record *r,
				  const cJSON *fields)
{
	struct conflict_list *l = arg;
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "status"));
	const cJSON *vals = cJSON_GetObjectItem(fields, "vals");
	cJSON *o;

	if (!l->all && (!status || strcmp(status, "open") != 0))
		return HUCE_OK;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(l->rows, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "id", r->id);
	add_text(o, "kind", fields, NULL);
	add_text(o, "record", fields, NULL);
	add_text(o, "field", fields, NULL);
	cJSON_AddItemToObject(o, "values", vals ? cJSON_Duplicate(vals, 1) :
			      cJSON_CreateArray());
	add_text(o, "status", fields, NULL);
	add_text(o, "resolution", fields, NULL);
	return HUCE_OK;
}

/*
 * Conflict o (a row of `conflicts`) named for a person: "code", "name"
 * (its record's label) and, per value, "label" and, when the value is a
 * record (a duplicate's household, an inspection), "candidate"
 * (names_describe).
 */
static enum huce_err conflict_names(struct admin *a, cJSON *o,
				    struct huce_error *err)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
	const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(o, "record"));
	char label[512];
	cJSON *v;
	enum huce_err rc = add_code(a, o, "conflict", id, err);

	if (rc)
		return rc;
	names_label(a->store, rec ? rec : "", NULL, label, sizeof(label));
	if (!cJSON_AddStringToObject(o, "name", label))
		return HUCE_ENOMEM;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "values")) {
		const cJSON *val = cJSON_GetObjectItem(v, "value");
		const char *sv = cJSON_GetStringValue(val);
		struct store_record r;
		cJSON *cand = NULL;
		char *text = NULL;

		if (sv && huce_id_valid(sv) &&
		    store_record_get(a->store, sv, &r, NULL) == HUCE_OK) {
			cand = names_describe(a->store, sv);
			if (!cand)
				return HUCE_ENOMEM;
		}
		if (cand && strcmp(r.kind, "inspection") == 0) {
			const char *ins = cJSON_GetStringValue(cJSON_GetObjectItem(cand, "inspector"));

			snprintf(label, sizeof(label), "%s %s by %s: %s",
				 cJSON_GetStringValue(cJSON_GetObjectItem(cand, "stage")),
				 cJSON_GetStringValue(cJSON_GetObjectItem(cand, "date")),
				 ins ? ins : "?",
				 cJSON_GetStringValue(cJSON_GetObjectItem(cand, "result")));
		} else if (cand) {
			snprintf(label, sizeof(label), "%s",
				 cJSON_GetStringValue(cJSON_GetObjectItem(cand, "label")));
		} else {
			text = sv ? NULL : cJSON_PrintUnformatted(val);
			snprintf(label, sizeof(label), "%s", sv ? sv : text ? text : "null");
			free(text);
		}
		if (!cJSON_AddStringToObject(v, "label", label)) {
			cJSON_Delete(cand);
			return HUCE_ENOMEM;
		}
		if (cand)
			cJSON_AddItemToObject(v, "candidate", cand);
	}
	return HUCE_OK;
}

/* One value of a conflict in words, numbered as --take takes it. */
static void print_value(int i, const cJSON *v)
{
	const cJSON *c = cJSON_GetObjectItem(v, "candidate");
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind"));

	printf("  %d. %s", i, cJSON_GetStringValue(cJSON_GetObjectItem(v, "label")));
	if (kind && strcmp(kind, "household") == 0) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(c, "id_masked"));
		const char *last = cJSON_GetStringValue(cJSON_GetObjectItem(c, "last_result"));

		int ninsp = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "inspections"));

		printf(_(", ID %s, registered by %s, %d inspections"),
		       m ? m : "-", cJSON_GetStringValue(cJSON_GetObjectItem(c, "device")),
		       ninsp);
		if (last)
			printf(_(" (last %s)"), last);
		printf(_(", code %s"), cJSON_GetStringValue(cJSON_GetObjectItem(c, "code")));
		if (cJSON_IsTrue(cJSON_GetObjectItem(c, "deleted")))
			printf(_(", deleted"));
	} else if (c) {
		printf(_(", code %s"), cJSON_GetStringValue(cJSON_GetObjectItem(c, "code")));
	}
	printf("  (%s, %s)\n", cJSON_GetStringValue(cJSON_GetObjectItem(v, "device")),
	       cJSON_GetStringValue(cJSON_GetObjectItem(v, "hlc")));
}

static int conflicts(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct conflict_list l = { NULL, 0 };
	enum huce_err rc;
	cJSON *o;
	int json = 0;
	char detail[32];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--all") == 0)
			l.all = 1;
		else
			return usage_error(_("conflicts: unexpected argument '%s'"), argv[i]);
	}
	l.rows = cJSON_CreateArray();
	if (!l.rows)
		return fail(HUCE_ENOMEM, NULL);
	rc = store_begin(a->store, 0, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "conflict", 0, conflict_row, &l, &err);
	cJSON_ArrayForEach(o, l.rows)
		if (!rc)
			rc = conflict_names(a, o, &err);
	if (!rc)
		rc = store_commit(a->store, &err);
	else
		store_rollback(a->store);
	if (rc) {
		cJSON_Delete(l.rows);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, _("out of memory"));
		return fail(rc, &err);
	}
	if (json) {
		print_json(l.rows);
	} else {
		printf(_("code\tkind\tname\tfield\tstatus\tid\trecord\n"));
		cJSON_ArrayForEach(o, l.rows) {
			const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(o, "field"));
			const cJSON *v;
			int i = 0;

			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "code")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
			       f ? f : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "record")));
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "values"))
				print_value(++i, v);
		}
	}
	snprintf(detail, sizeof(detail), "%d conflicts", cJSON_GetArraySize(l.rows));
	audit(a, "conflicts", detail);
	cJSON_Delete(l.rows);
	return 0;
}

static int resolve(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	const char *typed = NULL, *value = NULL;
	char id[HUCE_ID_STRLEN + 1];
	cJSON *summary = NULL;
	int64_t take = 0;
	int tail_ok;
	enum huce_err rc;
	char detail[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--take") == 0 && i + 1 < argc) {
			if (huce_parse_i64(argv[++i], &take) || take < 1 || take > 1000)
				return usage_error(_("--take needs a value number, not '%s'"),
						   argv[i]);
		} else if (strncmp(argv[i], "--take=", 7) == 0) {
			if (huce_parse_i64(argv[i] + 7, &take) || take < 1 || take > 1000)
				return usage_error(_("--take needs a value number, not '%s'"),
						   argv[i] + 7);
		} else if (strcmp(argv[i], "--value") == 0 && i + 1 < argc) {
			value = argv[++i];
		} else if (strncmp(argv[i], "--value=", 8) == 0) {
			value = argv[i] + 8;
		} else if (argv[i][0] != '-' && !typed) {
			typed = argv[i];
		} else {
			return usage_error(_("resolve: unexpected argument '%s'"), argv[i]);
		}
	}
	if (!typed || (!take && !value) || (take && value))
		return usage_error(_("expected resolve ID --take N | --value V"));
	rc = store_begin(a->store, 1, &err);
	if (rc)
		return fail(rc, &err);
	if (huce_id_valid(typed))
		snprintf(id, sizeof(id), "%s", typed);
	else if (huce_code_key(typed, id, &tail_ok, NULL))
		rc = huce_fail(&err, HUCE_EINVAL, _("conflict '%.40s' is not a code or "
			       "id: give the code shown by conflicts"), typed);
	else
		rc = names_resolve(a->store, "conflict", "conflict", typed, id, &err);
	if (!rc)
		rc = central_resolve(&a->central, id, (int)take, value, &summary, &err);
	if (rc) {
		store_rollback(a->store);
		return fail(rc, &err);
	}
	snprintf(detail, sizeof(detail), "conflict %s: %s", id,
		 cJSON_GetStringValue(cJSON_GetObjectItem(summary, "resolution")));
	rc = store_audit(a->store, a->actor, "resolve", detail, &err);
	if (!rc)
		rc = store_commit(a->store, &err);
	else
		store_rollback(a->store);
	if (rc) {
		cJSON_Delete(summary);
		return fail(rc, &err);
	}
	printf(_("conflict %s resolved: %s (%d changes)\n"), id,
	       cJSON_GetStringValue(cJSON_GetObjectItem(summary, "resolution")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "changes")));
	cJSON_Delete(summary);
	return 0;
}

/* --- import: a batch file -------------------------------------------------- */

static int import_batch(struct admin *a, const struct huce_buf *file,
			const char *ack_out)
{
	struct huce_error err = { 0 };
	struct huce_batch_header h;
	struct store_device dev;
	struct huce_i18n_scope in_c;
	cJSON *res = NULL, *ack = NULL;
	uint64_t expected = 0;
	char *text = NULL, detail[256];
	enum huce_err rc;
	int ret = 0;

	rc = huce_batch_decode_header(file->data, file->len, &h, NULL, &err);
	if (rc)
		return fail(rc, &err);
	rc = store_device_get(a->store, h.device, &dev, &err);
	if (rc == HUCE_ENOTFOUND) {
		huce_fail(&err, rc, _("the batch is from device '%s', which is not "
			  "enrolled here"), h.device);
		return fail(rc, &err);
	}
	if (rc)
		return fail(rc, &err);
	if (dev.revoked_at) {
		huce_fail(&err, HUCE_EAUTH, _("device '%s' is revoked: its batch is refused"),
			  h.device);
		return fail(HUCE_EAUTH, &err);
	}
	/* The reasons in the acknowledgement are for the laptop: English. */
	in_c = huce_i18n_c_begin();
	rc = central_apply_batch(&a->central, h.device, file->data, file->len,
				 &res, &expected, &err);
	huce_i18n_c_end(in_c);
	if (rc == HUCE_EGAP) {
		huce_fail(&err, rc, _("batch from '%s' starts at seq %llu but the central "
			  "expects %llu: import the earlier batch files first"),
			  h.device, (unsigned long long)h.first_seq,
			  (unsigned long long)expected);
		snprintf(detail, sizeof(detail), "device %s seqs %llu..%llu: gap",
			 h.device, (unsigned long long)h.first_seq,
			 (unsigned long long)h.last_seq);
		audit(a, "import batch", detail);
		return fail(rc, &err);
	}
	if (rc)
		return fail(rc, &err);
	snprintf(detail, sizeof(detail),
		 "device %s seqs %llu..%llu: applied %lld, skipped %lld, rejected %d",
		 h.device, (unsigned long long)h.first_seq,
		 (unsigned long long)h.last_seq,
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "applied")),
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "skipped")),
		 cJSON_GetArraySize(cJSON_GetObjectItem(res, "rejected")));
	audit(a, "import batch", detail);
	if (ack_out) {
		ack = cJSON_CreateObject();
		if (!ack || !cJSON_AddStringToObject(ack, "device", h.device) ||
		    !cJSON_AddNumberToObject(ack, "acked",
			cJSON_GetNumberValue(cJSON_GetObjectItem(res, "acked"))) ||
		    !cJSON_AddItemToObject(ack, "rejected",
			cJSON_Duplicate(cJSON_GetObjectItem(res, "rejected"), 1)) ||
		    !(text = cJSON_Print(ack))) {
			ret = fail(HUCE_ENOMEM, NULL);
			goto out;
		}
		rc = huce_file_write_atomic(ack_out, text, strlen(text), 0666, &err);
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
	}
	print_json(res);
out:
	free(text);
	cJSON_Delete(ack);
	cJSON_Delete(res);
	return ret;
}

/* --- import: the office's lists (import.c) ---------------------------------- */

static int import_office_list(struct admin *a, const char *path,
			      const struct huce_buf *file,
			      const struct import_opts *o)
{
	struct huce_error err = { 0 };
	struct import_result res;
	struct list_text t;
	const cJSON *p;
	enum huce_err rc;

	rc = list_file_decode(path, file, FILE_MAX, &t, &err);
	if (rc)
		return fail(rc, &err);
	printf(_("encoding: %s\n"), t.encoding);
	fflush(stdout);
	rc = import_list(&a->central, a->actor, t.text, t.len, o, &res, &err);
	list_text_release(&t);
	if (res.header_line > 1)
		fprintf(stderr, Q_("huce-syncd admin: note: the header is line %d; the "
				   "line above it (a title) is skipped\n",
				   "huce-syncd admin: note: the header is line %d; the "
				   "lines above it (a title) are skipped\n", res.header_line - 1),
			res.header_line);
	cJSON_ArrayForEach(p, res.ignored)
		fprintf(stderr, _("huce-syncd admin: note: ignoring column '%s'\n"),
			cJSON_GetStringValue(p));
	cJSON_ArrayForEach(p, res.problems) {
		char *line = import_problem_text(p);

		fprintf(stderr, !rc ? _("huce-syncd admin: skipped %s\n") :
			"huce-syncd admin: %s\n", line ? line : _("out of memory"));
		free(line);
	}
	if (rc) {
		import_result_release(&res);
		return fail(rc, &err);
	}
	printf(strcmp(res.list, "targets") == 0 ?
	       _("imported %d targets (%d already present, %d updated); created %d villages, "
		 "%d groups, %d cadres, %d teams\n") :
	       _("imported %d households (%d already present, %d updated); created %d villages, "
		 "%d groups, %d cadres, %d teams\n"), res.added, res.present,
	       res.updated, res.villages, res.groups, res.cadres, res.teams);
	if (res.bad_rows)
		printf(_("skipped %d bad rows of %d\n"), res.bad_rows, res.rows);
	import_result_release(&res);
	return 0;
}

/* A USB stick: every laptop's folder (stick.c); photos where the central keeps them. */
static int import_stick(struct admin *a, int argc, char **argv)
{
	return stick_admin_import(&a->central, a->actor, a->blobs, argc, argv);
}

static int import(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct import_opts o = { 0, 0 };
	struct huce_buf file;
	const char *path = NULL, *ack = NULL;
	enum huce_err rc;
	int ret;

	if (stick_import_wanted(argc, argv))
		return import_stick(a, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ack-out") == 0 && i + 1 < argc)
			ack = argv[++i];
		else if (strncmp(argv[i], "--ack-out=", 10) == 0)
			ack = argv[i] + 10;
		else if (strcmp(argv[i], "--create") == 0)
			o.create = 1;
		else if (strcmp(argv[i], "--skip-bad") == 0)
			o.skip_bad = 1;
		else if (!path && (argv[i][0] != '-' || !argv[i][1]))
			path = argv[i];
		else
			return usage_error(_("import: unexpected argument '%s'"), argv[i]);
	}
	if (!path)
		return usage_error(_("expected import FILE [--ack-out F] [--create] [--skip-bad]"));
	rc = huce_file_read(path, FILE_MAX, &file, &err);
	if (rc)
		return fail(rc, &err);
	if (file.len >= 4 && memcmp(file.data, HUCE_BATCH_MAGIC, 4) == 0) {
		if (o.create || o.skip_bad)
			ret = usage_error(_("--create and --skip-bad are for the office's "
					  "lists; '%s' is a batch file"), path);
		else
			ret = import_batch(a, &file, ack);
	} else if (ack) {
		ret = usage_error(_("--ack-out is for batch files; '%s' is not one"), path);
	} else {
		ret = import_office_list(a, path, &file, &o);
	}
	huce_buf_release(&file);
	return ret;
}

static int town(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	enum huce_err rc;
	char *t;

	if (argc == 1) {
		t = store_meta_get(a->store, "town");
		printf("%s\n", t ? t : "");
		free(t);
		return 0;
	}
	if (argc != 2)
		return usage_error(_("expected town [NAME]"));
	if (huce_text_check(argv[1], "town name", 128, 0, &err))
		return fail(HUCE_EINVAL, &err);
	rc = store_meta_set(a->store, "town", argv[1], &err);
	if (rc)
		return fail(rc, &err);
	audit(a, "town", argv[1]);
	return 0;
}

/* --- main -------------------------------------------------------------------- */

static void set_actor(struct admin *a)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(a->actor, sizeof(a->actor), "admin:%s",
		 pw && pw->pw_name ? pw->pw_name : "unknown");
}

int admin_main(int argc, char **argv)
{
	struct admin a;
	struct huce_error err = { 0 };
	const char *store = NULL, *checklists = NULL;
	char blobs_dflt[4096];
	enum huce_err rc;
	int i = 1, ret;

	memset(&a, 0, sizeof(a));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_(usage), stdout);
			return 0;
		} else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			store = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--store=", 8) == 0) {
			store = argv[i++] + 8;
		} else if (strcmp(argv[i], "--checklists") == 0 && i + 1 < argc) {
			checklists = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--checklists=", 13) == 0) {
			checklists = argv[i++] + 13;
		} else if (strcmp(argv[i], "--blobs") == 0 && i + 1 < argc) {
			a.blobs = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--blobs=", 8) == 0) {
			a.blobs = argv[i++] + 8;
		} else {
			return usage_error(_("unknown option '%s'"), argv[i]);
		}
	}
	if (i >= argc)
		return usage_error(_("no command given"));
	if (strcmp(argv[i], "help") == 0) {
		fputs(_(usage), stdout);
		return 0;
	}
	if (!store)
		return usage_error(_("--store is required"));
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "device") && strcmp(argv[0], "household") &&
	    strcmp(argv[0], "conflicts") && strcmp(argv[0], "resolve") &&
	    strcmp(argv[0], "import") && strcmp(argv[0], "report") &&
	    strcmp(argv[0], "audit") && strcmp(argv[0], "town") &&
	    strcmp(argv[0], "target") && strcmp(argv[0], "review") &&
	    strcmp(argv[0], "photos"))
		return usage_error(_("unknown command '%s'"), argv[0]);

	set_actor(&a);
	/* The central keeps photos in STORE.blobs unless told otherwise. */
	if (!a.blobs && strncmp(store, "postgres", 8) != 0) {
		snprintf(blobs_dflt, sizeof(blobs_dflt), "%s.blobs", store);
		a.blobs = blobs_dflt;
	}
	rc = store_open(&a.store, store, &err);
	if (rc)
		return fail(rc, &err);
	a.central.store = a.store;
	a.central.max_raw = HUCE_BATCH_MAX_RAW;
	if (strcmp(argv[0], "import") == 0 || strcmp(argv[0], "resolve") == 0 ||
	    strcmp(argv[0], "report") == 0 ||
	    strcmp(argv[0], "target") == 0 || strcmp(argv[0], "review") == 0) {
		rc = huce_checklists_load(&a.central.checklists, checklists, &err);
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
	}
	if (strcmp(argv[0], "device") == 0)
		ret = cmd_device(&a, argc, argv);
	else if (strcmp(argv[0], "household") == 0)
		ret = cmd_household(&a, argc, argv);
	else if (strcmp(argv[0], "target") == 0)
		ret = cmd_target(&a, argc, argv);
	else if (strcmp(argv[0], "review") == 0)
		ret = review(&a, argc, argv);
	else if (strcmp(argv[0], "conflicts") == 0)
		ret = conflicts(&a, argc, argv);
	else if (strcmp(argv[0], "resolve") == 0)
		ret = resolve(&a, argc, argv);
	else if (strcmp(argv[0], "import") == 0)
		ret = import(&a, argc, argv);
	else if (strcmp(argv[0], "photos") == 0)
		ret = admin_photos(a.store, store, a.actor, argc, argv);
	else if (strcmp(argv[0], "report") == 0 || strcmp(argv[0], "audit") == 0) {
		struct report_ctx ctx = {
			.store = a.store, .spec = store, .actor = a.actor,
			.checklists = a.central.checklists,
		};

		ret = argv[0][0] == 'r' ? admin_report(&ctx, argc, argv)
					: admin_audit(&ctx, argc, argv);
	}
	else
		ret = town(&a, argc, argv);
out:
	huce_checklists_free(a.central.checklists);
	store_close(a.store);
	return ret;
}
