/*
 * cmd_report.c - what a cadre looks at: status, the weekly list (周清单)
 * and the conflicts the central has told this laptop about.
 */
#include "client.h"

#include "huce_stick.h"

#include <stdlib.h>
#include <string.h>

#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_clock.h"
#include "huce_code.h"
#include "huce_domain_local.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_report.h"
#include "huce_stick.h"
#include "huce_util.h"

static const char status_usage[] =
N_("usage: huce status [--json]\n"
"This laptop: device, pending (outbox entries not yet acknowledged by the\n"
"central), quarantined (refused by the central, with reasons), last_sync,\n"
"conflicts (open, as last pulled), clock (this laptop's against the\n"
"central's at the last sync, and dates to confirm), and counts.\n");

static cJSON *meta_json(struct cli *c, const char *key)
{
	char *v = huce_db_meta_get(c->l->db, key);
	cJSON *j = v ? cJSON_CreateString(v) : cJSON_CreateNull();

	free(v);
	return j;
}

/* What waits for the USB stick (huce_stick_status). */
static void stick_print(const cJSON *s)
{
	const cJSON *e = cJSON_GetObjectItem(s, "last_export");
	const cJSON *a = cJSON_GetObjectItem(s, "reply_applied");

	huce_i18n_label(_("stick"), 12);
	printf(_("%lld changes and %lld photos wait for the central"),
	       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "pending")),
	       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "photos")));
	if (!cJSON_IsNumber(e)) {
		printf(_("; nothing exported yet (`huce export DIR`)\n"));
		return;
	}
	printf(_("; last export %lld at %s, "), (long long)e->valuedouble,
	       cJSON_GetStringValue(cJSON_GetObjectItem(s, "exported_at")) ?
	       cJSON_GetStringValue(cJSON_GetObjectItem(s, "exported_at")) : "?");
	if (cJSON_IsNumber(a) && a->valuedouble >= e->valuedouble)
		printf(_("its reply applied\n"));
	else
		printf(_("its reply not yet applied (`huce import DIR`)\n"));
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	sqlite3_stmt *st;
	cJSON *o, *q, *clock, *stick;
	int json = 0, ch, r;
	int64_t pending, quarantined, conflicts;

	while ((ch = cli_getopt(argc, argv, NULL, &json, status_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind != argc)
		return cli_usage(status_usage, _("unexpected argument '%s'"), argv[optind]);
	r = cli_open(c);
	if (r)
		return r;
	pending = huce_local_count(c->l, "SELECT count(*) FROM outbox WHERE state = 'pending'");
	quarantined = huce_local_count(c->l, "SELECT count(*) FROM outbox WHERE state = 'quarantined'");
	conflicts = huce_local_count(c->l, "SELECT count(*) FROM conflict WHERE status = 'open' AND deleted = 0");
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "device", meta_json(c, "device"));
	cJSON_AddItemToObject(o, "device_id", meta_json(c, "device_id"));
	cJSON_AddItemToObject(o, "town", meta_json(c, "town"));
	cJSON_AddStringToObject(o, "db", c->db_path);
	cJSON_AddItemToObject(o, "central", meta_json(c, "central_url"));
	cJSON_AddNumberToObject(o, "pending", (double)pending);
	cJSON_AddNumberToObject(o, "quarantined", (double)quarantined);
	cJSON_AddItemToObject(o, "last_sync", meta_json(c, "last_sync"));
	cJSON_AddNumberToObject(o, "conflicts", (double)conflicts);
	cJSON_AddNumberToObject(o, "acked_seq", (double)huce_db_meta_int(c->l->db, "acked_seq", 0));
	cJSON_AddNumberToObject(o, "cursor", (double)huce_db_meta_int(c->l->db, "cursor", 0));
	cJSON_AddNumberToObject(o, "households",
		(double)huce_local_count(c->l, "SELECT count(*) FROM household WHERE deleted = 0"));
	cJSON_AddNumberToObject(o, "inspections",
		(double)huce_local_count(c->l, "SELECT count(*) FROM inspection WHERE deleted = 0"));
	cJSON_AddNumberToObject(o, "photos_not_uploaded",
		(double)huce_local_count(c->l, "SELECT count(*) FROM photo_file WHERE uploaded = 0"));
	clock = huce_clock_status(c->l);
	cJSON_AddItemToObject(o, "clock", clock ? clock : cJSON_CreateNull());
	stick = huce_stick_status(c->l);
	cJSON_AddItemToObject(o, "stick", stick ? stick : cJSON_CreateNull());
	q = cJSON_AddArrayToObject(o, "quarantine");
	st = huce_db_query(c->l->db, &c->err,
		"SELECT seq, kind, record_id, reason, fields FROM outbox "
		"WHERE state = 'quarantined' ORDER BY seq LIMIT 100", "");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON *fields = cJSON_Parse((const char *)sqlite3_column_text(st, 4));
		char *name;

		cJSON_AddNumberToObject(e, "seq", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(e, "record", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "reason", sqlite3_column_text(st, 3) ?
					(const char *)sqlite3_column_text(st, 3) : "");
		name = cli_record_name(c, cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")),
				       cJSON_GetStringValue(cJSON_GetObjectItem(e, "record")),
				       fields);
		cJSON_AddStringToObject(e, "name", name ? name : "");
		free(name);
		/* The text below names the record again, in the user's language. */
		if (json)
			cJSON_Delete(fields);
		else
			cJSON_AddItemToObject(e, "fields", fields);
		cJSON_AddItemToArray(q, e);
	}
	if (st)
		sqlite3_reset(st);
	if (json) {
		cli_print_json(o);
	} else {
		const cJSON *e;

		huce_i18n_label(_("device"), 12);
		printf("%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(o, "device")));
		huce_i18n_label(_("database"), 12);
		printf("%s\n", c->db_path);
		huce_i18n_label(_("central"), 12);
		printf("%s\n", cJSON_IsString(cJSON_GetObjectItem(o, "central")) ?
		       cJSON_GetObjectItem(o, "central")->valuestring : _("(not enrolled)"));
		huce_i18n_label(_("households"), 12);
		printf("%lld\n", (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "households")));
		huce_i18n_label(_("inspections"), 12);
		printf("%lld\n", (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "inspections")));
		huce_i18n_label(_("pending"), 12);
		printf("%lld\n", (long long)pending);
		huce_i18n_label(_("quarantined"), 12);
		printf("%lld\n", (long long)quarantined);
		cJSON_ArrayForEach(e, q) {
			const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind"));
			char *name = cli_record_text(c, kind,
				cJSON_GetStringValue(cJSON_GetObjectItem(e, "record")),
				cJSON_GetObjectItem(e, "fields"));

			printf("  seq %lld %s %s: %s\n",
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq")),
			       huce_kind_text(kind), name ? name :
			       cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(e, "reason")));
			free(name);
		}
		if (quarantined)
			printf(_("  (`huce quarantine` to drop or retry them)\n"));
		huce_i18n_label(_("last sync"), 12);
		printf("%s\n", cJSON_IsString(cJSON_GetObjectItem(o, "last_sync")) ?
		       cJSON_GetObjectItem(o, "last_sync")->valuestring : _("never"));
		huce_i18n_label(_("conflicts"), 12);
		printf("%lld\n", (long long)conflicts);
		/* A laptop that uses the stick, or has no other way. */
		if (cJSON_IsNumber(cJSON_GetObjectItem(stick, "last_export")) ||
		    (cJSON_IsTrue(cJSON_GetObjectItem(stick, "enrolled")) &&
		     !cJSON_IsString(cJSON_GetObjectItem(o, "central"))))
			stick_print(stick);
		cli_clock_print(cJSON_IsObject(clock) ? clock : NULL);
	}
	cJSON_Delete(o);
	return 0;
}

static const char report_usage[] =
N_("usage: huce report week [--week YYYY-Www] [--json]\n"
"The weekly list (周清单) per village, counted as of the end of the week\n"
"(its Sunday) from the records' own dates, ranked by accepted (equal\n"
"villages share a rank).  As of Sunday: households, built, accepted,\n"
"open_rectifications; that week's events, each household once:\n"
"inspected, passed, failed (by its last deciding inspection of the week),\n"
"entered_same_week (not known on a laptop: null; ask the central);\n"
"conflicts: open ones now; review_approved, review_has_issues,\n"
"review_edited: the office's review (信息审核) as pulled, now.  Same numbers\n"
"as `huce-syncd admin report week` after a sync (README, \"The weekly\n"
"list\").\n"
"JSON: {\"week\": W, \"from\", \"to\", \"conflicts\", \"stale_days\", \"villages\":\n"
"[{village, village_id, target, households, built, inspected, passed,\n"
"failed, accepted, open_rectifications, entered_same_week, conflicts,\n"
"review_approved, review_has_issues, review_edited, rank,\n"
"started, newly_accepted, first_pass_rate, rectifications_opened/overdue/\n"
"closed, teams_blocked, missing_photos (null here), stale, rechecks,\n"
"mismatches, failures, ...}], \"town\", \"late\", \"blocked_teams\"} (README).\n");

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The failed item codes (a JSON array) of the inspection added last. */
static void add_failed(struct huce_report *r, const char *json)
{
	cJSON *a = json ? cJSON_Parse(json) : NULL;
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e))
			huce_report_inspection_failed(r, e->valuestring);
	cJSON_Delete(a);
}

/* client.h: the same facts the central loads from its store. */
enum huce_err cli_report_load(struct cli *c, struct huce_report *r,
			      const char *week)
{
	static const char *const sql[] = {
		"SELECT id, name FROM village WHERE deleted = 0",
		"SELECT village_id, week, n FROM target WHERE deleted = 0 AND week = ?1",
		"SELECT id, village_id, started, finished,"
		" deleted = 0 AND coalesce(merged_into, '') = '',"
		" head, team_id, cadre_id, type FROM household",
		"SELECT id, household_id, date, stage, result,"
		" deleted = 0 AND coalesce(voided, '') = '', failed FROM inspection",
		"SELECT id, household_id, inspection_id, status, closed_by, deleted = 0,"
		" deadline FROM rectification",
		"SELECT id, name FROM team WHERE deleted = 0",
		"SELECT id, name FROM cadre WHERE deleted = 0",
		"SELECT household, state FROM review WHERE deleted = 0",
		/* photos_lacking: the kinds each inspection carries */
		"SELECT id, owner_id, kind FROM photo WHERE deleted = 0",
		/* a photo's conflict is its owner's */
		"SELECT coalesce((SELECT p.owner_id FROM photo p WHERE p.id = c.record),"
		" c.record) FROM conflict c WHERE c.deleted = 0 AND c.status = 'open'",
	};

	for (size_t k = 0; k < sizeof(sql) / sizeof(sql[0]); k++) {
		sqlite3_stmt *st = k == 1
			? huce_db_query(c->l->db, &c->err, sql[k], "s", week)
			: huce_db_query(c->l->db, &c->err, sql[k], "");
		int s;

		if (!st)
			return c->err.code;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			switch (k) {
			case 0:
				huce_report_add_village(r, col(st, 0), col(st, 1));
				break;
			case 1:
				huce_report_add_target(r, col(st, 0), col(st, 1),
						       sqlite3_column_int64(st, 2));
				break;
			case 2:
				huce_report_add_household(r, col(st, 0), col(st, 1),
							  col(st, 2), col(st, 3),
							  sqlite3_column_int(st, 4));
				huce_report_household_details(r, col(st, 5), col(st, 6),
							      col(st, 7));
				huce_report_household_type(r, col(st, 8));
				break;
			case 3:
				huce_report_add_inspection(r, col(st, 0), col(st, 1),
							   col(st, 2), col(st, 3),
							   col(st, 4),
							   sqlite3_column_int(st, 5), 0);
				add_failed(r, col(st, 6));
				break;
			case 4:
				huce_report_add_rectification(r, col(st, 0), col(st, 1),
							      col(st, 2), col(st, 3),
							      col(st, 4),
							      sqlite3_column_int(st, 5));
				huce_report_rectification_deadline(r, col(st, 6));
				break;
			case 5:
				huce_report_add_team(r, col(st, 0), col(st, 1));
				break;
			case 6:
				huce_report_add_cadre(r, col(st, 0), col(st, 1));
				break;
			case 7:
				huce_report_add_review(r, col(st, 0), col(st, 1));
				break;
			case 8:
				/* bytes at the central: not known here */
				huce_report_add_photo(r, col(st, 0), col(st, 1), 0, 1);
				huce_report_photo_kind(r, col(st, 2));
				break;
			default:
				huce_report_add_conflict(r, col(st, 0));
				break;
			}
		}
		sqlite3_reset(st);
		if (s != SQLITE_DONE)
			return huce_fail(&c->err, HUCE_EDB, _("cannot read the facts "
					 "of the weekly list: %s"),
					 sqlite3_errmsg(sqlite3_db_handle(st)));
	}
	return HUCE_OK;
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "week", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_report *rep = NULL;
	struct huce_checklists *cl = NULL;
	struct huce_buf out = HUCE_BUF_INIT((size_t)64 << 20);
	const char *week = NULL;
	char thisweek[9];
	enum huce_err rc;
	int json = 0, ch, r, y, w;

	if (argc < 2 || strcmp(argv[1], "week") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(_(report_usage), stdout);
			return 0;
		}
		return cli_usage(report_usage, _("expected `report week`"));
	}
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, report_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'w')
			week = optarg;
	}
	if (optind != argc)
		return cli_usage(report_usage, _("unexpected argument '%s'"), argv[optind]);
	if (!week) {
		huce_this_week(thisweek);
		week = thisweek;
	}
	if (huce_parse_week(week, &y, &w))
		return cli_error(HUCE_EINVAL, _("week '%s' is not an ISO week like 2026-W48"), week);
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_report_new(&rep, week, &c->err);
	/* photos_lacking is counted by the checklists inspections are graded by */
	if (!rc)
		rc = huce_checklists_load(&cl, c->checklists_dir, &c->err);
	if (!rc) {
		huce_report_set_checklists(rep, cl);
		rc = cli_report_load(c, rep, week);
	}
	if (!rc)
		rc = huce_report_compute(rep, &c->err);
	if (!rc && json) {
		cJSON *o = huce_report_json(rep);

		if (o)
			cli_print_json(o);
		else
			rc = huce_fail(&c->err, HUCE_ENOMEM, _("out of memory"));
		cJSON_Delete(o);
	} else if (!rc) {
		rc = huce_report_text(rep, &out);
		if (rc)
			huce_fail(&c->err, rc, _("cannot build the weekly list"));
		else
			fwrite(out.data, 1, out.len, stdout);
	}
	huce_buf_release(&out);
	huce_report_free(rep);
	huce_checklists_free(cl);
	return rc ? cli_fail(c, rc) : 0;
}

static const char conflicts_usage[] =
N_("usage: huce conflicts [--all] [--json]\n"
"Conflicts the central found and sent to this laptop (open ones unless\n"
"--all).  The town office resolves them; the resolution arrives by sync.\n"
"JSON: array of {id, kind, record, field, values: [{value, device, hlc}],\n"
"status, resolution}.\n");

/*
 * Conflict o named for a person, as the central's `admin conflicts` does:
 * "code", "name" (its record's label) and, per value, "label" and, when
 * the value is a record this laptop has, "candidate".
 */
static void conflict_names(struct cli *c, cJSON *o)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
	const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(o, "record"));
	char code[HUCE_CODE_STRLEN + 1], label[512];
	cJSON *v, *d;

	if (huce_code_of(huce_db_handle(c->l->db), "conflict", id, code, NULL))
		snprintf(code, sizeof(code), "%.12s", id);
	cJSON_AddStringToObject(o, "code", code);
	d = rec ? huce_local_describe(c->l, rec) : NULL;
	if (!d && rec) {
		cJSON *r = huce_local_get(c->l, cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind")),
					  rec, NULL);
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(r, "name"));

		snprintf(label, sizeof(label), "%s", n ? n : rec);
		cJSON_Delete(r);
	} else {
		snprintf(label, sizeof(label), "%s", d ?
			 cJSON_GetStringValue(cJSON_GetObjectItem(d, "label")) : "-");
	}
	cJSON_Delete(d);
	cJSON_AddStringToObject(o, "name", label);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "values")) {
		const cJSON *val = cJSON_GetObjectItem(v, "value");
		const char *sv = cJSON_GetStringValue(val);
		cJSON *cand = sv && huce_id_valid(sv) ? huce_local_describe(c->l, sv) : NULL;
		char *text = NULL;

		if (cand) {
			cJSON_AddStringToObject(v, "label", cJSON_GetStringValue(
				cJSON_GetObjectItem(cand, "label")));
			cJSON_AddItemToObject(v, "candidate", cand);
			continue;
		}
		text = sv ? NULL : cJSON_PrintUnformatted(val);
		cJSON_AddStringToObject(v, "label", sv ? sv : text ? text : "null");
		free(text);
	}
}

int cmd_conflicts(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3_stmt *st;
	cJSON *arr;
	int json = 0, all = 0, ch, r, s;

	while ((ch = cli_getopt(argc, argv, opts, &json, conflicts_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'a')
			all = 1;
	}
	if (optind != argc)
		return cli_usage(conflicts_usage, _("unexpected argument '%s'"), argv[optind]);
	r = cli_open(c);
	if (r)
		return r;
	st = huce_db_query(c->l->db, &c->err,
		"SELECT id, kind, record, field, vals, status, resolution FROM conflict "
		"WHERE deleted = 0 AND (?1 OR status = 'open') ORDER BY id", "i", (int64_t)all);
	if (!st)
		return cli_fail(c, c->err.code);
	arr = cJSON_CreateArray();
	if (!json)
		printf(_("code\tkind\tname\tfield\tstatus\tid\trecord\n"));
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON *vals = cJSON_Parse((const char *)sqlite3_column_text(st, 4));

		cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(o, "kind", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(o, "record", (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_text(st, 3))
			cJSON_AddStringToObject(o, "field", (const char *)sqlite3_column_text(st, 3));
		else
			cJSON_AddNullToObject(o, "field");
		cJSON_AddItemToObject(o, "values", vals ? vals : cJSON_CreateArray());
		conflict_names(c, o);
		cJSON_AddStringToObject(o, "status", (const char *)sqlite3_column_text(st, 5));
		if (sqlite3_column_text(st, 6))
			cJSON_AddStringToObject(o, "resolution", (const char *)sqlite3_column_text(st, 6));
		else
			cJSON_AddNullToObject(o, "resolution");
		if (!json) {
			const cJSON *v;
			int i = 0;

			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "code")),
			       huce_value_text("conflict", (const char *)sqlite3_column_text(st, 1)),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
			       sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "-",
			       huce_value_text("conflict status", (const char *)sqlite3_column_text(st, 5)),
			       sqlite3_column_text(st, 0),
			       sqlite3_column_text(st, 2));
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "values")) {
				const cJSON *cd = cJSON_GetObjectItem(v, "candidate");
				const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(cd, "id_masked"));

				printf("  %d. %s", ++i,
				       cJSON_GetStringValue(cJSON_GetObjectItem(v, "label")));
				if (m)
				{
					int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cd, "inspections"));

					printf(_(", ID %s, %d inspections"), m, n);
				}
				m = cJSON_GetStringValue(cJSON_GetObjectItem(v, "device"));
				printf("  (%s)\n", m ? m : "?");
			}
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
		return cli_error(HUCE_EDB, _("cannot list conflicts"));
	return 0;
}
