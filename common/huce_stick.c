/*
 * huce_stick.c - the USB stick's files (huce_stick.h): the parts both
 * sides share (folders, bindings, sealed reads and writes, pruning) and
 * the laptop's half (keys, enrolment by file, export, applying a reply).
 * The central's half is syncd/central/stick.c.
 *
 * The order of writes is what makes a cut safe: the export number is
 * taken first (so a cut export never reuses its number for other
 * bytes), parts are written before their manifest, and older files go
 * only after the new manifest is in place.  The order of reads is what
 * makes a bad file harmless: every part a manifest names is opened and
 * checked before anything is applied.
 */
#include "huce_stick.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "huce_batch.h"
#include "huce_crypto.h"
#include "huce_file.h"
#include "huce_hlc.h"
#include "huce_i18n.h"
#include "huce_log.h"
#include "huce_outbox.h"
#include "huce_seal.h"
#include "huce_util.h"

#define BATCH_RAW	((size_t)1 << 20)	/* one batch of an export */
#define PHOTO_MAX	((size_t)64 << 20)
#define ENROLL_MAX	((size_t)64 << 10)
#define STICK_CLOCKS	16	/* exports whose replies are still taken */

/* ---- shared ---------------------------------------------------------- */

static enum huce_err make_dir(const char *path, struct huce_error *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return huce_fail(err, HUCE_EIO, _("cannot create '%s': %s"), path,
				 strerror(errno));
	return HUCE_OK;
}

enum huce_err huce_stick_folder(const char *dir, const char *device,
				int create, char *out, size_t n,
				struct huce_error *err)
{
	struct stat st;
	int len;

	if (!device || !*device || device[0] == '.' || strchr(device, '/'))
		return huce_fail(err, HUCE_EINVAL, _("device name '%s' cannot name a "
				 "folder on the stick"), device ? device : "");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return huce_fail(err, HUCE_ENOTFOUND, _("'%s' is not a folder (is the "
				 "stick mounted?)"), dir);
	len = snprintf(out, n, "%s/%s", dir, HUCE_STICK_TOP);
	if (len < 0 || (size_t)len >= n)
		return huce_fail(err, HUCE_EIO, _("path too long: '%s'"), dir);
	if (create && make_dir(out, err))
		return err->code;
	len = snprintf(out, n, "%s/%s/%s", dir, HUCE_STICK_TOP, device);
	if (len < 0 || (size_t)len >= n)
		return huce_fail(err, HUCE_EIO, _("path too long: '%s'"), dir);
	if (create && make_dir(out, err))
		return err->code;
	return HUCE_OK;
}

cJSON *huce_stick_binding(const char *central_pk, const char *device,
			  const char *dir, int64_t export_no,
			  const char *part)
{
	cJSON *b = cJSON_CreateObject();

	if (!b || !cJSON_AddStringToObject(b, "huce", "stick") ||
	    !cJSON_AddStringToObject(b, "central", central_pk) ||
	    !cJSON_AddStringToObject(b, "device", device) ||
	    !cJSON_AddStringToObject(b, "dir", dir) ||
	    !cJSON_AddNumberToObject(b, "export", (double)export_no) ||
	    !cJSON_AddStringToObject(b, "part", part)) {
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

/* E of "<prefix>-E.huce", or 0 when name is not a manifest of prefix. */
static int64_t manifest_no(const char *name, const char *prefix)
{
	size_t p = strlen(prefix);
	int64_t v = 0;
	const char *s;

	if (strncmp(name, prefix, p) != 0 || name[p] != '-')
		return 0;
	for (s = name + p + 1; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	if (s == name + p + 1 || strcmp(s, ".huce") != 0)
		return 0;
	return v;
}

int64_t huce_stick_newest(const char *folder, const char *prefix)
{
	DIR *d = opendir(folder);
	struct dirent *e;
	int64_t best = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		int64_t v = manifest_no(e->d_name, prefix);

		if (v > best)
			best = v;
	}
	closedir(d);
	return best;
}

enum huce_err huce_stick_write(const char *folder, const char *name,
			       const char *my_pk, const char *my_sk,
			       const char *to_pk, const cJSON *binding,
			       const void *body, size_t n, char *sha_out,
			       struct huce_error *err)
{
	struct huce_buf out = HUCE_BUF_INIT(HUCE_STICK_PART_MAX + HUCE_SEAL_OVERHEAD +
					    HUCE_SEAL_BINDING_MAX);
	char path[4400];
	enum huce_err rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", folder, name) >= sizeof(path))
		return huce_fail(err, HUCE_EIO, _("path too long: '%s'"), folder);
	rc = huce_seal(my_pk, my_sk, to_pk, binding, body, n, &out, err);
	if (!rc && sha_out)
		huce_sha256_hex(out.data, out.len, sha_out);
	if (!rc)
		rc = huce_file_write_atomic(path, out.data, out.len, 0600, err);
	huce_buf_release(&out);
	return rc;
}

static int binding_is(const cJSON *b, const char *key, const char *want)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(b, key));

	return v && want && strcmp(v, want) == 0;
}

enum huce_err huce_stick_read(const char *folder, const char *name,
			      const char *want_sha, const char *my_pk,
			      const char *my_sk, const char *from_pk,
			      char *from_out, const char *central_pk,
			      const char *device, const char *dir,
			      int64_t export_no, const char *part,
			      struct huce_buf *body, struct huce_error *err)
{
	struct huce_buf file;
	struct huce_error ferr = { 0 };
	char path[4400], sha[HUCE_SHA256_HEX_LEN + 1];
	cJSON *b = NULL;
	enum huce_err rc;

	huce_buf_reset(body);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", folder, name) >= sizeof(path))
		return huce_fail(err, HUCE_EIO, _("path too long: '%s'"), folder);
	rc = huce_file_read(path, HUCE_STICK_PART_MAX + HUCE_SEAL_OVERHEAD +
			    HUCE_SEAL_BINDING_MAX, &file, &ferr);
	if (rc) {
		huce_buf_release(&file);
		if (rc == HUCE_ENOTFOUND)
			return huce_fail(err, rc, _("'%s' is missing (the stick was "
					 "pulled out while it was written?)"), path);
		return huce_fail(err, rc == HUCE_ETOOBIG ? HUCE_EINVAL : rc, "%s", ferr.msg);
	}
	if (want_sha) {
		huce_sha256_hex(file.data, file.len, sha);
		if (strcmp(sha, want_sha) != 0) {
			huce_buf_release(&file);
			return huce_fail(err, HUCE_EINVAL, _("'%s' is refused: it is not "
					 "the file its manifest names (altered, or "
					 "from another round)"), path);
		}
	}
	rc = huce_unseal(file.data, file.len, my_pk, my_sk, from_pk, from_out,
			 &b, body, &ferr);
	huce_buf_release(&file);
	if (rc)
		return huce_fail(err, rc == HUCE_ETOOBIG ? HUCE_EINVAL : rc,
				 _("'%s' is refused: %s"), path, ferr.msg);
	if (!binding_is(b, "huce", "stick") || !binding_is(b, "central", central_pk) ||
	    !binding_is(b, "device", device) || !binding_is(b, "dir", dir) ||
	    huce_wire_int(cJSON_GetObjectItem(b, "export")) != export_no ||
	    !binding_is(b, "part", part)) {
		const char *bd = cJSON_GetStringValue(cJSON_GetObjectItem(b, "device"));

		rc = huce_fail(err, HUCE_EINVAL, _("'%s' is refused: it was written as "
			       "another file (device '%s', export %lld, part '%s'), "
			       "not as %s export %lld part '%s': renamed or moved"),
			       path, bd ? bd : "?",
			       (long long)huce_wire_int(cJSON_GetObjectItem(b, "export")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(b, "part")) ?
			       cJSON_GetStringValue(cJSON_GetObjectItem(b, "part")) : "?",
			       device, (long long)export_no, part);
		huce_buf_reset(body);
	}
	cJSON_Delete(b);
	return rc;
}

/* Export number of a file "<prefix>-E..." (a part or a manifest), or -1. */
static int64_t file_export(const char *name, const char *prefix)
{
	size_t p = strlen(prefix);
	int64_t v = 0;
	const char *s;

	if (strncmp(name, prefix, p) != 0 || name[p] != '-')
		return -1;
	for (s = name + p + 1; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return s == name + p + 1 ? -1 : v;
}

void huce_stick_prune(const char *folder, const char *prefix, int64_t keep)
{
	DIR *d = opendir(folder);
	struct dirent *e;
	char path[4400];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int64_t v = file_export(e->d_name, prefix);
		int tmp = strstr(e->d_name, ".tmp.") != NULL;

		if (v < 0 || (v == keep && !tmp))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", folder, e->d_name) <
		    sizeof(path) && unlink(path) != 0)
			huce_warn(_("cannot remove '%s': %s"), path, strerror(errno));
	}
	closedir(d);
}

/* ---- the laptop -------------------------------------------------------- */

enum huce_err huce_stick_keys(struct huce_local *l, char *pk,
			      struct huce_error *err)
{
	char *have = huce_db_meta_get(l->db, "stick_pk");
	char *sk = huce_db_meta_get(l->db, "stick_sk");
	char npk[HUCE_SEAL_KEY_HEX + 1], nsk[HUCE_SEAL_KEY_HEX + 1];
	enum huce_err rc = HUCE_OK;

	if (huce_seal_key_valid(have) && huce_seal_key_valid(sk)) {
		memcpy(pk, have, HUCE_SEAL_KEY_HEX + 1);
		goto out;
	}
	rc = huce_seal_keypair(npk, nsk, err);
	if (!rc)
		rc = huce_db_begin(l->db, err);
	if (!rc) {
		rc = huce_db_meta_set(l->db, "stick_pk", npk, err);
		if (!rc)
			rc = huce_db_meta_set(l->db, "stick_sk", nsk, err);
		if (!rc)
			rc = huce_db_commit(l->db, err);
		if (rc)
			huce_db_rollback(l->db);
	}
	if (!rc)
		memcpy(pk, npk, HUCE_SEAL_KEY_HEX + 1);
	memset(nsk, 0, sizeof(nsk));
out:
	free(have);
	if (sk) {
		memset(sk, 0, strlen(sk));
		free(sk);
	}
	return rc;
}

enum huce_err huce_stick_enroll_file(struct huce_local *l, const char *path,
				     char **device, struct huce_error *err)
{
	struct huce_buf b;
	struct huce_error ferr = { 0 };
	char pk[HUCE_SEAL_KEY_HEX + 1];
	const char *dev, *token, *key, *ckey, *town, *url;
	cJSON *j = NULL;
	enum huce_err rc;

	*device = NULL;
	rc = huce_file_read(path, ENROLL_MAX, &b, &ferr);
	huce_buf_release(&b);
	if (rc == HUCE_ETOOBIG)
		return huce_fail(err, HUCE_EINVAL, _("'%s' is not an enrolment file "
				 "(too large)"), path);
	if (rc)
		return huce_fail(err, rc, "%s", ferr.msg);
	rc = huce_file_read(path, ENROLL_MAX, &b, &ferr);
	if (rc) {
		huce_buf_release(&b);
		return huce_fail(err, rc, "%s", ferr.msg);
	}
	j = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
	huce_buf_release(&b);
	dev = cJSON_GetStringValue(cJSON_GetObjectItem(j, "device"));
	token = cJSON_GetStringValue(cJSON_GetObjectItem(j, "token"));
	key = cJSON_GetStringValue(cJSON_GetObjectItem(j, "town_key"));
	ckey = cJSON_GetStringValue(cJSON_GetObjectItem(j, "central_key"));
	town = cJSON_GetStringValue(cJSON_GetObjectItem(j, "town"));
	url = cJSON_GetStringValue(cJSON_GetObjectItem(j, "url"));
	if (huce_wire_int(cJSON_GetObjectItem(j, "huce_enroll")) != 1 || !dev ||
	    !token || !key || !huce_seal_key_valid(ckey) ||
	    huce_text_check(dev, _("device name"), 128, 0, &ferr) ||
	    huce_text_check(token, _("token"), 256, 0, &ferr) ||
	    huce_text_check(key, _("town key"), 256, 0, &ferr) ||
	    (town && huce_text_check(town, _("town"), 128, 0, &ferr)) ||
	    (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s' is not an enrolment file of "
			       "`huce-syncd admin device add NAME --enroll-file F`"), path);
		goto out;
	}
	free(huce_outbox_install_id(l, err));
	rc = huce_stick_keys(l, pk, err);
	if (rc)
		goto out;
	rc = huce_db_begin(l->db, err);
	if (rc)
		goto out;
	{
		struct huce_enrolment e = { url, token, dev, key, ckey, town };

		rc = huce_outbox_enrolment_store(l, &e, err);
	}
	if (!rc)
		rc = huce_db_commit(l->db, err);
	if (rc)
		huce_db_rollback(l->db);
	if (!rc) {
		*device = strdup(dev);
		if (!*device)
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	}
out:
	cJSON_Delete(j);
	return rc;
}

/* The laptop's identity for the stick, from meta. */
struct me {
	char *device, *central, *token, *install, *sk;
	char pk[HUCE_SEAL_KEY_HEX + 1];
};

static void me_release(struct me *m)
{
	free(m->device);
	free(m->central);
	if (m->token)
		memset(m->token, 0, strlen(m->token));
	free(m->token);
	free(m->install);
	if (m->sk)
		memset(m->sk, 0, strlen(m->sk));
	free(m->sk);
	memset(m, 0, sizeof(*m));
}

static enum huce_err me_load(struct huce_local *l, struct me *m,
			     struct huce_error *err)
{
	enum huce_err rc;

	memset(m, 0, sizeof(*m));
	m->device = huce_outbox_device(l);
	m->central = huce_db_meta_get(l->db, "central_key");
	m->token = huce_db_meta_get(l->db, "token");
	if (!m->device || !huce_seal_key_valid(m->central) || !m->token)
		return huce_fail(err, HUCE_EUSAGE, _("this laptop has no key of the "
				 "central: enrol it (`huce enroll URL TOKEN` online, "
				 "or `huce enroll FILE` with the office's enrolment "
				 "file)"));
	m->install = huce_outbox_install_id(l, err);
	if (!m->install)
		return err->code ? err->code : HUCE_EDB;
	rc = huce_stick_keys(l, m->pk, err);
	if (rc)
		return rc;
	m->sk = huce_db_meta_get(l->db, "stick_sk");
	if (!huce_seal_key_valid(m->sk))
		return huce_fail(err, HUCE_EDB, _("this laptop's stick key is damaged"));
	return HUCE_OK;
}

/* Seal and write one part of export e; its entry (file, sha256) into arr. */
static enum huce_err put_part(const struct me *m, const char *folder,
			      int64_t e, const char *part, const void *body,
			      size_t n, cJSON *entry, struct huce_error *err)
{
	char name[96], sha[HUCE_SHA256_HEX_LEN + 1];
	cJSON *b = huce_stick_binding(m->central, m->device, "up", e, part);
	enum huce_err rc;

	if (!b)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (strcmp(part, "manifest") == 0)
		snprintf(name, sizeof(name), "up-%lld.huce", (long long)e);
	else
		snprintf(name, sizeof(name), "up-%lld-%s.huce", (long long)e, part);
	rc = huce_stick_write(folder, name, m->pk, m->sk, m->central, b, body, n,
			      sha, err);
	cJSON_Delete(b);
	if (!rc && entry && (!cJSON_AddStringToObject(entry, "file", name) ||
			     !cJSON_AddStringToObject(entry, "sha256", sha)))
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	return rc;
}

static enum huce_err export_batches(struct huce_local *l, const struct me *m,
				    const char *folder, int64_t e, cJSON *arr,
				    struct huce_stick_stats *st,
				    struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	int64_t after = huce_db_meta_int(l->db, "acked_seq", 0);
	enum huce_err rc = HUCE_OK;

	for (;;) {
		int64_t first, last, count;
		char part[32];
		cJSON *o;

		rc = huce_outbox_payload(l, after, BATCH_RAW, &payload, &first,
					 &last, &count, err);
		if (rc || count == 0)
			break;
		huce_buf_reset(&batch);
		rc = huce_batch_encode(m->device, (uint64_t)first, (uint64_t)last,
				       (uint32_t)count, payload.data, payload.len,
				       9, &batch, err);
		if (rc)
			break;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			break;
		}
		snprintf(part, sizeof(part), "b%lld", (long long)st->batches + 1);
		rc = put_part(m, folder, e, part, batch.data, batch.len, o, err);
		if (rc)
			break;
		cJSON_AddNumberToObject(o, "first", (double)first);
		cJSON_AddNumberToObject(o, "last", (double)last);
		cJSON_AddNumberToObject(o, "count", (double)count);
		st->batches++;
		st->entries += count;
		after = last;
	}
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	return rc;
}

/*
 * The photos the central does not have as far as this laptop knows.  A
 * photo whose original is gone or changed is left out with a warning
 * (it stays "not uploaded" in status), as `huce sync` does.
 */
static enum huce_err export_photos(struct huce_local *l, const struct me *m,
				   const char *folder, int64_t e, cJSON *arr,
				   struct huce_stick_stats *st,
				   struct huce_error *err)
{
	sqlite3_stmt *q = huce_db_query(l->db, err,
		"SELECT sha256, path FROM photo_file WHERE uploaded = 0 ORDER BY rowid", "");
	struct huce_buf bytes;
	cJSON *list = cJSON_CreateArray();
	const cJSON *it;
	enum huce_err rc = HUCE_OK;
	int s;

	if (!q) {
		cJSON_Delete(list);
		return err->code;
	}
	while (list && (s = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *pair = cJSON_CreateArray();

		cJSON_AddItemToArray(pair, cJSON_CreateString((const char *)sqlite3_column_text(q, 0)));
		cJSON_AddItemToArray(pair, cJSON_CreateString((const char *)sqlite3_column_text(q, 1)));
		cJSON_AddItemToArray(list, pair);
	}
	sqlite3_reset(q);
	if (!list)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	cJSON_ArrayForEach(it, list) {
		const char *sha = cJSON_GetStringValue(cJSON_GetArrayItem(it, 0));
		const char *path = cJSON_GetStringValue(cJSON_GetArrayItem(it, 1));
		struct huce_error ferr = { 0 };
		char got[HUCE_SHA256_HEX_LEN + 1], part[32];
		cJSON *o;

		if (!sha || !path)
			continue;
		if (huce_file_read(path, PHOTO_MAX, &bytes, &ferr)) {
			huce_warn(_("photo %.12s: the original '%s' cannot be read: %s"),
				  sha, path, ferr.msg);
			huce_buf_release(&bytes);
			continue;
		}
		huce_sha256_hex(bytes.data ? bytes.data : "", bytes.len, got);
		if (strcmp(got, sha) != 0) {
			huce_warn(_("photo %.12s: '%s' no longer matches its SHA-256 "
				  "(changed after it was recorded?)"), sha, path);
			huce_buf_release(&bytes);
			continue;
		}
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			huce_buf_release(&bytes);
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
			break;
		}
		snprintf(part, sizeof(part), "p%lld", (long long)st->photos + 1);
		rc = put_part(m, folder, e, part, bytes.data, bytes.len, o, err);
		if (!rc && (!cJSON_AddStringToObject(o, "photo", sha) ||
			    !cJSON_AddNumberToObject(o, "size", (double)bytes.len)))
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		huce_buf_release(&bytes);
		if (rc)
			break;
		st->photos++;
	}
	cJSON_Delete(list);
	return rc;
}

/*
 * Take the next export's number and this laptop's clock (an HLC, so
 * each export's is above the last one's and above every entry written
 * before it), in one transaction.  The clock names the export: the
 * office refuses one older than the newest it took from this laptop (a
 * replayed stick), and a reply answers export E only if it carries E's
 * clock, kept here in meta stick_clocks ({"E": clock}, the last
 * STICK_CLOCKS exports): a reply to an export of the copy this file was
 * restored from, which had the same number, is not this file's.
 */
static enum huce_err take_export(struct huce_local *l, int64_t *e, char *clock,
				 struct huce_error *err)
{
	char *old = NULL, *text = NULL, num[24];
	cJSON *clocks = NULL;
	enum huce_err rc = huce_local_begin(l, err);

	if (rc)
		return rc;
	*e = huce_db_meta_int(l->db, "stick_export", 0) + 1;
	huce_hlc_format(huce_local_tick(l), clock);
	old = huce_db_meta_get(l->db, "stick_clocks");
	clocks = old ? cJSON_Parse(old) : NULL;
	if (!cJSON_IsObject(clocks)) {
		cJSON_Delete(clocks);
		clocks = cJSON_CreateObject();
	}
	while (clocks && cJSON_GetArraySize(clocks) >= STICK_CLOCKS)
		cJSON_Delete(cJSON_DetachItemViaPointer(clocks, clocks->child));
	snprintf(num, sizeof(num), "%lld", (long long)*e);
	cJSON_DeleteItemFromObject(clocks, num);
	if (!clocks || !cJSON_AddStringToObject(clocks, num, clock) ||
	    !(text = cJSON_PrintUnformatted(clocks)))
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (!rc)
		rc = huce_db_meta_set_int(l->db, "stick_export", *e, err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "stick_clocks", text, err);
	if (!rc)
		rc = huce_local_commit(l, err);
	if (rc)
		huce_local_rollback(l);
	free(old);
	free(text);
	cJSON_Delete(clocks);
	return rc;
}

/*
 * Whether this laptop can take the reply's own records as stubs
 * (PROTOCOL.md 2.2): not while it holds a quarantined entry (the stub
 * check refuses a record with one), nor after it refused a stub of a
 * reply (meta stick_whole, until a reply is applied whole).  A stick
 * cannot ask again for a page in full, as a pull does.
 */
static int stubs_ok(struct huce_local *l)
{
	return !huce_db_meta_int(l->db, "stick_whole", 0) &&
	       huce_local_count(l, "SELECT EXISTS (SELECT 1 FROM outbox "
				"WHERE state = 'quarantined')") == 0;
}

enum huce_err huce_stick_export(struct huce_local *l, const char *dir,
				struct huce_stick_stats *st,
				struct huce_error *err)
{
	struct huce_buf z = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	struct me m;
	cJSON *man = NULL, *batches, *photos;
	char *text = NULL, now[21], clock[HUCE_HLC_STRLEN + 1];
	int64_t e;
	enum huce_err rc;

	memset(st, 0, sizeof(*st));
	rc = me_load(l, &m, err);
	if (!rc)
		rc = huce_stick_folder(dir, m.device, 1, st->folder,
				       sizeof(st->folder), err);
	if (rc)
		goto out;
	/* The number and the clock are taken first: a cut export never reuses them. */
	rc = take_export(l, &e, clock, err);
	if (rc)
		goto out;
	st->export_no = e;
	man = cJSON_CreateObject();
	batches = cJSON_AddArrayToObject(man, "batches");
	photos = cJSON_AddArrayToObject(man, "photos");
	if (!man || !batches || !photos) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	rc = export_batches(l, &m, st->folder, e, batches, st, err);
	if (!rc)
		rc = export_photos(l, &m, st->folder, e, photos, st, err);
	if (rc)
		goto out;
	huce_iso_time((int64_t)time(NULL), now);
	if (!cJSON_AddStringToObject(man, "device", m.device) ||
	    !cJSON_AddStringToObject(man, "install_id", m.install) ||
	    !cJSON_AddStringToObject(man, "token", m.token) ||
	    !cJSON_AddNumberToObject(man, "export", (double)e) ||
	    !cJSON_AddNumberToObject(man, "acked",
		(double)huce_db_meta_int(l->db, "acked_seq", 0)) ||
	    !cJSON_AddNumberToObject(man, "cursor",
		(double)huce_db_meta_int(l->db, "cursor", 0)) ||
	    !cJSON_AddStringToObject(man, "clock", clock) ||
	    !cJSON_AddBoolToObject(man, "stubs", stubs_ok(l)) ||
	    !cJSON_AddStringToObject(man, "written_at", now) ||
	    !(text = cJSON_PrintUnformatted(man))) {
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	rc = huce_deflate(text, strlen(text), 9, &z);
	if (rc) {
		rc = huce_fail(err, rc, _("the manifest is too large"));
		goto out;
	}
	rc = put_part(&m, st->folder, e, "manifest", z.data, z.len, NULL, err);
	if (rc)
		goto out;
	rc = huce_db_meta_set(l->db, "stick_exported_at", now, err);
	/* The new round is on the stick: the older one's files can go. */
	huce_stick_prune(st->folder, "up", e);
out:
	if (text) {
		memset(text, 0, strlen(text));	/* it holds the token */
		free(text);
	}
	cJSON_Delete(man);
	huce_buf_release(&z);
	me_release(&m);
	return rc;
}

/* Read and inflate a JSON part of the reply. */
static enum huce_err read_json_part(const struct me *m, const char *folder,
				    int64_t e, const char *part,
				    const char *want_sha, cJSON **out,
				    struct huce_error *err)
{
	struct huce_buf body = HUCE_BUF_INIT(HUCE_STICK_PART_MAX);
	struct huce_buf raw = HUCE_BUF_INIT(HUCE_STICK_JSON_MAX);
	char name[96];
	enum huce_err rc;

	*out = NULL;
	if (strcmp(part, "manifest") == 0)
		snprintf(name, sizeof(name), "down-%lld.huce", (long long)e);
	else
		snprintf(name, sizeof(name), "down-%lld-%s.huce", (long long)e, part);
	rc = huce_stick_read(folder, name, want_sha, m->pk, m->sk, m->central,
			     NULL, m->central, m->device, "down", e, part, &body, err);
	if (!rc) {
		rc = huce_inflate_bounded(body.data, body.len, HUCE_STICK_JSON_MAX,
					  &raw, err);
		if (rc)
			rc = huce_fail(err, HUCE_EINVAL, _("'%s/%s': its body does not "
				       "inflate"), folder, name);
	}
	if (!rc) {
		*out = cJSON_ParseWithLength(raw.data, raw.len);
		if (!cJSON_IsObject(*out)) {
			cJSON_Delete(*out);
			*out = NULL;
			rc = huce_fail(err, HUCE_EINVAL, _("'%s/%s' is not JSON"), folder, name);
		}
	}
	huce_buf_release(&body);
	huce_buf_release(&raw);
	return rc;
}

/* Whether export e of this laptop's file had clock (its meta stick_clocks). */
static int export_is_mine(struct huce_local *l, int64_t e, const char *clock)
{
	char *text = huce_db_meta_get(l->db, "stick_clocks"), num[24];
	cJSON *clocks = text ? cJSON_Parse(text) : NULL;
	const char *mine;
	int ok;

	snprintf(num, sizeof(num), "%lld", (long long)e);
	mine = cJSON_GetStringValue(cJSON_GetObjectItem(clocks, num));
	ok = mine && clock && strcmp(mine, clock) == 0;
	cJSON_Delete(clocks);
	free(text);
	return ok;
}

/* Leave out of page the changes at or below cursor: this laptop has them. */
static void drop_seen(cJSON *page, int64_t cursor)
{
	cJSON *changes = cJSON_GetObjectItem(page, "changes");
	cJSON *ch = changes ? changes->child : NULL;

	while (ch) {
		cJSON *next = ch->next;

		if (huce_wire_int(cJSON_GetObjectItem(ch, "version")) <= cursor)
			cJSON_Delete(cJSON_DetachItemViaPointer(changes, ch));
		ch = next;
	}
}

enum huce_err huce_stick_import(struct huce_local *l, const char *dir,
				struct huce_stick_stats *st,
				struct huce_error *err)
{
	struct me m;
	cJSON *man = NULL, *page = NULL;
	const cJSON *pages, *p;
	int64_t e, n = 0;
	char now[21], part[32];
	enum huce_err rc;

	memset(st, 0, sizeof(*st));
	rc = me_load(l, &m, err);
	if (!rc)
		rc = huce_stick_folder(dir, m.device, 0, st->folder,
				       sizeof(st->folder), err);
	if (rc)
		goto out;
	e = huce_stick_newest(st->folder, "down");
	if (!e) {
		rc = huce_fail(err, HUCE_ENOTFOUND, _("no reply for this laptop in '%s' "
			       "(has the town office imported the stick?)"), st->folder);
		goto out;
	}
	st->export_no = e;
	rc = read_json_part(&m, st->folder, e, "manifest", NULL, &man, err);
	if (rc)
		goto out;
	if (e > huce_db_meta_int(l->db, "stick_export", 0)) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s/down-%lld.huce' answers export "
			       "%lld, which this laptop never wrote"), st->folder,
			       (long long)e, (long long)e);
		goto out;
	}
	if (e <= huce_db_meta_int(l->db, "stick_applied", 0)) {
		st->already = 1;
		goto out;
	}
	pages = cJSON_GetObjectItem(man, "pages");
	if (!cJSON_IsArray(pages) || !cJSON_IsArray(cJSON_GetObjectItem(man, "photos")) ||
	    huce_wire_int(cJSON_GetObjectItem(man, "acked")) < 0) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s/down-%lld.huce' is not a reply"),
			       st->folder, (long long)e);
		goto out;
	}
	if (!export_is_mine(l, e, cJSON_GetStringValue(cJSON_GetObjectItem(man, "clock")))) {
		rc = huce_fail(err, HUCE_EINVAL, _("'%s/down-%lld.huce' answers an export "
			       "%lld that this laptop's file did not write (was it "
			       "restored from a backup, or the reply is that old?): "
			       "it is left as it is; take a new export to the office"),
			       st->folder, (long long)e, (long long)e);
		goto out;
	}
	/* Every page is checked before anything is applied. */
	cJSON_ArrayForEach(p, pages) {
		snprintf(part, sizeof(part), "c%lld", (long long)++n);
		rc = read_json_part(&m, st->folder, e, part,
				    cJSON_GetStringValue(cJSON_GetObjectItem(p, "sha256")),
				    &page, err);
		cJSON_Delete(page);
		page = NULL;
		if (rc)
			goto out;
	}
	/* The acknowledgement, as the answers of an online push. */
	{
		const cJSON *probe = cJSON_GetObjectItem(man, "probe");
		const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(probe, "hwm_hlc"));
		const char *ah = cJSON_GetStringValue(cJSON_GetObjectItem(man, "acked_hlc"));

		st->acked = huce_wire_int(cJSON_GetObjectItem(man, "acked"));
		rc = huce_outbox_answer(l, huce_wire_int(cJSON_GetObjectItem(probe, "hwm")),
					ph && strlen(ph) == HUCE_HLC_STRLEN ? ph : "",
					st->acked, ah && strlen(ah) == HUCE_HLC_STRLEN ? ah : "",
					cJSON_GetObjectItem(man, "rejected"),
					huce_wire_int(cJSON_GetObjectItem(man, "expected")),
					&st->quarantined, err);
		if (rc)
			goto out;
		st->acked = huce_db_meta_int(l->db, "acked_seq", 0);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(man, "photos")) {
		const char *sha = cJSON_GetStringValue(p);

		if (!sha || strlen(sha) != HUCE_SHA256_HEX_LEN)
			continue;
		rc = huce_db_run(l->db, err,
			"UPDATE photo_file SET uploaded = 1 WHERE sha256 = ?1", "s", sha);
		if (rc)
			goto out;
		st->photos_at_central += sqlite3_changes(huce_db_handle(l->db));
	}
	for (int64_t k = 1; k <= n; k++) {
		int64_t cursor = huce_db_meta_int(l->db, "cursor", 0);
		int refused = 0;

		snprintf(part, sizeof(part), "c%lld", (long long)k);
		rc = read_json_part(&m, st->folder, e, part,
				    cJSON_GetStringValue(cJSON_GetObjectItem(
					    cJSON_GetArrayItem(pages, (int)k - 1), "sha256")),
				    &page, err);
		if (rc)
			goto out;
		/* A later sync or an earlier reply went further: skip. */
		if (huce_wire_int(cJSON_GetObjectItem(page, "next")) > cursor) {
			drop_seen(page, cursor);
			rc = huce_outbox_apply_page(l, page, &st->pulled, &refused, err);
		}
		cJSON_Delete(page);
		page = NULL;
		if (rc)
			goto out;
		if (refused) {
			/*
			 * A stub this laptop cannot check (PROTOCOL.md 2.2): a
			 * pull asks for the page again in full; a stick cannot,
			 * so the cursor stays before it, and the next export
			 * asks for whole records from there.
			 */
			huce_warn(_("the reply holds a record of this laptop's that it "
				    "cannot check (a stub): %lld of its %lld pages are "
				    "left for the next round, which brings them whole"),
				  (long long)(n - k + 1), (long long)n);
			st->left = n - k + 1;
			break;
		}
	}
	huce_iso_time((int64_t)time(NULL), now);
	rc = huce_db_begin(l->db, err);
	if (!rc) {
		rc = huce_db_meta_set_int(l->db, "stick_whole", st->left ? 1 : 0, err);
		if (!rc)
			rc = huce_db_meta_set_int(l->db, "stick_applied", e, err);
		if (!rc)
			rc = huce_db_meta_set(l->db, "last_sync", now, err);
		if (!rc)
			rc = huce_db_commit(l->db, err);
		if (rc)
			huce_db_rollback(l->db);
	}
out:
	cJSON_Delete(page);
	cJSON_Delete(man);
	me_release(&m);
	return rc;
}

cJSON *huce_stick_status(struct huce_local *l)
{
	cJSON *o = cJSON_CreateObject();
	char *key = huce_db_meta_get(l->db, "central_key");
	char *at = huce_db_meta_get(l->db, "stick_exported_at");
	int64_t e = huce_db_meta_int(l->db, "stick_export", 0);
	int64_t a = huce_db_meta_int(l->db, "stick_applied", 0);

	if (o) {
		cJSON_AddBoolToObject(o, "enrolled", huce_seal_key_valid(key));
		cJSON_AddNumberToObject(o, "pending", (double)huce_local_count(l,
			"SELECT count(*) FROM outbox WHERE state = 'pending'"));
		cJSON_AddNumberToObject(o, "photos", (double)huce_local_count(l,
			"SELECT count(*) FROM photo_file WHERE uploaded = 0"));
		if (e)
			cJSON_AddNumberToObject(o, "last_export", (double)e);
		else
			cJSON_AddNullToObject(o, "last_export");
		if (at)
			cJSON_AddStringToObject(o, "exported_at", at);
		else
			cJSON_AddNullToObject(o, "exported_at");
		if (a)
			cJSON_AddNumberToObject(o, "reply_applied", (double)a);
		else
			cJSON_AddNullToObject(o, "reply_applied");
	}
	free(key);
	free(at);
	return o;
}
