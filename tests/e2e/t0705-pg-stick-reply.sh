#!/bin/bash
# t0705-pg-stick-reply.sh - the stick's reply on PostgreSQL (issue 15;
# the SQLite test is t0234): the laptop's own records come back as
# stubs and it still equals the central, versions included; a laptop
# whose file is restored from an older copy and that syncs only by
# stick is renumbered by the office as by its own probe, and one round
# trip converges with nothing lost or doubled.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
add() {
	h "$1" household add --village 阿猛村 --group 一组 --head "$2" \
		--approach new-build --build self --type three-grid >/dev/null
}
id_of() { h "$1" household list --json | jq -r --arg h "$2" '.[] | select(.head == $h) | .id'; }
round() {
	h "$1" export stick >/dev/null &&
	adm import stick >"$TRASH/imp.out" 2>"$TRASH/imp.err" &&
	h "$1" import stick >"$TRASH/rep.out" 2>"$TRASH/rep.err"
}
agree() {
	adm household list --json | jq -S 'sort_by(.id)' >"$TRASH/cen.json" &&
	h "$1" household list --json | jq -S 'sort_by(.id)' >"$TRASH/lap.json" &&
	test_cmp "$TRASH/cen.json" "$TRASH/lap.json" &&
	pgq "SELECT id || ' ' || version FROM record WHERE NOT deleted AND
		kind IN ('village', 'group', 'cadre', 'household') ORDER BY id" >"$TRASH/cen.v" &&
	sqlite3 "$TRASH/$1.db" "SELECT id || ' ' || version FROM (
		SELECT id, version FROM village WHERE deleted = 0 UNION ALL
		SELECT id, version FROM village_group WHERE deleted = 0 UNION ALL
		SELECT id, version FROM cadre WHERE deleted = 0 UNION ALL
		SELECT id, version FROM household WHERE deleted = 0) ORDER BY id" >"$TRASH/lap.v" &&
	test_cmp "$TRASH/cen.v" "$TRASH/lap.v" &&
	test "$(h "$1" status --json | jq .pending)" = 0
}
heads() { adm household list --json | jq -r '.[].head' | sort; }
backup() { sqlite3 "$TRASH/$1.db" ".backup '$TRASH/$1.copy'"; }
restore() {
	rm -f "$TRASH/$1.db" "$TRASH/$1.db-wal" "$TRASH/$1.db-shm" &&
	cp "$TRASH/$1.copy" "$TRASH/$1.db"
}

{
	adm town 阿猛镇 &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,一组,岩温,李干部,整厕新建,自建,三格化粪池式" >"$TRASH/list.csv" &&
	adm import "$TRASH/list.csv" --create &&
	adm device add lap1 --enroll-file "$TRASH/lap1.enroll" &&
	new_device lap1 && h lap1 enroll "$TRASH/lap1.enroll" && mkdir "$TRASH/stick"
} >/dev/null || exit 1

test_expect_success 'own records come back as stubs on PostgreSQL' '
	round lap1 && agree lap1 &&
	for x in a1 a2 a3; do add lap1 $x || return 1; done &&
	h lap1 household set "$(id_of lap1 岩温)" phone=13911112222 >/dev/null &&
	round lap1 && cat imp.out &&
	grep -q "lap1: export 2: applied 4, .*reply with 4 changes, 3 of them stubs" imp.out &&
	agree lap1
'

test_expect_success 'a restored laptop syncing by stick only, on PostgreSQL' '
	backup lap1 &&
	for x in b1 b2; do add lap1 $x || return 1; done &&
	h lap1 household set "$(id_of lap1 a1)" type=double-urn >/dev/null &&
	round lap1 && agree lap1 && heads >h0 &&
	hwm=$(pgq "SELECT hwm FROM device WHERE name = '\''lap1'\''") &&
	restore lap1 && add lap1 c1 && add lap1 c2 &&
	round lap1 && cat imp.out imp.err rep.out rep.err &&
	grep -q "applied 2, skipped 0" imp.out && grep -q "0 of them stubs" imp.out &&
	grep -q "older than what the central already has" rep.err &&
	test "$(pgq "SELECT hwm FROM device WHERE name = '\''lap1'\''")" = $((hwm + 2)) &&
	{ cat h0 && echo c1 && echo c2; } | sort >want && heads >got && test_cmp want got &&
	test "$(adm household show "$(id_of lap1 a1)" --json | jq -r .type)" = double-urn &&
	agree lap1 &&
	round lap1 && grep -q "applied 0, skipped 0" imp.out && agree lap1
'

test_done
