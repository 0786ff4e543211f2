/*
 * huce_review.c - the states of the office's review and their one rule
 * (huce_review.h).
 */
#include "huce_review.h"

#include <string.h>

const char *const huce_review_states[] = {
	"received", "approved", "has-issues", "edited", NULL
};

const char *huce_review_label(enum huce_review_state s)
{
	static const char *const labels[] = { "已接收", "审核通过", "有问题", "已修改" };

	return (unsigned)s < HUCE_REVIEW__COUNT ? labels[s] : "?";
}

int huce_review_parse(const char *s)
{
	for (int i = 0; s && huce_review_states[i]; i++)
		if (strcmp(s, huce_review_states[i]) == 0)
			return i;
	return -1;
}

int huce_review_parse_text(const char *s)
{
	for (int i = 0; s && huce_review_states[i]; i++)
		if (strcmp(s, huce_review_states[i]) == 0 ||
		    strcmp(s, huce_review_label((enum huce_review_state)i)) == 0)
			return i;
	return -1;
}

enum huce_review_state huce_review_next(enum huce_review_state state,
					enum huce_review_event ev)
{
	switch (ev) {
	case HUCE_REVIEW_EV_APPROVE:
		return HUCE_REVIEW_APPROVED;
	case HUCE_REVIEW_EV_ISSUES:
		return HUCE_REVIEW_ISSUES;
	case HUCE_REVIEW_EV_DEVICE_CHANGE:
		return state == HUCE_REVIEW_ISSUES ? HUCE_REVIEW_EDITED : state;
	}
	return state;
}

cJSON *huce_review_json(const char *state, const char *note, const char *by,
			const char *at)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "state", state ? state : "received") ||
	    !(note ? cJSON_AddStringToObject(o, "note", note) : cJSON_AddNullToObject(o, "note")) ||
	    !(by ? cJSON_AddStringToObject(o, "by", by) : cJSON_AddNullToObject(o, "by")) ||
	    !(at ? cJSON_AddStringToObject(o, "at", at) : cJSON_AddNullToObject(o, "at"))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void huce_review_id(const char *household_id, char *out)
{
	huce_id_named("review", household_id, "review", out);
}
