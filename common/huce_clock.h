/*
 * huce_clock.h - is this laptop's clock right?  (issue 9, item 13)
 *
 * A laptop whose CMOS battery died may believe it is 2020, and every date
 * it takes from its clock (an inspection recorded without --date) is then
 * wrong without anyone noticing.  Every answer of the central carries the
 * central's clock (X-Huce-Time, docs/PROTOCOL.md 2.5).  At each sync the
 * laptop compares it with its own and keeps the result in its meta table
 * (clock_skew: laptop minus central, in seconds; clock_checked_at: the
 * central's time of the check).  More than HUCE_CLOCK_SKEW_MAX apart, the
 * clock is "off": `huce sync` says so in plain words, `huce status` shows
 * it, and the dates the laptop took from its clock since the last check
 * that found it right are flagged for the cadre to confirm.
 *
 * Which dates were taken from the clock is the laptop's own knowledge,
 * never sent: the local table date_default (schema/local/0002).  "Since
 * the last good check" is counted in the order the dates were written
 * (date_default.n against meta clock_good_n), not by the clock, which is
 * the thing in doubt.  What it cannot see: a clock that was wrong and was
 * put right before the next sync leaves its dates unflagged.
 *
 *   at a write:   huce_clock_defaulted(l, "inspection", id, "date", date, &off, &err)
 *   at a sync:    huce_clock_check(l, central_secs, local_secs, &flagged, &err)
 *   status:       o = huce_clock_status(l)
 *   the cadre:    huce_clock_confirm(l, ids, n, &count, &err)
 */
#ifndef HUCE_CLOCK_H
#define HUCE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "huce_err.h"
#include "huce_local.h"

/* A clock further than this from the central's is off (one day). */
#define HUCE_CLOCK_SKEW_MAX	86400

/* Whether a skew (seconds, either sign) makes the clock off. */
int huce_clock_is_off(int64_t skew);

/*
 * Plain words for a skew (laptop minus central): "3 days behind",
 * "5 hours ahead of", "in step with" (to be followed by "the central's"),
 * in the user's language (huce_i18n.h).
 */
void huce_clock_describe(int64_t skew, char *out, size_t size);

/*
 * Record that field of record id (of kind) holds value taken from this
 * laptop's clock.  Call inside the transaction of the write itself.
 * When the last check found the clock off the date is flagged at once
 * and *off (may be NULL) is set to 1, else 0.
 */
enum huce_err huce_clock_defaulted(struct huce_local *l, const char *kind,
				   const char *id, const char *field,
				   const char *value, int *off,
				   struct huce_error *err);

/*
 * Record a check: the central's clock read central (Unix seconds) when
 * this laptop's read local.  In one transaction: the skew and the time
 * of the check are kept; when the clock is off every date taken since
 * the last good check is flagged, else this check becomes the last good
 * one.  *flagged (may be NULL) gets the number of flagged dates now
 * waiting for the cadre.
 */
enum huce_err huce_clock_check(struct huce_local *l, int64_t central,
			       int64_t local, int64_t *flagged,
			       struct huce_error *err);

/*
 * The clock as `status --json` shows it, or NULL when it was never
 * checked and nothing is flagged (the caller owns the object):
 *   {"skew_seconds": N, "checked_at": ISO, "off": bool,
 *    "confirm": [{"record", "kind", "field", "value",
 *                 "household", "stage"}]}
 * household (the head's name) and stage are set for inspections only.
 */
cJSON *huce_clock_status(struct huce_local *l);

/*
 * The cadre confirms flagged dates: those of the n record ids (or
 * unique id prefixes) given, or all of them when n is 0.  *count gets
 * how many were confirmed; an id that matches no flagged date is
 * HUCE_ENOTFOUND (nothing confirmed).
 */
enum huce_err huce_clock_confirm(struct huce_local *l,
				 const char *const *ids, size_t n,
				 int64_t *count, struct huce_error *err);

#endif
