/*
 * fuzz.h - what a fuzz target (tests/fuzz/fuzz_<name>.c) provides.
 *
 * Every target defines LLVMFuzzerTestOneInput().  Built with
 * -fsanitize=fuzzer (tests/fuzz/run.sh, `make fuzz`) libFuzzer's own
 * main() drives it.  Built plainly (tests/fuzz/meson.build) it is linked
 * with replay.c, whose main() runs every file named on the command line,
 * or found under a directory named there, through it, so that `make test`
 * replays the seed corpus under ASan+UBSan.  For that replayer each
 * target also defines fuzz_replay, which says what it is called, how
 * large an input is worth reading and, optionally, what to print about
 * an input when HUCE_FUZZ_VERBOSE is set (replay.c prints the input's
 * path on stderr when there is no such hook).  In libFuzzer builds
 * fuzz_replay is defined but unused.
 */
#ifndef HUCE_FUZZ_H
#define HUCE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_replay {
	const char *name;	/* "fuzz_batch", for the summary line */
	size_t max_input;	/* larger files are refused as errors */
	/* HUCE_FUZZ_VERBOSE=1: describe one input (data may be NULL if size is 0). */
	void (*verbose)(const char *path, const uint8_t *data, size_t size);
};

extern const struct fuzz_replay fuzz_replay;

#endif
