#!/bin/bash
# t0703-pg-enroll-once.sh - a token enrolls one laptop, on PostgreSQL
# (issue 9, item 6; the SQLite test is t0211): two centrals on one
# database, a laptop enrolled through one may enrol again through the
# other, another laptop is refused by both, and of laptops racing on one
# fresh token through both centrals exactly one wins.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
MSG="this token has already enrolled a laptop; ask the town office for a token of your own"

{
	adm town 阿猛镇 &&
	adm device add laptop-a | tail -n 1 >"$TRASH/tok.a" &&
	adm device add laptop-c | tail -n 1 >"$TRASH/tok.c" &&
	start_central c1 "$PG" --rate 0 &&
	start_central c2 "$PG" --rate 0
} >/dev/null || exit 1

test_expect_success 'enrolled through one central, the same laptop enrolls through the other' '
	"$HUCE" --db "$TRASH/a.db" init --device a >/dev/null &&
	h a enroll "$c1_URL" "$(cat "$TRASH/tok.a")" >/dev/null &&
	h a enroll "$c2_URL" "$(cat "$TRASH/tok.a")" >/dev/null &&
	test "$(h a status --json | jq -r .device)" = laptop-a &&
	test "$(pgq "SELECT install_id FROM device WHERE name = '"'"'laptop-a'"'"'")" = \
	     "$(sqlite3 "$TRASH/a.db" "SELECT value FROM meta WHERE key = '"'"'device_id'"'"'")"
'

test_expect_success 'another laptop is refused by both centrals, and keeps nothing' '
	"$HUCE" --db "$TRASH/b.db" init --device b >/dev/null &&
	expect_exit 1 h b enroll "$c1_URL" "$(cat "$TRASH/tok.a")" 2>err1 &&
	expect_exit 1 h b enroll "$c2_URL" "$(cat "$TRASH/tok.a")" 2>err2 &&
	grep -qF "$MSG" err1 && grep -qF "$MSG" err2 &&
	test "$(h b status --json | jq -r .central)" = null &&
	test "$(pgq "SELECT count(*) FROM audit WHERE action = '"'"'enroll-refused'"'"'")" = 2
'

test_expect_success 'laptops racing on one fresh token through both centrals: exactly one wins' '
	T=$(cat "$TRASH/tok.c") &&
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 0 ]; then u=$c1_URL; else u=$c2_URL; fi
		curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $T" \
			-H "X-Huce-Install: racer-$i" "$u/v1/enroll" >"race.$i" &
	done &&
	wait &&
	test "$(cat race.* | grep -c "^200$")" = 1 &&
	test "$(cat race.* | grep -c "^409$")" = 5
'

test_done
