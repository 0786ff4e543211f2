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
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "huce_err.h"
#include "huce_i18n.h"
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
/*
 * Print "huce: <message>" and a usage hint; return 2.  usage is the
 * English text (marked N_()); it is printed in the user's language.
 * Callers give fmt through _() (common/huce_i18n.h).
 */
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
int cmd_ui(struct cli *c, int argc, char **argv);

/*
 * A module of `huce` (huce-net.so, huce-ui.so): find file next to the
 * executable, else where meson installed it (client/huce_net.h), dlopen
 * it and return its symbol; path gets the file found.  what names it in
 * messages ("network").  Prints the error and returns NULL on failure.
 * The handle is never closed: the process ends with the command.
 */
const void *cli_module_load(const char *what, const char *file,
			    const char *symbol, char *path, size_t pathsize);
/*
 * Load the network module (cli_module_load) and check that it is of
 * this build, for what talks to the central: enroll, sync, photo get
 * and the web app's sync.  Prints the error and returns its exit code,
 * or 0 with *out set.
 */
struct huce_net;
int cli_net_load(const struct huce_net **out);

/*
 * Keep the photo p, re-encoded by huce_photo_prepare() or
 * huce_photo_prepare_mem(), in the folder beside this laptop's database
 * and attach it to owner (a household or inspection id) as kind:
 * huce_photo_keep() (common/huce_photo.h) on huce_photo_store_dir().
 * Inside a transaction; id (37 bytes) gets the photo's id, *existed
 * (may be NULL) says the same picture was already attached.  The one
 * door of every photo: `huce inspect --photo`, `photo add`, `photo
 * import --yes`, and the web app's acceptance form and import grid.
 */
struct huce_photo;
enum huce_err cli_photo_put(struct cli *c, const char *owner, const char *kind,
			    const struct huce_photo *p, char *id, int *existed);

/*
 * One row of `huce photo import --json` for the file at path as
 * huce_photo_scan_file() found it: {file, state, sha256, taken_at, gps,
 * household, metres, inspection, stage, kind, reason}, state "known",
 * "refused", "no-match", "sure" or "unsure"; kind overrides the proposed
 * kind when not NULL.  The web app's import grid shows the same rows.
 * The caller owns the object; NULL on OOM.
 */
struct huce_photo_scan;
cJSON *cli_photo_scan_json(const char *path, const struct huce_photo_scan *s,
			   const char *kind);

/* The household list/JSON shape shared with `huce-syncd admin`. */
cJSON *cli_household_json(struct cli *c, sqlite3_stmt *st);

/*
 * The domain rules of a household (huce_local_household_check: team and
 * build mode, phone, GPS, progress dates, one ID number one household,
 * the first-toilet gate) for wire fields f about to be written to
 * household id, whose live row is cur (NULL when there is none).  A
 * status in f is dropped (it is derived).  The error is in c->err;
 * nothing is printed.
 */
enum huce_err cli_household_rules(struct cli *c, cJSON *f, const cJSON *cur,
				  const char *id);

/*
 * What a cadre calls record id of kind, from its local row or else from
 * fields (may be NULL): a household as "head (village group)", an
 * inspection by stage, date and household, a named record by its name.
 * Malloc'd; the caller frees.  NULL on OOM.
 */
char *cli_record_name(struct cli *c, const char *kind, const char *id,
		      const cJSON *fields);
/* The same in the user's language, for a message (not for JSON). */
char *cli_record_text(struct cli *c, const char *kind, const char *id,
		      const cJSON *fields);

/*
 * The changes the central refused, as `huce quarantine --json` prints
 * them: [{seq, kind, record, name, op, fields, reason, at}].  NULL with
 * c->err set on failure; the caller frees the array.
 */
cJSON *cli_quarantine_json(struct cli *c);

/*
 * What was done to a quarantined entry: the kind and the name of its
 * record (cli_record_text: the web app calls in the "C" locale, so it is
 * cli_record_name's English there), and after a retry whether the record
 * changed and the seq of the new outbox entry that sends it.
 */
struct cli_quarantine_done {
	char kind[32];
	char *name;		/* owned; NULL on OOM */
	int changed;
	int64_t seq;
};
void cli_quarantine_done_release(struct cli_quarantine_done *d);

/*
 * `huce quarantine drop SEQ` and `retry SEQ`, for the CLI and the web
 * app alike.  Drop gives the change up (its entry is deleted).  Retry
 * applies it again through this laptop's own rules (the references it
 * makes, the household rules and the first-toilet gate) as a new
 * outbox entry, and deletes the quarantined one, in one transaction.
 * HUCE_ENOTFOUND when no quarantined entry has that seq; HUCE_EINVAL or
 * HUCE_EGATE (with what to do first) when the change still cannot be
 * made.  The message is in c->err; nothing is printed.  out is zeroed
 * first and filled as far as the call got; the caller releases it.
 */
enum huce_err cli_quarantine_drop(struct cli *c, int64_t seq,
				  struct cli_quarantine_done *out);
enum huce_err cli_quarantine_retry(struct cli *c, int64_t seq,
				   struct cli_quarantine_done *out);

/*
 * Load this laptop's facts into a weekly list (common/huce_report.h):
 * the same facts the central loads from its store.  The laptop cannot
 * know when a record reached the central, so every arrival time is 0.
 */
struct huce_report;
enum huce_err cli_report_load(struct cli *c, struct huce_report *r,
			      const char *week);

#endif
