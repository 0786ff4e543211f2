/*
 * blobs.h - the central's photo store: content-addressed files with
 * resumable, verified uploads (DESIGN.md section 3, "Photos").
 *
 * A photo is named by the SHA-256 of its bytes.  An upload appends
 * chunks at the offset the central already has, into DIR/<sha>.part;
 * when the declared length is reached the bytes are hashed and, only if
 * the digest matches the name, renamed to DIR/<sha>.  A second laptop
 * sending the same photo finds it complete and sends nothing
 * (deduplication).  The directory is the whole state: it survives
 * restarts, and a crash mid-chunk leaves at most a shorter .part file,
 * from which the next upload continues.
 */
#ifndef HUCE_BLOBS_H
#define HUCE_BLOBS_H

#include <pthread.h>
#include <stdint.h>

#include "huce_err.h"

#define BLOB_MAX_SIZE	((uint64_t)64 << 20)	/* one photo */
#define BLOB_CHUNK_MAX	((size_t)4 << 20)	/* one PATCH body */

#define BLOB_QUOTA_DEFAULT ((uint64_t)256 << 20)	/* per device and UTC day */

/* Photo bytes one device sent on one UTC day. */
struct blob_quota {
	char *device;		/* owned */
	int64_t day;		/* days since 1970-01-01, UTC */
	uint64_t bytes;
};

struct blob_store {
	char *dir;		/* owned */
	pthread_mutex_t lock;	/* one append at a time; the quota table */
	/*
	 * A laptop's photo bytes per UTC day, at most quota (0: no limit):
	 * a laptop that adds a card of 300 photos at once cannot take the
	 * town's link (or the central's disk) for itself.  Counted in this
	 * process; several centrals on one PostgreSQL each count their own.
	 */
	uint64_t quota;
	struct blob_quota *q;
	size_t nq, aq;
};

/* Create DIR (0700) if needed.  Release with blob_store_release. */
enum huce_err blob_store_init(struct blob_store *b, const char *dir,
			      struct huce_error *err);
void blob_store_release(struct blob_store *b);

/* 1 when s is 64 lower-case hex digits. */
int blob_name_valid(const char *s);

/* How much of sha the central has (*offset) and whether it is complete. */
enum huce_err blob_state(struct blob_store *b, const char *sha,
			 uint64_t *offset, int *complete,
			 struct huce_error *err);

/*
 * Append n bytes at offset to the upload of sha whose whole length is
 * total.  Returns HUCE_OK with the new *offset and *complete;
 * HUCE_EGAP when offset is not what the central has (*offset says what
 * it has); HUCE_ETOOBIG when total or offset + n pass the limits;
 * HUCE_ECHECKSUM when the finished bytes do not hash to sha (the partial
 * file is removed so the upload can start again); HUCE_EIO on disk errors.
 */
enum huce_err blob_append(struct blob_store *b, const char *sha,
			  uint64_t offset, uint64_t total, const void *data,
			  size_t n, uint64_t *new_offset, int *complete,
			  struct huce_error *err);

/*
 * May device send n more photo bytes today (now: Unix seconds)?
 * HUCE_OK, or HUCE_EBUSY with what it sent today in *used and the
 * seconds until the next UTC day in *retry_after.  blob_quota_add()
 * counts what was stored.
 */
enum huce_err blob_quota_check(struct blob_store *b, const char *device,
			       uint64_t n, int64_t now, uint64_t *used,
			       unsigned *retry_after);
void blob_quota_add(struct blob_store *b, const char *device, uint64_t n,
		    int64_t now);

/*
 * Open the complete photo sha for reading: a file descriptor the caller
 * closes, its size in *size.  HUCE_ENOTFOUND when the central does not
 * have it in full (a partial upload is not served), HUCE_EINVAL for a
 * bad name, HUCE_EIO.  On error -1 is returned through *fd.
 */
enum huce_err blob_open(struct blob_store *b, const char *sha, int *fd,
			uint64_t *size, struct huce_error *err);

#endif
