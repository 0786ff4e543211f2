#!/bin/bash
# t0204-conflict-inspection.sh - two laptops inspect one household at
# one stage without seeing each other, with different results: an
# "inspection" conflict (one per household and stage) that lists both
# inspections, whichever arrives first.  The same result, the same
# laptop, or a laptop that had seen the other inspection is no
# conflict.  Resolving with --take N keeps that inspection and deletes
# the other together with the rectification it opened.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
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
GOOD='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD='{"tank_volume":1.2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
insp() {	# insp HOUSEHOLD RESULT ITEMS INSPECTOR
	printf '{"household_id":"%s","stage":"completion","date":"2026-01-07","week":"2026-W02","inspectors":"%s","items":%s,"result":"%s"}' \
		"$1" "$4" "$3" "$2"
}

for s in a b; do
	{ adm $s device add lap1 && adm $s device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H put 0 0190000000000003 {"village_id":"$V","group_id":"$G","head":"张三","approach":"new-build","build":"self","type":"three-grid"}
EOF
$BL "$TRASH/l1" lap1 <<EOF || exit 1
4 inspection $I1 put 3 0190000000000104 $(insp $H pass "$GOOD" 甲)
5 inspection $I3 put 3 0190000000000105 $(insp $H fail "$BAD" 甲)
EOF
$BL "$TRASH/l2" lap2 <<EOF || exit 1
1 inspection $I2 put 3 0190000000000201 $(insp $H fail "$BAD" 乙)
2 rectification $R2 put 3 0190000000000202 {"household_id":"$H","inspection_id":"$I2","category":"化粪池容积不足","status":"open"}
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
	3 inspection $I4 put $head 0190000000000203 $(insp $H pass "$GOOD" 乙)
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

test_done
