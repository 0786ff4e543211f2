/*
 * huce_record.h - the record kinds that sync, as one table.
 *
 * Each kind lists its fields with their wire name (which is also the
 * local column name), type, limits and allowed values.  The same table
 * drives the local store's generic write and apply paths, the outbox
 * payload, the central's validation of incoming changes and the JSON
 * listings, so a field is declared once.
 */
#ifndef HUCE_RECORD_H
#define HUCE_RECORD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_err.h"

enum huce_ftype {
	HUCE_F_TEXT,	/* UTF-8 string */
	HUCE_F_INT,	/* integer */
	HUCE_F_JSON,	/* object or array, stored as JSON text */
	HUCE_F_REF,	/* id of another record */
	HUCE_F_DATE,	/* YYYY-MM-DD */
	HUCE_F_WEEK,	/* YYYY-Www */
};

struct huce_field_def {
	const char *name;
	enum huce_ftype type;
	int required;			/* must be present when created */
	size_t maxlen;			/* bytes, for text */
	const char *const *values;	/* allowed values, NULL-terminated */
	const char *ref_kind;		/* for HUCE_F_REF */
	int local_only;			/* computed locally, never trusted from wire */
};

struct huce_kind_def {
	const char *kind;	/* "household" */
	const char *table;	/* "household" */
	const struct huce_field_def *fields;
	size_t nfields;
	int device_writable;	/* devices may push it */
};

extern const char *const huce_approaches[];	/* biogas-retrofit, new-build */
extern const char *const huce_builds[];		/* self, contracted */
extern const char *const huce_statuses[];	/* planned .. rectifying */
extern const char *const huce_stages[];
extern const char *const huce_photo_kinds[];
extern const char *const huce_roles[];
extern const char *const huce_waters[];		/* wet (宜水), dry (宜旱) */

/* All kinds, NULL-terminated order in which parents precede children. */
extern const struct huce_kind_def *const huce_kinds[];

const struct huce_kind_def *huce_kind_find(const char *kind);
const struct huce_field_def *huce_field_find(const struct huce_kind_def *k,
					     const char *name);
/* Index of s in a NULL-terminated list, or -1. */
int huce_enum_index(const char *const *values, const char *s);

/*
 * Check a change's fields object against the kind: every key is a known
 * field, values have the right type, text is valid UTF-8 within limits,
 * enumerations hold.  When creating, required fields must be present.
 * Fields marked local_only are refused (from_wire) or accepted (local).
 * Returns HUCE_EINVAL with the field named in err.
 */
enum huce_err huce_record_check(const struct huce_kind_def *k,
				const cJSON *fields, int creating,
				int from_wire, struct huce_error *err);

/*
 * The word for a kind of record ("village", "household") in a message,
 * in the user's language (huce_i18n.h); kind itself when it is not a
 * known one.  Static.
 */
const char *huce_kind_text(const char *kind);
/*
 * A code of the data as a person reads it in a message: what is
 * "status", "result", "stage", "review", "rectification" (open, closed),
 * "photo" (a photo's kind), "approach", "build", "type", "water", "role",
 * "conflict" (a conflict's kind) or "conflict status"; the Chinese is the labels used everywhere else (huce_status_label,
 * huce_toilet_type_label, the web app's).  The code itself in English,
 * or when it is not a known one.  Static.
 */
const char *huce_value_text(const char *what, const char *code);

/* Chinese labels <-> codes for approach, build and role (CSV import, reports). */
const char *huce_approach_label(const char *code);
const char *huce_build_label(const char *code);
const char *huce_role_label(const char *code);
/* Accepts either a code or its Chinese label; NULL when neither. */
const char *huce_approach_code(const char *s);
const char *huce_build_code(const char *s);
const char *huce_role_code(const char *s);

#endif
