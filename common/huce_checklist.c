/*
 * huce_checklist.c - load, validate and apply the acceptance checklists.
 *
 * A checklist file may come from a county office rather than from us,
 * so it is treated like any other outside input: size-capped, checked
 * to be UTF-8 without control characters before cJSON sees it, parsed
 * with the length given (it need not be NUL-terminated), and then
 * walked with every key and type checked.  Unknown keys are errors: a
 * misspelt "mni" silently dropping a threshold would pass toilets that
 * should fail, which is worse than refusing the file.
 *
 * Grading is the other half.  The inspector's answers arrive as text;
 * each is matched to an item, parsed by the item's kind, checked
 * against the plausible range (a typo is an input error, not a failed
 * toilet) and then against the pass thresholds.  Results are built
 * only after every input has been accepted, so an error never leaves
 * anything half made.
 */
#include "huce_checklist.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "huce_buf.h"
#include "huce_i18n.h"
#include "huce_record.h"
#include "huce_schema.h"

#define NFILES 7		/* common.json and the six types */
#define MAX_CODE 64		/* bytes in an item code */
#define MAX_TEXT 512		/* bytes in a label, unit, source */
#define MAX_NOTE 4096		/* bytes in a free-text note */

/* File order: common first, then the toilet types; NULL-terminated. */
static const char *const file_types[NFILES + 1] = {
	"common", "three-grid", "double-urn", "biogas", "urine-diversion",
	"double-pit", "sewer", NULL
};

static const struct {
	const char *code, *label;
} type_names[] = {
	{ "three-grid",      "三格化粪池式" },
	{ "double-urn",      "双瓮漏斗式" },
	{ "biogas",          "三联通沼气池式" },
	{ "urine-diversion", "粪尿分集式" },
	{ "double-pit",      "双坑交替式" },
	{ "sewer",           "完整下水道水冲式" },
};

/* Short forms seen on county forms; "水冲式" alone is ambiguous, so absent. */
static const struct {
	const char *alias, *code;
} type_aliases[] = {
	{ "三格式",         "three-grid" },
	{ "三格化粪池",     "three-grid" },
	{ "三格式化粪池",   "three-grid" },
	{ "双瓮式",         "double-urn" },
	{ "双瓮漏斗",       "double-urn" },
	{ "三联通式",       "biogas" },
	{ "三联通沼气池",   "biogas" },
	{ "三联通",         "biogas" },
	{ "粪尿分集",       "urine-diversion" },
	{ "双坑式",         "double-pit" },
	{ "双坑交替",       "double-pit" },
	{ "完整下水道式",   "sewer" },
	{ "下水道水冲式",   "sewer" },
};

static const char *const stage_names[HUCE_STAGE__COUNT] = {
	"excavation", "pre-cover", "completion", "first-toilet",
	"re-inspection", "spot-check",
};

static const char *const photo_kinds[] = {
	"before", "excavation", "tank", "water-test", "room", "pan", "vent",
	"cover", "plaque", "after",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct checklist {
	char *label;
	size_t n;
	struct huce_checklist_item *items;
};

struct huce_checklists {
	struct checklist file[NFILES];
	/* Per file: its own items, then (for types) the common ones. */
	const struct huce_checklist_item **view[NFILES];
	size_t nview[NFILES];
};

int huce_stage_parse(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < HUCE_STAGE__COUNT; i++)
		if (strcmp(s, stage_names[i]) == 0)
			return i;
	return -1;
}

const char *huce_stage_name(int stage)
{
	if (stage < 0 || stage >= HUCE_STAGE__COUNT)
		return NULL;
	return stage_names[stage];
}

const char *const *huce_toilet_types(void)
{
	return file_types + 1;
}

const char *huce_toilet_type_label(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strcmp(code, type_names[i].code) == 0)
			return type_names[i].label;
	return NULL;
}

const char *huce_toilet_type_from_label(const char *zh)
{
	if (!zh)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strcmp(zh, type_names[i].label) == 0)
			return type_names[i].code;
	for (size_t i = 0; i < ARRAY_SIZE(type_aliases); i++)
		if (strcmp(zh, type_aliases[i].alias) == 0)
			return type_aliases[i].code;
	return NULL;
}

/* Index into file_types, or -1.  Index 0 ("common") only if allowed. */
static int file_index(const char *type, int allow_common)
{
	if (!type)
		return -1;
	for (int i = allow_common ? 0 : 1; i < NFILES; i++)
		if (strcmp(type, file_types[i]) == 0)
			return i;
	return -1;
}

/* ---- text checks ---------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, lowest;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, lowest = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, lowest = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, lowest = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < lowest || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* 1 when s is UTF-8 without control characters and at most max bytes. */
static int clean_text(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	if (len > max)
		return 0;
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(p + i, len - i);

		if (!k || (k == 1 && is_control(p[i])))
			return 0;
		i += k;
	}
	return 1;
}

/*
 * Copy at most 48 bytes of caller input into out for an error message,
 * replacing control characters and broken UTF-8 by '?' and marking a
 * cut with "...".  Messages must stay one printable line.
 */
static const char *shown(const char *s, char out[64])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), o = 0, i = 0;

	while (i < len && o < 48) {
		size_t k = utf8_seq(p + i, len - i);

		if (!k || (k == 1 && is_control(p[i]))) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k > 48)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- loading -------------------------------------------------------- */

/* Where we are in a file, for messages. */
struct pctx {
	const char *name;	/* file path or embedded name */
	int item;		/* 1-based item number, 0 outside items */
	const char *code;	/* the item's code once known */
	struct huce_error *err;
};

__attribute__((format(printf, 3, 4)))
static enum huce_err perr(struct pctx *x, enum huce_err code,
			  const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->item && x->code)
		return huce_fail(x->err, code, _("checklist '%s': item %d ('%s'): %s"),
				 x->name, x->item, x->code, msg);
	if (x->item)
		return huce_fail(x->err, code, _("checklist '%s': item %d: %s"),
				 x->name, x->item, msg);
	return huce_fail(x->err, code, _("checklist '%s': %s"), x->name, msg);
}

static void where(const char *data, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n') {
			++*line;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			++*col;
		}
	}
}

/*
 * The raw bytes must be UTF-8, and control characters may appear only
 * as JSON whitespace.  cJSON checks neither, and a label carrying an
 * escape sequence would end up on an inspector's terminal.
 */
static enum huce_err check_bytes(struct pctx *x, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	int line, col;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(p + i, len - i);

		if (!k) {
			where(data, i, &line, &col);
			return perr(x, HUCE_EENCODING,
				    _("not valid UTF-8 at line %d, column %d (save the file as UTF-8)"),
				    line, col);
		}
		if (k == 1 && is_control(p[i]) &&
		    p[i] != '\n' && p[i] != '\r' && p[i] != '\t') {
			where(data, i, &line, &col);
			return perr(x, HUCE_EINVAL,
				    _("control character 0x%02x at line %d, column %d"),
				    p[i], line, col);
		}
		i += k;
	}
	return HUCE_OK;
}

/*
 * Every member of obj must be one of keys[] and appear once.  Member
 * names come from the file, so they are shown through shown().
 */
static enum huce_err check_keys(struct pctx *x, const cJSON *obj,
				const char *const *keys, size_t nkeys)
{
	unsigned seen = 0;
	char buf[64];

	for (const cJSON *m = obj->child; m; m = m->next) {
		size_t k;

		if (!m->string)
			return perr(x, HUCE_EINVAL, _("member without a name"));
		for (k = 0; k < nkeys; k++)
			if (strcmp(m->string, keys[k]) == 0)
				break;
		if (k == nkeys)
			return perr(x, HUCE_EINVAL, _("unknown key '%s'"),
				    shown(m->string, buf));
		if (seen & (1u << k))
			return perr(x, HUCE_EINVAL, _("key '%s' appears twice"), keys[k]);
		seen |= 1u << k;
	}
	return HUCE_OK;
}

/*
 * Copy the string member key of obj into *out.  An absent or null
 * member gives *out = NULL, which is an error when required.
 */
static enum huce_err get_string(struct pctx *x, const cJSON *obj,
				const char *key, int required, size_t max,
				char **out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!m || cJSON_IsNull(m)) {
		if (required)
			return perr(x, HUCE_EINVAL, _("missing '%s'"), key);
		return HUCE_OK;
	}
	if (!cJSON_IsString(m) || !m->valuestring)
		return perr(x, HUCE_EINVAL, _("'%s' must be a string"), key);
	if (!m->valuestring[0])
		return perr(x, HUCE_EINVAL, _("'%s' is empty"), key);
	if (strlen(m->valuestring) > max)
		return perr(x, HUCE_EINVAL, _("'%s' is longer than %zu bytes"), key, max);
	if (!clean_text(m->valuestring, max))
		return perr(x, HUCE_EINVAL,
			    _("'%s' contains a control character or broken UTF-8"), key);
	*out = strdup(m->valuestring);
	if (!*out)
		return perr(x, HUCE_ENOMEM, _("out of memory"));
	return HUCE_OK;
}

static enum huce_err get_bool(struct pctx *x, const cJSON *obj,
			      const char *key, int *out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!m)
		return perr(x, HUCE_EINVAL, _("missing '%s'"), key);
	if (!cJSON_IsBool(m))
		return perr(x, HUCE_EINVAL, _("'%s' must be true or false"), key);
	*out = cJSON_IsTrue(m);
	return HUCE_OK;
}

static enum huce_err check_number(struct pctx *x, const cJSON *m,
				  const char *what)
{
	if (!cJSON_IsNumber(m))
		return perr(x, HUCE_EINVAL, _("%s must be a number"), what);
	if (!isfinite(m->valuedouble))
		return perr(x, HUCE_EINVAL, _("%s is not a finite number"), what);
	return HUCE_OK;
}

/* Optional number member: *has says whether it was there. */
static enum huce_err get_number(struct pctx *x, const cJSON *obj,
				const char *key, int *has, double *out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
	char what[32];
	enum huce_err rc;

	*has = 0;
	if (!m)
		return HUCE_OK;
	snprintf(what, sizeof(what), "'%s'", key);
	rc = check_number(x, m, what);
	if (rc)
		return rc;
	*has = 1;
	*out = m->valuedouble;
	return HUCE_OK;
}

/* Item codes are identifiers: [a-z][a-z0-9_]*, at most MAX_CODE bytes. */
static int valid_code(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_CODE || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * A list of stage names under key ("stages", or the optional
 * "required") as bits.  An absent optional list is 0.
 */
static enum huce_err parse_stages(struct pctx *x, const cJSON *obj,
				  const char *key, int optional, unsigned *out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *s;
	char buf[64];

	*out = 0;
	if (!arr && optional)
		return HUCE_OK;
	if (!arr)
		return perr(x, HUCE_EINVAL, _("missing '%s'"), key);
	if (!cJSON_IsArray(arr))
		return perr(x, HUCE_EINVAL, _("'%s' must be an array of stage names"), key);
	cJSON_ArrayForEach(s, arr) {
		int st;

		if (!cJSON_IsString(s) || !s->valuestring)
			return perr(x, HUCE_EINVAL, _("'%s' must contain only strings"), key);
		st = huce_stage_parse(s->valuestring);
		if (st < 0)
			return perr(x, HUCE_EINVAL,
				    _("unknown stage '%s' (known: excavation, pre-cover, completion, first-toilet, re-inspection, spot-check)"),
				    shown(s->valuestring, buf));
		if (*out & (1u << st))
			return perr(x, HUCE_EINVAL, _("stage '%s' listed twice"),
				    stage_names[st]);
		*out |= 1u << st;
	}
	if (!*out)
		return perr(x, HUCE_EINVAL, _("'%s' is empty"), key);
	return HUCE_OK;
}

static enum huce_err parse_range(struct pctx *x, const cJSON *obj,
				 struct huce_checklist_item *it)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(obj, "range");
	enum huce_err rc;

	if (!r)
		return HUCE_OK;
	if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2)
		return perr(x, HUCE_EINVAL, _("'range' must be an array [low, high]"));
	rc = check_number(x, r->child, "'range' low");
	if (!rc)
		rc = check_number(x, r->child->next, "'range' high");
	if (rc)
		return rc;
	it->has_range = 1;
	it->range_lo = r->child->valuedouble;
	it->range_hi = r->child->next->valuedouble;
	if (!(it->range_lo < it->range_hi))
		return perr(x, HUCE_EINVAL, _("'range' low %g is not below high %g"),
			    it->range_lo, it->range_hi);
	return HUCE_OK;
}

/*
 * "photo_required": the stages (a subset of "stages") at which an
 * inspection must carry a photo of the item's "photo" kind.  Optional.
 */
static enum huce_err parse_photo_required(struct pctx *x, const cJSON *obj,
					  struct huce_checklist_item *it)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "photo_required");
	const cJSON *s;
	char buf[64];

	it->photo_required = 0;
	if (!arr)
		return HUCE_OK;
	if (!cJSON_IsArray(arr))
		return perr(x, HUCE_EINVAL, _("'photo_required' must be an array of stage names"));
	cJSON_ArrayForEach(s, arr) {
		int st = cJSON_IsString(s) ? huce_stage_parse(s->valuestring) : -1;

		if (st < 0)
			return perr(x, HUCE_EINVAL,
				    _("'photo_required': '%s' is not a stage"),
				    cJSON_IsString(s) ? shown(s->valuestring, buf) : "(not a string)");
		if (!(it->stages & (1u << st)))
			return perr(x, HUCE_EINVAL,
				    _("'photo_required' stage '%s' is not one of its 'stages'"),
				    stage_names[st]);
		if (it->photo_required & (1u << st))
			return perr(x, HUCE_EINVAL, _("'photo_required' repeats '%s'"),
				    stage_names[st]);
		it->photo_required |= 1u << st;
	}
	return HUCE_OK;
}

static enum huce_err parse_item(struct pctx *x, const cJSON *obj,
				struct huce_checklist_item *it)
{
	static const char *const keys[] = {
		"photo_required",
		"code", "label", "unit", "kind", "min", "max", "range",
		"critical", "photo", "stages", "source", "verified", "note",
		"required",
	};
	const cJSON *kind;
	char *photo = NULL, *note = NULL;
	char buf[64];
	enum huce_err rc;
	size_t k;

	if (!cJSON_IsObject(obj))
		return perr(x, HUCE_EINVAL, _("must be an object"));
	rc = get_string(x, obj, "code", 1, MAX_CODE, &it->code);
	if (rc)
		return rc;
	if (!valid_code(it->code))
		return perr(x, HUCE_EINVAL,
			    _("code '%s' must be lowercase letters, digits and '_', starting with a letter"),
			    shown(it->code, buf));
	x->code = it->code;
	rc = check_keys(x, obj, keys, ARRAY_SIZE(keys));
	if (!rc)
		rc = get_string(x, obj, "label", 1, MAX_TEXT, &it->label);
	if (!rc)
		rc = get_string(x, obj, "unit", 0, MAX_TEXT, &it->unit);
	if (!rc)
		rc = get_string(x, obj, "source", 1, MAX_TEXT, &it->source);
	if (!rc)
		rc = get_bool(x, obj, "critical", &it->critical);
	if (!rc)
		rc = get_bool(x, obj, "verified", &it->verified);
	if (!rc)
		rc = parse_stages(x, obj, "stages", 0, &it->stages);
	if (!rc)
		rc = parse_stages(x, obj, "required", 1, &it->required);
	if (rc)
		return rc;
	for (int st = 0; st < HUCE_STAGE__COUNT; st++)
		if ((it->required & ~it->stages) & (1u << st))
			return perr(x, HUCE_EINVAL,
				    _("'required' stage '%s' is not one of its 'stages'"),
				    stage_names[st]);

	kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	if (!kind)
		return perr(x, HUCE_EINVAL, _("missing 'kind'"));
	if (cJSON_IsString(kind) && kind->valuestring &&
	    strcmp(kind->valuestring, "number") == 0)
		it->kind = HUCE_ITEM_NUMBER;
	else if (cJSON_IsString(kind) && kind->valuestring &&
		 strcmp(kind->valuestring, "bool") == 0)
		it->kind = HUCE_ITEM_BOOL;
	else
		return perr(x, HUCE_EINVAL, _("'kind' must be \"number\" or \"bool\""));

	rc = get_number(x, obj, "min", &it->has_min, &it->min);
	if (!rc)
		rc = get_number(x, obj, "max", &it->has_max, &it->max);
	if (!rc)
		rc = parse_range(x, obj, it);
	if (rc)
		return rc;
	if (it->kind == HUCE_ITEM_BOOL) {
		if (it->has_min || it->has_max || it->has_range || it->unit)
			return perr(x, HUCE_EINVAL,
				    _("'min', 'max', 'range' and 'unit' apply only to number items"));
	} else {
		if (!it->has_range)
			return perr(x, HUCE_EINVAL,
				    _("missing 'range' (the plausible [low, high] of a measurement)"));
		if (it->has_min && it->has_max && it->min > it->max)
			return perr(x, HUCE_EINVAL, _("'min' %g is greater than 'max' %g"),
				    it->min, it->max);
		if (it->has_min && (it->min < it->range_lo || it->min > it->range_hi))
			return perr(x, HUCE_EINVAL, _("'min' %g is outside 'range' [%g, %g]"),
				    it->min, it->range_lo, it->range_hi);
		if (it->has_max && (it->max < it->range_lo || it->max > it->range_hi))
			return perr(x, HUCE_EINVAL, _("'max' %g is outside 'range' [%g, %g]"),
				    it->max, it->range_lo, it->range_hi);
	}

	rc = parse_photo_required(x, obj, it);
	if (!rc)
		rc = get_string(x, obj, "photo", 0, MAX_CODE, &photo);
	if (!rc && !photo && it->photo_required)
		return perr(x, HUCE_EINVAL, _("'photo_required' needs a 'photo' kind"));
	if (rc || !photo)
		return rc;
	it->photo = photo;
	for (k = 0; k < ARRAY_SIZE(photo_kinds); k++)
		if (strcmp(photo, photo_kinds[k]) == 0)
			break;
	if (k == ARRAY_SIZE(photo_kinds))
		return perr(x, HUCE_EINVAL,
			    _("unknown photo kind '%s' (known: before, excavation, tank, water-test, room, pan, vent, cover, plaque, after, or null)"),
			    shown(photo, buf));

	/* note is free text for the people who maintain the file. */
	rc = get_string(x, obj, "note", 0, MAX_NOTE, &note);
	free(note);
	return rc;
}

static void checklist_release(struct checklist *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct huce_checklist_item *it = &c->items[i];

		free(it->code);
		free(it->label);
		free(it->unit);
		free(it->photo);
		free(it->source);
	}
	free(c->items);
	free(c->label);
	memset(c, 0, sizeof(*c));
}

/*
 * Parse one file into c (zeroed on entry).  type is the type the file
 * must declare, or NULL for any.  On error c holds whatever was parsed
 * so far; the caller releases it either way.
 */
static enum huce_err parse_checklist(struct checklist *c, const char *type,
				     const char *name, const char *data,
				     size_t len, struct huce_error *err)
{
	static const char *const keys[] = {
		"type", "label", "version", "items", "note",
	};
	struct pctx x = { name, 0, NULL, err };
	cJSON *root = NULL;
	const cJSON *m, *items;
	const char *end = NULL;
	char *s = NULL, buf[64];
	enum huce_err rc;
	int line, col, count;

	if (len > HUCE_CHECKLIST_MAX_BYTES)
		return perr(&x, HUCE_ETOOBIG,
			    _("%zu bytes is more than the limit of %d bytes"),
			    len, HUCE_CHECKLIST_MAX_BYTES);
	/* Windows editors put a byte-order mark first; it is harmless. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	rc = check_bytes(&x, data, len);
	if (rc)
		return rc;
	root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!root) {
		size_t off = end && end >= data && end <= data + len ?
			(size_t)(end - data) : 0;

		where(data, off, &line, &col);
		return perr(&x, HUCE_EINVAL, _("malformed JSON near line %d, column %d"),
			    line, col);
	}
	for (const char *p = end; p < data + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			where(data, (size_t)(p - data), &line, &col);
			rc = perr(&x, HUCE_EINVAL,
				  _("unexpected text after the JSON object at line %d, column %d"),
				  line, col);
			goto out;
		}
	}

	if (!cJSON_IsObject(root)) {
		rc = perr(&x, HUCE_EINVAL, _("must be a JSON object"));
		goto out;
	}
	/* Version first: a newer format may well have keys we do not know. */
	m = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!m) {
		rc = perr(&x, HUCE_EINVAL, _("missing 'version'"));
		goto out;
	}
	rc = check_number(&x, m, "'version'");
	if (rc)
		goto out;
	if (m->valuedouble != 1) {
		rc = perr(&x, HUCE_EVERSION,
			  _("format version %g is not supported (this program reads version 1)"),
			  m->valuedouble);
		goto out;
	}
	rc = check_keys(&x, root, keys, ARRAY_SIZE(keys));
	if (rc)
		goto out;

	rc = get_string(&x, root, "type", 1, MAX_CODE, &s);
	if (rc)
		goto out;
	if (file_index(s, 1) < 0) {
		rc = perr(&x, HUCE_EINVAL,
			  _("unknown type '%s' (known: common, three-grid, double-urn, biogas, urine-diversion, double-pit, sewer)"),
			  shown(s, buf));
		goto out;
	}
	if (type && strcmp(s, type) != 0) {
		rc = perr(&x, HUCE_EINVAL, _("declares type '%s' but must be '%s'"),
			  s, type);
		goto out;
	}
	rc = get_string(&x, root, "label", 1, MAX_TEXT, &c->label);
	if (rc)
		goto out;
	free(s);
	rc = get_string(&x, root, "note", 0, MAX_NOTE, &s);
	if (rc)
		goto out;

	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	if (!items) {
		rc = perr(&x, HUCE_EINVAL, _("missing 'items'"));
		goto out;
	}
	if (!cJSON_IsArray(items)) {
		rc = perr(&x, HUCE_EINVAL, _("'items' must be an array"));
		goto out;
	}
	count = cJSON_GetArraySize(items);
	if (count < 1 || count > HUCE_CHECKLIST_MAX_ITEMS) {
		rc = perr(&x, HUCE_EINVAL, _("must have 1 to %d items, not %d"),
			  HUCE_CHECKLIST_MAX_ITEMS, count);
		goto out;
	}
	c->items = calloc((size_t)count, sizeof(*c->items));
	if (!c->items) {
		rc = perr(&x, HUCE_ENOMEM, _("out of memory"));
		goto out;
	}
	m = items->child;
	for (int i = 0; i < count; i++, m = m->next) {
		struct huce_checklist_item *it = &c->items[i];

		/* Count it first so that release frees a half-parsed item. */
		c->n++;
		x.item = i + 1;
		x.code = NULL;
		rc = parse_item(&x, m, it);
		if (rc)
			goto out;
		for (int j = 0; j < i; j++) {
			if (strcmp(c->items[j].code, it->code) == 0) {
				rc = perr(&x, HUCE_EINVAL,
					  _("code already used by item %d"), j + 1);
				goto out;
			}
		}
	}
	rc = HUCE_OK;
out:
	free(s);
	cJSON_Delete(root);
	return rc;
}

enum huce_err huce_checklist_validate(const char *type, const void *data,
				      size_t len, struct huce_error *err)
{
	struct checklist c = { 0 };
	char *copy;
	enum huce_err rc;

	if (type && file_index(type, 1) < 0)
		return huce_fail(err, HUCE_EINVAL, _("unknown checklist type '%s'"), type);
	if (!data && len)
		return huce_fail(err, HUCE_EINVAL, _("checklist: no data"));
	if (len > HUCE_CHECKLIST_MAX_BYTES)
		return huce_fail(err, HUCE_ETOOBIG,
				 _("checklist: %zu bytes is more than the limit of %d bytes"),
				 len, HUCE_CHECKLIST_MAX_BYTES);
	/*
	 * The loader always hands cJSON a NUL-terminated buffer; keep it
	 * that way here, so what is validated is exactly what is loaded.
	 */
	copy = malloc(len + 1);
	if (!copy)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	rc = parse_checklist(&c, type, type ? type : "(memory)", copy, len, err);
	checklist_release(&c);
	free(copy);
	return rc;
}

/* Read a regular file of at most HUCE_CHECKLIST_MAX_BYTES into b. */
static enum huce_err read_file(const char *path, struct huce_buf *b,
			       struct huce_error *err)
{
	char chunk[16384];
	struct stat st;
	enum huce_err rc = HUCE_OK;
	int fd;

	/* O_NONBLOCK: a FIFO planted in the directory must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return huce_fail(err, errno == ENOENT ? HUCE_ENOTFOUND : HUCE_EIO,
				 _("cannot open checklist '%s': %s"), path,
				 strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = huce_fail(err, HUCE_EIO, _("cannot stat checklist '%s': %s"),
			       path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = huce_fail(err, HUCE_EIO, _("checklist '%s' is not a regular file"),
			       path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = huce_fail(err, HUCE_EIO, _("cannot read checklist '%s': %s"),
				       path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		rc = huce_buf_add(b, chunk, (size_t)got);
		if (rc == HUCE_ETOOBIG) {
			rc = huce_fail(err, rc,
				       _("checklist '%s': more than the limit of %d bytes"),
				       path, HUCE_CHECKLIST_MAX_BYTES);
			goto out;
		}
		if (rc) {
			rc = huce_fail(err, rc, _("out of memory reading checklist '%s'"),
				       path);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static const struct huce_checklist_item *
find_in(const struct checklist *c, const char *code)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].code, code) == 0)
			return &c->items[i];
	return NULL;
}

static enum huce_err build_views(struct huce_checklists *cl,
				 struct huce_error *err)
{
	const struct checklist *common = &cl->file[0];

	for (int f = 0; f < NFILES; f++) {
		const struct checklist *c = &cl->file[f];
		size_t n = f ? c->n + common->n : c->n, k = 0;

		/* A type item must not shadow a common one. */
		for (size_t i = 0; f && i < c->n; i++)
			if (find_in(common, c->items[i].code))
				return huce_fail(err, HUCE_EINVAL,
						 _("checklist '%s': item '%s' is also a common item"),
						 file_types[f], c->items[i].code);
		cl->view[f] = calloc(n, sizeof(*cl->view[f]));
		if (!cl->view[f])
			return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
		for (size_t i = 0; i < c->n; i++)
			cl->view[f][k++] = &c->items[i];
		for (size_t i = 0; f && i < common->n; i++)
			cl->view[f][k++] = &common->items[i];
		cl->nview[f] = n;
	}
	/* An inspection answers something at every stage of every type. */
	for (int f = 1; f < NFILES; f++) {
		for (int st = 0; st < HUCE_STAGE__COUNT; st++) {
			if (huce_checklist_required(cl, file_types[f], st, NULL, 0))
				continue;
			return huce_fail(err, HUCE_EINVAL,
					 _("checklist '%s': no item is required at stage %s "
					 "(mark one \"critical\" or list the stage in its "
					 "\"required\"): an inspection must record something"),
					 file_types[f], stage_names[st]);
		}
	}
	return HUCE_OK;
}

enum huce_err huce_checklists_load(struct huce_checklists **out,
				   const char *dir, struct huce_error *err)
{
	struct huce_buf b = HUCE_BUF_INIT(HUCE_CHECKLIST_MAX_BYTES);
	struct huce_checklists *cl;
	char name[4096];
	enum huce_err rc = HUCE_OK;

	*out = NULL;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	for (int f = 0; f < NFILES; f++) {
		const char *data;
		size_t len;
		int n;

		if (dir) {
			n = snprintf(name, sizeof(name), "%s/%s.json", dir,
				     file_types[f]);
			if (n < 0 || (size_t)n >= sizeof(name)) {
				rc = huce_fail(err, HUCE_EINVAL,
					       _("checklist directory name is too long"));
				goto out;
			}
			huce_buf_reset(&b);
			rc = read_file(name, &b, err);
			if (rc)
				goto out;
			data = b.data ? b.data : "";
			len = b.len;
		} else {
			const struct huce_schema_file *sf;

			snprintf(name, sizeof(name), "checklists/%s.json",
				 file_types[f]);
			sf = huce_schema_find(name);
			if (!sf) {
				rc = huce_fail(err, HUCE_ENOTFOUND,
					       _("embedded checklist '%s' is missing (build problem)"),
					       name);
				goto out;
			}
			data = sf->data;
			len = sf->len;
		}
		rc = parse_checklist(&cl->file[f], file_types[f], name, data,
				     len, err);
		if (rc)
			goto out;
	}
	rc = build_views(cl, err);
out:
	huce_buf_release(&b);
	if (rc)
		huce_checklists_free(cl);
	else
		*out = cl;
	return rc;
}

void huce_checklists_free(struct huce_checklists *cl)
{
	if (!cl)
		return;
	for (int f = 0; f < NFILES; f++) {
		checklist_release(&cl->file[f]);
		free(cl->view[f]);
	}
	free(cl);
}

size_t huce_checklist_items(const struct huce_checklists *cl,
			    const char *type,
			    const struct huce_checklist_item ***out)
{
	int f = file_index(type, 1);

	if (!cl || f < 0) {
		*out = NULL;
		return 0;
	}
	*out = cl->view[f];
	return cl->nview[f];
}

/* Must the item be answered at stage? */
static int required_at(const struct huce_checklist_item *it, int stage)
{
	unsigned bit = 1u << stage;

	return (it->critical && (it->stages & bit)) || (it->required & bit);
}

size_t huce_checklist_required(const struct huce_checklists *cl,
			       const char *type, int stage,
			       const struct huce_checklist_item **out,
			       size_t max)
{
	int f = file_index(type, 0);
	size_t n = 0;

	if (!cl || f < 0 || stage < 0 || stage >= HUCE_STAGE__COUNT)
		return 0;
	for (size_t i = 0; i < cl->nview[f]; i++) {
		if (!required_at(cl->view[f][i], stage))
			continue;
		if (out && n < max)
			out[n] = cl->view[f][i];
		n++;
	}
	return n;
}

const struct huce_checklist_item *
huce_checklist_find(const struct huce_checklists *cl, const char *type,
		    const char *code)
{
	int f = file_index(type, 1);

	if (!cl || f < 0 || !code)
		return NULL;
	for (size_t i = 0; i < cl->nview[f]; i++)
		if (strcmp(cl->view[f][i]->code, code) == 0)
			return cl->view[f][i];
	return NULL;
}

/* ---- grading -------------------------------------------------------- */

/* One accepted answer, indexed like the type's view. */
struct answer {
	const char *given;	/* NULL: not answered */
	double num;
	int yes;
};

static const struct {
	const char *text;
	int yes;
} bool_words[] = {
	{ "pass", 1 }, { "fail", 0 }, { "yes", 1 }, { "no", 0 },
	{ "y", 1 }, { "n", 0 }, { "true", 1 }, { "false", 0 },
	{ "1", 1 }, { "0", 0 }, { "合格", 1 }, { "不合格", 0 },
	{ "是", 1 }, { "否", 0 },
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim blanks from s; *len gets the length of what is left. */
static const char *trim(const char *s, size_t *len)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*len = n;
	return s;
}

static int parse_number(const char *s, double *out)
{
	size_t len;
	const char *p = trim(s, &len);
	char *end;
	double v;

	if (len == 0)
		return -1;
	/*
	 * strtod also takes "inf", "nan" and hex floats; an inspector types
	 * none of those, so only decimal characters get through.
	 */
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '-' ||
		      p[i] == '+' || p[i] == 'e' || p[i] == 'E'))
			return -1;
	errno = 0;
	v = strtod(p, &end);
	if (end != p + len || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	size_t len;
	const char *p = trim(s, &len);

	for (size_t i = 0; i < ARRAY_SIZE(bool_words); i++) {
		if (strlen(bool_words[i].text) == len &&
		    strncasecmp(p, bool_words[i].text, len) == 0) {
			*out = bool_words[i].yes;
			return 0;
		}
	}
	return -1;
}

/* The blank before a unit in messages, and the unit; both "" without one. */
static const char *unit_sp(const struct huce_checklist_item *it)
{
	return it->unit ? " " : "";
}

static const char *unit_of(const struct huce_checklist_item *it)
{
	return it->unit ? it->unit : "";
}

static enum huce_err take_answer(const struct huce_checklist_item *it,
				 const char *value, struct answer *a,
				 struct huce_error *err)
{
	char buf[64];

	if (it->kind == HUCE_ITEM_BOOL) {
		if (parse_bool(value, &a->yes))
			return huce_fail(err, HUCE_EINVAL,
					 _("item '%s': '%s' is not a yes/no answer (expected pass/fail, yes/no, y/n, true/false, 1/0, 合格/不合格 or 是/否)"),
					 it->code, shown(value, buf));
	} else {
		if (parse_number(value, &a->num)) {
			if (it->unit)
				return huce_fail(err, HUCE_EINVAL,
						 _("item '%s': '%s' is not a number (%s)"),
						 it->code, shown(value, buf), it->unit);
			return huce_fail(err, HUCE_EINVAL,
					 _("item '%s': '%s' is not a number"),
					 it->code, shown(value, buf));
		}
		if (it->has_range &&
		    (a->num < it->range_lo || a->num > it->range_hi))
			return huce_fail(err, HUCE_EINVAL,
					 _("item '%s': %g is outside the plausible range %g–%g%s%s"),
					 it->code, a->num, it->range_lo,
					 it->range_hi, unit_sp(it), unit_of(it));
	}
	a->given = value;
	return HUCE_OK;
}

static int fails(const struct huce_checklist_item *it, const struct answer *a)
{
	if (it->kind == HUCE_ITEM_BOOL)
		return !a->yes;
	return (it->has_min && a->num < it->min) ||
	       (it->has_max && a->num > it->max);
}

/* "tank_volume, ratio_2_1_3, ..." cut to fit size. */
static void list_codes(const struct huce_checklist_item *const *v, size_t n,
		       char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]->code) + (i ? 2 : 0);

		if (o + len + 4 >= size) {
			snprintf(out + o, size - o, "%s...", i ? ", " : "");
			return;
		}
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "",
				      v[i]->code);
	}
}

static enum huce_err missing_error(const struct huce_checklist_item *const *v,
				   const struct answer *ans, size_t n,
				   int stage, struct huce_error *err)
{
	const struct huce_checklist_item *first = NULL;
	char more[256];
	size_t nmore = 0, o = 0;
	int cut = 0;

	more[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!required_at(v[i], stage) || ans[i].given)
			continue;
		if (!first) {
			first = v[i];
			continue;
		}
		nmore++;
		if (cut)
			continue;
		if (o + strlen(v[i]->code) + 6 < sizeof(more)) {
			o += (size_t)snprintf(more + o, sizeof(more) - o, "%s%s",
					      o ? ", " : "", v[i]->code);
		} else {
			snprintf(more + o, sizeof(more) - o, "...");
			cut = 1;
		}
	}
	if (!first)
		return HUCE_OK;
	if (nmore)
		return huce_fail(err, HUCE_EINVAL, first->critical ?
				 _("missing critical item '%s' (%s) for stage %s, and %zu more: %s") :
				 _("missing required item '%s' (%s) for stage %s, and %zu more: %s"),
				 first->code, first->label,
				 huce_value_text("stage", stage_names[stage]), nmore, more);
	return huce_fail(err, HUCE_EINVAL, first->critical ?
			 _("missing critical item '%s' (%s) for stage %s") :
			 _("missing required item '%s' (%s) for stage %s"),
			 first->code, first->label,
			 huce_value_text("stage", stage_names[stage]));
}

static int add_code(cJSON *arr, const char *code)
{
	cJSON *s = cJSON_CreateString(code);

	if (!s)
		return -1;
	if (!cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		return -1;
	}
	return 0;
}

/* Answers of a checklist this long need no allocation. */
#define ANSWERS_ON_STACK 64

/*
 * The answers (code, value) pairs give to the items of type's checklist
 * at stage, checked: the one rule of huce_checklist_evaluate() and
 * huce_checklist_grade().  On HUCE_OK *v, *nv are type's items and *ans
 * (stack when they fit, else allocated: free it unless it is stack) the
 * answer to each, in checklist order.
 */
static enum huce_err answers_take(const struct huce_checklists *cl,
				  const char *type, int stage, size_t n,
				  const char *const *codes,
				  const char *const *values,
				  const struct huce_checklist_item *const **vout,
				  size_t *nvout, struct answer *stack,
				  struct answer **ansout, struct huce_error *err)
{
	const struct huce_checklist_item *const *v;
	struct answer *ans;
	char buf[64], known[320];
	enum huce_err rc = HUCE_OK;
	size_t nv;
	int f;

	*ansout = NULL;
	if (!cl)
		return huce_fail(err, HUCE_EINVAL, _("no checklists loaded"));
	f = file_index(type, 0);
	if (f < 0)
		return huce_fail(err, HUCE_EINVAL,
				 _("unknown toilet type '%s' (known: three-grid, double-urn, biogas, urine-diversion, double-pit, sewer)"),
				 type ? shown(type, buf) : _("(none)"));
	if (stage < 0 || stage >= HUCE_STAGE__COUNT)
		return huce_fail(err, HUCE_EINVAL, _("unknown inspection stage %d"), stage);
	if (n && (!codes || !values))
		return huce_fail(err, HUCE_EINVAL, _("item codes or values missing"));
	v = cl->view[f];
	nv = cl->nview[f];
	if (nv <= ANSWERS_ON_STACK) {
		ans = stack;
		memset(ans, 0, nv * sizeof(*ans));
	} else if (!(ans = calloc(nv, sizeof(*ans)))) {
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	}

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (!codes[i] || !values[i]) {
			rc = huce_fail(err, HUCE_EINVAL,
				       _("answer %zu has no item code or no value"), i + 1);
			goto out;
		}
		for (j = 0; j < nv; j++)
			if (strcmp(codes[i], v[j]->code) == 0)
				break;
		if (j == nv) {
			list_codes(v, nv, known, sizeof(known));
			rc = huce_fail(err, HUCE_EINVAL,
				       _("unknown item '%s' for type %s (known: %s)"),
				       shown(codes[i], buf), file_types[f], known);
			goto out;
		}
		if (ans[j].given) {
			rc = huce_fail(err, HUCE_EINVAL, _("item '%s' is given twice"),
				       v[j]->code);
			goto out;
		}
		rc = take_answer(v[j], values[i], &ans[j], err);
		if (rc)
			goto out;
	}
	rc = missing_error(v, ans, nv, stage, err);
out:
	if (rc) {
		if (ans != stack)
			free(ans);
		return rc;
	}
	*vout = v;
	*nvout = nv;
	*ansout = ans;
	return HUCE_OK;
}

enum huce_err huce_checklist_evaluate(const struct huce_checklists *cl,
				      const char *type, int stage, size_t n,
				      const char *const *codes,
				      const char *const *values,
				      struct huce_eval *out,
				      struct huce_error *err)
{
	const struct huce_checklist_item *const *v = NULL;
	struct answer stack[ANSWERS_ON_STACK], *ans = NULL;
	struct huce_eval ev = { 0 };
	enum huce_err rc;
	size_t nv = 0;

	memset(out, 0, sizeof(*out));
	rc = answers_take(cl, type, stage, n, codes, values, &v, &nv, stack,
			  &ans, err);
	if (rc)
		return rc;

	ev.items = cJSON_CreateObject();
	ev.failed = cJSON_CreateArray();
	ev.veto = cJSON_CreateArray();
	if (!ev.items || !ev.failed || !ev.veto)
		goto nomem;
	for (size_t j = 0; j < nv; j++) {
		cJSON *val;

		if (!ans[j].given)
			continue;
		val = v[j]->kind == HUCE_ITEM_BOOL ?
			cJSON_CreateBool(ans[j].yes) :
			cJSON_CreateNumber(ans[j].num);
		if (!val)
			goto nomem;
		if (!cJSON_AddItemToObject(ev.items, v[j]->code, val)) {
			cJSON_Delete(val);
			goto nomem;
		}
		if (!fails(v[j], &ans[j]))
			continue;
		if (add_code(ev.failed, v[j]->code) ||
		    (v[j]->critical && add_code(ev.veto, v[j]->code)))
			goto nomem;
	}
	ev.pass = cJSON_GetArraySize(ev.failed) == 0;
	*out = ev;
	rc = HUCE_OK;
	goto out;
nomem:
	huce_eval_release(&ev);
	rc = huce_fail(err, HUCE_ENOMEM, _("out of memory"));
out:
	if (ans != stack)
		free(ans);
	return rc;
}

enum huce_err huce_checklist_grade(const struct huce_checklists *cl,
				   const char *type, int stage, size_t n,
				   const char *const *codes,
				   const char *const *values,
				   struct huce_grade *out,
				   struct huce_error *err)
{
	const struct huce_checklist_item *const *v = NULL;
	struct answer stack[ANSWERS_ON_STACK], *ans = NULL;
	enum huce_err rc;
	size_t nv = 0;

	memset(out, 0, sizeof(*out));
	rc = answers_take(cl, type, stage, n, codes, values, &v, &nv, stack,
			  &ans, err);
	if (rc)
		return rc;
	for (size_t j = 0; j < nv; j++) {
		if (!ans[j].given || !fails(v[j], &ans[j]))
			continue;
		out->nfailed++;
		if (v[j]->critical && !out->nveto++)
			out->first_veto = v[j]->code;
	}
	out->pass = out->nfailed == 0;
	if (ans != stack)
		free(ans);
	return HUCE_OK;
}

void huce_eval_release(struct huce_eval *ev)
{
	if (!ev)
		return;
	cJSON_Delete(ev->items);
	cJSON_Delete(ev->failed);
	cJSON_Delete(ev->veto);
	memset(ev, 0, sizeof(*ev));
}

int huce_checklist_photos_missing(const struct huce_checklists *cl,
				  const char *type, int stage,
				  const char *const *kinds, size_t nkinds,
				  const char **missing, size_t max,
				  const struct huce_checklist_item **first)
{
	const struct huce_checklist_item *const *v;
	size_t nv;
	int f, nmissing = 0;

	if (first)
		*first = NULL;
	if (!cl || stage < 0 || stage >= HUCE_STAGE__COUNT)
		return -1;
	f = file_index(type, 0);
	if (f < 0)
		return -1;
	v = cl->view[f];
	nv = cl->nview[f];
	for (size_t i = 0; i < nv; i++) {
		int have = 0, dup = 0;

		if (!(v[i]->photo_required & (1u << stage)))
			continue;
		for (size_t k = 0; k < nkinds && !have; k++)
			have = kinds[k] && strcmp(kinds[k], v[i]->photo) == 0;
		if (have)
			continue;
		if (first && !*first)
			*first = v[i];
		/* one kind may be missing for several items: name it once */
		for (size_t j = 0; j < i && !dup; j++)
			dup = (v[j]->photo_required & (1u << stage)) &&
			      strcmp(v[j]->photo, v[i]->photo) == 0;
		if (dup)
			continue;
		if ((size_t)nmissing < max)
			missing[nmissing] = v[i]->photo;
		nmissing++;
	}
	return nmissing;
}

enum huce_err huce_checklist_photos_check(const struct huce_checklists *cl,
					  const char *type, int stage,
					  const char *const *kinds,
					  size_t nkinds,
					  struct huce_error *err)
{
	const struct huce_checklist_item *first;
	const char *missing[HUCE_PHOTO_KINDS_MAX];
	char list[256] = "", buf[64];
	size_t o = 0;
	int n;

	if (!cl)
		return huce_fail(err, HUCE_EINVAL, _("no checklists loaded"));
	if (file_index(type, 0) < 0)
		return huce_fail(err, HUCE_EINVAL, _("unknown toilet type '%s'"),
				 type ? shown(type, buf) : _("(none)"));
	if (stage < 0 || stage >= HUCE_STAGE__COUNT)
		return huce_fail(err, HUCE_EINVAL, _("unknown inspection stage %d"), stage);
	n = huce_checklist_photos_missing(cl, type, stage, kinds, nkinds, missing,
					  HUCE_PHOTO_KINDS_MAX, &first);
	if (n <= 0 || !first)
		return HUCE_OK;
	for (int i = 0; i < n && i < HUCE_PHOTO_KINDS_MAX; i++) {
		const char *k = huce_value_text("photo", missing[i]);

		if (o + strlen(k) + 3 < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
					      o ? ", " : "", k);
	}
	/* "an excavation photo", "a tank photo": whole sentences, to translate. */
	return huce_fail(err, HUCE_EINVAL, strchr("aeiou", first->photo[0]) ?
			 (n > 1 ? _("item '%s' (%s) needs an %s photo at stage %s: add photos of kinds %s") :
			  _("item '%s' (%s) needs an %s photo at stage %s: add a photo of kind %s")) :
			 (n > 1 ? _("item '%s' (%s) needs a %s photo at stage %s: add photos of kinds %s") :
			  _("item '%s' (%s) needs a %s photo at stage %s: add a photo of kind %s")),
			 first->code, first->label, huce_value_text("photo", first->photo),
			 huce_value_text("stage", stage_names[stage]), list);
}
