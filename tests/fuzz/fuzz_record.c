/*
 * fuzz_record.c - fuzz target for the record/change validator.
 *
 * huce_record_check() is what stands between a change's "fields" object
 * (from a laptop's batch, an office CSV row, a pulled page) and the SQL
 * that stores it.  The input bytes are parsed with cJSON exactly as the
 * central parses a payload and the object is checked as the fields of
 * every kind, creating and not, from the wire and locally.  Built with
 * -DHUCE_LIBFUZZER and -fsanitize=fuzzer this is a libFuzzer target;
 * built plainly it is a replayer of every file named on the command line
 * (or found in a directory named there), so the seed corpus in
 * tests/fuzz/corpus/record/ runs with the ordinary tests.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

#ifndef HUCE_LIBFUZZER
#include <dirent.h>
#include <sys/stat.h>

/* Change objects are small; a batch payload is at most 16 MiB. */
#define REPLAY_MAX ((size_t)16 << 20)

/* Read path into a heap block of exactly its size and run it. */
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
	if (getenv("HUCE_FUZZ_VERBOSE"))
		fprintf(stderr, "%s\n", path);
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
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count))
			ret = 1;
	printf("fuzz_record: replayed %u inputs\n", count);
	/* An empty corpus would make this test pass without testing anything. */
	return count ? ret : 1;
}
#endif
