/*
 * cmd_basic.c - init, and the named things: villages, groups, cadres,
 * construction teams and weekly targets.
 *
 * Named things get name-derived ids (huce_id.h), so the same village
 * added on two laptops offline is one record after sync.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "huce_code.h"
#include "huce_domain.h"
#include "huce_domain_local.h"
#include "huce_hlc.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_util.h"

/* Names: villages, groups, cadres, teams. */
#define NAME_MAX_BYTES 128

int cli_resolve(struct cli *c, const char *kind, const char *parent_id,
		const char *name_or_id, char *out)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	char sql[256];
	sqlite3_stmt *st = NULL;
	int found = 0, s;

	if (!name_or_id || !*name_or_id)
		return cli_error(HUCE_EINVAL, "%s name is empty", kind);
	if (huce_id_valid(name_or_id)) {
		snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE id = ?1 AND deleted = 0",
			 k->table);
	} else if (parent_id) {
		snprintf(sql, sizeof(sql),
			 "SELECT id FROM %s WHERE name = ?1 AND deleted = 0 AND village_id = ?2",
			 k->table);
	} else {
		snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE name = ?1 AND deleted = 0",
			 k->table);
	}
	if (sqlite3_prepare_v2(huce_db_handle(c->l->db), sql, -1, &st, NULL)) {
		huce_db_fail(c->l->db, &c->err, "cannot look up");
		return cli_fail(c, c->err.code);
	}
	sqlite3_bind_text(st, 1, name_or_id, -1, SQLITE_STATIC);
	if (parent_id && !huce_id_valid(name_or_id))
		sqlite3_bind_text(st, 2, parent_id, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (found++ == 0)
			snprintf(out, HUCE_ID_STRLEN + 1, "%s",
				 (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, "cannot look up %s", kind);
	if (found == 0)
		return cli_error(HUCE_ENOTFOUND, "%s '%s' not found", kind, name_or_id);
	if (found > 1)
		return cli_error(HUCE_EINVAL,
				 "%s name '%s' is ambiguous: give its village (--village) or its id",
				 kind, name_or_id);
	return 0;
}

static int resolve_id(struct cli *c, const char *kind, const char *prefix,
		      char *out, int quiet);

int cli_resolve_id(struct cli *c, const char *kind, const char *prefix,
		   char *out)
{
	return resolve_id(c, kind, prefix, out, 0);
}

int cli_find_id(struct cli *c, const char *kind, const char *prefix, char *out)
{
	return resolve_id(c, kind, prefix, out, 1);
}

/*
 * quiet: report "not found" by the exit code only (4), without a message.
 * What was typed may be the id, its short code (huce_code.h), a unique
 * tail or a unique prefix.
 */
static int resolve_id(struct cli *c, const char *kind, const char *prefix,
		      char *out, int quiet)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	struct huce_error err = { 0 };
	enum huce_err rc;

	if (!*prefix && !quiet)
		return cli_error(HUCE_EINVAL, "%s: an empty id", kind);
	rc = huce_code_resolve(huce_db_handle(c->l->db), k->table, prefix, out, &err);
	if (!rc)
		return 0;
	if (quiet && rc == HUCE_ENOTFOUND)
		return huce_err_exit(HUCE_ENOTFOUND);
	if (rc == HUCE_ENOTFOUND)
		return cli_error(rc, "%s '%.40s' not found (give the code shown by "
				 "`huce %s list`, or its id)", kind, prefix,
				 strcmp(kind, "inspection") == 0 ? "household" : kind);
	if (rc == HUCE_EINVAL)
		return cli_error(rc, "%s id prefix '%.40s' is ambiguous: %s", kind,
				 prefix, err.msg);
	return cli_error(rc, "%s", err.msg);
}

static const char init_usage[] =
"usage: huce init --device NAME [--town NAME]\n"
"Create the local database for this laptop.  NAME identifies the laptop\n"
"(e.g. the cadre's name or an asset tag); the device id is printed last.\n";

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "town", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL, *town = NULL;
	char id[HUCE_ID_STRLEN + 1];
	char *have;
	enum huce_err rc;
	int ch;

	while ((ch = cli_getopt(argc, argv, opts, NULL, init_usage)) != -1) {
		if (ch == 'd')
			device = optarg;
		else if (ch == 't')
			town = optarg;
		else if (ch == 1 || ch == '?')
			return ch == '?' ? 2 : cli_usage(init_usage, "unexpected argument '%s'", optarg);
	}
	if (optind < argc)
		return cli_usage(init_usage, "unexpected argument '%s'", argv[optind]);
	if (!device)
		return cli_usage(init_usage, "--device NAME is required");
	if (huce_text_check(device, "device name", 64, 0, &c->err) ||
	    (town && huce_text_check(town, "town name", NAME_MAX_BYTES, 0, &c->err)))
		return cli_fail(c, HUCE_EINVAL);
	rc = huce_local_open(&c->l, c->db_path, &c->err);
	if (rc)
		return cli_fail(c, rc);
	have = huce_db_meta_get(c->l->db, "device");
	if (have) {
		int r = cli_error(HUCE_EINVAL, "database '%s' is already initialised for device '%s'",
				  c->db_path, have);

		free(have);
		return r;
	}
	rc = huce_local_begin(c->l, &c->err);
	if (rc)
		return cli_fail(c, rc);
	rc = huce_local_new_id(c->l, id);
	if (!rc)
		rc = huce_db_meta_set(c->l->db, "device", device, &c->err);
	if (!rc)
		rc = huce_db_meta_set(c->l->db, "device_id", id, &c->err);
	if (!rc && town)
		rc = huce_db_meta_set(c->l->db, "town", town, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf("initialised device %s in %s\n%s\n", device, c->db_path, id);
	return 0;
}

/*
 * Create a named record: validate, derive its id, refuse a duplicate
 * name, write it with its outbox row, print the id.
 */
static int add_named(struct cli *c, const char *kind, const char *parent_id,
		     cJSON *fields)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "name"));
	char id[HUCE_ID_STRLEN + 1];
	cJSON *cur;
	enum huce_err rc;

	huce_id_named(kind, parent_id, name, id);
	rc = huce_local_begin(c->l, &c->err);
	if (rc)
		return cli_fail(c, rc);
	cur = huce_local_get(c->l, kind, id, NULL);
	if (cur && cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "deleted")) == 0) {
		cJSON_Delete(cur);
		huce_local_rollback(c->l);
		return cli_error(HUCE_EINVAL, "%s '%s' already exists (id %s)", kind, name, id);
	}
	cJSON_Delete(cur);
	rc = huce_local_put(c->l, kind, id, fields, 1, NULL, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf("added %s %s\n%s\n", kind, name, id);
	return 0;
}

/* Run a listing query and print rows as JSON or as a table. */
static int list_rows(struct cli *c, int json, const char *sql,
		     const char *parent, const char *const *cols,
		     const char *const *headers)
{
	sqlite3_stmt *st = NULL;
	cJSON *arr = cJSON_CreateArray();
	int s, ncol = 0;

	while (cols[ncol])
		ncol++;
	if (!arr || sqlite3_prepare_v2(huce_db_handle(c->l->db), sql, -1, &st, NULL)) {
		cJSON_Delete(arr);
		return cli_error(HUCE_EDB, "cannot list: %s",
				 sqlite3_errmsg(huce_db_handle(c->l->db)));
	}
	if (parent)
		sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
	if (!json) {
		for (int i = 0; i < ncol; i++)
			printf("%s%s", i ? "\t" : "", headers[i]);
		putchar('\n');
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		for (int i = 0; i < ncol; i++) {
			int t = sqlite3_column_type(st, i);
			const char *txt = (const char *)sqlite3_column_text(st, i);

			if (!json) {
				printf("%s%s", i ? "\t" : "", txt ? txt : "-");
				continue;
			}
			if (t == SQLITE_NULL)
				cJSON_AddNullToObject(o, cols[i]);
			else if (t == SQLITE_INTEGER)
				cJSON_AddNumberToObject(o, cols[i],
							(double)sqlite3_column_int64(st, i));
			else
				cJSON_AddStringToObject(o, cols[i], txt);
		}
		if (json)
			cJSON_AddItemToArray(arr, o);
		else {
			cJSON_Delete(o);
			putchar('\n');
		}
	}
	sqlite3_finalize(st);
	if (json)
		cli_print_json(arr);
	cJSON_Delete(arr);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, "cannot list");
	return 0;
}

/* The "add NAME | list" pattern of villages, cadres and teams. */
static int subcommand(int argc, char **argv, const char *usage, const char **sub)
{
	if (argc < 2)
		return cli_usage(usage, "missing subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return -1;
	}
	*sub = argv[1];
	return 0;
}

static const char village_usage[] =
"usage: huce village add NAME\n"
"       huce village list [--json]\n"
"Village committees (村委会).  JSON keys: id, name, town, households, version.\n";

int cmd_village(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "id", "name", "town", "households", "version", NULL };
	static const char *const hdr[] = { "id", "name", "town", "households", "version", NULL };
	const char *sub = NULL;
	int json = 0, ch, r;

	r = subcommand(argc, argv, village_usage, &sub);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, NULL, &json, village_usage)) != -1)
		if (ch == '?')
			return 2;
	if (strcmp(sub, "add") == 0) {
		cJSON *f;
		char *town;

		if (json || optind + 1 != argc)
			return cli_usage(village_usage, "village add takes one NAME");
		if (huce_text_check(argv[optind], "village name", NAME_MAX_BYTES, 0, &c->err))
			return cli_fail(c, HUCE_EINVAL);
		r = cli_open(c);
		if (r)
			return r;
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", argv[optind]);
		town = huce_db_meta_get(c->l->db, "town");
		if (town)
			cJSON_AddStringToObject(f, "town", town);
		free(town);
		r = add_named(c, "village", NULL, f);
		cJSON_Delete(f);
		return r;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage(village_usage, "village list takes no arguments");
		r = cli_open(c);
		if (r)
			return r;
		return list_rows(c, json,
			"SELECT v.id, v.name, v.town, "
			"(SELECT count(*) FROM household h WHERE h.village_id = v.id AND h.deleted = 0), "
			"v.version FROM village v WHERE v.deleted = 0 ORDER BY v.name, v.id",
			NULL, cols, hdr);
	}
	return cli_usage(village_usage, "unknown subcommand 'village %s'", sub);
}

static const char group_usage[] =
"usage: huce group add --village V NAME\n"
"       huce group list [--village V] [--json]\n"
"Village groups (村民小组), named uniquely within their village.\n"
"JSON keys: id, village, village_id, name, households, version.\n";

int cmd_group(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "id", "village", "village_id", "name", "households", "version", NULL };
	const char *sub = NULL, *village = NULL;
	char vid[HUCE_ID_STRLEN + 1];
	int json = 0, ch, r;

	r = subcommand(argc, argv, group_usage, &sub);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, group_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'v')
			village = optarg;
	}
	if (strcmp(sub, "add") == 0) {
		if (json || optind + 1 != argc)
			return cli_usage(group_usage, "group add takes one NAME");
		if (!village)
			return cli_usage(group_usage, "--village V is required");
		if (huce_text_check(argv[optind], "group name", NAME_MAX_BYTES, 0, &c->err))
			return cli_fail(c, HUCE_EINVAL);
	} else if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage(group_usage, "group list takes no arguments");
	} else {
		return cli_usage(group_usage, "unknown subcommand 'group %s'", sub);
	}
	r = cli_open(c);
	if (r)
		return r;
	if (village) {
		r = cli_resolve(c, "village", NULL, village, vid);
		if (r)
			return r;
	}
	if (strcmp(sub, "add") == 0) {
		cJSON *f;

		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "village_id", vid);
		cJSON_AddStringToObject(f, "name", argv[optind]);
		r = add_named(c, "group", vid, f);
		cJSON_Delete(f);
		return r;
	}
	{
		return list_rows(c, json, village ?
			"SELECT g.id, v.name, g.village_id, g.name, "
			"(SELECT count(*) FROM household h WHERE h.group_id = g.id AND h.deleted = 0), "
			"g.version FROM village_group g LEFT JOIN village v ON v.id = g.village_id "
			"WHERE g.deleted = 0 AND g.village_id = ?1 ORDER BY v.name, g.name, g.id" :
			"SELECT g.id, v.name, g.village_id, g.name, "
			"(SELECT count(*) FROM household h WHERE h.group_id = g.id AND h.deleted = 0), "
			"g.version FROM village_group g LEFT JOIN village v ON v.id = g.village_id "
			"WHERE g.deleted = 0 ORDER BY v.name, g.name, g.id",
			village ? vid : NULL, cols, cols);
	}
}

static const char cadre_usage[] =
"usage: huce cadre add NAME --role ROLE [--phone P]\n"
"       (P: an 11-digit mobile, or a landline with its area code)\n"
"       huce cadre list [--json]\n"
"Cadres (干部).  ROLE: village-lead 包村领导, liaison 挂包干部, technician\n"
"技术指导员, inspector 验收组, data-entry 录入组, office 镇办 (code or Chinese).\n"
"JSON keys: id, name, role, households, version.\n";

int cmd_cadre(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "phone", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "id", "name", "role", "households", "version", NULL };
	const char *sub = NULL, *role = NULL, *phone = NULL;
	int json = 0, ch, r;

	r = subcommand(argc, argv, cadre_usage, &sub);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, cadre_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'r')
			role = optarg;
		else if (ch == 'p')
			phone = optarg;
	}
	if (strcmp(sub, "add") == 0) {
		const char *code;
		char canon[32];
		cJSON *f;

		if (json || optind + 1 != argc)
			return cli_usage(cadre_usage, "cadre add takes one NAME");
		if (!role)
			return cli_usage(cadre_usage, "--role ROLE is required");
		code = huce_role_code(role);
		if (!code)
			return cli_error(HUCE_EINVAL,
					 "role '%s' is not one of: village-lead, liaison, technician, inspector, data-entry, office",
					 role);
		if (huce_text_check(argv[optind], "cadre name", NAME_MAX_BYTES, 0, &c->err) ||
		    (phone && huce_phone_check(phone, canon, sizeof(canon), &c->err)))
			return cli_fail(c, HUCE_EINVAL);
		r = cli_open(c);
		if (r)
			return r;
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", argv[optind]);
		cJSON_AddStringToObject(f, "role", code);
		if (phone)
			cJSON_AddStringToObject(f, "phone", canon);
		r = add_named(c, "cadre", NULL, f);
		cJSON_Delete(f);
		return r;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage(cadre_usage, "cadre list takes no arguments");
		r = cli_open(c);
		if (r)
			return r;
		return list_rows(c, json,
			"SELECT c.id, c.name, c.role, "
			"(SELECT count(*) FROM household h WHERE h.cadre_id = c.id AND h.deleted = 0), "
			"c.version FROM cadre c WHERE c.deleted = 0 ORDER BY c.name, c.id",
			NULL, cols, cols);
	}
	return cli_usage(cadre_usage, "unknown subcommand 'cadre %s'", sub);
}

static const char team_usage[] =
"usage: huce team add NAME [--leader NAME]\n"
"       huce team list [--json]\n"
"Construction teams (施工队).  Until a team's first toilet is accepted\n"
"(首厕过关) it may not be given a second household.\n"
"JSON keys: id, name, leader, households, accepted, gate (open|closed), version.\n";

int cmd_team(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "leader", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "id", "name", "leader", "households", "accepted", "gate", "version", NULL };
	const char *sub = NULL, *leader = NULL;
	int json = 0, ch, r;

	r = subcommand(argc, argv, team_usage, &sub);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, team_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'l')
			leader = optarg;
	}
	if (strcmp(sub, "add") == 0) {
		cJSON *f;

		if (json || optind + 1 != argc)
			return cli_usage(team_usage, "team add takes one NAME");
		if (huce_text_check(argv[optind], "team name", NAME_MAX_BYTES, 0, &c->err) ||
		    (leader && huce_text_check(leader, "leader name", NAME_MAX_BYTES, 0, &c->err)))
			return cli_fail(c, HUCE_EINVAL);
		r = cli_open(c);
		if (r)
			return r;
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", argv[optind]);
		if (leader)
			cJSON_AddStringToObject(f, "leader", leader);
		r = add_named(c, "team", NULL, f);
		cJSON_Delete(f);
		return r;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage(team_usage, "team list takes no arguments");
		r = cli_open(c);
		if (r)
			return r;
		return list_rows(c, json,
			"SELECT t.id, t.name, t.leader, "
			"(SELECT count(*) FROM household h WHERE h.team_id = t.id AND h.deleted = 0), "
			"(SELECT count(*) FROM household h WHERE h.team_id = t.id AND h.deleted = 0 AND h.status = 'accepted'), "
			"CASE WHEN EXISTS (SELECT 1 FROM household h WHERE h.team_id = t.id AND h.deleted = 0 AND "
			HUCE_LOCAL_SQL_HH_PASSED ") THEN 'open' ELSE 'closed' END, "
			"t.version FROM team t WHERE t.deleted = 0 ORDER BY t.name, t.id",
			NULL, cols, cols);
	}
	return cli_usage(team_usage, "unknown subcommand 'team %s'", sub);
}

static const char target_usage[] =
"usage: huce target set --village V --week YYYY-Www N\n"
"       huce target list [--json]\n"
"Weekly target (周任务): N toilets to accept in village V that ISO week.\n";

int cmd_target(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "week", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "id", "village", "week", "n", "version", NULL };
	const char *sub = NULL, *village = NULL, *week = NULL;
	char vid[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1];
	int json = 0, ch, r, y, w;
	int64_t n;
	cJSON *f;
	enum huce_err rc;

	r = subcommand(argc, argv, target_usage, &sub);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	optind = 0;
	while ((ch = cli_getopt(argc, argv, opts, &json, target_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'v')
			village = optarg;
		else if (ch == 'w')
			week = optarg;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage(target_usage, "target list takes no arguments");
		r = cli_open(c);
		if (r)
			return r;
		return list_rows(c, json,
			"SELECT t.id, v.name, t.week, t.n, t.version FROM target t "
			"LEFT JOIN village v ON v.id = t.village_id WHERE t.deleted = 0 "
			"ORDER BY t.week, v.name", NULL, cols, cols);
	}
	if (strcmp(sub, "set") != 0)
		return cli_usage(target_usage, "unknown subcommand 'target %s'", sub);
	if (json || optind + 1 != argc)
		return cli_usage(target_usage, "target set takes one number N");
	if (!village || !week)
		return cli_usage(target_usage, "--village V and --week YYYY-Www are required");
	if (huce_parse_week(week, &y, &w))
		return cli_error(HUCE_EINVAL, "week '%s' is not an ISO week like 2026-W48", week);
	if (huce_parse_i64(argv[optind], &n) || n < 0 || n > 100000)
		return cli_error(HUCE_EINVAL, "target '%s' is not a whole number 0..100000",
				 argv[optind]);
	r = cli_open(c);
	if (r)
		return r;
	r = cli_resolve(c, "village", NULL, village, vid);
	if (r)
		return r;
	huce_id_named("target", vid, week, id);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "village_id", vid);
	cJSON_AddStringToObject(f, "week", week);
	cJSON_AddNumberToObject(f, "n", (double)n);
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = huce_local_put(c->l, "target", id, f, 1, NULL, &c->err);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	cJSON_Delete(f);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	printf("target %s %s = %lld\n%s\n", village, week, (long long)n, id);
	return 0;
}
