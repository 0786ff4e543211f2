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
#include <unistd.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_file.h"
#include "huce_util.h"
#include "import.h"
#include "resolve.h"
#include "photos.h"
#include "store.h"

#define FILE_MAX	((size_t)64 * 1024 * 1024)

static const char usage[] =
"usage: huce-syncd admin --store S [--checklists DIR] COMMAND ...\n"
"\n"
"  device add NAME              enrol a laptop; prints its token (once) last\n"
"  device list [--json]\n"
"  device revoke NAME\n"
"  household list [--json]      the merged list (same keys as `huce household list`)\n"
"  conflicts [--all] [--json]   open conflicts with every value and its author\n"
"  resolve ID --take N | --value V\n"
"                               close a conflict; the outcome reaches every laptop\n"
"  import FILE [--ack-out F]    a laptop's batch file (huce export), or the\n"
"                               office's CSV household list\n"
"  report week [--week YYYY-Www] [--json] [--format text|csv|html] [--out F]\n"
"  town [NAME]                  show or set the town's name (sent at enrolment)\n"
"  photos [--missing] [--json] [--blobs DIR]   photo records and whether\n"
"                               their bytes have arrived\n"
"\n"
"exit codes: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found\n";

struct admin {
	struct store *store;
	struct central central;
	char actor[160];
};

static int fail(enum huce_err rc, const struct huce_error *err)
{
	fprintf(stderr, "huce-syncd admin: %s\n",
		err && err->msg[0] ? err->msg : huce_err_text(rc));
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
	fputs(usage, stderr);
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
		fprintf(stderr, "huce-syncd admin: warning: audit log: %s\n", err.msg);
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
		huce_fail(err, HUCE_EINVAL, "device name '%s' is reserved", name);
		return 0;
	}
	return 1;
}

static int device_add(struct admin *a, const char *name)
{
	struct huce_error err = { 0 };
	unsigned char raw[32];
	char token[65], hash[65];
	enum huce_err rc;

	if (!device_name_ok(name, &err))
		return fail(HUCE_EINVAL, &err);
	rc = huce_random_bytes(raw, sizeof(raw));
	if (rc) {
		huce_fail(&err, rc, "cannot make a token: no randomness");
		return fail(rc, &err);
	}
	huce_hex(raw, sizeof(raw), token);
	huce_sha256_hex(token, strlen(token), hash);
	rc = store_device_add(a->store, name, hash, &err);
	if (rc)
		return fail(rc, &err);
	audit(a, "device add", name);
	printf("device '%s' enrolled; give it this token (shown once):\n%s\n",
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
		printf("name\tcreated\trevoked\thwm\tlast_seen\n");
		cJSON_ArrayForEach(o, arr) {
			const char *rv = cJSON_GetStringValue(cJSON_GetObjectItem(o, "revoked_at"));
			const char *ls = cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_seen"));

			printf("%s\t%s\t%s\t%lld\t%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "created_at")),
			       rv ? rv : "-",
			       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "hwm")),
			       ls ? ls : "never");
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
	printf("device '%s' revoked\n", name);
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
				return usage_error("device list: unexpected argument '%s'",
						   argv[i]);
		}
		return device_list(a, json);
	}
	if (argc == 3 && strcmp(argv[1], "add") == 0)
		return device_add(a, argv[2]);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0)
		return device_revoke(a, argv[2]);
	return usage_error("expected device add NAME | list [--json] | revoke NAME");
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
	cJSON *village, *group, *team, *cadre;
	cJSON *rows;
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

static enum huce_err hh_row(void *arg, const struct store_record *r,
			    const cJSON *fields)
{
	struct hh_list *l = arg;
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(l->rows, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "id", r->id);
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

static int household_list(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct hh_list l = { 0 };
	cJSON *sorted = NULL, **v = NULL;
	enum huce_err rc;
	int json = 0, n, ret = 0;
	char detail[32];

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return usage_error("household list: unexpected argument '%s'",
					   argv[i]);
	}
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
	if (!rc)
		rc = store_scan_kind(a->store, "village", 1, name_row, l.village, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "group", 1, name_row, l.group, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "team", 1, name_row, l.team, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "cadre", 1, name_row, l.cadre, &err);
	if (!rc)
		rc = store_scan_kind(a->store, "household", 0, hh_row, &l, &err);
	if (rc) {
		store_rollback(a->store);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, "out of memory");
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
	if (json) {
		print_json(sorted);
	} else {
		const cJSON *o;

		printf("id\tvillage\tgroup\thead\ttype\tbuild\tteam\tcadre\tstatus\n");
		cJSON_ArrayForEach(o, sorted) {
			static const char *const keys[] = {
				"id", "village", "group", "head", "type", "build",
				"team", "cadre", "status", NULL
			};

			for (int i = 0; keys[i]; i++) {
				const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, keys[i]));

				printf("%s%s", i ? "\t" : "", s ? s : "-");
			}
			putchar('\n');
		}
	}
	snprintf(detail, sizeof(detail), "%d households", n);
	audit(a, "household list", detail);
out:
	free(v);
	cJSON_Delete(sorted);
	cJSON_Delete(l.village);
	cJSON_Delete(l.group);
	cJSON_Delete(l.team);
	cJSON_Delete(l.cadre);
	cJSON_Delete(l.rows);
	return ret;
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

static int conflicts(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct conflict_list l = { NULL, 0 };
	enum huce_err rc;
	const cJSON *o;
	int json = 0;
	char detail[32];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--all") == 0)
			l.all = 1;
		else
			return usage_error("conflicts: unexpected argument '%s'", argv[i]);
	}
	l.rows = cJSON_CreateArray();
	if (!l.rows)
		return fail(HUCE_ENOMEM, NULL);
	rc = store_scan_kind(a->store, "conflict", 0, conflict_row, &l, &err);
	if (rc) {
		cJSON_Delete(l.rows);
		if (rc == HUCE_ENOMEM)
			huce_fail(&err, rc, "out of memory");
		return fail(rc, &err);
	}
	if (json) {
		print_json(l.rows);
	} else {
		printf("id\tkind\trecord\tfield\tstatus\n");
		cJSON_ArrayForEach(o, l.rows) {
			const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(o, "field"));
			const cJSON *v;
			int i = 0;

			printf("%s\t%s\t%s\t%s\t%s\n",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "record")),
			       f ? f : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")));
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "values")) {
				char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(v, "value"));

				printf("  %d. %s  (%s, %s)\n", ++i, t ? t : "?",
				       cJSON_GetStringValue(cJSON_GetObjectItem(v, "device")),
				       cJSON_GetStringValue(cJSON_GetObjectItem(v, "hlc")));
				free(t);
			}
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
	const char *id = NULL, *value = NULL;
	cJSON *summary = NULL;
	int64_t take = 0;
	enum huce_err rc;
	char detail[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--take") == 0 && i + 1 < argc) {
			if (huce_parse_i64(argv[++i], &take) || take < 1 || take > 1000)
				return usage_error("--take needs a value number, not '%s'",
						   argv[i]);
		} else if (strncmp(argv[i], "--take=", 7) == 0) {
			if (huce_parse_i64(argv[i] + 7, &take) || take < 1 || take > 1000)
				return usage_error("--take needs a value number, not '%s'",
						   argv[i] + 7);
		} else if (strcmp(argv[i], "--value") == 0 && i + 1 < argc) {
			value = argv[++i];
		} else if (strncmp(argv[i], "--value=", 8) == 0) {
			value = argv[i] + 8;
		} else if (argv[i][0] != '-' && !id) {
			id = argv[i];
		} else {
			return usage_error("resolve: unexpected argument '%s'", argv[i]);
		}
	}
	if (!id || (!take && !value) || (take && value))
		return usage_error("expected resolve ID --take N | --value V");
	rc = store_begin(a->store, 1, &err);
	if (rc)
		return fail(rc, &err);
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
	printf("conflict %s resolved: %s (%d changes)\n", id,
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
		huce_fail(&err, rc, "the batch is from device '%s', which is not "
			  "enrolled here", h.device);
		return fail(rc, &err);
	}
	if (rc)
		return fail(rc, &err);
	if (dev.revoked_at) {
		huce_fail(&err, HUCE_EAUTH, "device '%s' is revoked: its batch is refused",
			  h.device);
		return fail(HUCE_EAUTH, &err);
	}
	rc = central_apply_batch(&a->central, h.device, file->data, file->len,
				 &res, &expected, &err);
	if (rc == HUCE_EGAP) {
		huce_fail(&err, rc, "batch from '%s' starts at seq %llu but the central "
			  "expects %llu: import the earlier batch files first",
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

/* --- import: the office's CSV household list (import.c) --------------------- */

static int import_list(struct admin *a, const struct huce_buf *file)
{
	struct huce_error err = { 0 };
	struct import_result res;
	const cJSON *col;
	enum huce_err rc;

	rc = import_csv(&a->central, a->actor, file->data, file->len, &res, &err);
	cJSON_ArrayForEach(col, res.ignored)
		fprintf(stderr, "huce-syncd admin: note: ignoring column '%s'\n",
			cJSON_GetStringValue(col));
	if (rc) {
		import_result_release(&res);
		return fail(rc, &err);
	}
	printf("imported %d households (%d already present); created %d villages, "
	       "%d groups, %d cadres, %d teams\n", res.households, res.present,
	       res.villages, res.groups, res.cadres, res.teams);
	import_result_release(&res);
	return 0;
}

static int import(struct admin *a, int argc, char **argv)
{
	struct huce_error err = { 0 };
	struct huce_buf file;
	const char *path = NULL, *ack = NULL;
	enum huce_err rc;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ack-out") == 0 && i + 1 < argc)
			ack = argv[++i];
		else if (strncmp(argv[i], "--ack-out=", 10) == 0)
			ack = argv[i] + 10;
		else if (!path && (argv[i][0] != '-' || !argv[i][1]))
			path = argv[i];
		else
			return usage_error("import: unexpected argument '%s'", argv[i]);
	}
	if (!path)
		return usage_error("expected import FILE [--ack-out F]");
	rc = huce_file_read(path, FILE_MAX, &file, &err);
	if (rc)
		return fail(rc, &err);
	if (file.len >= 4 && memcmp(file.data, HUCE_BATCH_MAGIC, 4) == 0)
		ret = import_batch(a, &file, ack);
	else if (ack)
		ret = usage_error("--ack-out is for batch files; '%s' is not one", path);
	else
		ret = import_list(a, &file);
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
		return usage_error("expected town [NAME]");
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
	enum huce_err rc;
	int i = 1, ret;

	memset(&a, 0, sizeof(a));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
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
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return usage_error("no command given");
	if (strcmp(argv[i], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (!store)
		return usage_error("--store is required");
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "device") && strcmp(argv[0], "household") &&
	    strcmp(argv[0], "conflicts") && strcmp(argv[0], "resolve") &&
	    strcmp(argv[0], "import") && strcmp(argv[0], "report") &&
	    strcmp(argv[0], "town") && strcmp(argv[0], "photos"))
		return usage_error("unknown command '%s'", argv[0]);
	if (strcmp(argv[0], "household") == 0 &&
	    (argc < 2 || strcmp(argv[1], "list") != 0))
		return usage_error("expected household list [--json]");

	set_actor(&a);
	rc = store_open(&a.store, store, &err);
	if (rc)
		return fail(rc, &err);
	a.central.store = a.store;
	a.central.max_raw = HUCE_BATCH_MAX_RAW;
	if (strcmp(argv[0], "import") == 0 || strcmp(argv[0], "resolve") == 0) {
		rc = huce_checklists_load(&a.central.checklists, checklists, &err);
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
	}
	if (strcmp(argv[0], "device") == 0)
		ret = cmd_device(&a, argc, argv);
	else if (strcmp(argv[0], "household") == 0)
		ret = household_list(&a, argc, argv);
	else if (strcmp(argv[0], "conflicts") == 0)
		ret = conflicts(&a, argc, argv);
	else if (strcmp(argv[0], "resolve") == 0)
		ret = resolve(&a, argc, argv);
	else if (strcmp(argv[0], "import") == 0)
		ret = import(&a, argc, argv);
	else if (strcmp(argv[0], "report") == 0)
		ret = admin_report(a.store, a.actor, argc, argv);
	else if (strcmp(argv[0], "photos") == 0)
		ret = admin_photos(a.store, store, a.actor, argc, argv);
	else
		ret = town(&a, argc, argv);
out:
	huce_checklists_free(a.central.checklists);
	store_close(a.store);
	return ret;
}
