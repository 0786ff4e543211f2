/*
 * http_server.h - the central's HTTP API, version 1 (docs/PROTOCOL.md).
 *
 * `huce-syncd central` (http_server.c, entry point central_main() in
 * syncd.h) serves these endpoints on libmicrohttpd.  Every answer is
 * JSON (Content-Type: application/json); every refusal is
 * {"error": CODE, "message": TEXT} with one of the codes below, so an
 * agent can act on the code and show the message.
 *
 *   method  path          auth  answer
 *   ------  ------------  ----  ------------------------------------------
 *   GET     /v1/health    no    200 {"status":"ok","version":"0.1.0"}
 *   GET     /v1/enroll    yes   200 {"device":..,"town":..,"town_key":hex};
 *                               needs X-Huce-Install: the laptop's id
 *                               (a token enrolls one laptop: 409
 *                               already_enrolled for another id)
 *   POST    /v1/batches   yes   200 apply result (central.h)
 *   GET     /v1/changes   yes   200 changes page (central.h);
 *                               ?after=V (default 0), &limit=N (1..5000,
 *                               default 1000, larger values are capped),
 *                               &own=stub; each at most once, nothing
 *                               else (400); deflated when Accept-Encoding
 *                               allows it
 *   GET     /v1/blobs/SHA yes   200 {"sha256","offset","complete"} (HEAD too)
 *   PATCH   /v1/blobs/SHA yes   append a photo chunk (Upload-Offset,
 *                               Upload-Length); 409 "offset" with
 *                               "expected" when the offset is not ours
 *
 * Authentication: "Authorization: Bearer TOKEN"; the store knows the
 * SHA-256 (lowercase hex) of the token text as printed by
 * `huce-syncd admin device add`, never the token itself.
 *
 *   status  error               when
 *   ------  ------------------  --------------------------------------------
 *   400     malformed           bad batch, bad query, a GET with a body
 *   400     checksum            batch CRC-32 differs from its payload
 *   400     version             batch format version unknown
 *   401     unauthorized        no, garbled, unknown or revoked token
 *   403     wrong_device        the batch header names another device
 *   404     not_found           no such endpoint
 *   405     method_not_allowed  known endpoint, wrong method (Allow: says)
 *   409     gap                 first seq > hwm + 1; "expected": hwm + 1
 *   409     already_enrolled    enroll: the token enrolled another laptop
 *   413     too_large           body, declared size or inflation ratio
 *   415     encoding            Content-Type is not application/x-huce-batch
 *                               or Content-Encoding is not identity
 *   429     too_many_requests   the device's token bucket is empty
 *                               (Retry-After: seconds)
 *   500     internal            storage or server fault
 *   503     busy                too many bytes in flight (Retry-After: 1)
 *
 * A batch body larger than the limit is refused from its Content-Length
 * before a byte of it is read.  A chunked upload that passes the limit
 * cannot be answered in the middle of its body (libmicrohttpd 0.9.75
 * queues responses only before or after the body), so the connection is
 * closed there instead; the agent always sends Content-Length.  A
 * request answered before its body is read closes lingering
 * (conn_guard.h), so a client still sending reads the answer.
 *
 * Every answer carries the central's clock in X-Huce-Time (Unix
 * seconds) besides the Date header, so a laptop can tell that its own
 * clock is wrong (docs/PROTOCOL.md 2.5).
 */
#ifndef HUCE_HTTP_SERVER_H
#define HUCE_HTTP_SERVER_H

/* HUCE_VERSION, the release, comes from meson (the project's version). */

#define HUCE_BATCH_CONTENT_TYPE	"application/x-huce-batch"
/* The enrolling laptop's own id (its local device_id). */
#define HUCE_INSTALL_HEADER	"X-Huce-Install"
/*
 * The enrolling laptop's X25519 public key (64 hex digits): the central
 * keeps it to open the laptop's USB-stick files and to seal its replies,
 * and answers with its own ("central_key"), docs/PROTOCOL.md section 3.
 */
#define HUCE_KEY_HEADER		"X-Huce-Key"
/* The central's clock, Unix seconds, on every answer. */
#define HUCE_TIME_HEADER	"X-Huce-Time"

#define HUCE_CHANGES_LIMIT_DEFAULT	1000
#define HUCE_CHANGES_LIMIT_MAX		5000

#endif
