/*
 * stick.h - the central's half of the USB stick (common/huce_stick.h,
 * docs/PROTOCOL.md section 3): its key pair, the office's import of a
 * stick, enrolment files and scoped devices.
 *
 * `huce-syncd admin import DIR` takes each laptop's folder DIR/huce/<device>/
 * through central_apply_batch(), the code of POST /v1/batches, stores
 * its photos verified by SHA-256 (blobs.h), and writes the laptop's
 * reply beside its export: the acknowledgement (with the probe an
 * online push starts with: a laptop restored from a backup is
 * renumbered) and the changes since its cursor, scoped to its villages
 * and with its own records as stubs, as its pulls are.
 */
#ifndef HUCE_CENTRAL_STICK_H
#define HUCE_CENTRAL_STICK_H

#include <cjson/cJSON.h>

#include "central.h"
#include "huce_err.h"
#include "huce_seal.h"
#include "store.h"

/*
 * The central's X25519 key pair (meta stick_pk, stick_sk), made on
 * first use in a write transaction (so two centrals on one PostgreSQL
 * store agree).  pk gets 65 bytes; sk (may be NULL) 65 bytes, a secret
 * the caller wipes.
 */
enum huce_err stick_central_key(struct store *s, char *pk, char *sk,
				struct huce_error *err);

/*
 * Whether the arguments of `admin import` (argv[0] "import") name a
 * folder: then stick_admin_import() takes the command.
 */
int stick_import_wanted(int argc, char **argv);

/*
 * `huce-syncd admin import DIR [--blobs D] [--json]` (argv[0] "import"):
 * every laptop's folder on the stick.  blobs_default is where photos go
 * without --blobs (STORE.blobs for a SQLite store; NULL: none, photos
 * are then refused).  Prints one line per laptop (or a JSON array) and
 * returns an exit code of the contract: 0 when every folder was taken,
 * 3 when one was refused (the others are still taken), 1 on a failure
 * of the store or the disk.
 */
int stick_admin_import(struct central *c, const char *actor,
		       const char *blobs_default, int argc, char **argv);

/*
 * The villages of a scope, named by name or id (comma-separated list),
 * as a JSON array of village ids into *out (the caller frees it).
 * HUCE_ENOTFOUND for a village the central does not have.
 */
enum huce_err stick_villages_parse(struct store *s, const char *list,
				   cJSON **out, struct huce_error *err);

/*
 * Write the enrolment file of device name with token (the file is as
 * secret as the token): the town, the town key, the central's public
 * key, and url when not NULL.  0600, temp and rename.
 */
enum huce_err stick_enroll_file(struct store *s, const char *path,
				const char *name, const char *token,
				const char *url, struct huce_error *err);

#endif
