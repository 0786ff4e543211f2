#!/bin/bash
# t0703-pg-office.sh - the office's tools on the PostgreSQL store (the
# twin of t0216 and t0218 where they touch SQL): a GB18030 list imports
# with --create and again with nothing written, a row's unknown names
# named beside its other problems, the household list as a workbook that
# imports again, a weekly targets list, a review, and `household show`
# with the history of every change
# (store_history_of on store_pg.c).

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
hist() { pgq "SELECT count(*) FROM history"; }

printf '%s\n' '村委会,村民小组,户主姓名,联系电话,挂包干部,改造方式,建设方式,厕所类型,施工队' \
	'新华村,第一组,岩·依罕,13900000001,张伟,整厕新建,统建,三格化粪池式,甲队' \
	'新华村,第二组,𠮷田,,张伟,原有沼气池改造,自建,三联通沼气池式,' |
	iconv -f UTF-8 -t GB18030 >list.csv

test_expect_success 'a GB18030 list imports with --create, and again writes nothing' '
	adm import list.csv --create >out &&
	grep -qx "encoding: GB18030" out &&
	grep -q "imported 2 households (0 already present, 0 updated); created 1 villages, 2 groups, 1 cadres, 1 teams" out &&
	h=$(hist) &&
	adm import list.csv >out &&
	grep -q "imported 0 households (2 already present, 0 updated)" out &&
	test "$(hist)" = "$h" &&
	adm household list --json | jq -se ".[0] | map(.head) | sort == [\"岩·依罕\", \"𠮷田\"]"
'

test_expect_success 'unknown names are refused with a suggestion, nothing written' '
	h=$(hist) &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"新化村,第一组,李四,张玮,整厕新建,自建,三格化粪池式" >typo.csv &&
	expect_exit 3 adm import typo.csv 2>err &&
	grep -q "did you mean 新华村?" err && grep -q "did you mean 张伟?" err &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"新华村,第三组,李五,张伟,整厕新建,自建,马桶式" >both.csv &&
	expect_exit 3 adm import both.csv 2>err &&
	grep -q "line 2, column 厕所类型: .马桶式." err &&
	grep -q "line 2, column 村民小组: .第三组. is not a known group: did you mean 第一组?" err &&
	test "$(hist)" = "$h"
'

test_expect_success 'household list as a workbook, and it imports again with nothing written' '
	adm household list --format xlsx --out hh.xlsx >/dev/null &&
	python3 "$HUCE_SRCDIR/tests/tools/xlsxdump.py" hh.xlsx cells 1 | grep -q "	新华村	第一组	岩·依罕	张伟	整厕新建	统建	三格化粪池式	甲队	" &&
	if command -v xlsx2csv >/dev/null 2>&1; then
		h=$(hist) &&
		adm import hh.xlsx | grep -q "imported 0 households (2 already present, 0 updated)" &&
		test "$(hist)" = "$h"
	fi
'

test_expect_success 'targets: a list and target set' '
	printf "%s\n" "村委会,周,目标" "新华村,2026-W05,5" >t.csv &&
	adm import t.csv | grep -q "imported 1 targets" &&
	adm target set --village 新华村 --week 2026-W06 7 >/dev/null &&
	adm target list --json | jq -c "[.[] | [.village, .week, .n]]" >got &&
	echo "[[\"新华村\",\"2026-W05\",5],[\"新华村\",\"2026-W06\",7]]" >want &&
	test_cmp want got
'

test_expect_success 'review and household show with its history' '
	id=$(adm household list --json | jq -r ".[] | select(.head == \"岩·依罕\") | .id") &&
	adm review "$id" --issues "电话不对" >/dev/null &&
	adm household list --review has-issues --json | jq -e "length == 1" &&
	adm household show "$id" --json >s.json &&
	jq -e ".review.state == \"has-issues\" and .review.note == \"电话不对\"" s.json &&
	jq -e ".village == \"新华村\" and .team == \"甲队\" and .cadre == \"张伟\"" s.json &&
	jq -e ".history[0].kind == \"household\" and .history[0].device == \"office\" and .history[0].fields.head.after == \"岩·依罕\"" s.json &&
	jq -e "[.history[] | select(.kind == \"review\")] | length == 1" s.json &&
	jq -e ".photos == [] and .inspections == []" s.json
'

test_done
