#!/bin/bash
# t0701-pg-merge.sh - the merge's contract on the PostgreSQL store, through
# `huce-syncd admin --store postgres://...` and two centrals (the
# PostgreSQL twin of t0201-t0203): a batch file lands in one transaction
# with the device's high-water mark, and importing it again, or POSTing it
# to two centrals at the same moment, changes nothing; a gap is refused
# and stores nothing; a bad entry is rejected alone; Chinese text comes
# back byte for byte; field conflicts and duplicates come out the same in
# both orders of arrival (two databases of one server); the office's
# resolution merges a duplicate; history and audit are kept; and a store
# that cannot be reached is a clear error that never shows the password.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
adb() { db=$1; shift; "$HUCE_SYNCD" admin --store "$db" "$@"; }
nover() { jq -S "map(del(.version))"; }
fld() {	# fld RECORD FIELD [DB]: the stored JSON text
	pgq ${3:+"$3"} "SELECT value FROM field WHERE record_id = '$1' AND name = '$2'"
}
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
H1=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
H3=01900000-0000-7000-8000-000000000003
I2=01900000-0000-7000-8000-0000000000c2
HEAD='欧阳 娜·𠀀热依"引号"\反斜'
hh() {	# hh HEAD [EXTRA-JSON-MEMBERS]: the fields of a new self-built household
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"%s}' \
		"$V" "$G" "$1" "${2:+,$2}"
}

{
	adm device add lap1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add lap2 && adm device add gone && adm device revoke gone
} >/dev/null || exit 1

cat >"$TRASH/b1.txt" <<EOF
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H1 put 0 0190000000000003 $(hh '欧阳 娜·𠀀热依\"引号\"\\反斜')
4 household $H2 put 0 0190000000000004 $(hh 李四)
EOF

test_expect_success 'a batch file lands and the result says so' '
	$BL b1 lap1 <b1.txt &&
	adm import b1 --ack-out ack1 >res &&
	test "$(jq .applied res)" = 4 && test "$(jq .acked res)" = 4 &&
	test "$(jq .version res)" = 4 &&
	test "$(jq .acked ack1)" = 4 &&
	test "$(adm device list --json | jq ".[] | select(.name == \"lap1\") | .hwm")" = 4 &&
	test "$(pgq "SELECT version FROM counter")" = 4
'

test_expect_success 'Chinese text round-trips byte for byte' '
	adm household list --json >list.json &&
	jq -r ".[] | select(.id == \"$H1\") | .head" list.json >got &&
	printf "%s\n" "$HEAD" >want &&
	test_cmp want got &&
	test "$(jq -r ".[0].village" list.json)" = 阿猛村 &&
	test "$(fld $V name)" = "\"阿猛村\""
'

test_expect_success 'the same file imported twice more changes nothing' '
	pg_state >before &&
	adm import b1 >res2 && adm import b1 >res3 &&
	test "$(jq .applied res3)" = 0 && test "$(jq .skipped res3)" = 4 &&
	pg_state >after && test_cmp before after
'

test_expect_success 'one batch POSTed to two centrals at the same moment lands once' '
	start_central c1 "$PG" --rate 0 && start_central c2 "$PG" --rate 0 &&
	for i in $(seq 5 24); do
		echo "$i household 01900000-0000-7000-8000-0000000001$(printf %02d $i) put 4 $(printf %016x $((0x0190000000000100 + i))) $(hh "户主$i")" || return 1
	done >b2.txt &&
	$BL b2 lap1 <b2.txt &&
	tok=$(cat "$TRASH/tok1") &&
	post() { curl -s -o "$2" -w "%{http_code}" -H "Authorization: Bearer $tok" \
		-H "Content-Type: application/x-huce-batch" --data-binary @b2 "$1/v1/batches"; } &&
	{ post "$c1_URL" r1 >code1 & p1=$!; } &&
	{ post "$c2_URL" r2 >code2 & p2=$!; } &&
	{ post "$c1_URL" r3 >code3 & p3=$!; } &&
	wait $p1 && wait $p2 && wait $p3 &&
	test "$(cat code1 code2 code3)" = 200200200 &&
	test "$(jq -s "map(.applied) | add" r1 r2 r3)" = 20 &&
	test "$(jq -s "map(.skipped) | add" r1 r2 r3)" = 40 &&
	test "$(jq -s "map(.acked) | unique" r1 r2 r3 | jq -c .)" = "[24]" &&
	test "$(adm household list --json | jq length)" = 22 &&
	test "$(pgq "SELECT version FROM counter")" = 24 &&
	stop_central c1 && stop_central c2
'

test_expect_success 'a gap is refused with the expected seq and stores nothing' '
	pg_state >before &&
	$BL gap lap1 <<-EOF &&
	29 household $H3 put 4 0190000000000209 $(hh 王五)
	EOF
	expect_exit 1 adm import gap 2>err &&
	grep -q "starts at seq 29 but the central expects 25" err &&
	pg_state >after && test_cmp before after
'

test_expect_success 'a bad entry is rejected and the rest of its batch lands' '
	$BL b3 lap1 <<-EOF &&
	25 household $H3 put 24 0190000000000210 {"head":"王五","village_id":"$V"}
	26 household $H3 put 24 0190000000000211 $(hh 王五)
	27 household $H1 put 24 0190000000000212 {"water":"swamp"}
	28 household $H1 put 24 0190000000000213 {"house_no":"12"}
	EOF
	adm import b3 --ack-out ack3 >res &&
	test "$(jq .applied res)" = 2 &&
	test "$(jq -c "[.rejected[].seq]" res)" = "[25,27]" &&
	jq -r ".rejected[1].message" res | grep -q "household.water" &&
	test "$(jq .acked ack3)" = 28 &&
	test "$(fld $H1 house_no)" = "\"12\"" &&
	test "$(pgq "SELECT count(*) FROM field WHERE name = '\''water'\''")" = 0 &&
	test "$(pgq "SELECT device, seq, before, after FROM history WHERE record_id = '\''$H1'\'' AND field = '\''house_no'\''")" = "lap1|28||\"12\""
'

test_expect_success 'a batch of an unknown or revoked device is refused and stores nothing' '
	pg_state >before &&
	$BL stranger nobody <<-EOF &&
	1 household $H1 put 5 0190000000000220 {"house_no":"13"}
	EOF
	expect_exit 4 adm import stranger 2>err && grep -q "not enrolled" err &&
	$BL revoked gone <<-EOF &&
	1 household $H1 put 5 0190000000000220 {"house_no":"13"}
	EOF
	expect_exit 1 adm import revoked 2>err && grep -q revoked err &&
	pg_state >after && test_cmp before after
'

test_expect_success 'history and audit are append-only' '
	! pgq "DELETE FROM history" 2>err && grep -q "append-only" err &&
	! pgq "UPDATE audit SET actor = '\''x'\''" 2>err && grep -q "append-only" err &&
	pgq "SELECT detail FROM audit WHERE action = '\''import batch'\''" >audit &&
	grep -q "device lap1 seqs 1..4: applied 4" audit && ! grep -q 欧阳 audit
'

# Field conflicts and duplicates, both orders of arrival, one database each.
A=$(pg_createdb huce_a) && B=$(pg_createdb huce_b) || exit 1
for db in "$A" "$B"; do
	{ adb "$db" device add lap1 && adb "$db" device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H1 put 0 0190000000000003 $(hh 赵六 '"house_no":"1"')
EOF
$BL "$TRASH/base2" lap2 <<EOF || exit 1
1 cadre $(python3 "$HUCE_SRCDIR/tests/tools/mkbatch.py" named cadre 乙) put 0 0190000000000005 {"name":"乙","role":"inspector"}
EOF
$BL "$TRASH/l1" lap1 <<EOF || exit 1
4 household $H1 put 3 0190000000000200 {"phone":"13900000222","water":"wet"}
5 household $H1 put 3 0190000000000201 {"phone":"13900000444","house_no":"2"}
6 household $H2 put 3 0190000000000202 $(hh 张三)
EOF
$BL "$TRASH/l2" lap2 <<EOF || exit 1
2 household $H1 put 3 0190000000000100 {"phone":"13900000111","water":"wet","gps":"25.1,99.2"}
3 household $H1 put 3 0190000000000101 {"house_no":"3"}
4 household $H3 put 3 0190000000000102 $(hh '张 三' '"phone":"13900000000"')
5 inspection $I2 put 3 0190000000000103 {"household_id":"$H3","stage":"excavation","date":"2026-01-05","week":"2026-W02","inspectors":"乙","items":{"tank_volume":2},"result":"pass"}
EOF

test_expect_success 'both orders of arrival give the same households, fields and conflicts' '
	adb "$A" import base >/dev/null && adb "$B" import base >/dev/null &&
	adb "$A" import base2 >/dev/null && adb "$B" import base2 >/dev/null &&
	adb "$A" import l1 >/dev/null && adb "$A" import l2 >/dev/null &&
	adb "$B" import l2 >/dev/null && adb "$B" import l1 >/dev/null &&
	adb "$A" household list --json | nover >a.json &&
	adb "$B" household list --json | nover >b.json &&
	test_cmp a.json b.json &&
	adb "$A" conflicts --json >ca.json && adb "$B" conflicts --json >cb.json &&
	test_cmp ca.json cb.json &&
	pgq "$A" "SELECT record_id, name, value FROM field ORDER BY 1, 2" >fa &&
	pgq "$B" "SELECT record_id, name, value FROM field ORDER BY 1, 2" >fb &&
	test_cmp fa fb
'

test_expect_success 'one conflict per field, one value per device, the highest HLC wins' '
	test "$(jq -c "[.[] | [.kind, .field]] | sort" ca.json)" = \
		"[[\"duplicate\",null],[\"field\",\"house_no\"],[\"field\",\"phone\"]]" &&
	test "$(jq -c ".[] | select(.field == \"phone\") | [.values[] | [.value, .device, .hlc]]" ca.json)" = \
		"[[\"13900000111\",\"lap2\",\"0190000000000100\"],[\"13900000444\",\"lap1\",\"0190000000000201\"]]" &&
	test "$(fld $H1 phone "$A")" = "\"13900000444\"" &&
	test "$(fld $H1 house_no "$A")" = "\"2\"" &&
	test "$(fld $H1 gps "$A")" = "\"25.1,99.2\"" &&
	test "$(jq -c "[.[] | select(.kind == \"duplicate\") | .values[].value] | sort" ca.json)" = "[\"$H2\",\"$H3\"]"
'

test_expect_success 'resolve --take writes the value as a new change by the office' '
	id=$(jq -r ".[] | select(.field == \"phone\") | .id" ca.json) &&
	v0=$(pgq "$A" "SELECT version FROM counter") &&
	adb "$A" resolve "$id" --take 1 >out && grep -q resolved out &&
	test "$(pgq "$A" "SELECT value, device FROM field WHERE record_id = '\''$H1'\'' AND name = '\''phone'\''")" = "\"13900000111\"|office" &&
	test "$(pgq "$A" "SELECT version FROM counter")" -gt "$v0" &&
	test "$(pgq "$A" "SELECT hlc FROM history WHERE device = '\''office'\'' AND field = '\''phone'\''")" \> 0190000000000201 &&
	expect_exit 3 adb "$A" resolve "$id" --take 1 2>err && grep -q "already resolved" err &&
	expect_exit 4 adb "$A" resolve 01900000-0000-7000-8000-00000000ffff --take 1 2>err
'

test_expect_success 'resolve --take on a duplicate keeps one id; the inspection follows it' '
	id=$(jq -r ".[] | select(.kind == \"duplicate\") | .id" ca.json) &&
	n=$(jq -r ".[] | select(.id == \"$id\") | [.values[].value] | index(\"$H2\") + 1" ca.json) &&
	adb "$A" resolve "$id" --take "$n" >out &&
	grep -q "kept $H2" out &&
	adb "$A" household list --json >list.json &&
	! grep -q "$H3" list.json && grep -q "$H2" list.json &&
	test "$(fld $H3 merged_into "$A")" = "\"$H2\"" &&
	test "$(pgq "$A" "SELECT deleted FROM record WHERE id = '\''$H3'\''")" = t &&
	test "$(fld $I2 household_id "$A")" = "\"$H2\"" &&
	test "$(fld $H2 phone "$A")" = "\"13900000000\"" &&
	test "$(adb "$A" conflicts --json | jq length)" = 1 &&
	test "$(pgq "$A" "SELECT count(*) FROM audit WHERE action = '\''resolve'\''")" = 2
'

test_expect_success 'an unreachable store is a clear error that hides the password' '
	port=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	expect_exit 1 "$HUCE_SYNCD" admin --store "postgres://huce:s3cret@127.0.0.1:$port/huce" device list 2>err &&
	grep -q "cannot connect to PostgreSQL at huce@127.0.0.1:$port/huce" err &&
	! grep -q s3cret err &&
	expect_exit 2 "$HUCE_SYNCD" admin --store "postgres://huce:s3cret@127.0.0.1:$port/huce?bogus=1" device list 2>err &&
	! grep -q s3cret err
'

test_done
