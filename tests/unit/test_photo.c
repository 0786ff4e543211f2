/*
 * test_photo.c - unit tests of common/huce_photo.c: the date flag and
 * GPS distance tables, the EXIF block written and read back (libexif),
 * the orientation of every EXIF value 1..8, the limits and refusals, and
 * the photo_required check of the checklists.
 */
#include "huce_photo.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "huce_checklist.h"

static void test_date_flag(void **state)
{
	static const struct {
		const char *taken, *date, *want;
	} t[] = {
		{ "2026-11-29T10:00:00", "2026-11-29", NULL },
		{ "2026-11-26T10:00:00", "2026-11-29", NULL },	/* 3 days: slack */
		{ "2026-11-25T23:59:59", "2026-11-29", "before" },
		{ "2026-12-02T00:00:00", "2026-11-29", NULL },
		{ "2026-12-03T00:00:00", "2026-11-29", "after" },
		{ "2025-11-29T00:00:00", "2026-11-29", "before" },
		{ "", "2026-11-29", NULL },
		{ "2026-11-29T10:00:00", "", NULL },
		{ "garbage-here", "2026-11-29", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = huce_photo_date_flag(t[i].taken, t[i].date);

		if (!t[i].want)
			assert_null(got);
		else
			assert_string_equal(got, t[i].want);
	}
}

static void test_gps_metres(void **state)
{
	(void)state;
	/* 0.0027 degrees of latitude is about 300 m */
	assert_true(fabs(huce_gps_metres("22.000000,100.000000", "22.002700,100.000000") - 300.2) < 1);
	assert_true(huce_gps_metres("22,100", "22,100") == 0);
	assert_true(huce_gps_metres("x", "22,100") < 0);
	assert_true(huce_gps_metres("91,100", "22,100") < 0);
	assert_true(huce_gps_metres("22,100,", "22,100") < 0);
}

/* A w x h JPEG, left half black and right half white, with an EXIF block. */
static void make(int w, int h, int orientation, const char *taken, int gps,
		 struct huce_buf *out)
{
	unsigned char *pix = calloc((size_t)w * (size_t)h, 3), *jpg = NULL;
	unsigned long jlen = 0;
	struct huce_buf seg = HUCE_BUF_INIT(4096);
	tjhandle tj = tjInitCompress();

	assert_non_null(pix);
	for (int y = 0; y < h; y++)
		for (int x = w / 2; x < w; x++)
			memset(pix + ((size_t)y * (size_t)w + (size_t)x) * 3, 255, 3);
	assert_int_equal(tjCompress2(tj, pix, w, 0, h, TJPF_RGB, &jpg, &jlen,
				     TJSAMP_444, 95, 0), 0);
	if (orientation || taken || gps)
		assert_int_equal(huce_photo_exif_segment(orientation, taken, gps,
							 -22.5, -100.25, &seg), HUCE_OK);
	huce_buf_init(out, 64 << 20);
	assert_int_equal(huce_photo_insert_segment(jpg, jlen, &seg, out), HUCE_OK);
	tjFree(jpg);
	tjDestroy(tj);
	free(pix);
	huce_buf_release(&seg);
}

/* The grey level of the kept copy at (x, y). */
static int grey_at(const struct huce_photo *p, int x, int y)
{
	tjhandle tj = tjInitDecompress();
	unsigned char *pix = malloc((size_t)p->width * (size_t)p->height * 3);
	int v;

	assert_int_equal(tjDecompress2(tj, (unsigned char *)p->jpeg.data, p->jpeg.len, pix,
				       p->width, 0, p->height, TJPF_RGB, 0), 0);
	v = pix[((size_t)y * (size_t)p->width + (size_t)x) * 3];
	free(pix);
	tjDestroy(tj);
	return v;
}

static void test_exif_round_trip(void **state)
{
	struct huce_buf b;
	struct huce_photo p;
	struct huce_error err = { 0 };

	(void)state;
	make(64, 32, 0, "2026-11-20T09:30:05", 1, &b);
	assert_int_equal(huce_photo_prepare_mem(b.data, b.len, "t.jpg", &p, &err), HUCE_OK);
	assert_string_equal(p.taken_at, "2026-11-20T09:30:05");
	assert_string_equal(p.gps, "-22.500000,-100.250000");
	assert_int_equal(p.orientation, 1);
	assert_int_equal(p.width, 64);
	assert_int_equal(p.height, 32);
	assert_int_equal(p.original_bytes, (int64_t)b.len);
	assert_int_equal(p.bytes, (int64_t)p.jpeg.len);
	/* the kept copy carries the same time and GPS */
	{
		struct huce_photo q;

		assert_int_equal(huce_photo_prepare_mem(p.jpeg.data, p.jpeg.len, "k.jpg", &q,
							&err), HUCE_OK);
		assert_string_equal(q.taken_at, p.taken_at);
		assert_string_equal(q.gps, p.gps);
		huce_photo_release(&q);
	}
	/* encoding the same file again gives the same bytes */
	{
		struct huce_photo q;

		assert_int_equal(huce_photo_prepare_mem(b.data, b.len, "t.jpg", &q, &err), HUCE_OK);
		assert_string_equal(q.sha256, p.sha256);
		huce_photo_release(&q);
	}
	huce_photo_release(&p);
	huce_buf_release(&b);
	/* no EXIF at all: accepted, nothing known */
	make(40, 30, 0, NULL, 0, &b);
	assert_int_equal(huce_photo_prepare_mem(b.data, b.len, "n.jpg", &p, &err), HUCE_OK);
	assert_string_equal(p.taken_at, "");
	assert_string_equal(p.gps, "");
	huce_photo_release(&p);
	huce_buf_release(&b);
}

/*
 * Every orientation: the stored picture is 60 x 40, black left, white
 * right.  Where the white half ends up, and the size, after turning.
 */
static void test_orientations(void **state)
{
	static const struct {
		int o, w, h;
		const char *white;	/* the white half: left, right, top, bottom */
	} t[] = {
		{ 1, 60, 40, "right" }, { 2, 60, 40, "left" }, { 3, 60, 40, "left" },
		{ 4, 60, 40, "right" }, { 5, 40, 60, "bottom" }, { 6, 40, 60, "bottom" },
		{ 7, 40, 60, "top" }, { 8, 40, 60, "top" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct huce_buf b;
		struct huce_photo p;
		struct huce_error err = { 0 };
		int x = 0, y = 0;

		make(60, 40, t[i].o, NULL, 0, &b);
		assert_int_equal(huce_photo_prepare_mem(b.data, b.len, "o.jpg", &p, &err), HUCE_OK);
		assert_int_equal(p.orientation, t[i].o);
		assert_int_equal(p.width, t[i].w);
		assert_int_equal(p.height, t[i].h);
		if (!strcmp(t[i].white, "right") || !strcmp(t[i].white, "left")) {
			y = p.height / 2;
			x = !strcmp(t[i].white, "right") ? p.width * 3 / 4 : p.width / 4;
		} else {
			x = p.width / 2;
			y = !strcmp(t[i].white, "bottom") ? p.height * 3 / 4 : p.height / 4;
		}
		assert_true(grey_at(&p, x, y) > 200);
		assert_true(grey_at(&p, p.width - 1 - x, p.height - 1 - y) < 50);
		huce_photo_release(&p);
		huce_buf_release(&b);
	}
}

static void test_shrink(void **state)
{
	struct huce_buf b;
	struct huce_photo p;
	struct huce_error err = { 0 };

	(void)state;
	make(3200, 1000, 0, NULL, 0, &b);
	assert_int_equal(huce_photo_prepare_mem(b.data, b.len, "w.jpg", &p, &err), HUCE_OK);
	assert_int_equal(p.width, 1600);
	assert_int_equal(p.height, 500);
	huce_photo_release(&p);
	huce_buf_release(&b);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		const char *msg;
	} t[] = {
		{ "", 0, "is empty" },
		{ "hello world", 11, "is not an image" },
		{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "is a PNG image" },
		{ "\0\0\0\x18" "ftypheic\0\0\0\0", 16, "HEIC" },
		{ "GIF89a....", 10, "a GIF image" },
		{ "\xff\xd8\xff\xe0\0\x10JFIF", 10, "corrupt JPEG" },
	};
	struct huce_buf b;
	struct huce_photo p;
	struct huce_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(huce_photo_prepare_mem(t[i].data, t[i].len, "x", &p, &err),
				 HUCE_EINVAL);
		assert_non_null(strstr(err.msg, t[i].msg));
		assert_null(p.jpeg.data);
		huce_photo_release(&p);
	}
	/* cut: every prefix of a JPEG that loses the end of the scan */
	make(200, 100, 0, NULL, 0, &b);
	for (size_t cut = 200; cut < b.len - 2; cut += 97) {
		assert_int_equal(huce_photo_prepare_mem(b.data, cut, "cut", &p, &err), HUCE_EINVAL);
		huce_photo_release(&p);
	}
	huce_buf_release(&b);
}

static void test_photos_check(void **state)
{
	struct huce_checklists *cl = NULL;
	struct huce_error err = { 0 };
	const char *both[] = { "water-test", "tank" }, *tank[] = { "tank" };

	(void)state;
	assert_int_equal(huce_checklists_load(&cl, NULL, &err), HUCE_OK);
	assert_int_equal(huce_checklist_photos_check(cl, "three-grid", HUCE_STAGE_PRE_COVER,
						     NULL, 0, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "needs a tank photo at stage pre-cover"));
	assert_non_null(strstr(err.msg, "add photos of kinds tank, water-test"));
	assert_int_equal(huce_checklist_photos_check(cl, "three-grid", HUCE_STAGE_PRE_COVER,
						     tank, 1, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "needs a water-test photo"));
	assert_int_equal(huce_checklist_photos_check(cl, "three-grid", HUCE_STAGE_PRE_COVER,
						     both, 2, &err), HUCE_OK);
	/* the acceptance: after and plaque at completion and first-toilet, after at re-inspection */
	{
		const char *done[] = { "plaque", "after" }, *after[] = { "after" };
		const char *missing[4];

		for (const char *const *t = huce_toilet_types(); *t; t++) {
			assert_int_equal(huce_checklist_photos_missing(cl, *t, HUCE_STAGE_COMPLETION,
								       NULL, 0, missing, 4, NULL), 2);
			assert_string_equal(missing[0], "after");
			assert_string_equal(missing[1], "plaque");
			assert_int_equal(huce_checklist_photos_missing(cl, *t, HUCE_STAGE_FIRST_TOILET,
								       after, 1, missing, 4, NULL), 1);
			assert_string_equal(missing[0], "plaque");
			assert_int_equal(huce_checklist_photos_missing(cl, *t, HUCE_STAGE_COMPLETION,
								       done, 2, missing, 4, NULL), 0);
			assert_int_equal(huce_checklist_photos_missing(cl, *t, HUCE_STAGE_RE_INSPECTION,
								       after, 1, missing, 4, NULL), 0);
			assert_int_equal(huce_checklist_photos_missing(cl, *t, HUCE_STAGE_SPOT_CHECK,
								       NULL, 0, missing, 4, NULL), 0);
		}
		assert_int_equal(huce_checklist_photos_check(cl, "three-grid", HUCE_STAGE_COMPLETION,
							     after, 1, &err), HUCE_EINVAL);
		assert_non_null(strstr(err.msg, "item 'plaque_installed'"));
		assert_non_null(strstr(err.msg, "needs a plaque photo at stage completion: "
				       "add a photo of kind plaque"));
		assert_int_equal(huce_checklist_photos_missing(cl, "no-such-type", HUCE_STAGE_COMPLETION,
							       NULL, 0, missing, 4, NULL), -1);
		assert_int_equal(huce_checklist_photos_missing(NULL, "three-grid", HUCE_STAGE_COMPLETION,
							       NULL, 0, missing, 4, NULL), -1);
	}
	for (const char *const *t = huce_toilet_types(); *t; t++)
		if (strcmp(*t, "sewer") != 0)
			assert_int_equal(huce_checklist_photos_check(cl, *t, HUCE_STAGE_PRE_COVER,
								     both, 2, &err), HUCE_OK);
	huce_checklists_free(cl);
	/* a county file: photo_required must name stages of the item, with a photo */
	{
		static const char *const files[] = {
			/* no photo kind */
			"{\"type\":\"common\",\"label\":\"x\",\"version\":1,\"items\":[{\"code\":\"a\","
			"\"label\":\"A\",\"kind\":\"bool\",\"critical\":false,\"photo\":null,"
			"\"photo_required\":[\"completion\"],\"stages\":[\"completion\"],"
			"\"source\":\"s\",\"verified\":false}]}",
			/* a stage the item is not checked at */
			"{\"type\":\"common\",\"label\":\"x\",\"version\":1,\"items\":[{\"code\":\"a\","
			"\"label\":\"A\",\"kind\":\"bool\",\"critical\":false,\"photo\":\"room\","
			"\"photo_required\":[\"pre-cover\"],\"stages\":[\"completion\"],"
			"\"source\":\"s\",\"verified\":false}]}",
		};

		for (size_t i = 0; i < 2; i++) {
			assert_int_equal(huce_checklist_validate("common", files[i], strlen(files[i]),
								 &err), HUCE_EINVAL);
			assert_non_null(strstr(err.msg, "photo_required"));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_flag),
		cmocka_unit_test(test_gps_metres),
		cmocka_unit_test(test_exif_round_trip),
		cmocka_unit_test(test_orientations),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_photos_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
