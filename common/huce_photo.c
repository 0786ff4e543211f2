/*
 * huce_photo.c - check, turn, shrink and keep a photo (huce_photo.h).
 *
 * The camera file is read whole (at most HUCE_PHOTO_MAX_FILE), sniffed,
 * its EXIF read with libexif, its pixels decoded with TurboJPEG at the
 * smallest of libjpeg's scaling factors (1/8 .. 1) that still gives a
 * long edge of at least HUCE_PHOTO_LONG_EDGE, averaged down to that
 * edge, turned upright, and encoded again.  Decoder warnings are errors
 * (TJFLAG_STOPONWARNING): libjpeg's answer to a file cut short is a
 * warning and a grey lower half, which would otherwise be kept as
 * evidence.
 *
 * The EXIF block the kept copies carry, little-endian TIFF:
 *
 *   offset  bytes  field
 *   0       8      "II" 42 8                     TIFF header
 *   8       2+12k+4  IFD0: Orientation (0x0112), ExifIFD (0x8769),
 *                  GPSIFD (0x8825), next 0
 *   ...            Exif IFD: DateTimeOriginal (0x9003, ASCII 20)
 *   ...            GPS IFD: version 2.2.0.0, LatitudeRef, Latitude
 *                  (3 rationals), LongitudeRef, Longitude
 *   ...            the values that do not fit in 4 bytes
 */
#include "huce_photo.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <libexif/exif-data.h>
#include <turbojpeg.h>

#include "huce_crypto.h"
#include "huce_db.h"
#include "huce_file.h"
#include "huce_i18n.h"
#include "huce_id.h"
#include "huce_record.h"
#include "huce_util.h"

#define KEPT_MAX ((size_t)16 << 20)	/* a re-encoded 1600 px JPEG is far less */

void huce_photo_release(struct huce_photo *p)
{
	if (!p)
		return;
	huce_buf_release(&p->jpeg);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* what the bytes are */

static int has(const unsigned char *d, size_t n, size_t off, const char *s)
{
	size_t k = strlen(s);

	return n >= off + k && memcmp(d + off, s, k) == 0;
}

/* The name of a known non-JPEG image format, or NULL. */
static const char *other_image(const unsigned char *d, size_t n)
{
	static const char *const heif_brands[] = {
		"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1",
		"avif", NULL
	};

	if (has(d, n, 0, "\x89PNG\r\n\x1a\n"))
		return _("a PNG image");
	if (has(d, n, 4, "ftyp"))
		for (int i = 0; heif_brands[i]; i++)
			if (has(d, n, 8, heif_brands[i]))
				return _("a HEIC/HEIF image (an iPhone's default)");
	if (has(d, n, 0, "GIF87a") || has(d, n, 0, "GIF89a"))
		return _("a GIF image");
	if (has(d, n, 0, "RIFF") && has(d, n, 8, "WEBP"))
		return _("a WebP image");
	if (has(d, n, 0, "II*") || has(d, n, 0, "MM\0*"))
		return _("a TIFF image");
	if (has(d, n, 0, "BM"))
		return _("a BMP image");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* EXIF: orientation, time, GPS */

static ExifEntry *entry(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
	return ed->ifd[ifd] ? exif_content_get_entry(ed->ifd[ifd], tag) : NULL;
}

/* "YYYY:MM:DD HH:MM:SS" -> "YYYY-MM-DDTHH:MM:SS"; 0 when well-formed. */
static int exif_time(const ExifEntry *e, char out[20])
{
	char s[20];
	int y, mo, d, h, mi, sec;

	if (!e || e->format != EXIF_FORMAT_ASCII || e->size < 19)
		return -1;
	memcpy(s, e->data, 19);
	s[19] = '\0';
	for (int i = 0; i < 19; i++) {
		int digit = s[i] >= '0' && s[i] <= '9';

		if ((i == 4 || i == 7 || i == 13 || i == 16) ? s[i] != ':' :
		    i == 10 ? s[i] != ' ' : !digit)
			return -1;
	}
	if (sscanf(s, "%4d:%2d:%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 ||
	    y < 1990 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	snprintf(out, 20, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, sec);
	return 0;
}

/* Degrees from 3 rationals (deg, min, sec); 0 when well-formed. */
static int exif_degrees(const ExifEntry *e, ExifByteOrder bo, double *out)
{
	double v = 0, scale = 1;

	if (!e || e->format != EXIF_FORMAT_RATIONAL || e->components != 3 ||
	    e->size < 24)
		return -1;
	for (int i = 0; i < 3; i++) {
		ExifRational r = exif_get_rational(e->data + 8 * i, bo);

		if (r.denominator == 0)
			return -1;
		v += (double)r.numerator / (double)r.denominator / scale;
		scale *= 60;
	}
	*out = v;
	return 0;
}

static char exif_ref(const ExifEntry *e)
{
	return e && e->format == EXIF_FORMAT_ASCII && e->size >= 1 ? (char)e->data[0] : 0;
}

static void read_exif(const unsigned char *d, size_t n, struct huce_photo *p)
{
	ExifData *ed = exif_data_new_from_data(d, (unsigned)n);
	ExifByteOrder bo;
	ExifEntry *e;
	double lat, lon;
	char lr, lo;

	p->orientation = 1;
	if (!ed)
		return;
	bo = exif_data_get_byte_order(ed);
	e = entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION);
	if (e && e->format == EXIF_FORMAT_SHORT && e->size >= 2) {
		int o = exif_get_short(e->data, bo);

		if (o >= 1 && o <= 8)
			p->orientation = o;
	}
	if (exif_time(entry(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL), p->taken_at))
		p->taken_at[0] = '\0';
	lr = exif_ref(entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF));
	lo = exif_ref(entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF));
	if (!exif_degrees(entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE), bo, &lat) &&
	    !exif_degrees(entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE), bo, &lon) &&
	    (lr == 'N' || lr == 'S') && (lo == 'E' || lo == 'W')) {
		if (lr == 'S')
			lat = -lat;
		if (lo == 'W')
			lon = -lon;
		/* 0,0 is what a phone without a fix writes */
		if (fabs(lat) <= 90 && fabs(lon) <= 180 && (lat != 0 || lon != 0))
			snprintf(p->gps, sizeof(p->gps), "%.6f,%.6f", lat, lon);
	}
	exif_data_unref(ed);
}

/* ------------------------------------------------------------------ */
/* the EXIF block we write */

struct tiff {
	unsigned char *d;
	size_t n, cap;
};

static void put16(unsigned char *d, unsigned v)
{
	d[0] = (unsigned char)(v & 0xff);
	d[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *d, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d[i] = (unsigned char)(v >> (8 * i));
}

/*
 * One IFD entry at d: tag, type, count, and the value inline (vlen <= 4)
 * or at *extra (which then advances).
 */
static void ifd_entry(unsigned char *base, unsigned char *d, unsigned tag,
		      unsigned type, uint32_t count, const void *val,
		      size_t vlen, size_t *extra)
{
	put16(d, tag);
	put16(d + 2, type);
	put32(d + 4, count);
	memset(d + 8, 0, 4);
	if (vlen <= 4) {
		memcpy(d + 8, val, vlen);
	} else {
		put32(d + 8, (uint32_t)*extra);
		memcpy(base + *extra, val, vlen);
		*extra += vlen + (vlen & 1);
	}
}

static void rationals(double deg, unsigned char out[24])
{
	double a = fabs(deg);
	uint32_t dd = (uint32_t)a;
	uint32_t mm = (uint32_t)((a - dd) * 60);
	double ss = ((a - dd) * 60 - mm) * 60;

	put32(out, dd);
	put32(out + 4, 1);
	put32(out + 8, mm);
	put32(out + 12, 1);
	put32(out + 16, (uint32_t)(ss * 10000 + 0.5));
	put32(out + 20, 10000);
}

enum huce_err huce_photo_exif_segment(int orientation, const char *taken_at,
				      int has_gps, double lat, double lon,
				      struct huce_buf *out)
{
	unsigned char t[512];
	size_t n0, nexif, ngps, extra, ifd0 = 8, exif_ifd = 0, gps_ifd = 0, e;
	int has_time = taken_at && strlen(taken_at) == 19;
	unsigned char hdr[10];

	memset(t, 0, sizeof(t));
	memcpy(t, "II*\0", 4);
	put32(t + 4, 8);
	n0 = (orientation ? 1u : 0u) + (has_time ? 1u : 0u) + (has_gps ? 1u : 0u);
	nexif = has_time ? 1 : 0;
	ngps = has_gps ? 5 : 0;
	/* the IFDs one after another, then their out-of-line values */
	extra = ifd0 + 2 + 12 * n0 + 4;
	if (nexif) {
		exif_ifd = extra;
		extra += 2 + 12 * nexif + 4;
	}
	if (ngps) {
		gps_ifd = extra;
		extra += 2 + 12 * ngps + 4;
	}
	put16(t + ifd0, (unsigned)n0);
	e = ifd0 + 2;
	if (orientation) {
		unsigned char v[2];

		put16(v, (unsigned)orientation);
		ifd_entry(t, t + e, 0x0112, 3, 1, v, 2, &extra);
		e += 12;
	}
	if (nexif) {
		unsigned char v[4];

		put32(v, (uint32_t)exif_ifd);
		ifd_entry(t, t + e, 0x8769, 4, 1, v, 4, &extra);
		e += 12;
	}
	if (ngps) {
		unsigned char v[4];

		put32(v, (uint32_t)gps_ifd);
		ifd_entry(t, t + e, 0x8825, 4, 1, v, 4, &extra);
		e += 12;
	}
	put32(t + e, 0);
	if (nexif) {
		char v[20];

		/* "YYYY-MM-DDTHH:MM:SS" -> "YYYY:MM:DD HH:MM:SS" */
		memcpy(v, taken_at, 19);
		v[4] = v[7] = ':';
		v[10] = ' ';
		v[19] = '\0';
		put16(t + exif_ifd, 1);
		ifd_entry(t, t + exif_ifd + 2, 0x9003, 2, 20, v, 20, &extra);
		put32(t + exif_ifd + 14, 0);
	}
	if (ngps) {
		static const unsigned char version[4] = { 2, 2, 0, 0 };
		unsigned char la[24], lo[24];
		const char *lr = lat < 0 ? "S" : "N", *lor = lon < 0 ? "W" : "E";
		size_t g = gps_ifd + 2;

		rationals(lat, la);
		rationals(lon, lo);
		put16(t + gps_ifd, 5);
		ifd_entry(t, t + g, 0x0000, 1, 4, version, 4, &extra);
		ifd_entry(t, t + g + 12, 0x0001, 2, 2, lr, 2, &extra);
		ifd_entry(t, t + g + 24, 0x0002, 5, 3, la, 24, &extra);
		ifd_entry(t, t + g + 36, 0x0003, 2, 2, lor, 2, &extra);
		ifd_entry(t, t + g + 48, 0x0004, 5, 3, lo, 24, &extra);
		put32(t + g + 60, 0);
	}
	hdr[0] = 0xff;
	hdr[1] = 0xe1;
	hdr[2] = (unsigned char)((extra + 8) >> 8);
	hdr[3] = (unsigned char)((extra + 8) & 0xff);
	memcpy(hdr + 4, "Exif\0\0", 6);
	huce_buf_add(out, hdr, sizeof(hdr));
	return huce_buf_add(out, t, extra);
}

enum huce_err huce_photo_insert_segment(const void *in, size_t n,
					const struct huce_buf *seg,
					struct huce_buf *out)
{
	const unsigned char *d = in;

	if (n < 4 || d[0] != 0xff || d[1] != 0xd8)
		return HUCE_EINVAL;
	huce_buf_add(out, d, 2);
	if (seg->len)
		huce_buf_add(out, seg->data, seg->len);
	return huce_buf_add(out, d + 2, n - 2);
}

/* ------------------------------------------------------------------ */
/* pixels */

/* Average src (sw x sh RGB) down to dw x dh (each <= the source's). */
static void shrink(const unsigned char *src, int sw, int sh,
		   unsigned char *dst, int dw, int dh)
{
	for (int y = 0; y < dh; y++) {
		int y0 = (int)((int64_t)y * sh / dh);
		int y1 = (int)((int64_t)(y + 1) * sh / dh);

		if (y1 <= y0)
			y1 = y0 + 1;
		for (int x = 0; x < dw; x++) {
			int x0 = (int)((int64_t)x * sw / dw);
			int x1 = (int)((int64_t)(x + 1) * sw / dw);
			uint32_t sum[3] = { 0, 0, 0 }, cnt;

			if (x1 <= x0)
				x1 = x0 + 1;
			cnt = (uint32_t)((x1 - x0) * (y1 - y0));
			for (int yy = y0; yy < y1; yy++) {
				const unsigned char *s = src + ((size_t)yy * (size_t)sw + (size_t)x0) * 3;

				for (int xx = x0; xx < x1; xx++, s += 3) {
					sum[0] += s[0];
					sum[1] += s[1];
					sum[2] += s[2];
				}
			}
			for (int c = 0; c < 3; c++)
				dst[((size_t)y * (size_t)dw + (size_t)x) * 3 + (size_t)c] =
					(unsigned char)((sum[c] + cnt / 2) / cnt);
		}
	}
}

/*
 * Turn src (w x h) upright as EXIF orientation o says, into dst, whose
 * size is w x h for o 1-4 and h x w for 5-8.
 */
static void turn(const unsigned char *src, int w, int h, int o,
		 unsigned char *dst)
{
	int W = o >= 5 ? h : w, H = o >= 5 ? w : h;

	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			int sx, sy;

			switch (o) {
			case 2: sx = w - 1 - x; sy = y; break;
			case 3: sx = w - 1 - x; sy = h - 1 - y; break;
			case 4: sx = x; sy = h - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = h - 1 - x; break;
			case 7: sx = w - 1 - y; sy = h - 1 - x; break;
			case 8: sx = w - 1 - y; sy = x; break;
			default: sx = x; sy = y; break;
			}
			memcpy(dst + ((size_t)y * (size_t)W + (size_t)x) * 3,
			       src + ((size_t)sy * (size_t)w + (size_t)sx) * 3, 3);
		}
	}
}

static enum huce_err tj_fail(struct huce_error *err, tjhandle tj,
			     const char *name, const char *what)
{
	return huce_fail(err, HUCE_EINVAL, _("photo '%s' %s (%s)"), name, what,
			 tjGetErrorStr2(tj));
}

enum huce_err huce_photo_prepare_mem(const void *data, size_t len,
				     const char *name, struct huce_photo *p,
				     struct huce_error *err)
{
	const unsigned char *d = data;
	tjhandle dec = NULL, enc = NULL;
	tjscalingfactor *sf;
	unsigned char *pix = NULL, *small = NULL, *up = NULL, *jpg = NULL;
	unsigned long jlen = 0;
	int w = 0, h = 0, subsamp, cs, nsf, sw, sh, dw, dh, best = -1;
	const char *other;
	struct huce_buf seg = HUCE_BUF_INIT(4096);
	enum huce_err rc = HUCE_OK;
	double lat = 0, lon = 0;

	memset(p, 0, sizeof(*p));
	huce_buf_init(&p->jpeg, KEPT_MAX);
	p->orientation = 1;
	if (len == 0)
		return huce_fail(err, HUCE_EINVAL, _("photo '%s' is empty"), name);
	if (len > HUCE_PHOTO_MAX_FILE)
		return huce_fail(err, HUCE_EINVAL,
				 _("photo '%s' is larger than %zu MiB: not a camera photo"),
				 name, HUCE_PHOTO_MAX_FILE >> 20);
	other = other_image(d, len);
	if (other)
		return huce_fail(err, HUCE_EINVAL,
				 _("photo '%s' is %s: huce keeps JPEG photos; save or export "
				 "it as JPEG (on a phone: camera settings, format "
				 "\"Most Compatible\"/JPEG) and add that"), name, other);
	if (len < 4 || d[0] != 0xff || d[1] != 0xd8 || d[2] != 0xff)
		return huce_fail(err, HUCE_EINVAL,
				 _("photo '%s' is not an image (not a JPEG file)"), name);
	huce_sha256_hex(d, len, p->original_sha256);
	p->original_bytes = (int64_t)len;
	read_exif(d, len, p);

	dec = tjInitDecompress();
	enc = tjInitCompress();
	if (!dec || !enc) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	if (tjDecompressHeader3(dec, d, (unsigned long)len, &w, &h, &subsamp, &cs) != 0) {
		rc = tj_fail(err, dec, name, _("is a corrupt JPEG: its header cannot be read"));
		goto out;
	}
	/* a stream cut inside its header reads as tables only, no frame */
	if (w <= 0 || h <= 0) {
		rc = huce_fail(err, HUCE_EINVAL,
			       _("photo '%s' is a corrupt JPEG: it is cut short before "
			       "its picture starts"), name);
		goto out;
	}
	if ((uint64_t)w * (uint64_t)h > HUCE_PHOTO_MAX_PIXELS) {
		rc = huce_fail(err, HUCE_EINVAL,
			       _("photo '%s' has %d x %d pixels, more than %llu megapixels"),
			       name, w, h,
			       (unsigned long long)(HUCE_PHOTO_MAX_PIXELS / 1000000));
		goto out;
	}
	/* The smallest scaled decode whose long edge still reaches the target. */
	sf = tjGetScalingFactors(&nsf);
	for (int i = 0; sf && i < nsf; i++) {
		if (sf[i].num > sf[i].denom)
			continue;
		sw = TJSCALED(w, sf[i]);
		sh = TJSCALED(h, sf[i]);
		if ((sw >= sh ? sw : sh) < HUCE_PHOTO_LONG_EDGE &&
		    !(sf[i].num == 1 && sf[i].denom == 1))
			continue;
		if (best < 0 || (uint64_t)sw * (uint64_t)sh <
		    (uint64_t)TJSCALED(w, sf[best]) * (uint64_t)TJSCALED(h, sf[best]))
			best = i;
	}
	sw = best < 0 ? w : TJSCALED(w, sf[best]);
	sh = best < 0 ? h : TJSCALED(h, sf[best]);
	pix = malloc((size_t)sw * (size_t)sh * 3);
	if (!pix) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	if (tjDecompress2(dec, d, (unsigned long)len, pix, sw, 0, sh, TJPF_RGB,
			  TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
		rc = tj_fail(err, dec, name, _("is cut short or corrupt"));
		goto out;
	}
	/* Shrink so the long edge is at most the target. */
	dw = sw;
	dh = sh;
	if ((sw >= sh ? sw : sh) > HUCE_PHOTO_LONG_EDGE) {
		if (sw >= sh) {
			dw = HUCE_PHOTO_LONG_EDGE;
			dh = (int)(((int64_t)sh * HUCE_PHOTO_LONG_EDGE + sw / 2) / sw);
		} else {
			dh = HUCE_PHOTO_LONG_EDGE;
			dw = (int)(((int64_t)sw * HUCE_PHOTO_LONG_EDGE + sh / 2) / sh);
		}
		if (dw < 1)
			dw = 1;
		if (dh < 1)
			dh = 1;
		small = malloc((size_t)dw * (size_t)dh * 3);
		if (!small) {
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			goto out;
		}
		shrink(pix, sw, sh, small, dw, dh);
	} else {
		small = pix;
		pix = NULL;
	}
	if (p->orientation != 1) {
		up = malloc((size_t)dw * (size_t)dh * 3);
		if (!up) {
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			goto out;
		}
		turn(small, dw, dh, p->orientation, up);
		if (p->orientation >= 5) {
			int t = dw;

			dw = dh;
			dh = t;
		}
	} else {
		up = small;
		small = NULL;
	}
	if (tjCompress2(enc, up, dw, 0, dh, TJPF_RGB, &jpg, &jlen, TJSAMP_420,
			HUCE_PHOTO_QUALITY, 0) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, _("photo '%s' cannot be encoded again (%s)"),
			       name, tjGetErrorStr2(enc));
		goto out;
	}
	if (p->gps[0])
		sscanf(p->gps, "%lf,%lf", &lat, &lon);
	huce_photo_exif_segment(0, p->taken_at[0] ? p->taken_at : NULL, p->gps[0] != 0,
				lat, lon, &seg);
	rc = seg.err;
	if (!rc)
		rc = huce_photo_insert_segment(jpg, jlen, &seg, &p->jpeg);
	if (rc) {
		rc = huce_fail(err, rc == HUCE_EINVAL ? HUCE_EINVAL : HUCE_ENOMEM,
			       _("photo '%s': cannot build the kept copy"), name);
		goto out;
	}
	p->width = dw;
	p->height = dh;
	p->bytes = (int64_t)p->jpeg.len;
	huce_sha256_hex(p->jpeg.data, p->jpeg.len, p->sha256);
out:
	if (rc) {
		huce_buf_release(&p->jpeg);
		p->sha256[0] = '\0';
	}
	huce_buf_release(&seg);
	tjFree(jpg);
	free(pix);
	free(small);
	free(up);
	if (dec)
		tjDestroy(dec);
	if (enc)
		tjDestroy(enc);
	return rc;
}

enum huce_err huce_photo_prepare(const char *path, struct huce_photo *p,
				 struct huce_error *err)
{
	struct huce_buf b;
	enum huce_err rc = huce_file_read(path, HUCE_PHOTO_MAX_FILE, &b, NULL);

	memset(p, 0, sizeof(*p));
	if (rc == HUCE_ETOOBIG) {
		huce_buf_release(&b);
		return huce_fail(err, HUCE_EINVAL,
				 _("photo '%s' is larger than %zu MiB: not a camera photo"),
				 path, HUCE_PHOTO_MAX_FILE >> 20);
	}
	if (rc) {
		int e = errno;

		huce_buf_release(&b);
		return huce_fail(err, rc == HUCE_ENOMEM ? rc : HUCE_EINVAL,
				 _("cannot read photo '%s': %s"), path,
				 rc == HUCE_ENOTFOUND && e ? strerror(e) : huce_err_text(rc));
	}
	rc = huce_photo_prepare_mem(b.data, b.len, path, p, err);
	huce_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the store */

char *huce_photo_store_dir(const char *db_path)
{
	size_t n = strlen(db_path) + sizeof(".photos");
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s.photos", db_path);
	return s;
}

int huce_photo_path(const char *dir, const char *sha256, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/%s.jpg", dir, sha256);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

enum huce_err huce_photo_store(const char *dir, const struct huce_photo *p,
			       struct huce_error *err)
{
	char path[4200];
	struct stat st;

	if (!p->sha256[0] || !p->jpeg.len)
		return huce_fail(err, HUCE_EINVAL, _("no photo to store"));
	if (huce_photo_path(dir, p->sha256, path, sizeof(path)))
		return huce_fail(err, HUCE_EIO, _("photo folder path '%s' is too long"), dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return huce_fail(err, HUCE_EIO, _("cannot create photo folder '%s': %s"),
				 dir, strerror(errno));
	if (stat(path, &st) == 0 && (int64_t)st.st_size == p->bytes)
		return HUCE_OK;
	return huce_file_write_atomic(path, p->jpeg.data, p->jpeg.len, 0600, err);
}

/* ------------------------------------------------------------------ */
/* the records */

static int64_t day_number(const char *s)
{
	struct tm tm = { 0 };
	int y, m, d;

	if (!s || strlen(s) < 10)
		return INT64_MIN;
	{
		char day[11];

		memcpy(day, s, 10);
		day[10] = '\0';
		if (huce_parse_date(day, &y, &m, &d))
			return INT64_MIN;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	return (int64_t)timegm(&tm) / 86400;
}

const char *huce_photo_date_flag(const char *taken_at, const char *date)
{
	int64_t a = day_number(taken_at), b = day_number(date);

	if (a == INT64_MIN || b == INT64_MIN)
		return NULL;
	if (a < b - HUCE_PHOTO_DATE_SLACK)
		return "before";
	if (a > b + HUCE_PHOTO_DATE_SLACK)
		return "after";
	return NULL;
}

enum huce_err huce_photo_attach(struct huce_local *l, const char *dir,
				const char *owner, const char *kind,
				const struct huce_photo *p,
				char *id, int *existed,
				struct huce_error *err)
{
	char path[4200], date[16] = "";
	const char *flag = NULL;
	sqlite3_stmt *st;
	cJSON *f = NULL;
	int found = 0;
	enum huce_err rc;

	*existed = 0;
	if (huce_enum_index(huce_photo_kinds, kind) < 0)
		return huce_fail(err, HUCE_EINVAL,
				 _("photo kind '%s' is not one of: before, excavation, tank, "
				 "water-test, room, pan, vent, cover, plaque, after"), kind);
	if (huce_photo_path(dir, p->sha256, path, sizeof(path)))
		return huce_fail(err, HUCE_EIO, _("photo folder path '%s' is too long"), dir);
	/* The owner, and an inspection's date. */
	st = huce_db_query(l->db, err,
		"SELECT NULL FROM household WHERE id = ?1 AND deleted = 0 "
		"UNION ALL SELECT date FROM inspection WHERE id = ?1 AND deleted = 0",
		"s", owner);
	if (!st)
		return err->code;
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		if (sqlite3_column_text(st, 0))
			snprintf(date, sizeof(date), "%s", sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (!found)
		return huce_fail(err, HUCE_ENOTFOUND, _("no household or inspection '%s'"), owner);
	/* The same picture, owner and kind again: one photo. */
	st = huce_db_query(l->db, err,
		"SELECT id FROM photo WHERE owner_id = ?1 AND sha256 = ?2 AND kind = ?3 "
		"AND deleted = 0 ORDER BY id LIMIT 1", "sss", owner, p->sha256, kind);
	if (!st)
		return err->code;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, HUCE_ID_STRLEN + 1, "%s", sqlite3_column_text(st, 0));
		*existed = 1;
	}
	sqlite3_reset(st);
	if (*existed)
		return HUCE_OK;

	if (date[0])
		flag = huce_photo_date_flag(p->taken_at, date);
	f = cJSON_CreateObject();
	if (!f)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	cJSON_AddStringToObject(f, "owner_id", owner);
	cJSON_AddStringToObject(f, "kind", kind);
	if (p->taken_at[0])
		cJSON_AddStringToObject(f, "taken_at", p->taken_at);
	if (p->gps[0])
		cJSON_AddStringToObject(f, "gps", p->gps);
	cJSON_AddStringToObject(f, "sha256", p->sha256);
	cJSON_AddNumberToObject(f, "size", (double)p->bytes);
	cJSON_AddNumberToObject(f, "width", p->width);
	cJSON_AddNumberToObject(f, "height", p->height);
	cJSON_AddNumberToObject(f, "camera_bytes", (double)p->original_bytes);
	if (flag)
		cJSON_AddStringToObject(f, "date_flag", flag);
	rc = huce_local_new_id(l, id);
	if (!rc)
		rc = huce_local_put(l, "photo", id, f, 1, NULL, err);
	cJSON_Delete(f);
	if (!rc)
		rc = huce_db_run(l->db, err,
			"INSERT INTO photo_file(sha256, path, original_sha256) VALUES(?1, ?2, ?3) "
			"ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, "
			"original_sha256 = coalesce(photo_file.original_sha256, excluded.original_sha256)",
			"sss", p->sha256, path, p->original_sha256);
	return rc;
}

enum huce_err huce_photo_keep(struct huce_local *l, const char *dir,
			      const char *owner, const char *kind,
			      const struct huce_photo *p,
			      char *id, int *existed,
			      struct huce_error *err)
{
	/* The record first: an unknown kind or owner writes no file. */
	enum huce_err rc = huce_photo_attach(l, dir, owner, kind, p, id, existed, err);

	return rc ? rc : huce_photo_store(dir, p, err);
}

/* ------------------------------------------------------------------ */
/* a phone's folder */

static int has_suffix(const char *name, const char *suf)
{
	size_t n = strlen(name), k = strlen(suf);

	return n > k && strcasecmp(name + n - k, suf) == 0;
}

static enum huce_err folder_walk(const char *dir, int depth,
				 struct huce_photo_folder *f,
				 struct huce_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	enum huce_err rc = HUCE_OK;

	if (!d)
		return huce_fail(err, depth ? HUCE_EIO : HUCE_ENOTFOUND,
				 _("cannot read folder '%s': %s"), dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		struct stat sb;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = malloc(n);
		if (!path) {
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			break;
		}
		snprintf(path, n, "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode) && depth < HUCE_PHOTO_FOLDER_DEPTH) {
			rc = folder_walk(path, depth + 1, f, err);
			free(path);
			continue;
		}
		if (!S_ISREG(sb.st_mode) ||
		    !(has_suffix(e->d_name, ".jpg") || has_suffix(e->d_name, ".jpeg"))) {
			f->other += S_ISREG(sb.st_mode);
			free(path);
			continue;
		}
		if (f->n == HUCE_PHOTO_FOLDER_MAX) {
			free(path);
			rc = huce_fail(err, HUCE_EINVAL, _("more than %d photos under '%s': "
				       "import one folder at a time"), HUCE_PHOTO_FOLDER_MAX, dir);
			break;
		}
		if (f->n == f->cap) {
			size_t cap = f->cap ? 2 * f->cap : 64;
			char **p = realloc(f->paths, cap * sizeof(*p));

			if (!p) {
				free(path);
				rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
				break;
			}
			f->paths = p;
			f->cap = cap;
		}
		f->paths[f->n++] = path;
	}
	closedir(d);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum huce_err huce_photo_folder_read(const char *dir, struct huce_photo_folder *f,
				     struct huce_error *err)
{
	enum huce_err rc;

	memset(f, 0, sizeof(*f));
	rc = folder_walk(dir, 0, f, err);
	if (!rc && f->n)
		qsort(f->paths, f->n, sizeof(*f->paths), cmp_path);
	return rc;
}

void huce_photo_folder_release(struct huce_photo_folder *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	memset(f, 0, sizeof(*f));
}

/* Is a camera file (by its digest) or a kept copy known here? */
static enum huce_err known(struct huce_local *l, int original, const char *sha,
			   int *yes, struct huce_error *err)
{
	sqlite3_stmt *st = huce_db_query(l->db, err, original ?
		"SELECT 1 FROM photo_file WHERE original_sha256 = ?1 LIMIT 1" :
		"SELECT 1 FROM photo WHERE sha256 = ?1 AND deleted = 0 LIMIT 1", "s", sha);
	int s;

	if (!st)
		return err->code;
	s = sqlite3_step(st);
	*yes = s == SQLITE_ROW;
	sqlite3_reset(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? HUCE_OK :
		huce_fail(err, HUCE_EDB, _("cannot look up photo %.16s"), sha);
}

enum huce_err huce_photo_scan_file(struct huce_local *l, const char *path,
				   double metres, int keep_jpeg,
				   struct huce_photo_scan *s,
				   struct huce_error *err)
{
	struct huce_error why = { 0 };
	struct huce_buf raw;
	char osha[65];
	enum huce_err rc;
	int yes = 0;

	memset(s, 0, sizeof(*s));
	/* The camera file's digest first: a known file is not decoded again. */
	if (huce_file_read(path, HUCE_PHOTO_MAX_FILE, &raw, NULL) == HUCE_OK) {
		huce_sha256_hex(raw.data, raw.len, osha);
		rc = known(l, 1, osha, &yes, err);
		if (!rc && !yes && huce_photo_prepare_mem(raw.data, raw.len, path,
							  &s->photo, &why))
			s->state = HUCE_PHOTO_SCAN_REFUSED;
	} else {
		/* unreadable or too big: let prepare say which */
		rc = HUCE_OK;
		if (huce_photo_prepare(path, &s->photo, &why))
			s->state = HUCE_PHOTO_SCAN_REFUSED;
	}
	huce_buf_release(&raw);
	if (rc)
		return rc;
	if (yes) {
		s->state = HUCE_PHOTO_SCAN_KNOWN;
		return HUCE_OK;
	}
	if (s->state == HUCE_PHOTO_SCAN_REFUSED) {
		huce_photo_release(&s->photo);
		snprintf(s->reason, sizeof(s->reason), "%s", why.msg);
		return HUCE_OK;
	}
	rc = known(l, 0, s->photo.sha256, &yes, err);
	if (!rc && yes)
		s->state = HUCE_PHOTO_SCAN_KNOWN;
	else if (!rc)
		rc = huce_photo_match(l, s->photo.gps, s->photo.taken_at, metres,
				      &s->match, err);
	if (!rc && yes) {
		huce_photo_release(&s->photo);
		return HUCE_OK;
	}
	if (!rc)
		s->state = HUCE_PHOTO_SCAN_NEW;
	if (!keep_jpeg || rc)
		huce_buf_release(&s->photo.jpeg);
	return rc;
}

void huce_photo_scan_release(struct huce_photo_scan *s)
{
	huce_photo_release(&s->photo);
}

static int parse_gps(const char *s, double *lat, double *lon)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*lat = strtod(s, &end);
	if (errno || *end != ',')
		return -1;
	*lon = strtod(end + 1, &end);
	if (errno || *end || !isfinite(*lat) || !isfinite(*lon) ||
	    fabs(*lat) > 90 || fabs(*lon) > 180)
		return -1;
	return 0;
}

double huce_gps_metres(const char *a, const char *b)
{
	const double r = 6371008.8, rad = 3.14159265358979323846 / 180;
	double la1, lo1, la2, lo2, dla, dlo, h;

	if (parse_gps(a, &la1, &lo1) || parse_gps(b, &la2, &lo2))
		return -1;
	dla = (la2 - la1) * rad;
	dlo = (lo2 - lo1) * rad;
	h = sin(dla / 2) * sin(dla / 2) +
	    cos(la1 * rad) * cos(la2 * rad) * sin(dlo / 2) * sin(dlo / 2);
	return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

enum huce_err huce_photo_match(struct huce_local *l, const char *gps,
			       const char *taken_at, double metres,
			       struct huce_photo_match *m,
			       struct huce_error *err)
{
	sqlite3_stmt *st;
	char day[11] = "";
	double best = -1, second = -1;

	memset(m, 0, sizeof(*m));
	m->second = -1;
	m->kind = "before";
	if (!gps || !*gps)
		return HUCE_OK;
	st = huce_db_query(l->db, err,
		"SELECT id, gps FROM household WHERE deleted = 0 AND gps IS NOT NULL "
		"AND merged_into IS NULL", "");
	if (!st)
		return err->code;
	while (sqlite3_step(st) == SQLITE_ROW) {
		double d = huce_gps_metres(gps, (const char *)sqlite3_column_text(st, 1));

		if (d < 0)
			continue;
		if (best < 0 || d < best) {
			second = best;
			best = d;
			snprintf(m->household, sizeof(m->household), "%s",
				 sqlite3_column_text(st, 0));
		} else if (second < 0 || d < second) {
			second = d;
		}
	}
	sqlite3_reset(st);
	if (best < 0 || best > metres) {
		m->household[0] = '\0';
		m->metres = best;
		return HUCE_OK;
	}
	m->metres = best;
	m->second = second;
	m->sure = second < 0 || second >= 2 * best || second > 2 * metres;
	if (taken_at && strlen(taken_at) >= 10) {
		memcpy(day, taken_at, 10);
		day[10] = '\0';
	}
	if (!day[0])
		return HUCE_OK;
	st = huce_db_query(l->db, err,
		"SELECT id, stage FROM inspection WHERE household_id = ?1 AND date = ?2 "
		"AND deleted = 0 AND voided IS NULL ORDER BY id DESC LIMIT 1",
		"ss", m->household, day);
	if (!st)
		return err->code;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *stage = (const char *)sqlite3_column_text(st, 1);

		snprintf(m->inspection, sizeof(m->inspection), "%s", sqlite3_column_text(st, 0));
		snprintf(m->stage, sizeof(m->stage), "%s", stage ? stage : "");
		m->kind = strcmp(m->stage, "excavation") == 0 ? "excavation" :
			  strcmp(m->stage, "pre-cover") == 0 ? "tank" : "after";
	}
	sqlite3_reset(st);
	return HUCE_OK;
}
