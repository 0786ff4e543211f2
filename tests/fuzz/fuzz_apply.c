/*
 * fuzz_apply.c - fuzz target for the central's body path.
 *
 * `POST /v1/batches` and `huce-syncd admin import` hand the bytes they
 * received to central_apply_batch() (syncd/central/merge.c), which decodes the
 * batch, checks the payload's shape, and merges every entry into the
 * store in one transaction.  This target drives that function on a real
 * SQLite store (syncd/central/store_sqlite.c) in a temporary directory, opened
 * once with store_open() and kept for the whole run, so later inputs
 * merge against what earlier ones left: conflicts, duplicates, deletes.
 *
 * Each input is applied twice:
 *  1. raw, as the body of a POST from device "fz";
 *  2. wrapped: the bytes are taken as the JSON payload and sealed with
 *     huce_batch_encode() into a valid batch from "fz" whose header
 *     agrees with the payload where it can (count = the number of
 *     entries, first/last = the first and last entries' seqs), so the
 *     fuzzer spends its time in the JSON and merge code rather than on
 *     the header, which fuzz_batch covers.
 * The device's high-water mark is reset to 0 before each application,
 * so an entry's seq never makes it a replay by accident.
 *
 * Built with -DHUCE_LIBFUZZER and -fsanitize=fuzzer this is a libFuzzer
 * target; built plainly with replay.c it replays every file named on the
 * command line (or found in a directory named there), so
 * tests/fuzz/corpus/apply/ runs with the ordinary tests.  The store lives
 * in /dev/shm when there is one (each input commits a transaction) and is
 * removed at exit.
 *
 * Invariants (abort() when one fails, which both modes report):
 *  - the outcome is one of those central.h documents for a bad batch
 *    (EINVAL, ETOOBIG, ECHECKSUM, EVERSION, EFORBIDDEN, EGAP) or OK, or
 *    ENOMEM; never HUCE_EDB: a store failure would be a 500 answer to a
 *    client's mistake, which DESIGN.md section 5 forbids;
 *  - a refusal has a message and no result; success has a result whose
 *    "applied" + "skipped" + rejected count equals the entries sent, and
 *    which is valid UTF-8 (it goes back to the laptop as the answer);
 *  - a refused batch changes nothing (the head version stays);
 *  - the changes made by an applied batch can be paged out as JSON.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_log.h"
#include "huce_util.h"
#include "store.h"

#include "fuzz.h"

#define DEVICE "fz"

static struct central central;
static char dir[PATH_MAX];

static void fail(const char *what, const struct huce_error *err)
{
	fprintf(stderr, "fuzz_apply: invariant failed: %s%s%s\n", what,
		err ? ": " : "", err ? err->msg : "");
	abort();
}

static void check(int cond, const char *what, const struct huce_error *err)
{
	if (!cond)
		fail(what, err);
}

static void remove_store(void)
{
	static const char *const files[] = { "c.db", "c.db-wal", "c.db-shm",
					     "c.db-journal" };
	char p[PATH_MAX + 32];

	if (central.store)
		store_close(central.store);
	central.store = NULL;
	huce_checklists_free(central.checklists);
	central.checklists = NULL;
	if (!dir[0])
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void setup_once(void)
{
	struct huce_error err = { HUCE_OK, "" };
	char path[PATH_MAX + 8];
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (central.store)
		return;
	/* The merge logs rejected entries at debug; keep the run quiet. */
	huce_log_set_level(getenv("HUCE_FUZZ_VERBOSE") ? HUCE_LOG_DEBUG : HUCE_LOG_ERR);
	snprintf(dir, sizeof(dir), "%s/fuzz_apply.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if (store_open(&central.store, path, &err) ||
	    huce_checklists_load(&central.checklists, NULL, &err) ||
	    store_device_add(central.store, DEVICE, "0000000000000000000000000000000000000000000000000000000000000001", &err) ||
	    store_device_add(central.store, "other", "0000000000000000000000000000000000000000000000000000000000000002", &err)) {
		fprintf(stderr, "fuzz_apply: set-up: %s\n", err.msg);
		abort();
	}
	central.max_raw = HUCE_BATCH_MAX_RAW;
	atexit(remove_store);
}

static void reset_hwm(void)
{
	struct huce_error err = { HUCE_OK, "" };

	if (store_begin(central.store, 1, &err) ||
	    store_device_set_hwm(central.store, DEVICE, 0, NULL, &err) ||
	    store_commit(central.store, &err))
		fail("cannot reset the high-water mark", &err);
}

/* A JSON integer in 1..2^53, as the merge accepts seqs. */
static int seq_of(const cJSON *e, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "seq");
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 1.0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

/*
 * Header fields that agree with the payload as far as it lets them:
 * the entry count and the first and last seqs of {"entries":[...]};
 * anything else gets one entry at seq 1.
 */
static void header_for(const uint8_t *data, size_t size, uint64_t *first,
		       uint64_t *last, uint32_t *count)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
	int n;

	*first = *last = 1;
	*count = 1;
	if (!cJSON_IsArray(entries))
		goto out;
	n = cJSON_GetArraySize(entries);
	if (n == 0) {
		*first = *last = 0;
		*count = 0;
		goto out;
	}
	*count = (uint32_t)n;
	if (seq_of(cJSON_GetArrayItem(entries, 0), first))
		*first = 1;
	if (seq_of(cJSON_GetArrayItem(entries, n - 1), last) || *last < *first)
		*last = *first + (uint64_t)n - 1;
out:
	cJSON_Delete(root);
}

static int entries_in(const void *batch, size_t len)
{
	struct huce_batch_header h;
	struct huce_error err = { HUCE_OK, "" };
	size_t off;

	if (huce_batch_decode_header(batch, len, &h, &off, &err))
		return -1;
	return (int)h.count;
}

static void apply(const void *batch, size_t len)
{
	struct huce_error err = { HUCE_OK, "" };
	cJSON *res = NULL;
	uint64_t expected = 0;
	int64_t head;
	enum huce_err rc;

	reset_hwm();
	head = store_head(central.store);
	rc = central_apply_batch(&central, DEVICE, batch, len, &res, &expected, &err);
	switch (rc) {
	case HUCE_OK: {
		const cJSON *rej = cJSON_GetObjectItemCaseSensitive(res, "rejected");
		double applied = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "applied"));
		double skipped = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "skipped"));
		char *json = NULL;
		size_t jlen = 0;

		check(res != NULL, "success without a result", NULL);
		check(cJSON_IsArray(rej), "result without a rejected array", NULL);
#ifndef HUCE_FUZZ_SKIP_MSG_UTF8	/* to fuzz past that known finding */
		json = cJSON_PrintUnformatted(res);
		check(!json || huce_utf8_valid(json, strlen(json)),
		      "the answer (a rejection message) is not valid UTF-8", NULL);
		free(json);
		json = NULL;
#endif
		check(applied + skipped + cJSON_GetArraySize(rej) ==
		      (double)entries_in(batch, len),
		      "applied + skipped + rejected differs from the entry count", NULL);
		rc = central_changes(&central, head, 100, &json, &jlen, &err);
		check(rc == HUCE_OK || rc == HUCE_ENOMEM, "cannot page out the changes", &err);
		if (json) {
			cJSON *page = cJSON_ParseWithLength(json, jlen);

			check(page != NULL, "changes page is not JSON", NULL);
			cJSON_Delete(page);
		}
		free(json);
		break;
	}
	case HUCE_EINVAL: case HUCE_ETOOBIG: case HUCE_ECHECKSUM:
	case HUCE_EVERSION: case HUCE_EFORBIDDEN: case HUCE_EGAP:
	case HUCE_ENOMEM:
		check(res == NULL, "refusal with a result", &err);
		check(err.code == rc && err.msg[0], "refusal without its message", &err);
		check(huce_utf8_valid(err.msg, strlen(err.msg)),
		      "refusal message is not UTF-8", &err);
		check(store_head(central.store) == head, "a refused batch changed the store", &err);
		break;
	default:
		fail(huce_err_name(rc), &err);
	}
	cJSON_Delete(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_error err = { HUCE_OK, "" };
	uint64_t first, last;
	uint32_t count;

	setup_once();
	apply(size ? data : (const uint8_t *)"", size);

	header_for(data, size, &first, &last, &count);
	if (huce_batch_encode(DEVICE, first, last, count, size ? data : (const uint8_t *)"",
			      size, 1, &batch, &err) == HUCE_OK)
		apply(batch.data, batch.len);
	huce_buf_release(&batch);
	return 0;
}

/*
 * For the plain corpus replayer (replay.c).  The central accepts bodies
 * up to 16 MiB and a little more.
 */
const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_apply",
	.max_input = (size_t)17 << 20,
};
