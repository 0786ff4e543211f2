/*
 * fuzz_record.c - fuzz target for the record/change validator.
 *
 * huce_record_check() is what stands between a change's "fields" object
 * (from a laptop's batch, an office CSV row, a pulled page) and the SQL
 * that stores it.  The input bytes are parsed with cJSON exactly as the
 * central parses a payload and the object is checked as the fields of
 * every kind, creating and not, from the wire and locally.  Built with
 * -DHUCE_LIBFUZZER and -fsanitize=fuzzer this is a libFuzzer target;
 * built plainly with replay.c it is a replayer of every file named on the
 * command line (or found in a directory named there), so the seed corpus
 * in tests/fuzz/corpus/record/ runs with the ordinary tests.
 *
 * When the bytes are an object holding "fields" (a whole batch entry),
 * that inner object is checked too, so entries copied from a payload are
 * useful seeds as they are.
 *
 * Invariants (abort() when one fails, which both modes report):
 *  - the result is HUCE_OK or HUCE_EINVAL (HUCE_ENOMEM tolerated), and a
 *    refusal carries its code and a non-empty, valid UTF-8 message;
 *  - checking the same object twice gives the same answer;
 *  - creating is stricter than updating: a change accepted when creating
 *    is accepted as an update;
 *  - the wire is stricter than local writes: accepted from the wire
 *    implies accepted locally;
 *  - an accepted object printed by cJSON and parsed again is accepted
 *    again (what the central stores, it can read back).
 */
#include "huce_record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "huce_util.h"

#include "fuzz.h"

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_record: invariant failed: %s\n", what);
		abort();
	}
}

static void check_result(enum huce_err rc, const struct huce_error *err)
{
	check(rc == HUCE_OK || rc == HUCE_EINVAL || rc == HUCE_ENOMEM,
	      "undocumented result code");
	if (rc == HUCE_OK)
		return;
	check(err->code == rc, "err.code differs from the result");
	check(err->msg[0] != '\0', "empty error message");
#ifndef HUCE_FUZZ_SKIP_MSG_UTF8	/* to fuzz past that known finding */
	check(huce_utf8_valid(err->msg, strlen(err->msg)),
	      "error message is not valid UTF-8");
#endif
}

static enum huce_err one(const struct huce_kind_def *k, const cJSON *fields,
			 int creating, int from_wire)
{
	struct huce_error err = { HUCE_OK, "" }, again = { HUCE_OK, "" };
	enum huce_err rc, rc2;

	rc = huce_record_check(k, fields, creating, from_wire, &err);
	check_result(rc, &err);
	rc2 = huce_record_check(k, fields, creating, from_wire, &again);
	check(rc == rc2, "second check differs");
	check(rc == HUCE_OK || strcmp(err.msg, again.msg) == 0,
	      "second check gives another message");
	return rc;
}

/* Print and parse again; the copy must be accepted where the original was. */
static void round_trip(const struct huce_kind_def *k, const cJSON *fields,
		       int creating, int from_wire)
{
	char *text = cJSON_PrintUnformatted(fields);
	cJSON *copy;

	if (!text)
		return;	/* out of memory */
	copy = cJSON_Parse(text);
	free(text);
	if (!copy)
		return;
	check(one(k, copy, creating, from_wire) == HUCE_OK,
	      "accepted object refused after a print/parse round trip");
	cJSON_Delete(copy);
}

static void check_all_kinds(const cJSON *fields)
{
	for (int i = 0; huce_kinds[i]; i++) {
		const struct huce_kind_def *k = huce_kinds[i];
		enum huce_err rc[2][2];

		for (int creating = 0; creating < 2; creating++)
			for (int wire = 0; wire < 2; wire++)
				rc[creating][wire] = one(k, fields, creating, wire);
		for (int wire = 0; wire < 2; wire++)
			check(rc[1][wire] != HUCE_OK || rc[0][wire] == HUCE_OK,
			      "accepted when creating but refused as an update");
		for (int creating = 0; creating < 2; creating++)
			check(rc[creating][1] != HUCE_OK || rc[creating][0] == HUCE_OK,
			      "accepted from the wire but refused locally");
		if (rc[1][1] == HUCE_OK)
			round_trip(k, fields, 1, 1);
		else if (rc[0][1] == HUCE_OK)
			round_trip(k, fields, 0, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const cJSON *inner, *kind;
	cJSON *root;

	/* The central parses payloads with a length, never past it. */
	root = cJSON_ParseWithLength((const char *)data, size);
	if (!root)
		return 0;
	check_all_kinds(root);
	inner = cJSON_GetObjectItemCaseSensitive(root, "fields");
	if (inner) {
		check_all_kinds(inner);
		/* Its own kind, looked up as the merge does. */
		kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
		if (cJSON_IsString(kind))
			(void)huce_kind_find(kind->valuestring);
	}
	cJSON_Delete(root);
	return 0;
}

/*
 * For the plain corpus replayer (replay.c).  Change objects are small; a
 * batch payload is at most 16 MiB.
 */
const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_record",
	.max_input = (size_t)16 << 20,
};
