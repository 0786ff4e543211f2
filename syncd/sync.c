/*
 * sync.c - push the outbox, pull changes, enrol, export, import-ack.
 *
 * The order of a sync run is fixed: push first (records are small and
 * urgent), then pull.  Every step that changes the laptop's state runs
 * in one local transaction, so a kill -9 at any instant leaves either
 * the old or the new state; the worst case is sending a batch again,
 * which the central acknowledges and skips (entries at or below its
 * high-water mark).
 */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http_client.h"
#include "http_server.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_clock.h"
#include "huce_file.h"
#include "huce_hlc.h"
#include "huce_log.h"
#include "huce_record.h"
#include "huce_util.h"

#define BATCH_RAW_START	(256u << 10)	/* ~64 KiB compressed */
#define BATCH_RAW_MIN	(8u << 10)
#define BATCH_RAW_MAX	(1u << 20)	/* bounds the central's memory per batch */
#define BATCH_ENTRIES_MAX 50000
#define PULL_LIMIT	2000
#define ACK_FILE_MAX	(64u << 20)	/* as an answer: records' states */
#define PHOTO_CHUNK	((size_t)256 << 10)
#define PHOTO_MAX	((int64_t)64 << 20)
#define PHOTO_BATCH	256

/*
 * A non-negative integer from JSON that came from outside (the central,
 * an acknowledgement file), or -1: converting a double beyond int64 is
 * undefined behaviour, so the range is checked first.
 */
static int64_t jnum(const cJSON *v)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0))
		return -1;
	return (int64_t)d;
}

/* The name this laptop has at the central (its token's device). */
static char *device_name(struct huce_local *l)
{
	char *d = huce_db_meta_get(l->db, "central_device");

	return d ? d : huce_db_meta_get(l->db, "device");
}

/*
 * Build the payload {"entries":[ ... ]} of outbox entries with seq > after,
 * up to about budget raw bytes (at least one entry).  The out-parameters first, last, count
 * describe what went in; count 0 means nothing is pending.
 */
static enum huce_err build_payload(struct huce_local *l, int64_t after,
				   size_t budget, struct huce_buf *out,
				   int64_t *first, int64_t *last, int64_t *count,
				   struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT seq, record_id, kind, op, fields, base, hlc FROM outbox "
		"WHERE seq > ?1 ORDER BY seq LIMIT ?2",
		"ii", after, (int64_t)BATCH_ENTRIES_MAX);
	enum huce_err rc = HUCE_OK;
	int s;

	*first = *last = *count = 0;
	if (!st)
		return err->code;
	huce_buf_reset(out);
	rc = huce_buf_addstr(out, "{\"entries\":[");
	while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		cJSON *e = cJSON_CreateObject();
		char *text;

		if (*count && (seq != *last + 1 || out->len >= budget)) {
			cJSON_Delete(e);
			break;
		}
		cJSON_AddNumberToObject(e, "seq", (double)seq);
		cJSON_AddStringToObject(e, "id", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "op", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddNumberToObject(e, "base", (double)sqlite3_column_int64(st, 5));
		cJSON_AddStringToObject(e, "hlc", (const char *)sqlite3_column_text(st, 6));
		/* The fields text was written by cJSON on this laptop. */
		cJSON_AddItemToObject(e, "fields",
				      cJSON_CreateRaw((const char *)sqlite3_column_text(st, 4)));
		text = cJSON_PrintUnformatted(e);
		cJSON_Delete(e);
		if (!text) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		if (*count)
			rc = huce_buf_addstr(out, ",");
		if (!rc)
			rc = huce_buf_addstr(out, text);
		free(text);
		if (rc) {
			rc = huce_fail(err, rc, "batch too large");
			break;
		}
		if (!*count)
			*first = seq;
		*last = seq;
		(*count)++;
	}
	sqlite3_reset(st);
	if (!rc)
		rc = huce_buf_addstr(out, "]}");
	return rc;
}

/*
 * Put the record of refused entry seq back to the central's state, the
 * answer's "state" of the entry (PROTOCOL.md 2.1), unless this laptop
 * already holds a newer state of it from the central (an old
 * acknowledgement file read late).
 */
static enum huce_err restore_refused(struct huce_local *l, int64_t seq,
				     const cJSON *state, struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT kind, record_id FROM outbox WHERE seq = ?1", "i", seq);
	char kind[64] = "", id[HUCE_ID_STRLEN + 1] = "";
	cJSON *cur;
	int s;

	if (!st)
		return err->code;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		snprintf(kind, sizeof(kind), "%s", sqlite3_column_text(st, 0));
		snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return huce_db_fail(l->db, err, "cannot read the outbox");
	if (!id[0] || !huce_kind_find(kind))
		return HUCE_OK;
	cur = huce_local_get(l, kind, id, NULL);
	if (cur && cJSON_IsObject(state) &&
	    jnum(cJSON_GetObjectItem(cur, "version")) >
	    jnum(cJSON_GetObjectItem(state, "version"))) {
		cJSON_Delete(cur);
		return HUCE_OK;
	}
	cJSON_Delete(cur);
	return huce_local_restore(l, kind, id, state, err);
}

/*
 * Mark entries up to acked as acknowledged, quarantine the rejected and
 * put their records back to the central's state, in one transaction.
 * An answer without "state" (a central older than that key) leaves the
 * records as they are.
 */
static enum huce_err record_ack(struct huce_local *l, int64_t acked,
				const cJSON *rejected, int64_t *nrej,
				struct huce_error *err)
{
	const cJSON *r;
	enum huce_err rc;

	*nrej = 0;
	rc = huce_db_begin(l->db, err);
	if (rc)
		return rc;
	rc = huce_db_run(l->db, err,
		"UPDATE outbox SET state = 'acked' WHERE seq <= ?1 AND state = 'pending'",
		"i", acked);
	cJSON_ArrayForEach(r, rejected) {
		const cJSON *seq = cJSON_GetObjectItem(r, "seq");
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(r, "error"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(r, "message"));
		char reason[600];

		if (rc)
			break;
		if (!cJSON_IsNumber(seq) || jnum(seq) < 1 || jnum(seq) > acked)
			continue;
		snprintf(reason, sizeof(reason), "%s: %s", code ? code : "rejected",
			 msg ? msg : "");
		rc = huce_db_run(l->db, err,
			"UPDATE outbox SET state = 'quarantined', reason = ?2 WHERE seq = ?1",
			"is", jnum(seq), reason);
		if (rc || sqlite3_changes(huce_db_handle(l->db)) == 0)
			continue;
		(*nrej)++;
	}
	/* Every entry is quarantined before any record is put back. */
	cJSON_ArrayForEach(r, rejected) {
		const cJSON *seq = cJSON_GetObjectItem(r, "seq");

		if (rc)
			break;
		if (!cJSON_IsNumber(seq) || jnum(seq) < 1 || jnum(seq) > acked ||
		    !cJSON_GetObjectItem(r, "state"))
			continue;
		rc = restore_refused(l, jnum(seq),
				     cJSON_GetObjectItem(r, "state"), err);
	}
	if (!rc) {
		int64_t cur = huce_db_meta_int(l->db, "acked_seq", 0);

		if (acked > cur)
			rc = huce_db_meta_set_int(l->db, "acked_seq", acked, err);
	}
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc)
		huce_db_rollback(l->db);
	return rc;
}

/*
 * The HLC of this laptop's outbox entry seq, into out ("" when there is
 * no such entry).
 */
static enum huce_err entry_hlc(struct huce_local *l, int64_t seq, char *out,
			       size_t n, struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT hlc FROM outbox WHERE seq = ?1", "i", seq);
	int s;

	out[0] = '\0';
	if (!st)
		return err->code;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return huce_db_fail(l->db, err, "cannot read the outbox");
	return HUCE_OK;
}

/*
 * This file is older than what the central has from this device (it was
 * restored from a backup or copied): its entries after acked were
 * numbered again from where the old file stood, at or below the
 * central's mark hwm, and the central would skip them as replays.  Move
 * every entry above acked, in order, to hwm + 1, hwm + 2, ..., and take
 * hwm as acknowledged, in one transaction.  The seqs are negated first
 * so that no UPDATE row meets another's key, and the AUTOINCREMENT
 * counter is kept at or above the new maximum (and hwm) so that the
 * next write follows them.
 */
static enum huce_err renumber_outbox(struct huce_local *l, int64_t acked,
				     int64_t hwm, const char *hwm_hlc,
				     struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT coalesce(min(seq), 0), count(*) FROM outbox WHERE seq > ?1",
		"i", acked);
	int64_t lo = 0, n = 0, shift;
	enum huce_err rc;
	int s;

	if (!st)
		return err->code;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		lo = sqlite3_column_int64(st, 0);
		n = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW)
		return huce_db_fail(l->db, err, "cannot read the outbox");
	shift = hwm + 1 - lo;
	huce_warn("this laptop's database is older than what the central already "
		  "has from this device (was it restored from a backup or copied?): "
		  "the central has entries up to number %lld, this file knew only "
		  "up to %lld. Its %lld unsent entries are renumbered from %lld so "
		  "that the central takes them instead of skipping them",
		  (long long)hwm, (long long)acked, (long long)n, (long long)hwm + 1);
	rc = huce_db_begin(l->db, err);
	if (rc)
		return rc;
	if (n)
		rc = huce_db_run(l->db, err,
			"UPDATE outbox SET seq = -seq WHERE seq > ?1", "i", acked);
	if (!rc && n)
		rc = huce_db_run(l->db, err,
			"UPDATE outbox SET seq = ?1 - seq WHERE seq < 0", "i", shift);
	if (!rc)
		rc = huce_db_run(l->db, err,
			"UPDATE sqlite_sequence SET seq = max(seq, ?1, "
			"(SELECT coalesce(max(seq), 0) FROM outbox)) WHERE name = 'outbox'",
			"i", hwm);
	if (!rc)
		rc = huce_db_run(l->db, err,
			"INSERT INTO sqlite_sequence(name, seq) SELECT 'outbox', "
			"max(?1, (SELECT coalesce(max(seq), 0) FROM outbox)) WHERE NOT EXISTS "
			"(SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')", "i", hwm);
	if (!rc)
		rc = huce_db_meta_set_int(l->db, "acked_seq", hwm, err);
	/*
	 * The lost file's writes reached the central with HLCs up to
	 * hwm_hlc; the merge keeps a device's later value over its older
	 * one.  Move this file's clock past them, so that what is written
	 * from now on counts as later even if the laptop's clock was set
	 * back after the restore.  (Both are 16 lower-case hex digits.)
	 */
	if (!rc && hwm_hlc[0] && huce_hlc_parse(hwm_hlc, &(uint64_t){ 0 }) == 0)
		rc = huce_db_run(l->db, err,
			"UPDATE meta SET value = ?1 WHERE key = 'hlc' AND value < ?1",
			"s", hwm_hlc);
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc)
		huce_db_rollback(l->db);
	return rc;
}

/*
 * The central has this device's entries up to hwm, above what this file
 * takes as acknowledged (acked).  hwm_hlc is the HLC of the central's
 * entry at hwm, "" from a central that does not say.  If this file has
 * that very entry, only an answer was lost: take the acknowledgement.
 * If it has another entry there, or none (and the central names one, or
 * hwm is beyond every entry of this file), the file is older than what
 * the central has: renumber.  Otherwise (an older central, no proof)
 * change nothing: the push goes on as before, and the central skips
 * what it has.
 */
static enum huce_err central_ahead(struct huce_local *l, int64_t acked,
				   int64_t hwm, const char *hwm_hlc,
				   struct huce_error *err)
{
	char mine[HUCE_HLC_STRLEN + 8];
	int64_t nrej;
	enum huce_err rc = entry_hlc(l, hwm, mine, sizeof(mine), err);

	if (rc)
		return rc;
	if (hwm_hlc[0] && strcmp(mine, hwm_hlc) == 0) {
		huce_info("the central already has our entries up to seq %lld "
			  "(an answer was lost): recording it", (long long)hwm);
		return record_ack(l, hwm, NULL, &nrej, err);
	}
	if (hwm_hlc[0] ||
	    hwm > huce_local_count(l, "SELECT coalesce(max(seq), 0) FROM outbox"))
		return renumber_outbox(l, acked, hwm, hwm_hlc, err);
	return HUCE_OK;
}

static enum huce_err http_error(const struct huce_http_resp *resp,
				const char *what, struct huce_error *err)
{
	cJSON *j = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "",
					 resp->body.len);
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "message"));
	enum huce_err code = huce_err_from_http(resp->status);

	huce_fail(err, code, "%s: central answered %ld: %s", what, resp->status,
		  msg ? msg : "no detail");
	cJSON_Delete(j);
	return code;
}

static void progress(const struct huce_sync_opts *o, const char *what,
		     int64_t n, int64_t total, long long bytes)
{
	if (!o->progress)
		return;
	fprintf(stderr, "\r%s %lld/%lld records, %lld KiB   ", what, (long long)n,
		(long long)total, bytes / 1024);
	fflush(stderr);
}

static enum huce_err push(struct huce_local *l, struct huce_http *h,
			  const char *url, const struct huce_sync_opts *o,
			  struct huce_sync_stats *st, struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_http_resp resp = { 0 };
	size_t budget = o->batch_raw ? o->batch_raw : BATCH_RAW_START;
	char endpoint[1200];
	char *device = device_name(l);
	int64_t total = huce_local_count(l, "SELECT count(*) FROM outbox WHERE state = 'pending'");
	int64_t pending = 0;
	int gaps = 0, busy = 0, probed = 0;
	enum huce_err rc = HUCE_OK;

	snprintf(endpoint, sizeof(endpoint), "%s/v1/batches", url);
	for (;;) {
		int64_t acked = huce_db_meta_int(l->db, "acked_seq", 0);
		int64_t first, last, count, nrej;
		cJSON *res;

		rc = build_payload(l, acked, budget, &payload, &first, &last, &count, err);
		if (rc)
			break;
		/*
		 * Before the first batch, and when there is nothing to send,
		 * ask once (an empty batch) what the central has of ours.  A
		 * central restored from an older backup has a lower
		 * high-water mark than what it once acknowledged, and only
		 * this laptop can give the rest back.  A laptop restored
		 * from an older copy of its file has a lower one than the
		 * central, and numbers new entries at or below the
		 * central's: sent as they are they would be skipped as
		 * replays (central_ahead).
		 */
		if (count == 0 && (probed || acked == 0))
			break;
		if (!probed) {
			pending = count;
			first = last = count = 0;
			huce_buf_reset(&payload);
			rc = huce_buf_addstr(&payload, "{\"entries\":[]}");
			if (rc) {
				rc = huce_fail(err, rc, "out of memory");
				break;
			}
			probed = 1;
		}
		huce_buf_reset(&batch);
		rc = huce_batch_encode(device, (uint64_t)first, (uint64_t)last,
				       (uint32_t)count, payload.data, payload.len,
				       -1, &batch, err);
		if (rc)
			break;
		huce_http_resp_release(&resp);
		rc = huce_http_request(h, endpoint, "application/x-huce-batch",
				       batch.data, batch.len, &resp, err);
		if (rc) {
			/* A slow link: send less at a time next round. */
			if (budget / 2 >= BATCH_RAW_MIN)
				budget /= 2;
			break;
		}
		st->batches++;
		if (resp.status == 409) {
			cJSON *j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
			const cJSON *exp = cJSON_GetObjectItem(j, "expected");
			int64_t e = cJSON_IsNumber(exp) ? jnum(exp) : -1;

			cJSON_Delete(j);
			if (e < 1 || ++gaps > 3) {
				rc = http_error(&resp, "push", err);
				break;
			}
			/*
			 * The central has everything before e: either it
			 * acknowledged a batch whose answer we lost, or it
			 * expects entries we thought it had.  Resend from e.
			 */
			huce_info("central expects seq %lld, resending from there", (long long)e);
			if (e - 1 > acked) {
				rc = record_ack(l, e - 1, NULL, &nrej, err);
			} else {
				/* one transaction: the outbox and acked_seq agree */
				rc = huce_db_begin(l->db, err);
				if (!rc)
					rc = huce_db_run(l->db, err,
						"UPDATE outbox SET state = 'pending' WHERE seq >= ?1 AND state = 'acked'",
						"i", e);
				if (!rc)
					rc = huce_db_meta_set_int(l->db, "acked_seq", e - 1, err);
				if (!rc)
					rc = huce_db_commit(l->db, err);
				if (rc)
					huce_db_rollback(l->db);
			}
			if (rc)
				break;
			continue;
		}
		if (resp.status == 413 && budget / 4 >= BATCH_RAW_MIN && count > 1) {
			budget /= 4;
			continue;
		}
		if ((resp.status == 429 || resp.status == 503) && ++busy <= 5) {
			/* A refused probe is asked again: no batch goes without it. */
			if (count == 0)
				probed = 0;
			sleep((unsigned)busy);
			continue;
		}
		if (resp.status != 200) {
			rc = http_error(&resp, "push", err);
			break;
		}
		res = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		if (!cJSON_IsNumber(cJSON_GetObjectItem(res, "acked"))) {
			cJSON_Delete(res);
			rc = huce_fail(err, HUCE_ESERVER, "push: central's answer has no acked seq");
			break;
		}
		if (count == 0) {
			int64_t hwm = jnum(cJSON_GetObjectItem(res, "acked"));
			const char *hh = cJSON_GetStringValue(cJSON_GetObjectItem(res, "acked_hlc"));
			char hwm_hlc[HUCE_HLC_STRLEN + 1] = "";

			if (hh && strlen(hh) == HUCE_HLC_STRLEN)
				memcpy(hwm_hlc, hh, sizeof(hwm_hlc));
			cJSON_Delete(res);
			if (hwm < 0) {
				rc = huce_fail(err, HUCE_ESERVER, "push: central's acked "
					       "seq is not a seq");
				break;
			}
			if (hwm > acked) {
				rc = central_ahead(l, acked, hwm, hwm_hlc, err);
				if (rc)
					break;
			}
			if (hwm >= acked) {
				if (!pending)
					break;
				continue;
			}
			huce_warn("the central has our entries up to seq %lld only (restored "
				  "from a backup?): sending the rest again", (long long)hwm);
			rc = huce_db_begin(l->db, err);
			if (!rc)
				rc = huce_db_run(l->db, err,
					"UPDATE outbox SET state = 'pending' WHERE seq > ?1 AND state = 'acked'",
					"i", hwm);
			if (!rc)
				rc = huce_db_meta_set_int(l->db, "acked_seq", hwm, err);
			if (!rc)
				rc = huce_db_commit(l->db, err);
			if (rc) {
				huce_db_rollback(l->db);
				break;
			}
			continue;
		}
		rc = record_ack(l, jnum(cJSON_GetObjectItem(res, "acked")),
				cJSON_GetObjectItem(res, "rejected"), &nrej, err);
		cJSON_Delete(res);
		if (rc)
			break;
		st->pushed += count - nrej;
		st->quarantined += nrej;
		gaps = busy = 0;
		probed = 1;	/* the answer told us the high-water mark */
		if (budget * 2 <= BATCH_RAW_MAX)
			budget *= 2;
		progress(o, "pushed", st->pushed + st->quarantined, total, h->bytes_up);
	}
	huce_http_resp_release(&resp);
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	free(device);
	return rc;
}

/*
 * Apply one page of changes and advance the cursor, atomically.  A stub
 * (a record this device wrote all of, PROTOCOL.md 2.2) is checked
 * against the outbox and only takes its version; when one fails the
 * check nothing is applied, *refused is set, and the caller asks for
 * the same page in full.
 */
static enum huce_err apply_page(struct huce_local *l, const cJSON *page,
				int64_t *applied, int *refused,
				struct huce_error *err)
{
	const cJSON *changes = cJSON_GetObjectItem(page, "changes");
	const cJSON *next = cJSON_GetObjectItem(page, "next");
	const cJSON *ch;
	enum huce_err rc;
	int64_t n = 0;

	*refused = 0;
	if (!cJSON_IsArray(changes) || jnum(next) < 0)
		return huce_fail(err, HUCE_ESERVER, "pull: malformed page from the central");
	rc = huce_local_begin(l, err);
	if (rc)
		return rc;
	cJSON_ArrayForEach(ch, changes) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "id"));
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "kind"));
		const cJSON *ver = cJSON_GetObjectItem(ch, "version");
		const cJSON *fields = cJSON_GetObjectItem(ch, "fields");

		if (id && kind && jnum(ver) >= 0 &&
		    cJSON_IsTrue(cJSON_GetObjectItem(ch, "own"))) {
			int ok = 0;

			rc = huce_local_apply_stub(l, kind, id, jnum(ver),
				cJSON_GetStringValue(cJSON_GetObjectItem(ch, "hlc")),
				&ok, err);
			if (rc)
				break;
			if (!ok) {
				*refused = 1;
				break;
			}
			n++;
			continue;
		}
		if (!id || !kind || jnum(ver) < 0 || !cJSON_IsObject(fields)) {
			rc = huce_fail(err, HUCE_ESERVER, "pull: malformed change from the central");
			break;
		}
		rc = huce_local_apply(l, kind, id, jnum(ver),
				      cJSON_IsTrue(cJSON_GetObjectItem(ch, "deleted")),
				      fields, err);
		if (rc)
			break;
		n++;
	}
	if (!rc && *refused) {
		huce_local_rollback(l);
		return HUCE_OK;
	}
	if (!rc)
		rc = huce_db_meta_set_int(l->db, "cursor", jnum(next), err);
	if (!rc)
		rc = huce_local_commit(l, err);
	if (rc)
		huce_local_rollback(l);
	else
		*applied += n;
	return rc;
}

static enum huce_err pull(struct huce_local *l, struct huce_http *h,
			  const char *url, const struct huce_sync_opts *o,
			  struct huce_sync_stats *st, struct huce_error *err)
{
	struct huce_http_resp resp = { 0 };
	char endpoint[1300];
	enum huce_err rc = HUCE_OK;
	int repulled = 0, full = 0;
	/*
	 * Stubs need something of ours the central acknowledged: a laptop
	 * with nothing acknowledged (fresh, re-installed) has no record a
	 * stub could stand for, and takes everything whole.
	 */
	int wrote = huce_local_count(l, "SELECT EXISTS (SELECT 1 FROM outbox "
				     "WHERE state = 'acked')") > 0;

	for (;;) {
		int64_t cursor = huce_db_meta_int(l->db, "cursor", 0);
		cJSON *page;
		int more, refused = 0;

		/*
		 * Our own records as stubs (PROTOCOL.md 2.2), except from 0
		 * when nothing of ours was acknowledged, and for a page whose
		 * stub failed the outbox check (full is then set for it).
		 */
		snprintf(endpoint, sizeof(endpoint), "%s/v1/changes?after=%lld&limit=%d%s",
			 url, (long long)cursor, PULL_LIMIT,
			 (cursor > 0 || wrote) && !full ? "&own=stub" : "");
		huce_http_resp_release(&resp);
		rc = huce_http_request(h, endpoint, NULL, NULL, 0, &resp, err);
		if (rc)
			break;
		if (resp.status != 200) {
			rc = http_error(&resp, "pull", err);
			break;
		}
		page = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		if (!page) {
			rc = huce_fail(err, HUCE_ESERVER, "pull: the central's page is not JSON");
			break;
		}
		{
			const cJSON *head = cJSON_GetObjectItem(page, "head");

			/*
			 * The central's newest version is below what we have
			 * seen: it was restored from an older backup, and its
			 * versions will be given again to other changes.  Pull
			 * everything again (applying a record twice is harmless).
			 */
			if (jnum(head) >= 0 && jnum(head) < cursor &&
			    !repulled) {
				long long hv = (long long)jnum(head);

				cJSON_Delete(page);
				huce_warn("the central's history ends at version %lld, before ours "
					  "(%lld): pulling everything again", hv, (long long)cursor);
				repulled = 1;
				rc = huce_db_meta_set_int(l->db, "cursor", 0, err);
				if (rc)
					break;
				continue;
			}
		}
		rc = apply_page(l, page, &st->pulled, &refused, err);
		more = cJSON_IsTrue(cJSON_GetObjectItem(page, "more"));
		cJSON_Delete(page);
		if (rc)
			break;
		if (refused) {
			if (full) {
				/* A full page holds no stub: a faulty central. */
				rc = huce_fail(err, HUCE_ESERVER,
					       "pull: the central sent a stub unasked");
				break;
			}
			huce_info("pull after %lld: a record of ours is not as we have it: "
				  "asking for the page in full", (long long)cursor);
			full = 1;
			continue;
		}
		full = 0;
		st->pages++;
		progress(o, "pulled", st->pulled, st->pulled, h->bytes_down);
		if (!more)
			break;
	}
	huce_http_resp_release(&resp);
	return rc;
}

/*
 * Send one photo from the offset the central has.  *done is set when the
 * central has it in full.  A photo whose original is gone or changed
 * is skipped with a warning (it stays "not uploaded" in status).
 */
static enum huce_err upload_one(struct huce_local *l, struct huce_http *h,
				const char *url, const char *sha,
				const char *path, int *done,
				struct huce_error *err)
{
	struct huce_http_resp resp = { 0 };
	char endpoint[1300], hoff[64], hlen[64];
	const char *hdrs[4] = { "Content-Type: application/offset+octet-stream",
				hoff, hlen, NULL };
	char *chunk = NULL;
	int64_t offset = 0, size;
	struct stat stbuf;
	enum huce_err rc = HUCE_OK;
	int fd, rounds = 0;
	cJSON *j;

	*done = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stbuf) != 0) {
		huce_warn("photo %.12s: the original '%s' cannot be read: %s",
			  sha, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return HUCE_OK;
	}
	size = (int64_t)stbuf.st_size;
	if (size <= 0 || size > PHOTO_MAX) {
		huce_warn("photo %.12s: '%s' is empty or larger than 64 MiB", sha, path);
		close(fd);
		return HUCE_OK;
	}
	snprintf(endpoint, sizeof(endpoint), "%s/v1/blobs/%s", url, sha);
	rc = huce_http_send(h, "GET", endpoint, NULL, NULL, 0, &resp, err);
	if (rc)
		goto out;
	if (resp.status == 404) {
		/* This central keeps no photos: leave them for later. */
		goto out;
	}
	if (resp.status != 200) {
		rc = http_error(&resp, "photo", err);
		goto out;
	}
	chunk = malloc(PHOTO_CHUNK);
	if (!chunk) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		const cJSON *off;
		ssize_t n;

		j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
		off = cJSON_GetObjectItem(j, resp.status == 409 ? "expected" : "offset");
		if (!cJSON_IsNumber(off)) {
			cJSON_Delete(j);
			rc = huce_fail(err, HUCE_ESERVER, "photo: the central's answer has no offset");
			break;
		}
		offset = jnum(off);
		if (cJSON_IsTrue(cJSON_GetObjectItem(j, "complete"))) {
			cJSON_Delete(j);
			*done = 1;
			break;
		}
		cJSON_Delete(j);
		if (offset < 0 || offset >= size || ++rounds > 4 * (int)(size / (int64_t)PHOTO_CHUNK) + 8) {
			huce_warn("photo %.12s: the central has %lld of %lld bytes; giving up for now",
				  sha, (long long)offset, (long long)size);
			break;
		}
		n = pread(fd, chunk, PHOTO_CHUNK, (off_t)offset);
		if (n <= 0) {
			huce_warn("photo %.12s: cannot read '%s'", sha, path);
			break;
		}
		snprintf(hoff, sizeof(hoff), "Upload-Offset: %lld", (long long)offset);
		snprintf(hlen, sizeof(hlen), "Upload-Length: %lld", (long long)size);
		huce_http_resp_release(&resp);
		rc = huce_http_send(h, "PATCH", endpoint, hdrs, chunk, (size_t)n, &resp, err);
		if (rc)
			break;
		if (resp.status == 400) {
			huce_warn("photo %.12s: '%s' no longer matches its SHA-256 "
				  "(changed after it was recorded?)", sha, path);
			break;
		}
		if (resp.status != 200 && resp.status != 409) {
			rc = http_error(&resp, "photo", err);
			break;
		}
	}
	if (!rc && *done)
		rc = huce_db_run(l->db, err,
			"UPDATE photo_file SET uploaded = 1 WHERE sha256 = ?1", "s", sha);
out:
	free(chunk);
	close(fd);
	huce_http_resp_release(&resp);
	return rc;
}

static enum huce_err upload_photos(struct huce_local *l, struct huce_http *h,
				   const char *url, struct huce_sync_stats *st,
				   struct huce_error *err)
{
	sqlite3_stmt *q = huce_db_query(l->db, err,
		"SELECT sha256, path FROM photo_file WHERE uploaded = 0 "
		"ORDER BY rowid LIMIT ?1", "i", (int64_t)PHOTO_BATCH);
	char (*sha)[65] = NULL;
	char **paths = NULL;
	int n = 0, done;
	enum huce_err rc = HUCE_OK;

	if (!q)
		return err->code;
	sha = calloc(PHOTO_BATCH, sizeof(*sha));
	paths = calloc(PHOTO_BATCH, sizeof(*paths));
	if (!sha || !paths) {
		sqlite3_reset(q);
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	while (n < PHOTO_BATCH && sqlite3_step(q) == SQLITE_ROW) {
		snprintf(sha[n], 65, "%s", sqlite3_column_text(q, 0));
		paths[n] = huce_db_col_dup(q, 1);
		if (paths[n])
			n++;
	}
	sqlite3_reset(q);
	for (int i = 0; i < n && !rc; i++) {
		rc = upload_one(l, h, url, sha[i], paths[i], &done, err);
		if (!rc && done)
			st->photos++;
	}
out:
	for (int i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	free(sha);
	return rc;
}

static enum huce_err setup_http(struct huce_local *l, struct huce_http *h,
				const struct huce_sync_opts *o, char **token,
				char **pin, struct huce_error *err)
{
	enum huce_err rc = huce_http_init(h, err);

	if (rc)
		return rc;
	if (o->timeout_s)
		h->timeout_s = o->timeout_s;
	if (o->low_speed_time)
		h->low_speed_time = o->low_speed_time;
	h->ca_file = o->ca_file;
	h->pin = o->pin;
	if (!o->ca_file) {
		char *ca = huce_db_meta_get(l->db, "ca_file");

		/* kept for the run; freed with the token by the caller */
		h->ca_file = ca;
	}
	*token = huce_db_meta_get(l->db, "token");
	h->token = *token;
	if (!o->pin)
		*pin = huce_db_meta_get(l->db, "pin");
	if (*pin)
		h->pin = *pin;
	return HUCE_OK;
}

/*
 * Compare this laptop's clock with the central's from the last answer
 * (huce_clock.h) and keep the result; more than a day apart, say so in
 * plain words.  Never fails a sync: a clock is not a reason to stop.
 */
static void check_clock(struct huce_local *l, const struct huce_http *h,
			struct huce_sync_stats *st)
{
	struct huce_error cerr = { 0 };
	int64_t skew, flagged = 0;
	char words[48], lt[21], ct[21];

	if (!h->central_time)
		return;
	skew = (int64_t)(h->central_time_local - h->central_time);
	if (huce_clock_check(l, h->central_time, h->central_time_local,
			     &flagged, &cerr)) {
		huce_warn("cannot keep the clock check: %s", cerr.msg);
		return;
	}
	if (st) {
		st->clock_checked = 1;
		st->clock_skew = skew;
		st->clock_flagged = flagged;
	}
	if (!huce_clock_is_off(skew))
		return;
	huce_clock_describe(skew, words, sizeof(words));
	huce_iso_time(h->central_time_local, lt);
	huce_iso_time(h->central_time, ct);
	huce_warn("this laptop's clock is %s the central's (laptop %s, central "
		  "%s): set the laptop's date and time. Dates taken from the "
		  "wrong clock are wrong too: %lld inspection date%s to confirm "
		  "(`huce status` lists them)", words, lt, ct, (long long)flagged,
		  flagged == 1 ? "" : "s");
}

enum huce_err huce_sync_run(struct huce_local *l,
			    const struct huce_sync_opts *o,
			    struct huce_sync_stats *st, struct huce_error *err)
{
	struct huce_http h;
	char *url = huce_db_meta_get(l->db, "central_url");
	char *token = NULL, *pin = NULL;
	char now[21];
	enum huce_err rc;

	memset(st, 0, sizeof(*st));
	if (!url)
		return huce_fail(err, HUCE_EUSAGE,
				 "this laptop is not enrolled: run `huce enroll URL TOKEN` "
				 "(or carry a file: `huce export FILE`)");
	rc = setup_http(l, &h, o, &token, &pin, err);
	if (!rc)
		rc = push(l, &h, url, o, st, err);
	if (!rc)
		rc = pull(l, &h, url, o, st, err);
	if (!rc)
		rc = upload_photos(l, &h, url, st, err);
	/* Whatever happened, an answer that came says what time it is. */
	check_clock(l, &h, st);
	if (!rc) {
		huce_iso_time((int64_t)time(NULL), now);
		rc = huce_db_meta_set(l->db, "last_sync", now, err);
	}
	if (o->progress)
		fputc('\n', stderr);
	st->bytes_up = h.bytes_up;
	st->bytes_down = h.bytes_down;
	st->requests = h.requests;
	if (!o->ca_file)
		free((char *)h.ca_file);
	huce_http_release(&h);
	free(token);
	free(pin);
	free(url);
	return rc;
}

/*
 * This laptop's install id for enrolment (X-Huce-Install): its device_id,
 * made by `huce init` (a file made otherwise gets one now).  A token
 * enrolls one laptop; the same id may enrol again.  Malloc'd.
 */
static char *install_id(struct huce_local *l, struct huce_error *err)
{
	char *v = huce_db_meta_get(l->db, "device_id");
	char id[HUCE_ID_STRLEN + 1];
	enum huce_err rc;

	if (v)
		return v;
	rc = huce_local_begin(l, err);
	if (!rc)
		rc = huce_local_new_id(l, id);
	if (!rc)
		rc = huce_db_meta_set(l->db, "device_id", id, err);
	if (!rc)
		rc = huce_local_commit(l, err);
	if (rc) {
		huce_local_rollback(l);
		return NULL;
	}
	return huce_db_meta_get(l->db, "device_id");
}

enum huce_err huce_sync_enroll(struct huce_local *l, const char *url,
			       const char *token,
			       const struct huce_sync_opts *o,
			       struct huce_error *err)
{
	struct huce_http h;
	struct huce_http_resp resp = { 0 };
	char endpoint[1200], hinstall[128];
	const char *hdrs[2] = { hinstall, NULL };
	char *trimmed, *town, *inst;
	cJSON *j = NULL;
	const char *dev, *key;
	enum huce_err rc;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return huce_fail(err, HUCE_EUSAGE, "URL '%s' must start with http:// or https://", url);
	n = strlen(url);
	if (n > 1000)
		return huce_fail(err, HUCE_EUSAGE, "URL is too long");
	if (huce_text_check(token, "token", 256, 0, err))
		return HUCE_EUSAGE;
	inst = install_id(l, err);
	if (!inst)
		return err && err->code ? err->code : HUCE_EDB;
	snprintf(hinstall, sizeof(hinstall), HUCE_INSTALL_HEADER ": %s", inst);
	free(inst);
	trimmed = strndup(url, n);
	if (!trimmed)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	while (n > 0 && trimmed[n - 1] == '/')
		trimmed[--n] = '\0';
	rc = huce_http_init(&h, err);
	if (rc) {
		free(trimmed);
		return rc;
	}
	h.token = token;
	h.ca_file = o->ca_file;
	h.pin = o->pin;
	h.timeout_s = 30;
	snprintf(endpoint, sizeof(endpoint), "%s/v1/enroll", trimmed);
	rc = huce_http_send(&h, "GET", endpoint, hdrs, NULL, 0, &resp, err);
	if (!rc && resp.status != 200) {
		rc = http_error(&resp, "enroll", err);
		/* 409: the token enrolled another laptop (not a seq gap) */
		if (resp.status == 409) {
			rc = HUCE_EFORBIDDEN;
			if (err)
				err->code = rc;
		}
	}
	if (!rc) {
		j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		dev = cJSON_GetStringValue(cJSON_GetObjectItem(j, "device"));
		key = cJSON_GetStringValue(cJSON_GetObjectItem(j, "town_key"));
		if (!dev || !key)
			rc = huce_fail(err, HUCE_ESERVER, "enroll: the central's answer lacks device or key");
	}
	if (!rc)
		rc = huce_db_begin(l->db, err);
	if (!rc) {
		rc = huce_db_meta_set(l->db, "central_url", trimmed, err);
		if (!rc)
			rc = huce_db_meta_set(l->db, "token", token, err);
		if (!rc)
			rc = huce_db_meta_set(l->db, "central_device", dev, err);
		/* One name: the laptop takes the central's name for it. */
		if (!rc)
			rc = huce_db_meta_set(l->db, "device", dev, err);
		if (!rc)
			rc = huce_db_meta_set(l->db, "town_key", key, err);
		if (!rc)
			rc = o->pin ? huce_db_meta_set(l->db, "pin", o->pin, err) :
				huce_db_run(l->db, err, "DELETE FROM meta WHERE key = 'pin'", "");
		if (!rc && o->ca_file) {
			char *abs = realpath(o->ca_file, NULL);

			rc = huce_db_meta_set(l->db, "ca_file", abs ? abs : o->ca_file, err);
			free(abs);
		}
		town = huce_db_meta_get(l->db, "town");
		if (!rc && !town && cJSON_GetStringValue(cJSON_GetObjectItem(j, "town")))
			rc = huce_db_meta_set(l->db, "town",
					      cJSON_GetStringValue(cJSON_GetObjectItem(j, "town")), err);
		free(town);
		if (!rc)
			rc = huce_db_commit(l->db, err);
		if (rc)
			huce_db_rollback(l->db);
	}
	if (!rc)
		check_clock(l, &h, NULL);
	cJSON_Delete(j);
	huce_http_resp_release(&resp);
	huce_http_release(&h);
	free(trimmed);
	return rc;
}

enum huce_err huce_sync_export(struct huce_local *l, const char *path,
			       int64_t *count, struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	char *device = device_name(l);
	int64_t first, last, acked = huce_db_meta_int(l->db, "acked_seq", 0);
	enum huce_err rc;

	*count = 0;
	rc = build_payload(l, acked, HUCE_BATCH_MAX_RAW - 4096, &payload, &first, &last,
			   count, err);
	if (!rc)
		rc = huce_batch_encode(device, (uint64_t)first, (uint64_t)last,
				       (uint32_t)*count, payload.data, payload.len, 9,
				       &batch, err);
	if (rc)
		goto out;
	/* A temp file next to the target, fsync, rename: no torn file. */
	rc = huce_file_write_atomic(path, batch.data, batch.len, 0600, err);
out:
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	free(device);
	return rc;
}

enum huce_err huce_sync_import_ack(struct huce_local *l, const char *path,
				   int64_t *acked, struct huce_error *err)
{
	struct huce_buf b = HUCE_BUF_INIT(ACK_FILE_MAX);
	char *device = device_name(l);
	cJSON *j = NULL;
	const char *dev;
	const cJSON *a;
	struct huce_error ferr = { 0 };
	int64_t nrej;
	enum huce_err rc;

	rc = huce_file_read(path, ACK_FILE_MAX, &b, &ferr);
	if (rc == HUCE_ETOOBIG) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s' is not an acknowledgement file (too large)", path);
		goto out;
	}
	if (rc) {
		rc = huce_fail(err, HUCE_EIO, "%s", ferr.msg);
		goto out;
	}
	j = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
	dev = cJSON_GetStringValue(cJSON_GetObjectItem(j, "device"));
	a = cJSON_GetObjectItem(j, "acked");
	if (!dev || !cJSON_IsNumber(a) || a->valuedouble < 0) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s' is not an acknowledgement file", path);
		goto out;
	}
	if (!device || strcmp(dev, device) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s' acknowledges device '%s', not this laptop ('%s')",
			       path, dev, device ? device : "?");
		goto out;
	}
	*acked = jnum(a);
	if (*acked < 0) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s' is not an acknowledgement file", path);
		goto out;
	}
	if (*acked > huce_local_count(l, "SELECT coalesce(max(seq), 0) FROM outbox")) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s' acknowledges entries this laptop never wrote", path);
		goto out;
	}
	rc = record_ack(l, *acked, cJSON_GetObjectItem(j, "rejected"), &nrej, err);
out:
	cJSON_Delete(j);
	huce_buf_release(&b);
	free(device);
	return rc;
}

/* The benchmarks' entry points (sync.h): push or pull alone, the batch builder. */
enum huce_err huce_sync_push(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err)
{
	return push(l, h, url, o, st, err);
}

enum huce_err huce_sync_pull(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err)
{
	return pull(l, h, url, o, st, err);
}

enum huce_err huce_sync_build_payload(struct huce_local *l, int64_t after,
				      size_t budget, struct huce_buf *out,
				      int64_t *first, int64_t *last,
				      int64_t *count, struct huce_error *err)
{
	return build_payload(l, after, budget, out, first, last, count, err);
}
