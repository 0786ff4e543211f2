/*
 * huce_outbox.h - the whole life of the laptop's outbox, next to the
 * local store (huce_local.h), with no network in it.
 *
 * An entry is appended by huce_local_put()/huce_local_delete() in the
 * transaction of its write; goes to the central in a batch built by
 * huce_outbox_payload() (online by syncd/agent/sync.c, or on a USB stick
 * by huce_outbox_export()); is acknowledged, or quarantined with the
 * central's reason and its record put back to the central's state, by
 * huce_outbox_ack() (from the central's answer, or from the office's
 * file by huce_outbox_import_ack()).  When the central's high-water mark
 * is below what this laptop took as acknowledged (a central restored
 * from a backup) the acknowledged entries above it are sent again
 * (huce_outbox_rewind); when it is above (an answer lost, or this file
 * restored from a backup) huce_outbox_central_ahead() takes the
 * acknowledgement or renumbers the unsent entries.  A page pulled from
 * the central is applied by huce_outbox_apply_page(), whose stubs are
 * checked against the outbox.
 *
 * The outbox table: seq (AUTOINCREMENT), record_id, kind, op ("put" or
 * "delete"), fields (the changed fields, JSON), base (the pull cursor
 * when written), hlc, state ('pending', 'acked', 'quarantined'),
 * reason.  meta "acked_seq" is the highest seq the central has.
 * `huce quarantine` (client/cmd_quarantine.c) lists, drops and retries
 * quarantined entries.
 */
#ifndef HUCE_OUTBOX_H
#define HUCE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"
#include "huce_local.h"

/*
 * A non-negative integer from JSON that came from outside (the central,
 * an acknowledgement file), or -1: converting a double beyond int64 is
 * undefined behaviour, so the range (0 .. 2^53) is checked first.
 */
int64_t huce_wire_int(const cJSON *v);

/*
 * The name this laptop has at the central (its token's device), else its
 * own; NULL when it has neither.  Malloc'd.
 */
char *huce_outbox_device(struct huce_local *l);
/*
 * This laptop's install id (its meta device_id, made by `huce init`; a
 * file made otherwise gets one now, in its own transaction): what a
 * token's enrolment binds to and what the stick's files name.  Malloc'd
 * (caller frees); NULL on failure, with err set.
 */
char *huce_outbox_install_id(struct huce_local *l, struct huce_error *err);

/* What an enrolment gives the laptop, online (`huce enroll`) or by file. */
struct huce_enrolment {
	const char *url;		/* the central's address, or NULL */
	const char *token;
	const char *device;		/* the central's name for this laptop */
	const char *town_key;
	const char *central_key;	/* or NULL: a central older than the stick */
	const char *town;		/* or NULL; kept only if none is set yet */
};

/*
 * Store an enrolment in meta, inside the caller's transaction: the token,
 * the device name (one name: the laptop takes the central's), the keys,
 * the address and the town.  One place for both ways of enrolling.
 */
enum huce_err huce_outbox_enrolment_store(struct huce_local *l,
					  const struct huce_enrolment *e,
					  struct huce_error *err);

/*
 * Append an entry: op ("put" or "delete") of record id of kind, the
 * changed fields (borrowed), the pull cursor as base and the next HLC.
 * Must be inside huce_local_begin/commit, with the write it records.
 */
enum huce_err huce_outbox_append(struct huce_local *l, const char *kind,
				 const char *id, const char *op,
				 const cJSON *fields, struct huce_error *err);

/*
 * The payload {"entries":[ ... ]} of the consecutive entries with
 * seq > after, up to about budget raw bytes (at least one entry), into
 * out.  first, last and count say what went in; count 0: nothing
 * pending.
 */
enum huce_err huce_outbox_payload(struct huce_local *l, int64_t after,
				  size_t budget, struct huce_buf *out,
				  int64_t *first, int64_t *last, int64_t *count,
				  struct huce_error *err);

/*
 * The central has every entry up to acked: mark them acknowledged,
 * quarantine the rejected ({"seq","error","message","state"} each, may
 * be NULL) with the central's reason, and put their records back to
 * the answer's "state" (huce_local_restore) unless this laptop holds a
 * newer one; raise acked_seq.  One transaction; *nrej counts the newly
 * quarantined.
 */
enum huce_err huce_outbox_ack(struct huce_local *l, int64_t acked,
			      const cJSON *rejected, int64_t *nrej,
			      struct huce_error *err);

/*
 * The central has this device's entries up to hwm only, at or below
 * acked_seq: entries after hwm go back to pending and acked_seq becomes
 * hwm, in one transaction, so that they are sent again.
 */
enum huce_err huce_outbox_rewind(struct huce_local *l, int64_t hwm,
				 struct huce_error *err);

/*
 * What the central's high-water mark hwm for this device says of a copy
 * of its outbox that took less as acknowledged, the one rule that both
 * the laptop (huce_outbox_central_ahead, before a push) and the office
 * (syncd/central/stick.c, taking an export from a stick) decide by:
 *
 *   HUCE_AHEAD_LOST      the copy's entry hwm is the central's (mine ==
 *                        hwm_hlc): only an answer was lost
 *   HUCE_AHEAD_RESTORED  the copy is older than what the central has
 *                        from this device (restored from a backup, or
 *                        copied): another entry at hwm, or none (and the
 *                        central names its entry, or hwm is past every
 *                        seq of the copy); its entries after what it
 *                        took as acknowledged are renumbered from hwm + 1
 *   HUCE_AHEAD_UNKNOWN   no proof either way: nothing is renumbered
 *
 * hwm_hlc is the HLC of the central's entry at hwm ("" from a central
 * that does not say), mine that of the copy's entry hwm ("" when it has
 * none), max_seq the copy's highest seq.  clock is NULL when the whole
 * outbox is seen (the laptop); for an export it is the laptop's HLC when
 * the export was written: an entry at hwm newer than that may have been
 * written after the export and pushed online, which proves nothing.
 */
enum huce_ahead {
	HUCE_AHEAD_LOST,
	HUCE_AHEAD_RESTORED,
	HUCE_AHEAD_UNKNOWN,
};
enum huce_ahead huce_outbox_ahead(int64_t hwm, const char *hwm_hlc,
				  const char *mine, int64_t max_seq,
				  const char *clock);

/*
 * The central has this device's entries up to hwm, above acked
 * (acked_seq); hwm_hlc is the HLC of its entry at hwm, "" from a
 * central that does not say.  As huce_outbox_ahead() decides: the same
 * entry here: an answer was lost, take the acknowledgement; this file
 * older than what the central has: the entries after acked are
 * renumbered from hwm + 1 (and the HLC moved past hwm_hlc); no proof
 * either way: nothing changes.
 */
enum huce_err huce_outbox_central_ahead(struct huce_local *l, int64_t acked,
					int64_t hwm, const char *hwm_hlc,
					struct huce_error *err);

/*
 * The central's answer to an export taken at the office (a stick's
 * reply, PROTOCOL.md 3.4), applied as an online push's answers are:
 * probe/probe_hlc is the central's mark for this device before it took
 * the export (what the empty batch that starts a push would have
 * answered: huce_outbox_central_ahead() when it is above acked_seq, so
 * that a restored file renumbers exactly as the office did), then
 * acked/acked_hlc/rejected the mark after it (huce_outbox_ack), taken
 * only if this file's entry acked is the one the central names;
 * otherwise this file is not the one that wrote those entries and its
 * entries after acked_seq are renumbered past acked, to be sent again.
 * expected >= 1 is the seq a gap asked for: a central that has less than
 * this laptop took as acknowledged gets the rest again
 * (huce_outbox_rewind).  *nrej counts the newly quarantined.
 */
enum huce_err huce_outbox_answer(struct huce_local *l, int64_t probe,
				 const char *probe_hlc, int64_t acked,
				 const char *acked_hlc, const cJSON *rejected,
				 int64_t expected, int64_t *nrej,
				 struct huce_error *err);

/*
 * A batch of this device's (bytes of huce_batch.h) with every seq, in
 * its header and in its entries, moved by shift: what renumbering the
 * outbox (HUCE_AHEAD_RESTORED) makes of it, for the office that takes a
 * restored laptop's export.  The result replaces out's contents.
 * HUCE_EINVAL for a batch that does not decode.
 */
enum huce_err huce_outbox_batch_shift(const void *batch, size_t len,
				      int64_t shift, struct huce_buf *out,
				      struct huce_error *err);

/*
 * Apply one page of the central's changes ({"changes":[...],"next":V})
 * and advance the pull cursor to its "next", in one transaction; *applied
 * grows by the records applied.  A stub (a record this device wrote all
 * of, PROTOCOL.md 2.2) is checked against the outbox and only takes its
 * version; when one fails the check nothing is applied, *refused is set,
 * and the caller asks for the same page in full.  HUCE_ESERVER for a
 * malformed page.
 */
enum huce_err huce_outbox_apply_page(struct huce_local *l, const cJSON *page,
				     int64_t *applied, int *refused,
				     struct huce_error *err);

/*
 * Write every entry after acked_seq as one batch file at path (temp,
 * fsync, rename); *count gets the number of entries.  Nothing is marked
 * sent: the laptop learns the acknowledgement by sync or by
 * huce_outbox_import_ack().
 */
enum huce_err huce_outbox_export(struct huce_local *l, const char *path,
				 int64_t *count, struct huce_error *err);

/*
 * Apply an acknowledgement file written by `huce-syncd admin import
 * --ack-out` for this laptop (huce_outbox_ack); *acked gets its seq.
 * HUCE_EINVAL for a file that is not one, names another device, or
 * acknowledges entries this laptop never wrote.
 */
enum huce_err huce_outbox_import_ack(struct huce_local *l, const char *path,
				     int64_t *acked, struct huce_error *err);

#endif
