/*
 * deflatecmp.c - zlib's deflate beside libdeflate on one file (a pull
 * page, say): bytes and milliseconds per compression at each level, the
 * best of RUNS runs (docs/PERFORMANCE.md fix 11).
 *
 *   huce-bench-deflate FILE [RUNS]
 *
 * Prints one line per compressor and level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libdeflate.h>
#include <zlib.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len + 1)) &&
	    fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	if (p)
		*n = (size_t)len;
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 20;
	size_t n = 0, cap;
	unsigned char *in, *out;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: huce-bench-deflate FILE [RUNS]\n");
		return 2;
	}
	in = slurp(argv[1], &n);
	cap = compressBound((uLong)n) + 1024;
	out = malloc(cap);
	if (!in || !out) {
		fprintf(stderr, "huce-bench-deflate: cannot read %s\n", argv[1]);
		free(in);
		free(out);
		return 1;
	}
	for (int lib = 0; lib < 2; lib++) {
		for (int level = 1; level <= 9; level++) {
			double best = 1e9;
			size_t got = 0;

			for (int r = 0; r < runs; r++) {
				double t = now_s();

				if (lib) {
					struct libdeflate_compressor *c =
						libdeflate_alloc_compressor(level);

					got = c ? libdeflate_zlib_compress(c, in, n, out, cap) : 0;
					libdeflate_free_compressor(c);
				} else {
					uLongf z = (uLongf)cap;

					got = compress2(out, &z, in, (uLong)n, level) == Z_OK ?
					      (size_t)z : 0;
				}
				t = now_s() - t;
				if (t < best)
					best = t;
			}
			printf("%-10s level %d: %zu -> %zu bytes, %.2f ms\n",
			       lib ? "libdeflate" : "zlib", level, n, got, best * 1e3);
		}
	}
	free(in);
	free(out);
	return 0;
}
