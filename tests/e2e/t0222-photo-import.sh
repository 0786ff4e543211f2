#!/bin/bash
# t0222-photo-import.sh - `huce photo import DIR`: a phone's DCIM folder of
# photos with EXIF GPS and times, matched to the nearest household (within
# --within metres) and to its inspection on the photo's day; --yes attaches
# the sure matches; a second import adds nothing.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
hh() {
	last_line h household add --village 曼掌村 --group 三组 --head "$1" \
		--approach new-build --build self --type three-grid --gps "$2"
}
CRIT=(--item tank_volume=1.5 --item walls_roof_door=yes --item room_area=1.2
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

{
	h init --device d1 && h village add 曼掌村 && h group add --village 曼掌村 三组 &&
	h cadre add 岩温 --role 验收组 &&
	# A and B 300 m apart; C and D 30 m apart (a photo between them is unsure)
	hh 岩罕 22.000000,100.000000 >"$TRASH/a" &&
	hh 玉香 22.002700,100.000000 >"$TRASH/b" &&
	hh 岩温 22.010000,100.010000 >"$TRASH/c" &&
	hh 玉罕 22.010270,100.010000 >"$TRASH/d" &&
	h inspect "$(cat "$TRASH/a")" --stage completion --inspector 岩温 --date 2026-11-20 \
		"${CRIT[@]}" | tail -n 1 >"$TRASH/ia"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
A=$(cat "$TRASH/a") B=$(cat "$TRASH/b") IA=$(cat "$TRASH/ia")

mkdir -p "$TRASH/phone/DCIM/100PHOTO" "$TRASH/phone/DCIM/101PHOTO"
P=$TRASH/phone/DCIM
{
	# at A, on the day of A's inspection (10 m off): A's inspection, kind after
	mkjpeg write $P/100PHOTO/IMG_0001.JPG --seed 1 --noise 20 \
		--taken 2026-11-20T10:00:00 --gps 22.000090,100.000000 &&
	# at B, a day with no inspection: B itself, kind before
	mkjpeg write $P/100PHOTO/IMG_0002.JPG --seed 2 --noise 20 \
		--taken 2026-11-18T09:00:00 --gps 22.002680,100.000010 &&
	# between C and D: unsure
	mkjpeg write $P/100PHOTO/IMG_0003.JPG --seed 3 --noise 20 \
		--taken 2026-11-20T11:00:00 --gps 22.010135,100.010000 &&
	# far from every household, and one without GPS
	mkjpeg write $P/101PHOTO/IMG_0004.JPG --seed 4 --noise 20 \
		--taken 2026-11-20T12:00:00 --gps 22.500000,100.500000 &&
	mkjpeg write $P/101PHOTO/IMG_0005.jpeg --seed 5 --noise 20 &&
	# not a JPEG, and a broken one
	printf "\000\000\000\030ftypheic" >$P/101PHOTO/IMG_0006.HEIC &&
	echo "broken" >$P/101PHOTO/IMG_0007.JPG
} || exit 1

test_expect_success 'without --yes: proposals only, nothing written' '
	dump_db "$DB" >before.dump && ls "$DB.photos" >before.ls &&
	h photo import phone --json >p.json && cat p.json &&
	dump_db "$DB" >after.dump && test_cmp before.dump after.dump &&
	ls "$DB.photos" >after.ls && test_cmp before.ls after.ls &&
	jq -e --arg a "$A" --arg ia "$IA" "
		.[] | select(.file | endswith(\"IMG_0001.JPG\")) |
		.state == \"sure\" and .household == \$a and .inspection == \$ia and
		.kind == \"after\" and .metres == 10 and .taken_at == \"2026-11-20T10:00:00\"" p.json &&
	jq -e --arg b "$B" "
		.[] | select(.file | endswith(\"IMG_0002.JPG\")) |
		.state == \"sure\" and .household == \$b and (has(\"inspection\") | not) and
		.kind == \"before\"" p.json &&
	jq -e ".[] | select(.file | endswith(\"IMG_0003.JPG\")) | .state == \"unsure\"" p.json &&
	jq -e ".[] | select(.file | endswith(\"IMG_0004.JPG\")) | .state == \"no-match\"" p.json &&
	jq -e ".[] | select(.file | endswith(\"IMG_0005.jpeg\")) | .state == \"no-match\" and (has(\"gps\") | not)" p.json &&
	jq -e ".[] | select(.file | endswith(\"IMG_0007.JPG\")) | .state == \"refused\"" p.json &&
	jq -e "length == 6" p.json &&
	h photo import phone >out && cat out &&
	grep -q "6 photos: 0 already known, 0 attached, 2 sure, 1 unsure, 2 without a household, 1 refused; 1 other file" out &&
	grep -q "run again with --yes" out
'

test_expect_success '--yes attaches the sure matches to the right household and inspection' '
	h photo import phone --yes >out && cat out &&
	grep -q "2 attached" out &&
	h photo list "$IA" --json >ia.json &&
	# beside the after and plaque photos it was recorded with (DONE_PHOTOS)
	jq -e "length == 3 and ([.[] | select(.taken_at == \"2026-11-20T10:00:00\")] | length == 1 and .[0].kind == \"after\" and .[0].date_flag == null)" ia.json &&
	h photo list "$B" --json >b.json &&
	jq -e --arg b "$B" "length == 1 and .[0].kind == \"before\" and .[0].owner == \$b" b.json &&
	test "$(h status --json | jq .photos_not_uploaded)" = 3
'

test_expect_success 'the same folder again adds nothing' '
	dump_db "$DB" >before.dump &&
	h photo import phone --yes >out && cat out &&
	grep -q "6 photos: 2 already known, 0 attached" out &&
	dump_db "$DB" >after.dump && test_cmp before.dump after.dump &&
	# a photo attached by hand is known too
	h photo add "$A" $P/101PHOTO/IMG_0005.jpeg --kind room >/dev/null &&
	h photo import phone >out && grep -q "3 already known" out
'

test_expect_success 'a wider reach matches the far photo; usage and errors' '
	h photo import phone --within 100000 --json >w.json &&
	jq -e ".[] | select(.file | endswith(\"IMG_0004.JPG\")) | .state != \"no-match\"" w.json &&
	expect_exit 4 h photo import no-such-dir 2>/dev/null &&
	expect_exit 3 h photo import phone --within -5 2>/dev/null &&
	expect_exit 3 h photo import phone --kind selfie 2>/dev/null &&
	expect_exit 2 h photo import 2>/dev/null
'

test_done
