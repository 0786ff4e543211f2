/*
 * huce_report.c - the weekly list (周清单): count and rank the facts the
 * laptop or the central loaded (huce_report.h says what each column
 * counts).
 *
 * The facts are kept in flat arrays; compute sorts them once (households
 * and villages by id, inspections by household, then by id) and walks
 * each household's inspections as one run, so a town of a few thousand
 * households costs a few sorts.  Per household it asks the status
 * machine (huce_domain.h): its status as of the week's Sunday
 * (households, built, accepted) and as of the day before its Monday
 * (newly_accepted), the decisive inspection among the week's own
 * (passed, failed, entered_same_week), and its status just before each
 * of the week's spot-checks (rechecks).  The week is the general case
 * of a period from..to: a month, or the days since the last dispatch
 * meeting, are counted by the same code.
 */
#include "huce_report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_checklist.h"
#include "huce_domain.h"
#include "huce_i18n.h"
#include "huce_review.h"
#include "huce_util.h"

struct rep_village {
	char *id, *name;
	size_t row;		/* index into rows */
};

struct rep_target {
	char *village_id;
	char week[9];
	int64_t n;
};

struct rep_named {		/* a team or a cadre */
	char *id, *name;
	int64_t households, accepted, newly;
	int passed;		/* a team: one of its households passed */
};

struct rep_household {
	char *id, *village_id, *started, *finished;
	char *head, *team_id, *cadre_id, *type;
	int live;
	int counted;		/* registered by Sunday, live, known village */
	struct rep_village *v;	/* its village, or NULL (set by compute) */
};

struct rep_inspection {
	char *id, *household_id, *date;
	char *failed;		/* failed item codes, each ending in '\n' */
	int stage, pass, live;
	int64_t entered;
};

struct rep_rectification {
	char *id, *household_id, *inspection_id, *closed_by, *deadline;
	int closed, live;
};

struct rep_photo {
	char *id, *owner_id, *kind;
	int present, live;
};

struct rep_review {
	char *household_id;
	int state;		/* enum huce_review_state */
};

/* One failed item of the period, in a village (rows index). */
struct rep_fail {
	size_t row;
	const char *item;
};

/* A team with a household in a village (rows index). */
struct rep_pair {
	size_t team, row;
};

#define ARRAY(type, name) type *name; size_t n_##name, alloc_##name

struct huce_report {
	char week[9], from[11], to[11], before[11];
	char target_week[9];	/* "" : the weeks whose Thursday is in */
	int stale_days, photos_known;
	int oom;
	const struct huce_checklists *cl;	/* photos_lacking, or NULL */
	ARRAY(struct rep_village, villages);
	ARRAY(struct rep_target, targets);
	ARRAY(struct rep_household, households);
	ARRAY(struct rep_inspection, inspections);
	ARRAY(struct rep_rectification, rects);
	ARRAY(struct rep_named, teams);
	ARRAY(struct rep_named, cadres);
	ARRAY(struct rep_photo, photos);
	ARRAY(char *, conflicts);
	ARRAY(struct rep_review, reviews);
	/* what compute makes */
	ARRAY(struct rep_fail, fails);
	ARRAY(struct rep_pair, pairs);
	ARRAY(struct huce_report_late, late);
	ARRAY(struct huce_report_lacking, lacking);
	struct huce_report_count *counts;	/* the rows' failures, then the town's */
	struct huce_report_team *blocked;
	struct huce_report_cadre *cadre_rows;
	size_t nblocked, ncadre_rows;
	struct huce_report_row *rows;
	size_t nrows;
	struct huce_report_row town;
	char (*reason_text)[160];	/* the month's reasons, 3 per row */
	int64_t nconflicts;
};

/* Make room for one more element of an array; NULL (and oom) on failure. */
static void *grow(struct huce_report *r, void *arrp, size_t *n, size_t *alloc,
		  size_t size)
{
	void *arr;

	if (r->oom)
		return NULL;
	memcpy(&arr, arrp, sizeof(arr));	/* arrp: the address of a T * */
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 64;
		void *p = na > SIZE_MAX / size ? NULL : realloc(arr, na * size);

		if (!p) {
			r->oom = 1;
			return NULL;
		}
		arr = p;
		memcpy(arrp, &arr, sizeof(arr));
		*alloc = na;
	}
	return (char *)arr + (*n)++ * size;
}

#define PUSH(r, name) grow((r), &(r)->name, &(r)->n_##name, \
	&(r)->alloc_##name, sizeof(*(r)->name))

/* A copy of s ("" stays "", NULL stays NULL); sets oom on failure. */
static char *copy(struct huce_report *r, const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		r->oom = 1;
	return p;
}

/* --- dates ----------------------------------------------------------------- */

/* Days since 1970-01-01 (proleptic Gregorian), and back. */
static long days_from_civil(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, char out[11])
{
	long era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	{
		char tmp[80];

		snprintf(tmp, sizeof(tmp), "%04ld-%02ld-%02ld", y % 10000, m % 100,
			 d % 100);
		memcpy(out, tmp, 10);
		out[10] = '\0';
	}
}

/* Monday and Sunday of ISO week w of year y. */
static void week_days(int y, int w, char from[11], char to[11])
{
	long jan4 = days_from_civil(y, 1, 4);
	long iso_wd = ((jan4 + 3) % 7 + 7) % 7;	/* 0 = Monday */
	long monday = jan4 - iso_wd + 7L * (w - 1);

	civil_from_days(monday, from);
	civil_from_days(monday + 6, to);
}

/* The local date of Unix seconds. */
static void local_date(int64_t secs, char out[11])
{
	time_t t = (time_t)secs;
	struct tm tm;
	char tmp[32];

	if (!localtime_r(&t, &tm)) {
		snprintf(out, 11, "0000-00-00");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
		 (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

/* Days since 1970-01-01 of a date (YYYY-MM-DD); 0 when it is not one. */
static int date_days(const char *s, long *out)
{
	int y, m, d;

	if (!s || huce_parse_date(s, &y, &m, &d))
		return 0;
	*out = days_from_civil(y, m, d);
	return 1;
}

/* The date n days after (before, when negative) date s. */
static void date_add(const char *s, long n, char out[11])
{
	long d = 0;

	date_days(s, &d);
	civil_from_days(d + n, out);
}

/*
 * Whether two dates fall in one ISO week (Monday..Sunday): the days
 * since their Mondays' are equal.  1970-01-01 was a Thursday.
 */
static int same_iso_week(const char *a, const char *b)
{
	long x = 0, y = 0;

	if (!date_days(a, &x) || !date_days(b, &y))
		return 0;
	return x - ((x + 3) % 7 + 7) % 7 == y - ((y + 3) % 7 + 7) % 7;
}

/* A usable date (YYYY-MM-DD). */
static int is_date(const char *s)
{
	int y, m, d;

	return s && *s && huce_parse_date(s, &y, &m, &d) == 0;
}

/*
 * The local date of a UUIDv7's time (its first 48 bits, milliseconds);
 * 0 when id is not a UUIDv7 (a name-derived id has no time).
 */
static int id_date(const char *id, char out[11])
{
	uint64_t ms = 0;

	if (!id || strlen(id) != 36 || id[8] != '-' || id[14] != '7')
		return 0;
	for (int i = 0; i < 13; i++) {
		char c = id[i];
		int v;

		if (i == 8)
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return 0;
		ms = ms << 4 | (uint64_t)v;
	}
	local_date((int64_t)(ms / 1000), out);
	return 1;
}

/* --- adding facts ---------------------------------------------------------- */

static struct huce_report *report_alloc(void)
{
	struct huce_report *r = calloc(1, sizeof(*r));

	if (r)
		r->stale_days = 14;
	return r;
}

enum huce_err huce_report_new(struct huce_report **out, const char *week,
			      struct huce_error *err)
{
	struct huce_report *r;
	int y, w;

	*out = NULL;
	if (huce_parse_week(week, &y, &w))
		return huce_fail(err, HUCE_EINVAL,
				 _("week '%.20s' is not an ISO week like 2026-W48"),
				 week ? week : "");
	r = report_alloc();
	if (!r)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	snprintf(r->week, sizeof(r->week), "%s", week);
	week_days(y, w, r->from, r->to);
	date_add(r->from, -1, r->before);
	*out = r;
	return HUCE_OK;
}

enum huce_err huce_report_new_range(struct huce_report **out, const char *from,
				    const char *to, struct huce_error *err)
{
	struct huce_report *r;

	*out = NULL;
	if (!is_date(from) || !is_date(to) || strcmp(from, to) > 0)
		return huce_fail(err, HUCE_EINVAL, _("'%.20s' .. '%.20s' is not a "
				 "period of dates (YYYY-MM-DD)"), from ? from : "",
				 to ? to : "");
	r = report_alloc();
	if (!r)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	date_add(r->from, -1, r->before);
	*out = r;
	return HUCE_OK;
}

void huce_report_set_target_week(struct huce_report *r, const char *week)
{
	int y, w;

	if (week && !huce_parse_week(week, &y, &w))
		snprintf(r->target_week, sizeof(r->target_week), "%s", week);
}

void huce_report_set_stale_days(struct huce_report *r, int days)
{
	r->stale_days = days < 0 ? 0 : days;
}

void huce_report_set_photos_known(struct huce_report *r)
{
	r->photos_known = 1;
}

static void named_free(struct rep_named *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].id);
		free(a[i].name);
	}
	free(a);
}

void huce_report_free(struct huce_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_villages; i++) {
		free(r->villages[i].id);
		free(r->villages[i].name);
	}
	for (size_t i = 0; i < r->n_targets; i++)
		free(r->targets[i].village_id);
	for (size_t i = 0; i < r->n_households; i++) {
		struct rep_household *h = &r->households[i];

		free(h->id);
		free(h->village_id);
		free(h->started);
		free(h->finished);
		free(h->head);
		free(h->team_id);
		free(h->cadre_id);
		free(h->type);
	}
	for (size_t i = 0; i < r->n_inspections; i++) {
		free(r->inspections[i].id);
		free(r->inspections[i].household_id);
		free(r->inspections[i].date);
		free(r->inspections[i].failed);
	}
	for (size_t i = 0; i < r->n_rects; i++) {
		free(r->rects[i].id);
		free(r->rects[i].household_id);
		free(r->rects[i].inspection_id);
		free(r->rects[i].closed_by);
		free(r->rects[i].deadline);
	}
	for (size_t i = 0; i < r->n_photos; i++) {
		free(r->photos[i].id);
		free(r->photos[i].owner_id);
		free(r->photos[i].kind);
	}
	for (size_t i = 0; i < r->n_conflicts; i++)
		free(r->conflicts[i]);
	for (size_t i = 0; i < r->n_reviews; i++)
		free(r->reviews[i].household_id);
	free(r->reviews);
	free(r->villages);
	free(r->targets);
	free(r->households);
	free(r->inspections);
	free(r->rects);
	named_free(r->teams, r->n_teams);
	named_free(r->cadres, r->n_cadres);
	free(r->photos);
	free(r->conflicts);
	free(r->fails);
	free(r->pairs);
	free(r->late);
	free(r->lacking);
	free(r->counts);
	free(r->blocked);
	free(r->cadre_rows);
	free(r->reason_text);
	free(r->rows);
	free(r);
}

void huce_report_set_checklists(struct huce_report *r,
				const struct huce_checklists *cl)
{
	r->cl = cl;
}

void huce_report_add_village(struct huce_report *r, const char *id,
			     const char *name)
{
	struct rep_village *v;

	if (!id)
		return;
	v = PUSH(r, villages);
	if (!v)
		return;
	v->id = copy(r, id);
	v->name = copy(r, name ? name : "");
	v->row = 0;
}

void huce_report_add_target(struct huce_report *r, const char *village_id,
			    const char *week, int64_t n)
{
	struct rep_target *t;
	int y, w;

	if (!village_id || !week || huce_parse_week(week, &y, &w))
		return;
	t = PUSH(r, targets);
	if (!t)
		return;
	t->village_id = copy(r, village_id);
	snprintf(t->week, sizeof(t->week), "%s", week);
	t->n = n;
}

void huce_report_add_household(struct huce_report *r, const char *id,
			       const char *village_id, const char *started,
			       const char *finished, int live)
{
	struct rep_household *h;

	if (!id)
		return;
	h = PUSH(r, households);
	if (!h)
		return;
	memset(h, 0, sizeof(*h));
	h->id = copy(r, id);
	h->village_id = copy(r, village_id ? village_id : "");
	h->started = is_date(started) ? copy(r, started) : NULL;
	h->finished = is_date(finished) ? copy(r, finished) : NULL;
	h->live = live;
}

/* The last element of an array, or NULL (nothing added, or out of memory). */
#define LAST(r, name) ((r)->n_##name && !(r)->oom ? \
	&(r)->name[(r)->n_##name - 1] : NULL)

void huce_report_household_details(struct huce_report *r, const char *head,
				   const char *team_id, const char *cadre_id)
{
	struct rep_household *h = LAST(r, households);

	if (!h)
		return;
	free(h->head);
	free(h->team_id);
	free(h->cadre_id);
	h->head = copy(r, head);
	h->team_id = team_id && *team_id ? copy(r, team_id) : NULL;
	h->cadre_id = cadre_id && *cadre_id ? copy(r, cadre_id) : NULL;
}

void huce_report_household_type(struct huce_report *r, const char *type)
{
	struct rep_household *h = LAST(r, households);

	if (!h)
		return;
	free(h->type);
	h->type = type && *type ? copy(r, type) : NULL;
}

static void add_named(struct huce_report *r, struct rep_named *n,
		      const char *id, const char *name)
{
	if (!n)
		return;
	memset(n, 0, sizeof(*n));
	n->id = copy(r, id);
	n->name = copy(r, name ? name : "");
}

void huce_report_add_team(struct huce_report *r, const char *id,
			  const char *name)
{
	if (id)
		add_named(r, PUSH(r, teams), id, name);
}

void huce_report_add_cadre(struct huce_report *r, const char *id,
			   const char *name)
{
	if (id)
		add_named(r, PUSH(r, cadres), id, name);
}

void huce_report_add_inspection(struct huce_report *r, const char *id,
				const char *household_id, const char *date,
				const char *stage, const char *result,
				int live, int64_t entered)
{
	struct rep_inspection *in;

	if (!id || !household_id)
		return;
	in = PUSH(r, inspections);
	if (!in)
		return;
	in->id = copy(r, id);
	in->household_id = copy(r, household_id);
	/* an undated inspection is kept (for conflicts) but never counts */
	in->date = copy(r, is_date(date) ? date : "");
	in->failed = NULL;
	in->stage = huce_stage_parse(stage);
	in->pass = result && strcmp(result, "pass") == 0;
	in->live = live && is_date(date);
	in->entered = entered;
}

void huce_report_inspection_failed(struct huce_report *r, const char *code)
{
	struct rep_inspection *in = LAST(r, inspections);
	size_t old, n;
	char *p;

	if (!in || !code || !*code || strchr(code, '\n'))
		return;
	old = in->failed ? strlen(in->failed) : 0;
	n = strlen(code);
	p = realloc(in->failed, old + n + 2);
	if (!p) {
		r->oom = 1;
		return;
	}
	memcpy(p + old, code, n);
	p[old + n] = '\n';
	p[old + n + 1] = '\0';
	in->failed = p;
}

void huce_report_add_rectification(struct huce_report *r, const char *id,
				   const char *household_id,
				   const char *inspection_id,
				   const char *status, const char *closed_by,
				   int live)
{
	struct rep_rectification *rc;

	if (!id || !household_id)
		return;
	rc = PUSH(r, rects);
	if (!rc)
		return;
	rc->id = copy(r, id);
	rc->household_id = copy(r, household_id);
	rc->inspection_id = copy(r, inspection_id ? inspection_id : "");
	rc->closed_by = closed_by && *closed_by ? copy(r, closed_by) : NULL;
	rc->deadline = NULL;
	rc->closed = status && strcmp(status, "closed") == 0;
	rc->live = live;
}

void huce_report_rectification_deadline(struct huce_report *r,
					const char *deadline)
{
	struct rep_rectification *rc = LAST(r, rects);

	if (!rc)
		return;
	free(rc->deadline);
	rc->deadline = is_date(deadline) ? copy(r, deadline) : NULL;
}

void huce_report_add_photo(struct huce_report *r, const char *id,
			   const char *owner_id, int present, int live)
{
	struct rep_photo *p;

	if (!id || !owner_id)
		return;
	p = PUSH(r, photos);
	if (!p)
		return;
	p->id = copy(r, id);
	p->owner_id = copy(r, owner_id);
	p->kind = NULL;
	p->present = present;
	p->live = live;
}

void huce_report_photo_kind(struct huce_report *r, const char *kind)
{
	struct rep_photo *p = LAST(r, photos);

	if (!p)
		return;
	free(p->kind);
	p->kind = kind && *kind ? copy(r, kind) : NULL;
}

void huce_report_add_review(struct huce_report *r, const char *household_id,
			    const char *state)
{
	struct rep_review *v;
	int s = huce_review_parse(state);

	if (!household_id || (s != HUCE_REVIEW_APPROVED && s != HUCE_REVIEW_ISSUES &&
			      s != HUCE_REVIEW_EDITED))
		return;
	v = PUSH(r, reviews);
	if (!v)
		return;
	v->household_id = copy(r, household_id);
	v->state = s;
}

void huce_report_add_conflict(struct huce_report *r, const char *record)
{
	char **c;

	r->nconflicts++;
	if (!record)
		return;
	c = PUSH(r, conflicts);
	if (c)
		*c = copy(r, record);
}

/* --- counting -------------------------------------------------------------- */

static int village_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rep_village *)a)->id,
		      ((const struct rep_village *)b)->id);
}

static int household_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rep_household *)a)->id,
		      ((const struct rep_household *)b)->id);
}

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rep_named *)a)->id,
		      ((const struct rep_named *)b)->id);
}

/* By household, then by id: one household's inspections are one run. */
static int inspection_cmp(const void *a, const void *b)
{
	const struct rep_inspection *x = a, *y = b;
	int c = strcmp(x->household_id, y->household_id);

	return c ? c : strcmp(x->id, y->id);
}

static int ptr_id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct rep_inspection *const *)a)->id,
		      (*(const struct rep_inspection *const *)b)->id);
}

static int fail_cmp(const void *a, const void *b)
{
	const struct rep_fail *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return strcmp(x->item, y->item);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct rep_pair *x = a, *y = b;

	if (x->team != y->team)
		return x->team < y->team ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Most failures first, then by item code. */
static int count_cmp(const void *a, const void *b)
{
	const struct huce_report_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->item, y->item);
}

static int count_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct huce_report_count *)a)->item,
		      ((const struct huce_report_count *)b)->item);
}

static int late_cmp(const void *a, const void *b)
{
	const struct huce_report_late *x = a, *y = b;
	int c = strcmp(x->village, y->village);

	if (!c)
		c = strcmp(x->date, y->date);
	return c ? c : strcmp(x->household_id, y->household_id);
}

static int team_cmp(const void *a, const void *b)
{
	const struct huce_report_team *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->team_id, y->team_id);
}

/* Most complete first (accepted / households), then by name. */
static int cadre_cmp(const void *a, const void *b)
{
	const struct huce_report_cadre *x = a, *y = b;
	int64_t l = x->accepted * y->households, rr = y->accepted * x->households;
	int c;

	if (l != rr)
		return l > rr ? -1 : 1;
	c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->cadre_id, y->cadre_id);
}

static struct rep_village *find_village(const struct huce_report *r,
					const char *id)
{
	struct rep_village key = { .id = (char *)id };

	if (!id || !r->n_villages)
		return NULL;
	return bsearch(&key, r->villages, r->n_villages, sizeof(key), village_cmp);
}

static struct rep_household *find_household(const struct huce_report *r,
					    const char *id)
{
	struct rep_household key = { .id = (char *)id };

	if (!id || !r->n_households)
		return NULL;
	return bsearch(&key, r->households, r->n_households, sizeof(key),
		       household_cmp);
}

static struct rep_named *find_named(struct rep_named *a, size_t n,
				    const char *id)
{
	struct rep_named key = { .id = (char *)id };

	if (!id || !n)
		return NULL;
	return bsearch(&key, a, n, sizeof(key), named_cmp);
}

static struct rep_inspection *find_inspection(struct rep_inspection **by_id,
					      size_t n, const char *id)
{
	struct rep_inspection key = { .id = (char *)id }, *kp = &key, **hit;

	if (!id || !n)
		return NULL;
	hit = bsearch(&kp, by_id, n, sizeof(*by_id), ptr_id_cmp);
	return hit ? *hit : NULL;
}

/* Rank order: most accepted first, then by name, then by id. */
static int row_cmp(const void *a, const void *b)
{
	const struct huce_report_row *x = a, *y = b;
	int c;

	if (x->accepted != y->accepted)
		return x->accepted > y->accepted ? -1 : 1;
	c = strcmp(x->village, y->village);
	return c ? c : strcmp(x->village_id, y->village_id);
}

static int in_period(const struct huce_report *r, const char *date)
{
	return strcmp(date, r->from) >= 0 && strcmp(date, r->to) <= 0;
}

/* Whether (date, id) of a is before that of b. */
static int fact_before(const struct huce_insp_fact *a,
		       const struct huce_insp_fact *b)
{
	int c = strcmp(a->date, b->date);

	return c < 0 || (c == 0 && strcmp(a->id, b->id) < 0);
}

/*
 * One household's run of inspections: its status as of Sunday and its
 * events of the week.  facts, week and tmp are scratch arrays of n
 * entries.
 */
static void count_household(struct huce_report *r, struct rep_household *h,
			    const struct rep_inspection *in, size_t n,
			    struct huce_insp_fact *facts,
			    struct huce_insp_fact *week,
			    struct huce_insp_fact *tmp)
{
	struct huce_report_row *row;
	const struct huce_insp_fact *d, *first = NULL;
	struct rep_named *team, *cadre;
	enum huce_status st;
	size_t nw = 0;
	char date[11], last[11] = "";
	int registered = 0, passed_by_sunday = 0, rechecked = 0, mismatch = 0;
	long to_days = 0, last_days = 0;

	if (!h->live || !h->v)
		return;
	for (size_t i = 0; i < n; i++) {
		facts[i] = (struct huce_insp_fact){
			.id = in[i].id, .date = in[i].date, .stage = in[i].stage,
			.pass = in[i].pass, .voided = !in[i].live,
		};
		if (!in[i].live)
			continue;
		if (strcmp(in[i].date, r->to) <= 0) {
			registered = 1;
			if (strcmp(in[i].date, last) > 0)
				snprintf(last, sizeof(last), "%s", in[i].date);
			if (in[i].pass && huce_stage_accepts(in[i].stage))
				passed_by_sunday = 1;
		}
		if (in_period(r, in[i].date))
			week[nw++] = facts[i];
	}
	if ((h->started && strcmp(h->started, r->to) <= 0) ||
	    (h->finished && strcmp(h->finished, r->to) <= 0))
		registered = 1;
	if (!registered && (!id_date(h->id, date) || strcmp(date, r->to) <= 0))
		registered = 1;
	if (!registered)
		return;
	h->counted = 1;
	row = &r->rows[h->v->row];
	row->households++;
	st = huce_status_derive(h->started, h->finished, facts, n, r->to);
	if (st != HUCE_STATUS_PLANNED)
		row->started++;
	if (st == HUCE_STATUS_BUILT || st == HUCE_STATUS_ACCEPTED ||
	    st == HUCE_STATUS_FAILED || st == HUCE_STATUS_RECTIFYING)
		row->built++;
	if (st == HUCE_STATUS_ACCEPTED) {
		row->accepted++;
		if (huce_status_derive(h->started, h->finished, facts, n,
				       r->before) != HUCE_STATUS_ACCEPTED)
			row->newly_accepted++;
	}

	/* stale: no visit (made, started, finished, inspected) for N days */
	if (st != HUCE_STATUS_ACCEPTED) {
		if (h->started && strcmp(h->started, r->to) <= 0 &&
		    strcmp(h->started, last) > 0)
			snprintf(last, sizeof(last), "%s", h->started);
		if (h->finished && strcmp(h->finished, r->to) <= 0 &&
		    strcmp(h->finished, last) > 0)
			snprintf(last, sizeof(last), "%s", h->finished);
		if (id_date(h->id, date) && strcmp(date, r->to) <= 0 &&
		    strcmp(date, last) > 0)
			snprintf(last, sizeof(last), "%s", date);
		date_days(r->to, &to_days);
		if (!date_days(last, &last_days) ||
		    to_days - last_days >= r->stale_days)
			row->stale++;
	}

	/* the team (first-toilet rule) and the cadre (挂包) */
	team = find_named(r->teams, r->n_teams, h->team_id);
	if (team) {
		struct rep_pair *p = PUSH(r, pairs);

		team->households++;
		team->passed |= passed_by_sunday;
		if (p) {
			p->team = (size_t)(team - r->teams);
			p->row = h->v->row;
		}
	}
	cadre = find_named(r->cadres, r->n_cadres, h->cadre_id);
	if (cadre) {
		cadre->households++;
		cadre->accepted += st == HUCE_STATUS_ACCEPTED;
	}
	if (cadre && st == HUCE_STATUS_ACCEPTED &&
	    huce_status_derive(h->started, h->finished, facts, n,
			       r->before) != HUCE_STATUS_ACCEPTED)
		cadre->newly++;

	/* the first acceptance inspection, whenever it was */
	for (size_t i = 0; i < n; i++)
		if (in[i].live && huce_stage_accepts(in[i].stage) &&
		    (!first || fact_before(&facts[i], first)))
			first = &facts[i];
	if (first && in_period(r, first->date)) {
		row->first_inspected++;
		row->first_passed += first->pass;
	}

	/* failed items, and spot-checks of an accepted toilet (账实相符) */
	for (size_t i = 0; i < n; i++) {
		if (!in[i].live || !in_period(r, in[i].date))
			continue;
		if (!in[i].pass && in[i].failed) {
			for (const char *p = in[i].failed; *p; p = strchr(p, '\n') + 1) {
				struct rep_fail *f = PUSH(r, fails);

				if (!f)
					break;
				f->row = h->v->row;
				f->item = p;	/* ends at '\n'; copied later */
			}
		}
		if (in[i].stage != HUCE_STAGE_SPOT_CHECK)
			continue;
		for (size_t k = 0; k < n; k++) {
			tmp[k] = facts[k];
			if (!fact_before(&facts[k], &facts[i]))
				tmp[k].voided = 1;
		}
		if (huce_status_derive(h->started, h->finished, tmp, n,
				       in[i].date) == HUCE_STATUS_ACCEPTED) {
			rechecked = 1;
			mismatch |= !in[i].pass;
		}
	}
	row->rechecks += rechecked;
	row->mismatches += mismatch;

	if (!nw)
		return;
	row->inspected++;
	d = huce_insp_decisive(week, nw, NULL);
	if (!d)
		return;
	if (!d->pass) {
		row->failed++;
		return;
	}
	row->passed++;
	/* the deciding inspection's arrival: find it again by its id */
	for (size_t i = 0; i < n; i++) {
		long dd = 0, ed = 0;
		struct huce_report_late *l;

		if (in[i].id != d->id)
			continue;
		if (!in[i].entered) {
			row->entered_same_week = -1;
			break;
		}
		local_date(in[i].entered, date);
		/* 当周验收当周录入: in the week of its own date, whatever the period */
		if (same_iso_week(in[i].date, date)) {
			if (row->entered_same_week >= 0)
				row->entered_same_week++;
			break;
		}
		l = PUSH(r, late);
		if (!l)
			break;
		memset(l, 0, sizeof(*l));
		l->household_id = h->id;
		l->village_id = h->v->id;
		l->village = h->v->name;
		l->head = h->head ? h->head : "";
		l->inspection_id = in[i].id;
		l->date = in[i].date;
		memcpy(l->entered, date, sizeof(l->entered));
		date_days(in[i].date, &dd);
		date_days(date, &ed);
		l->lag_days = ed - dd;
		break;
	}
}

/* Whether a rectification was open at the end of the week. */
static int open_on_sunday(const struct huce_report *r,
			  const struct rep_rectification *rc,
			  struct rep_inspection **by_id, size_t n)
{
	const struct rep_inspection *opened, *closed;

	opened = find_inspection(by_id, n, rc->inspection_id);
	if (!opened || !opened->live || strcmp(opened->date, r->to) > 0)
		return 0;
	if (!rc->closed)
		return 1;
	/*
	 * Closed: from the day of the inspection that closed it; a voided
	 * one closed nothing.  A closure with no known inspection has no
	 * date, and counts as closed in every week.
	 */
	closed = rc->closed_by ? find_inspection(by_id, n, rc->closed_by) : NULL;
	if (!closed)
		return 0;
	return !closed->live || strcmp(closed->date, r->to) > 0;
}

/* One rectification's columns. */
static void count_rectification(struct huce_report *r,
				const struct rep_rectification *rc,
				struct rep_inspection **by_id, size_t n)
{
	struct rep_household *h = find_household(r, rc->household_id);
	const struct rep_inspection *opened, *closed;
	struct huce_report_row *row;

	if (!rc->live || !h || !h->counted)
		return;
	row = &r->rows[h->v->row];
	opened = find_inspection(by_id, n, rc->inspection_id);
	if (!opened || !opened->live)
		return;
	if (in_period(r, opened->date))
		row->rect_opened++;
	closed = rc->closed && rc->closed_by
		 ? find_inspection(by_id, n, rc->closed_by) : NULL;
	if (closed && closed->live && in_period(r, closed->date))
		row->rect_closed++;
	if (open_on_sunday(r, rc, by_id, n)) {
		row->open_rectifications++;
		if (rc->deadline && strcmp(rc->deadline, r->to) < 0)
			row->rect_overdue++;
	}
}

/* The household a record belongs to (itself, or its inspection's), or NULL. */
static struct rep_household *owner_household(const struct huce_report *r,
					     const char *record,
					     struct rep_inspection **by_id,
					     size_t n)
{
	struct rep_household *h = find_household(r, record);
	struct rep_inspection *in;

	if (!h) {
		in = find_inspection(by_id, n, record);
		if (in)
			h = find_household(r, in->household_id);
	}
	return h;
}

/* The village a conflict's record belongs to, or NULL. */
static struct rep_village *conflict_village(const struct huce_report *r,
					    const char *record,
					    struct rep_inspection **by_id,
					    size_t n)
{
	struct rep_village *v = find_village(r, record);
	struct rep_household *h;

	if (v)
		return v;
	h = owner_household(r, record, by_id, n);
	/* conflicts are few: a rectification is looked for one by one */
	for (size_t i = 0; !h && i < r->n_rects; i++)
		if (strcmp(r->rects[i].id, record) == 0)
			h = find_household(r, r->rects[i].household_id);
	return h ? h->v : NULL;
}

/*
 * The failed items, per village and for the town, into r->counts: each
 * row's slice (most first), then the town's.  The codes point into the
 * inspections' lists, which end each at '\n': they are cut there now.
 */
static enum huce_err count_failures(struct huce_report *r)
{
	size_t nc = 0, ntown = 0, start;
	struct huce_report_count *c;

	for (size_t i = 0; i < r->n_fails; i++) {
		char *nl = strchr(r->fails[i].item, '\n');

		if (nl)
			*nl = '\0';
	}
	if (r->n_fails)
		qsort(r->fails, r->n_fails, sizeof(*r->fails), fail_cmp);
	/* one count per (village, item), then as many for the town at most */
	c = calloc(r->n_fails ? 2 * r->n_fails : 1, sizeof(*c));
	if (!c)
		return HUCE_ENOMEM;
	r->counts = c;
	for (size_t i = 0; i < r->n_fails; i = start) {
		size_t row = r->fails[i].row;
		size_t first = nc;

		for (start = i; start < r->n_fails && r->fails[start].row == row;) {
			size_t k = start;

			while (k < r->n_fails && r->fails[k].row == row &&
			       strcmp(r->fails[k].item, r->fails[start].item) == 0)
				k++;
			c[nc].item = r->fails[start].item;
			c[nc].n = (int64_t)(k - start);
			nc++;
			start = k;
		}
		qsort(&c[first], nc - first, sizeof(*c), count_cmp);
		r->rows[row].failures = &c[first];
		r->rows[row].nfailures = nc - first;
	}
	/* the town: the villages' counts merged by item */
	memcpy(&c[nc], c, nc * sizeof(*c));
	qsort(&c[nc], nc, sizeof(*c), count_item_cmp);
	for (size_t i = nc; i < 2 * nc; i++) {
		if (ntown && strcmp(c[nc + ntown - 1].item, c[i].item) == 0) {
			c[nc + ntown - 1].n += c[i].n;
			continue;
		}
		c[nc + ntown++] = c[i];
	}
	qsort(&c[nc], ntown, sizeof(*c), count_cmp);
	r->town.failures = &c[nc];
	r->town.nfailures = ntown;
	return HUCE_OK;
}

/* Teams blocked by the first-toilet rule, and the villages they touch. */
static enum huce_err count_teams(struct huce_report *r)
{
	size_t nb = 0;

	r->blocked = calloc(r->n_teams ? r->n_teams : 1, sizeof(*r->blocked));
	if (!r->blocked)
		return HUCE_ENOMEM;
	for (size_t i = 0; i < r->n_teams; i++) {
		const struct rep_named *t = &r->teams[i];

		if (t->households < 2 || t->passed)
			continue;
		r->blocked[nb++] = (struct huce_report_team){
			.team_id = t->id, .name = t->name,
			.households = t->households,
		};
	}
	r->nblocked = nb;
	r->town.teams_blocked = (int64_t)nb;
	if (nb)
		qsort(r->blocked, nb, sizeof(*r->blocked), team_cmp);
	if (r->n_pairs)
		qsort(r->pairs, r->n_pairs, sizeof(*r->pairs), pair_cmp);
	for (size_t i = 0; i < r->n_pairs; i++) {
		const struct rep_named *t = &r->teams[r->pairs[i].team];

		if (i && r->pairs[i].team == r->pairs[i - 1].team &&
		    r->pairs[i].row == r->pairs[i - 1].row)
			continue;
		if (t->households >= 2 && !t->passed)
			r->rows[r->pairs[i].row].teams_blocked++;
	}
	return HUCE_OK;
}

static enum huce_err count_cadres(struct huce_report *r)
{
	size_t n = 0;

	r->cadre_rows = calloc(r->n_cadres ? r->n_cadres : 1,
			       sizeof(*r->cadre_rows));
	if (!r->cadre_rows)
		return HUCE_ENOMEM;
	for (size_t i = 0; i < r->n_cadres; i++) {
		const struct rep_named *c = &r->cadres[i];

		if (!c->households)
			continue;
		r->cadre_rows[n++] = (struct huce_report_cadre){
			.cadre_id = c->id, .name = c->name,
			.households = c->households, .accepted = c->accepted,
			.newly_accepted = c->newly,
		};
	}
	r->ncadre_rows = n;
	if (n)
		qsort(r->cadre_rows, n, sizeof(*r->cadre_rows), cadre_cmp);
	return HUCE_OK;
}

/* The town's line: the villages' summed. */
static void count_town(struct huce_report *r)
{
	struct huce_report_row *t = &r->town;

	t->village = "全镇";
	t->village_id = "";
	for (size_t i = 0; i < r->nrows; i++) {
		const struct huce_report_row *w = &r->rows[i];

		t->target += w->target;
		t->households += w->households;
		t->built += w->built;
		t->inspected += w->inspected;
		t->passed += w->passed;
		t->failed += w->failed;
		t->accepted += w->accepted;
		t->open_rectifications += w->open_rectifications;
		if (w->entered_same_week < 0 || t->entered_same_week < 0)
			t->entered_same_week = -1;
		else
			t->entered_same_week += w->entered_same_week;
		t->conflicts += w->conflicts;
		t->started += w->started;
		t->newly_accepted += w->newly_accepted;
		t->first_inspected += w->first_inspected;
		t->first_passed += w->first_passed;
		t->rect_opened += w->rect_opened;
		t->rect_closed += w->rect_closed;
		t->rect_overdue += w->rect_overdue;
		t->stale += w->stale;
		t->rechecks += w->rechecks;
		t->mismatches += w->mismatches;
		t->review_approved += w->review_approved;
		t->review_has_issues += w->review_has_issues;
		t->review_edited += w->review_edited;
		if (w->missing_photos < 0 || t->missing_photos < 0)
			t->missing_photos = -1;
		else
			t->missing_photos += w->missing_photos;
		if (w->photos_lacking < 0 || t->photos_lacking < 0)
			t->photos_lacking = -1;
		else
			t->photos_lacking += w->photos_lacking;
	}
	t->rate = t->score = -1;
}

/* Whether the ISO week's Thursday falls in the period. */
static int target_counts(const struct huce_report *r, const char *week)
{
	char mon[11], sun[11], thu[11];
	int y, w;

	if (r->target_week[0])
		return strcmp(week, r->target_week) == 0;
	if (huce_parse_week(week, &y, &w))
		return 0;
	week_days(y, w, mon, sun);
	date_add(mon, 3, thu);
	return in_period(r, thu);
}

static int photo_owner_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct rep_photo *const *)a)->owner_id,
		      (*(const struct rep_photo *const *)b)->owner_id);
}

static int lacking_cmp(const void *a, const void *b)
{
	const struct huce_report_lacking *x = a, *y = b;
	int c = strcmp(x->village, y->village);

	if (!c)
		c = strcmp(x->date, y->date);
	return c ? c : strcmp(x->inspection_id, y->inspection_id);
}

/*
 * photos_lacking: every live inspection of the period, of a counted
 * household, against the photo kinds its stage needs
 * (huce_checklist_photos_missing, the rule the laptop refuses by), with
 * the kinds of the live photo records it owns now.  Nonzero on OOM.
 */
static int count_lacking(struct huce_report *r)
{
	struct rep_photo **by_owner = calloc(r->n_photos ? r->n_photos : 1,
					     sizeof(*by_owner));
	const char *kinds[HUCE_PHOTO_KINDS_MAX], *missing[HUCE_PHOTO_KINDS_MAX];

	if (!by_owner)
		return -1;
	for (size_t i = 0; i < r->n_photos; i++)
		by_owner[i] = &r->photos[i];
	if (r->n_photos)
		qsort(by_owner, r->n_photos, sizeof(*by_owner), photo_owner_cmp);
	for (size_t i = 0; i < r->n_inspections; i++) {
		const struct rep_inspection *in = &r->inspections[i];
		struct rep_household *h;
		struct huce_report_lacking *e;
		struct rep_photo key = { .owner_id = in->id }, *kp = &key, **hit;
		size_t nk = 0, o = 0;
		int n;

		if (!in->live || !in_period(r, in->date))
			continue;
		h = find_household(r, in->household_id);
		if (!h || !h->counted || !h->type)
			continue;
		hit = r->n_photos ? bsearch(&kp, by_owner, r->n_photos, sizeof(*by_owner),
					    photo_owner_cmp) : NULL;
		/* back to the first photo of this owner, then each of them */
		while (hit && hit > by_owner && strcmp((*(hit - 1))->owner_id, in->id) == 0)
			hit--;
		for (; hit && hit < by_owner + r->n_photos &&
		       strcmp((*hit)->owner_id, in->id) == 0 && nk < HUCE_PHOTO_KINDS_MAX; hit++)
			if ((*hit)->live && (*hit)->kind)
				kinds[nk++] = (*hit)->kind;
		n = huce_checklist_photos_missing(r->cl, h->type, in->stage, kinds, nk,
						  missing, HUCE_PHOTO_KINDS_MAX, NULL);
		if (n <= 0)
			continue;
		r->rows[h->v->row].photos_lacking++;
		e = PUSH(r, lacking);
		if (!e)
			break;
		memset(e, 0, sizeof(*e));
		e->household_id = h->id;
		e->village = h->v->name ? h->v->name : "";
		e->head = h->head ? h->head : "";
		e->inspection_id = in->id;
		e->date = in->date;
		e->stage = huce_stage_name(in->stage);
		for (int k = 0; k < n && k < HUCE_PHOTO_KINDS_MAX; k++)
			if (o + strlen(missing[k]) + 3 < sizeof(e->missing))
				o += (size_t)snprintf(e->missing + o, sizeof(e->missing) - o,
						      "%s%s", o ? ", " : "", missing[k]);
	}
	free(by_owner);
	return r->oom ? -1 : 0;
}

enum huce_err huce_report_compute(struct huce_report *r, struct huce_error *err)
{
	struct rep_inspection **by_id = NULL;
	struct huce_insp_fact *facts = NULL, *week = NULL, *tmp = NULL;
	size_t maxrun = 0;
	enum huce_err rc = HUCE_OK;

	if (r->oom)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (r->rows)
		return huce_fail(err, HUCE_EINVAL, _("the report is counted already"));
	r->nrows = 0;
	r->rows = calloc(r->n_villages ? r->n_villages : 1, sizeof(*r->rows));
	by_id = calloc(r->n_inspections ? r->n_inspections : 1, sizeof(*by_id));
	if (!r->rows || !by_id)
		goto oom;
	if (r->n_villages)
		qsort(r->villages, r->n_villages, sizeof(*r->villages), village_cmp);
	if (r->n_households)
		qsort(r->households, r->n_households, sizeof(*r->households),
		      household_cmp);
	if (r->n_inspections)
		qsort(r->inspections, r->n_inspections, sizeof(*r->inspections),
		      inspection_cmp);
	if (r->n_teams)
		qsort(r->teams, r->n_teams, sizeof(*r->teams), named_cmp);
	if (r->n_cadres)
		qsort(r->cadres, r->n_cadres, sizeof(*r->cadres), named_cmp);
	for (size_t i = 0; i < r->n_villages; i++) {
		struct huce_report_row *row = &r->rows[i];

		r->villages[i].row = i;
		row->village_id = r->villages[i].id;
		row->village = r->villages[i].name;
		row->rate = row->score = -1;
		if (!r->photos_known)
			row->missing_photos = -1;
		if (!r->cl)
			row->photos_lacking = -1;
	}
	r->nrows = r->n_villages;
	for (size_t i = 0; i < r->n_targets; i++) {
		struct rep_village *v = find_village(r, r->targets[i].village_id);

		if (v && target_counts(r, r->targets[i].week))
			r->rows[v->row].target += r->targets[i].n;
	}
	for (size_t i = 0; i < r->n_households; i++)
		r->households[i].v = find_village(r, r->households[i].village_id);
	for (size_t i = 0; i < r->n_inspections; i++)
		by_id[i] = &r->inspections[i];
	if (r->n_inspections)
		qsort(by_id, r->n_inspections, sizeof(*by_id), ptr_id_cmp);

	/* the longest run of one household's inspections sizes the scratch */
	for (size_t i = 0, j; i < r->n_inspections; i = j) {
		for (j = i + 1; j < r->n_inspections &&
		     strcmp(r->inspections[j].household_id,
			    r->inspections[i].household_id) == 0; j++)
			;
		if (j - i > maxrun)
			maxrun = j - i;
	}
	facts = calloc(maxrun ? maxrun : 1, sizeof(*facts));
	week = calloc(maxrun ? maxrun : 1, sizeof(*week));
	tmp = calloc(maxrun ? maxrun : 1, sizeof(*tmp));
	if (!facts || !week || !tmp)
		goto oom;
	/* households and inspections are both in household id order */
	for (size_t i = 0, k = 0; i < r->n_households; i++) {
		struct rep_household *h = &r->households[i];
		size_t start;

		while (k < r->n_inspections &&
		       strcmp(r->inspections[k].household_id, h->id) < 0)
			k++;
		start = k;
		while (k < r->n_inspections &&
		       strcmp(r->inspections[k].household_id, h->id) == 0)
			k++;
		count_household(r, h, &r->inspections[start], k - start,
				facts, week, tmp);
	}
	for (size_t i = 0; i < r->n_rects; i++)
		count_rectification(r, &r->rects[i], by_id, r->n_inspections);
	for (size_t i = 0; r->photos_known && i < r->n_photos; i++) {
		const struct rep_photo *p = &r->photos[i];
		struct rep_household *h;

		if (!p->live || p->present)
			continue;
		h = owner_household(r, p->owner_id, by_id, r->n_inspections);
		if (h && h->counted)
			r->rows[h->v->row].missing_photos++;
	}
	for (size_t i = 0; i < r->n_conflicts; i++) {
		struct rep_village *v = conflict_village(r, r->conflicts[i], by_id,
							 r->n_inspections);

		if (v)
			r->rows[v->row].conflicts++;
	}
	for (size_t i = 0; i < r->n_reviews; i++) {
		const struct rep_review *v = &r->reviews[i];
		struct rep_household *h = find_household(r, v->household_id);
		struct huce_report_row *row;

		if (!h || !h->counted)
			continue;
		row = &r->rows[h->v->row];
		row->review_approved += v->state == HUCE_REVIEW_APPROVED;
		row->review_has_issues += v->state == HUCE_REVIEW_ISSUES;
		row->review_edited += v->state == HUCE_REVIEW_EDITED;
	}
	if (r->cl && count_lacking(r))
		goto oom;
	if (r->oom || count_failures(r) || count_teams(r) || count_cadres(r))
		goto oom;
	count_town(r);
	if (r->n_late)
		qsort(r->late, r->n_late, sizeof(*r->late), late_cmp);
	if (r->n_lacking)
		qsort(r->lacking, r->n_lacking, sizeof(*r->lacking), lacking_cmp);
	qsort(r->rows, r->nrows, sizeof(*r->rows), row_cmp);
	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].rank = i && r->rows[i].accepted == r->rows[i - 1].accepted
				  ? r->rows[i - 1].rank : (int)i + 1;
	goto out;
oom:
	r->oom = 1;
	rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
out:
	free(by_id);
	free(facts);
	free(week);
	free(tmp);
	return rc;
}

size_t huce_report_rows(const struct huce_report *r,
			const struct huce_report_row **rows)
{
	*rows = r->rows;
	return r->nrows;
}

const struct huce_report_row *huce_report_town(const struct huce_report *r)
{
	return &r->town;
}

size_t huce_report_late(const struct huce_report *r,
			const struct huce_report_late **late)
{
	*late = r->late;
	return r->n_late;
}

size_t huce_report_lacking(const struct huce_report *r,
			   const struct huce_report_lacking **lacking)
{
	*lacking = r->lacking;
	return r->n_lacking;
}

size_t huce_report_blocked(const struct huce_report *r,
			   const struct huce_report_team **teams)
{
	*teams = r->blocked;
	return r->nblocked;
}

size_t huce_report_cadres(const struct huce_report *r,
			  const struct huce_report_cadre **cadres)
{
	*cadres = r->cadre_rows;
	return r->ncadre_rows;
}

const char *huce_report_week(const struct huce_report *r)
{
	return r->week;
}

const char *huce_report_from(const struct huce_report *r)
{
	return r->from;
}

const char *huce_report_to(const struct huce_report *r)
{
	return r->to;
}

int64_t huce_report_conflicts(const struct huce_report *r)
{
	return r->nconflicts;
}

/* x rounded to the nearest multiple of 1/scale (half away from zero). */
static double round_to(double x, double scale)
{
	return x >= 0 ? (double)(int64_t)(x * scale + 0.5) / scale
		      : -(double)(int64_t)(-x * scale + 0.5) / scale;
}

double huce_report_rate(int64_t num, int64_t den)
{
	if (den <= 0 || num < 0)
		return -1;
	return round_to((double)num / (double)den, 10000.0);
}

/* --- the month's ranking (红黑榜) ------------------------------------------- */

void huce_month_rules_default(struct huce_month_rules *rules)
{
	*rules = (struct huce_month_rules){
		.w_rate = 1, .w_first_pass = 0, .w_same_week = 0,
		.red_min_rate = 90, .red_top = 3,
		.black_max_rate = 50, .black_bottom = 2,
		.black_needs_overdue = 1,
	};
}

const char *huce_report_list_name(int list)
{
	return list == HUCE_LIST_RED ? "red" : list == HUCE_LIST_BLACK ? "black"
									: NULL;
}

/* Most score first; no plan last; then by name, then by id. */
static int month_cmp(const void *a, const void *b)
{
	const struct huce_report_row *x = a, *y = b;
	int c;

	if ((x->rate < 0) != (y->rate < 0))
		return x->rate < 0 ? 1 : -1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	c = strcmp(x->village, y->village);
	return c ? c : strcmp(x->village_id, y->village_id);
}

/* Reason k (0..2) of row i, formatted into the report's own text. */
static const char *reason(struct huce_report *r, size_t i, int k,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static const char *reason(struct huce_report *r, size_t i, int k,
			  const char *fmt, ...)
{
	char *p = r->reason_text[i * 3 + (size_t)k];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(r->reason_text[0]), fmt, ap);
	va_end(ap);
	return p;
}

/* Percent, one decimal, of a rate in 0..1 (4 decimals). */
static double pct(double rate)
{
	return rate * 100.0;
}

enum huce_err huce_report_rank_month(struct huce_report *r,
				     const struct huce_month_rules *rules,
				     struct huce_error *err)
{
	size_t nranked = 0;

	free(r->reason_text);
	r->reason_text = calloc(r->nrows ? r->nrows * 3 : 1,
				sizeof(*r->reason_text));
	if (!r->reason_text)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	for (size_t i = 0; i < r->nrows; i++) {
		struct huce_report_row *w = &r->rows[i];
		double fp = huce_report_rate(w->first_passed, w->first_inspected);
		double sw = huce_report_rate(w->entered_same_week, w->passed);
		double score;

		w->rate = huce_report_rate(w->newly_accepted, w->target);
		score = rules->w_rate * (w->rate < 0 ? 0 : w->rate) +
			rules->w_first_pass * (fp < 0 ? 0 : fp) +
			rules->w_same_week * (sw < 0 ? 0 : sw);
		/* equal rates give equal scores; rounding keeps them so */
		w->score = w->rate < 0 ? -1 : round_to(score, 1e6);
		w->list = HUCE_LIST_NONE;
		memset(w->reasons, 0, sizeof(w->reasons));
		nranked += w->rate >= 0;
	}
	qsort(r->rows, r->nrows, sizeof(*r->rows), month_cmp);
	for (size_t i = 0; i < r->nrows; i++) {
		struct huce_report_row *w = &r->rows[i];
		const struct huce_report_row *p = i ? &r->rows[i - 1] : NULL;
		int k = 0;

		w->rank = p && (p->rate < 0) == (w->rate < 0) &&
			  p->score == w->score ? p->rank : (int)i + 1;
		if (w->rate < 0) {
			w->reasons[0] = "本月无计划（周任务）";
			continue;
		}
		if (w->rate * 100.0 < rules->black_max_rate - 1e-9) {
			w->reasons[k] = reason(r, i, k, "完成率 %.1f%%，低于 %g%%",
					       pct(w->rate), rules->black_max_rate);
			k++;
		}
		if (rules->black_bottom > 0 &&
		    w->rank > (int)nranked - rules->black_bottom &&
		    (!rules->black_needs_overdue || w->rect_overdue > 0)) {
			if (rules->black_needs_overdue)
				w->reasons[k] = reason(r, i, k, "排名第 %d，在后 %d 名，"
						       "且有 %lld 项整改逾期", w->rank,
						       rules->black_bottom,
						       (long long)w->rect_overdue);
			else
				w->reasons[k] = reason(r, i, k, "排名第 %d，在后 %d 名",
						       w->rank, rules->black_bottom);
			k++;
		}
		if (k) {
			w->list = HUCE_LIST_BLACK;
			continue;
		}
		if (w->rank <= rules->red_top &&
		    w->rate * 100.0 >= rules->red_min_rate - 1e-9) {
			w->list = HUCE_LIST_RED;
			w->reasons[0] = reason(r, i, 0, "完成率 %.1f%%，不低于 %g%%",
					       pct(w->rate), rules->red_min_rate);
			w->reasons[1] = reason(r, i, 1, "排名第 %d，在前 %d 名",
					       w->rank, rules->red_top);
		}
	}
	return HUCE_OK;
}

/* --- output ---------------------------------------------------------------- */

#define NCOLS 13
static const char *const col_keys[NCOLS] = {
	"target", "households", "built", "inspected", "passed", "failed",
	"accepted", "open_rectifications", "entered_same_week", "conflicts",
	"review_approved", "review_has_issues", "review_edited",
};

static void row_values(const struct huce_report_row *w, int64_t out[NCOLS])
{
	out[0] = w->target;
	out[1] = w->households;
	out[2] = w->built;
	out[3] = w->inspected;
	out[4] = w->passed;
	out[5] = w->failed;
	out[6] = w->accepted;
	out[7] = w->open_rectifications;
	out[8] = w->entered_same_week;
	out[9] = w->conflicts;
	out[10] = w->review_approved;
	out[11] = w->review_has_issues;
	out[12] = w->review_edited;
}

/* A count, or null when not known (negative). */
static cJSON *add_count(cJSON *o, const char *key, int64_t v)
{
	return v < 0 ? cJSON_AddNullToObject(o, key)
		     : cJSON_AddNumberToObject(o, key, (double)v);
}

static cJSON *add_rate(cJSON *o, const char *key, double v)
{
	return v < 0 ? cJSON_AddNullToObject(o, key)
		     : cJSON_AddNumberToObject(o, key, v);
}

cJSON *huce_report_row_json(const struct huce_report_row *w)
{
	cJSON *row = cJSON_CreateObject(), *f;
	int64_t vals[NCOLS];

	if (!row || !cJSON_AddStringToObject(row, "village", w->village) ||
	    !cJSON_AddStringToObject(row, "village_id", w->village_id))
		goto fail;
	row_values(w, vals);
	for (int k = 0; k < NCOLS; k++)
		if (!add_count(row, col_keys[k], vals[k]))
			goto fail;
	if (!cJSON_AddNumberToObject(row, "rank", w->rank) ||
	    !add_count(row, "started", w->started) ||
	    !add_count(row, "newly_accepted", w->newly_accepted) ||
	    !add_count(row, "first_inspected", w->first_inspected) ||
	    !add_count(row, "first_passed", w->first_passed) ||
	    !add_rate(row, "first_pass_rate",
		      huce_report_rate(w->first_passed, w->first_inspected)) ||
	    !add_count(row, "rectifications_opened", w->rect_opened) ||
	    !add_count(row, "rectifications_overdue", w->rect_overdue) ||
	    !add_count(row, "rectifications_closed", w->rect_closed) ||
	    !add_count(row, "teams_blocked", w->teams_blocked) ||
	    !add_count(row, "missing_photos", w->missing_photos) ||
	    !add_count(row, "photos_lacking", w->photos_lacking) ||
	    !add_count(row, "stale", w->stale) ||
	    !add_rate(row, "entered_same_week_rate",
		      huce_report_rate(w->entered_same_week, w->passed)) ||
	    !add_count(row, "rechecks", w->rechecks) ||
	    !add_count(row, "mismatches", w->mismatches))
		goto fail;
	f = cJSON_AddArrayToObject(row, "failures");
	if (!f)
		goto fail;
	for (size_t i = 0; i < w->nfailures; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(f, o) ||
		    !cJSON_AddStringToObject(o, "item", w->failures[i].item) ||
		    !cJSON_AddNumberToObject(o, "n", (double)w->failures[i].n))
			goto fail;
	}
	return row;
fail:
	cJSON_Delete(row);
	return NULL;
}

cJSON *huce_report_json(const struct huce_report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr, *town;

	if (!o || !cJSON_AddStringToObject(o, "week", r->week) ||
	    !cJSON_AddStringToObject(o, "from", r->from) ||
	    !cJSON_AddStringToObject(o, "to", r->to) ||
	    !cJSON_AddNumberToObject(o, "conflicts", (double)r->nconflicts) ||
	    !cJSON_AddNumberToObject(o, "stale_days", r->stale_days))
		goto fail;
	arr = cJSON_AddArrayToObject(o, "villages");
	if (!arr)
		goto fail;
	for (size_t i = 0; i < r->nrows; i++) {
		cJSON *row = huce_report_row_json(&r->rows[i]);

		if (!row || !cJSON_AddItemToArray(arr, row)) {
			cJSON_Delete(row);
			goto fail;
		}
	}
	town = huce_report_row_json(&r->town);
	if (!town)
		goto fail;
	cJSON_DeleteItemFromObject(town, "village_id");
	cJSON_DeleteItemFromObject(town, "rank");
	if (!cJSON_AddItemToObject(o, "town", town)) {
		cJSON_Delete(town);
		goto fail;
	}
	arr = cJSON_AddArrayToObject(o, "late");
	for (size_t i = 0; arr && i < r->n_late; i++) {
		const struct huce_report_late *l = &r->late[i];
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e) ||
		    !cJSON_AddStringToObject(e, "household", l->household_id) ||
		    !cJSON_AddStringToObject(e, "village", l->village) ||
		    !cJSON_AddStringToObject(e, "head", l->head) ||
		    !cJSON_AddStringToObject(e, "inspection", l->inspection_id) ||
		    !cJSON_AddStringToObject(e, "date", l->date) ||
		    !cJSON_AddStringToObject(e, "entered", l->entered) ||
		    !cJSON_AddNumberToObject(e, "lag_days", (double)l->lag_days))
			goto fail;
	}
	if (!arr)
		goto fail;
	arr = cJSON_AddArrayToObject(o, "blocked_teams");
	for (size_t i = 0; arr && i < r->nblocked; i++) {
		const struct huce_report_team *t = &r->blocked[i];
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e) ||
		    !cJSON_AddStringToObject(e, "team", t->name) ||
		    !cJSON_AddStringToObject(e, "team_id", t->team_id) ||
		    !cJSON_AddNumberToObject(e, "households", (double)t->households))
			goto fail;
	}
	if (!arr)
		goto fail;
	arr = cJSON_AddArrayToObject(o, "photos_lacking");
	for (size_t i = 0; arr && i < r->n_lacking; i++) {
		const struct huce_report_lacking *l = &r->lacking[i];
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e) ||
		    !cJSON_AddStringToObject(e, "household", l->household_id) ||
		    !cJSON_AddStringToObject(e, "village", l->village) ||
		    !cJSON_AddStringToObject(e, "head", l->head) ||
		    !cJSON_AddStringToObject(e, "inspection", l->inspection_id) ||
		    !cJSON_AddStringToObject(e, "stage", l->stage) ||
		    !cJSON_AddStringToObject(e, "date", l->date) ||
		    !cJSON_AddStringToObject(e, "missing", l->missing))
			goto fail;
	}
	if (!arr)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

enum huce_err huce_report_text(const struct huce_report *r, struct huce_buf *b)
{
	enum huce_err rc = huce_buf_printf(b, "周清单 week %s (%s .. %s)\nrank\tvillage",
					   r->week, r->from, r->to);

	for (int k = 0; !rc && k < NCOLS; k++)
		rc = huce_buf_printf(b, "\t%s", col_keys[k]);
	if (!rc)
		rc = huce_buf_addstr(b, "\n");
	for (size_t i = 0; !rc && i < r->nrows; i++) {
		int64_t vals[NCOLS];

		row_values(&r->rows[i], vals);
		rc = huce_buf_printf(b, "%d\t%s", r->rows[i].rank, r->rows[i].village);
		for (int k = 0; !rc && k < NCOLS; k++)
			rc = vals[k] < 0 ? huce_buf_addstr(b, "\t-")
					 : huce_buf_printf(b, "\t%lld", (long long)vals[k]);
		if (!rc)
			rc = huce_buf_addstr(b, "\n");
	}
	if (!rc && r->nconflicts)
		rc = huce_buf_printf(b, "open conflicts: %lld (the numbers of a "
				     "village with conflicts may still change)\n",
				     (long long)r->nconflicts);
	return rc;
}
