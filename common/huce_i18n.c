/*
 * huce_i18n.c - the locale and the catalogs of huce (huce_i18n.h).
 *
 * The directory of the catalogs is found the way client/cmd_sync.c finds
 * the network module: relative to the executable first, so a tree
 * unpacked anywhere (dpkg-deb -x, DESTDIR) and the build tree speak the
 * user's language without being installed.
 */
#include "huce_i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HUCE_LOCALEDIR
#define HUCE_LOCALEDIR "/usr/local/share/locale"
#endif
#ifndef HUCE_LOCALEDIR_REL
#define HUCE_LOCALEDIR_REL "../share/locale"
#endif

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of catalogs to bind into out (size n); see the header. */
static void find_localedir(char *out, size_t n)
{
	static const char *const rel[] = { HUCE_LOCALEDIR_REL, "../po" };
	const char *env = getenv("HUCE_LOCALEDIR");
	char exe[PATH_MAX];
	char *slash;
	ssize_t len;

	if (env && *env) {
		snprintf(out, n, "%s", env);
		return;
	}
	snprintf(out, n, "%s", HUCE_LOCALEDIR);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || (size_t)len >= sizeof(exe) - 1)
		return;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char dir[PATH_MAX + 64];
		int w;

		if (rel[i][0] == '/')
			continue;
		w = snprintf(dir, sizeof(dir), "%s/%s", exe, rel[i]);
		if (w > 0 && (size_t)w < sizeof(dir) && (size_t)w < n && is_dir(dir)) {
			memcpy(out, dir, (size_t)w + 1);
			return;
		}
	}
}

void huce_i18n_label(const char *label, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cols += *p >= 0xe0 ? 2 : 1;
	fputs(label, stdout);
	do
		putchar(' ');
	while (cols++ < width);
}

const char *huce_pgettext(const char *key)
{
	const char *t = dgettext(HUCE_TEXTDOMAIN, key);
	const char *eot;

	if (t != key)
		return t;
	eot = strchr(key, '\004');
	return eot ? eot + 1 : key;
}

void huce_i18n_init(void)
{
	char dir[PATH_MAX + 64];

	/*
	 * Not LC_ALL: numbers, dates and sorting stay "C" (see the
	 * header), and a category the environment names wrongly does not
	 * cost the others.  LC_CTYPE is C.UTF-8, not the user's: UTF-8 for
	 * libc's own messages (strerror), and the C rules of isspace,
	 * tolower and strcasecmp for the ASCII of headers, keywords and
	 * answers (in tr_TR, tolower('I') is not 'i').
	 */
	setlocale(LC_MESSAGES, "");
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C.utf8");
	find_localedir(dir, sizeof(dir));
	bindtextdomain(HUCE_TEXTDOMAIN, dir);
	bind_textdomain_codeset(HUCE_TEXTDOMAIN, "UTF-8");
	textdomain(HUCE_TEXTDOMAIN);
}

struct huce_i18n_scope huce_i18n_c_begin(void)
{
	struct huce_i18n_scope s = { (locale_t)0, newlocale(LC_ALL_MASK, "C", (locale_t)0) };

	if (s.c)
		s.was = uselocale(s.c);
	return s;
}

void huce_i18n_c_end(struct huce_i18n_scope s)
{
	if (!s.c)
		return;
	uselocale(s.was);
	freelocale(s.c);
}
