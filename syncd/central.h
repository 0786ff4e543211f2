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

struct central {
	struct store *store;
	struct huce_checklists *checklists;
	size_t max_raw;		/* decompressed batch limit */
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

#endif
