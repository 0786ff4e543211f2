/*
 * photos.c - `huce-syncd admin --store S photos [--missing] [--json]
 * [--blobs DIR]`: the photo records the central has, and whether their
 * bytes have arrived.
 *
 * Records travel before photos (DESIGN.md section 3): a photo record may
 * reach the central days before its bytes, which the laptop that took it
 * sends at a later sync (or never, when it was lost).  Acceptance rests
 * on the photos, so the office must see which ones it does not have yet
 * and whose laptop holds them.  A photo has arrived when its blob is
 * complete in the blob folder (blobs.h); a partial upload shows how much
 * came.
 */
#include "photos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "huce_i18n.h"
#include "huce_record.h"

struct scan {
	struct blob_store *blobs;
	cJSON *rows;
	int missing_only;
	int n, missing;
};

static enum huce_err photo_row(void *arg, const struct store_record *r,
			       const cJSON *fields)
{
	struct scan *sc = arg;
	const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "sha256"));
	const cJSON *size = cJSON_GetObjectItem(fields, "size");
	uint64_t have = 0;
	int complete = 0;
	cJSON *o;

	if (sha && sc->blobs && blob_name_valid(sha))
		blob_state(sc->blobs, sha, &have, &complete, NULL);
	sc->n++;
	if (!complete)
		sc->missing++;
	if (sc->missing_only && complete)
		return HUCE_OK;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(sc->rows, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddItemToObject(o, "owner",
		cJSON_Duplicate(cJSON_GetObjectItem(fields, "owner_id"), 1));
	cJSON_AddItemToObject(o, "kind", cJSON_Duplicate(cJSON_GetObjectItem(fields, "kind"), 1));
	cJSON_AddItemToObject(o, "sha256", cJSON_Duplicate(cJSON_GetObjectItem(fields, "sha256"), 1));
	cJSON_AddItemToObject(o, "bytes", size ? cJSON_Duplicate(size, 1) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "device", r->created_by);
	cJSON_AddBoolToObject(o, "arrived", complete);
	cJSON_AddNumberToObject(o, "received", (double)have);
	return HUCE_OK;
}

int admin_photos(struct store *s, const char *spec, const char *actor,
		 int argc, char **argv)
{
	struct blob_store blobs = { 0 };
	struct huce_error err = { 0 };
	struct scan sc = { 0 };
	const char *dir = NULL;
	char dflt[4200], detail[64];
	int json = 0, ret = 0;
	enum huce_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--missing") == 0) {
			sc.missing_only = 1;
		} else if (strcmp(argv[i], "--blobs") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else {
			fprintf(stderr, _("huce-syncd admin: photos [--missing] [--json] "
					  "[--blobs DIR]: unexpected argument '%s'\n"), argv[i]);
			return 2;
		}
	}
	if (!dir && strncmp(spec, "postgres", 8) != 0) {
		snprintf(dflt, sizeof(dflt), "%s.blobs", spec);
		dir = dflt;
	}
	if (dir && blob_store_init(&blobs, dir, &err)) {
		fprintf(stderr, "huce-syncd admin: %s\n", err.msg);
		return huce_err_exit(err.code);
	}
	sc.blobs = dir ? &blobs : NULL;
	sc.rows = cJSON_CreateArray();
	rc = sc.rows ? store_begin(s, 0, &err) : HUCE_ENOMEM;
	if (!rc) {
		rc = store_scan_kind(s, "photo", 0, photo_row, &sc, &err);
		if (rc)
			store_rollback(s);
		else
			rc = store_commit(s, &err);
	}
	if (rc) {
		fprintf(stderr, "huce-syncd admin: %s\n",
			err.msg[0] ? err.msg : _(huce_err_text(rc)));
		ret = huce_err_exit(rc);
		goto out;
	}
	if (json) {
		char *text = cJSON_Print(sc.rows);

		if (text)
			printf("%s\n", text);
		free(text);
	} else {
		const cJSON *o;

		printf(_("id\tkind\towner\tdevice\tbytes\tarrived\n"));
		cJSON_ArrayForEach(o, sc.rows) {
			const cJSON *b = cJSON_GetObjectItem(o, "bytes");

			printf("%s\t%s\t%s\t%s\t%.0f\t%s", cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")),
			       cJSON_IsString(cJSON_GetObjectItem(o, "kind")) ?
				       huce_value_text("photo", cJSON_GetObjectItem(o, "kind")->valuestring) : "-",
			       cJSON_IsString(cJSON_GetObjectItem(o, "owner")) ?
				       cJSON_GetObjectItem(o, "owner")->valuestring : "-",
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "device")),
			       cJSON_IsNumber(b) ? b->valuedouble : 0,
			       cJSON_IsTrue(cJSON_GetObjectItem(o, "arrived")) ? _("yes") : _("not yet"));
			if (!cJSON_IsTrue(cJSON_GetObjectItem(o, "arrived")) &&
			    cJSON_GetNumberValue(cJSON_GetObjectItem(o, "received")) > 0)
				printf(_(" (%.0f bytes so far)"),
				       cJSON_GetNumberValue(cJSON_GetObjectItem(o, "received")));
			putchar('\n');
		}
		printf(Q_("%d photo, %d not arrived", "%d photos, %d not arrived", sc.n),
		       sc.n, sc.missing);
		printf("%s\n", sc.blobs ? "" : _(" (no photo folder: --blobs DIR)"));
	}
	snprintf(detail, sizeof(detail), "%d photos, %d missing", sc.n, sc.missing);
	store_audit(s, actor, "photos", detail, NULL);
out:
	cJSON_Delete(sc.rows);
	if (dir)
		blob_store_release(&blobs);
	return ret;
}
