/*
 * cmd_inspect.c - inspections (验收), photos and rectifications (整改).
 *
 * An inspection is graded against the household's checklist (data from
 * schema/checklists or --checklists DIR): every item is validated before
 * anything is written; a failing critical item makes the result `fail`
 * whatever was typed.  In the same transaction the household's status
 * moves on, a failed inspection opens a rectification, and a passing
 * re-inspection closes the open ones.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_clock.h"
#include "huce_crypto.h"
#include "huce_file.h"
#include "huce_id.h"
#include "huce_photo.h"
#include "huce_record.h"
#include "huce_util.h"

#define MAX_ITEMS 64
#define MAX_PHOTOS 16
#define PHOTO_MAX_BYTES (64u << 20)

struct photo_in {
	const char *kind;
	const char *path;
	char sha256[65];
	int64_t size;
};

/*
 * Check a photo file before anything is written: a whole JPEG within the
 * limits (common/huce_photo.h).  The kept copy is made again, stored and
 * recorded by put_photo() inside the transaction.
 */
static int hash_file(const char *path, char *hex, int64_t *size)
{
	struct huce_error err = { 0 };
	struct huce_photo ph;
	enum huce_err rc = huce_photo_prepare(path, &ph, &err);

	if (!rc) {
		memcpy(hex, ph.sha256, 65);
		*size = ph.bytes;
	}
	huce_photo_release(&ph);
	return rc ? cli_error(rc, "%s", err.msg) : 0;
}

/* Keep a re-encoded copy of the photo and attach it to owner. */
static enum huce_err put_photo(struct cli *c, const char *owner,
			       const struct photo_in *p, char *id)
{
	struct huce_photo ph;
	char *dir = huce_photo_store_dir(c->db_path);
	int existed;
	enum huce_err rc = dir ? huce_photo_add_file(c->l, dir, owner, p->kind, p->path,
						     &ph, id, &existed, &c->err) :
		huce_fail(&c->err, HUCE_ENOMEM, "out of memory");

	huce_photo_release(&ph);
	free(dir);
	return rc;
}

static int parse_photo(const char *arg, struct photo_in *p)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || eq - arg > 32)
		return cli_error(HUCE_EINVAL, "--photo '%s' is not KIND=FILE", arg);
	for (int i = 0; huce_photo_kinds[i]; i++) {
		if (strlen(huce_photo_kinds[i]) == (size_t)(eq - arg) &&
		    strncmp(huce_photo_kinds[i], arg, (size_t)(eq - arg)) == 0) {
			p->kind = huce_photo_kinds[i];
			p->path = eq + 1;
			return hash_file(p->path, p->sha256, &p->size);
		}
	}
	return cli_error(HUCE_EINVAL,
			 "photo kind in '%s' is not one of: before, excavation, tank, water-test, "
			 "room, pan, vent, cover, plaque, after", arg);
}

/* date + days as YYYY-MM-DD. */
static void add_days(const char *date, int days, char *out)
{
	struct tm tm = { 0 };
	int y, m, d;
	time_t t;

	huce_parse_date(date, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + days;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static enum huce_err set_status(struct cli *c, const char *hh, const char *status)
{
	cJSON *f = cJSON_CreateObject();
	enum huce_err rc;

	cJSON_AddStringToObject(f, "status", status);
	rc = huce_local_put(c->l, "household", hh, f, 0, NULL, &c->err);
	cJSON_Delete(f);
	return rc;
}

/* Close every open rectification of hh, naming the closing inspection. */
static enum huce_err close_rectifications(struct cli *c, const char *hh,
					  const char *insp, int *closed)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, &c->err,
		"SELECT id FROM rectification WHERE household_id = ?1 AND status = 'open' "
		"AND deleted = 0 ORDER BY id", "s", hh);
	char ids[32][HUCE_ID_STRLEN + 1];
	int n = 0;
	enum huce_err rc = HUCE_OK;

	if (!st)
		return c->err.code;
	while (n < 32 && sqlite3_step(st) == SQLITE_ROW)
		snprintf(ids[n++], HUCE_ID_STRLEN + 1, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	for (int i = 0; i < n && !rc; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "status", "closed");
		cJSON_AddStringToObject(f, "closed_by", insp);
		rc = huce_local_put(c->l, "rectification", ids[i], f, 0, NULL, &c->err);
		cJSON_Delete(f);
	}
	*closed = n;
	return rc;
}

static const char inspect_usage[] =
"usage: huce inspect HOUSEHOLD --stage STAGE --inspector NAME [--date YYYY-MM-DD]\n"
"         [--item CODE=VALUE]... [--result pass|fail] [--photo KIND=FILE]...\n"
"         [--note TEXT] [--gps LAT,LON]\n"
"Record an inspection (验收).  STAGE: excavation, pre-cover, completion,\n"
"first-toilet, re-inspection, spot-check.  Items are checked against the\n"
"household's checklist (unknown item, non-number, implausible value or a\n"
"missing critical item: exit 3, nothing written).  Without --result the\n"
"result is computed; a failing critical item makes it fail whatever was\n"
"typed.  A failed inspection opens a rectification; a passing one at\n"
"completion/first-toilet/re-inspection accepts the toilet and closes them.\n"
"Prints the inspection id last.\n";

int cmd_inspect(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "inspector", required_argument, NULL, 'i' },
		{ "date", required_argument, NULL, 'd' },
		{ "item", required_argument, NULL, 'I' },
		{ "result", required_argument, NULL, 'r' },
		{ "photo", required_argument, NULL, 'p' },
		{ "note", required_argument, NULL, 'n' },
		{ "gps", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stage = NULL, *date = NULL, *result = NULL, *note = NULL, *gps = NULL;
	const char *codes[MAX_ITEMS], *values[MAX_ITEMS];
	char codebuf[MAX_ITEMS][64];
	struct photo_in photos[MAX_PHOTOS];
	struct huce_buf inspectors = HUCE_BUF_INIT(1024);
	struct huce_checklists *cl = NULL;
	struct huce_eval ev = { 0 };
	char hh[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1], pid[HUCE_ID_STRLEN + 1];
	char today[11], week[9], deadline[11];
	const char *final_result, *type_code;
	cJSON *hrow = NULL, *f = NULL;
	int nitems = 0, nphotos = 0, ch, r = 0, y, m, d, stage_no, closed = 0;
	int defaulted = 0, clock_off = 0;
	enum huce_err rc;

	while ((ch = cli_getopt(argc, argv, opts, NULL, inspect_usage)) != -1) {
		switch (ch) {
		case '?':
			r = 2;
			goto out;
		case 's': stage = optarg; break;
		case 'd': date = optarg; break;
		case 'r': result = optarg; break;
		case 'n': note = optarg; break;
		case 'g': gps = optarg; break;
		case 'i':
			if (huce_text_check(optarg, "inspector name", 128, 0, &c->err)) {
				r = cli_fail(c, HUCE_EINVAL);
				goto out;
			}
			if (inspectors.len)
				huce_buf_addstr(&inspectors, "、");
			if (huce_buf_addstr(&inspectors, optarg)) {
				r = cli_error(HUCE_EINVAL, "too many inspectors");
				goto out;
			}
			break;
		case 'I': {
			const char *eq = strchr(optarg, '=');

			if (nitems == MAX_ITEMS) {
				r = cli_error(HUCE_EINVAL, "too many --item (at most %d)", MAX_ITEMS);
				goto out;
			}
			if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof(codebuf[0])) {
				r = cli_error(HUCE_EINVAL, "--item '%.60s' is not CODE=VALUE", optarg);
				goto out;
			}
			memcpy(codebuf[nitems], optarg, (size_t)(eq - optarg));
			codebuf[nitems][eq - optarg] = '\0';
			codes[nitems] = codebuf[nitems];
			values[nitems++] = eq + 1;
			break;
		}
		case 'p':
			if (nphotos == MAX_PHOTOS) {
				r = cli_error(HUCE_EINVAL, "too many --photo (at most %d)", MAX_PHOTOS);
				goto out;
			}
			r = parse_photo(optarg, &photos[nphotos++]);
			if (r)
				goto out;
			break;
		}
	}
	if (optind + 1 != argc) {
		r = cli_usage(inspect_usage, "inspect takes one HOUSEHOLD");
		goto out;
	}
	if (!stage || !inspectors.len) {
		r = cli_usage(inspect_usage, "--stage and --inspector are required");
		goto out;
	}
	stage_no = huce_stage_parse(stage);
	if (stage_no < 0) {
		r = cli_error(HUCE_EINVAL,
			      "stage '%s' is not one of: excavation, pre-cover, completion, "
			      "first-toilet, re-inspection, spot-check", stage);
		goto out;
	}
	if (!date) {
		huce_today(today);
		date = today;
		defaulted = 1;
	}
	if (huce_parse_date(date, &y, &m, &d)) {
		r = cli_error(HUCE_EINVAL, "date '%s' is not a date like 2026-11-29", date);
		goto out;
	}
	huce_week_of(y, m, d, week);
	if (result && strcmp(result, "pass") && strcmp(result, "fail")) {
		r = cli_error(HUCE_EINVAL, "result '%s' is not pass or fail", result);
		goto out;
	}
	if ((note && huce_text_check(note, "note", 1024, 1, &c->err)) ||
	    (gps && huce_text_check(gps, "gps", 64, 0, &c->err))) {
		r = cli_fail(c, HUCE_EINVAL);
		goto out;
	}
	r = cli_open(c);
	if (r)
		goto out;
	r = cli_resolve_id(c, "household", argv[optind], hh);
	if (r)
		goto out;
	hrow = huce_local_get(c->l, "household", hh, NULL);
	type_code = cJSON_GetStringValue(cJSON_GetObjectItem(hrow, "type"));
	rc = huce_checklists_load(&cl, c->checklists_dir, &c->err);
	if (rc) {
		r = cli_fail(c, rc);
		goto out;
	}
	{
		const char *kinds[MAX_PHOTOS];

		for (int i = 0; i < nphotos; i++)
			kinds[i] = photos[i].kind;
		rc = huce_checklist_evaluate_photos(cl, type_code, stage_no, (size_t)nitems,
						    codes, values, kinds, (size_t)nphotos,
						    &ev, &c->err);
	}
	if (rc) {
		r = cli_error(rc, "%s (household type %s)", c->err.msg, type_code);
		goto out;
	}
	if (cJSON_GetArraySize(ev.veto) > 0)
		final_result = "fail";
	else if (result)
		final_result = result;
	else
		final_result = ev.pass ? "pass" : "fail";

	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "household_id", hh);
	cJSON_AddStringToObject(f, "stage", stage);
	cJSON_AddStringToObject(f, "date", date);
	cJSON_AddStringToObject(f, "week", week);
	cJSON_AddStringToObject(f, "inspectors", inspectors.data);
	cJSON_AddItemToObject(f, "items", cJSON_Duplicate(ev.items, 1));
	cJSON_AddItemToObject(f, "failed", cJSON_Duplicate(ev.failed, 1));
	cJSON_AddItemToObject(f, "veto", cJSON_Duplicate(ev.veto, 1));
	cJSON_AddStringToObject(f, "result", final_result);
	if (note)
		cJSON_AddStringToObject(f, "note", note);
	if (gps)
		cJSON_AddStringToObject(f, "gps", gps);

	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_new_id(c->l, id);
	if (!rc)
		rc = huce_local_put(c->l, "inspection", id, f, 1, NULL, &c->err);
	/* A date from this laptop's clock: remembered, to be confirmed if wrong. */
	if (!rc && defaulted)
		rc = huce_clock_defaulted(c->l, "inspection", id, "date", date,
					  &clock_off, &c->err);
	for (int i = 0; i < nphotos && !rc; i++)
		rc = put_photo(c, id, &photos[i], pid);
	if (!rc && strcmp(final_result, "fail") == 0) {
		/* Open a rectification (整改) for what failed. */
		struct huce_buf cat = HUCE_BUF_INIT(1000);
		const cJSON *code;
		const char *owner = NULL;
		cJSON *rf = cJSON_CreateObject();
		char rid[HUCE_ID_STRLEN + 1];
		sqlite3_stmt *st;

		cJSON_ArrayForEach(code, ev.failed) {
			const struct huce_checklist_item *it =
				huce_checklist_find(cl, type_code, code->valuestring);

			if (cat.len)
				huce_buf_addstr(&cat, "; ");
			huce_buf_addstr(&cat, it && it->label ? it->label : code->valuestring);
		}
		if (!cat.len)
			huce_buf_addstr(&cat, note && *note ? note : "验收不合格");
		add_days(date, 14, deadline);
		st = huce_db_query(c->l->db, NULL,
			"SELECT c.name FROM household h JOIN cadre c ON c.id = h.cadre_id WHERE h.id = ?1",
			"s", hh);
		char ownerbuf[256] = "";
		if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			snprintf(ownerbuf, sizeof(ownerbuf), "%s", sqlite3_column_text(st, 0));
			owner = ownerbuf;
		}
		if (st)
			sqlite3_reset(st);
		cJSON_AddStringToObject(rf, "household_id", hh);
		cJSON_AddStringToObject(rf, "inspection_id", id);
		cJSON_AddStringToObject(rf, "category", cat.data);
		if (owner)
			cJSON_AddStringToObject(rf, "owner", owner);
		cJSON_AddStringToObject(rf, "deadline", deadline);
		cJSON_AddStringToObject(rf, "status", "open");
		rc = huce_local_new_id(c->l, rid);
		if (!rc)
			rc = huce_local_put(c->l, "rectification", rid, rf, 1, NULL, &c->err);
		cJSON_Delete(rf);
		huce_buf_release(&cat);
		if (!rc && stage_no != HUCE_STAGE_EXCAVATION && stage_no != HUCE_STAGE_PRE_COVER)
			rc = set_status(c, hh, "failed");
	} else if (!rc) {
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(hrow, "status"));

		if (stage_no == HUCE_STAGE_COMPLETION || stage_no == HUCE_STAGE_FIRST_TOILET ||
		    stage_no == HUCE_STAGE_RE_INSPECTION) {
			rc = set_status(c, hh, "accepted");
			if (!rc)
				rc = close_rectifications(c, hh, id, &closed);
		} else if ((stage_no == HUCE_STAGE_EXCAVATION || stage_no == HUCE_STAGE_PRE_COVER) &&
			   status && strcmp(status, "planned") == 0) {
			rc = set_status(c, hh, "building");
		}
	}
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		r = cli_fail(c, rc);
		goto out;
	}
	if (clock_off)
		fprintf(stderr, "huce: warning: at the last sync this laptop's clock "
			"was off by more than a day, and the date %s was taken from "
			"it: check it (`huce clock` lists the dates to confirm) or "
			"give --date\n", date);
	if (cJSON_GetArraySize(ev.veto) > 0) {
		const cJSON *code;

		printf("result: fail%s — critical item%s failed:",
		       result && strcmp(result, "pass") == 0 ? " (typed pass overridden)" : "",
		       cJSON_GetArraySize(ev.veto) > 1 ? "s" : "");
		cJSON_ArrayForEach(code, ev.veto) {
			const struct huce_checklist_item *it =
				huce_checklist_find(cl, type_code, code->valuestring);

			printf(" %s (%s)", code->valuestring, it ? it->label : "");
		}
		putchar('\n');
	} else {
		printf("result: %s%s\n", final_result,
		       cJSON_GetArraySize(ev.failed) ? " (some non-critical items failed)" : "");
	}
	if (strcmp(final_result, "fail") == 0)
		printf("rectification opened, deadline %s\n", deadline);
	if (closed)
		printf("%d rectification%s closed\n", closed, closed > 1 ? "s" : "");
	printf("%s\n", id);
out:
	huce_eval_release(&ev);
	huce_checklists_free(cl);
	huce_buf_release(&inspectors);
	cJSON_Delete(hrow);
	cJSON_Delete(f);
	return r;
}

static const char rectify_usage[] =
"usage: huce rectify list [--all] [--json]\n"
"Open rectifications (整改), oldest deadline first.  JSON keys: id, household,\n"
"village, head, category, owner, deadline, status, inspection, overdue.\n";

int cmd_rectify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3_stmt *st;
	cJSON *arr;
	char today[11];
	int json = 0, all = 0, ch, r, s;

	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(rectify_usage, stdout);
			return 0;
		}
		return cli_usage(rectify_usage, "expected `rectify list`");
	}
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, rectify_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'a')
			all = 1;
	}
	if (optind != argc)
		return cli_usage(rectify_usage, "unexpected argument '%s'", argv[optind]);
	r = cli_open(c);
	if (r)
		return r;
	huce_today(today);
	st = huce_db_query(c->l->db, &c->err,
		"SELECT r.id, r.household_id, v.name, h.head, r.category, r.owner, r.deadline, "
		"r.status, r.inspection_id, (r.status = 'open' AND r.deadline < ?2) "
		"FROM rectification r LEFT JOIN household h ON h.id = r.household_id "
		"LEFT JOIN village v ON v.id = h.village_id "
		"WHERE r.deleted = 0 AND (?1 OR r.status = 'open') ORDER BY r.deadline, r.id",
		"is", (int64_t)all, today);
	if (!st)
		return cli_fail(c, c->err.code);
	arr = cJSON_CreateArray();
	if (!json)
		printf("id\tvillage\thead\tcategory\towner\tdeadline\tstatus\n");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		static const char *const keys[] = {
			"id", "household", "village", "head", "category", "owner",
			"deadline", "status", "inspection",
		};
		cJSON *o = cJSON_CreateObject();

		for (int i = 0; i < 9; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			if (v)
				cJSON_AddStringToObject(o, keys[i], v);
			else
				cJSON_AddNullToObject(o, keys[i]);
		}
		cJSON_AddBoolToObject(o, "overdue", sqlite3_column_int(st, 9));
		if (json) {
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%.8s\t%s\t%s\t%s\t%s\t%s\t%s%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")),
			       cJSON_IsString(cJSON_GetObjectItem(o, "village")) ?
				       cJSON_GetObjectItem(o, "village")->valuestring : "-",
			       cJSON_IsString(cJSON_GetObjectItem(o, "head")) ?
				       cJSON_GetObjectItem(o, "head")->valuestring : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "category")),
			       cJSON_IsString(cJSON_GetObjectItem(o, "owner")) ?
				       cJSON_GetObjectItem(o, "owner")->valuestring : "-",
			       cJSON_IsString(cJSON_GetObjectItem(o, "deadline")) ?
				       cJSON_GetObjectItem(o, "deadline")->valuestring : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")),
			       sqlite3_column_int(st, 9) ? " (overdue)" : "");
			cJSON_Delete(o);
		}
	}
	sqlite3_reset(st);
	if (json)
		cli_print_json(arr);
	cJSON_Delete(arr);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, "cannot list rectifications");
	return 0;
}
