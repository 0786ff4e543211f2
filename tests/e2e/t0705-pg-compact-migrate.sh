#!/bin/bash
# t0705-pg-compact-migrate.sh - the PostgreSQL twin of t0241: a store of
# the layout before issue 14 (schema central-pg 0004), made by the
# huce-syncd of that time (tests/e2e/fixtures/central-pg-0004.sql, from
# tests/e2e/fixtures/central-0004.sh: conflicts, an office resolution, a
# delete racing an edit, photos, escapes, a null), moves to the compact
# layout when a central or an office command opens it, in the migration's
# transaction, checked by counts and by sums of every record with its
# fields and stamps; every record, field and history row reads the same
# after it (the views that replace the old tables), the office works on
# it, history stays append-only, and a move whose check fails leaves the
# store as it was.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

F=$HUCE_SRCDIR/tests/e2e/fixtures/central-pg-0004.sql
adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
H1=01900000-0000-7000-8000-000000000001
H3=01900000-0000-7000-8000-000000000003
load() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$F" >/dev/null; }

test_expect_success 'the old store: conflicts, history, photos in the old tables' '
	load "$PG" &&
	test "$(pgq "SELECT value FROM meta WHERE key = '\''schema'\''")" = 4 &&
	test "$(pgq "SELECT count(*) FROM record WHERE kind = '\''conflict'\''")" = 4 &&
	test "$(pgq "SELECT count(*) FROM record WHERE kind = '\''photo'\''")" = 2 &&
	test "$(pgq "SELECT value FROM field WHERE record_id = '\''$H3'\'' AND name = '\''phone'\''")" = null &&
	pg_state >before &&
	pgq "SELECT count(*) FROM history" >hist-before
'

test_expect_success 'opening it moves every record, field and history row' '
	adm device list >/dev/null &&
	test "$(pgq "SELECT value FROM meta WHERE key = '\''schema'\''")" = 6 &&
	test "$(pgq "SELECT relkind FROM pg_class WHERE relname = '\''field'\''")" = v &&
	pg_state >after && test_cmp before after &&
	test "$(pgq "SELECT count(*) FROM rec")" = "$(pgq "SELECT count(*) FROM record")" &&
	test "$(pgq "SELECT count(*) FROM ref")" -ge 8 &&
	adm device list >/dev/null && pg_state >again && test_cmp before again
'

test_expect_success 'the office works on the moved store; history stays append-only' '
	adm conflicts --json >c.json && test "$(jq length c.json)" = 3 &&
	adm household show "$H1" --json | jq -e ".history | length > 0" >/dev/null &&
	adm household list --json >hl.json && test "$(jq length hl.json)" = 3 &&
	cf=$(jq -r ".[] | select(.field == \"phone\") | .id" c.json) &&
	adm resolve "$cf" --take 1 >/dev/null &&
	test "$(pgq "SELECT device FROM field WHERE record_id = '\''$H1'\'' AND name = '\''phone'\''")" = office &&
	test "$(pgq "SELECT count(*) FROM history")" -gt "$(cat hist-before)" &&
	! pgq "DELETE FROM history" 2>err && grep -q "append-only" err &&
	! pgq "DELETE FROM hist" 2>err && grep -q "append-only" err
'

test_expect_success 'a move whose check fails changes nothing' '
	B=$(pg_createdb bad) && load "$B" &&
	pgq "$B" "INSERT INTO field VALUES('\''01900000-0000-7000-8000-0000000000ff'\'', '\''head'\'', '\''\"x\"'\'', 1, '\''0190000000000001'\'', '\''lap1'\'')" &&
	pg_state "$B" >bad-before &&
	expect_exit 1 "$HUCE_SYNCD" admin --store "$B" device list 2>err &&
	test "$(pgq "$B" "SELECT value FROM meta WHERE key = '\''schema'\''")" = 4 &&
	test "$(pgq "$B" "SELECT relkind FROM pg_class WHERE relname = '\''field'\''")" = r &&
	pg_state "$B" >bad-after && test_cmp bad-before bad-after
'

test_done
