/*
 * huce_stick.h - a whole sync on a USB stick (docs/PROTOCOL.md section 3).
 *
 * A laptop with no link writes its round to a folder of its own on the
 * stick, DIR/huce/<device>/ (huce_stick_export); the town office's
 * `huce-syncd admin import DIR` takes every laptop's folder through the
 * same code as a POST and writes each laptop's reply beside it
 * (syncd/central/stick.c); the laptop applies the reply as a pull
 * (huce_stick_import).  Several laptops share one stick.
 *
 * Files of export E (a number the laptop counts up, one per export):
 *
 *   up-E-bK.huce    batch K: a batch (huce_batch.h) of the outbox
 *   up-E-pK.huce    photo K: the bytes of a photo the central lacks
 *   up-E.huce       the manifest, written last: the laptop's token and
 *                   install id, its acknowledged seq and pull cursor,
 *                   and every part above with the SHA-256 of its file
 *   down-E-cK.huce  page K of the changes since the cursor (deflated JSON)
 *   down-E.huce     the reply's manifest, written last: the
 *                   acknowledgement, the refused entries with the
 *                   central's state, the photos now at the central, the
 *                   pages with the SHA-256 of their files
 *
 * Every file is sealed (huce_seal.h) by its writer for its reader and
 * bound to (central key, device, direction, export, part).  Each is
 * written to a temporary file and renamed; a manifest is written only
 * after its parts, and a reader takes only the parts its manifest
 * names with the digests it names, so a stick pulled out mid-write
 * leaves nothing half-written that is taken.  A newer export replaces
 * the older one's files once its manifest is written.
 *
 * The laptop's meta keys: stick_pk, stick_sk (its key pair; the file is
 * 0600), central_key (the central's public key), stick_export (the last
 * export's number, taken before its first file is written, with its
 * clock, an HLC, kept in stick_clocks for the last exports: a reply
 * carries the clock of the export it answers), stick_exported_at,
 * stick_applied (the newest reply applied), stick_whole (a stub of the
 * last reply could not be checked: the next export asks for whole
 * records).
 */
#ifndef HUCE_STICK_H
#define HUCE_STICK_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"
#include "huce_local.h"

#define HUCE_STICK_TOP		"huce"
#define HUCE_STICK_PART_MAX	((size_t)80 << 20)	/* one file */
#define HUCE_STICK_JSON_MAX	((size_t)64 << 20)	/* an inflated manifest or page */

/* ---- shared by the laptop and the central ---- */

/*
 * DIR/huce/<device> into out (size n); with create, the folders are
 * made.  HUCE_EINVAL for a device name that cannot be a folder name
 * ('/', a leading '.'), HUCE_EIO when it cannot be made or is too long.
 */
enum huce_err huce_stick_folder(const char *dir, const char *device,
				int create, char *out, size_t n,
				struct huce_error *err);

/*
 * The binding of a part (huce_seal.h): {"huce":"stick","central",
 * "device","dir","export","part"}; NULL when out of memory.  The caller
 * frees it.
 */
cJSON *huce_stick_binding(const char *central_pk, const char *device,
			  const char *dir, int64_t export_no,
			  const char *part);

/*
 * The newest export E of a folder whose manifest "<prefix>-E.huce" is
 * there ("up" or "down"), into *export_no; 0 when there is none.
 */
int64_t huce_stick_newest(const char *folder, const char *prefix);

/*
 * Seal body for to_pk with (my_pk, my_sk), bound as huce_stick_binding
 * says, and write it to folder/name (temporary file, fsync, rename).
 * The file's SHA-256 goes to sha_out (65 bytes) when not NULL.
 */
enum huce_err huce_stick_write(const char *folder, const char *name,
			       const char *my_pk, const char *my_sk,
			       const char *to_pk, const cJSON *binding,
			       const void *body, size_t n, char *sha_out,
			       struct huce_error *err);

/*
 * Read folder/name, check its SHA-256 against want_sha (when not NULL),
 * open it with (my_pk, my_sk) from from_pk (NULL: any writer; the key
 * is then copied to from_out), and check that its binding is the one
 * expected (central_pk, device, dir, export_no, part).  The body
 * replaces body's contents (bounded by body->max).  Every refusal is
 * HUCE_EINVAL (HUCE_ENOTFOUND for a missing file) with err naming the
 * file and the reason.
 */
enum huce_err huce_stick_read(const char *folder, const char *name,
			      const char *want_sha, const char *my_pk,
			      const char *my_sk, const char *from_pk,
			      char *from_out, const char *central_pk,
			      const char *device, const char *dir,
			      int64_t export_no, const char *part,
			      struct huce_buf *body, struct huce_error *err);

/*
 * Remove the files of the folder that start with prefix ("up" or
 * "down") and are not of export keep, and temporary files left by a
 * write that was cut.  Best effort: a file that cannot be removed is
 * left (and overwritten or ignored later).
 */
void huce_stick_prune(const char *folder, const char *prefix, int64_t keep);

/* ---- the laptop ---- */

/*
 * This laptop's key pair, made (and kept in meta) on first use; its
 * public key into pk (65 bytes).
 */
enum huce_err huce_stick_keys(struct huce_local *l, char *pk,
			      struct huce_error *err);

/*
 * Enrol from an enrolment file of `huce-syncd admin device add NAME
 * --enroll-file F`: the device name, token, town, town key and the
 * central's public key (and its URL, when the office gave one) are kept
 * in meta, as `huce enroll URL TOKEN` keeps them, and the laptop's key
 * pair is made.  The central learns the laptop's public key with its
 * first export.  *device gets the name (malloc'd; the caller frees).
 * HUCE_EINVAL for a file that is not one.
 */
enum huce_err huce_stick_enroll_file(struct huce_local *l, const char *path,
				     char **device, struct huce_error *err);

struct huce_stick_stats {
	int64_t export_no;	/* the export written or the reply applied */
	int64_t entries, batches, photos;	/* written (export) */
	int64_t acked, quarantined, pulled;	/* applied (import) */
	int64_t photos_at_central;		/* import */
	int64_t left;		/* import: pages left for the next round */
	int already;		/* import: this reply was applied before */
	char folder[4200];
};

/*
 * Write this laptop's round under dir/huce/<device>/ as export E =
 * stick_export + 1: the outbox after acked_seq as batches of up to
 * 1 MiB raw each (any number), the photos the central does not have as
 * far as this laptop knows, and the manifest with its pull cursor.
 * Nothing is marked sent: the reply says what the central took.
 * HUCE_EUSAGE when the laptop has not enrolled (no central key).
 */
enum huce_err huce_stick_export(struct huce_local *l, const char *dir,
				struct huce_stick_stats *st,
				struct huce_error *err);

/*
 * Apply the newest reply in dir/huce/<device>/ as a pull: the
 * acknowledgement as a push's answers are taken (huce_outbox_answer:
 * a restored file renumbers as the office did; refused entries are
 * quarantined and their records put back), the photos the central now
 * has, then the pages of changes, each with the cursor in one
 * transaction, skipping what this laptop already holds (a later online
 * sync, a reply applied before).  A page with a stub this laptop cannot
 * check ends it: the pages from there are left for the next round
 * (st->left), whose export asks for whole records.  A reply older than
 * the last one applied changes nothing (st->already).  Every file is
 * checked before anything is applied.  HUCE_ENOTFOUND when there is no
 * reply; HUCE_EINVAL for a refused file, or a reply to an export this
 * file did not write (another one's clock).
 */
enum huce_err huce_stick_import(struct huce_local *l, const char *dir,
				struct huce_stick_stats *st,
				struct huce_error *err);

/*
 * What waits for the stick, for `huce status`: {"enrolled" (the
 * laptop has the central's key), "pending" (changes not acknowledged),
 * "photos" (photos the central lacks), "last_export", "exported_at",
 * "reply_applied" (null when none)}.  The caller frees it; NULL when
 * out of memory.
 */
cJSON *huce_stick_status(struct huce_local *l);

#endif
