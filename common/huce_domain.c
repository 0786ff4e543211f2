/*
 * huce_domain.c - the status machine and the field rules (huce_domain.h).
 *
 * Pure functions: the callers load the facts (the laptop from its
 * SQLite file, the central from its store) and write the answers.
 */
#include "huce_domain.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_checklist.h"
#include "huce_i18n.h"
#include "huce_util.h"

static const char *const status_names[HUCE_STATUS__COUNT] = {
	"planned", "building", "built", "accepted", "failed", "rectifying",
};
static const char *const status_labels[HUCE_STATUS__COUNT] = {
	"计划", "在建", "完工待验", "验收合格", "验收不合格", "整改中",
};

const char *huce_status_name(enum huce_status s)
{
	return (unsigned)s < HUCE_STATUS__COUNT ? status_names[s] : NULL;
}

const char *huce_status_label(enum huce_status s)
{
	return (unsigned)s < HUCE_STATUS__COUNT ? status_labels[s] : NULL;
}

int huce_status_parse(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < HUCE_STATUS__COUNT; i++)
		if (strcmp(s, status_names[i]) == 0 ||
		    strcmp(s, status_labels[i]) == 0)
			return i;
	return -1;
}

int huce_stage_accepts(int stage)
{
	return stage == HUCE_STAGE_COMPLETION ||
	       stage == HUCE_STAGE_FIRST_TOILET ||
	       stage == HUCE_STAGE_RE_INSPECTION;
}

/* A usable date on or before as_of; "" and NULL are no date. */
static int dated(const char *date, const char *as_of)
{
	int y, m, d;

	if (!date || !*date || huce_parse_date(date, &y, &m, &d))
		return 0;
	return !as_of || strcmp(date, as_of) <= 0;
}

/* (date, id) order; a missing id sorts first. */
static int fact_later(const struct huce_insp_fact *a,
		      const struct huce_insp_fact *b)
{
	int c = strcmp(a->date, b->date);

	if (c)
		return c > 0;
	return strcmp(a->id ? a->id : "", b->id ? b->id : "") > 0;
}

/*
 * The decisive inspection: the latest by (date, id) of the inspections
 * dated on or before as_of that may decide a toilet (acceptance stages,
 * and failing spot-checks).  *early is set when an excavation or
 * pre-cover inspection is among them.
 */
static const struct huce_insp_fact *decisive_of(const struct huce_insp_fact *insp,
						size_t ninsp, const char *as_of,
						int *early)
{
	const struct huce_insp_fact *decisive = NULL;

	for (size_t i = 0; i < ninsp; i++) {
		const struct huce_insp_fact *f = &insp[i];

		if (f->voided || !dated(f->date, as_of))
			continue;
		if (f->stage == HUCE_STAGE_EXCAVATION ||
		    f->stage == HUCE_STAGE_PRE_COVER) {
			*early = 1;
			continue;
		}
		if (!huce_stage_accepts(f->stage) &&
		    f->stage != HUCE_STAGE_SPOT_CHECK)
			continue;
		if (f->stage == HUCE_STAGE_SPOT_CHECK && f->pass)
			continue;
		if (!decisive || fact_later(f, decisive))
			decisive = f;
	}
	return decisive;
}

const struct huce_insp_fact *huce_insp_decisive(const struct huce_insp_fact *insp,
						size_t ninsp, const char *as_of)
{
	int early = 0;

	return decisive_of(insp, ninsp, as_of, &early);
}

enum huce_status huce_status_derive(const char *started, const char *finished,
				    const struct huce_insp_fact *insp,
				    size_t ninsp, const char *as_of)
{
	int has_start = dated(started, as_of);
	int has_finish = dated(finished, as_of);
	int early = 0;
	const struct huce_insp_fact *decisive = decisive_of(insp, ninsp, as_of,
							     &early);

	if (decisive && decisive->pass)
		return HUCE_STATUS_ACCEPTED;
	if (decisive) {
		if (has_finish && strcmp(finished, decisive->date) > 0)
			return HUCE_STATUS_BUILT;
		if (has_start && strcmp(started, decisive->date) > 0)
			return HUCE_STATUS_RECTIFYING;
		return HUCE_STATUS_FAILED;
	}
	if (has_finish)
		return HUCE_STATUS_BUILT;
	if (has_start || early)
		return HUCE_STATUS_BUILDING;
	return HUCE_STATUS_PLANNED;
}

/* --- field rules ------------------------------------------------------- */

enum huce_err huce_phone_check(const char *s, char *out, size_t n,
			       struct huce_error *err)
{
	char digits[24];
	size_t nd = 0, dash_at = 0;
	int dashes = 0;

	if (!s || (out && n < 16))
		return huce_fail(err, HUCE_EINVAL, _("phone: empty"));
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (nd + 1 >= sizeof(digits))
				goto bad;
			digits[nd++] = *p;
		} else if (*p == '-' || *p == ' ') {
			if (*p == '-' && nd > 0 && !dashes++)
				dash_at = nd;
		} else {
			goto bad;
		}
	}
	digits[nd] = '\0';
	if (nd == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9' &&
	    !dashes) {
		if (out)
			snprintf(out, n, "%s", digits);
		return HUCE_OK;
	}
	if (digits[0] == '0' && nd >= 10 && nd <= 12) {
		/*
		 * Area codes are 3 digits (010, 020-029) or 4 (0871); a typed
		 * dash says where the code ends, else 01x/02x are 3 long.
		 */
		size_t code = dash_at ? dash_at
				      : (digits[1] == '1' || digits[1] == '2') ? 3 : 4;

		if ((code == 3 || code == 4) && nd - code >= 7 && nd - code <= 8) {
			if (out)
				snprintf(out, n, "%.*s-%s", (int)code, digits,
					 digits + code);
			return HUCE_OK;
		}
	}
bad:
	return huce_fail(err, HUCE_EINVAL,
			 _("phone '%.40s' is not an 11-digit mobile number "
			 "(13912345678) or a landline with its area code "
			 "(0871-1234567)"), s);
}

/* A decimal number at *p (no exponent, no hex, no inf/nan). */
static int decimal(const char **p, double *out)
{
	const char *q = *p;
	char *end;

	while (*q == ' ')
		q++;
	if (*q == '+' || *q == '-')
		q++;
	if (!isdigit((unsigned char)*q))
		return -1;
	while (isdigit((unsigned char)*q) || *q == '.')
		q++;
	errno = 0;
	*out = strtod(*p, &end);
	if (errno || end != q || !isfinite(*out))
		return -1;
	while (*end == ' ')
		end++;
	*p = end;
	return 0;
}

enum huce_err huce_gps_check(const char *s, char *out, size_t n,
			     struct huce_error *err)
{
	const char *p = s;
	double lat, lon;

	if (!s || (out && n < 32))
		goto bad;
	if (decimal(&p, &lat))
		goto bad;
	if (*p == ',')
		p++;
	else if (strncmp(p, "\xef\xbc\x8c", 3) == 0)	/* ， full-width comma */
		p += 3;
	else
		goto bad;
	if (decimal(&p, &lon) || *p)
		goto bad;
	if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
		return huce_fail(err, HUCE_EINVAL,
				 _("gps '%.60s': latitude must lie within -90..90 "
				 "and longitude within -180..180 (LAT,LON)"), s);
	if (out)
		snprintf(out, n, "%.6f,%.6f", lat, lon);
	return HUCE_OK;
bad:
	return huce_fail(err, HUCE_EINVAL,
			 _("gps '%.60s' is not LAT,LON in decimal degrees "
			 "(e.g. 22.123456,100.654321)"), s ? s : "");
}

enum huce_err huce_build_team_check(const char *build, const char *team,
				    struct huce_error *err)
{
	int has_team = team && *team;

	if (build && strcmp(build, "contracted") == 0 && !has_team)
		return huce_fail(err, HUCE_EINVAL,
				 _("team: a contracted toilet (统建) names its "
				 "construction team (--team T)"));
	if (build && strcmp(build, "self") == 0 && has_team)
		return huce_fail(err, HUCE_EINVAL,
				 _("team: a self-built toilet (自建) has no "
				 "construction team"));
	return HUCE_OK;
}

/* Days since 1970-01-01 of a parsed date (proleptic Gregorian). */
static long day_number(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

enum huce_err huce_inspection_date_check(const char *date, const char *today,
					 struct huce_error *err)
{
	int y, m, d, ty, tm, td;

	if (huce_parse_date(date, &y, &m, &d))
		return huce_fail(err, HUCE_EINVAL,
				 _("date '%.20s' is not a date like 2026-11-29"),
				 date ? date : "");
	if (y < 2000)
		return huce_fail(err, HUCE_EINVAL,
				 _("date %s: an inspection is dated 2000 or later"),
				 date);
	if (huce_parse_date(today, &ty, &tm, &td) == 0 &&
	    day_number(y, m, d) > day_number(ty, tm, td) + 1)
		return huce_fail(err, HUCE_EINVAL,
				 _("date %s is in the future (today is %s): an "
				 "inspection is recorded on or after the day it "
				 "took place"), date, today);
	return HUCE_OK;
}

/* One progress date: a date, not before 2000, at most today + 1. */
static enum huce_err progress_date(const char *field, const char *label,
				   const char *date, const char *today,
				   struct huce_error *err)
{
	int y, m, d, ty, tm, td;

	if (huce_parse_date(date, &y, &m, &d))
		return huce_fail(err, HUCE_EINVAL,
				 _("%s (%s): '%.20s' is not a date like 2026-11-29"),
				 field, label, date);
	if (y < 2000)
		return huce_fail(err, HUCE_EINVAL,
				 _("%s (%s): %s is before 2000"), field, label, date);
	if (huce_parse_date(today, &ty, &tm, &td) == 0 &&
	    day_number(y, m, d) > day_number(ty, tm, td) + 1)
		return huce_fail(err, HUCE_EINVAL,
				 _("%s (%s): %s is in the future (today is %s): "
				 "report progress on or after the day it happened"),
				 field, label, date, today);
	return HUCE_OK;
}

enum huce_err huce_progress_check(const char *started, const char *finished,
				  int finished_new, const char *today,
				  struct huce_error *err)
{
	int has_start = started && *started, has_finish = finished && *finished;
	enum huce_err rc;

	if (has_start) {
		rc = progress_date("started", "开工", started, today, err);
		if (rc)
			return rc;
	}
	if (has_finish) {
		rc = progress_date("finished", "完工", finished, today, err);
		if (rc)
			return rc;
	}
	if (finished_new && has_finish && has_start &&
	    strcmp(finished, started) < 0)
		return huce_fail(err, HUCE_EINVAL,
				 _("finished (完工) %s is before started (开工) %s"),
				 finished, started);
	return HUCE_OK;
}

int huce_gate_open(int other_households, int other_passed)
{
	return !other_households || other_passed;
}
