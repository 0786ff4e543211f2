/*
 * fuzz_batch.c - fuzz target for the batch decoder.
 *
 * Batches arrive from the network and from USB sticks, so the decoder
 * must refuse any input cleanly: no crash, no read past the input, no
 * allocation past the bound, and nothing that decodes without being
 * consistent with its own header.  Built with -DHUCE_LIBFUZZER and
 * -fsanitize=fuzzer this is a libFuzzer target; built plainly with
 * replay.c it is a replayer that runs every file named on the command line
 * (or found in a directory named there) through the same function, so the
 * seed corpus in tests/fuzz/corpus/batch/ runs with the ordinary tests.
 *
 * An invariant that fails calls abort(), which both modes report.
 */
#include "huce_batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"

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

/*
 * For the plain corpus replayer (replay.c).  Inputs larger than this are
 * not batches worth replaying.
 */
const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_batch",
	.max_input = (size_t)64 << 20,
};
