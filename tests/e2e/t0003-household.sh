#!/bin/bash
# t0003-household.sh - households: add (with codes and Chinese labels),
# list --json and its contract keys, show, set for every key, assign,
# delete; ID numbers kept only masked (the full number nowhere in the
# database file); outbox entries carry only what changed.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
snap() { dump_db "$DB" >"$TRASH/before.dump"; }
unchanged() { dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump"; }
pending() { h status --json | jq -r .pending; }
# One household of `household list --json` by id.
hh() { h household list --json | jq -r --arg id "$1" ".[] | select(.id == \$id) | .$2"; }

# GB 11643: 17 digits plus the check character.
idnum() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) sum=0 i map=10X98765432
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${map:sum%11:1}"
}
ID1=$(idnum 53262519800101123)		# 532625198001011230
ID2=$(idnum 11010519491231002)		# 11010519491231002X

{
	h init --device d1 --town 阿猛镇 &&
	h village add 阿猛村 && h village add 新寨村 &&
	h group add --village 阿猛村 第一组 && h group add --village 阿猛村 第二组 &&
	h group add --village 新寨村 第一组 &&
	h cadre add 李四 --role liaison && h cadre add 王五 --role liaison &&
	h team add 第一施工队 && h team add 第二施工队
} >/dev/null || exit 1

test_expect_success 'household add: id last; list --json has every contract key' '
	h household add --village 阿猛村 --group 第一组 --head 张三 \
		--approach new-build --build contracted --team 第一施工队 \
		--type three-grid --cadre 李四 --planned-week 2026-W48 \
		--phone 13900000000 --house-no 12 --water wet >out &&
	id=$(tail -n 1 out) &&
	echo "$id" | grep -Eq "$UUID_RE" &&
	test "$(cut -c15 <<<"$id")" = 7 &&
	echo "$id" >hh1 &&
	h household list --json >l.json &&
	for k in id village group head approach build type team cadre status version; do
		jq -e --arg k "$k" ".[0] | has(\$k)" l.json >/dev/null || { echo "key $k missing"; exit 1; }
	done &&
	test "$(jq -r ".[0].id" l.json)" = "$id" &&
	test "$(jq -r ".[0] | [.village, .group, .head, .approach, .build, .type, .team, .cadre, .status] | join(\"|\")" l.json)" = \
		"阿猛村|第一组|张三|new-build|contracted|three-grid|第一施工队|李四|planned" &&
	test "$(jq -r ".[0].version" l.json)" = 0
'
HH1=$(cat "$TRASH/hh1" 2>/dev/null)

test_expect_success 'head names round-trip byte-exactly through add -> list --json' '
	for n in "𠀀　阿依·古丽" "Zoë Ngô" "欧阳 娜娜" "%s\\n"; do
		id=$(last_line h household add --village 阿猛村 --group 第二组 --head "$n" \
			--approach new-build --build self --type sewer) &&
		h household list --json | jq -r --arg id "$id" ".[] | select(.id == \$id) | .head" >got &&
		printf "%s\n" "$n" >want &&
		cmp want got || { echo "head $n did not round-trip"; exit 1; }
		h household delete "$id" >/dev/null || exit 1
	done
'

test_expect_success 'Chinese labels are accepted and stored as codes' '
	id=$(last_line h household add --village 新寨村 --group 第一组 --head 赵六 \
		--approach 原有沼气池改造 --build 自建 --type 三联通沼气池式 --water 宜旱) &&
	echo "$id" >hh2 &&
	test "$(hh "$id" approach)" = biogas-retrofit &&
	test "$(hh "$id" build)" = self &&
	test "$(hh "$id" type)" = biogas &&
	test "$(hh "$id" water)" = dry &&
	test "$(hh "$id" team)" = null &&
	test "$(hh "$id" group)" = 第一组 &&
	test "$(hh "$id" village)" = 新寨村 &&
	for t in 双瓮漏斗式 粪尿分集式 双坑交替式 完整下水道水冲式 三格式; do
		h household add --village 新寨村 --group 第一组 --head "户$t" --approach new-build \
			--build self --type "$t" >/dev/null || { echo "type $t"; exit 1; }
	done &&
	test "$(h household list --village 新寨村 --json | jq -r "[.[].type] | sort | join(\",\")")" = \
		"biogas,double-pit,double-urn,sewer,three-grid,urine-diversion"
'
HH2=$(cat "$TRASH/hh2" 2>/dev/null)

test_expect_success 'a group is resolved inside the given village' '
	g=$(h group list --village 新寨村 --json | jq -r ".[0].id") &&
	test "$(h household show "$HH2" --json | jq -r .group_id)" = "$g"
'

test_expect_success 'household list filters by village and status' '
	test "$(h household list --village 阿猛村 --json | jq -r "[.[].id] | join(\",\")")" = "$HH1" &&
	test "$(h household list --status planned --json | jq length)" = 7 &&
	test "$(h household list --status accepted --json | jq length)" = 0 &&
	expect_exit 3 h household list --status done &&
	expect_exit 4 h household list --village 不存在村
'

test_expect_success 'household show: by id and by unique prefix, --json' '
	h household show "$HH1" --json >s.json &&
	test "$(jq -r .id s.json)" = "$HH1" &&
	test "$(jq -r .head s.json)" = 张三 &&
	test "$(jq -r .house_no s.json)" = 12 &&
	test "$(jq -r .phone s.json)" = 13900000000 &&
	test "$(jq -r .planned_week s.json)" = 2026-W48 &&
	jq -e ".inspections == [] and .rectifications == [] and .photos == []" s.json &&
	h household show "${HH1:0:13}" --json | jq -e --arg id "$HH1" ".id == \$id" &&
	h household show "$HH1" | grep -q "张三"
'

test_expect_success 'household show: unknown id is 4, missing id is 2' '
	expect_exit 4 h household show 00000000-0000-7000-8000-000000000000 &&
	expect_exit 4 h household show ffff &&
	expect_exit 4 h household show "不是编号" &&
	expect_exit 2 h household show &&
	expect_exit 2 h household show a b
'

test_expect_success 'household set: each contract key, reflected in list --json' '
	h household set "$HH1" head=张三丰 >out && grep -q "1 field changed" out &&
	test "$(hh "$HH1" head)" = 张三丰 &&
	h household set "$HH1" group=第二组 >/dev/null &&
	test "$(hh "$HH1" group)" = 第二组 &&
	h household set "$HH1" village=新寨村 group=第一组 >/dev/null &&
	test "$(hh "$HH1" village)" = 新寨村 && test "$(hh "$HH1" group)" = 第一组 &&
	h household set "$HH1" type=double-urn approach=biogas-retrofit >/dev/null &&
	test "$(hh "$HH1" type)" = double-urn && test "$(hh "$HH1" approach)" = biogas-retrofit &&
	h household set "$HH1" cadre=王五 >/dev/null &&
	test "$(hh "$HH1" cadre)" = 王五 &&
	h household set "$HH1" team= build=self >/dev/null &&
	test "$(hh "$HH1" team)" = null && test "$(hh "$HH1" build)" = self &&
	h household set "$HH1" build=contracted team=第二施工队 >/dev/null &&
	test "$(hh "$HH1" team)" = 第二施工队 && test "$(hh "$HH1" build)" = contracted &&
	h household set "$HH1" started=2026-11-02 >/dev/null &&
	test "$(hh "$HH1" status)" = building && test "$(hh "$HH1" started)" = 2026-11-02 &&
	h household set "$HH1" phone= planned_week=2026-W50 >/dev/null &&
	test "$(h household show "$HH1" --json | jq -r .phone)" = null &&
	test "$(hh "$HH1" planned_week)" = 2026-W50
'

test_expect_success 'household set: bad values exit 3 and change nothing' '
	snap &&
	expect_exit 2 h household set "$HH1" status=done 2>err && grep -q status err &&
	expect_exit 3 h household set "$HH1" type=flush &&
	expect_exit 3 h household set "$HH1" approach=rebuild &&
	expect_exit 3 h household set "$HH1" build=both &&
	expect_exit 3 h household set "$HH1" head= 2>err && grep -q head err &&
	expect_exit 3 h household set "$HH1" planned_week=2026-W60 &&
	expect_exit 3 h household set "$HH1" water=潮湿 &&
	expect_exit 3 h household set "$HH1" colour=red 2>err && grep -q colour err &&
	expect_exit 3 h household set "$HH1" id=00000000-0000-7000-8000-000000000000 &&
	expect_exit 3 h household set "$HH1" version=9 &&
	expect_exit 3 h household set "$HH1" village=阿猛村 &&
	expect_exit 3 h household set "$HH1" build=self &&
	expect_exit 4 h household set "$HH1" team=不存在队 &&
	expect_exit 4 h household set "$HH1" cadre=不存在 &&
	expect_exit 4 h household set "$HH1" village=不存在村 group=第一组 &&
	expect_exit 4 h household set "$HH1" group=第九组 &&
	expect_exit 4 h household set 00000000-0000-7000-8000-000000000000 head=x &&
	expect_exit 2 h household set "$HH1" &&
	expect_exit 2 h household set "$HH1" head &&
	expect_exit 2 h household set "$HH1" =x &&
	expect_exit 2 h household set "$HH1" head=x --bogus &&
	unchanged
'

test_expect_success 'an unchanged set writes nothing; a change queues only that field' '
	p0=$(pending) &&
	h household set "$HH1" head=张三丰 >out && grep -q "0 fields changed" out &&
	test "$(pending)" = "$p0" &&
	h household set "$HH1" head=张三 house_no=12 >out && grep -q "1 field changed" out &&
	test "$(pending)" = $((p0 + 1)) &&
	sqlite3 "$DB" "SELECT fields FROM outbox ORDER BY seq DESC LIMIT 1" >f.json &&
	jq -e ". == {\"head\": \"张三\"}" f.json &&
	test "$(sqlite3 "$DB" "SELECT record_id FROM outbox ORDER BY seq DESC LIMIT 1")" = "$HH1"
'

test_expect_success 'household assign: cadre set; unknown cadre 4; usage 2' '
	h household assign "$HH2" --cadre 李四 >/dev/null &&
	test "$(hh "$HH2" cadre)" = 李四 &&
	snap &&
	expect_exit 4 h household assign "$HH2" --cadre 无名氏 &&
	expect_exit 4 h household assign 00000000-0000-7000-8000-000000000000 --cadre 李四 &&
	expect_exit 2 h household assign "$HH2" &&
	expect_exit 2 h household assign --cadre 李四 &&
	unchanged &&
	test "$(h cadre list --json | jq -r ".[] | select(.name == \"李四\") | .households")" = 1
'

test_expect_success 'household add: missing required option is 2; bad values 3; unknown names 4' '
	snap &&
	A="--village 阿猛村 --group 第一组 --head 钱七 --approach new-build --build self --type three-grid" &&
	expect_exit 2 h household add --village 阿猛村 --group 第一组 --head 钱七 --approach new-build --build self &&
	expect_exit 2 h household add --group 第一组 --head 钱七 --approach new-build --build self --type three-grid &&
	expect_exit 2 h household add $A --bogus 1 &&
	expect_exit 2 h household add $A extra &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱七 --approach rebuild --build self --type three-grid &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱七 --approach new-build --build both --type three-grid &&
	expect_exit 3 h household add --village 阿猛村 --group 第一组 --head 钱七 --approach new-build --build self --type 水冲式 &&
	expect_exit 3 h household add $A --planned-week 2026-W99 &&
	expect_exit 3 h household add $A --team 第一施工队 2>err && grep -q "自建" err &&
	expect_exit 3 h household add $A --water 潮湿 &&
	expect_exit 4 h household add --village 无名村 --group 第一组 --head 钱七 --approach new-build --build self --type three-grid &&
	expect_exit 4 h household add --village 阿猛村 --group 第九组 --head 钱七 --approach new-build --build self --type three-grid &&
	expect_exit 4 h household add $A --cadre 无名氏 &&
	unchanged
'

test_expect_success 'ID number: valid ones stored masked only, never in full' '
	id=$(last_line h household add --village 阿猛村 --group 第一组 --head 孙八 \
		--approach new-build --build self --type three-grid --id-number "$ID1") &&
	test "$(h household show "$id" --json | jq -r .id_masked)" = "5326**********1230" &&
	h household set "$HH2" id_number="$ID2" >/dev/null &&
	test "$(h household show "$HH2" --json | jq -r .id_masked)" = "1101**********002X" &&
	lc=$(last_line h household add --village 阿猛村 --group 第一组 --head 小写 \
		--approach new-build --build self --type sewer --id-number "${ID2%X}x") &&
	test "$(h household show "$lc" --json | jq -r .id_masked)" = "1101**********002X" &&
	dump_db "$DB" >d &&
	! grep -q "$ID1" d && ! grep -q "$ID2" d &&
	grep -q "5326\*\*\*\*\*\*\*\*\*\*1230" d &&
	for f in "$DB" "$DB-wal"; do
		if [ -e "$f" ]; then
			! grep -aq "$ID1" "$f" && ! grep -aq "$ID2" "$f" || { echo "full number in $f"; exit 1; }
		fi
	done &&
	! h household list --json | grep -q "$ID1" &&
	! h household show "$id" | grep -q "$ID1"
'

test_expect_success 'ID number: bad checksum, length or characters exit 3, nothing written' '
	snap &&
	bad=${ID1:0:17}$(( (${ID1:17:1} + 1) % 10 )) &&
	A="--village 阿猛村 --group 第一组 --head 周九 --approach new-build --build self --type three-grid" &&
	expect_exit 3 h household add $A --id-number "$bad" 2>err &&
	grep -qi "id" err &&
	! grep -q "$bad" err &&
	expect_exit 3 h household add $A --id-number "${ID1:0:17}" &&
	expect_exit 3 h household add $A --id-number "${ID1}0" &&
	expect_exit 3 h household add $A --id-number "5326251980010112３0" &&
	expect_exit 3 h household add $A --id-number "53262519801301123X" &&
	expect_exit 3 h household set "$HH1" id_number="$bad" &&
	unchanged &&
	! grep -aq "$bad" "$DB"
'

test_expect_success 'household delete: gone from list and show (4), tombstone queued' '
	id=$(last_line h household add --village 阿猛村 --group 第一组 --head 吴十 \
		--approach new-build --build self --type sewer) &&
	p0=$(pending) &&
	h household delete "$id" >/dev/null &&
	test "$(pending)" = $((p0 + 1)) &&
	test "$(sqlite3 "$DB" "SELECT op FROM outbox ORDER BY seq DESC LIMIT 1")" = delete &&
	test -z "$(hh "$id" id)" &&
	expect_exit 4 h household show "$id" &&
	expect_exit 4 h household delete "$id"
'

test_expect_success 'the database file stays 0600 after writes' '
	test "$(stat -c %a "$DB")" = 600 &&
	for f in "$DB-wal" "$DB-shm"; do
		if [ -e "$f" ]; then test "$(stat -c %a "$f")" = 600; fi
	done
'

test_done
