/*
 * sync.h - the laptop's side of sync: push the outbox, pull changes,
 * enrol, and the sneakernet file path.  Used by `huce sync` (once) and
 * `huce-syncd agent` (in a loop with backoff).
 *
 * Push: outbox entries after the acknowledged seq go as batches (header
 * + zlib JSON, common/huce_batch.h) of an adaptive size; the central's
 * answer acknowledges a seq and lists rejected entries, which are
 * quarantined with its reason.  A 409 names the seq the central expects
 * and the agent resends from there.  Nothing acknowledged is sent again.
 *
 * Pull: pages of records changed after the cursor; each page is applied
 * and the cursor advanced in one transaction; local unacknowledged edits
 * stay on top (huce_local_apply).
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
 * Write every pending entry as one batch file (temp + rename); *count
 * gets the number of entries.  Nothing is marked sent: the device learns
 * the acknowledgement by sync or by huce_sync_import_ack().
 */
enum huce_err huce_sync_export(struct huce_local *l, const char *path,
			       int64_t *count, struct huce_error *err);

/* Apply an acknowledgement file written by `huce-syncd admin import`. */
enum huce_err huce_sync_import_ack(struct huce_local *l, const char *path,
				   int64_t *acked, struct huce_error *err);

/*
 * For the benchmarks (tests/bench), which time the parts of a sync
 * apart: one push or one pull of huce_sync_run() on a client set up by
 * the caller (http_client.h), and the builder of a batch's payload: the
 * outbox entries with seq > after, up to about budget raw bytes, into
 * out ({"entries":[...]}); first, last and count say what went in
 * (count 0: nothing pending).
 */
enum huce_err huce_sync_push(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err);
enum huce_err huce_sync_pull(struct huce_local *l, struct huce_http *h,
			     const char *url, const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err);
enum huce_err huce_sync_build_payload(struct huce_local *l, int64_t after,
				      size_t budget, struct huce_buf *out,
				      int64_t *first, int64_t *last,
				      int64_t *count, struct huce_error *err);

#endif
