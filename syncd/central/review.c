/*
 * review.c - the office's review of a household at the central
 * (review.h).  The rule of the states is huce_review_next(); this file
 * only reads the review record and writes what the rule says, through
 * central_office_put() like every other change the central makes.
 */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "central.h"
#include "huce_i18n.h"
#include "huce_id.h"
#include "huce_util.h"
#include "merge.h"
#include "store.h"

static const char *str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

cJSON *review_received(void)
{
	return huce_review_json(NULL, NULL, NULL, NULL);
}

static cJSON *from_fields(const cJSON *f)
{
	return huce_review_json(str(f, "state"), str(f, "note"), str(f, "reviewer"),
		    str(f, "reviewed_at"));
}

/* The stored review fields of household_id (an object; empty when none). */
static enum huce_err load(struct store *s, const char *household_id,
			  cJSON **out, int *exists, struct huce_error *err)
{
	char id[HUCE_ID_STRLEN + 1];
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	struct huce_error e = { 0 };
	enum huce_err rc;

	*out = NULL;
	huce_review_id(household_id, id);
	rc = store_record_get(s, id, &rec, &e);
	*exists = rc == HUCE_OK;
	if (rc == HUCE_ENOTFOUND || (!rc && rec.deleted)) {
		*out = cJSON_CreateObject();
		return *out ? HUCE_OK : huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	}
	if (rc)
		return huce_fail(err, rc, "%s", e.msg);
	rc = store_fields_get(s, id, &fs, err);
	if (!rc) {
		*out = store_fieldset_json(&fs);
		if (!*out)
			rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	}
	store_fieldset_release(&fs);
	return rc;
}

enum huce_err review_json(struct store *s, const char *household_id,
			  cJSON **out, struct huce_error *err)
{
	cJSON *f;
	int exists;
	enum huce_err rc = load(s, household_id, &f, &exists, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = from_fields(f);
	cJSON_Delete(f);
	return *out ? HUCE_OK : huce_fail(err, HUCE_ENOMEM, _("out of memory"));
}

static enum huce_err all_visit(void *arg, const struct store_record *r,
			       const cJSON *fields)
{
	cJSON *all = arg, *o;
	const char *hh = str(fields, "household");

	(void)r;
	if (!hh)
		return HUCE_OK;
	o = from_fields(fields);
	if (!o)
		return HUCE_ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(all, hh);
	if (!cJSON_AddItemToObject(all, hh, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	return HUCE_OK;
}

enum huce_err review_all(struct store *s, cJSON **out, struct huce_error *err)
{
	enum huce_err rc;

	*out = cJSON_CreateObject();
	if (!*out)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	rc = store_scan_kind(s, "review", 0, all_visit, *out, err);
	if (rc) {
		cJSON_Delete(*out);
		*out = NULL;
		if (rc == HUCE_ENOMEM)
			huce_fail(err, rc, _("out of memory"));
	}
	return rc;
}

/* Write the review of household_id in state next with note, by, now. */
static enum huce_err put_review(struct central *c, const char *household_id,
			   int exists, enum huce_review_state next,
			   const char *note, int set_note, const char *by,
			   struct huce_error *err)
{
	char id[HUCE_ID_STRLEN + 1], at[21];
	cJSON *f = cJSON_CreateObject();
	enum huce_err rc;
	int ok;

	huce_review_id(household_id, id);
	huce_iso_time((int64_t)time(NULL), at);
	ok = f && cJSON_AddStringToObject(f, "household", household_id) &&
		cJSON_AddStringToObject(f, "state", huce_review_states[next]) &&
		cJSON_AddStringToObject(f, "reviewer", by) &&
		cJSON_AddStringToObject(f, "reviewed_at", at);
	if (ok && set_note)
		ok = note ? cJSON_AddStringToObject(f, "note", note) != NULL :
			cJSON_AddNullToObject(f, "note") != NULL;
	rc = ok ? central_office_put(c, "review", id, f, !exists, err) :
		huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	cJSON_Delete(f);
	return rc;
}

/*
 * The central's own change of a review (merge_central_write: no merge
 * rule applies to what only the central writes): state next, by device.
 */
static enum huce_err central_write(struct central *c, const char *household_id,
				   enum huce_review_state next, const char *device,
				   struct huce_error *err)
{
	char id[HUCE_ID_STRLEN + 1], at[21];
	cJSON *f = cJSON_CreateObject();
	enum huce_err rc;

	huce_review_id(household_id, id);
	huce_iso_time((int64_t)time(NULL), at);
	if (!f || !cJSON_AddStringToObject(f, "state", huce_review_states[next]) ||
	    !cJSON_AddStringToObject(f, "reviewer", device) ||
	    !cJSON_AddStringToObject(f, "reviewed_at", at))
		rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	else
		rc = merge_central_write(c, "review", id, f, DEV_CENTRAL, err);
	cJSON_Delete(f);
	return rc;
}

static enum huce_review_state state_of(const cJSON *f)
{
	int s = huce_review_parse(str(f, "state"));

	return s < 0 ? HUCE_REVIEW_RECEIVED : (enum huce_review_state)s;
}

enum huce_err review_office(struct central *c, const char *household_id,
			    enum huce_review_event ev, const char *note,
			    const char *by, struct huce_error *err)
{
	struct store_record hh;
	struct huce_error e = { 0 };
	cJSON *f = NULL;
	int exists;
	enum huce_err rc;

	rc = store_record_get(c->store, household_id, &hh, &e);
	if (rc == HUCE_ENOTFOUND || (!rc && (hh.deleted || strcmp(hh.kind, "household") != 0)))
		return huce_fail(err, HUCE_ENOTFOUND, _("household %s not found"), household_id);
	if (rc)
		return huce_fail(err, rc, "%s", e.msg);
	rc = load(c->store, household_id, &f, &exists, err);
	if (!rc)
		rc = put_review(c, household_id, exists, huce_review_next(state_of(f), ev),
			   note, 1, by, err);
	cJSON_Delete(f);
	return rc;
}

enum huce_err review_device_change(struct central *c, const char *household_id,
				   const char *device, struct huce_error *err)
{
	enum huce_review_state now, next;
	cJSON *f = NULL;
	int exists;
	enum huce_err rc;

	if (!household_id || !huce_id_valid(household_id))
		return HUCE_OK;
	rc = load(c->store, household_id, &f, &exists, err);
	if (rc)
		return rc;
	now = state_of(f);
	next = huce_review_next(now, HUCE_REVIEW_EV_DEVICE_CHANGE);
	cJSON_Delete(f);
	if (!exists || next == now)
		return HUCE_OK;
	return central_write(c, household_id, next, device, err);
}

enum huce_err review_after_change(struct central *c, const char *kind,
				  const char *id, const cJSON *post,
				  const char *device, struct huce_error *err)
{
	char hh[HUCE_ID_STRLEN + 1] = "", *json = NULL;
	const char *owner;
	struct store_record rec;
	struct huce_error e = { 0 };
	cJSON *v;

	if (!device || strcmp(device, "office") == 0 || strcmp(device, "central") == 0)
		return HUCE_OK;
	if (c->no_reviews)	/* none to move (central.h) */
		return HUCE_OK;
	if (strcmp(kind, "household") == 0)
		return review_device_change(c, id, device, err);
	if (strcmp(kind, "inspection") == 0 || strcmp(kind, "rectification") == 0)
		return review_device_change(c, str(post, "household_id"), device, err);
	if (strcmp(kind, "photo") != 0)
		return HUCE_OK;
	owner = str(post, "owner_id");
	if (!owner || !huce_id_valid(owner) || store_record_get(c->store, owner, &rec, &e))
		return HUCE_OK;
	if (strcmp(rec.kind, "household") == 0)
		return review_device_change(c, owner, device, err);
	if (strcmp(rec.kind, "inspection") != 0 ||
	    store_field_get(c->store, owner, "household_id", &json, &e))
		return HUCE_OK;
	v = cJSON_Parse(json);
	free(json);
	if (cJSON_IsString(v))
		snprintf(hh, sizeof(hh), "%s", v->valuestring);
	cJSON_Delete(v);
	return review_device_change(c, hh, device, err);
}
