/*
 * huce_i18n.h - the cadre's language: messages through gettext.
 *
 * Every message a person reads (errors, help, the lines a command
 * prints) is written in English in the source and goes through _();
 * the catalog po/zh_CN.po gives its Chinese.  What a program reads
 * never changes with the language: JSON keys and values, CSV, wire
 * messages, exit codes.  So:
 *
 *   _("text")          the text in the user's language (a static string
 *                      of the catalog, or "text" itself)
 *   N_("text")         marks a text for the catalog where a call cannot
 *                      stand (a static array's initialiser); it is
 *                      translated where it is printed, with _(name)
 *   Q_(one, many, n)   a text with a count: ngettext
 *   C_(ctx, "text")    a word that means more than one thing, told apart
 *                      by its context (C_("status", "accepted"))
 *
 * Calling sequence: a program that speaks the user's language calls
 * huce_i18n_init() first thing in main() (huce, huce-syncd admin).  A
 * process that never calls it stays in the "C" locale, where _() returns
 * its argument: the central's HTTP answers and logs stay English
 * whatever its host's language, as the agent and the office's tools
 * read them.
 *
 * The catalogs are looked for, in order, in $HUCE_LOCALEDIR; in the
 * directory that lies at the same place relative to the executable as
 * the configured localedir does relative to the bindir (an installed,
 * relocated or unpacked tree: ROOT/usr/bin/huce finds
 * ROOT/usr/share/locale); in ../po next to the executable (the build
 * tree, where meson writes po/LANG/LC_MESSAGES/huce.mo); and in the
 * configured localedir.
 */
#ifndef HUCE_I18N_H
#define HUCE_I18N_H

#include <libintl.h>
#include <locale.h>

#define HUCE_TEXTDOMAIN "huce"

/*
 * dgettext with the domain named, so the modules huce-net.so and
 * huce-ui.so find the same catalog whatever textdomain() says.
 * glibc declares dgettext with format_arg, so printf(_("%s"), x) is
 * still checked by -Wformat.
 */
#define _(s) dgettext(HUCE_TEXTDOMAIN, s)
#define N_(s) s
#define Q_(one, many, n) dngettext(HUCE_TEXTDOMAIN, one, many, (unsigned long)(n))
/*
 * A word whose translation depends on what it names (msgctxt): the
 * status "accepted" is not the column "accepted".  NC_ marks one for a
 * static table, as the key huce_pgettext() takes.
 */
#define C_(ctx, s) huce_pgettext(ctx "\004" s)
#define NC_(ctx, s) ctx "\004" s

/*
 * The translation of key ("context\004text", as NC_ makes it), or the
 * text after the \004 when there is none; static.
 */
const char *huce_pgettext(const char *key) __attribute__((format_arg(1)));

/*
 * Take the language from the environment (LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG) and find the catalogs.  Only LC_MESSAGES follows
 * the environment; LC_CTYPE is C.UTF-8 (UTF-8 for libc's own messages,
 * such as strerror's, with the C rules of isspace and strcasecmp), and
 * LC_NUMERIC, LC_TIME, LC_COLLATE and the rest stay "C", so numbers
 * printed into JSON and CSV and read back with strtod keep their '.'
 * whatever the language.  Catalog text is always given as UTF-8, as
 * every other text of huce is.  Never fails: without a catalog or a
 * locale, messages stay English.
 */
void huce_i18n_init(void);

/*
 * Print label to stdout padded to width columns, then a space (as
 * printf("%-13s ") does for ASCII): a character of three or more UTF-8
 * bytes (Chinese) counts as two columns, so translated labels line up.
 */
void huce_i18n_label(const char *label, int width);

/*
 * Words that go on the wire or into a program's JSON (a refused change's
 * reason written for a laptop, a JSON answer) stay English whatever the
 * language: between huce_i18n_c_begin() and huce_i18n_c_end() the calling
 * thread's messages are in "C" (uselocale), the process's untouched.
 * Never fails: without memory for the locale, nothing is switched.
 */
struct huce_i18n_scope {
	locale_t was, c;
};
struct huce_i18n_scope huce_i18n_c_begin(void);
void huce_i18n_c_end(struct huce_i18n_scope s);

#endif
