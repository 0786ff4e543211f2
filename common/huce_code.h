/*
 * huce_code.h - short codes a cadre can read aloud and type.
 *
 * Every id made on one laptop shares its first 13 characters with the
 * others made that day (UUIDv7 starts with the time), so a prefix is
 * useless to type.  The short code is the id's random tail instead: its
 * last 6 hex digits, or 8, 10 or 12 when another record of the same
 * table shares the last 6.  Every command that takes a record's id takes
 * its short code, any unique tail of at least 4 digits, or a unique
 * prefix of at least 4 characters.
 */
#ifndef HUCE_CODE_H
#define HUCE_CODE_H

#include <sqlite3.h>

#include "huce_err.h"
#include "huce_id.h"

#define HUCE_CODE_STRLEN 12

/*
 * The short code of id among the rows of table (a local table with an
 * `id` column).  out holds HUCE_CODE_STRLEN + 1 bytes.  A malformed id
 * gets its last 6 characters.
 */
enum huce_err huce_code_of(sqlite3 *db, const char *table, const char *id,
			   char *out, struct huce_error *err);

/*
 * Resolve what a person typed (an id, a short code, a tail or a prefix;
 * upper case and surrounding spaces are forgiven) to the live id in
 * table.  out holds 37 bytes.  HUCE_ENOTFOUND when nothing matches,
 * HUCE_EINVAL when several do (err names how many and suggests the full
 * code), HUCE_EDB on a storage error.
 */
enum huce_err huce_code_resolve(sqlite3 *db, const char *table,
				const char *typed, char *out,
				struct huce_error *err);

/*
 * What a person typed, as the lower-case key huce_code_resolve()
 * compares with ids (surrounding spaces dropped, at most
 * HUCE_ID_STRLEN characters of hex and '-', at least 4).  *tail_ok
 * tells whether it may be an id's tail (hex only, at most
 * HUCE_CODE_STRLEN).  HUCE_ENOTFOUND with a message otherwise.  The
 * central (syncd/central/names.c) reads codes with it too.
 */
enum huce_err huce_code_key(const char *typed, char key[HUCE_ID_STRLEN + 1],
			    int *tail_ok, struct huce_error *err);

#endif
