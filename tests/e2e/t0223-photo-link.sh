#!/bin/bash
# t0223-photo-link.sh - a photo over a bad link, and the central's daily
# photo quota (issue 13, item 6): a 5 MB camera file, kept as a ~400 KB
# copy, goes over a link cut five times mid-upload and arrives whole, with
# no more sent than its size and the chunks in flight when the link
# dropped; a laptop over its day's quota gets 429 "quota" for photos while
# its records still sync.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

FAULTPROXY="$HUCE_BUILDDIR/tests/tools/faultproxy"
C=$TRASH/c.db
Q=$TRASH/q.db
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }

via() { sqlite3 "$TRASH/$1.db" "UPDATE meta SET value = '$2' WHERE key = 'central_url'"; }

{
	"$HUCE_SYNCD" admin --store "$C" device add d1 | tail -n 1 >"$TRASH/tok1" &&
	start_central c "$C" --rate 0 &&
	new_device d1 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 一组 &&
	h d1 household add --village 阿猛村 --group 一组 --head 刀建华 \
		--approach new-build --build self --type three-grid | tail -n 1 >"$TRASH/hh" &&
	h d1 sync &&
	mkjpeg write "$TRASH/cam.jpg" --width 3200 --height 2400 --noise 60 --quality 95 --seed 7
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
HH=$(cat "$TRASH/hh")

test_expect_success 'a 5 MB camera photo over a link cut five times arrives whole' '
	test "$(stat -c %s cam.jpg)" -gt 5000000 &&
	h d1 photo add "$HH" cam.jpg --kind after >/dev/null &&
	sha=$(h d1 photo list "$HH" --json | jq -r ".[0].sha256") &&
	size=$(stat -c %s d1.db.photos/$sha.jpg) &&
	# each of the first five connections is reset after 100 kB sent
	start_proxy cut --reset-after 100000 --fail-first 5 &&
	via d1 "$cut_URL" &&
	for i in $(seq 1 8); do
		h d1 sync >>sync.out 2>&1 || :
		test "$(h d1 status --json | jq .photos_not_uploaded)" = 0 && break
	done &&
	test "$(h d1 status --json | jq .photos_not_uploaded)" = 0 &&
	cmp d1.db.photos/$sha.jpg "$C.blobs/$sha" &&
	test "$(grep -c "fault=reset" cut.plog)" = 5 &&
	# what the central was sent of the photo: its size plus what the cuts lost
	sent=$(grep "PATCH .*blob=${sha:0:12}" c.log | sed -n "s/.* n=\([0-9]*\).*/\1/p" | awk "{ s += \$1 } END { print s }") &&
	echo "photo $size bytes, PATCH bodies stored $sent" &&
	test "$sent" = "$size" &&
	c2s=$(sed -n "s/.* c2s=\([0-9]*\).*/\1/p" cut.plog | awk "{ s += \$1 } END { print s }") &&
	echo "bytes sent over the link: $c2s for a $size-byte photo" &&
	test "$c2s" -le $(( size + 5 * 65536 + 60000 ))
'

test_expect_success 'over its daily quota a laptop keeps its photos for later; records still sync' '
	"$HUCE_SYNCD" admin --store "$Q" device add q1 | tail -n 1 >tokq &&
	start_central q "$Q" --rate 0 --photo-quota 1 &&
	new_device q1 &&
	h q1 enroll "$q_URL" "$(cat tokq)" >/dev/null &&
	h q1 village add 曼掌村 >/dev/null && h q1 group add --village 曼掌村 三组 >/dev/null &&
	hq=$(h q1 household add --village 曼掌村 --group 三组 --head 玉香 \
		--approach new-build --build self --type three-grid | tail -n 1) &&
	for i in 1 2 3 4; do
		mkjpeg write q$i.jpg --width 2400 --height 1800 --noise 60 --seed 2$i &&
		h q1 photo add "$hq" q$i.jpg --kind after >/dev/null || return 1
	done &&
	h q1 photo add "$hq" q1.jpg --kind before >/dev/null &&
	h q1 sync >out 2>err && cat out err &&
	grep -q "daily quota is 1 MiB" err &&
	test "$(h q1 status --json | jq .pending)" = 0 &&
	n=$(h q1 status --json | jq .photos_not_uploaded) && test "$n" -ge 1 && test "$n" -lt 4 &&
	grep -q "error=quota" q.log &&
	code=$(curl -s -o r -D hdr -w "%{http_code}" -X PATCH -H "Authorization: Bearer $(cat tokq)" \
		-H "Upload-Offset: 0" -H "Upload-Length: 900000" --data-binary @q4.jpg \
		"$q_URL/v1/blobs/$(printf %064d 0)") &&
	test "$code" = 429 && jq -e ".error == \"quota\"" r >/dev/null &&
	grep -qi "^Retry-After: [0-9]" hdr
'

stop_central c
for p in $(cat "$TRASH/proxies" 2>/dev/null); do
	kill "$p" 2>/dev/null
done
test_done
