/*
 * resolve.c - the office closes a conflict (resolve.h, docs/MERGE.md
 * section 5).
 *
 * central_resolve() loads the conflict record, checks the choice
 * against it and hands it to the handler of its kind; each handler
 * turns the choice into ordinary changes by the office
 * (merge_office_change), so the rules of a device's change hold for the
 * office's too.  Then the conflict record is closed, and the households
 * the changes touched get their status derived again, all in the
 * caller's transaction.
 *
 * Two rules keep a resolution from undoing what is settled:
 *   - a deleted record is never kept: taking it is refused (a household
 *     deleted before it synced must not come back and absorb the live
 *     one);
 *   - a value the office set by resolving a field conflict on one of
 *     two duplicates survives their merge: the kept household takes it
 *     from the dropped one, and keeps its own.
 */
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huce_id.h"
#include "huce_record.h"
#include "merge.h"
#include "store.h"

/* A conflict being resolved: what the handlers share. */
struct resolution {
	struct central *c;
	const char *id;			/* the conflict */
	const char *kind;		/* field, inspection, duplicate, delete */
	const char *record, *field;	/* field NULL but for kind field */
	const cJSON *vals;
	const cJSON *pick;		/* --take N: value N, else NULL */
	const char *value;		/* --value V, else NULL */
	int take;
	char text[128];			/* the resolution, as recorded */
	int changes;
};

static enum huce_err oom(struct huce_error *err)
{
	return huce_fail(err, HUCE_ENOMEM, "out of memory");
}

static const char *str_field(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* JSON text of an id (no escaping needed). */
static void quote_id(char *out, size_t n, const char *id)
{
	snprintf(out, n, "\"%s\"", id);
}

/* --- re-pointing and dropping ----------------------------------------------- */

/* Re-point every reference to household from to household to. */
struct repoint {
	struct central *c;
	const char *field, *to;
	int n;
	struct huce_error *err;
};

static enum huce_err repoint_visit(void *arg, const struct store_record *r,
				   const cJSON *fields)
{
	struct repoint *rp = arg;
	cJSON *f = cJSON_CreateObject();
	enum huce_err ret;

	(void)fields;
	if (!f || !cJSON_AddStringToObject(f, rp->field, rp->to)) {
		cJSON_Delete(f);
		return oom(rp->err);
	}
	ret = merge_office_change(rp->c, r->kind, r->id, 0, f, 0, 1, rp->err);
	cJSON_Delete(f);
	if (!ret)
		rp->n++;
	return ret;
}

static enum huce_err repoint_all(struct central *c, const char *from,
				 const char *to, int *n, struct huce_error *err)
{
	static const char *const refs[] = { "household_id", "owner_id", NULL };
	char q[HUCE_ID_STRLEN + 3];
	enum huce_err ret = HUCE_OK;

	quote_id(q, sizeof(q), from);
	for (int i = 0; refs[i] && !ret; i++) {
		struct repoint rp = { c, refs[i], to, 0, err };

		ret = store_by_field(c->store, refs[i], q, NULL, repoint_visit,
				     &rp, err);
		*n += rp.n;
	}
	return ret;
}

struct kill_rect {
	struct central *c;
	int n;
	struct huce_error *err;
};

static enum huce_err kill_rect_visit(void *arg, const struct store_record *r,
				     const cJSON *fields)
{
	struct kill_rect *kr = arg;
	enum huce_err ret;

	(void)fields;
	if (strcmp(r->kind, "rectification") != 0)
		return HUCE_OK;
	ret = merge_office_change(kr->c, r->kind, r->id, 1, NULL, 0, 1, kr->err);
	if (!ret)
		kr->n++;
	return ret;
}

/* Delete inspection id and the rectifications it opened. */
static enum huce_err drop_inspection(struct central *c, const char *id,
				     int *changes, struct huce_error *err)
{
	struct kill_rect kr = { c, 0, err };
	struct store_record r;
	struct huce_error gerr = { 0 };
	char q[HUCE_ID_STRLEN + 3];
	enum huce_err ret;

	ret = store_record_get(c->store, id, &r, &gerr);
	if (ret == HUCE_ENOTFOUND || (!ret && r.deleted))
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	quote_id(q, sizeof(q), id);
	ret = store_by_field(c->store, "inspection_id", q, NULL,
			     kill_rect_visit, &kr, err);
	*changes += kr.n;
	if (!ret)
		ret = merge_office_change(c, "inspection", id, 1, NULL, 0, 1, err);
	if (!ret)
		(*changes)++;
	return ret;
}

/* --- merging two households --------------------------------------------------- */

/*
 * Whether the value field f of record holds is the office's decision: a
 * field conflict on it was resolved and the office wrote it last.
 */
static enum huce_err office_decided(struct central *c, const char *record,
				    const struct store_field *f, int *yes,
				    struct huce_error *err)
{
	char cid[HUCE_ID_STRLEN + 1], *st = NULL;
	struct huce_error gerr = { 0 };
	enum huce_err ret;

	*yes = 0;
	if (!f || strcmp(f->device, DEV_OFFICE) != 0)
		return HUCE_OK;
	huce_id_named("conflict", record, f->name, cid);
	ret = store_field_get(c->store, cid, "status", &st, &gerr);
	if (ret == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	*yes = strcmp(st, "\"resolved\"") == 0;
	free(st);
	return HUCE_OK;
}

/*
 * Whether household keep takes drop's value df of a field (have: keep's
 * own, or NULL): the office's decision on keep stands; else the
 * office's decision on drop is taken; else drop's value fills a field
 * keep lacks.
 */
static enum huce_err fill_takes(struct central *c, const char *keep,
				const char *drop, const struct store_field *have,
				const struct store_field *df, int *take,
				struct huce_error *err)
{
	int decided = 0;
	enum huce_err ret;

	*take = 0;
	ret = office_decided(c, keep, have, &decided, err);
	if (ret || decided)
		return ret;
	ret = office_decided(c, drop, df, &decided, err);
	if (ret)
		return ret;
	if (decided)
		*take = !have || strcmp(have->value, df->value) != 0;
	else
		*take = strcmp(df->value, "null") != 0 &&
			(!have || strcmp(have->value, "null") == 0);
	return HUCE_OK;
}

struct hash_scan {
	const char *keep, *drop;
	int held;
};

static enum huce_err hash_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct hash_scan *x = arg;

	(void)fields;
	if (strcmp(r->kind, "household") == 0 && !r->deleted &&
	    strcmp(r->id, x->keep) != 0 && strcmp(r->id, x->drop) != 0)
		x->held = 1;
	return HUCE_OK;
}

/* Whether a live household other than keep and drop has id_hash (JSON text). */
static enum huce_err hash_held(struct central *c, const char *hash_json,
			       const char *keep, const char *drop, int *held,
			       struct huce_error *err)
{
	struct hash_scan x = { keep, drop, 0 };
	enum huce_err ret;

	if (strcmp(hash_json, "null") == 0) {
		*held = 0;
		return HUCE_OK;
	}
	ret = store_by_field(c->store, "id_hash", hash_json, NULL, hash_visit, &x, err);
	*held = x.held;
	return ret;
}

/*
 * Merge household drop into keep (a live household): keep takes the
 * fields it lacks from drop (and the office's decisions on drop), every
 * inspection, rectification and photo of drop moves to keep, and drop
 * is deleted with merged_into = keep.  A drop already gone is left.
 */
static enum huce_err merge_households(struct central *c, const char *keep,
				      const char *drop, int *changes,
				      struct huce_error *err)
{
	struct store_fieldset kf = { 0 }, df = { 0 };
	const struct huce_kind_def *k = huce_kind_find("household");
	struct store_record r;
	struct huce_error gerr = { 0 };
	cJSON *fill = NULL, *m = NULL;
	enum huce_err ret;

	ret = store_record_get(c->store, drop, &r, &gerr);
	if (ret == HUCE_ENOTFOUND || (!ret && r.deleted))
		return HUCE_OK;	/* gone already: nothing to merge */
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	ret = store_fields_get(c->store, keep, &kf, err);
	if (!ret)
		ret = store_fields_get(c->store, drop, &df, err);
	if (ret)
		goto out;
	fill = cJSON_CreateObject();
	m = cJSON_CreateObject();
	if (!fill || !m || !cJSON_AddStringToObject(m, "merged_into", keep)) {
		ret = oom(err);
		goto out;
	}
	for (size_t i = 0; i < df.n; i++) {
		const struct huce_field_def *f = huce_field_find(k, df.v[i].name);
		cJSON *val;
		int take = 0;

		if (!f || f->local_only || strcmp(f->name, "merged_into") == 0 ||
		    merge_field_derived("household", f->name))
			continue;
		ret = fill_takes(c, keep, drop, store_fieldset_find(&kf, f->name),
				 &df.v[i], &take, err);
		if (ret)
			goto out;
		if (!take)
			continue;
		/*
		 * One ID number is one household: the dropped household's ID
		 * number does not move to the kept one when a third live
		 * household already holds it (that one keeps it alone).
		 */
		if (strcmp(f->name, "id_hash") == 0 || strcmp(f->name, "id_masked") == 0) {
			const struct store_field *h = store_fieldset_find(&df, "id_hash");
			int held = 0;

			if (h) {
				ret = hash_held(c, h->value, keep, drop, &held, err);
				if (ret)
					goto out;
			}
			if (held)
				continue;
		}
		val = cJSON_Parse(df.v[i].value);
		if (!val) {
			ret = oom(err);
			goto out;
		}
		cJSON_AddItemToObject(fill, f->name, val);
	}
	if (cJSON_GetArraySize(fill)) {
		ret = merge_office_change(c, "household", keep, 0, fill, 0, 1, err);
		if (ret)
			goto out;
		(*changes)++;
	}
	ret = repoint_all(c, drop, keep, changes, err);
	if (!ret)
		ret = merge_office_change(c, "household", drop, 0, m, 0, 1, err);
	if (!ret)
		ret = merge_office_change(c, "household", drop, 1, NULL, 0, 1, err);
	if (!ret)
		*changes += 2;
out:
	cJSON_Delete(fill);
	cJSON_Delete(m);
	store_fieldset_release(&kf);
	store_fieldset_release(&df);
	return ret;
}

/* --- the handlers ---------------------------------------------------------------- */

/*
 * The fields object resolving a field conflict writes: value N, or the
 * typed value as JSON if it parses and suits the field, else the text
 * itself (13900000009 for a phone is the string).
 */
static enum huce_err field_value(const struct resolution *r,
				 const struct huce_kind_def *k, cJSON **out,
				 struct huce_error *err)
{
	for (int attempt = r->pick ? 2 : 0; attempt < 3; attempt++) {
		struct huce_error cerr = { 0 };
		cJSON *chosen, *fields;

		if (attempt == 0)
			chosen = cJSON_Parse(r->value);
		else if (attempt == 1)
			chosen = cJSON_CreateString(r->value);
		else
			chosen = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
				r->pick, "value"), 1);
		if (!chosen && attempt == 0)
			continue;
		fields = cJSON_CreateObject();
		if (!chosen || !fields) {
			cJSON_Delete(chosen);
			cJSON_Delete(fields);
			return oom(err);
		}
		cJSON_AddItemToObject(fields, r->field, chosen);
		if (!huce_record_check(k, fields, 0, 1, &cerr)) {
			*out = fields;
			return HUCE_OK;
		}
		cJSON_Delete(fields);
		if (attempt != 0)
			return huce_fail(err, HUCE_EINVAL, "%s", cerr.msg);
	}
	return huce_fail(err, HUCE_EINVAL, "no value to write");
}

static enum huce_err resolve_field(struct resolution *r, struct huce_error *err)
{
	struct store_record target;
	struct huce_error gerr = { 0 };
	const struct huce_kind_def *k;
	cJSON *fields = NULL;
	enum huce_err ret;

	if (!r->field)
		return huce_fail(err, HUCE_EINVAL, "conflict %s names no field", r->id);
	ret = store_record_get(r->c->store, r->record, &target, &gerr);
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	k = huce_kind_find(target.kind);
	if (!k)
		return huce_fail(err, HUCE_EINVAL, "record %s has an unknown kind",
				 r->record);
	/*
	 * A conflict on a field the central derives (a status that laptops
	 * once wrote) closes with no value written: the status is derived
	 * again from the records, whatever was chosen.
	 */
	if (merge_field_derived(target.kind, r->field)) {
		snprintf(r->text, sizeof(r->text), "%s is derived from the records",
			 r->field);
		return target.deleted ? HUCE_OK :
			merge_office_change(r->c, target.kind, r->record, 0, NULL,
					    0, 1, err);
	}
	ret = field_value(r, k, &fields, err);
	/* A deleted record stays deleted; the conflict just closes. */
	if (!ret && !target.deleted) {
		ret = merge_office_change(r->c, target.kind, r->record, 0, fields,
					  0, 0, err);
		if (!ret)
			r->changes++;
	}
	cJSON_Delete(fields);
	return ret;
}

static enum huce_err resolve_delete(struct resolution *r, struct huce_error *err)
{
	const char *what = r->pick ? str_field(r->pick, "value") : r->value;
	struct store_record target;
	struct huce_error gerr = { 0 };
	enum huce_err ret;

	if (!what || (strcmp(what, "delete") && strcmp(what, "keep")))
		return huce_fail(err, HUCE_EINVAL,
				 "a delete conflict is resolved by delete or keep");
	snprintf(r->text, sizeof(r->text), "%s", what);
	ret = store_record_get(r->c->store, r->record, &target, &gerr);
	if (ret == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	if (strcmp(what, "delete") == 0 && !target.deleted) {
		r->changes++;
		return merge_office_change(r->c, target.kind, r->record, 1, NULL,
					   0, 1, err);
	}
	if (strcmp(what, "keep") == 0 && target.deleted) {
		if (strcmp(target.kind, "household") == 0) {
			ret = merge_gate_recheck(r->c, r->record, err);
			if (ret)
				return ret;
		}
		r->changes++;
		return merge_office_change(r->c, target.kind, r->record, 0, NULL,
					   0, 1, err);
	}
	return HUCE_OK;
}

/* The id a duplicate or inspection conflict value names. */
static const char *value_id(const cJSON *val)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(val, "value");

	if (cJSON_IsString(v))
		return v->valuestring;
	return str_field(v, "id");
}

/*
 * Keep the record value N names (a duplicate's household, an
 * inspection) and merge or drop the others; "both" keeps all.  The kept
 * record must be live: keeping a deleted one would bring it back.
 */
static enum huce_err resolve_keep(struct resolution *r, const char *kind,
				  struct huce_error *err)
{
	const char *keep = r->pick ? value_id(r->pick) : NULL;
	struct store_record kr;
	struct huce_error gerr = { 0 };
	const cJSON *o;
	enum huce_err ret;

	if (!r->pick && strcmp(r->value, "both") != 0)
		return huce_fail(err, HUCE_EINVAL,
				 "a %s conflict is resolved by --take N or "
				 "--value both", r->kind);
	if (!r->pick) {
		snprintf(r->text, sizeof(r->text), "kept both");
		return HUCE_OK;
	}
	if (!keep || !huce_id_valid(keep))
		return huce_fail(err, HUCE_EINVAL,
				 "conflict %s value %d names no record", r->id,
				 r->take);
	ret = store_record_get(r->c->store, keep, &kr, &gerr);
	if (ret && ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	if (ret || strcmp(kr.kind, kind) != 0)
		return huce_fail(err, HUCE_EINVAL, "%s %s (value %d) not found",
				 kind, keep, r->take);
	if (kr.deleted)
		return huce_fail(err, HUCE_EINVAL,
				 "%s %s (value %d) was deleted by %s: take a "
				 "live one, or --value both", kind, keep, r->take,
				 kr.del_device);
	snprintf(r->text, sizeof(r->text), "kept %s", keep);
	cJSON_ArrayForEach(o, r->vals) {
		const char *other = value_id(o);

		if (!other || strcmp(other, keep) == 0 || !huce_id_valid(other))
			continue;
		if (strcmp(kind, "household") == 0)
			ret = merge_households(r->c, keep, other, &r->changes, err);
		else
			ret = drop_inspection(r->c, other, &r->changes, err);
		if (ret)
			return ret;
	}
	return HUCE_OK;
}

/*
 * Whether two or more live households of the conflict's values share an
 * ID hash: then they are one household (一宅一厕, one ID number one
 * household) and "both" cannot keep them apart.
 */
static int same_id_hash(struct resolution *r)
{
	const char *first = NULL;
	char *hold = NULL;
	const cJSON *v;
	int same = 0;

	cJSON_ArrayForEach(v, r->vals) {
		const char *id = value_id(v);
		struct huce_error ferr = { 0 };
		char *tv = NULL;
		cJSON *h;

		if (!id || !huce_id_valid(id) ||
		    store_field_get(r->c->store, id, "id_hash", &tv, &ferr))
			continue;
		h = tv ? cJSON_Parse(tv) : NULL;
		if (cJSON_IsString(h) && h->valuestring[0]) {
			if (first && strcmp(first, h->valuestring) == 0)
				same = 1;
			else if (!first) {
				hold = strdup(h->valuestring);
				first = hold;
			}
		}
		cJSON_Delete(h);
		free(tv);
	}
	free(hold);
	return same;
}

static enum huce_err resolve_duplicate(struct resolution *r,
				       struct huce_error *err)
{
	if (!r->pick && r->value && strcmp(r->value, "both") == 0 &&
	    same_id_hash(r))
		return huce_fail(err, HUCE_EINVAL,
				 "these households have the same ID number: one "
				 "ID number is one household, so they cannot both "
				 "stay; keep one with --take N (the other's "
				 "inspections and photos move to it)");
	return resolve_keep(r, "household", err);
}

static enum huce_err resolve_inspection(struct resolution *r,
					struct huce_error *err)
{
	return resolve_keep(r, "inspection", err);
}

static const struct {
	const char *kind;
	enum huce_err (*fn)(struct resolution *r, struct huce_error *err);
} handlers[] = {
	{ "field", resolve_field },
	{ "inspection", resolve_inspection },
	{ "duplicate", resolve_duplicate },
	{ "delete", resolve_delete },
};

/* --- the entry point ------------------------------------------------------------ */

/* Load the open conflict id into *cf (caller frees) and r. */
static enum huce_err load_conflict(struct resolution *r, cJSON **cf,
				   struct huce_error *err)
{
	struct store_record cr;
	struct store_fieldset fs = { 0 };
	struct huce_error gerr = { 0 };
	const char *status;
	enum huce_err ret;
	int nvals;

	if (!huce_id_valid(r->id))
		return huce_fail(err, HUCE_EINVAL, "'%.40s' is not a conflict id",
				 r->id);
	ret = store_record_get(r->c->store, r->id, &cr, &gerr);
	if (ret == HUCE_ENOTFOUND || (!ret && strcmp(cr.kind, "conflict") != 0))
		return huce_fail(err, HUCE_ENOTFOUND, "conflict %s not found", r->id);
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	ret = store_fields_get(r->c->store, r->id, &fs, err);
	if (ret)
		return ret;
	*cf = store_fieldset_json(&fs);
	store_fieldset_release(&fs);
	if (!*cf)
		return oom(err);
	r->kind = str_field(*cf, "kind");
	r->record = str_field(*cf, "record");
	r->field = str_field(*cf, "field");
	r->vals = cJSON_GetObjectItemCaseSensitive(*cf, "vals");
	status = str_field(*cf, "status");
	nvals = cJSON_GetArraySize(r->vals);
	if (!r->kind || !r->record)
		return huce_fail(err, HUCE_EINVAL, "conflict %s is damaged", r->id);
	if (!status || strcmp(status, "open") != 0)
		return huce_fail(err, HUCE_EINVAL, "conflict %s is already resolved",
				 r->id);
	if (r->take) {
		if (r->take < 1 || r->take > nvals)
			return huce_fail(err, HUCE_EINVAL,
					 "conflict %s has values 1..%d, not %d",
					 r->id, nvals, r->take);
		r->pick = cJSON_GetArrayItem(r->vals, r->take - 1);
		snprintf(r->text, sizeof(r->text), "took value %d", r->take);
	} else if (r->value) {
		snprintf(r->text, sizeof(r->text), "entered a value");
	} else {
		return huce_fail(err, HUCE_EUSAGE, "resolve needs --take N or --value V");
	}
	return HUCE_OK;
}

/* Mark the conflict resolved, as the office. */
static enum huce_err close_conflict(struct resolution *r, struct huce_error *err)
{
	cJSON *done = cJSON_CreateObject();
	enum huce_err ret;

	if (!done || !cJSON_AddStringToObject(done, "status", "resolved") ||
	    !cJSON_AddStringToObject(done, "resolution", r->text)) {
		cJSON_Delete(done);
		return oom(err);
	}
	ret = merge_central_write(r->c, "conflict", r->id, done, DEV_OFFICE, err);
	cJSON_Delete(done);
	return ret;
}

static enum huce_err make_summary(const struct resolution *r, cJSON **summary,
				  struct huce_error *err)
{
	cJSON *sm = cJSON_CreateObject();

	if (!sm || !cJSON_AddStringToObject(sm, "conflict", r->id) ||
	    !cJSON_AddStringToObject(sm, "kind", r->kind) ||
	    !cJSON_AddStringToObject(sm, "record", r->record) ||
	    !cJSON_AddStringToObject(sm, "resolution", r->text) ||
	    !cJSON_AddNumberToObject(sm, "changes", r->changes)) {
		cJSON_Delete(sm);
		return oom(err);
	}
	*summary = sm;
	return HUCE_OK;
}

enum huce_err central_resolve(struct central *c, const char *conflict_id,
			      int take, const char *value, cJSON **summary,
			      struct huce_error *err)
{
	struct resolution r;
	struct merge_touched t;
	cJSON *cf = NULL;
	enum huce_err ret;
	size_t i;

	if (summary)
		*summary = NULL;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.id = conflict_id;
	r.take = take;
	r.value = value;
	ret = load_conflict(&r, &cf, err);
	if (ret)
		goto out;
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].kind, r.kind) == 0)
			break;
	if (i == sizeof(handlers) / sizeof(handlers[0])) {
		ret = huce_fail(err, HUCE_EINVAL, "conflict %s has unknown kind '%s'",
				conflict_id, r.kind);
		goto out;
	}
	merge_touched_open(c, &t);
	ret = handlers[i].fn(&r, err);
	/* Closed before the revisits, which settle the other conflicts. */
	if (!ret)
		ret = close_conflict(&r, err);
	if (!ret)
		ret = merge_touched_finish(c, &t, err);
	merge_touched_close(c, &t);
	if (!ret && summary)
		ret = make_summary(&r, summary, err);
out:
	cJSON_Delete(cf);
	return ret;
}
