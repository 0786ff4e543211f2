/*
 * names.c - records named for a person at the central (names.h).
 */
#include "names.h"

#include <stdio.h>
#include <string.h>

#define CODE_MIN 6
#define TEXT_MAX 400

static void copy_str(char *out, size_t n, const char *s)
{
	snprintf(out, n, "%s", s ? s : "");
}

enum huce_err names_code_of(struct store *s, const char *kind, const char *id,
			    char out[HUCE_CODE_STRLEN + 1],
			    struct huce_error *err)
{
	size_t n = strlen(id);

	for (size_t len = CODE_MIN; len <= HUCE_CODE_STRLEN; len += 2) {
		const char *tail = n > len ? id + n - len : id;
		char ids[2][HUCE_ID_STRLEN + 1];
		size_t found = 0;
		enum huce_err rc;

		rc = store_id_match(s, kind, tail, STORE_MATCH_TAIL, ids, 2, &found, err);
		if (rc)
			return rc;
		if (found <= 1 || len == HUCE_CODE_STRLEN || tail == id) {
			copy_str(out, HUCE_CODE_STRLEN + 1, tail);
			return HUCE_OK;
		}
	}
	copy_str(out, HUCE_CODE_STRLEN + 1, n > CODE_MIN ? id + n - CODE_MIN : id);
	return HUCE_OK;
}

enum huce_err names_resolve(struct store *s, const char *kind,
			    const char *what, const char *typed,
			    char out[HUCE_ID_STRLEN + 1],
			    struct huce_error *err)
{
	char key[HUCE_ID_STRLEN + 1], ids[2][HUCE_ID_STRLEN + 1];
	size_t found = 0;
	int tail_ok;
	enum huce_err rc;

	if (huce_code_key(typed, key, &tail_ok, NULL))
		return huce_fail(err, HUCE_ENOTFOUND, "%s %.40s not found: give its "
				 "code or id as listed", what, typed);
	rc = store_id_match(s, kind, key, STORE_MATCH_LIVE | STORE_MATCH_PREFIX |
			    (tail_ok ? STORE_MATCH_TAIL : 0), ids, 2, &found, err);
	if (rc)
		return rc;
	if (!found)
		return huce_fail(err, HUCE_ENOTFOUND, "%s %s not found", what, key);
	if (found > 1)
		return huce_fail(err, HUCE_EINVAL, "'%s' matches more than one %s: "
				 "type more of its code", key, what);
	copy_str(out, HUCE_ID_STRLEN + 1, ids[0]);
	return HUCE_OK;
}

/* The string field name of record id ("" when absent or not a string). */
static void field_text(struct store *s, const char *id, const char *name,
		       char *out, size_t n)
{
	char *v = NULL;
	cJSON *j;

	out[0] = '\0';
	if (!id || !id[0] || store_field_get(s, id, name, &v, NULL) != HUCE_OK) {
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
static void state_text(struct store *s, const char *id, const cJSON *fields,
		       const char *name, char *out, size_t n)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fields, name));

	if (v)
		copy_str(out, n, v);
	else
		field_text(s, id, name, out, n);
}

void names_label(struct store *s, const char *id, const cJSON *fields,
		 char *out, size_t n)
{
	char head[TEXT_MAX], ref[HUCE_ID_STRLEN + 1];
	char village[TEXT_MAX], group[TEXT_MAX];

	state_text(s, id, fields, "head", head, sizeof(head));
	if (!head[0]) {
		state_text(s, id, fields, "name", head, sizeof(head));
		copy_str(out, n, head[0] ? head : id);
		return;
	}
	state_text(s, id, fields, "village_id", ref, sizeof(ref));
	field_text(s, ref, "name", village, sizeof(village));
	state_text(s, id, fields, "group_id", ref, sizeof(ref));
	field_text(s, ref, "name", group, sizeof(group));
	if (village[0] || group[0])
		snprintf(out, n, "%s (%s%s%s)", head, village,
			 village[0] && group[0] ? " " : "", group);
	else
		copy_str(out, n, head);
}

/* Add field name of id as key (null when absent). */
static void add_field(struct store *s, cJSON *o, const char *key,
		      const char *id, const char *name)
{
	char v[TEXT_MAX];

	field_text(s, id, name, v, sizeof(v));
	if (v[0])
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* The name of the record that field ref of id points to, as key. */
static void add_ref_name(struct store *s, cJSON *o, const char *key,
			 const char *id, const char *ref)
{
	char rid[HUCE_ID_STRLEN + 1], v[TEXT_MAX];

	field_text(s, id, ref, rid, sizeof(rid));
	field_text(s, rid, "name", v, sizeof(v));
	if (v[0])
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

struct insp_count {
	int n;
	char date[32], result[32];
};

static enum huce_err insp_visit(void *arg, const struct store_record *r,
				const cJSON *fields)
{
	struct insp_count *ic = arg;
	const char *date = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "date"));
	const char *res = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "result"));
	const char *voided = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "voided"));

	if (strcmp(r->kind, "inspection") != 0 || (voided && voided[0]))
		return HUCE_OK;
	ic->n++;
	if (date && res && strcmp(date, ic->date) >= 0) {
		copy_str(ic->date, sizeof(ic->date), date);
		copy_str(ic->result, sizeof(ic->result), res);
	}
	return HUCE_OK;
}

cJSON *names_describe(struct store *s, const char *id)
{
	cJSON *o = cJSON_CreateObject();
	struct store_record r;
	char code[HUCE_CODE_STRLEN + 1], label[TEXT_MAX], hh[HUCE_ID_STRLEN + 1];
	int known;

	if (!o)
		return NULL;
	known = store_record_get(s, id, &r, NULL) == HUCE_OK;
	if (!known || names_code_of(s, r.kind, id, code, NULL))
		copy_str(code, sizeof(code), strlen(id) > CODE_MIN ?
			 id + strlen(id) - CODE_MIN : id);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "code", code);
	if (known)
		cJSON_AddStringToObject(o, "kind", r.kind);
	else
		cJSON_AddNullToObject(o, "kind");
	names_label(s, id, NULL, label, sizeof(label));
	cJSON_AddStringToObject(o, "label", label);
	if (!known)
		return o;
	if (strcmp(r.kind, "household") == 0) {
		struct insp_count ic = { 0 };
		char q[HUCE_ID_STRLEN + 3];

		add_field(s, o, "head", id, "head");
		add_ref_name(s, o, "village", id, "village_id");
		add_ref_name(s, o, "group", id, "group_id");
		add_field(s, o, "id_masked", id, "id_masked");
		cJSON_AddStringToObject(o, "device", r.created_by);
		cJSON_AddBoolToObject(o, "deleted", r.deleted);
		snprintf(q, sizeof(q), "\"%s\"", id);
		store_by_field(s, "household_id", q, NULL, insp_visit, &ic, NULL);
		cJSON_AddNumberToObject(o, "inspections", ic.n);
		if (ic.result[0])
			cJSON_AddStringToObject(o, "last_result", ic.result);
		else
			cJSON_AddNullToObject(o, "last_result");
	} else if (strcmp(r.kind, "inspection") == 0) {
		field_text(s, id, "household_id", hh, sizeof(hh));
		names_label(s, hh, NULL, label, sizeof(label));
		cJSON_AddStringToObject(o, "household", label);
		add_field(s, o, "stage", id, "stage");
		add_field(s, o, "date", id, "date");
		add_field(s, o, "inspector", id, "inspectors");
		add_field(s, o, "result", id, "result");
		add_field(s, o, "voided", id, "voided");
		cJSON_AddStringToObject(o, "device", r.created_by);
	}
	return o;
}
