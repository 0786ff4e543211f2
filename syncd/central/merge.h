/*
 * merge.h - what the office's half of the merge (resolve.c) uses of the
 * batch half (merge.c).  Not for the HTTP server or the admin CLI: they
 * call central.h and store.h.
 *
 * Every change the central makes itself goes through the same path as a
 * device's change (merge_office_change: validation, references, the
 * first-toilet gate, the checklist, the rules of common/huce_domain.h),
 * except the records only the central writes (conflicts, and the derived
 * household status), which merge_central_write() stores as they are.
 *
 * Work that looks at a household as a whole (its derived status, its
 * twins, the duplicates a delete settles) is done once per household at
 * the end of an entry point (a batch, an office change, a resolution),
 * not after every change: the entry point opens a merge_touched set,
 * every change adds the households it touches, and merge_touched_finish()
 * revisits each once, inside the same transaction.
 *
 *   struct merge_touched t;
 *   merge_touched_open(c, &t);
 *   ... merge_office_change(c, ...) ...
 *   ret = merge_touched_finish(c, &t, err);
 *   merge_touched_close(c, &t);            (on every path: idempotent)
 */
#ifndef HUCE_MERGE_H
#define HUCE_MERGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "central.h"
#include "huce_err.h"
#include "huce_id.h"
#include "store.h"

#define DEV_CENTRAL	"central"	/* author of conflicts and derived fields */
#define DEV_OFFICE	"office"	/* author of the office's changes */

/* Households touched by the changes of one entry point. */
struct merge_touched {
	struct merge_touch {
		char id[HUCE_ID_STRLEN + 1];
		int flags;		/* MERGE_TOUCH_* */
	} *v;
	size_t n, alloc;
	int oom;			/* an add failed: finish fails */
};

#define MERGE_TOUCH_CREATED	1	/* look for its twins */
#define MERGE_TOUCH_DELETED	2	/* settle the duplicates it was in */

/*
 * Empty t and make it c's open set, unless c has one already (an entry
 * point called from another: the outer one revisits).
 */
void merge_touched_open(struct central *c, struct merge_touched *t);

/*
 * When t is c's open set: revisit every household in it once, in id
 * order (a new one is checked for twins, a duplicate conflict; a deleted
 * one closes the duplicate conflicts it was part of; a live one gets its
 * status derived again by huce_status_derive() and stored as a change of
 * the central's only when it differs), then close t.  Otherwise a no-op.
 */
enum huce_err merge_touched_finish(struct central *c, struct merge_touched *t,
				   struct huce_error *err);

/* Release t and, when it is c's open set, leave c with none.  Idempotent. */
void merge_touched_close(struct central *c, struct merge_touched *t);

/*
 * Apply a change as the office: base = the central's head, an HLC above
 * every one seen, no concurrency.  del: a delete; creating: the record
 * must not exist yet; nochecks: skip the cross-record rules (gate,
 * checklist, formats), for the central's own re-pointing.  A refused
 * change returns HUCE_EINVAL, HUCE_EGATE or HUCE_ENOTFOUND with the
 * reason in err.  fields may be NULL (a delete or undelete).
 */
enum huce_err merge_office_change(struct central *c, const char *kind,
				  const char *id, int del, const cJSON *fields,
				  int creating, int nochecks,
				  struct huce_error *err);

/*
 * Write the fields of vals (borrowed) that differ from what record id
 * holds, creating it as kind if needed, as device at a fresh central
 * HLC.  No merge rule applies: only the central writes these records.
 */
enum huce_err merge_central_write(struct central *c, const char *kind,
				  const char *id, const cJSON *vals,
				  const char *device, struct huce_error *err);

/*
 * Whether field of record is set by the central alone and never taken
 * from a change (the household's derived status).
 */
int merge_field_derived(const char *kind, const char *field);

/*
 * The first-toilet gate again for household id as it is stored (its
 * team_id), before the office brings it back (a delete conflict kept):
 * a household deleted while it held a team's place comes back only if
 * the gate still lets it.  HUCE_EGATE with the reason in err.
 */
enum huce_err merge_gate_recheck(struct central *c, const char *id,
				 struct huce_error *err);

#endif
