/*
 * main.c - `huce`, the cadre's command-line tool over the local store.
 *
 * Global options (--db, --checklists, --log-level) may stand anywhere on
 * the line; they are taken out before the command is dispatched, so
 * `huce --db f village list` and `huce village list --db f` both work.
 */
#include "client.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "huce_log.h"
#include "huce_record.h"
#include "huce_util.h"

static const char main_usage[] =
N_("usage: huce [--db PATH] [--checklists DIR] COMMAND [ARGS]\n"
"\n"
"Field data collector for the household-toilet renovation (户厕改造).\n"
"Works offline on a local SQLite file: --db PATH, else $HUCE_DB, else\n"
"$XDG_DATA_HOME/huce/huce.db (~/.local/share/huce/huce.db).\n"
"\n"
"commands:\n"
"  init --device NAME [--town NAME]      set up this laptop\n"
"  enroll URL TOKEN                      register with the town's central\n"
"  village add NAME | list               村委会\n"
"  group add --village V NAME | list     村民小组\n"
"  cadre add NAME --role ROLE | list     干部\n"
"  team add NAME | list                  施工队\n"
"  household add|list|show|set|assign|delete   农户 and their toilets\n"
"  inspect HOUSEHOLD --stage S --inspector NAME [--item CODE=VALUE]...\n"
"  photo add HOUSEHOLD|INSPECTION FILE --kind KIND\n"
"  photo list|get|delete|import          photos: kept here, fetched on demand\n"
"  rectify list                          open rectifications (整改)\n"
"  target set --village V --week YYYY-Www N\n"
"  status | sync | export DIR|FILE | import DIR|FILE (import-ack)\n"
"  quarantine [drop|retry SEQ]           changes the central refused, and why\n"
"  clock [confirm ID... | --all]         the laptop's clock, dates to confirm\n"
"  report week [--week YYYY-Www]         周清单\n"
"  conflicts                             conflicts known from the central\n"
"  ui [--port N] [--no-browser]          the web app (户厕验收) in a browser\n"
"\n"
"Every listing and status take --json.  `huce COMMAND --help` for more.\n"
"exit codes: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found\n");

int cli_error(enum huce_err rc, const char *fmt, ...)
{
	va_list ap;

	fputs("huce: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return huce_err_exit(rc);
}

int cli_fail(struct cli *c, enum huce_err rc)
{
	if (c->err.code == rc && c->err.msg[0])
		return cli_error(rc, "%s", c->err.msg);
	return cli_error(rc, "%s", _(huce_err_text(rc)));
}

int cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("huce: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage)
		fputs(_(usage), stderr);
	return 2;
}

int cli_getopt(int argc, char **argv, const struct option *opts, int *json,
	       const char *usage)
{
	struct option all[32];
	int n = 0, ch;

	for (; opts && opts[n].name && n < 28; n++)
		all[n] = opts[n];
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	for (;;) {
		ch = getopt_long(argc, argv, ":h", all, NULL);
		if (ch == 'J') {
			if (json)
				*json = 1;
			else
			{
				cli_usage(usage, _("option '--json' does not apply here"));
				return '?';
			}
			continue;
		}
		if (ch == 'h') {
			fputs(_(usage), stdout);
			exit(0);
		}
		if (ch == '?') {
			if (optopt)
				cli_usage(usage, _("unknown option '-%c'"), optopt);
			else
				cli_usage(usage, _("unknown option '%s'"), argv[optind - 1]);
			return '?';
		}
		if (ch == ':') {
			cli_usage(usage, _("option '%s' needs a value"), argv[optind - 1]);
			return '?';
		}
		return ch;
	}
}

void cli_print_json(const cJSON *v)
{
	char *s = cJSON_Print(v);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

int cli_open(struct cli *c)
{
	enum huce_err rc;
	char *dev;

	if (c->l)
		return 0;
	if (access(c->db_path, F_OK) != 0)
		return cli_error(HUCE_EIO,
				 _("no database at '%s': run `huce init --device NAME` first"),
				 c->db_path);
	rc = huce_local_open(&c->l, c->db_path, &c->err);
	if (rc)
		return cli_fail(c, rc);
	dev = huce_db_meta_get(c->l->db, "device");
	if (!dev)
		return cli_error(HUCE_EIO,
				 _("database '%s' is not initialised: run `huce init --device NAME`"),
				 c->db_path);
	free(dev);
	return 0;
}

static char *default_db_path(void)
{
	const char *env = getenv("HUCE_DB");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char dir[4096];
	char *p;

	if (env && *env)
		return strdup(env);
	if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/huce", xdg);
	else
		snprintf(dir, sizeof(dir), "%s/.local/share/huce",
			 home && *home ? home : ".");
	/* mkdir -p, owner only: the file holds personal data. */
	for (p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	p = malloc(strlen(dir) + sizeof("/huce.db"));
	if (p) {
		strcpy(p, dir);
		strcat(p, "/huce.db");
	}
	return p;
}

struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "init", cmd_init },
	{ "enroll", cmd_enroll },
	{ "village", cmd_village },
	{ "group", cmd_group },
	{ "cadre", cmd_cadre },
	{ "team", cmd_team },
	{ "target", cmd_target },
	{ "household", cmd_household },
	{ "inspect", cmd_inspect },
	{ "photo", cmd_photo },
	{ "rectify", cmd_rectify },
	{ "status", cmd_status },
	{ "sync", cmd_sync },
	{ "export", cmd_export },
	{ "import-ack", cmd_import_ack },
	{ "import", cmd_import_ack },
	{ "quarantine", cmd_quarantine },
	{ "report", cmd_report },
	{ "conflicts", cmd_conflicts },
	{ "ui", cmd_ui },
	{ "clock", cmd_clock },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	char **args;
	int n = 0, ret;
	const char *db = NULL;
	const char *env;

	huce_i18n_init();
	env = getenv("HUCE_LOG");
	if (env && huce_log_parse_level(env) >= 0)
		huce_log_set_level((enum huce_log_level)huce_log_parse_level(env));
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	/* Take the global options out wherever they stand. */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		const char *val = NULL;

		if (i > 0 && strcmp(a, "--") == 0) {
			for (; i < argc; i++)
				args[n++] = argv[i];
			break;
		}
		if (i > 0 && (strcmp(a, "--db") == 0 || strcmp(a, "--checklists") == 0 ||
			      strcmp(a, "--log-level") == 0)) {
			if (i + 1 >= argc) {
				free(args);
				return cli_usage(NULL, _("option '%s' needs a value"), a);
			}
			val = argv[++i];
		} else if (i > 0 && (strncmp(a, "--db=", 5) == 0 ||
				     strncmp(a, "--checklists=", 13) == 0 ||
				     strncmp(a, "--log-level=", 12) == 0)) {
			val = strchr(a, '=') + 1;
		} else {
			args[n++] = argv[i];
			continue;
		}
		if (strncmp(a, "--db", 4) == 0)
			slot = &db;
		else if (strncmp(a, "--checklists", 12) == 0)
			slot = &c.checklists_dir;
		if (slot) {
			*slot = val;
		} else if (huce_log_parse_level(val) < 0) {
			free(args);
			return cli_usage(NULL, _("unknown log level '%s'"), val);
		} else {
			huce_log_set_level((enum huce_log_level)huce_log_parse_level(val));
		}
	}
	args[n] = NULL;
	if (n < 2) {
		fputs(_(main_usage), stderr);
		free(args);
		return 2;
	}
	if (strcmp(args[1], "--help") == 0 || strcmp(args[1], "-h") == 0 ||
	    strcmp(args[1], "help") == 0) {
		fputs(_(main_usage), stdout);
		free(args);
		return 0;
	}
	if (strcmp(args[1], "--version") == 0) {
		puts("huce " HUCE_VERSION);
		free(args);
		return 0;
	}
	if (!c.checklists_dir) {
		env = getenv("HUCE_CHECKLISTS");
		if (env && *env)
			c.checklists_dir = env;
	}
	if (db && !*db) {
		free(args);
		return cli_usage(NULL, _("--db needs a path"));
	}
	c.db_path = db ? strdup(db) : default_db_path();
	if (!c.db_path) {
		free(args);
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	}
	ret = -1;
	for (const struct command *cmd = commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, args[1]) == 0) {
			optind = 0;
			ret = cmd->fn(&c, n - 1, args + 1);
			break;
		}
	}
	if (ret < 0)
		ret = cli_usage(main_usage, _("unknown command '%s'"), args[1]);
	huce_local_close(c.l);
	free(c.db_path);
	free(args);
	fflush(stdout);
	if (ferror(stdout) && ret == 0)
		ret = cli_error(HUCE_EIO, _("cannot write output"));
	return ret;
}
