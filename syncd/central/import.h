/*
 * import.h - the office's household list into the central store
 * (`huce-syncd admin import FILE.csv`, DESIGN.md section 6).
 *
 * The list is a CSV (csv_table.h) whose header row names the columns in
 * any order, in Chinese or as English aliases.  Every row is checked
 * before anything is written: values are turned into codes, an ID
 * number into its masked form and the town key's HMAC (the full number
 * is never kept), and two rows with one ID number are refused, the
 * later naming the earlier's line.  Then, in one write transaction with
 * its audit line, each row's village, group, cadre and team is made
 * when missing (name-derived ids, as on a laptop) and the household is
 * put through central_office_put(), so the merge's rules (validation,
 * the first-toilet gate) hold here too.
 *
 * A row that is already in the store (an earlier import of the same
 * list, or a laptop's record) is counted as present, not added: the
 * same group and normalised head, with the same ID number or with no
 * ID number on one side.  A row whose ID number belongs to a different
 * household (another group or head) is a bad row naming that household
 * (head, village, group): one ID number is one household.
 *
 * Any bad row fails the whole import (HUCE_EINVAL or HUCE_EGATE, the
 * message naming its line and column): nothing is written.
 */
#ifndef HUCE_IMPORT_H
#define HUCE_IMPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_err.h"

struct central;

struct import_result {
	int households;		/* households added */
	int present;		/* rows already in the store */
	int villages, groups, cadres, teams;	/* records made */
	cJSON *ignored;		/* header texts of unknown columns, or NULL */
};

/*
 * Import the list text[0..len) into c->store as the office, audited
 * under actor.  *res is filled (ignored columns also on failure, so the
 * caller can mention them); release it with import_result_release().
 * Opens, commits or rolls back its own transaction.
 */
enum huce_err import_csv(struct central *c, const char *actor,
			 const char *text, size_t len,
			 struct import_result *res, struct huce_error *err);

/* Free what *res holds and zero it. */
void import_result_release(struct import_result *res);

#endif
