#!/bin/bash
# t0208-report.sh - the office's weekly list (周清单) over the merged
# store: per village the week's target, households, built, inspected,
# passed and failed that week, accepted, open rectifications and open
# conflicts, ranked by passed; as text, JSON, CSV (with a BOM for the
# office's spreadsheet) and HTML written to a file.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
MK="python3 $HUCE_SRCDIR/tests/tools/mkbatch.py"
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
VA=01900000-0000-7000-8000-0000000000a1
VB=01900000-0000-7000-8000-0000000000a2
GA=01900000-0000-7000-8000-0000000000b1
GB=01900000-0000-7000-8000-0000000000b2
id() { printf '01900000-0000-7000-8000-%012d' "$1"; }
hh() {	# hh VILLAGE GROUP HEAD [EXTRA-JSON-MEMBERS]: the status is derived
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"%s}' "$1" "$2" "$3" "${4:+,$4}"
}
OK='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD='{"tank_volume":1.2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
insp() {	# insp HOUSEHOLD ITEMS RESULT WEEK [STAGE]
	printf '{"household_id":"%s","stage":"%s","date":"2026-01-07","week":"%s","inspectors":"甲","items":%s,"result":"%s"}' "$1" "${5:-completion}" "$4" "$2" "$3"
}

{
	adm device add lap1 && adm device add lap2 &&
	$BL "$TRASH/a" lap2 <<-EOF &&
	1 cadre $($MK named cadre 甲) put 0 0190000000000100 {"name":"甲","role":"inspector"}
	EOF
	adm import "$TRASH/a" &&
	$BL "$TRASH/b" lap1 <<-EOF &&
	1 village $VA put 0 0190000000000001 {"name":"阿猛村"}
	2 village $VB put 0 0190000000000002 {"name":"<b>坝心村</b>"}
	3 group $GA put 0 0190000000000003 {"village_id":"$VA","name":"一组"}
	4 group $GB put 0 0190000000000004 {"village_id":"$VB","name":"一组"}
	5 target $(id 900) put 0 0190000000000005 {"village_id":"$VA","week":"2026-W02","n":5}
	6 target $(id 901) put 0 0190000000000006 {"village_id":"$VA","week":"2026-W03","n":7}
	7 household $(id 1) put 0 0190000000000007 $(hh $VA $GA 户一 '"started":"2026-01-08"')
	8 household $(id 2) put 0 0190000000000008 $(hh $VA $GA 户二)
	9 household $(id 3) put 0 0190000000000009 $(hh $VA $GA 户三)
	10 household $(id 4) put 0 0190000000000010 $(hh $VB $GB 户四)
	11 household $(id 5) put 0 0190000000000011 $(hh $VB $GB 户五 '"finished":"2026-01-05"')
	12 inspection $(id 11) put 0 0190000000000012 $(insp $(id 1) "$BAD" fail 2026-W02)
	13 inspection $(id 12) put 0 0190000000000013 $(insp $(id 2) "$OK" pass 2026-W02)
	14 inspection $(id 13) put 0 0190000000000014 $(insp $(id 4) "$OK" pass 2026-W02)
	15 inspection $(id 14) put 0 0190000000000015 $(insp $(id 5) "$OK" pass 2026-W02 spot-check)
	16 inspection $(id 15) put 0 0190000000000016 $(insp $(id 5) "$OK" pass 2026-W02 spot-check)
	17 inspection $(id 16) put 0 0190000000000017 $(insp $(id 3) "$OK" pass 2026-W01 excavation)
	18 rectification $(id 21) put 0 0190000000000018 {"household_id":"$(id 1)","inspection_id":"$(id 11)","category":"容积不足","status":"open"}
	EOF
	adm import "$TRASH/b" &&
	$BL "$TRASH/c" lap2 <<-EOF &&
	2 household $(id 1) put 0 0190000000000101 {"phone":"13900000001"}
	EOF
	$BL "$TRASH/d" lap1 <<-EOF &&
	19 household $(id 1) put 0 0190000000000102 {"phone":"13900000002"}
	EOF
	adm import "$TRASH/c" && adm import "$TRASH/d"
} >/dev/null || exit 1

test_expect_success 'report week --json counts per village, ranked by passed' '
	adm report week --week 2026-W02 --json >r.json &&
	test "$(jq -r .week r.json)" = 2026-W02 &&
	jq -c ".villages[] | [.rank, .village, .target, .households, .built, .inspected, .passed, .failed, .accepted, .open_rectifications, .conflicts]" r.json >got &&
	cat >want <<-\EOF &&
	[1,"<b>坝心村</b>",0,2,2,2,2,0,1,0,0]
	[2,"阿猛村",5,3,2,2,1,1,1,1,1]
	EOF
	test_cmp want got
'

test_expect_success 'another week counts that week only' '
	adm report week --week 2026-W03 --json >r3.json &&
	test "$(jq ".villages[] | select(.village == \"阿猛村\") | [.target, .inspected, .passed] | @csv" r3.json)" = "\"7,0,0\""
'

test_expect_success 'text, CSV and HTML' '
	adm report week --week 2026-W02 >t.txt &&
	grep -q "^1	<b>坝心村</b>	0	2" t.txt &&
	adm report week --week 2026-W02 --format csv --out r.csv &&
	head -c 3 r.csv | od -An -tx1 | grep -q "ef bb bf" &&
	grep -q "排名,村委会,本周任务" r.csv &&
	grep -q "^2,阿猛村,5,3,2,2,1,1,1,1,1" r.csv &&
	adm report week --week=2026-W02 --format=html --out=r.html &&
	grep -q "<title>周清单 2026-W02</title>" r.html &&
	grep -q "&lt;b&gt;坝心村&lt;/b&gt;" r.html &&
	! grep -q "<b>坝心村" r.html &&
	grep -q "class=\"c\"" r.html
'

test_expect_success 'bad weeks and formats are refused' '
	expect_exit 3 adm report week --week 2026-W99 2>err && grep -q "not an ISO week" err &&
	expect_exit 2 adm report week --format xls 2>err &&
	expect_exit 2 adm report week --json --format csv 2>err &&
	expect_exit 2 adm report month 2>err &&
	expect_exit 2 adm report week --bogus 2>err &&
	expect_exit 1 adm report week --format csv --out /nonexistent/dir/r.csv 2>err &&
	grep -q "cannot write" err
'

test_expect_success 'the report without --week is this week, and is audited' '
	adm report week --json >now.json &&
	jq -e ".week | test(\"^[0-9]{4}-W[0-9]{2}$\")" now.json >/dev/null &&
	sqlite3 "$C" "SELECT detail FROM audit WHERE action = '\''report week'\''" | grep -q "week 2026-W02, 2 villages"
'

test_done
