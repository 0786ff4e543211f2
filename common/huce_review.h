/*
 * huce_review.h - the office's review of a household (信息审核).
 *
 * The town office reads what the cadres entered and says, for each
 * household, "approved" or "has issues: <note>".  A review is a record of
 * its own (kind "review", common/huce_record.c), one per household, with
 * the name-derived id huce_review_id(): only the office and the central
 * write it, and it reaches the laptops by pull like any change, so the
 * cadre sees the note in `huce household show` and can list the
 * households with issues (`household list --review has-issues`).
 *
 *   field        wire name     JSON key (household show/list "review")
 *   state        state         state   received | approved | has-issues | edited
 *   note         note          note    the office's text (kept when edited)
 *   who          reviewer      by      the admin ("admin:NAME"), or the
 *                                      laptop whose change made it edited
 *   when         reviewed_at   at      UTC "YYYY-MM-DDTHH:MM:SSZ"
 *
 * A household with no review record is "received".  The one rule of the
 * states is huce_review_next(): the office's approval or issues set the
 * state whatever it was; a cadre's change (a device's change of the
 * household or of its inspections, rectifications or photos, merged at
 * the central) turns "has-issues" into "edited", so the office knows the
 * cadre has answered, and leaves every other state as it is.
 */
#ifndef HUCE_REVIEW_H
#define HUCE_REVIEW_H

#include <cjson/cJSON.h>

#include "huce_id.h"

enum huce_review_state {
	HUCE_REVIEW_RECEIVED,	/* "received"   已接收 (no review yet) */
	HUCE_REVIEW_APPROVED,	/* "approved"   审核通过 */
	HUCE_REVIEW_ISSUES,	/* "has-issues" 有问题 */
	HUCE_REVIEW_EDITED,	/* "edited"     已修改 (the cadre answered) */
	HUCE_REVIEW__COUNT
};

enum huce_review_event {
	HUCE_REVIEW_EV_APPROVE,		/* the office approves */
	HUCE_REVIEW_EV_ISSUES,		/* the office notes issues */
	HUCE_REVIEW_EV_DEVICE_CHANGE,	/* a laptop's change of the household merged */
};

/* The wire names, in enum order, NULL-terminated. */
extern const char *const huce_review_states[];

/* 已接收 审核通过 有问题 已修改: the label of a state (static). */
const char *huce_review_label(enum huce_review_state s);

/* The state named s (the wire name only), or -1. */
int huce_review_parse(const char *s);

/*
 * The state a person named: its wire name (has-issues) or its Chinese
 * label (有问题), or -1.  For the --review filters of `huce household
 * list`, `huce-syncd admin household list` and the web app.
 */
int huce_review_parse_text(const char *s);

/* The state after ev in state.  Pure; never fails. */
enum huce_review_state huce_review_next(enum huce_review_state state,
					enum huce_review_event ev);

/*
 * The review as its JSON {state, note, by, at} (the table above): state
 * NULL is "received", the others NULL are null.  The caller frees; NULL
 * when out of memory.
 */
cJSON *huce_review_json(const char *state, const char *note, const char *by,
			const char *at);

/* The id of household_id's review record (name-derived); out holds 37 bytes. */
void huce_review_id(const char *household_id, char *out);

#endif
