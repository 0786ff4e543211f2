/*
 * cmd_clock.c - is this laptop's clock right, and which dates to confirm
 * (common/huce_clock.h).  `huce sync` checks the clock against the
 * central's; `huce clock` shows the last check and the dates taken from
 * the laptop's clock while it was wrong, and `huce clock confirm` is the
 * cadre saying a date is right after all.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "huce_clock.h"

static const char clock_usage[] =
N_("usage: huce clock [--json]\n"
"       huce clock confirm ID... | --all\n"
"This laptop's clock as the last sync found it against the central's, and\n"
"the inspection dates taken from it (no --date) while it was more than a\n"
"day off: check each; `confirm` says a date is right (ID: the record id or\n"
"a unique prefix; --all: every one listed).  JSON: {skew_seconds,\n"
"checked_at, off, confirm: [{record, kind, field, value, household,\n"
"stage}]}, or null when the clock was never checked.\n");

void cli_clock_print(const cJSON *clock)
{
	const cJSON *e, *arr = cJSON_GetObjectItem(clock, "confirm");
	const cJSON *skew = cJSON_GetObjectItem(clock, "skew_seconds");
	char words[48];

	if (!clock) {
		printf(_("clock        not checked yet (checked at each sync)\n"));
		return;
	}
	if (cJSON_IsNumber(skew)) {
		huce_clock_describe((int64_t)skew->valuedouble, words, sizeof(words));
		/* TRANSLATORS: the first %s is huce_clock_describe's words
		   ("3 hours ahead of"), the last the "WRONG" line below or "". */
		printf(_("clock        %s the central's (checked %s)%s\n"), words,
		       cJSON_GetStringValue(cJSON_GetObjectItem(clock, "checked_at")),
		       cJSON_IsTrue(cJSON_GetObjectItem(clock, "off")) ?
		       _(": WRONG, set the laptop's date and time") : "");
	}
	if (cJSON_GetArraySize(arr) == 0)
		return;
	printf(_("confirm the dates of these inspections (taken from a wrong clock):\n"));
	cJSON_ArrayForEach(e, arr) {
		const char *hh = cJSON_GetStringValue(cJSON_GetObjectItem(e, "household"));
		const char *stage = cJSON_GetStringValue(cJSON_GetObjectItem(e, "stage"));

		printf("  %s  %s  %s",
		       cJSON_GetStringValue(cJSON_GetObjectItem(e, "record")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(e, "value")),
		       stage ? stage : cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")));
		if (hh)
			printf(_(", household %s"), hh);
		putchar('\n');
	}
	printf(_("  (`huce clock confirm ID` once a date is checked)\n"));
}

int cmd_clock(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, all = 0, confirm, ch, r;
	enum huce_err rc;
	int64_t n = 0;
	cJSON *o;

	confirm = argc >= 2 && strcmp(argv[1], "confirm") == 0;
	if (confirm) {
		argc--;
		argv++;
	}
	while ((ch = cli_getopt(argc, argv, confirm ? opts : NULL,
				confirm ? NULL : &json, clock_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'a')
			all = 1;
	}
	if (!confirm && optind != argc)
		return cli_usage(clock_usage, _("unexpected argument '%s'"), argv[optind]);
	if (confirm && all == (optind != argc))
		return cli_usage(clock_usage, _("clock confirm takes IDs or --all"));
	r = cli_open(c);
	if (r)
		return r;
	if (confirm) {
		rc = huce_clock_confirm(c->l, (const char *const *)argv + optind,
					(size_t)(argc - optind), &n, &c->err);
		if (rc)
			return cli_fail(c, rc);
		printf(Q_("%lld date confirmed\n", "%lld dates confirmed\n", n),
		       (long long)n);
		return 0;
	}
	o = huce_clock_status(c->l);
	if (json) {
		if (o)
			cli_print_json(o);
		else
			printf("null\n");
	} else {
		cli_clock_print(o);
	}
	cJSON_Delete(o);
	return 0;
}
