/*
 * central.h - what the HTTP server and the admin CLI call on the central.
 *
 * The central state lives behind struct store (store.h: SQLite now,
 * PostgreSQL later).  merge.c applies batches against it exactly as
 * docs/MERGE.md says; http_server.c and admin.c only parse requests and
 * format answers.  No SQL outside store_*.c.
 *
 * Wire shapes (docs/PROTOCOL.md):
 *   batch payload  {"entries":[{"seq":1,"id":"<uuid>","kind":"household",
 *                   "op":"put"|"delete","base":0,"hlc":"<16 hex>",
 *                   "fields":{...}}]}
 *   apply result   {"device":"laptop-1","acked":12,"hwm":12,
 *                   "acked_hlc":"<16 hex>" (HLC of the entry at acked;
 *                   absent when unknown),"applied":10,
 *                   "skipped":1,"rejected":[{"seq":7,"id":"<uuid>",
 *                   "error":"invalid","message":"...","state":
 *                   {"kind":"household","version":340,"deleted":false,
 *                   "fields":{...}} or null, on the first rejected
 *                   entry of each record only}],"version":345}
 *   changes page   {"changes":[{"version":9,"id":"..","kind":"..",
 *                   "deleted":false,"fields":{...}}],"next":9,
 *                   "more":true,"head":345}
 */
#ifndef HUCE_CENTRAL_H
#define HUCE_CENTRAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_err.h"

struct store;
struct huce_checklists;
struct merge_touched;

struct central {
	struct store *store;
	struct huce_checklists *checklists;
	size_t max_raw;		/* decompressed batch limit */
	/* merge.c's households to revisit, during one entry point (merge.h) */
	struct merge_touched *touched;
	/* household status fields in devices' changes ignored (the central
	   derives status: DESIGN.md section 2) */
	uint64_t status_ignored;
	/* set by central_apply_batch for its transaction: the store holds no
	   review record at all, and a batch cannot make one (devices do not
	   write reviews, the central rewrites only one that exists) */
	int no_reviews;
};

/*
 * Decode and apply one batch (bytes as POSTed or as exported to a file)
 * from device auth_device (the device the token or the office vouches
 * for).  The whole batch is applied in one store transaction together
 * with the device's high-water mark.  Outcomes:
 *   HUCE_OK        *result set (caller frees): see "apply result" above
 *   HUCE_EINVAL / HUCE_ETOOBIG / HUCE_ECHECKSUM / HUCE_EVERSION:
 *                  the batch itself is bad; nothing stored
 *   HUCE_EFORBIDDEN header names another device than auth_device
 *   HUCE_EGAP      first seq > hwm + 1; *expected = hwm + 1
 *   HUCE_EDB       store failure; nothing stored
 * A bad single entry is not an error of the batch: it is listed in
 * "rejected" and the rest lands.
 */
enum huce_err central_apply_batch(struct central *c, const char *auth_device,
				  const void *batch, size_t len,
				  cJSON **result, uint64_t *expected,
				  struct huce_error *err);

/*
 * Put fields (an object of wire field names; borrowed) on record id of
 * kind as the device "office", which has seen everything: the same
 * validation, reference, first-toilet gate and checklist checks as a
 * device's change, no concurrency.  creating: the record must not exist.
 * Call it inside a write transaction (store_begin(s, 1)); on failure the
 * caller rolls back.  A refused change returns HUCE_EINVAL, HUCE_EGATE
 * or HUCE_ENOTFOUND with the reason in err.  A household's status in
 * fields is ignored (derived); the households touched get their status
 * derived again before the call returns.
 */
enum huce_err central_office_put(struct central *c, const char *kind,
				 const char *id, const cJSON *fields,
				 int creating, struct huce_error *err);

/*
 * One page of changes after version `after`, at most limit records, as
 * the "changes page" JSON text (malloc'd, caller frees).
 */
enum huce_err central_changes(struct central *c, int64_t after, int limit,
			      char **json, size_t *len, struct huce_error *err);

/*
 * The same for the device own: records that device wrote all of (every
 * field's stamp, and the delete of a deleted one, name it) come as
 * stubs {"version","id","kind","own":true,"hlc"} without fields
 * (store_changes, PROTOCOL.md 2.2).  own NULL is central_changes().
 * own is the authenticated device, never a name taken from the request.
 */
enum huce_err central_changes_own(struct central *c, int64_t after,
				  int limit, const char *own, char **json,
				  size_t *len, struct huce_error *err);

/*
 * The same for a device scoped to villages (a JSON array of village
 * ids, borrowed; NULL: the whole town), store_changes_scoped().
 */
enum huce_err central_changes_scoped(struct central *c, int64_t after,
				     int limit, const char *own,
				     const cJSON *villages, char **json,
				     size_t *len, struct huce_error *err);

/*
 * central_changes_scoped() appending the page's text to out (the
 * caller's; a buffer kept between requests saves growing a fresh one
 * for every page).  out->max should be CENTRAL_PAGE_TEXT_MAX or more.
 * On failure out is as it was, unless an append failed (out->err).
 */
#define CENTRAL_PAGE_TEXT_MAX	(((size_t)80 << 20) + 256)
struct huce_buf;
enum huce_err central_changes_text(struct central *c, int64_t after,
				   int limit, const char *own,
				   const cJSON *villages, struct huce_buf *out,
				   struct huce_error *err);

#endif
