/*
 * mkjpeg.c - camera-like JPEGs for the photo tests, and a probe.
 *
 *   mkjpeg write OUT [--width W] [--height H] [--quality Q] [--noise A]
 *                    [--orientation N] [--taken YYYY-MM-DDTHH:MM:SS]
 *                    [--gps LAT,LON] [--seed N]
 *   mkjpeg probe FILE
 *
 * `write` paints four quadrants (top-left red, top-right green,
 * bottom-left blue, bottom-right white), adds noise of amplitude A
 * (which makes the file as big as a camera's), encodes it with
 * TurboJPEG and puts an EXIF block in front with the orientation,
 * DateTimeOriginal and GPS asked for (huce_photo_exif_segment: the
 * reading side is libexif, which shares no code with it).
 *
 * `probe` decodes a JPEG and prints "W H TL TR BL BR": its size and the
 * colour name near the middle of each quadrant, so a test can tell how
 * the picture was turned.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "huce_buf.h"
#include "huce_file.h"
#include "huce_photo.h"

static const unsigned char colours[4][3] = {
	{ 230, 20, 20 }, { 20, 200, 20 }, { 20, 20, 230 }, { 240, 240, 240 },
};
static const char *const names[4] = { "red", "green", "blue", "white" };

static int num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v <= 100000 ? (int)v : -1;
}

static int usage(void)
{
	fputs("usage: mkjpeg write OUT [--width W] [--height H] [--quality Q] [--noise A]\n"
	      "                        [--orientation N] [--taken T] [--gps LAT,LON] [--seed N]\n"
	      "       mkjpeg probe FILE\n", stderr);
	return 2;
}

static int do_write(int argc, char **argv)
{
	const char *out = argv[0], *taken = NULL;
	int w = 400, h = 300, q = 90, noise = 0, orient = 0, has_gps = 0;
	unsigned seed = 1;
	double lat = 0, lon = 0;
	unsigned char *pix, *jpg = NULL;
	unsigned long jlen = 0;
	struct huce_buf seg = HUCE_BUF_INIT(4096), file = HUCE_BUF_INIT((size_t)256 << 20);
	tjhandle tj;
	int ret = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--width")) w = num(v);
		else if (!strcmp(k, "--height")) h = num(v);
		else if (!strcmp(k, "--quality")) q = num(v);
		else if (!strcmp(k, "--noise")) noise = num(v);
		else if (!strcmp(k, "--orientation")) orient = num(v);
		else if (!strcmp(k, "--taken")) taken = v;
		else if (!strcmp(k, "--seed")) seed = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "--gps")) has_gps = sscanf(v, "%lf,%lf", &lat, &lon) == 2;
		else return usage();
	}
	if (w < 2 || h < 2 || w > 20000 || h > 20000 || q < 1 || q > 100 ||
	    noise < 0 || orient < 0 || orient > 8)
		return usage();
	pix = malloc((size_t)w * (size_t)h * 3);
	if (!pix)
		return 1;
	srand(seed);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int quad = (y >= h / 2) * 2 + (x >= w / 2);

			for (int c = 0; c < 3; c++) {
				int v = colours[quad][c];

				if (noise)
					v += rand() % (2 * noise + 1) - noise;
				pix[((size_t)y * (size_t)w + (size_t)x) * 3 + (size_t)c] =
					(unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	tj = tjInitCompress();
	if (!tj || tjCompress2(tj, pix, w, 0, h, TJPF_RGB, &jpg, &jlen, TJSAMP_420, q, 0)) {
		fprintf(stderr, "mkjpeg: %s\n", tjGetErrorStr2(tj));
		goto out;
	}
	if (orient || taken || has_gps)
		huce_photo_exif_segment(orient, taken, has_gps, lat, lon, &seg);
	if (seg.err || huce_photo_insert_segment(jpg, jlen, &seg, &file) ||
	    huce_file_write_atomic(out, file.data, file.len, 0644, NULL)) {
		fprintf(stderr, "mkjpeg: cannot write %s\n", out);
		goto out;
	}
	ret = 0;
out:
	if (tj)
		tjDestroy(tj);
	tjFree(jpg);
	free(pix);
	huce_buf_release(&seg);
	huce_buf_release(&file);
	return ret;
}

static const char *colour_at(const unsigned char *pix, int w, int x, int y)
{
	const unsigned char *p = pix + ((size_t)y * (size_t)w + (size_t)x) * 3;
	int best = -1, bestd = 1 << 30;

	for (int i = 0; i < 4; i++) {
		int d = 0;

		for (int c = 0; c < 3; c++)
			d += (p[c] - colours[i][c]) * (p[c] - colours[i][c]);
		if (d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return bestd < 3 * 60 * 60 ? names[best] : "other";
}

static int do_probe(const char *path)
{
	struct huce_buf b;
	tjhandle tj = tjInitDecompress();
	int w, h, ss, cs, ret = 1;
	unsigned char *pix = NULL;

	if (huce_file_read(path, (size_t)256 << 20, &b, NULL) || !tj ||
	    tjDecompressHeader3(tj, (unsigned char *)b.data, b.len, &w, &h, &ss, &cs) ||
	    !(pix = malloc((size_t)w * (size_t)h * 3)) ||
	    tjDecompress2(tj, (unsigned char *)b.data, b.len, pix, w, 0, h, TJPF_RGB, 0)) {
		fprintf(stderr, "mkjpeg: cannot decode %s\n", path);
		goto out;
	}
	printf("%d %d %s %s %s %s\n", w, h,
	       colour_at(pix, w, w / 4, h / 4), colour_at(pix, w, 3 * w / 4, h / 4),
	       colour_at(pix, w, w / 4, 3 * h / 4), colour_at(pix, w, 3 * w / 4, 3 * h / 4));
	ret = 0;
out:
	free(pix);
	if (tj)
		tjDestroy(tj);
	huce_buf_release(&b);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return do_write(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "probe") == 0)
		return do_probe(argv[2]);
	return usage();
}
