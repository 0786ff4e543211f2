/*
 * mergebench.c - the central's merge against the machine's own limits,
 * in one process, on the batches a real push would send (issue 5).
 *
 * From a device store written by huce-bench-gen it builds batches exactly
 * as the agent does (common/huce_outbox.c's huce_outbox_payload and
 * huce_batch_encode; budget 256 KiB raw doubling to 1 MiB), and for each batch
 * times:
 *   - deflate and inflate of the same bytes with plain zlib (the codec's
 *     limit; default level, as the agent uses);
 *   - central_apply_batch() on a real SQLite store (the central's
 *     library): decode, checks, merge, commit;
 *   - the raw insert of the same records into equivalent typed tables
 *     (the laptop's schema: one row per record, a column per field), one
 *     transaction per batch, prepared statements, values bound from
 *     memory (the store's limit);
 *   - the raw insert of the rows the central itself writes for them (one
 *     record row, a field row and a history row per field) into the
 *     central's schema: the limit of its layout.
 * As the central fills it also times a pull page (central_changes of the
 * last 1,000 / 100 / 10,000 changes) at 10k, 100k and 1M stored, which
 * should cost the same at every size.
 *
 *   huce-bench-merge --db DEV.db --dir TMPDIR [--checkpoints 10000,100000,1000000]
 *
 * Prints one JSON object on stdout: totals, per-batch figures and the
 * checkpoints.  The device store is only read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <zlib.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_db.h"
#include "huce_local.h"
#include "huce_outbox.h"
#include "huce_record.h"
#include "store.h"

/* The agent's batch budget (syncd/agent/sync.c): the first, and the largest. */
#define BATCH_RAW_START	(256u << 10)
#define BATCH_RAW_MAX	(1u << 20)

/* The name the device pushes under (sync.c's device_name). */
static char *device_name(struct huce_local *l)
{
	char *d = huce_db_meta_get(l->db, "central_device");

	return d ? d : huce_db_meta_get(l->db, "device");
}

/* CPU seconds (user + system) of this process. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---------------------------------------------------------- raw inserts --- */

#define MAX_STMTS 256

struct raw_stmt {
	const struct huce_kind_def *k;
	uint64_t mask;
	sqlite3_stmt *st;
};

struct raw_db {
	struct huce_db *db;
	struct raw_stmt v[MAX_STMTS];
	int n;
};

/* One value to bind: text (NULL: SQL NULL) or integer. */
struct rval {
	char *text;
	int64_t i;
	int is_int;
};

struct rrow {
	const struct huce_kind_def *k;
	uint64_t mask;		/* fields present, bit = index in k->fields */
	char id[HUCE_ID_STRLEN + 1];
	struct rval v[64];
	int nv;
};

static sqlite3_stmt *raw_stmt(struct raw_db *r, const struct huce_kind_def *k,
			      uint64_t mask)
{
	struct huce_buf sql = HUCE_BUF_INIT(8192);
	int n = 0;

	for (int i = 0; i < r->n; i++)
		if (r->v[i].k == k && r->v[i].mask == mask)
			return r->v[i].st;
	if (r->n == MAX_STMTS)
		return NULL;
	huce_buf_printf(&sql, "INSERT INTO %s(id", k->table);
	for (size_t i = 0; i < k->nfields; i++)
		if (mask & (1ull << i))
			huce_buf_printf(&sql, ", %s", k->fields[i].name);
	huce_buf_addstr(&sql, ") VALUES(?1");
	for (size_t i = 0; i < k->nfields; i++)
		if (mask & (1ull << i))
			huce_buf_printf(&sql, ", ?%d", 2 + n++);
	if (huce_buf_addstr(&sql, ")")) {	/* or any earlier failure: it sticks */
		huce_buf_release(&sql);
		return NULL;
	}
	r->v[r->n].k = k;
	r->v[r->n].mask = mask;
	if (sqlite3_prepare_v3(huce_db_handle(r->db), sql.data, -1,
			       SQLITE_PREPARE_PERSISTENT, &r->v[r->n].st, NULL)) {
		fprintf(stderr, "raw: %s: %s\n", sql.data, sqlite3_errmsg(huce_db_handle(r->db)));
		huce_buf_release(&sql);
		return NULL;
	}
	huce_buf_release(&sql);
	return r->v[r->n++].st;
}

static void rows_release(struct rrow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < rows[i].nv; j++)
			free(rows[i].v[j].text);
	free(rows);
}

/* Turn a batch payload into typed rows (untimed: the limit is SQLite's). */
static struct rrow *payload_rows(const char *json, size_t len, size_t *nrows)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *e;
	struct rrow *rows;
	size_t n = 0;

	*nrows = 0;
	rows = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(root, "entries")) + 1,
		      sizeof(*rows));
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "entries")) {
		const struct huce_kind_def *k =
			huce_kind_find(cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")));
		const cJSON *fields = cJSON_GetObjectItem(e, "fields");
		struct rrow *r = &rows[n];

		if (!k || !rows)
			continue;
		r->k = k;
		snprintf(r->id, sizeof(r->id), "%s",
			 cJSON_GetStringValue(cJSON_GetObjectItem(e, "id")));
		for (size_t i = 0; i < k->nfields && r->nv < 64; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, k->fields[i].name);
			struct rval *rv = &r->v[r->nv];

			if (!v)
				continue;
			r->mask |= 1ull << i;
			if (cJSON_IsNull(v))
				rv->text = NULL;
			else if (k->fields[i].type == HUCE_F_INT) {
				rv->is_int = 1;
				rv->i = (int64_t)v->valuedouble;
			} else if (cJSON_IsString(v))
				rv->text = strdup(v->valuestring);
			else
				rv->text = cJSON_PrintUnformatted(v);
			r->nv++;
		}
		n++;
	}
	cJSON_Delete(root);
	*nrows = n;
	return rows;
}

static int raw_insert(struct raw_db *r, const struct rrow *rows, size_t n)
{
	struct huce_error err = { 0 };

	if (huce_db_begin(r->db, &err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = raw_stmt(r, rows[i].k, rows[i].mask);

		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, rows[i].id, -1, SQLITE_STATIC);
		for (int j = 0; j < rows[i].nv; j++) {
			const struct rval *v = &rows[i].v[j];

			if (v->is_int)
				sqlite3_bind_int64(st, 2 + j, v->i);
			else if (v->text)
				sqlite3_bind_text(st, 2 + j, v->text, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 2 + j);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(huce_db_handle(r->db)));
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	return huce_db_commit(r->db, &err) ? -1 : 0;
}

/*
 * The central's own rows for the same records, in its own schema (the
 * compact layout, schema 0005: a rec row with the fields and their
 * stamps, a ref row per looked-up reference, a hist row per change).
 */
struct craw {
	struct huce_db *db;
	sqlite3_stmt *rec, *fld, *his;
	int64_t version;
};

static const char *const craw_refs[] = {
	"group_id", "team_id", "household_id", "inspection_id", "owner_id", "id_hash", NULL
};

static int craw_open(struct craw *c, const char *path)
{
	struct huce_error err = { 0 };
	sqlite3 *h;

	if (huce_db_open(&c->db, path, "central", &err)) {
		fprintf(stderr, "raw central: %s\n", err.msg);
		return -1;
	}
	h = huce_db_handle(c->db);
	huce_db_exec(c->db, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", &err);
	if (sqlite3_prepare_v3(h, "INSERT INTO rec(id, kind, version, deleted, created_by, "
			       "created_hlc, created_at, dkey, fields, stamps) "
			       "VALUES(?1,?2,?3,0,?4,?5,?6,?7,?8,?9)",
			       -1, SQLITE_PREPARE_PERSISTENT, &c->rec, NULL) ||
	    sqlite3_prepare_v3(h, "INSERT INTO ref(name, value, record_id) VALUES(?1,?2,?3)",
			       -1, SQLITE_PREPARE_PERSISTENT, &c->fld, NULL) ||
	    sqlite3_prepare_v3(h, "INSERT INTO hist(record_id, version, kind, before, after, "
			       "device, hlc, seq, at) VALUES(?1,?2,?3,NULL,?4,?5,?6,?7,?8)",
			       -1, SQLITE_PREPARE_PERSISTENT, &c->his, NULL)) {
		fprintf(stderr, "raw central: %s\n", sqlite3_errmsg(h));
		return -1;
	}
	return 0;
}

static void craw_close(struct craw *c)
{
	sqlite3_finalize(c->rec);
	sqlite3_finalize(c->fld);
	sqlite3_finalize(c->his);
	huce_db_close(c->db);
}

/* One prepared central row set: texts precomputed, untimed. */
struct crow {
	char id[HUCE_ID_STRLEN + 1], kind[32], hlc[HUCE_HLC_STRLEN + 1];
	char *dkey;
	int64_t seq;
	int nf;
	const char *names[64];
	char *values[64];
	char *fields_json;	/* the fields as one JSON object (compact layout) */
};

static struct crow *central_rows(const char *json, size_t len, size_t *nrows)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *e;
	struct crow *rows = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(root, "entries")) + 1,
				   sizeof(*rows));
	size_t n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "entries")) {
		struct crow *r = &rows[n];
		const struct huce_kind_def *k =
			huce_kind_find(cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")));
		const cJSON *f, *fields = cJSON_GetObjectItem(e, "fields");
		const char *a = NULL, *b = NULL;

		if (!k || !rows)
			continue;
		snprintf(r->id, sizeof(r->id), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(e, "id")));
		snprintf(r->kind, sizeof(r->kind), "%s", k->kind);
		snprintf(r->hlc, sizeof(r->hlc), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(e, "hlc")));
		r->seq = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq"));
		if (strcmp(k->kind, "household") == 0) {
			a = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "group_id"));
			b = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "head"));
		} else if (strcmp(k->kind, "inspection") == 0) {
			a = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "household_id"));
			b = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "stage"));
		}
		if (a && b) {
			r->dkey = malloc(strlen(a) + strlen(b) + 2);
			if (r->dkey)
				sprintf(r->dkey, "%s/%s", a, b);
		}
		cJSON_ArrayForEach(f, fields) {
			const struct huce_field_def *fd = huce_field_find(k, f->string);

			if (r->nf == 64 || !fd)
				continue;
			r->names[r->nf] = fd->name;
			r->values[r->nf++] = cJSON_PrintUnformatted(f);
		}
		r->fields_json = cJSON_PrintUnformatted(fields);
		n++;
	}
	cJSON_Delete(root);
	*nrows = n;
	return rows;
}

static void crows_release(struct crow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].dkey);
		free(rows[i].fields_json);
		for (int j = 0; j < rows[i].nf; j++)
			free(rows[i].values[j]);
	}
	free(rows);
}

static int craw_insert(struct craw *c, const struct crow *rows, size_t n,
		       const char *device)
{
	struct huce_error err = { 0 };
	int64_t at = (int64_t)time(NULL);
	char stamps[1024];

	if (huce_db_begin(c->db, &err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		int64_t v = ++c->version;
		int len;

		/* one stamp for all the fields of the creating change */
		len = snprintf(stamps, sizeof(stamps), "{\"s\":[[%lld,\"%s\",\"%s\"]],\"f\":[",
			       (long long)v, r->hlc, device);
		for (int j = 0; j < r->nf && len < (int)sizeof(stamps) - 8; j++)
			len += snprintf(stamps + len, sizeof(stamps) - (size_t)len,
					j ? ",0" : "0");
		snprintf(stamps + len, sizeof(stamps) - (size_t)len, "]}");
		sqlite3_bind_text(c->rec, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 2, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->rec, 3, v);
		sqlite3_bind_text(c->rec, 4, device, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 5, r->hlc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->rec, 6, at);
		if (r->dkey)
			sqlite3_bind_text(c->rec, 7, r->dkey, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(c->rec, 7);
		sqlite3_bind_text(c->rec, 8, r->fields_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 9, stamps, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(c->rec) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(c->rec);
		for (int j = 0; j < r->nf; j++) {
			int indexed = 0;

			for (int k = 0; craw_refs[k]; k++)
				indexed |= strcmp(craw_refs[k], r->names[j]) == 0;
			if (!indexed || strcmp(r->values[j], "null") == 0)
				continue;
			sqlite3_bind_text(c->fld, 1, r->names[j], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->fld, 2, r->values[j], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->fld, 3, r->id, -1, SQLITE_STATIC);
			if (sqlite3_step(c->fld) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(c->fld);
		}
		sqlite3_bind_text(c->his, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->his, 2, v);
		sqlite3_bind_text(c->his, 3, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->his, 4, r->fields_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->his, 5, device, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->his, 6, r->hlc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->his, 7, r->seq);
		sqlite3_bind_int64(c->his, 8, at);
		if (sqlite3_step(c->his) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(c->his);
	}
	return huce_db_commit(c->db, &err) ? -1 : 0;
fail:
	fprintf(stderr, "raw central insert: %s\n", sqlite3_errmsg(huce_db_handle(c->db)));
	return -1;
}

/*
 * A compact layout for the same records, the one proposed in
 * docs/PERFORMANCE.md: one row per record holding all its fields as one
 * JSON text (and one stamp for the fields its creating change wrote), a
 * row per indexed reference, one history row per change.
 */
struct cmp {
	sqlite3 *db;
	sqlite3_stmt *rec, *ref, *his;
	int64_t version;
};

static const char *const ref_fields[] = {
	"group_id", "team_id", "household_id", "inspection_id", "owner_id", "id_hash", NULL
};

static int cmp_open(struct cmp *c, const char *path)
{
	if (sqlite3_open(path, &c->db) ||
	    sqlite3_exec(c->db,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
		"CREATE TABLE rec(id TEXT PRIMARY KEY, kind TEXT NOT NULL, version INTEGER NOT NULL,"
		" deleted INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, created_hlc TEXT NOT NULL,"
		" created_at INTEGER NOT NULL, dkey TEXT, fields TEXT NOT NULL, stamps TEXT NOT NULL)"
		" STRICT, WITHOUT ROWID;"
		"CREATE UNIQUE INDEX rec_version ON rec(version);"
		"CREATE INDEX rec_dkey ON rec(kind, dkey) WHERE dkey IS NOT NULL;"
		"CREATE TABLE ref(name TEXT NOT NULL, value TEXT NOT NULL, record_id TEXT NOT NULL,"
		" PRIMARY KEY(name, value, record_id)) STRICT, WITHOUT ROWID;"
		"CREATE TABLE hist(record_id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,"
		" device TEXT NOT NULL, hlc TEXT NOT NULL, seq INTEGER, at INTEGER NOT NULL,"
		" after TEXT NOT NULL, PRIMARY KEY(record_id, version)) STRICT, WITHOUT ROWID;",
		NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO rec(id, kind, version, created_by, created_hlc,"
			       " created_at, dkey, fields, stamps) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
			       -1, &c->rec, NULL) ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO ref(name, value, record_id) VALUES(?1,?2,?3)",
			       -1, &c->ref, NULL) ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO hist(record_id, version, kind, device, hlc, seq,"
			       " at, after) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", -1, &c->his, NULL)) {
		fprintf(stderr, "compact layout: %s\n", c->db ? sqlite3_errmsg(c->db) : "?");
		return -1;
	}
	return 0;
}

static void cmp_close(struct cmp *c)
{
	sqlite3_finalize(c->rec);
	sqlite3_finalize(c->ref);
	sqlite3_finalize(c->his);
	sqlite3_close(c->db);
}

static int cmp_insert(struct cmp *c, const struct crow *rows, size_t n,
		      const char *device)
{
	int64_t at = (int64_t)time(NULL);
	char stamps[256];

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		int64_t v = ++c->version;

		snprintf(stamps, sizeof(stamps), "{\"*\":[%lld,\"%s\",\"%s\"]}",
			 (long long)v, r->hlc, device);
		sqlite3_bind_text(c->rec, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 2, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->rec, 3, v);
		sqlite3_bind_text(c->rec, 4, device, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 5, r->hlc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->rec, 6, at);
		if (r->dkey)
			sqlite3_bind_text(c->rec, 7, r->dkey, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(c->rec, 7);
		sqlite3_bind_text(c->rec, 8, r->fields_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->rec, 9, stamps, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(c->rec) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(c->rec);
		for (int j = 0; j < r->nf; j++) {
			int indexed = 0;

			for (int k = 0; ref_fields[k]; k++)
				indexed |= strcmp(ref_fields[k], r->names[j]) == 0;
			if (!indexed)
				continue;
			sqlite3_bind_text(c->ref, 1, r->names[j], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->ref, 2, r->values[j], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->ref, 3, r->id, -1, SQLITE_STATIC);
			if (sqlite3_step(c->ref) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(c->ref);
		}
		sqlite3_bind_text(c->his, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->his, 2, v);
		sqlite3_bind_text(c->his, 3, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->his, 4, device, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->his, 5, r->hlc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->his, 6, r->seq);
		sqlite3_bind_int64(c->his, 7, at);
		sqlite3_bind_text(c->his, 8, r->fields_json, -1, SQLITE_STATIC);
		if (sqlite3_step(c->his) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(c->his);
	}
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "compact layout insert: %s\n", sqlite3_errmsg(c->db));
	return -1;
}

/* ------------------------------------------------------------ zlib limit --- */

static double zlib_deflate(const void *in, size_t n, struct huce_buf *out)
{
	z_stream z;
	double t0 = now_s();

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		return -1;
	huce_buf_reset(out);
	if (huce_buf_reserve(out, deflateBound(&z, (uLong)n))) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)(out->max - 1 < deflateBound(&z, (uLong)n) ?
			     out->max - 1 : deflateBound(&z, (uLong)n));
	deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return now_s() - t0;
}

static double zlib_inflate(const void *in, size_t n, void *out, size_t cap)
{
	z_stream z;
	double t0 = now_s();
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return r == Z_STREAM_END ? now_s() - t0 : -1;
}

/* ---------------------------------------------------------------- pulls --- */

static void pull_probe(struct central *c, int64_t stored, struct huce_buf *out)
{
	static const int limits[] = { 100, 1000, 10000 };
	int64_t head = store_head(c->store);

	/* head is only known inside a transaction; read it from a page */
	{
		char *json = NULL;
		size_t len;
		struct huce_error err = { 0 };
		cJSON *j;

		if (central_changes(c, INT64_MAX / 2, 1, &json, &len, &err) == HUCE_OK) {
			j = cJSON_Parse(json);
			head = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "head"));
			cJSON_Delete(j);
		}
		free(json);
	}
	huce_buf_printf(out, "%s{\"stored\":%lld", out->len ? "," : "", (long long)stored);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		double best = 1e9;
		size_t bytes = 0;

		for (int rep = 0; rep < 3; rep++) {
			char *json = NULL;
			size_t len = 0;
			struct huce_error err = { 0 };
			double t0 = now_s(), t;

			if (central_changes(c, head - limits[i], limits[i], &json, &len, &err)) {
				fprintf(stderr, "changes: %s\n", err.msg);
				break;
			}
			t = now_s() - t0;
			if (t < best)
				best = t;
			bytes = len;
			free(json);
		}
		huce_buf_printf(out, ",\"page_%d_s\":%.6f,\"page_%d_bytes\":%zu", limits[i],
				best, limits[i], bytes);
	}
	huce_buf_addstr(out, "}");
}

/* ------------------------------------------------------------------ main --- */

struct totals {
	int64_t entries, batches;
	uint64_t raw, z;
	double build, deflate, inflate, apply, raw_ins, craw_ins, cmp_ins, apply_cpu;
	double raw_cpu, craw_cpu, cmp_cpu;
};

static const char usage[] =
"usage: huce-bench-merge --db DEV.db --dir TMPDIR [--checkpoints N,N,..]\n"
"                        [--no-raw] [--batch-raw BYTES] [--quiet]\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "checkpoints", required_argument, NULL, 'c' },
		{ "no-raw", no_argument, NULL, 'n' },
		{ "batch-raw", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *dir = NULL, *cps = "10000,100000,1000000";
	int64_t checkpoints[16];
	int ncp = 0, cp = 0, ch, do_raw = 1, ret = 1, quiet = 0;
	size_t fixed_budget = 0;
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	struct central c = { 0 };
	struct raw_db raw = { 0 };
	struct craw craw = { 0 };
	struct cmp cmp = { 0 };
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_buf zout = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	struct huce_buf bstats = HUCE_BUF_INIT(64u << 20), cstats = HUCE_BUF_INIT(1u << 20);
	char *inflated = NULL, *device = NULL;
	char path[4096];
	struct totals t = { 0 };
	int64_t after = 0;
	size_t budget = BATCH_RAW_START;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'D': dir = optarg; break;
		case 'c': cps = optarg; break;
		case 'n': do_raw = 0; break;
		case 'b': fixed_budget = (size_t)strtoull(optarg, NULL, 10); break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!db || !dir) {
		fputs(usage, stderr);
		return 2;
	}
	for (const char *p = cps; *p && ncp < 16;) {
		checkpoints[ncp++] = strtoll(p, NULL, 10);
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	if (fixed_budget)
		budget = fixed_budget;
	inflated = malloc(HUCE_BATCH_MAX_RAW + 1);
	if (!inflated || huce_local_open(&l, db, &err)) {
		fprintf(stderr, "huce-bench-merge: %s\n", err.msg);
		goto out;
	}
	device = device_name(l);
	snprintf(path, sizeof(path), "%s/central.db", dir);
	if (store_open(&c.store, path, &err) ||
	    huce_checklists_load(&c.checklists, NULL, &err)) {
		fprintf(stderr, "huce-bench-merge: %s\n", err.msg);
		goto out;
	}
	{
		char hash[65];

		huce_sha256_hex(device, strlen(device), hash);
		if (store_device_add(c.store, device, hash, &err)) {
			fprintf(stderr, "huce-bench-merge: device: %s\n", err.msg);
			goto out;
		}
	}
	if (do_raw) {
		snprintf(path, sizeof(path), "%s/raw-typed.db", dir);
		if (huce_db_open(&raw.db, path, "local", &err)) {
			fprintf(stderr, "huce-bench-merge: %s\n", err.msg);
			goto out;
		}
		huce_db_exec(raw.db, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", &err);
		snprintf(path, sizeof(path), "%s/raw-central.db", dir);
		if (craw_open(&craw, path))
			goto out;
		snprintf(path, sizeof(path), "%s/raw-compact.db", dir);
		if (cmp_open(&cmp, path))
			goto out;
	}

	for (;;) {
		int64_t first, last, count;
		double t0, tb, td, ti, ta, tr = 0, tc = 0, tk = 0, c0, ca, cr = 0, cc = 0, ck = 0;
		cJSON *result = NULL;
		uint64_t expected = 0;
		const cJSON *rej;

		t0 = now_s();
		if (huce_outbox_payload(l, after, budget, &payload, &first, &last, &count, &err)) {
			fprintf(stderr, "huce-bench-merge: build: %s\n", err.msg);
			goto out;
		}
		if (!count)
			break;
		huce_buf_reset(&batch);
		if (huce_batch_encode(device, (uint64_t)first, (uint64_t)last, (uint32_t)count,
				      payload.data, payload.len, -1, &batch, &err)) {
			fprintf(stderr, "huce-bench-merge: encode: %s\n", err.msg);
			goto out;
		}
		tb = now_s() - t0;
		/* the codec's limit: plain zlib over the same payload */
		td = zlib_deflate(payload.data, payload.len, &zout);
		ti = zlib_inflate(zout.data, zout.len, inflated, HUCE_BATCH_MAX_RAW + 1);
		/* the merge */
		t0 = now_s();
		c0 = cpu_s();
		if (central_apply_batch(&c, device, batch.data, batch.len, &result, &expected,
					&err)) {
			fprintf(stderr, "huce-bench-merge: apply: %s\n", err.msg);
			goto out;
		}
		ta = now_s() - t0;
		ca = cpu_s() - c0;
		rej = cJSON_GetObjectItem(result, "rejected");
		if (cJSON_GetArraySize(rej)) {
			char *txt = cJSON_PrintUnformatted(cJSON_GetArrayItem(rej, 0));

			fprintf(stderr, "huce-bench-merge: %d entries rejected, e.g. %s\n",
				cJSON_GetArraySize(rej), txt ? txt : "?");
			free(txt);
			cJSON_Delete(result);
			goto out;
		}
		cJSON_Delete(result);
		if (do_raw) {
			size_t nr = 0, nc = 0;
			struct rrow *rows = payload_rows(payload.data, payload.len, &nr);
			struct crow *crows = central_rows(payload.data, payload.len, &nc);
			int bad;

			t0 = now_s();
			c0 = cpu_s();
			bad = !rows || raw_insert(&raw, rows, nr);
			tr = now_s() - t0;
			cr = cpu_s() - c0;
			t0 = now_s();
			c0 = cpu_s();
			bad = bad || !crows || craw_insert(&craw, crows, nc, device);
			tc = now_s() - t0;
			cc = cpu_s() - c0;
			t0 = now_s();
			c0 = cpu_s();
			bad = bad || cmp_insert(&cmp, crows, nc, device);
			tk = now_s() - t0;
			ck = cpu_s() - c0;
			rows_release(rows, nr);
			crows_release(crows, nc);
			if (bad)
				goto out;
		}
		huce_buf_printf(&bstats, "%s[%lld,%lld,%zu,%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f]",
				bstats.len ? "," : "", (long long)t.entries, (long long)count,
				payload.len, batch.len, tb, td, ti, ta, tr, tc, tk, ca);
		t.entries += count;
		t.batches++;
		t.raw += payload.len;
		t.z += batch.len;
		t.build += tb;
		t.deflate += td;
		t.inflate += ti;
		t.apply += ta;
		t.apply_cpu += ca;
		t.raw_cpu += cr;
		t.craw_cpu += cc;
		t.cmp_cpu += ck;
		t.raw_ins += tr;
		t.craw_ins += tc;
		t.cmp_ins += tk;
		after = last;
		if (!fixed_budget && budget * 2 <= BATCH_RAW_MAX)
			budget *= 2;
		while (cp < ncp && t.entries >= checkpoints[cp]) {
			pull_probe(&c, t.entries, &cstats);
			cp++;
		}
		if (!quiet)
			fprintf(stderr, "\rhuce-bench-merge: %lld entries merged   ",
				(long long)t.entries);
	}
	if (!quiet)
		fputc('\n', stderr);
	if (cp < ncp)
		pull_probe(&c, t.entries, &cstats);
	printf("{\"device\":\"%s\",\"batch_fields\":[\"stored_before\",\"entries\","
	       "\"raw_bytes\",\"z_bytes\",\"build_s\",\"zlib_deflate_s\",\"zlib_inflate_s\","
	       "\"apply_s\",\"raw_typed_s\",\"raw_central_s\",\"raw_compact_s\",\"apply_cpu_s\"],\"batches\":[%s],"
	       "\"checkpoints\":[%s],", device, bstats.data ? bstats.data : "",
	       cstats.data ? cstats.data : "");
	printf("\"entries\":%lld,\"nbatches\":%lld,\"raw_bytes\":%llu,\"z_bytes\":%llu,"
	       "\"build_s\":%.6f,\"deflate_s\":%.6f,\"inflate_s\":%.6f,\"apply_s\":%.6f,"
	       "\"apply_cpu_s\":%.6f,\"raw_typed_cpu_s\":%.6f,\"raw_central_cpu_s\":%.6f,"
	       "\"raw_compact_cpu_s\":%.6f,"
	       "\"raw_typed_s\":%.6f,\"raw_central_s\":%.6f,\"raw_compact_s\":%.6f,"
	       "\"merge_records_per_s\":%.1f,\"raw_typed_records_per_s\":%.1f,"
	       "\"raw_central_records_per_s\":%.1f,\"raw_compact_records_per_s\":%.1f,"
	       "\"deflate_mb_per_s\":%.2f,"
	       "\"inflate_mb_per_s\":%.2f,\"build_records_per_s\":%.1f}\n",
	       (long long)t.entries, (long long)t.batches, (unsigned long long)t.raw,
	       (unsigned long long)t.z, t.build, t.deflate, t.inflate, t.apply, t.apply_cpu,
	       t.raw_cpu, t.craw_cpu, t.cmp_cpu, t.raw_ins,
	       t.craw_ins, t.cmp_ins, t.apply > 0 ? (double)t.entries / t.apply : 0.0,
	       t.raw_ins > 0 ? (double)t.entries / t.raw_ins : 0.0,
	       t.craw_ins > 0 ? (double)t.entries / t.craw_ins : 0.0,
	       t.cmp_ins > 0 ? (double)t.entries / t.cmp_ins : 0.0,
	       t.deflate > 0 ? (double)t.raw / 1e6 / t.deflate : 0.0,
	       t.inflate > 0 ? (double)t.raw / 1e6 / t.inflate : 0.0,
	       t.build > 0 ? (double)t.entries / t.build : 0.0);
	ret = 0;
out:
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	huce_buf_release(&zout);
	huce_buf_release(&bstats);
	huce_buf_release(&cstats);
	free(inflated);
	free(device);
	for (int i = 0; i < raw.n; i++)
		sqlite3_finalize(raw.v[i].st);
	huce_db_close(raw.db);
	if (craw.db)
		craw_close(&craw);
	if (cmp.db)
		cmp_close(&cmp);
	store_close(c.store);
	huce_checklists_free(c.checklists);
	huce_local_close(l);
	return ret;
}
