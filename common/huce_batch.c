/*
 * huce_batch.c - encode and decode batches (see huce_batch.h for the
 * header layout and docs/PROTOCOL.md section 1 for the prose).
 *
 * Everything that reaches the decoder may be hostile, so the order of
 * checks matters: the header is validated field by field before a byte
 * is inflated, the declared size is compared with the limit and with the
 * compressed size, and only then is the body inflated, in bounded steps,
 * into a buffer that can never grow past the declared size.  A stream
 * that tries to produce one byte more is stopped there.  Every zlib
 * return code is checked; zlib's own message is passed on for corrupt
 * data.
 *
 * The encoder shares the header checks, so it cannot produce a batch
 * that the decoder would refuse.
 */
#include "huce_batch.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST	/* next_in and msg are const */
#include <libdeflate.h>
#include <zlib.h>

#include "huce_i18n.h"

/* Bytes handed to zlib per call; keeps avail_in/avail_out in a uInt. */
#define IN_STEP		((size_t)1 << 30)
#define OUT_STEP	((size_t)64 * 1024)

#define OFF_VERSION	4
#define OFF_FLAGS	5
#define OFF_DEVLEN	6
#define OFF_FIRST	8
#define OFF_LAST	16
#define OFF_COUNT	24
#define OFF_CRC		28
#define OFF_RAWLEN	32

static void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint16_t get_be16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static uint64_t get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/*
 * Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)
 * without C0 or C1 control characters or DEL.  Returns 1 when s is fine.
 */
static int valid_device_name(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		unsigned lo = 0x80, hi = 0xbf;
		size_t need, k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			if (c == 0xc2)
				lo = 0xa0;	/* U+0080..U+009F are C1 controls */
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* past U+10FFFF */
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += need + 1;
	}
	return 1;
}

static enum huce_err check_device(const unsigned char *dev, size_t len,
				  struct huce_error *err)
{
	if (len < 1 || len > HUCE_BATCH_DEVICE_MAX)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch device name is %zu bytes, must be 1..%d"),
				 len, HUCE_BATCH_DEVICE_MAX);
	if (!valid_device_name(dev, len))
		return huce_fail(err, HUCE_EINVAL,
				 _("batch device name is not valid UTF-8 without control characters"));
	return HUCE_OK;
}

static enum huce_err check_seqs(uint64_t first, uint64_t last, uint32_t count,
				struct huce_error *err)
{
	if (!count) {
		if (first || last)
			return huce_fail(err, HUCE_EINVAL,
					 _("batch has 0 entries but seqs %" PRIu64 "..%" PRIu64),
					 first, last);
		return HUCE_OK;
	}
	if (!first)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch has %" PRIu32 " entries but first seq 0"), count);
	if (first > last)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch first seq %" PRIu64 " is after last seq %" PRIu64),
				 first, last);
	if (count - 1 > last - first)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch has %" PRIu32 " entries in seqs %" PRIu64 "..%" PRIu64),
				 count, first, last);
	return HUCE_OK;
}

/* Would raw bytes from comp compressed bytes be a plausible batch? */
static int ratio_ok(uint64_t raw, size_t comp)
{
	if (raw <= HUCE_BATCH_RATIO_FLOOR)
		return 1;
	if ((uint64_t)comp > UINT64_MAX / HUCE_BATCH_MAX_RATIO)
		return 1;
	return raw <= (uint64_t)comp * HUCE_BATCH_MAX_RATIO;
}

static int valid_level(int level)
{
	return level == Z_DEFAULT_COMPRESSION || (level >= 0 && level <= 9);
}

/* Cut b back to len bytes, keeping the NUL terminator. */
static void buf_truncate(struct huce_buf *b, size_t len)
{
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

static enum huce_err zlib_fail(struct huce_error *err, const char *what,
			       const z_stream *zs, int zrc)
{
	switch (zrc) {
	case Z_MEM_ERROR:
		return huce_fail(err, HUCE_ENOMEM, _("%s: out of memory in zlib"), what);
	case Z_DATA_ERROR:
		return huce_fail(err, HUCE_EINVAL, _("%s: corrupt zlib stream: %s"),
				 what, zs->msg ? zs->msg : "data error");
	case Z_NEED_DICT:
		return huce_fail(err, HUCE_EINVAL,
				 _("%s: zlib stream needs a preset dictionary"), what);
	case Z_BUF_ERROR:
		return huce_fail(err, HUCE_EINVAL, _("%s: truncated zlib stream"), what);
	case Z_VERSION_ERROR:
		return huce_fail(err, HUCE_EINVAL, _("%s: incompatible zlib library"), what);
	default:
		return huce_fail(err, HUCE_EINVAL, _("%s: zlib error %d: %s"), what,
				 zrc, zs->msg ? zs->msg : "no message");
	}
}

/*
 * Inflate exactly one zlib stream of n bytes, appending at most limit
 * bytes to out (the caller made sure limit fits in out->max).  Output is
 * requested in steps of at most OUT_STEP, so memory follows what the
 * stream really produces, not what it claims.  Once limit bytes are out,
 * inflate() gets a one-byte spill: producing anything there means the
 * stream is too big, and we stop.  On failure out may hold part of the
 * output; the callers cut it back.
 */
static enum huce_err inflate_into(const unsigned char *in, size_t n,
				  size_t limit, struct huce_buf *out,
				  const char *what, const char *bound,
				  struct huce_error *err)
{
	z_stream zs;
	size_t start = out->len;
	unsigned char spill;
	enum huce_err rc = HUCE_OK;
	int zrc;

	memset(&zs, 0, sizeof(zs));
	zrc = inflateInit(&zs);
	if (zrc != Z_OK)
		return zlib_fail(err, what, &zs, zrc);

	for (;;) {
		size_t room = limit - (out->len - start), want;

		if (!zs.avail_in && n) {
			size_t take = n < IN_STEP ? n : IN_STEP;

			zs.next_in = in;
			zs.avail_in = (uInt)take;
			in += take;
			n -= take;
		}
		if (room) {
			want = room < OUT_STEP ? room : OUT_STEP;
			rc = huce_buf_reserve(out, want);
			if (rc) {
				huce_fail(err, rc, _("%s: cannot grow output buffer"), what);
				goto out;
			}
			zs.next_out = (Bytef *)out->data + out->len;
		} else {
			want = 1;
			zs.next_out = &spill;
		}
		zs.avail_out = (uInt)want;

		zrc = inflate(&zs, Z_NO_FLUSH);
		if (!room && zs.avail_out != want) {
			rc = huce_fail(err, HUCE_ETOOBIG,
				       _("%s inflates past %s (%zu bytes)"),
				       what, bound, limit);
			goto out;
		}
		if (room)
			out->len += want - zs.avail_out;

		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK) {
			/*
			 * Z_BUF_ERROR here means no progress was possible
			 * with output room left: the input ran out.
			 */
			rc = zlib_fail(err, what, &zs, zrc);
			goto out;
		}
	}
	if (zs.avail_in || n)
		rc = huce_fail(err, HUCE_EINVAL,
			       _("%s: %zu trailing bytes after the zlib stream"),
			       what, (size_t)zs.avail_in + n);
out:
	zrc = inflateEnd(&zs);
	if (zrc != Z_OK && !rc)
		rc = zlib_fail(err, what, &zs, zrc);
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}

/*
 * Feed n bytes to a deflate stream and append what comes out to out.
 * With Z_FINISH, runs until the stream has ended.  Stops with
 * HUCE_ETOOBIG when out is full and zlib still has output to give.
 */
static enum huce_err deflate_into(z_stream *zs, const unsigned char *in,
				  size_t n, int flush, struct huce_buf *out,
				  const char *what, struct huce_error *err)
{
	int zrc = Z_OK;

	if (!n && flush == Z_NO_FLUSH)
		return HUCE_OK;
	do {
		size_t take = n < IN_STEP ? n : IN_STEP;
		int fl = n > take ? Z_NO_FLUSH : flush;

		zs->next_in = in;
		zs->avail_in = (uInt)take;
		if (take)
			in += take;
		n -= take;
		do {
			size_t room = out->max - out->len;
			size_t want = room < OUT_STEP ? room : OUT_STEP;
			enum huce_err rc;

			if (!want) {
				/*
				 * deflate() may simply have had nothing more
				 * to say; finishing will tell for sure.
				 */
				if (fl == Z_NO_FLUSH && !zs->avail_in)
					break;
				return huce_fail(err, HUCE_ETOOBIG,
						 _("%s does not fit in %zu bytes"),
						 what, out->max);
			}
			rc = huce_buf_reserve(out, want);
			if (rc)
				return huce_fail(err, rc,
						 _("%s: cannot grow output buffer"), what);
			zs->next_out = (Bytef *)out->data + out->len;
			zs->avail_out = (uInt)want;
			zrc = deflate(zs, fl);
			/*
			 * Z_BUF_ERROR only says no progress was possible in
			 * this call; the loop conditions handle it.
			 */
			if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
				return zlib_fail(err, what, zs, zrc);
			out->len += want - zs->avail_out;
			out->data[out->len] = '\0';
		} while (!zs->avail_out && zrc != Z_STREAM_END);
	} while (n);
	if (flush == Z_FINISH && zrc != Z_STREAM_END)
		return huce_fail(err, HUCE_EINVAL, _("%s: zlib stream did not end"), what);
	return HUCE_OK;
}

enum huce_err huce_batch_decode_header(const void *data, size_t len,
				       struct huce_batch_header *h,
				       size_t *body_off,
				       struct huce_error *err)
{
	const unsigned char *p = data;
	struct huce_batch_header hh;
	size_t devlen;
	enum huce_err rc;

	if (h)
		memset(h, 0, sizeof(*h));
	if (!p && len)
		return huce_fail(err, HUCE_EINVAL, _("batch data is NULL"));
	if (len && memcmp(p, HUCE_BATCH_MAGIC, len < 4 ? len : 4))
		return huce_fail(err, HUCE_EINVAL, _("not a huce batch"));
	if (len > OFF_VERSION && p[OFF_VERSION] != HUCE_BATCH_VERSION)
		return huce_fail(err, HUCE_EVERSION,
				 _("batch format version %u is not supported (want %d)"),
				 (unsigned)p[OFF_VERSION], HUCE_BATCH_VERSION);
	if (len < HUCE_BATCH_HEADER_SIZE)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch header truncated at %zu of %d bytes"),
				 len, HUCE_BATCH_HEADER_SIZE);
	if (p[OFF_FLAGS])
		return huce_fail(err, HUCE_EINVAL, _("batch flags 0x%02x are not supported"),
				 (unsigned)p[OFF_FLAGS]);

	devlen = get_be16(p + OFF_DEVLEN);
	if (devlen < 1 || devlen > HUCE_BATCH_DEVICE_MAX)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch device name is %zu bytes, must be 1..%d"),
				 devlen, HUCE_BATCH_DEVICE_MAX);
	if (len - HUCE_BATCH_HEADER_SIZE < devlen)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch header truncated at %zu of %zu bytes"),
				 len, HUCE_BATCH_HEADER_SIZE + devlen);
	rc = check_device(p + HUCE_BATCH_HEADER_SIZE, devlen, err);
	if (rc)
		return rc;

	memset(&hh, 0, sizeof(hh));
	hh.version = p[OFF_VERSION];
	memcpy(hh.device, p + HUCE_BATCH_HEADER_SIZE, devlen);
	hh.first_seq = get_be64(p + OFF_FIRST);
	hh.last_seq = get_be64(p + OFF_LAST);
	hh.count = get_be32(p + OFF_COUNT);
	hh.crc = get_be32(p + OFF_CRC);
	hh.raw_len = get_be64(p + OFF_RAWLEN);
	rc = check_seqs(hh.first_seq, hh.last_seq, hh.count, err);
	if (rc)
		return rc;

	if (h)
		*h = hh;
	if (body_off)
		*body_off = HUCE_BATCH_HEADER_SIZE + devlen;
	return HUCE_OK;
}

enum huce_err huce_batch_decode(const void *data, size_t len, size_t max_raw,
				struct huce_batch_header *h,
				struct huce_buf *payload, struct huce_error *err)
{
	struct huce_batch_header hh;
	size_t off, comp, limit;
	uint32_t crc;
	enum huce_err rc;

	huce_buf_reset(payload);
	if (h)
		memset(h, 0, sizeof(*h));
	rc = huce_batch_decode_header(data, len, &hh, &off, err);
	if (rc)
		goto out;
	if (h)
		*h = hh;

	limit = max_raw < payload->max ? max_raw : payload->max;
	comp = len - off;
	if (hh.raw_len > limit) {
		rc = huce_fail(err, HUCE_ETOOBIG,
			       _("batch declares %" PRIu64 " uncompressed bytes, limit is %zu"),
			       hh.raw_len, limit);
		goto out;
	}
	if (!ratio_ok(hh.raw_len, comp)) {
		rc = huce_fail(err, HUCE_ETOOBIG,
			       _("batch declares %" PRIu64 " bytes from %zu compressed, beyond %u:1"),
			       hh.raw_len, comp, HUCE_BATCH_MAX_RATIO);
		goto out;
	}

	rc = inflate_into((const unsigned char *)data + off, comp,
			  (size_t)hh.raw_len, payload, _("batch payload"),
			  _("its declared size"), err);
	if (rc)
		goto out;
	if (payload->len != hh.raw_len) {
		rc = huce_fail(err, HUCE_EINVAL,
			       _("batch payload is %zu bytes, header declares %" PRIu64),
			       payload->len, hh.raw_len);
		goto out;
	}
	crc = (uint32_t)crc32_z(0L, (const Bytef *)payload->data, payload->len);
	if (crc != hh.crc)
		rc = huce_fail(err, HUCE_ECHECKSUM,
			       _("batch payload crc32 is %08" PRIx32 ", header declares %08" PRIx32),
			       crc, hh.crc);
out:
	if (rc)
		huce_buf_reset(payload);
	return rc;
}

enum huce_err huce_batch_writer_begin(struct huce_batch_writer *w,
				      const char *device, int level,
				      struct huce_buf *out,
				      struct huce_error *err)
{
	unsigned char hdr[HUCE_BATCH_HEADER_SIZE + HUCE_BATCH_DEVICE_MAX];
	size_t devlen = device ? strnlen(device, HUCE_BATCH_DEVICE_MAX + 1) : 0;
	enum huce_err rc;
	z_stream *zs;
	int zrc;

	memset(w, 0, sizeof(*w));
	if (devlen > HUCE_BATCH_DEVICE_MAX)
		return huce_fail(err, HUCE_EINVAL,
				 _("batch device name is longer than %d bytes"),
				 HUCE_BATCH_DEVICE_MAX);
	rc = check_device((const unsigned char *)device, devlen, err);
	if (rc)
		return rc;
	if (!valid_level(level))
		return huce_fail(err, HUCE_EINVAL, _("zlib level %d is not -1..9"), level);

	/* Seqs, count, CRC and length are filled in by finish. */
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, HUCE_BATCH_MAGIC, 4);
	hdr[OFF_VERSION] = HUCE_BATCH_VERSION;
	put_be16(hdr + OFF_DEVLEN, (uint16_t)devlen);
	memcpy(hdr + HUCE_BATCH_HEADER_SIZE, device, devlen);

	zs = calloc(1, sizeof(*zs));
	if (!zs)
		return huce_fail(err, HUCE_ENOMEM, _("batch writer: out of memory"));
	zrc = deflateInit(zs, level);
	if (zrc != Z_OK) {
		rc = zlib_fail(err, "batch writer", zs, zrc);
		free(zs);
		return rc;
	}
	w->start = out->len;
	rc = huce_buf_add(out, hdr, HUCE_BATCH_HEADER_SIZE + devlen);
	if (rc) {
		deflateEnd(zs);
		free(zs);
		return huce_fail(err, rc, _("batch header does not fit in %zu bytes"),
				 out->max);
	}
	w->out = out;
	w->dev_len = devlen;
	w->zs = zs;
	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->raw_len = 0;
	return HUCE_OK;
}

void huce_batch_writer_abort(struct huce_batch_writer *w)
{
	if (!w->zs)
		return;
	/* Z_DATA_ERROR is expected here: the stream is freed unfinished. */
	deflateEnd(w->zs);
	free(w->zs);
	w->zs = NULL;
	buf_truncate(w->out, w->start);
}

enum huce_err huce_batch_writer_write(struct huce_batch_writer *w,
				      const void *p, size_t n,
				      struct huce_error *err)
{
	enum huce_err rc;

	if (!w->zs)
		return huce_fail(err, HUCE_EINVAL, _("batch writer is not started"));
	if (!n)
		return HUCE_OK;
	if (!p) {
		huce_batch_writer_abort(w);
		return huce_fail(err, HUCE_EINVAL, _("batch payload is NULL"));
	}
	if (n > HUCE_BATCH_MAX_RAW - w->raw_len) {
		huce_batch_writer_abort(w);
		return huce_fail(err, HUCE_ETOOBIG,
				 _("batch payload passes %zu bytes"), HUCE_BATCH_MAX_RAW);
	}
	w->crc = (uint32_t)crc32_z(w->crc, p, n);
	w->raw_len += n;
	rc = deflate_into(w->zs, p, n, Z_NO_FLUSH, w->out, "batch", err);
	if (rc)
		huce_batch_writer_abort(w);
	return rc;
}

enum huce_err huce_batch_writer_finish(struct huce_batch_writer *w,
				       uint64_t first_seq, uint64_t last_seq,
				       uint32_t count,
				       struct huce_error *err)
{
	unsigned char *hdr;
	size_t comp;
	enum huce_err rc;
	int zrc;

	if (!w->zs)
		return huce_fail(err, HUCE_EINVAL, _("batch writer is not started"));
	rc = check_seqs(first_seq, last_seq, count, err);
	if (rc)
		goto fail;
	rc = deflate_into(w->zs, NULL, 0, Z_FINISH, w->out, "batch", err);
	if (rc)
		goto fail;
	comp = w->out->len - w->start - HUCE_BATCH_HEADER_SIZE - w->dev_len;
	if (!ratio_ok(w->raw_len, comp)) {
		rc = huce_fail(err, HUCE_ETOOBIG,
			       _("batch payload of %" PRIu64 " bytes compresses beyond %u:1"),
			       w->raw_len, HUCE_BATCH_MAX_RATIO);
		goto fail;
	}
	zrc = deflateEnd(w->zs);
	free(w->zs);
	w->zs = NULL;
	if (zrc != Z_OK) {
		buf_truncate(w->out, w->start);
		return huce_fail(err, HUCE_EINVAL, _("batch writer: deflateEnd failed (%d)"),
				 zrc);
	}

	hdr = (unsigned char *)w->out->data + w->start;
	put_be64(hdr + OFF_FIRST, first_seq);
	put_be64(hdr + OFF_LAST, last_seq);
	put_be32(hdr + OFF_COUNT, count);
	put_be32(hdr + OFF_CRC, w->crc);
	put_be64(hdr + OFF_RAWLEN, w->raw_len);
	return HUCE_OK;
fail:
	huce_batch_writer_abort(w);
	return rc;
}

enum huce_err huce_batch_encode(const char *device, uint64_t first_seq,
				uint64_t last_seq, uint32_t count,
				const void *payload, size_t len, int level,
				struct huce_buf *out, struct huce_error *err)
{
	struct huce_batch_writer w = HUCE_BATCH_WRITER_INIT;
	enum huce_err rc;

	/* Refuse cheap mistakes before compressing anything. */
	rc = check_seqs(first_seq, last_seq, count, err);
	if (rc)
		return rc;
	if (len > HUCE_BATCH_MAX_RAW)
		return huce_fail(err, HUCE_ETOOBIG,
				 _("batch payload of %zu bytes passes %zu"), len,
				 HUCE_BATCH_MAX_RAW);
	rc = huce_batch_writer_begin(&w, device, level, out, err);
	if (rc)
		return rc;
	rc = huce_batch_writer_write(&w, payload, len, err);
	if (rc)
		return rc;
	return huce_batch_writer_finish(&w, first_seq, last_seq, count, err);
}

enum huce_err huce_inflate_bounded(const void *in, size_t n, size_t max,
				   struct huce_buf *out,
				   struct huce_error *err)
{
	size_t start = out->len;
	size_t limit = out->max - out->len;
	enum huce_err rc;

	if (!in && n)
		return huce_fail(err, HUCE_EINVAL, _("zlib input is NULL"));
	if (max < limit)
		limit = max;
	rc = inflate_into(in, n, limit, out, _("zlib stream"), _("the limit"), err);
	if (rc)
		buf_truncate(out, start);
	return rc;
}

/*
 * One buffer in memory, compressed at once: libdeflate, whose zlib-format
 * output any zlib inflates.  It compresses a pull page of 320 KB in 2.9 ms
 * at level 6 where zlib's deflate takes 5.2 ms, and a little smaller
 * (docs/PERFORMANCE.md fix 11): the central compresses every pull page
 * anew, half its CPU in a town's week.  The streaming writer above, which
 * builds a batch record by record, keeps zlib.
 */
struct huce_deflater {
	struct libdeflate_compressor *cp;
};

struct huce_deflater *huce_deflater_new(int level)
{
	struct huce_deflater *d;

	if (!valid_level(level))
		return NULL;
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	d->cp = libdeflate_alloc_compressor(level < 0 ? 6 : level);
	if (!d->cp) {
		free(d);
		return NULL;
	}
	return d;
}

void huce_deflater_free(struct huce_deflater *d)
{
	if (!d)
		return;
	libdeflate_free_compressor(d->cp);
	free(d);
}

enum huce_err huce_deflater_run(struct huce_deflater *d, const void *in,
				size_t n, struct huce_buf *out)
{
	size_t bound, got;
	enum huce_err rc;

	if (!d || (!in && n))
		return HUCE_EINVAL;
	bound = libdeflate_zlib_compress_bound(d->cp, n);
	if (bound > out->max - out->len)
		bound = out->max - out->len;
	rc = huce_buf_reserve(out, bound);
	if (rc)
		return rc;
	got = libdeflate_zlib_compress(d->cp, n ? in : "", n,
				       out->data + out->len, bound);
	if (!got) {
		out->data[out->len] = '\0';	/* as it was */
		return HUCE_ETOOBIG;	/* it did not fit in out->max */
	}
	out->len += got;
	out->data[out->len] = '\0';
	return HUCE_OK;
}

enum huce_err huce_deflate(const void *in, size_t n, int level,
			   struct huce_buf *out)
{
	struct huce_deflater *d;
	enum huce_err rc;

	if (!valid_level(level) || (!in && n))
		return HUCE_EINVAL;
	d = huce_deflater_new(level);
	if (!d)
		return HUCE_ENOMEM;
	rc = huce_deflater_run(d, in, n, out);
	huce_deflater_free(d);
	return rc;
}
