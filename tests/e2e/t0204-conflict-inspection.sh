#!/bin/bash
# t0204-conflict-inspection.sh - two laptops inspect one household at
# one stage without seeing each other, with different results: an
# "inspection" conflict (one per household and stage) that lists both
# inspections, whichever arrives first.  The same result, the same
# laptop, or a laptop that had seen the other inspection is no
# conflict.  Resolving with --take N keeps that inspection and deletes
# the other together with the rectification it opened.  The household's
# status is derived at the central: the statuses old laptops still send
# are ignored, so there is no conflict on status, and resolving the
# inspection conflict derives the status again (issue 9).

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
MK="python3 $HUCE_SRCDIR/tests/tools/mkbatch.py"
fld() { sqlite3 "$TRASH/$1.db" "SELECT value FROM field WHERE record_id = '$2' AND name = '$3'"; }
adm() { store=$1; shift; "$HUCE_SYNCD" admin --store "$TRASH/$store.db" "$@"; }
deleted() { sqlite3 "$TRASH/$1.db" "SELECT deleted FROM record WHERE id = '$2'"; }
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
H=01900000-0000-7000-8000-000000000001
I1=01900000-0000-7000-8000-0000000000c1
I2=01900000-0000-7000-8000-0000000000c2
I3=01900000-0000-7000-8000-0000000000c3
I4=01900000-0000-7000-8000-0000000000c4
R2=01900000-0000-7000-8000-0000000000e2
H2=01900000-0000-7000-8000-000000000002
I5=01900000-0000-7000-8000-0000000000c5
I6=01900000-0000-7000-8000-0000000000c6
GOOD='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD='{"tank_volume":1.2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
insp() {	# insp HOUSEHOLD RESULT ITEMS INSPECTOR
	printf '{"household_id":"%s","stage":"completion","date":"%s","week":"2026-W02","inspectors":"%s","items":%s,"result":"%s"}' \
		"$1" "${5:-2026-01-07}" "$4" "$3" "$2"
}

for s in a b; do
	{ adm $s device add lap1 && adm $s device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H put 0 0190000000000003 {"village_id":"$V","group_id":"$G","head":"张三","approach":"new-build","build":"self","type":"three-grid","status":"built"}
4 cadre $($MK named cadre 甲) put 0 0190000000000004 {"name":"甲","role":"inspector"}
5 cadre $($MK named cadre 乙) put 0 0190000000000005 {"name":"乙","role":"inspector"}
EOF
# Laptops that predate the derived status also send the one they computed.
$BL "$TRASH/l1" lap1 <<EOF || exit 1
6 inspection $I1 put 3 0190000000000104 $(insp $H pass "$GOOD" 甲)
7 household $H put 3 0190000000000105 {"status":"accepted"}
8 inspection $I3 put 3 0190000000000106 $(insp $H fail "$BAD" 甲)
9 household $H put 3 0190000000000107 {"status":"failed"}
EOF
$BL "$TRASH/l2" lap2 <<EOF || exit 1
1 inspection $I2 put 3 0190000000000201 $(insp $H fail "$BAD" 乙)
2 rectification $R2 put 3 0190000000000202 {"household_id":"$H","inspection_id":"$I2","category":"化粪池容积不足","status":"open"}
3 household $H put 3 0190000000000203 {"status":"failed"}
EOF

test_expect_success 'different results at one stage are one conflict, in either order' '
	adm a import base >/dev/null && adm b import base >/dev/null &&
	adm a import l1 >/dev/null && adm a import l2 >/dev/null &&
	adm b import l2 >/dev/null && adm b import l1 >/dev/null &&
	adm a conflicts --json >ca.json && adm b conflicts --json >cb.json &&
	test_cmp ca.json cb.json &&
	test "$(jq length ca.json)" = 1 &&
	test "$(jq -r ".[0].kind" ca.json)" = inspection &&
	test "$(jq -r ".[0].record" ca.json)" = "$H" &&
	test "$(jq -r ".[0].field" ca.json)" = null
'

test_expect_success 'the conflict lists the other laptop'\''s inspections with their results' '
	jq -c "[.[0].values[] | [.value.id, .value.result, .device]]" ca.json >vals &&
	echo "[[\"$I1\",\"pass\",\"lap1\"],[\"$I2\",\"fail\",\"lap2\"]]" >want &&
	test_cmp want vals
'

test_expect_success 'an inspection made after seeing the other one is no conflict' '
	head=$(sqlite3 "$TRASH/a.db" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	$BL l2b lap2 <<-EOF &&
	4 inspection $I4 put $head 0190000000000204 $(insp $H pass "$GOOD" 乙)
	EOF
	adm a import l2b >/dev/null &&
	adm a conflicts --json >c2.json && test_cmp ca.json c2.json
'

test_expect_success 'resolve --take keeps that inspection, drops the other and its rectification' '
	id=$(jq -r ".[0].id" ca.json) &&
	n=$(jq -r "[.[0].values[].value.id] | index(\"$I1\") + 1" ca.json) &&
	adm a resolve "$id" --take "$n" >out &&
	test "$(deleted a $I1)" = 0 &&
	test "$(deleted a $I2)" = 1 &&
	test "$(deleted a $R2)" = 1 &&
	test "$(deleted a $I3)" = 0 &&
	test "$(adm a conflicts --json | jq length)" = 0
'

test_expect_success '--value both keeps both inspections' '
	id=$(jq -r ".[0].id" cb.json) &&
	adm b resolve "$id" --value both &&
	test "$(deleted b $I1)" = 0 && test "$(deleted b $I2)" = 0 &&
	test "$(adm b conflicts --all --json | jq -r ".[0].resolution")" = "kept both"
'

test_expect_success 'disagreeing inspections: no status conflict; resolving derives the status' '
	$BL l1c lap1 <<-EOF &&
	10 household $H2 put 3 0190000000000110 {"village_id":"$V","group_id":"$G","head":"李四","approach":"new-build","build":"self","type":"three-grid","finished":"2026-01-05"}
	EOF
	adm a import l1c >/dev/null &&
	test "$(fld a $H2 status)" = "\"built\"" &&
	head=$(sqlite3 "$TRASH/a.db" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	$BL l1d lap1 <<-EOF &&
	11 inspection $I5 put $head 0190000000000111 $(insp $H2 pass "$GOOD" 甲)
	12 household $H2 put $head 0190000000000112 {"status":"accepted"}
	EOF
	$BL l2c lap2 <<-EOF &&
	5 inspection $I6 put $head 0190000000000205 $(insp $H2 fail "$BAD" 乙 2026-01-08)
	6 household $H2 put $head 0190000000000206 {"status":"failed"}
	EOF
	adm a import l1d >/dev/null &&
	test "$(fld a $H2 status)" = "\"accepted\"" &&
	adm a import l2c >/dev/null &&
	adm a conflicts --json >c.json &&
	test "$(jq "[.[] | select(.record == \"$H2\")] | length" c.json)" = 1 &&
	test "$(jq -r ".[] | select(.record == \"$H2\") | .kind" c.json)" = inspection &&
	! jq -e ".[] | select(.field == \"status\")" c.json >/dev/null &&
	test "$(fld a $H2 status)" = "\"failed\"" &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT device FROM field WHERE record_id = '\''$H2'\'' AND name = '\''status'\''")" = central &&
	id=$(jq -r ".[] | select(.record == \"$H2\") | .id" c.json) &&
	n=$(jq -r ".[] | select(.id == \"$id\") | [.values[].value.id] | index(\"$I5\") + 1" c.json) &&
	adm a resolve "$id" --take "$n" >/dev/null &&
	test "$(deleted a $I6)" = 1 &&
	test "$(fld a $H2 status)" = "\"accepted\"" &&
	sqlite3 "$TRASH/a.db" "SELECT after FROM history WHERE record_id = '\''$H2'\'' AND field = '\''status'\'' ORDER BY version" >h &&
	printf "%s\n" "\"built\"" "\"accepted\"" "\"failed\"" "\"accepted\"" >want &&
	test_cmp want h
'

test_done
