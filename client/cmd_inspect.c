/*
 * cmd_inspect.c - inspections (验收), photos and rectifications (整改).
 *
 * The commands parse their arguments and call the domain layer
 * (huce_domain_local.h): huce_local_inspection_record() grades the
 * inspection against the household's checklist (schema/checklists or
 * --checklists DIR), writes it, opens or closes rectifications and
 * derives the household's status, all in the one transaction that also
 * holds the inspection's photos; huce_local_inspection_void() voids one.
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
#include "huce_code.h"
#include "huce_crypto.h"
#include "huce_domain_local.h"
#include "huce_file.h"
#include "huce_id.h"
#include "huce_photo.h"
#include "huce_record.h"
#include "huce_util.h"

#define MAX_ITEMS 64
#define MAX_PHOTOS 16
#define MAX_INSPECTORS 16

struct photo_in {
	const char *kind;
	const char *path;
	struct huce_photo ph;	/* re-encoded by parse_photo(), kept by cli_photo_put() */
};

/*
 * Keep the re-encoded copy of a photo (huce_photo_prepare*: a whole JPEG
 * within the limits) in the folder beside the database and attach it to
 * owner (common/huce_photo.h: huce_photo_keep).  Every way a photo
 * enters the laptop comes here: `inspect --photo`, `photo add`, `photo
 * import --yes` and the web app's acceptance form and import grid.
 */
enum huce_err cli_photo_put(struct cli *c, const char *owner, const char *kind,
			    const struct huce_photo *p, char *id, int *existed)
{
	char *dir = huce_photo_store_dir(c->db_path);
	int dummy;
	enum huce_err rc = dir ? huce_photo_keep(c->l, dir, owner, kind, p, id,
						 existed ? existed : &dummy, &c->err) :
		huce_fail(&c->err, HUCE_ENOMEM, _("out of memory"));

	free(dir);
	return rc;
}

static int parse_photo(const char *arg, struct photo_in *p)
{
	struct huce_error err = { 0 };
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || eq - arg > 32)
		return cli_error(HUCE_EINVAL, _("--photo '%s' is not KIND=FILE"), arg);
	for (int i = 0; huce_photo_kinds[i]; i++) {
		if (strlen(huce_photo_kinds[i]) == (size_t)(eq - arg) &&
		    strncmp(huce_photo_kinds[i], arg, (size_t)(eq - arg)) == 0) {
			p->kind = huce_photo_kinds[i];
			p->path = eq + 1;
			/* Refused here, before anything is written. */
			if (huce_photo_prepare(p->path, &p->ph, &err))
				return cli_error(err.code, "%s", err.msg);
			return 0;
		}
	}
	return cli_error(HUCE_EINVAL,
			 _("photo kind in '%s' is not one of: before, excavation, tank, water-test, "
			 "room, pan, vent, cover, plaque, after"), arg);
}

static const char inspect_usage[] =
N_("usage: huce inspect HOUSEHOLD --stage STAGE --inspector NAME [--date YYYY-MM-DD]\n"
"         [--item CODE=VALUE]... [--result pass|fail] [--photo KIND=FILE]...\n"
"         [--note TEXT] [--gps LAT,LON]\n"
"       huce inspect void INSPECTION --reason TEXT\n"
"Record an inspection (验收).  STAGE: excavation, pre-cover, completion,\n"
"first-toilet, re-inspection, spot-check.  Each inspector is a known cadre\n"
"(`huce cadre add NAME --role inspector`); the date is no later than\n"
"tomorrow.  Items are checked against the household's checklist: every\n"
"required item of the stage must be given (unknown item, non-number,\n"
"implausible value or a missing required item: exit 3, nothing written).\n"
"Without --result the result is computed; a failing critical item makes it\n"
"fail whatever was typed.  A failed inspection opens a rectification; a\n"
"passing one at completion/first-toilet/re-inspection closes them.  The\n"
"household's status follows (it is derived, never typed).\n"
"Prints the inspection id last.\n"
"`inspect void` voids a wrong inspection: it stays in the history, counts\n"
"for nothing, and the status is derived again.  A voiding is final.\n");

/* The options of `huce inspect`, as typed. */
struct inspect_args {
	struct huce_inspection_in in;
	const char *stage;
	const char *inspectors[MAX_INSPECTORS];
	const char *codes[MAX_ITEMS], *values[MAX_ITEMS];
	char codebuf[MAX_ITEMS][64];
	struct photo_in photos[MAX_PHOTOS];
	const char *kinds[MAX_PHOTOS];
	int nphotos;
	int defaulted;		/* the date is this laptop's today */
	char today[11];
};

/* One --item CODE=VALUE. */
static int parse_item(struct inspect_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = a->in.nitems;

	if (n == MAX_ITEMS)
		return cli_error(HUCE_EINVAL, _("too many --item (at most %d)"), MAX_ITEMS);
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(a->codebuf[0]))
		return cli_error(HUCE_EINVAL, _("--item '%.60s' is not CODE=VALUE"), arg);
	memcpy(a->codebuf[n], arg, (size_t)(eq - arg));
	a->codebuf[n][eq - arg] = '\0';
	a->codes[n] = a->codebuf[n];
	a->values[n] = eq + 1;
	a->in.nitems++;
	return 0;
}

/* Parse the command line into a; returns an exit code. */
static int inspect_parse(struct inspect_args *a, int argc, char **argv)
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
	int ch, r;

	a->in.codes = a->codes;
	a->in.values = a->values;
	a->in.inspectors = a->inspectors;
	while ((ch = cli_getopt(argc, argv, opts, NULL, inspect_usage)) != -1) {
		r = 0;
		switch (ch) {
		case '?': return 2;
		case 's': a->stage = optarg; break;
		case 'd': a->in.date = optarg; break;
		case 'r': a->in.result = optarg; break;
		case 'n': a->in.note = optarg; break;
		case 'g': a->in.gps = optarg; break;
		case 'I': r = parse_item(a, optarg); break;
		case 'i':
			if (a->in.ninspectors == MAX_INSPECTORS)
				return cli_error(HUCE_EINVAL, _("too many --inspector (at most %d)"),
						 MAX_INSPECTORS);
			a->inspectors[a->in.ninspectors++] = optarg;
			break;
		case 'p':
			if (a->nphotos == MAX_PHOTOS)
				return cli_error(HUCE_EINVAL, _("too many --photo (at most %d)"),
						 MAX_PHOTOS);
			r = parse_photo(optarg, &a->photos[a->nphotos++]);
			break;
		}
		if (r)
			return r;
	}
	if (optind + 1 != argc)
		return cli_usage(inspect_usage, _("inspect takes one HOUSEHOLD"));
	if (!a->stage || !a->in.ninspectors)
		return cli_usage(inspect_usage, _("--stage and --inspector are required"));
	a->in.stage = huce_stage_parse(a->stage);
	if (a->in.stage < 0)
		return cli_error(HUCE_EINVAL,
				 _("stage '%s' is not one of: excavation, pre-cover, completion, "
				 "first-toilet, re-inspection, spot-check"), a->stage);
	if (!a->in.date) {
		huce_today(a->today);
		a->in.date = a->today;
		a->defaulted = 1;
	}
	return 0;
}

/* What the inspector sees after the inspection is recorded. */
static void inspect_report(const struct huce_checklists *cl,
			   const struct huce_inspection_out *o)
{
	int nveto = cJSON_GetArraySize(o->ev.veto);

	if (nveto > 0) {
		const cJSON *code;

		printf(_("result: %s"), huce_value_text("result", "fail"));
		if (o->overridden)
			printf("%s", _(" (typed pass overridden)"));
		printf("%s", Q_(" — critical item failed:", " — critical items failed:", nveto));
		cJSON_ArrayForEach(code, o->ev.veto) {
			const struct huce_checklist_item *it =
				huce_checklist_find(cl, o->type, code->valuestring);

			printf(_(" %s (%s)"), code->valuestring, it ? it->label : "");
		}
		putchar('\n');
	} else {
		printf(_("result: %s"), huce_value_text("result", o->result));
		if (cJSON_GetArraySize(o->ev.failed))
			printf("%s", _(" (some non-critical items failed)"));
		putchar('\n');
	}
	if (o->deadline[0])
		printf(_("rectification opened, deadline %s\n"), o->deadline);
	if (o->closed)
		printf(Q_("%d rectification closed\n", "%d rectifications closed\n", o->closed),
		       o->closed);
	printf(_("status: %s\n"), huce_value_text("status", huce_status_name(o->status)));
	printf("%s\n", o->id);
}

static int cmd_inspect_void(struct cli *c, int argc, char **argv);

int cmd_inspect(struct cli *c, int argc, char **argv)
{
	struct inspect_args *a;
	struct huce_checklists *cl = NULL;
	struct huce_inspection_out o = { 0 };
	char hh[HUCE_ID_STRLEN + 1], pid[HUCE_ID_STRLEN + 1];
	enum huce_err rc;
	int r, clock_off = 0;

	if (argc >= 2 && strcmp(argv[1], "void") == 0) {
		optind = 0;
		return cmd_inspect_void(c, argc - 1, argv + 1);
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	r = inspect_parse(a, argc, argv);
	if (!r)
		r = cli_open(c);
	if (!r)
		r = cli_resolve_id(c, "household", argv[optind], hh);
	if (r)
		goto out;
	a->in.household_id = hh;
	rc = huce_checklists_load(&cl, c->checklists_dir, &c->err);
	if (rc) {
		r = cli_fail(c, rc);
		goto out;
	}
	for (int i = 0; i < a->nphotos; i++)
		a->kinds[i] = a->photos[i].kind;
	a->in.photo_kinds = a->kinds;
	a->in.nphotos = (size_t)a->nphotos;
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_inspection_record(c->l, cl, &a->in, &o, &c->err);
	/* A date from this laptop's clock: remembered, to be confirmed if wrong. */
	if (!rc && a->defaulted)
		rc = huce_clock_defaulted(c->l, "inspection", o.id, "date", a->in.date,
					  &clock_off, &c->err);
	for (int i = 0; i < a->nphotos && !rc; i++)
		rc = cli_photo_put(c, o.id, a->photos[i].kind, &a->photos[i].ph, pid, NULL);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		r = cli_fail(c, rc);
		goto out;
	}
	if (clock_off)
		fprintf(stderr, _("huce: warning: at the last sync this laptop's clock "
			"was off by more than a day, and the date %s was taken from "
			"it: check it (`huce clock` lists the dates to confirm) or "
			"give --date\n"), a->in.date);
	inspect_report(cl, &o);
out:
	huce_eval_release(&o.ev);
	huce_checklists_free(cl);
	for (int i = 0; i < a->nphotos; i++)
		huce_photo_release(&a->photos[i].ph);
	free(a);
	return r;
}

static const char void_usage[] =
N_("usage: huce inspect void INSPECTION --reason TEXT\n"
"Void a wrong inspection (作废).  It stays in the history, marked voided with\n"
"the reason, and counts for nothing: the household's status is derived again,\n"
"the rectifications it opened are closed and the ones it closed open again\n"
"(unless the toilet is still accepted).  A voiding is final (exit 3 the\n"
"second time); record a new inspection instead.\n");

static int cmd_inspect_void(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	char id[HUCE_ID_STRLEN + 1];
	struct huce_void_out o;
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, void_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'r')
			reason = optarg;
	}
	if (optind + 1 != argc || !reason)
		return cli_usage(void_usage, _("inspect void takes an INSPECTION and --reason TEXT"));
	r = cli_open(c);
	if (!r)
		r = cli_resolve_id(c, "inspection", argv[optind], id);
	if (r)
		return r;
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_inspection_void(c->l, id, reason, &o, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf(_("inspection %s voided\n"), id);
	if (o.closed)
		printf(Q_("%d rectification it opened closed\n",
			  "%d rectifications it opened closed\n", o.closed), o.closed);
	if (o.reopened)
		printf(Q_("%d rectification it closed open again\n",
			  "%d rectifications it closed open again\n", o.reopened), o.reopened);
	printf(_("status: %s\n"), huce_value_text("status", huce_status_name(o.status)));
	return 0;
}

static const char rectify_usage[] =
N_("usage: huce rectify list [--all] [--json]\n"
"Open rectifications (整改), oldest deadline first.  JSON keys: id, household,\n"
"village, head, category, owner, deadline, status, inspection, overdue.\n");

int cmd_rectify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3_stmt *st;
	cJSON *arr;
	char today[11], code[HUCE_CODE_STRLEN + 1];
	int json = 0, all = 0, ch, r, s;

	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(_(rectify_usage), stdout);
			return 0;
		}
		return cli_usage(rectify_usage, _("expected `rectify list`"));
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
		return cli_usage(rectify_usage, _("unexpected argument '%s'"), argv[optind]);
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
		printf(_("code\tvillage\thead\tcategory\towner\tdeadline\tstatus\n"));
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
		if (huce_code_of(huce_db_handle(c->l->db), "rectification",
				 (const char *)sqlite3_column_text(st, 0), code, NULL))
			code[0] = '\0';
		cJSON_AddStringToObject(o, "code", code);
		if (json) {
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", code,
			       cJSON_IsString(cJSON_GetObjectItem(o, "village")) ?
				       cJSON_GetObjectItem(o, "village")->valuestring : "-",
			       cJSON_IsString(cJSON_GetObjectItem(o, "head")) ?
				       cJSON_GetObjectItem(o, "head")->valuestring : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "category")),
			       cJSON_IsString(cJSON_GetObjectItem(o, "owner")) ?
				       cJSON_GetObjectItem(o, "owner")->valuestring : "-",
			       cJSON_IsString(cJSON_GetObjectItem(o, "deadline")) ?
				       cJSON_GetObjectItem(o, "deadline")->valuestring : "-",
			       huce_value_text("rectification",
					       cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"))),
			       sqlite3_column_int(st, 9) ? _(" (overdue)") : "");
			cJSON_Delete(o);
		}
	}
	sqlite3_reset(st);
	if (json)
		cli_print_json(arr);
	cJSON_Delete(arr);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, _("cannot list rectifications"));
	return 0;
}
