#!/bin/bash
# t0004-inspect.sh - inspections (验收) graded against the checklists:
# result computed when --result is omitted, forced to fail by a critical
# item (and the output names it), invalid items refused with nothing
# written, rectifications opened by a failure and closed by a passing
# re-inspection, status moves, photos, and a county's own checklists
# given with --checklists DIR or $HUCE_CHECKLISTS.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
snap() { dump_db "$DB" >"$TRASH/before.dump"; }
unchanged() { dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump"; }
status_of() { h household show "$1" --json | jq -r .status; }
open_rect() { h rectify list --json | jq --arg id "$1" "[.[] | select(.household == \$id)] | length"; }
newhh() {
	last_line h household add --village 阿猛村 --group 第一组 --head "$1" \
		--approach new-build --build self --type "$2" --cadre 李四
}

# Every item of three-grid plus the common ones, all passing.
PASS_3G=(
	--item tank_volume=1.6 --item ratio_2_1_3=yes --item effective_depth=1.2
	--item inlet_pipe_diameter=110 --item transfer_pipes_ok=yes --item vent_height=600
	--item backfill_ok=yes
	--item walls_roof_door=yes --item room_area=1.5 --item room_height=2.2
	--item no_leak=yes --item sealed_cover=合格 --item no_exposed_waste=是
	--item pan_ok=y --item plaque_installed=true --item household_satisfied=1
	"${DONE_PHOTOS[@]}"
)
# Only the critical items of three-grid at completion.
CRIT_3G=(
	--item tank_volume=1.5 --item walls_roof_door=yes --item room_area=1.2
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}"
)

{
	h init --device d1 &&
	h village add 阿猛村 && h group add --village 阿猛村 第一组 &&
	h cadre add 李四 --role liaison && h cadre add 王工 --role inspector
} >/dev/null || exit 1

test_expect_success 'a passing completion inspection: pass computed, accepted, id last' '
	hh=$(newhh 张一 three-grid) &&
	h inspect "$hh" --stage completion --inspector 王工 --date 2026-11-25 "${PASS_3G[@]}" >out &&
	grep -q "^result: pass" out &&
	id=$(tail -n 1 out) && echo "$id" | grep -Eq "$UUID_RE" &&
	test "$(status_of "$hh")" = accepted &&
	h household show "$hh" --json >s.json &&
	test "$(jq -r ".inspections[0].id" s.json)" = "$id" &&
	test "$(jq -r ".inspections[0].result" s.json)" = pass &&
	test "$(jq -r ".inspections[0].week" s.json)" = 2026-W48 &&
	test "$(jq -r ".inspections[0].inspectors" s.json)" = 王工 &&
	test "$(jq -r ".inspections[0].items.tank_volume" s.json)" = 1.6 &&
	test "$(jq -r ".inspections[0].items.sealed_cover" s.json)" = true &&
	test "$(jq -r ".inspections[0].failed | length" s.json)" = 0 &&
	test "$(open_rect "$hh")" = 0
'

test_expect_success 'critical items only are enough; thresholds themselves pass' '
	hh=$(newhh 张二 three-grid) &&
	h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" >out &&
	grep -q "^result: pass" out &&
	test "$(status_of "$hh")" = accepted
'

test_expect_success 'a failing critical item forces fail over a typed pass, and names the item' '
	hh=$(newhh 张三 three-grid) && echo "$hh" >hh3 &&
	h inspect "$hh" --stage completion --inspector 王工 --result pass \
		"${PASS_3G[@]/tank_volume=1.6/tank_volume=1.2}" >out &&
	grep -q "^result: fail" out &&
	grep -q "tank_volume" out &&
	grep -q "化粪池有效容积" out &&
	id=$(tail -n 1 out) &&
	test "$(status_of "$hh")" = failed &&
	h household show "$hh" --json >s.json &&
	test "$(jq -r ".inspections[0].result" s.json)" = fail &&
	test "$(jq -c ".inspections[0].veto" s.json)" = "[\"tank_volume\"]" &&
	test "$(open_rect "$hh")" = 1 &&
	h rectify list --json >r.json &&
	test "$(jq -r --arg id "$hh" ".[] | select(.household == \$id) | .inspection" r.json)" = "$id" &&
	jq -r --arg id "$hh" ".[] | select(.household == \$id) | .category" r.json | grep -q 化粪池有效容积 &&
	test "$(jq -r --arg id "$hh" ".[] | select(.household == \$id) | .owner" r.json)" = 李四
'
HH3=$(cat "$TRASH/hh3" 2>/dev/null)

test_expect_success 'a failed bool veto item: output names it' '
	hh=$(newhh 张四 three-grid) &&
	h inspect "$hh" --stage completion --inspector 王工 \
		"${CRIT_3G[@]/no_exposed_waste=yes/no_exposed_waste=不合格}" >out &&
	grep -q "^result: fail" out &&
	grep -q "no_exposed_waste" out &&
	test "$(status_of "$hh")" = failed
'

test_expect_success 'a non-critical failure: computed fail; a typed pass is kept' '
	hh=$(newhh 张五 three-grid) &&
	h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --item effective_depth=0.8 >out &&
	grep -q "^result: fail" out &&
	test "$(open_rect "$hh")" = 1 &&
	hh2=$(newhh 张六 three-grid) &&
	h inspect "$hh2" --stage completion --inspector 王工 --result pass "${CRIT_3G[@]}" --item effective_depth=0.8 >out &&
	grep -q "^result: pass" out &&
	test "$(status_of "$hh2")" = accepted &&
	test "$(h household show "$hh2" --json | jq -c ".inspections[0].failed")" = "[\"effective_depth\"]"
'

test_expect_success 'a passing re-inspection closes the rectification; household accepted' '
	h inspect "$HH3" --stage re-inspection --inspector 王工 "${PASS_3G[@]}" >out &&
	grep -q "^result: pass" out &&
	grep -q "1 rectification closed" out &&
	insp=$(tail -n 1 out) &&
	test "$(open_rect "$HH3")" = 0 &&
	test "$(status_of "$HH3")" = accepted &&
	h rectify list --all --json >r.json &&
	test "$(jq -r --arg id "$HH3" ".[] | select(.household == \$id) | .status" r.json)" = closed &&
	test "$(sqlite3 "$DB" "SELECT closed_by FROM rectification WHERE household_id = '\''$HH3'\''")" = "$insp"
'

test_expect_success 'excavation stage: only tank_volume is required; planned becomes building' '
	hh=$(newhh 张七 three-grid) &&
	h inspect "$hh" --stage excavation --inspector 王工 --item tank_volume=2 >out &&
	grep -q "^result: pass" out &&
	test "$(status_of "$hh")" = building &&
	snap &&
	expect_exit 3 h inspect "$hh" --stage excavation --inspector 王工 2>err &&
	grep -q tank_volume err &&
	unchanged
'

test_expect_success 'other toilet types are graded by their own checklist' '
	hb=$(newhh 李一 biogas) &&
	h inspect "$hb" --stage completion --inspector 王工 --item outlet_above_inlet=no \
		--item gas_pipe_tight=yes --item walls_roof_door=yes --item room_area=2 \
		--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes \
		"${DONE_PHOTOS[@]}" >out &&
	grep -q "^result: fail" out && grep -q outlet_above_inlet out &&
	hs=$(newhh 李二 sewer) &&
	snap &&
	expect_exit 3 h inspect "$hs" --stage completion --inspector 王工 "${CRIT_3G[@]}" 2>err &&
	grep -q tank_volume err &&
	unchanged
'

test_expect_success 'invalid inspections exit 3, name the problem and write nothing' '
	hh=$(newhh 张八 three-grid) &&
	snap &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --item bogus_item=1 2>err &&
	grep -q bogus_item err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/room_area=1.2/room_area=abc}" 2>err &&
	grep -q room_area err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/room_area=1.2/room_area=1,5}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/room_area=1.2/room_area=}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/room_area=1.2/room_area=0x10}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/room_area=1.2/room_area=nan}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/tank_volume=1.5/tank_volume=80}" 2>err &&
	grep -q "tank_volume" err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]/no_leak=yes/no_leak=ok}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]:2}" 2>err &&
	grep -q "missing critical item" err && grep -q tank_volume err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --item tank_volume=2 2>err &&
	grep -q twice err &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --item novalue &&
	expect_exit 3 h inspect "$hh" --stage finished --inspector 王工 "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --date 2026-02-30 "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --date 26-11-01 "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --result maybe "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector "" "${CRIT_3G[@]}" &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 --note "$(printf "a\001b")" "${CRIT_3G[@]}" &&
	unchanged
'

test_expect_success 'inspect usage errors exit 2; unknown household 4' '
	hh=$(newhh 张九 three-grid) &&
	snap &&
	expect_exit 2 h inspect "$hh" --inspector 王工 "${CRIT_3G[@]}" &&
	expect_exit 2 h inspect "$hh" --stage completion "${CRIT_3G[@]}" &&
	expect_exit 2 h inspect --stage completion --inspector 王工 "${CRIT_3G[@]}" &&
	expect_exit 2 h inspect "$hh" "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" &&
	expect_exit 2 h inspect "$hh" --stage completion --inspector 王工 --colour red &&
	expect_exit 4 h inspect 00000000-0000-7000-8000-000000000000 --stage completion --inspector 王工 "${CRIT_3G[@]}" &&
	unchanged
'

test_expect_success 'photos: on a household, on an inspection, and with inspect --photo' '
	hh=$(newhh 陈一 three-grid) &&
	mkjpeg write p1.jpg --seed 1 --noise 20 &&
	mkjpeg write p2.jpg --seed 2 --noise 20 &&
	p=$(last_line h photo add "$hh" p1.jpg --kind before) &&
	echo "$p" | grep -Eq "$UUID_RE" &&
	h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --photo room=p2.jpg >out &&
	insp=$(tail -n 1 out) &&
	p3=$(last_line h photo add "$insp" p1.jpg --kind after) &&
	h household show "$hh" --json >s.json &&
	test "$(jq ".photos | length" s.json)" = 5 &&
	test "$(jq -r "[.photos[].kind] | sort | join(\",\")" s.json)" = after,after,before,plaque,room &&
	# the kept copy: its SHA-256 and size are what the record names
	s1=$(jq -r --arg p "$p" ".photos[] | select(.id == \$p) | .sha256" s.json) &&
	test "$(sha256sum "$DB.photos/$s1.jpg" | cut -d" " -f1)" = "$s1" &&
	test "$(jq -r --arg p "$p" ".photos[] | select(.id == \$p) | .size" s.json)" = "$(stat -c %s "$DB.photos/$s1.jpg")" &&
	test "$(jq -r --arg p "$p3" ".photos[] | select(.id == \$p) | .owner_id" s.json)" = "$insp" &&
	test "$(h status --json | jq -r .photos_not_uploaded)" -ge 2
'

test_expect_success 'photo errors: bad kind or unreadable/empty file 3, unknown owner 4, usage 2' '
	hh=$(newhh 陈二 three-grid) &&
	: >empty.jpg &&
	snap &&
	expect_exit 3 h photo add "$hh" p1.jpg --kind selfie &&
	expect_exit 3 h photo add "$hh" no-such.jpg --kind room &&
	expect_exit 3 h photo add "$hh" empty.jpg --kind room &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --photo selfie=p1.jpg &&
	expect_exit 3 h inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" --photo room=no-such.jpg &&
	expect_exit 4 h photo add 00000000-0000-7000-8000-000000000000 p1.jpg --kind room &&
	expect_exit 2 h photo add "$hh" p1.jpg &&
	expect_exit 2 h photo add "$hh" --kind room &&
	expect_exit 2 h photo remove "$hh" &&
	unchanged
'

# A county's checklists: the embedded ones with three-grid tank_volume
# raised from 1.5 to 2.0 m³.
mkdir -p "$TRASH/county" && cp "$HUCE_SRCDIR"/schema/checklists/*.json "$TRASH/county/" &&
jq "(.items[] | select(.code == \"tank_volume\") | .min) = 2.0" \
	"$HUCE_SRCDIR/schema/checklists/three-grid.json" >"$TRASH/county/three-grid.json"

test_expect_success '--checklists DIR changes the threshold' '
	a=$(newhh 周一 three-grid) && b=$(newhh 周二 three-grid) && c=$(newhh 周三 three-grid) &&
	h inspect "$a" --stage completion --inspector 王工 "${CRIT_3G[@]/tank_volume=1.5/tank_volume=1.8}" >out &&
	grep -q "^result: pass" out &&
	h --checklists "$TRASH/county" inspect "$b" --stage completion --inspector 王工 \
		"${CRIT_3G[@]/tank_volume=1.5/tank_volume=1.8}" >out &&
	grep -q "^result: fail" out && grep -q tank_volume out &&
	test "$(status_of "$b")" = failed &&
	HUCE_CHECKLISTS="$TRASH/county" h inspect "$c" --stage completion --inspector 王工 \
		"${CRIT_3G[@]/tank_volume=1.5/tank_volume=1.8}" >out &&
	grep -q "^result: fail" out
'

test_expect_success 'a broken or incomplete checklist directory is refused; nothing written' '
	hh=$(newhh 周四 three-grid) &&
	mkdir -p partial broken &&
	cp "$TRASH/county/"*.json partial/ && rm partial/sewer.json &&
	cp "$TRASH/county/"*.json broken/ &&
	printf "{\"type\": \"three-grid\", " >broken/three-grid.json &&
	snap &&
	expect_exit 4 h --checklists partial inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" 2>err &&
	grep -q sewer err &&
	expect_exit 3 h --checklists broken inspect "$hh" --stage completion --inspector 王工 "${CRIT_3G[@]}" 2>err &&
	grep -q three-grid err &&
	unchanged
'

test_done
