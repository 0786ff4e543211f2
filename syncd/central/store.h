/*
 * store.h - the central store behind one small interface.
 *
 * The central keeps generic records: a record has an id, a kind, a
 * global version (that of its latest change), a tombstone flag and a
 * set of fields, and each field remembers the version, HLC timestamp and
 * device of its last change (DESIGN.md section 4).  Around that sit the
 * devices with their high-water marks, the append-only history and the
 * audit log.  What the fields mean is the merge's business (merge.c);
 * the store only stores, indexes and pages.
 *
 * store.c owns the store and picks one of two backends from its table
 * by the spec: SQLite (store_sqlite.c, one file, WAL) or PostgreSQL
 * (store_pg.c, built when libpq is found).  The backends hold only
 * their SQL (store_backend.h); every rule that does not depend on it
 * (device auth, the grouping and stubs of a page of changes, the
 * counter and clock) lives once in store.c.
 *
 * Transactions.  Writes happen between store_begin(s, 1) and
 * store_commit() / store_rollback(); a read that needs one snapshot uses
 * store_begin(s, 0).  Inside a write transaction the global version
 * counter and the central HLC are held in memory: store_next_version()
 * hands out versions, store_hlc_observe() / store_hlc_tick() move the
 * clock, and store_commit() writes both back.  A savepoint (one level)
 * lets the merge undo a single rejected entry, counter and clock
 * included.
 *
 * Threads.  One struct store may be shared by threads (the HTTP server's
 * pool): every operation is serialised on the store's recursive lock,
 * and a transaction holds that lock from begin to commit or
 * rollback, so other threads wait rather than interleave.
 *
 * Readers.  store_open_reader() opens a second connection to the same
 * store that never writes: the HTTP server serves pulls and token
 * checks on it, so they do not queue behind the merges on the writer.
 * It sees every committed write at once (SQLite: a WAL reader on the
 * same file; PostgreSQL: a second session).  Its device_auth leaves
 * last_seen and the audit line of a revoked token to a later
 * store_device_touch() on the writer.
 *
 * Strings handed out in the structs below are fixed arrays owned by the
 * struct; field values are malloc'd and released with
 * store_field_release() / store_fieldset_release().
 *
 *   struct store *s;
 *   store_open(&s, "central.db", &err);
 *   store_begin(s, 1, &err);
 *   v = store_next_version(s);
 *   store_record_put(s, &rec, &err); store_fields_put(s, id, f, n, &err);
 *   store_commit(s, &err);      (or store_rollback(s))
 *   store_close(s);
 */
#ifndef HUCE_STORE_H
#define HUCE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"
#include "huce_hlc.h"
#include "huce_id.h"

#define STORE_KIND_MAX		31
#define STORE_NAME_MAX		128	/* device names, field names */
#define STORE_KEY_MAX		255	/* record lookup key */

struct store;

struct store_device {
	char name[STORE_NAME_MAX + 1];
	int64_t created_at;		/* Unix seconds */
	int64_t revoked_at;		/* 0 when not revoked */
	int64_t hwm;
	/* HLC of the device's entry at hwm; "" when unknown (hwm 0, or
	 * a hwm set before schema 0002 or by a central that predates it) */
	char hwm_hlc[HUCE_HLC_STRLEN + 1];
	int64_t last_seen;		/* 0 when never */
};

struct store_record {
	char id[HUCE_ID_STRLEN + 1];
	char kind[STORE_KIND_MAX + 1];
	int64_t version;
	int deleted;
	char created_by[STORE_NAME_MAX + 1];
	char created_hlc[HUCE_HLC_STRLEN + 1];
	int64_t created_at;
	int64_t del_version;		/* version of the last delete, 0: never */
	char del_device[STORE_NAME_MAX + 1];
	char del_hlc[HUCE_HLC_STRLEN + 1];
	char key[STORE_KEY_MAX + 1];	/* merge's lookup key; "" for none */
};

struct store_field {
	char name[STORE_NAME_MAX + 1];
	char *value;			/* JSON text; malloc'd, owned */
	int64_t version;
	char hlc[HUCE_HLC_STRLEN + 1];
	char device[STORE_NAME_MAX + 1];
};

/* All fields of one record, in name order. */
struct store_fieldset {
	struct store_field *v;
	size_t n, alloc;
};

/* One row of the append-only history. */
struct store_history {
	int64_t version;
	const char *record_id, *kind, *field;
	const char *before, *after;	/* JSON text or NULL */
	const char *device, *hlc;
	int64_t seq;			/* device outbox seq; 0 for none */
};

/*
 * Callbacks of the listing operations.  Returning anything but HUCE_OK
 * stops the listing, and the operation returns that code.  The pointers
 * are valid during the call only.
 */
typedef enum huce_err (*store_device_cb)(void *arg,
					 const struct store_device *d);
/*
 * One history row, written at Unix second at; its strings are valid
 * during the call only.
 */
typedef enum huce_err (*store_history_cb)(void *arg,
					  const struct store_history *h,
					  int64_t at);
/* fields: an object of the record's parsed field values (borrowed). */
typedef enum huce_err (*store_record_cb)(void *arg,
					 const struct store_record *r,
					 const cJSON *fields);

/*
 * Open the store named by spec: a SQLite file path (created and
 * migrated when needed; a new store gets a random 'town_key'), or a
 * "postgres://" or "postgresql://" URL (libpq connection URI; HUCE_EUSAGE
 * when libpq cannot parse it, HUCE_EDB when the server cannot be reached,
 * HUCE_EINVAL when the program was built without libpq).  On success
 * *out is a store the caller frees with store_close().
 */
enum huce_err store_open(struct store **out, const char *spec,
			 struct huce_error *err);
/*
 * Open a read-only connection to the store spec names, which must exist
 * already (open the writer first: the reader neither creates nor
 * migrates a PostgreSQL store).  Every operation that reads works on it;
 * store_begin(s, 1) and the writes fail with HUCE_EDB.  On success *out
 * is a store the caller frees with store_close().
 */
enum huce_err store_open_reader(struct store **out, const char *spec,
				struct huce_error *err);
/* Close and free; NULL is a no-op.  An open transaction is rolled back. */
void store_close(struct store *s);

/*
 * Begin a transaction: write (BEGIN IMMEDIATE: the version counter and
 * HLC are loaded) or read (one consistent snapshot).  Holds the store's
 * lock until store_commit() or store_rollback().
 */
enum huce_err store_begin(struct store *s, int write,
			  struct huce_error *err);

/* Write back the counter and clock (write transactions) and commit. */
enum huce_err store_commit(struct store *s, struct huce_error *err);

/* Roll back the open transaction, if any, and drop the lock. */
void store_rollback(struct store *s);

/* One-level savepoint inside a write transaction (one merged entry). */
enum huce_err store_savepoint(struct store *s,
			      struct huce_error *err);

enum huce_err store_release(struct store *s,
			    struct huce_error *err);

/* Undo everything since the savepoint, counter and clock included. */
enum huce_err store_rollback_to(struct store *s,
				struct huce_error *err);

/* The next global version (write transactions only). */
int64_t store_next_version(struct store *s);

/* The last version handed out (in a write transaction: uncommitted too). */
int64_t store_head(struct store *s);

/* A central HLC timestamp above every one seen (write transactions). */
uint64_t store_hlc_tick(struct store *s);

void store_hlc_observe(struct store *s, uint64_t ts);

/*
 * The value of a meta key ("town_key": 64 hex characters; "town";
 * "version"), malloc'd (caller frees), or NULL when absent or on error.
 */
char *store_meta_get(struct store *s, const char *key);

enum huce_err store_meta_set(struct store *s, const char *key,
			     const char *value,
			     struct huce_error *err);

/* Enrol a device; HUCE_EINVAL when the name (or hash) is taken. */
enum huce_err store_device_add(struct store *s, const char *name,
			       const char *token_hash,
			       struct huce_error *err);

/* Revoke a device's token; HUCE_ENOTFOUND for an unknown name. */
enum huce_err store_device_revoke(struct store *s,
				  const char *name,
				  struct huce_error *err);

/* One device (revoked ones too); HUCE_ENOTFOUND when unknown. */
enum huce_err store_device_get(struct store *s, const char *name,
			       struct store_device *out,
			       struct huce_error *err);

/* All devices in name order. */
enum huce_err store_device_list(struct store *s,
				store_device_cb cb, void *arg,
				struct huce_error *err);

/*
 * Set a device's high-water mark and the HLC of its entry at that seq
 * (NULL when unknown); it was seen now (last_seen).
 */
enum huce_err store_device_set_hwm(struct store *s,
				   const char *name, int64_t hwm,
				   const char *hwm_hlc,
				   struct huce_error *err);

/*
 * The device whose token hashes to token_hash_hex (64 lowercase hex):
 * *device is malloc'd and the caller frees it.  HUCE_EAUTH when the hash
 * is unknown, HUCE_EREVOKED when its device is revoked.  Records
 * last_seen (at most once a minute) and audits a revoked token's use,
 * except on a reader.
 */
enum huce_err store_device_auth(struct store *s,
				const char *token_hash_hex,
				char **device,
				struct huce_error *err);

/*
 * The writes of store_device_auth() without its answer, for a token a
 * reader has checked: last_seen of its device (at most once a minute),
 * or the audit line of a revoked one; nothing for an unknown token or
 * inside a transaction.  HUCE_OK unless the store fails.
 */
enum huce_err store_device_touch(struct store *s,
				 const char *token_hash_hex,
				 struct huce_error *err);

/*
 * A token enrolls one laptop (schema 0003): the first enrolment of device
 * name keeps install_id, the enrolling laptop's own id (1..64 of
 * [A-Za-z0-9-]); a later one with the same id is taken again.  HUCE_OK
 * then; HUCE_EFORBIDDEN when another laptop (another id) enrolled with
 * the token; HUCE_ENOTFOUND for an unknown or revoked device.  One
 * statement, so two laptops enrolling at once cannot both win.
 */
#define STORE_INSTALL_ID_MAX 64
enum huce_err store_device_enroll(struct store *s, const char *name,
				  const char *install_id,
				  struct huce_error *err);

/*
 * The device's columns of schema 0004, by name: "box_key" (the laptop's
 * X25519 public key, 64 hex digits: its USB-stick files are sealed with
 * it, huce_seal.h), "villages" (a JSON array of village ids the device
 * is scoped to; unset: the whole town) and "stick_export" (the number
 * of the newest stick export imported from it, decimal).  get: *value
 * malloc'd (the caller frees), NULL when unset.  set: value NULL unsets.
 * HUCE_ENOTFOUND for an unknown device, HUCE_EINVAL for another name.
 */
enum huce_err store_device_attr_get(struct store *s, const char *name,
				    const char *attr, char **value,
				    struct huce_error *err);
enum huce_err store_device_attr_set(struct store *s, const char *name,
				    const char *attr, const char *value,
				    struct huce_error *err);

/* A record's row; HUCE_ENOTFOUND when the id was never stored. */
enum huce_err store_record_get(struct store *s, const char *id,
			       struct store_record *out,
			       struct huce_error *err);

/*
 * Inside a write transaction: read the rows of the n records ids names
 * (NULL entries skipped) in one query and keep them in memory until the
 * transaction ends, with the ids that are not stored, so that the
 * reads of the transaction (store_record_get, store_fields_get, ...)
 * cost no query of their own.  The writes of the transaction keep what
 * is held current; a savepoint rolled back forgets what it touched.
 * Memory is bounded (some thousand records; past that, records are
 * read as before).  Outside a write transaction it does nothing.
 */
enum huce_err store_prefetch(struct store *s, const char *const *ids,
			     size_t n, struct huce_error *err);

/* Insert or replace a record's row (all columns from *r). */
enum huce_err store_record_put(struct store *s,
			       const struct store_record *r,
			       struct huce_error *err);

/*
 * All fields of a record into *out (emptied first; the caller releases
 * it with store_fieldset_release).  No fields is not an error.
 */
enum huce_err store_fields_get(struct store *s, const char *id,
			       struct store_fieldset *out,
			       struct huce_error *err);

/*
 * The fields of a record as the store holds them, handed to cb without
 * a copy (valid during the call only; cb must not touch the store).
 * No fields is not an error: cb gets an empty set.
 */
typedef enum huce_err (*store_fieldset_cb)(void *arg,
					   const struct store_fieldset *fs);
enum huce_err store_fields_view(struct store *s, const char *id,
				store_fieldset_cb cb, void *arg,
				struct huce_error *err);

/*
 * The JSON text of one field of a record (a primary-key seek), malloc'd
 * into *value (the caller frees); HUCE_ENOTFOUND, *value NULL, when the
 * record has no such field.
 */
enum huce_err store_field_get(struct store *s, const char *id,
			      const char *name, char **value,
			      struct huce_error *err);

/*
 * What the first-toilet gate (docs/MERGE.md) needs to know of the team
 * whose id is team_json (JSON text, the quoted id), leaving out the
 * household except (may be NULL): other is the first id, in id order,
 * of another live household of the team ("" when there is none), and,
 * only when there is one, *passed whether any such household has a live
 * acceptance inspection (completion, first-toilet or re-inspection) that
 * passed and is not voided (its "voided" field null or absent).  The
 * stored status does not count: the gate's rule (huce_gate_open) takes
 * the inspections, of which a derived "accepted" is one consequence.  A
 * few indexed lookups that stop at the first match, whatever the size
 * of the team.  A write transaction keeps each pass it finds until it
 * writes the household or the inspection that passed (or rolls back):
 * asked again meanwhile it answers from memory, with that household as
 * other (another live household of the team, not always the first).
 */
enum huce_err store_team_gate(struct store *s,
			      const char *team_json,
			      const char *except,
			      char other[HUCE_ID_STRLEN + 1],
			      int *passed, struct huce_error *err);

/*
 * Insert or replace n fields of a record (values are JSON text).  One
 * record change writes all its fields in one call, so a backend can
 * send them as one statement.
 */
enum huce_err store_fields_put(struct store *s,
			       const char *record_id,
			       const struct store_field *f,
			       size_t n, struct huce_error *err);

/* Append n history rows. */
enum huce_err store_history_add(struct store *s,
				const struct store_history *h,
				size_t n, struct huce_error *err);

/*
 * The history of one record, oldest first (version, then field name):
 * one range of the history's primary key.  cb must not write to the
 * store.  No history is not an error.
 */
enum huce_err store_history_of(struct store *s, const char *record_id,
			       store_history_cb cb, void *arg,
			       struct huce_error *err);

/* Append to the audit log.  detail may be NULL; never personal data. */
enum huce_err store_audit(struct store *s, const char *actor,
			  const char *action, const char *detail,
			  struct huce_error *err);

/*
 * Live records of kind whose lookup key is key, other than the record
 * except (may be NULL), in no set order.
 */
enum huce_err store_by_key(struct store *s, const char *kind,
			   const char *key, const char *except,
			   store_record_cb cb, void *arg,
			   struct huce_error *err);

/*
 * Live records that have field name = value_json (JSON text, e.g. the
 * quoted id '"0190..."'), other than the record except (may be NULL),
 * in id order.  Only indexed names are allowed: group_id, team_id,
 * household_id, inspection_id, owner_id, id_hash (HUCE_EINVAL
 * otherwise), so the cost never grows with the store.
 */
enum huce_err store_by_field(struct store *s, const char *name,
			     const char *value_json,
			     const char *except,
			     store_record_cb cb, void *arg,
			     struct huce_error *err);

/*
 * The records store_by_field(name, value_json) lists (live, in id
 * order), without loading them whole: cb gets each one's id, kind and,
 * for each of the n names (at most STORE_PICK_MAX), the string value of
 * that field (NULL when the field is absent or not a string; strings
 * valid during the call only).  cb must not touch the store.
 */
#define STORE_PICK_MAX 8
typedef enum huce_err (*store_pick_cb)(void *arg, const char *id,
				       const char *kind,
				       const char *const *values);
enum huce_err store_by_field_pick(struct store *s, const char *name,
				  const char *value_json,
				  const char *const *names, size_t n,
				  store_pick_cb cb, void *arg,
				  struct huce_error *err);

/*
 * How store_id_match() compares what a person typed with record ids:
 * its whole id, a prefix, a tail (the short codes of names.h); with
 * STORE_MATCH_LIVE only live records.
 */
#define STORE_MATCH_PREFIX	1
#define STORE_MATCH_TAIL	2
#define STORE_MATCH_LIVE	4

/*
 * The ids of at most max records of kind whose id equals key, or begins
 * with it (STORE_MATCH_PREFIX) or ends with it (STORE_MATCH_TAIL), in id
 * order, into ids; *n is how many (ask for max 2 to learn whether key
 * is unique).  key is lower-case id text, at most HUCE_ID_STRLEN.
 */
enum huce_err store_id_match(struct store *s, const char *kind,
			     const char *key, int how,
			     char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
			     size_t *n, struct huce_error *err);

/* Every record of kind (live only unless with_deleted), in id order. */
enum huce_err store_scan_kind(struct store *s, const char *kind,
			      int with_deleted,
			      store_record_cb cb, void *arg,
			      struct huce_error *err);

/*
 * At most limit records with version > after, in version order, each
 * appended to the array out as a raw item (cJSON_CreateRaw) holding its
 * JSON text {"version","id","kind","deleted","fields":{...}} (out belongs
 * to the caller); the field values are the stored JSON texts as they
 * are.  A page also ends early, with *more set, once its text passes
 * STORE_PAGE_BYTES_MAX.  *next is the version of the last change (after
 * when none), *more whether any record lies beyond, *head the current
 * global version.
 *
 * own, when not NULL, is the name of the device asking: a record whose
 * every field, and its delete when it is deleted, was last written by
 * that device (and that was never brought back from a delete) is
 * written as a stub {"version","id","kind","own":true,"hlc"} instead,
 * hlc being the record's newest stamp (PROTOCOL.md 2.2).
 */
enum huce_err store_changes(struct store *s, int64_t after,
			    int limit, const char *own,
			    cJSON *out, int64_t *next,
			    int *more, int64_t *head,
			    struct huce_error *err);

/*
 * store_changes() for a device scoped to some villages (villages: a
 * JSON array of village ids, borrowed; NULL is store_changes()): only
 * the records of those villages are written (the villages, their
 * groups and targets, their households and those households'
 * inspections, rectifications and photos, conflicts about any of
 * these, the office's reviews of those households), and the town-wide
 * cadres and teams; a stub of the device's
 * own record always.  The cursor passes over the records left out, so
 * a page may hold fewer than limit changes while *more is set.
 */
enum huce_err store_changes_scoped(struct store *s, int64_t after,
				   int limit, const char *own,
				   const cJSON *villages, cJSON *out,
				   int64_t *next, int *more, int64_t *head,
				   struct huce_error *err);

/*
 * store_changes_scoped() writing the changes as text: each change's
 * JSON text is appended to out (the caller's buffer), separated by
 * commas, the bytes cJSON_PrintUnformatted() would print for the array
 * of raw items without its brackets.  A pull page is written this way
 * (central_changes_scoped), without a raw item per change.
 */
enum huce_err store_changes_text(struct store *s, int64_t after,
				 int limit, const char *own,
				 const cJSON *villages, struct huce_buf *out,
				 int64_t *next, int *more, int64_t *head,
				 struct huce_error *err);

/*
 * The writer of a page of changes (store.c), which store_changes()
 * drives through store_page_row() for every backend: each
 * change is written as JSON text, names and ids escaped, values copied
 * as the stored JSON texts, then appended to out as a raw item (or, with
 * buf set, to that text after a comma: store_changes_text).
 *
 *   store_page_init(&pg, out, own);
 *   for each record: store_page_begin(); [store_page_stamp() for its
 *                    delete]; store_page_field()...;
 *                    store_page_end();  (stop when store_page_full())
 *   store_page_release(&pg);
 *
 * With own (a device name, borrowed for the page's life) the writer
 * also folds every stamp it is given: a record all of whose stamps
 * name own is ended as a stub (store_changes).  A record with no stamp
 * at all is never a stub.
 *
 * The functions return HUCE_ENOMEM, or HUCE_ETOOBIG for one record
 * longer than STORE_CHANGE_BYTES_MAX.
 */
#define STORE_PAGE_BYTES_MAX	((size_t)16 << 20)
#define STORE_CHANGE_BYTES_MAX	((size_t)64 << 20)

struct store_page {
	cJSON *out;		/* borrowed */
	struct huce_buf *buf;	/* borrowed: instead of out, the text */
	const char *own;	/* borrowed; NULL: no stubs */
	struct huce_buf text;	/* the change being written */
	size_t bytes;		/* text of the changes appended so far */
	size_t head_len;	/* text up to the end of "kind" */
	int n, fields;
	int own_ok, stamps;	/* every stamp so far names own; how many */
	int64_t version;
	char hlc[HUCE_HLC_STRLEN + 1];	/* the newest stamp so far */
	/* The grouping of store_page_row() (store_backend.h). */
	int limit, open, more;
	int64_t cur, next;	/* the record being written; the last ended */
	/*
	 * The scope of store_changes_scoped(): villages NULL for the whole
	 * town.  The record's references (village_id, household_id,
	 * owner_id, record, household) are kept as it is written, for the
	 * test at its end; seen counts the records begun.
	 */
	const cJSON *villages;	/* borrowed */
	struct store *store;	/* borrowed: the lookups of the scope */
	char id[HUCE_ID_STRLEN + 1], kind[STORE_KIND_MAX + 1];
	char ref[5][HUCE_ID_STRLEN + 1];
	int seen;
	enum huce_err scope_err;
};

void store_page_init(struct store_page *pg, cJSON *out, const char *own);
void store_page_release(struct store_page *pg);
enum huce_err store_page_begin(struct store_page *pg, int64_t version,
			       const char *id, const char *kind, int deleted);
/*
 * value: JSON text; NULL or "" is written as null.  device and hlc are
 * the field's stamp (store_page_stamp).
 */
enum huce_err store_page_field(struct store_page *pg, const char *name,
			       const char *value, const char *device,
			       const char *hlc);
/*
 * Fold one stamp of the current record: a NULL or other device makes it
 * a full record; the greatest hlc is kept.
 */
void store_page_stamp(struct store_page *pg, const char *device,
		      const char *hlc);
enum huce_err store_page_end(struct store_page *pg);
/* Whether the page holds limit changes or STORE_PAGE_BYTES_MAX bytes. */
int store_page_full(const struct store_page *pg, int limit);

/* Free the values of a field / fieldset and zero it; safe on zeroed ones. */
void store_field_release(struct store_field *f);
void store_fieldset_release(struct store_fieldset *fs);
/*
 * The fields of a set as one JSON object of parsed values (a value that
 * does not parse is null), which the caller frees; NULL when out of
 * memory.
 */
cJSON *store_fieldset_json(const struct store_fieldset *fs);
/* The field called name in fs, or NULL. */
struct store_field *store_fieldset_find(const struct store_fieldset *fs,
					const char *name);

#endif
