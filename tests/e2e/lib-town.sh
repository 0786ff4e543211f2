# lib-town.sh - a generated town for the office's reports, with the
# answers computed by hand (sourced by t0230-report-town.sh on SQLite
# and t0703-pg-report-town.sh on PostgreSQL, after lib.sh).
#
#   town_build STORE [BLOBS]   feed STORE through `admin import` of batch
#                              files (tests/tools/batchlines.py), each
#                              imported under faketime at the moment it
#                              "reached the central"; BLOBS is the photo
#                              directory (default STORE.blobs)
#   town_checks                the test_expect_success blocks: the week
#                              2026-W41, the dispatches of 2026-10-09 and
#                              2026-10-12, the month 2026-10 and the audit
#                              sample, against the figures below
#   rep ARGS...                `admin report ARGS --blobs BLOBS` on STORE
#
# The town (Oct 2026: W40 = 09-28..10-04, W41 = 10-05..11, W42 = 10-12..18,
# W43 = 10-19..25, W44 = 10-26..11-01; arrival = when the batch was
# imported; R = a rectification with its deadline):
#
#   阿猛村 V1  targets W39 5, W40 1, W44 1, W45 9 (plan 2 in October)
#     H11 户十一    completion pass 10-06, arrived 10-08 (same week);
#                   photo P11, its bytes at the central
#     H12 岩·依罕   completion fail 09-30 (R12, deadline 10-05),
#                   re-inspection pass 10-08 arrived 10-13 (late, 5 days),
#                   closes R12
#   坝心村 V2  target W41 1
#     H21 户二一    completion pass 10-03
#     H22 户二二    started 09-01, nothing since (stale)
#   𠮷祥村 V3  target W42 3
#     H31 𠮷小明    first-toilet pass 10-07 (team 乙队, alone)
#     H32 户三二    completion pass 10-14
#     H33 户三三    excavation 10-06
#   岩脚村 V4  target W43 2
#     H41 户四一    team 甲队: completion pass 10-02 (voided on 10-07),
#                   completion fail 10-07 on tank_volume (R41, deadline
#                   10-10), re-inspection pass 10-15 closes R41
#     H42 户四二    given to 甲队 on 10-02 (after H41 passed); completion
#                   fail 10-20 (R42, deadline 10-25, open)
#   新华村 V5  target W41 2
#     H51 户五一    completion pass 09-15; re-check (spot-check) fail
#                   10-08 on sealed_cover (R51, deadline 10-22, open)
#     H52 户五二    completion pass 09-14; re-check (spot-check) pass 10-09
#   东山村 V6  target W45 3 (none in October)
#     H61 户六一    completion pass 10-09, arrived 10-19 (late, 10 days);
#                   photo P61 whose bytes never came; an open conflict
#                   (two laptops set its phone)
#   cadres: 张伟 has H11 H12 H21 H22, 𠮷祥 has H31 H32 H33
#   the office's review (信息审核, counted now): approved H11 H21 H31 H32
#   H52; has-issues H12 H51 H42; then lap1 changes H42 (edited) and H32
#   (stays approved).  Per village approved / has-issues / edited:
#   阿猛村 1/1/0, 坝心村 1/0/0, 𠮷祥村 2/0/0, 岩脚村 0/0/1, 新华村 1/1/0,
#   东山村 0/0/0; the town 5/2/1.

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
export TZ=Asia/Shanghai

if ! command -v faketime >/dev/null 2>&1; then
	echo "# skip: $TEST_NAME needs faketime (Debian package faketime) to set when batches arrive"
	exit 77
fi

# faketime preloads a library: ASan must not insist on being first.
FT() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" faketime "$@"
}

tid() { printf '01900000-0000-7000-8000-%012d' "$1"; }
V1=$(tid 101) V2=$(tid 102) V3=$(tid 103) V4=$(tid 104) V5=$(tid 105) V6=$(tid 106)
C1=$(tid 121) C2=$(tid 122) TA=$(tid 131) TB=$(tid 132)
H11=$(tid 211) H12=$(tid 212) H21=$(tid 221) H22=$(tid 222)
H31=$(tid 231) H32=$(tid 232) H33=$(tid 233) H41=$(tid 241) H42=$(tid 242)
H51=$(tid 251) H52=$(tid 252) H61=$(tid 261)
SHA_HERE=$(printf 'photo here' | sha256sum | cut -d' ' -f1)
SHA_GONE=$(printf 'photo gone' | sha256sum | cut -d' ' -f1)

OK='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD_TANK='{"tank_volume":1.2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":true,"no_exposed_waste":true}'
BAD_COVER='{"tank_volume":2,"walls_roof_door":true,"room_area":1.5,"no_leak":true,"sealed_cover":false,"no_exposed_waste":true}'

# e DEV KIND ID - FIELDS: one outbox entry of laptop DEV's next batch.
e() {
	eval "_seq=\$((SEQ_$1 + 1)); SEQ_$1=\$_seq"
	printf '%d %s %s put 0 019%d%012x %s\n' "$_seq" "$2" "$3" "$1" "$_seq" "$5" \
		>>"$TRASH/next.$1"
}
# ship DEV 'YYYY-MM-DD HH:MM:SS': the batch reaches the central then.
ship() {
	BATCHN=$((BATCHN + 1))
	$BL "$TRASH/batch.$BATCHN" "lap$1" <"$TRASH/next.$1" &&
	rm -f "$TRASH/next.$1" &&
	FT "$2" "$HUCE_SYNCD" admin --store "$STORE" import "$TRASH/batch.$BATCHN" \
		>"$TRASH/import.$BATCHN" 2>&1 &&
	test "$(jq ".rejected | length" "$TRASH/import.$BATCHN")" = 0 ||
		{ echo "batch $BATCHN:"; cat "$TRASH/import.$BATCHN"; return 1; }
}
hh() {	# hh VILLAGE GROUP HEAD CADRE [EXTRA]
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"%s%s}' \
		"$1" "$2" "$3" "${4:+,\"cadre_id\":\"$4\"}" "${5:+,$5}"
}
insp() {	# insp HOUSEHOLD STAGE DATE ITEMS RESULT [FAILED-JSON]
	printf '{"household_id":"%s","stage":"%s","date":"%s","week":"%s","inspectors":"甲","items":%s,"result":"%s","failed":%s}' \
		"$1" "$2" "$3" "$(date -d "$3" +%G-W%V)" "$4" "$5" "${6:-[]}"
}
rect() {	# rect HOUSEHOLD INSPECTION DEADLINE
	printf '{"household_id":"%s","inspection_id":"%s","category":"整改","deadline":"%s","status":"open"}' "$1" "$2" "$3"
}

rep() { "$HUCE_SYNCD" admin --store "$STORE" report "$@" --blobs "$BLOBS"; }
adm() { "$HUCE_SYNCD" admin --store "$STORE" "$@"; }

town_build() {
	STORE=$1
	BLOBS=${2:-$1.blobs}
	SEQ_1=0 SEQ_2=0 BATCHN=0
	rm -f "$TRASH"/next.*
	adm device add lap1 >/dev/null && adm device add lap2 >/dev/null || return 1
	mkdir -p "$BLOBS" && printf 'photo here' >"$BLOBS/$SHA_HERE" || return 1
	n=0
	for v in "$V1 阿猛村" "$V2 坝心村" "$V3 𠮷祥村" "$V4 岩脚村" "$V5 新华村" "$V6 东山村"; do
		n=$((n + 1))
		set -- $v
		e 1 village "$1" x "{\"name\":\"$2\"}"
		e 1 group "$(tid $((110 + n)))" x "{\"village_id\":\"$1\",\"name\":\"一组\"}"
	done
	G1=$(tid 111) G2=$(tid 112) G3=$(tid 113) G4=$(tid 114) G5=$(tid 115) G6=$(tid 116)
	e 1 cadre "$C1" x '{"name":"张伟","role":"liaison"}'
	e 1 cadre "$C2" x '{"name":"𠮷祥","role":"liaison"}'
	# the inspections' inspector: a cadre the central knows (a rule)
	e 1 cadre "$(python3 "$HUCE_SRCDIR/tests/tools/mkbatch.py" named cadre 甲)" x '{"name":"甲","role":"inspector"}'
	e 1 team "$TA" x '{"name":"甲队"}'
	e 1 team "$TB" x '{"name":"乙队"}'
	n=600
	for t in "$V1 2026-W39 5" "$V1 2026-W40 1" "$V1 2026-W44 1" "$V1 2026-W45 9" \
		"$V2 2026-W41 1" "$V3 2026-W42 3" "$V4 2026-W43 2" "$V5 2026-W41 2" \
		"$V6 2026-W45 3"; do
		n=$((n + 1))
		set -- $t
		e 1 target "$(tid $n)" x "{\"village_id\":\"$1\",\"week\":\"$2\",\"n\":$3}"
	done
	e 1 household "$H11" x "$(hh "$V1" "$G1" 户十一 "$C1")"
	e 1 household "$H12" x "$(hh "$V1" "$G1" 岩·依罕 "$C1")"
	e 1 household "$H21" x "$(hh "$V2" "$G2" 户二一 "$C1")"
	e 1 household "$H22" x "$(hh "$V2" "$G2" 户二二 "$C1" '"started":"2026-09-01"')"
	e 1 household "$H31" x "$(hh "$V3" "$G3" 𠮷小明 "$C2" "\"build\":\"contracted\",\"team_id\":\"$TB\"" | sed 's/"build":"self",//')"
	e 1 household "$H32" x "$(hh "$V3" "$G3" 户三二 "$C2")"
	e 1 household "$H33" x "$(hh "$V3" "$G3" 户三三 "$C2")"
	e 1 household "$H41" x "$(hh "$V4" "$G4" 户四一 "" "\"build\":\"contracted\",\"team_id\":\"$TA\"" | sed 's/"build":"self",//')"
	e 1 household "$H42" x "$(hh "$V4" "$G4" 户四二 "")"
	e 1 household "$H51" x "$(hh "$V5" "$G5" 户五一 "")"
	e 1 household "$H52" x "$(hh "$V5" "$G5" 户五二 "")"
	e 1 household "$H61" x "$(hh "$V6" "$G6" 户六一 "")"
	e 1 inspection "$(tid 351)" x "$(insp "$H51" completion 2026-09-15 "$OK" pass)"
	e 1 inspection "$(tid 352)" x "$(insp "$H52" completion 2026-09-14 "$OK" pass)"
	ship 1 '2026-09-15 10:00:00' || return 1

	e 1 inspection "$(tid 341)" x "$(insp "$H41" completion 2026-10-02 "$OK" pass)"
	ship 1 '2026-10-02 18:00:00' || return 1
	e 1 household "$H42" x "{\"build\":\"contracted\",\"team_id\":\"$TA\"}"
	ship 1 '2026-10-02 18:30:00' || return 1
	e 1 inspection "$(tid 321)" x "$(insp "$H21" completion 2026-10-03 "$OK" pass)"
	ship 1 '2026-10-03 12:00:00' || return 1

	e 1 inspection "$(tid 341)" x '{"voided":"填错户"}'
	e 1 inspection "$(tid 342)" x "$(insp "$H41" completion 2026-10-07 "$BAD_TANK" fail '["tank_volume"]')"
	e 1 rectification "$(tid 441)" x "$(rect "$H41" "$(tid 342)" 2026-10-10)"
	e 1 inspection "$(tid 331)" x "$(insp "$H31" first-toilet 2026-10-07 "$OK" pass)"
	e 1 inspection "$(tid 333)" x "$(insp "$H33" excavation 2026-10-06 '{"tank_volume":2}' pass)"
	ship 1 '2026-10-07 20:00:00' || return 1

	e 1 inspection "$(tid 311)" x "$(insp "$H11" completion 2026-10-06 "$OK" pass)"
	e 1 inspection "$(tid 312)" x "$(insp "$H12" completion 2026-09-30 "$BAD_TANK" fail '["tank_volume"]')"
	e 1 rectification "$(tid 412)" x "$(rect "$H12" "$(tid 312)" 2026-10-05)"
	e 1 inspection "$(tid 353)" x "$(insp "$H51" spot-check 2026-10-08 "$BAD_COVER" fail '["sealed_cover"]')"
	e 1 rectification "$(tid 451)" x "$(rect "$H51" "$(tid 353)" 2026-10-22)"
	ship 1 '2026-10-08 09:00:00' || return 1
	e 1 inspection "$(tid 354)" x "$(insp "$H52" spot-check 2026-10-09 "$OK" pass)"
	ship 1 '2026-10-09 19:00:00' || return 1

	e 1 inspection "$(tid 313)" x "$(insp "$H12" re-inspection 2026-10-08 "$OK" pass)"
	e 1 rectification "$(tid 412)" x "{\"status\":\"closed\",\"closed_by\":\"$(tid 313)\"}"
	ship 1 '2026-10-13 10:00:00' || return 1
	e 1 inspection "$(tid 332)" x "$(insp "$H32" completion 2026-10-14 "$OK" pass)"
	ship 1 '2026-10-14 11:00:00' || return 1
	e 1 inspection "$(tid 343)" x "$(insp "$H41" re-inspection 2026-10-15 "$OK" pass)"
	e 1 rectification "$(tid 441)" x "{\"status\":\"closed\",\"closed_by\":\"$(tid 343)\"}"
	ship 1 '2026-10-15 11:00:00' || return 1
	e 1 inspection "$(tid 361)" x "$(insp "$H61" completion 2026-10-09 "$OK" pass)"
	e 1 photo "$(tid 511)" x "{\"owner_id\":\"$H11\",\"kind\":\"after\",\"sha256\":\"$SHA_HERE\",\"size\":10}"
	e 1 photo "$(tid 561)" x "{\"owner_id\":\"$(tid 361)\",\"kind\":\"tank\",\"sha256\":\"$SHA_GONE\",\"size\":10}"
	ship 1 '2026-10-19 09:00:00' || return 1
	e 1 inspection "$(tid 344)" x "$(insp "$H42" completion 2026-10-20 "$BAD_TANK" fail '["tank_volume"]')"
	e 1 rectification "$(tid 442)" x "$(rect "$H42" "$(tid 344)" 2026-10-25)"
	ship 1 '2026-10-20 10:00:00' || return 1
	e 2 household "$H61" x '{"phone":"13800000001"}'
	ship 2 '2026-10-21 10:00:00' || return 1
	e 1 household "$H61" x '{"phone":"13800000002"}'
	ship 1 '2026-10-21 10:05:00' || return 1

	for h in "$H11" "$H21" "$H31" "$H32" "$H52"; do
		adm review "$h" --approve >/dev/null || return 1
	done
	for h in "$H12" "$H51" "$H42"; do
		adm review "$h" --issues "门牌号与户籍不符" >/dev/null || return 1
	done
	e 1 household "$H42" x '{"house_no":"12"}'
	e 1 household "$H32" x '{"house_no":"7"}'
	ship 1 '2026-10-22 10:00:00' || return 1
}

# The columns the hand-computed answers name, one village a line.
WCOLS='[.rank, .village, .target, .households, .started, .built, .inspected, .passed, .failed, .accepted, .newly_accepted, .first_inspected, .first_passed, .first_pass_rate, .open_rectifications, .rectifications_opened, .rectifications_closed, .rectifications_overdue, .teams_blocked, .missing_photos, .stale, .entered_same_week, .entered_same_week_rate, .rechecks, .mismatches, .conflicts, ([.failures[] | "\(.item)=\(.n)"] | join(" "))]'

town_checks() {
test_expect_success 'the week 2026-W41: every column of every village, and the town' '
	rep week --week 2026-W41 --json >w41.json &&
	jq -c ".villages[] | $WCOLS" w41.json >got &&
	cat >want <<-\EOF &&
	[1,"阿猛村",0,2,2,2,2,2,0,2,2,1,1,1,0,0,1,0,0,0,0,1,0.5,0,0,0,""]
	[2,"东山村",0,1,1,1,1,1,0,1,1,1,1,1,0,0,0,0,0,1,0,0,0,0,0,1,""]
	[2,"坝心村",1,2,2,1,0,0,0,1,0,0,0,null,0,0,0,0,0,0,1,0,null,0,0,0,""]
	[2,"新华村",2,2,2,2,2,0,1,1,0,0,0,null,1,1,0,0,0,0,0,0,null,2,1,0,"sealed_cover=1"]
	[2,"𠮷祥村",0,3,2,1,2,1,0,1,1,1,1,1,0,0,0,0,0,0,1,1,1,0,0,0,""]
	[6,"岩脚村",0,2,1,1,1,0,1,0,0,1,0,0,1,1,0,1,1,0,1,0,null,0,0,0,"tank_volume=1"]
	EOF
	test_cmp want got &&
	jq -c ".town | [.village, .target, .households, .started, .built, .inspected, .passed, .failed, .accepted, .newly_accepted, .first_inspected, .first_passed, .first_pass_rate, .open_rectifications, .rectifications_opened, .rectifications_closed, .rectifications_overdue, .teams_blocked, .missing_photos, .stale, .entered_same_week, .entered_same_week_rate, .rechecks, .mismatches, .conflicts, ([.failures[] | \"\(.item)=\(.n)\"] | join(\" \"))]" w41.json >got &&
	echo "[\"全镇\",3,12,10,8,8,4,2,6,4,4,3,0.75,2,2,1,1,1,1,3,2,0.5,2,1,1,\"sealed_cover=1 tank_volume=1\"]" >want &&
	test_cmp want got &&
	test "$(jq -c "[.week, .from, .to, .conflicts, .stale_days]" w41.json)" = "[\"2026-W41\",\"2026-10-05\",\"2026-10-11\",1,14]"
'

test_expect_success 'same-week entry: the late acceptances with their lag; the blocked team' '
	jq -c ".late[] | [.village, .head, .date, .entered, .lag_days, .household == \"$H61\" or .household == \"$H12\"]" w41.json >got &&
	cat >want <<-\EOF &&
	["东山村","户六一","2026-10-09","2026-10-19",10,true]
	["阿猛村","岩·依罕","2026-10-08","2026-10-13",5,true]
	EOF
	test_cmp want got &&
	test "$(jq -c "[.blocked_teams[] | [.team, .households]]" w41.json)" = "[[\"甲队\",2]]"
'

test_expect_success 'the review counts (approved, has-issues, edited) in the week, dispatch and month' '
	rc="[.village, .review_approved, .review_has_issues, .review_edited]" &&
	cat >want <<-\EOF &&
	["东山村",0,0,0]
	["坝心村",1,0,0]
	["岩脚村",0,0,1]
	["新华村",1,1,0]
	["阿猛村",1,1,0]
	["𠮷祥村",2,0,0]
	["全镇",5,2,1]
	EOF
	for r in "week --week 2026-W41" "dispatch --date 2026-10-09" "month --month 2026-10"; do
		rep $r --json >rv.json &&
		jq -c "(.villages | sort_by(.village)[] | $rc), (.town | $rc)" rv.json >got &&
		test_cmp want got || exit 1
	done &&
	test "$(adm household list --review edited --json | jq -r ".[].head")" = 户四二 &&
	rep week --week 2026-W41 >w41.txt &&
	head -n 2 w41.txt | tail -n 1 | grep -q "	conflicts	review_approved	review_has_issues	review_edited$" &&
	grep -q "^6	岩脚村	0	2	1	1	0	1	0	1	0	0	0	0	1$" w41.txt
'

test_expect_success 'the month counts same-week entry by each acceptance'"'"'s own week' '
	: "H12 accepted 10-08 (W41) arrived 10-13 (W42), H61 10-09 arrived 10-19: late" &&
	rep month --month 2026-10 --json |
		jq -c "[.villages[] | [.village, .entered_same_week_rate]], .town.entered_same_week_rate" >got &&
	cat >want <<-\EOF &&
	[["坝心村",1],["阿猛村",0.5],["𠮷祥村",1],["岩脚村",1],["新华村",null],["东山村",0]]
	0.7143
	EOF
	test_cmp want got
'

test_expect_success 'stale households follow --stale-days' '
	rep week --week 2026-W41 --json --stale-days 60 >w60.json &&
	test "$(jq -c "[.stale_days, .town.stale]" w60.json)" = "[60,2]"
'

test_expect_success 'dispatch of Friday 2026-10-09: the figures and the change since Wednesday' '
	rep dispatch --date 2026-10-09 --json >d.json &&
	test "$(jq -c "[.date, .since, .week]" d.json)" = "[\"2026-10-09\",\"2026-10-07\",\"2026-W41\"]" &&
	jq -c ".villages[] | [.rank, .village, .target, .week_accepted, .accepted, .inspected, .passed, .failed, .open_rectifications, .rectifications_overdue, .change.accepted, .change.open_rectifications, .change.rectifications_overdue, .change.households]" d.json >got &&
	cat >want <<-\EOF &&
	[1,"阿猛村",0,2,2,1,1,0,0,0,1,-1,-1,0]
	[2,"东山村",0,1,1,1,1,0,0,0,1,0,0,0]
	[2,"坝心村",1,0,1,0,0,0,0,0,0,0,0,0]
	[2,"新华村",2,0,1,2,0,1,1,0,-1,1,0,0]
	[2,"𠮷祥村",0,1,1,0,0,0,0,0,0,0,0,0]
	[6,"岩脚村",0,0,0,0,0,0,1,0,0,0,0,0]
	EOF
	test_cmp want got &&
	test "$(jq -c "[.town.accepted, .town.change.accepted, .town.week_accepted, .town.target]" d.json)" = "[6,1,4,3]"
'

test_expect_success 'Monday 2026-10-12 follows Friday; a Tuesday is refused' '
	rep dispatch --date 2026-10-12 --json >m.json &&
	test "$(jq -c "[.since, .week]" m.json)" = "[\"2026-10-09\",\"2026-W42\"]" &&
	rep dispatch --date 2026-10-07 --json >wed.json &&
	test "$(jq -r .since wed.json)" = 2026-10-05 &&
	expect_exit 2 rep dispatch --date 2026-10-13 2>err &&
	grep -q "not a dispatch day: Monday, Wednesday or Friday" err
'

test_expect_success 'the month 2026-10: plan, accepted, rate, rank, red and black lists' '
	rep month --month 2026-10 --json >mo.json &&
	jq -c ".villages[] | [.rank, .village, .plan, .accepted, .rate, .list, .reasons, .rectifications_overdue]" mo.json >got &&
	cat >want <<-\EOF &&
	[1,"坝心村",1,1,1,"red",["完成率 100.0%，不低于 90%","排名第 1，在前 3 名"],0]
	[1,"阿猛村",2,2,1,"red",["完成率 100.0%，不低于 90%","排名第 1，在前 3 名"],0]
	[3,"𠮷祥村",3,2,0.6667,null,[],0]
	[4,"岩脚村",2,1,0.5,"black",["排名第 4，在后 2 名，且有 1 项整改逾期"],1]
	[5,"新华村",2,0,0,"black",["完成率 0.0%，低于 50%","排名第 5，在后 2 名，且有 1 项整改逾期"],1]
	[6,"东山村",0,1,null,null,["本月无计划（周任务）"],0]
	EOF
	test_cmp want got &&
	test "$(jq -c "[.month, .from, .to, .town.plan, .town.accepted, .town.rate]" mo.json)" = "[\"2026-10\",\"2026-10-01\",\"2026-10-31\",10,7,0.7]" &&
	jq -c ".cadres[] | [.cadre, .households, .accepted, .accepted_in_month, .rate]" mo.json >got &&
	cat >want <<-\EOF &&
	["张伟",4,3,3,0.75]
	["𠮷祥",3,2,2,0.6667]
	EOF
	test_cmp want got
'

test_expect_success 'the rules file moves the lists; a bad one is refused' '
	cat >rules.json <<-\EOF &&
	{"red": {"min_rate": 60, "top": 3},
	 "black": {"max_rate": 10, "bottom": 1, "needs_overdue": false}}
	EOF
	rep month --month 2026-10 --config rules.json --json >mr.json &&
	test "$(jq -c "[.villages[] | [.village, .list]]" mr.json)" = "[[\"坝心村\",\"red\"],[\"阿猛村\",\"red\"],[\"𠮷祥村\",\"red\"],[\"岩脚村\",null],[\"新华村\",\"black\"],[\"东山村\",null]]" &&
	test "$(jq -c ".rules.black" mr.json)" = "{\"max_rate\":10,\"bottom\":1,\"needs_overdue\":false}" &&
	echo "{\"red\": {\"min_rat\": 60}}" >bad.json &&
	expect_exit 3 rep month --month 2026-10 --config bad.json 2>err &&
	grep -q "unknown key .min_rat." err &&
	expect_exit 4 rep month --month 2026-10 --config nonexistent.json 2>err &&
	expect_exit 2 rep month --month 2026-13 2>err
'

test_expect_success 'audit sample: reproducible, of accepted households; re-checks show' '
	adm audit sample --rate 0.25 --seed 42 --as-of 2026-10-31 --json >s1.json &&
	adm audit sample --rate 25% --seed 42 --as-of 2026-10-31 --json >s2.json &&
	test_cmp s1.json s2.json &&
	test "$(jq -c "[.population, (.households | length), .seed, .as_of]" s1.json)" = "[8,2,42,\"2026-10-31\"]" &&
	for h in $(jq -r ".households[].household" s1.json); do
		case " $H11 $H12 $H21 $H31 $H32 $H41 $H52 $H61 " in *" $h "*) ;; *) exit 1 ;; esac
	done &&
	adm audit sample --rate 1 --seed 1 --as-of 2026-10-05 --json >s3.json &&
	jq -c ".households[] | [.village, .head, .accepted_on, .rechecked]" s3.json >got &&
	cat >want <<-\EOF &&
	["坝心村","户二一","2026-10-03",null]
	["新华村","户五一","2026-09-15","fail"]
	["新华村","户五二","2026-09-14","pass"]
	EOF
	test_cmp want got &&
	expect_exit 2 adm audit sample --rate 0 2>err &&
	expect_exit 2 adm audit sample --seed 1 2>err
'
}
