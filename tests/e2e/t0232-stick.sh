#!/bin/bash
# t0232-stick.sh - the USB stick is a whole sync (issue 15, PROTOCOL.md
# section 3): laptops that never see a link enrol by file, write their
# round to a folder on a stick (`huce export DIR`), the office takes
# every folder (`huce-syncd admin import DIR`) and writes each a reply,
# the laptop applies it as a pull (`huce import DIR`).  After one round
# trip laptop and central agree, the office's households and other
# laptops' work included, and the photos' bytes are at the central.
# A stick pulled out mid-write (kill -9 of the export, of the office's
# import) leaves nothing that is taken half-written; a flipped byte, a
# file of another town's central, another laptop's file moved in, an
# old export renamed or replayed are refused with nothing stored; no
# name, phone or ID number can be read from the stick, whatever zlib
# stream one inflates; a reply applied twice, out of order or after an
# online sync changes nothing.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
C2=$TRASH/other-town.db
S=$TRASH/stick
ZSCAN="python3 $HUCE_SRCDIR/tests/tools/zscan.py"
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
# The households as the laptop and the central list them, comparable.
norm() {
	jq -S 'map({id, village, group, head, approach, build, type, team, cadre,
		status, version}) | sort_by(.id)'
}
agree() {	# agree DEV: the laptop's households are the central's
	h "$1" household list --json | norm >"$TRASH/lap.json" &&
	adm household list --json | norm >"$TRASH/cen.json" &&
	test_cmp "$TRASH/cen.json" "$TRASH/lap.json"
}
# Every photo laptop $1 keeps (DB.photos/<sha>.jpg, what travels) is at the
# central, byte for byte.
all_at_central() {
	for f in "$TRASH/$1.db.photos"/*.jpg; do
		cmp "$f" "$C.blobs/$(basename "$f" .jpg)" || return 1
	done
}

# What a laptop holds, without meta: records, outbox, photo files.
lapstate() {
	sqlite3 "$TRASH/$1.db" "SELECT * FROM village; SELECT * FROM village_group;
		SELECT * FROM household ORDER BY id; SELECT * FROM inspection ORDER BY id;
		SELECT * FROM photo ORDER BY id; SELECT * FROM photo_file ORDER BY 1;
		SELECT * FROM outbox ORDER BY seq; SELECT * FROM conflict ORDER BY id;
		SELECT value FROM meta WHERE key IN ('cursor', 'acked_seq')"
}
censtate() {
	sqlite3 "$C" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT name, hwm FROM device ORDER BY name"
}
ID3=532622198001011231
PHONE3=13912345678

{
	adm town 阿猛镇 &&
	adm device add lap3 --enroll-file "$TRASH/lap3.enroll" &&
	adm device add lap4 --enroll-file "$TRASH/lap4.enroll" &&
	"$HUCE_SYNCD" admin --store "$C2" device add lap3 &&
	new_device lap3 && new_device lap4 &&
	mkdir "$S"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'a laptop enrols from the office file, with no link' '
	test "$(stat -c %a lap3.enroll)" = 600 &&
	h lap3 enroll lap3.enroll >out && grep -q "enrolled as device lap3" out &&
	h lap4 enroll lap4.enroll >/dev/null &&
	test "$(sqlite3 lap3.db "SELECT length(value) FROM meta WHERE key = '\''stick_sk'\''")" = 64 &&
	test "$(stat -c %a lap3.db)" = 600 &&
	expect_exit 3 h lap4 enroll lap3.db 2>err && grep -q "not an enrolment file" err
'

test_expect_success 'offline work and the office list meet in one round trip' '
	h lap3 village add 阿猛村 >/dev/null && h lap3 group add --village 阿猛村 一组 >/dev/null &&
	h lap3 household add --village 阿猛村 --group 一组 --head 刀建华 --id-number $ID3 \
		--phone $PHONE3 --approach new-build --build self --type three-grid |
		tail -n 1 >hh3 &&
	mkjpeg write before.jpg --width 1600 --height 1200 --noise 60 --seed 3 &&
	h lap3 photo add "$(cat hh3)" before.jpg --kind before >/dev/null &&
	# meanwhile the office imports its own list
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,一组,岩温,李干部,整厕新建,自建,三格化粪池式" \
		"芒东村,三组,玉香,李干部,整厕新建,自建,双瓮漏斗式" >list.csv &&
	adm import list.csv --create >/dev/null &&
	h lap3 export stick >out && cat out && grep -q "exported 4 entries" out &&
	grep -q "1 photos" out &&
	h lap3 status --json | jq -e ".stick.pending == 4 and .stick.photos == 1 and .stick.last_export == 1" >/dev/null &&
	adm import stick >out && cat out && grep -q "lap3: export 1: applied 4" out &&
	all_at_central lap3 &&
	h lap3 import stick >out && cat out && grep -q "acknowledged up to seq 4" out &&
	agree lap3 &&
	h lap3 household list --json | jq -e "map(.head) | sort == [\"刀建华\", \"岩温\", \"玉香\"]" >/dev/null &&
	h lap3 status --json | jq -e ".pending == 0 and .photos_not_uploaded == 0 and .stick.reply_applied == 1" >/dev/null
'

test_expect_success 'two laptops share one stick' '
	h lap4 village add 阿猛村 >/dev/null && h lap4 group add --village 阿猛村 二组 >/dev/null &&
	h lap4 household add --village 阿猛村 --group 二组 --head 岩罕 \
		--approach new-build --build self --type biogas >/dev/null &&
	h lap3 household add --village 阿猛村 --group 一组 --head 玉南 \
		--approach new-build --build self --type sewer >/dev/null &&
	h lap3 export stick >/dev/null && h lap4 export stick >/dev/null &&
	ls stick/huce >dirs && printf "lap3\nlap4\n" | test_cmp - dirs &&
	adm import stick >out && cat out &&
	grep -q "lap3: export 2: applied 1" out && grep -q "lap4: export 1: applied 3" out &&
	h lap4 import stick >/dev/null && h lap3 import stick >/dev/null &&
	agree lap4 && agree lap3 &&
	h lap3 household list --json | jq -e "map(.head) | index(\"岩罕\")" >/dev/null
'

test_expect_success 'no name, phone or ID number can be read from the stick' '
	cp before.jpg plain.jpg &&
	h lap3 household add --village 阿猛村 --group 一组 --head 刀建华二 --id-number 532622198512310049 \
		--phone 13900000002 --approach new-build --build self --type three-grid >/dev/null &&
	h lap3 export stick >/dev/null && adm import stick >/dev/null &&
	$ZSCAN stick 刀建华 岩温 玉香 岩罕 $PHONE3 13900000002 5326 1231 0049 "**********" >scan &&
	cat scan && grep -q "files [1-9]" scan &&
	# the scan would see them in a plain batch file: it can fail
	h lap3 export plain.batch >/dev/null && mkdir plain && mv plain.batch plain/ &&
	! $ZSCAN plain 刀建华二 >scan2 && grep -q "FOUND" scan2 && grep -q "streams inflated [1-9]" scan2 &&
	h lap3 import stick >/dev/null
'

test_expect_success 'a flipped byte is refused with the reason, nothing stored' '
	h lap3 household add --village 阿猛村 --group 一组 --head 玉罕 \
		--approach new-build --build self --type sewer >/dev/null &&
	h lap3 export stick >/dev/null &&
	f=$(ls stick/huce/lap3/up-*-b1.huce) && cp "$f" good.b1 &&
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[len(b)//2]^=1; open(p,\"wb\").write(b)" "$f" &&
	censtate >before &&
	expect_exit 3 adm import stick 2>err && cat err &&
	grep -q "lap3:.*refused" err &&
	censtate >after && test_cmp before after &&
	# the manifest itself flipped: refused as altered
	cp good.b1 "$f" && m=$(ls stick/huce/lap3/up-[0-9]*.huce | grep -v -- "-b\|-p") &&
	cp "$m" good.m &&
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[-3]^=0x40; open(p,\"wb\").write(b)" "$m" &&
	expect_exit 3 adm import stick 2>err && grep -q "altered or damaged" err &&
	censtate >after && test_cmp before after &&
	cp good.m "$m" && adm import stick >/dev/null &&
	# a reply with a flipped byte: the laptop refuses it and keeps its state
	r=$(ls stick/huce/lap3/down-*-c1.huce) && lapstate lap3 >lb &&
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[100]^=4; open(p,\"wb\").write(b)" "$r" &&
	expect_exit 3 h lap3 import stick 2>err && cat err && grep -q "refused" err &&
	lapstate lap3 >la && test_cmp lb la &&
	adm import stick >/dev/null && h lap3 import stick >/dev/null && agree lap3
'

test_expect_success 'a file for another town central is refused there' '
	h lap3 household add --village 阿猛村 --group 一组 --head 岩香 \
		--approach new-build --build self --type sewer >/dev/null &&
	h lap3 export stick >/dev/null &&
	expect_exit 3 "$HUCE_SYNCD" admin --store "$C2" import stick 2>err && cat err &&
	grep -q "written for another reader" err &&
	test "$("$HUCE_SYNCD" admin --store "$C2" household list --json | jq length)" = 0
'

test_expect_success 'another laptop file moved into this folder, an old export renamed or replayed: refused' '
	censtate >before &&
	mkdir keep && cp stick/huce/lap3/* keep/ &&
	rm stick/huce/lap3/* && cp stick/huce/lap4/up-* stick/huce/lap3/ &&
	expect_exit 3 adm import stick 2>err && cat err &&
	grep -q "lap3:.*written by another key" err &&
	censtate >after && test_cmp before after &&
	# an old manifest of this laptop renamed as a newer export
	rm stick/huce/lap3/* && cp keep/* stick/huce/lap3/ &&
	n=$(ls keep | sed -n "s/^up-\([0-9]*\)\.huce$/\1/p") &&
	mv stick/huce/lap3/up-$n.huce stick/huce/lap3/up-$((n + 5)).huce &&
	expect_exit 3 adm import stick 2>err && cat err && grep -q "renamed or moved" err &&
	censtate >after && test_cmp before after &&
	rm stick/huce/lap3/* && cp keep/* stick/huce/lap3/ &&
	adm import stick >/dev/null && h lap3 import stick >/dev/null &&
	# the older round replayed after a newer one was taken
	h lap3 export stick >/dev/null && adm import stick >/dev/null &&
	rm stick/huce/lap3/* && cp keep/up-* stick/huce/lap3/ &&
	expect_exit 3 adm import stick 2>err && cat err && grep -q "replayed" err
'

test_expect_success 'replies applied twice or out of order change nothing' '
	rm -f stick/huce/lap3/* &&
	h lap3 household add --village 阿猛村 --group 一组 --head 岩甩 \
		--approach new-build --build self --type sewer >/dev/null &&
	h lap3 export stick >/dev/null && adm import stick >/dev/null &&
	mkdir -p old && rm -f old/* && cp stick/huce/lap3/down-* old/ &&
	h lap3 export stick >/dev/null &&
	printf "阿猛村,一组,岩应,李干部,整厕新建,自建,三格化粪池式\n" |
		cat <(head -n 1 list.csv) - >list2.csv && adm import list2.csv >/dev/null &&
	adm import stick >/dev/null &&
	h lap3 import stick >/dev/null && agree lap3 && lapstate lap3 >s1 &&
	h lap3 import stick >out && grep -q "applied before" out &&
	lapstate lap3 >s2 && test_cmp s1 s2 &&
	rm stick/huce/lap3/down-* && cp old/* stick/huce/lap3/ &&
	h lap3 import stick >out && grep -q "applied before" out &&
	lapstate lap3 >s3 && test_cmp s1 s3
'

test_expect_success 'a reply applied after an online sync went further changes nothing' '
	start_central c "$C" --rate 0 &&
	adm device add lap5 --enroll-file lap5.enroll --url "$c_URL" >/dev/null &&
	new_device lap5 && h lap5 enroll lap5.enroll >/dev/null &&
	h lap5 village add 阿猛村 >/dev/null && h lap5 group add --village 阿猛村 一组 >/dev/null &&
	h lap5 household add --village 阿猛村 --group 一组 --head 岩温二 \
		--approach new-build --build self --type sewer >/dev/null &&
	h lap5 export stick >/dev/null && adm import stick >/dev/null &&
	printf "阿猛村,一组,岩应二,李干部,整厕新建,自建,三格化粪池式\n" |
		cat <(head -n 1 list.csv) - >list3.csv && adm import list3.csv >/dev/null &&
	h lap5 sync >/dev/null && agree lap5 && lapstate lap5 >s1 &&
	h lap5 import stick >out && cat out && grep -q "applied the reply" out &&
	lapstate lap5 >s2 && test_cmp s1 s2 && agree lap5
'

# A stick big enough that writing it takes a while: kill -9 lands mid-write.
big_round() {
	for i in $(seq 1 12); do
		mkjpeg write "big$i.jpg" --width 2400 --height 1800 --noise 60 --seed "4$i" &&
		h lap4 photo add "$(cat hh4)" "big$i.jpg" --kind room >/dev/null || return 1
	done
}

test_expect_success 'kill -9 during the export leaves nothing the office takes half-written' '
	h lap4 household add --village 阿猛村 --group 二组 --head 玉坎 \
		--approach new-build --build self --type sewer | tail -n 1 >hh4 &&
	big_round &&
	for d in 0.02 0.05 0.1 0.2 0.4; do
		"$HUCE" --db lap4.db export stick >/dev/null 2>&1 & pid=$!
		sleep $d; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
		adm import stick >imp 2>err || { cat err; exit 1; }
		h lap4 import stick >/dev/null 2>err; r=$?
		test $r = 0 || test $r = 4 || { cat err; exit 1; }
	done &&
	h lap4 export stick >/dev/null && adm import stick >/dev/null &&
	h lap4 import stick >/dev/null && agree lap4 &&
	test "$(h lap4 status --json | jq ".pending, .photos_not_uploaded" | tr "\n" " ")" = "0 0 " &&
	all_at_central lap4
'

test_expect_success 'kill -9 during the office import: run it again, it finishes' '
	h lap4 household add --village 阿猛村 --group 二组 --head 玉坎二 \
		--approach new-build --build self --type sewer | tail -n 1 >hh4 &&
	rm -rf "$C.blobs" && sqlite3 lap4.db "UPDATE photo_file SET uploaded = 0" &&
	for d in 0.02 0.05 0.1 0.2; do
		h lap4 export stick >/dev/null &&
		{ "$HUCE_SYNCD" admin --store "$C" import stick >/dev/null 2>&1 & pid=$!
		  sleep $d; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; } ;
		h lap4 import stick >/dev/null 2>err; r=$?
		test $r = 0 || test $r = 4 || { cat err; exit 1; }
		adm import stick >/dev/null 2>err || { cat err; exit 1; }
	done &&
	h lap4 import stick >/dev/null && agree lap4 &&
	test "$(h lap4 status --json | jq ".pending, .photos_not_uploaded" | tr "\n" " ")" = "0 0 " &&
	all_at_central lap4
'

test_done
