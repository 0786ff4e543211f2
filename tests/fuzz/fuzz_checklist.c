/*
 * fuzz_checklist.c - fuzz target for the checklist validator.
 *
 * A county's checklist directory is outside input: the loader must refuse
 * anything it does not understand with a clear message and never crash,
 * read past the input or leak.  Built with -DHUCE_LIBFUZZER and
 * -fsanitize=fuzzer this is a libFuzzer target; built plainly with
 * replay.c it is a replayer that runs every file named on the command line
 * (or found in a directory named there), so the seed corpus in
 * tests/fuzz/corpus/checklist/ runs with the ordinary tests.
 *
 * Invariants (abort() when one fails, which both modes report):
 *  - the result is one of the documented codes, and a failure carries
 *    its code and a non-empty, valid UTF-8 message;
 *  - validating the same bytes twice gives the same answer;
 *  - a file accepted for "any type" is accepted for the type it declares
 *    and refused for every other type.
 */
#include "huce_checklist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "huce_util.h"

#include "fuzz.h"

static const char *const all_types[] = {
	"common", "three-grid", "double-urn", "biogas", "urine-diversion",
	"double-pit", "sewer",
};

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_checklist: invariant failed: %s\n", what);
		abort();
	}
}

static void check_result(enum huce_err rc, const struct huce_error *err)
{
	check(rc == HUCE_OK || rc == HUCE_EINVAL || rc == HUCE_ETOOBIG ||
	      rc == HUCE_EENCODING || rc == HUCE_EVERSION || rc == HUCE_ENOMEM,
	      "undocumented result code");
	if (rc == HUCE_OK)
		return;
	check(err->code == rc, "err.code differs from the result");
	check(err->msg[0] != '\0', "empty error message");
	check(huce_utf8_valid(err->msg, strlen(err->msg)),
	      "error message is not valid UTF-8");
}

/* The declared "type" of an accepted file (BOM skipped), or NULL. */
static char *declared_type(const uint8_t *data, size_t size)
{
	cJSON *root, *t;
	char *type = NULL;

	if (size >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
		data += 3;
		size -= 3;
	}
	root = cJSON_ParseWithLength((const char *)data, size);
	t = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (cJSON_IsString(t))
		type = strdup(t->valuestring);
	cJSON_Delete(root);
	return type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct huce_error err = { HUCE_OK, "" }, again = { HUCE_OK, "" };
	enum huce_err rc, rc2;
	char *type;

	rc = huce_checklist_validate(NULL, data, size, &err);
	check_result(rc, &err);
	rc2 = huce_checklist_validate(NULL, data, size, &again);
	check(rc == rc2, "second validation differs");
	check(rc == HUCE_OK || strcmp(err.msg, again.msg) == 0,
	      "second validation gives another message");
	if (rc != HUCE_OK)
		return 0;

	type = declared_type(data, size);
	check(type != NULL, "accepted file has no string 'type'");
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		struct huce_error e = { HUCE_OK, "" };

		rc = huce_checklist_validate(all_types[i], data, size, &e);
		check_result(rc, &e);
		if (strcmp(all_types[i], type) == 0)
			check(rc == HUCE_OK, "refused for the type it declares");
		else
			check(rc != HUCE_OK, "accepted for a type it does not declare");
	}
	free(type);
	return 0;
}

/* HUCE_FUZZ_VERBOSE=1: what each input gave, to maintain the corpus. */
static void describe(const char *path, const uint8_t *data, size_t size)
{
	struct huce_error err = { HUCE_OK, "" };
	enum huce_err rc = huce_checklist_validate(NULL, data, size, &err);

	printf("%s: %s%s%s\n", path, huce_err_name(rc), rc ? ": " : "",
	       rc ? err.msg : "");
}

/*
 * For the plain corpus replayer (replay.c).  Checklist files are at most
 * 1 MiB; replay a little more than that.
 */
const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_checklist",
	.max_input = (size_t)4 << 20,
	.verbose = describe,
};
