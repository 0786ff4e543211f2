#!/bin/bash
# t0203-conflict-duplicate.sh - one household registered twice offline
# (DESIGN.md section 4): the same group and normalised head name, or the
# same ID hash, is a "duplicate" conflict listing both ids, whichever
# laptop's batch arrives first; namesakes whose ID numbers differ are
# not.  Resolving with --take N keeps that id: the other gets
# merged_into and is deleted, and its inspections and photos follow,
# even ones that arrive later.  --value both keeps the two, but not
# two with one ID number (one ID number is one household).  A household
# deleted before it synced is never half of a duplicate, and keeping one
# household keeps the value the office set on the other (issue 9).

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
MK="python3 $HUCE_SRCDIR/tests/tools/mkbatch.py"
adm() { store=$1; shift; "$HUCE_SYNCD" admin --store "$TRASH/$store.db" "$@"; }
nover() { jq -S "map(del(.version))"; }
fld() {	# fld STORE RECORD FIELD: the stored JSON text
	sqlite3 "$TRASH/$1.db" "SELECT value FROM field WHERE record_id = '$2' AND name = '$3'"
}
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
G2=01900000-0000-7000-8000-0000000000b2
H1=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
H3=01900000-0000-7000-8000-000000000003
H4=01900000-0000-7000-8000-000000000004
H5=01900000-0000-7000-8000-000000000005
H6=01900000-0000-7000-8000-000000000006
I2=01900000-0000-7000-8000-0000000000c2
I7=01900000-0000-7000-8000-0000000000c7
P2=01900000-0000-7000-8000-0000000000d2
H8=01900000-0000-7000-8000-000000000008
H9=01900000-0000-7000-8000-000000000009
H10=01900000-0000-7000-8000-000000000010
H11=01900000-0000-7000-8000-000000000011
C2=$($MK named cadre 乙)
X=$(printf 'a%.0s' $(seq 64))
Y=$(printf 'b%.0s' $(seq 64))
Z=$(printf 'c%.0s' $(seq 64))
hh() {	# hh GROUP HEAD [EXTRA-JSON-MEMBERS]
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"%s}' \
		"$V" "$1" "$2" "${3:+,$3}"
}

for s in a b; do
	{ adm $s device add lap1 && adm $s device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 group $G2 put 0 0190000000000003 {"village_id":"$V","name":"第二组"}
4 cadre $C2 put 0 0190000000000004 {"name":"乙","role":"inspector"}
EOF
$BL "$TRASH/l1" lap1 <<EOF || exit 1
5 household $H1 put 3 0190000000000104 $(hh $G 张三)
6 household $H3 put 3 0190000000000105 $(hh $G 赵六 "\"id_hash\":\"$X\",\"id_masked\":\"5326**********1234\"")
7 household $H5 put 3 0190000000000106 $(hh $G 孙七 "\"id_hash\":\"$Y\"")
EOF
$BL "$TRASH/l2" lap2 <<EOF || exit 1
1 household $H2 put 3 0190000000000201 $(hh $G '张 三' '"phone":"13900000000"')
2 inspection $I2 put 3 0190000000000202 {"household_id":"$H2","stage":"excavation","date":"2026-01-05","week":"2026-W02","inspectors":"乙","items":{"tank_volume":2},"result":"pass"}
3 photo $P2 put 3 0190000000000203 {"owner_id":"$H2","kind":"before","sha256":"$Y","size":100}
4 household $H4 put 3 0190000000000204 $(hh $G2 钱八 "\"id_hash\":\"$X\"")
5 household $H6 put 3 0190000000000205 $(hh $G 孙七 "\"id_hash\":\"$Z\"")
EOF

test_expect_success 'duplicates are found in both orders of arrival, with the same result' '
	adm a import base >/dev/null && adm b import base >/dev/null &&
	adm a import l1 >/dev/null && adm a import l2 >/dev/null &&
	adm b import l2 >/dev/null && adm b import l1 >/dev/null &&
	adm a conflicts --json >ca.json && adm b conflicts --json >cb.json &&
	test_cmp ca.json cb.json &&
	adm a household list --json | nover >a.json &&
	adm b household list --json | nover >b.json &&
	test_cmp a.json b.json
'

test_expect_success 'same group and normalised head, and same ID hash, are duplicates' '
	test "$(jq length ca.json)" = 2 &&
	jq -e "all(.[]; .kind == \"duplicate\" and .status == \"open\")" ca.json >/dev/null &&
	jq -c "[.[] | [.values[].value] | sort]" ca.json >pairs &&
	grep -q "\[\"$H1\",\"$H2\"\]" pairs &&
	grep -q "\[\"$H3\",\"$H4\"\]" pairs
'

test_expect_success 'namesakes whose ID numbers differ are not duplicates' '
	! grep -q "$H5" pairs && ! grep -q "$H6" pairs
'

test_expect_success 'resolve --take keeps one id and merges the other into it' '
	id=$(jq -r ".[] | select(any(.values[]; .value == \"$H2\")) | .id" ca.json) &&
	n=$(jq -r ".[] | select(.id == \"$id\") | [.values[].value] | index(\"$H1\") + 1" ca.json) &&
	adm a resolve "$id" --take "$n" >out &&
	grep -q "kept $H1" out &&
	adm a household list --json >list.json &&
	! grep -q "$H2" list.json && grep -q "$H1" list.json &&
	test "$(fld a $H2 merged_into)" = "\"$H1\"" &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT deleted FROM record WHERE id = '\''$H2'\''")" = 1 &&
	test "$(fld a $I2 household_id)" = "\"$H1\"" &&
	test "$(fld a $P2 owner_id)" = "\"$H1\"" &&
	test "$(fld a $H1 phone)" = "\"13900000000\"" &&
	test "$(fld a $H1 head)" = "\"张三\""
'

test_expect_success 'the merge is a set of office changes in the history' '
	sqlite3 "$TRASH/a.db" "SELECT record_id, field FROM history WHERE device = '\''office'\'' ORDER BY version" >h &&
	grep -q "^$I2|household_id$" h && grep -q "^$P2|owner_id$" h &&
	grep -q "^$H2|merged_into$" h && grep -q "^$H2|deleted$" h
'

test_expect_success 'an inspection recorded offline for the dropped id lands on the kept one' '
	$BL l2b lap2 <<-EOF &&
	6 inspection $I7 put 3 0190000000000206 {"household_id":"$H2","stage":"pre-cover","date":"2026-01-06","week":"2026-W02","inspectors":"乙","items":{"tank_volume":2,"no_leak":true},"result":"pass"}
	EOF
	adm a import l2b >res &&
	test "$(jq ".rejected | length" res)" = 0 &&
	test "$(fld a $I7 household_id)" = "\"$H1\""
'

test_expect_success 'one ID number is one household: --value both is refused, --take keeps one' '
	id=$(jq -r ".[] | select(any(.values[]; .value == \"$H4\")) | .id" ca.json) &&
	expect_exit 3 adm a resolve "$id" --value both 2>err &&
	grep -q "same ID number" err &&
	adm a household list --json >list.json &&
	grep -q "$H3" list.json && grep -q "$H4" list.json &&
	adm a resolve "$id" --take 1 >out &&
	adm a household list --json >list.json &&
	test "$(grep -c "$H3\|$H4" list.json)" = 1 &&
	test "$(adm a conflicts --json | jq length)" = 0 &&
	expect_exit 3 adm b resolve "$id" --value maybe 2>err
'

test_expect_success 'a household deleted before it synced is never half of a duplicate' '
	n0=$(adm a conflicts --all --json | jq length) &&
	$BL l2c lap2 <<-EOF &&
	7 household $H8 put 3 0190000000000207 $(hh $G 孙七 "\"id_hash\":\"$Y\"")
	8 household $H8 delete 3 0190000000000208 {}
	EOF
	adm a import l2c >/dev/null &&
	test "$(adm a conflicts --all --json | jq length)" = "$n0" &&
	$BL l2d lap2 <<-EOF &&
	9 household $H9 put 3 0190000000000209 $(hh $G 孙七 "\"id_hash\":\"$Y\"")
	EOF
	adm a import l2d >/dev/null &&
	adm a conflicts --json >c.json &&
	test "$(jq "[.[] | select(any(.values[]; .value == \"$H9\"))] | length" c.json)" = 1 &&
	$BL l2e lap2 <<-EOF &&
	10 household $H9 delete 3 0190000000000210 {}
	EOF
	adm a import l2e >/dev/null &&
	! adm a conflicts --json | grep -q "$H9" &&
	adm a conflicts --all --json >all.json &&
	jq -e ".[] | select(any(.values[]; .value == \"$H9\")) |
		.status == \"resolved\" and (.resolution | test(\"deleted\"))" all.json >/dev/null
'

test_expect_success 'resolve --take after resolve --value keeps the office value' '
	$BL l1d lap1 <<-EOF &&
	8 household $H10 put 3 0190000000000108 $(hh $G2 周九 "\"phone\":\"13700000000\"")
	EOF
	$BL l2f lap2 <<-EOF &&
	11 household $H11 put 3 0190000000000211 $(hh $G2 "周 九")
	EOF
	adm a import l1d >/dev/null && adm a import l2f >/dev/null &&
	head=$(sqlite3 "$TRASH/a.db" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	$BL l1e lap1 <<-EOF &&
	9 household $H11 put $head 0190000000000109 {"phone":"13900000001"}
	EOF
	$BL l2g lap2 <<-EOF &&
	12 household $H11 put $head 0190000000000212 {"phone":"13900000002"}
	EOF
	adm a import l1e >/dev/null && adm a import l2g >/dev/null &&
	adm a conflicts --json >c.json &&
	fid=$(jq -r ".[] | select(.field == \"phone\" and .record == \"$H11\") | .id" c.json) &&
	adm a resolve "$fid" --value 13900000009 >/dev/null &&
	test "$(fld a $H11 phone)" = "\"13900000009\"" &&
	did=$(jq -r ".[] | select(.kind == \"duplicate\" and any(.values[]; .value == \"$H10\")) | .id" c.json) &&
	n=$(jq -r ".[] | select(.id == \"$did\") | [.values[].value] | index(\"$H10\") + 1" c.json) &&
	adm a resolve "$did" --take "$n" >out &&
	grep -q "kept $H10" out &&
	test "$(fld a $H10 phone)" = "\"13900000009\"" &&
	test "$(fld a $H11 merged_into)" = "\"$H10\""
'

test_done
