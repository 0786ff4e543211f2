/*
 * huce_outbox.c - the whole life of the laptop's outbox (huce_outbox.h):
 * append, the payload of a batch, acknowledge and quarantine, rewind,
 * renumber, apply a pulled page, and the USB-stick files (export,
 * import-ack).  No network: the agent (syncd/agent/sync.c) carries what
 * these functions build and hands them what the central answered.
 *
 * Every step that changes the laptop's state runs in one local
 * transaction, so a kill -9 at any instant leaves either the old or the
 * new state.
 */
#include "huce_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_batch.h"
#include "huce_domain_local.h"
#include "huce_file.h"
#include "huce_hlc.h"
#include "huce_i18n.h"
#include "huce_log.h"
#include "huce_record.h"

#define BATCH_ENTRIES_MAX 50000
#define ACK_FILE_MAX	(64u << 20)	/* as an answer: records' states */

/*
 * A non-negative integer from JSON that came from outside (the central,
 * an acknowledgement file), or -1: converting a double beyond int64 is
 * undefined behaviour, so the range is checked first.
 */
int64_t huce_wire_int(const cJSON *v)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0))
		return -1;
	return (int64_t)d;
}

char *huce_outbox_device(struct huce_local *l)
{
	char *d = huce_db_meta_get(l->db, "central_device");

	return d ? d : huce_db_meta_get(l->db, "device");
}

enum huce_err huce_outbox_append(struct huce_local *l, const char *kind,
				 const char *id, const char *op,
				 const cJSON *fields, struct huce_error *err)
{
	char hex[HUCE_HLC_STRLEN + 1];
	char *text = cJSON_PrintUnformatted(fields);
	int64_t base = huce_db_meta_int(l->db, "cursor", 0);
	enum huce_err rc;

	if (!text)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	huce_hlc_format(huce_local_tick(l), hex);
	rc = huce_db_run(l->db, err,
		"INSERT INTO outbox(record_id, kind, op, fields, base, hlc) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
		"ssssis", id, kind, op, text, base, hex);
	free(text);
	return rc;
}

/*
 * Build the payload {"entries":[ ... ]} of outbox entries with seq > after,
 * up to about budget raw bytes (at least one entry).  The out-parameters first, last, count
 * describe what went in; count 0 means nothing is pending.
 */
enum huce_err huce_outbox_payload(struct huce_local *l, int64_t after,
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
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			break;
		}
		if (*count)
			rc = huce_buf_addstr(out, ",");
		if (!rc)
			rc = huce_buf_addstr(out, text);
		free(text);
		if (rc) {
			rc = huce_fail(err, rc, _("batch too large"));
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
 * acknowledgement file read late), or the entry seq here is of another
 * record than refused (the answer's "id"; NULL: not said).
 */
static enum huce_err restore_refused(struct huce_local *l, int64_t seq,
				     const char *refused, const cJSON *state,
				     struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err,
		"SELECT kind, record_id FROM outbox WHERE seq = ?1", "i", seq);
	char kind[64] = "", id[HUCE_ID_STRLEN + 1] = "";
	enum huce_err rc;
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
		return huce_db_fail(l->db, err, _("cannot read the outbox"));
	if (!id[0] || !huce_kind_find(kind) || (refused && strcmp(refused, id) != 0))
		return HUCE_OK;
	cur = huce_local_get(l, kind, id, NULL);
	if (cur && cJSON_IsObject(state) &&
	    huce_wire_int(cJSON_GetObjectItem(cur, "version")) >
	    huce_wire_int(cJSON_GetObjectItem(state, "version"))) {
		cJSON_Delete(cur);
		return HUCE_OK;
	}
	cJSON_Delete(cur);
	rc = huce_local_restore(l, kind, id, state, err);
	/* Back to the central's state: the status is derived again. */
	if (!rc)
		rc = huce_local_status_refresh_record(l, kind, id, err);
	return rc;
}

/*
 * Mark entries up to acked as acknowledged, quarantine the rejected and
 * put their records back to the central's state, in one transaction.
 * An answer without "state" (a central older than that key) leaves the
 * records as they are.
 */
enum huce_err huce_outbox_ack(struct huce_local *l, int64_t acked,
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
		if (!cJSON_IsNumber(seq) || huce_wire_int(seq) < 1 || huce_wire_int(seq) > acked)
			continue;
		snprintf(reason, sizeof(reason), "%s: %s", code ? code : "rejected",
			 msg ? msg : "");
		/*
		 * Only the entry of the record the central refused: a late
		 * answer (a stick's reply read after this file renumbered)
		 * may name seqs that are other entries here now.
		 */
		rc = huce_db_run(l->db, err,
			"UPDATE outbox SET state = 'quarantined', reason = ?2 WHERE seq = ?1 "
			"AND (?3 IS NULL OR record_id = ?3)",
			"iss", huce_wire_int(seq), reason,
			cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")));
		if (rc || sqlite3_changes(huce_db_handle(l->db)) == 0)
			continue;
		(*nrej)++;
	}
	/* Every entry is quarantined before any record is put back. */
	cJSON_ArrayForEach(r, rejected) {
		const cJSON *seq = cJSON_GetObjectItem(r, "seq");

		if (rc)
			break;
		if (!cJSON_IsNumber(seq) || huce_wire_int(seq) < 1 || huce_wire_int(seq) > acked ||
		    !cJSON_GetObjectItem(r, "state"))
			continue;
		rc = restore_refused(l, huce_wire_int(seq),
				     cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")),
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

enum huce_err huce_outbox_rewind(struct huce_local *l, int64_t hwm,
				 struct huce_error *err)
{
	/* one transaction: the outbox and acked_seq agree */
	enum huce_err rc = huce_db_begin(l->db, err);

	if (!rc)
		rc = huce_db_run(l->db, err,
			"UPDATE outbox SET state = 'pending' WHERE seq > ?1 AND state = 'acked'",
			"i", hwm);
	if (!rc)
		rc = huce_db_meta_set_int(l->db, "acked_seq", hwm, err);
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
		return huce_db_fail(l->db, err, _("cannot read the outbox"));
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
		return huce_db_fail(l->db, err, _("cannot read the outbox"));
	shift = hwm + 1 - lo;
	huce_warn(_("this laptop's database is older than what the central already "
		  "has from this device (was it restored from a backup or copied?): "
		  "the central has entries up to number %lld, this file knew only "
		  "up to %lld. Its %lld unsent entries are renumbered from %lld so "
		  "that the central takes them instead of skipping them"),
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
enum huce_ahead huce_outbox_ahead(int64_t hwm, const char *hwm_hlc,
				  const char *mine, int64_t max_seq,
				  const char *clock)
{
	if (hwm_hlc[0] && strcmp(mine, hwm_hlc) == 0)
		return HUCE_AHEAD_LOST;
	/*
	 * An export does not hold what the laptop wrote after it: an entry
	 * at the mark newer than the export may be one it pushed online
	 * since.  (A restored file's new export is newer than everything
	 * the lost file wrote, unless its clock was set back.)
	 */
	if (clock && !mine[0] && (!hwm_hlc[0] || strcmp(hwm_hlc, clock) > 0))
		return HUCE_AHEAD_UNKNOWN;
	if (hwm_hlc[0] || hwm > max_seq)
		return HUCE_AHEAD_RESTORED;
	return HUCE_AHEAD_UNKNOWN;
}

enum huce_err huce_outbox_central_ahead(struct huce_local *l, int64_t acked,
					int64_t hwm, const char *hwm_hlc,
					struct huce_error *err)
{
	char mine[HUCE_HLC_STRLEN + 8];
	int64_t nrej;
	enum huce_err rc = entry_hlc(l, hwm, mine, sizeof(mine), err);

	if (rc)
		return rc;
	switch (huce_outbox_ahead(hwm, hwm_hlc, mine,
		huce_local_count(l, "SELECT coalesce(max(seq), 0) FROM outbox"), NULL)) {
	case HUCE_AHEAD_LOST:
		huce_info("the central already has our entries up to seq %lld "
			  "(an answer was lost): recording it", (long long)hwm);
		return huce_outbox_ack(l, hwm, NULL, &nrej, err);
	case HUCE_AHEAD_RESTORED:
		return renumber_outbox(l, acked, hwm, hwm_hlc, err);
	case HUCE_AHEAD_UNKNOWN:
		break;
	}
	return HUCE_OK;
}

enum huce_err huce_outbox_answer(struct huce_local *l, int64_t probe,
				 const char *probe_hlc, int64_t acked,
				 const char *acked_hlc, const cJSON *rejected,
				 int64_t expected, int64_t *nrej,
				 struct huce_error *err)
{
	char mine[HUCE_HLC_STRLEN + 8];
	int64_t cur = huce_db_meta_int(l->db, "acked_seq", 0);
	enum huce_err rc;

	*nrej = 0;
	/* The central has less than it once acknowledged: send the rest again. */
	if (expected >= 1 && expected - 1 < cur)
		return huce_outbox_rewind(l, expected - 1, err);
	/* The probe a push starts with: the office took the export after it. */
	if (probe > cur) {
		rc = huce_outbox_central_ahead(l, cur, probe, probe_hlc, err);
		if (rc)
			return rc;
		cur = huce_db_meta_int(l->db, "acked_seq", 0);
	}
	if (acked > cur) {
		rc = entry_hlc(l, acked, mine, sizeof(mine), err);
		if (rc)
			return rc;
		/*
		 * The acknowledgement is this file's only if its entry acked
		 * is the one the central took (a stick written before this
		 * file renumbered, or by the copy it was restored from, names
		 * other entries): otherwise nothing is taken as sent, and the
		 * entries after what this file has acknowledged go after the
		 * central's mark, to be sent again.
		 */
		if (huce_outbox_ahead(acked, acked_hlc, mine,
			huce_local_count(l, "SELECT coalesce(max(seq), 0) FROM outbox"),
			NULL) == HUCE_AHEAD_RESTORED)
			return renumber_outbox(l, cur, acked, acked_hlc, err);
	}
	return huce_outbox_ack(l, acked, rejected, nrej, err);
}

enum huce_err huce_outbox_batch_shift(const void *batch, size_t len,
				      int64_t shift, struct huce_buf *out,
				      struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_batch_header h;
	struct huce_error derr = { 0 };
	cJSON *root = NULL, *e;
	char *text = NULL;
	enum huce_err rc;

	huce_buf_reset(out);
	rc = huce_batch_decode(batch, len, HUCE_BATCH_MAX_RAW, &h, &payload, &derr);
	if (rc) {
		rc = huce_fail(err, HUCE_EINVAL, "%s", derr.msg);
		goto out;
	}
	root = cJSON_ParseWithLength(payload.data ? payload.data : "", payload.len);
	if (!cJSON_IsArray(cJSON_GetObjectItem(root, "entries")) ||
	    (h.count && (int64_t)h.first_seq + shift < 1)) {
		rc = huce_fail(err, HUCE_EINVAL, _("batch of '%s' is not a batch of entries"),
			       h.device);
		goto out;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "entries")) {
		cJSON *seq = cJSON_GetObjectItem(e, "seq");

		if (huce_wire_int(seq) < 1) {
			rc = huce_fail(err, HUCE_EINVAL, _("batch of '%s': an entry "
				       "without a seq"), h.device);
			goto out;
		}
		cJSON_SetNumberValue(seq, (double)(huce_wire_int(seq) + shift));
	}
	text = cJSON_PrintUnformatted(root);
	if (!text) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	rc = huce_batch_encode(h.device,
			       h.count ? (uint64_t)((int64_t)h.first_seq + shift) : 0,
			       h.count ? (uint64_t)((int64_t)h.last_seq + shift) : 0,
			       h.count, text, strlen(text), 6, out, err);
out:
	free(text);
	cJSON_Delete(root);
	huce_buf_release(&payload);
	return rc;
}

/*
 * Apply one page of changes and advance the cursor, atomically.  A stub
 * (a record this device wrote all of, PROTOCOL.md 2.2) is checked
 * against the outbox and only takes its version; when one fails the
 * check nothing is applied, *refused is set, and the caller asks for
 * the same page in full.
 */
enum huce_err huce_outbox_apply_page(struct huce_local *l, const cJSON *page,
				     int64_t *applied, int *refused,
				     struct huce_error *err)
{
	const cJSON *changes = cJSON_GetObjectItem(page, "changes");
	const cJSON *next = cJSON_GetObjectItem(page, "next");
	const cJSON *ch;
	enum huce_err rc;
	int64_t n = 0;

	*refused = 0;
	if (!cJSON_IsArray(changes) || huce_wire_int(next) < 0)
		return huce_fail(err, HUCE_ESERVER, _("pull: malformed page from the central"));
	rc = huce_local_begin(l, err);
	if (rc)
		return rc;
	cJSON_ArrayForEach(ch, changes) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "id"));
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "kind"));
		const cJSON *ver = cJSON_GetObjectItem(ch, "version");
		const cJSON *fields = cJSON_GetObjectItem(ch, "fields");

		if (id && kind && huce_wire_int(ver) >= 0 &&
		    cJSON_IsTrue(cJSON_GetObjectItem(ch, "own"))) {
			int ok = 0;

			rc = huce_local_apply_stub(l, kind, id, huce_wire_int(ver),
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
		if (!id || !kind || huce_wire_int(ver) < 0 || !cJSON_IsObject(fields)) {
			rc = huce_fail(err, HUCE_ESERVER, _("pull: malformed change from the central"));
			break;
		}
		rc = huce_local_apply(l, kind, id, huce_wire_int(ver),
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
	/* Status is derived here, never pulled (docs/DOMAIN.md). */
	if (!rc)
		rc = huce_local_status_refresh_page(l, changes, err);
	if (!rc)
		rc = huce_db_meta_set_int(l->db, "cursor", huce_wire_int(next), err);
	if (!rc)
		rc = huce_local_commit(l, err);
	if (rc)
		huce_local_rollback(l);
	else
		*applied += n;
	return rc;
}

enum huce_err huce_outbox_export(struct huce_local *l, const char *path,
				 int64_t *count, struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	char *device = huce_outbox_device(l);
	int64_t first, last, acked = huce_db_meta_int(l->db, "acked_seq", 0);
	enum huce_err rc;

	*count = 0;
	rc = huce_outbox_payload(l, acked, HUCE_BATCH_MAX_RAW - 4096, &payload,
				 &first, &last, count, err);
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

enum huce_err huce_outbox_import_ack(struct huce_local *l, const char *path,
				     int64_t *acked, struct huce_error *err)
{
	struct huce_buf b = HUCE_BUF_INIT(ACK_FILE_MAX);
	char *device = huce_outbox_device(l);
	cJSON *j = NULL;
	const char *dev;
	const cJSON *a;
	struct huce_error ferr = { 0 };
	int64_t nrej;
	enum huce_err rc;

	rc = huce_file_read(path, ACK_FILE_MAX, &b, &ferr);
	if (rc == HUCE_ETOOBIG) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' is not an acknowledgement file (too large)"), path);
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
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' is not an acknowledgement file"), path);
		goto out;
	}
	if (!device || strcmp(dev, device) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' acknowledges device '%s', not this laptop ('%s')"),
			       path, dev, device ? device : "?");
		goto out;
	}
	*acked = huce_wire_int(a);
	if (*acked < 0) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' is not an acknowledgement file"), path);
		goto out;
	}
	if (*acked > huce_local_count(l, "SELECT coalesce(max(seq), 0) FROM outbox")) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' acknowledges entries this laptop never wrote"), path);
		goto out;
	}
	rc = huce_outbox_ack(l, *acked, cJSON_GetObjectItem(j, "rejected"), &nrej, err);
out:
	cJSON_Delete(j);
	huce_buf_release(&b);
	free(device);
	return rc;
}

char *huce_outbox_install_id(struct huce_local *l, struct huce_error *err)
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

enum huce_err huce_outbox_enrolment_store(struct huce_local *l,
					  const struct huce_enrolment *e,
					  struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;
	char *town = NULL;

	if (e->url)
		rc = huce_db_meta_set(l->db, "central_url", e->url, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "token", e->token, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "central_device", e->device, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "device", e->device, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "town_key", e->town_key, err);
	if (!rc && e->central_key)
		rc = huce_db_meta_set(l->db, "central_key", e->central_key, err);
	if (!rc && e->town) {
		town = huce_db_meta_get(l->db, "town");
		if (!town)
			rc = huce_db_meta_set(l->db, "town", e->town, err);
		free(town);
	}
	return rc;
}
