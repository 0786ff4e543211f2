/*
 * huce_batch.h - the batch codec: outbox entries on the wire and on disk.
 *
 * A batch carries one device's outbox entries first_seq..last_seq from
 * the laptop to the central, over HTTP (POST /v1/batches) or as a file
 * (huce export / huce-syncd admin import).  It is a fixed binary header
 * followed by a zlib stream (RFC 1950: deflate with an Adler-32 trailer)
 * of a UTF-8 JSON payload.  The codec treats the payload as opaque bytes;
 * JSON validity is checked by the record layer.
 *
 * The header is read before anything is inflated, so a hostile batch is
 * refused on what it declares: a wrong magic or version, an inconsistent
 * header, a declared size over the limit or a declared size that would
 * need an absurd compression ratio.  The body is then inflated into a
 * bounded buffer, stopping as soon as it passes the declared size, and
 * checked against the declared length and CRC-32.
 *
 * Header layout (all integers big-endian, version 1):
 *
 *   offset  size  field
 *   ------  ----  -----------------------------------------------------
 *        0     4  magic "HUCB"
 *        4     1  format version (1)
 *        5     1  flags (0; a non-zero value is refused)
 *        6     2  device name length L (1..128)
 *        8     8  first seq
 *       16     8  last seq
 *       24     4  entry count
 *       28     4  CRC-32 (zlib crc32) of the uncompressed payload
 *       32     8  uncompressed payload length
 *       40     L  device name (UTF-8, no control characters, no NUL)
 *     40+L   ...  zlib stream, up to the end of the data
 *
 * Seqs and count: count 0 means an empty batch and needs first = last = 0;
 * otherwise 1 <= first <= last and count <= last - first + 1 (entries the
 * agent quarantined leave holes, so the span may exceed the count).
 *
 * Limits: the uncompressed payload is at most HUCE_BATCH_MAX_RAW bytes
 * (the decoder takes its own max_raw), and a payload over
 * HUCE_BATCH_RATIO_FLOOR bytes may not be more than HUCE_BATCH_MAX_RATIO
 * times its compressed size.  Real JSON compresses 5-20:1; a bomb
 * compresses 1000:1.  The encoder refuses what the decoder would refuse,
 * so every batch it produces decodes.
 *
 * Calling sequence:
 *
 *   struct huce_buf out = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
 *   huce_batch_encode("laptop-3", 1, 40, 40, json, len, -1, &out, &err);
 *
 *   struct huce_batch_header h;
 *   struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
 *   huce_batch_decode(out.data, out.len, HUCE_BATCH_MAX_RAW, &h,
 *                     &payload, &err);
 *   ... huce_buf_release(&payload); huce_buf_release(&out);
 *
 * or, for a big batch without holding raw and compressed bytes at once:
 *
 *   struct huce_batch_writer w = HUCE_BATCH_WRITER_INIT;
 *   huce_batch_writer_begin(&w, "laptop-3", -1, &out, &err);
 *   huce_batch_writer_write(&w, chunk, n, &err);   (any number of times)
 *   huce_batch_writer_finish(&w, 1, 40, 40, &err);
 *
 * See docs/PROTOCOL.md section 1 for the same format in prose.
 */
#ifndef HUCE_BATCH_H
#define HUCE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "huce_buf.h"
#include "huce_err.h"

#define HUCE_BATCH_MAGIC	"HUCB"
#define HUCE_BATCH_VERSION	1
#define HUCE_BATCH_HEADER_SIZE	40	/* fixed part, before the device name */
#define HUCE_BATCH_DEVICE_MAX	128

/* Default ceiling of the uncompressed payload. */
#ifndef HUCE_BATCH_MAX_RAW
#define HUCE_BATCH_MAX_RAW	((size_t)16 * 1024 * 1024)
#endif
/* Largest accepted raw:compressed ratio ... */
#define HUCE_BATCH_MAX_RATIO	200u
/* ... applied only above this raw size, so tiny batches always pass. */
#define HUCE_BATCH_RATIO_FLOOR	((uint64_t)64 * 1024)

struct huce_batch_header {
	unsigned version;
	char device[HUCE_BATCH_DEVICE_MAX + 1];	/* NUL-terminated */
	uint64_t first_seq, last_seq;
	uint32_t count, crc;
	uint64_t raw_len;
};

/*
 * Compress payload (len bytes, may be NULL when len is 0) at zlib level
 * (-1 for the default, 0..9) and append the whole batch to out.  The
 * caller owns and releases out.  Fails with HUCE_EINVAL for a bad device
 * name, level or seq/count combination, HUCE_ETOOBIG when the payload
 * passes HUCE_BATCH_MAX_RAW, compresses beyond HUCE_BATCH_MAX_RATIO or
 * the batch does not fit in out->max, HUCE_ENOMEM on allocation failure;
 * on failure out is restored to its previous length.
 */
enum huce_err huce_batch_encode(const char *device, uint64_t first_seq,
				uint64_t last_seq, uint32_t count,
				const void *payload, size_t len, int level,
				struct huce_buf *out, struct huce_error *err);

/*
 * Parse and check the header at the start of data (len bytes).  On
 * success fill *h and set *body_off (either may be NULL) to the offset
 * of the zlib stream.  Nothing is allocated.  Fails with HUCE_EINVAL
 * ("not a huce batch", truncated or inconsistent header) or
 * HUCE_EVERSION; *h is zeroed on failure.
 */
enum huce_err huce_batch_decode_header(const void *data, size_t len,
				       struct huce_batch_header *h,
				       size_t *body_off,
				       struct huce_error *err);

/*
 * Decode a whole batch of len bytes.  The payload replaces the contents
 * of *payload (the caller owns and releases it); it is inflated in a
 * streaming loop and never grows past min(max_raw, payload->max) nor past
 * the declared length.  The header goes to *h (may be NULL) as soon as it
 * parses, so a caller can tell which device sent a refused body.
 *
 * Refusals: HUCE_EINVAL (not a batch, bad header, corrupt, truncated or
 * trailing data, length differs from the header), HUCE_EVERSION,
 * HUCE_ETOOBIG (declared or actual size over the limit, absurd ratio),
 * HUCE_ECHECKSUM (CRC-32 mismatch), HUCE_ENOMEM.  On any failure
 * payload->len is 0.
 */
enum huce_err huce_batch_decode(const void *data, size_t len, size_t max_raw,
				struct huce_batch_header *h,
				struct huce_buf *payload, struct huce_error *err);

/*
 * Streaming encoder: the payload is compressed as it is written, so the
 * caller never holds raw and compressed bytes at once.  The header is
 * reserved in out by begin and filled in place by finish.
 *
 * The writer owns a zlib stream from a successful begin until finish
 * returns or abort is called; a failed write or finish aborts by itself.
 * Abort is harmless on a writer that is idle (HUCE_BATCH_WRITER_INIT,
 * finished or already aborted).
 */
struct z_stream_s;

struct huce_batch_writer {
	struct huce_buf *out;	/* not owned */
	size_t start;		/* offset of the batch in out */
	size_t dev_len;
	struct z_stream_s *zs;	/* owned; NULL when idle */
	uint32_t crc;
	uint64_t raw_len;
};

#define HUCE_BATCH_WRITER_INIT { NULL, 0, 0, NULL, 0, 0 }

/*
 * Start a batch from device at zlib level (-1, 0..9), appending its
 * header to out.  Fails with HUCE_EINVAL (device name, level),
 * HUCE_ETOOBIG (out is full) or HUCE_ENOMEM, leaving out and the writer
 * as they were.
 */
enum huce_err huce_batch_writer_begin(struct huce_batch_writer *w,
				      const char *device, int level,
				      struct huce_buf *out,
				      struct huce_error *err);

/*
 * Add n payload bytes.  Fails with HUCE_ETOOBIG (payload passes
 * HUCE_BATCH_MAX_RAW or out is full), HUCE_ENOMEM or HUCE_EINVAL (writer
 * not started); on failure the writer is aborted and out restored.
 */
enum huce_err huce_batch_writer_write(struct huce_batch_writer *w,
				      const void *p, size_t n,
				      struct huce_error *err);

/*
 * End the zlib stream and fill the header in place.  Fails with
 * HUCE_EINVAL (seq/count combination, writer not started), HUCE_ETOOBIG
 * (out is full, ratio beyond HUCE_BATCH_MAX_RATIO) or HUCE_ENOMEM; on
 * failure the writer is aborted and out restored.  Either way the writer
 * is idle afterwards.
 */
enum huce_err huce_batch_writer_finish(struct huce_batch_writer *w,
				       uint64_t first_seq, uint64_t last_seq,
				       uint32_t count,
				       struct huce_error *err);

/* Drop an unfinished batch: free the zlib stream and cut out back. */
void huce_batch_writer_abort(struct huce_batch_writer *w);

/*
 * Plain zlib (RFC 1950) helpers for pull pages and export files.
 *
 * huce_inflate_bounded appends the inflation of in (n bytes, exactly one
 * zlib stream, no trailing bytes) to out, never letting it grow by more
 * than max bytes nor past out->max.  Fails with HUCE_ETOOBIG (stops as
 * soon as the bound is passed), HUCE_EINVAL (corrupt, truncated, trailing
 * data; zlib's message is in err) or HUCE_ENOMEM, restoring out to its
 * previous length.
 *
 * huce_deflate appends the zlib compression of in (n bytes) at level
 * (-1, 0..9) to out.  Fails with HUCE_EINVAL (level), HUCE_ETOOBIG (out
 * is full) or HUCE_ENOMEM, restoring out to its previous length.
 *
 * The caller owns and releases out in both cases.
 */
enum huce_err huce_inflate_bounded(const void *in, size_t n, size_t max,
				   struct huce_buf *out,
				   struct huce_error *err);
enum huce_err huce_deflate(const void *in, size_t n, int level,
			   struct huce_buf *out);

/*
 * A compressor kept for many huce_deflate()s: its tables (some 650 KB
 * at levels 2..9) are allocated once, not for every buffer.  A
 * deflater is used by one thread at a time.
 *
 *   struct huce_deflater *d = huce_deflater_new(5);
 *   huce_deflater_run(d, in, n, &out); ...
 *   huce_deflater_free(d);
 *
 * huce_deflater_new returns NULL for a bad level (-1, 0..9) or out of
 * memory; huce_deflater_run is huce_deflate at the deflater's level;
 * huce_deflater_free(NULL) is a no-op.
 */
struct huce_deflater;

struct huce_deflater *huce_deflater_new(int level);
enum huce_err huce_deflater_run(struct huce_deflater *d, const void *in,
				size_t n, struct huce_buf *out);
void huce_deflater_free(struct huce_deflater *d);

#endif
