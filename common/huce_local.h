/*
 * huce_local.h - the laptop's store: typed tables + outbox, one write path.
 *
 * Every change a cadre makes goes through huce_local_put() or
 * huce_local_delete() inside a transaction opened by huce_local_begin():
 * the typed row is written and an outbox row (device seq, record id,
 * kind, changed fields only, base version, HLC) is appended in the same
 * SQLite transaction, so there is no write without its outbox row and no
 * outbox row without its write (DESIGN.md section 3).
 *
 * Pulled state enters through huce_local_apply(), which keeps fields the
 * device has changed and not yet had acknowledged on top; a record whose
 * change the central refused is put back to the central's state by
 * huce_local_restore() (the refused change stays in the outbox,
 * quarantined, for the cadre to drop or retry).
 *
 *   huce_local_open(&l, path, &err);
 *   huce_local_begin(l, &err);
 *   huce_local_put(l, "village", id, fields, 1, &err);
 *   huce_local_commit(l, &err);   (or huce_local_rollback(l))
 *   huce_local_close(l);
 */
#ifndef HUCE_LOCAL_H
#define HUCE_LOCAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_db.h"
#include "huce_err.h"
#include "huce_id.h"

#define HUCE_LOCAL_STMTS 32

struct huce_local {
	struct huce_db *db;
	uint64_t hlc;		/* last HLC issued or seen, loaded at begin */
	int in_tx;
	/*
	 * Statements whose SQL is built from the kinds table (per kind and
	 * set of fields), kept by their text so a pull of thousands of
	 * records prepares each shape once.
	 */
	struct {
		char *sql;
		sqlite3_stmt *st;
	} stmts[HUCE_LOCAL_STMTS];
	unsigned next_stmt;
};

/* Open or create path, migrate it.  Caller frees with huce_local_close. */
enum huce_err huce_local_open(struct huce_local **out, const char *path,
			      struct huce_error *err);
void huce_local_close(struct huce_local *l);

enum huce_err huce_local_begin(struct huce_local *l, struct huce_error *err);
/* Persists the HLC and commits. */
enum huce_err huce_local_commit(struct huce_local *l, struct huce_error *err);
void huce_local_rollback(struct huce_local *l);

/* Next HLC timestamp of this device (inside a transaction). */
uint64_t huce_local_tick(struct huce_local *l);
/* A new UUIDv7 for a record made now (inside a transaction). */
enum huce_err huce_local_new_id(struct huce_local *l, char *out);

/*
 * Write fields (an object of wire field names; the caller keeps
 * ownership) to record id of kind.  creating: the record must not exist
 * yet (or exists with the same values: name-derived ids) and required
 * fields must be present.  Only fields whose value differs from the
 * stored row are written and put in the outbox; *changed (may be NULL)
 * tells how many.  Must be inside huce_local_begin/commit.
 */
enum huce_err huce_local_put(struct huce_local *l, const char *kind,
			     const char *id, const cJSON *fields, int creating,
			     int *changed, struct huce_error *err);
/* Tombstone a record and queue the delete. */
enum huce_err huce_local_delete(struct huce_local *l, const char *kind,
				const char *id, struct huce_error *err);

/*
 * The stored row of id as a JSON object of its fields plus "id",
 * "version" and "deleted"; NULL when absent.  Caller frees (cJSON_Delete).
 */
cJSON *huce_local_get(struct huce_local *l, const char *kind, const char *id,
		      struct huce_error *err);

/*
 * Apply a record's state pulled from the central at version, keeping
 * fields that have pending outbox entries.  Must be inside a transaction.
 */
enum huce_err huce_local_apply(struct huce_local *l, const char *kind,
			       const char *id, int64_t version, int deleted,
			       const cJSON *fields, struct huce_error *err);

/*
 * Put record id of kind back to the central's state after the central
 * refused a change of it (PROTOCOL.md 2.1).  state (borrowed) is the
 * central's {"kind","version","deleted","fields"}, or NULL / JSON null
 * when the central has no such record.  The row becomes what a pull of
 * the record makes on a laptop that never had it (a column the central
 * has no value for takes its default; no quarantined value stays),
 * except that fields of pending outbox entries keep their local values
 * and a pending delete keeps the record deleted.  With no state (or a
 * state of another kind: the id is another record's at the central) the
 * row is removed.  A kind this build does not know is ignored.  Must be
 * inside a transaction; HUCE_ESERVER for a malformed state.
 */
enum huce_err huce_local_restore(struct huce_local *l, const char *kind,
				 const char *id, const cJSON *state,
				 struct huce_error *err);

/*
 * A stub of a record this device wrote all of, pulled at version with
 * the record's newest stamp hlc (PROTOCOL.md 2.2).  *ok is set, and the
 * row takes version, only if the newest acknowledged outbox entry of id
 * has exactly that hlc, no entry of id is quarantined, and the row
 * exists; otherwise nothing changes and the caller must pull the full
 * record.  A kind this build does not know is accepted (and ignored, as
 * huce_local_apply does).  Must be inside a transaction.
 */
enum huce_err huce_local_apply_stub(struct huce_local *l, const char *kind,
				    const char *id, int64_t version,
				    const char *hlc, int *ok,
				    struct huce_error *err);

/* Counts for status. */
int64_t huce_local_count(struct huce_local *l, const char *sql);

#endif
