/*
 * cmd_report.c - what a cadre looks at: status, the weekly list (周清单)
 * and the conflicts the central has told this laptop about.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "huce_clock.h"
#include "huce_util.h"

static const char status_usage[] =
"usage: huce status [--json]\n"
"This laptop: device, pending (outbox entries not yet acknowledged by the\n"
"central), quarantined (refused by the central, with reasons), last_sync,\n"
"conflicts (open, as last pulled), clock (this laptop's against the\n"
"central's at the last sync, and dates to confirm), and counts.\n";

static cJSON *meta_json(struct cli *c, const char *key)
{
	char *v = huce_db_meta_get(c->l->db, key);
	cJSON *j = v ? cJSON_CreateString(v) : cJSON_CreateNull();

	free(v);
	return j;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	sqlite3_stmt *st;
	cJSON *o, *q, *clock;
	int json = 0, ch, r;
	int64_t pending, quarantined, conflicts;

	while ((ch = cli_getopt(argc, argv, NULL, &json, status_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind != argc)
		return cli_usage(status_usage, "unexpected argument '%s'", argv[optind]);
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
	q = cJSON_AddArrayToObject(o, "quarantine");
	st = huce_db_query(c->l->db, &c->err,
		"SELECT seq, kind, record_id, reason FROM outbox WHERE state = 'quarantined' "
		"ORDER BY seq LIMIT 100", "");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddNumberToObject(e, "seq", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(e, "record", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "reason", sqlite3_column_text(st, 3) ?
					(const char *)sqlite3_column_text(st, 3) : "");
		cJSON_AddItemToArray(q, e);
	}
	if (st)
		sqlite3_reset(st);
	if (json) {
		cli_print_json(o);
	} else {
		const cJSON *e;

		printf("device       %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(o, "device")));
		printf("database     %s\n", c->db_path);
		printf("central      %s\n", cJSON_IsString(cJSON_GetObjectItem(o, "central")) ?
		       cJSON_GetObjectItem(o, "central")->valuestring : "(not enrolled)");
		printf("households   %lld\n", (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "households")));
		printf("inspections  %lld\n", (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "inspections")));
		printf("pending      %lld\n", (long long)pending);
		printf("quarantined  %lld\n", (long long)quarantined);
		cJSON_ArrayForEach(e, q)
			printf("  seq %lld %s %s: %s\n",
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(e, "record")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(e, "reason")));
		printf("last sync    %s\n", cJSON_IsString(cJSON_GetObjectItem(o, "last_sync")) ?
		       cJSON_GetObjectItem(o, "last_sync")->valuestring : "never");
		printf("conflicts    %lld\n", (long long)conflicts);
		cli_clock_print(cJSON_IsObject(clock) ? clock : NULL);
	}
	cJSON_Delete(o);
	return 0;
}

static const char report_usage[] =
"usage: huce report week [--week YYYY-Www] [--json]\n"
"The weekly list (周清单) per village, ranked by toilets that passed:\n"
"target, households, built, inspected, passed, failed (households with an\n"
"inspection that week), accepted (to date), open rectifications.\n"
"JSON: {\"week\": W, \"villages\": [{village, target, households, built,\n"
"inspected, passed, failed, accepted, open_rectifications, rank}]}.\n";

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "week", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = {
		"village", "target", "households", "built", "inspected", "passed",
		"failed", "accepted", "open_rectifications",
	};
	const char *week = NULL;
	char thisweek[9];
	sqlite3_stmt *st;
	cJSON *o, *arr;
	int json = 0, ch, r, s, y, w, rank = 0;

	if (argc < 2 || strcmp(argv[1], "week") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(report_usage, stdout);
			return 0;
		}
		return cli_usage(report_usage, "expected `report week`");
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
		return cli_usage(report_usage, "unexpected argument '%s'", argv[optind]);
	if (!week) {
		huce_this_week(thisweek);
		week = thisweek;
	}
	if (huce_parse_week(week, &y, &w))
		return cli_error(HUCE_EINVAL, "week '%s' is not an ISO week like 2026-W48", week);
	r = cli_open(c);
	if (r)
		return r;
	st = huce_db_query(c->l->db, &c->err,
		"SELECT v.name,"
		" (SELECT coalesce(sum(n), 0) FROM target t WHERE t.village_id = v.id AND t.week = ?1 AND t.deleted = 0),"
		" (SELECT count(*) FROM household h WHERE h.village_id = v.id AND h.deleted = 0),"
		" (SELECT count(*) FROM household h WHERE h.village_id = v.id AND h.deleted = 0"
		"   AND h.status IN ('built', 'accepted', 'failed', 'rectifying')),"
		" (SELECT count(DISTINCT i.household_id) FROM inspection i JOIN household h ON h.id = i.household_id"
		"   WHERE h.village_id = v.id AND i.week = ?1 AND i.deleted = 0 AND h.deleted = 0),"
		" (SELECT count(DISTINCT i.household_id) FROM inspection i JOIN household h ON h.id = i.household_id"
		"   WHERE h.village_id = v.id AND i.week = ?1 AND i.deleted = 0 AND h.deleted = 0 AND i.result = 'pass'),"
		" (SELECT count(DISTINCT i.household_id) FROM inspection i JOIN household h ON h.id = i.household_id"
		"   WHERE h.village_id = v.id AND i.week = ?1 AND i.deleted = 0 AND h.deleted = 0 AND i.result = 'fail'),"
		" (SELECT count(*) FROM household h WHERE h.village_id = v.id AND h.deleted = 0 AND h.status = 'accepted'),"
		" (SELECT count(*) FROM rectification r JOIN household h ON h.id = r.household_id"
		"   WHERE h.village_id = v.id AND r.status = 'open' AND r.deleted = 0 AND h.deleted = 0) AS open_r "
		"FROM village v WHERE v.deleted = 0 ORDER BY 6 DESC, 9 ASC, v.name",
		"s", week);
	if (!st)
		return cli_fail(c, c->err.code);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "week", week);
	arr = cJSON_AddArrayToObject(o, "villages");
	if (!json) {
		printf("周清单 week %s\n", week);
		printf("rank\tvillage\ttarget\thouseholds\tbuilt\tinspected\tpassed\tfailed\taccepted\topen_rect\n");
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *row = cJSON_CreateObject();

		rank++;
		cJSON_AddStringToObject(row, "village", (const char *)sqlite3_column_text(st, 0));
		for (int i = 1; i < 9; i++)
			cJSON_AddNumberToObject(row, keys[i], (double)sqlite3_column_int64(st, i));
		cJSON_AddNumberToObject(row, "rank", rank);
		if (!json) {
			printf("%d\t%s", rank, sqlite3_column_text(st, 0));
			for (int i = 1; i < 9; i++)
				printf("\t%lld", (long long)sqlite3_column_int64(st, i));
			putchar('\n');
		}
		cJSON_AddItemToArray(arr, row);
	}
	sqlite3_reset(st);
	if (json)
		cli_print_json(o);
	cJSON_Delete(o);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, "cannot build the weekly list");
	return 0;
}

static const char conflicts_usage[] =
"usage: huce conflicts [--all] [--json]\n"
"Conflicts the central found and sent to this laptop (open ones unless\n"
"--all).  The town office resolves them; the resolution arrives by sync.\n"
"JSON: array of {id, kind, record, field, values: [{value, device, hlc}],\n"
"status, resolution}.\n";

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
		return cli_usage(conflicts_usage, "unexpected argument '%s'", argv[optind]);
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
		printf("id\tkind\trecord\tfield\tstatus\tvalues\n");
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
		cJSON_AddStringToObject(o, "status", (const char *)sqlite3_column_text(st, 5));
		if (sqlite3_column_text(st, 6))
			cJSON_AddStringToObject(o, "resolution", (const char *)sqlite3_column_text(st, 6));
		else
			cJSON_AddNullToObject(o, "resolution");
		if (!json) {
			char *v = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "values"));

			printf("%s\t%s\t%s\t%s\t%s\t%s\n", sqlite3_column_text(st, 0),
			       sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			       sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "-",
			       sqlite3_column_text(st, 5), v ? v : "");
			free(v);
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
		return cli_error(HUCE_EDB, "cannot list conflicts");
	return 0;
}
