/*
 * huce_photo.h - a photo as the laptop keeps it: checked, re-encoded,
 * stored under its SHA-256 beside the database.
 *
 * A camera or phone photo is 3-8 MB, a hundred times a week of records,
 * and the card it sits on is cleared or the file edited long before a
 * slow village link has carried it.  So the laptop keeps its own copy,
 * made once when the photo is added:
 *
 *   - the file must be a whole JPEG (PNG and HEIC are named and refused
 *     with a request for a JPEG; a cut or corrupt file is refused: the
 *     decoder's warnings are errors), at most HUCE_PHOTO_MAX_FILE bytes
 *     and HUCE_PHOTO_MAX_PIXELS pixels;
 *   - the pixels are decoded (TurboJPEG), turned as the EXIF orientation
 *     says, scaled so that the long edge is at most HUCE_PHOTO_LONG_EDGE
 *     and encoded again at quality HUCE_PHOTO_QUALITY;
 *   - of the metadata only the time (DateTimeOriginal) and GPS are read
 *     (libexif) and written back, as a small EXIF block of our own;
 *   - the copy is written to STORE/<sha256>.jpg (temporary file, fsync,
 *     rename), STORE being huce_photo_store_dir() of the database.
 *
 * The kept copy is what the photo record names (sha256, size) and what
 * travels; the original may be deleted at once.  Encoding the same
 * original again gives the same bytes, so the same picture added twice
 * is one file and, for one owner and kind, one photo.
 *
 * Calling sequence (huce_photo_keep inside huce_local_begin/commit):
 *
 *   struct huce_photo p;
 *   huce_photo_prepare(path, &p, &err);          // nothing written yet
 *   huce_photo_keep(l, dir, owner, "tank", &p, id, &existed, &err);
 *                                                // STORE/<sha>.jpg + record
 *   huce_photo_release(&p);
 */
#ifndef HUCE_PHOTO_H
#define HUCE_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "huce_buf.h"
#include "huce_err.h"
#include "huce_local.h"

#define HUCE_PHOTO_LONG_EDGE	1600		/* pixels, after turning */
#define HUCE_PHOTO_QUALITY	80
#define HUCE_PHOTO_MAX_FILE	((size_t)40 << 20)	/* a camera file */
#define HUCE_PHOTO_MAX_PIXELS	((uint64_t)100000000)	/* 100 megapixels */
#define HUCE_PHOTO_DATE_SLACK	3	/* days between taken_at and the inspection */

struct huce_photo {
	struct huce_buf jpeg;		/* the kept copy; huce_photo_release() */
	char sha256[65];		/* of jpeg */
	char original_sha256[65];	/* of the camera file */
	int64_t bytes;			/* jpeg.len */
	int64_t original_bytes;		/* the camera file's size */
	int width, height;		/* of the kept copy, turned upright */
	int orientation;		/* EXIF orientation applied, 1..8 */
	char taken_at[20];		/* "YYYY-MM-DDTHH:MM:SS" (camera clock) or "" */
	char gps[32];			/* "LAT,LON" (6 decimals) or "" */
};

/*
 * Read, check and re-encode the photo file at path into *p (zeroed
 * first; release it with huce_photo_release(), also on failure).
 * HUCE_EINVAL with a message naming the file and what is wrong: not
 * found or unreadable, empty, larger than HUCE_PHOTO_MAX_FILE, a PNG or
 * HEIC (asks for a JPEG), not an image, a JPEG cut short or corrupt,
 * more than HUCE_PHOTO_MAX_PIXELS pixels, a colour model TurboJPEG
 * cannot turn into RGB.  A missing or broken EXIF block is no error:
 * taken_at and gps stay empty and the orientation is 1.
 */
enum huce_err huce_photo_prepare(const char *path, struct huce_photo *p,
				 struct huce_error *err);
/* The same from bytes in memory; name is only for messages. */
enum huce_err huce_photo_prepare_mem(const void *data, size_t len,
				     const char *name, struct huce_photo *p,
				     struct huce_error *err);

/* Free p->jpeg and zero *p; a zeroed p is a no-op. */
void huce_photo_release(struct huce_photo *p);

/*
 * The photo folder of the database at db_path: "DB_PATH.photos".
 * Malloc'd (the caller frees), NULL on OOM.
 */
char *huce_photo_store_dir(const char *db_path);

/*
 * The kept copy's path in dir: "DIR/<sha256>.jpg", into out (size n).
 * Returns 0, or -1 when it does not fit.
 */
int huce_photo_path(const char *dir, const char *sha256, char *out, size_t n);

/*
 * Write p->jpeg to huce_photo_path(dir, p->sha256), creating dir (0700)
 * when needed, through a temporary file, fsync and rename.  A file
 * already there with the right size is kept (content-addressed: the
 * same bytes).  HUCE_EIO names the path.
 */
enum huce_err huce_photo_store(const char *dir, const struct huce_photo *p,
			       struct huce_error *err);

/*
 * Inside a local transaction: attach the stored photo p to owner (a
 * household or inspection id known here) as kind.  When a live photo of
 * that owner with the same sha256 and kind exists, nothing is written,
 * its id is copied to id and *existed is 1.  Otherwise a photo record
 * (owner_id, kind, sha256, size, width, height, camera_bytes, and
 * taken_at, gps, date_flag when known) goes through huce_local_put and
 * photo_file gets (sha256, the kept copy's path, original_sha256).
 * date_flag is huce_photo_date_flag() against the inspection's date
 * when owner is an inspection.  HUCE_EINVAL for an unknown kind,
 * HUCE_ENOTFOUND for an unknown owner, else the store's codes.
 */
enum huce_err huce_photo_attach(struct huce_local *l, const char *dir,
				const char *owner, const char *kind,
				const struct huce_photo *p,
				char *id, int *existed,
				struct huce_error *err);

/*
 * Keep the prepared photo p and attach it, inside a local transaction:
 * huce_photo_attach() then huce_photo_store() (a refused kind or owner
 * writes no file); their codes.  What every
 * entry point that adds a photo calls (client/client.h: cli_photo_put).
 */
enum huce_err huce_photo_keep(struct huce_local *l, const char *dir,
			      const char *owner, const char *kind,
			      const struct huce_photo *p,
			      char *id, int *existed,
			      struct huce_error *err);

#define HUCE_PHOTO_MATCH_METRES	50	/* `photo import`'s default --within */

/*
 * Where a phone's photo belongs (`huce photo import`, and the web app's
 * grid): the live household whose GPS is nearest to gps ("LAT,LON"),
 * if within metres, and that household's inspection (live, not voided)
 * on the day of taken_at, the newest when several.
 */
struct huce_photo_match {
	char household[37];	/* "" when none within reach */
	char inspection[37];	/* "" when none that day */
	char stage[16];		/* the inspection's stage */
	double metres;		/* to the household */
	double second;		/* to the next nearest household, or -1 */
	int sure;		/* one household clearly nearest: attach with --yes */
	const char *kind;	/* a proposed kind (static): see huce_photo_match() */
};

/*
 * Fill *m for a photo taken at taken_at (may be "") at gps (may be "":
 * no household).  A match is sure when the household lies within metres
 * and every other household at least twice as far (or farther than
 * 2 x metres).  The proposed kind: "before" without an inspection that
 * day, else by the stage: excavation -> "excavation", pre-cover ->
 * "tank", any later stage -> "after".
 */
enum huce_err huce_photo_match(struct huce_local *l, const char *gps,
			       const char *taken_at, double metres,
			       struct huce_photo_match *m,
			       struct huce_error *err);

/*
 * A phone's folder (`huce photo import DIR`, the web app's import grid):
 * the JPEG files by name (.jpg, .jpeg, any case) under dir and its
 * sub-folders (DCIM/100XXXXX/..., HUCE_PHOTO_FOLDER_DEPTH deep, dot
 * files skipped), sorted by path, at most HUCE_PHOTO_FOLDER_MAX of them;
 * other is the count of other files (HEIC, PNG, videos).
 */
#define HUCE_PHOTO_FOLDER_MAX	5000
#define HUCE_PHOTO_FOLDER_DEPTH	6

struct huce_photo_folder {
	char **paths;
	size_t n, cap;
	size_t other;
};

/*
 * Read dir into *f (zeroed first; huce_photo_folder_release() it, also
 * on failure).  HUCE_ENOTFOUND when dir cannot be read, HUCE_EIO for a
 * sub-folder that cannot, HUCE_EINVAL past HUCE_PHOTO_FOLDER_MAX files.
 */
enum huce_err huce_photo_folder_read(const char *dir, struct huce_photo_folder *f,
				     struct huce_error *err);
void huce_photo_folder_release(struct huce_photo_folder *f);

/* What one file of a phone's folder is to this laptop. */
enum huce_photo_scan_state {
	HUCE_PHOTO_SCAN_KNOWN,		/* its camera file or kept copy is here */
	HUCE_PHOTO_SCAN_REFUSED,	/* not a JPEG huce keeps: reason says why */
	HUCE_PHOTO_SCAN_NEW,		/* photo prepared, match proposed */
};

struct huce_photo_scan {
	enum huce_photo_scan_state state;
	char reason[512];		/* REFUSED: huce_photo_prepare()'s message */
	struct huce_photo photo;	/* NEW: the kept copy to be (jpeg released) */
	struct huce_photo_match match;	/* NEW: huce_photo_match() within metres */
};

/*
 * The rule of `photo import` for the file at path, one place for the
 * command and the web app: a file whose camera bytes (photo_file's
 * original_sha256) or kept copy (a live photo's sha256) are known here
 * is KNOWN, so a folder may be imported every week; one that
 * huce_photo_prepare() refuses is REFUSED; else NEW, with the photo
 * prepared (its jpeg kept when keep_jpeg, for huce_photo_keep(); else
 * released) and the household and inspection proposed by
 * huce_photo_match(metres).  *s is zeroed first; release it with
 * huce_photo_scan_release().  Returns the store's errors only.
 */
enum huce_err huce_photo_scan_file(struct huce_local *l, const char *path,
				   double metres, int keep_jpeg,
				   struct huce_photo_scan *s,
				   struct huce_error *err);
void huce_photo_scan_release(struct huce_photo_scan *s);

/* Metres between two "LAT,LON" points on the Earth; -1 when unreadable. */
double huce_gps_metres(const char *a, const char *b);

/*
 * "before" when taken_at ("YYYY-MM-DD..." ) lies more than
 * HUCE_PHOTO_DATE_SLACK days before date (YYYY-MM-DD), "after" when
 * more than that after it, else NULL (also when either is unknown).
 * Static strings.
 */
const char *huce_photo_date_flag(const char *taken_at, const char *date);

/*
 * An EXIF APP1 segment (marker, length, "Exif\0\0", a little-endian
 * TIFF block) with the orientation (omitted when 0), DateTimeOriginal
 * (when taken_at is "YYYY-MM-DDTHH:MM:SS") and GPS (when has_gps),
 * appended to out.  The kept copies carry one with orientation 0, and
 * the tests make camera files with it.
 */
enum huce_err huce_photo_exif_segment(int orientation, const char *taken_at,
				      int has_gps, double lat, double lon,
				      struct huce_buf *out);

/*
 * Insert the segment seg (from huce_photo_exif_segment) after the SOI
 * marker of the JPEG in (in, n), into out.  HUCE_EINVAL when in is not
 * a JPEG.
 */
enum huce_err huce_photo_insert_segment(const void *in, size_t n,
					const struct huce_buf *seg,
					struct huce_buf *out);

#endif
