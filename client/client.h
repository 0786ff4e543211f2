/*
 * client.h - shared state and helpers of the `huce` command-line tool.
 *
 * main.c finds the database path (--db, $HUCE_DB, or the per-user data
 * path), then dispatches to one cmd_* function per command; each returns
 * the process exit code of the contract (DESIGN.md section 6).  Errors
 * are printed once, as one line on stderr, by cli_fail()/cli_usage().
 */
#ifndef HUCE_CLIENT_H
#define HUCE_CLIENT_H

#include <getopt.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "huce_err.h"
#include "huce_local.h"

struct cli {
	char *db_path;			/* owned */
	const char *checklists_dir;	/* --checklists, $HUCE_CHECKLISTS, or NULL */
	struct huce_local *l;		/* open store, or NULL */
	struct huce_error err;
};

/* Open the store; refuse when the device was never initialised. */
int cli_open(struct cli *c);
/* Print err's message (or the code's text) and return the exit code. */
int cli_fail(struct cli *c, enum huce_err rc);
/* Print "huce: <message>" and a usage hint; return 2. */
int cli_usage(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print a message for an explicit code; return its exit code. */
int cli_error(enum huce_err rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse the options of a command with getopt_long (GNU permutation:
 * options and operands in any order).  Every command accepts --help and
 * --json.  Returns the option char, -1 at the end, or '?' after printing
 * a usage error.
 */
int cli_getopt(int argc, char **argv, const struct option *opts, int *json,
	       const char *usage);

/* Print a JSON value (pretty, UTF-8 as is) followed by a newline. */
void cli_print_json(const cJSON *v);

/*
 * Resolve a village/group/cadre/team named by name or id to its id.
 * parent_id limits groups to a village (may be NULL).  Prints the error
 * and returns its exit code, or 0 with out filled.
 */
int cli_resolve(struct cli *c, const char *kind, const char *parent_id,
		const char *name_or_id, char *out);
/* Resolve a household or inspection id (full id or unique prefix). */
int cli_find_id(struct cli *c, const char *kind, const char *prefix, char *out);
int cli_resolve_id(struct cli *c, const char *kind, const char *prefix,
		   char *out);

/*
 * Load the network module huce-net.so (client/huce_net.h), for the
 * commands that talk to the central: enroll, sync, photo get.  Prints
 * the error and returns its exit code, or 0 with *out set.
 */
struct huce_net;
int cli_net_load(const struct huce_net **out);

/* Commands. */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_village(struct cli *c, int argc, char **argv);
int cmd_group(struct cli *c, int argc, char **argv);
int cmd_cadre(struct cli *c, int argc, char **argv);
int cmd_team(struct cli *c, int argc, char **argv);
int cmd_target(struct cli *c, int argc, char **argv);
int cmd_household(struct cli *c, int argc, char **argv);
int cmd_inspect(struct cli *c, int argc, char **argv);
int cmd_photo(struct cli *c, int argc, char **argv);
int cmd_rectify(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_conflicts(struct cli *c, int argc, char **argv);
int cmd_enroll(struct cli *c, int argc, char **argv);
int cmd_sync(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_import_ack(struct cli *c, int argc, char **argv);
int cmd_quarantine(struct cli *c, int argc, char **argv);
int cmd_clock(struct cli *c, int argc, char **argv);
/* The text of status's "clock" object (huce_clock_status; NULL: never). */
void cli_clock_print(const cJSON *clock);

/* The household list/JSON shape shared with `huce-syncd admin`. */
cJSON *cli_household_json(struct cli *c, sqlite3_stmt *st);

/*
 * The domain rules of a household (huce_local_household_check: team and
 * build mode, phone, GPS, progress dates, one ID number one household,
 * the first-toilet gate) for wire fields f about to be written to
 * household id, whose live row is cur (NULL when there is none).  A
 * status in f is dropped (it is derived).  Prints the error and returns
 * its exit code, or 0.
 */
int cli_household_rules(struct cli *c, cJSON *f, const cJSON *cur,
			const char *id);

/*
 * What a cadre calls record id of kind, from its local row or else from
 * fields (may be NULL): a household as "head (village group)", an
 * inspection by stage, date and household, a named record by its name.
 * Malloc'd; the caller frees.  NULL on OOM.
 */
char *cli_record_name(struct cli *c, const char *kind, const char *id,
		      const cJSON *fields);

#endif
