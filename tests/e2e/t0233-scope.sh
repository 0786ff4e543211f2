#!/bin/bash
# t0233-scope.sh - a laptop scoped to its villages (`huce-syncd admin
# device add NAME --villages V,...`, issue 15): its pulls and its stick
# replies hold the records of those villages only (the villages, their
# groups and targets, their households and those households'
# inspections and photos) and the town-wide cadres and teams, so a
# stolen laptop gives away one village, not the town.  A scoped laptop
# equals the central's view of its villages; a page that leaves records
# out still says there is more; the central's rules still hold across
# villages.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
norm() {
	jq -S 'map({id, village, group, head, approach, build, type, team, cadre,
		status, version}) | sort_by(.id)'
}
PASS_3G=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

{
	adm town 阿猛镇 &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,一组,岩温,李干部,整厕新建,自建,三格化粪池式" \
		"芒东村,三组,玉香,王干部,整厕新建,自建,三格化粪池式" >list.csv &&
	adm import list.csv --create &&
	adm device add town | tail -n 1 >tok.town &&
	start_central c "$C" --rate 0 &&
	new_device town && h town enroll "$c_URL" "$(cat tok.town)"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'device add --villages takes names and refuses an unknown one' '
	expect_exit 4 adm device add nowhere --villages 阿猛村,无此村 2>err &&
	grep -q "village .无此村. not found" err &&
	adm device list --json | jq -e "map(.name) | index(\"nowhere\") == null" >/dev/null &&
	adm device add ameng --villages 阿猛村 | tail -n 1 >tok.ameng &&
	test "$(sqlite3 "$C" "SELECT json_array_length(villages) FROM device WHERE name = '\''ameng'\''")" = 1
'

test_expect_success 'work in both villages reaches the central' '
	h town sync >/dev/null &&
	h town household list --json >all.json &&
	hA=$(jq -r ".[] | select(.village == \"阿猛村\") | .id" all.json) &&
	hM=$(jq -r ".[] | select(.village == \"芒东村\") | .id" all.json) &&
	h town cadre add 王工 --role 验收组 >/dev/null &&
	h town inspect "$hA" --stage completion --inspector 王工 "${PASS_3G[@]}" >/dev/null &&
	h town inspect "$hM" --stage completion --inspector 王工 "${PASS_3G[@]}" >/dev/null &&
	mkjpeg write m.jpg --seed 1 --noise 20 && h town photo add "$hM" m.jpg --kind before >/dev/null &&
	mkjpeg write a.jpg --seed 2 --noise 20 && h town photo add "$hA" a.jpg --kind before >/dev/null &&
	h town target set --village 阿猛村 --week 2026-W10 5 >/dev/null &&
	h town target set --village 芒东村 --week 2026-W10 7 >/dev/null &&
	h town team add 甲队 >/dev/null &&
	h town sync >/dev/null &&
	adm review "$hA" --issues 缺照片 >/dev/null && adm review "$hM" --approve >/dev/null &&
	test "$(h town status --json | jq .quarantined)" = 0 &&
	test "$(adm household list --json | jq length)" = 2
'

test_expect_success 'a scoped laptop equals the central view of its villages' '
	new_device ameng && h ameng enroll "$c_URL" "$(cat tok.ameng)" >/dev/null &&
	h ameng sync >/dev/null &&
	h ameng household list --json | norm >lap &&
	adm household list --json | jq "map(select(.village == \"阿猛村\"))" | norm >cen &&
	test_cmp cen lap && test "$(jq length lap)" = 1 &&
	h ameng village list --json | jq -r ".[].name" >v && echo 阿猛村 | test_cmp - v &&
	test "$(sqlite3 ameng.db "SELECT count(*) FROM inspection")" = 1 &&
	# its before photo and the after and plaque photos of its inspection
	test "$(sqlite3 ameng.db "SELECT count(*) FROM photo")" = 3 &&
	test "$(sqlite3 ameng.db "SELECT n FROM target")" = 5 &&
	test "$(sqlite3 ameng.db "SELECT count(*) FROM village_group")" = 1 &&
	test "$(sqlite3 ameng.db "SELECT state FROM review")" = has-issues &&
	h ameng cadre list --json | jq -e "length == 3" >/dev/null &&
	h ameng team list --json | jq -e "length == 1" >/dev/null &&
	! sqlite3 ameng.db .dump | grep -q 玉香
'

test_expect_success 'a scoped page that leaves records out still says there is more' '
	after=0 && : >ids &&
	for i in $(seq 1 40); do
		curl -s -H "Authorization: Bearer $(cat tok.ameng)" \
			"$c_URL/v1/changes?after=$after&limit=2" >pg &&
		jq -r ".changes[].id" pg >>ids &&
		after=$(jq .next pg) &&
		test "$(jq .more pg)" = true || break
	done &&
	test "$(jq .more pg)" = false &&
	curl -s -H "Authorization: Bearer $(cat tok.ameng)" "$c_URL/v1/changes?after=0" |
		jq -r ".changes[].id" | sort >want &&
	sort ids | test_cmp want - &&
	test "$(wc -l <want)" -ge 8
'

test_expect_success 'the scope holds on the stick too, and the rules still cross villages' '
	mkdir stick && h ameng household add --village 阿猛村 --group 一组 --head 岩温二 \
		--approach new-build --build self --type sewer >/dev/null &&
	h ameng export stick >/dev/null && adm import stick >/dev/null &&
	h ameng import stick >/dev/null &&
	h ameng household list --json | norm >lap &&
	adm household list --json | jq "map(select(.village == \"阿猛村\"))" | norm >cen &&
	test_cmp cen lap &&
	! sqlite3 ameng.db .dump | grep -q 玉香
'

test_done
