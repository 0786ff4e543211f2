/*
 * huce_record.c - the kinds table and field validation.
 */
#include "huce_record.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "huce_i18n.h"
#include "huce_id.h"
#include "huce_review.h"
#include "huce_util.h"

const char *const huce_approaches[] = { "biogas-retrofit", "new-build", NULL };
static const char *const approach_labels[] = { "原有沼气池改造", "整厕新建", NULL };
const char *const huce_builds[] = { "self", "contracted", NULL };
static const char *const build_labels[] = { "自建", "统建", NULL };
const char *const huce_statuses[] = {
	"planned", "building", "built", "accepted", "failed", "rectifying", NULL
};
const char *const huce_stages[] = {
	"excavation", "pre-cover", "completion", "first-toilet",
	"re-inspection", "spot-check", NULL
};
const char *const huce_photo_kinds[] = {
	"before", "excavation", "tank", "water-test", "room", "pan", "vent",
	"cover", "plaque", "after", NULL
};
const char *const huce_roles[] = {
	"village-lead", "liaison", "technician", "inspector", "data-entry",
	"office", NULL
};
static const char *const role_labels[] = {
	"包村领导", "挂包干部", "技术指导员", "验收组", "录入组", "镇办", NULL
};
const char *const huce_waters[] = { "wet", "dry", NULL };
static const char *const toilet_types[] = {
	"three-grid", "double-urn", "biogas", "urine-diversion", "double-pit",
	"sewer", NULL
};
static const char *const results[] = { "pass", "fail", NULL };
static const char *const rect_statuses[] = { "open", "closed", NULL };
static const char *const conflict_kinds[] = {
	"field", "inspection", "duplicate", "delete", NULL
};
static const char *const photo_date_flags[] = { "before", "after", NULL };
static const char *const conflict_statuses[] = { "open", "resolved", NULL };

#define NAME_MAX_BYTES 128
#define TEXT_MAX_BYTES 1024
#define F(n, t, req, max, vals, ref) { n, t, req, max, vals, ref, 0 }

static const struct huce_field_def village_fields[] = {
	F("name", HUCE_F_TEXT, 1, NAME_MAX_BYTES, NULL, NULL),
	F("town", HUCE_F_TEXT, 0, NAME_MAX_BYTES, NULL, NULL),
};
static const struct huce_field_def group_fields[] = {
	F("village_id", HUCE_F_REF, 1, 0, NULL, "village"),
	F("name", HUCE_F_TEXT, 1, NAME_MAX_BYTES, NULL, NULL),
};
static const struct huce_field_def cadre_fields[] = {
	F("name", HUCE_F_TEXT, 1, NAME_MAX_BYTES, NULL, NULL),
	F("role", HUCE_F_TEXT, 1, 0, huce_roles, NULL),
	F("phone", HUCE_F_TEXT, 0, 32, NULL, NULL),
};
static const struct huce_field_def team_fields[] = {
	F("name", HUCE_F_TEXT, 1, NAME_MAX_BYTES, NULL, NULL),
	F("leader", HUCE_F_TEXT, 0, NAME_MAX_BYTES, NULL, NULL),
};
static const struct huce_field_def household_fields[] = {
	F("village_id", HUCE_F_REF, 1, 0, NULL, "village"),
	F("group_id", HUCE_F_REF, 1, 0, NULL, "group"),
	F("head", HUCE_F_TEXT, 1, NAME_MAX_BYTES, NULL, NULL),
	{ "head_norm", HUCE_F_TEXT, 0, NAME_MAX_BYTES, NULL, NULL, 1 },
	F("id_masked", HUCE_F_TEXT, 0, 18, NULL, NULL),
	F("id_hash", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("phone", HUCE_F_TEXT, 0, 32, NULL, NULL),
	F("house_no", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("gps", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("water", HUCE_F_TEXT, 0, 0, huce_waters, NULL),
	F("current_toilet", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),
	F("approach", HUCE_F_TEXT, 1, 0, huce_approaches, NULL),
	F("build", HUCE_F_TEXT, 1, 0, huce_builds, NULL),
	F("agreement", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),
	F("team_id", HUCE_F_REF, 0, 0, NULL, "team"),
	F("type", HUCE_F_TEXT, 1, 0, toilet_types, NULL),
	F("cadre_id", HUCE_F_REF, 0, 0, NULL, "cadre"),
	/*
	 * Derived by the status machine (huce_domain.h) from started,
	 * finished and the inspections, on the laptop and at the central
	 * alike: never typed, never sent, never taken from the wire.
	 */
	{ "status", HUCE_F_TEXT, 0, 0, huce_statuses, NULL, 1 },
	F("planned_week", HUCE_F_WEEK, 0, 0, NULL, NULL),
	F("merged_into", HUCE_F_REF, 0, 0, NULL, "household"),
	F("started", HUCE_F_DATE, 0, 0, NULL, NULL),	/* 开工 */
	F("finished", HUCE_F_DATE, 0, 0, NULL, NULL),	/* 完工 */
};
static const struct huce_field_def inspection_fields[] = {
	F("household_id", HUCE_F_REF, 1, 0, NULL, "household"),
	F("stage", HUCE_F_TEXT, 1, 0, huce_stages, NULL),
	F("date", HUCE_F_DATE, 1, 0, NULL, NULL),
	F("week", HUCE_F_WEEK, 1, 0, NULL, NULL),
	F("inspectors", HUCE_F_TEXT, 1, TEXT_MAX_BYTES, NULL, NULL),
	F("items", HUCE_F_JSON, 0, 0, NULL, NULL),
	F("failed", HUCE_F_JSON, 0, 0, NULL, NULL),
	F("veto", HUCE_F_JSON, 0, 0, NULL, NULL),
	F("result", HUCE_F_TEXT, 1, 0, results, NULL),
	F("note", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),
	F("gps", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("voided", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),	/* reason */
};
static const struct huce_field_def rectification_fields[] = {
	F("household_id", HUCE_F_REF, 1, 0, NULL, "household"),
	F("inspection_id", HUCE_F_REF, 1, 0, NULL, "inspection"),
	F("category", HUCE_F_TEXT, 1, TEXT_MAX_BYTES, NULL, NULL),
	F("owner", HUCE_F_TEXT, 0, NAME_MAX_BYTES, NULL, NULL),
	F("deadline", HUCE_F_DATE, 0, 0, NULL, NULL),
	F("status", HUCE_F_TEXT, 0, 0, rect_statuses, NULL),
	F("closed_by", HUCE_F_REF, 0, 0, NULL, "inspection"),
};
static const struct huce_field_def photo_fields[] = {
	F("owner_id", HUCE_F_REF, 1, 0, NULL, NULL),
	F("kind", HUCE_F_TEXT, 1, 0, huce_photo_kinds, NULL),
	F("taken_at", HUCE_F_TEXT, 0, 32, NULL, NULL),
	F("gps", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("sha256", HUCE_F_TEXT, 1, 64, NULL, NULL),
	F("size", HUCE_F_INT, 1, 0, NULL, NULL),	/* of the kept copy */
	/* huce_photo.h: the kept copy's pixels, the camera file's size */
	F("width", HUCE_F_INT, 0, 0, NULL, NULL),
	F("height", HUCE_F_INT, 0, 0, NULL, NULL),
	F("camera_bytes", HUCE_F_INT, 0, 0, NULL, NULL),
	/* taken long before or after its inspection's date */
	F("date_flag", HUCE_F_TEXT, 0, 0, photo_date_flags, NULL),
};
static const struct huce_field_def target_fields[] = {
	F("village_id", HUCE_F_REF, 1, 0, NULL, "village"),
	F("week", HUCE_F_WEEK, 1, 0, NULL, NULL),
	F("n", HUCE_F_INT, 1, 0, NULL, NULL),
};
/* The office's review of a household (huce_review.h): office only. */
static const struct huce_field_def review_fields[] = {
	F("household", HUCE_F_REF, 1, 0, NULL, "household"),
	F("state", HUCE_F_TEXT, 1, 0, huce_review_states, NULL),
	F("note", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),
	F("reviewer", HUCE_F_TEXT, 0, NAME_MAX_BYTES + 32, NULL, NULL),
	F("reviewed_at", HUCE_F_TEXT, 0, 32, NULL, NULL),
};
static const struct huce_field_def conflict_fields[] = {
	F("kind", HUCE_F_TEXT, 1, 0, conflict_kinds, NULL),
	F("record", HUCE_F_REF, 1, 0, NULL, NULL),
	F("field", HUCE_F_TEXT, 0, 64, NULL, NULL),
	F("vals", HUCE_F_JSON, 1, 0, NULL, NULL),
	F("status", HUCE_F_TEXT, 1, 0, conflict_statuses, NULL),
	F("resolution", HUCE_F_TEXT, 0, TEXT_MAX_BYTES, NULL, NULL),
};

#define KIND(k, t, f, w) { k, t, f, sizeof(f) / sizeof(f[0]), w }
static const struct huce_kind_def kind_village = KIND("village", "village", village_fields, 1);
static const struct huce_kind_def kind_group = KIND("group", "village_group", group_fields, 1);
static const struct huce_kind_def kind_cadre = KIND("cadre", "cadre", cadre_fields, 1);
static const struct huce_kind_def kind_team = KIND("team", "team", team_fields, 1);
static const struct huce_kind_def kind_household = KIND("household", "household", household_fields, 1);
static const struct huce_kind_def kind_inspection = KIND("inspection", "inspection", inspection_fields, 1);
static const struct huce_kind_def kind_rectification = KIND("rectification", "rectification", rectification_fields, 1);
static const struct huce_kind_def kind_photo = KIND("photo", "photo", photo_fields, 1);
static const struct huce_kind_def kind_target = KIND("target", "target", target_fields, 1);
static const struct huce_kind_def kind_review = KIND("review", "review", review_fields, 0);
static const struct huce_kind_def kind_conflict = KIND("conflict", "conflict", conflict_fields, 0);

const struct huce_kind_def *const huce_kinds[] = {
	&kind_village, &kind_group, &kind_cadre, &kind_team, &kind_household,
	&kind_inspection, &kind_rectification, &kind_photo, &kind_target,
	&kind_review, &kind_conflict, NULL
};

const struct huce_kind_def *huce_kind_find(const char *kind)
{
	if (!kind)
		return NULL;
	for (int i = 0; huce_kinds[i]; i++)
		if (strcmp(huce_kinds[i]->kind, kind) == 0)
			return huce_kinds[i];
	return NULL;
}

const struct huce_field_def *huce_field_find(const struct huce_kind_def *k,
					     const char *name)
{
	/* The first byte before strcmp: most names differ there. */
	for (size_t i = 0; i < k->nfields; i++)
		if (k->fields[i].name[0] == name[0] &&
		    strcmp(k->fields[i].name, name) == 0)
			return &k->fields[i];
	return NULL;
}

int huce_enum_index(const char *const *values, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], s) == 0)
			return i;
	return -1;
}

static enum huce_err check_value(const struct huce_kind_def *k,
				 const struct huce_field_def *f,
				 const cJSON *v, struct huce_error *err)
{
	const char *s;
	int y, m, d;

	if (cJSON_IsNull(v)) {
		if (f->required)
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s may not be empty"), k->kind, f->name);
		return HUCE_OK;
	}
	switch (f->type) {
	case HUCE_F_INT:
		/* range before the cast: a double beyond long long is UB to convert */
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
		    v->valuedouble != (double)(long long)v->valuedouble)
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s must be a non-negative integer"),
					 k->kind, f->name);
		return HUCE_OK;
	case HUCE_F_JSON:
		if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s must be an object or array"),
					 k->kind, f->name);
		return HUCE_OK;
	default:
		break;
	}
	if (!cJSON_IsString(v))
		return huce_fail(err, HUCE_EINVAL, _("%s.%s must be a string"),
				 k->kind, f->name);
	s = v->valuestring;
	switch (f->type) {
	case HUCE_F_REF:
		if (!huce_id_valid(s))
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s is not a record id"), k->kind, f->name);
		return HUCE_OK;
	case HUCE_F_DATE:
		if (huce_parse_date(s, &y, &m, &d))
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s: '%.40s' is not a date (YYYY-MM-DD)"),
					 k->kind, f->name, s);
		return HUCE_OK;
	case HUCE_F_WEEK:
		if (huce_parse_week(s, &y, &m))
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s: '%.40s' is not an ISO week (YYYY-Www)"),
					 k->kind, f->name, s);
		return HUCE_OK;
	default:
		break;
	}
	if (f->values) {
		if (huce_enum_index(f->values, s) < 0) {
			char list[256] = "";
			size_t used = 0;

			for (int i = 0; f->values[i] && used < sizeof(list) - 40; i++)
				used += (size_t)snprintf(list + used, sizeof(list) - used,
							 "%s%s", i ? ", " : "", f->values[i]);
			return huce_fail(err, HUCE_EINVAL,
					 _("%s.%s: '%.40s' is not one of: %s"),
					 k->kind, f->name, s, list);
		}
		return HUCE_OK;
	}
	/* "kind.field" is printed for the message only, when it fails. */
	if (huce_text_check(s, f->name, f->maxlen, !f->required, err)) {
		char what[80];

		snprintf(what, sizeof(what), "%s.%s", k->kind, f->name);
		return huce_text_check(s, what, f->maxlen, !f->required, err);
	}
	return HUCE_OK;
}

enum huce_err huce_record_check(const struct huce_kind_def *k,
				const cJSON *fields, int creating,
				int from_wire, struct huce_error *err)
{
	const cJSON *v;
	enum huce_err rc;
	uint64_t seen = 0;	/* the fields given, by index (the first 64) */

	if (!cJSON_IsObject(fields))
		return huce_fail(err, HUCE_EINVAL, _("%s: fields must be an object"),
				 k->kind);
	cJSON_ArrayForEach(v, fields) {
		const struct huce_field_def *f;

		if (!v->string)
			return huce_fail(err, HUCE_EINVAL, _("%s: unnamed field"), k->kind);
		f = huce_field_find(k, v->string);
		if (!f || (from_wire && f->local_only))
			return huce_fail(err, HUCE_EINVAL, _("%s: unknown field '%.40s'"),
					 k->kind, v->string);
		if (f - k->fields < 64)
			seen |= 1ull << (f - k->fields);
		rc = check_value(k, f, v, err);
		if (rc)
			return rc;
	}
	if (creating) {
		for (size_t i = 0; i < k->nfields; i++) {
			const struct huce_field_def *f = &k->fields[i];

			if (f->required && !(i < 64 && (seen >> i & 1)) &&
			    !cJSON_GetObjectItemCaseSensitive(fields, f->name))
				return huce_fail(err, HUCE_EINVAL,
						 _("%s: required field '%s' is missing"),
						 k->kind, f->name);
		}
	}
	return HUCE_OK;
}

static const char *map(const char *const *from, const char *const *to,
		       const char *s)
{
	int i = huce_enum_index(from, s);

	return i < 0 ? NULL : to[i];
}

const char *huce_approach_label(const char *code)
{
	return map(huce_approaches, approach_labels, code);
}

const char *huce_build_label(const char *code)
{
	return map(huce_builds, build_labels, code);
}

const char *huce_role_label(const char *code)
{
	return map(huce_roles, role_labels, code);
}

static const char *to_code(const char *const *codes, const char *const *labels,
			   const char *s)
{
	int i = huce_enum_index(codes, s);

	if (i >= 0)
		return codes[i];
	return map(labels, codes, s);
}

const char *huce_approach_code(const char *s)
{
	return to_code(huce_approaches, approach_labels, s);
}

const char *huce_build_code(const char *s)
{
	return to_code(huce_builds, build_labels, s);
}

const char *huce_role_code(const char *s)
{
	return to_code(huce_roles, role_labels, s);
}

const char *huce_value_text(const char *what, const char *code)
{
	static const char *const words[] = {
		NC_("status", "planned"), NC_("status", "building"),
		NC_("status", "built"), NC_("status", "accepted"),
		NC_("status", "failed"), NC_("status", "rectifying"),
		NC_("result", "pass"), NC_("result", "fail"),
		NC_("stage", "excavation"), NC_("stage", "pre-cover"),
		NC_("stage", "completion"), NC_("stage", "first-toilet"),
		NC_("stage", "re-inspection"), NC_("stage", "spot-check"),
		NC_("review", "received"), NC_("review", "approved"),
		NC_("review", "has-issues"), NC_("review", "edited"),
		NC_("rectification", "open"), NC_("rectification", "closed"),
		NC_("photo", "before"), NC_("photo", "excavation"),
		NC_("photo", "tank"), NC_("photo", "water-test"),
		NC_("photo", "room"), NC_("photo", "pan"), NC_("photo", "vent"),
		NC_("photo", "cover"), NC_("photo", "plaque"), NC_("photo", "after"),
		NC_("approach", "biogas-retrofit"), NC_("approach", "new-build"),
		NC_("build", "self"), NC_("build", "contracted"),
		NC_("type", "three-grid"), NC_("type", "double-urn"),
		NC_("type", "biogas"), NC_("type", "urine-diversion"),
		NC_("type", "double-pit"), NC_("type", "sewer"),
		NC_("water", "wet"), NC_("water", "dry"),
		NC_("role", "village-lead"), NC_("role", "liaison"),
		NC_("role", "technician"), NC_("role", "inspector"),
		NC_("role", "data-entry"), NC_("role", "office"),
		NC_("conflict", "field"), NC_("conflict", "inspection"),
		NC_("conflict", "duplicate"), NC_("conflict", "delete"),
		NC_("conflict status", "open"), NC_("conflict status", "resolved"),
	};
	size_t n = strlen(what);

	if (!code)
		return code;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(words[i], what, n) == 0 && words[i][n] == '\004' &&
		    strcmp(words[i] + n + 1, code) == 0)
			return huce_pgettext(words[i]);
	return code;
}

const char *huce_kind_text(const char *kind)
{
	static const char *const kinds[][2] = {
		{ "village", N_("village") },
		{ "group", N_("group") },
		{ "cadre", N_("cadre") },
		{ "team", N_("team") },
		{ "household", N_("household") },
		{ "inspection", N_("inspection") },
		{ "rectification", N_("rectification") },
		{ "photo", N_("photo") },
		{ "target", N_("target") },
		{ "conflict", N_("conflict") },
	};

	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i][0]) == 0)
			return _(kinds[i][1]);
	return kind;
}
