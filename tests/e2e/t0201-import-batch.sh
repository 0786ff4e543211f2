#!/bin/bash
# t0201-import-batch.sh - a laptop's batch file imported at the office
# (`huce-syncd admin import FILE`, DESIGN.md section 3 "sneakernet"):
# applied in one transaction with the device's high-water mark, the
# same file imported again changes nothing, a gap is refused with the
# expected seq, a bad entry is rejected while the rest lands, a bad
# batch stores nothing, Chinese text comes back byte for byte, and the
# acknowledgement file says what the laptop needs to know.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
state() {	# everything but the audit log
	sqlite3 "$C" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT * FROM history ORDER BY 1, 2, 3; SELECT name, hwm FROM device;
		SELECT * FROM meta WHERE key = 'version'"
}
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
H1=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
H3=01900000-0000-7000-8000-000000000003
HEAD='欧阳 娜·𠀀热依"引号"\反斜'
hh() {	# hh ID HEAD: the fields of a new self-built household
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"}' "$V" "$G" "$2"
}

{
	adm device add lap1 && adm device add lap2 && adm device add gone &&
	adm device revoke gone
} >/dev/null || exit 1

cat >"$TRASH/b1.txt" <<EOF
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H1 put 0 0190000000000003 $(hh "$H1" '欧阳 娜·𠀀热依\"引号\"\\反斜')
4 household $H2 put 0 0190000000000004 $(hh "$H2" 李四)
EOF

test_expect_success 'a batch file lands and the result says so' '
	$BL b1 lap1 <b1.txt &&
	adm import b1 --ack-out ack1 >res &&
	test "$(jq .applied res)" = 4 &&
	test "$(jq .acked res)" = 4 &&
	test "$(jq .skipped res)" = 0 &&
	test "$(jq ".rejected | length" res)" = 0 &&
	test "$(jq -r .device ack1)" = lap1 &&
	test "$(jq .acked ack1)" = 4 &&
	test "$(jq ".rejected | length" ack1)" = 0 &&
	test "$(adm device list --json | jq ".[] | select(.name == \"lap1\") | .hwm")" = 4
'

test_expect_success 'Chinese text round-trips byte for byte' '
	adm household list --json >list.json &&
	jq -r ".[] | select(.id == \"$H1\") | .head" list.json >got &&
	printf "%s\n" "$HEAD" >want &&
	test_cmp want got &&
	test "$(jq -r ".[0].village" list.json)" = 阿猛村 &&
	test "$(jq -r ".[0].group" list.json)" = 第一组
'

test_expect_success 'household list has the client keys, sorted by village, group, head, id' '
	jq -e ".[0] | has(\"id\") and has(\"village\") and has(\"group\") and has(\"head\")
		and has(\"approach\") and has(\"build\") and has(\"type\") and has(\"team\")
		and has(\"cadre\") and has(\"status\") and has(\"version\")" list.json >/dev/null &&
	test "$(jq -r ".[0].team" list.json)" = null &&
	jq -r ".[].head" list.json >heads &&
	sort heads | cmp - heads
'

test_expect_success 'the same file imported twice more changes nothing' '
	state >before &&
	adm household list --json >l1 &&
	adm import b1 >res2 && adm import b1 >res3 &&
	test "$(jq .applied res3)" = 0 &&
	test "$(jq .skipped res3)" = 4 &&
	test "$(jq .acked res3)" = 4 &&
	state >after && test_cmp before after &&
	adm household list --json >l3 && test_cmp l1 l3
'

test_expect_success 'a batch that overlaps the acknowledged seqs applies only the new entries' '
	$BL b2 lap1 <<-EOF &&
	4 household $H2 put 0 0190000000000004 $(hh "$H2" 李四)
	5 household $H2 put 4 0190000000000005 {"phone":"13800000000"}
	EOF
	adm import b2 >res &&
	test "$(jq .applied res)" = 1 && test "$(jq .skipped res)" = 1 &&
	test "$(jq .acked res)" = 5
'

test_expect_success 'a gap is refused with the expected seq and stores nothing' '
	state >before &&
	$BL gap lap1 <<-EOF &&
	9 household $H3 put 4 0190000000000009 $(hh "$H3" 王五)
	EOF
	expect_exit 1 adm import gap 2>err &&
	grep -q "starts at seq 9 but the central expects 6" err &&
	state >after && test_cmp before after
'

test_expect_success 'a bad entry is rejected and the rest of its batch lands' '
	$BL b3 lap1 <<-EOF &&
	6 household $H3 put 5 0190000000000010 {"head":"王五","village_id":"$V"}
	7 household $H3 put 5 0190000000000011 $(hh "$H3" 王五)
	8 household $H1 put 5 0190000000000012 {"water":"swamp"}
	9 widget $H1 put 5 0190000000000013 {}
	10 household $H1 put 5 0190000000000014 {"house_no":"12"}
	EOF
	adm import b3 --ack-out ack3 >res &&
	test "$(jq .applied res)" = 2 &&
	test "$(jq -c "[.rejected[].seq]" res)" = "[6,8,9]" &&
	test "$(jq -r ".rejected[0].error" res)" = invalid &&
	jq -r ".rejected[0].message" res | grep -q "required field" &&
	jq -r ".rejected[1].message" res | grep -q "household.water" &&
	test "$(jq -c "[.rejected[].seq]" ack3)" = "[6,8,9]" &&
	test "$(jq .acked ack3)" = 10 &&
	adm household list --json | jq -r ".[].head" | grep -q 王五 &&
	test "$(sqlite3 "$C" "SELECT value FROM field WHERE record_id = '\''$H1'\'' AND name = '\''house_no'\''")" = "\"12\"" &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM field WHERE name = '\''water'\''")" = 0
'

test_expect_success 'every applied field change is in the history with its author' '
	sqlite3 "$C" "SELECT device, seq, before, after FROM history
		WHERE record_id = '\''$H1'\'' AND field = '\''house_no'\''" >h &&
	echo "lap1|10||\"12\"" >want && test_cmp want h
'

test_expect_success 'batches that are broken as a whole store nothing (3)' '
	state >before &&
	$BL --count 1 badcount lap1 <<-EOF &&
	11 household $H1 put 5 0190000000000020 {"house_no":"13"}
	12 household $H1 put 5 0190000000000021 {"house_no":"14"}
	EOF
	expect_exit 3 adm import badcount 2>err && grep -q "header says 1" err &&
	$BL --crc 7 badcrc lap1 <<-EOF &&
	11 household $H1 put 5 0190000000000020 {"house_no":"13"}
	EOF
	expect_exit 3 adm import badcrc 2>err &&
	printf "{\"entries\":[{\"seq\":11,\"id\":\"%s\"" "$H1" >p1 &&
	$BL --payload p1 --first 11 --last 11 --count 1 notjson lap1 </dev/null &&
	expect_exit 3 adm import notjson 2>err && grep -q "not JSON" err &&
	printf "{\"entries\":[{\"seq\":11,\"id\":\"%s\",\"kind\":\"household\",\"op\":\"put\",\"base\":0,\"hlc\":\"0190000000000020\",\"fields\":{},\"extra\":1}]}" "$H1" >p2 &&
	$BL --payload p2 --first 11 --last 11 --count 1 extrakey lap1 </dev/null &&
	expect_exit 3 adm import extrakey 2>err &&
	$BL --first 11 --last 12 badorder lap1 <<-EOF &&
	12 household $H1 put 5 0190000000000020 {"house_no":"13"}
	11 household $H1 put 5 0190000000000021 {"house_no":"14"}
	EOF
	expect_exit 3 adm import badorder 2>err && grep -q "out of order" err &&
	$BL badhlc lap1 <<-EOF &&
	11 household $H1 put 5 0190000000000XYZ {"house_no":"13"}
	EOF
	expect_exit 3 adm import badhlc 2>err && grep -q hlc err &&
	$BL badop lap1 <<-EOF &&
	11 household $H1 upsert 5 0190000000000020 {"house_no":"13"}
	EOF
	expect_exit 3 adm import badop 2>err &&
	$BL badid lap1 <<-EOF &&
	11 household 1;DROP-TABLE-record put 5 0190000000000020 {"house_no":"13"}
	EOF
	expect_exit 3 adm import badid 2>err &&
	printf "\377\376" >p3 &&
	$BL --payload p3 --first 11 --last 11 --count 1 notutf8 lap1 </dev/null &&
	expect_exit 3 adm import notutf8 2>err &&
	state >after && test_cmp before after
'

test_expect_success 'a batch of an unknown or revoked device is refused' '
	state >before &&
	$BL stranger nobody <<-EOF &&
	1 household $H1 put 5 0190000000000020 {"house_no":"13"}
	EOF
	expect_exit 4 adm import stranger 2>err && grep -q "not enrolled" err &&
	$BL revoked gone <<-EOF &&
	1 household $H1 put 5 0190000000000020 {"house_no":"13"}
	EOF
	expect_exit 1 adm import revoked 2>err && grep -q revoked err &&
	state >after && test_cmp before after
'

test_expect_success 'an empty batch is acknowledged and changes nothing' '
	state >before &&
	$BL empty lap2 </dev/null &&
	adm import empty >res &&
	test "$(jq .acked res)" = 0 && test "$(jq .applied res)" = 0 &&
	state >after && test_cmp before after
'

test_expect_success 'import of a missing file is 4, --ack-out on a CSV is a usage error' '
	expect_exit 4 adm import nosuchfile 2>err &&
	printf "村委会\n" >x.csv &&
	expect_exit 2 adm import x.csv --ack-out a 2>err
'

test_expect_success 'imports are in the audit log without personal data' '
	sqlite3 "$C" "SELECT detail FROM audit WHERE action = '\''import batch'\''" >audit &&
	grep -q "device lap1 seqs 1..4: applied 4" audit &&
	! grep -q 欧阳 audit && ! sqlite3 "$C" "SELECT * FROM audit" | grep -q 李四
'

test_done
