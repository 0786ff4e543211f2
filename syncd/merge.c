/*
 * merge.c - the central's merge: batches in, changes out, conflicts kept.
 *
 * A batch from a laptop is decoded (bounded), its JSON checked for shape,
 * and its entries applied in one store transaction that also advances
 * the device's high-water mark (DESIGN.md section 3).  Each entry runs
 * inside a savepoint: an entry that breaks a rule (bad field, dangling
 * reference, first-toilet gate, checklist) is rolled back alone and
 * listed as rejected, and the rest of the batch lands.
 *
 * An accepted entry merges field by field against the version the
 * device had seen (its base, DESIGN.md section 4): a field last changed
 * at or before the base, or last changed by the same device, is simply
 * overwritten; a field changed since by another device is concurrent.
 * Equal concurrent values merge silently; different ones are a conflict
 * with a deterministic provisional winner (highest HLC, then device
 * name) and a "conflict" record that keeps every value with its author.
 * Its id is derived from what it is about, so whichever order the
 * devices' batches arrive in, the same conflict record ends up in the
 * same state.  Domain conflicts (a household registered twice, two
 * inspections of one stage disagreeing, an edit racing a delete) are
 * conflict records of their own kinds.  The office closes conflicts
 * with central_resolve(), whose outcome is new changes like any other.
 *
 * Nothing here knows SQL: the store (store.h) does the storing, and the
 * kinds table (common/huce_record.c) says what a field is.  The rules
 * are written out, with examples, in docs/MERGE.md.
 */
#include "central.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_hlc.h"
#include "huce_id.h"
#include "huce_log.h"
#include "huce_record.h"
#include "huce_util.h"
#include "store.h"

#define DEV_CENTRAL	"central"	/* author of conflict records */
#define DEV_OFFICE	"office"	/* author of the office's changes */
#define MAX_FOLLOW	8		/* merged_into hops followed */
#define MAX_SEQ		9007199254740992.0	/* 2^53: exact in a double */
#define CHANGES_MAX	50000		/* records in one changes page */
/* An HLC further ahead of the central's clock than this is not followed. */
#define HLC_MAX_AHEAD_MS (366ull * 24 * 3600 * 1000)

/* One change to apply: a batch entry, or a change made by the office. */
struct change {
	const char *id;
	const char *kind;
	int del;			/* op "delete" */
	int64_t base;
	char hlc[HUCE_HLC_STRLEN + 1];
	const cJSON *fields;		/* borrowed */
	int64_t seq;			/* device outbox seq; 0 for the office */
	const char *device;
	int trusted;			/* the office: any kind, no concurrency */
	int creating;			/* the record must not exist yet */
	int nochecks;			/* skip gate and checklist (re-pointing) */
};

/* Why an entry was rejected; code NULL when it was not. */
struct verdict {
	const char *code;
	char msg[sizeof(((struct huce_error *)0)->msg)];
};

static enum huce_err refuse(struct verdict *vd, const char *code,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Mark the entry rejected; returns HUCE_OK so callers can `goto out`.
 * The message goes through huce_vfail, so a name cut to fit is still
 * valid UTF-8 in the answer.
 */
static enum huce_err refuse(struct verdict *vd, const char *code,
			    const char *fmt, ...)
{
	struct huce_error e = { 0 };
	va_list ap;

	vd->code = code;
	va_start(ap, fmt);
	huce_vfail(&e, HUCE_EINVAL, fmt, ap);
	va_end(ap);
	memcpy(vd->msg, e.msg, sizeof(vd->msg));
	return HUCE_OK;
}

static enum huce_err oom(struct huce_error *err)
{
	return huce_fail(err, HUCE_ENOMEM, "out of memory");
}

/* Copy src into the fixed array dst of n bytes, cut to fit. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

/* (hlc, device) order: the provisional winner is the greatest. */
static int stamp_cmp(const char *h1, const char *d1, const char *h2,
		     const char *d2)
{
	int c = strcmp(h1, h2);

	return c ? c : strcmp(d1, d2);
}

/* Whether two JSON texts hold the same value (object key order aside). */
static int same_value(const char *a, const char *b)
{
	cJSON *x, *y;
	int same;

	if (strcmp(a, b) == 0)
		return 1;
	x = cJSON_Parse(a);
	y = cJSON_Parse(b);
	same = x && y && cJSON_Compare(x, y, 1);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return same;
}

/* JSON text of a string that needs no escaping (ids, hashes). */
static void quote_id(char *out, size_t n, const char *id)
{
	snprintf(out, n, "\"%s\"", id);
}

static const char *str_field(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static int has_null_member(const cJSON *o)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, o)
		if (cJSON_IsNull(v))
			return 1;
	return 0;
}

static int has_duplicate_keys(const cJSON *o)
{
	for (const cJSON *a = o ? o->child : NULL; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (a->string && b->string && strcmp(a->string, b->string) == 0)
				return 1;
	return 0;
}

/* --- writing ------------------------------------------------------------ */

/* One field write of a record change. */
struct fwrite {
	const char *name;
	char *text;		/* new JSON text; owned by the fwrite list */
	char *before;		/* old JSON text or NULL; owned */
	int stamp_only;		/* same value: move the stamp, keep the version */
	int repointed;		/* a reference the central re-pointed */
	int64_t old_version;
};

struct fwrites {
	struct fwrite *v;
	size_t n, alloc;
};

static void fwrites_release(struct fwrites *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].text);
		free(w->v[i].before);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* Append a write; takes text (even on failure). */
static enum huce_err fwrites_add(struct fwrites *w, const char *name,
				 char *text, const struct store_field *cur,
				 int stamp_only)
{
	struct fwrite *f;

	if (w->n == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 16;
		struct fwrite *nv = realloc(w->v, na * sizeof(*nv));

		if (!nv) {
			free(text);
			return HUCE_ENOMEM;
		}
		w->v = nv;
		w->alloc = na;
	}
	f = &w->v[w->n];
	f->name = name;
	f->text = text;
	f->before = NULL;
	f->stamp_only = stamp_only;
	f->repointed = 0;
	f->old_version = cur ? cur->version : 0;
	if (cur) {
		f->before = strdup(cur->value);
		if (!f->before) {
			free(text);
			return HUCE_ENOMEM;
		}
	}
	w->n++;
	return HUCE_OK;
}

/*
 * Write one change of a record: the field writes in w, a delete (1) or
 * undelete (0) or neither (-1), and the record row (its lookup key is
 * whatever rec->key holds).  Anything but a stamp move takes one fresh
 * global version, which becomes the record's version; every field
 * written and every delete or undelete goes to the history.
 */
static enum huce_err write_change(struct central *c, struct store_record *rec,
				  int is_new, int rec_dirty,
				  const struct fwrites *w, int del_change,
				  const char *device, const char *hlc,
				  int64_t seq, struct huce_error *err)
{
	struct store *s = c->store;
	struct store_field *sf = NULL;
	struct store_history *h = NULL;
	int bump = is_new || rec_dirty || del_change >= 0;
	enum huce_err rc = HUCE_OK;
	size_t nh = 0;
	int64_t v;

	for (size_t i = 0; !bump && i < w->n; i++)
		if (!w->v[i].stamp_only)
			bump = 1;
	v = rec->version;
	if (bump) {
		v = store_next_version(s);
		rec->version = v;
		if (is_new) {
			copy_str(rec->created_by, sizeof(rec->created_by), device);
			copy_str(rec->created_hlc, sizeof(rec->created_hlc), hlc);
			rec->created_at = (int64_t)time(NULL);
		}
		if (del_change == 1) {
			rec->deleted = 1;
			rec->del_version = v;
			copy_str(rec->del_device, sizeof(rec->del_device), device);
			copy_str(rec->del_hlc, sizeof(rec->del_hlc), hlc);
		} else if (del_change == 0) {
			rec->deleted = 0;
		}
		rc = store_record_put(s, rec, err);
		if (rc)
			return rc;
	}
	if (!w->n && del_change < 0)
		return HUCE_OK;
	sf = calloc(w->n + 1, sizeof(*sf));
	h = calloc(w->n + 1, sizeof(*h));
	if (!sf || !h) {
		rc = oom(err);
		goto out;
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct fwrite *f = &w->v[i];

		copy_str(sf[i].name, sizeof(sf[i].name), f->name);
		sf[i].value = f->text;
		sf[i].version = f->stamp_only ? f->old_version : v;
		copy_str(sf[i].hlc, sizeof(sf[i].hlc), hlc);
		/*
		 * A reference re-pointed by the merge (check_refs) holds the
		 * office's choice, not what the device sent: its stamp names
		 * the office, as if repoint_all had done it, so the pull never
		 * takes it for the device's own (PROTOCOL.md 2.2).
		 */
		copy_str(sf[i].device, sizeof(sf[i].device),
			 f->repointed ? DEV_OFFICE : device);
		if (f->stamp_only)
			continue;
		h[nh++] = (struct store_history){ v, rec->id, rec->kind, f->name,
			f->before, f->text, device, hlc, seq };
	}
	if (del_change >= 0)
		h[nh++] = (struct store_history){ v, rec->id, rec->kind, "deleted",
			del_change ? "false" : "true", del_change ? "true" : "false",
			device, hlc, seq };
	rc = store_fields_put(s, rec->id, sf, w->n, err);
	if (!rc)
		rc = store_history_add(s, h, nh, err);
out:
	free(sf);
	free(h);
	return rc;
}

/*
 * Write a record of the central's own (a conflict, or its resolution):
 * each field of vals that differs from what is stored, as device, at a
 * fresh HLC.  No merge rules apply; only the central writes these.
 */
static enum huce_err central_write(struct central *c, const char *kind,
				   const char *id, const cJSON *vals,
				   const char *device, struct huce_error *err)
{
	struct store *s = c->store;
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	struct fwrites w = { 0 };
	struct huce_error gerr = { 0 };
	char hlc[HUCE_HLC_STRLEN + 1];
	const cJSON *v;
	enum huce_err ret;
	int exists;

	ret = store_record_get(s, id, &rec, &gerr);
	if (ret && ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	exists = ret == HUCE_OK;
	ret = HUCE_OK;
	if (!exists) {
		memset(&rec, 0, sizeof(rec));
		copy_str(rec.id, sizeof(rec.id), id);
		copy_str(rec.kind, sizeof(rec.kind), kind);
	} else {
		ret = store_fields_get(s, id, &fs, err);
		if (ret)
			goto out;
	}
	cJSON_ArrayForEach(v, vals) {
		const struct store_field *cur = store_fieldset_find(&fs, v->string);
		char *text = cJSON_PrintUnformatted(v);

		if (!text) {
			ret = oom(err);
			goto out;
		}
		if (cur && strcmp(cur->value, text) == 0) {
			free(text);
			continue;
		}
		if (fwrites_add(&w, v->string, text, cur, 0)) {
			ret = oom(err);
			goto out;
		}
	}
	if (!w.n && exists)
		goto out;
	huce_hlc_format(store_hlc_tick(s), hlc);
	ret = write_change(c, &rec, !exists, 0, &w, -1, device, hlc, 0, err);
out:
	fwrites_release(&w);
	store_fieldset_release(&fs);
	return ret;
}

/* --- conflicts ------------------------------------------------------------ */

static int val_cmp(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	const char *ha = str_field(a, "hlc"), *hb = str_field(b, "hlc");
	const char *da = str_field(a, "device"), *db = str_field(b, "device");
	char *ta, *tb;
	int c;

	c = stamp_cmp(ha ? ha : "", da ? da : "", hb ? hb : "", db ? db : "");
	if (c)
		return c;
	ta = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(a, "value"));
	tb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(b, "value"));
	c = strcmp(ta ? ta : "", tb ? tb : "");
	free(ta);
	free(tb);
	return c;
}

/* A conflict value {"value":..,"device":..,"hlc":..}; value is consumed. */
static cJSON *make_val(cJSON *value, const char *device, const char *hlc)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !value) {
		cJSON_Delete(o);
		cJSON_Delete(value);
		return NULL;
	}
	cJSON_AddItemToObject(o, "value", value);
	if (!cJSON_AddStringToObject(o, "device", device) ||
	    !cJSON_AddStringToObject(o, "hlc", hlc)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Append a value made from JSON text; false on OOM. */
static int add_val_text(cJSON *vals, const char *text, const char *device,
			const char *hlc)
{
	cJSON *v = cJSON_Parse(text);
	cJSON *o = make_val(v ? v : cJSON_CreateNull(), device, hlc);

	return o && cJSON_AddItemToArray(vals, o);
}

static int add_val_str(cJSON *vals, const char *s, const char *device,
		       const char *hlc)
{
	cJSON *o = make_val(cJSON_CreateString(s), device, hlc);

	return o && cJSON_AddItemToArray(vals, o);
}

/*
 * Open the conflict cid, or add to it: the values in vals (borrowed) are
 * merged into those of an open conflict, or replace those of a closed
 * one (the same disagreement arose again).  In a field conflict each
 * device has one value, its latest (highest HLC): a device's own later
 * edit replaces its earlier value whether it arrives before or after
 * the conflict was found.  The values are kept sorted by (hlc, device,
 * value), so every arrival order gives the same record.
 */
static enum huce_err conflict_note(struct central *c, const char *cid,
				   const char *ckind, const char *record,
				   const char *field, const cJSON *vals,
				   struct huce_error *err)
{
	struct store *s = c->store;
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	struct huce_error gerr = { 0 };
	cJSON *sorted = NULL, *rowv = NULL, *old = NULL;
	const cJSON **items = NULL;
	const cJSON *v;
	enum huce_err ret;
	size_t n = 0, cap;
	int open = 0, per_device = strcmp(ckind, "field") == 0;

	ret = store_record_get(s, cid, &rec, &gerr);
	if (ret && ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	if (ret == HUCE_OK) {
		const struct store_field *st, *vf;

		ret = store_fields_get(s, cid, &fs, err);
		if (ret)
			goto out;
		st = store_fieldset_find(&fs, "status");
		vf = store_fieldset_find(&fs, "vals");
		open = st && strcmp(st->value, "\"open\"") == 0;
		if (open && vf)
			old = cJSON_Parse(vf->value);
	}
	ret = HUCE_OK;
	cap = (size_t)cJSON_GetArraySize(old) + (size_t)cJSON_GetArraySize(vals);
	items = calloc(cap ? cap : 1, sizeof(*items));
	if (!items) {
		ret = oom(err);
		goto out;
	}
	cJSON_ArrayForEach(v, old)
		items[n++] = v;
	cJSON_ArrayForEach(v, vals) {
		const char *dev = str_field(v, "device");
		size_t i;

		for (i = 0; i < n; i++) {
			if (val_cmp(&items[i], &v) == 0)
				break;
			if (per_device && dev &&
			    strcmp(dev, str_field(items[i], "device")) == 0) {
				if (strcmp(str_field(v, "hlc"),
					   str_field(items[i], "hlc")) > 0)
					items[i] = v;
				break;
			}
		}
		if (i == n)
			items[n++] = v;
	}
	qsort(items, n, sizeof(*items), val_cmp);
	sorted = cJSON_CreateArray();
	rowv = cJSON_CreateObject();
	if (!sorted || !rowv) {
		ret = oom(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *d = cJSON_Duplicate(items[i], 1);

		if (!d || !cJSON_AddItemToArray(sorted, d)) {
			cJSON_Delete(d);
			ret = oom(err);
			goto out;
		}
	}
	if (!cJSON_AddStringToObject(rowv, "kind", ckind) ||
	    !cJSON_AddStringToObject(rowv, "record", record) ||
	    !(field ? cJSON_AddStringToObject(rowv, "field", field) :
		      cJSON_AddNullToObject(rowv, "field"))) {
		ret = oom(err);
		goto out;
	}
	cJSON_AddItemToObject(rowv, "vals", sorted);
	sorted = NULL;
	if (!cJSON_AddStringToObject(rowv, "status", "open") ||
	    !cJSON_AddNullToObject(rowv, "resolution")) {
		ret = oom(err);
		goto out;
	}
	ret = central_write(c, "conflict", cid, rowv, DEV_CENTRAL, err);
	if (!ret && !open)
		huce_info("conflict %s opened (%s)", cid, ckind);
out:
	cJSON_Delete(sorted);
	cJSON_Delete(rowv);
	cJSON_Delete(old);
	free(items);
	store_fieldset_release(&fs);
	return ret;
}

/* --- checks ------------------------------------------------------------------ */

#define LABEL_MAX 400	/* a record's name in a refusal message */

/*
 * The string field name of record id at the central into out ("" when
 * absent or not a string).  For refusal messages only: a failure to
 * read leaves out empty.
 */
static void field_text(struct central *c, const char *id, const char *name,
		       char *out, size_t n)
{
	struct huce_error gerr = { 0 };
	char *v = NULL;
	cJSON *j;

	out[0] = '\0';
	if (!id || store_field_get(c->store, id, name, &v, &gerr) != HUCE_OK) {
		free(v);
		return;
	}
	j = cJSON_Parse(v);
	free(v);
	if (cJSON_IsString(j))
		copy_str(out, n, j->valuestring);
	cJSON_Delete(j);
}

/* Field name from fields (may be NULL) if it is there, else the store's. */
static void state_text(struct central *c, const char *id, const cJSON *fields,
		       const char *name, char *out, size_t n)
{
	const char *s = str_field(fields, name);

	if (s)
		copy_str(out, n, s);
	else
		field_text(c, id, name, out, n);
}

/*
 * What a cadre calls a record in a refusal: a household by its head,
 * village and group ("刀建华 (阿猛村 一组)"), another record by its
 * name, and by its id only when the central knows no name for it.
 * fields (may be NULL) is the record's state after the change, read
 * before the store: a household being registered is not stored yet.
 */
static void record_label(struct central *c, const char *id,
			 const cJSON *fields, char *out, size_t n)
{
	char head[STORE_NAME_MAX + 1], ref[HUCE_ID_STRLEN + 1];
	char village[STORE_NAME_MAX + 1], group[STORE_NAME_MAX + 1];

	state_text(c, id, fields, "head", head, sizeof(head));
	if (!head[0]) {
		state_text(c, id, fields, "name", head, sizeof(head));
		copy_str(out, n, head[0] ? head : id);
		return;
	}
	state_text(c, id, fields, "village_id", ref, sizeof(ref));
	field_text(c, ref[0] ? ref : NULL, "name", village, sizeof(village));
	state_text(c, id, fields, "group_id", ref, sizeof(ref));
	field_text(c, ref[0] ? ref : NULL, "name", group, sizeof(group));
	if (village[0] || group[0])
		snprintf(out, n, "%s (%s%s%s)", head, village,
			 village[0] && group[0] ? " " : "", group);
	else
		copy_str(out, n, head);
}

/*
 * Check that every reference names an existing record of the right
 * kind.  A reference to a household merged into another follows
 * merged_into, so an inspection recorded offline for the losing id of a
 * duplicate lands on the kept one.
 */
static enum huce_err check_refs(struct central *c,
				const struct huce_kind_def *k, cJSON *in,
				int *repointed, struct verdict *vd,
				struct huce_error *err)
{
	struct store *s = c->store;
	struct store_fieldset fs = { 0 };
	cJSON *v;
	enum huce_err ret = HUCE_OK;

	cJSON_ArrayForEach(v, in) {
		const struct huce_field_def *f = huce_field_find(k, v->string);
		char target[HUCE_ID_STRLEN + 1];
		int hop;

		if (!f || f->type != HUCE_F_REF || !cJSON_IsString(v))
			continue;
		copy_str(target, sizeof(target), v->valuestring);
		for (hop = 0; hop < MAX_FOLLOW; hop++) {
			struct store_record r;
			struct huce_error gerr = { 0 };
			const struct store_field *m;
			cJSON *mv;

			ret = store_record_get(s, target, &r, &gerr);
			if (ret == HUCE_ENOTFOUND) {
				ret = refuse(vd, "reference",
					     "%s.%s: the %s %s is not at the central "
					     "(its registration was refused, or is not "
					     "sent yet): retry that first, else drop "
					     "this change", k->kind, f->name,
					     f->ref_kind ? f->ref_kind : "record",
					     target);
				goto out;
			}
			if (ret) {
				ret = huce_fail(err, ret, "%s", gerr.msg);
				goto out;
			}
			if (f->ref_kind && strcmp(r.kind, f->ref_kind) != 0) {
				char name[LABEL_MAX];

				record_label(c, target, NULL, name, sizeof(name));
				ret = refuse(vd, "reference",
					     "%s.%s: record %s (%s) is a %s, not a %s",
					     k->kind, f->name, name, target, r.kind,
					     f->ref_kind);
				goto out;
			}
			if (!r.deleted || strcmp(r.kind, "household") != 0 ||
			    strcmp(f->name, "merged_into") == 0)
				break;
			ret = store_fields_get(s, target, &fs, err);
			if (ret)
				goto out;
			m = store_fieldset_find(&fs, "merged_into");
			mv = m ? cJSON_Parse(m->value) : NULL;
			if (!cJSON_IsString(mv) || !huce_id_valid(mv->valuestring)) {
				cJSON_Delete(mv);
				break;
			}
			copy_str(target, sizeof(target), mv->valuestring);
			cJSON_Delete(mv);
		}
		if (strcmp(target, v->valuestring) != 0) {
			if (!cJSON_SetValuestring(v, target)) {
				ret = oom(err);
				goto out;
			}
			*repointed = 1;
		}
	}
out:
	store_fieldset_release(&fs);
	return ret;
}

/*
 * Household rules that span records: a self-built toilet has no team,
 * and the first-toilet gate (首厕过关): a team whose first toilet is not
 * accepted yet may not be given another household.  Checked when the
 * change gives the household a new team or a build mode, on the state
 * after the change.
 */
static enum huce_err check_household(struct central *c, const char *id,
				     const cJSON *in, const cJSON *post,
				     const char *old_team, struct verdict *vd,
				     struct huce_error *err)
{
	const char *team = str_field(post, "team_id");
	const char *build = str_field(post, "build");
	const char *new_team = str_field(in, "team_id");
	char q[HUCE_ID_STRLEN + 3], other[HUCE_ID_STRLEN + 1];
	char hh[LABEL_MAX], tname[LABEL_MAX], first[LABEL_MAX];
	int passed = 0;
	enum huce_err ret;

	if (!cJSON_GetObjectItemCaseSensitive(in, "team_id") &&
	    !cJSON_GetObjectItemCaseSensitive(in, "build"))
		return HUCE_OK;
	if (team && build && strcmp(build, "contracted") != 0) {
		record_label(c, id, post, hh, sizeof(hh));
		return refuse(vd, "invalid",
			      "household %s: a self-built toilet (自建) has no "
			      "construction team: set build to contracted (统建) "
			      "or leave the team out", hh);
	}
	if (!new_team || (old_team && strcmp(old_team, new_team) == 0))
		return HUCE_OK;
	/*
	 * The gate is open when the team has no other live household, or
	 * when one of them is accepted or has ever passed an acceptance
	 * inspection (a first toilet that passed keeps the team qualified
	 * even if a later spot-check fails it).  Indexed lookups that stop
	 * at the first match: the cost does not grow with the team.
	 */
	quote_id(q, sizeof(q), new_team);
	ret = store_team_gate(c->store, q, id, other, &passed, err);
	if (ret)
		return ret;
	if (other[0] && !passed) {
		record_label(c, id, post, hh, sizeof(hh));
		record_label(c, new_team, NULL, tname, sizeof(tname));
		record_label(c, other, NULL, first, sizeof(first));
		return refuse(vd, "gate",
			      "household %s cannot go to team %s: the team has "
			      "not passed its first toilet (首厕过关), household "
			      "%s, which must be accepted before the team is "
			      "given another. Give the household another team, "
			      "or retry once that toilet is accepted",
			      hh, tname, first);
	}
	return HUCE_OK;
}

/*
 * Grade an inspection's items again against its household's toilet
 * type: an unknown item, a value out of range, a missing critical item
 * or a pass with a failed critical item rejects the entry.
 */
static enum huce_err check_inspection(struct central *c, const cJSON *post,
				      struct verdict *vd,
				      struct huce_error *err)
{
	const char *hh = str_field(post, "household_id");
	const char *stage = str_field(post, "stage");
	const char *result = str_field(post, "result");
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(post, "items");
	struct huce_eval ev = { 0 };
	struct huce_error eerr = { 0 }, ferr = { 0 };
	char name[LABEL_MAX];
	const char **codes = NULL, **values = NULL;
	char (*nums)[32] = NULL;
	char *tv = NULL;
	cJSON *type = NULL;
	const cJSON *it;
	size_t n = 0, i = 0;
	int stage_no;
	enum huce_err ret = HUCE_OK;

	if (!c->checklists || !hh || !stage)
		return HUCE_OK;
	stage_no = huce_stage_parse(stage);
	/* One field of the household, not all of them. */
	ret = store_field_get(c->store, hh, "type", &tv, &ferr);
	if (ret && ret != HUCE_ENOTFOUND) {
		huce_fail(err, ret, "%s", ferr.msg);
		goto out;
	}
	ret = HUCE_OK;
	type = tv ? cJSON_Parse(tv) : NULL;
	record_label(c, hh, NULL, name, sizeof(name));
	if (!cJSON_IsString(type)) {
		ret = refuse(vd, "checklist", "household %s has no toilet type: "
			     "set its type, then retry the inspection", name);
		goto out;
	}
	if (items && !cJSON_IsNull(items) && !cJSON_IsObject(items)) {
		ret = refuse(vd, "invalid", "inspection.items must be an object");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(cJSON_IsObject(items) ? items : NULL);
	codes = calloc(n ? n : 1, sizeof(*codes));
	values = calloc(n ? n : 1, sizeof(*values));
	nums = calloc(n ? n : 1, sizeof(*nums));
	if (!codes || !values || !nums) {
		ret = oom(err);
		goto out;
	}
	if (cJSON_IsObject(items)) {
		cJSON_ArrayForEach(it, items) {
			codes[i] = it->string;
			if (cJSON_IsNumber(it)) {
				snprintf(nums[i], sizeof(nums[i]), "%.17g",
					 it->valuedouble);
				values[i] = nums[i];
			} else if (cJSON_IsBool(it)) {
				values[i] = cJSON_IsTrue(it) ? "pass" : "fail";
			} else if (cJSON_IsString(it)) {
				values[i] = it->valuestring;
			} else {
				ret = refuse(vd, "checklist",
					     "%s inspection of household %s: item "
					     "'%.40s' must be a number or true/false",
					     stage, name, it->string);
				goto out;
			}
			i++;
		}
	}
	if (huce_checklist_evaluate(c->checklists, type->valuestring, stage_no,
				    n, codes, values, &ev, &eerr)) {
		ret = refuse(vd, "checklist", "%s inspection of household %s: %s",
			     stage, name, eerr.msg);
		goto out;
	}
	if (result && strcmp(result, "pass") == 0 && cJSON_GetArraySize(ev.veto)) {
		ret = refuse(vd, "checklist",
			     "%s inspection of household %s: critical item '%s' "
			     "failed, so the result cannot be pass",
			     stage, name,
			     cJSON_GetStringValue(cJSON_GetArrayItem(ev.veto, 0)));
		goto out;
	}
out:
	huce_eval_release(&ev);
	cJSON_Delete(type);
	free(tv);
	free(codes);
	free(values);
	free(nums);
	return ret;
}

/* The lookup key of a record's state (store_record.key), "" for none. */
static void record_key(const char *kind, const cJSON *post, char *out,
		       size_t n)
{
	out[0] = '\0';
	if (strcmp(kind, "household") == 0) {
		const char *g = str_field(post, "group_id");
		const char *head = str_field(post, "head");
		char *norm;

		if (!g || !head)
			return;
		norm = huce_name_normalize(head);
		if (norm)
			snprintf(out, n, "%s/%s", g, norm);
		free(norm);
	} else if (strcmp(kind, "inspection") == 0) {
		const char *h = str_field(post, "household_id");
		const char *st = str_field(post, "stage");

		if (h && st)
			snprintf(out, n, "%s/%s", h, st);
	}
}

/* --- domain conflicts ----------------------------------------------------- */

struct twin_scan {
	const char *self;
	const char *self_hash;		/* may be NULL */
	cJSON *found;			/* array of {id, device, hlc} */
};

static enum huce_err twin_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct twin_scan *t = arg;
	const char *h = str_field(fields, "id_hash");
	const cJSON *o;
	cJSON *row;

	if (strcmp(r->id, t->self) == 0 || strcmp(r->kind, "household") != 0)
		return HUCE_OK;
	/* Two ID numbers that differ are two people, whatever their names. */
	if (h && t->self_hash && strcmp(h, t->self_hash) != 0)
		return HUCE_OK;
	cJSON_ArrayForEach(o, t->found)
		if (strcmp(str_field(o, "value"), r->id) == 0)
			return HUCE_OK;
	row = make_val(cJSON_CreateString(r->id), r->created_by, r->created_hlc);
	if (!row || !cJSON_AddItemToArray(t->found, row))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

/*
 * A household just created: another live household with the same group
 * and normalised head name, or the same ID hash, is a possible duplicate
 * (registered twice offline).  Each pair is one "duplicate" conflict.
 */
static enum huce_err find_twins(struct central *c,
				const struct store_record *rec,
				const cJSON *post, struct huce_error *err)
{
	struct twin_scan t = { rec->id, str_field(post, "id_hash"), NULL };
	enum huce_err ret = HUCE_OK;
	cJSON *pair = NULL;
	const cJSON *o;

	t.found = cJSON_CreateArray();
	if (!t.found)
		return oom(err);
	if (rec->key[0])
		ret = store_by_key(c->store, "household", rec->key, rec->id,
				   twin_visit, &t, err);
	if (!ret && t.self_hash) {
		char q[160];

		snprintf(q, sizeof(q), "\"%s\"", t.self_hash);
		ret = store_by_field(c->store, "id_hash", q, rec->id, twin_visit,
				     &t, err);
	}
	if (ret == HUCE_ENOMEM)
		ret = oom(err);
	cJSON_ArrayForEach(o, t.found) {
		const char *other = str_field(o, "value");
		const char *lo = strcmp(rec->id, other) < 0 ? rec->id : other;
		const char *hi = lo == rec->id ? other : rec->id;
		char cid[HUCE_ID_STRLEN + 1], name[64];

		if (ret)
			break;
		pair = cJSON_CreateArray();
		if (!pair || !add_val_str(pair, rec->id, rec->created_by,
					  rec->created_hlc) ||
		    !cJSON_AddItemToArray(pair, cJSON_Duplicate(o, 1))) {
			ret = oom(err);
			break;
		}
		snprintf(name, sizeof(name), "#duplicate:%s", hi);
		huce_id_named("conflict", lo, name, cid);
		ret = conflict_note(c, cid, "duplicate", lo, NULL, pair, err);
		cJSON_Delete(pair);
		pair = NULL;
	}
	cJSON_Delete(pair);
	cJSON_Delete(t.found);
	return ret;
}

struct rival_scan {
	const char *self;
	const char *device;
	int64_t base;
	const char *result;
	cJSON *found;			/* conflict values */
};

static cJSON *inspection_value(const char *id, const char *stage,
			       const char *result)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "stage", stage ? stage : "") ||
	    !cJSON_AddStringToObject(o, "result", result ? result : "")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static enum huce_err rival_visit(void *arg, const struct store_record *r,
				 const cJSON *fields)
{
	struct rival_scan *x = arg;
	const char *res = str_field(fields, "result");
	cJSON *o;

	if (strcmp(r->id, x->self) == 0 || strcmp(r->created_by, x->device) == 0 ||
	    r->version <= x->base || !res || !x->result ||
	    strcmp(res, x->result) == 0)
		return HUCE_OK;
	o = make_val(inspection_value(r->id, str_field(fields, "stage"), res),
		     r->created_by, r->created_hlc);
	if (!o || !cJSON_AddItemToArray(x->found, o))
		return HUCE_ENOMEM;
	return HUCE_OK;
}

/*
 * An inspection just created: another device's inspection of the same
 * household and stage that this device had not seen, with a different
 * result, is an "inspection" conflict (one per household and stage).
 */
static enum huce_err find_rivals(struct central *c, const struct change *ch,
				 const struct store_record *rec,
				 const cJSON *post, struct huce_error *err)
{
	const char *hh = str_field(post, "household_id");
	const char *stage = str_field(post, "stage");
	struct rival_scan x = { rec->id, ch->device, ch->base,
		str_field(post, "result"), NULL };
	char cid[HUCE_ID_STRLEN + 1], name[64];
	enum huce_err ret;
	cJSON *self;

	if (!rec->key[0] || !hh || !stage)
		return HUCE_OK;
	x.found = cJSON_CreateArray();
	if (!x.found)
		return oom(err);
	ret = store_by_key(c->store, "inspection", rec->key, rec->id,
			   rival_visit, &x, err);
	if (ret == HUCE_ENOMEM)
		ret = oom(err);
	if (ret || !cJSON_GetArraySize(x.found))
		goto out;
	self = make_val(inspection_value(rec->id, stage, x.result),
			rec->created_by, rec->created_hlc);
	if (!self || !cJSON_AddItemToArray(x.found, self)) {
		ret = oom(err);
		goto out;
	}
	snprintf(name, sizeof(name), "#inspection:%s", stage);
	huce_id_named("conflict", hh, name, cid);
	ret = conflict_note(c, cid, "inspection", hh, NULL, x.found, err);
out:
	cJSON_Delete(x.found);
	return ret;
}

/* A delete and an edit that did not see each other. */
static enum huce_err note_delete_conflict(struct central *c, const char *id,
					  const char *del_dev,
					  const char *del_hlc,
					  const char *keep_dev,
					  const char *keep_hlc,
					  struct huce_error *err)
{
	char cid[HUCE_ID_STRLEN + 1];
	cJSON *vals = cJSON_CreateArray();
	enum huce_err ret;

	if (!vals || !add_val_str(vals, "delete", del_dev, del_hlc) ||
	    !add_val_str(vals, "keep", keep_dev, keep_hlc)) {
		cJSON_Delete(vals);
		return oom(err);
	}
	huce_id_named("conflict", id, "#delete", cid);
	ret = conflict_note(c, cid, "delete", id, NULL, vals, err);
	cJSON_Delete(vals);
	return ret;
}

/* --- one change ----------------------------------------------------------- */

static enum huce_err apply_delete(struct central *c, const struct change *ch,
				  struct store_record *rec,
				  struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	struct fwrites none = { 0 };
	const struct store_field *best = NULL;
	int stale = 0;
	enum huce_err ret;

	if (rec->deleted)
		return HUCE_OK;	/* already gone: nothing to do */
	ret = store_fields_get(c->store, rec->id, &fs, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < fs.n; i++) {
		const struct store_field *f = &fs.v[i];

		if (!ch->trusted && strcmp(f->device, ch->device) == 0 &&
		    strcmp(f->hlc, ch->hlc) > 0)
			stale = 1;
		if (f->version <= ch->base || strcmp(f->device, ch->device) == 0)
			continue;
		if (!best || stamp_cmp(f->hlc, f->device, best->hlc, best->device) > 0)
			best = f;
	}
	if (stale)
		huce_debug("device %s: delete of %s older than its own later "
			   "write, ignored", ch->device, rec->id);
	else if (best)	/* the record stays while the conflict is open */
		ret = note_delete_conflict(c, rec->id, ch->device, ch->hlc,
					   best->device, best->hlc, err);
	else
		ret = write_change(c, rec, 0, 1, &none, 1, ch->device, ch->hlc,
				   ch->seq, err);
	store_fieldset_release(&fs);
	return ret;
}

/*
 * A field conflict found while deciding, written after the record; or
 * (refresh) a device's newer value for a field it is already in
 * conflict over, which replaces its value in that conflict if open.
 */
struct pending_conflict {
	const char *field;
	cJSON *vals;
	int refresh;
};

/* Put a device's newer value into the open conflict cid it is part of. */
static enum huce_err conflict_refresh(struct central *c, const char *cid,
				      const char *record, const char *field,
				      const cJSON *vals, struct huce_error *err)
{
	struct store_record r;
	struct store_fieldset fs = { 0 };
	struct huce_error gerr = { 0 };
	const struct store_field *st, *vf;
	const char *dev = str_field(cJSON_GetArrayItem(vals, 0), "device");
	cJSON *old = NULL;
	const cJSON *v;
	enum huce_err ret;
	int member = 0;

	ret = store_record_get(c->store, cid, &r, &gerr);
	if (ret == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	ret = store_fields_get(c->store, cid, &fs, err);
	if (ret)
		return ret;
	st = store_fieldset_find(&fs, "status");
	vf = store_fieldset_find(&fs, "vals");
	if (st && strcmp(st->value, "\"open\"") == 0 && vf)
		old = cJSON_Parse(vf->value);
	cJSON_ArrayForEach(v, old)
		if (dev && strcmp(str_field(v, "device"), dev) == 0)
			member = 1;
	if (member)
		ret = conflict_note(c, cid, "field", record, field, vals, err);
	cJSON_Delete(old);
	store_fieldset_release(&fs);
	return ret;
}

/*
 * Apply one change.  Returns HUCE_OK with vd->code NULL when it was
 * applied (or changed nothing), HUCE_OK with vd->code set when it was
 * rejected (the caller rolls back to its savepoint), and any other code
 * for a storage or memory failure, which fails the whole batch.
 */
static enum huce_err apply_change(struct central *c, const struct change *ch,
				  struct verdict *vd, struct huce_error *err)
{
	struct store *s = c->store;
	const struct huce_kind_def *k = huce_kind_find(ch->kind);
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	struct fwrites w = { 0 };
	struct huce_error gerr = { 0 };
	struct pending_conflict *pc = NULL;
	size_t npc = 0;
	cJSON *in = NULL, *post = NULL;
	char *old_team = NULL;
	char key[STORE_KEY_MAX + 1];
	int exists, del_change = -1, del_conflict = 0, rec_dirty, post_is_in;
	int repointed = 0;
	enum huce_err ret;
	cJSON *v;

	vd->code = NULL;
	if (!k)
		return refuse(vd, "invalid", "unknown kind '%.31s'", ch->kind);
	if (!ch->trusted && !k->device_writable)
		return refuse(vd, "forbidden", "devices may not write %s records",
			      k->kind);
	ret = store_record_get(s, ch->id, &rec, &gerr);
	if (ret && ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	exists = ret == HUCE_OK;
	ret = HUCE_OK;
	if (exists && strcmp(rec.kind, k->kind) != 0)
		return refuse(vd, "invalid", "record %s is a %s, not a %s", ch->id,
			      rec.kind, k->kind);
	if (exists && ch->creating)
		return refuse(vd, "invalid", "%s %s exists already", k->kind, ch->id);
	if (ch->del) {
		if (!exists)
			return refuse(vd, "notfound", "%s %s not found", k->kind,
				      ch->id);
		return apply_delete(c, ch, &rec, err);
	}
	/*
	 * A device's HLCs grow with its seqs, so an entry of a device
	 * older than that device's own stored stamp is a file restored
	 * from an older copy sending again what it had not sent (its
	 * entries renumbered, PROTOCOL.md 2.1): the device's later
	 * delete, and below its later value of a field, stand.  Not for
	 * the office: its stamps may carry a device's HLC (a re-pointed
	 * reference), which need not be older than its own.
	 */
	if (!ch->trusted && exists && rec.deleted &&
	    strcmp(rec.del_device, ch->device) == 0 &&
	    strcmp(ch->hlc, rec.del_hlc) < 0)
		return HUCE_OK;

	if (has_duplicate_keys(ch->fields))
		return refuse(vd, "invalid", "%s: a field is given twice", k->kind);
	{
		struct huce_error cerr = { 0 };

		if (huce_record_check(k, ch->fields, !exists, 1, &cerr))
			return refuse(vd, "invalid", "%s", cerr.msg);
	}
	in = cJSON_Duplicate(ch->fields, 1);
	if (!in)
		return oom(err);
	ret = check_refs(c, k, in, &repointed, vd, err);
	if (ret || vd->code)
		goto out;
	if (exists) {
		ret = store_fields_get(s, ch->id, &fs, err);
		if (ret)
			goto out;
		if (rec.deleted) {
			del_change = 0;
			del_conflict = ch->base < rec.del_version &&
				strcmp(ch->device, rec.del_device) != 0;
		}
	} else {
		memset(&rec, 0, sizeof(rec));
		copy_str(rec.id, sizeof(rec.id), ch->id);
		copy_str(rec.kind, sizeof(rec.kind), k->kind);
	}
	/*
	 * The state after the change.  A new record's is its input, every
	 * field of which is written (absent is null): no copy is needed
	 * unless a null must be left out.
	 */
	post_is_in = !exists && !has_null_member(in);
	post = post_is_in ? in : store_fieldset_json(&fs);
	if (!post) {
		ret = oom(err);
		goto out;
	}
	if (exists && str_field(post, "team_id")) {
		old_team = strdup(str_field(post, "team_id"));
		if (!old_team) {
			ret = oom(err);
			goto out;
		}
	}
	pc = calloc((size_t)cJSON_GetArraySize(in) + 1, sizeof(*pc));
	if (!pc) {
		ret = oom(err);
		goto out;
	}

	/* Decide each field (DESIGN.md section 4). */
	cJSON_ArrayForEach(v, in) {
		const struct store_field *cur = store_fieldset_find(&fs, v->string);
		char *text = cJSON_PrintUnformatted(v);
		int write = 0, stamp = 0, refresh = 0;

		if (!text) {
			ret = oom(err);
			goto out;
		}
		if (!cur) {
			write = !cJSON_IsNull(v);	/* absent is null */
		} else if (!ch->trusted && strcmp(cur->device, ch->device) == 0 &&
			   strcmp(ch->hlc, cur->hlc) < 0) {
			write = 0;	/* its own later value stands (above) */
		} else if (cur->version <= ch->base ||
			   strcmp(cur->device, ch->device) == 0) {
			write = strcmp(cur->value, text) != 0;
			/* Its own earlier edit, unseen: it may be in a conflict. */
			refresh = write && cur->version > ch->base;
		} else if (same_value(cur->value, text)) {
			/* Concurrent and equal: keep the greater stamp. */
			stamp = stamp_cmp(ch->hlc, ch->device, cur->hlc,
					  cur->device) > 0;
		} else {
			cJSON *vals = cJSON_CreateArray();

			if (!vals || !add_val_text(vals, cur->value, cur->device,
						   cur->hlc) ||
			    !add_val_text(vals, text, ch->device, ch->hlc)) {
				cJSON_Delete(vals);
				free(text);
				ret = oom(err);
				goto out;
			}
			pc[npc].field = v->string;
			pc[npc++].vals = vals;
			write = stamp_cmp(ch->hlc, ch->device, cur->hlc,
					  cur->device) > 0;
		}
		if (refresh) {
			cJSON *vals = cJSON_CreateArray();

			if (!vals || !add_val_text(vals, text, ch->device, ch->hlc)) {
				cJSON_Delete(vals);
				free(text);
				ret = oom(err);
				goto out;
			}
			pc[npc].field = v->string;
			pc[npc].refresh = 1;
			pc[npc++].vals = vals;
		}
		if (!write && !stamp) {
			free(text);
			continue;
		}
		if (fwrites_add(&w, v->string, text, cur, stamp)) {
			ret = oom(err);
			goto out;
		}
		if (repointed && cJSON_IsString(v)) {
			const char *sent = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(ch->fields,
								 v->string));

			w.v[w.n - 1].repointed = sent &&
				strcmp(sent, v->valuestring) != 0;
		}
		if (write && !post_is_in) {
			cJSON *d = cJSON_Duplicate(v, 1);

			if (!d) {
				ret = oom(err);
				goto out;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(post, v->string);
			cJSON_AddItemToObject(post, v->string, d);
		}
	}

	/* Rules on the state after the change. */
	if (!ch->nochecks && strcmp(k->kind, "household") == 0) {
		ret = check_household(c, ch->id, in, post, old_team, vd, err);
		if (ret || vd->code)
			goto out;
	}
	if (!ch->nochecks && strcmp(k->kind, "inspection") == 0 &&
	    (!exists || cJSON_GetObjectItemCaseSensitive(in, "items") ||
	     cJSON_GetObjectItemCaseSensitive(in, "result") ||
	     cJSON_GetObjectItemCaseSensitive(in, "stage"))) {
		ret = check_inspection(c, post, vd, err);
		if (ret || vd->code)
			goto out;
	}

	record_key(k->kind, post, key, sizeof(key));
	rec_dirty = strcmp(key, rec.key) != 0;
	copy_str(rec.key, sizeof(rec.key), key);
	ret = write_change(c, &rec, !exists, rec_dirty, &w, del_change,
			   ch->device, ch->hlc, ch->seq, err);
	if (ret)
		goto out;

	for (size_t i = 0; i < npc; i++) {
		char cid[HUCE_ID_STRLEN + 1];

		huce_id_named("conflict", ch->id, pc[i].field, cid);
		if (pc[i].refresh)
			ret = conflict_refresh(c, cid, ch->id, pc[i].field,
					       pc[i].vals, err);
		else
			ret = conflict_note(c, cid, "field", ch->id, pc[i].field,
					    pc[i].vals, err);
		if (ret)
			goto out;
	}
	if (del_conflict) {
		ret = note_delete_conflict(c, ch->id, rec.del_device, rec.del_hlc,
					   ch->device, ch->hlc, err);
		if (ret)
			goto out;
	}
	if (!exists && strcmp(k->kind, "household") == 0)
		ret = find_twins(c, &rec, post, err);
	else if (!exists && strcmp(k->kind, "inspection") == 0)
		ret = find_rivals(c, ch, &rec, post, err);
out:
	for (size_t i = 0; pc && i < npc; i++)
		cJSON_Delete(pc[i].vals);
	free(pc);
	free(old_team);
	if (post != in)
		cJSON_Delete(post);
	cJSON_Delete(in);
	fwrites_release(&w);
	store_fieldset_release(&fs);
	return ret;
}

/* --- batches --------------------------------------------------------------- */

static int json_int(const cJSON *v, double lo, double hi, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= lo && d <= hi) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int only_keys(const cJSON *o, const char *const *keys)
{
	const cJSON *a;

	if (has_duplicate_keys(o))
		return 0;
	cJSON_ArrayForEach(a, o) {
		int i;

		for (i = 0; keys[i]; i++)
			if (a->string && strcmp(a->string, keys[i]) == 0)
				break;
		if (!keys[i])
			return 0;
	}
	return 1;
}

/*
 * cJSON ends a string at an escaped NUL ("abc\u0000def" parses as
 * "abc"), which would store a silently cut value.  Turn every \u0000
 * escape inside a string into \u001f before parsing, in place: the entry
 * is then refused by the ordinary text checks ("control character")
 * instead of landing truncated.
 */
static void nul_escapes_to_controls(char *p, size_t n)
{
	int in_string = 0;

	for (size_t i = 0; p && i < n; i++) {
		if (!in_string) {
			if (p[i] == '"')
				in_string = 1;
			continue;
		}
		if (p[i] == '"') {
			in_string = 0;
		} else if (p[i] == '\\' && i + 1 < n) {
			if (p[i + 1] == 'u' && i + 5 < n && p[i + 2] == '0' &&
			    p[i + 3] == '0' && p[i + 4] == '0' && p[i + 5] == '0') {
				p[i + 4] = '1';
				p[i + 5] = 'f';
			}
			i++;	/* skip the escaped character */
		}
	}
}

/*
 * Check the shape of the payload against the header: {"entries":[...]}
 * with count entries whose seqs rise strictly from first_seq to
 * last_seq (the agent may leave holes where it quarantined entries),
 * each with exactly the seven keys of the right types.
 */
static enum huce_err check_shape(const cJSON *root,
				 const struct huce_batch_header *h,
				 struct huce_error *err)
{
	static const char *const root_keys[] = { "entries", NULL };
	static const char *const entry_keys[] = {
		"seq", "id", "kind", "op", "base", "hlc", "fields", NULL
	};
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
	const cJSON *e;
	int64_t prev = 0;
	uint64_t ts;
	int i = 0;

	if (!cJSON_IsObject(root) || !only_keys(root, root_keys) ||
	    !cJSON_IsArray(entries))
		return huce_fail(err, HUCE_EINVAL,
				 "batch payload must be {\"entries\":[...]}");
	if ((uint32_t)cJSON_GetArraySize(entries) != h->count)
		return huce_fail(err, HUCE_EINVAL,
				 "batch holds %d entries but its header says %u",
				 cJSON_GetArraySize(entries), (unsigned)h->count);
	cJSON_ArrayForEach(e, entries) {
		const char *op = str_field(e, "op");
		const char *hlc = str_field(e, "hlc");
		int64_t seq, base;

		i++;
		if (!cJSON_IsObject(e) || !only_keys(e, entry_keys))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry %d: must be an object with seq, "
					 "id, kind, op, base, hlc and fields", i);
		if (json_int(cJSON_GetObjectItemCaseSensitive(e, "seq"), 1,
			     MAX_SEQ, &seq))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry %d: seq must be a positive integer", i);
		if ((i == 1 && (uint64_t)seq != h->first_seq) || seq <= prev ||
		    (uint64_t)seq > h->last_seq ||
		    (i == (int)h->count && (uint64_t)seq != h->last_seq))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry %d: seq %lld out of order for "
					 "%llu..%llu", i, (long long)seq,
					 (unsigned long long)h->first_seq,
					 (unsigned long long)h->last_seq);
		prev = seq;
		if (!huce_id_valid(str_field(e, "id")))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: id is not a record id",
					 (long long)seq);
		if (!str_field(e, "kind"))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: kind must be a string",
					 (long long)seq);
		if (!op || (strcmp(op, "put") != 0 && strcmp(op, "delete") != 0))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: op must be put or delete",
					 (long long)seq);
		if (json_int(cJSON_GetObjectItemCaseSensitive(e, "base"), 0,
			     MAX_SEQ, &base))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: base must be an "
					 "integer >= 0", (long long)seq);
		if (!hlc || huce_hlc_parse(hlc, &ts))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: hlc must be 16 "
					 "lowercase hex digits", (long long)seq);
		if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "fields")))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: fields must be an object",
					 (long long)seq);
	}
	return HUCE_OK;
}

static enum huce_err add_rejected(cJSON *rejected, int64_t seq,
				  const char *id, const struct verdict *vd)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddNumberToObject(o, "seq", (double)seq) ||
	    !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "error", vd->code) ||
	    !cJSON_AddStringToObject(o, "message", vd->msg) ||
	    !cJSON_AddItemToArray(rejected, o)) {
		cJSON_Delete(o);
		return HUCE_ENOMEM;
	}
	return HUCE_OK;
}

/*
 * A change refused as invalid because it lacks a required field, of a
 * record the central does not have: the record's registration was
 * refused too, or is not sent yet.  Say so before the field check's
 * words, which alone do not tell a cadre what to do.
 */
static enum huce_err explain_absent(struct central *c, const struct change *ch,
				    struct verdict *vd, struct huce_error *err)
{
	const struct huce_kind_def *k = huce_kind_find(ch->kind);
	struct store_record rec;
	struct huce_error gerr = { 0 };
	char msg[sizeof(vd->msg)];
	enum huce_err ret;
	size_t i;

	if (!k || ch->del || strcmp(vd->code, "invalid") != 0)
		return HUCE_OK;
	for (i = 0; i < k->nfields; i++)
		if (k->fields[i].required &&
		    !cJSON_GetObjectItemCaseSensitive(ch->fields, k->fields[i].name))
			break;
	if (i == k->nfields)
		return HUCE_OK;
	ret = store_record_get(c->store, ch->id, &rec, &gerr);
	if (ret == HUCE_OK)
		return HUCE_OK;
	if (ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	copy_str(msg, sizeof(msg), vd->msg);
	return refuse(vd, "invalid", "this %s is not at the central and the change "
		      "does not register it (%s): if its registration was refused, "
		      "retry that first, else drop this change", k->kind, msg);
}

/*
 * Add to a rejected entry rej the central's state of its record as it
 * stands now: {"kind","version","deleted","fields"} with every field,
 * as a pull would give it, or null when the central has no such record.
 * The laptop puts its record back to it (PROTOCOL.md 2.1).
 */
static enum huce_err add_state(struct central *c, cJSON *rej,
			       struct huce_error *err)
{
	const char *id = str_field(rej, "id");
	struct store_record rec;
	struct store_fieldset fs = { 0 };
	struct huce_error gerr = { 0 };
	cJSON *st, *fields;
	enum huce_err ret;

	ret = store_record_get(c->store, id, &rec, &gerr);
	if (ret == HUCE_ENOTFOUND)
		return cJSON_AddNullToObject(rej, "state") ? HUCE_OK : oom(err);
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	ret = store_fields_get(c->store, id, &fs, err);
	if (ret)
		return ret;
	fields = store_fieldset_json(&fs);
	store_fieldset_release(&fs);
	st = cJSON_CreateObject();
	if (!fields || !st || !cJSON_AddItemToObject(rej, "state", st)) {
		cJSON_Delete(fields);
		cJSON_Delete(st);
		return oom(err);
	}
	if (!cJSON_AddStringToObject(st, "kind", rec.kind) ||
	    !cJSON_AddNumberToObject(st, "version", (double)rec.version) ||
	    !cJSON_AddBoolToObject(st, "deleted", rec.deleted) ||
	    !cJSON_AddItemToObject(st, "fields", fields)) {
		cJSON_Delete(fields);
		return oom(err);
	}
	return HUCE_OK;
}

static int rejected_cmp(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	int d = strcmp(str_field(a, "id"), str_field(b, "id"));

	if (d)
		return d;
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "seq")) <
		cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "seq")) ? -1 : 1;
}

/*
 * Give the first rejected entry of each record its state (add_state),
 * once per record however many of its entries were refused, so that
 * the answer grows with the records and not with the entries.  The
 * states are read after the whole batch: an entry after a refused one
 * may have changed the same record and landed.
 */
static enum huce_err add_states(struct central *c, cJSON *rejected,
				struct huce_error *err)
{
	int n = cJSON_GetArraySize(rejected), i = 0;
	cJSON **v;
	cJSON *e;
	enum huce_err ret = HUCE_OK;

	if (n == 0)
		return HUCE_OK;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return oom(err);
	cJSON_ArrayForEach(e, rejected)
		v[i++] = e;
	qsort(v, (size_t)n, sizeof(*v), rejected_cmp);
	for (i = 0; i < n && !ret; i++)
		if (i == 0 || strcmp(str_field(v[i], "id"), str_field(v[i - 1], "id")) != 0)
			ret = add_state(c, v[i], err);
	free(v);
	return ret;
}

enum huce_err central_apply_batch(struct central *c, const char *auth_device,
				  const void *batch, size_t len,
				  cJSON **result, uint64_t *expected,
				  struct huce_error *err)
{
	struct store *s = c->store;
	struct huce_batch_header h;
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct store_device dev;
	cJSON *root = NULL, *rejected = NULL, *res = NULL;
	const cJSON *e;
	size_t max_raw = c->max_raw ? c->max_raw : HUCE_BATCH_MAX_RAW;
	const char *end = NULL;
	int64_t applied = 0, skipped = 0, hwm;
	char last_hlc[HUCE_HLC_STRLEN + 1] = "";
	int in_tx = 0;
	enum huce_err ret;

	*result = NULL;
	if (expected)
		*expected = 0;
	if (max_raw > payload.max)
		payload.max = max_raw;
	ret = huce_batch_decode(batch, len, max_raw, &h, &payload, err);
	if (ret)
		goto out;
	if (strcmp(h.device, auth_device) != 0) {
		ret = huce_fail(err, HUCE_EFORBIDDEN,
				"batch from device '%s' may not be sent as '%s'",
				h.device, auth_device);
		goto out;
	}
	if (memchr(payload.data ? payload.data : "", '\0', payload.len) ||
	    !huce_utf8_valid(payload.data ? payload.data : "", payload.len)) {
		ret = huce_fail(err, HUCE_EINVAL, "batch payload is not UTF-8 text");
		goto out;
	}
	nul_escapes_to_controls(payload.data, payload.len);
	root = cJSON_ParseWithLengthOpts(payload.data ? payload.data : "",
					 payload.len, &end, 0);
	while (root && end < payload.data + payload.len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (!root || end != (payload.data ? payload.data + payload.len : end)) {
		ret = huce_fail(err, HUCE_EINVAL, "batch payload is not JSON");
		goto out;
	}
	ret = check_shape(root, &h, err);
	if (ret)
		goto out;
	rejected = cJSON_CreateArray();
	if (!rejected) {
		ret = oom(err);
		goto out;
	}

	ret = store_begin(s, 1, err);
	if (ret)
		goto out;
	in_tx = 1;
	ret = store_device_get(s, h.device, &dev, err);
	if (ret == HUCE_ENOTFOUND) {
		ret = huce_fail(err, HUCE_EAUTH, "device '%s' is not enrolled",
				h.device);
		goto out;
	}
	if (ret)
		goto out;
	hwm = dev.hwm;
	if (h.count && h.first_seq > (uint64_t)hwm + 1) {
		if (expected)
			*expected = (uint64_t)hwm + 1;
		ret = huce_fail(err, HUCE_EGAP,
				"batch starts at seq %llu but the central expects %lld",
				(unsigned long long)h.first_seq, (long long)hwm + 1);
		goto out;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "entries")) {
		struct change ch;
		struct verdict vd;
		uint64_t ts = 0;
		int64_t seq;

		seq = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "seq"));
		/* The entry at the new mark names it (PROTOCOL.md 2.1: acked_hlc). */
		if ((uint64_t)seq == h.last_seq)
			copy_str(last_hlc, sizeof(last_hlc), str_field(e, "hlc"));
		if (seq <= hwm) {
			skipped++;	/* replay: acknowledged before */
			continue;
		}
		memset(&ch, 0, sizeof(ch));
		ch.id = str_field(e, "id");
		ch.kind = str_field(e, "kind");
		ch.del = strcmp(str_field(e, "op"), "delete") == 0;
		ch.base = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "base"));
		copy_str(ch.hlc, sizeof(ch.hlc), str_field(e, "hlc"));
		ch.fields = cJSON_GetObjectItemCaseSensitive(e, "fields");
		ch.seq = seq;
		ch.device = h.device;
		ret = store_savepoint(s, err);
		if (ret)
			goto out;
		/*
		 * The central's clock follows every HLC it takes in, so that
		 * its own changes stamp above them; a laptop whose clock is
		 * years ahead is stored as it is but does not drag the
		 * central's clock (which must never wrap) along.
		 */
		huce_hlc_parse(ch.hlc, &ts);
		if (huce_hlc_ms(ts) <= huce_wall_ms() + HLC_MAX_AHEAD_MS)
			store_hlc_observe(s, ts);
		ret = apply_change(c, &ch, &vd, err);
		if (ret)
			goto out;
		if (vd.code) {
			ret = store_rollback_to(s, err);
			if (!ret)
				ret = explain_absent(c, &ch, &vd, err);
			if (!ret)
				ret = add_rejected(rejected, seq, ch.id, &vd);
			if (ret == HUCE_ENOMEM)
				ret = oom(err);
			if (ret)
				goto out;
			huce_debug("device %s seq %lld rejected: %s", h.device,
				   (long long)seq, vd.code);
			continue;
		}
		ret = store_release(s, err);
		if (ret)
			goto out;
		applied++;
	}
	ret = add_states(c, rejected, err);
	if (ret)
		goto out;
	if (h.count && (int64_t)h.last_seq > hwm) {
		hwm = (int64_t)h.last_seq;
		copy_str(dev.hwm_hlc, sizeof(dev.hwm_hlc), last_hlc);
		ret = store_device_set_hwm(s, h.device, hwm,
					   dev.hwm_hlc[0] ? dev.hwm_hlc : NULL, err);
		if (ret)
			goto out;
	}
	res = cJSON_CreateObject();
	if (!res || !cJSON_AddStringToObject(res, "device", h.device) ||
	    !cJSON_AddNumberToObject(res, "acked", (double)hwm) ||
	    !cJSON_AddNumberToObject(res, "hwm", (double)hwm) ||
	    (hwm > 0 && dev.hwm_hlc[0] &&
	     !cJSON_AddStringToObject(res, "acked_hlc", dev.hwm_hlc)) ||
	    !cJSON_AddNumberToObject(res, "applied", (double)applied) ||
	    !cJSON_AddNumberToObject(res, "skipped", (double)skipped)) {
		ret = oom(err);
		goto out;
	}
	cJSON_AddItemToObject(res, "rejected", rejected);
	rejected = NULL;
	if (!cJSON_AddNumberToObject(res, "version", (double)store_head(s))) {
		ret = oom(err);
		goto out;
	}
	ret = store_commit(s, err);
	in_tx = 0;
	if (ret)
		goto out;
	*result = res;
	res = NULL;
out:
	if (in_tx)
		store_rollback(s);
	cJSON_Delete(res);
	cJSON_Delete(rejected);
	cJSON_Delete(root);
	huce_buf_release(&payload);
	return ret;
}

enum huce_err central_changes(struct central *c, int64_t after, int limit,
			      char **json, size_t *len, struct huce_error *err)
{
	return central_changes_own(c, after, limit, NULL, json, len, err);
}

enum huce_err central_changes_own(struct central *c, int64_t after,
				  int limit, const char *own, char **json,
				  size_t *len, struct huce_error *err)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	int64_t next = after, head = 0;
	int more = 0;
	enum huce_err ret;
	char *text;

	*json = NULL;
	if (len)
		*len = 0;
	if (!root || !arr) {
		cJSON_Delete(root);
		cJSON_Delete(arr);
		return oom(err);
	}
	cJSON_AddItemToObject(root, "changes", arr);
	if (after < 0)
		after = 0;
	if (limit > CHANGES_MAX)
		limit = CHANGES_MAX;
	if (limit < 1)
		limit = 1;
	ret = store_changes(c->store, after, limit, own, arr, &next, &more,
			    &head, err);
	if (ret) {
		cJSON_Delete(root);
		return ret;
	}
	if (!cJSON_AddNumberToObject(root, "next", (double)next) ||
	    !cJSON_AddBoolToObject(root, "more", more) ||
	    !cJSON_AddNumberToObject(root, "head", (double)head)) {
		cJSON_Delete(root);
		return oom(err);
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return oom(err);
	*json = text;
	if (len)
		*len = strlen(text);
	return HUCE_OK;
}

/* --- the office ----------------------------------------------------------- */

static enum huce_err verdict_error(const struct verdict *vd,
				   struct huce_error *err)
{
	enum huce_err code = HUCE_EINVAL;

	if (strcmp(vd->code, "gate") == 0)
		code = HUCE_EGATE;
	else if (strcmp(vd->code, "notfound") == 0)
		code = HUCE_ENOTFOUND;
	return huce_fail(err, code, "%s", vd->msg);
}

/* Apply a change as the office: base = everything, HLC above all. */
static enum huce_err office_change(struct central *c, const char *kind,
				   const char *id, int del,
				   const cJSON *fields, int creating,
				   int nochecks, struct huce_error *err)
{
	struct change ch;
	struct verdict vd;
	cJSON *empty = NULL;
	enum huce_err ret;

	memset(&ch, 0, sizeof(ch));
	ch.id = id;
	ch.kind = kind;
	ch.del = del;
	ch.base = store_head(c->store);
	huce_hlc_format(store_hlc_tick(c->store), ch.hlc);
	if (!fields) {
		empty = cJSON_CreateObject();
		if (!empty)
			return oom(err);
	}
	ch.fields = fields ? fields : empty;
	ch.device = DEV_OFFICE;
	ch.trusted = 1;
	ch.creating = creating;
	ch.nochecks = nochecks;
	ret = apply_change(c, &ch, &vd, err);
	if (!ret && vd.code)
		ret = verdict_error(&vd, err);
	cJSON_Delete(empty);
	return ret;
}

enum huce_err central_office_put(struct central *c, const char *kind,
				 const char *id, const cJSON *fields,
				 int creating, struct huce_error *err)
{
	return office_change(c, kind, id, 0, fields, creating, 0, err);
}

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
	ret = office_change(rp->c, r->kind, r->id, 0, f, 0, 1, rp->err);
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
	ret = office_change(kr->c, r->kind, r->id, 1, NULL, 0, 1, kr->err);
	if (!ret)
		kr->n++;
	return ret;
}

/*
 * Merge household drop into keep: keep takes the fields it lacks from
 * drop, every inspection, rectification and photo of drop moves to keep,
 * and drop is deleted with merged_into = keep.
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
		const struct store_field *have = store_fieldset_find(&kf, df.v[i].name);
		cJSON *val;

		if (!f || f->local_only || strcmp(f->name, "merged_into") == 0 ||
		    strcmp(df.v[i].value, "null") == 0 ||
		    (have && strcmp(have->value, "null") != 0))
			continue;
		val = cJSON_Parse(df.v[i].value);
		if (!val) {
			ret = oom(err);
			goto out;
		}
		cJSON_AddItemToObject(fill, f->name, val);
	}
	if (cJSON_GetArraySize(fill)) {
		ret = office_change(c, "household", keep, 0, fill, 0, 1, err);
		if (ret)
			goto out;
		(*changes)++;
	}
	ret = repoint_all(c, drop, keep, changes, err);
	if (!ret)
		ret = office_change(c, "household", drop, 0, m, 0, 1, err);
	if (!ret)
		ret = office_change(c, "household", drop, 1, NULL, 0, 1, err);
	if (!ret)
		*changes += 2;
out:
	cJSON_Delete(fill);
	cJSON_Delete(m);
	store_fieldset_release(&kf);
	store_fieldset_release(&df);
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
		ret = office_change(c, "inspection", id, 1, NULL, 0, 1, err);
	if (!ret)
		(*changes)++;
	return ret;
}

/* The id a duplicate or inspection conflict value names. */
static const char *value_id(const cJSON *val)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(val, "value");

	if (cJSON_IsString(v))
		return v->valuestring;
	return str_field(v, "id");
}

enum huce_err central_resolve(struct central *c, const char *conflict_id,
			      int take, const char *value, cJSON **summary,
			      struct huce_error *err)
{
	struct store *s = c->store;
	struct store_record cr, target;
	struct store_fieldset fs = { 0 };
	struct huce_error gerr = { 0 };
	cJSON *cf = NULL, *chosen = NULL, *fields = NULL, *done = NULL;
	const cJSON *vals, *pick = NULL;
	const char *ckind, *record, *field, *status;
	char resolution[128];
	int nvals, changes = 0;
	enum huce_err ret;

	if (summary)
		*summary = NULL;
	if (!huce_id_valid(conflict_id))
		return huce_fail(err, HUCE_EINVAL, "'%.40s' is not a conflict id",
				 conflict_id);
	ret = store_record_get(s, conflict_id, &cr, &gerr);
	if (ret == HUCE_ENOTFOUND || (!ret && strcmp(cr.kind, "conflict") != 0))
		return huce_fail(err, HUCE_ENOTFOUND, "conflict %s not found",
				 conflict_id);
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	ret = store_fields_get(s, conflict_id, &fs, err);
	if (ret)
		return ret;
	cf = store_fieldset_json(&fs);
	if (!cf) {
		ret = oom(err);
		goto out;
	}
	ckind = str_field(cf, "kind");
	record = str_field(cf, "record");
	field = str_field(cf, "field");
	status = str_field(cf, "status");
	vals = cJSON_GetObjectItemCaseSensitive(cf, "vals");
	nvals = cJSON_GetArraySize(vals);
	if (!ckind || !record) {
		ret = huce_fail(err, HUCE_EINVAL, "conflict %s is damaged", conflict_id);
		goto out;
	}
	if (!status || strcmp(status, "open") != 0) {
		ret = huce_fail(err, HUCE_EINVAL, "conflict %s is already resolved",
				conflict_id);
		goto out;
	}
	if (take) {
		if (take < 1 || take > nvals) {
			ret = huce_fail(err, HUCE_EINVAL,
					"conflict %s has values 1..%d, not %d",
					conflict_id, nvals, take);
			goto out;
		}
		pick = cJSON_GetArrayItem(vals, take - 1);
		snprintf(resolution, sizeof(resolution), "took value %d", take);
	} else if (value) {
		snprintf(resolution, sizeof(resolution), "entered a value");
	} else {
		ret = huce_fail(err, HUCE_EUSAGE, "resolve needs --take N or --value V");
		goto out;
	}

	if (strcmp(ckind, "field") == 0) {
		const struct huce_kind_def *k;
		struct huce_error cerr = { 0 };

		if (!field) {
			ret = huce_fail(err, HUCE_EINVAL, "conflict %s names no field",
					conflict_id);
			goto out;
		}
		ret = store_record_get(s, record, &target, &gerr);
		if (ret) {
			ret = huce_fail(err, ret, "%s", gerr.msg);
			goto out;
		}
		k = huce_kind_find(target.kind);
		if (!k) {
			ret = huce_fail(err, HUCE_EINVAL, "record %s has an unknown kind",
					record);
			goto out;
		}
		/*
		 * A typed value is JSON if it parses and suits the field, else
		 * the text itself: 13900000009 for a phone is the string.
		 */
		for (int attempt = pick ? 2 : 0; attempt < 3; attempt++) {
			if (attempt == 0)
				chosen = cJSON_Parse(value);
			else if (attempt == 1)
				chosen = cJSON_CreateString(value);
			else
				chosen = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(pick, "value"), 1);
			if (!chosen && attempt == 0)
				continue;
			cJSON_Delete(fields);
			fields = cJSON_CreateObject();
			if (!chosen || !fields) {
				ret = oom(err);
				goto out;
			}
			cJSON_AddItemToObject(fields, field, chosen);
			chosen = NULL;
			memset(&cerr, 0, sizeof(cerr));
			if (!huce_record_check(k, fields, 0, 1, &cerr))
				break;
			if (attempt != 0) {
				ret = huce_fail(err, HUCE_EINVAL, "%s", cerr.msg);
				goto out;
			}
		}
		/* A deleted record stays deleted; the conflict just closes. */
		if (!target.deleted) {
			ret = office_change(c, target.kind, record, 0, fields, 0, 0, err);
			if (ret)
				goto out;
			changes++;
		}
	} else if (strcmp(ckind, "delete") == 0) {
		const char *what = pick ? cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(pick, "value")) : value;

		if (!what || (strcmp(what, "delete") && strcmp(what, "keep"))) {
			ret = huce_fail(err, HUCE_EINVAL,
					"a delete conflict is resolved by delete or keep");
			goto out;
		}
		ret = store_record_get(s, record, &target, &gerr);
		if (ret == HUCE_ENOTFOUND) {
			ret = HUCE_OK;
		} else if (ret) {
			ret = huce_fail(err, ret, "%s", gerr.msg);
			goto out;
		} else if (strcmp(what, "delete") == 0 && !target.deleted) {
			ret = office_change(c, target.kind, record, 1, NULL, 0, 1, err);
			changes++;
		} else if (strcmp(what, "keep") == 0 && target.deleted) {
			ret = office_change(c, target.kind, record, 0, NULL, 0, 1, err);
			changes++;
		}
		if (ret)
			goto out;
		snprintf(resolution, sizeof(resolution), "%s", what);
	} else if (strcmp(ckind, "duplicate") == 0 ||
		   strcmp(ckind, "inspection") == 0) {
		const char *keep = pick ? value_id(pick) : NULL;
		const cJSON *o;

		if (!pick && strcmp(value, "both") != 0) {
			ret = huce_fail(err, HUCE_EINVAL,
					"a %s conflict is resolved by --take N or "
					"--value both", ckind);
			goto out;
		}
		if (!pick) {
			snprintf(resolution, sizeof(resolution), "kept both");
		} else if (!keep || !huce_id_valid(keep)) {
			ret = huce_fail(err, HUCE_EINVAL, "conflict %s value %d names no record",
					conflict_id, take);
			goto out;
		} else {
			snprintf(resolution, sizeof(resolution), "kept %s", keep);
		}
		cJSON_ArrayForEach(o, vals) {
			const char *other = value_id(o);

			if (!keep || !other || strcmp(other, keep) == 0 ||
			    !huce_id_valid(other))
				continue;
			if (strcmp(ckind, "duplicate") == 0)
				ret = merge_households(c, keep, other, &changes, err);
			else
				ret = drop_inspection(c, other, &changes, err);
			if (ret)
				goto out;
		}
	} else {
		ret = huce_fail(err, HUCE_EINVAL, "conflict %s has unknown kind '%s'",
				conflict_id, ckind);
		goto out;
	}

	done = cJSON_CreateObject();
	if (!done || !cJSON_AddStringToObject(done, "status", "resolved") ||
	    !cJSON_AddStringToObject(done, "resolution", resolution)) {
		ret = oom(err);
		goto out;
	}
	ret = central_write(c, "conflict", conflict_id, done, DEV_OFFICE, err);
	if (ret)
		goto out;
	if (summary) {
		cJSON *sm = cJSON_CreateObject();

		if (!sm || !cJSON_AddStringToObject(sm, "conflict", conflict_id) ||
		    !cJSON_AddStringToObject(sm, "kind", ckind) ||
		    !cJSON_AddStringToObject(sm, "record", record) ||
		    !cJSON_AddStringToObject(sm, "resolution", resolution) ||
		    !cJSON_AddNumberToObject(sm, "changes", changes)) {
			cJSON_Delete(sm);
			ret = oom(err);
			goto out;
		}
		*summary = sm;
	}
out:
	cJSON_Delete(cf);
	cJSON_Delete(chosen);
	cJSON_Delete(fields);
	cJSON_Delete(done);
	store_fieldset_release(&fs);
	return ret;
}
