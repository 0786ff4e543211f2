/*
 * huce_domain.h - the campaign's rules, once, for every entry point.
 *
 * The laptop's commands, the web UI, the central's merge, the office's
 * import and the office's conflict resolution all call these functions;
 * no rule below is written anywhere else (docs/DOMAIN.md lists each rule
 * and where it is enforced).  Everything here is pure: no I/O, no store,
 * no clock (the caller passes "today"), so each rule has a table test
 * (tests/unit/test_domain.c).
 *
 * The status machine (DESIGN.md section 2).  A household's status is
 * never typed: it is derived from its construction progress (开工
 * `started`, 完工 `finished`, dates the cadre reports) and its
 * inspections that are not voided.
 *
 *   inputs: started, finished (YYYY-MM-DD or NULL / ""), inspections
 *           (date, id, stage, pass, voided)
 *
 *   decisive inspection: the latest, by (date, id), of the inspections at
 *     completion, first-toilet, re-inspection or spot-check, leaving out
 *     passing spot-checks (a spot-check can fail a toilet, not accept it)
 *
 *   decisive passed           -> accepted
 *   decisive failed on day D  -> built       if finished > D  (rework done)
 *                                rectifying  if started  > D  (rework begun)
 *                                failed      otherwise
 *   no decisive inspection    -> built       if finished
 *                                building    if started, or any excavation
 *                                            or pre-cover inspection
 *                                planned     otherwise
 *
 * As of a day A (the weekly list counts as of the end of its week), only
 * facts dated on or before A count.
 */
#ifndef HUCE_DOMAIN_H
#define HUCE_DOMAIN_H

#include <stddef.h>

#include "huce_err.h"

enum huce_status {
	HUCE_STATUS_PLANNED,	/* "planned"    计划 */
	HUCE_STATUS_BUILDING,	/* "building"   在建 */
	HUCE_STATUS_BUILT,	/* "built"      完工待验 */
	HUCE_STATUS_ACCEPTED,	/* "accepted"   验收合格 */
	HUCE_STATUS_FAILED,	/* "failed"     验收不合格 */
	HUCE_STATUS_RECTIFYING,	/* "rectifying" 整改中 */
	HUCE_STATUS__COUNT
};

/* One inspection as the status machine sees it.  Strings are borrowed. */
struct huce_insp_fact {
	const char *id;		/* tie-break within a day (UUIDv7 sorts by time) */
	const char *date;	/* YYYY-MM-DD */
	int stage;		/* enum huce_stage */
	int pass;		/* 1 pass, 0 fail */
	int voided;		/* a voided inspection counts for nothing */
};

/*
 * The status of a household from its facts, counting only facts dated on
 * or before as_of (NULL: all).  started / finished may be NULL or "".
 * Facts with an unparsable date are ignored.  Never fails.
 */
enum huce_status huce_status_derive(const char *started, const char *finished,
				    const struct huce_insp_fact *insp,
				    size_t ninsp, const char *as_of);

/*
 * The inspection that decides the status above (the "decisive
 * inspection"), among those dated on or before as_of (NULL: all), or
 * NULL when none does.  Returns a pointer into insp.  The weekly list
 * (huce_report.h) asks it of one week's inspections: the household
 * passed or failed that week by this one.
 */
const struct huce_insp_fact *huce_insp_decisive(const struct huce_insp_fact *insp,
						size_t ninsp, const char *as_of);

/* "planned" .. "rectifying"; the static wire name of a status. */
const char *huce_status_name(enum huce_status s);
/* 计划 .. 整改中 */
const char *huce_status_label(enum huce_status s);
/* The status named s (code or Chinese label), or -1. */
int huce_status_parse(const char *s);

/*
 * An inspection at stage that passes accepts the toilet (completion,
 * first-toilet, re-inspection): closes open rectifications.
 */
int huce_stage_accepts(int stage);

/* --- field rules ------------------------------------------------------- */

/*
 * A phone is an 11-digit mobile (1[3-9]xxxxxxxxx) or a landline with its
 * area code (0871-1234567, 08711234567; 7 or 8 digits after a 3- or
 * 4-digit code starting with 0).  Spaces and dashes typed between digit
 * groups are taken out: out (at least 16 bytes) gets the digits, with
 * one dash after a landline's area code; out NULL: the check only.
 * HUCE_EINVAL names the field and what is expected.
 */
enum huce_err huce_phone_check(const char *s, char *out, size_t n,
			       struct huce_error *err);

/*
 * GPS as "LAT,LON" in decimal degrees (a full-width comma and spaces are
 * accepted), latitude within [-90, 90], longitude within [-180, 180].
 * out (at least 32 bytes) gets the canonical form "25.123456,99.123456";
 * out NULL: the check only (no printing of the form).
 */
enum huce_err huce_gps_check(const char *s, char *out, size_t n,
			     struct huce_error *err);

/*
 * Build mode and team agree: a contracted (统建) toilet names its team,
 * a self-built (自建) one has none.  team may be NULL or "".
 */
enum huce_err huce_build_team_check(const char *build, const char *team,
				    struct huce_error *err);

/*
 * An inspection is dated no later than today plus one day (time zones),
 * and not before 2000-01-01.  today is YYYY-MM-DD.
 */
enum huce_err huce_inspection_date_check(const char *date, const char *today,
					 struct huce_error *err);

/*
 * Construction progress as the cadre reports it (开工 started, 完工
 * finished; either may be NULL or "" for not reported): each date is a
 * real date, 2000 or later and no later than today plus one day.  A
 * finish reported now (finished_new) lies on or after the start; a start
 * later than an earlier finish is rework after a failed inspection and
 * is fine.  HUCE_EINVAL names the field.
 */
enum huce_err huce_progress_check(const char *started, const char *finished,
				  int finished_new, const char *today,
				  struct huce_error *err);

/*
 * The first-toilet gate (首厕过关): a team may be given a household when
 * it has no other live household, or one of them has passed an
 * acceptance inspection (accepted, or ever passed).  Returns 1 when the
 * gate lets the household through.
 */
int huce_gate_open(int other_households, int other_passed);

#endif
