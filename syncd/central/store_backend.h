/*
 * store_backend.h - what a backend of the central store implements.
 *
 * store.c owns the store (store.h is its contract): it picks a backend
 * from its table by the store's spec, keeps the lock, the transaction
 * state, the version counter and the central HLC in struct store, and
 * holds every rule that does not depend on the SQL: the device-auth
 * policy, the revoke and listing logic, the grouping of a page of
 * changes and its stubs (PROTOCOL.md 2.2).  A backend (store_sqlite.c,
 * store_pg.c) holds only its SQL, behind the operations below.
 *
 * Every operation is called with the store's lock held (a recursive
 * mutex: an operation may call store_* functions of its own store).
 * begin loads s->version and s->hlc for a write transaction; commit
 * writes them back; store.c sets in_tx, tx_write and in_sp around the
 * calls and restores version and hlc on store_rollback_to().
 *
 * A backend's struct begins with a struct store, which it sets up with
 * store_base_init(); store_close() calls its close operation (which
 * releases what the backend holds but not the struct) and then frees
 * the struct.  A backend that fails to open calls store_close() on what
 * it has.
 */
#ifndef HUCE_STORE_BACKEND_H
#define HUCE_STORE_BACKEND_H

#include <pthread.h>

#include "store.h"

/* The fields store_by_field() may look up: each has an index. */
#define STORE_INDEXED_FIELDS(X) \
	X(group_id) X(team_id) X(household_id) X(inspection_id) \
	X(owner_id) X(id_hash)

enum store_index {
#define STORE_IX_ENUM(n) STORE_IX_##n,
	STORE_INDEXED_FIELDS(STORE_IX_ENUM)
#undef STORE_IX_ENUM
	STORE_IX__COUNT
};

/* One row of a page query: a record's columns and one of its fields. */
struct store_page_row {
	int64_t version;
	const char *id, *kind;
	int deleted;
	int64_t del_version;
	const char *del_device, *del_hlc;	/* NULL when none */
	const char *field;		/* NULL: a record without fields */
	const char *value, *device, *hlc;
};

/*
 * One change of a record in the compact layout's history (one row per
 * change): before and after are JSON objects of the fields it wrote
 * (before: those that had a value; NULL when none had).
 */
struct store_change_row {
	const char *record_id, *kind;
	int64_t version;
	const char *device, *hlc;
	int64_t seq;			/* 0 for none */
	int64_t at;			/* Unix seconds */
	const char *before, *after;
};

/* A stored row of the compact layout, handed out by rows_get. */
typedef enum huce_err (*store_row_cb)(void *arg, const struct store_record *r,
				      const char *fields, const char *stamps);

/* A live record's id, kind and fields text, handed out by ref_texts. */
typedef enum huce_err (*store_text_cb)(void *arg, const char *id,
				       const char *kind, const char *fields);

/* A record id, handed out by ref_ids. */
typedef enum huce_err (*store_id_cb)(void *arg, const char *id);

/* A history row of the compact layout, handed out by changes_of. */
typedef enum huce_err (*store_change_cb)(void *arg,
					 const struct store_change_row *c);

struct store_ops {
	const char *backend;
	void (*close)(struct store *s);

	/* SQL of a transaction; store.c keeps the state. */
	enum huce_err (*begin)(struct store *s, int write, struct huce_error *err);
	enum huce_err (*commit)(struct store *s, struct huce_error *err);
	void (*rollback)(struct store *s);
	enum huce_err (*savepoint)(struct store *s, struct huce_error *err);
	enum huce_err (*release)(struct store *s, struct huce_error *err);
	enum huce_err (*rollback_to)(struct store *s, struct huce_error *err);
	/* The committed version counter (0 when it cannot be read). */
	int64_t (*committed_version)(struct store *s);

	char *(*meta_get)(struct store *s, const char *key);
	enum huce_err (*meta_set)(struct store *s, const char *key,
				  const char *value, struct huce_error *err);

	enum huce_err (*device_add)(struct store *s, const char *name,
				    const char *token_hash,
				    struct huce_error *err);
	/* Set revoked_at of a device known not to be revoked. */
	enum huce_err (*device_revoke)(struct store *s, const char *name,
				       struct huce_error *err);
	enum huce_err (*device_get)(struct store *s, const char *name,
				    struct store_device *out,
				    struct huce_error *err);
	/* Every device in name order: *v malloc'd (caller frees), *n. */
	enum huce_err (*device_list)(struct store *s, struct store_device **v,
				     size_t *n, struct huce_error *err);
	enum huce_err (*device_set_hwm)(struct store *s, const char *name,
					int64_t hwm, const char *hwm_hlc,
					struct huce_error *err);
	/*
	 * The device whose token hashes to token_hash_hex: *name malloc'd
	 * (NULL when unknown), whether it is revoked and its last_seen.
	 */
	enum huce_err (*token_lookup)(struct store *s, const char *token_hash_hex,
				      char **name, int *revoked, int64_t *seen,
				      struct huce_error *err);
	/* Advisory: set last_seen = now; a failure is ignored. */
	void (*device_seen)(struct store *s, const char *name, int64_t now);
	/* store_device_enroll's one statement (store.h), under the lock. */
	enum huce_err (*device_enroll)(struct store *s, const char *name,
				       const char *install_id,
				       struct huce_error *err);

	/*
	 * A device column of schema 0004 (attr is checked by store.c
	 * against its list, so a backend may put it in its SQL).
	 */
	enum huce_err (*device_attr_get)(struct store *s, const char *name,
					 const char *attr, char **value,
					 struct huce_error *err);
	enum huce_err (*device_attr_set)(struct store *s, const char *name,
					 const char *attr, const char *value,
					 struct huce_error *err);

	/*
	 * store_team_gate's query (store.h); when *passed, passer names
	 * the household ([0]) and its inspection ([1]) that pass.
	 */
	enum huce_err (*team_gate)(struct store *s, const char *team_json,
				   const char *except,
				   char other[HUCE_ID_STRLEN + 1], int *passed,
				   char passer[2][HUCE_ID_STRLEN + 1],
				   struct huce_error *err);
	enum huce_err (*audit)(struct store *s, const char *actor,
			       const char *action, const char *detail,
			       struct huce_error *err);

	/* The listings of store.h; except is never NULL ("" for none). */
	enum huce_err (*by_key)(struct store *s, const char *kind,
				const char *key, const char *except,
				store_record_cb cb, void *arg,
				struct huce_error *err);
	enum huce_err (*by_field)(struct store *s, enum store_index ix,
				  const char *value_json, const char *except,
				  store_record_cb cb, void *arg,
				  struct huce_error *err);
	/*
	 * ref_texts: the live records whose reference ix is value_json,
	 * in id order, each as its id, kind and fields text (cb must not
	 * touch the store: the query may still be running).
	 */
	enum huce_err (*ref_texts)(struct store *s, enum store_index ix,
				   const char *value_json, store_text_cb cb,
				   void *arg, struct huce_error *err);
	/*
	 * ref_ids: the ids of the records (live or deleted) whose
	 * reference ix is value_json, in id order, read from the
	 * references alone (cb must not touch the store).
	 */
	enum huce_err (*ref_ids)(struct store *s, enum store_index ix,
				 const char *value_json, store_id_cb cb,
				 void *arg, struct huce_error *err);
	enum huce_err (*id_match)(struct store *s, const char *kind,
				  const char *key, int how,
				  char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
				  size_t *n, struct huce_error *err);
	enum huce_err (*scan_kind)(struct store *s, const char *kind,
				   int with_deleted, store_record_cb cb,
				   void *arg, struct huce_error *err);
	/*
	 * Records (the compact layout, schema 0005).  A backend keeps each
	 * record as one row, its fields as one JSON text and their stamps
	 * as another; store.c encodes and decodes both, and keeps the
	 * records a write transaction works on in memory until a
	 * savepoint, a listing or the commit needs them written.
	 *
	 * row_get: the record's columns and its two texts (malloc'd, the
	 * caller frees); HUCE_ENOTFOUND when there is no such record.
	 * row_put: write the row; old is the row the table holds (NULL:
	 * none, insert it), so that an update writes only the columns that
	 * changed (and their indexes).  ref_set: the record's
	 * reference ix moves from old_value to new_value (JSON text; NULL
	 * for none).  change_add: one history row.  changes_of: a record's
	 * history rows in version order.
	 */
	enum huce_err (*row_get)(struct store *s, const char *id,
				 struct store_record *out, char **fields,
				 char **stamps, struct huce_error *err);
	/*
	 * rows_get: the stored rows of the ids of ids_json (a JSON array
	 * of strings), in no set order, each handed to cb (one query).
	 */
	enum huce_err (*rows_get)(struct store *s, const char *ids_json,
				  store_row_cb cb, void *arg,
				  struct huce_error *err);
	enum huce_err (*row_put)(struct store *s, const struct store_record *r,
				 const struct store_record *old,
				 const char *fields, const char *stamps,
				 struct huce_error *err);
	enum huce_err (*ref_set)(struct store *s, enum store_index ix,
				 const char *record_id, const char *old_value,
				 const char *new_value, struct huce_error *err);
	enum huce_err (*change_add)(struct store *s,
				    const struct store_change_row *c,
				    struct huce_error *err);
	enum huce_err (*changes_of)(struct store *s, const char *record_id,
				    store_change_cb cb, void *arg,
				    struct huce_error *err);
	/*
	 * Feed the rows of the records with version > after, at most
	 * pg->limit + 1 of them, in version then field-name order, to
	 * store_page_row() until it sets pg->more or the rows run out.
	 * Runs inside a transaction.
	 */
	enum huce_err (*changes)(struct store *s, int64_t after,
				 struct store_page *pg, struct huce_error *err);
};

/*
 * A record of the compact layout in memory (store.c): its row, its
 * fields in name order, and its references as the table has them.
 */
struct store_slot {
	int used, exists, dirty;
	int stored;		/* the table has a row: row is its columns */
	uint64_t tick;		/* last use, for the eviction */
	struct store_record rec;
	struct store_record row;
	struct store_fieldset fs;
	char *ref[STORE_IX__COUNT];	/* JSON text; NULL: no ref row */
};

/* Records a write transaction keeps in memory (compact layout). */
#define STORE_SLOTS 16

/*
 * History rows a write transaction has not written yet (store.c): they
 * go with the records in memory, so that an entry's savepoint holds no
 * row of its own (a SQLite savepoint copies every page it first
 * changes).  At most STORE_HIST_PENDING; text holds the row's strings.
 */
struct store_hist_pending {
	struct store_change_row c;
	char *text;
};
#define STORE_HIST_PENDING 64

/*
 * A team a write transaction found past its first toilet (store.c,
 * store_team_gate): the live household of the team and its live
 * inspection that pass.  It holds until either of the two is written
 * (a write of no other record can undo it), or the transaction or a
 * savepoint ends in a rollback.  hash: of each id, to skip the compare.
 */
struct store_gate_memo {
	char team[HUCE_ID_STRLEN + 3];		/* JSON text */
	char id[2][HUCE_ID_STRLEN + 1];		/* household, inspection */
	uint32_t hash[2];
};
#define STORE_GATE_MEMO 64

/* Every backend's struct begins with this. */
struct store {
	const struct store_ops *ops;
	pthread_mutex_t lock;	/* recursive; a transaction holds it */
	int reader;		/* store_open_reader(): never writes */
	int in_tx, tx_write, in_sp;
	int64_t version, sp_version;	/* of the open write transaction */
	uint64_t hlc, sp_hlc;
	struct store_slot *slots;	/* STORE_SLOTS, or NULL */
	struct store_pre *pre;		/* store_prefetch()'s rows, or NULL */
	unsigned sp_gen;		/* savepoints taken */
	uint64_t tick;
	struct store_hist_pending *hist;	/* STORE_HIST_PENDING, or NULL */
	size_t nhist;
	struct huce_buf enc[2];		/* scratch of the compact layout's texts */
	struct store_gate_memo gate[STORE_GATE_MEMO];
	size_t ngate, gate_next;
};

void store_base_init(struct store *s, const struct store_ops *ops,
		     int reader);

/*
 * Load the record id with its fields and hand it to cb; a record
 * removed meanwhile (by an earlier callback) is skipped.  fs is scratch
 * space the caller releases.
 */
enum huce_err store_visit_id(struct store *s, const char *id,
			     struct store_fieldset *fs, store_record_cb cb,
			     void *arg, struct huce_error *err);


/*
 * One row of a page query (store_ops.changes): starts a new record at a
 * new version (ending the one before, and stopping with pg->more once
 * the page is full), folds the record's delete stamp (PROTOCOL.md 2.2:
 * a record brought back from a delete is never a stub), then writes
 * the row's field.
 */
enum huce_err store_page_row(struct store_page *pg,
			     const struct store_page_row *r);

/*
 * The compact layout's texts (schema 0005).  store_row_encode: the
 * fields of fs (in name order) as fields and their stamps as stamps,
 * both reset first.  store_row_decode: the inverse, into out (emptied
 * first); HUCE_EINVAL for texts it cannot read.  store_page_record:
 * one record of a page query of the compact layout, through
 * store_page_row() field by field.
 */
enum huce_err store_row_encode(const struct store_fieldset *fs,
			       struct huce_buf *fields, struct huce_buf *stamps);
enum huce_err store_row_decode(const char *fields, const char *stamps,
			       struct store_fieldset *out);
/*
 * The n rows of one change (one record, one version) as the history
 * row's before and after objects, fields in name order; *has_before
 * whether any row had a before value (else the column is NULL).
 */
enum huce_err store_history_encode(const struct store_history *h, size_t n,
				   struct huce_buf *before,
				   struct huce_buf *after, int *has_before);
/*
 * The check of the move to the compact layout: a sum (FNV-1a) of a
 * record's columns and of each of its fields (name, value, stamp), in
 * the order of fs, folded into h (STORE_SUM_INIT to start).
 */
#define STORE_SUM_INIT 1469598103934665603ull
uint64_t store_record_sum(uint64_t h, const struct store_record *r,
			  const struct store_fieldset *fs);
/* Whether a write transaction holds the record id in memory (store.c). */
int store_holds(struct store *s, const char *id);
enum huce_err store_page_record(struct store_page *pg,
				const struct store_page_row *head,
				const char *fields, const char *stamps);

/*
 * Whether the fields text of a live inspection makes its team pass the
 * first-toilet gate (store_team_gate, store.h): "result" the string
 * "pass", "stage" one of "completion", "first-toilet", "re-inspection",
 * and "voided" absent, null or "".  -1 for a text it cannot read.  The
 * fields are scanned, not parsed into a tree.
 */
int store_gate_passes(const char *fields);

/*
 * The backends.  Each opens the store spec names (a writer or a
 * reader) into *out, which the caller frees with store_close().
 */
enum huce_err store_sqlite_open(struct store **out, const char *path,
				int reader, struct huce_error *err);
#ifdef HUCE_HAVE_LIBPQ
/*
 * HUCE_EUSAGE for a URL libpq cannot parse, HUCE_EDB when the server
 * cannot be reached (the message names user@host:port/db, never the
 * password).
 */
enum huce_err store_pg_open(struct store **out, const char *url,
			    int reader, struct huce_error *err);
#else
static inline enum huce_err store_pg_open(struct store **out,
					  const char *url, int reader,
					  struct huce_error *err)
{
	(void)url;
	(void)reader;
	*out = NULL;
	return huce_fail(err, HUCE_EINVAL,
			 "this huce-syncd was built without PostgreSQL support "
			 "(libpq was not found at build time)");
}
#endif

#endif
