#!/bin/bash
# t0221-photo-keep.sh - the laptop keeps its own copy of a photo (issue 13):
# re-encoded (long edge <= 1600, turned upright by the EXIF orientation,
# only time and GPS kept), content-addressed beside the database; the same
# picture twice is one photo; non-images, cut JPEGs, PNG/HEIC and files
# over the limits are refused with nothing written; EXIF time and GPS are
# read and a photo far from its inspection's date is flagged;
# photo_required is enforced; photo list/delete; and another laptop sees
# the photo after a pull and fetches its bytes only with `photo get`.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
DB=$TRASH/d1.db
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
snap() { dump_db "$DB" >"$TRASH/before.dump" && ls "$DB.photos" >"$TRASH/before.ls" 2>/dev/null || :; }
unchanged() {
	dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump" &&
	{ ls "$DB.photos" 2>/dev/null || :; } >"$TRASH/after.ls" &&
	test_cmp "$TRASH/before.ls" "$TRASH/after.ls"
}
PRE=(--stage pre-cover --inspector 王 --item tank_volume=2 --item no_leak=yes)

{
	"$HUCE_SYNCD" admin --store "$C" device add d1 | tail -n 1 >"$TRASH/tok1" &&
	"$HUCE_SYNCD" admin --store "$C" device add d2 | tail -n 1 >"$TRASH/tok2" &&
	start_central c "$C" --rate 0 &&
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 一组 &&
	h d1 cadre add 王 --role 验收组 &&
	h d1 household add --village 阿猛村 --group 一组 --head 刀建华 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/hh" &&
	# a phone photo held sideways: stored 4000 x 3000, orientation 6
	mkjpeg write "$TRASH/side.jpg" --width 4000 --height 3000 --noise 50 --quality 95 \
		--orientation 6 --taken 2026-11-20T09:30:00 --gps 22.512345,100.712345
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
HH=$(cat "$TRASH/hh")

test_expect_success 'a camera photo is kept re-encoded, upright, with its time and GPS' '
	test "$(mkjpeg probe side.jpg)" = "4000 3000 red green blue white" &&
	h d1 photo add "$HH" side.jpg --kind before >out &&
	cat out && id=$(tail -n 1 out) &&
	h d1 photo list "$HH" --json >l.json &&
	jq -e "length == 1" l.json >/dev/null &&
	sha=$(jq -r ".[0].sha256" l.json) &&
	test "$(jq -r ".[0].id" l.json)" = "$id" &&
	jq -e ".[0] | .kind == \"before\" and .width == 1200 and .height == 1600 and
		.taken_at == \"2026-11-20T09:30:00\" and .gps == \"22.512345,100.712345\" and
		.uploaded == false and .here == true and .camera_bytes > .bytes" l.json >/dev/null &&
	# the kept copy: named by its SHA-256, turned 90 degrees clockwise
	test "$(sha256sum d1.db.photos/$sha.jpg | cut -d" " -f1)" = "$sha" &&
	test "$(stat -c %s d1.db.photos/$sha.jpg)" = "$(jq -r ".[0].bytes" l.json)" &&
	test "$(mkjpeg probe d1.db.photos/$sha.jpg)" = "1200 1600 blue red white green" &&
	# much smaller than the camera file
	test "$(stat -c %s d1.db.photos/$sha.jpg)" -lt $(( $(stat -c %s side.jpg) / 5 )) &&
	# it keeps time and GPS (read back through libexif), and no orientation
	cp d1.db.photos/$sha.jpg kept.jpg &&
	h d2 photo add 00000000-0000-7000-8000-000000000000 kept.jpg --kind room 2>/dev/null;
	test $? = 4 &&
	h d1 photo add "$HH" kept.jpg --kind room >out2 &&
	grep -q "kept 1200 x 1600" out2 && grep -q "taken 2026-11-20T09:30:00, at 22.512345,100.712345" out2
'

test_expect_success 'the original may go at once; the same picture twice is one photo' '
	cp side.jpg again.jpg &&
	rm side.jpg &&
	h d1 photo add "$HH" again.jpg --kind before >out &&
	grep -q "already attached" out &&
	test "$(h d1 photo list "$HH" --json | jq "[.[] | select(.kind == \"before\")] | length")" = 1 &&
	test "$(ls d1.db.photos | wc -l)" = 2 &&
	# the same picture as another kind: another photo, the same bytes
	h d1 photo add "$HH" again.jpg --kind after >/dev/null &&
	test "$(h d1 photo list "$HH" --json | jq length)" = 3 &&
	test "$(ls d1.db.photos | wc -l)" = 2
'

test_expect_success 'refused with exit 3 and nothing written: text, cut JPEG, PNG, HEIC, limits' '
	mkjpeg write ok.jpg --width 800 --height 600 --noise 40 &&
	echo "not a photo" >text.jpg &&
	head -c $(( $(stat -c %s ok.jpg) / 2 )) ok.jpg >cut.jpg &&
	printf "\211PNG\r\n\032\n\000\000\000\015IHDR" >shot.png &&
	printf "\000\000\000\030ftypheic\000\000\000\000mif1heic" >phone.heic &&
	{ printf "\377\330\377\340"; head -c 100 /dev/zero; } >huge.jpg && truncate -s 41M huge.jpg &&
	# a JPEG whose frame header claims 12000 x 9000 pixels
	python3 -c "
import sys
d = bytearray(open(\"ok.jpg\", \"rb\").read())
i = d.index(b\"\xff\xc0\")
d[i+5:i+9] = (9000).to_bytes(2, \"big\") + (12000).to_bytes(2, \"big\")
open(\"wide.jpg\", \"wb\").write(d)
" &&
	snap &&
	expect_exit 3 h d1 photo add "$HH" text.jpg --kind room 2>err && cat err &&
	grep -q "is not an image" err &&
	expect_exit 3 h d1 photo add "$HH" cut.jpg --kind room 2>err && cat err &&
	grep -q "cut short or corrupt" err &&
	expect_exit 3 h d1 photo add "$HH" shot.png --kind room 2>err && cat err &&
	grep -q "is a PNG image: huce keeps JPEG photos; save or export it as JPEG" err &&
	expect_exit 3 h d1 photo add "$HH" phone.heic --kind room 2>err && cat err &&
	grep -q "HEIC.*export it as JPEG" err &&
	expect_exit 3 h d1 photo add "$HH" huge.jpg --kind room 2>err && cat err &&
	grep -q "larger than 40 MiB" err &&
	expect_exit 3 h d1 photo add "$HH" wide.jpg --kind room 2>err && cat err &&
	grep -q "12000 x 9000 pixels, more than 100 megapixels" err &&
	expect_exit 3 h d1 inspect "$HH" "${PRE[@]}" --photo tank=cut.jpg --photo water-test=ok.jpg 2>err &&
	grep -q "cut short" err &&
	unchanged
'

test_expect_success 'photo_required: a pre-cover inspection needs its tank and water-test photos' '
	mkjpeg write tank.jpg --seed 4 --noise 30 --taken 2026-11-28T15:00:00 &&
	mkjpeg write water.jpg --seed 5 --noise 30 --taken 2026-10-01T08:00:00 &&
	snap &&
	expect_exit 3 h d1 inspect "$HH" "${PRE[@]}" --date 2026-11-29 2>err && cat err &&
	grep -q "item .tank_volume. (化粪池有效容积) needs a tank photo at stage pre-cover: add photos of kinds tank, water-test" err &&
	expect_exit 3 h d1 inspect "$HH" "${PRE[@]}" --date 2026-11-29 --photo tank=tank.jpg 2>err &&
	grep -q "needs a water-test photo" err &&
	unchanged &&
	h d1 inspect "$HH" "${PRE[@]}" --date 2026-11-29 --photo tank=tank.jpg \
		--photo water-test=water.jpg >out &&
	insp=$(tail -n 1 out) &&
	h d1 photo list "$insp" --json >l.json &&
	jq -e "length == 2" l.json >/dev/null &&
	# taken two months before the inspection: flagged; the day before: not
	test "$(jq -r ".[] | select(.kind == \"water-test\") | .date_flag" l.json)" = before &&
	test "$(jq -r ".[] | select(.kind == \"tank\") | .date_flag" l.json)" = null &&
	h d1 photo list "$insp" | grep water-test | grep -q "taken long before the inspection" &&
	# the text: a header, then the short code first, as in household list
	h d1 photo list "$insp" >l.txt &&
	head -n 1 l.txt | grep -q "^code	kind	" &&
	test "$(tail -n +2 l.txt | cut -f1 | sort)" = "$(jq -r ".[].code" l.json | sort)" &&
	test "$(jq -r "[.[] | .code | length] | max" l.json)" -lt 13 &&
	! grep -q "$(jq -r ".[0].id" l.json)" l.txt &&
	# other stages need no photo
	h d1 inspect "$HH" --stage excavation --inspector 王 --item tank_volume=2 >/dev/null
'

test_expect_success 'photo_required at the acceptance: after and plaque at completion, after at re-inspection' '
	DONE=(--inspector 王 --date 2026-11-30 --item walls_roof_door=yes --item room_area=1.5
		--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes) &&
	mkjpeg write after.jpg --seed 6 &&
	snap &&
	expect_exit 3 h d1 inspect "$HH" --stage completion "${DONE[@]}" --item tank_volume=1.0 2>err &&
	cat err &&
	grep -q "item .no_exposed_waste. (无粪污外露、外溢) needs an after photo at stage completion: add photos of kinds after, plaque" err &&
	expect_exit 3 h d1 inspect "$HH" --stage completion "${DONE[@]}" --item tank_volume=1.0 \
		--photo after=after.jpg 2>err &&
	grep -q "item .plaque_installed. (改厕标识牌已安装) needs a plaque photo at stage completion: add a photo of kind plaque" err &&
	unchanged &&
	# a failing acceptance needs them too: the photos show what was found
	h d1 inspect "$HH" --stage completion "${DONE[@]}" --item tank_volume=1.0 \
		--photo after=after.jpg --photo plaque=after.jpg >out &&
	grep -q "^result: fail" out &&
	expect_exit 3 h d1 inspect "$HH" --stage re-inspection "${DONE[@]}" --item tank_volume=1.6 2>err &&
	grep -q "needs an after photo at stage re-inspection: add a photo of kind after" err &&
	h d1 inspect "$HH" --stage re-inspection "${DONE[@]}" --item tank_volume=1.6 \
		--photo after=after.jpg >out &&
	grep -q "^result: pass" out
'

test_expect_success 'photo delete: before upload the bytes are gone; after upload a delete record' '
	mkjpeg write gone.jpg --seed 6 --noise 30 &&
	id=$(h d1 photo add "$HH" gone.jpg --kind vent | tail -n 1) &&
	sha=$(h d1 photo list "$HH" --json | jq -r --arg id "$id" ".[] | select(.id == \$id) | .sha256") &&
	test -f d1.db.photos/$sha.jpg &&
	code=$(h d1 photo list "$HH" | grep -w vent | cut -f1) &&
	test "$id" != "$code" && test "${id: -${#code}}" = "$code" &&
	h d1 photo delete "$code" >out && grep -q "never sent and are gone" out &&
	! test -e d1.db.photos/$sha.jpg &&
	test "$(h d1 photo list "$HH" --json | jq "[.[] | select(.id == \"$id\")] | length")" = 0 &&
	expect_exit 4 h d1 photo delete 00000000-0000-7000-8000-000000000000 2>/dev/null &&
	h d1 sync >out && ! test -e "$C.blobs/$sha" &&
	# after upload: the bytes stay at the central, the record is deleted there too
	room=$(h d1 photo list "$HH" --json | jq -r "[.[] | select(.kind == \"room\")][0].id") &&
	rsha=$(h d1 photo list "$HH" --json | jq -r "[.[] | select(.kind == \"room\")][0].sha256") &&
	test -f "$C.blobs/$rsha" &&
	h d2 sync >/dev/null &&
	h d2 photo list "$HH" --json | jq -e --arg id "$room" "[.[] | select(.id == \$id)] | length == 1" >/dev/null &&
	h d1 photo delete "$room" >out && grep -q "reaches the central at the next sync" out &&
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	h d2 photo list "$HH" --json | jq -e --arg id "$room" "[.[] | select(.id == \$id)] | length == 0" >/dev/null &&
	test -f "$C.blobs/$rsha"
'

test_expect_success 'another laptop sees the photo after a pull and fetches its bytes only with photo get' '
	h d2 sync >/dev/null &&
	h d2 photo list "$HH" --json >l2.json &&
	jq -e "length >= 3 and all(.[]; .here == false and .uploaded == null)" l2.json >/dev/null &&
	! test -e d2.db.photos &&
	sha=$(jq -r "[.[] | select(.kind == \"before\")][0].sha256" l2.json) &&
	h d2 photo get "$sha" --out fetched.jpg >out && cat out &&
	test "$(tail -n 1 out)" = fetched.jpg &&
	cmp fetched.jpg d1.db.photos/$sha.jpg &&
	cmp d2.db.photos/$sha.jpg d1.db.photos/$sha.jpg &&
	h d2 photo list "$HH" --json | jq -e --arg s "$sha" "[.[] | select(.sha256 == \$s)][0] | .here and .uploaded" >/dev/null &&
	# the central logs a request after answering it: wait for the line
	for _ in $(seq 1 50); do grep -q "device=d2 blob=${sha:0:12} from=" c.log && break; sleep 0.1; done &&
	grep -c "device=d2 blob=${sha:0:12} from=" c.log >n && test "$(cat n)" = 1 &&
	# again: from the folder, no request
	h d2 photo get "$sha" >/dev/null &&
	grep -c "device=d2 blob=${sha:0:12} from=" c.log >n && test "$(cat n)" = 1 &&
	# what the central does not have is 4, a bad name 3
	expect_exit 4 h d2 photo get 0000000000000000000000000000000000000000000000000000000000000000 2>err &&
	grep -q "does not have this photo" err &&
	expect_exit 3 h d2 photo get nothex 2>/dev/null
'

test_expect_success 'the central serves a range of a photo and refuses one past its end' '
	sha=$(h d1 photo list "$HH" --json | jq -r "[.[] | select(.kind == \"before\")][0].sha256") &&
	len=$(stat -c %s d1.db.photos/$sha.jpg) &&
	code=$(curl -s -o part -w "%{http_code}" -H "Authorization: Bearer $(cat tok1)" \
		-H "Range: bytes=100-" "$c_URL/v1/blobs/$sha/bytes") &&
	test "$code" = 206 && test "$(stat -c %s part)" = $((len - 100)) &&
	cmp part <(tail -c +101 d1.db.photos/$sha.jpg) &&
	code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat tok1)" \
		-H "Range: bytes=$len-" "$c_URL/v1/blobs/$sha/bytes") &&
	test "$code" = 416 &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "$c_URL/v1/blobs/$sha/bytes") &&
	test "$code" = 401
'

test_expect_success 'the central counts an acceptance that came without its photos, until they come' '
	# a county whose checklists ask for no photo (or a laptop of an older release)
	mkdir -p county && cp "$HUCE_SRCDIR"/schema/checklists/*.json county/ &&
	jq "del(.items[].photo_required)" "$HUCE_SRCDIR/schema/checklists/common.json" >county/common.json &&
	hh2=$(last_line h d1 household add --village 阿猛村 --group 一组 --head 玉香 \
		--approach new-build --build self --type three-grid) &&
	i2=$(last_line h d1 --checklists county inspect "$hh2" --stage completion --inspector 王 \
		--date 2026-11-25 --item tank_volume=1.6 --item walls_roof_door=yes --item room_area=1.5 \
		--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes) &&
	h d1 sync >/dev/null &&
	"$HUCE_SYNCD" admin --store "$C" report week --week 2026-W48 --json >w.json &&
	jq -e ".town.photos_lacking == 1" w.json &&
	jq -e --arg h "$hh2" --arg i "$i2" ".photos_lacking == [{household: \$h, village: \"阿猛村\",
		head: \"玉香\", inspection: \$i, stage: \"completion\", date: \"2026-11-25\",
		missing: \"after, plaque\"}]" w.json &&
	# the laptop counts by the same rule, with its own checklists
	h d1 report week --week 2026-W48 --json | jq -e ".town.photos_lacking == 1" &&
	# the photos come later (photo add, or the import grid): counted from the records as they are
	mkjpeg write late.jpg --seed 9 &&
	h d1 photo add "$i2" late.jpg --kind after >/dev/null &&
	h d1 photo add "$i2" late.jpg --kind plaque >/dev/null &&
	h d1 sync >/dev/null &&
	"$HUCE_SYNCD" admin --store "$C" report week --week 2026-W48 --json >w2.json &&
	jq -e ".town.photos_lacking == 0 and .photos_lacking == []" w2.json
'

test_done
