/*
 * huce_report.c - the weekly list (周清单): count and rank the facts the
 * laptop or the central loaded (huce_report.h says what each column
 * counts).
 *
 * The facts are kept in flat arrays; compute sorts them once (households
 * and villages by id, inspections by household, then by id) and walks
 * each household's inspections as one run, so a town of a few thousand
 * households costs a few sorts.  Per household it asks the status
 * machine (huce_domain.h) twice: its status as of the week's Sunday
 * (households, built, accepted) and the decisive inspection among the
 * week's own (passed, failed, entered_same_week).
 */
#include "huce_report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_checklist.h"
#include "huce_domain.h"
#include "huce_util.h"

struct rep_village {
	char *id, *name;
	size_t row;		/* index into rows */
};

struct rep_target {
	char *village_id;
	int64_t n;
};

struct rep_household {
	char *id, *village_id, *started, *finished;
	int live;
	int counted;		/* registered by Sunday, live, known village */
	struct rep_village *v;	/* its village, or NULL (set by compute) */
};

struct rep_inspection {
	char *id, *household_id, *date;
	int stage, pass, live;
	int64_t entered;
};

struct rep_rectification {
	char *id, *household_id, *inspection_id, *closed_by;
	int closed, live;
};

#define ARRAY(type, name) type *name; size_t n_##name, alloc_##name

struct huce_report {
	char week[9], from[11], to[11];
	int oom;
	ARRAY(struct rep_village, villages);
	ARRAY(struct rep_target, targets);
	ARRAY(struct rep_household, households);
	ARRAY(struct rep_inspection, inspections);
	ARRAY(struct rep_rectification, rects);
	ARRAY(char *, conflicts);
	struct huce_report_row *rows;
	size_t nrows;
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

enum huce_err huce_report_new(struct huce_report **out, const char *week,
			      struct huce_error *err)
{
	struct huce_report *r;
	int y, w;

	*out = NULL;
	if (huce_parse_week(week, &y, &w))
		return huce_fail(err, HUCE_EINVAL,
				 "week '%.20s' is not an ISO week like 2026-W48",
				 week ? week : "");
	r = calloc(1, sizeof(*r));
	if (!r)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	snprintf(r->week, sizeof(r->week), "%s", week);
	week_days(y, w, r->from, r->to);
	*out = r;
	return HUCE_OK;
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
		free(r->households[i].id);
		free(r->households[i].village_id);
		free(r->households[i].started);
		free(r->households[i].finished);
	}
	for (size_t i = 0; i < r->n_inspections; i++) {
		free(r->inspections[i].id);
		free(r->inspections[i].household_id);
		free(r->inspections[i].date);
	}
	for (size_t i = 0; i < r->n_rects; i++) {
		free(r->rects[i].id);
		free(r->rects[i].household_id);
		free(r->rects[i].inspection_id);
		free(r->rects[i].closed_by);
	}
	for (size_t i = 0; i < r->n_conflicts; i++)
		free(r->conflicts[i]);
	free(r->villages);
	free(r->targets);
	free(r->households);
	free(r->inspections);
	free(r->rects);
	free(r->conflicts);
	free(r->rows);
	free(r);
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

	if (!village_id || !week || strcmp(week, r->week) != 0)
		return;
	t = PUSH(r, targets);
	if (!t)
		return;
	t->village_id = copy(r, village_id);
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
	in->stage = huce_stage_parse(stage);
	in->pass = result && strcmp(result, "pass") == 0;
	in->live = live && is_date(date);
	in->entered = entered;
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
	rc->closed = status && strcmp(status, "closed") == 0;
	rc->live = live;
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

/*
 * One household's run of inspections: its status as of Sunday and its
 * events of the week.  facts and week are scratch arrays of n entries.
 */
static void count_household(struct huce_report *r, struct rep_household *h,
			    const struct rep_inspection *in, size_t n,
			    struct huce_insp_fact *facts,
			    struct huce_insp_fact *week)
{
	struct huce_report_row *row;
	const struct huce_insp_fact *d;
	enum huce_status st;
	size_t nw = 0;
	char date[11];
	int registered = 0;

	if (!h->live || !h->v)
		return;
	for (size_t i = 0; i < n; i++) {
		facts[i] = (struct huce_insp_fact){
			.id = in[i].id, .date = in[i].date, .stage = in[i].stage,
			.pass = in[i].pass, .voided = !in[i].live,
		};
		if (!in[i].live)
			continue;
		if (strcmp(in[i].date, r->to) <= 0)
			registered = 1;
		if (strcmp(in[i].date, r->from) >= 0 &&
		    strcmp(in[i].date, r->to) <= 0)
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
	if (st == HUCE_STATUS_BUILT || st == HUCE_STATUS_ACCEPTED ||
	    st == HUCE_STATUS_FAILED || st == HUCE_STATUS_RECTIFYING)
		row->built++;
	if (st == HUCE_STATUS_ACCEPTED)
		row->accepted++;
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
		if (in[i].id != d->id)
			continue;
		if (!in[i].entered) {
			row->entered_same_week = -1;
		} else if (row->entered_same_week >= 0) {
			local_date(in[i].entered, date);
			if (strcmp(date, r->from) >= 0 && strcmp(date, r->to) <= 0)
				row->entered_same_week++;
		}
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

/* The village a conflict's record belongs to, or NULL. */
static struct rep_village *conflict_village(const struct huce_report *r,
					    const char *record,
					    struct rep_inspection **by_id,
					    size_t n)
{
	struct rep_village *v = find_village(r, record);
	struct rep_household *h;
	struct rep_inspection *in;

	if (v)
		return v;
	h = find_household(r, record);
	if (!h) {
		in = find_inspection(by_id, n, record);
		if (in)
			h = find_household(r, in->household_id);
	}
	/* conflicts are few: a rectification is looked for one by one */
	for (size_t i = 0; !h && i < r->n_rects; i++)
		if (strcmp(r->rects[i].id, record) == 0)
			h = find_household(r, r->rects[i].household_id);
	return h ? h->v : NULL;
}

enum huce_err huce_report_compute(struct huce_report *r, struct huce_error *err)
{
	struct rep_inspection **by_id = NULL;
	struct huce_insp_fact *facts = NULL, *week = NULL;
	size_t maxrun = 0;
	enum huce_err rc = HUCE_OK;

	if (r->oom)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	free(r->rows);
	r->nrows = 0;
	r->rows = calloc(r->n_villages ? r->n_villages : 1, sizeof(*r->rows));
	by_id = calloc(r->n_inspections ? r->n_inspections : 1, sizeof(*by_id));
	if (!r->rows || !by_id) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	if (r->n_villages)
		qsort(r->villages, r->n_villages, sizeof(*r->villages), village_cmp);
	if (r->n_households)
		qsort(r->households, r->n_households, sizeof(*r->households),
		      household_cmp);
	if (r->n_inspections)
		qsort(r->inspections, r->n_inspections, sizeof(*r->inspections),
		      inspection_cmp);
	for (size_t i = 0; i < r->n_villages; i++) {
		struct huce_report_row *row = &r->rows[i];

		r->villages[i].row = i;
		row->village_id = r->villages[i].id;
		row->village = r->villages[i].name;
	}
	r->nrows = r->n_villages;
	for (size_t i = 0; i < r->n_targets; i++) {
		struct rep_village *v = find_village(r, r->targets[i].village_id);

		if (v)
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
	if (!facts || !week) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
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
				facts, week);
	}
	for (size_t i = 0; i < r->n_rects; i++) {
		const struct rep_rectification *rt = &r->rects[i];
		struct rep_household *h = find_household(r, rt->household_id);

		if (rt->live && h && h->counted &&
		    open_on_sunday(r, rt, by_id, r->n_inspections))
			r->rows[h->v->row].open_rectifications++;
	}
	for (size_t i = 0; i < r->n_conflicts; i++) {
		struct rep_village *v = conflict_village(r, r->conflicts[i], by_id,
							 r->n_inspections);

		if (v)
			r->rows[v->row].conflicts++;
	}
	qsort(r->rows, r->nrows, sizeof(*r->rows), row_cmp);
	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].rank = i && r->rows[i].accepted == r->rows[i - 1].accepted
				  ? r->rows[i - 1].rank : (int)i + 1;
out:
	free(by_id);
	free(facts);
	free(week);
	return rc;
}

size_t huce_report_rows(const struct huce_report *r,
			const struct huce_report_row **rows)
{
	*rows = r->rows;
	return r->nrows;
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

/* --- output ---------------------------------------------------------------- */

#define NCOLS 10
static const char *const col_keys[NCOLS] = {
	"target", "households", "built", "inspected", "passed", "failed",
	"accepted", "open_rectifications", "entered_same_week", "conflicts",
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
}

cJSON *huce_report_json(const struct huce_report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr;

	if (!o || !cJSON_AddStringToObject(o, "week", r->week) ||
	    !cJSON_AddStringToObject(o, "from", r->from) ||
	    !cJSON_AddStringToObject(o, "to", r->to) ||
	    !cJSON_AddNumberToObject(o, "conflicts", (double)r->nconflicts))
		goto fail;
	arr = cJSON_AddArrayToObject(o, "villages");
	if (!arr)
		goto fail;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct huce_report_row *w = &r->rows[i];
		cJSON *row = cJSON_CreateObject();
		int64_t vals[NCOLS];

		if (!row || !cJSON_AddItemToArray(arr, row) ||
		    !cJSON_AddStringToObject(row, "village", w->village) ||
		    !cJSON_AddStringToObject(row, "village_id", w->village_id))
			goto fail;
		row_values(w, vals);
		for (int k = 0; k < NCOLS; k++) {
			cJSON *ok = vals[k] < 0
				? cJSON_AddNullToObject(row, col_keys[k])
				: cJSON_AddNumberToObject(row, col_keys[k],
							  (double)vals[k]);

			if (!ok)
				goto fail;
		}
		if (!cJSON_AddNumberToObject(row, "rank", w->rank))
			goto fail;
	}
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
