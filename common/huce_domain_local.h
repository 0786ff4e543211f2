/*
 * huce_domain_local.h - the domain layer over the laptop's store.
 *
 * The rules themselves are pure functions (huce_domain.h: the status
 * machine, the gate, the field rules; huce_checklist.h: the grading).
 * This file loads what they need from the local SQLite file and writes
 * what they decide, so that every way a record changes on the laptop
 * goes through one path:
 *
 *   household add / set / progress  -> huce_local_household_write()
 *   inspect                          -> huce_local_inspection_record()
 *   inspect void                     -> huce_local_inspection_void()
 *   a page pulled from the central   -> huce_local_status_refresh_page()
 *
 * Every function here runs inside huce_local_begin() / commit; on an
 * error the caller rolls back and nothing is written.  household.status
 * is written only by huce_local_status_refresh(), with no outbox entry:
 * status is derived on every laptop and at the central, never sent
 * (docs/DOMAIN.md).
 */
#ifndef HUCE_DOMAIN_LOCAL_H
#define HUCE_DOMAIN_LOCAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_checklist.h"
#include "huce_domain.h"
#include "huce_err.h"
#include "huce_id.h"
#include "huce_local.h"

/*
 * A household's acceptance counts for the first-toilet gate when its
 * derived status is accepted or it ever passed an accepting inspection
 * that is not voided (a later failed spot-check does not take the
 * team's qualification away).  SQL over a household aliased h, shared
 * by the gate check and `huce team list`.
 */
#define HUCE_LOCAL_SQL_HH_PASSED \
	"(h.status = 'accepted' OR EXISTS (SELECT 1 FROM inspection i " \
	"WHERE i.household_id = h.id AND i.deleted = 0 AND i.result = 'pass' " \
	"AND coalesce(i.voided, '') = '' " \
	"AND i.stage IN ('completion', 'first-toilet', 're-inspection')))"

/*
 * Derive the status of household_id from its started / finished dates
 * and its inspections (huce_status_derive) and store it in the status
 * column, with no outbox entry.  A household that is not here (an
 * inspection pulled before its household) is left alone.
 */
enum huce_err huce_local_status_refresh(struct huce_local *l,
					const char *household_id,
					struct huce_error *err);

/*
 * Refresh the status of the household that record id of kind bears on:
 * a household itself, an inspection's household; other kinds none.  For
 * a record put back or re-applied outside the paths below (a refused
 * change restored to the central's state, a quarantined one retried).
 */
enum huce_err huce_local_status_refresh_record(struct huce_local *l,
					       const char *kind, const char *id,
					       struct huce_error *err);

/*
 * After a pulled page's records are applied: refresh the status of every
 * household the page touched (its household and inspection changes).
 * changes is the page's array of {id, kind, fields ...}.
 */
enum huce_err huce_local_status_refresh_page(struct huce_local *l,
					     const cJSON *changes,
					     struct huce_error *err);

/*
 * How messages name a household: "张三 (阿猛村 第一组, code 3f9a1c)",
 * with its short code (huce_code.h) a cadre can type.  Always
 * NUL-terminates out; falls back to the code alone.
 */
void huce_local_household_name(struct huce_local *l, const char *id,
			       char *out, size_t n);

/*
 * Record id described for a person (the laptop's half of the
 * central's names_describe, same keys), as a new object or NULL when
 * the laptop has no household or inspection id: "id", "code", "kind",
 * "label"; a household adds "head", "village", "group", "id_masked",
 * "deleted", "inspections" (not voided) and "last_result"; an
 * inspection adds "household" (its label), "stage", "date",
 * "inspector", "result", "voided".
 */
cJSON *huce_local_describe(struct huce_local *l, const char *id);

/*
 * The first-toilet gate (首厕过关, huce_gate_open) for giving
 * household_id (may be NULL for a new one) to team_id, or starting its
 * work there.  HUCE_EGATE names the team and its first household.
 */
enum huce_err huce_local_gate_check(struct huce_local *l, const char *team_id,
				    const char *household_id,
				    struct huce_error *err);

/*
 * Put an ID number typed by the cadre into fields as id_masked and, once
 * the laptop holds the town's key (after enrolment), id_hash; "" clears
 * both.  The full number is never stored.  HUCE_EINVAL names id_number.
 */
enum huce_err huce_local_idnum_fields(struct huce_local *l, const char *number,
				      cJSON *fields, struct huce_error *err);

/*
 * The domain rules of huce_local_household_write() alone, nothing
 * written (change is still made canonical): for a change written by
 * another path, such as a quarantined change retried.
 */
enum huce_err huce_local_household_check(struct huce_local *l, const char *id,
					 cJSON *change, int creating,
					 struct huce_error *err);

/*
 * Create (creating) or change household id with the wire fields in
 * change, after the domain rules on the state after the change:
 *   - status is not a field (HUCE_EUSAGE: it is derived);
 *   - phone and gps are checked and rewritten in their canonical form;
 *   - a contracted toilet names its team, a self-built one has none;
 *   - 开工 / 完工 dates (huce_progress_check);
 *   - one ID number, one household: HUCE_EINVAL naming the household
 *     that has it (same id_hash; or, where either has no hash, same
 *     masked number and same normalised head name);
 *   - the gate when the household is given to a team or its work starts.
 * Then writes it (huce_local_put, *changed as there) and refreshes its
 * status.  change is modified (canonical values).
 */
enum huce_err huce_local_household_write(struct huce_local *l, const char *id,
					 cJSON *change, int creating,
					 int *changed, struct huce_error *err);

/* An inspection as the inspector gives it.  Strings are borrowed. */
struct huce_inspection_in {
	const char *household_id;
	int stage;			/* enum huce_stage */
	const char *date;		/* YYYY-MM-DD */
	const char *const *inspectors;	/* names of cadres known here */
	size_t ninspectors;
	const char *const *codes;	/* answers, as typed: code = value */
	const char *const *values;
	size_t nitems;
	const char *result;		/* "pass", "fail", or NULL: computed */
	const char *note;		/* may be NULL */
	const char *gps;		/* may be NULL */
	const char *const *photo_kinds;	/* the kinds of the photos it carries */
	size_t nphotos;
};

struct huce_inspection_out {
	char id[HUCE_ID_STRLEN + 1];	/* the new inspection */
	char type[32];			/* the household's toilet type */
	const char *result;		/* "pass" or "fail", static */
	int overridden;			/* a typed pass made fail by a veto item */
	struct huce_eval ev;		/* the grading; huce_eval_release() */
	char deadline[11];		/* of the rectification opened, or "" */
	int closed;			/* rectifications closed */
	enum huce_status status;	/* the household's status after */
};

/*
 * Record an inspection: check it (the household is here, the date is no
 * later than today + 1, each inspector is a known cadre, the GPS, the
 * note), grade it against cl (every required item of the stage; a
 * failed critical item makes it fail whatever was typed), check that
 * its photos (in->photo_kinds, which the caller attaches in the same
 * transaction) are the evidence the stage asks for
 * (huce_checklist_photos_check: photo_required), write it, open
 * a rectification when it failed or close the open ones when it passed
 * an accepting stage, and refresh the household's status.  On success
 * the caller releases out->ev.  HUCE_EINVAL names what is wrong.
 */
enum huce_err huce_local_inspection_record(struct huce_local *l,
					   const struct huce_checklists *cl,
					   const struct huce_inspection_in *in,
					   struct huce_inspection_out *out,
					   struct huce_error *err);

struct huce_void_out {
	char household_id[HUCE_ID_STRLEN + 1];
	int closed;		/* rectifications it had opened, now closed */
	int reopened;		/* rectifications it had closed, open again */
	enum huce_status status;	/* the household's status after */
};

/*
 * Void a wrong inspection (append-only: it stays, with its reason in
 * inspection.voided, and counts for nothing).  The rectifications it
 * opened are closed with closed_by = the voided inspection itself; the
 * ones it closed are opened again unless the household is still
 * accepted; the status is refreshed.  An inspection already voided is
 * HUCE_EINVAL, an unknown one HUCE_ENOTFOUND.
 */
enum huce_err huce_local_inspection_void(struct huce_local *l,
					 const char *inspection_id,
					 const char *reason,
					 struct huce_void_out *out,
					 struct huce_error *err);

#endif
