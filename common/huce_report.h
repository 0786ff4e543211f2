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
 *                                    inspection reached the central in
 *                                    the ISO week of its date (当周验收
 *                                    当周录入; over a month, each
 *                                    acceptance's own week);
 *                                    -1 (JSON null) when an arrival time
 *                                    is not known (the laptop)
 *   conflicts            now         open conflicts on the village, its
 *                                    households or their inspections,
 *                                    rectifications and photos
 *   rank                 -           by accepted, most first; equal
 *                                    accepted share a rank (1, 1, 3)
 *   started              as of Sun   status other than planned
 *   newly_accepted       W's events  accepted as of Sun, not as of the
 *                                    day before Mon
 *   first_inspected      W's events  households whose first acceptance
 *                                    inspection (completion, first-toilet,
 *                                    re-inspection) is dated in W;
 *   first_passed                     ... and it passed (first_pass_rate)
 *   rectifications_opened W's events opened by a live inspection in W
 *   rectifications_closed W's events closed by a live inspection in W
 *   rectifications_overdue as of Sun open, deadline before Sun
 *   teams_blocked        as of Sun   teams with two or more households
 *                                    (one in the village) and none that
 *                                    passed an acceptance inspection
 *   missing_photos       now         live photo records whose bytes are
 *                                    not at the central (-1 on a laptop)
 *   photos_lacking       W's events  live inspections dated in W whose
 *                                    live photo records lack a kind the
 *                                    checklist asks of their stage
 *                                    (photo_required: after and plaque at
 *                                    completion, ...), by
 *                                    huce_checklist_photos_missing(); -1
 *                                    when no checklists were given.  The
 *                                    laptop refuses such an inspection;
 *                                    this counts what arrived without
 *                                    them (an older release, a county's
 *                                    own checklists, a photo deleted) —
 *                                    counted from the records as they are
 *                                    now, so photos that came in a later
 *                                    batch count (docs/CHECKLISTS.md)
 *   stale                as of Sun   not accepted, and no visit (its id's
 *                                    day, started, finished, an
 *                                    inspection) in the last N days
 *   rechecks, mismatches W's events  households accepted before a
 *                                    spot-check in W; ... that failed it
 *   review_approved,     now         counted households whose review
 *   review_has_issues,               (信息审核) is approved / has-issues /
 *   review_edited                    edited (the cadre answered the
 *                                    issues): the review keeps no
 *                                    history, so a past week shows
 *                                    today's review
 *   failures             W's events  per checklist item, the live failed
 *                                    inspections in W that failed it
 *
 * The week W is the general case of a period from..to
 * (huce_report_new_range): a month, or the days since the last dispatch
 * meeting; "Sun" is then its last day, "Mon" its first.
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
 *   huce_report_add_village(r, ...); ... add_target, add_household
 *   (+ household_details), add_inspection (+ inspection_failed),
 *   add_rectification (+ rectification_deadline), add_team, add_cadre,
 *   add_photo, add_conflict, in any order;
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

/* One item's failures (failures by checklist item), most first. */
struct huce_report_count {
	const char *item;		/* checklist item code */
	int64_t n;
};

/*
 * One village's line, in rank order (or the town's: huce_report_town()).
 * Strings belong to the report.  The period is the week of
 * huce_report_new() or the days of huce_report_new_range(): "as of"
 * columns are counted as of its last day, "events" in its days.
 */
struct huce_report_row {
	const char *village_id;
	const char *village;
	int64_t target, households, built, inspected, passed, failed;
	int64_t accepted, open_rectifications;
	int64_t entered_same_week;	/* -1: not known */
	int64_t conflicts;
	int rank;			/* 1-based, shared by equal villages */
	/* --- since issue 11 (README, "The weekly list") --- */
	int64_t started;		/* as of: status past planned */
	int64_t newly_accepted;		/* accepted as of the last day, not
					   as of the day before the first */
	int64_t first_inspected;	/* events: first acceptance inspection */
	int64_t first_passed;		/*   ... and it passed */
	int64_t rect_opened, rect_closed;	/* events */
	int64_t rect_overdue;		/* as of: open, deadline passed */
	int64_t teams_blocked;		/* as of: first-toilet rule */
	int64_t missing_photos;		/* now; -1: not known */
	int64_t photos_lacking;		/* events: an inspection without the
					   photos its stage needs; -1: not known */
	int64_t stale;			/* as of: no visit for N days */
	int64_t rechecks, mismatches;	/* events: spot-checks of accepted */
	const struct huce_report_count *failures;	/* events */
	size_t nfailures;
	/* now: the office's review (信息审核) of the counted households */
	int64_t review_approved, review_has_issues, review_edited;
	/* the month's ranking (huce_report_rank_month), else 0 / -1 */
	double rate, score;		/* -1: no plan */
	int list;			/* enum huce_report_list */
	const char *reasons[4];		/* NULL-terminated; static or the report's */
};

/* An acceptance that reached the central after its week (its lag). */
struct huce_report_late {
	const char *household_id, *village_id, *village, *head;
	const char *inspection_id, *date;	/* the deciding inspection */
	char entered[11];			/* its arrival, local date */
	int64_t lag_days;			/* entered - date */
};

/* An inspection of the period without the photos its stage needs. */
struct huce_report_lacking {
	const char *household_id, *village, *head;
	const char *inspection_id, *date, *stage;
	char missing[64];			/* the kinds, ", "-separated */
};

/* A team blocked by the first-toilet rule as of the last day. */
struct huce_report_team {
	const char *team_id, *name;
	int64_t households;
};

/* A cadre's assigned households (挂包, household.cadre_id). */
struct huce_report_cadre {
	const char *cadre_id, *name;
	int64_t households, accepted;	/* as of the last day */
	int64_t newly_accepted;		/* in the period */
};

enum huce_report_list {
	HUCE_LIST_NONE,
	HUCE_LIST_RED,		/* 红榜 */
	HUCE_LIST_BLACK,	/* 黑榜 */
};

/*
 * The month's red and black lists (红黑榜): weights and thresholds, read
 * by the office from a small file (README, "The month's ranking").
 * Rates are percent here.
 */
struct huce_month_rules {
	double w_rate, w_first_pass, w_same_week;	/* the score */
	double red_min_rate;		/* red: rate >= this ... */
	int red_top;			/* ... and rank <= this */
	double black_max_rate;		/* black: rate < this, or ... */
	int black_bottom;		/* ... among the last N ranks ... */
	int black_needs_overdue;	/* ... with overdue rectifications */
};

struct huce_report;

/*
 * A report for the ISO week "YYYY-Www".  HUCE_EINVAL for a bad week,
 * HUCE_ENOMEM.  The caller frees *out with huce_report_free().
 */
enum huce_err huce_report_new(struct huce_report **out, const char *week,
			      struct huce_error *err);
void huce_report_free(struct huce_report *r);
/*
 * A report over the days from..to (YYYY-MM-DD, from <= to): the month
 * (its days; targets of the ISO weeks whose Thursday is in it) or the
 * days between two dispatch meetings.  HUCE_EINVAL for bad dates.
 */
enum huce_err huce_report_new_range(struct huce_report **out, const char *from,
				    const char *to, struct huce_error *err);
/*
 * Count the target of this ISO week only, whatever the period (a
 * dispatch counts the target of its own week).
 */
void huce_report_set_target_week(struct huce_report *r, const char *week);
/* stale: households with no visit for days days (default 14). */
void huce_report_set_stale_days(struct huce_report *r, int days);
/*
 * The caller knows which photos' bytes are at the central (the central
 * does; a laptop does not, and missing_photos is then -1, null).
 */
void huce_report_set_photos_known(struct huce_report *r);

/*
 * The checklists photos_lacking is counted by (photo_required); without
 * them it is -1 (null).  cl is borrowed: it must outlive the report.
 */
struct huce_checklists;
void huce_report_set_checklists(struct huce_report *r,
				const struct huce_checklists *cl);

/* A live village.  name may be NULL (""). */
void huce_report_add_village(struct huce_report *r, const char *id,
			     const char *name);
/*
 * A live weekly target; those of the ISO weeks whose Thursday falls in
 * the period count (a week report: its own week).
 */
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
 * Details of the household added last: its head's name, team and
 * cadre (挂包) ids; each may be NULL.
 */
void huce_report_household_details(struct huce_report *r, const char *head,
				   const char *team_id, const char *cadre_id);
/* The toilet type of the household added last (photos_lacking). */
void huce_report_household_type(struct huce_report *r, const char *type);
/* A live team and a live cadre (for their names). */
void huce_report_add_team(struct huce_report *r, const char *id,
			  const char *name);
void huce_report_add_cadre(struct huce_report *r, const char *id,
			   const char *name);
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
 * One checklist item code the inspection added last failed (its
 * "failed" list); call once per code.
 */
void huce_report_inspection_failed(struct huce_report *r, const char *code);
/*
 * A rectification: inspection_id opened it; status "open" / "closed";
 * closed_by (may be NULL) the inspection that closed it.
 */
void huce_report_add_rectification(struct huce_report *r, const char *id,
				   const char *household_id,
				   const char *inspection_id,
				   const char *status, const char *closed_by,
				   int live);
/* The deadline (YYYY-MM-DD or NULL) of the rectification added last. */
void huce_report_rectification_deadline(struct huce_report *r,
					const char *deadline);
/*
 * A photo record of owner_id (a household or an inspection); present:
 * its bytes are at the central.  live is 0 for a deleted one.
 */
void huce_report_add_photo(struct huce_report *r, const char *id,
			   const char *owner_id, int present, int live);
/* The kind of the photo added last (photos_lacking). */
void huce_report_photo_kind(struct huce_report *r, const char *kind);
/*
 * The office's review of a household: state as on the wire ("approved",
 * "has-issues", "edited"; "received" and anything else count nowhere).
 */
void huce_report_add_review(struct huce_report *r, const char *household_id,
			    const char *state);
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
/*
 * The town's line: the villages' lines summed (teams_blocked counts
 * each team once), village "全镇", village_id "", rank 0.
 */
const struct huce_report_row *huce_report_town(const struct huce_report *r);
/* Acceptances of the period that reached the central after it. */
size_t huce_report_late(const struct huce_report *r,
			const struct huce_report_late **late);
/* The inspections counted in photos_lacking, by village and date. */
size_t huce_report_lacking(const struct huce_report *r,
			   const struct huce_report_lacking **lacking);
/* Teams blocked by the first-toilet rule, by name. */
size_t huce_report_blocked(const struct huce_report *r,
			   const struct huce_report_team **teams);
/* Cadres with assigned households, most complete first. */
size_t huce_report_cadres(const struct huce_report *r,
			  const struct huce_report_cadre **cadres);
/* num / den rounded to 4 decimals, or -1 when den is 0 or num unknown. */
double huce_report_rate(int64_t num, int64_t den);

/* The rules' defaults (README, "The month's ranking"). */
void huce_month_rules_default(struct huce_month_rules *rules);
/*
 * Rank the villages for the month (after compute): plan is target,
 * accepted is newly_accepted, rate = accepted / plan, score the rules'
 * weighted sum of rate, first-pass rate and same-week rate; most score
 * first, equal scores share a rank, villages without a plan come last
 * (sharing a rank) and on no list.  Sets rate, score, rank, list and
 * reasons, and puts the rows in that order.  HUCE_ENOMEM.
 */
enum huce_err huce_report_rank_month(struct huce_report *r,
				     const struct huce_month_rules *rules,
				     struct huce_error *err);
/* "red", "black" or NULL. */
const char *huce_report_list_name(int list);

/* The week (or ""); the first and last day (YYYY-MM-DD). */
const char *huce_report_week(const struct huce_report *r);
const char *huce_report_from(const struct huce_report *r);
const char *huce_report_to(const struct huce_report *r);
/* Every open conflict added, whether or not it touches a village. */
int64_t huce_report_conflicts(const struct huce_report *r);

/*
 * The JSON both sides print: {week, from, to, conflicts, stale_days,
 * villages: [ROW], town: ROW, late: [{household, village, head,
 * inspection, date, entered, lag_days}], blocked_teams: [{team,
 * team_id, households}], photos_lacking: [{household, village, head,
 * inspection, stage, date, missing}]}; ROW is huce_report_row_json's.  NULL on
 * ENOMEM; the caller frees it with cJSON_Delete().
 */
cJSON *huce_report_json(const struct huce_report *r);
/*
 * One line: {village, village_id, target, households, built, inspected,
 * passed, failed, accepted, open_rectifications, entered_same_week,
 * conflicts, review_approved, review_has_issues, review_edited, rank,
 * started, newly_accepted, first_inspected, first_passed,
 * first_pass_rate, rectifications_opened, rectifications_overdue,
 * rectifications_closed, teams_blocked, missing_photos, photos_lacking,
 * stale, entered_same_week_rate, rechecks, mismatches, failures: [{item,
 * n}]}; a number not known (and a rate of nothing) is null.  NULL on
 * ENOMEM; the caller frees it.
 */
cJSON *huce_report_row_json(const struct huce_report_row *w);

/*
 * The text table both sides print: a title line, a header line of the
 * JSON keys and one tab-separated line per village ("-" for a number
 * not known), appended to b.
 */
enum huce_err huce_report_text(const struct huce_report *r,
			       struct huce_buf *b);

#endif
