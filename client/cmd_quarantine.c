/*
 * cmd_quarantine.c - the changes the central refused, and what a cadre
 * does about them.
 *
 * When the central refuses an outbox entry (the first-toilet gate, a
 * reference to a record it does not have, a checklist), the sync keeps
 * the entry in the outbox as 'quarantined' with the central's reason
 * and puts the record back to the central's state in the same
 * transaction (syncd/agent/sync.c, huce_local_restore).  Here the cadre sees
 * those entries by the names of their records, and either drops one
 * (the change is given up) or retries it once the cause is fixed: the
 * change is written again through the laptop's own rules as a new
 * outbox entry, and the quarantined one goes.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "huce_buf.h"
#include "huce_domain_local.h"
#include "huce_hlc.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_util.h"

#define NAME_TEXT_MAX 1024

/* A text column of a statement, or NULL (valid until the next step). */
static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The string field name of row if it has one, else of fields; or NULL. */
static const char *pick(const cJSON *row, const cJSON *fields,
			const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, name));

	return s ? s : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fields, name));
}

/* Name of the village, group, cadre or team id (tombstoned too), or NULL. */
static char *name_of(struct cli *c, const char *kind, const char *id)
{
	static const struct {
		const char *kind, *sql;
	} q[] = {
		{ "village", "SELECT name FROM village WHERE id = ?1" },
		{ "group", "SELECT name FROM village_group WHERE id = ?1" },
		{ "cadre", "SELECT name FROM cadre WHERE id = ?1" },
		{ "team", "SELECT name FROM team WHERE id = ?1" },
	};
	sqlite3_stmt *st;
	char *name = NULL;

	if (!id)
		return NULL;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (strcmp(q[i].kind, kind) != 0)
			continue;
		st = huce_db_query(c->l->db, NULL, q[i].sql, "s", id);
		if (st && sqlite3_step(st) == SQLITE_ROW)
			name = huce_db_col_dup(st, 0);
		if (st)
			sqlite3_reset(st);
	}
	return name;
}

/* "head (village group)" of a household row or fields into b. */
static void household_text(struct cli *c, const cJSON *row,
			   const cJSON *fields, const char *id,
			   struct huce_buf *b)
{
	const char *head = pick(row, fields, "head");
	char *village = name_of(c, "village", pick(row, fields, "village_id"));
	char *group = name_of(c, "group", pick(row, fields, "group_id"));

	if (!head) {
		huce_buf_printf(b, "%s", id);
	} else if (village || group) {
		huce_buf_printf(b, "%s (%s%s%s)", head, village ? village : "",
				village && group ? " " : "", group ? group : "");
	} else {
		huce_buf_printf(b, "%s", head);
	}
	free(village);
	free(group);
}

/*
 * The fields of the quarantined entries of record id merged in seq
 * order: what this laptop last knew of a record whose registration the
 * central refused (its row is gone).  Never NULL but on OOM.
 */
static cJSON *quarantined_fields(struct cli *c, const char *id)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, NULL,
		"SELECT fields FROM outbox WHERE record_id = ?1 AND state = 'quarantined' "
		"ORDER BY seq", "s", id);
	cJSON *all = cJSON_CreateObject();

	while (all && st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON *f = cJSON_Parse(col(st, 0) ? col(st, 0) : "{}");
		cJSON *v = f ? f->child : NULL;

		while (v) {
			cJSON *next = v->next;

			cJSON_DeleteItemFromObjectCaseSensitive(all, v->string);
			cJSON_AddItemToObject(all, v->string,
					      cJSON_DetachItemViaPointer(f, v));
			v = next;
		}
		cJSON_Delete(f);
	}
	if (st)
		sqlite3_reset(st);
	return all;
}

/* The household id as household_text says it, from its local row. */
static void household_ref_text(struct cli *c, const char *id,
			       struct huce_buf *b)
{
	cJSON *row = id ? huce_local_get(c->l, "household", id, NULL) : NULL;
	cJSON *q = NULL;

	if (row) {
		household_text(c, row, NULL, id, b);
	} else if (id && (q = quarantined_fields(c, id)) && pick(q, NULL, "head")) {
		household_text(c, q, NULL, id, b);
		huce_buf_addstr(b, ", not on this laptop");
	} else {
		huce_buf_printf(b, "%s (not on this laptop)", id ? id : "?");
	}
	cJSON_Delete(q);
	cJSON_Delete(row);
}

char *cli_record_name(struct cli *c, const char *kind, const char *id,
		      const cJSON *fields)
{
	struct huce_buf b = HUCE_BUF_INIT(NAME_TEXT_MAX);
	cJSON *row = huce_kind_find(kind) ? huce_local_get(c->l, kind, id, NULL) : NULL;
	char *s;

	/* A record the central refused to register is known by its entries. */
	if (!row)
		row = quarantined_fields(c, id);

	if (strcmp(kind, "household") == 0) {
		household_text(c, row, fields, id, &b);
	} else if (strcmp(kind, "inspection") == 0) {
		const char *stage = pick(row, fields, "stage");
		const char *date = pick(row, fields, "date");

		huce_buf_printf(&b, "%s inspection%s%s of ", stage ? stage : "an",
				date ? " on " : "", date ? date : "");
		household_ref_text(c, pick(row, fields, "household_id"), &b);
	} else if (strcmp(kind, "rectification") == 0) {
		huce_buf_addstr(&b, "rectification of ");
		household_ref_text(c, pick(row, fields, "household_id"), &b);
	} else if (strcmp(kind, "photo") == 0) {
		const char *owner = pick(row, fields, "owner_id");
		cJSON *insp = owner ? huce_local_get(c->l, "inspection", owner, NULL) : NULL;

		huce_buf_printf(&b, "%s photo of ", pick(row, fields, "kind") ?
				pick(row, fields, "kind") : "a");
		if (insp) {
			huce_buf_printf(&b, "the %s inspection of ",
					pick(insp, NULL, "stage") ? pick(insp, NULL, "stage") : "");
			household_ref_text(c, pick(insp, NULL, "household_id"), &b);
		} else {
			household_ref_text(c, owner, &b);
		}
		cJSON_Delete(insp);
	} else if (strcmp(kind, "group") == 0) {
		char *village = name_of(c, "village", pick(row, fields, "village_id"));

		huce_buf_printf(&b, "%s%s%s", village ? village : "", village ? " " : "",
				pick(row, fields, "name") ? pick(row, fields, "name") : id);
		free(village);
	} else if (strcmp(kind, "target") == 0) {
		char *village = name_of(c, "village", pick(row, fields, "village_id"));

		huce_buf_printf(&b, "target of %s for %s", village ? village : "?",
				pick(row, fields, "week") ? pick(row, fields, "week") : "?");
		free(village);
	} else {
		huce_buf_printf(&b, "%s", pick(row, fields, "name") ?
				pick(row, fields, "name") : id);
	}
	cJSON_Delete(row);
	/* A name cut by the buffer's maximum is still a name. */
	s = b.data && b.len ? strndup(b.data, b.len) : strdup(id);
	huce_buf_release(&b);
	return s;
}

/* One quarantined entry as read from the outbox. */
struct qentry {
	int64_t seq;
	char kind[32];
	char id[HUCE_ID_STRLEN + 1];
	char op[8];
	cJSON *fields;		/* owned */
	char *reason;		/* owned */
	char at[21];		/* when the change was made (its HLC), UTC */
};

static void qentry_release(struct qentry *q)
{
	cJSON_Delete(q->fields);
	free(q->reason);
	memset(q, 0, sizeof(*q));
}

/* Fill q from a row of (seq, kind, record_id, op, fields, hlc, reason). */
static void qentry_read(struct qentry *q, sqlite3_stmt *st)
{
	uint64_t ts = 0;

	memset(q, 0, sizeof(*q));
	q->seq = sqlite3_column_int64(st, 0);
	snprintf(q->kind, sizeof(q->kind), "%s", col(st, 1) ? col(st, 1) : "");
	snprintf(q->id, sizeof(q->id), "%s", col(st, 2) ? col(st, 2) : "");
	snprintf(q->op, sizeof(q->op), "%s", col(st, 3) ? col(st, 3) : "");
	q->fields = cJSON_Parse(col(st, 4) ? col(st, 4) : "{}");
	if (!q->fields)
		q->fields = cJSON_CreateObject();
	if (col(st, 5) && huce_hlc_parse(col(st, 5), &ts) == 0)
		huce_iso_time((int64_t)(huce_hlc_ms(ts) / 1000), q->at);
	q->reason = huce_db_col_dup(st, 6);
}

#define QSELECT "SELECT seq, kind, record_id, op, fields, hlc, reason FROM outbox "

/* The quarantined entry seq into q; HUCE_ENOTFOUND when there is none. */
static enum huce_err qentry_get(struct cli *c, int64_t seq, struct qentry *q)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, &c->err,
		QSELECT "WHERE seq = ?1 AND state = 'quarantined'", "i", seq);
	int s;

	if (!st)
		return c->err.code ? c->err.code : HUCE_EDB;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		qentry_read(q, st);
	sqlite3_reset(st);
	if (s == SQLITE_DONE)
		return huce_fail(&c->err, HUCE_ENOTFOUND, "no quarantined change with seq %lld "
				 "(`huce quarantine` lists them)", (long long)seq);
	if (s != SQLITE_ROW)
		return huce_fail(&c->err, HUCE_EDB, "cannot read the outbox");
	return HUCE_OK;
}

/*
 * The fields of a change as a cadre reads them: "team=一队 build=contracted";
 * references by the name of what they point at where it has one.
 */
static void fields_text(struct cli *c, const char *kind, const cJSON *fields,
			struct huce_buf *b)
{
	const struct huce_kind_def *k = huce_kind_find(kind);
	const cJSON *v;

	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f = k ? huce_field_find(k, v->string) : NULL;
		size_t n = strlen(v->string);
		char *text = NULL;

		if (b->len)
			huce_buf_addstr(b, " ");
		if (f && f->type == HUCE_F_REF && cJSON_IsString(v) && f->ref_kind &&
		    n > 3 && strcmp(v->string + n - 3, "_id") == 0) {
			char *name = strcmp(f->ref_kind, "household") == 0 ? NULL :
				name_of(c, f->ref_kind, v->valuestring);

			if (strcmp(f->ref_kind, "household") == 0) {
				huce_buf_printf(b, "%.*s=", (int)(n - 3), v->string);
				household_ref_text(c, v->valuestring, b);
				continue;
			}
			huce_buf_printf(b, "%.*s=%s", (int)(n - 3), v->string,
					name ? name : v->valuestring);
			free(name);
			continue;
		}
		if (cJSON_IsString(v)) {
			huce_buf_printf(b, "%s=%s", v->string, v->valuestring);
			continue;
		}
		text = cJSON_PrintUnformatted(v);
		huce_buf_printf(b, "%s=%s", v->string, text ? text : "?");
		free(text);
	}
}

static const char quarantine_usage[] =
"usage: huce quarantine [--json]\n"
"       huce quarantine drop SEQ\n"
"       huce quarantine retry SEQ\n"
"Changes the central refused, each with the central's reason.  The record\n"
"itself is as the central has it; the refused change waits here.\n"
"  drop SEQ    give the change up\n"
"  retry SEQ   apply it again, through this laptop's own checks, once what\n"
"              was refused is fixed; the next `huce sync` sends it\n"
"JSON: [{seq, kind, record, name, op, fields, reason, at}] (at: when the\n"
"change was made, UTC).\n";

cJSON *cli_quarantine_json(struct cli *c)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, &c->err,
		QSELECT "WHERE state = 'quarantined' ORDER BY seq", "");
	cJSON *arr = cJSON_CreateArray();
	int s;

	if (!st) {
		cJSON_Delete(arr);
		return NULL;
	}
	if (!arr) {
		sqlite3_reset(st);
		huce_fail(&c->err, HUCE_ENOMEM, "out of memory");
		return NULL;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct qentry q;
		cJSON *o = cJSON_CreateObject();
		char *name;

		qentry_read(&q, st);
		name = cli_record_name(c, q.kind, q.id, q.fields);
		cJSON_AddNumberToObject(o, "seq", (double)q.seq);
		cJSON_AddStringToObject(o, "kind", q.kind);
		cJSON_AddStringToObject(o, "record", q.id);
		cJSON_AddStringToObject(o, "name", name ? name : q.id);
		cJSON_AddStringToObject(o, "op", q.op);
		cJSON_AddItemToObject(o, "fields", q.fields);
		q.fields = NULL;
		cJSON_AddStringToObject(o, "reason", q.reason ? q.reason : "");
		if (q.at[0])
			cJSON_AddStringToObject(o, "at", q.at);
		else
			cJSON_AddNullToObject(o, "at");
		cJSON_AddItemToArray(arr, o);
		free(name);
		qentry_release(&q);
	}
	sqlite3_reset(st);
	if (s != SQLITE_DONE) {
		cJSON_Delete(arr);
		huce_fail(&c->err, HUCE_EDB, "cannot read the outbox");
		return NULL;
	}
	return arr;
}

static int q_list(struct cli *c, int json)
{
	cJSON *arr = cli_quarantine_json(c);
	const cJSON *e;

	if (!arr)
		return cli_fail(c, c->err.code);
	if (json) {
		cli_print_json(arr);
		cJSON_Delete(arr);
		return 0;
	}
	cJSON_ArrayForEach(e, arr) {
		struct huce_buf b = HUCE_BUF_INIT(64 * 1024);
		const char *at = cJSON_GetStringValue(cJSON_GetObjectItem(e, "at"));
		const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(e, "op"));

		fields_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")),
			    cJSON_GetObjectItem(e, "fields"), &b);
		printf("seq %lld  %s %s%s%s\n",
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")),
		       at ? ", changed " : "", at ? at : "");
		if (op && strcmp(op, "delete") == 0)
			printf("  change:  delete\n");
		else
			printf("  change:  %s\n", b.data ? b.data : "");
		printf("  refused: %s\n",
		       cJSON_GetStringValue(cJSON_GetObjectItem(e, "reason")));
		huce_buf_release(&b);
	}
	if (cJSON_GetArraySize(arr))
		printf("`huce quarantine retry SEQ` applies a change again once fixed; "
		       "`huce quarantine drop SEQ` gives it up.\n");
	else
		printf("nothing quarantined\n");
	cJSON_Delete(arr);
	return 0;
}

static int parse_seq(const char *s, int64_t *seq)
{
	if (huce_parse_i64(s, seq) || *seq < 1)
		return cli_usage(quarantine_usage, "'%s' is not a seq (a number from "
				 "`huce quarantine`)", s);
	return 0;
}

void cli_quarantine_done_release(struct cli_quarantine_done *d)
{
	free(d->name);
	memset(d, 0, sizeof(*d));
}

/* The kind and name of q's record into out (what the CLI and the web app say). */
static void done_fill(struct cli *c, const struct qentry *q,
		      struct cli_quarantine_done *out)
{
	snprintf(out->kind, sizeof(out->kind), "%s", q->kind);
	out->name = cli_record_name(c, q->kind, q->id, q->fields);
}

enum huce_err cli_quarantine_drop(struct cli *c, int64_t seq,
				  struct cli_quarantine_done *out)
{
	struct qentry q;
	enum huce_err rc;

	memset(out, 0, sizeof(*out));
	rc = qentry_get(c, seq, &q);
	if (rc)
		return rc;
	done_fill(c, &q, out);
	rc = huce_db_run(c->l->db, &c->err,
		"DELETE FROM outbox WHERE seq = ?1 AND state = 'quarantined'", "i", seq);
	qentry_release(&q);
	return rc;
}

static int q_drop(struct cli *c, int64_t seq)
{
	struct cli_quarantine_done d;
	enum huce_err rc = cli_quarantine_drop(c, seq, &d);
	int r = 0;

	if (rc)
		r = cli_fail(c, rc);
	else
		printf("dropped seq %lld: the change to %s %s is given up\n",
		       (long long)seq, d.kind, d.name ? d.name : "?");
	cli_quarantine_done_release(&d);
	return r;
}

/*
 * The earliest other quarantined entry of record id before seq, or 0:
 * the one that made the record, when the central refused that too.
 */
static int64_t earlier_quarantined(struct cli *c, const char *id, int64_t seq)
{
	sqlite3_stmt *st = huce_db_query(c->l->db, NULL,
		"SELECT seq FROM outbox WHERE record_id = ?1 AND state = 'quarantined' "
		"AND seq < ?2 ORDER BY seq LIMIT 1", "si", id, seq);
	int64_t n = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

/*
 * Every reference of the change must name a record this laptop has
 * (the central refuses it otherwise).  HUCE_EINVAL with c->err set.
 */
static enum huce_err check_refs(struct cli *c, const struct huce_kind_def *k,
				const cJSON *fields)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f = huce_field_find(k, v->string);
		const char *kinds[2] = { NULL, NULL };
		int found = 0;

		if (!f || f->type != HUCE_F_REF || !cJSON_IsString(v))
			continue;
		kinds[0] = f->ref_kind ? f->ref_kind : "household";
		if (!f->ref_kind)
			kinds[1] = "inspection";	/* a photo's owner */
		for (int i = 0; i < 2 && kinds[i] && !found; i++) {
			cJSON *row = huce_local_get(c->l, kinds[i], v->valuestring, NULL);

			found = row && cJSON_GetNumberValue(cJSON_GetObjectItem(row, "deleted")) == 0;
			cJSON_Delete(row);
		}
		if (!found) {
			int64_t first = earlier_quarantined(c, v->valuestring, INT64_MAX);

			if (first)
				return huce_fail(&c->err, HUCE_EINVAL,
						 "%s.%s: the %s it names is not on this laptop: "
						 "retry seq %lld first, which makes it",
						 k->kind, f->name, kinds[0], (long long)first);
			return huce_fail(&c->err, HUCE_EINVAL,
					 "%s.%s: the %s it names (%s) is not on this laptop "
					 "or not at the central any more: drop this change",
					 k->kind, f->name, kinds[0], v->valuestring);
		}
	}
	return HUCE_OK;
}

enum huce_err cli_quarantine_retry(struct cli *c, int64_t seq,
				   struct cli_quarantine_done *out)
{
	const struct huce_kind_def *k;
	struct qentry q;
	cJSON *cur = NULL;
	enum huce_err rc;
	int64_t first;
	int gone;

	memset(out, 0, sizeof(*out));
	rc = qentry_get(c, seq, &q);
	if (rc)
		return rc;
	k = huce_kind_find(q.kind);
	if (!k || !huce_id_valid(q.id)) {
		rc = huce_fail(&c->err, HUCE_EINVAL, "seq %lld is a change of a kind this huce "
			       "does not know ('%s'): drop it", (long long)seq, q.kind);
		goto out;
	}
	rc = huce_local_begin(c->l, &c->err);
	if (rc)
		goto out;
	cur = huce_local_get(c->l, q.kind, q.id, NULL);
	gone = !cur || cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "deleted")) != 0;
	done_fill(c, &q, out);
	if (strcmp(q.op, "delete") == 0) {
		if (!gone)
			rc = huce_local_delete(c->l, q.kind, q.id, &c->err);
		out->changed = !gone;
	} else {
		first = cur ? 0 : earlier_quarantined(c, q.id, seq);
		if (first) {
			rc = huce_fail(&c->err, HUCE_EINVAL, "%s %s is not on this laptop: retry "
				       "seq %lld first, which registers it",
				       q.kind, out->name ? out->name : q.id, (long long)first);
			goto rollback;
		}
		rc = check_refs(c, k, q.fields);
		if (!rc && strcmp(q.kind, "household") == 0)
			rc = cli_household_rules(c, q.fields, gone ? NULL : cur, q.id);
		if (rc)
			goto rollback;
		rc = huce_local_put(c->l, q.kind, q.id, q.fields, !cur, &out->changed,
				    &c->err);
		if (!rc)
			rc = huce_local_status_refresh_record(c->l, q.kind, q.id, &c->err);
	}
	if (!rc)
		rc = huce_db_run(c->l->db, &c->err,
			"DELETE FROM outbox WHERE seq = ?1 AND state = 'quarantined'",
			"i", seq);
	if (!rc && out->changed)
		out->seq = huce_local_count(c->l, "SELECT max(seq) FROM outbox");
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (!rc)
		goto out;
rollback:
	huce_local_rollback(c->l);
out:
	cJSON_Delete(cur);
	qentry_release(&q);
	return rc;
}

static int q_retry(struct cli *c, int64_t seq)
{
	struct cli_quarantine_done d;
	enum huce_err rc = cli_quarantine_retry(c, seq, &d);
	int r = 0;

	if (rc)
		r = cli_fail(c, rc);
	else if (d.changed)
		printf("seq %lld: the change to %s %s is written again as seq %lld; "
		       "`huce sync` sends it\n", (long long)seq, d.kind, d.name ? d.name : "?",
		       (long long)d.seq);
	else
		printf("seq %lld: %s %s already is as the change says; nothing to send\n",
		       (long long)seq, d.kind, d.name ? d.name : "?");
	cli_quarantine_done_release(&d);
	return r;
}

int cmd_quarantine(struct cli *c, int argc, char **argv)
{
	int json = 0, ch, r;
	int64_t seq;

	while ((ch = cli_getopt(argc, argv, NULL, &json, quarantine_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind == argc) {
		r = cli_open(c);
		return r ? r : q_list(c, json);
	}
	if (strcmp(argv[optind], "drop") != 0 && strcmp(argv[optind], "retry") != 0)
		return cli_usage(quarantine_usage, "unknown subcommand 'quarantine %s'",
				 argv[optind]);
	if (json)
		return cli_usage(quarantine_usage, "option '--json' does not apply to "
				 "quarantine %s", argv[optind]);
	if (optind + 2 != argc)
		return cli_usage(quarantine_usage, "quarantine %s takes one SEQ",
				 argv[optind]);
	r = parse_seq(argv[optind + 1], &seq);
	if (!r)
		r = cli_open(c);
	if (r)
		return r;
	if (strcmp(argv[optind], "drop") == 0)
		return q_drop(c, seq);
	return q_retry(c, seq);
}
