#!/bin/bash
# t0700-pg-two-centrals.sh - two `huce-syncd central` processes on one
# PostgreSQL database (DESIGN.md section 1; docs/POSTGRES.md), each laptop
# talking to a different one: offline work on both laptops (a household
# registered twice, a field edited on both, an inspection each at one
# stage) syncs and converges, the office resolves the conflicts with
# `huce-syncd admin --store postgres://...` while both centrals run, and
# after the next sync everyone agrees.  Then both laptops sync many
# changes at the same moment, through both centrals, several times: the
# versions stay gap-free and every laptop ends with the central's state.
# A laptop may change centrals: the database holds its high-water mark.
# The PostgreSQL twin of t0209 and t0210.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
nover() { jq -S "map(del(.version))"; }
ITEMS_OK=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")
ITEMS_BAD=(--item tank_volume=1.2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2" &&
	start_central c1 "$PG" --rate 0 &&
	start_central c2 "$PG" --rate 0 &&
	new_device d1 && new_device d2 &&
	h d1 enroll "$c1_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c2_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 cadre add 甲 --role 验收组 && h d1 cadre add 乙 --role 验收组 &&
	h d1 household add --village 阿猛村 --group 第一组 --head 李四 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/li" &&
	h d1 sync && h d2 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
LI=$(cat "$TRASH/li")

test_expect_success 'a change pushed to one central is pulled from the other' '
	test "$(h d2 household list --json | jq -r ".[0].head")" = 李四 &&
	test "$(h d2 village list --json | jq length)" = 1
'

test_expect_success 'offline work on both laptops syncs through two centrals; the conflicts are found once' '
	h d1 household add --village 阿猛村 --group 第一组 --head 张三 \
		--approach new-build --build self --type three-grid | tail -n 1 >zs1 &&
	h d2 household add --village 阿猛村 --group 第一组 --head "张 三" \
		--approach new-build --build self --type three-grid | tail -n 1 >zs2 &&
	h d1 household set "$LI" phone=13900000001 >/dev/null &&
	h d2 household set "$LI" phone=13900000002 >/dev/null &&
	h d1 inspect "$LI" --stage completion --inspector 甲 "${ITEMS_OK[@]}" >/dev/null &&
	h d2 inspect "$LI" --stage completion --inspector 乙 "${ITEMS_BAD[@]}" >/dev/null &&
	h d1 sync >/dev/null && h d2 sync >/dev/null && h d1 sync >/dev/null &&
	adm conflicts --json >c.json &&
	test "$(jq -c "[.[] | [.kind, .field]] | sort" c.json)" = \
		"[[\"duplicate\",null],[\"field\",\"phone\"],[\"inspection\",null]]" &&
	test "$(h d1 status --json | jq .conflicts)" = 3 &&
	test "$(h d2 status --json | jq .quarantined)" = 0
'

test_expect_success 'laptops and the database agree before the office decides' '
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	adm household list --json | nover >lc &&
	test_cmp l1 lc && test_cmp l2 lc
'

test_expect_success 'the office resolves every conflict while both centrals run' '
	dup=$(jq -r ".[] | select(.kind == \"duplicate\") | .id" c.json) &&
	n=$(jq -r ".[] | select(.kind == \"duplicate\") | [.values[].value] | index(\"$(cat zs1)\") + 1" c.json) &&
	adm resolve "$dup" --take "$n" >/dev/null &&
	fld=$(jq -r ".[] | select(.field == \"phone\") | .id" c.json) &&
	adm resolve "$fld" --value 13900000009 >/dev/null &&
	ins=$(jq -r ".[] | select(.kind == \"inspection\") | .id" c.json) &&
	n=$(jq -r ".[] | select(.kind == \"inspection\") | [.values[].value.result] | index(\"pass\") + 1" c.json) &&
	adm resolve "$ins" --take "$n" >/dev/null &&
	test "$(adm conflicts --json | jq length)" = 0 &&
	test "$(pgq "SELECT count(*) FROM audit WHERE action = '\''resolve'\''")" = 3
'

test_expect_success 'after the next sync everyone shows the resolutions' '
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	adm household list --json | nover >lc &&
	test_cmp l1 lc && test_cmp l2 lc &&
	test "$(jq length lc)" = 2 &&
	! grep -q "$(cat zs2)" lc &&
	test "$(h d2 household show "$LI" --json | jq -r .phone)" = 13900000009 &&
	test "$(h d2 household show "$LI" --json | jq -r .status)" = accepted &&
	test "$(h d1 status --json | jq .conflicts)" = 0
'

test_expect_success 'both laptops sync at once through both centrals, again and again' '
	for round in 1 2 3; do
		for i in 1 2 3 4 5 6; do
			h d1 household add --village 阿猛村 --group 第一组 --head "甲$round-$i" \
				--approach new-build --build self --type sewer >/dev/null &&
			h d2 household add --village 阿猛村 --group 第一组 --head "乙$round-$i" \
				--approach new-build --build self --type double-urn >/dev/null || return 1
		done &&
		h d1 household set "$LI" house_no="$round" >/dev/null &&
		h d2 household set "$LI" gps="25.$round,99.1" >/dev/null &&
		{ h d1 sync >s1.$round 2>&1 & p1=$!; } &&
		{ h d2 sync >s2.$round 2>&1 & p2=$!; } &&
		wait $p1 && wait $p2 || return 1
	done &&
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	test "$(h d1 status --json | jq .pending)" = 0 &&
	test "$(h d2 status --json | jq .pending)" = 0 &&
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	adm household list --json | nover >lc &&
	test_cmp l1 lc && test_cmp l2 lc &&
	test "$(jq length lc)" = 38 &&
	# GPS is kept in its canonical form (docs/DOMAIN.md)
	test "$(h d1 household show "$LI" --json | jq -r .gps)" = 25.300000,99.100000 &&
	test "$(h d2 household show "$LI" --json | jq -r .house_no)" = 3
'

test_expect_success 'versions are gap-free and every record has its latest one' '
	head=$(pgq "SELECT version FROM counter") &&
	test "$(pgq "SELECT count(DISTINCT version) FROM history")" = "$head" &&
	test "$(pgq "SELECT max(version) FROM history")" = "$head" &&
	test "$(pgq "SELECT count(*) FROM record r WHERE version <> (SELECT max(version) FROM history h WHERE h.record_id = r.id)")" = 0 &&
	test "$(pgq "SELECT count(*) FROM (SELECT version FROM record GROUP BY version HAVING count(*) > 1) x")" = 0
'

test_expect_success 'a laptop moves to the other central and carries on' '
	stop_central c1 &&
	h d1 enroll "$c2_URL" "$(cat "$TRASH/tok1")" >/dev/null &&
	h d1 household add --village 阿猛村 --group 第一组 --head 丙 \
		--approach new-build --build self --type sewer >/dev/null &&
	h d1 sync >out 2>&1 &&
	! grep -q "POST /v1/batches.* 409" "$TRASH/c2.log" &&
	h d2 sync >/dev/null &&
	test "$(h d2 household list --json | jq "map(select(.head == \"丙\")) | length")" = 1 &&
	test "$(adm household list --json | jq length)" = 39 &&
	test "$(h d1 status --json | jq .pending)" = 0
'

stop_central c2
test_done
