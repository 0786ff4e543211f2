/*
 * review.h - the office's review of a household at the central
 * (信息审核; the states and their rule are common/huce_review.h).
 *
 * A review is the record of kind "review" with id huce_review_id(the
 * household); only the office (`admin review`) and the central (a
 * laptop's change landing on a household with issues) write it, as
 * changes that every laptop pulls.  Its JSON, in `household show` and
 * `household list` on the laptop and at the office, is
 *
 *   "review": {"state": "received" | "approved" | "has-issues" | "edited",
 *              "note": text | null, "by": text | null, "at": text | null}
 *
 * ("received", nulls: not reviewed yet).
 */
#ifndef HUCE_SYNCD_REVIEW_H
#define HUCE_SYNCD_REVIEW_H

#include <cjson/cJSON.h>

#include "huce_err.h"
#include "huce_review.h"

struct central;
struct store;

/*
 * The review of household_id as the JSON above (the caller frees), in
 * *out.  HUCE_ENOMEM, or the store's error.
 */
enum huce_err review_json(struct store *s, const char *household_id,
			  cJSON **out, struct huce_error *err);

/*
 * Every review, as an object keyed by household id of the JSON above,
 * in *out (the caller frees).  For listings: one scan, not one lookup
 * per household.
 */
enum huce_err review_all(struct store *s, cJSON **out, struct huce_error *err);

/* The "received" review, for a household with none; NULL on OOM. */
cJSON *review_received(void);

/*
 * The office's approval or issues (note: the text; NULL for an
 * approval) of household_id, by (the admin), now.  Inside a write
 * transaction; HUCE_ENOTFOUND when there is no such live household.
 */
enum huce_err review_office(struct central *c, const char *household_id,
			    enum huce_review_event ev, const char *note,
			    const char *by, struct huce_error *err);

/*
 * A device's change of household_id (or of its inspections,
 * rectifications or photos) has been merged: by huce_review_next(), a
 * review with issues becomes "edited", by device, now; any other is
 * left alone.  Called by the merge inside its transaction.
 */
enum huce_err review_device_change(struct central *c, const char *household_id,
				   const char *device, struct huce_error *err);

/*
 * The merge's one call: a device's change of record id of kind, whose
 * fields are now post, has been merged.  The household it belongs to
 * (itself; an inspection's or rectification's household_id; a photo's
 * owner, or its inspection's household) gets review_device_change().
 * Changes of other kinds, and the office's, change no review.
 */
enum huce_err review_after_change(struct central *c, const char *kind,
				  const char *id, const cJSON *post,
				  const char *device, struct huce_error *err);

#endif
