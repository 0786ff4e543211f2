#!/bin/bash
# t0002-named.sh - the named things: villages, groups, cadres, teams and
# weekly targets.  Created ids are the last line of stdout; names
# (Chinese, 4-byte characters, SQL metacharacters) round-trip byte for
# byte through add -> list --json; names are unique within their parent
# and name-derived ids are the same on every laptop.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
snap() { dump_db "$DB" >"$TRASH/before.dump"; }
unchanged() { dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump"; }
pending() { h status --json | jq -r .pending; }

h init --device d1 --town 阿猛镇 >/dev/null || exit 1

test_expect_success 'village add prints the id last; list --json shows it' '
	h village add 阿猛村 >out &&
	id=$(tail -n 1 out) &&
	echo "$id" | grep -Eq "$UUID_RE" &&
	test "$(cut -c15 <<<"$id")" = 8 &&
	h village list --json >l.json &&
	test "$(jq length l.json)" = 1 &&
	test "$(jq -r ".[0].id" l.json)" = "$id" &&
	test "$(jq -r ".[0].name" l.json)" = 阿猛村 &&
	test "$(jq -r ".[0].town" l.json)" = 阿猛镇 &&
	test "$(jq -r ".[0].households" l.json)" = 0 &&
	test "$(jq -r ".[0].version" l.json)" = 0 &&
	h village list >l.txt && grep -q "阿猛村" l.txt
'

# Names that must come back byte for byte.
NAMES=(
	"阿猛村"
	"𠀀𠀁村"				# 4-byte CJK extension B
	"Zoë Ngô"			# Latin with diacritics
	"第一　组"			# full-width space inside
	"'; DROP TABLE household; --"
	"\"quoted\" \\ back\\slash"
	"%s%n%x{}[]"
	"彝族·阿依"			# middle dot
)

test_expect_success 'names round-trip byte-exactly through add -> list --json' '
	for n in "${NAMES[@]:1}"; do
		h village add "$n" >out || { echo "cannot add $n"; exit 1; }
		id=$(tail -n 1 out) &&
		jq -r --arg id "$id" ".[] | select(.id == \$id) | .name" <(h village list --json) >got &&
		printf "%s\n" "$n" >want &&
		cmp want got || { echo "name $n did not round-trip"; exit 1; }
	done &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM household")" = 0 &&
	test "$(h village list --json | jq length)" = "${#NAMES[@]}"
'

test_expect_success 'a village name is unique: adding it again is refused, nothing written' '
	snap &&
	expect_exit 3 h village add 阿猛村 2>err &&
	grep -q "already exists" err &&
	unchanged
'

test_expect_success 'the same village added on another laptop gets the same id' '
	"$HUCE" --db "$TRASH/d2.db" init --device d2 >/dev/null &&
	a=$(h village list --json | jq -r ".[] | select(.name == \"阿猛村\") | .id") &&
	b=$(last_line "$HUCE" --db "$TRASH/d2.db" village add 阿猛村) &&
	test "$a" = "$b" &&
	c=$(last_line "$HUCE" --db "$TRASH/d2.db" village add 阿猛村二) &&
	test "$a" != "$c"
'

test_expect_success 'each add queues exactly one outbox entry' '
	p0=$(pending) &&
	h village add 新村 >/dev/null &&
	test "$(pending)" = $((p0 + 1)) &&
	row=$(sqlite3 -separator "|" "$DB" "SELECT kind, op, state FROM outbox ORDER BY seq DESC LIMIT 1") &&
	test "$row" = "village|put|pending"
'

test_expect_success 'group add: inside a village; same name in two villages are two groups' '
	g1=$(last_line h group add --village 阿猛村 第一组) &&
	g2=$(last_line h group add --village 新村 第一组) &&
	echo "$g1" | grep -Eq "$UUID_RE" &&
	test "$g1" != "$g2" &&
	h group list --json >g.json &&
	test "$(jq length g.json)" = 2 &&
	test "$(jq -r --arg id "$g1" ".[] | select(.id == \$id) | .village" g.json)" = 阿猛村 &&
	test "$(jq -r --arg id "$g2" ".[] | select(.id == \$id) | .village" g.json)" = 新村 &&
	test "$(h group list --village 新村 --json | jq -r ".[].id")" = "$g2" &&
	vid=$(h village list --json | jq -r ".[] | select(.name == \"阿猛村\") | .id") &&
	test "$(h group list --village "$vid" --json | jq -r ".[].id")" = "$g1"
'

test_expect_success 'group errors: no village (2), unknown village (4), duplicate (3)' '
	snap &&
	expect_exit 2 h group add 第二组 &&
	expect_exit 4 h group add --village 不存在村 第二组 2>err &&
	grep -q 不存在村 err &&
	expect_exit 3 h group add --village 阿猛村 第一组 &&
	expect_exit 2 h group add --village 阿猛村 &&
	expect_exit 2 h group add --village 阿猛村 a b &&
	expect_exit 3 h group add --village 阿猛村 "" &&
	expect_exit 4 h group list --village 不存在村 &&
	unchanged
'

test_expect_success 'cadre add: Chinese role names and codes; list --json' '
	c1=$(last_line h cadre add 李四 --role 挂包干部 --phone 13800000000) &&
	c2=$(last_line h cadre add 王五 --role technician) &&
	echo "$c1" | grep -Eq "$UUID_RE" &&
	h cadre list --json >c.json &&
	test "$(jq -r --arg id "$c1" ".[] | select(.id == \$id) | .role" c.json)" = liaison &&
	test "$(jq -r --arg id "$c2" ".[] | select(.id == \$id) | .role" c.json)" = technician &&
	test "$(jq -r --arg id "$c1" ".[] | select(.id == \$id) | .name" c.json)" = 李四 &&
	for r in 包村领导 技术指导员 验收组 录入组 镇办 village-lead inspector data-entry office; do
		h cadre add "干部$r" --role "$r" >/dev/null || { echo "role $r refused"; exit 1; }
	done
'

test_expect_success 'cadre errors: bad role (3, named), no role (2), duplicate (3)' '
	snap &&
	expect_exit 3 h cadre add 赵六 --role boss 2>err &&
	grep -q boss err && grep -q liaison err &&
	expect_exit 2 h cadre add 赵六 &&
	expect_exit 3 h cadre add 李四 --role liaison &&
	expect_exit 3 h cadre add 赵六 --role liaison --phone "" &&
	unchanged
'

test_expect_success 'team add and list: gate closed until a first toilet is accepted' '
	t=$(last_line h team add 第一施工队 --leader 王师傅) &&
	echo "$t" | grep -Eq "$UUID_RE" &&
	h team list --json >t.json &&
	test "$(jq -r ".[0].id" t.json)" = "$t" &&
	test "$(jq -r ".[0].name" t.json)" = 第一施工队 &&
	test "$(jq -r ".[0].leader" t.json)" = 王师傅 &&
	test "$(jq -r ".[0].households" t.json)" = 0 &&
	test "$(jq -r ".[0].gate" t.json)" = closed &&
	snap &&
	expect_exit 3 h team add 第一施工队 &&
	unchanged
'

test_expect_success 'target set: id last, list shows it, setting again updates in place' '
	t1=$(last_line h target set --village 阿猛村 --week 2026-W48 5) &&
	echo "$t1" | grep -Eq "$UUID_RE" &&
	h target list --json >tg.json &&
	test "$(jq -r ".[0].n" tg.json)" = 5 &&
	test "$(jq -r ".[0].week" tg.json)" = 2026-W48 &&
	test "$(jq -r ".[0].village" tg.json)" = 阿猛村 &&
	t2=$(last_line h target set --village 阿猛村 --week 2026-W48 7) &&
	test "$t1" = "$t2" &&
	test "$(h target list --json | jq length)" = 1 &&
	test "$(h target list --json | jq -r ".[0].n")" = 7 &&
	test "$(h report week --week 2026-W48 --json | jq -r ".villages[] | select(.village == \"阿猛村\") | .target")" = 7
'

test_expect_success 'target errors: bad number (3), bad week (3), unknown village (4), usage (2)' '
	snap &&
	expect_exit 3 h target set --village 阿猛村 --week 2026-W48 abc &&
	expect_exit 3 h target set --village 阿猛村 --week 2026-W48 1.5 &&
	expect_exit 3 h target set --village 阿猛村 --week 2026-W48 -- -1 &&
	expect_exit 3 h target set --village 阿猛村 --week 2026-W48 99999999999999999999 &&
	expect_exit 3 h target set --village 阿猛村 --week 2021-W53 1 &&
	expect_exit 3 h target set --village 阿猛村 --week 2026-48 1 &&
	expect_exit 4 h target set --village 不存在村 --week 2026-W48 1 &&
	expect_exit 2 h target set --village 阿猛村 2 &&
	expect_exit 2 h target set --village 阿猛村 --week 2026-W48 &&
	expect_exit 2 h target frobnicate &&
	unchanged
'

test_expect_success 'listings all take --json and give JSON arrays' '
	for l in "village list" "group list" "cadre list" "team list" "target list" \
		"household list" "rectify list" "conflicts"; do
		h $l --json | jq -e "type == \"array\"" >/dev/null || { echo "$l"; exit 1; }
	done
'

test_done
