/*
 * admin.c - `huce-syncd admin`: the town office's tools on the central store.
 *
 *   huce-syncd admin --store S [--checklists DIR] COMMAND ...
 *
 * Devices (enrol, list, revoke), the merged household list in the same
 * shape as a laptop's `huce household list --json`, the conflicts and
 * their resolution, imports (a laptop's batch file carried on a USB
 * stick, or the office's own CSV household list) and the weekly report
 * (report.c).  Everything that changes records goes through merge.c, so
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
#include <strings.h>
#include <unistd.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_id.h"
#include "huce_idnum.h"
#include "huce_record.h"
#include "huce_util.h"
#include "store.h"

#define FILE_MAX	((size_t)64 * 1024 * 1024)
#define CSV_MAX_COLS	64
#define CSV_MAX_CELL	4096

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

/* Read a whole file of at most max bytes into b (caller releases). */
static enum huce_err read_file(const char *path, size_t max,
			       struct huce_buf *b, struct huce_error *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	enum huce_err rc = HUCE_OK;

	huce_buf_init(b, max);
	if (!f)
		return huce_fail(err, HUCE_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = huce_buf_add(b, chunk, n);
		if (rc) {
			rc = huce_fail(err, rc, rc == HUCE_ETOOBIG ?
				       "'%s' is larger than %zu bytes" :
				       "cannot read '%s': out of memory %zu", path, max);
			break;
		}
	}
	if (!rc && ferror(f))
		rc = huce_fail(err, HUCE_EIO, "cannot read '%s'", path);
	fclose(f);
	if (rc)
		huce_buf_release(b);
	return rc;
}

/* Write text to path through a temporary file and a rename. */
static enum huce_err write_file(const char *path, const char *text,
				struct huce_error *err)
{
	struct huce_buf tmp = HUCE_BUF_INIT(4096);
	size_t n = strlen(text);
	enum huce_err rc;
	FILE *f;

	rc = huce_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (rc) {
		huce_buf_release(&tmp);
		return huce_fail(err, rc, "output path too long");
	}
	f = fopen(tmp.data, "wb");
	if (!f) {
		rc = huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(text, 1, n, f) != n || fflush(f) || fsync(fileno(f))) {
		rc = huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path, strerror(errno));
		fclose(f);
		unlink(tmp.data);
		goto out;
	}
	if (fclose(f) || rename(tmp.data, path)) {
		rc = huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.data);
	}
out:
	huce_buf_release(&tmp);
	return rc;
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
	add_text(o, "started", fields, NULL);
	add_text(o, "finished", fields, NULL);
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
		rc = write_file(ack_out, text, &err);
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

/* --- import: the office's CSV household list -------------------------------- */

enum col {
	C_VILLAGE, C_GROUP, C_HEAD, C_IDNUM, C_PHONE, C_CADRE, C_APPROACH,
	C_BUILD, C_TYPE, C_TEAM, C_WEEK, C__COUNT
};

static const struct column {
	const char *zh;
	const char *aliases[4];	/* English names (any case) and variants */
	int required;
} columns[C__COUNT] = {
	[C_VILLAGE] = { "村委会", { "village", "村委会名称" }, 1 },
	[C_GROUP] = { "村民小组", { "group", "村小组" }, 1 },
	[C_HEAD] = { "户主姓名", { "head", "户主" }, 1 },
	[C_IDNUM] = { "身份证号", { "id_number", "id-number", "身份证号码" }, 0 },
	[C_PHONE] = { "联系电话", { "phone", "电话" }, 0 },
	[C_CADRE] = { "挂包干部", { "cadre" }, 1 },
	[C_APPROACH] = { "改造方式", { "approach" }, 1 },
	[C_BUILD] = { "建设方式", { "build" }, 1 },
	[C_TYPE] = { "厕所类型", { "type" }, 1 },
	[C_TEAM] = { "施工队", { "team" }, 0 },
	[C_WEEK] = { "计划周", { "planned_week", "planned-week" }, 0 },
};

struct csv_row {
	int line;
	size_t n;
	char **cell;
};

struct csv {
	struct csv_row *rows;
	size_t n, alloc;
};

static void csv_release(struct csv *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->rows[i].n; j++)
			free(c->rows[i].cell[j]);
		free(c->rows[i].cell);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

/* Trim blanks (ASCII and the ideographic space) at both ends, in place. */
static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	for (;;) {
		if (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		else if (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		else if (n - i >= 3 && memcmp(s + i, "\xe3\x80\x80", 3) == 0)
			i += 3;
		else
			break;
	}
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

static enum huce_err csv_add_cell(struct csv_row *r, struct huce_buf *cell,
				  struct huce_error *err)
{
	char **nv;
	char *s;

	if (r->n == CSV_MAX_COLS)
		return huce_fail(err, HUCE_EINVAL, "line %d: more than %d columns",
				 r->line, CSV_MAX_COLS);
	nv = realloc(r->cell, (r->n + 1) * sizeof(*nv));
	if (!nv)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	r->cell = nv;
	s = huce_buf_detach(cell, NULL);
	if (!s)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	trim(s);
	r->cell[r->n++] = s;
	huce_buf_init(cell, CSV_MAX_CELL);
	return HUCE_OK;
}

/*
 * Parse RFC 4180 CSV: fields separated by commas, records by CRLF, LF
 * or CR; a quoted field may hold commas, line breaks and doubled quotes.
 * Blank lines are skipped.  Each row remembers the line it starts on.
 */
static enum huce_err csv_parse(const char *p, size_t n, struct csv *out,
			       struct huce_error *err)
{
	struct huce_buf cell = HUCE_BUF_INIT(CSV_MAX_CELL);
	size_t i = 0;
	int line = 1;
	enum huce_err rc = HUCE_OK;

	while (i < n && !rc) {
		struct csv_row row = { line, 0, NULL };
		int end = 0;

		while (!end && !rc) {
			if (i < n && p[i] == '"') {
				int start = line;

				i++;
				for (;;) {
					if (i >= n) {
						rc = huce_fail(err, HUCE_EINVAL,
							       "line %d: a quoted field is not closed",
							       start);
						break;
					}
					if (p[i] == '"') {
						if (i + 1 < n && p[i + 1] == '"') {
							rc = huce_buf_add(&cell, "\"", 1);
							i += 2;
							if (rc)
								break;
							continue;
						}
						i++;
						break;
					}
					if (p[i] == '\n')
						line++;
					rc = huce_buf_add(&cell, &p[i], 1);
					if (rc)
						break;
					i++;
				}
				if (!rc && i < n && p[i] != ',' && p[i] != '\n' && p[i] != '\r')
					rc = huce_fail(err, HUCE_EINVAL,
						       "line %d: text after a closing quote", line);
			} else {
				size_t j = i;

				while (j < n && p[j] != ',' && p[j] != '\n' && p[j] != '\r')
					j++;
				rc = huce_buf_add(&cell, p + i, j - i);
				i = j;
			}
			if (rc == HUCE_ETOOBIG)
				rc = huce_fail(err, HUCE_EINVAL,
					       "line %d: a field is longer than %d bytes",
					       line, CSV_MAX_CELL);
			else if (rc == HUCE_ENOMEM)
				rc = huce_fail(err, rc, "out of memory");
			if (rc)
				break;
			rc = csv_add_cell(&row, &cell, err);
			if (rc)
				break;
			if (i < n && p[i] == ',') {
				i++;
				continue;
			}
			end = 1;
			if (i < n && p[i] == '\r')
				i++;
			if (i < n && p[i] == '\n')
				i++;
			line++;
		}
		if (rc || (row.n == 1 && !row.cell[0][0])) {
			for (size_t k = 0; k < row.n; k++)
				free(row.cell[k]);
			free(row.cell);
			continue;
		}
		if (out->n == out->alloc) {
			size_t na = out->alloc ? out->alloc * 2 : 64;
			struct csv_row *nv = realloc(out->rows, na * sizeof(*nv));

			if (!nv) {
				for (size_t k = 0; k < row.n; k++)
					free(row.cell[k]);
				free(row.cell);
				rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
				break;
			}
			out->rows = nv;
			out->alloc = na;
		}
		out->rows[out->n++] = row;
	}
	huce_buf_release(&cell);
	return rc;
}

/* One validated row of the household list. */
struct hh_in {
	int line;
	const char *cell[C__COUNT];	/* borrowed from the csv; "" when absent */
	const char *approach, *build, *type;	/* codes */
	char masked[HUCE_IDNUM_LEN + 1];
	char hash[65];
};

struct csv_import {
	struct admin *a;
	int col[C__COUNT];		/* index of each column, -1 when absent */
	const char *header[C__COUNT];	/* the header text used */
	unsigned char key[64];
	int keylen;
	char *town;
	int villages, groups, cadres, teams, households, present;
};

static int match_header(const char *h)
{
	for (int c = 0; c < C__COUNT; c++) {
		if (strcmp(h, columns[c].zh) == 0)
			return c;
		for (int k = 0; k < 4 && columns[c].aliases[k]; k++)
			if (strcasecmp(h, columns[c].aliases[k]) == 0)
				return c;
	}
	return -1;
}

static enum huce_err map_header(struct csv_import *x, const struct csv_row *r,
				struct huce_error *err)
{
	for (int c = 0; c < C__COUNT; c++)
		x->col[c] = -1;
	for (size_t i = 0; i < r->n; i++) {
		int c = match_header(r->cell[i]);

		if (c < 0) {
			if (r->cell[i][0])
				fprintf(stderr, "huce-syncd admin: note: ignoring "
					"column '%s'\n", r->cell[i]);
			continue;
		}
		if (x->col[c] >= 0)
			return huce_fail(err, HUCE_EINVAL,
					 "line %d: column %s is given twice",
					 r->line, columns[c].zh);
		x->col[c] = (int)i;
		x->header[c] = r->cell[i];
	}
	for (int c = 0; c < C__COUNT; c++)
		if (columns[c].required && x->col[c] < 0)
			return huce_fail(err, HUCE_EINVAL,
					 "line %d: missing column %s (%s)", r->line,
					 columns[c].zh, columns[c].aliases[0]);
	return HUCE_OK;
}

#define ROW_FAIL(x, in, c, fmt, ...) \
	huce_fail(err, HUCE_EINVAL, "line %d, column %s: " fmt, (in)->line, \
		  (x)->header[c] ? (x)->header[c] : columns[c].zh, __VA_ARGS__)

/* Check one row and turn its values into codes.  Nothing is stored. */
static enum huce_err check_row(struct csv_import *x, const struct csv_row *r,
			       struct hh_in *in, struct huce_error *err)
{
	static const int text_cols[] = { C_VILLAGE, C_GROUP, C_HEAD, C_CADRE, C_TEAM };
	struct huce_error e = { 0 };
	int y, w;

	memset(in, 0, sizeof(*in));
	in->line = r->line;
	for (int c = 0; c < C__COUNT; c++) {
		int i = x->col[c];

		in->cell[c] = i >= 0 && (size_t)i < r->n ? r->cell[i] : "";
		if (columns[c].required && c != C_CADRE && !in->cell[c][0])
			return ROW_FAIL(x, in, c, "%s", "is empty");
	}
	for (size_t k = 0; k < sizeof(text_cols) / sizeof(text_cols[0]); k++) {
		int c = text_cols[k];

		if (in->cell[c][0] &&
		    huce_text_check(in->cell[c], "name", 128, 0, &e))
			return ROW_FAIL(x, in, c, "%s", e.msg);
	}
	in->approach = huce_approach_code(in->cell[C_APPROACH]);
	if (!in->approach)
		return ROW_FAIL(x, in, C_APPROACH,
				"'%s' is not 原有沼气池改造 (biogas-retrofit) or "
				"整厕新建 (new-build)", in->cell[C_APPROACH]);
	in->build = huce_build_code(in->cell[C_BUILD]);
	if (!in->build)
		return ROW_FAIL(x, in, C_BUILD, "'%s' is not 自建 (self) or 统建 (contracted)",
				in->cell[C_BUILD]);
	in->type = huce_toilet_type_label(in->cell[C_TYPE]) ? in->cell[C_TYPE] :
		huce_toilet_type_from_label(in->cell[C_TYPE]);
	if (!in->type)
		return ROW_FAIL(x, in, C_TYPE,
				"'%s' is not a toilet type (三格化粪池式, 双瓮漏斗式, "
				"三联通沼气池式, 粪尿分集式, 双坑交替式, 完整下水道水冲式)",
				in->cell[C_TYPE]);
	if (in->cell[C_TEAM][0] && strcmp(in->build, "contracted") != 0)
		return ROW_FAIL(x, in, C_TEAM, "%s",
				"a self-built toilet (自建) has no construction team");
	if (in->cell[C_IDNUM][0]) {
		if (huce_idnum_check(in->cell[C_IDNUM], &e))
			return ROW_FAIL(x, in, C_IDNUM, "%s", e.msg);
		huce_idnum_mask(in->cell[C_IDNUM], in->masked);
		if (x->keylen <= 0 ||
		    huce_idnum_hash(in->cell[C_IDNUM], x->key, (size_t)x->keylen,
				    in->hash) != HUCE_OK)
			return huce_fail(err, HUCE_EDB, "the store has no usable town key");
	}
	if (in->cell[C_PHONE][0] &&
	    huce_text_check(in->cell[C_PHONE], "phone", 32, 0, &e))
		return ROW_FAIL(x, in, C_PHONE, "%s", e.msg);
	if (in->cell[C_WEEK][0] && huce_parse_week(in->cell[C_WEEK], &y, &w))
		return ROW_FAIL(x, in, C_WEEK, "'%s' is not an ISO week like 2026-W48",
				in->cell[C_WEEK]);
	return HUCE_OK;
}

/* Make the named record kind/id with fields unless it is there. */
static enum huce_err ensure_named(struct csv_import *x, const char *kind,
				  const char *id, cJSON *fields, int *made,
				  struct huce_error *err)
{
	struct store_record r;
	struct huce_error gerr = { 0 };
	enum huce_err rc;

	rc = store_record_get(x->a->store, id, &r, &gerr);
	if (rc == HUCE_OK && !r.deleted)
		return HUCE_OK;
	if (rc && rc != HUCE_ENOTFOUND)
		return huce_fail(err, rc, "%s", gerr.msg);
	rc = central_office_put(&x->a->central, kind, id, fields, rc != HUCE_OK, err);
	if (!rc)
		(*made)++;
	return rc;
}

struct present_scan {
	const char *norm;
	const char *hash;	/* "" when none */
	int found;
};

static enum huce_err present_visit(void *arg, const struct store_record *r,
				   const cJSON *fields)
{
	struct present_scan *p = arg;
	const char *head = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "head"));
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "id_hash"));
	char *norm;

	if (strcmp(r->kind, "household") != 0 || !head)
		return HUCE_OK;
	if (h && p->hash[0] && strcmp(h, p->hash) != 0)
		return HUCE_OK;	/* namesakes with different ID numbers */
	norm = huce_name_normalize(head);
	if (!norm)
		return HUCE_ENOMEM;
	if (strcmp(norm, p->norm) == 0)
		p->found = 1;
	free(norm);
	return HUCE_OK;
}

static enum huce_err hash_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct present_scan *p = arg;

	(void)fields;
	if (strcmp(r->kind, "household") == 0)
		p->found = 1;
	return HUCE_OK;
}

static cJSON *obj_with_name(const char *name)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "name", name)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Store one checked row (inside the import's transaction). */
static enum huce_err import_row(struct csv_import *x, const struct hh_in *in,
				struct huce_error *err)
{
	struct store *s = x->a->store;
	char vid[HUCE_ID_STRLEN + 1], gid[HUCE_ID_STRLEN + 1];
	char cid[HUCE_ID_STRLEN + 1], tid[HUCE_ID_STRLEN + 1];
	char hid[HUCE_ID_STRLEN + 1], q[HUCE_ID_STRLEN + 3];
	struct present_scan ps = { NULL, in->hash, 0 };
	struct huce_error e = { 0 };
	cJSON *f = NULL;
	enum huce_err rc;

	huce_id_named("village", NULL, in->cell[C_VILLAGE], vid);
	huce_id_named("group", vid, in->cell[C_GROUP], gid);
	f = obj_with_name(in->cell[C_VILLAGE]);
	if (f && x->town)
		cJSON_AddStringToObject(f, "town", x->town);
	rc = f ? ensure_named(x, "village", vid, f, &x->villages, err) : HUCE_ENOMEM;
	cJSON_Delete(f);
	f = rc ? NULL : obj_with_name(in->cell[C_GROUP]);
	if (f)
		cJSON_AddStringToObject(f, "village_id", vid);
	if (!rc)
		rc = f ? ensure_named(x, "group", gid, f, &x->groups, err) : HUCE_ENOMEM;
	cJSON_Delete(f);
	f = NULL;
	if (!rc && in->cell[C_CADRE][0]) {
		huce_id_named("cadre", NULL, in->cell[C_CADRE], cid);
		f = obj_with_name(in->cell[C_CADRE]);
		if (f)
			cJSON_AddStringToObject(f, "role", "liaison");
		rc = f ? ensure_named(x, "cadre", cid, f, &x->cadres, err) : HUCE_ENOMEM;
		cJSON_Delete(f);
		f = NULL;
	}
	if (!rc && in->cell[C_TEAM][0]) {
		huce_id_named("team", NULL, in->cell[C_TEAM], tid);
		f = obj_with_name(in->cell[C_TEAM]);
		rc = f ? ensure_named(x, "team", tid, f, &x->teams, err) : HUCE_ENOMEM;
		cJSON_Delete(f);
		f = NULL;
	}
	if (rc)
		goto out;

	/* Already there (an earlier import, or a laptop's record)? */
	ps.norm = huce_name_normalize(in->cell[C_HEAD]);
	if (!ps.norm) {
		rc = HUCE_ENOMEM;
		goto out;
	}
	snprintf(q, sizeof(q), "\"%s\"", gid);
	rc = store_by_field(s, "group_id", q, NULL, present_visit, &ps, &e);
	if (!rc && !ps.found && in->hash[0]) {
		char hq[70];

		snprintf(hq, sizeof(hq), "\"%s\"", in->hash);
		rc = store_by_field(s, "id_hash", hq, NULL, hash_visit, &ps, &e);
	}
	if (rc) {
		rc = huce_fail(err, rc, "%s", rc == HUCE_ENOMEM ? "out of memory" : e.msg);
		goto out;
	}
	if (ps.found) {
		x->present++;
		goto out;
	}
	rc = huce_id_v7(store_hlc_tick(s), hid);
	if (rc) {
		rc = huce_fail(err, rc, "cannot make a household id");
		goto out;
	}
	f = cJSON_CreateObject();
	if (!f) {
		rc = HUCE_ENOMEM;
		goto out;
	}
	cJSON_AddStringToObject(f, "village_id", vid);
	cJSON_AddStringToObject(f, "group_id", gid);
	cJSON_AddStringToObject(f, "head", in->cell[C_HEAD]);
	if (in->masked[0])
		cJSON_AddStringToObject(f, "id_masked", in->masked);
	if (in->hash[0])
		cJSON_AddStringToObject(f, "id_hash", in->hash);
	if (in->cell[C_PHONE][0])
		cJSON_AddStringToObject(f, "phone", in->cell[C_PHONE]);
	cJSON_AddStringToObject(f, "approach", in->approach);
	cJSON_AddStringToObject(f, "build", in->build);
	cJSON_AddStringToObject(f, "type", in->type);
	if (in->cell[C_TEAM][0])
		cJSON_AddStringToObject(f, "team_id", tid);
	if (in->cell[C_CADRE][0])
		cJSON_AddStringToObject(f, "cadre_id", cid);
	if (in->cell[C_WEEK][0])
		cJSON_AddStringToObject(f, "planned_week", in->cell[C_WEEK]);
	rc = central_office_put(&x->a->central, "household", hid, f, 1, &e);
	if (rc) {
		int c = rc == HUCE_EGATE ? C_TEAM : C_HEAD;

		if (rc == HUCE_EGATE || rc == HUCE_EINVAL)
			rc = huce_fail(err, rc, "line %d, column %s: %s", in->line,
				       x->header[c] ? x->header[c] : columns[c].zh,
				       e.msg);
		else
			rc = huce_fail(err, rc, "line %d: %s", in->line, e.msg);
		goto out;
	}
	x->households++;
out:
	if (rc == HUCE_ENOMEM)
		huce_fail(err, rc, "out of memory");
	free((char *)ps.norm);
	cJSON_Delete(f);
	return rc;
}

static int import_csv(struct admin *a, struct huce_buf *file)
{
	struct huce_error err = { 0 };
	struct csv_import x;
	struct csv csv = { 0 };
	struct hh_in *rows = NULL;
	const char *p = file->data;
	size_t n = file->len;
	char *keyhex = NULL, detail[160];
	enum huce_err rc;
	int ret = 0;

	memset(&x, 0, sizeof(x));
	x.a = a;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (memchr(p, '\0', n) || !huce_utf8_valid(p, n)) {
		huce_fail(&err, HUCE_EINVAL, "the household list is not UTF-8 text "
			  "(save it as \"CSV UTF-8\")");
		return fail(HUCE_EINVAL, &err);
	}
	rc = csv_parse(p, n, &csv, &err);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	if (!csv.n) {
		huce_fail(&err, HUCE_EINVAL, "the household list is empty");
		ret = fail(HUCE_EINVAL, &err);
		goto out;
	}
	rc = map_header(&x, &csv.rows[0], &err);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	keyhex = store_meta_get(a->store, "town_key");
	x.keylen = keyhex ? huce_hex_decode(keyhex, x.key, sizeof(x.key)) : -1;
	x.town = store_meta_get(a->store, "town");
	rows = calloc(csv.n, sizeof(*rows));
	if (!rows) {
		ret = fail(HUCE_ENOMEM, NULL);
		goto out;
	}
	/* Every row is checked before anything is written. */
	for (size_t i = 1; i < csv.n; i++) {
		rc = check_row(&x, &csv.rows[i], &rows[i], &err);
		if (rc) {
			ret = fail(rc, &err);
			goto out;
		}
	}
	rc = store_begin(a->store, 1, &err);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	for (size_t i = 1; i < csv.n && !rc; i++)
		rc = import_row(&x, &rows[i], &err);
	if (!rc) {
		snprintf(detail, sizeof(detail),
			 "csv: %d households, %d present, %d villages, %d groups, "
			 "%d cadres, %d teams", x.households, x.present, x.villages,
			 x.groups, x.cadres, x.teams);
		rc = store_audit(a->store, a->actor, "import", detail, &err);
	}
	if (!rc)
		rc = store_commit(a->store, &err);
	else
		store_rollback(a->store);
	if (rc) {
		ret = fail(rc, &err);
		goto out;
	}
	printf("imported %d households (%d already present); created %d villages, "
	       "%d groups, %d cadres, %d teams\n", x.households, x.present,
	       x.villages, x.groups, x.cadres, x.teams);
out:
	free(rows);
	free(keyhex);
	free(x.town);
	csv_release(&csv);
	return ret;
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
	rc = read_file(path, FILE_MAX, &file, &err);
	if (rc)
		return fail(rc, &err);
	if (file.len >= 4 && memcmp(file.data, HUCE_BATCH_MAGIC, 4) == 0)
		ret = import_batch(a, &file, ack);
	else if (ack)
		ret = usage_error("--ack-out is for batch files; '%s' is not one", path);
	else
		ret = import_csv(a, &file);
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
	    strcmp(argv[0], "town"))
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
	else
		ret = town(&a, argc, argv);
out:
	huce_checklists_free(a.central.checklists);
	store_close(a.store);
	return ret;
}
