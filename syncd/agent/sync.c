/*
 * sync.c - the network half of sync: push the outbox, pull changes,
 * upload photos, enrol, over libcurl (http_client.h).
 *
 * The order of a sync run is fixed: push first (records are small and
 * urgent), then pull.  What a batch holds and what an answer or a page
 * does to the laptop's store is common/huce_outbox.c's, each step in one
 * local transaction, so a kill -9 at any instant leaves either the old
 * or the new state; the worst case is sending a batch again, which the
 * central acknowledges and skips (entries at or below its high-water
 * mark).
 */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "huce_crypto.h"
#include "huce_hlc.h"
#include "huce_i18n.h"
#include "huce_log.h"
#include "huce_outbox.h"
#include "huce_seal.h"
#include "huce_stick.h"
#include "huce_util.h"

#define BATCH_RAW_START	(256u << 10)	/* ~64 KiB compressed */
#define BATCH_RAW_MIN	(8u << 10)
#define BATCH_RAW_MAX	(1u << 20)	/* bounds the central's memory per batch */
#define PULL_LIMIT	2000
/*
 * A photo's chunk adapts to the link as a batch does: it starts at
 * PHOTO_CHUNK, doubles after a chunk that took less than PHOTO_FAST_MS
 * (up to PHOTO_CHUNK_MAX), halves after one slower than PHOTO_SLOW_MS
 * and after a dropped link (down to PHOTO_CHUNK_MIN), so a cut costs
 * at most the chunk in flight.  After a drop the agent asks the central
 * how much it has and goes on from there, up to PHOTO_RETRIES times a
 * run.
 */
#define PHOTO_CHUNK	((size_t)64 << 10)
#define PHOTO_CHUNK_MIN	((size_t)16 << 10)
#define PHOTO_CHUNK_MAX	((size_t)1 << 20)
#define PHOTO_FAST_MS	2000
#define PHOTO_SLOW_MS	8000
#define PHOTO_RETRIES	8
#define PHOTO_MAX	((int64_t)64 << 20)
#define PHOTO_BATCH	256

static enum huce_err http_error(const struct huce_http_resp *resp,
				const char *what, struct huce_error *err)
{
	cJSON *j = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "",
					 resp->body.len);
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "message"));
	enum huce_err code = huce_err_from_http(resp->status);

	/* 426: the central's words name the release to install, and only. */
	if (code == HUCE_EUPGRADE && msg)
		huce_fail(err, code, "%s", msg);
	else
		huce_fail(err, code, _("%s: central answered %ld: %s"), what,
			  resp->status, msg ? msg : _("no detail"));
	cJSON_Delete(j);
	return code;
}

static void progress(const struct huce_sync_opts *o, const char *what,
		     int64_t n, int64_t total, long long bytes)
{
	if (!o->progress)
		return;
	fputc('\r', stderr);
	fprintf(stderr, _("%s %lld/%lld records, %lld KiB   "), what, (long long)n,
		(long long)total, bytes / 1024);
	fflush(stderr);
}

/* The budget of the batch after one the central took whole. */
static size_t budget_after_ok(size_t budget)
{
	return budget * 2 <= BATCH_RAW_MAX ? budget * 2 : budget;
}

/*
 * The push is a pipeline of two: while the central merges batch N, the
 * laptop reads and compresses batch N+1 (push_next), so that neither
 * waits for the other.  The request goes out from a thread of its own,
 * which alone uses the curl handle, the body and the answer until it is
 * joined; the calling thread alone uses the SQLite file.  The next batch
 * is the one the loop would build after a clean answer to N (the
 * entries after N's last, at the doubled budget) and is sent only after
 * such an answer; after any other the loop builds it again as ever.
 */
struct push_next {
	struct huce_buf payload, batch;
	int64_t after;		/* built from the entries after this seq */
	size_t budget;
	int64_t first, last, count;
	int ready;		/* payload and batch hold it */
};

struct push_req {
	struct huce_http *h;
	const char *url;
	const struct huce_buf *batch;
	struct huce_http_resp *resp;
	struct huce_error err;
	enum huce_err rc;
};

static void *push_req_run(void *arg)
{
	struct push_req *r = arg;

	r->rc = huce_http_request(r->h, r->url, "application/x-huce-batch",
				  r->batch->data, r->batch->len, r->resp, &r->err);
	return NULL;
}

/* Build *n (after, budget set); a failure leaves it not ready, and the
 * loop, building it again, meets the failure itself. */
static void push_build_next(struct huce_local *l, const char *device,
			    struct push_next *n)
{
	struct huce_error e = { 0 };

	n->ready = huce_outbox_payload(l, n->after, n->budget, &n->payload,
				       &n->first, &n->last, &n->count, &e) == HUCE_OK &&
		   n->count > 0;
	if (!n->ready)
		return;
	huce_buf_reset(&n->batch);
	n->ready = huce_batch_encode(device, (uint64_t)n->first, (uint64_t)n->last,
				     (uint32_t)n->count, n->payload.data,
				     n->payload.len, -1, &n->batch, &e) == HUCE_OK;
}

/*
 * POST batch and, when next is not NULL, build *next meanwhile.  The
 * answer and the error are those of huce_http_request.  Without a
 * thread the request goes out alone and next stays not ready.
 */
static enum huce_err push_send(struct huce_local *l, struct huce_http *h,
			       const char *url, const char *device,
			       const struct huce_buf *batch,
			       struct huce_http_resp *resp,
			       struct push_next *next, struct huce_error *err)
{
	struct push_req r = { h, url, batch, resp, { 0 }, HUCE_OK };
	pthread_t t;

	if (next)
		next->ready = 0;
	if (!next || pthread_create(&t, NULL, push_req_run, &r) != 0)
		return huce_http_request(h, url, "application/x-huce-batch",
					 batch->data, batch->len, resp, err);
	push_build_next(l, device, next);
	pthread_join(t, NULL);
	if (r.rc)
		*err = r.err;
	return r.rc;
}

static enum huce_err push(struct huce_local *l, struct huce_http *h,
			  const char *url, const struct huce_sync_opts *o,
			  struct huce_sync_stats *st, struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct push_next next = { .payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW),
				  .batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536) };
	struct huce_http_resp resp = { 0 };
	/* Where the last push left it, when a broken link halved it. */
	int64_t kept = huce_db_meta_int(l->db, "push_budget", 0);
	size_t start = o->batch_raw ? o->batch_raw :
		       kept >= (int64_t)BATCH_RAW_MIN && kept < (int64_t)BATCH_RAW_START ?
		       (size_t)kept : BATCH_RAW_START;
	size_t budget = start;
	char endpoint[1200];
	char *device = huce_outbox_device(l);
	int64_t total = huce_local_count(l, "SELECT count(*) FROM outbox WHERE state = 'pending'");
	int64_t pending = 0;
	int gaps = 0, busy = 0, probed = 0, take_next = 0;
	enum huce_err rc = HUCE_OK;

	snprintf(endpoint, sizeof(endpoint), "%s/v1/batches", url);
	for (;;) {
		int64_t acked = huce_db_meta_int(l->db, "acked_seq", 0);
		int64_t first, last, count, nrej, upto;
		cJSON *res;

		if (take_next && next.ready && next.after == acked && next.budget == budget) {
			/* Built while the last batch was on the wire. */
			struct huce_buf tmp = payload;

			payload = next.payload;
			next.payload = tmp;
			tmp = batch;
			batch = next.batch;
			next.batch = tmp;
			first = next.first;
			last = next.last;
			count = next.count;
			next.ready = take_next = 0;
		} else {
			take_next = 0;
			rc = huce_outbox_payload(l, acked, budget, &payload, &first, &last,
						 &count, err);
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
			 * replays (huce_outbox_central_ahead).
			 */
			if (count == 0 && (probed || acked == 0))
				break;
			if (!probed) {
				pending = count;
				first = last = count = 0;
				huce_buf_reset(&payload);
				rc = huce_buf_addstr(&payload, "{\"entries\":[]}");
				if (rc) {
					rc = huce_fail(err, rc, _("out of memory"));
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
		}
		huce_http_resp_release(&resp);
		next.after = last;
		next.budget = budget_after_ok(budget);
		/* A batch that did not fill its budget took the last entries:
		 * nothing to build beside it (the probe neither). */
		rc = push_send(l, h, endpoint, device, &batch, &resp,
			       count && payload.len >= budget ? &next : NULL, err);
		if (rc) {
			/*
			 * A link that broke a batch: send less at a time next
			 * round (st->batch_raw).  Not for the probe: an empty
			 * batch that did not go says nothing of the size.
			 */
			if (count && budget / 2 >= BATCH_RAW_MIN)
				budget /= 2;
			break;
		}
		st->batches++;
		if (resp.status == 409) {
			cJSON *j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
			const cJSON *exp = cJSON_GetObjectItem(j, "expected");
			int64_t e = cJSON_IsNumber(exp) ? huce_wire_int(exp) : -1;

			cJSON_Delete(j);
			if (e < 1 || ++gaps > 3) {
				rc = http_error(&resp, _("push"), err);
				break;
			}
			/*
			 * The central has everything before e: either it
			 * acknowledged a batch whose answer we lost, or it
			 * expects entries we thought it had.  Resend from e.
			 */
			huce_info("central expects seq %lld, resending from there", (long long)e);
			if (e - 1 > acked)
				rc = huce_outbox_ack(l, e - 1, NULL, &nrej, err);
			else
				rc = huce_outbox_rewind(l, e - 1, err);
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
			rc = http_error(&resp, _("push"), err);
			break;
		}
		res = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		if (!cJSON_IsNumber(cJSON_GetObjectItem(res, "acked"))) {
			cJSON_Delete(res);
			rc = huce_fail(err, HUCE_ESERVER, _("push: central's answer has no acked seq"));
			break;
		}
		if (count == 0) {
			int64_t hwm = huce_wire_int(cJSON_GetObjectItem(res, "acked"));
			const char *hh = cJSON_GetStringValue(cJSON_GetObjectItem(res, "acked_hlc"));
			char hwm_hlc[HUCE_HLC_STRLEN + 1] = "";

			if (hh && strlen(hh) == HUCE_HLC_STRLEN)
				memcpy(hwm_hlc, hh, sizeof(hwm_hlc));
			cJSON_Delete(res);
			if (hwm < 0) {
				rc = huce_fail(err, HUCE_ESERVER, _("push: central's acked "
					       "seq is not a seq"));
				break;
			}
			if (hwm > acked) {
				rc = huce_outbox_central_ahead(l, acked, hwm, hwm_hlc, err);
				if (rc)
					break;
			}
			if (hwm >= acked) {
				if (!pending)
					break;
				continue;
			}
			huce_warn(_("the central has our entries up to seq %lld only (restored "
				  "from a backup?): sending the rest again"), (long long)hwm);
			rc = huce_outbox_rewind(l, hwm, err);
			if (rc)
				break;
			continue;
		}
		upto = huce_wire_int(cJSON_GetObjectItem(res, "acked"));
		/* The next batch as built stands only when this one went
		 * through whole: acknowledged up to its last, none refused. */
		take_next = upto == last &&
			    cJSON_GetArraySize(cJSON_GetObjectItem(res, "rejected")) == 0;
		rc = huce_outbox_ack(l, upto, cJSON_GetObjectItem(res, "rejected"),
				     &nrej, err);
		cJSON_Delete(res);
		if (rc)
			break;
		if (nrej)
			take_next = 0;
		st->pushed += count - nrej;
		st->quarantined += nrej;
		gaps = busy = 0;
		probed = 1;	/* the answer told us the high-water mark */
		budget = budget_after_ok(budget);
		progress(o, _("pushed"), st->pushed + st->quarantined, total, h->bytes_up);
	}
	/*
	 * A budget halved by a broken link is where the next push starts,
	 * `huce sync` by hand as the agent's next round (meta push_budget).
	 */
	if (!o->batch_raw &&
	    (int64_t)(budget < BATCH_RAW_START ? budget : 0) != kept) {
		struct huce_error merr = { 0 };

		if (huce_db_meta_set_int(l->db, "push_budget",
					 budget < BATCH_RAW_START ? (int64_t)budget : 0,
					 &merr))
			huce_warn("push: %s", merr.msg);
	}
	huce_http_resp_release(&resp);
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	huce_buf_release(&next.payload);
	huce_buf_release(&next.batch);
	free(device);
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
			rc = http_error(&resp, _("pull"), err);
			break;
		}
		page = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		if (!page) {
			rc = huce_fail(err, HUCE_ESERVER, _("pull: the central's page is not JSON"));
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
			if (huce_wire_int(head) >= 0 && huce_wire_int(head) < cursor &&
			    !repulled) {
				long long hv = (long long)huce_wire_int(head);

				cJSON_Delete(page);
				huce_warn(_("the central's history ends at version %lld, before ours "
					  "(%lld): pulling everything again"), hv, (long long)cursor);
				repulled = 1;
				rc = huce_db_meta_set_int(l->db, "cursor", 0, err);
				if (rc)
					break;
				continue;
			}
		}
		rc = huce_outbox_apply_page(l, page, &st->pulled, &refused, err);
		more = cJSON_IsTrue(cJSON_GetObjectItem(page, "more"));
		cJSON_Delete(page);
		if (rc)
			break;
		if (refused) {
			if (full) {
				/* A full page holds no stub: a faulty central. */
				rc = huce_fail(err, HUCE_ESERVER,
					       _("pull: the central sent a stub unasked"));
				break;
			}
			huce_info("pull after %lld: a record of ours is not as we have it: "
				  "asking for the page in full", (long long)cursor);
			full = 1;
			continue;
		}
		full = 0;
		st->pages++;
		progress(o, _("pulled"), st->pulled, st->pulled, h->bytes_down);
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
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum huce_err upload_one(struct huce_local *l, struct huce_http *h,
				const char *url, const char *sha,
				const char *path, size_t *chunk_size, int *done,
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
	long long t0, ms;
	int fd, rounds = 0, retries = 0;
	cJSON *j;

	*done = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stbuf) != 0) {
		huce_warn(_("photo %.12s: the original '%s' cannot be read: %s"),
			  sha, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return HUCE_OK;
	}
	size = (int64_t)stbuf.st_size;
	if (size <= 0 || size > PHOTO_MAX) {
		huce_warn(_("photo %.12s: '%s' is empty or larger than 64 MiB"), sha, path);
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
		rc = http_error(&resp, _("photo"), err);
		goto out;
	}
	chunk = malloc(PHOTO_CHUNK_MAX);
	if (!chunk) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	for (;;) {
		const cJSON *off;
		ssize_t n;

		j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
		off = cJSON_GetObjectItem(j, resp.status == 409 ? "expected" : "offset");
		if (!cJSON_IsNumber(off)) {
			cJSON_Delete(j);
			rc = huce_fail(err, HUCE_ESERVER, _("photo: the central's answer has no offset"));
			break;
		}
		offset = huce_wire_int(off);
		if (cJSON_IsTrue(cJSON_GetObjectItem(j, "complete"))) {
			cJSON_Delete(j);
			*done = 1;
			break;
		}
		cJSON_Delete(j);
		if (offset < 0 || offset >= size ||
		    ++rounds > 4 * (int)(size / (int64_t)PHOTO_CHUNK_MIN) + 8) {
			huce_warn(_("photo %.12s: the central has %lld of %lld bytes; giving up for now"),
				  sha, (long long)offset, (long long)size);
			break;
		}
		n = pread(fd, chunk, *chunk_size, (off_t)offset);
		if (n <= 0) {
			huce_warn(_("photo %.12s: cannot read '%s'"), sha, path);
			break;
		}
		snprintf(hoff, sizeof(hoff), "Upload-Offset: %lld", (long long)offset);
		snprintf(hlen, sizeof(hlen), "Upload-Length: %lld", (long long)size);
		huce_http_resp_release(&resp);
		t0 = now_ms();
		rc = huce_http_send(h, "PATCH", endpoint, hdrs, chunk, (size_t)n, &resp, err);
		ms = now_ms() - t0;
		if (rc == HUCE_ENET && retries++ < PHOTO_RETRIES) {
			/* the link dropped: smaller chunks, from what the central has */
			if (*chunk_size / 2 >= PHOTO_CHUNK_MIN)
				*chunk_size /= 2;
			huce_info("photo %.12s: link dropped at %lld of %lld bytes; "
				  "asking the central, chunks of %zu KiB", sha,
				  (long long)offset, (long long)size, *chunk_size >> 10);
			huce_http_resp_release(&resp);
			rc = huce_http_send(h, "GET", endpoint, NULL, NULL, 0, &resp, err);
			if (rc == HUCE_ENET && retries++ < PHOTO_RETRIES)
				rc = huce_http_send(h, "GET", endpoint, NULL, NULL, 0, &resp, err);
			if (rc)
				break;
			if (resp.status != 200) {
				rc = http_error(&resp, "photo", err);
				break;
			}
			continue;
		}
		if (rc)
			break;
		if (resp.status == 200 && ms < PHOTO_FAST_MS && *chunk_size * 2 <= PHOTO_CHUNK_MAX)
			*chunk_size *= 2;
		else if (ms > PHOTO_SLOW_MS && *chunk_size / 2 >= PHOTO_CHUNK_MIN)
			*chunk_size /= 2;
		if (resp.status == 429) {
			/* the central's daily photo quota, or its rate limit */
			struct huce_error qerr = { 0 };

			http_error(&resp, "photo", &qerr);
			huce_warn("photo %.12s: %s; the rest of the photos wait for a later sync",
				  sha, qerr.msg);
			rc = HUCE_EBUSY;
			break;
		}
		if (resp.status == 400) {
			huce_warn(_("photo %.12s: '%s' no longer matches its SHA-256 "
				  "(changed after it was recorded?)"), sha, path);
			break;
		}
		if (resp.status != 200 && resp.status != 409) {
			rc = http_error(&resp, _("photo"), err);
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
	size_t chunk_size = PHOTO_CHUNK;
	int n = 0, done;
	enum huce_err rc = HUCE_OK;

	if (!q)
		return err->code;
	sha = calloc(PHOTO_BATCH, sizeof(*sha));
	paths = calloc(PHOTO_BATCH, sizeof(*paths));
	if (!sha || !paths) {
		sqlite3_reset(q);
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
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
		rc = upload_one(l, h, url, sha[i], paths[i], &chunk_size, &done, err);
		if (!rc && done)
			st->photos++;
	}
	/* Over quota for today: the rest waits for tomorrow; records went. */
	if (rc == HUCE_EBUSY)
		rc = HUCE_OK;
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
		huce_warn(_("cannot keep the clock check: %s"), cerr.msg);
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
	/* TRANSLATORS: the first %s is huce_clock_describe's words. */
	huce_warn(Q_("this laptop's clock is %s the central's (laptop %s, central "
		     "%s): set the laptop's date and time. Dates taken from the "
		     "wrong clock are wrong too: %lld inspection date to confirm "
		     "(`huce status` lists them)",
		     "this laptop's clock is %s the central's (laptop %s, central "
		     "%s): set the laptop's date and time. Dates taken from the "
		     "wrong clock are wrong too: %lld inspection dates to confirm "
		     "(`huce status` lists them)", flagged),
		  words, lt, ct, (long long)flagged);
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
				 _("this laptop is not enrolled: run `huce enroll URL TOKEN` "
				 "(or carry a file: `huce export FILE`)"));
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

enum huce_err huce_sync_enroll(struct huce_local *l, const char *url,
			       const char *token,
			       const struct huce_sync_opts *o,
			       struct huce_error *err)
{
	struct huce_http h;
	struct huce_http_resp resp = { 0 };
	char endpoint[1200], hinstall[128], hkey[128];
	char pk[HUCE_SEAL_KEY_HEX + 1];
	const char *hdrs[3] = { hinstall, hkey, NULL };
	const char *ckey = NULL;
	char *trimmed, *inst;
	cJSON *j = NULL;
	const char *dev, *key;
	enum huce_err rc;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return huce_fail(err, HUCE_EUSAGE, _("URL '%s' must start with http:// or https://"), url);
	n = strlen(url);
	if (n > 1000)
		return huce_fail(err, HUCE_EUSAGE, _("URL is too long"));
	if (huce_text_check(token, "token", 256, 0, err))
		return HUCE_EUSAGE;
	inst = huce_outbox_install_id(l, err);
	if (!inst)
		return err && err->code ? err->code : HUCE_EDB;
	snprintf(hinstall, sizeof(hinstall), HUCE_INSTALL_HEADER ": %s", inst);
	free(inst);
	/* The stick's keys (PROTOCOL.md 3): ours goes, the central's comes. */
	rc = huce_stick_keys(l, pk, err);
	if (rc)
		return rc;
	snprintf(hkey, sizeof(hkey), HUCE_KEY_HEADER ": %s", pk);
	trimmed = strndup(url, n);
	if (!trimmed)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
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
		rc = http_error(&resp, _("enroll"), err);
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
			rc = huce_fail(err, HUCE_ESERVER, _("enroll: the central's answer lacks device or key"));
		/* A central older than the stick's keys sends none. */
		ckey = cJSON_GetStringValue(cJSON_GetObjectItem(j, "central_key"));
		if (ckey && !huce_seal_key_valid(ckey))
			rc = huce_fail(err, HUCE_ESERVER, _("enroll: the central's key is malformed"));
	}
	if (!rc)
		rc = huce_db_begin(l->db, err);
	if (!rc) {
		struct huce_enrolment e = {
			trimmed, token, dev, key, ckey,
			cJSON_GetStringValue(cJSON_GetObjectItem(j, "town")),
		};

		rc = huce_outbox_enrolment_store(l, &e, err);
		if (!rc)
			rc = o->pin ? huce_db_meta_set(l->db, "pin", o->pin, err) :
				huce_db_run(l->db, err, "DELETE FROM meta WHERE key = 'pin'", "");
		if (!rc && o->ca_file) {
			char *abs = realpath(o->ca_file, NULL);

			rc = huce_db_meta_set(l->db, "ca_file", abs ? abs : o->ca_file, err);
			free(abs);
		}
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

enum huce_err huce_sync_photo_get(struct huce_local *l, const char *sha,
				  const struct huce_sync_opts *o,
				  struct huce_buf *out, struct huce_error *err)
{
	struct huce_http h;
	struct huce_http_resp resp = { 0 };
	char *url = huce_db_meta_get(l->db, "central_url");
	char *token = NULL, *pin = NULL;
	char endpoint[1300], hrange[64], hex[65];
	const char *hdrs[2] = { hrange, NULL };
	enum huce_err rc;
	int tries = 0;

	huce_buf_init(out, (size_t)PHOTO_MAX);
	if (!url)
		return huce_fail(err, HUCE_EUSAGE,
				 _("this laptop is not enrolled: run `huce enroll URL TOKEN`"));
	rc = setup_http(l, &h, o, &token, &pin, err);
	if (rc) {
		free(url);
		return rc;
	}
	snprintf(endpoint, sizeof(endpoint), "%s/v1/blobs/%s/bytes", url, sha);
	for (;;) {
		snprintf(hrange, sizeof(hrange), "Range: bytes=%zu-", out->len);
		huce_http_resp_release(&resp);
		rc = huce_http_send(&h, "GET", endpoint, out->len ? hdrs : NULL, NULL, 0,
				    &resp, err);
		/* what came before the link dropped is kept for the next try */
		if (resp.body.len && (resp.status == 200 || resp.status == 206) &&
		    (!rc || rc == HUCE_ENET)) {
			if (resp.status == 200)
				huce_buf_reset(out);
			if (huce_buf_add(out, resp.body.data, resp.body.len)) {
				rc = huce_fail(err, HUCE_ETOOBIG, _("photo: larger than 64 MiB"));
				break;
			}
		}
		if (rc == HUCE_ENET && ++tries < 5)
			continue;
		if (rc)
			break;
		if (resp.status != 200 && resp.status != 206) {
			rc = http_error(&resp, "photo", err);
			/* not there (yet): the laptop that took it has not sent it */
			if (resp.status == 404 && err) {
				rc = HUCE_ENOTFOUND;
				err->code = rc;
			}
			break;
		}
		huce_sha256_hex(out->data, out->len, hex);
		if (strcmp(hex, sha) != 0)
			rc = huce_fail(err, HUCE_ECHECKSUM,
				       _("photo: the bytes from the central do not match "
				       "their SHA-256; nothing kept"));
		break;
	}
	check_clock(l, &h, NULL);
	huce_http_resp_release(&resp);
	if (!o->ca_file)
		free((char *)h.ca_file);
	huce_http_release(&h);
	free(token);
	free(pin);
	free(url);
	return rc;
}

/* The benchmarks' entry points (sync.h): push or pull alone. */
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
