#!/bin/bash
# t0230-report-town.sh - the office's reports over a generated town with
# hand-computed answers (tests/e2e/lib-town.sh says what the town holds
# and when each batch reached the central): the week's figures per
# village and for the town, same-week entry with the late ones and their
# lag, blocked teams, stale households, the dispatch's figures and change,
# the month's ranking with its red and black lists under default and
# configured rules, the cadres' completion and a reproducible audit
# sample.  Then the same reports as CSV, XLSX and HTML: the names 𠮷 and
# 岩·依罕 come out the same in all three, the XLSX read back from its zip
# and XML carries the CSV's cells with its sheets, frozen header, A4 set
# up, and the HTML page is self-contained and renders in headless
# Chromium to a PNG that is not blank.  t0703 runs the same town on
# PostgreSQL.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/e2e/lib-town.sh"

XD="python3 $HUCE_SRCDIR/tests/tools/xlsxdump.py"

town_build "$TRASH/c.db" >"$TRASH/build.log" 2>&1 || { cat "$TRASH/build.log"; exit 1; }
town_checks

# The first section of a CSV as tab-separated lines (no BOM).
csv_first() {
	python3 -c '
import csv, sys
rows = csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""))
for r in rows:
    if not r:
        break
    print("\t".join(r))' "$1"
}

test_expect_success 'CSV: UTF-8 with a BOM, the names as they are' '
	rep week --week 2026-W41 --format csv --out w.csv &&
	head -c 3 w.csv | od -An -tx1 | grep -q "ef bb bf" &&
	grep -q "^2,𠮷祥村,0,3,1,2,1,0,1,0,1,0,2,1,1,1,100.0%," w.csv &&
	grep -q "^阿猛村,岩·依罕,2026-10-08,2026-10-13,5," w.csv &&
	grep -q "^岩脚村,tank_volume,化粪池有效容积,1" w.csv &&
	: "the review counts close each line: approved, has-issues, edited" &&
	head -n 1 w.csv | grep -q ",抽查复核,账实不符,审核通过,审核有问题,问题已修改.$" &&
	grep -q "^6,岩脚村,.*,0,0,1.$" w.csv && grep -q "^,全镇,.*,5,2,1.$" w.csv &&
	rep month --month 2026-10 --format csv --out m.csv &&
	grep -q "^𠮷祥,3,2,2,66.7%" m.csv &&
	grep -q "^1,坝心村,1,1,100.0%,1,红榜,完成率 100.0%，不低于 90%；排名第 1，在前 3 名," m.csv &&
	grep -q "^,全镇,10,7,70.0%,,,,8,12,71.4%,71.4%,2,2,1,1,5,2,1.$" m.csv
'

test_expect_success 'XLSX read back: the sheets, the CSV'"'"'s cells, frozen header, A4' '
	rep week --week 2026-W41 --format xlsx --out w.xlsx &&
	! ls w.xlsx.tmp.* 2>/dev/null &&
	$XD w.xlsx sheets >got &&
	printf "%s\n" 村委会进度 不合格项 录入滞后 首厕未过施工队 >want &&
	test_cmp want got &&
	$XD w.xlsx cells 1 >cells &&
	head -n 1 cells | grep -q "^周清单 2026-W41" &&
	tail -n +2 cells >got && csv_first w.csv >want &&
	test_cmp want got &&
	grep -q "𠮷祥村" got &&
	$XD w.xlsx cells 3 | grep -q "^阿猛村	岩·依罕	2026-10-08	2026-10-13	5	" &&
	$XD w.xlsx setup 1 >setup &&
	printf "%s\n" frozen_rows=2 paper=9 orientation=landscape fit_to_page=1 "print_titles=\$2:\$2" widths=30 >want &&
	test_cmp want setup &&
	rep month --month 2026-10 --format xlsx --out m.xlsx &&
	$XD m.xlsx sheets | head -n 2 | tr "\n" " " | grep -q "^月度排名 挂包干部 $" &&
	$XD m.xlsx cells 2 | grep -q "^𠮷祥	3	2	2	66.7%$" &&
	$XD m.xlsx cells 1 | tail -n +2 >got && csv_first m.csv >want &&
	test_cmp want got
'

test_expect_success 'XLSX: --out is required, and a failed write leaves nothing' '
	expect_exit 2 rep week --week 2026-W41 --format xlsx 2>err &&
	grep -q "needs --out" err &&
	expect_exit 1 rep week --week 2026-W41 --format xlsx --out /nonexistent/dir/w.xlsx 2>err &&
	grep -q "cannot write" err
'

test_expect_success 'HTML: one self-contained page with bars and the red and black lists' '
	rep week --week 2026-W41 --format html --out w.html &&
	rep month --month 2026-10 --format html --out m.html &&
	rep dispatch --date 2026-10-09 --format html --out d.html &&
	for f in w.html m.html d.html; do
		grep -q "<meta name=\"viewport\"" $f && grep -q "@page{size:A4" $f &&
		grep -q "<svg " $f &&
		! grep -Eq "<script|<link|src=|@import|url\(" $f || exit 1
	done &&
	grep -q "<td>𠮷祥村</td>" w.html && grep -q "<td>岩·依罕</td>" w.html &&
	grep -q "text-anchor=\"end\">𠮷祥村</text>" w.html &&
	grep -q "<td>𠮷祥</td>" m.html &&
	grep -q "<th>审核通过</th><th>审核有问题</th><th>问题已修改</th>" m.html &&
	grep -q "<div class=\"list red\"><h3>红榜</h3><ol><li value=\"1\"><b>坝心村</b> 100.0%" m.html &&
	grep -q "<div class=\"list black\"><h3>黑榜</h3><ol><li value=\"4\"><b>岩脚村</b>" m.html &&
	grep -q "<title>周五调度 2026-10-09 2026-W41</title>" d.html
'

test_expect_success 'the HTML renders in headless Chromium to a page that is not blank' '
	chrome=$(command -v chromium || command -v chromium-browser || true) &&
	if [ -z "$chrome" ]; then
		echo "# skip: chromium is not installed (Debian package chromium; scripts/deps.sh)" >&3
		exit 0
	fi &&
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --user-data-dir="$TRASH/chrome" \
		--window-size=900,1300 --screenshot="$TRASH/m.png" "file://$TRASH/m.html" \
		>chrome.log 2>&1 &&
	python3 "$HUCE_SRCDIR/tests/tools/pngcheck.py" m.png
' 3>&1

test_expect_success 'the reports are audited' '
	sqlite3 c.db "SELECT action, detail FROM audit WHERE action LIKE '\''report %'\'' OR action = '\''audit sample'\''" >audit &&
	grep -q "^report week|week 2026-W41, 6 villages$" audit &&
	grep -q "^report month|month 2026-10, 6 villages$" audit &&
	grep -q "^report dispatch|dispatch 2026-10-09 since 2026-10-07, 6 villages$" audit &&
	grep -q "^audit sample|sample 2 of 8, rate 0.25, seed 42, as of 2026-10-31$" audit
'

test_done
