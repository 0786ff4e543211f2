#!/bin/bash
# t0205-conflict-delete.sh - a delete and an edit that did not see each
# other (either order of arrival) are a "delete" conflict: the record
# stays alive, with the edit applied, until the office takes "delete" or
# "keep".  A delete made after seeing every edit is no conflict.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

BL="python3 $HUCE_SRCDIR/tests/tools/batchlines.py"
adm() { store=$1; shift; "$HUCE_SYNCD" admin --store "$TRASH/$store.db" "$@"; }
nover() { jq -S "map(del(.version))"; }
deleted() { sqlite3 "$TRASH/$1.db" "SELECT deleted FROM record WHERE id = '$2'"; }
V=01900000-0000-7000-8000-0000000000a1
G=01900000-0000-7000-8000-0000000000b1
H=01900000-0000-7000-8000-000000000001
H2=01900000-0000-7000-8000-000000000002
hh() {
	printf '{"village_id":"%s","group_id":"%s","head":"%s","approach":"new-build","build":"self","type":"three-grid"}' "$V" "$G" "$1"
}

for s in a b c; do
	{ adm $s device add lap1 && adm $s device add lap2; } >/dev/null || exit 1
done
$BL "$TRASH/base" lap1 <<EOF || exit 1
1 village $V put 0 0190000000000001 {"name":"阿猛村"}
2 group $G put 0 0190000000000002 {"village_id":"$V","name":"第一组"}
3 household $H put 0 0190000000000003 $(hh 张三)
4 household $H2 put 0 0190000000000004 $(hh 李四)
EOF
$BL "$TRASH/del" lap1 <<EOF || exit 1
5 household $H delete 4 0190000000000105 {}
EOF
$BL "$TRASH/edit" lap2 <<EOF || exit 1
1 household $H put 4 0190000000000201 {"phone":"13700000000"}
EOF

test_expect_success 'delete then edit, and edit then delete, give the same state' '
	for s in a b c; do adm $s import base >/dev/null || return 1; done &&
	adm a import del >/dev/null && adm a import edit >/dev/null &&
	adm b import edit >/dev/null && adm b import del >/dev/null &&
	adm a household list --json | nover >a.json &&
	adm b household list --json | nover >b.json &&
	test_cmp a.json b.json &&
	adm a conflicts --json >ca.json && adm b conflicts --json >cb.json &&
	test_cmp ca.json cb.json
'

test_expect_success 'the record stays alive with the edit while the conflict is open' '
	grep -q "$H" a.json &&
	test "$(deleted a $H)" = 0 && test "$(deleted b $H)" = 0 &&
	test "$(sqlite3 "$TRASH/a.db" "SELECT value FROM field WHERE record_id = '\''$H'\'' AND name = '\''phone'\''")" = "\"13700000000\"" &&
	test "$(jq length ca.json)" = 1 &&
	test "$(jq -r ".[0].kind" ca.json)" = delete &&
	test "$(jq -r ".[0].record" ca.json)" = "$H" &&
	test "$(jq -c "[.[0].values[] | [.value, .device]]" ca.json)" = "[[\"delete\",\"lap1\"],[\"keep\",\"lap2\"]]"
'

test_expect_success 'taking "delete" deletes it' '
	id=$(jq -r ".[0].id" ca.json) &&
	adm a resolve "$id" --take 1 >out &&
	test "$(deleted a $H)" = 1 &&
	! adm a household list --json | grep -q "$H\"" &&
	test "$(adm a conflicts --json | jq length)" = 0
'

test_expect_success 'taking "keep" keeps it' '
	id=$(jq -r ".[0].id" cb.json) &&
	expect_exit 3 adm b resolve "$id" --value perhaps 2>err &&
	grep -q "delete or keep" err &&
	adm b resolve "$id" --value keep >out &&
	test "$(deleted b $H)" = 0 &&
	test "$(adm b conflicts --all --json | jq -r ".[0].resolution")" = keep
'

test_expect_success 'a delete that saw every edit is no conflict' '
	head=$(sqlite3 "$TRASH/c.db" "SELECT value FROM meta WHERE key = '\''version'\''") &&
	$BL del2 lap1 <<-EOF &&
	5 household $H2 delete $head 0190000000000106 {}
	EOF
	adm c import del2 >/dev/null &&
	test "$(deleted c $H2)" = 1 &&
	test "$(adm c conflicts --json | jq length)" = 0 &&
	sqlite3 "$TRASH/c.db" "SELECT field, before, after, device FROM history WHERE record_id = '\''$H2'\'' AND field = '\''deleted'\''" >h &&
	echo "deleted|false|true|lap1" >want && test_cmp want h
'

test_expect_success 'deleting a record that never existed is rejected, deleting twice is harmless' '
	$BL del3 lap1 <<-EOF &&
	6 household 01900000-0000-7000-8000-00000000ffff delete 9 0190000000000107 {}
	7 household $H2 delete 9 0190000000000108 {}
	EOF
	adm c import del3 >res &&
	test "$(jq -c "[.rejected[] | [.seq, .error]]" res)" = "[[6,\"notfound\"]]" &&
	test "$(jq .applied res)" = 1
'

test_done
