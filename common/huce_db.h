/*
 * huce_db.h - SQLite handle with migrations and a prepared-statement cache.
 *
 * huce_db_open() opens (creating 0600 if needed) a database file, sets
 * WAL, foreign keys and synchronous=FULL, and migrates it: the embedded
 * files "<set>/NNNN_*.sql" are applied in order, each one bringing
 * PRAGMA user_version to NNNN, all pending ones in one transaction.
 * A handle is not thread-safe (SQLITE_OPEN_NOMUTEX): one thread at a
 * time, or the caller's own lock around every use.
 *
 * Statements are prepared once per handle and cached by their SQL text
 * (huce_db_stmt), so callers write the SQL inline where it is used and
 * pay the compile cost once.  huce_db_run() binds from a type string:
 *   's' const char * (NULL binds NULL)   'i' int64_t   'd' double
 *   'n' NULL
 * and steps to completion.
 */
#ifndef HUCE_DB_H
#define HUCE_DB_H

#include <stdint.h>

#include <sqlite3.h>

#include "huce_err.h"

struct huce_db;

/*
 * Open path and migrate with the embedded migration set ("local" or
 * "central").  On success *out is a handle the caller frees with
 * huce_db_close().  A database newer than this program is refused.
 */
enum huce_err huce_db_open(struct huce_db **out, const char *path,
			   const char *set, struct huce_error *err);
/*
 * huce_db_open() with a step of code in the migration: after each
 * migration file version of the set has run, fn(db, version, arg, err)
 * runs in the same transaction (a layout change that SQL alone cannot
 * check, such as the central's compact layout, schema 0005); an error
 * rolls the whole migration back.
 */
typedef enum huce_err (*huce_db_migrated_fn)(struct huce_db *db, int version,
					     void *arg, struct huce_error *err);
enum huce_err huce_db_open_ex(struct huce_db **out, const char *path,
			      const char *set, huce_db_migrated_fn fn,
			      void *arg, struct huce_error *err);
/* Finalise cached statements and close; NULL is a no-op. */
void huce_db_close(struct huce_db *db);
sqlite3 *huce_db_handle(struct huce_db *db);
/* PRAGMA user_version after migration. */
int huce_db_schema_version(struct huce_db *db);
/* Highest migration number embedded for a set. */
int huce_db_latest_version(const char *set);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
enum huce_err huce_db_begin(struct huce_db *db, struct huce_error *err);
enum huce_err huce_db_commit(struct huce_db *db, struct huce_error *err);
void huce_db_rollback(struct huce_db *db);

/*
 * A cached, reset statement for sql (which must be a string that lives
 * as long as the handle, normally a literal).  Do not finalise it.
 * Returns NULL with err set on failure.
 */
sqlite3_stmt *huce_db_stmt(struct huce_db *db, const char *sql,
			   struct huce_error *err);
/* Bind with a type string (see above) to a statement from huce_db_stmt. */
enum huce_err huce_db_bindv(struct huce_db *db, sqlite3_stmt *st,
			    const char *types, ...);
/* Prepare (cached), bind, step to completion. */
enum huce_err huce_db_run(struct huce_db *db, struct huce_error *err,
			  const char *sql, const char *types, ...);
/*
 * Prepare (cached) and bind; the caller steps it.  NULL on error.
 */
sqlite3_stmt *huce_db_query(struct huce_db *db, struct huce_error *err,
			    const char *sql, const char *types, ...);
/* Run SQL text with no parameters (may hold several statements). */
enum huce_err huce_db_exec(struct huce_db *db, const char *sql,
			   struct huce_error *err);
/* Record a failure with SQLite's message: "what: message". */
enum huce_err huce_db_fail(struct huce_db *db, struct huce_error *err,
			   const char *what);

/* A malloc'd copy of a text column (NULL for SQL NULL); caller frees. */
char *huce_db_col_dup(sqlite3_stmt *st, int col);

/* Meta key/value table ("meta" in both schemas). */
char *huce_db_meta_get(struct huce_db *db, const char *key); /* caller frees */
int64_t huce_db_meta_int(struct huce_db *db, const char *key, int64_t dflt);
enum huce_err huce_db_meta_set(struct huce_db *db, const char *key,
			       const char *value, struct huce_error *err);
enum huce_err huce_db_meta_set_int(struct huce_db *db, const char *key,
				   int64_t value, struct huce_error *err);

#endif
