#!/bin/bash
# t0215-own-stub.sh - a laptop's own records come back from a pull as
# stubs (GET /v1/changes?...&own=stub, PROTOCOL.md 2.2): on the wire, own
# records are stubs and other devices' records are full; two laptops
# converge as before; a laptop restored from an older copy of its file
# fails the stub check, asks for the page in full and ends with all its
# records and edits; a field another device won, an office resolution, and a
# reference the central re-pointed to a kept duplicate make a record
# non-own (sent in full).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
ITEMS=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}")

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

add_hh() { # DEV HEAD [more]
	dev=$1 head=$2
	shift 2
	h "$dev" household add --village 阿猛村 --group 一组 --head "$head" \
		--approach new-build --build self --type three-grid "$@" | tail -n 1
}

# changes DEV [QUERY]: the raw page after 0 with DEV's token.
changes() {
	curl -sf -H "Authorization: Bearer $(cat "$TRASH/$1.tok")" \
		"http://127.0.0.1:$(cat "$TRASH/c1.port")/v1/changes?after=0&limit=1000${2:-}"
}
# rec PAGEFILE ID: the change of one record in a page.
rec() { jq -c --arg id "$2" '.changes[] | select(.id == $id)' "$1"; }
hh_list() { h "$1" household list --json | jq -S 'sort_by(.id)'; }
central_list() {
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" household list --json | jq -S 'sort_by(.id)'
}

test_expect_success 'own records come as stubs with the newest stamp; others in full' '
	setup_town "$TRASH/c1.db" c1 s1 s2 &&
	for d in s1 s2; do
		h $d village add 阿猛村 >/dev/null &&
		h $d group add --village 阿猛村 一组 >/dev/null || return 1
	done &&
	for i in 1 2 3 4 5 6; do add_hh s1 户主$i >/dev/null || return 1; done &&
	a=$(add_hh s1 刀建华) && echo "$a" >a.id &&
	b=$(add_hh s2 白玉兰) && echo "$b" >b.id &&
	h s1 household set "$a" phone=13900000001 >/dev/null &&
	h s1 sync >/dev/null && h s2 sync >/dev/null && h s1 sync >/dev/null &&
	changes s1 >full && changes s1 "&own=stub" >stub1 && changes s2 "&own=stub" >stub2 &&
	# any other value of own is refused (issue 9 item 12), not read as full
	! changes s1 "&own=other" >other &&
	test "$(jq "[.changes[] | select(.own)] | length" full)" = 0 &&
	rec stub1 "$a" >a1 &&
	test "$(jq -c "keys" a1)" = "[\"hlc\",\"id\",\"kind\",\"own\",\"version\"]" &&
	test "$(jq -r .own a1)" = true &&
	# the stamp is the newest write of the record on s1 (the phone)
	hlc=$(sqlite3 "$TRASH/s1.db" "SELECT max(hlc) FROM outbox WHERE record_id = '\''$a'\''") &&
	test "$(jq -r .hlc a1)" = "$hlc" &&
	test "$(rec stub1 "$b" | jq -r .fields.head)" = 白玉兰 &&
	test "$(rec stub2 "$b" | jq -r .own)" = true &&
	test "$(rec stub2 "$a" | jq -r .fields.phone)" = 13900000001 &&
	# the same records, same versions, in both forms
	test "$(jq -c "[.changes[].version]" full)" = "$(jq -c "[.changes[].version]" stub1)" &&
	test "$(jq "[.changes[] | select(.own)] | length" stub1)" -ge 7 &&
	test "$(wc -c <stub1)" -lt "$(($(wc -c <full) * 3 / 5))"
'

test_expect_success 'the laptops pull with own=stub and converge exactly as before' '
	a=$(cat a.id) b=$(cat b.id) &&
	grep -q "GET /v1/changes.* own=stub" "$TRASH/c1.log" &&
	# the first pull after the first push starts at 0 and asks for stubs
	grep -q "GET /v1/changes.* after=0 .*own=stub" "$TRASH/c1.log" &&
	h s2 household set "$a" water=wet >/dev/null &&
	h s1 household set "$b" phone=13900000002 >/dev/null &&
	for i in 7 8 9; do add_hh s1 户主$i >/dev/null || return 1; done &&
	for round in 1 2; do
		for d in s1 s2; do h $d sync >/dev/null || return 1; done
	done &&
	central_list >lc && hh_list s1 >l1 && hh_list s2 >l2 &&
	test_cmp lc l1 && test_cmp lc l2 &&
	test "$(jq length lc)" = 11 &&
	for d in s1 s2; do
		test "$(h $d status --json | jq .pending)" = 0 || return 1
	done
'

test_expect_success 'a field another device won, and an office resolution, are sent in full' '
	a=$(cat a.id) &&
	h s1 household set "$a" house_no=11 >/dev/null &&
	sleep 0.01 &&
	h s2 household set "$a" house_no=22 >/dev/null &&
	h s1 sync >/dev/null && h s2 sync >/dev/null &&
	changes s1 "&own=stub" >p &&
	test "$(rec p "$a" | jq -r .own)" = null &&
	test "$(rec p "$a" | jq -r .fields.house_no)" = 22 &&
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" conflicts --json >conf &&
	cid=$(jq -r ".[] | select(.field == \"house_no\") | .id" conf) &&
	n=$(jq -r ".[] | select(.field == \"house_no\") | .values | map(.device) | index(\"s1\") + 1" conf) &&
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" resolve "$cid" --take "$n" >/dev/null &&
	changes s1 "&own=stub" >p &&
	test "$(rec p "$a" | jq -r .own)" = null &&
	test "$(rec p "$a" | jq -r .fields.house_no)" = 11 &&
	h s1 sync >/dev/null && h s2 sync >/dev/null &&
	test "$(h s1 household show "$a" --json | jq -r .house_no)" = 11 &&
	test "$(h s2 household show "$a" --json | jq -r .house_no)" = 11 &&
	central_list >lc && hh_list s1 >l1 && hh_list s2 >l2 &&
	test_cmp lc l1 && test_cmp lc l2
'

test_expect_success 'an inspection the central re-pointed to a kept duplicate is sent in full' '
	d1=$(add_hh s1 张三) && d2=$(add_hh s2 张三) &&
	h s1 sync >/dev/null && h s2 sync >/dev/null &&
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" conflicts --json >conf &&
	cid=$(jq -r ".[] | select(.kind == \"duplicate\" and .status == \"open\") | .id" conf) &&
	n=$(jq -r ".[] | select(.id == \"$cid\") | .values | map(.device) | index(\"s2\") + 1" conf) &&
	"$HUCE_SYNCD" admin --store "$TRASH/c1.db" resolve "$cid" --take "$n" >/dev/null &&
	h s1 cadre add 王 --role 验收组 >/dev/null &&
	i=$(h s1 inspect "$d1" --stage completion --inspector 王 "${ITEMS[@]}" | tail -n 1) &&
	h s1 sync >/dev/null &&
	changes s1 "&own=stub" >p &&
	test "$(rec p "$i" | jq -r .own)" = null &&
	test "$(rec p "$i" | jq -r .fields.household_id)" = "$d2" &&
	h s2 sync >/dev/null && h s1 sync >/dev/null &&
	central_list >lc && hh_list s1 >l1 && hh_list s2 >l2 &&
	test_cmp lc l1 && test_cmp lc l2
'

test_expect_success 'a laptop restored from an older copy: an edit made since comes back' '
	a=$(add_hh s1 岩温) && h s1 sync >/dev/null &&
	sqlite3 "$TRASH/s1.db" ".backup $TRASH/s1-old.db" &&
	h s1 household set "$a" phone=13900000003 >/dev/null &&
	h s1 sync >/dev/null &&
	changes s1 "&own=stub" >p && test "$(rec p "$a" | jq -r .own)" = true &&
	cp "$TRASH/s1-old.db" "$TRASH/s1.db" && rm -f "$TRASH/s1.db-wal" "$TRASH/s1.db-shm" &&
	lines=$(wc -l <"$TRASH/c1.log") &&
	h s1 sync >/dev/null &&
	tail -n +$((lines + 1)) "$TRASH/c1.log" | grep "GET /v1/changes" >gets &&
	grep -q "own=stub" gets && grep -v -q "own=stub" gets &&
	test "$(h s1 household show "$a" --json | jq -r .phone)" = 13900000003 &&
	central_list >lc && hh_list s1 >l1 && test_cmp lc l1
'

test_expect_success 'a laptop restored from an older copy: records made since come back' '
	sqlite3 "$TRASH/s2.db" ".backup $TRASH/s2-old.db" &&
	x=$(add_hh s2 新户甲) && y=$(add_hh s2 新户乙) &&
	h s2 sync >/dev/null &&
	cp "$TRASH/s2-old.db" "$TRASH/s2.db" && rm -f "$TRASH/s2.db-wal" "$TRASH/s2.db-shm" &&
	lines=$(wc -l <"$TRASH/c1.log") &&
	h s2 sync >/dev/null &&
	tail -n +$((lines + 1)) "$TRASH/c1.log" | grep "GET /v1/changes" >gets &&
	grep -q "own=stub" gets && grep -v -q "own=stub" gets &&
	h s2 household list --json | jq -r ".[].head" >heads &&
	grep -q 新户甲 heads && grep -q 新户乙 heads &&
	central_list >lc && hh_list s2 >l2 && test_cmp lc l2
'

test_done
