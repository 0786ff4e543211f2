#!/bin/bash
# t0216-office-lists.sh - the office's lists as Excel and WPS save them
# (issue 11, DESIGN.md section 6.1): one list saved as UTF-8, UTF-8 with
# a BOM and GB18030 (made here with iconv) imports identically, with a
# name outside the BMP (𠮷) and a minority name with a middle dot
# (岩·依罕); the encoding used is named.  Every bad row is named in one
# run and nothing is written; --skip-bad writes the good rows; unknown
# names are refused with the nearest known one (新化村 -> 新华村,
# 张玮 -> 张伟) unless --create; a re-import changes only what changed
# and adds no history; weekly targets come as their own list; a workbook
# (.xlsx) is read through xlsx2csv, with a clear message without it.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

HDR='村委会,村民小组,户主姓名,身份证号,联系电话,挂包干部,改造方式,建设方式,厕所类型,施工队,计划周'
cat >list.csv <<-EOF
$HDR
新华村,第一组,张三,,139 0000 0001,张伟,整厕新建,统建,三格化粪池式,甲队,2026-W05
新华村,第一组,𠮷田花子,,,张伟,整厕新建,自建,三格化粪池式,,
新华村,第二组,岩·依罕,,0871-1234567,李娜,原有沼气池改造,自建,三联通沼气池式,,2026-W06
勐海村,第一组,玉·香,,,李娜,整厕新建,自建,双瓮漏斗式,,
EOF
printf '\357\273\277' | cat - list.csv >bom.csv
iconv -f UTF-8 -t GB18030 list.csv >gb.csv

# The merged list without ids and versions: what the three imports share.
content() {
	"$HUCE_SYNCD" admin --store "$1" household list --json |
		jq -c '.[] | del(.id, .code, .version, .review.at)'
}
history_rows() { sqlite3 "$1" "SELECT count(*) FROM history"; }

test_expect_success 'the GB18030 file really is not UTF-8' '
	! iconv -f UTF-8 -t UTF-8 gb.csv >/dev/null 2>&1 &&
	grep -q 𠮷 list.csv && ! grep -q 𠮷 gb.csv
'

for enc in utf8:list.csv bom:bom.csv gb:gb.csv; do
	name=${enc%%:*} file=${enc#*:}
	test_expect_success "the list saved as $name imports with --create" '
		"$HUCE_SYNCD" admin --store '"$name"'.db import '"$file"' --create >out &&
		cat out &&
		grep -q "imported 4 households (0 already present, 0 updated); created 2 villages, 3 groups, 2 cadres, 1 teams" out
	'
done

test_expect_success 'each names the encoding it was read in' '
	"$HUCE_SYNCD" admin --store x1.db import list.csv --create | grep -qx "encoding: UTF-8" &&
	"$HUCE_SYNCD" admin --store x2.db import bom.csv --create | grep -qx "encoding: UTF-8 with BOM" &&
	"$HUCE_SYNCD" admin --store x3.db import gb.csv --create | grep -qx "encoding: GB18030"
'

test_expect_success 'the three imports are identical, 𠮷 and 岩·依罕 included' '
	content utf8.db >a && content bom.db >b && content gb.db >c &&
	test_cmp a b && test_cmp a c &&
	test "$(wc -l <a)" = 4 &&
	jq -se "map(select(.head == \"𠮷田花子\")) | length == 1" a >/dev/null &&
	jq -se "map(select(.head == \"岩·依罕\" and .village == \"新华村\" and .group == \"第二组\")) | length == 1" a >/dev/null &&
	jq -se "map(select(.head == \"玉·香\" and .type == \"double-urn\")) | length == 1" a >/dev/null
'

test_expect_success 'phones are kept in their one canonical form' '
	sqlite3 utf8.db "SELECT value FROM field WHERE name = '\''phone'\'' ORDER BY 1" >got &&
	printf "%s\n" "\"0871-1234567\"" "\"13900000001\"" >want && test_cmp want got
'

test_expect_success 'the names come back the same in the CSV listing, with a BOM' '
	"$HUCE_SYNCD" admin --store gb.db household list --format csv >l.csv &&
	head -c 3 l.csv | od -An -tx1 | grep -q "ef bb bf" &&
	grep -q "\"𠮷田花子\"" l.csv && grep -q "\"岩·依罕\"" l.csv &&
	grep -q "\"整厕新建\",\"统建\",\"三格化粪池式\",\"甲队\"" l.csv
'

test_expect_success 'the CSV listing imports again and changes nothing' '
	h=$(history_rows gb.db) &&
	"$HUCE_SYNCD" admin --store gb.db import l.csv >out 2>err &&
	grep -q "imported 0 households (4 already present, 0 updated)" out &&
	grep -q "ignoring column .编号." err &&
	test "$(history_rows gb.db)" = "$h"
'

S=utf8.db
adm() { "$HUCE_SYNCD" admin --store "$S" "$@"; }
state() {
	sqlite3 "$S" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT count(*) FROM history; SELECT * FROM meta WHERE key = 'version'"
}

test_expect_success 're-importing the same list adds no history row' '
	state >before &&
	adm import list.csv >out &&
	grep -q "imported 0 households (4 already present, 0 updated); created 0 villages" out &&
	state >after && test_cmp before after
'

test_expect_success 're-importing a changed list changes only what changed' '
	h=$(history_rows "$S") &&
	sed -e "s/张三,,139 0000 0001,张伟,整厕新建,统建,三格化粪池式,甲队,2026-W05/张三,,13900000002,张伟,整厕新建,统建,三格化粪池式,甲队,2026-W07/" \
		-e "s/玉·香,,,李娜,整厕新建,自建,双瓮漏斗式/玉·香,,,张伟,整厕新建,自建,双瓮漏斗式/" list.csv >changed.csv &&
	adm import changed.csv >out &&
	grep -q "imported 0 households (4 already present, 2 updated)" out &&
	test "$(history_rows "$S")" = $((h + 3)) &&
	sqlite3 "$S" "SELECT field FROM history ORDER BY version DESC, field LIMIT 3" | sort >got &&
	printf "%s\n" cadre_id phone planned_week >want && test_cmp want got &&
	adm household list --json | jq -e ".[] | select(.head == \"玉·香\" and .cadre == \"张伟\")" >/dev/null &&
	adm import changed.csv | grep -q "(4 already present, 0 updated)" &&
	test "$(history_rows "$S")" = $((h + 3))
'

test_expect_success 'an empty cell clears nothing' '
	h=$(history_rows "$S") &&
	sed "s/张三,,13900000002,张伟,整厕新建,统建,三格化粪池式,甲队,2026-W07/张三,,,张伟,整厕新建,统建,三格化粪池式,甲队,/" changed.csv >blank.csv &&
	grep -q "^新华村,第一组,张三,,,张伟" blank.csv &&
	adm import blank.csv | grep -q "(4 already present, 0 updated)" &&
	test "$(history_rows "$S")" = "$h"
'

test_expect_success 'several bad rows: every one is named, exit 3, nothing written' '
	state >before &&
	cat >bad.csv <<-EOF &&
	$HDR
	新华村,第一组,好人,,,张伟,整厕新建,自建,三格化粪池式,,
	新华村,第一组,王五,,12345,张伟,整厕新建,自建,马桶式,,
	新华村,第一组,,,,张伟,整厕新建,代建,三格化粪池式,,
	新华村,第三组,孙八,,,张伟,整厕新建,统建,三格化粪池式,,2026-W60
	EOF
	expect_exit 3 adm import bad.csv >out 2>err &&
	cat err &&
	grep -q "line 3, column 厕所类型: .马桶式. is not a toilet type" err &&
	grep -q "line 3, column 联系电话: phone .12345. is not" err &&
	grep -q "line 4, column 户主姓名: is empty" err &&
	grep -q "line 4, column 建设方式: .代建. is not 自建" err &&
	grep -q "line 5, column 施工队: a contracted toilet (统建) names its construction team" err &&
	grep -q "line 5, column 计划周: .2026-W60. is not an ISO week" err &&
	grep -q "3 of 4 rows are bad: nothing was imported" err &&
	! grep -q "line 2" err &&
	state >after && test_cmp before after
'

test_expect_success '--skip-bad imports the good rows and lists the bad' '
	adm import bad.csv --skip-bad >out 2>err &&
	grep -q "imported 1 households (0 already present, 0 updated)" out &&
	grep -q "skipped 3 bad rows of 4" out &&
	grep -q "skipped line 3, column 厕所类型" err &&
	grep -q "skipped line 4, column 户主姓名" err &&
	grep -q "skipped line 5, column 计划周" err &&
	adm household list --json | jq -e ".[] | select(.head == \"好人\")" >/dev/null &&
	test "$(adm household list --json | jq length)" = 5
'

test_expect_success 'unknown names are refused with the nearest known one' '
	state >before &&
	cat >typo.csv <<-EOF &&
	$HDR
	新化村,第一组,李四,,,张伟,整厕新建,自建,三格化粪池式,,
	新华村,第一组,李五,,,张玮,整厕新建,自建,三格化粪池式,,
	新华村,第一组,李六,,,张伟,整厕新建,统建,三格化粪池式,乙队,
	新华村,第九组,李七,,,张伟,整厕新建,自建,三格化粪池式,,
	勐海村,第二组,李八,,,张伟,整厕新建,自建,三格化粪池式,,
	EOF
	expect_exit 3 adm import typo.csv 2>err &&
	cat err &&
	grep -q "line 2, column 村委会: .新化村. is not a known village: did you mean 新华村?" err &&
	grep -q "line 3, column 挂包干部: .张玮. is not a known cadre: did you mean 张伟?" err &&
	grep -q "line 4, column 施工队: .乙队. is not a known team: did you mean 甲队?" err &&
	grep -q "line 5, column 村民小组: .第九组. is not a known group: did you mean 第一组?" err &&
	grep -q "line 6, column 村民小组: .第二组. is not a known group: did you mean 第一组?" err &&
	state >after && test_cmp before after
'

test_expect_success 'a row with other problems names its unknown names in the same run' '
	state >before &&
	cat >both.csv <<-EOF &&
	$HDR
	新化村,第一组,李四,,,张玮,整厕新建,自建,马桶式,,
	新华村,第九组,李七,,123,张伟,整厕新建,自建,三格化粪池式,,
	新华村,第一组,李九,,,张伟,整厕新建,自建,三格化粪池式,乙队,
	EOF
	expect_exit 3 adm import both.csv 2>err &&
	cat err &&
	grep -q "line 2, column 厕所类型: .马桶式. is not a toilet type" err &&
	grep -q "line 2, column 村委会: .新化村. is not a known village: did you mean 新华村?" err &&
	grep -q "line 2, column 挂包干部: .张玮. is not a known cadre: did you mean 张伟?" err &&
	grep -q "line 3, column 联系电话: phone .123. is not" err &&
	grep -q "line 3, column 村民小组: .第九组. is not a known group: did you mean 第一组?" err &&
	: "a team on a self-built row is its problem already: not looked up again" &&
	grep -q "line 4, column 施工队: a self-built toilet (自建) has no construction team" err &&
	test "$(grep -c "line 4" err)" = 1 &&
	grep -q "3 of 3 rows are bad" err &&
	state >after && test_cmp before after
'

test_expect_success 'a title above the header row is skipped, and said' '
	{ echo "新华镇2026年农村户厕改造清单,,,,,,,,,,"; echo ",,,,,,,,,,"; cat changed.csv; } >titled.csv &&
	adm import titled.csv >out 2>err &&
	grep -q "imported 0 households (4 already present, 0 updated)" out &&
	grep -q "note: the header is line 3; the lines above it (a title) are skipped" err &&
	printf "%s\n" "新华镇周任务" "村委会,周,目标" "新华村,2026-W05,5" >ttitled.csv &&
	"$HUCE_SYNCD" admin --store titled.db import ttitled.csv --create >out 2>err &&
	grep -q "imported 1 targets" out &&
	grep -q "note: the header is line 2; the line above it (a title) is skipped" err &&
	printf "%s\n" "新华镇清单" "$HDR" "新华村,第一组,李十,,,张伟,整厕新建,自建,马桶式,," >tbad2.csv &&
	expect_exit 3 adm import tbad2.csv 2>err &&
	grep -q "line 3, column 厕所类型: .马桶式." err
'

test_expect_success 'with --create the unknown names are made' '
	printf "%s\n" "$HDR" "新化村,第一组,李四,,,张玮,整厕新建,自建,三格化粪池式,," >new.csv &&
	adm import new.csv --create >out &&
	grep -q "imported 1 households (0 already present, 0 updated); created 1 villages, 1 groups, 1 cadres, 0 teams" out &&
	adm household list --json | jq -e ".[] | select(.village == \"新化村\" and .cadre == \"张玮\")" >/dev/null
'

test_expect_success 'weekly targets: their own list, detected by its header' '
	printf "%s\n" "村委会,周,目标" "新华村,2026-W05,5" "勐海村,2026-W05,3" "新华村,2026-W06,7" >targets.csv &&
	adm import targets.csv >out &&
	grep -q "imported 3 targets (0 already present, 0 updated)" out &&
	adm target list --json | jq -c ".[] | [.village, .week, .n]" >got &&
	printf "%s\n" "[\"勐海村\",\"2026-W05\",3]" "[\"新华村\",\"2026-W05\",5]" "[\"新华村\",\"2026-W06\",7]" >want &&
	test_cmp want got &&
	adm target list --json | jq -e "all(.[]; (.id | length) == 36 and .version > 0)" >/dev/null &&
	h=$(history_rows "$S") &&
	adm import targets.csv | grep -q "imported 0 targets (3 already present, 0 updated)" &&
	test "$(history_rows "$S")" = "$h" &&
	sed "s/2026-W06,7/2026-W06,8/" targets.csv >t2.csv &&
	adm import t2.csv | grep -q "imported 0 targets (3 already present, 1 updated)" &&
	test "$(history_rows "$S")" = $((h + 1))
'

test_expect_success 'a bad targets list names every bad row' '
	printf "%s\n" "village,week,target" "新华村,2026-W60,5" "新华庄,2026-W07,x" "新华村,2026-W05,4" "新华村,2026-W05,6" >tbad.csv &&
	expect_exit 3 adm import tbad.csv 2>err &&
	cat err &&
	grep -q "line 2, column week: .2026-W60. is not an ISO week" err &&
	grep -q "line 3, column target: .x. is not a whole number" err &&
	grep -q "line 5, column week: .2026-W05. the same village and week as line 4" err
'

test_expect_success 'target set and list at the office (the laptop shape)' '
	id=$(adm target set --village 勐海村 --week 2026-W07 4 | tail -n 1) &&
	adm target list --json | jq -e ".[] | select(.id == \"$id\" and .village == \"勐海村\" and .n == 4)" >/dev/null &&
	adm target set --village 勐海村 --week 2026-W07 6 >/dev/null &&
	adm target list --json | jq -e ".[] | select(.id == \"$id\" and .n == 6)" >/dev/null &&
	expect_exit 4 adm target set --village 勐海寨 --week 2026-W07 4 2>err &&
	grep -q "no village .勐海寨. (did you mean 勐海村?)" err &&
	expect_exit 3 adm target set --village 勐海村 --week 2026-W99 4 &&
	expect_exit 2 adm target set --village 勐海村 4
'

test_expect_success 'household list filters: village, status, review, cadre' '
	test "$(adm household list --village 勐海村 --json | jq length)" = 1 &&
	test "$(adm household list --cadre 张伟 --json | jq length)" = 4 &&
	test "$(adm household list --status planned --json | jq length)" = 6 &&
	test "$(adm household list --status accepted --json | jq length)" = 0 &&
	test "$(adm household list --review received --json | jq length)" = 6 &&
	test "$(adm household list --review approved --json | jq length)" = 0 &&
	expect_exit 3 adm household list --review fine &&
	expect_exit 4 adm household list --village 勐腊村 &&
	: "in Chinese too, as the office says them" &&
	test "$(adm household list --status 计划 --review 已接收 --json | jq length)" = 6 &&
	test "$(adm household list --review 有问题 --json | jq length)" = 0 &&
	expect_exit 3 adm household list --status 已验收 2>err &&
	grep -q "accepted (验收合格)" err
'

test_expect_success 'household list --format xlsx: the CSV listing'"'"'s cells, Chinese, frozen header, A4' '
	XD="python3 $HUCE_SRCDIR/tests/tools/xlsxdump.py" &&
	adm household list --cadre 张伟 --format xlsx --out hh.xlsx >out &&
	test "$(cat out)" = hh.xlsx &&
	adm household list --cadre 张伟 --format csv --out hh.csv &&
	$XD hh.xlsx sheets >got && echo 农户清单 >want && test_cmp want got &&
	$XD hh.xlsx cells 1 >cells &&
	head -n 1 cells | grep -q "^农户清单			挂包干部 张伟（[0-9-]*，共 4 户）$" &&
	tail -n +2 cells >got &&
	python3 -c "import csv, sys; [print(\"\t\".join(r)) for r in csv.reader(open(sys.argv[1], encoding=\"utf-8-sig\", newline=\"\"))]" hh.csv >want &&
	test_cmp want got &&
	grep -q "^编号	村委会	村民小组	户主姓名	挂包干部	改造方式	建设方式	厕所类型	施工队	计划周	状态	审核	审核意见$" got &&
	grep -q "	新华村	第一组	𠮷田花子	张伟	整厕新建	自建	三格化粪池式			计划	已接收	$" got &&
	$XD hh.xlsx setup 1 >setup &&
	printf "%s\n" frozen_rows=2 paper=9 orientation=landscape fit_to_page=1 "print_titles=\$2:\$2" widths=13 >want &&
	test_cmp want setup &&
	adm household list --village 新华村 --status 计划 --format xlsx --out v.xlsx >/dev/null &&
	$XD v.xlsx cells 1 | head -n 1 | grep -q "村委会 新华村；状态 计划（" &&
	$XD v.xlsx cells 1 | grep -q "	岩·依罕	" &&
	expect_exit 2 adm household list --format xlsx 2>err && grep -q "needs --out" err &&
	expect_exit 2 adm household list --format html --out x.html &&
	expect_exit 1 adm household list --format xlsx --out /nonexistent/dir/x.xlsx 2>err &&
	grep -q "cannot write" err
'

if command -v xlsx2csv >/dev/null 2>&1; then
	test_expect_success 'an .xlsx workbook is read through xlsx2csv' '
		python3 "$HUCE_SRCDIR/tests/tools/mkxlsx.py" list.csv list.xlsx &&
		"$HUCE_SYNCD" admin --store xlsx.db import list.xlsx --create >out &&
		grep -qx "encoding: XLSX (xlsx2csv)" out &&
		content xlsx.db >d && test_cmp a d &&
		python3 "$HUCE_SRCDIR/tests/tools/mkxlsx.py" targets.csv targets.xlsx &&
		"$HUCE_SYNCD" admin --store xlsx.db import targets.xlsx --create >out &&
		grep -q "imported 3 targets" out
	'

	test_expect_success 'the office'"'"'s own xlsx listing imports again and changes nothing' '
		h=$(history_rows "$S") &&
		n=$(adm household list --json | jq length) &&
		adm household list --format xlsx --out all.xlsx >/dev/null &&
		adm import all.xlsx >out 2>err &&
		grep -q "imported 0 households ($n already present, 0 updated)" out &&
		grep -q "the header is line 2" err &&
		test "$(history_rows "$S")" = "$h"
	'
else
	say "skipping the .xlsx import: xlsx2csv is not installed (scripts/deps.sh)"
fi

test_expect_success 'without xlsx2csv a workbook is refused with what to do' '
	python3 "$HUCE_SRCDIR/tests/tools/mkxlsx.py" list.csv list.xlsx &&
	HUCE_XLSX2CSV=$TRASH/no-such-program expect_exit 1 \
		"$HUCE_SYNCD" admin --store none.db import list.xlsx --create 2>err &&
	grep -q "needs the program xlsx2csv, which is not installed (Debian: apt install xlsx2csv)" err &&
	printf "\320\317\021\340xls" >old.xls &&
	expect_exit 3 "$HUCE_SYNCD" admin --store none.db import old.xls 2>err &&
	grep -q "Excel 97-2003 workbook" err
'

test_done
