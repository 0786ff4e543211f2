#!/bin/bash
# t0831-po-complete.sh - every message of huce has its Chinese: no
# message of the sources is untranslated or fuzzy in po/zh_CN.po, the
# translations' format directives match the English (msgfmt -c),
# po/POTFILES lists every file that marks messages, and no error in those
# files is given an unmarked message (scripts/po-check.sh).  A message
# added without _() or without its Chinese fails here.

: "${HUCE:=/nonexistent}" "${HUCE_SYNCD:=/nonexistent}"
export HUCE HUCE_SYNCD
. "$(dirname "$0")/lib.sh"

test_expect_success 'po/zh_CN.po translates every message (msgfmt --statistics)' '
	"$HUCE_SRCDIR/scripts/po-check.sh" "$HUCE_SRCDIR"
'

test_done
