#!/bin/bash
# t0214-quarantine.sh - a laptop converges after a refusal (issue 9 item
# 4).  A real central on loopback, laptops A and B, and a fresh laptop C
# that pulls everything (what a laptop with the central's state holds).
# B gives a household to a team offline while A already gave that team
# one whose first toilet is not accepted (首厕过关), registers a household
# with another closed team and inspects it: the central refuses all
# three, and in that same sync B puts every record back to the central's
# state and keeps the refused changes in its quarantine, with reasons
# that name households and teams.  After every sync with nothing
# pending, B's lists equal the central's and C's, also after `huce
# quarantine drop` and `retry`.  The same through a USB stick (export,
# admin import --ack-out, import-ack).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C="$TRASH/central.db"
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
ITEMS=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")
add_hh() { # DEV HEAD BUILD [more]: prints the new id
	dev=$1 head=$2 build=$3
	shift 3
	h "$dev" household add --village 阿猛村 --group 一组 --head "$head" \
		--approach new-build --build "$build" --type three-grid "$@" | tail -n 1
}
id_of() { h "$1" household list --json | jq -r --arg h "$2" '.[] | select(.head == $h) | .id'; }

# converged DEV: nothing pending, and DEV holds what the central holds:
# the merged household list (versions too), and the same teams, villages,
# groups, cadres and counts as laptop C, which has pulled everything.
converged() {
	h "$1" status --json >"st-$1" &&
	test "$(jq .pending "st-$1")" = 0 &&
	adm household list --json | jq -S . >hc &&
	h "$1" household list --json | jq -S . >"h-$1" &&
	test_cmp hc "h-$1" &&
	h C sync >/dev/null &&
	h C household list --json | jq -S . >h-C && test_cmp hc h-C &&
	for what in team village group cadre; do
		h C $what list --json | jq -S . >"$what-C" &&
		h "$1" $what list --json | jq -S . >"$what-$1" &&
		test_cmp "$what-C" "$what-$1" || return 1
	done &&
	h C status --json | jq "{households, inspections}" >n-C &&
	jq "{households, inspections}" "st-$1" >"n-$1" && test_cmp n-C "n-$1"
}

{
	adm town 阿猛镇 &&
	for d in A B C; do
		adm device add $d | tail -n 1 >$d.tok || exit 1
	done &&
	start_central c "$C" --rate 0 &&
	for d in A B C; do
		new_device $d && h $d enroll "$c_URL" "$(cat $d.tok)" || exit 1
	done
} >/dev/null || exit 1

test_expect_success 'setup: both laptops know the village, the teams and household 乙' '
	h A village add 阿猛村 >/dev/null && h A group add --village 阿猛村 一组 >/dev/null &&
	h A team add 一队 >/dev/null && h A team add 二队 >/dev/null &&
	h A team add 三队 >/dev/null && h A cadre add 王 --role inspector >/dev/null &&
	h A sync >/dev/null &&
	h B sync >/dev/null &&
	add_hh B 乙 contracted --team 三队 >/dev/null &&
	h B sync >/dev/null && h A sync >/dev/null &&
	converged A && converged B
'

test_expect_success 'B works offline while A gives each team its first household' '
	add_hh A 甲 contracted --team 一队 >/dev/null &&
	add_hh A 己 contracted --team 二队 >/dev/null &&
	h A sync >/dev/null &&
	yi=$(id_of B 乙) &&
	h B household set "$yi" team=一队 >/dev/null &&
	h B household set "$yi" phone=13900000001 >/dev/null &&
	wu=$(add_hh B 戊 contracted --team 二队) &&
	h B inspect "$wu" --stage completion --inspector 王 "${ITEMS[@]}" >/dev/null &&
	add_hh B 庚 self >/dev/null &&
	test "$(h B team list --json | jq -r ".[] | select(.name == \"一队\") | .households")" = 1
'

# The quarantined entries: Q0 乙's team, Q1 戊's registration, Q2 the
# inspection of 戊; REST whatever else of 戊's the inspection wrote (its
# status, while the laptop still writes one).
qsel() { jq -r "$1" q; }

test_expect_success 'the central refuses the three changes; B converges in that same sync' '
	h B sync >out &&
	h B quarantine --json >q &&
	test "$(jq length q)" -ge 3 &&
	grep -q "quarantined $(jq length q)," out &&
	converged B &&
	test "$(jq .quarantined st-B)" = "$(jq length q)" &&
	# the refused team is gone, the phone set after it in the same batch stays
	test "$(jq -r ".[] | select(.head == \"乙\") | .team" h-B)" = 三队 &&
	test "$(h B household show "$(id_of B 乙)" --json | jq -r .phone)" = 13900000001 &&
	test -z "$(id_of B 戊)" &&
	test "$(jq .inspections st-B)" = 0 &&
	test "$(h B team list --json | jq -r ".[] | select(.name == \"一队\") | .households")" = 1 &&
	test "$(h B team list --json | jq -r ".[] | select(.name == \"二队\") | .households")" = 1 &&
	h A sync >/dev/null && converged A
'

test_expect_success 'the quarantine names the records, and reasons a cadre can act on' '
	qsel "[.[] | select(.kind == \"household\" and .name == \"乙 (阿猛村 一组)\")][0].seq" >s0 &&
	qsel "[.[] | select(.kind == \"household\" and (.fields | has(\"head\")))][0].seq" >s1 &&
	qsel "[.[] | select(.kind == \"inspection\")][0].seq" >s2 &&
	qsel "[.[] | .seq | select(. != $(cat s0) and . != $(cat s1) and . != $(cat s2))] | .[]" >rest &&
	test "$(cat s0)" != null && test "$(cat s1)" != null && test "$(cat s2)" != null &&
	jq -e "all(.[]; has(\"seq\") and has(\"kind\") and has(\"record\") and has(\"name\") and has(\"fields\") and has(\"reason\") and has(\"at\"))" q >/dev/null &&
	qsel ".[] | select(.seq == $(cat s0)) | .reason" >r0 &&
	grep -q "^gate: " r0 && grep -q 首厕过关 r0 &&
	grep -q "乙 (阿猛村 一组)" r0 && grep -q "一队" r0 && grep -q "甲 (阿猛村 一组)" r0 &&
	! grep -Eq "[0-9a-f]{8}-[0-9a-f]{4}-" r0 &&
	test "$(qsel ".[] | select(.seq == $(cat s0)) | .fields.team_id")" = \
		"$(h B team list --json | jq -r ".[] | select(.name == \"一队\") | .id")" &&
	test "$(qsel ".[] | select(.seq == $(cat s1)) | .name")" = "戊 (阿猛村 一组)" &&
	qsel ".[] | select(.seq == $(cat s1)) | .reason" >r1 &&
	grep -q "^gate: " r1 && grep -q 二队 r1 && grep -q "己 (阿猛村 一组)" r1 &&
	qsel ".[] | select(.seq == $(cat s2)) | .reason" | grep -q "^reference: " &&
	qsel ".[] | select(.seq == $(cat s2)) | .name" | grep -q "^completion inspection on .* of 戊 (阿猛村 一组), not on this laptop$" &&
	h B status --json | jq -e ".quarantine | length >= 3 and (.[0] | has(\"seq\") and has(\"kind\") and has(\"record\") and has(\"reason\"))" >/dev/null &&
	h B status >st && grep -q "seq $(cat s0) household 乙 (阿猛村 一组): gate: " st &&
	h B quarantine >ql && grep -q "change:  team=一队" ql && grep -q "refused: gate" ql
'

test_expect_success 'syncing again sends nothing and stays converged' '
	h B sync >out && grep -q "pushed 0, quarantined 0" out &&
	converged B && test "$(jq .quarantined st-B)" = "$(jq length q)"
'

test_expect_success 'quarantine drop gives a change up; retry runs the local rules again' '
	expect_exit 4 h B quarantine drop 999999 2>err && grep -q "no quarantined change" err &&
	expect_exit 2 h B quarantine drop abc 2>/dev/null &&
	h B quarantine drop "$(cat s0)" >out && grep -q "乙 (阿猛村 一组)" out &&
	test "$(h B quarantine --json | jq length)" = $(($(jq length q) - 1)) &&
	converged B &&
	# the inspection needs its household back first
	expect_exit 3 h B quarantine retry "$(cat s2)" 2>err &&
	grep -q "retry seq $(cat s1) first" err &&
	# the gate still holds on the laptop: 己 is not accepted yet
	expect_exit 3 h B quarantine retry "$(cat s1)" 2>err &&
	grep -q 首厕过关 err &&
	test "$(h B quarantine --json | jq length)" = $(($(jq length q) - 1)) &&
	test "$(h B status --json | jq .pending)" = 0
'

test_expect_success 'once the first toilet is accepted, retry sends the changes and all converge' '
	h A inspect "$(id_of A 己)" --stage completion --inspector 王 "${ITEMS[@]}" >/dev/null &&
	h A sync >/dev/null && h B sync >/dev/null &&
	for s in $(cat s1) $(cat s2) $(cat rest); do
		h B quarantine retry "$s" >out && grep -q "written again as seq" out || return 1
	done &&
	test "$(h B quarantine --json | jq length)" = 0 &&
	h B quarantine | grep -q "nothing quarantined" &&
	n=$(h B status --json | jq .pending) && test "$n" -ge 2 &&
	h B sync >out && grep -q "pushed $n, quarantined 0" out &&
	converged B &&
	test "$(jq -r ".[] | select(.head == \"戊\") | .team" h-B)" = 二队 &&
	test "$(jq .inspections st-B)" = 2 &&
	h A sync >/dev/null && converged A
'

test_expect_success 'by USB stick: the acknowledgement carries the state, import-ack converges' '
	adm device add D >/dev/null &&
	new_device D &&
	h D village add 阿猛村 >/dev/null && h D group add --village 阿猛村 一组 >/dev/null &&
	h D team add 三队 >/dev/null && h D team add 一队 >/dev/null &&
	add_hh D 辛 contracted --team 一队 >/dev/null &&
	h D export d.huce >/dev/null &&
	adm import d.huce --ack-out d.ack >/dev/null &&
	jq -e ".rejected | length == 1 and .[0].error == \"gate\" and .[0].state == null" d.ack >/dev/null &&
	h D import-ack d.ack >/dev/null &&
	test -z "$(id_of D 辛)" &&
	h D status --json >st-D &&
	test "$(jq .pending st-D)" = 0 && test "$(jq .quarantined st-D)" = 1 &&
	jq -r ".quarantine[0].name" st-D | grep -q "辛 (阿猛村 一组)" &&
	h D quarantine --json | jq -r ".[0].reason" | grep -q 首厕过关 &&
	# an update refused by the office: the ack carries the household as the central has it
	h A team add 四队 >/dev/null && h A sync >/dev/null && h B sync >/dev/null &&
	geng=$(id_of B 庚) &&
	h B household set "$geng" build=contracted team=四队 >/dev/null &&
	add_hh A 壬 contracted --team 四队 >/dev/null && h A sync >/dev/null &&
	h B export b.huce >/dev/null &&
	adm import b.huce --ack-out b.ack >/dev/null &&
	jq -e ".rejected | length == 1 and .[0].state.fields.build == \"self\"" b.ack >/dev/null &&
	h B import-ack b.ack >/dev/null &&
	test "$(h B household show "$geng" --json | jq -r .build)" = self &&
	h B sync >/dev/null &&
	converged B && test "$(jq .quarantined st-B)" = 1
'

test_done
