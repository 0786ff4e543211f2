#!/bin/bash
# t0218-office-review.sh - the office's review (信息审核) and one
# household for the office (issue 11, DESIGN.md section 6.1), through a
# real central on loopback and a real laptop with `huce sync`: the office
# notes issues, the cadre sees them in `household show` and with
# `household list --review has-issues`, the cadre's change makes the
# review "edited" at the central and on the laptop, the office approves;
# `admin household show` has the inspections, the photos (and whether
# their bytes arrived), the review and the history of every change
# (which laptop, when).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
review() { h d1 household show "$1" --json | jq -r .review.state; }
ITEMS=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	start_central c "$C" &&
	new_device d1 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 cadre add 王验收 --role inspector &&
	h d1 household add --village 阿猛村 --group 第一组 --head 岩·依罕 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/hh" &&
	h d1 household add --village 阿猛村 --group 第一组 --head 𠮷田 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/hh2" &&
	mkjpeg write "$TRASH/before.jpg" --seed 1 --noise 20 &&
	h d1 photo add "$(cat "$TRASH/hh")" "$TRASH/before.jpg" --kind before &&
	h d1 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
HH=$(cat "$TRASH/hh")
HH2=$(cat "$TRASH/hh2")

test_expect_success 'a household nobody reviewed is received, everywhere' '
	test "$(review "$HH")" = received &&
	adm household show "$HH" --json | jq -e ".review == {state: \"received\", note: null, by: null, at: null}" &&
	h d1 household list --json | jq -e "all(.[]; .review.state == \"received\")" &&
	adm household list --json | jq -e "all(.[]; .review.state == \"received\")"
'

test_expect_success 'the office notes issues; the review is a change like any other' '
	v=$(sqlite3 "$C" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	adm review "$HH" --issues "缺少改厕前照片的GPS" >out &&
	grep -q "has-issues" out &&
	adm household show "$HH" --json >s.json &&
	jq -e ".review.state == \"has-issues\" and .review.note == \"缺少改厕前照片的GPS\"" s.json &&
	jq -e ".review.by | startswith(\"admin:\")" s.json &&
	jq -e ".review.at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\")" s.json &&
	test "$(sqlite3 "$C" "SELECT value FROM meta WHERE key = '\''version'\''")" -gt "$v" &&
	sqlite3 "$C" "SELECT detail FROM audit WHERE action = '\''review'\''" | grep -q "$HH: has-issues"
'

test_expect_success 'the review reaches the laptop with huce sync' '
	h d1 sync >/dev/null &&
	h d1 household show "$HH" --json >l.json &&
	jq -e ".review.state == \"has-issues\" and .review.note == \"缺少改厕前照片的GPS\"" l.json &&
	h d1 household show "$HH" | grep -q "^review *has-issues: 缺少改厕前照片的GPS" &&
	h d1 household list --review has-issues --json | jq -e "length == 1 and .[0].id == \"$HH\"" &&
	h d1 household list --review received --json | jq -e "length == 1 and .[0].id == \"$HH2\"" &&
	h d1 household list --review 有问题 --json | jq -e "length == 1 and .[0].id == \"$HH\"" &&
	h d1 household list --review 已接收 | grep -q "$HH2" &&
	expect_exit 3 h d1 household list --review bad
'

test_expect_success 'laptop and central show the same list, review included' '
	h d1 household list --json | jq -S "map(del(.version))" >l1 &&
	adm household list --json | jq -S "map(del(.version))" >lc &&
	test_cmp lc l1
'

test_expect_success 'a laptop cannot write a review' '
	test "$(sqlite3 "$TRASH/d1.db" "SELECT count(*) FROM outbox WHERE kind = '\''review'\''")" = 0
'

test_expect_success 'the cadre edits: the review comes back edited, at the central and on the laptop' '
	h d1 household set "$HH" phone=13900000003 >/dev/null &&
	h d1 sync >/dev/null &&
	adm household show "$HH" --json >s.json &&
	jq -e ".review.state == \"edited\" and .review.by == \"d1\" and .review.note == \"缺少改厕前照片的GPS\"" s.json &&
	h d1 sync >/dev/null &&
	test "$(review "$HH")" = edited &&
	adm household list --review edited --json | jq -e "length == 1 and .[0].id == \"$HH\"" &&
	test "$(review "$HH2")" = received
'

test_expect_success 'the office approves; a later change leaves it approved' '
	adm review "${HH: -8}" --approve >/dev/null &&
	h d1 sync >/dev/null &&
	test "$(review "$HH")" = approved &&
	h d1 household show "$HH" --json | jq -e ".review.note == null" &&
	h d1 household set "$HH" phone=13900000004 >/dev/null &&
	h d1 sync >/dev/null && h d1 sync >/dev/null &&
	test "$(review "$HH")" = approved &&
	adm household list --review approved --json | jq -e "length == 1"
'

test_expect_success 'issues answered by a new inspection with its photo make it edited too' '
	adm review "$HH2" --issues "照片不清楚" >/dev/null &&
	h d1 sync >/dev/null && test "$(review "$HH2")" = has-issues &&
	mkjpeg write tank.jpg --seed 2 --noise 20 &&
	h d1 inspect "$HH2" --stage completion --inspector 王验收 "${ITEMS[@]}" --photo tank=tank.jpg >/dev/null &&
	h d1 sync >/dev/null && h d1 sync >/dev/null &&
	test "$(review "$HH2")" = edited
'

test_expect_success 'admin household show: inspections, photos with their bytes, history' '
	adm household show "$HH2" --json >s2.json &&
	jq -e ".head == \"𠮷田\" and .village == \"阿猛村\" and .group == \"第一组\"" s2.json &&
	jq -e "(.inspections | length) == 1 and .inspections[0].stage == \"completion\"" s2.json &&
	# the tank photo and the after and plaque photos of the acceptance (one picture)
	jq -e "(.photos | length) == 3 and ([.photos[].kind] | sort) == [\"after\", \"plaque\", \"tank\"] and all(.photos[]; .arrived == true)" s2.json &&
	# the laptop sent its kept copy (DB.photos/<sha>.jpg), not the camera file
	sha=$(jq -r ".photos[] | select(.kind == \"tank\") | .sha256" s2.json) &&
	test "$(sha256sum d1.db.photos/$sha.jpg | cut -c1-64)" = "$sha" &&
	jq -e "[.history[].version] == ([.history[].version] | sort)" s2.json &&
	jq -e ".history[0] | .kind == \"household\" and .device == \"d1\" and .seq > 0 and (.fields.head.after == \"𠮷田\") and (.fields.head.before == null)" s2.json &&
	jq -e "[.history[] | select(.kind == \"review\") | .device] | index(\"office\") != null" s2.json &&
	jq -e "[.history[] | select(.kind == \"inspection\")] | length == 1" s2.json &&
	jq -e "[.history[] | select(.kind == \"photo\" and .device == \"d1\")] | length == 3" s2.json &&
	jq -e "all(.history[]; .at | test(\"Z$\"))" s2.json &&
	! grep -q id_hash s2.json
'

test_expect_success 'the history tells who changed what, in text too' '
	adm household show "$HH" >s.txt &&
	grep -q "^review *approved" s.txt &&
	grep -q "^photo *before .* arrived" s.txt &&
	grep -q "^change *v[0-9]* .* d1 household: .*phone" s.txt &&
	grep -q "^change *v[0-9]* .* office review: " s.txt &&
	adm household show "$HH" --json | jq -e "[.history[] | select(.kind == \"household\" and .fields.phone != null)] | length == 2"
'

test_expect_success 'admin household show: unknown ids and bad arguments' '
	expect_exit 4 adm household show 00000000-0000-7000-8000-000000000000 &&
	expect_exit 4 adm household show zzzz &&
	expect_exit 4 adm review 00000000-0000-7000-8000-000000000000 --approve &&
	expect_exit 2 adm review "$HH" &&
	expect_exit 2 adm review "$HH" --approve --issues x &&
	expect_exit 3 adm review "$HH" --issues ""
'

test_expect_success 'a photo whose bytes are not at the central says so' '
	adm --blobs "$TRASH/empty-blobs" household show "$HH" --json | jq -e ".photos[0].arrived == false"
'

test_done
