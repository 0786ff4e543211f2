#!/bin/bash
# t0209-sync-office.sh - the merge seen from real laptops: two devices
# record offline (a household registered twice, one field edited on
# both, an inspection each at one stage), sync through a real central,
# the office lists and resolves the conflicts with `huce-syncd admin`
# while the central runs, and after the next sync both laptops and the
# central show the same households and the same closed conflicts.  The
# status is derived at the central: the disagreeing inspections are one
# conflict, none on status, and resolving it sets the status (issue 9).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
nover() { jq -S "map(del(.version))"; }
ITEMS_OK=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")
ITEMS_BAD=(--item tank_volume=1.2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2" &&
	start_central c "$C" &&
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 cadre add 甲 --role 验收组 && h d1 cadre add 乙 --role 验收组 &&
	h d1 household add --village 阿猛村 --group 第一组 --head 李四 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/li" &&
	h d1 sync && h d2 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
LI=$(cat "$TRASH/li")

test_expect_success 'offline work on both laptops syncs, and the central finds the conflicts' '
	h d1 household add --village 阿猛村 --group 第一组 --head 张三 \
		--approach new-build --build self --type three-grid | tail -n 1 >zs1 &&
	h d2 household add --village 阿猛村 --group 第一组 --head "张 三" \
		--approach new-build --build self --type three-grid | tail -n 1 >zs2 &&
	h d1 household set "$LI" phone=13900000001 >/dev/null &&
	h d2 household set "$LI" phone=13900000002 >/dev/null &&
	h d1 inspect "$LI" --stage completion --inspector 甲 "${ITEMS_OK[@]}" >/dev/null &&
	h d2 inspect "$LI" --stage completion --inspector 乙 "${ITEMS_BAD[@]}" >/dev/null &&
	h d1 sync >/dev/null && h d2 sync >/dev/null && h d1 sync >/dev/null &&
	adm conflicts --json >c.json &&
	test "$(jq -c "[.[] | [.kind, .field]] | sort" c.json)" = \
		"[[\"duplicate\",null],[\"field\",\"phone\"],[\"inspection\",null]]" &&
	test "$(h d1 status --json | jq .conflicts)" = 3 &&
	test "$(h d1 status --json | jq .quarantined)" = 0
'

test_expect_success 'laptops and central agree before the office decides' '
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	adm household list --json | nover >lc &&
	test_cmp l1 lc && test_cmp l2 lc &&
	test "$(jq -r ".[] | select(.id == \"$LI\") | .status" lc)" = failed
'

test_expect_success 'the office resolves every conflict while the central runs' '
	dup=$(jq -r ".[] | select(.kind == \"duplicate\") | .id" c.json) &&
	n=$(jq -r ".[] | select(.kind == \"duplicate\") | [.values[].value] | index(\"$(cat zs1)\") + 1" c.json) &&
	adm resolve "$dup" --take "$n" &&
	fld=$(jq -r ".[] | select(.field == \"phone\") | .id" c.json) &&
	adm resolve "$fld" --value 13900000009 &&
	ins=$(jq -r ".[] | select(.kind == \"inspection\") | .id" c.json) &&
	n=$(jq -r ".[] | select(.kind == \"inspection\") | [.values[].value.result] | index(\"pass\") + 1" c.json) &&
	adm resolve "$ins" --take "$n" &&
	test "$(adm conflicts --json | jq length)" = 0
'

test_expect_success 'after the next sync everyone shows the resolutions' '
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	adm household list --json | nover >lc &&
	test_cmp l1 lc && test_cmp l2 lc &&
	test "$(jq length lc)" = 2 &&
	! grep -q "$(cat zs2)" lc &&
	test "$(h d2 household show "$LI" --json | jq -r .phone)" = 13900000009 &&
	test "$(h d1 status --json | jq .conflicts)" = 0 &&
	test "$(h d2 household show "$LI" --json | jq -r .status)" = accepted &&
	test "$(h d2 conflicts --all --json | jq "map(select(.status == \"resolved\")) | length")" = 3
'

stop_central c
test_done
