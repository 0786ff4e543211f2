/*
 * store.c - the central store: the backend table and every rule that
 * does not depend on the SQL.
 *
 * A store is opened by its spec: store_backends[] (as git's refs.c
 * refs_backends[]) names each backend with the URL prefixes it claims;
 * the last one, SQLite, takes every other spec as a file path.  The
 * store_* functions of store.h take the store's lock, keep the
 * transaction state, the global version counter and the central HLC in
 * struct store, and call the backend's operations (store_backend.h) for
 * the SQL.  Here too live the policy of a token check (a revoked token
 * is audited, last_seen noted at most once a minute), the listings'
 * visit of a record, and the writer of a page of changes with its
 * grouping and stub rules (PROTOCOL.md 2.2), once for both backends.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_backend.h"

struct store_backend {
	const char *name;
	const char *prefix[2];	/* specs it claims; none: every other */
	enum huce_err (*open)(struct store **out, const char *spec,
			      int reader, struct huce_error *err);
};

static const struct store_backend store_backends[] = {
	{ "postgres", { "postgres://", "postgresql://" }, store_pg_open },
	{ "sqlite", { NULL, NULL }, store_sqlite_open },
};

static enum huce_err open_spec(struct store **out, const char *spec,
			       int reader, struct huce_error *err)
{
	size_t n = sizeof(store_backends) / sizeof(store_backends[0]);

	*out = NULL;
	if (!spec || !*spec)
		return huce_fail(err, HUCE_EUSAGE, "no store given");
	for (size_t i = 0; i < n; i++) {
		const struct store_backend *b = &store_backends[i];
		int claims = !b->prefix[0];

		for (size_t k = 0; k < 2 && b->prefix[k]; k++)
			if (strncmp(spec, b->prefix[k], strlen(b->prefix[k])) == 0)
				claims = 1;
		if (claims)
			return b->open(out, spec, reader, err);
	}
	return huce_fail(err, HUCE_EUSAGE, "no store backend for '%s'", spec);
}

enum huce_err store_open(struct store **out, const char *spec,
			 struct huce_error *err)
{
	return open_spec(out, spec, 0, err);
}

enum huce_err store_open_reader(struct store **out, const char *spec,
				struct huce_error *err)
{
	return open_spec(out, spec, 1, err);
}

void store_base_init(struct store *s, const struct store_ops *ops,
		     int reader)
{
	pthread_mutexattr_t attr;

	s->ops = ops;
	s->reader = reader;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

static void lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_tx) {
		s->ops->rollback(s);
		s->in_tx = 0;
		unlock(s);
	}
	s->ops->close(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* --- transactions, counter, clock ------------------------------------ */

enum huce_err store_begin(struct store *s, int write, struct huce_error *err)
{
	enum huce_err rc;

	lock(s);
	if (s->in_tx)
		rc = huce_fail(err, HUCE_EDB, "store: transaction already open");
	else if (write && s->reader)
		rc = huce_fail(err, HUCE_EDB, "store: this connection only reads");
	else
		rc = s->ops->begin(s, write, err);
	if (rc) {
		unlock(s);
		return rc;
	}
	s->in_tx = 1;
	s->tx_write = write;
	s->in_sp = 0;
	return HUCE_OK;	/* the lock stays held until commit or rollback */
}

static void end_tx(struct store *s)
{
	s->in_tx = 0;
	s->tx_write = 0;
	s->in_sp = 0;
	unlock(s);
}

enum huce_err store_commit(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_tx)
		return huce_fail(err, HUCE_EDB, "store: no transaction to commit");
	rc = s->ops->commit(s, err);
	end_tx(s);
	return rc;
}

void store_rollback(struct store *s)
{
	lock(s);
	if (s->in_tx) {
		s->ops->rollback(s);
		end_tx(s);
	}
	unlock(s);
}

enum huce_err store_savepoint(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_tx || !s->tx_write || s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: savepoint outside a write");
	rc = s->ops->savepoint(s, err);
	if (rc)
		return rc;
	s->in_sp = 1;
	s->sp_version = s->version;
	s->sp_hlc = s->hlc;
	return HUCE_OK;
}

enum huce_err store_release(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: no savepoint to release");
	rc = s->ops->release(s, err);
	s->in_sp = 0;
	return rc;
}

enum huce_err store_rollback_to(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: no savepoint to roll back");
	rc = s->ops->rollback_to(s, err);
	s->in_sp = 0;
	s->version = s->sp_version;
	s->hlc = s->sp_hlc;
	return rc;
}

int64_t store_next_version(struct store *s)
{
	return ++s->version;
}

int64_t store_head(struct store *s)
{
	int64_t v;

	lock(s);
	if (s->in_tx && s->tx_write)
		v = s->version;
	else
		v = s->ops->committed_version(s);
	unlock(s);
	return v;
}

uint64_t store_hlc_tick(struct store *s)
{
	return huce_hlc_next(&s->hlc, huce_wall_ms());
}

void store_hlc_observe(struct store *s, uint64_t ts)
{
	huce_hlc_observe(&s->hlc, ts);
}

/* --- the operations that are SQL only --------------------------------- */

char *store_meta_get(struct store *s, const char *key)
{
	char *v;

	lock(s);
	v = s->ops->meta_get(s, key);
	unlock(s);
	return v;
}

/*
 * The rest of the SQL-only operations: the lock around the backend's
 * call, and nothing more.
 */
#define LOCKED(call) do {		\
		enum huce_err rc_;	\
		lock(s);		\
		rc_ = s->ops->call;	\
		unlock(s);		\
		return rc_;		\
	} while (0)

enum huce_err store_meta_set(struct store *s, const char *key,
			     const char *value, struct huce_error *err)
{
	LOCKED(meta_set(s, key, value, err));
}

enum huce_err store_device_add(struct store *s, const char *name,
			       const char *token_hash, struct huce_error *err)
{
	LOCKED(device_add(s, name, token_hash, err));
}

enum huce_err store_device_get(struct store *s, const char *name,
			       struct store_device *out,
			       struct huce_error *err)
{
	LOCKED(device_get(s, name, out, err));
}

enum huce_err store_device_set_hwm(struct store *s, const char *name,
				   int64_t hwm, const char *hwm_hlc,
				   struct huce_error *err)
{
	LOCKED(device_set_hwm(s, name, hwm, hwm_hlc, err));
}

enum huce_err store_record_get(struct store *s, const char *id,
			       struct store_record *out,
			       struct huce_error *err)
{
	LOCKED(record_get(s, id, out, err));
}

enum huce_err store_record_put(struct store *s, const struct store_record *r,
			       struct huce_error *err)
{
	LOCKED(record_put(s, r, err));
}

enum huce_err store_fields_get(struct store *s, const char *id,
			       struct store_fieldset *out,
			       struct huce_error *err)
{
	LOCKED(fields_get(s, id, out, err));
}

/* The device columns store_device_attr_get/set may name (schema 0004). */
static int attr_known(const char *attr)
{
	static const char *const attrs[] = { "box_key", "villages", "stick_export" };

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attr && strcmp(attr, attrs[i]) == 0)
			return 1;
	return 0;
}

enum huce_err store_device_attr_get(struct store *s, const char *name,
				    const char *attr, char **value,
				    struct huce_error *err)
{
	*value = NULL;
	if (!attr_known(attr))
		return huce_fail(err, HUCE_EINVAL, "no device column '%s'", attr ? attr : "");
	LOCKED(device_attr_get(s, name, attr, value, err));
}

enum huce_err store_device_attr_set(struct store *s, const char *name,
				    const char *attr, const char *value,
				    struct huce_error *err)
{
	if (!attr_known(attr))
		return huce_fail(err, HUCE_EINVAL, "no device column '%s'", attr ? attr : "");
	LOCKED(device_attr_set(s, name, attr, value, err));
}

enum huce_err store_field_get(struct store *s, const char *id,
			      const char *name, char **value,
			      struct huce_error *err)
{
	LOCKED(field_get(s, id, name, value, err));
}

enum huce_err store_team_gate(struct store *s, const char *team_json,
			      const char *except,
			      char other[HUCE_ID_STRLEN + 1], int *passed,
			      struct huce_error *err)
{
	LOCKED(team_gate(s, team_json, except ? except : "", other, passed,
			 err));
}

/*
 * A record change writes all its fields and history rows at once: one
 * multi-row INSERT per STORE_MULTI_ROWS rows instead of one statement
 * per row, which halves the cost of a big batch (and on PostgreSQL saves
 * a round trip per row).
 */
enum huce_err store_fields_put(struct store *s, const char *record_id,
			       const struct store_field *f, size_t n,
			       struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	lock(s);
	for (size_t i = 0; !rc && i < n; i += STORE_MULTI_ROWS)
		rc = s->ops->fields_put(s, record_id, f + i,
			n - i < STORE_MULTI_ROWS ? n - i : STORE_MULTI_ROWS, err);
	unlock(s);
	return rc;
}

enum huce_err store_history_add(struct store *s,
				const struct store_history *h, size_t n,
				struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	lock(s);
	for (size_t i = 0; !rc && i < n; i += STORE_MULTI_ROWS)
		rc = s->ops->history_add(s, h + i,
			n - i < STORE_MULTI_ROWS ? n - i : STORE_MULTI_ROWS, err);
	unlock(s);
	return rc;
}

enum huce_err store_history_of(struct store *s, const char *record_id,
			       store_history_cb cb, void *arg,
			       struct huce_error *err)
{
	LOCKED(history_of(s, record_id, cb, arg, err));
}

char *store_multi_sql(const char *head, size_t rows, size_t cols,
		      const char *tail, int numbered)
{
	struct huce_buf sql = HUCE_BUF_INIT(16384);
	enum huce_err rc;
	size_t k = 1;

	rc = huce_buf_addstr(&sql, head);
	for (size_t r = 0; !rc && r < rows; r++) {
		rc = huce_buf_addstr(&sql, r ? ",(" : "(");
		for (size_t c = 0; !rc && c < cols; c++, k++)
			rc = numbered ? huce_buf_printf(&sql, c ? ",$%zu" : "$%zu", k) :
					huce_buf_addstr(&sql, c ? ",?" : "?");
		if (!rc)
			rc = huce_buf_addstr(&sql, ")");
	}
	if (!rc)
		rc = huce_buf_addstr(&sql, tail);
	if (rc) {
		huce_buf_release(&sql);
		return NULL;
	}
	return huce_buf_detach(&sql, NULL);
}

enum huce_err store_audit(struct store *s, const char *actor,
			  const char *action, const char *detail,
			  struct huce_error *err)
{
	LOCKED(audit(s, actor, action, detail, err));
}

enum huce_err store_by_key(struct store *s, const char *kind,
			   const char *key, const char *except,
			   store_record_cb cb, void *arg,
			   struct huce_error *err)
{
	LOCKED(by_key(s, kind, key, except ? except : "", cb, arg, err));
}

enum huce_err store_scan_kind(struct store *s, const char *kind,
			      int with_deleted, store_record_cb cb, void *arg,
			      struct huce_error *err)
{
	LOCKED(scan_kind(s, kind, with_deleted, cb, arg, err));
}

enum huce_err store_id_match(struct store *s, const char *kind,
			     const char *key, int how,
			     char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
			     size_t *n, struct huce_error *err)
{
	*n = 0;
	if (!max)
		return HUCE_OK;
	LOCKED(id_match(s, kind, key, how, ids, max, n, err));
}

/* --- devices ---------------------------------------------------------- */

enum huce_err store_device_revoke(struct store *s, const char *name,
				  struct huce_error *err)
{
	struct store_device d;
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_get(s, name, &d, err);
	if (!rc && !d.revoked_at)
		rc = s->ops->device_revoke(s, name, err);
	unlock(s);
	return rc;
}

enum huce_err store_device_enroll(struct store *s, const char *name,
				  const char *install_id,
				  struct huce_error *err)
{
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_enroll(s, name, install_id, err);
	unlock(s);
	return rc;
}

enum huce_err store_device_list(struct store *s, store_device_cb cb,
				void *arg, struct huce_error *err)
{
	struct store_device *v = NULL;
	size_t n = 0;
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_list(s, &v, &n, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = cb(arg, &v[i]);
	unlock(s);
	free(v);
	return rc;
}

/*
 * The writes that come with a token check: a revoked laptop knocking is
 * worth a line in the audit log; last_seen is advisory, written at most
 * once a minute per device (a write per request would queue every pull
 * behind the merges), and outside an open transaction only.  A reader
 * leaves both to store_device_touch() on the writer.
 */
static void token_note(struct store *s, const char *name, int revoked,
		       int64_t seen)
{
	int64_t now = (int64_t)time(NULL);

	if (s->in_tx || s->reader || !name)
		return;
	if (revoked)
		s->ops->audit(s, name, "token-refused",
			      "a revoked device token was used", NULL);
	else if (now - seen >= 60)
		s->ops->device_seen(s, name, now);
}

enum huce_err store_device_auth(struct store *s, const char *token_hash_hex,
				char **device, struct huce_error *err)
{
	int64_t seen;
	int revoked;
	char *name;
	enum huce_err rc;

	*device = NULL;
	lock(s);
	rc = s->ops->token_lookup(s, token_hash_hex, &name, &revoked, &seen, err);
	if (rc) {
		unlock(s);
		return rc;
	}
	token_note(s, name, revoked, seen);
	unlock(s);
	if (revoked) {
		free(name);
		return huce_fail(err, HUCE_EREVOKED, "token revoked");
	}
	if (!name)
		return huce_fail(err, HUCE_EAUTH, "unknown token");
	*device = name;
	return HUCE_OK;
}

enum huce_err store_device_touch(struct store *s, const char *token_hash_hex,
				 struct huce_error *err)
{
	char *device = NULL;
	enum huce_err rc = store_device_auth(s, token_hash_hex, &device, err);

	free(device);
	if (rc != HUCE_EAUTH && rc != HUCE_EREVOKED)
		return rc;
	if (err)
		*err = (struct huce_error){ 0 };
	return HUCE_OK;
}

/* --- fields and listings ---------------------------------------------- */

void store_field_release(struct store_field *f)
{
	free(f->value);
	memset(f, 0, sizeof(*f));
}

void store_fieldset_release(struct store_fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].value);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

struct store_field *store_fieldset_find(const struct store_fieldset *fs,
					const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, name) == 0)
			return &fs->v[i];
	return NULL;
}

cJSON *store_fieldset_json(const struct store_fieldset *fs)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < fs->n; i++) {
		cJSON *v = cJSON_Parse(fs->v[i].value);

		if (!v)
			v = cJSON_CreateNull();
		if (!v) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(o, fs->v[i].name, v);
	}
	return o;
}

enum huce_err store_visit_id(struct store *s, const char *id,
			     struct store_fieldset *fs, store_record_cb cb,
			     void *arg, struct huce_error *err)
{
	struct store_record r;
	cJSON *fields;
	enum huce_err rc;

	rc = s->ops->record_get(s, id, &r, err);
	if (rc == HUCE_ENOTFOUND)	/* removed by an earlier callback */
		return HUCE_OK;
	if (!rc)
		rc = s->ops->fields_get(s, id, fs, err);
	if (rc)
		return rc;
	fields = store_fieldset_json(fs);
	if (!fields)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	rc = cb(arg, &r, fields);
	cJSON_Delete(fields);
	return rc;
}

enum huce_err store_by_field(struct store *s, const char *name,
			     const char *value_json, const char *except,
			     store_record_cb cb, void *arg,
			     struct huce_error *err)
{
	static const char *const indexed[] = {
#define STORE_IX_NAME(n) #n,
		STORE_INDEXED_FIELDS(STORE_IX_NAME)
#undef STORE_IX_NAME
	};

	for (int i = 0; i < STORE_IX__COUNT; i++)
		if (strcmp(name, indexed[i]) == 0)
			LOCKED(by_field(s, (enum store_index)i, value_json,
					except ? except : "", cb, arg, err));
	return huce_fail(err, HUCE_EINVAL, "field '%s' is not indexed", name);
}

/* --- pages of changes, as text ----------------------------------------- */

/* s as a JSON string: quotes, backslashes and control bytes escaped. */
static enum huce_err json_string(struct huce_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	enum huce_err rc = huce_buf_add(b, "\"", 1);

	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = huce_buf_add(b, run, (size_t)(s - run));
		if (!rc && (c == '"' || c == '\\')) {
			e[1] = (char)c;
			rc = huce_buf_add(b, e, 2);
		} else if (!rc) {
			rc = huce_buf_add(b, e, sizeof(e));
		}
		run = s + 1;
	}
	if (!rc)
		rc = huce_buf_add(b, run, strlen(run));
	if (!rc)
		rc = huce_buf_add(b, "\"", 1);
	return rc;
}

/* --- the scope of a page (store_changes_scoped) ------------------------ */

/* The references a record's scope is decided by, in store_page.ref. */
#define SCOPE_REFS 5
static const char *const scope_refs[SCOPE_REFS] = {
	"village_id", "household_id", "owner_id", "record", "household"
};

/* An id out of a JSON string text ('"0190..."'), into out; "" if none. */
static void id_of_text(const char *text, char out[HUCE_ID_STRLEN + 1])
{
	size_t n = text ? strlen(text) : 0;

	out[0] = '\0';
	if (n >= 2 && n - 2 <= HUCE_ID_STRLEN && text[0] == '"' && text[n - 1] == '"') {
		memcpy(out, text + 1, n - 2);
		out[n - 2] = '\0';
	}
}

static void keep_ref(struct store_page *pg, const char *name, const char *value)
{
	for (int i = 0; i < SCOPE_REFS; i++)
		if (strcmp(name, scope_refs[i]) == 0)
			id_of_text(value, pg->ref[i]);
}

static int village_in(const cJSON *villages, const char *id)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, villages) {
		const char *s = cJSON_GetStringValue(v);

		if (s && id && strcmp(s, id) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether the record id of kind, whose references are ref (scope_refs
 * order), belongs to the villages; a parent record is looked up in the
 * store (depth bounds a chain of references: a conflict about a photo
 * of an inspection of a household is four steps).
 */
static enum huce_err record_in_scope(struct store_page *pg, const char *id,
				     const char *kind,
				     char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1],
				     int depth, int *in, struct huce_error *err);

static enum huce_err stored_in_scope(struct store_page *pg, const char *id,
				     int depth, int *in, struct huce_error *err)
{
	struct store_record r;
	char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1];
	enum huce_err rc;

	*in = 0;
	if (!id[0] || depth > 5)
		return HUCE_OK;
	rc = store_record_get(pg->store, id, &r, err);
	if (rc == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (rc)
		return rc;
	for (int i = 0; i < SCOPE_REFS; i++) {
		char *v = NULL;

		rc = store_field_get(pg->store, id, scope_refs[i], &v, err);
		if (rc && rc != HUCE_ENOTFOUND)
			return rc;
		id_of_text(v, ref[i]);
		free(v);
	}
	return record_in_scope(pg, r.id, r.kind, ref, depth + 1, in, err);
}

static enum huce_err record_in_scope(struct store_page *pg, const char *id,
				     const char *kind,
				     char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1],
				     int depth, int *in, struct huce_error *err)
{
	*in = 0;
	if (strcmp(kind, "cadre") == 0 || strcmp(kind, "team") == 0) {
		*in = 1;	/* town-wide: who works where */
		return HUCE_OK;
	}
	if (strcmp(kind, "village") == 0) {
		*in = village_in(pg->villages, id);
		return HUCE_OK;
	}
	if (strcmp(kind, "group") == 0 || strcmp(kind, "target") == 0 ||
	    strcmp(kind, "household") == 0) {
		*in = village_in(pg->villages, ref[0]);
		return HUCE_OK;
	}
	if (strcmp(kind, "inspection") == 0 || strcmp(kind, "rectification") == 0)
		return stored_in_scope(pg, ref[1], depth, in, err);
	if (strcmp(kind, "photo") == 0)
		return stored_in_scope(pg, ref[2], depth, in, err);
	if (strcmp(kind, "conflict") == 0)
		return stored_in_scope(pg, ref[3], depth, in, err);
	if (strcmp(kind, "review") == 0)	/* the office's, of a household */
		return stored_in_scope(pg, ref[4], depth, in, err);
	return HUCE_OK;		/* a kind the scope does not know: left out */
}

void store_page_init(struct store_page *pg, cJSON *out, const char *own)
{
	memset(pg, 0, sizeof(*pg));
	pg->out = out;
	pg->own = own;
	pg->cur = -1;
	huce_buf_init(&pg->text, STORE_CHANGE_BYTES_MAX);
}

void store_page_release(struct store_page *pg)
{
	huce_buf_release(&pg->text);
}

enum huce_err store_page_begin(struct store_page *pg, int64_t version,
			       const char *id, const char *kind, int deleted)
{
	enum huce_err rc;

	huce_buf_reset(&pg->text);
	pg->fields = 0;
	rc = huce_buf_printf(&pg->text, "{\"version\":%lld,\"id\":",
			     (long long)version);
	if (!rc)
		rc = json_string(&pg->text, id ? id : "");
	if (!rc)
		rc = huce_buf_addstr(&pg->text, ",\"kind\":");
	if (!rc)
		rc = json_string(&pg->text, kind ? kind : "");
	pg->head_len = pg->text.len;
	pg->own_ok = pg->own != NULL;
	if (pg->villages) {
		snprintf(pg->id, sizeof(pg->id), "%s", id ? id : "");
		snprintf(pg->kind, sizeof(pg->kind), "%s", kind ? kind : "");
		memset(pg->ref, 0, sizeof(pg->ref));
	}
	pg->stamps = 0;
	pg->hlc[0] = '\0';
	if (!rc)
		rc = huce_buf_addstr(&pg->text, deleted ?
				     ",\"deleted\":true,\"fields\":{" :
				     ",\"deleted\":false,\"fields\":{");
	pg->version = version;
	return rc;
}

void store_page_stamp(struct store_page *pg, const char *device,
		      const char *hlc)
{
	if (!pg->own_ok)
		return;
	if (!device || !hlc || strcmp(device, pg->own) != 0 ||
	    strlen(hlc) != HUCE_HLC_STRLEN) {
		pg->own_ok = 0;
		return;
	}
	if (strcmp(hlc, pg->hlc) > 0)
		memcpy(pg->hlc, hlc, HUCE_HLC_STRLEN + 1);
	pg->stamps++;
}

enum huce_err store_page_field(struct store_page *pg, const char *name,
			       const char *value, const char *device,
			       const char *hlc)
{
	enum huce_err rc = HUCE_OK;

	store_page_stamp(pg, device, hlc);
	if (pg->villages && name)
		keep_ref(pg, name, value);

	if (pg->fields++)
		rc = huce_buf_add(&pg->text, ",", 1);
	if (!rc)
		rc = json_string(&pg->text, name ? name : "");
	if (!rc)
		rc = huce_buf_add(&pg->text, ":", 1);
	if (!rc)
		rc = huce_buf_addstr(&pg->text, value && *value ? value : "null");
	return rc;
}

enum huce_err store_page_end(struct store_page *pg)
{
	cJSON *item;
	enum huce_err rc;

	if (pg->villages && !(pg->own_ok && pg->stamps > 0)) {
		struct huce_error serr = { 0 };
		int in = 0;

		/* Out of the device's villages: the cursor passes over it. */
		rc = record_in_scope(pg, pg->id, pg->kind, pg->ref, 0, &in, &serr);
		if (rc) {
			pg->scope_err = rc;
			return rc;
		}
		if (!in)
			return HUCE_OK;
	}
	if (pg->own_ok && pg->stamps > 0) {
		/* The device wrote all of it: the head and the newest stamp. */
		pg->text.len = pg->head_len;
		pg->text.data[pg->text.len] = '\0';
		rc = huce_buf_addstr(&pg->text, ",\"own\":true,\"hlc\":");
		if (!rc)
			rc = json_string(&pg->text, pg->hlc);
		if (!rc)
			rc = huce_buf_add(&pg->text, "}", 1);
	} else {
		rc = huce_buf_add(&pg->text, "}}", 2);
	}

	if (rc)
		return rc;
	item = cJSON_CreateRaw(pg->text.data);
	if (!item)
		return HUCE_ENOMEM;
	cJSON_AddItemToArray(pg->out, item);
	pg->bytes += pg->text.len;
	pg->n++;
	return HUCE_OK;
}

int store_page_full(const struct store_page *pg, int limit)
{
	return pg->n >= limit || pg->bytes >= STORE_PAGE_BYTES_MAX;
}

enum huce_err store_page_row(struct store_page *pg,
			     const struct store_page_row *r)
{
	enum huce_err rc = HUCE_OK;

	if (r->version != pg->cur) {
		if (pg->open) {
			rc = store_page_end(pg);
			pg->open = 0;
			if (rc)
				return rc;
			pg->next = pg->cur;
		}
		if (store_page_full(pg, pg->limit)) {
			pg->more = 1;
			return HUCE_OK;
		}
		pg->cur = r->version;
		pg->seen++;
		rc = store_page_begin(pg, r->version, r->id, r->kind, r->deleted);
		pg->open = 1;
		/*
		 * Its delete is a stamp too; a record brought back from a
		 * delete is never a stub (the device may hold it deleted).
		 */
		if (r->deleted)
			store_page_stamp(pg, r->del_device, r->del_hlc);
		else if (r->del_version > 0)
			store_page_stamp(pg, NULL, NULL);
	}
	if (!rc && r->field)
		rc = store_page_field(pg, r->field, r->value, r->device, r->hlc);
	return rc;
}

/*
 * The page and the head from one snapshot: the backend's one query
 * feeds store_page_row(), which writes each change as JSON text straight
 * from the stored value texts (no parse, no tree), handed to the caller
 * as raw items.
 */
enum huce_err store_changes(struct store *s, int64_t after, int limit,
			    const char *own, cJSON *out, int64_t *next,
			    int *more, int64_t *head, struct huce_error *err)
{
	return store_changes_scoped(s, after, limit, own, NULL, out, next,
				    more, head, err);
}

enum huce_err store_changes_scoped(struct store *s, int64_t after,
				   int limit, const char *own,
				   const cJSON *villages, cJSON *out,
				   int64_t *next, int *more, int64_t *head,
				   struct huce_error *err)
{
	struct store_page pg;
	enum huce_err rc = HUCE_OK;
	int own_tx = 0;

	*next = after;
	*more = 0;
	*head = 0;
	if (limit < 1)
		limit = 1;
	store_page_init(&pg, out, own);
	pg.limit = limit;
	pg.next = after;
	pg.villages = villages;
	pg.store = s;
	lock(s);
	if (!s->in_tx) {
		rc = store_begin(s, 0, err);
		if (rc) {
			unlock(s);
			store_page_release(&pg);
			return rc;
		}
		own_tx = 1;
	}
	rc = s->ops->changes(s, after, &pg, err);
	if (!rc && pg.open && !pg.more) {
		rc = store_page_end(&pg);
		if (!rc)
			pg.next = pg.cur;
	}
	/*
	 * A scoped page that left records out read all the backend gave
	 * (limit + 1 records) without filling up: more may lie beyond.
	 */
	if (!rc && villages && !pg.more && pg.seen > limit)
		pg.more = 1;
	if (rc && pg.scope_err && rc == pg.scope_err)
		rc = huce_fail(err, rc, "cannot read the scope of a page of changes");
	if (rc == HUCE_ENOMEM || rc == HUCE_ETOOBIG)
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory for a page of changes");
	if (!rc) {
		*head = s->in_tx && s->tx_write ? s->version :
			s->ops->committed_version(s);
		*next = pg.next;
		*more = pg.more;
	}
	if (own_tx) {
		if (rc)
			store_rollback(s);
		else
			rc = store_commit(s, err);
	}
	unlock(s);
	store_page_release(&pg);
	return rc;
}
