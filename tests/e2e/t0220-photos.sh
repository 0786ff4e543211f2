#!/bin/bash
# t0220-photos.sh - photos travel after the records, content-addressed,
# in resumable chunks, deduplicated, verified on completion.  What travels
# is the laptop's kept copy (DB.photos/<sha>.jpg), so the original may be
# gone before the sync.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }

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
	mkjpeg write "$TRASH/tank.jpg" --width 2400 --height 1800 --noise 60 --seed 1 &&
	mkjpeg write "$TRASH/before.jpg" --width 1200 --height 900 --noise 40 --seed 2 &&
	mkjpeg write "$TRASH/room.jpg" --width 2400 --height 1800 --noise 60 --seed 3
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
HH=$(cat "$TRASH/hh")
sha() { sha256sum "$1" | cut -d" " -f1; }
# The kept copy of the photo of kind $2 that laptop $1 has on household HH.
kept_sha() { h "$1" photo list "$HH" --json | jq -r --arg k "$2" "[.[] | select(.kind == \$k)][0].sha256"; }

test_expect_success 'photos of an inspection reach the central after the records, verified' '
	h d1 photo add "$HH" before.jpg --kind before >/dev/null &&
	h d1 inspect "$HH" --stage excavation --inspector 王 --item tank_volume=2 \
		--photo tank=tank.jpg >/dev/null &&
	test "$(h d1 status --json | jq .photos_not_uploaded)" = 2 &&
	h d1 household show "$HH" | grep -c "not yet uploaded" >n && test "$(cat n)" = 2 &&
	h d1 sync >out && cat out &&
	grep -q "2 photos uploaded" out &&
	t=$(kept_sha d1 tank) && b=$(kept_sha d1 before) &&
	cmp d1.db.photos/$t.jpg "$C.blobs/$t" &&
	cmp d1.db.photos/$b.jpg "$C.blobs/$b" &&
	test "$(h d1 status --json | jq .photos_not_uploaded)" = 0 &&
	h d1 household show "$HH" | grep -c "at central" >n && test "$(cat n)" = 2 &&
	# the photo records themselves reached the other laptop
	h d2 sync >/dev/null &&
	h d2 household show "$HH" --json | jq -e ".photos | length == 2" >/dev/null
'

test_expect_success 'an interrupted upload continues from the byte the central has' '
	h d1 photo add "$HH" room.jpg --kind room >/dev/null &&
	s=$(kept_sha d1 room) && len=$(stat -c %s d1.db.photos/$s.jpg) &&
	test "$len" -gt 262144 &&
	head -c 262144 d1.db.photos/$s.jpg >first &&
	code=$(curl -s -o r1 -w "%{http_code}" -X PATCH \
		-H "Authorization: Bearer $(cat tok1)" \
		-H "Content-Type: application/offset+octet-stream" \
		-H "Upload-Offset: 0" -H "Upload-Length: $len" \
		--data-binary @first "$c_URL/v1/blobs/$s") &&
	test "$code" = 200 && jq -e ".offset == 262144 and .complete == false" r1 >/dev/null &&
	test -f "$C.blobs/$s.part" &&
	h d1 sync >out && grep -q "1 photos uploaded" out &&
	cmp d1.db.photos/$s.jpg "$C.blobs/$s" && ! test -e "$C.blobs/$s.part" &&
	grep "blob=${s:0:12}" c.log >patches &&
	test "$(grep -c "offset=0 " patches)" = 1 &&
	grep -q "offset=262144 " patches
'

test_expect_success 'a photo the central already has is not sent again' '
	h d2 photo add "$HH" tank.jpg --kind after >/dev/null &&
	t=$(kept_sha d2 after) && test "$t" = "$(kept_sha d1 tank)" &&
	before=$(grep -c "PATCH .*blob=${t:0:12}" c.log || true) &&
	h d2 sync >out && grep -q "1 photos uploaded" out &&
	after=$(grep -c "PATCH .*blob=${t:0:12}" c.log || true) &&
	test "$after" = "$before" &&
	test "$(h d2 status --json | jq .photos_not_uploaded)" = 0
'

test_expect_success 'wrong offset is 409 with the expected offset; wrong bytes are refused' '
	head -c 1000 /dev/urandom >x.jpg && s=$(sha x.jpg) &&
	head -c 100 x.jpg >x100 &&
	code=$(curl -s -o r2 -w "%{http_code}" -X PATCH -H "Authorization: Bearer $(cat tok1)" \
		-H "Upload-Offset: 10" -H "Upload-Length: 1000" --data-binary @x100 \
		"$c_URL/v1/blobs/$s") &&
	test "$code" = 409 && jq -e ".error == \"offset\" and .expected == 0" r2 >/dev/null &&
	head -c 1000 /dev/urandom >y.jpg &&
	code=$(curl -s -o r3 -w "%{http_code}" -X PATCH -H "Authorization: Bearer $(cat tok1)" \
		-H "Upload-Offset: 0" -H "Upload-Length: 1000" --data-binary @y.jpg \
		"$c_URL/v1/blobs/$s") &&
	test "$code" = 400 && jq -e ".error == \"checksum\"" r3 >/dev/null &&
	! test -e "$C.blobs/$s" && ! test -e "$C.blobs/$s.part" &&
	code=$(curl -s -o r4 -w "%{http_code}" -X PATCH -H "Authorization: Bearer $(cat tok1)" \
		-H "Upload-Offset: 0" -H "Upload-Length: 1000" --data-binary @x.jpg \
		"$c_URL/v1/blobs/$s") &&
	test "$code" = 200 && jq -e ".complete" r4 >/dev/null &&
	code=$(curl -s -o /dev/null -w "%{http_code}" -X PATCH -H "Upload-Offset: 0" \
		-H "Upload-Length: 1000" --data-binary @x.jpg "$c_URL/v1/blobs/$s") &&
	test "$code" = 401 &&
	code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat tok1)" \
		"$c_URL/v1/blobs/not-a-sha") && test "$code" = 404 &&
	curl -sf "$c_URL/v1/health" >/dev/null
'

test_expect_success 'the original deleted before the sync: the photo still arrives' '
	mkjpeg write late.jpg --seed 9 --noise 30 &&
	h d1 photo add "$HH" late.jpg --kind plaque >/dev/null &&
	rm late.jpg &&
	h d1 sync >out && grep -q "1 photos uploaded" out &&
	s=$(kept_sha d1 plaque) && cmp d1.db.photos/$s.jpg "$C.blobs/$s"
'

test_expect_success 'a kept copy damaged on disk is left for later; records still sync' '
	mkjpeg write vent.jpg --seed 10 --noise 30 &&
	h d1 photo add "$HH" vent.jpg --kind vent >/dev/null &&
	s=$(kept_sha d1 vent) &&
	head -c 5000 /dev/urandom >d1.db.photos/$s.jpg &&
	h d1 household set "$HH" phone=13900000009 >/dev/null &&
	h d1 sync >out 2>err &&
	grep -q "no longer matches" err &&
	test "$(h d1 status --json | jq .photos_not_uploaded)" = 1 &&
	test "$(h d1 status --json | jq .pending)" = 0
'

test_expect_success 'the office sees which photos have not arrived, and whose laptop has them' '
	"$HUCE_SYNCD" admin --store "$C" photos --json >p.json &&
	jq -e "length == 6" p.json &&
	s=$(kept_sha d1 vent) &&
	jq -e --arg s "$s" "[.[] | select(.sha256 == \$s)][0] | .arrived == false and .device == \"d1\"" p.json &&
	jq -e --arg s "$s" "[.[] | select(.sha256 != \$s)] | all(.arrived)" p.json &&
	"$HUCE_SYNCD" admin --store "$C" photos --missing --json | jq -e "length == 1" >/dev/null &&
	"$HUCE_SYNCD" admin --store "$C" photos | tail -n 1 | grep -q "6 photos, 1 not arrived"
'

test_done
