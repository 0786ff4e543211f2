/*
 * huce_code.c - short codes (huce_code.h).
 */
#include "huce_code.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "huce_id.h"

#define CODE_MIN 6

/* Rows of table whose id ends with tail (at most 2 counted). */
static int count_tail(sqlite3 *db, const char *table, const char *tail,
		      int *n)
{
	char sql[160];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM (SELECT 1 FROM \"%s\" "
		 "WHERE substr(id, -?2) = ?1 LIMIT 2)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, tail, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)strlen(tail));
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

enum huce_err huce_code_of(sqlite3 *db, const char *table, const char *id,
			   char *out, struct huce_error *err)
{
	size_t n = strlen(id);

	for (size_t len = CODE_MIN; len <= HUCE_CODE_STRLEN; len += 2) {
		const char *tail = n > len ? id + n - len : id;
		int count;

		if (count_tail(db, table, tail, &count))
			return huce_fail(err, HUCE_EDB, "cannot look up %s codes",
					 table);
		if (count <= 1 || len == HUCE_CODE_STRLEN || tail == id) {
			snprintf(out, HUCE_CODE_STRLEN + 1, "%s", tail);
			return HUCE_OK;
		}
	}
	snprintf(out, HUCE_CODE_STRLEN + 1, "%s", n > CODE_MIN ? id + n - CODE_MIN : id);
	return HUCE_OK;
}

enum huce_err huce_code_key(const char *typed, char key[HUCE_ID_STRLEN + 1],
			    int *tail_ok, struct huce_error *err)
{
	size_t n = 0;
	int hexonly = 1;

	while (isspace((unsigned char)*typed))
		typed++;
	for (const char *p = typed; *p && !isspace((unsigned char)*p); p++) {
		char ch = (char)tolower((unsigned char)*p);

		if (n == HUCE_ID_STRLEN ||
		    !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
			return huce_fail(err, HUCE_ENOTFOUND, "'%.40s' is not a code or id",
					 typed);
		if (ch == '-')
			hexonly = 0;
		key[n++] = ch;
	}
	key[n] = '\0';
	if (n < 4)
		return huce_fail(err, HUCE_ENOTFOUND,
				 "'%.40s' is too short: give the code shown in the "
				 "listing (at least 4 characters)", typed);
	*tail_ok = hexonly && n <= HUCE_CODE_STRLEN;
	return HUCE_OK;
}

enum huce_err huce_code_resolve(sqlite3 *db, const char *table,
				const char *typed, char *out,
				struct huce_error *err)
{
	char key[HUCE_ID_STRLEN + 1], sql[256];
	sqlite3_stmt *st = NULL;
	size_t n;
	int found = 0, rc, tail_ok;
	enum huce_err ret = huce_code_key(typed, key, &tail_ok, err);

	if (ret)
		return ret;
	n = strlen(key);
	/* A tail of the random part has no dash; a prefix may. */
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM \"%s\" WHERE deleted = 0 AND "
		 "(id = ?1 OR substr(id, 1, ?2) = ?1%s) ORDER BY id LIMIT 2",
		 table, tail_ok ? " OR substr(id, -?2) = ?1" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return huce_fail(err, HUCE_EDB, "cannot look up %s", table);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (found++ == 0)
			snprintf(out, HUCE_ID_STRLEN + 1, "%s", id ? id : "");
		else if (id && strcmp(id, out) == 0)
			found--;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return huce_fail(err, HUCE_EDB, "cannot look up %s", table);
	if (!found)
		return huce_fail(err, HUCE_ENOTFOUND, "'%s' not found", key);
	if (found > 1)
		return huce_fail(err, HUCE_EINVAL,
				 "'%s' matches more than one record: type more of "
				 "its code", key);
	return HUCE_OK;
}
