#!/bin/bash
# t0202-conflict-field.sh - field-level merge (DESIGN.md section 4,
# docs/MERGE.md): fields changed since a device's base by another device
# are concurrent; equal values merge silently, different ones become a
# "field" conflict with a provisional winner (highest HLC, then device)
# and every value kept.  The two devices' batches imported in either
# order give the same households and the same conflicts.  The office's
# resolution (--take N or --value V) is a new change with a new version.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
adm() { store=$1; shift; "$HUCE_SYNCD" admin --store "$TRASH/$store.db" "$@"; }
nover() { jq -S "map(del(.version))"; }
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
H=01900000-0000-7000-8000-000000000001
CF_PHONE=

for s in a b; do
	{ adm $s device add lap1 && adm $s device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H put 0 0190000000000003 {"village_id":"$V","group_id":"$G","head":"张三","approach":"new-build","build":"self","type":"three-grid","house_no":"1"}
EOF
# Both laptops pulled version 3, then edited offline.  lap1's clock is later.
$BL "$TRASH/l1" lap1 <<EOF || exit 1
4 household $H put 3 0190000000000200 {"phone":"13900000222","water":"wet"}
5 household $H put 3 0190000000000201 {"phone":"13900000444","house_no":"2"}
EOF
$BL "$TRASH/l2" lap2 <<EOF || exit 1
1 household $H put 3 0190000000000100 {"phone":"13900000111","water":"wet","gps":"25.1,99.2"}
2 household $H put 3 0190000000000101 {"house_no":"3"}
EOF

test_expect_success 'both orders of arrival give the same state' '
	adm a import base >/dev/null && adm b import base >/dev/null &&
	adm a import l1 >/dev/null && adm a import l2 >/dev/null &&
	adm b import l2 >/dev/null && adm b import l1 >/dev/null &&
	adm a household list --json | nover >a.json &&
	adm b household list --json | nover >b.json &&
	test_cmp a.json b.json &&
	adm a conflicts --json >ca.json && adm b conflicts --json >cb.json &&
	test_cmp ca.json cb.json &&
	sqlite3 "$TRASH/a.db" "SELECT record_id, name, value FROM field ORDER BY 1, 2" >fa &&
	sqlite3 "$TRASH/b.db" "SELECT record_id, name, value FROM field ORDER BY 1, 2" >fb &&
	test_cmp fa fb
'

test_expect_success 'different concurrent values are one conflict per field, one value per device' '
	test "$(jq length ca.json)" = 2 &&
	jq -e ".[] | select(.field == \"phone\") | .kind == \"field\" and .record == \"$H\"
		and .status == \"open\"" ca.json >/dev/null &&
	test "$(jq -c ".[] | select(.field == \"phone\") | [.values[] | [.value, .device, .hlc]]" ca.json)" = \
		"[[\"13900000111\",\"lap2\",\"0190000000000100\"],[\"13900000444\",\"lap1\",\"0190000000000201\"]]" &&
	test "$(jq -c ".[] | select(.field == \"house_no\") | [.values[].value]" ca.json)" = "[\"3\",\"2\"]"
'

test_expect_success 'the provisional winner is the highest HLC; the same device overwrites itself' '
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''phone'\''")" = "\"13900000444\"" &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''house_no'\''")" = "\"2\""
'

test_expect_success 'equal concurrent values and untouched fields merge silently' '
	! jq -e ".[] | select(.field == \"water\" or .field == \"gps\")" ca.json >/dev/null &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''gps'\''")" = "\"25.1,99.2\""
'

test_expect_success 'the conflict id is derived from record and field' '
	jq -r ".[] | select(.field == \"phone\") | .id" ca.json >id &&
	test "$(jq -r ".[] | select(.field == \"phone\") | .id" cb.json)" = "$(cat id)"
'

test_expect_success 'resolve --take N writes that value as a new change by the office' '
	id=$(cat id) &&
	v0=$(adm a household list --json | jq ".[0].version") &&
	adm a resolve "$id" --take 1 >out &&
	grep -q "resolved" out &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value, device FROM field WHERE record_id = '\''$H'\'' AND name = '\''phone'\''")" = "\"13900000111\"|office" &&
	v1=$(adm a household list --json | jq ".[0].version") &&
	test "$v1" -gt "$v0" &&
	adm a conflicts --all --json >all.json &&
	test "$(jq -r ".[] | select(.id == \"$id\") | .status" all.json)" = resolved &&
	test "$(jq length all.json)" = 2 &&
	test "$(adm a conflicts --json | jq length)" = 1 &&
	sqlite3 "$TRASH/a.db" "SELECT action FROM audit" | grep -q "^resolve$"
'

test_expect_success 'a resolved conflict cannot be resolved again; bad choices are refused' '
	id=$(cat id) &&
	expect_exit 3 adm a resolve "$id" --take 1 2>err && grep -q "already resolved" err &&
	hid=$(adm a conflicts --json | jq -r ".[0].id") &&
	expect_exit 3 adm a resolve "$hid" --take 3 2>err &&
	expect_exit 4 adm a resolve 01900000-0000-7000-8000-00000000ffff --take 1 2>err &&
	expect_exit 3 adm a resolve nonsense --take 1 2>err &&
	expect_exit 2 adm a resolve "$hid" 2>err &&
	expect_exit 2 adm a resolve "$hid" --take 1 --value x 2>err &&
	expect_exit 2 adm a resolve "$hid" --take zero 2>err &&
	expect_exit 3 adm a resolve "$hid" --value "$(printf "%070d" 7)" 2>err && grep -q "too long" err
'

test_expect_success 'resolve --value V takes a value typed by the office' '
	hid=$(adm a conflicts --json | jq -r ".[0].id") &&
	adm a resolve "$hid" --value "门牌 8号" &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''house_no'\''")" = "\"门牌 8号\"" &&
	test "$(adm a conflicts --json | jq length)" = 0
'

test_expect_success 'resolutions are in the history, above every HLC seen' '
	sqlite3 "$TRASH/a.db" "SELECT hlc FROM history WHERE device = '\''office'\'' AND field = '\''phone'\''" >hlc &&
	test "$(cat hlc)" \> 0190000000000201
'

test_expect_success 'a later concurrent edit reopens the same conflict; the office value leads' '
	$BL l2b lap2 <<-EOF &&
	3 household $H put 5 0190000000000300 {"phone":"13900000555"}
	EOF
	adm a import l2b >/dev/null &&
	adm a conflicts --json >c.json &&
	test "$(jq -r ".[0].id" c.json)" = "$(cat id)" &&
	test "$(jq -r ".[0].status" c.json)" = open &&
	test "$(jq -c "[.[0].values[] | [.value, .device]]" c.json)" = "[[\"13900000555\",\"lap2\"],[\"13900000111\",\"office\"]]" &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''phone'\''")" = "\"13900000111\""
'

test_expect_success 'an edit made after seeing the change is no conflict' '
	head=$(sqlite3 "$TRASH/b.db" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	$BL l1c lap1 <<-EOF &&
	6 household $H put $head 0190000000000400 {"gps":"25.2,99.3"}
	EOF
	adm b import l1c >/dev/null &&
	! adm b conflicts --json | jq -e ".[] | select(.field == \"gps\")" >/dev/null &&
	test "$(sqlite3 "$TRASH/b.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''gps'\''")" = "\"25.2,99.3\""
'

test_done
