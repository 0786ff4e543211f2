#!/bin/bash
# t0207-import-csv.sh - the office's household list (DESIGN.md section 6):
# a CSV with a header row whose columns come in any order, in Chinese or
# as English aliases, Chinese values (整厕新建, 统建, 三格化粪池式 ...),
# RFC 4180 quoting and an optional UTF-8 byte order mark.  Villages,
# groups, cadres and teams are made with the same name-derived ids as on
# a laptop; ID numbers are kept only masked and as the town key's HMAC.
# A bad row names its line and column, exits 3 and writes nothing;
# importing the same list again adds nothing.  Names the store does not
# know are made only with --create.  One ID number is one
# household: a row whose number belongs to another household (another
# group or head) is a bad row naming it, and so is the second of two
# rows with one number (issue 9).

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
state() {
	sqlite3 "$C" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT * FROM meta WHERE key = 'version'"
}
named() {	# named KIND PARENT NAME: the client's name-derived id
	python3 - "$@" <<-'EOF'
	import hashlib, sys
	kind, parent, name = sys.argv[1], sys.argv[2], sys.argv[3]
	b = bytearray(hashlib.sha256(("%s\x1f%s\x1f%s" % (kind, parent, name)).encode()).digest()[:16])
	b[6] = 0x80 | (b[6] & 0x0f)
	b[8] = 0x80 | (b[8] & 0x3f)
	h = b.hex()
	print("%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
	EOF
}
ID1=532622198001011231
ID2=532622198512310049
BADID=532622198001011232
HDR='村委会,村民小组,户主姓名,身份证号,联系电话,挂包干部,改造方式,建设方式,厕所类型,施工队,计划周,备注'
GOOD='阿猛村,第四组,钱七,,,李干部,整厕新建,自建,三格化粪池式,,,'

adm town 阿猛镇 || exit 1

test_expect_success 'a CSV list with BOM, CRLF and quoting is imported' '
	{
		printf "\357\273\277%s\r\n" "$HDR" &&
		printf "阿猛村,第一组,张三,%s,13900000001,李干部,整厕新建,统建,三格化粪池式,甲队,2026-W05,\r\n" "$ID1" &&
		printf "阿猛村,第一组,\"欧阳,\"\"娜\"\"\",,,李干部,原有沼气池改造,自建,三联通沼气池式,,,\"两行\r\n备注\"\r\n" &&
		printf "\r\n" &&
		printf "阿猛村, 第二组 ,王五,%s,,王干部,整厕新建,自建,双瓮漏斗式,,,\r\n" "$ID2"
	} >list.csv &&
	adm import list.csv --create >out 2>err &&
	grep -q "^encoding: UTF-8 with BOM$" out &&
	grep -q "imported 3 households (0 already present, 0 updated)" out &&
	grep -q "created 1 villages, 2 groups, 2 cadres, 1 teams" out &&
	grep -q "ignoring column .备注." err
'

test_expect_success 'the households are in the list with codes and names' '
	adm household list --json >l.json &&
	test "$(jq length l.json)" = 3 &&
	jq -c ".[] | [.village, .group, .head, .approach, .build, .type, .team, .cadre, .status]" l.json >got &&
	cat >want <<-\EOF &&
	["阿猛村","第一组","张三","new-build","contracted","three-grid","甲队","李干部","planned"]
	["阿猛村","第一组","欧阳,\"娜\"","biogas-retrofit","self","biogas",null,"李干部","planned"]
	["阿猛村","第二组","王五","new-build","self","double-urn",null,"王干部","planned"]
	EOF
	test_cmp want got &&
	test "$(jq -r ".[0].planned_week" l.json)" = 2026-W05 &&
	jq -r ".[].id" l.json | grep -Eq "^[0-9a-f]{8}-[0-9a-f]{4}-7"
'

test_expect_success 'villages, groups, cadres and teams have the name-derived ids' '
	v=$(named village "" 阿猛村) &&
	g=$(named group "$v" 第二组) &&
	test "$(sqlite3 "$C" "SELECT kind FROM record WHERE id = '\''$v'\''")" = village &&
	test "$(sqlite3 "$C" "SELECT kind FROM record WHERE id = '\''$g'\''")" = group &&
	test "$(sqlite3 "$C" "SELECT kind FROM record WHERE id = '\''$(named cadre "" 王干部)'\''")" = cadre &&
	test "$(sqlite3 "$C" "SELECT kind FROM record WHERE id = '\''$(named team "" 甲队)'\''")" = team &&
	test "$(sqlite3 "$C" "SELECT value FROM field WHERE record_id = '\''$v'\'' AND name = '\''town'\''")" = "\"阿猛镇\""
'

test_expect_success 'ID numbers are kept masked and as the town key HMAC only' '
	! sqlite3 "$C" .dump | grep -q "$ID1" &&
	! sqlite3 "$C" .dump | grep -q "$ID2" &&
	sqlite3 "$C" "SELECT value FROM field WHERE name = '\''id_masked'\'' ORDER BY 1" >masked &&
	printf "%s\n" "\"5326**********0049\"" "\"5326**********1231\"" >want && test_cmp want masked &&
	key=$(sqlite3 "$C" "SELECT value FROM meta WHERE key = '\''town_key'\''") &&
	want=$(python3 -c "import hmac, hashlib, sys; print(hmac.new(bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), hashlib.sha256).hexdigest())" "$key" "$ID1") &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM field WHERE name = '\''id_hash'\'' AND value = '\''\"$want\"'\''")" = 1
'

test_expect_success 'importing the same list again adds nothing' '
	state >before &&
	adm import list.csv >out &&
	grep -q "imported 0 households (3 already present, 0 updated)" out &&
	state >after && test_cmp before after
'

test_expect_success 'English column names and codes work too' '
	cat >en.csv <<-\EOF &&
	Village,Group,Head,Cadre,Approach,Build,Type,Team
	阿猛村,第三组,赵六,李干部,new-build,self,sewer,
	EOF
	adm import en.csv --create >out &&
	grep -q "imported 1 households" out &&
	adm household list --json | jq -e ".[] | select(.head == \"赵六\" and .type == \"sewer\")" >/dev/null
'

bad() {	# bad NAME LINE...: a list with the header and the given lines
	name=$1
	shift
	{ printf "%s\n" "$HDR"; printf "%s\n" "$@"; } >"$name.csv"
}

test_expect_success 'a bad row names its line and column, exits 3 and writes nothing' '
	state >before &&
	bad type "$GOOD" "阿猛村,第四组,孙八,,,李干部,整厕新建,自建,马桶式,,," &&
	expect_exit 3 adm import type.csv 2>err &&
	grep -q "line 3, column 厕所类型: .马桶式. is not a toilet type" err &&
	bad approach "阿猛村,第四组,孙八,,,李干部,重建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import approach.csv 2>err && grep -q "line 2, column 改造方式" err &&
	bad build "$GOOD" "$GOOD" "阿猛村,第四组,孙八,,,李干部,整厕新建,代建,三格化粪池式,,," &&
	expect_exit 3 adm import build.csv 2>err && grep -q "line 4, column 建设方式" err &&
	bad idnum "阿猛村,第四组,孙八,$BADID,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import idnum.csv 2>err && grep -q "line 2, column 身份证号" err &&
	! grep -q "$BADID" err &&
	bad week "阿猛村,第四组,孙八,,,李干部,整厕新建,自建,三格化粪池式,,2026-W60," &&
	expect_exit 3 adm import week.csv 2>err && grep -q "line 2, column 计划周" err &&
	bad empty "阿猛村,第四组,,,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import empty.csv 2>err && grep -q "line 2, column 户主姓名: is empty" err &&
	bad selfteam "阿猛村,第四组,孙八,,,李干部,整厕新建,自建,三格化粪池式,乙队,," &&
	expect_exit 3 adm import selfteam.csv 2>err && grep -q "line 2, column 施工队" err &&
	bad quote "$GOOD" "阿猛村,第四组,\"孙八,,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import quote.csv 2>err && grep -q "line 3: a quoted field is not closed" err &&
	printf "%s\n%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式" "$GOOD" >nocol.csv &&
	expect_exit 3 adm import nocol.csv 2>err && grep -q "missing column 厕所类型" err &&
	printf "village,group,head,cadre,approach,build,type\n\377\377\n" >binary.csv &&
	expect_exit 3 adm import binary.csv 2>err &&
	grep -q "line 2: the text is neither UTF-8 nor GB18030" err &&
	state >after && test_cmp before after
'

test_expect_success 'the first-toilet gate holds in the list too, and nothing is written' '
	state >before &&
	bad gate "$GOOD" \
		"阿猛村,第四组,孙八,,,李干部,整厕新建,统建,三格化粪池式,丙队,," \
		"阿猛村,第四组,周九,,,李干部,整厕新建,统建,三格化粪池式,丙队,," &&
	expect_exit 3 adm import gate.csv --create 2>err &&
	grep -q "line 4, column 施工队: .*首厕过关" err &&
	state >after && test_cmp before after
'

ID3=532622199003070029

test_expect_success 'an ID number of another household is a bad row naming it' '
	state >before &&
	bad idused "$GOOD" "阿猛村,第四组,孙八,$ID1,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import idused.csv --create 2>err &&
	grep -q "line 3, column 身份证号: .*张三 (阿猛村 第一组)" err &&
	! grep -q "$ID1" err &&
	bad idgroup "阿猛村,第二组,张三,$ID1,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import idgroup.csv 2>err &&
	grep -q "line 2, column 身份证号: .*张三 (阿猛村 第一组)" err &&
	bad idvillage "勐腊村,第一组,张三,$ID1,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import idvillage.csv --create 2>err &&
	grep -q "line 2, column 身份证号: .*张三 (阿猛村 第一组)" err &&
	state >after && test_cmp before after
'

test_expect_success 'the same household with its ID number is present, not a bad row' '
	state >before &&
	bad same "阿猛村,第一组,张 三,$ID1,,李干部,整厕新建,统建,三格化粪池式,甲队,," &&
	adm import same.csv >out &&
	grep -q "imported 0 households (1 already present, 0 updated)" out &&
	state >after && test_cmp before after
'

test_expect_success 'two rows with one ID number: the later names the earlier line' '
	state >before &&
	bad twice "$GOOD" "阿猛村,第四组,孙八,$ID3,,李干部,整厕新建,自建,三格化粪池式,,," \
		"阿猛村,第四组,周九,,,李干部,整厕新建,自建,三格化粪池式,,," \
		"阿猛村,第五组,周九,$ID3,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import twice.csv --create 2>err &&
	grep -q "line 5, column 身份证号: the same ID number as line 3" err &&
	bad dup "阿猛村,第四组,孙八,$ID3,,李干部,整厕新建,自建,三格化粪池式,,," \
		"阿猛村,第四组,孙八,$ID3,,李干部,整厕新建,自建,三格化粪池式,,," &&
	expect_exit 3 adm import dup.csv --create 2>err &&
	grep -q "line 3, column 身份证号: the same ID number as line 2" err &&
	! grep -q "$ID3" err &&
	state >after && test_cmp before after
'

test_expect_success 'the import is in the audit log, without names' '
	sqlite3 "$C" "SELECT detail FROM audit WHERE action = '\''import'\''" >audit &&
	grep -q "households: 3 added, 0 present, 0 updated, 0 bad" audit &&
	! grep -q 张三 audit
'

test_done
