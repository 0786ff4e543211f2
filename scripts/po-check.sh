#!/bin/sh
# po-check.sh [SRCDIR] - every message of huce has its Chinese.
#
# Extracts the messages of the sources listed in po/POTFILES (with the
# options of po/xgettext-args, as `ninja huce-pot` does), merges them into
# a copy of po/zh_CN.po and fails unless msgfmt finds every message
# translated: none untranslated, none fuzzy, and the format directives of
# each translation matching its English (msgfmt -c).  It also fails when
# a source file that marks messages (_(), N_(), Q_(), C_(), NC_()) is
# missing from POTFILES, or when one of those files gives an error a
# message without _() (cli_error(rc, "..."), huce_fail(err, rc, "...")),
# so new messages cannot slip past.
# Nothing in the tree is written.  Test t0831-po-complete runs it.
set -eu
SRC=${1:-$(cd "$(dirname "$0")/.." && pwd)}
for tool in xgettext msgmerge msgfmt msgattrib; do
	command -v $tool >/dev/null || {
		echo "po-check: $tool not found (Debian: apt-get install gettext; scripts/deps.sh)" >&2
		exit 1
	}
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/huce-po.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$SRC"

status=0
grep -lE '\b(_|N_|Q_|C_|NC_)\("' client/*.c client/*/*.c common/*.c common/*.h \
	syncd/*.c syncd/*/*.c 2>/dev/null | grep -v '^common/huce_i18n\.h$' | sort >"$TMP/marked"
grep -v '^#' po/POTFILES | sed '/^$/d' | sort >"$TMP/listed"
if ! cmp -s "$TMP/marked" "$TMP/listed"; then
	echo "po-check: po/POTFILES does not list the files with messages:" >&2
	diff "$TMP/listed" "$TMP/marked" | sed -n 's/^> /  missing from POTFILES: /p; s/^< /  listed but has none: /p' >&2
	status=1
fi

# In those files, an error's message is given through _(): a literal
# with words as the message argument of cli_error, cli_usage, huce_fail,
# usage_error, problem or perr is a message nobody can translate.
python3 - po/POTFILES >"$TMP/unmarked" <<'PY'
import re, sys
calls = re.compile(r'\b(cli_error|cli_usage|huce_fail|usage_error|problem|perr)\s*\(')
for f in open(sys.argv[1]).read().split():
    if not f.endswith('.c'):
        continue
    s = open(f, encoding='utf-8').read()
    s = re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), s, flags=re.S)
    for m in calls.finditer(s):
        i, depth = m.end(), 1
        while i < len(s) and depth and s[i] != ';':
            if s[i] in '([':
                depth += 1
            elif s[i] in ')]':
                depth -= 1
            elif s[i] == '"':
                j = i + 1
                while s[j] != '"':
                    j += 2 if s[j] == '\\' else 1
                lit = s[i:j + 1]
                words = re.sub(r'%[-+ #0-9.*$]*[lhzjt]*[a-zA-Z%]', '', lit)
                if depth == 1 and not s[:i].rstrip().endswith('_(') and \
                   re.search(r'[A-Za-z]{2}', words):
                    print('%s:%d: %s(..., %s' % (f, s.count('\n', 0, i) + 1,
                                                 m.group(1), lit[:60]))
                break
            i += 1
PY
if [ -s "$TMP/unmarked" ]; then
	echo "po-check: messages not given through _() (common/huce_i18n.h):" >&2
	sed 's/^/  /' "$TMP/unmarked" >&2
	status=1
fi

# shellcheck disable=SC2046
xgettext $(grep -v '^$' po/xgettext-args) --files-from=po/POTFILES \
	--directory="$SRC" -o "$TMP/huce.pot"
msgmerge -q --no-fuzzy-matching "po/zh_CN.po" "$TMP/huce.pot" -o "$TMP/zh_CN.po"
stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$TMP/zh_CN.po" 2>&1) || {
	echo "$stats" >&2
	echo "po-check: msgfmt -c refuses po/zh_CN.po" >&2
	exit 1
}
echo "zh_CN: $stats"
case "$stats" in
*untranslated* | *fuzzy*)
	echo "po-check: po/zh_CN.po lacks Chinese for some messages; run" >&2
	echo "  ninja -C BUILD huce-pot huce-update-po  and translate what msgfmt lists:" >&2
	for which in --untranslated --only-fuzzy; do
		msgattrib $which "$TMP/zh_CN.po" 2>/dev/null |
			grep '^msgid' | grep -v '^msgid ""$' | head -20 >&2 || true
	done
	status=1
	;;
esac
exit $status
