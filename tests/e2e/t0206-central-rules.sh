#!/bin/bash
# t0206-central-rules.sh - the rules the central checks again on every
# entry, whatever the laptop thought: the first-toilet gate (首厕过关),
# the checklist of the household's toilet type, references to existing
# records of the right kind, and the kinds a laptop may write; and the
# domain rules (common/huce_domain.h): a status is derived, never taken
# from a laptop, build mode and team agree, phones, GPS, an inspection's
# date and inspectors are checked, a void stays.  A broken entry is
# rejected with a code and a reason and leaves no trace; the rest of its
# batch lands.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
MK="python3 $HUCE_SRCDIR/tests/tools/mkbatch.py"
fld() { sqlite3 "$C" "SELECT value FROM field WHERE record_id = '$1' AND name = '$2'"; }
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
exists() { test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE id = '$1'")" = 1; }
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
T=01900000-0000-7000-8000-0000000000f1
H1=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
H3=01900000-0000-7000-8000-000000000003
H4=01900000-0000-7000-8000-000000000004
H5=01900000-0000-7000-8000-000000000005
H6=01900000-0000-7000-8000-000000000006
H7=01900000-0000-7000-8000-000000000007
T2=01900000-0000-7000-8000-0000000000f2
hh() {	# hh HEAD BUILD [TEAM]
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"%s","type":"three-grid"%s}' \
		"$V" "$G" "$1" "$2" "${3:+,\"team_id\":\"$3\"}"
}
insp() {	# insp ITEMS RESULT [STAGE]
	printf '{"household_id":"%s","stage":"%s","date":"2026-01-07","week":"2026-W02","inspectors":"甲","items":%s,"result":"%s"}' \
		"$H1" "${3:-completion}" "$1" "$2"
}
OK='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'

adm device add lap1 >/dev/null && adm device add lap0 >/dev/null || exit 1
# The inspectors are cadres the central knows.
$BL "$TRASH/b0" lap0 <<EOF || exit 1
1 cadre $($MK named cadre 甲) put 0 0190000000000001 {"name":"甲","role":"inspector"}
EOF
adm import b0 >/dev/null || exit 1

test_expect_success 'the gate lets a team take its first household, not a second' '
	$BL b1 lap1 <<-EOF &&
	1 village $V put 0 0190000000000001 {"name":"阿猛村"}
	2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
	3 team $T put 0 0190000000000003 {"name":"甲队"}
	4 household $H1 put 0 0190000000000004 $(hh 户一 contracted $T)
	5 household $H2 put 0 0190000000000005 $(hh 户二 contracted $T)
	6 household $H3 put 0 0190000000000006 $(hh 户三 self)
	7 household $H3 put 0 0190000000000007 {"build":"contracted","team_id":"$T"}
	8 household $H4 put 0 0190000000000008 $(hh 户四 self $T)
	EOF
	adm import b1 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[5,\"gate\"],[7,\"gate\"],[8,\"invalid\"]]" &&
	jq -r ".rejected[0].message" res | grep -q "首厕过关" &&
	jq -r ".rejected[0].message" res | grep -q "户二 (阿猛村 第一组) cannot go to team 甲队" &&
	jq -r ".rejected[0].message" res | grep -q "household 户一 (阿猛村 第一组)" &&
	jq -e ".rejected[0].state == null and .rejected[1].state.fields.build == \"self\"" res >/dev/null &&
	jq -r ".rejected[2].message" res | grep -q "self-built" &&
	exists $H1 && ! exists $H2 && exists $H3 && ! exists $H4 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM field WHERE record_id = '\''$H3'\'' AND name = '\''team_id'\''")" = 0
'

test_expect_success 'a status a laptop sends is ignored: it does not open the gate' '
	$BL b1b lap0 <<-EOF &&
	2 household $H1 put 8 0190000000000102 {"status":"accepted"}
	3 household $H2 put 8 0190000000000103 $(hh 户二 contracted $T)
	EOF
	adm import b1b >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[3,\"gate\"]]" &&
	test "$(fld $H1 status)" = "" &&
	test "$(adm household list --json | jq -r ".[] | select(.id == \"$H1\") | .status")" = planned &&
	! exists $H2
'

test_expect_success 'once the first toilet is accepted the team takes more' '
	$BL b2 lap1 <<-EOF &&
	9 inspection 01900000-0000-7000-8000-0000000000c1 put 8 0190000000000009 $(insp "$OK" pass first-toilet)
	10 household $H1 put 8 0190000000000010 {"house_no":"1"}
	11 household $H2 put 8 0190000000000011 $(hh 户二 contracted $T)
	EOF
	adm import b2 >res &&
	test "$(jq ".rejected | length" res)" = 0 && exists $H2
'

test_expect_success 'the checklist is graded again: a failed critical item cannot pass' '
	$BL b3 lap1 <<-EOF &&
	12 inspection 01900000-0000-7000-8000-0000000000c2 put 8 0190000000000012 $(insp "{\"tank_volume\":1.2,\"walls_roof_door\":true,\"room_area\":1.5,\"no_leak\":true,\"sealed_cover\":true,\"no_exposed_waste\":true}" pass)
	13 inspection 01900000-0000-7000-8000-0000000000c3 put 8 0190000000000013 $(insp "{\"tank_volume\":2,\"walls_roof_door\":false,\"room_area\":1.5,\"no_leak\":true,\"sealed_cover\":true,\"no_exposed_waste\":true}" fail)
	EOF
	adm import b3 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[12,\"checklist\"]]" &&
	jq -r ".rejected[0].message" res | grep -q "tank_volume" &&
	! exists 01900000-0000-7000-8000-0000000000c2 && exists 01900000-0000-7000-8000-0000000000c3
'

test_expect_success 'unknown items, missing critical items and impossible values are rejected' '
	$BL b4 lap1 <<-EOF &&
	14 inspection 01900000-0000-7000-8000-0000000000c4 put 8 0190000000000014 $(insp "{\"tank_volume\":2,\"frobs\":1}" pass excavation)
	15 inspection 01900000-0000-7000-8000-0000000000c5 put 8 0190000000000015 $(insp "{}" fail excavation)
	16 inspection 01900000-0000-7000-8000-0000000000c6 put 8 0190000000000016 $(insp "{\"tank_volume\":-3}" fail excavation)
	17 inspection 01900000-0000-7000-8000-0000000000c7 put 8 0190000000000017 $(insp "{\"tank_volume\":\"lots\"}" fail excavation)
	18 inspection 01900000-0000-7000-8000-0000000000c8 put 8 0190000000000018 $(insp "{\"tank_volume\":[1]}" fail excavation)
	19 inspection 01900000-0000-7000-8000-0000000000c9 put 8 0190000000000019 $(insp "{\"tank_volume\":2}" pass excavation)
	EOF
	adm import b4 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[14,\"checklist\"],[15,\"checklist\"],[16,\"checklist\"],[17,\"checklist\"],[18,\"checklist\"]]" &&
	jq -r ".rejected[0].message" res | grep -q frobs &&
	jq -r ".rejected[1].message" res | grep -q "missing critical" &&
	exists 01900000-0000-7000-8000-0000000000c9
'

test_expect_success 'references must name existing records of the right kind' '
	$BL b5 lap1 <<-EOF &&
	20 group 01900000-0000-7000-8000-0000000000b2 put 8 0190000000000020 {"village_id":"01900000-0000-7000-8000-00000000dead","name":"鬼组"}
	21 group 01900000-0000-7000-8000-0000000000b3 put 8 0190000000000021 {"village_id":"$G","name":"错组"}
	22 photo 01900000-0000-7000-8000-0000000000d1 put 8 0190000000000022 {"owner_id":"$H1","kind":"tank","sha256":"$(printf "e%.0s" $(seq 64))","size":10}
	EOF
	adm import b5 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[20,\"reference\"],[21,\"reference\"]]" &&
	jq -r ".rejected[1].message" res | grep -q "is a group, not a village"
'

test_expect_success 'laptops may not write conflicts, nor change a record'\''s kind' '
	$BL b6 lap1 <<-EOF &&
	23 conflict 01900000-0000-7000-8000-0000000000e1 put 8 0190000000000023 {"kind":"field","record":"$H1","vals":[],"status":"resolved"}
	24 team $H1 put 8 0190000000000024 {"name":"冒名"}
	25 household $H1 put 8 0190000000000025 {"head_norm":"x"}
	EOF
	adm import b6 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[23,\"forbidden\"],[24,\"invalid\"],[25,\"invalid\"]]" &&
	printf "{\"entries\":[{\"seq\":26,\"id\":\"%s\",\"kind\":\"household\",\"op\":\"put\",\"base\":8,\"hlc\":\"0190000000000026\",\"fields\":{\"head\":\"户一\",\"head\":\"户二\"}}]}" "$H1" >p7 &&
	$BL --payload p7 --first 26 --last 26 --count 1 b7 lap1 </dev/null &&
	adm import b7 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[26,\"invalid\"]]" &&
	test "$(jq .acked res)" = 26 &&
	test "$(sqlite3 "$C" "SELECT value FROM field WHERE record_id = '\''$H1'\'' AND name = '\''head'\''")" = "\"户一\""
'

test_expect_success 'build mode and team, phone and GPS follow the domain rules' '
	$BL b8 lap0 <<-EOF &&
	4 household $H5 put 8 0190000000000104 $(hh 户五 contracted)
	5 household $H5 put 8 0190000000000105 {"village_id":"$V","group_id":"$G","head":"户五","approach":"new-build","build":"self","type":"three-grid","phone":"1390000"}
	6 household $H5 put 8 0190000000000106 {"village_id":"$V","group_id":"$G","head":"户五","approach":"new-build","build":"self","type":"three-grid","gps":"北纬25度"}
	7 household $H5 put 8 0190000000000107 {"village_id":"$V","group_id":"$G","head":"户五","approach":"new-build","build":"self","type":"three-grid","phone":"0871-1234567","gps":"25.1,99.2"}
	8 household $H5 put 8 0190000000000108 {"team_id":"$T"}
	EOF
	adm import b8 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[4,\"invalid\"],[5,\"invalid\"],[6,\"invalid\"],[8,\"invalid\"]]" &&
	jq -r ".rejected[0].message" res | grep -q "contracted" &&
	jq -r ".rejected[1].message" res | grep -q "phone" &&
	jq -r ".rejected[2].message" res | grep -q "LAT,LON" &&
	test "$(fld $H5 phone)" = "\"0871-1234567\""
'

test_expect_success 'an inspection is dated, by known cadres, and a void stays' '
	c10=01900000-0000-7000-8000-0000000000ca &&
	c11=01900000-0000-7000-8000-0000000000cb &&
	c12=01900000-0000-7000-8000-0000000000cc &&
	$BL b9 lap0 <<-EOF &&
	9 inspection $c10 put 8 0190000000000109 {"household_id":"$H1","stage":"spot-check","date":"2099-01-07","week":"2099-W02","inspectors":"甲","items":$OK,"result":"pass"}
	10 inspection $c11 put 8 0190000000000110 {"household_id":"$H1","stage":"spot-check","date":"2026-01-07","week":"2026-W02","inspectors":"甲、无名氏","items":$OK,"result":"pass"}
	11 inspection $c12 put 8 0190000000000111 {"household_id":"$H1","stage":"spot-check","date":"2026-01-08","week":"2026-W02","inspectors":"甲","items":$OK,"result":"fail"}
	12 inspection $c12 put 8 0190000000000112 {"voided":"录错了户"}
	13 inspection $c12 put 8 0190000000000113 {"voided":null}
	EOF
	adm import b9 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[9,\"invalid\"],[10,\"invalid\"],[13,\"invalid\"]]" &&
	jq -r ".rejected[0].message" res | grep -q "future" &&
	jq -r ".rejected[1].message" res | grep -q "无名氏" &&
	test "$(fld $c12 voided)" = "\"录错了户\""
'

test_expect_success 'a laptop restored from an old copy does not pass the gate' '
	c13=01900000-0000-7000-8000-0000000000cd &&
	$BL b10 lap1 <<-EOF &&
	27 team $T2 put 8 0190000000000126 {"name":"乙队"}
	28 household $H6 put 8 0190000000000127 $(hh 户六 contracted $T2)
	29 inspection $c13 put 8 0190000000000128 {"household_id":"$H6","stage":"first-toilet","date":"2026-01-07","week":"2026-W02","inspectors":"甲","items":$OK,"result":"pass"}
	30 inspection $c13 put 8 0190000000000129 {"voided":"验收人不在场"}
	EOF
	adm import b10 >res && test "$(jq ".rejected | length" res)" = 0 &&
	$BL b11 lap1 <<-EOF &&
	31 inspection $c13 put 8 0190000000000128 {"household_id":"$H6","stage":"first-toilet","date":"2026-01-07","week":"2026-W02","inspectors":"甲","items":$OK,"result":"pass"}
	32 household $H6 put 8 0190000000000128 {"status":"accepted"}
	33 household $H7 put 8 0190000000000128 $(hh 户七 contracted $T2)
	EOF
	adm import b11 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[33,\"gate\"]]" &&
	test "$(fld $c13 voided)" = "\"验收人不在场\"" &&
	test "$(fld $H6 status)" = "" && ! exists $H7
'

test_expect_success 'a rejected entry leaves no trace in records, fields or history' '
	test "$(sqlite3 "$C" "SELECT count(*) FROM history WHERE record_id IN (
		'\''01900000-0000-7000-8000-0000000000c2'\'', '\''$H4'\'',
		'\''01900000-0000-7000-8000-0000000000e1'\'')")" = 0 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE kind = '\''conflict'\''")" = 0
'

test_done
