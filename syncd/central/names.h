/*
 * names.h - how the central names a record for a person: its short code
 * (the id's random tail, as huce_code.h does on the laptop, unique
 * within the store), what a typed code, tail or prefix stands for, and a
 * record described in words (a household by head, village and group; an
 * inspection by stage, date, inspector and result).  Used by the merge's
 * refusals, the office's conflict listing and every admin command that
 * takes a record.
 */
#ifndef HUCE_NAMES_H
#define HUCE_NAMES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_code.h"
#include "huce_err.h"
#include "huce_id.h"
#include "store.h"

/*
 * The short code of record id among the records of kind (deleted ones
 * counted too, so a code never changes meaning): the last 6 hex digits
 * of its id, or 8, 10, 12 when another record shares them.
 */
enum huce_err names_code_of(struct store *s, const char *kind, const char *id,
			    char out[HUCE_CODE_STRLEN + 1],
			    struct huce_error *err);

/*
 * The live record of kind that typed (its id, short code, a unique tail
 * of at least 4 hex digits or a unique prefix of at least 4 characters;
 * upper case forgiven) stands for.  HUCE_ENOTFOUND ("what TYPED not
 * found"), HUCE_EINVAL when several match.  what names the kind in
 * messages ("household", "conflict").
 */
enum huce_err names_resolve(struct store *s, const char *kind,
			    const char *what, const char *typed,
			    char out[HUCE_ID_STRLEN + 1],
			    struct huce_error *err);

/*
 * What a cadre calls record id: "刀建华 (阿猛村 一组)" for a household,
 * its name for a named record, its id when the central knows no name.
 * fields (may be NULL): the record's state to read before the store's
 * (a household being registered is not stored yet).
 */
void names_label(struct store *s, const char *id, const cJSON *fields,
		 char *out, size_t n);

/*
 * Record id described for a person, as a new object (NULL when out of
 * memory): always "id", "code", "kind", "label"; for a household also
 * "head", "village", "group", "id_masked", "device" (that registered
 * it), "inspections" (how many, voided ones left out) and
 * "last_result"; for an inspection "household" (label), "stage",
 * "date", "inspector", "result".  A missing record gives id, code and
 * label (its id) only.
 */
cJSON *names_describe(struct store *s, const char *id);

#endif
