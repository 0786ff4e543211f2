/*
 * fuzz_batch.c - fuzz target for the batch decoder.
 *
 * Batches arrive from the network and from USB sticks, so the decoder
 * must refuse any input cleanly: no crash, no read past the input, no
 * allocation past the bound, and nothing that decodes without being
 * consistent with its own header.  Built with -DHUCE_LIBFUZZER and
 * -fsanitize=fuzzer this is a libFuzzer target; built plainly it is a
 * replayer that runs every file named on the command line (or found in a
 * directory named there) through the same function, so the seed corpus
 * in tests/fuzz/corpus/batch/ runs with the ordinary tests.
 *
 * An invariant that fails calls abort(), which both modes report.
 */
#include "huce_batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The re-encoded batch may be larger than the input, never by much. */
#define OUT_MAX (HUCE_BATCH_MAX_RAW + HUCE_BATCH_MAX_RAW / 8)

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf again = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf out = HUCE_BUF_INIT(OUT_MAX);
	struct huce_batch_header h, h2;
	struct huce_error err = { HUCE_OK, "" };
	size_t body_off;
	enum huce_err rc, hrc;

	hrc = huce_batch_decode_header(data, size, &h2, &body_off, &err);
	rc = huce_batch_decode(data, size, HUCE_BATCH_MAX_RAW, &h, &payload, &err);
	if (rc) {
		check(payload.len == 0);
		check(err.code == rc && err.msg[0]);
		goto plain;
	}

	/* A decoded batch agrees with its header in every respect. */
	check(hrc == HUCE_OK);
	check(body_off == HUCE_BATCH_HEADER_SIZE + strlen(h.device));
	check(h.raw_len == payload.len);
	check(h.crc == (uint32_t)crc32_z(0L, (const Bytef *)payload.data,
					 payload.len));
	check(h.count ? h.first_seq >= 1 && h.first_seq <= h.last_seq
		      : !h.first_seq && !h.last_seq);

	/*
	 * Re-encoding may be refused (a better compression can push the
	 * ratio over the limit), but what it makes must decode to the same.
	 */
	if (!huce_batch_encode(h.device, h.first_seq, h.last_seq, h.count,
			       payload.data, payload.len, 6, &out, &err)) {
		check(!huce_batch_decode(out.data, out.len, HUCE_BATCH_MAX_RAW,
					 &h2, &again, &err));
		check(again.len == payload.len);
		check(!payload.len || !memcmp(again.data, payload.data,
					       payload.len));
	}

plain:
	/* The same bytes as a bare zlib stream (pull pages, exports). */
	huce_buf_reset(&again);
	rc = huce_inflate_bounded(data, size, (size_t)1 << 20, &again, &err);
	check(rc == HUCE_OK || again.len == 0);

	huce_buf_release(&out);
	huce_buf_release(&again);
	huce_buf_release(&payload);
	return 0;
}

#ifndef HUCE_LIBFUZZER
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

/* Inputs larger than this are not batches worth replaying. */
#define REPLAY_MAX ((size_t)64 << 20)

/*
 * Read path into a heap block of exactly its size, so that the sanitizer
 * catches any read past the end.  Returns 0, or -1 with a message.
 */
static int replay_file(const char *path)
{
	struct stat st;
	unsigned char *p;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fstat(fileno(f), &st) || st.st_size < 0 ||
	    (uintmax_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "%s: cannot size or too large\n", path);
		fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	p = malloc(n ? n : 1);
	if (!p || fread(p, 1, n, f) != n) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(n ? p : NULL, n);
	free(p);
	return 0;
}

static int replay_path(const char *path, unsigned *count)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (stat(path, &st)) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path))
			return -1;
		(*count)++;
		return 0;
	}
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	for (;;) {
		int n;

		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			fprintf(stderr, "%s/%s: path too long\n", path, de->d_name);
			ret = -1;
			continue;
		}
		if (replay_path(sub, count))
			ret = -1;
	}
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count))
			ret = 1;
	printf("fuzz_batch: replayed %u inputs\n", count);
	return ret;
}
#endif
