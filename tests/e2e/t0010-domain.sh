#!/bin/bash
# t0010-domain.sh - the records the office acts on are true on the laptop
# (issue 9; docs/DOMAIN.md): status is derived from 开工/完工 and the
# inspections and never typed nor sent; an inspection is evidence (dated
# no later than tomorrow, every required item of its stage, a known
# inspector) and a wrong one is voided, not edited; input a cadre cannot
# get wrong silently (team and build mode, phone, GPS); one ID number is
# one household; the gate holds when work starts; a laptop derives the
# status of what it pulls.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
snap() { dump_db "$DB" >"$TRASH/before.dump"; }
unchanged() { dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump"; }
status_of() { h household show "$1" --json | jq -r .status; }
field() { h household show "$1" --json | jq -r ".$2"; }
newhh() {	# newhh HEAD TYPE [more]: a self-built household, its id
	local head=$1 type=$2
	shift 2
	last_line h household add --village 阿猛村 --group 第一组 --head "$head" \
		--approach new-build --build self --type "$type" --cadre 李四 "$@"
}
TODAY=$(date +%F)
TOMORROW=$(date -d tomorrow +%F)
IN2DAYS=$(date -d '2 days' +%F)
# GB 11643: 17 digits plus the check character.
idnum() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) sum=0 i map=10X98765432
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${map:sum%11:1}"
}
ID1=$(idnum 53262519800101123)
ID2=$(idnum 53262519900202456)
ID3=$(idnum 53262519700303789)
CRIT_3G=(
	--item tank_volume=1.6 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}"
)
FAIL_3G=("${CRIT_3G[@]/tank_volume=1.6/tank_volume=1.0}")

{
	h init --device d1 --town 阿猛镇 &&
	h village add 阿猛村 && h group add --village 阿猛村 第一组 &&
	h group add --village 阿猛村 第二组 &&
	h cadre add 李四 --role liaison && h cadre add 王工 --role inspector &&
	h team add 甲队
} >/dev/null || exit 1

# --- 1. status is derived, never typed ---------------------------------

test_expect_success 'household set status= is refused (2), naming the commands that change it' '
	hh=$(newhh 张一 three-grid) &&
	snap &&
	expect_exit 2 h household set "$hh" status=accepted 2>err &&
	grep -q "derived" err &&
	grep -q "huce household progress" err && grep -q "huce inspect" err &&
	grep -q "huce inspect void" err &&
	expect_exit 2 h household set "$hh" status=built head=张一一 &&
	unchanged &&
	test "$(status_of "$hh")" = planned
'

test_expect_success 'progress (开工/完工) moves the status; list and show carry the dates' '
	hh=$(newhh 张二 three-grid) && echo "$hh" >hh2 &&
	h household progress "$hh" --started 2026-11-02 >/dev/null &&
	test "$(status_of "$hh")" = building &&
	h household progress "$hh" --完工 2026-11-20 >/dev/null &&
	test "$(status_of "$hh")" = built &&
	h household list --json | jq -e --arg id "$hh" \
		".[] | select(.id == \$id) | .started == \"2026-11-02\" and .finished == \"2026-11-20\"" &&
	test "$(field "$hh" started)" = 2026-11-02 &&
	h household show "$hh" | grep -q "^finished *2026-11-20" &&
	h household list --status built --json | jq -e --arg id "$hh" "map(.id) | index(\$id) != null" &&
	h2=$(newhh 张二二 three-grid) &&
	h household progress "$h2" --开工 "$TOMORROW" >/dev/null &&
	test "$(status_of "$h2")" = building
'
HH2=$(cat "$TRASH/hh2" 2>/dev/null)

test_expect_success 'progress dates: future, finish before start, not a date: 3, nothing written' '
	hh=$(newhh 张三 three-grid) &&
	h household progress "$hh" --started 2026-11-10 >/dev/null &&
	snap &&
	expect_exit 3 h household progress "$hh" --finished "$IN2DAYS" 2>err && grep -q finished err &&
	grep -q future err &&
	expect_exit 3 h household progress "$hh" --finished 2026-11-09 2>err &&
	grep -q "before started" err &&
	expect_exit 3 h household progress "$hh" --started 2026-13-01 &&
	expect_exit 3 h household set "$hh" started="$IN2DAYS" 2>err && grep -q started err &&
	expect_exit 3 h household set "$hh" 完工=2026-11-01 &&
	expect_exit 2 h household progress "$hh" &&
	expect_exit 4 h household progress 00000000-0000-7000-8000-000000000000 --started 2026-11-10 &&
	unchanged
'

test_expect_success 'the status is never sent: no outbox entry carries it' '
	test "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE fields LIKE '\''%\"status\":\"%'\'' AND kind = '\''household'\''")" = 0 &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM household WHERE status <> '\''planned'\''")" -gt 0
'

# --- 5. inspections are evidence -----------------------------------------

test_expect_success 'an inspection dated after tomorrow is refused (3); tomorrow is taken' '
	hh=$(newhh 赵一 three-grid) &&
	snap &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --date "$IN2DAYS" "${CRIT_3G[@]}" 2>err &&
	grep -q future err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --date 2099-06-01 "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --date 1999-06-01 "${CRIT_3G[@]}" &&
	unchanged &&
	h inspect "$hh" --stage completion --inspector 王工 --date "$TOMORROW" "${CRIT_3G[@]}" >out &&
	grep -q "^status: accepted" out
'

test_expect_success 'every stage of every type asks for its items: an empty excavation is refused (3)' '
	hh=$(newhh 赵二 double-urn) &&
	snap &&
	expect_exit 3 h inspect "$hh" --stage excavation --inspector 王工 2>err &&
	grep -q total_volume err && grep -q "double-urn" err &&
	for t in three-grid biogas urine-diversion double-pit sewer; do
		x=$(newhh "赵$t" $t) &&
		snap &&
		expect_exit 3 h inspect "$x" --stage excavation --inspector 王工 2>err &&
		grep -q "missing" err && unchanged || { echo "type $t"; cat err; return 1; }
	done &&
	h inspect "$hh" --stage excavation --inspector 王工 --item total_volume=1.3 >out &&
	grep -q "^result: pass" out &&
	test "$(status_of "$hh")" = building
'

test_expect_success 'the inspector is a known cadre: an unknown name is refused (3)' '
	hh=$(newhh 赵三 three-grid) &&
	snap &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王师傅 "${CRIT_3G[@]}" 2>err &&
	grep -q "王师傅" err && grep -q "huce cadre add" err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --inspector 无名 "${CRIT_3G[@]}" 2>err &&
	grep -q "无名" err &&
	unchanged &&
	h inspect "$hh" --stage completion --inspector 王工 --inspector 李四 "${CRIT_3G[@]}" >/dev/null &&
	test "$(h household show "$hh" --json | jq -r ".inspections[0].inspectors")" = "王工、李四"
'

test_expect_success 'a wrong inspection is voided: status derived again, kept in history' '
	insp=$(last_line h inspect "$HH2" --stage completion --inspector 王工 --date 2026-11-22 "${CRIT_3G[@]}") &&
	test "$(status_of "$HH2")" = accepted &&
	h inspect void "$insp" --reason "日期记错，实为邻户" >out &&
	grep -q "^status: built" out &&
	test "$(status_of "$HH2")" = built &&
	h household show "$HH2" --json >s.json &&
	test "$(jq ".inspections | length" s.json)" = 1 &&
	test "$(jq -r ".inspections[0].voided" s.json)" = "日期记错，实为邻户" &&
	h household show "$HH2" | grep "^inspection" | grep -q "VOIDED" &&
	snap &&
	expect_exit 3 h inspect void "$insp" --reason again 2>err &&
	grep -q "already voided" err &&
	expect_exit 2 h inspect void "$insp" &&
	expect_exit 3 h inspect void "$insp" --reason "" &&
	expect_exit 4 h inspect void 00000000-0000-7000-8000-000000000000 --reason x &&
	unchanged &&
	test "$(sqlite3 "$DB" "SELECT fields FROM outbox WHERE record_id = '\''$insp'\'' ORDER BY seq DESC LIMIT 1")" = \
		"{\"voided\":\"日期记错，实为邻户\"}"
'

test_expect_success 'voiding a failure closes its rectification; voiding the pass that closed one reopens it' '
	hh=$(newhh 赵四 three-grid) &&
	h household progress "$hh" --started 2026-11-01 --finished 2026-11-10 >/dev/null &&
	bad=$(last_line h inspect "$hh" --stage completion --inspector 王工 --date 2026-11-12 "${FAIL_3G[@]}") &&
	test "$(status_of "$hh")" = failed &&
	test "$(h rectify list --json | jq --arg id "$hh" "[.[] | select(.household == \$id)] | length")" = 1 &&
	h inspect void "$bad" --reason "量错了" >out &&
	grep -q "1 rectification it opened closed" out &&
	test "$(status_of "$hh")" = built &&
	test "$(h rectify list --json | jq --arg id "$hh" "[.[] | select(.household == \$id)] | length")" = 0 &&
	test "$(sqlite3 "$DB" "SELECT closed_by FROM rectification WHERE inspection_id = '\''$bad'\''")" = "$bad" &&
	bad2=$(last_line h inspect "$hh" --stage completion --inspector 王工 --date 2026-11-13 "${FAIL_3G[@]}") &&
	good=$(last_line h inspect "$hh" --stage re-inspection --inspector 王工 --date 2026-11-20 "${CRIT_3G[@]}") &&
	test "$(status_of "$hh")" = accepted &&
	h inspect void "$good" --reason "复验未到场" >out &&
	grep -q "1 rectification it closed open again" out &&
	test "$(status_of "$hh")" = failed &&
	test "$(h rectify list --json | jq -r --arg id "$hh" ".[] | select(.household == \$id) | .inspection")" = "$bad2"
'

# --- 6. input a cadre cannot get wrong silently ---------------------------

test_expect_success 'a contracted toilet names its team; a self-built one has none (3)' '
	snap &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱一 \
		--approach new-build --build contracted --type three-grid 2>err &&
	grep -q "team" err && grep -q "统建" err &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱一 \
		--approach new-build --build 统建 --type three-grid &&
	hh=$(newhh 钱二 three-grid) && snap &&
	expect_exit 3 h household set "$hh" build=contracted 2>err && grep -q team err &&
	unchanged
'

test_expect_success 'phones: a 10-digit number is refused (3); mobiles and landlines are kept canonical' '
	snap &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱三 \
		--approach new-build --build self --type sewer --phone 1391234567 2>err &&
	grep -q phone err && grep -q "11-digit" err &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱三 \
		--approach new-build --build self --type sewer --phone 23912345678 &&
	expect_exit 3 h cadre add 钱干部 --role liaison --phone 12345 2>err && grep -q phone err &&
	unchanged &&
	hh=$(newhh 钱四 sewer --phone "139 1234 5678") &&
	test "$(field "$hh" phone)" = 13912345678 &&
	h household set "$hh" phone=08711234567 >/dev/null &&
	test "$(field "$hh" phone)" = 0871-1234567 &&
	snap && expect_exit 3 h household set "$hh" phone=0871-12 && unchanged
'

test_expect_success 'GPS is LAT,LON in decimal degrees: 北纬25度 is refused (3) everywhere' '
	hh=$(newhh 钱五 sewer) &&
	snap &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱六 \
		--approach new-build --build self --type sewer --gps 北纬25度 2>err &&
	grep -q gps err && grep -q "decimal degrees" err &&
	expect_exit 3 h household set "$hh" gps=北纬25度 &&
	expect_exit 3 h household set "$hh" gps=95.1,99.2 2>err && grep -q latitude err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --gps "25 N, 99 E" \
		--item sewer_connected=yes --item water_supply=yes --item walls_roof_door=yes \
		--item room_area=1.5 --item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes &&
	unchanged &&
	h household set "$hh" gps="22.5，100.25" >/dev/null &&
	test "$(field "$hh" gps)" = "22.500000,100.250000"
'

# --- 5 (issue). one ID number, one household ------------------------------

test_expect_success 'one ID number, one household: before enrolment, same masked number and head (3)' '
	a=$(newhh "阿依·古丽" three-grid --id-number "$ID1") &&
	snap &&
	expect_exit 3 h household add --village 阿猛村 --group 第二组 --head "阿依•古丽" \
		--approach new-build --build self --type sewer --id-number "$ID1" 2>err &&
	grep -q "already registered" err &&
	grep -q "阿依·古丽" err && grep -q 阿猛村 err && grep -q 第一组 err && grep -q "code ${a: -6}" err &&
	! grep -q "$ID1" err &&
	unchanged &&
	b=$(newhh 另一人 three-grid --id-number "$ID1") &&
	test -n "$b"
'

test_expect_success 'after enrolment (the town key): the same number is refused whatever the name (3)' '
	sqlite3 "$DB" "INSERT OR REPLACE INTO meta(key, value) VALUES('\''town_key'\'', '\''00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'\'')" &&
	a=$(newhh 孙一 three-grid --id-number "$ID2") &&
	test "$(sqlite3 "$DB" "SELECT length(id_hash) FROM household WHERE id = '\''$a'\''")" = 64 &&
	c=$(newhh 孙三 three-grid) &&
	snap &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 孙二 \
		--approach new-build --build self --type sewer --id-number "$ID2" 2>err &&
	grep -q "孙一" err &&
	expect_exit 3 h household set "$c" id_number="$ID2" 2>err && grep -q "孙一" err &&
	unchanged &&
	h household set "$c" id_number="$ID3" >/dev/null &&
	h household set "$a" head=孙一一 >/dev/null
'

# --- the gate when work starts --------------------------------------------

test_expect_success 'the gate: a team whose first toilet is not accepted cannot start a second' '
	f=$(last_line h household add --village 阿猛村 --group 第一组 --head 周一 \
		--approach new-build --build contracted --team 甲队 --type three-grid) &&
	s=$(newhh 周二 three-grid) &&
	# a state pulled from elsewhere: the team holds two households
	sqlite3 "$DB" "UPDATE household SET build = '\''contracted'\'', team_id = (SELECT id FROM team WHERE name = '\''甲队'\'') WHERE id = '\''$s'\''" &&
	snap &&
	expect_exit 3 h household progress "$s" --started 2026-11-03 2>err &&
	grep -q "首厕过关" err && grep -q 周一 err &&
	unchanged &&
	h inspect "$f" --stage first-toilet --inspector 王工 "${CRIT_3G[@]}" >/dev/null &&
	h household progress "$s" --started 2026-11-03 >/dev/null &&
	test "$(status_of "$s")" = building
'

test_expect_success 'Chinese names round-trip through add, list and show' '
	for n in "𠀀阿依·古丽" "欧阳 娜娜" "Zoë Ngô"; do
		id=$(newhh "$n" sewer) &&
		test "$(h household list --json | jq -r --arg id "$id" ".[] | select(.id == \$id) | .head")" = "$n" &&
		h household show "$id" | grep -qF "$n" || { echo "name $n"; return 1; }
	done
'

# --- a pulled page: the status is derived on the laptop --------------------

test_expect_success 'a laptop derives the status of what it pulls, and of a voiding' '
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" town 阿猛镇 >/dev/null &&
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" device add p1 | tail -n 1 >tok1 &&
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" device add p2 | tail -n 1 >tok2 &&
	start_central c "$TRASH/c.db" --rate 0 &&
	new_device p1 && new_device p2 &&
	p() { d=$1; shift; "$HUCE" --db "$TRASH/$d.db" "$@"; } &&
	p p1 enroll "$c_URL" "$(cat tok1)" >/dev/null && p p2 enroll "$c_URL" "$(cat tok2)" >/dev/null &&
	p p1 village add 阿猛村 >/dev/null && p p1 group add --village 阿猛村 一组 >/dev/null &&
	p p1 cadre add 王工 --role inspector >/dev/null &&
	x=$(p p1 household add --village 阿猛村 --group 一组 --head 刀建华 --approach new-build \
		--build self --type three-grid | tail -n 1) &&
	p p1 household progress "$x" --started 2026-11-01 --finished 2026-11-15 >/dev/null &&
	i=$(p p1 inspect "$x" --stage completion --inspector 王工 --date 2026-11-16 "${CRIT_3G[@]}" | tail -n 1) &&
	p p1 sync >/dev/null && p p2 sync >/dev/null &&
	test "$(p p2 status --json | jq .pending)" = 0 &&
	test "$(p p2 household show "$x" --json | jq -r .status)" = accepted &&
	p p1 inspect void "$i" --reason 误录 >/dev/null &&
	p p1 sync >/dev/null && p p2 sync >/dev/null &&
	test "$(p p2 household show "$x" --json | jq -r .status)" = built &&
	test "$(p p2 household show "$x" --json | jq -r ".inspections[0].voided")" = 误录 &&
	test "$(p p1 status --json | jq .quarantined)" = 0
'

test_done
