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
 * with central_resolve() (resolve.c), whose outcome is new changes like
 * any other.
 *
 * The per-field rule itself is decide_field() (merge_rule.c), a pure
 * function; the rules of the campaign (status machine, first-toilet
 * gate, phone, GPS, build mode and team, inspection date) are those of
 * common/huce_domain.h, called here, never written again.  A household's
 * status is never taken from a change: the central derives it from the
 * merged records once per household at the end of each batch or office
 * change (merge_touched_finish) and stores it as its own change.
 *
 * Nothing here knows SQL: the store (store.h) does the storing, and the
 * kinds table (common/huce_record.c) says what a field is.  The rules
 * are written out, with examples, in docs/MERGE.md.
 */
#include "merge.h"
#include "names.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_domain.h"
#include "huce_hlc.h"
#include "huce_id.h"
#include "huce_log.h"
#include "huce_record.h"
#include "huce_util.h"
#include "merge_rule.h"
#include "review.h"
#include "store.h"

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
	struct merge_stamp a = { 0, h1, d1 }, b = { 0, h2, d2 };

	return merge_stamp_cmp(&a, &b);
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

/* The decimal digits of i, written backwards from end; returns the start. */
static char *int_text(int64_t i, char *end)
{
	uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	char *p = end;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	return p;
}

/* The text json_text() builds, in a fixed buffer. */
struct jtext {
	char *p;
	size_t n, max;
};

static int jt_add(struct jtext *t, const char *s, size_t n)
{
	if (n > t->max - t->n)
		return 0;
	memcpy(t->p + t->n, s, n);
	t->n += n;
	return 1;
}

/*
 * Whether one of the 8 bytes of x is below 0x20, '"' or '\\' (the
 * classic "has a zero byte" and "has a byte less than n" tests; the
 * answer is exact for the word, not for which byte).
 */
static int word_to_escape(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
		((b - ones) & ~b)) & highs ? 1 : 0;
}

/* A string as cJSON prints it, when it has nothing to escape. */
static int jt_str(struct jtext *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0;

	for (; i + 8 <= n; i += 8) {	/* 8 bytes at a time while clean */
		uint64_t x;

		memcpy(&x, p + i, 8);
		if (word_to_escape(x))
			break;
	}
	for (; i < n; i++)
		if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
			return 0;
	if (n + 2 > t->max - t->n)
		return 0;
	t->p[t->n] = '"';
	memcpy(t->p + t->n + 1, p, n);
	t->p[t->n + 1 + n] = '"';
	t->n += n + 2;
	return 1;
}

/*
 * d as "%1.15g" prints it, without printf, when d is m / 10^k exactly
 * as a double for an integer m and k <= 6 (a reading with a few
 * decimals: 1.3, 0.75), 1e-4 <= |d| < 1e9.  That decimal has at most 15
 * digits and is the one nearest d, so it is d rounded to 15 digits;
 * the smallest k leaves no trailing zero, as %g does not, and in that
 * range %g writes no exponent.  Returns the start of the text in num,
 * or NULL for any other d.
 */
static const char *short_decimal(double d, char num[32])
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	double a = fabs(d);

	if (!(a >= 1e-4 && a < 1e9))
		return NULL;
	for (int k = 1; k <= 6; k++) {
		int64_t m = (int64_t)(a * pow10[k] + 0.5);
		char *p;

		if ((double)m / pow10[k] != a)
			continue;
		p = num + 31;
		*p = '\0';
		for (int i = 0; i < k; i++, m /= 10)
			*--p = (char)('0' + m % 10);
		*--p = '.';
		do {
			*--p = (char)('0' + m % 10);
			m /= 10;
		} while (m);
		if (d < 0)
			*--p = '-';
		return p;
	}
	return NULL;
}

/*
 * A number as cJSON 1.7 prints it (print_number): "%1.15g" if that reads
 * back as the same double (its compare_double), else "%1.17g", with the
 * locale's decimal point written as '.'.  An integer below 1e15 is its
 * digits and a short decimal (short_decimal) its digits and point, which
 * is what "%1.15g" gives, without printf.
 */
static int jt_num(struct jtext *t, double d)
{
	char num[32], point;
	const char *p;
	int len;

	if (isnan(d) || isinf(d))
		return 0;
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d &&
	    !(d == 0 && signbit(d))) {
		p = int_text((int64_t)d, num + sizeof(num));
		return jt_add(t, p, strlen(p));
	}
	p = short_decimal(d, num);
	if (p)
		return jt_add(t, p, strlen(p));
	len = snprintf(num, sizeof(num), "%1.15g", d);
	if (len > 0 && (size_t)len < sizeof(num)) {
		double back = strtod(num, NULL);
		double max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);

		if (!(fabs(back - d) <= max * DBL_EPSILON))
			len = snprintf(num, sizeof(num), "%1.17g", d);
	}
	if (len <= 0 || (size_t)len >= sizeof(num))
		return 0;
	point = *localeconv()->decimal_point;
	for (int i = 0; i < len; i++)
		if (num[i] == point)
			num[i] = '.';
	return jt_add(t, num, (size_t)len);
}

/*
 * Append the text of v as cJSON_PrintUnformatted() prints it; false when
 * it does not fit or holds what only cJSON's printer does (a string to
 * escape, a raw value, a NaN).  depth bounds the recursion.
 */
static int jt_value(struct jtext *t, const cJSON *v, int depth)
{
	const cJSON *e;
	int obj;

	if (cJSON_IsString(v))
		return jt_str(t, v->valuestring);
	if (cJSON_IsNumber(v))
		return jt_num(t, v->valuedouble);
	if (cJSON_IsTrue(v))
		return jt_add(t, "true", 4);
	if (cJSON_IsFalse(v))
		return jt_add(t, "false", 5);
	if (cJSON_IsNull(v))
		return jt_add(t, "null", 4);
	obj = cJSON_IsObject(v);
	if ((!obj && !cJSON_IsArray(v)) || depth >= 64)
		return 0;
	if (!jt_add(t, obj ? "{" : "[", 1))
		return 0;
	for (e = v->child; e; e = e->next) {
		if (e != v->child && !jt_add(t, ",", 1))
			return 0;
		if (obj && (!e->string || !jt_str(t, e->string) ||
			    !jt_add(t, ":", 1)))
			return 0;
		if (!jt_value(t, e, depth + 1))
			return 0;
	}
	return jt_add(t, obj ? "}" : "]", 1);
}

/*
 * The JSON text of v exactly as cJSON_PrintUnformatted() gives it
 * (caller frees; NULL on OOM or for NULL), in one allocation of its
 * size.  cJSON's printer allocates 256 bytes and shrinks them, and
 * reads every number it prints back with sscanf; what jt_value() does
 * not take still goes to it.
 */
static char *json_text(const cJSON *v)
{
	char buf[1024], *out;
	struct jtext t = { buf, 0, sizeof(buf) };

	if (!v || !jt_value(&t, v, 0))
		return cJSON_PrintUnformatted(v);
	out = malloc(t.n + 1);
	if (!out)
		return NULL;
	memcpy(out, buf, t.n);
	out[t.n] = '\0';
	return out;
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

/*
 * The string a field of fs holds, copied into out (n bytes, cut to fit),
 * or NULL when the field is absent, null or not a string.
 */
static const char *fs_str(const struct store_fieldset *fs, const char *name,
			  char *out, size_t n)
{
	const struct store_field *f = store_fieldset_find(fs, name);
	const char *q = f && f->value[0] == '"' ?
		strpbrk(f->value + 1, "\"\\") : NULL;
	cJSON *v;
	const char *ret = NULL;

	/* "text" without an escape, what a stored string mostly is: no parse. */
	if (q && *q == '"') {
		size_t len = (size_t)(q - f->value - 1);

		if (len >= n)
			len = n - 1;
		memcpy(out, f->value + 1, len);
		out[len] = '\0';
		return out;
	}
	v = f ? cJSON_Parse(f->value) : NULL;
	if (cJSON_IsString(v)) {
		copy_str(out, n, v->valuestring);
		ret = out;
	}
	cJSON_Delete(v);
	return ret;
}

int merge_field_derived(const char *kind, const char *field)
{
	return strcmp(kind, "household") == 0 && strcmp(field, "status") == 0;
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
	struct store_field sf_small[16], *sf = NULL;
	struct store_history h_small[16], *h = NULL;
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
	/* Every member of sf[i] and h[i] is set below. */
	sf = w->n < 16 ? sf_small : malloc((w->n + 1) * sizeof(*sf));
	h = w->n < 16 ? h_small : malloc((w->n + 1) * sizeof(*h));
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
	if (sf != sf_small)
		free(sf);
	if (h != h_small)
		free(h);
	return rc;
}

enum huce_err merge_central_write(struct central *c, const char *kind,
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
		char *text = json_text(v);

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
	ta = json_text(cJSON_GetObjectItemCaseSensitive(a, "value"));
	tb = json_text(cJSON_GetObjectItemCaseSensitive(b, "value"));
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
	ret = merge_central_write(c, "conflict", cid, rowv, DEV_CENTRAL, err);
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
 * What a cadre calls a record in a refusal: a household by its head,
 * village and group ("刀建华 (阿猛村 一组)"), another record by its
 * name, and by its id only when the central knows no name for it.
 * fields (may be NULL) is the record's state after the change, read
 * before the store: a household being registered is not stored yet.
 */
static void record_label(struct central *c, const char *id,
			 const cJSON *fields, char *out, size_t n)
{
	names_label(c->store, id, fields, out, n);
}

/*
 * The fields of a change are read from the batch as they are (borrowed,
 * *owned 0) until a step must change them: then *in becomes a copy of
 * its own (*owned 1), which the step changes.  NULL on OOM.
 */
static cJSON *input_own(cJSON **in, int *owned)
{
	cJSON *copy;

	if (*owned)
		return *in;
	copy = cJSON_Duplicate(*in, 1);
	if (!copy)
		return NULL;
	*in = copy;
	*owned = 1;
	return copy;
}

/*
 * Check that every reference names an existing record of the right
 * kind.  A reference to a household merged into another follows
 * merged_into, so an inspection recorded offline for the losing id of a
 * duplicate lands on the kept one.
 */
static enum huce_err check_refs(struct central *c,
				const struct huce_kind_def *k, cJSON **in,
				int *owned, int *repointed, struct verdict *vd,
				struct huce_error *err)
{
	struct store *s = c->store;
	struct store_fieldset fs = { 0 };
	cJSON *v;
	enum huce_err ret = HUCE_OK;

	cJSON_ArrayForEach(v, *in) {
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
			/* Keys are unique (has_duplicate_keys): v's in the copy. */
			cJSON *mine = input_own(in, owned) ?
				cJSON_GetObjectItemCaseSensitive(*in, v->string) : NULL;

			if (!mine || !cJSON_SetValuestring(mine, target)) {
				ret = oom(err);
				goto out;
			}
			v = mine;
			*repointed = 1;
		}
	}
out:
	store_fieldset_release(&fs);
	return ret;
}

/*
 * The first-toilet gate (首厕过关) at the central, the one function every
 * way of giving a household a team goes through: a device's change, the
 * office's import, a resolution (--take or --value on team_id), a
 * laptop restored from an old copy sending an old assignment again.
 * The team's other live households and whether one of them has ever
 * passed an acceptance inspection that is not voided (which a derived
 * "accepted" implies) come from the store (store_team_gate); the rule
 * is huce_gate_open().
 */
static enum huce_err gate_check(struct central *c, const char *id,
				const cJSON *post, const char *team,
				struct verdict *vd, struct huce_error *err)
{
	char q[HUCE_ID_STRLEN + 3], other[HUCE_ID_STRLEN + 1];
	char hh[LABEL_MAX], tname[LABEL_MAX], first[LABEL_MAX];
	int passed = 0;
	enum huce_err ret;

	quote_id(q, sizeof(q), team);
	ret = store_team_gate(c->store, q, id, other, &passed, err);
	if (ret)
		return ret;
	if (huce_gate_open(other[0] != '\0', passed))
		return HUCE_OK;
	record_label(c, id, post, hh, sizeof(hh));
	record_label(c, team, NULL, tname, sizeof(tname));
	record_label(c, other, NULL, first, sizeof(first));
	return refuse(vd, "gate",
		      "household %s cannot go to team %s: the team has "
		      "not passed its first toilet (首厕过关), household "
		      "%s, which must be accepted before the team is "
		      "given another. Give the household another team, "
		      "or retry once that toilet is accepted",
		      hh, tname, first);
}

/*
 * Household rules that span fields or records, on the state after the
 * change, when the change sets the team or the build mode: a contracted
 * (统建) toilet names its team and a self-built one has none
 * (huce_build_team_check), and a household given a new team passes the
 * first-toilet gate.
 */
static enum huce_err check_household(struct central *c, const char *id,
				     const cJSON *in, const cJSON *post,
				     const char *old_team, struct verdict *vd,
				     struct huce_error *err)
{
	const char *team = str_field(post, "team_id");
	struct huce_error derr = { 0 };
	char hh[LABEL_MAX];

	if (!cJSON_GetObjectItemCaseSensitive(in, "team_id") &&
	    !cJSON_GetObjectItemCaseSensitive(in, "build"))
		return HUCE_OK;
	if (huce_build_team_check(str_field(post, "build"), team, &derr)) {
		record_label(c, id, post, hh, sizeof(hh));
		return refuse(vd, "invalid", "household %s: %s", hh, derr.msg);
	}
	if (!team || (old_team && strcmp(old_team, team) == 0))
		return HUCE_OK;
	return gate_check(c, id, post, team, vd, err);
}

/*
 * Whether the change in sets field name to a value other than the one
 * stored (fs): a rule is checked on what a change brings, so that a
 * laptop restored from an old copy, sending again what the central has,
 * is not refused for a rule that came later.
 */
static int sets_new(const cJSON *in, const struct store_fieldset *fs,
		    const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
	const struct store_field *cur;
	char *text;
	int diff;

	if (!v)
		return 0;
	cur = store_fieldset_find(fs, name);
	if (!cur)
		return 1;
	text = json_text(v);
	diff = !text || strcmp(text, cur->value) != 0;
	free(text);
	return diff;
}

/*
 * Phones and GPS positions (huce_phone_check, huce_gps_check), in any
 * kind that has them, when the change sets a new one.  A value the rule
 * refuses is refused here with the rule's reason.  A laptop's value the
 * rule takes is stored as sent: the central never rewrites a device's
 * value, which would leave the laptop's copy different from the
 * central's.  The office's values (an import, a resolution) are stored
 * in the rule's canonical form.
 */
static enum huce_err check_formats(const struct huce_kind_def *k, cJSON **in,
				   int *owned, const struct store_fieldset *fs,
				   int canonical, struct verdict *vd,
				   struct huce_error *err)
{
	static const char *const names[] = { "phone", "gps" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(*in, names[i]);
		struct huce_error ferr = { 0 };
		char out[64];
		enum huce_err rc;

		if (!cJSON_IsString(v) || !v->valuestring[0] ||
		    !sets_new(*in, fs, names[i]))
			continue;
		/* A device's value is stored as sent: its form is not printed. */
		rc = i == 0 ? huce_phone_check(v->valuestring, canonical ? out : NULL,
					       sizeof(out), &ferr)
			    : huce_gps_check(v->valuestring, canonical ? out : NULL,
					     sizeof(out), &ferr);
		if (rc)
			return refuse(vd, "invalid", "%s: %s", k->kind, ferr.msg);
		if (!canonical || strcmp(out, v->valuestring) == 0)
			continue;
		v = input_own(in, owned) ?
			cJSON_GetObjectItemCaseSensitive(*in, names[i]) : NULL;
		if (!v || !cJSON_SetValuestring(v, out))
			return oom(err);
	}
	return HUCE_OK;
}

/*
 * Each inspector of an inspection (names joined by 、, as the laptop
 * writes them) is a cadre the central knows.  A cadre's id is derived
 * from its name (huce_id_named("cadre", NULL, name), as `huce cadre
 * add` and the office's import make it), so each name is one
 * primary-key seek.
 */
static enum huce_err check_inspectors(struct central *c, const char *names,
				      struct verdict *vd,
				      struct huce_error *err)
{
	static const char sep[] = "、";
	const char *p = names;

	while (p) {
		const char *end = strstr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[256], cid[HUCE_ID_STRLEN + 1];
		struct store_record r;
		struct huce_error gerr = { 0 };
		enum huce_err ret;

		if (!len || len >= sizeof(name))
			return refuse(vd, "invalid",
				      "inspection.inspectors: '%.80s' is not a list "
				      "of cadres' names joined by 、", names);
		memcpy(name, p, len);
		name[len] = '\0';
		huce_id_named("cadre", NULL, name, cid);
		ret = store_record_get(c->store, cid, &r, &gerr);
		if (ret && ret != HUCE_ENOTFOUND)
			return huce_fail(err, ret, "%s", gerr.msg);
		if (ret || r.deleted || strcmp(r.kind, "cadre") != 0)
			return refuse(vd, "invalid",
				      "inspection.inspectors: '%s' is not a cadre "
				      "known to the central (add the cadre first: "
				      "huce cadre add NAME --role inspector)", name);
		p = end ? end + strlen(sep) : NULL;
	}
	return HUCE_OK;
}

/*
 * Construction progress (开工 started, 完工 finished) as the laptop
 * checks it (huce_progress_check): real dates, no later than the
 * central's today plus one day, a new finish on or after the start.
 * Checked only when the change brings a new date, as phones are.
 */
static enum huce_err check_progress(struct central *c, const char *id,
				    const cJSON *in, const cJSON *post,
				    const struct store_fieldset *fs,
				    struct verdict *vd)
{
	int new_start = sets_new(in, fs, "started");
	int new_finish = sets_new(in, fs, "finished");
	struct huce_error derr = { 0 };
	char today[11], hh[LABEL_MAX];

	if (!new_start && !new_finish)
		return HUCE_OK;
	huce_today(today);
	if (!huce_progress_check(str_field(post, "started"),
				 str_field(post, "finished"), new_finish, today,
				 &derr))
		return HUCE_OK;
	record_label(c, id, post, hh, sizeof(hh));
	return refuse(vd, "invalid", "household %s: %s", hh, derr.msg);
}

/*
 * The rules of an inspection that are not its checklist: its date is
 * no later than the central's today (huce_inspection_date_check, one
 * day of slack), its inspectors are known cadres, and a voided
 * inspection stays voided (a void is evidence too, DESIGN.md 6.1); the
 * office may still correct a void by resolving a conflict on it.
 */
static enum huce_err check_inspection_facts(struct central *c,
					    const struct change *ch,
					    const cJSON *in, const cJSON *post,
					    const struct store_fieldset *fs,
					    int was_voided, struct verdict *vd,
					    struct huce_error *err)
{
	const cJSON *date = sets_new(in, fs, "date") ?
		cJSON_GetObjectItemCaseSensitive(in, "date") : NULL;
	const cJSON *names = sets_new(in, fs, "inspectors") ?
		cJSON_GetObjectItemCaseSensitive(in, "inspectors") : NULL;
	const char *voided = str_field(post, "voided");
	struct huce_error derr = { 0 };
	char today[11];

	if (cJSON_IsString(date)) {
		huce_today(today);
		if (huce_inspection_date_check(date->valuestring, today, &derr))
			return refuse(vd, "invalid", "inspection.%s", derr.msg);
	}
	if (was_voided && (!voided || !voided[0]) && !ch->trusted)
		return refuse(vd, "invalid",
			      "inspection %s is voided: a void is not undone; "
			      "record a new inspection instead", ch->id);
	if (cJSON_IsString(names))
		return check_inspectors(c, names->valuestring, vd, err);
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
	struct huce_grade gr = { 0 };
	struct huce_error eerr = { 0 }, ferr = { 0 };
	char name[LABEL_MAX];
	const char **codes = NULL, **values = NULL;
	char (*nums)[32] = NULL;
	/* Up to 32 items (a checklist has fewer) need no allocation. */
	const char *codes_s[32], *values_s[32];
	char nums_s[32][32];
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
	if (!cJSON_IsString(type)) {
		record_label(c, hh, NULL, name, sizeof(name));
		ret = refuse(vd, "checklist", "household %s has no toilet type: "
			     "set its type, then retry the inspection", name);
		goto out;
	}
	if (items && !cJSON_IsNull(items) && !cJSON_IsObject(items)) {
		ret = refuse(vd, "invalid", "inspection.items must be an object");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(cJSON_IsObject(items) ? items : NULL);
	if (n <= 32) {
		codes = codes_s;
		values = values_s;
		nums = nums_s;
	} else {
		codes = calloc(n, sizeof(*codes));
		values = calloc(n, sizeof(*values));
		nums = calloc(n, sizeof(*nums));
	}
	if (!codes || !values || !nums) {
		ret = oom(err);
		goto out;
	}
	if (cJSON_IsObject(items)) {
		cJSON_ArrayForEach(it, items) {
			codes[i] = it->string;
			if (cJSON_IsNumber(it)) {
				double d = it->valuedouble;

				/*
				 * The checklist reads the number back with
				 * strtod: any text of exactly d will do, and an
				 * integer's or a short decimal's needs no printf.
				 */
				if (d > -1e15 && d < 1e15 &&
				    d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
					values[i] = int_text((int64_t)d,
							     nums[i] + sizeof(nums[i]));
				} else if (!(values[i] = short_decimal(d, nums[i]))) {
					snprintf(nums[i], sizeof(nums[i]), "%.17g", d);
					values[i] = nums[i];
				}
			} else if (cJSON_IsBool(it)) {
				values[i] = cJSON_IsTrue(it) ? "pass" : "fail";
			} else if (cJSON_IsString(it)) {
				values[i] = it->valuestring;
			} else {
				record_label(c, hh, NULL, name, sizeof(name));
				ret = refuse(vd, "checklist",
					     "%s inspection of household %s: item "
					     "'%.40s' must be a number or true/false",
					     stage, name, it->string);
				goto out;
			}
			i++;
		}
	}
	if (huce_checklist_grade(c->checklists, type->valuestring, stage_no,
				 n, codes, values, &gr, &eerr)) {
		record_label(c, hh, NULL, name, sizeof(name));
		ret = refuse(vd, "checklist", "%s inspection of household %s: %s",
			     stage, name, eerr.msg);
		goto out;
	}
	if (result && strcmp(result, "pass") == 0 && gr.nveto) {
		record_label(c, hh, NULL, name, sizeof(name));
		ret = refuse(vd, "checklist",
			     "%s inspection of household %s: critical item '%s' "
			     "failed, so the result cannot be pass",
			     stage, name,
			     gr.first_veto);
		goto out;
	}
out:
	cJSON_Delete(type);
	free(tv);
	if (codes != codes_s) {
		free(codes);
		free(values);
		free(nums);
	}
	return ret;
}

/* "a/b" into out (n bytes), cut to fit as snprintf cuts it. */
static void join_key(char *out, size_t n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), o = 0;

	if (la > n - 1)
		la = n - 1;
	memcpy(out, a, la);
	o = la;
	if (o < n - 1)
		out[o++] = '/';
	if (lb > n - 1 - o)
		lb = n - 1 - o;
	memcpy(out + o, b, lb);
	out[o + lb] = '\0';
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
			join_key(out, n, g, norm);
		free(norm);
	} else if (strcmp(kind, "inspection") == 0) {
		const char *h = str_field(post, "household_id");
		const char *st = str_field(post, "stage");

		if (h && st)
			join_key(out, n, h, st);
	}
}

/* --- domain conflicts ----------------------------------------------------- */

struct twin_scan {
	const char *self;
	const char *self_hash;		/* may be NULL */
	cJSON *found;			/* array of {value: id, device, hlc} */
};

static enum huce_err twin_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct twin_scan *t = arg;
	const char *h = str_field(fields, "id_hash");
	const cJSON *o;
	cJSON *row;

	if (strcmp(r->id, t->self) == 0 || strcmp(r->kind, "household") != 0 ||
	    r->deleted)
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
 * The live households that are possible duplicates of rec: the same
 * group and normalised head name (its lookup key), or the same ID hash
 * (id_hash may be NULL).  *found (caller frees) is an array of conflict
 * values {value: id, device, hlc}.
 */
static enum huce_err scan_twins(struct central *c,
				const struct store_record *rec,
				const char *id_hash, cJSON **found,
				struct huce_error *err)
{
	struct twin_scan t = { rec->id, id_hash, cJSON_CreateArray() };
	enum huce_err ret = HUCE_OK;

	*found = NULL;
	if (!t.found)
		return oom(err);
	if (rec->key[0])
		ret = store_by_key(c->store, "household", rec->key, rec->id,
				   twin_visit, &t, err);
	if (!ret && id_hash) {
		char q[160];

		snprintf(q, sizeof(q), "\"%s\"", id_hash);
		ret = store_by_field(c->store, "id_hash", q, rec->id, twin_visit,
				     &t, err);
	}
	if (ret == HUCE_ENOMEM)
		ret = oom(err);
	if (ret) {
		cJSON_Delete(t.found);
		return ret;
	}
	*found = t.found;
	return HUCE_OK;
}

/* The id of the duplicate conflict of households a and b. */
static void twin_conflict_id(const char *a, const char *b,
			     char cid[HUCE_ID_STRLEN + 1])
{
	const char *lo = strcmp(a, b) < 0 ? a : b;
	const char *hi = lo == a ? b : a;
	char name[64];

	snprintf(name, sizeof(name), "#duplicate:%s", hi);
	huce_id_named("conflict", lo, name, cid);
}

/*
 * A household just created (and still live at the end of its batch: one
 * deleted before it ever synced is no duplicate) and another live
 * household with the same group and normalised head name, or the same
 * ID hash, are a possible duplicate (registered twice offline).  Each
 * pair is one "duplicate" conflict.
 */
static enum huce_err find_twins(struct central *c,
				const struct store_record *rec,
				const char *id_hash, struct huce_error *err)
{
	enum huce_err ret;
	cJSON *found = NULL, *pair = NULL;
	const cJSON *o;

	ret = scan_twins(c, rec, id_hash, &found, err);
	cJSON_ArrayForEach(o, found) {
		const char *other = str_field(o, "value");
		char cid[HUCE_ID_STRLEN + 1];

		if (ret)
			break;
		pair = cJSON_CreateArray();
		if (!pair || !add_val_str(pair, rec->id, rec->created_by,
					  rec->created_hlc) ||
		    !cJSON_AddItemToArray(pair, cJSON_Duplicate(o, 1))) {
			ret = oom(err);
			break;
		}
		twin_conflict_id(rec->id, other, cid);
		ret = conflict_note(c, cid, "duplicate",
				    strcmp(rec->id, other) < 0 ? rec->id : other,
				    NULL, pair, err);
		cJSON_Delete(pair);
		pair = NULL;
	}
	cJSON_Delete(pair);
	cJSON_Delete(found);
	return ret;
}

/*
 * A household just deleted settles the open duplicate conflicts it was
 * part of: one of the two is gone, so there is nothing left to merge.
 * (Its put and its delete in two batches: a record deleted before it
 * synced is never left standing as half of a duplicate.)
 */
static enum huce_err close_twins(struct central *c,
				 const struct store_record *rec,
				 const char *id_hash, struct huce_error *err)
{
	enum huce_err ret;
	cJSON *found = NULL, *done = NULL;
	const cJSON *o;
	char text[96];

	ret = scan_twins(c, rec, id_hash, &found, err);
	snprintf(text, sizeof(text), "household %s was deleted", rec->id);
	done = cJSON_CreateObject();
	if (!ret && (!done || !cJSON_AddStringToObject(done, "status", "resolved") ||
		     !cJSON_AddStringToObject(done, "resolution", text)))
		ret = oom(err);
	cJSON_ArrayForEach(o, found) {
		char cid[HUCE_ID_STRLEN + 1], *st = NULL;
		struct huce_error gerr = { 0 };
		enum huce_err rc;

		if (ret)
			break;
		twin_conflict_id(rec->id, str_field(o, "value"), cid);
		rc = store_field_get(c->store, cid, "status", &st, &gerr);
		if (rc && rc != HUCE_ENOTFOUND)
			ret = huce_fail(err, rc, "%s", gerr.msg);
		else if (st && strcmp(st, "\"open\"") == 0)
			ret = merge_central_write(c, "conflict", cid, done,
						  DEV_CENTRAL, err);
		free(st);
	}
	cJSON_Delete(done);
	cJSON_Delete(found);
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
	const char *voided = str_field(fields, "voided");
	cJSON *o;

	/* A voided inspection counts for nothing: it is no rival. */
	if (strcmp(r->id, x->self) == 0 || strcmp(r->created_by, x->device) == 0 ||
	    r->version <= x->base || !res || !x->result ||
	    strcmp(res, x->result) == 0 || (voided && voided[0]))
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

/*
 * Note household id for merge_touched_finish(); outside an entry point
 * (c->touched NULL) there is nothing to note.  A failed allocation
 * sticks to the set and fails its finish.
 */
static void touch(struct central *c, const char *id, int flags)
{
	struct merge_touched *t = c->touched;

	if (!t || !huce_id_valid(id))
		return;
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 64;
		struct merge_touch *nv = realloc(t->v, na * sizeof(*nv));

		if (!nv) {
			t->oom = 1;
			return;
		}
		t->v = nv;
		t->alloc = na;
	}
	copy_str(t->v[t->n].id, sizeof(t->v[t->n].id), id);
	t->v[t->n++].flags = flags;
}

/* A record just deleted: its household (or itself) is revisited. */
static void touch_deleted(struct central *c, const struct store_record *rec,
			  const struct store_fieldset *fs)
{
	char hh[HUCE_ID_STRLEN + 1];

	if (strcmp(rec->kind, "household") == 0)
		touch(c, rec->id, MERGE_TOUCH_DELETED);
	else if (strcmp(rec->kind, "inspection") == 0 &&
		 fs_str(fs, "household_id", hh, sizeof(hh)))
		touch(c, hh, 0);
}

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
		/* A field the central derived (a status) is nobody's edit. */
		if (f->version <= ch->base || strcmp(f->device, ch->device) == 0 ||
		    strcmp(f->device, DEV_CENTRAL) == 0)
			continue;
		if (!best || stamp_cmp(f->hlc, f->device, best->hlc, best->device) > 0)
			best = f;
	}
	if (stale) {
		huce_debug("device %s: delete of %s older than its own later "
			   "write, ignored", ch->device, rec->id);
	} else if (best) {	/* the record stays while the conflict is open */
		ret = note_delete_conflict(c, rec->id, ch->device, ch->hlc,
					   best->device, best->hlc, err);
	} else {
		ret = write_change(c, rec, 0, 1, &none, 1, ch->device, ch->hlc,
				   ch->seq, err);
		if (!ret)
			touch_deleted(c, rec, &fs);
	}
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

/* One change being applied: what the steps of apply_change() share. */
struct apply {
	const struct change *ch;
	const struct huce_kind_def *k;
	struct store_record rec;
	struct store_fieldset fs;	/* the stored fields */
	struct fwrites w;		/* the field writes decided */
	struct pending_conflict *pc;	/* one per field at most */
	struct pending_conflict pc_small[16];	/* pc for up to 15 fields */
	size_t npc;
	cJSON *in;			/* the fields to apply (input_own) */
	cJSON *post;			/* the state after the change */
	int in_owned;			/* in is a copy, not ch->fields */
	int exists, post_is_in, repointed;
	int del_change;			/* -1 none, 0 undelete */
	int del_conflict;		/* an edit racing a delete */
	int revived;			/* an edit to a deleted record: live again */
	int was_voided;			/* an inspection voided before */
	char old_team[HUCE_ID_STRLEN + 1];	/* "" for none */
	char old_hh[HUCE_ID_STRLEN + 1];	/* an inspection's household */
};

static void apply_release(struct apply *a)
{
	for (size_t i = 0; a->pc && i < a->npc; i++)
		cJSON_Delete(a->pc[i].vals);
	if (a->pc != a->pc_small)
		free(a->pc);
	if (!a->post_is_in)
		cJSON_Delete(a->post);
	if (a->in_owned)
		cJSON_Delete(a->in);
	fwrites_release(&a->w);
	store_fieldset_release(&a->fs);
}

/*
 * Drop the fields the central derives from a change's copy: a device's
 * household status is ignored, not refused (laptops that predate the
 * derived status still send it), and counted.
 */
static enum huce_err strip_derived(struct central *c, const struct change *ch,
				   cJSON **in, int *owned)
{
	cJSON *v, *next;

	for (v = (*in)->child; v; v = v->next)
		if (v->string && merge_field_derived(ch->kind, v->string))
			break;
	if (!v)
		return HUCE_OK;
	if (!input_own(in, owned))
		return HUCE_ENOMEM;
	for (v = (*in)->child; v; v = next) {
		next = v->next;
		if (!v->string || !merge_field_derived(ch->kind, v->string))
			continue;
		if (!ch->trusted) {
			c->status_ignored++;
			huce_debug("device %s seq %lld: %s.%s of %s ignored: the "
				   "central derives it", ch->device,
				   (long long)ch->seq, ch->kind, v->string, ch->id);
		}
		cJSON_Delete(cJSON_DetachItemViaPointer(*in, v));
	}
	return HUCE_OK;
}

/* The fields of the change: copied, stripped, checked, references followed. */
static enum huce_err apply_input(struct central *c, struct apply *a,
				 struct verdict *vd, struct huce_error *err)
{
	const struct change *ch = a->ch;
	struct huce_error cerr = { 0 };

	if (has_duplicate_keys(ch->fields))
		return refuse(vd, "invalid", "%s: a field is given twice", a->k->kind);
	/* Read as sent; copied only by a step that changes it (input_own). */
	a->in = (cJSON *)ch->fields;
	if (strip_derived(c, ch, &a->in, &a->in_owned))
		return oom(err);
	if (huce_record_check(a->k, a->in, !a->exists, 1, &cerr))
		return refuse(vd, "invalid", "%s", cerr.msg);
	return check_refs(c, a->k, &a->in, &a->in_owned, &a->repointed, vd, err);
}

/* What is stored, and the state after the change to start from. */
static enum huce_err apply_state(struct central *c, struct apply *a,
				 struct huce_error *err)
{
	const struct change *ch = a->ch;
	char reason[8];
	enum huce_err ret;
	size_t n;

	if (a->exists) {
		ret = store_fields_get(c->store, ch->id, &a->fs, err);
		if (ret)
			return ret;
		if (a->rec.deleted) {
			a->del_change = 0;
			a->revived = 1;
			a->del_conflict = ch->base < a->rec.del_version &&
				strcmp(ch->device, a->rec.del_device) != 0;
		}
		fs_str(&a->fs, "team_id", a->old_team, sizeof(a->old_team));
		fs_str(&a->fs, "household_id", a->old_hh, sizeof(a->old_hh));
		a->was_voided = fs_str(&a->fs, "voided", reason, sizeof(reason)) &&
				reason[0];
	} else {
		memset(&a->rec, 0, sizeof(a->rec));
		copy_str(a->rec.id, sizeof(a->rec.id), ch->id);
		copy_str(a->rec.kind, sizeof(a->rec.kind), a->k->kind);
	}
	/*
	 * The state after the change.  A new record's is its input, every
	 * field of which is written (absent is null): no copy is needed
	 * unless a null must be left out.
	 */
	a->post_is_in = !a->exists && !has_null_member(a->in);
	a->post = a->post_is_in ? a->in : store_fieldset_json(&a->fs);
	n = (size_t)cJSON_GetArraySize(a->in) + 1;
	a->pc = n <= sizeof(a->pc_small) / sizeof(a->pc_small[0]) ? a->pc_small :
		calloc(n, sizeof(*a->pc));
	if (!a->post || !a->pc)
		return oom(err);
	return HUCE_OK;
}

/* A field conflict (cur set) or a refresh of the device's value (cur NULL). */
static enum huce_err pending_add(struct apply *a, const char *field,
				 const struct store_field *cur,
				 const char *text, struct huce_error *err)
{
	cJSON *vals = cJSON_CreateArray();

	if (!vals || (cur && !add_val_text(vals, cur->value, cur->device,
					   cur->hlc)) ||
	    !add_val_text(vals, text, a->ch->device, a->ch->hlc)) {
		cJSON_Delete(vals);
		return oom(err);
	}
	a->pc[a->npc].field = field;
	a->pc[a->npc].refresh = !cur;
	a->pc[a->npc++].vals = vals;
	return HUCE_OK;
}

/* Decide each field (decide_field, DESIGN.md section 4) into a->w. */
static enum huce_err decide_fields(struct apply *a, struct huce_error *err)
{
	const struct change *ch = a->ch;
	const struct merge_stamp in = { 0, ch->hlc, ch->device };
	cJSON *v;

	cJSON_ArrayForEach(v, a->in) {
		const struct store_field *cur = store_fieldset_find(&a->fs, v->string);
		struct merge_stamp st = { 0, "", "" };
		struct merge_decision d;
		char *text = json_text(v);
		int equal, write = 0, stamp = 0;
		enum huce_err ret = HUCE_OK;

		if (!text)
			return oom(err);
		if (cur)
			st = (struct merge_stamp){ cur->version, cur->hlc, cur->device };
		equal = cur ? same_value(cur->value, text) : cJSON_IsNull(v);
		d = decide_field(ch->base, cur ? &st : NULL, &in, equal, ch->trusted);
		if (d.outcome == MERGE_TAKE) {
			write = 1;
		} else if (d.outcome == MERGE_SAME) {
			stamp = d.incoming_wins;
		} else if (d.outcome == MERGE_CONFLICT) {
			ret = pending_add(a, v->string, cur, text, err);
			write = d.incoming_wins;
		}
		/* Its own earlier edit, unseen: it may be in a conflict. */
		if (!ret && d.refresh)
			ret = pending_add(a, v->string, NULL, text, err);
		if (ret || (!write && !stamp)) {
			free(text);
			if (ret)
				return ret;
			continue;
		}
		if (fwrites_add(&a->w, v->string, text, cur, stamp))
			return oom(err);
		if (a->repointed && cJSON_IsString(v)) {
			const char *sent = str_field(ch->fields, v->string);

			a->w.v[a->w.n - 1].repointed = sent &&
				strcmp(sent, v->valuestring) != 0;
		}
		if (write && !a->post_is_in) {
			cJSON *dup = cJSON_Duplicate(v, 1);

			if (!dup)
				return oom(err);
			cJSON_DeleteItemFromObjectCaseSensitive(a->post, v->string);
			cJSON_AddItemToObject(a->post, v->string, dup);
		}
	}
	return HUCE_OK;
}

/* The rules on the state after the change (docs/MERGE.md section 3). */
static enum huce_err apply_rules(struct central *c, struct apply *a,
				 struct verdict *vd, struct huce_error *err)
{
	const struct change *ch = a->ch;
	enum huce_err ret;

	if (ch->nochecks)
		return HUCE_OK;
	if (strcmp(a->k->kind, "household") == 0) {
		ret = check_progress(c, ch->id, a->in, a->post, &a->fs, vd);
		if (ret || vd->code)
			return ret;
		/*
		 * An edit of a deleted household brings it back (DESIGN 4: an
		 * edit concurrent with a delete): with its team, it takes a
		 * place in that team again, so it passes the gate again.
		 */
		if (a->exists && a->rec.deleted && str_field(a->post, "team_id")) {
			ret = gate_check(c, ch->id, a->post,
					 str_field(a->post, "team_id"), vd, err);
			if (ret || vd->code)
				return ret;
		}
		return check_household(c, ch->id, a->in, a->post,
				       a->old_team[0] ? a->old_team : NULL, vd, err);
	}
	if (strcmp(a->k->kind, "inspection") != 0)
		return HUCE_OK;
	ret = check_inspection_facts(c, ch, a->in, a->post, &a->fs, a->was_voided,
				     vd, err);
	if (ret || vd->code)
		return ret;
	if (!a->exists || cJSON_GetObjectItemCaseSensitive(a->in, "items") ||
	    cJSON_GetObjectItemCaseSensitive(a->in, "result") ||
	    cJSON_GetObjectItemCaseSensitive(a->in, "stage"))
		return check_inspection(c, a->post, vd, err);
	return HUCE_OK;
}

/* Write the record, its conflicts, and note the households it touches. */
static enum huce_err apply_write(struct central *c, struct apply *a,
				 struct huce_error *err)
{
	const struct change *ch = a->ch;
	char key[STORE_KEY_MAX + 1];
	int rec_dirty;
	enum huce_err ret;

	record_key(a->k->kind, a->post, key, sizeof(key));
	rec_dirty = strcmp(key, a->rec.key) != 0;
	copy_str(a->rec.key, sizeof(a->rec.key), key);
	ret = write_change(c, &a->rec, !a->exists, rec_dirty, &a->w,
			   a->del_change, ch->device, ch->hlc, ch->seq, err);
	for (size_t i = 0; !ret && i < a->npc; i++) {
		char cid[HUCE_ID_STRLEN + 1];

		huce_id_named("conflict", ch->id, a->pc[i].field, cid);
		if (a->pc[i].refresh)
			ret = conflict_refresh(c, cid, ch->id, a->pc[i].field,
					       a->pc[i].vals, err);
		else
			ret = conflict_note(c, cid, "field", ch->id, a->pc[i].field,
					    a->pc[i].vals, err);
	}
	if (!ret && a->del_conflict)
		ret = note_delete_conflict(c, ch->id, a->rec.del_device,
					   a->rec.del_hlc, ch->device, ch->hlc, err);
	if (ret)
		return ret;
	if (strcmp(a->k->kind, "household") == 0) {
		/* A household live again is looked at like a new one: the
		 * duplicate it was in was settled when it was deleted. */
		touch(c, ch->id, a->exists && !a->revived ? 0 : MERGE_TOUCH_CREATED);
	} else if (strcmp(a->k->kind, "inspection") == 0) {
		touch(c, str_field(a->post, "household_id"), 0);
		if (a->old_hh[0])
			touch(c, a->old_hh, 0);
		if (!a->exists)
			ret = find_rivals(c, ch, &a->rec, a->post, err);
	}
	/* A cadre's change answers the office's issues (huce_review.h). */
	if (!ret && !ch->trusted)
		ret = review_after_change(c, a->k->kind, ch->id, a->post,
					  ch->device, err);
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
	struct huce_error gerr = { 0 };
	struct apply a;
	enum huce_err ret;

	memset(&a, 0, sizeof(a));
	a.ch = ch;
	a.del_change = -1;
	vd->code = NULL;
	a.k = huce_kind_find(ch->kind);
	if (!a.k)
		return refuse(vd, "invalid", "unknown kind '%.31s'", ch->kind);
	if (!ch->trusted && !a.k->device_writable)
		return refuse(vd, "forbidden", "devices may not write %s records",
			      a.k->kind);
	ret = store_record_get(c->store, ch->id, &a.rec, &gerr);
	if (ret && ret != HUCE_ENOTFOUND)
		return huce_fail(err, ret, "%s", gerr.msg);
	a.exists = ret == HUCE_OK;
	if (a.exists && strcmp(a.rec.kind, a.k->kind) != 0)
		return refuse(vd, "invalid", "record %s is a %s, not a %s", ch->id,
			      a.rec.kind, a.k->kind);
	if (a.exists && ch->creating)
		return refuse(vd, "invalid", "%s %s exists already", a.k->kind, ch->id);
	if (ch->del) {
		if (!a.exists)
			return refuse(vd, "notfound", "%s %s not found", a.k->kind,
				      ch->id);
		return apply_delete(c, ch, &a.rec, err);
	}
	/*
	 * A device's HLCs grow with its seqs, so an entry of a device
	 * older than that device's own stored stamp is a file restored
	 * from an older copy sending again what it had not sent (its
	 * entries renumbered, PROTOCOL.md 2.1): the device's later
	 * delete, and (decide_field) its later value of a field, stand.
	 * Not for the office: its stamps may carry a device's HLC (a
	 * re-pointed reference), which need not be older than its own.
	 */
	if (!ch->trusted && a.exists && a.rec.deleted &&
	    strcmp(a.rec.del_device, ch->device) == 0 &&
	    strcmp(ch->hlc, a.rec.del_hlc) < 0)
		return HUCE_OK;

	ret = apply_input(c, &a, vd, err);
	/*
	 * Nothing left once the derived fields are gone (an old laptop's
	 * status of a household): no change at all, so no undelete either.
	 */
	if (!ret && !vd->code && a.exists && !ch->trusted && !a.in->child) {
		apply_release(&a);
		return HUCE_OK;
	}
	if (!ret && !vd->code)
		ret = apply_state(c, &a, err);
	if (!ret && !vd->code && !ch->nochecks)
		ret = check_formats(a.k, &a.in, &a.in_owned, &a.fs, ch->trusted,
				    vd, err);
	/* A copy made by the formats is the new record's state too. */
	if (a.post_is_in)
		a.post = a.in;
	if (!ret && !vd->code)
		ret = decide_fields(&a, err);
	if (!ret && !vd->code)
		ret = apply_rules(c, &a, vd, err);
	if (!ret && !vd->code)
		ret = apply_write(c, &a, err);
	apply_release(&a);
	return ret;
}

/* --- households as a whole ------------------------------------------------ */

/* An inspection as the status machine needs it, copied out of a visit. */
struct fact {
	char id[HUCE_ID_STRLEN + 1];
	char date[11];
	int stage, pass, voided;
};

struct fact_scan {
	struct fact *v;
	size_t n, alloc;
};

/* The fields of an inspection fact_pick takes, in this order. */
static const char *const fact_fields[] = { "date", "stage", "result", "voided" };

static enum huce_err fact_pick(void *arg, const char *id, const char *kind,
			       const char *const *v)
{
	struct fact_scan *x = arg;
	const char *date = v[0], *result = v[2], *voided = v[3];
	struct fact *f;

	if (strcmp(kind, "inspection") != 0 || !date)
		return HUCE_OK;
	if (x->n == x->alloc) {
		size_t na = x->alloc ? x->alloc * 2 : 8;
		struct fact *nv = realloc(x->v, na * sizeof(*nv));

		if (!nv)
			return HUCE_ENOMEM;
		x->v = nv;
		x->alloc = na;
	}
	f = &x->v[x->n++];
	copy_str(f->id, sizeof(f->id), id);
	copy_str(f->date, sizeof(f->date), date);
	f->stage = huce_stage_parse(v[1]);
	f->pass = result && strcmp(result, "pass") == 0;
	f->voided = voided && voided[0];
	return HUCE_OK;
}

/*
 * Derive the status of the live household rec (its fields fs) from its
 * construction dates (started 开工, finished 完工) and its inspections
 * (huce_status_derive), and store it as a change of the central's when
 * it differs from the stored one, so that pulls carry it and the
 * history explains it.  No stored status is planned: a planned
 * household gets no change.
 */
/* What revisit reads of a household, copied out of its fields. */
struct hh_facts {
	char hash[80], started[16], finished[16], stored[32];
	const char *h, *start, *finish, *have;	/* into the above, or NULL */
	struct store_field status;	/* value owned; NULL: no status */
};

static enum huce_err hh_read(void *arg, const struct store_fieldset *fs)
{
	struct hh_facts *v = arg;
	const struct store_field *f = store_fieldset_find(fs, "status");

	v->h = fs_str(fs, "id_hash", v->hash, sizeof(v->hash));
	v->start = fs_str(fs, "started", v->started, sizeof(v->started));
	v->finish = fs_str(fs, "finished", v->finished, sizeof(v->finished));
	v->have = fs_str(fs, "status", v->stored, sizeof(v->stored));
	if (f) {
		v->status = *f;
		v->status.value = strdup(f->value ? f->value : "null");
		if (!v->status.value)
			return HUCE_ENOMEM;
	}
	return HUCE_OK;
}

static enum huce_err status_update(struct central *c, struct store_record *rec,
				   const struct hh_facts *hf,
				   struct huce_error *err)
{
	char q[HUCE_ID_STRLEN + 3];
	char hlc[HUCE_HLC_STRLEN + 1], *text;
	struct huce_insp_fact *facts = NULL;
	struct fact_scan x = { 0 };
	struct fwrites w = { 0 };
	const char *have, *name;
	enum huce_status st;
	enum huce_err ret;

	quote_id(q, sizeof(q), rec->id);
	ret = store_by_field_pick(c->store, "household_id", q, fact_fields,
				  sizeof(fact_fields) / sizeof(fact_fields[0]),
				  fact_pick, &x, err);
	if (ret == HUCE_ENOMEM)
		ret = oom(err);
	if (ret)
		goto out;
	facts = calloc(x.n ? x.n : 1, sizeof(*facts));
	if (!facts) {
		ret = oom(err);
		goto out;
	}
	for (size_t i = 0; i < x.n; i++)
		facts[i] = (struct huce_insp_fact){ x.v[i].id, x.v[i].date,
			x.v[i].stage, x.v[i].pass, x.v[i].voided };
	st = huce_status_derive(hf->start, hf->finish, facts, x.n, NULL);
	name = huce_status_name(st);
	have = hf->have;
	if (have ? strcmp(have, name) == 0 : st == HUCE_STATUS_PLANNED)
		goto out;
	text = malloc(strlen(name) + 3);
	if (!text) {
		ret = oom(err);
		goto out;
	}
	snprintf(text, strlen(name) + 3, "\"%s\"", name);
	if (fwrites_add(&w, "status", text,
			hf->status.value ? &hf->status : NULL, 0)) {
		ret = oom(err);
		goto out;
	}
	huce_hlc_format(store_hlc_tick(c->store), hlc);
	ret = write_change(c, rec, 0, 0, &w, -1, DEV_CENTRAL, hlc, 0, err);
	if (!ret)
		huce_debug("household %s: status %s -> %s", rec->id,
			   have ? have : "(none)", name);
out:
	fwrites_release(&w);
	free(facts);
	free(x.v);
	return ret;
}

/* Revisit household id (MERGE_TOUCH_* flags): twins, duplicates, status. */
static enum huce_err revisit(struct central *c, const char *id, int flags,
			     struct huce_error *err)
{
	struct store_record rec;
	struct hh_facts hf = { 0 };
	struct huce_error gerr = { 0 };
	enum huce_err ret;

	ret = store_record_get(c->store, id, &rec, &gerr);
	if (ret == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", gerr.msg);
	if (strcmp(rec.kind, "household") != 0)
		return HUCE_OK;
	/* Made and deleted before it ever synced: no twin, no status. */
	if (rec.deleted && (!(flags & MERGE_TOUCH_DELETED) ||
			    (flags & MERGE_TOUCH_CREATED)))
		return HUCE_OK;
	/* The few fields it needs, not a copy of them all. */
	ret = store_fields_view(c->store, id, hh_read, &hf, err);
	if (ret == HUCE_ENOMEM)
		ret = oom(err);
	if (!ret && rec.deleted) {
		ret = close_twins(c, &rec, hf.h, err);
	} else if (!ret) {
		if (flags & MERGE_TOUCH_CREATED)
			ret = find_twins(c, &rec, hf.h, err);
		if (!ret)
			ret = status_update(c, &rec, &hf, err);
	}
	free(hf.status.value);
	return ret;
}

static int touch_cmp(const void *pa, const void *pb)
{
	const struct merge_touch *a = pa, *b = pb;

	return strcmp(a->id, b->id);
}

void merge_touched_open(struct central *c, struct merge_touched *t)
{
	memset(t, 0, sizeof(*t));
	if (!c->touched)
		c->touched = t;
}

void merge_touched_close(struct central *c, struct merge_touched *t)
{
	if (c->touched == t)
		c->touched = NULL;
	free(t->v);
	memset(t, 0, sizeof(*t));
}

enum huce_err merge_touched_finish(struct central *c, struct merge_touched *t,
				   struct huce_error *err)
{
	enum huce_err ret = HUCE_OK;

	if (c->touched != t)
		return HUCE_OK;
	c->touched = NULL;	/* the revisits touch nothing more */
	if (t->oom)
		ret = oom(err);
	else if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), touch_cmp);
	for (size_t i = 0, j; !ret && i < t->n; i = j) {
		int flags = 0;

		for (j = i; j < t->n && strcmp(t->v[j].id, t->v[i].id) == 0; j++)
			flags |= t->v[j].flags;
		ret = revisit(c, t->v[i].id, flags, err);
	}
	merge_touched_close(c, t);
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

	/* Only a \u0000 is changed: a payload without one is not walked. */
	if (!p || !memmem(p, n, "\\u0000", 6))
		return;
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

/* The seven keys of a batch entry, as entry_parts() gives them. */
enum { EP_SEQ, EP_ID, EP_KIND, EP_OP, EP_BASE, EP_HLC, EP_FIELDS, EP__N };

/*
 * The members of entry e by key (NULL when absent), in one pass: false
 * when e has another key or one twice, as only_keys() says of it.
 */
static int entry_parts(const cJSON *e, const cJSON *part[EP__N])
{
	static const char *const keys[EP__N] = {
		"seq", "id", "kind", "op", "base", "hlc", "fields"
	};

	for (int k = 0; k < EP__N; k++)
		part[k] = NULL;
	for (const cJSON *a = e ? e->child : NULL; a; a = a->next) {
		int k;

		if (!a->string)
			return 0;
		for (k = 0; k < EP__N; k++)
			if (strcmp(a->string, keys[k]) == 0)
				break;
		if (k == EP__N || part[k])
			return 0;
		part[k] = a;
	}
	return 1;
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
		const cJSON *part[EP__N];
		const char *op, *hlc;
		int64_t seq, base;

		i++;
		if (!cJSON_IsObject(e) || !entry_parts(e, part))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry %d: must be an object with seq, "
					 "id, kind, op, base, hlc and fields", i);
		op = cJSON_GetStringValue(part[EP_OP]);
		hlc = cJSON_GetStringValue(part[EP_HLC]);
		if (json_int(part[EP_SEQ], 1, MAX_SEQ, &seq))
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
		if (!huce_id_valid(cJSON_GetStringValue(part[EP_ID])))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: id is not a record id",
					 (long long)seq);
		if (!cJSON_GetStringValue(part[EP_KIND]))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: kind must be a string",
					 (long long)seq);
		if (!op || (strcmp(op, "put") != 0 && strcmp(op, "delete") != 0))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: op must be put or delete",
					 (long long)seq);
		if (json_int(part[EP_BASE], 0, MAX_SEQ, &base))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: base must be an "
					 "integer >= 0", (long long)seq);
		if (!hlc || huce_hlc_parse(hlc, &ts))
			return huce_fail(err, HUCE_EINVAL,
					 "batch entry seq %lld: hlc must be 16 "
					 "lowercase hex digits", (long long)seq);
		if (!cJSON_IsObject(part[EP_FIELDS]))
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

struct idvec {
	const char **v;
	size_t n, alloc;
};

static int idvec_push(struct idvec *x, const char *id)
{
	if (x->n == x->alloc) {
		size_t na = x->alloc ? x->alloc * 2 : 256;
		const char **nv = realloc(x->v, na * sizeof(*nv));

		if (!nv)
			return -1;
		x->v = nv;
		x->alloc = na;
	}
	x->v[x->n++] = id;
	return 0;
}

/*
 * The records the entries of a batch name (beyond hwm: not replays),
 * and those their fields refer to (*_id), read in one query
 * (store_prefetch) before the entries are merged one by one.
 */
static enum huce_err prefetch(struct store *s, const cJSON *root, int64_t hwm,
			      struct huce_error *err)
{
	const cJSON *e, *f;
	struct idvec ids = { 0 };
	enum huce_err ret = HUCE_OK;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "entries")) {
		const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "seq");

		if ((int64_t)cJSON_GetNumberValue(seq) <= hwm)
			continue;
		if (idvec_push(&ids, str_field(e, "id")))
			ret = oom(err);
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "fields")) {
			size_t len = f->string ? strlen(f->string) : 0;

			if (ret || len < 3 || strcmp(f->string + len - 3, "_id") != 0 ||
			    !cJSON_IsString(f))
				continue;
			if (idvec_push(&ids, f->valuestring))
				ret = oom(err);
		}
		if (ret)
			break;
	}
	if (!ret)
		ret = store_prefetch(s, ids.v, ids.n, err);
	free(ids.v);
	return ret;
}

/*
 * Whether the store holds no review record (live or deleted): then no
 * change of this batch has a review to move (review_after_change), and
 * none can appear before the commit: devices do not write reviews
 * (huce_kind_def.device_writable) and the central rewrites only a review
 * that exists.  The transaction is open, so no other writer adds one.
 */
static enum huce_err reviews_none(struct central *c, struct huce_error *err)
{
	char ids[1][HUCE_ID_STRLEN + 1];
	size_t n = 0;
	enum huce_err ret;

	ret = store_id_match(c->store, "review", "", STORE_MATCH_PREFIX, ids, 1,
			     &n, err);
	c->no_reviews = !ret && n == 0;
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
	struct merge_touched touched;
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
	merge_touched_open(c, &touched);
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
	ret = prefetch(s, root, hwm, err);
	if (ret)
		goto out;
	ret = reviews_none(c, err);
	if (ret)
		goto out;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "entries")) {
		const cJSON *part[EP__N];
		struct change ch;
		struct verdict vd;
		uint64_t ts = 0;
		int64_t seq;

		entry_parts(e, part);	/* check_shape took it */
		seq = (int64_t)cJSON_GetNumberValue(part[EP_SEQ]);
		/* The entry at the new mark names it (PROTOCOL.md 2.1: acked_hlc). */
		if ((uint64_t)seq == h.last_seq)
			copy_str(last_hlc, sizeof(last_hlc),
				 cJSON_GetStringValue(part[EP_HLC]));
		if (seq <= hwm) {
			skipped++;	/* replay: acknowledged before */
			continue;
		}
		memset(&ch, 0, sizeof(ch));
		ch.id = cJSON_GetStringValue(part[EP_ID]);
		ch.kind = cJSON_GetStringValue(part[EP_KIND]);
		ch.del = strcmp(cJSON_GetStringValue(part[EP_OP]), "delete") == 0;
		ch.base = (int64_t)cJSON_GetNumberValue(part[EP_BASE]);
		copy_str(ch.hlc, sizeof(ch.hlc), cJSON_GetStringValue(part[EP_HLC]));
		ch.fields = part[EP_FIELDS];
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
	/* Every household the batch touched, once: twins, status. */
	ret = merge_touched_finish(c, &touched, err);
	/* Then the states of refused records, as the batch left them. */
	if (!ret)
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
	c->no_reviews = 0;
	merge_touched_close(c, &touched);
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
	return central_changes_scoped(c, after, limit, own, NULL, json, len, err);
}

/*
 * A page's number: its digits, as the cJSON tree printed them for every
 * version below 10^15 (beyond, the tree's "%1.17g" had lost digits).
 */
static enum huce_err page_number(struct huce_buf *b, int64_t v)
{
	return huce_buf_printf(b, "%" PRId64, v);
}

/*
 * The page is written as text straight into one buffer, the bytes the
 * tree {"changes":[raw...],"next","more","head"} printed: no raw item
 * per change, no printing and no copying of the whole page again (a
 * town's week, docs/PERFORMANCE.md).
 */
/* A page of a full store_changes_text() and its frame fit. */
_Static_assert(CENTRAL_PAGE_TEXT_MAX >= STORE_PAGE_BYTES_MAX +
	       STORE_CHANGE_BYTES_MAX + 256, "CENTRAL_PAGE_TEXT_MAX");

enum huce_err central_changes_text(struct central *c, int64_t after,
				   int limit, const char *own,
				   const cJSON *villages, struct huce_buf *out,
				   struct huce_error *err)
{
	size_t start = out->len;
	int64_t next = after, head = 0;
	int more = 0;
	enum huce_err ret;

	if (after < 0)
		after = 0;
	if (limit > CHANGES_MAX)
		limit = CHANGES_MAX;
	if (limit < 1)
		limit = 1;
	if (huce_buf_addstr(out, "{\"changes\":[")) {
		ret = oom(err);
		goto out;
	}
	ret = store_changes_text(c->store, after, limit, own, villages, out,
				 &next, &more, &head, err);
	if (ret)
		goto out;
	huce_buf_addstr(out, "],\"next\":");
	page_number(out, next);
	huce_buf_addstr(out, more ? ",\"more\":true,\"head\":" :
			",\"more\":false,\"head\":");
	page_number(out, head);
	if (huce_buf_add(out, "}", 1))
		ret = oom(err);
out:
	if (ret && !out->err && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return ret;
}

enum huce_err central_changes_scoped(struct central *c, int64_t after,
				     int limit, const char *own,
				     const cJSON *villages, char **json,
				     size_t *len, struct huce_error *err)
{
	struct huce_buf b = HUCE_BUF_INIT(CENTRAL_PAGE_TEXT_MAX);
	enum huce_err ret;
	size_t n;

	*json = NULL;
	if (len)
		*len = 0;
	ret = central_changes_text(c, after, limit, own, villages, &b, err);
	if (ret) {
		huce_buf_release(&b);
		return ret;
	}
	*json = huce_buf_detach(&b, &n);
	if (len)
		*len = n;
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

enum huce_err merge_gate_recheck(struct central *c, const char *id,
				 struct huce_error *err)
{
	struct verdict vd = { 0 };
	struct huce_error ferr = { 0 };
	char *tv = NULL;
	cJSON *team = NULL;
	enum huce_err ret;

	ret = store_field_get(c->store, id, "team_id", &tv, &ferr);
	if (ret == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (ret)
		return huce_fail(err, ret, "%s", ferr.msg);
	team = tv ? cJSON_Parse(tv) : NULL;
	if (cJSON_IsString(team))
		ret = gate_check(c, id, NULL, team->valuestring, &vd, err);
	if (!ret && vd.code)
		ret = verdict_error(&vd, err);
	cJSON_Delete(team);
	free(tv);
	return ret;
}

enum huce_err merge_office_change(struct central *c, const char *kind,
				  const char *id, int del, const cJSON *fields,
				  int creating, int nochecks,
				  struct huce_error *err)
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
	struct merge_touched t;
	enum huce_err ret;

	merge_touched_open(c, &t);
	ret = merge_office_change(c, kind, id, 0, fields, creating, 0, err);
	if (!ret)
		ret = merge_touched_finish(c, &t, err);
	merge_touched_close(c, &t);
	return ret;
}
