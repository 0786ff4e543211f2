#!/bin/bash
# t0241-compact-migrate.sh - a central store of the layout before issue 14
# (schema 0004: a record row, a row per field, a history row per field)
# moves to the compact layout (schema 0005/0006) when a central or an
# office command opens it: in one transaction, checked by counts and by
# a sum of every record's fields and stamps before and after.  The store
# is tests/e2e/fixtures/central-0004.sql, made by the huce-syncd of that
# time (tests/e2e/fixtures/central-0004.sh): conflicts, an office
# resolution, a delete racing an edit, photos, escapes in a name, a null.
# Every record, field (value text and stamp) and history row reads the
# same after the move (through the views that replace the old tables),
# the office's commands and a laptop's pull work on it, and a move whose
# check fails leaves the store as it was.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
F=$HUCE_SRCDIR/tests/e2e/fixtures/central-0004.sql
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
state() {	# everything but the audit log
	sqlite3 "$1" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT * FROM history ORDER BY 1, 2, 3; SELECT name, hwm FROM device;
		SELECT * FROM meta ORDER BY key"
}
H1=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
H3=01900000-0000-7000-8000-000000000003

test_expect_success 'the old store: conflicts, history, photos in the old tables' '
	sqlite3 "$C" <"$F" &&
	test "$(sqlite3 "$C" "PRAGMA user_version")" = 4 &&
	test "$(sqlite3 "$C" "SELECT type FROM sqlite_master WHERE name = '\''field'\''")" = table &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE kind = '\''conflict'\''")" = 4 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE kind = '\''photo'\''")" = 2 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM history WHERE device = '\''office'\''")" -ge 1 &&
	test "$(sqlite3 "$C" "SELECT value FROM field WHERE record_id = '\''$H3'\'' AND name = '\''phone'\''")" = null &&
	state "$C" >before && cp "$C" "$TRASH/old.db"
'

test_expect_success 'opening it moves every record, field and history row' '
	adm device list >/dev/null &&
	test "$(sqlite3 "$C" "PRAGMA user_version")" = 6 &&
	test "$(sqlite3 "$C" "SELECT type FROM sqlite_master WHERE name = '\''field'\''")" = view &&
	state "$C" >after && test_cmp before after &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM rec")" = "$(sqlite3 "$TRASH/old.db" "SELECT count(*) FROM record")" &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM hist")" = \
		"$(sqlite3 "$TRASH/old.db" "SELECT count(*) FROM (SELECT DISTINCT record_id, version FROM history)")" &&
	sqlite3 "$C" "SELECT name || '\'' '\'' || value || '\'' '\'' || record_id FROM ref ORDER BY 1" >refs &&
	sqlite3 "$TRASH/old.db" "SELECT name || '\'' '\'' || value || '\'' '\'' || record_id FROM field
		WHERE name IN ('\''group_id'\'', '\''team_id'\'', '\''household_id'\'', '\''inspection_id'\'',
		'\''owner_id'\'', '\''id_hash'\'') AND value <> '\''null'\'' ORDER BY 1" >want &&
	test_cmp want refs &&
	adm device list >/dev/null && state "$C" >again && test_cmp before again
'

test_expect_success 'the office works on the moved store: conflicts, households, history' '
	adm conflicts --json >c.json && test "$(jq length c.json)" = 3 &&
	adm household show "$H1" --json >h1.json &&
	jq -e ".history | length > 0" h1.json >/dev/null &&
	adm household list --json >hl.json && test "$(jq length hl.json)" = 3 &&
	jq -e ".[] | select(.id == \"$H1\") | .head == \"欧阳 娜·𠀀热依\\\"引号\\\"\\\\反斜\"" hl.json >/dev/null &&
	cf=$(jq -r ".[] | select(.field == \"phone\") | .id" c.json) &&
	adm resolve "$cf" --take 1 >/dev/null &&
	test "$(sqlite3 "$C" "SELECT device FROM field WHERE record_id = '\''$H1'\'' AND name = '\''phone'\''")" = office
'

test_expect_success 'a laptop pulls the moved store whole' '
	adm town 阿猛镇 >/dev/null &&
	adm device add d1 | tail -n 1 >tok &&
	start_central c "$C" &&
	"$HUCE" --db "$TRASH/d1.db" init --device d1 --town 阿猛镇 >/dev/null &&
	h d1 enroll "$c_URL" "$(cat tok)" >/dev/null &&
	h d1 sync >/dev/null &&
	h d1 household list --json >l.json && test "$(jq length l.json)" = 3 &&
	h d1 household show "$H3" --json >s3.json &&
	jq -e ".photos | length == 2" s3.json >/dev/null &&
	stop_central c
'

test_expect_success 'a move whose check fails changes nothing' '
	rm -f bad.db && sqlite3 bad.db <"$F" &&
	sqlite3 bad.db "INSERT INTO field VALUES('\''01900000-0000-7000-8000-0000000000ff'\'', '\''head'\'', '\''\"x\"'\'', 1, '\''0190000000000001'\'', '\''lap1'\'')" &&
	state bad.db >bad-before &&
	expect_exit 1 "$HUCE_SYNCD" admin --store bad.db device list 2>err &&
	test "$(sqlite3 bad.db "PRAGMA user_version")" = 4 &&
	test "$(sqlite3 bad.db "SELECT type FROM sqlite_master WHERE name = '\''field'\''")" = table &&
	state bad.db >bad-after && test_cmp bad-before bad-after
'

test_done
