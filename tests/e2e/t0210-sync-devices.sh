#!/bin/bash
# t0210-sync-devices.sh - sync as laptops do it, through a real central:
# three devices converge; arrival order does not matter; a batch sent
# three times and imported once from a file lands once; a central restored
# from an older backup answers 409 and the agent resends; an entry the
# central refuses is quarantined while the rest of its batch lands; a fresh
# laptop pulls 10,000 changes in pages.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
nover() { jq -S 'map(del(.version))'; }
ITEMS=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

# setup_town STORE NAME DEV...: a central with devices enrolled.
setup_town() {
	store=$1 name=$2
	shift 2
	"$HUCE_SYNCD" admin --store "$store" town 阿猛镇 >/dev/null
	for d in "$@"; do
		"$HUCE_SYNCD" admin --store "$store" device add "$d" | tail -n 1 >"$TRASH/$d.tok"
	done
	start_central "$name" "$store" --rate 0
	for d in "$@"; do
		new_device "$d"
		eval "url=\${${name}_URL}"
		h "$d" enroll "$url" "$(cat "$TRASH/$d.tok")" >/dev/null
	done
}

add_hh() { # DEV VILLAGE GROUP HEAD [more]
	dev=$1 v=$2 g=$3 head=$4
	shift 4
	h "$dev" household add --village "$v" --group "$g" --head "$head" \
		--approach new-build --build self --type three-grid "$@" | tail -n 1
}

test_expect_success 'three laptops work offline, sync twice, and all agree with the central' '
	setup_town "$TRASH/c1.db" c1 d1 d2 d3 &&
	for d in d1 d2 d3; do
		h $d village add 阿猛村 >/dev/null &&
		h $d group add --village 阿猛村 一组 >/dev/null &&
		h $d cadre add 李春华 --role 挂包干部 >/dev/null || return 1
	done &&
	h d1 cadre add 王 --role 验收组 >/dev/null &&
	a=$(add_hh d1 阿猛村 一组 刀建华 --cadre 李春华) &&
	b=$(add_hh d2 阿猛村 一组 白玉兰) &&
	c=$(add_hh d3 阿猛村 一组 杨正明) &&
	h d1 inspect "$a" --stage completion --inspector 王 "${ITEMS[@]}" >/dev/null &&
	for round in 1 2; do
		for d in d1 d2 d3; do h $d sync >/dev/null || return 1; done
	done &&
	h d1 household list --json | nover >l1 &&
	h d2 household list --json | nover >l2 &&
	h d3 household list --json | nover >l3 &&
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" household list --json | nover >lc &&
	test_cmp lc l1 && test_cmp lc l2 && test_cmp lc l3 &&
	test "$(jq length lc)" = 3 &&
	test "$(jq -r ".[] | select(.head == \"刀建华\") | .status" lc)" = accepted &&
	for d in d1 d2 d3; do
		test "$(h $d status --json | jq .pending)" = 0 || return 1
	done &&
	# the same village added on three laptops is one record
	test "$(h d2 village list --json | jq length)" = 1
'

test_expect_success 'arrival order does not matter: same edits, two device orders, same state' '
	for order in "e1 e2" "e2 e1"; do
		set -- $order &&
		st="$TRASH/ord-$1.db" &&
		rm -f "$st" && setup_town "$st" "o$1" e1 e2 &&
		eval "url=\${o${1}_URL}" &&
		h e1 village add 阿猛村 >/dev/null && h e1 group add --village 阿猛村 一组 >/dev/null &&
		x=$(add_hh e1 阿猛村 一组 张三) &&
		h e1 sync >/dev/null && h e2 sync >/dev/null &&
		h e1 household set "$x" type=double-urn phone=13900000001 >/dev/null &&
		h e2 household set "$x" type=biogas house_no=7 >/dev/null &&
		h e1 household add --village 阿猛村 --group 一组 --head "李 四" --approach new-build --build self --type sewer >/dev/null &&
		h e2 household add --village 阿猛村 --group 一组 --head 李四 --approach new-build --build self --type sewer >/dev/null &&
		h $1 sync >/dev/null && h $2 sync >/dev/null && h $1 sync >/dev/null &&
		"$HUCE_SYNCD" admin --store "$st" household list --json |
			jq -S "map(del(.version, .id, .code))" >"state-$1" &&
		"$HUCE_SYNCD" admin --store "$st" conflicts --json |
			jq -S "map(del(.id, .record, .code)) | sort_by(.kind, .field) | map(.values |= map(del(.hlc, .candidate.id, .candidate.code) | if (.value|type) == \"string\" and (.value|test(\"^[0-9a-f-]{36}$\")) then .value = \"<id>\" else . end))" >"conf-$1" &&
		stop_central "o$1" &&
		rm -f "$TRASH/e1.db" "$TRASH/e2.db" || return 1
	done &&
	test_cmp state-e1 state-e2 &&
	test_cmp conf-e1 conf-e2 &&
	test "$(jq length conf-e1)" -ge 2
'

test_expect_success 'a batch POSTed three times and imported once from a file lands once' '
	setup_town "$TRASH/c3.db" c3 f1 &&
	h f1 village add 阿猛村 >/dev/null && h f1 group add --village 阿猛村 一组 >/dev/null &&
	for i in 1 2 3 4 5; do add_hh f1 阿猛村 一组 户主$i >/dev/null || return 1; done &&
	h f1 export batch.huce >/dev/null &&
	tok=$(cat "$TRASH/f1.tok") &&
	for i in 1 2 3; do
		code=$(curl -s -o resp.$i -w "%{http_code}" -H "Authorization: Bearer $tok" \
			-H "Content-Type: application/x-huce-batch" --data-binary @batch.huce \
			"$c3_URL/v1/batches") &&
		test "$code" = 200 || return 1
	done &&
	test "$(jq .applied resp.1)" = 7 &&
	test "$(jq .applied resp.2)" = 0 && test "$(jq .skipped resp.3)" = 7 &&
	stop_central c3 &&
	"$HUCE_SYNCD" admin --store "$TRASH/c3.db" import batch.huce --ack-out ack.json >/dev/null &&
	"$HUCE_SYNCD" admin --store "$TRASH/c3.db" household list --json >after &&
	test "$(jq length after)" = 5 &&
	test "$(jq -r ".[].head" after | sort | uniq -d)" = "" &&
	h f1 import-ack ack.json >/dev/null &&
	test "$(h f1 status --json | jq .pending)" = 0
'

test_expect_success 'a central restored from an older backup: the agent learns it (its probe, or a 409) and resends' '
	setup_town "$TRASH/c4.db" c4 g1 &&
	h g1 village add 阿猛村 >/dev/null && h g1 group add --village 阿猛村 一组 >/dev/null &&
	add_hh g1 阿猛村 一组 甲 >/dev/null && h g1 sync >/dev/null &&
	stop_central c4 &&
	sqlite3 "$TRASH/c4.db" ".backup $TRASH/c4-backup.db" &&
	start_central c4 "$TRASH/c4.db" --rate 0 &&
	h g1 enroll "$c4_URL" "$(cat "$TRASH/g1.tok")" >/dev/null &&
	add_hh g1 阿猛村 一组 乙 >/dev/null && add_hh g1 阿猛村 一组 丙 >/dev/null &&
	h g1 sync >/dev/null &&
	stop_central c4 &&
	cp "$TRASH/c4-backup.db" "$TRASH/c4.db" && rm -f "$TRASH/c4.db-wal" "$TRASH/c4.db-shm" &&
	start_central c4 "$TRASH/c4.db" --rate 0 &&
	h g1 enroll "$c4_URL" "$(cat "$TRASH/g1.tok")" >/dev/null &&
	add_hh g1 阿猛村 一组 丁 >/dev/null &&
	h g1 sync 2>sync4.err &&
	{ grep -q "POST /v1/batches status=409" "$TRASH/c4.log" ||
	  grep -q "the central has our entries up to seq 3 only" sync4.err; } &&
	"$HUCE_SYNCD" admin --store "$TRASH/c4.db" household list --json | jq -r ".[].head" | sort >heads &&
	printf "%s\n" 丁 丙 乙 甲 | sort >expect &&
	test_cmp expect heads
'

test_expect_success 'a laptop refuses a closed team locally (exit 3); other work of both laptops lands' '
	setup_town "$TRASH/c5.db" c5 k1 k2 &&
	h k1 village add 阿猛村 >/dev/null && h k1 group add --village 阿猛村 一组 >/dev/null &&
	h k1 team add 一队 >/dev/null &&
	add_hh k1 阿猛村 一组 甲 --build contracted --team 一队 >/dev/null &&
	h k1 sync >/dev/null && h k2 sync >/dev/null &&
	add_hh k1 阿猛村 一组 乙 >/dev/null &&
	add_hh k2 阿猛村 一组 丙 >/dev/null &&
	k1y=$(h k1 household list --json | jq -r ".[] | select(.head == \"乙\") | .id") &&
	h k1 household set "$k1y" build=contracted team=一队 2>/dev/null; test $? = 3 &&
	h k2 household add --village 阿猛村 --group 一组 --head 丁 --approach new-build --build self --type sewer >/dev/null &&
	h k2 sync >/dev/null &&
	h k1 sync >/dev/null &&
	h k2 status --json >st &&
	test "$(jq .pending st)" = 0 &&
	"$HUCE_SYNCD" admin --store "$TRASH/c5.db" household list --json | jq -r ".[].head" | sort >heads &&
	printf "%s\n" 丁 丙 乙 甲 | sort >expect && test_cmp expect heads
'

test_expect_success 'the central gate refuses a household a laptop gave a closed team offline; it is quarantined' '
	setup_town "$TRASH/c7.db" c7 k4 k3 &&
	h k4 village add 阿猛村 >/dev/null && h k4 group add --village 阿猛村 一组 >/dev/null &&
	h k4 team add 一队 >/dev/null &&
	add_hh k4 阿猛村 一组 甲 --build contracted --team 一队 >/dev/null &&
	h k4 sync >/dev/null &&
	h k3 village add 阿猛村 >/dev/null && h k3 group add --village 阿猛村 一组 >/dev/null &&
	h k3 team add 一队 >/dev/null &&
	z=$(add_hh k3 阿猛村 一组 戊 --build contracted --team 一队) &&
	add_hh k3 阿猛村 一组 己 >/dev/null &&
	h k3 sync >/dev/null &&
	h k3 status --json >st &&
	test "$(jq .quarantined st)" = 1 &&
	test "$(jq .pending st)" = 0 &&
	jq -r ".quarantine[0].reason" st | grep -q gate &&
	"$HUCE_SYNCD" admin --store "$TRASH/c7.db" household list --json | jq -r ".[].head" >c &&
	grep -q 己 c && ! grep -q 戊 c &&
	h k3 status | grep -q "gate"
'

test_expect_success 'a fresh laptop pulls 10,000 changes in pages' '
	st="$TRASH/c6.db" &&
	"$HUCE_SYNCD" admin --store "$st" device add bulk >/dev/null &&
	python3 - >entries <<-PY &&
	import uuid
	v = "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0"
	g = "7598f32b-0bb0-8dec-92ae-3e710c94597a"
	print("1 village %s put 0 0190000000000001 {\"name\":\"阿猛村\"}" % v)
	print("2 group %s put 0 0190000000000002 {\"name\":\"一组\",\"village_id\":\"%s\"}" % (g, v))
	for i in range(10000):
	    hid = "0190%04x-0000-7000-8000-%012x" % (i >> 16, i)
	    print("%d household %s put 0 %016x {\"village_id\":\"%s\",\"group_id\":\"%s\",\"head\":\"户主%05d\",\"approach\":\"new-build\",\"build\":\"self\",\"type\":\"three-grid\",\"status\":\"planned\"}" % (i + 3, hid, 0x0190000000000003 + i, v, g, i))
	PY
	python3 "$HUCE_SRCDIR/tests/tools/batchlines.py" bulk.huce bulk <entries &&
	"$HUCE_SYNCD" admin --store "$st" import bulk.huce >/dev/null &&
	"$HUCE_SYNCD" admin --store "$st" device add p1 | tail -n 1 >p1.tok &&
	start_central c6 "$st" --rate 0 &&
	new_device p1 &&
	h p1 enroll "$c6_URL" "$(cat p1.tok)" >/dev/null &&
	h p1 sync >out &&
	cat out &&
	grep -q "pulled 10002 in " out &&
	test "$(h p1 household list --json | jq length)" = 10000 &&
	test "$(grep -c "GET /v1/changes" "$TRASH/c6.log")" -ge 5 &&
	h p1 sync >out2 && grep -q "pulled 0 in" out2
'

test_done
