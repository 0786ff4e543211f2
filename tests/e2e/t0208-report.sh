#!/bin/bash
# t0208-report.sh - the weekly list (周清单), counted as of its week
# (common/huce_report.c; README, "The weekly list").  First over a
# store filled from batch files: per village the week's target,
# households, built, inspected, passed and failed that week, accepted,
# open rectifications, entered_same_week and open conflicts, ranked by
# accepted with equal villages sharing a rank; as text, JSON, CSV (with
# a BOM for the office's spreadsheet) and HTML written to a file.  Then
# with real laptops and a real central: inspections dated in 2026-W40
# and W41, synced; the laptops and the central give the same list for
# each week (but for what only the central knows: arrivals and photos),
# W40's list does not count the acceptances of W41, and a household
# passed then failed in one week is failed, once.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
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
hh() {	# hh VILLAGE GROUP HEAD (no status: the report derives it)
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"}' "$1" "$2" "$3"
}
OK='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD='{"tank_volume":1.2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
insp() {	# insp HOUSEHOLD ITEMS RESULT DATE WEEK
	printf '{"household_id":"%s","stage":"completion","date":"%s","week":"%s","inspectors":"甲","items":%s,"result":"%s"}' "$1" "$4" "$5" "$2" "$3"
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
	7 household $(id 1) put 0 0190000000000007 $(hh $VA $GA 户一)
	8 household $(id 2) put 0 0190000000000008 $(hh $VA $GA 户二)
	9 household $(id 3) put 0 0190000000000009 $(hh $VA $GA 户三)
	10 household $(id 4) put 0 0190000000000010 $(hh $VB $GB 户四)
	11 household $(id 5) put 0 0190000000000011 $(hh $VB $GB 户五)
	12 inspection $(id 11) put 0 0190000000000012 $(insp $(id 1) "$BAD" fail 2026-01-07 2026-W02)
	13 inspection $(id 12) put 0 0190000000000013 $(insp $(id 2) "$OK" pass 2026-01-07 2026-W02)
	14 inspection $(id 13) put 0 0190000000000014 $(insp $(id 4) "$OK" pass 2026-01-07 2026-W02)
	15 inspection $(id 14) put 0 0190000000000015 $(insp $(id 5) "$OK" pass 2026-01-07 2026-W02)
	16 inspection $(id 15) put 0 0190000000000016 $(insp $(id 5) "$OK" pass 2026-01-07 2026-W02)
	17 inspection $(id 16) put 0 0190000000000017 $(insp $(id 3) "$OK" pass 2025-12-31 2026-W01)
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

# 户五 was typed "built" before status was derived: its passing
# inspections accept it all the same.  户三 passed in W01 (2025-12-31).
test_expect_success 'report week --json counts per village; equal villages share rank 1' '
	adm report week --week 2026-W02 --json >r.json &&
	test "$(jq -r "[.week, .from, .to, .conflicts] | @csv" r.json)" = "\"2026-W02\",\"2026-01-05\",\"2026-01-11\",1" &&
	jq -c ".villages[] | [.rank, .village, .target, .households, .built, .inspected, .passed, .failed, .accepted, .open_rectifications, .entered_same_week, .conflicts]" r.json >got &&
	cat >want <<-\EOF &&
	[1,"<b>坝心村</b>",0,2,2,2,2,0,2,0,0,0]
	[1,"阿猛村",5,3,3,2,1,1,2,1,0,1]
	EOF
	test_cmp want got
'

test_expect_success 'another week counts that week only' '
	adm report week --week 2026-W03 --json >r3.json &&
	test "$(jq ".villages[] | select(.village == \"阿猛村\") | [.target, .inspected, .passed, .accepted] | @csv" r3.json)" = "\"7,0,0,2\""
'

test_expect_success 'an earlier week counts what was true then' '
	adm report week --week 2026-W01 --json >r1.json &&
	jq -c ".villages[] | [.rank, .village, .households, .built, .inspected, .passed, .failed, .accepted, .open_rectifications]" r1.json >got &&
	cat >want <<-\EOF &&
	[1,"阿猛村",3,1,1,1,0,1,0]
	[2,"<b>坝心村</b>",2,0,0,0,0,0,0]
	EOF
	test_cmp want got
'

test_expect_success 'text, CSV and HTML' '
	adm report week --week 2026-W02 >t.txt &&
	grep -q "^周清单 week 2026-W02 (2026-01-05 .. 2026-01-11)" t.txt &&
	grep -q "^1	<b>坝心村</b>	0	2" t.txt &&
	grep -q "^1	阿猛村	5	3	3	2	1	1	2	1	0	1	0	0	0$" t.txt &&
	adm report week --week 2026-W02 --format csv --out r.csv &&
	head -c 3 r.csv | od -An -tx1 | grep -q "ef bb bf" &&
	grep -q "排名,村委会,本周任务,农户数,已建成,本周检查,本周合格,本周不合格,累计验收,未完成整改,当周验收当周录入,待处理冲突" r.csv &&
	grep -q "^1,阿猛村,5,3,3,2,1,1,2,1,0,1" r.csv &&
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
	expect_exit 2 adm report fortnight 2>err &&
	expect_exit 2 adm report week --bogus 2>err &&
	expect_exit 1 adm report week --format csv --out /nonexistent/dir/r.csv 2>err &&
	grep -q "cannot write" err
'

test_expect_success 'the report without --week is this week, and is audited' '
	adm report week --json >now.json &&
	jq -e ".week | test(\"^[0-9]{4}-W[0-9]{2}$\")" now.json >/dev/null &&
	sqlite3 "$C" "SELECT detail FROM audit WHERE action = '\''report week'\''" | grep -q "week 2026-W02, 2 villages"
'

# --- laptops and the central, the same list ---------------------------------

C2=$TRASH/c2.db
adm2() { "$HUCE_SYNCD" admin --store "$C2" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
OKI=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")
BADI=(--item tank_volume=1.2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")
add_hh() { # DEV VILLAGE HEAD
	h "$1" household add --village "$2" --group 一组 --head "$3" \
		--approach new-build --build self --type three-grid | tail -n 1
}
insp() { # DEV HOUSEHOLD STAGE DATE ok|bad
	if [ "$5" = ok ]; then set -- "$@" "${OKI[@]}"; else set -- "$@" "${BADI[@]}"; fi
	dev=$1 hh=$2 stage=$3 date=$4
	shift 5
	h "$dev" inspect "$hh" --stage "$stage" --inspector 甲 --date "$date" "$@" >/dev/null
}
# The list of one week from laptop DEV or the central (c), JSON.
week() { # DEV WEEK
	if [ "$1" = c ]; then adm2 report week --week "$2" --json
	else h "$1" report week --week "$2" --json; fi
}
cols() { jq -c ".villages[] | [.rank, .village, .target, .households, .built, .inspected, .passed, .failed, .accepted, .open_rectifications]"; }

{
	adm2 town 阿猛镇 &&
	adm2 device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm2 device add d2 | tail -n 1 >"$TRASH/tok2" &&
	start_central c "$C2" --rate 0 &&
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	for v in 阿猛村 坝心村 城子村; do
		h d1 village add $v && h d1 group add --village $v 一组 || exit 1
	done &&
	h d1 cadre add 甲 --role 验收组 &&
	h d1 target set --village 阿猛村 --week 2026-W40 5 &&
	add_hh d1 阿猛村 户一 >"$TRASH/h1" && add_hh d1 阿猛村 户二 >"$TRASH/h2" &&
	add_hh d1 阿猛村 户三 >"$TRASH/h3" && add_hh d1 坝心村 户四 >"$TRASH/h4" &&
	add_hh d1 坝心村 户五 >"$TRASH/h5" && add_hh d1 城子村 户六 >"$TRASH/h6"
} >/dev/null 2>"$TRASH/setup2.err" || { cat "$TRASH/setup2.err"; exit 1; }
H1=$(cat "$TRASH/h1") H2=$(cat "$TRASH/h2") H3=$(cat "$TRASH/h3")
H4=$(cat "$TRASH/h4") H5=$(cat "$TRASH/h5") H6=$(cat "$TRASH/h6")

# W40 (09-28 .. 10-04) on d1: 户一 accepted; 户二 passed, then failed a
# spot-check (a rectification opens); 户三 and 户五 dug; 户四 accepted.
# W41 (10-05 .. 10-11) on d2, after a sync: 户三 and 户五 accepted, 户二
# re-inspected and accepted (its rectification closes).
test_expect_success 'two laptops record W40 and W41 and sync' '
	insp d1 "$H1" completion 2026-09-30 ok &&
	insp d1 "$H2" completion 2026-09-29 ok &&
	insp d1 "$H2" spot-check 2026-10-01 bad &&
	insp d1 "$H3" excavation 2026-09-28 ok &&
	insp d1 "$H4" completion 2026-10-02 ok &&
	insp d1 "$H5" excavation 2026-09-30 ok &&
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	insp d2 "$H3" completion 2026-10-06 ok &&
	insp d2 "$H5" completion 2026-10-07 ok &&
	insp d2 "$H2" re-inspection 2026-10-08 ok &&
	h d2 sync >/dev/null && h d1 sync >/dev/null &&
	test "$(h d1 status --json | jq .pending)" = 0 &&
	test "$(h d2 status --json | jq .pending)" = 0
'

test_expect_success 'W40 counts as of its Sunday: the acceptances of W41 are not in it' '
	week c 2026-W40 | cols >got &&
	cat >want <<-\EOF &&
	[1,"坝心村",0,2,1,2,1,0,1,0]
	[1,"阿猛村",5,3,2,3,1,1,1,1]
	[3,"城子村",0,0,0,0,0,0,0,0]
	EOF
	test_cmp want got
'

test_expect_success 'W41 counts W41 events and everything accepted by its Sunday' '
	week c 2026-W41 | cols >got &&
	cat >want <<-\EOF &&
	[1,"阿猛村",0,3,3,2,2,0,3,0]
	[2,"坝心村",0,2,2,1,1,0,2,0]
	[3,"城子村",0,0,0,0,0,0,0,0]
	EOF
	test_cmp want got
'

test_expect_success 'the office reviews three households; the laptops pull the reviews' '
	adm2 review "$H1" --approve >/dev/null &&
	adm2 review "$H4" --approve >/dev/null &&
	adm2 review "$H2" --issues "验收照片不清楚" >/dev/null &&
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	test "$(h d2 household list --review has-issues --json | jq -r ".[].head")" = 户二
'

test_expect_success 'both laptops give the central'"'"'s list, week by week' '
	for w in 2026-W39 2026-W40 2026-W41 2026-W49; do
		week c $w >c.$w.json && week d1 $w >d1.$w.json && week d2 $w >d2.$w.json &&
		for f in c d1 d2; do
			jq -S "del(.villages[].entered_same_week, .villages[].entered_same_week_rate,
				.villages[].missing_photos, .town.entered_same_week,
				.town.entered_same_week_rate, .town.missing_photos, .late)" \
				$f.$w.json >$f.$w.cmp || exit 1
		done &&
		test_cmp c.$w.cmp d1.$w.cmp && test_cmp c.$w.cmp d2.$w.cmp || exit 1
	done &&
	test "$(jq -c "[.villages[] | .entered_same_week]" c.2026-W40.json)" = "[0,0,0]" &&
	test "$(jq -c "[.villages[] | .entered_same_week]" d1.2026-W40.json)" = "[null,null,0]" &&
	: "the reviews are counted alike on the laptops and at the central" &&
	test "$(jq -c "[.villages[] | [.village, .review_approved, .review_has_issues, .review_edited]]" d2.2026-W41.json)" = \
		"[[\"阿猛村\",1,1,0],[\"坝心村\",1,0,0],[\"城子村\",0,0,0]]" &&
	h d1 report week --week 2026-W40 >t1.txt &&
	adm2 report week --week 2026-W40 >tc.txt &&
	grep -q "^1	阿猛村	5	3	2	3	1	1	1	1	-	0	1	1	0$" t1.txt &&
	grep -q "^1	阿猛村	5	3	2	3	1	1	1	1	0	0	1	1	0$" tc.txt
'

test_expect_success 'an acceptance that reaches the central in its own week is entered_same_week there' '
	h d1 inspect "$H6" --stage completion --inspector 甲 "${OKI[@]}" >/dev/null &&
	h d1 sync >/dev/null &&
	adm2 report week --json >now.json &&
	test "$(jq -c ".villages[] | select(.village == \"城子村\") | [.inspected, .passed, .accepted, .entered_same_week]" now.json)" = "[1,1,1,1]" &&
	h d1 report week --json >now1.json &&
	test "$(jq -c ".villages[] | select(.village == \"城子村\") | [.inspected, .passed, .accepted, .entered_same_week]" now1.json)" = "[1,1,1,null]"
'

test_done
