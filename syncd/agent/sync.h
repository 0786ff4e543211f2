/*
 * sync.h - the laptop's side of sync over the network: push the outbox,
 * pull changes, enrol.  Used by `huce sync` (once, through the module
 * huce-net.so) and `huce-syncd agent` (in a loop with backoff).  The
 * outbox's own life, and the USB-stick files (export, import-ack), are
 * common/huce_outbox.h: no network there.
 *
 * Push: outbox entries after the acknowledged seq go as batches (header
 * + zlib JSON, common/huce_batch.h) of an adaptive size; the central's
 * answer acknowledges a seq and lists rejected entries, which are
 * quarantined with its reason (huce_outbox_ack).  A 409 names the seq
 * the central expects and the agent resends from there.  Nothing
 * acknowledged is sent again.
 *
 * Pull: pages of records changed after the cursor; each page is applied
 * and the cursor advanced in one transaction (huce_outbox_apply_page);
 * local unacknowledged edits stay on top (huce_local_apply).
 *
 * Photos go last (records are small and urgent): each original still
 * marked not uploaded is sent in chunks from the byte the central
 * already has (GET/PATCH /v1/blobs/SHA256); a photo the central has in
 * full, from this laptop or another, is only marked.
 */
#ifndef HUCE_SYNC_H
#define HUCE_SYNC_H

#include <stdint.h>

#include "huce_buf.h"
#include "huce_err.h"
#include "huce_local.h"

struct huce_http;

struct huce_sync_opts {
	const char *ca_file;	/* extra CA bundle (town's own CA) */
	const char *pin;	/* pinned public key "sha256//BASE64" */
	int progress;		/* print a progress line on stderr */
	long timeout_s;
	long low_speed_time;	/* stall limit, seconds */
	size_t batch_raw;	/* initial raw bytes per batch; 0 = default */
};

struct huce_sync_stats {
	int64_t pushed;		/* entries sent and acknowledged */
	int64_t quarantined;	/* entries the central refused */
	int64_t pulled;		/* records applied from the central */
	int64_t batches, pages;
	int64_t photos;		/* photos the central now has in full */
	long long bytes_up, bytes_down, requests;
	/* the clock check (common/huce_clock.h), when an answer gave one */
	int clock_checked;
	int64_t clock_skew;	/* this laptop minus the central, seconds */
	int64_t clock_flagged;	/* dates waiting for the cadre to confirm */
};

/* Ask the central who this token is; store url, token, device, town key. */
enum huce_err huce_sync_enroll(struct huce_local *l, const char *url,
			       const char *token,
			       const struct huce_sync_opts *o,
			       struct huce_error *err);

/* Push everything pending, then pull until up to date. */
enum huce_err huce_sync_run(struct huce_local *l,
			    const struct huce_sync_opts *o,
			    struct huce_sync_stats *st, struct huce_error *err);

/*
 * Fetch the photo sha (64 lower-case hex digits) from the central
 * (GET /v1/blobs/SHA/bytes, PROTOCOL.md 2.4) into out (initialised
 * here; the caller releases it, also on failure).  The bytes are kept
 * only when they hash to sha; a transfer cut by the link continues with
 * "Range: bytes=N-" (up to a few tries).  HUCE_ENOTFOUND when the
 * central does not have it (yet), HUCE_ECHECKSUM when the bytes do not
 * match, HUCE_ENET, HUCE_EUSAGE when this laptop is not enrolled.
 */
enum huce_err huce_sync_photo_get(struct huce_local *l, const char *sha,
				  const struct huce_sync_opts *o,
				  struct huce_buf *out, struct huce_error *err);

/*
 * For the benchmarks (tests/bench), which time the parts of a sync
 * apart: one push or one pull of huce_sync_run() on a client set up by
 * the caller (http_client.h).  The batch's payload is
 * huce_outbox_payload() (common/huce_outbox.h).
 */
enum huce_err huce_sync_push(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err);
enum huce_err huce_sync_pull(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err);

#endif
