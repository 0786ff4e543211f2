/*
 * huce_report.h - the weekly list (周清单), counted once for the laptop
 * and the central.
 *
 * `huce report week` (client/cmd_report.c) and `huce-syncd admin report
 * week` (syncd/central/report.c) only load facts, each from its own store, and
 * hand them to this module, which counts and ranks; so the two give the
 * same numbers for the same records.  Nothing here reads a stored
 * status: a household's status as of a day is derived from its facts by
 * the status machine (huce_domain.h).
 *
 * The columns (README, "The weekly list", says the same for users).
 * W is the ISO week asked for, Mon..Sun its first and last day, and
 * "counted" households are the live ones (not deleted, not merged into
 * another) of a known village that were registered by Sun: the time in
 * their UUIDv7 id is on or before Sun, or one of their facts (started,
 * finished, a live inspection) is dated on or before Sun.
 *
 *   column               kind        what
 *   target               of W        the village's weekly target for W
 *   households           as of Sun   counted households
 *   built                as of Sun   status built, accepted, failed or
 *                                    rectifying as of Sun
 *   accepted             as of Sun   status accepted as of Sun
 *   open_rectifications  as of Sun   opened by a live inspection dated on
 *                                    or before Sun, and not closed by
 *                                    then (closed by an inspection dated
 *                                    after Sun is still open)
 *   inspected            W's events  households with a live inspection
 *                                    dated Mon..Sun
 *   passed / failed      W's events  households whose decisive inspection
 *                                    among those dated Mon..Sun passed /
 *                                    failed: each household once, never
 *                                    in both
 *   entered_same_week    W's events  passed households whose deciding
 *                                    inspection reached the central in W;
 *                                    -1 (JSON null) when an arrival time
 *                                    is not known (the laptop)
 *   conflicts            now         open conflicts on the village, its
 *                                    households or their inspections,
 *                                    rectifications and photos
 *   rank                 -           by accepted, most first; equal
 *                                    accepted share a rank (1, 1, 3)
 *
 * A live inspection is neither deleted nor voided: a voided inspection
 * counts for nothing, in every week.  Corrections (voids, deletions,
 * merges, a household moved to another village) apply to past weeks too:
 * a past week is recounted from today's records by their own dates.
 * Unix times (arrival, an id's time) become dates in the local time zone.
 *
 * Calling sequence:
 *
 *   struct huce_report *r;
 *   huce_report_new(&r, "2026-W40", &err);
 *   huce_report_add_village(r, ...); ... add_target, add_household,
 *   add_inspection, add_rectification, add_conflict, in any order;
 *   huce_report_compute(r, &err);
 *   huce_report_rows(r, &rows) / huce_report_json(r) / huce_report_text();
 *   huce_report_free(r);
 *
 * The add functions copy their strings and never fail: a failed
 * allocation sticks and huce_report_compute() returns HUCE_ENOMEM.
 */
#ifndef HUCE_REPORT_H
#define HUCE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"

/* One village's line, in rank order.  Strings belong to the report. */
struct huce_report_row {
	const char *village_id;
	const char *village;
	int64_t target, households, built, inspected, passed, failed;
	int64_t accepted, open_rectifications;
	int64_t entered_same_week;	/* -1: not known */
	int64_t conflicts;
	int rank;			/* 1-based, shared by equal villages */
};

struct huce_report;

/*
 * A report for the ISO week "YYYY-Www".  HUCE_EINVAL for a bad week,
 * HUCE_ENOMEM.  The caller frees *out with huce_report_free().
 */
enum huce_err huce_report_new(struct huce_report **out, const char *week,
			      struct huce_error *err);
void huce_report_free(struct huce_report *r);

/* A live village.  name may be NULL (""). */
void huce_report_add_village(struct huce_report *r, const char *id,
			     const char *name);
/* A live weekly target; only those for the report's week count. */
void huce_report_add_target(struct huce_report *r, const char *village_id,
			    const char *week, int64_t n);
/*
 * A household, live or not (a deleted or merged one counts for nothing,
 * but a conflict on it is still its village's).  started / finished:
 * YYYY-MM-DD or NULL.
 */
void huce_report_add_household(struct huce_report *r, const char *id,
			       const char *village_id, const char *started,
			       const char *finished, int live);
/*
 * An inspection: stage and result ("pass" / "fail") as on the wire;
 * live is 0 for a deleted or voided one.  entered: Unix seconds when it
 * reached the central, 0 when not known.
 */
void huce_report_add_inspection(struct huce_report *r, const char *id,
				const char *household_id, const char *date,
				const char *stage, const char *result,
				int live, int64_t entered);
/*
 * A rectification: inspection_id opened it; status "open" / "closed";
 * closed_by (may be NULL) the inspection that closed it.
 */
void huce_report_add_rectification(struct huce_report *r, const char *id,
				   const char *household_id,
				   const char *inspection_id,
				   const char *status, const char *closed_by,
				   int live);
/*
 * An open conflict on record (a village, household, inspection or
 * rectification id; for a photo pass its owner's id).
 */
void huce_report_add_conflict(struct huce_report *r, const char *record);

/* Count and rank.  HUCE_ENOMEM when an add or the count ran out. */
enum huce_err huce_report_compute(struct huce_report *r,
				  struct huce_error *err);

/* The rows in rank order (after compute); returns how many. */
size_t huce_report_rows(const struct huce_report *r,
			const struct huce_report_row **rows);
/* The week; its first and last day (YYYY-MM-DD). */
const char *huce_report_week(const struct huce_report *r);
const char *huce_report_from(const struct huce_report *r);
const char *huce_report_to(const struct huce_report *r);
/* Every open conflict added, whether or not it touches a village. */
int64_t huce_report_conflicts(const struct huce_report *r);

/*
 * The JSON both sides print: {week, from, to, conflicts, villages:
 * [{village, village_id, target, households, built, inspected, passed,
 * failed, accepted, open_rectifications, entered_same_week, conflicts,
 * rank}]}; entered_same_week is null when not known.  NULL on ENOMEM;
 * the caller frees it with cJSON_Delete().
 */
cJSON *huce_report_json(const struct huce_report *r);

/*
 * The text table both sides print: a title line, a header line of the
 * JSON keys and one tab-separated line per village ("-" for a number
 * not known), appended to b.
 */
enum huce_err huce_report_text(const struct huce_report *r,
			       struct huce_buf *b);

#endif
