/*
 * main.c - `huce-syncd`: one binary, three faces.
 *
 *   huce-syncd [--log-level L] agent|central|admin ARGS...
 *
 * The agent runs on a cadre's laptop (push and pull over libcurl), the
 * central serves the town office's HTTP API, and admin is the office's
 * command line over the central store.  They share one binary because
 * they share the batch codec, the store and the merge rules, and one
 * file to install is one thing less to get wrong in a town office.
 *
 * Only the options that apply to all three are read here; the rest of
 * the line belongs to the subcommand, whose argv[0] is its own name.
 * The central logs one line per request at "info", so that is its
 * default level; the others stay at "warn" unless told otherwise.
 *
 * The office's tools (admin) and this file's own words speak the user's
 * language (common/huce_i18n.h); the central and the agent speak English
 * whatever the machine's, as their words go on the wire (a refused
 * change's reason, an error's message) and into logs.
 */
#include "syncd.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "http_server.h"
#include "huce_i18n.h"
#include "huce_log.h"

static const char usage[] =
N_("usage: huce-syncd [--log-level error|warn|info|debug] COMMAND [ARGS]\n"
"\n"
"Sync daemon and office tools for the household-toilet renovation (户厕改造).\n"
"\n"
"commands:\n"
"  agent --db PATH [--once] [--interval S]\n"
"        push this laptop's changes to the central and pull the others'\n"
"  central --store SQLITE_PATH --listen HOST:PORT [--port-file F]\n"
"        [--tls-cert F --tls-key F] [--checklists DIR] [--max-body BYTES]\n"
"        [--threads N] [--rate R] [--burst N]\n"
"        serve the town office's HTTP API\n"
"  admin --store S device add|list|revoke ...\n"
"  admin --store S household list | conflicts | resolve | import | report\n"
"        the office's tools on the central store\n"
"\n"
"`huce-syncd COMMAND --help` for more.\n"
"exit codes: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found\n");

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	enum huce_log_level default_level;
	int speaks;		/* in the user's language, else in English */
};

static const struct subcommand subcommands[] = {
	{ "agent", agent_main, HUCE_LOG_WARN, 0 },
	{ "central", central_main, HUCE_LOG_INFO, 0 },
	{ "admin", admin_main, HUCE_LOG_WARN, 1 },
	{ NULL, NULL, HUCE_LOG_WARN, 0 },
};

/* Take --log-level L / --log-level=L; returns 0, or 2 after a message. */
static int set_log_level(const char *val, int *given)
{
	int level = huce_log_parse_level(val);

	if (level < 0) {
		fprintf(stderr, _("huce-syncd: unknown log level '%s'\n"), val);
		return 2;
	}
	huce_log_set_level((enum huce_log_level)level);
	*given = 1;
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, level_given = 0, ret;

	huce_i18n_init();
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(_(usage), stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			puts("huce-syncd " HUCE_VERSION);
			return 0;
		}
		if (strcmp(a, "--log-level") == 0) {
			if (i + 1 >= argc) {
				fputs(_("huce-syncd: option '--log-level' needs a value\n"),
				      stderr);
				return 2;
			}
			ret = set_log_level(argv[i + 1], &level_given);
			if (ret)
				return ret;
			i += 2;
			continue;
		}
		if (strncmp(a, "--log-level=", 12) == 0) {
			ret = set_log_level(a + 12, &level_given);
			if (ret)
				return ret;
			i++;
			continue;
		}
		fprintf(stderr, _("huce-syncd: unknown option '%s'\n"), a);
		fputs(_(usage), stderr);
		return 2;
	}
	if (i >= argc) {
		fputs(_("huce-syncd: no command given\n"), stderr);
		fputs(_(usage), stderr);
		return 2;
	}
	if (strcmp(argv[i], "help") == 0) {
		fputs(_(usage), stdout);
		return 0;
	}
	for (const struct subcommand *sc = subcommands; sc->name; sc++) {
		if (strcmp(sc->name, argv[i]) != 0)
			continue;
		if (!level_given)
			huce_log_set_level(sc->default_level);
		/* Still one thread: the locale may change. */
		if (!sc->speaks) {
			setlocale(LC_MESSAGES, "C");
			setlocale(LC_CTYPE, "C");
		}
		ret = sc->fn(argc - i, argv + i);
		fflush(stdout);
		if (ferror(stdout) && ret == 0) {
			fputs(_("huce-syncd: cannot write output\n"), stderr);
			ret = 1;
		}
		return ret;
	}
	fprintf(stderr, _("huce-syncd: unknown command '%s'\n"), argv[i]);
	fputs(_(usage), stderr);
	return 2;
}
