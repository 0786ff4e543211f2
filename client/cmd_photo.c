/*
 * cmd_photo.c - `huce photo add|list|get|delete|import`.
 *
 * The photo itself is common/huce_photo.c's: checked, turned upright,
 * shrunk, its time and GPS read, kept under its SHA-256 in the folder
 * beside the database.  Here are only the commands: parse, resolve the
 * owner, one transaction, print.  `photo get` fetches bytes from the
 * central through the network module (huce_net.h), as sync does.
 */
#include "client.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "huce_code.h"
#include "huce_crypto.h"
#include "huce_db.h"
#include "huce_file.h"
#include "huce_id.h"
#include "huce_net.h"
#include "huce_photo.h"
#include "huce_record.h"
#include "huce_util.h"

static const char photo_usage[] =
N_("usage: huce photo add HOUSEHOLD|INSPECTION FILE --kind KIND\n"
"       huce photo list HOUSEHOLD|INSPECTION [--json]\n"
"       huce photo get SHA256 [--out FILE]\n"
"       huce photo delete ID\n"
"       huce photo import DIR [--yes] [--within METRES] [--json]\n"
"KIND: before, excavation, tank, water-test, room, pan, vent, cover, plaque,\n"
"after.  A photo must be a JPEG (PNG/HEIC: export it as JPEG first).  The\n"
"laptop keeps its own copy (long edge at most 1600 px, turned upright, only\n"
"the time and GPS kept), so the original may be deleted at once; the copy is\n"
"what is uploaded, after the records.  The same picture added twice is one\n"
"photo.  `add` prints the photo id last.\n");

/* The folder of kept copies; prints the error and returns NULL on OOM. */
static char *store_dir(struct cli *c)
{
	char *dir = huce_photo_store_dir(c->db_path);

	if (!dir)
		cli_error(HUCE_ENOMEM, _("out of memory"));
	return dir;
}

static void print_kept(const struct huce_photo *p)
{
	printf(_("kept %d x %d, %lld bytes (camera file %lld bytes)"), p->width, p->height,
	       (long long)p->bytes, (long long)p->original_bytes);
	if (p->taken_at[0])
		printf(_(", taken %s"), p->taken_at);
	if (p->gps[0])
		printf(_(", at %s"), p->gps);
	putchar('\n');
}

static int photo_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind = NULL;
	struct huce_photo ph = { 0 };
	char owner[HUCE_ID_STRLEN + 1], id[HUCE_ID_STRLEN + 1];
	enum huce_err rc;
	int ch, r, existed = 0;

	while ((ch = cli_getopt(argc, argv, opts, NULL, photo_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'k')
			kind = optarg;
	}
	if (optind + 2 != argc || !kind)
		return cli_usage(photo_usage, _("photo add takes an owner, a FILE and --kind"));
	if (huce_enum_index(huce_photo_kinds, kind) < 0)
		return cli_error(HUCE_EINVAL,
				 _("photo kind '%s' is not one of: before, excavation, tank, "
				 "water-test, room, pan, vent, cover, plaque, after"), kind);
	/* Refuse a bad file before the database is even opened. */
	rc = huce_photo_prepare(argv[optind + 1], &ph, &c->err);
	if (rc) {
		huce_photo_release(&ph);
		return cli_fail(c, rc);
	}
	r = cli_open(c);
	if (!r && cli_find_id(c, "household", argv[optind], owner) != 0 &&
	    cli_find_id(c, "inspection", argv[optind], owner) != 0)
		r = cli_error(HUCE_ENOTFOUND, _("no household or inspection '%s'"), argv[optind]);
	if (r) {
		huce_photo_release(&ph);
		return r;
	}
	rc = huce_local_begin(c->l, &c->err);
	if (!rc)
		rc = cli_photo_put(c, owner, kind, &ph, id, &existed);
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	if (rc) {
		huce_local_rollback(c->l);
		huce_photo_release(&ph);
		return cli_fail(c, rc);
	}
	if (existed)
		printf(_("photo %s %s already attached: nothing added\n"), kind, ph.sha256);
	else
		printf(_("photo %s %s\n"), kind, ph.sha256);
	print_kept(&ph);
	printf("%s\n", id);
	huce_photo_release(&ph);
	return 0;
}

/* One row of `photo list` as JSON (the keys of DESIGN 6.1 and more). */
static cJSON *list_row(sqlite3_stmt *st, const char *dir)
{
	static const char *const text_keys[] = {
		"id", "sha256", "kind", "owner", "taken_at", "gps", "date_flag",
	};
	static const char *const int_keys[] = {
		"width", "height", "bytes", "camera_bytes",
	};
	cJSON *o = cJSON_CreateObject();
	char path[4200];
	struct stat sb;
	int col = 0;

	for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++, col++) {
		const char *v = (const char *)sqlite3_column_text(st, col);

		if (v)
			cJSON_AddStringToObject(o, text_keys[i], v);
		else
			cJSON_AddNullToObject(o, text_keys[i]);
	}
	for (size_t i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++, col++) {
		if (sqlite3_column_type(st, col) == SQLITE_NULL)
			cJSON_AddNullToObject(o, int_keys[i]);
		else
			cJSON_AddNumberToObject(o, int_keys[i],
						(double)sqlite3_column_int64(st, col));
	}
	/* uploaded: null for a photo another laptop added (pulled here) */
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "uploaded");
	else
		cJSON_AddBoolToObject(o, "uploaded", sqlite3_column_int(st, col));
	/* here: this laptop has the bytes (else `huce photo get`) */
	cJSON_AddBoolToObject(o, "here",
		huce_photo_path(dir, cJSON_GetStringValue(cJSON_GetObjectItem(o, "sha256")),
				path, sizeof(path)) == 0 && stat(path, &sb) == 0);
	return o;
}

static const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s ? s : dflt;
}

static int photo_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	char owner[HUCE_ID_STRLEN + 1];
	sqlite3_stmt *st;
	cJSON *arr;
	char *dir;
	int json = 0, ch, r, s;

	while ((ch = cli_getopt(argc, argv, opts, &json, photo_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(photo_usage, _("photo list takes one HOUSEHOLD or INSPECTION"));
	r = cli_open(c);
	if (r)
		return r;
	if (cli_find_id(c, "household", argv[optind], owner) != 0 &&
	    cli_find_id(c, "inspection", argv[optind], owner) != 0)
		return cli_error(HUCE_ENOTFOUND, _("no household or inspection '%s'"), argv[optind]);
	dir = store_dir(c);
	if (!dir)
		return 1;
	/* A household's photos are its own and its inspections'. */
	st = huce_db_query(c->l->db, &c->err,
		"SELECT p.id, p.sha256, p.kind, p.owner_id, p.taken_at, p.gps, p.date_flag, "
		"p.width, p.height, p.size, p.camera_bytes, f.uploaded "
		"FROM photo p LEFT JOIN photo_file f ON f.sha256 = p.sha256 "
		"WHERE p.deleted = 0 AND (p.owner_id = ?1 OR p.owner_id IN "
		"(SELECT id FROM inspection WHERE household_id = ?1)) "
		"ORDER BY p.id", "s", owner);
	if (!st) {
		free(dir);
		return cli_fail(c, c->err.code);
	}
	arr = cJSON_CreateArray();
	if (!json)
		printf(_("code\tkind\tpixels\tbytes\ttaken_at\tgps\tuploaded\n"));
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = list_row(st, dir);
		const cJSON *up = cJSON_GetObjectItem(o, "uploaded");
		char code[HUCE_CODE_STRLEN + 1];

		/* the short code (huce_code.h), as household show gives it;
		 * the text's first column, which photo delete takes */
		if (huce_code_of(huce_db_handle(c->l->db), "photo",
				 str_or(o, "id", ""), code, NULL))
			code[0] = '\0';
		cJSON_AddStringToObject(o, "code", code);

		if (json) {
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		printf("%s\t%s\t%gx%g\t%g\t%s\t%s\t%s%s", code[0] ? code : "?",
		       huce_value_text("photo", str_or(o, "kind", "")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(o, "width")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(o, "height")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(o, "bytes")),
		       str_or(o, "taken_at", "-"), str_or(o, "gps", "-"),
		       cJSON_IsNull(up) ? "-" : cJSON_IsTrue(up) ? _("yes") : _("no"),
		       cJSON_IsTrue(cJSON_GetObjectItem(o, "here")) ? "" : _(" (not here: photo get)"));
		if (strcmp(str_or(o, "date_flag", ""), "before") == 0)
			printf("%s", _(" (taken long before the inspection)"));
		else if (strcmp(str_or(o, "date_flag", ""), "after") == 0)
			printf("%s", _(" (taken long after the inspection)"));
		else if (cJSON_GetStringValue(cJSON_GetObjectItem(o, "date_flag")))
			printf(" (taken long %s the inspection)", str_or(o, "date_flag", ""));
		putchar('\n');
		cJSON_Delete(o);
	}
	sqlite3_reset(st);
	free(dir);
	if (json)
		cli_print_json(arr);
	cJSON_Delete(arr);
	if (s != SQLITE_DONE)
		return cli_error(HUCE_EDB, _("cannot list photos"));
	return 0;
}

static int photo_delete(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	char id[HUCE_ID_STRLEN + 1], sha[65] = "", path[4200] = "";
	sqlite3_stmt *st;
	enum huce_err rc;
	int ch, r, others = 0, uploaded = 0, had_file = 0;
	char *dir;

	while ((ch = cli_getopt(argc, argv, opts, NULL, photo_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(photo_usage, _("photo delete takes one photo ID"));
	r = cli_open(c);
	if (!r)
		r = cli_resolve_id(c, "photo", argv[optind], id);
	if (r)
		return r;
	dir = store_dir(c);
	if (!dir)
		return 1;
	rc = huce_local_begin(c->l, &c->err);
	st = rc ? NULL : huce_db_query(c->l->db, &c->err,
		"SELECT p.sha256, coalesce(f.uploaded, 1), f.sha256 IS NOT NULL, "
		"(SELECT count(*) FROM photo q WHERE q.sha256 = p.sha256 AND q.deleted = 0 "
		" AND q.id <> p.id) "
		"FROM photo p LEFT JOIN photo_file f ON f.sha256 = p.sha256 "
		"WHERE p.id = ?1 AND p.deleted = 0", "s", id);
	if (!rc && !st)
		rc = c->err.code;
	if (st) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(sha, sizeof(sha), "%s", sqlite3_column_text(st, 0));
			uploaded = sqlite3_column_int(st, 1);
			had_file = sqlite3_column_int(st, 2);
			others = sqlite3_column_int(st, 3);
		} else {
			rc = huce_fail(&c->err, HUCE_ENOTFOUND, _("photo '%s' is already deleted"), id);
		}
		sqlite3_reset(st);
	}
	if (!rc)
		rc = huce_local_delete(c->l, "photo", id, &c->err);
	/*
	 * Bytes no live photo names and the central never had are never
	 * sent: gone from this laptop with the photo.
	 */
	if (!rc && !others && had_file && !uploaded) {
		rc = huce_db_run(c->l->db, &c->err, "DELETE FROM photo_file WHERE sha256 = ?1",
				 "s", sha);
		if (huce_photo_path(dir, sha, path, sizeof(path)))
			path[0] = '\0';
	}
	if (!rc)
		rc = huce_local_commit(c->l, &c->err);
	free(dir);
	if (rc) {
		huce_local_rollback(c->l);
		return cli_fail(c, rc);
	}
	if (path[0] && unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, _("huce: warning: cannot remove '%s': %s\n"), path, strerror(errno));
	if (path[0])
		printf(_("photo %s deleted; its bytes were never sent and are gone\n"), id);
	else if (others)
		printf(Q_("photo %s deleted; its bytes stay for the other photo of the same picture\n",
			  "photo %s deleted; its bytes stay for the other photos of the same picture\n",
			  others), id);
	else
		printf(_("photo %s deleted; the delete reaches the central at the next sync\n"), id);
	return 0;
}

/*
 * Fetch a photo's bytes from the central, verified by their SHA-256,
 * into the photo folder (so the next sync knows the central has them)
 * and, with --out, into FILE.  Prints the path last.
 */
static int photo_get(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const struct huce_net *net;
	struct huce_sync_opts o = { 0 };
	struct huce_buf b = HUCE_BUF_INIT(0);
	struct huce_photo ph = { 0 };
	const char *out = NULL, *sha;
	char path[4200], *dir = NULL;
	struct stat sb;
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, photo_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'o')
			out = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage(photo_usage, _("photo get takes one SHA256"));
	sha = argv[optind];
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return cli_error(HUCE_EINVAL, _("'%.80s' is not a SHA-256 (64 lower-case hex "
				 "digits, as `huce photo list` shows)"), sha);
	r = cli_open(c);
	if (r)
		return r;
	dir = store_dir(c);
	if (!dir)
		return 1;
	if (huce_photo_path(dir, sha, path, sizeof(path))) {
		free(dir);
		return cli_error(HUCE_EIO, _("photo folder path too long"));
	}
	/* Bytes this laptop has already: from the folder, checked again. */
	if (stat(path, &sb) == 0 && huce_file_read(path, HUCE_PHOTO_MAX_FILE, &b, NULL) == HUCE_OK) {
		char hex[65];

		huce_sha256_hex(b.data, b.len, hex);
		if (strcmp(hex, sha) != 0)
			huce_buf_release(&b);
	} else {
		huce_buf_release(&b);
	}
	if (!b.len) {
		r = cli_net_load(&net);
		if (r)
			goto out;
		rc = net->photo_get(c->l, sha, &o, &b, &c->err);
		if (!rc) {
			ph.jpeg = b;
			memcpy(ph.sha256, sha, 65);
			ph.bytes = (int64_t)b.len;
			rc = huce_photo_store(dir, &ph, &c->err);
			memset(&ph.jpeg, 0, sizeof(ph.jpeg));
		}
		/* the central has it: this laptop never sends it again */
		if (!rc)
			rc = huce_db_run(c->l->db, &c->err,
				"INSERT INTO photo_file(sha256, path, uploaded) VALUES(?1, ?2, 1) "
				"ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, uploaded = 1",
				"ss", sha, path);
		if (rc) {
			r = cli_fail(c, rc);
			goto out;
		}
	}
	if (out && huce_file_write_atomic(out, b.data, b.len, 0644, &c->err)) {
		r = cli_fail(c, HUCE_EIO);
		goto out;
	}
	printf(_("photo %s, %zu bytes, SHA-256 verified\n%s\n"), sha, b.len, out ? out : path);
out:
	huce_buf_release(&b);
	free(dir);
	return r;
}

cJSON *cli_photo_scan_json(const char *path, const struct huce_photo_scan *s,
			   const char *kind)
{
	cJSON *o = cJSON_CreateObject();
	const struct huce_photo_match *m = &s->match;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "file", path);
	if (s->state == HUCE_PHOTO_SCAN_KNOWN) {
		cJSON_AddStringToObject(o, "state", "known");
		return o;
	}
	if (s->state == HUCE_PHOTO_SCAN_REFUSED) {
		cJSON_AddStringToObject(o, "state", "refused");
		cJSON_AddStringToObject(o, "reason", s->reason);
		return o;
	}
	cJSON_AddStringToObject(o, "state", !m->household[0] ? "no-match" :
				m->sure ? "sure" : "unsure");
	cJSON_AddStringToObject(o, "sha256", s->photo.sha256);
	if (s->photo.taken_at[0])
		cJSON_AddStringToObject(o, "taken_at", s->photo.taken_at);
	if (s->photo.gps[0])
		cJSON_AddStringToObject(o, "gps", s->photo.gps);
	if (m->household[0]) {
		cJSON_AddStringToObject(o, "household", m->household);
		cJSON_AddNumberToObject(o, "metres", round(m->metres));
		if (m->inspection[0]) {
			cJSON_AddStringToObject(o, "inspection", m->inspection);
			cJSON_AddStringToObject(o, "stage", m->stage);
		}
		cJSON_AddStringToObject(o, "kind", kind ? kind : m->kind);
	}
	return o;
}

/*
 * A phone's folder: each new JPEG is matched to the nearest household
 * by its EXIF GPS and to that household's inspection on the photo's day
 * (huce_photo_scan_file, as the web app's import grid); with --yes the
 * sure matches are attached.  Photos known by SHA-256 (of the camera
 * file or of the kept copy) are skipped, so the same folder may be
 * imported every week.
 */
static int photo_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "within", required_argument, NULL, 'w' },
		{ "kind", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_photo_folder li = { 0 };
	double within = HUCE_PHOTO_MATCH_METRES;
	const char *kind = NULL;
	cJSON *arr = NULL;
	int json = 0, yes = 0, ch, r = 0;
	size_t nknown = 0, nattached = 0, nsure = 0, nunsure = 0, nnone = 0, nbad = 0;
	enum huce_err rc;

	while ((ch = cli_getopt(argc, argv, opts, &json, photo_usage)) != -1) {
		char *end;

		switch (ch) {
		case '?':
			return 2;
		case 'y':
			yes = 1;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'w':
			within = strtod(optarg, &end);
			if (*end || !(within > 0 && within <= 100000))
				return cli_error(HUCE_EINVAL, _("--within '%s' is not a distance in "
						 "metres (1..100000)"), optarg);
			break;
		}
	}
	if (optind + 1 != argc)
		return cli_usage(photo_usage, _("photo import takes one DIR"));
	if (kind && huce_enum_index(huce_photo_kinds, kind) < 0)
		return cli_error(HUCE_EINVAL,
				 _("photo kind '%s' is not one of: before, excavation, tank, "
				 "water-test, room, pan, vent, cover, plaque, after"), kind);
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_photo_folder_read(argv[optind], &li, &c->err);
	arr = rc ? NULL : cJSON_CreateArray();
	if (rc || !arr) {
		r = rc ? cli_fail(c, rc) : cli_error(HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	for (size_t i = 0; i < li.n; i++) {
		struct huce_photo_scan sc;
		char id[HUCE_ID_STRLEN + 1] = "";
		cJSON *o;

		/* A refused photo's reason is a JSON value: English under --json. */
		struct huce_i18n_scope in_c = { 0 };

		if (json)
			in_c = huce_i18n_c_begin();
		rc = huce_photo_scan_file(c->l, li.paths[i], within, yes, &sc, &c->err);
		huce_i18n_c_end(in_c);
		o = rc ? NULL : cli_photo_scan_json(li.paths[i], &sc, kind);
		if (!o) {
			huce_photo_scan_release(&sc);
			r = rc ? cli_fail(c, rc) : cli_error(HUCE_ENOMEM, _("out of memory"));
			goto out;
		}
		cJSON_AddItemToArray(arr, o);
		if (sc.state == HUCE_PHOTO_SCAN_KNOWN)
			nknown++;
		else if (sc.state == HUCE_PHOTO_SCAN_REFUSED)
			nbad++;
		else if (!sc.match.household[0])
			nnone++;
		else if (sc.match.sure)
			nsure++;
		else
			nunsure++;
		if (yes && sc.state == HUCE_PHOTO_SCAN_NEW && sc.match.sure) {
			int existed = 0;

			rc = huce_local_begin(c->l, &c->err);
			if (!rc)
				rc = cli_photo_put(c, sc.match.inspection[0] ? sc.match.inspection :
						   sc.match.household, kind ? kind : sc.match.kind,
						   &sc.photo, id, &existed);
			if (!rc)
				rc = huce_local_commit(c->l, &c->err);
			if (rc) {
				huce_local_rollback(c->l);
				huce_photo_scan_release(&sc);
				r = cli_fail(c, rc);
				goto out;
			}
			cJSON_ReplaceItemInObject(o, "state", cJSON_CreateString("attached"));
			cJSON_AddStringToObject(o, "photo", id);
			nattached++;
		}
		huce_photo_scan_release(&sc);
	}
	if (json) {
		cli_print_json(arr);
	} else {
		const cJSON *o;

		cJSON_ArrayForEach(o, arr) {
			const char *st = str_or(o, "state", "");

			if (strcmp(st, "known") == 0)
				continue;
			printf("%s\t%s", str_or(o, "file", ""), st);
			if (strcmp(st, "refused") == 0)
				printf("\t%s", str_or(o, "reason", ""));
			else if (cJSON_GetObjectItem(o, "household")) {
				printf("\t%s %s %gm", huce_value_text("photo", str_or(o, "kind", "")),
				       str_or(o, "household", ""),
				       cJSON_GetNumberValue(cJSON_GetObjectItem(o, "metres")));
				if (cJSON_GetObjectItem(o, "inspection"))
					printf(_(" inspection %s"), str_or(o, "inspection", ""));
				else
					printf("%s", _(" (no inspection that day)"));
			} else {
				printf("\t%s", cJSON_GetObjectItem(o, "gps") ?
				       _("no household within reach") : _("no GPS in the photo"));
			}
			putchar('\n');
		}
		printf(Q_("%zu photo: ", "%zu photos: ", li.n), li.n);
		printf(_("%zu already known, %zu attached, %zu sure, %zu unsure, "
			 "%zu without a household, %zu refused; "), nknown, nattached,
		       nsure - (yes ? nattached : 0), nunsure, nnone, nbad);
		printf(Q_("%zu other file (not JPEG)\n", "%zu other files (not JPEG)\n", li.other),
		       li.other);
		if (!yes && nsure)
			printf(Q_("run again with --yes to attach the %zu sure match\n",
				  "run again with --yes to attach the %zu sure matches\n", nsure),
			       nsure);
	}
out:
	huce_photo_folder_release(&li);
	cJSON_Delete(arr);
	return r;
}

int cmd_photo(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *c, int argc, char **argv);
	} subs[] = {
		{ "add", photo_add },
		{ "list", photo_list },
		{ "get", photo_get },
		{ "delete", photo_delete },
		{ "import", photo_import },
	};

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(photo_usage, stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(c, argc - 1, argv + 1);
		}
	}
	return cli_usage(photo_usage, _("expected `photo add`, `list`, `get`, `delete` or `import`"));
}
