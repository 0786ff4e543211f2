/*
 * stick.c - the central's half of the USB stick (stick.h).
 *
 * One laptop's folder is taken in two passes.  The first opens and
 * checks everything (the manifest: sealed for this central by the key
 * the device has, or, the first time, by any key with the device's own
 * token inside; every part it names, by digest, seal and binding) and
 * writes nothing, so a refused folder leaves the store as it was.  The
 * second applies: the probe an online push starts with, decided here
 * (a restored laptop's batches are taken renumbered, as it renumbers
 * them itself on reading the reply; the probe is kept with the export's
 * number and clock before any batch, so taking the export again decides
 * the same), the batches in order through central_apply_batch()
 * (the code of POST /v1/batches: one transaction per batch with the
 * device's high-water mark, replays skipped), the photos through the
 * blob store (verified by SHA-256), then writes the reply (pages by the
 * pull's own code, the laptop's own records as stubs where it can check
 * them, then its manifest).  A kill -9 anywhere leaves batches applied
 * or not, a photo whole or partial, and no reply manifest or the old
 * one; running the import again finishes the job, and the laptop takes
 * a reply only once.
 */
#include "stick.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "blobs.h"
#include "huce_batch.h"
#include "huce_crypto.h"
#include "huce_file.h"
#include "huce_hlc.h"
#include "huce_log.h"
#include "huce_outbox.h"
#include "huce_stick.h"
#include "huce_util.h"

#define PAGE_LIMIT	2000

enum huce_err stick_central_key(struct store *s, char *pk, char *sk,
				struct huce_error *err)
{
	char *p = store_meta_get(s, "stick_pk"), *k = store_meta_get(s, "stick_sk");
	char np[HUCE_SEAL_KEY_HEX + 1], nk[HUCE_SEAL_KEY_HEX + 1];
	enum huce_err rc = HUCE_OK;

	if (!huce_seal_key_valid(p) || !huce_seal_key_valid(k)) {
		free(p);
		free(k);
		p = k = NULL;
		rc = huce_seal_keypair(np, nk, err);
		if (!rc)
			rc = store_begin(s, 1, err);
		if (!rc) {
			/* Another central may have made one meanwhile. */
			p = store_meta_get(s, "stick_pk");
			k = store_meta_get(s, "stick_sk");
			if (!huce_seal_key_valid(p) || !huce_seal_key_valid(k)) {
				rc = store_meta_set(s, "stick_pk", np, err);
				if (!rc)
					rc = store_meta_set(s, "stick_sk", nk, err);
				free(p);
				free(k);
				p = strdup(np);
				k = strdup(nk);
			}
			if (!rc)
				rc = store_commit(s, err);
			else
				store_rollback(s);
		}
		memset(nk, 0, sizeof(nk));
		if (!rc && (!p || !k))
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (!rc) {
		memcpy(pk, p, HUCE_SEAL_KEY_HEX + 1);
		if (sk)
			memcpy(sk, k, HUCE_SEAL_KEY_HEX + 1);
	}
	free(p);
	if (k) {
		memset(k, 0, strlen(k));
		free(k);
	}
	return rc;
}

/* --- scope and enrolment files ------------------------------------------ */

struct village_find {
	const char *want;
	char id[HUCE_ID_STRLEN + 1];
	int n;
};

static enum huce_err village_row(void *arg, const struct store_record *r,
				 const cJSON *fields)
{
	struct village_find *f = arg;
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "name"));

	if (strcmp(r->id, f->want) == 0 || (name && strcmp(name, f->want) == 0)) {
		snprintf(f->id, sizeof(f->id), "%s", r->id);
		f->n++;
	}
	return HUCE_OK;
}

enum huce_err stick_villages_parse(struct store *s, const char *list,
				   cJSON **out, struct huce_error *err)
{
	char *copy = strdup(list), *save = NULL, *tok;
	cJSON *arr = cJSON_CreateArray();
	enum huce_err rc = HUCE_OK;

	*out = NULL;
	if (!copy || !arr) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct village_find f = { .want = tok };

		rc = store_scan_kind(s, "village", 0, village_row, &f, err);
		if (rc)
			goto out;
		if (f.n != 1) {
			rc = huce_fail(err, f.n ? HUCE_EINVAL : HUCE_ENOTFOUND,
				       f.n ? "village '%s' names more than one village: "
				       "give its id" : "village '%s' not found", tok);
			goto out;
		}
		cJSON_AddItemToArray(arr, cJSON_CreateString(f.id));
	}
	if (cJSON_GetArraySize(arr) == 0) {
		rc = huce_fail(err, HUCE_EUSAGE, "--villages needs at least one village");
		goto out;
	}
	*out = arr;
	arr = NULL;
out:
	cJSON_Delete(arr);
	free(copy);
	return rc;
}

enum huce_err stick_enroll_file(struct store *s, const char *path,
				const char *name, const char *token,
				const char *url, struct huce_error *err)
{
	char pk[HUCE_SEAL_KEY_HEX + 1];
	char *key = NULL, *town = NULL, *text = NULL;
	cJSON *j = NULL;
	enum huce_err rc = stick_central_key(s, pk, NULL, err);

	if (rc)
		return rc;
	key = store_meta_get(s, "town_key");
	town = store_meta_get(s, "town");
	j = cJSON_CreateObject();
	if (!key) {
		rc = huce_fail(err, HUCE_EDB, "the store has no town key");
		goto out;
	}
	if (!j || !cJSON_AddNumberToObject(j, "huce_enroll", 1) ||
	    !cJSON_AddStringToObject(j, "device", name) ||
	    !cJSON_AddStringToObject(j, "token", token) ||
	    !(town ? cJSON_AddStringToObject(j, "town", town) : cJSON_AddNullToObject(j, "town")) ||
	    !cJSON_AddStringToObject(j, "town_key", key) ||
	    !cJSON_AddStringToObject(j, "central_key", pk) ||
	    !(url ? cJSON_AddStringToObject(j, "url", url) : cJSON_AddNullToObject(j, "url")) ||
	    !(text = cJSON_Print(j))) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	rc = huce_file_write_atomic(path, text, strlen(text), 0600, err);
out:
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	free(town);
	cJSON_Delete(j);
	return rc;
}

/* --- the import of a stick ------------------------------------------------ */

struct stick_run {
	struct central *c;
	const char *actor;
	struct blob_store blobs;	/* dir NULL: no photos */
	char pk[HUCE_SEAL_KEY_HEX + 1], sk[HUCE_SEAL_KEY_HEX + 1];
};

/* What the central keeps of the newest export taken from a device. */
struct done {
	int64_t e;
	char clock[HUCE_HLC_STRLEN + 1];	/* "" from an older central */
	int probe;				/* hwm and hlc are known */
	int64_t hwm;
	char hlc[HUCE_HLC_STRLEN + 1];
};

/* One laptop's folder, while it is taken. */
struct lap {
	const char *device;
	char folder[4400];
	int64_t e;
	char from[HUCE_SEAL_KEY_HEX + 1];	/* the laptop's key */
	char *box_key;			/* the key the central has, or NULL */
	cJSON *man;
	cJSON *villages;		/* scope, or NULL */
	cJSON *out;			/* the reply's manifest, as it grows */
	int taken;			/* the export was applied */
	char clock[HUCE_HLC_STRLEN + 1];	/* the export's (its manifest's) */
	/* The device's mark before the export was taken (the probe). */
	int64_t probe;
	char probe_hlc[HUCE_HLC_STRLEN + 1];
	int restored;			/* HUCE_AHEAD_RESTORED: renumbered */
	struct done done;		/* the device's stick_export */
	int stubs;			/* the reply may hold stubs */
};

static void part_name(char *out, size_t n, const char *prefix, int64_t e,
		      const char *part)
{
	if (strcmp(part, "manifest") == 0)
		snprintf(out, n, "%s-%lld.huce", prefix, (long long)e);
	else
		snprintf(out, n, "%s-%lld-%s.huce", prefix, (long long)e, part);
}

/* Open part (b1, p2 ...) of the laptop's export into body, checked. */
static enum huce_err read_up(struct stick_run *r, struct lap *lp,
			     const char *part, const char *sha,
			     struct huce_buf *body, struct huce_error *err)
{
	char name[96];

	part_name(name, sizeof(name), "up", lp->e, part);
	return huce_stick_read(lp->folder, name, sha, r->pk, r->sk, lp->from,
			       NULL, r->pk, lp->device, "up", lp->e, part, body,
			       err);
}

/*
 * The device's stick_export column: "E CLOCK HWM HLC", the newest export
 * taken from it (its number and clock) and the probe it was taken with
 * (the device's mark and its entry's HLC then, "-" for none), kept
 * before its batches are applied so that taking the same export again,
 * after a kill or from the same stick, decides as the first time did.
 * An older central wrote "E" alone.
 */
static void done_parse(const char *text, struct done *d)
{
	char clock[HUCE_HLC_STRLEN + 2] = "", hlc[HUCE_HLC_STRLEN + 2] = "";
	long long e = 0, hwm = -1;
	int n = text ? sscanf(text, "%lld %17s %lld %17s", &e, clock, &hwm, hlc) : 0;

	memset(d, 0, sizeof(*d));
	d->e = n >= 1 ? e : 0;
	if (n >= 2 && huce_hlc_parse(clock, &(uint64_t){ 0 }) == 0)
		memcpy(d->clock, clock, sizeof(d->clock));
	if (d->clock[0] && n == 4 && hwm >= 0) {
		d->probe = 1;
		d->hwm = hwm;
		if (huce_hlc_parse(hlc, &(uint64_t){ 0 }) == 0)
			memcpy(d->hlc, hlc, sizeof(d->hlc));
	}
}

/*
 * Whether export e with clock is older than the newest one imported from
 * the device (done).  The clock decides, not the number: a laptop
 * restored from a backup numbers its exports from where the copy stood,
 * but its clock (an HLC) is past everything the lost file wrote.  The
 * same export again is taken again.
 */
static int replayed(const struct done *done, int64_t e, const char *clock)
{
	if (done->clock[0]) {
		int c = strcmp(clock, done->clock);

		return c < 0 || (c == 0 && done->e != e);
	}
	return done->e > e;
}

/*
 * The first pass: the manifest and the device's credentials in it, then
 * every part.  Nothing is written.
 */
static enum huce_err check_folder(struct stick_run *r, struct lap *lp,
				  struct huce_error *err)
{
	struct store *s = r->c->store;
	struct huce_buf body = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	struct huce_buf raw = HUCE_BUF_INIT(HUCE_STICK_JSON_MAX);
	struct store_device dev;
	char name[96], hash[HUCE_SHA256_HEX_LEN + 1], part[32];
	char *who = NULL, *done = NULL;
	const char *token, *install, *clock;
	const cJSON *it;
	int64_t k;
	enum huce_err rc;

	rc = store_device_get(s, lp->device, &dev, err);
	if (rc == HUCE_ENOTFOUND)
		return huce_fail(err, HUCE_EINVAL, "device '%s' is not enrolled "
				 "at this central", lp->device);
	if (rc)
		return rc;
	if (dev.revoked_at)
		return huce_fail(err, HUCE_EINVAL, "device '%s' is revoked: its "
				 "files are refused", lp->device);
	rc = store_device_attr_get(s, lp->device, "box_key", &lp->box_key, err);
	if (rc)
		return rc;
	part_name(name, sizeof(name), "up", lp->e, "manifest");
	rc = huce_stick_read(lp->folder, name, NULL, r->pk, r->sk, lp->box_key,
			     lp->from, r->pk, lp->device, "up", lp->e,
			     "manifest", &body, err);
	if (!rc && huce_inflate_bounded(body.data, body.len, HUCE_STICK_JSON_MAX,
					&raw, err))
		rc = huce_fail(err, HUCE_EINVAL, "'%s/%s': its body does not inflate",
			       lp->folder, name);
	if (!rc) {
		lp->man = cJSON_ParseWithLength(raw.data, raw.len);
		if (!cJSON_IsObject(lp->man))
			rc = huce_fail(err, HUCE_EINVAL, "'%s/%s' is not JSON", lp->folder, name);
	}
	if (rc)
		goto out;
	/* The device's token: the files are its, whichever key wrote them. */
	token = cJSON_GetStringValue(cJSON_GetObjectItem(lp->man, "token"));
	install = cJSON_GetStringValue(cJSON_GetObjectItem(lp->man, "install_id"));
	clock = cJSON_GetStringValue(cJSON_GetObjectItem(lp->man, "clock"));
	if (!token || !install || !cJSON_IsArray(cJSON_GetObjectItem(lp->man, "batches")) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(lp->man, "photos")) ||
	    huce_wire_int(cJSON_GetObjectItem(lp->man, "cursor")) < 0 ||
	    huce_wire_int(cJSON_GetObjectItem(lp->man, "acked")) < 0 ||
	    !clock || huce_hlc_parse(clock, &(uint64_t){ 0 }) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s/%s' is not an export manifest",
			       lp->folder, name);
		goto out;
	}
	huce_sha256_hex(token, strlen(token), hash);
	rc = store_device_auth(s, hash, &who, err);
	if (rc == HUCE_EAUTH || rc == HUCE_EREVOKED || (!rc && strcmp(who, lp->device) != 0)) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s/%s' is refused: its token is "
			       "not device '%s''s", lp->folder, name, lp->device);
		goto out;
	}
	if (rc)
		goto out;
	memcpy(lp->clock, clock, sizeof(lp->clock));
	rc = store_device_attr_get(s, lp->device, "stick_export", &done, err);
	if (rc)
		goto out;
	done_parse(done, &lp->done);
	if (done && replayed(&lp->done, lp->e, lp->clock)) {
		rc = huce_fail(err, HUCE_EINVAL, "'%s/%s' is refused: export %lld is "
			       "older than export %lld, already imported (a replayed "
			       "stick? or a laptop restored from a backup whose clock "
			       "is set back)", lp->folder, name, (long long)lp->e,
			       (long long)lp->done.e);
		goto out;
	}
	/* Every part, by digest, seal and binding. */
	k = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(lp->man, "batches")) {
		snprintf(part, sizeof(part), "b%lld", (long long)++k);
		rc = read_up(r, lp, part, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")),
			     &body, err);
		if (rc)
			goto out;
	}
	k = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(lp->man, "photos")) {
		const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(it, "photo"));

		snprintf(part, sizeof(part), "p%lld", (long long)++k);
		if (!sha || !blob_name_valid(sha)) {
			rc = huce_fail(err, HUCE_EINVAL, "'%s/%s' names a photo badly",
				       lp->folder, name);
			goto out;
		}
		rc = read_up(r, lp, part, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")),
			     &body, err);
		if (rc)
			goto out;
		huce_sha256_hex(body.data ? body.data : "", body.len, hash);
		if (strcmp(hash, sha) != 0) {
			rc = huce_fail(err, HUCE_EINVAL, "photo part %s of '%s' does not "
				       "hash to its name", part, lp->folder);
			goto out;
		}
	}
out:
	free(who);
	free(done);
	huce_buf_release(&body);
	huce_buf_release(&raw);
	return rc;
}

/* Store a photo's bytes from the offset the central has. */
static enum huce_err put_photo(struct blob_store *b, const char *sha,
			       const struct huce_buf *bytes, int *complete,
			       struct huce_error *err)
{
	uint64_t off = 0;
	enum huce_err rc = blob_state(b, sha, &off, complete, err);

	while (!rc && !*complete) {
		size_t n;

		if (off > bytes->len)
			return huce_fail(err, HUCE_EINVAL, "photo %.12s: the central has "
					 "more bytes than the photo", sha);
		n = bytes->len - (size_t)off;
		if (n > BLOB_CHUNK_MAX)
			n = BLOB_CHUNK_MAX;
		rc = blob_append(b, sha, off, bytes->len, bytes->data + off, n, &off,
				 complete, err);
	}
	return rc;
}

/*
 * The HLC of the export's entry seq into mine ("" when it has none),
 * from the batch the manifest says holds it.
 */
static enum huce_err export_entry_hlc(struct stick_run *r, struct lap *lp,
				      int64_t seq, char *mine,
				      struct huce_error *err)
{
	struct huce_buf body = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_batch_header h;
	struct huce_error derr = { 0 };
	const cJSON *it, *e;
	cJSON *root = NULL;
	int64_t k = 0;
	char part[32];
	enum huce_err rc = HUCE_OK;

	mine[0] = '\0';
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(lp->man, "batches")) {
		k++;
		if (huce_wire_int(cJSON_GetObjectItem(it, "first")) <= seq &&
		    seq <= huce_wire_int(cJSON_GetObjectItem(it, "last")))
			break;
	}
	if (!it)
		return HUCE_OK;
	snprintf(part, sizeof(part), "b%lld", (long long)k);
	rc = read_up(r, lp, part, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")),
		     &body, err);
	if (!rc && huce_batch_decode(body.data, body.len, HUCE_BATCH_MAX_RAW, &h,
				     &payload, &derr))
		rc = huce_fail(err, HUCE_EINVAL, "'%s': batch %s: %s", lp->folder,
			       part, derr.msg);
	if (!rc) {
		root = cJSON_ParseWithLength(payload.data ? payload.data : "", payload.len);
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "entries")) {
			const char *hlc = cJSON_GetStringValue(cJSON_GetObjectItem(e, "hlc"));

			if (huce_wire_int(cJSON_GetObjectItem(e, "seq")) == seq && hlc &&
			    strlen(hlc) == HUCE_HLC_STRLEN)
				memcpy(mine, hlc, HUCE_HLC_STRLEN + 1);
		}
	}
	cJSON_Delete(root);
	huce_buf_release(&body);
	huce_buf_release(&payload);
	return rc;
}

/*
 * What the empty batch an online push starts with would tell the laptop
 * (PROTOCOL.md 2.1), decided here by the same rule
 * (huce_outbox_ahead()): when the central's mark is above what the
 * export took as acknowledged and the export does not hold the
 * central's entry at the mark, the laptop's file is older than what the
 * central has from it (restored from a backup); its entries, numbered
 * from where the copy stood, are taken renumbered after the mark
 * (*shift), exactly as the laptop renumbers them when it reads the
 * reply (huce_outbox_answer()), instead of being skipped as replays.
 */
static enum huce_err probe(struct stick_run *r, struct lap *lp, int64_t *shift,
			   struct huce_error *err)
{
	const cJSON *batches = cJSON_GetObjectItem(lp->man, "batches");
	const cJSON *last = cJSON_GetArrayItem(batches, cJSON_GetArraySize(batches) - 1);
	int64_t acked = huce_wire_int(cJSON_GetObjectItem(lp->man, "acked"));
	int64_t lo = huce_wire_int(cJSON_GetObjectItem(cJSON_GetArrayItem(batches, 0), "first"));
	int64_t max_seq = last ? huce_wire_int(cJSON_GetObjectItem(last, "last")) : acked;
	struct store_device dev;
	char mine[HUCE_HLC_STRLEN + 1], num[80];
	enum huce_err rc = HUCE_OK;

	*shift = 0;
	if (lp->done.probe && lp->done.e == lp->e && strcmp(lp->done.clock, lp->clock) == 0) {
		/* This export again: as it was taken the first time. */
		lp->probe = lp->done.hwm;
		memcpy(lp->probe_hlc, lp->done.hlc, sizeof(lp->probe_hlc));
	} else {
		rc = store_device_get(r->c->store, lp->device, &dev, err);
		if (rc)
			return rc;
		lp->probe = dev.hwm;
		memcpy(lp->probe_hlc, dev.hwm_hlc, sizeof(lp->probe_hlc));
		snprintf(num, sizeof(num), "%lld %s %lld %s", (long long)lp->e, lp->clock,
			 (long long)lp->probe, lp->probe_hlc[0] ? lp->probe_hlc : "-");
		rc = store_device_attr_set(r->c->store, lp->device, "stick_export", num, err);
		if (rc)
			return rc;
	}
	if (lp->probe <= acked)
		return HUCE_OK;
	rc = export_entry_hlc(r, lp, lp->probe, mine, err);
	if (rc)
		return rc;
	if (huce_outbox_ahead(lp->probe, lp->probe_hlc, mine,
			      max_seq < acked ? acked : max_seq, lp->clock) !=
	    HUCE_AHEAD_RESTORED)
		return HUCE_OK;
	lp->restored = 1;
	if (lo > acked)
		*shift = lp->probe + 1 - lo;
	huce_warn("device %s: its file is older than what the central has from it "
		  "(restored from a backup?): the central has its entries up to %lld, "
		  "the export knew only up to %lld; its entries are taken renumbered "
		  "from %lld", lp->device, (long long)lp->probe, (long long)acked,
		  (long long)lp->probe + 1);
	return HUCE_OK;
}

/* The second pass: batches, photos, the device's key and export number. */
static enum huce_err apply_folder(struct stick_run *r, struct lap *lp,
				  cJSON *out, struct huce_error *err)
{
	struct store *s = r->c->store;
	struct huce_buf body = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	struct huce_buf moved = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	const char *install = cJSON_GetStringValue(cJSON_GetObjectItem(lp->man, "install_id"));
	cJSON *rejected = cJSON_AddArrayToObject(out, "rejected");
	cJSON *have = cJSON_AddArrayToObject(out, "photos");
	int64_t k = 0, applied = 0, skipped = 0, expected = 0, shift = 0;
	const cJSON *it;
	char part[32];
	enum huce_err rc;

	if (!rejected || !have)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	/* A token enrolls one laptop, by stick as online. */
	rc = store_device_enroll(s, lp->device, install, err);
	if (rc == HUCE_EFORBIDDEN || rc == HUCE_ENOTFOUND)
		return huce_fail(err, HUCE_EINVAL, "device '%s': its token has "
				 "enrolled another laptop; this export is refused",
				 lp->device);
	if (!rc && !lp->box_key)
		rc = store_device_attr_set(s, lp->device, "box_key", lp->from, err);
	if (!rc)
		rc = probe(r, lp, &shift, err);
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(lp->man, "batches")) {
		cJSON *res = NULL;
		uint64_t exp = 0;
		const cJSON *rj;

		snprintf(part, sizeof(part), "b%lld", (long long)++k);
		rc = read_up(r, lp, part, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")),
			     &body, err);
		/* A restored laptop's batch, as it would send it renumbered. */
		if (!rc && shift) {
			rc = huce_outbox_batch_shift(body.data, body.len, shift, &moved, err);
			if (!rc)
				rc = central_apply_batch(r->c, lp->device, moved.data,
							 moved.len, &res, &exp, err);
		} else if (!rc) {
			rc = central_apply_batch(r->c, lp->device, body.data, body.len,
						 &res, &exp, err);
		}
		if (rc == HUCE_EGAP) {
			/* The central has less than the laptop thinks. */
			expected = (int64_t)exp;
			rc = HUCE_OK;
			break;
		}
		if (rc) {
			cJSON_Delete(res);
			goto out;
		}
		applied += (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "applied"));
		skipped += (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "skipped"));
		cJSON_ArrayForEach(rj, cJSON_GetObjectItem(res, "rejected"))
			cJSON_AddItemToArray(rejected, cJSON_Duplicate(rj, 1));
		cJSON_Delete(res);
	}
	k = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(lp->man, "photos")) {
		const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(it, "photo"));
		int complete = 0;

		snprintf(part, sizeof(part), "p%lld", (long long)++k);
		if (!r->blobs.dir)
			continue;
		rc = read_up(r, lp, part, cJSON_GetStringValue(cJSON_GetObjectItem(it, "sha256")),
			     &body, err);
		if (!rc)
			rc = put_photo(&r->blobs, sha, &body, &complete, err);
		if (rc)
			goto out;
		if (complete)
			cJSON_AddItemToArray(have, cJSON_CreateString(sha));
	}
	cJSON_AddNumberToObject(out, "applied", (double)applied);
	cJSON_AddNumberToObject(out, "skipped", (double)skipped);
	if (expected)
		cJSON_AddNumberToObject(out, "expected", (double)expected);
	if (shift)
		cJSON_AddNumberToObject(out, "renumbered", (double)shift);
	/*
	 * The own records as stubs only where the laptop can check every
	 * one, as one pull page after another does (a stick cannot ask
	 * again for a page in full): not for a restored laptop (it holds
	 * none of the lost file's entries), nor after a gap or a refused
	 * entry (the stub check refuses a record with a quarantined entry),
	 * nor when its export asks for whole records.
	 */
	lp->stubs = cJSON_IsTrue(cJSON_GetObjectItem(lp->man, "stubs")) &&
		    !lp->restored && !expected && cJSON_GetArraySize(rejected) == 0;
out:
	huce_buf_release(&body);
	huce_buf_release(&moved);
	return rc;
}

/* Seal a JSON text (deflated) as part of the reply into the folder. */
static enum huce_err write_down(struct stick_run *r, struct lap *lp,
				const char *part, const char *text, size_t len,
				char *sha, struct huce_error *err)
{
	struct huce_buf z = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	cJSON *b = huce_stick_binding(r->pk, lp->device, "down", lp->e, part);
	char name[96];
	enum huce_err rc;

	if (!b)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	part_name(name, sizeof(name), "down", lp->e, part);
	rc = huce_deflate(text, len, 6, &z);
	if (rc)
		rc = huce_fail(err, rc, "the reply's part %s is too large", part);
	if (!rc)
		rc = huce_stick_write(lp->folder, name, r->pk, r->sk, lp->from, b,
				      z.data, z.len, sha, err);
	cJSON_Delete(b);
	huce_buf_release(&z);
	return rc;
}

/*
 * The reply: the changes since the laptop's cursor, scoped, as pages
 * written by the pull's own code (central_changes_scoped(): the
 * device's own records as stubs when lp->stubs, PROTOCOL.md 2.2), then
 * its manifest with the acknowledgement and the probe.
 */
static enum huce_err write_reply(struct stick_run *r, struct lap *lp,
				 cJSON *out, struct huce_error *err)
{
	struct store *s = r->c->store;
	struct store_device dev;
	int64_t after = huce_wire_int(cJSON_GetObjectItem(lp->man, "cursor"));
	int64_t k = 0, changes = 0, head = 0, stubs = 0;
	cJSON *pages = cJSON_CreateArray(), *probe;
	char *text = NULL, sha[HUCE_SHA256_HEX_LEN + 1], part[32], now[21];
	enum huce_err rc = HUCE_OK;

	if (!pages)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	for (;;) {
		char *json = NULL;
		size_t len = 0;
		cJSON *pg, *o;
		const cJSON *ch;
		int more;

		rc = central_changes_scoped(r->c, after, PAGE_LIMIT,
					    lp->stubs ? lp->device : NULL,
					    lp->villages, &json, &len, err);
		if (rc)
			break;
		pg = cJSON_ParseWithLength(json, len);
		more = cJSON_IsTrue(cJSON_GetObjectItem(pg, "more"));
		after = huce_wire_int(cJSON_GetObjectItem(pg, "next"));
		head = huce_wire_int(cJSON_GetObjectItem(pg, "head"));
		changes += cJSON_GetArraySize(cJSON_GetObjectItem(pg, "changes"));
		cJSON_ArrayForEach(ch, cJSON_GetObjectItem(pg, "changes"))
			stubs += cJSON_IsTrue(cJSON_GetObjectItem(ch, "own"));
		cJSON_Delete(pg);
		snprintf(part, sizeof(part), "c%lld", (long long)++k);
		rc = write_down(r, lp, part, json, len, sha, err);
		free(json);
		if (rc)
			break;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddStringToObject(o, "sha256", sha) ||
		    !cJSON_AddItemToArray(pages, o)) {
			cJSON_Delete(o);
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		if (!more || after < 0)
			break;
	}
	if (!rc)
		rc = store_device_get(s, lp->device, &dev, err);
	if (rc) {
		cJSON_Delete(pages);
		return rc;
	}
	huce_iso_time((int64_t)time(NULL), now);
	cJSON_AddItemToObject(out, "pages", pages);
	cJSON_AddStringToObject(out, "device", lp->device);
	cJSON_AddNumberToObject(out, "export", (double)lp->e);
	cJSON_AddStringToObject(out, "clock", lp->clock);
	probe = cJSON_AddObjectToObject(out, "probe");
	cJSON_AddNumberToObject(probe, "hwm", (double)lp->probe);
	if (lp->probe_hlc[0])
		cJSON_AddStringToObject(probe, "hwm_hlc", lp->probe_hlc);
	cJSON_AddNumberToObject(out, "acked", (double)dev.hwm);
	if (dev.hwm_hlc[0])
		cJSON_AddStringToObject(out, "acked_hlc", dev.hwm_hlc);
	cJSON_AddNumberToObject(out, "head", (double)head);
	cJSON_AddNumberToObject(out, "changes", (double)changes);
	cJSON_AddNumberToObject(out, "stubs", (double)stubs);
	cJSON_AddStringToObject(out, "written_at", now);
	text = cJSON_PrintUnformatted(out);
	if (!text)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = write_down(r, lp, "manifest", text, strlen(text), NULL, err);
	free(text);
	if (!rc)
		huce_stick_prune(lp->folder, "down", lp->e);
	return rc;
}

static void lap_release(struct lap *lp)
{
	free(lp->box_key);
	cJSON_Delete(lp->man);
	cJSON_Delete(lp->villages);
	cJSON_Delete(lp->out);
	memset(lp, 0, sizeof(*lp));
}

/*
 * Take one laptop's export: check, then apply (lp->out gathers what
 * its reply says).  HUCE_ENOTFOUND with no message: no export there.
 */
static enum huce_err take_folder(struct stick_run *r, const char *dir,
				 struct lap *lp, struct huce_error *err)
{
	char *scope = NULL, detail[300];
	enum huce_err rc;

	lp->out = cJSON_CreateObject();
	if (!lp->out)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = huce_stick_folder(dir, lp->device, 0, lp->folder, sizeof(lp->folder), err);
	if (rc)
		return rc;
	lp->e = huce_stick_newest(lp->folder, "up");
	if (!lp->e)
		return HUCE_ENOTFOUND;
	rc = check_folder(r, lp, err);
	if (!rc)
		rc = store_device_attr_get(r->c->store, lp->device, "villages", &scope, err);
	if (!rc && scope) {
		lp->villages = cJSON_Parse(scope);
		if (!cJSON_IsArray(lp->villages))
			rc = huce_fail(err, HUCE_EDB, "device '%s': villages is not "
				       "a JSON array", lp->device);
	}
	free(scope);
	if (!rc)
		rc = apply_folder(r, lp, lp->out, err);
	if (rc == HUCE_EINVAL) {
		snprintf(detail, sizeof(detail), "device %s export %lld: refused",
			 lp->device, (long long)lp->e);
		store_audit(r->c->store, r->actor, "import stick", detail, NULL);
	}
	return rc;
}

/* The reply of a laptop whose export was taken, and the audit line. */
static enum huce_err answer_folder(struct stick_run *r, struct lap *lp,
				   struct huce_error *err)
{
	char detail[300];
	enum huce_err rc = write_reply(r, lp, lp->out, err);

	if (rc)
		return rc;
	snprintf(detail, sizeof(detail), "device %s export %lld: applied %lld, "
		 "skipped %lld, rejected %d, photos %d, %lld changes back",
		 lp->device, (long long)lp->e,
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(lp->out, "applied")),
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(lp->out, "skipped")),
		 cJSON_GetArraySize(cJSON_GetObjectItem(lp->out, "rejected")),
		 cJSON_GetArraySize(cJSON_GetObjectItem(lp->out, "photos")),
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(lp->out, "changes")));
	store_audit(r->c->store, r->actor, "import stick", detail, NULL);
	return HUCE_OK;
}

int stick_import_wanted(int argc, char **argv)
{
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (strcmp(argv[i], "--blobs") == 0 || strcmp(argv[i], "--ack-out") == 0)
				i++;
			continue;
		}
		return stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode);
	}
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int stick_admin_import(struct central *c, const char *actor,
		       const char *blobs_default, int argc, char **argv)
{
	struct stick_run r;
	struct huce_error err = { 0 };
	const char *dir = NULL, *blobs = blobs_default;
	char top[4400];
	char **names = NULL;
	struct lap *laps = NULL;
	size_t n = 0, alloc = 0;
	cJSON *all = cJSON_CreateArray();
	int json = 0, ret = 0;
	DIR *d = NULL;
	struct dirent *e;
	enum huce_err rc;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.actor = actor;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--blobs") == 0 && i + 1 < argc)
			blobs = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (!dir && argv[i][0] != '-')
			dir = argv[i];
		else {
			fprintf(stderr, "huce-syncd admin: import DIR: unexpected "
				"argument '%s'\n", argv[i]);
			cJSON_Delete(all);
			return 2;
		}
	}
	if (!all || !dir) {
		cJSON_Delete(all);
		return 2;
	}
	rc = stick_central_key(c->store, r.pk, r.sk, &err);
	if (!rc && blobs)
		rc = blob_store_init(&r.blobs, blobs, &err);
	if (rc) {
		fprintf(stderr, "huce-syncd admin: %s\n", err.msg);
		ret = huce_err_exit(rc);
		goto out;
	}
	snprintf(top, sizeof(top), "%s/%s", dir, HUCE_STICK_TOP);
	d = opendir(top);
	if (!d) {
		fprintf(stderr, "huce-syncd admin: no laptop's folder on '%s' "
			"(no '%s')\n", dir, top);
		ret = 4;
		goto out;
	}
	while ((e = readdir(d))) {
		char **nn;

		if (e->d_name[0] == '.')
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			nn = realloc(names, alloc * sizeof(*names));
			if (!nn) {
				ret = 1;
				goto out;
			}
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	/* One order whatever the file system's: the same result each time. */
	qsort(names, n, sizeof(*names), names_cmp);
	laps = calloc(n ? n : 1, sizeof(*laps));
	if (!laps) {
		ret = 1;
		goto out;
	}
	/*
	 * Every laptop's export first, then every reply: two laptops on one
	 * stick each get the other's work of the same trip.
	 */
	for (size_t i = 0; i < n; i++) {
		laps[i].device = names[i];
		memset(&err, 0, sizeof(err));
		rc = take_folder(&r, dir, &laps[i], &err);
		if (rc == HUCE_ENOTFOUND && !err.msg[0])
			continue;	/* a folder with no export: nothing to do */
		if (rc) {
			fprintf(stderr, "huce-syncd admin: %s: %s\n", names[i],
				err.msg[0] ? err.msg : huce_err_text(rc));
			if (!ret || huce_err_exit(rc) == 1)
				ret = huce_err_exit(rc);
			continue;
		}
		laps[i].taken = 1;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *sum;

		if (!laps[i].taken)
			continue;
		memset(&err, 0, sizeof(err));
		rc = answer_folder(&r, &laps[i], &err);
		if (rc) {
			fprintf(stderr, "huce-syncd admin: %s: %s\n", names[i],
				err.msg[0] ? err.msg : huce_err_text(rc));
			if (!ret || huce_err_exit(rc) == 1)
				ret = huce_err_exit(rc);
			continue;
		}
		sum = laps[i].out;
		if (json) {
			cJSON *o = cJSON_Duplicate(sum, 1);

			cJSON_DeleteItemFromObject(o, "rejected");
			cJSON_DeleteItemFromObject(o, "pages");
			cJSON_AddItemToArray(all, o);
			continue;
		}
		printf("%s: export %lld: applied %lld, skipped %lld, rejected %d, "
		       "photos %d; reply with %lld changes, %lld of them stubs\n", names[i],
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "export")),
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "applied")),
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "skipped")),
		       cJSON_GetArraySize(cJSON_GetObjectItem(sum, "rejected")),
		       cJSON_GetArraySize(cJSON_GetObjectItem(sum, "photos")),
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "changes")),
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "stubs")));
	}
	if (json) {
		char *t = cJSON_Print(all);

		if (t)
			puts(t);
		free(t);
	}
out:
	if (d)
		closedir(d);
	for (size_t i = 0; laps && i < n; i++)
		lap_release(&laps[i]);
	free(laps);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cJSON_Delete(all);
	blob_store_release(&r.blobs);
	memset(r.sk, 0, sizeof(r.sk));
	return ret;
}
