/*
 * fuzz_photo.c - fuzz target for the photo reader (common/huce_photo.c).
 *
 * A photo file is outside input twice over: a phone's folder may hold
 * anything named .jpg, and libjpeg-turbo and libexif read it.  Whatever
 * the bytes, huce_photo_prepare_mem() must refuse them with a message or
 * give a kept copy that is itself a good photo.  Built with
 * -DHUCE_LIBFUZZER and -fsanitize=fuzzer this is a libFuzzer target;
 * built plainly with replay.c it replays tests/fuzz/corpus/photo/.
 *
 * Invariants (abort() when one fails):
 *  - the result is HUCE_OK, HUCE_EINVAL or HUCE_ENOMEM, and a refusal has
 *    a non-empty message and no kept copy;
 *  - a kept copy's long edge is at most HUCE_PHOTO_LONG_EDGE, its size
 *    and SHA-256 are those of its bytes, and reading it again succeeds
 *    with the same pixels' size, time and GPS.
 */
#include "huce_photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_crypto.h"

#include "fuzz.h"

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_photo: invariant failed: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct huce_photo p, q;
	struct huce_error err = { 0 };
	enum huce_err rc = huce_photo_prepare_mem(data, size, "fuzz", &p, &err);
	char hex[65];

	check(rc == HUCE_OK || rc == HUCE_EINVAL || rc == HUCE_ENOMEM, "result code");
	if (rc) {
		check(err.msg[0] != '\0', "a refusal has a message");
		check(p.jpeg.data == NULL, "a refusal keeps nothing");
		huce_photo_release(&p);
		return 0;
	}
	check(p.width >= 1 && p.height >= 1, "pixels");
	check((p.width >= p.height ? p.width : p.height) <= HUCE_PHOTO_LONG_EDGE, "long edge");
	check(p.bytes == (int64_t)p.jpeg.len, "size");
	huce_sha256_hex(p.jpeg.data, p.jpeg.len, hex);
	check(strcmp(hex, p.sha256) == 0, "sha256");
	rc = huce_photo_prepare_mem(p.jpeg.data, p.jpeg.len, "kept", &q, &err);
	check(rc == HUCE_OK || rc == HUCE_ENOMEM, "the kept copy reads again");
	if (!rc) {
		check(q.width == p.width && q.height == p.height, "kept size");
		check(strcmp(q.taken_at, p.taken_at) == 0, "kept time");
		check(strcmp(q.gps, p.gps) == 0, "kept gps");
		check(q.orientation == 1, "kept upright");
	}
	huce_photo_release(&q);
	huce_photo_release(&p);
	return 0;
}

const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_photo",
	.max_input = (size_t)4 << 20,
	.verbose = NULL,
};
