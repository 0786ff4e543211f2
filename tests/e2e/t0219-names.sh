#!/bin/bash
# t0219-names.sh - records named for a person, not by UUID (issue 9,
# items 10 and 11): two laptops register one household twice (one types
# the head 岩·温, the other 岩 • 温); the office's `admin conflicts` lists
# one duplicate whose numbered candidates show head, village, group,
# masked ID and the device that registered each; `admin resolve CODE
# --take 1` takes the conflict's short code; a laptop's `huce conflicts`
# names the household; `household list` shows a code that `household
# show` takes.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }

{
	adm town 勐腊镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2" &&
	start_central c "$C" &&
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 曼峨村 && h d1 group add --village 曼峨村 三组 &&
	h d1 sync && h d2 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'one household registered twice: the conflict names both candidates' '
	h d1 household add --village 曼峨村 --group 三组 --head "岩·温" \
		--approach new-build --build self --type three-grid \
		--id-number 532627198001010011 | tail -n 1 >w1 &&
	h d2 household add --village 曼峨村 --group 三组 --head "岩 • 温" \
		--approach new-build --build self --type three-grid | tail -n 1 >w2 &&
	h d1 sync >/dev/null && h d2 sync >/dev/null && h d1 sync >/dev/null &&
	adm conflicts --json >c.json &&
	test "$(jq length c.json)" = 1 &&
	test "$(jq -r ".[0].kind" c.json)" = duplicate &&
	jq -e ".[0] | has(\"id\") and has(\"record\") and has(\"field\") and has(\"values\")
		and has(\"status\") and has(\"resolution\") and has(\"code\") and has(\"name\")" c.json >/dev/null &&
	test "$(jq -r "[.[0].values[].candidate.head] | sort | join(\"|\")" c.json)" = "岩 • 温|岩·温" &&
	test "$(jq -r "[.[0].values[].candidate.village] | unique | join(\"|\")" c.json)" = 曼峨村 &&
	test "$(jq -r "[.[0].values[].candidate.group] | unique | join(\"|\")" c.json)" = 三组 &&
	test "$(jq -r "[.[0].values[].candidate.device] | sort | join(\"|\")" c.json)" = "d1|d2" &&
	jq -r ".[0].values[].candidate.id_masked" c.json | grep -q "^5326\*\*\*\*\*\*\*\*\*\*0011$" &&
	adm conflicts >c.txt &&
	grep -q "^  1\. 岩" c.txt && grep -q "^  2\. 岩" c.txt &&
	grep -q "registered by d1" c.txt && grep -q "registered by d2" c.txt &&
	grep -q "曼峨村 三组" c.txt && grep -q "5326\*\*\*\*\*\*\*\*\*\*0011" c.txt
'

test_expect_success 'a laptop names the household of a conflict' '
	h d2 conflicts >l.txt &&
	grep -q "曼峨村" l.txt && grep -q "岩" l.txt &&
	h d2 conflicts --json >l.json &&
	test "$(jq -r ".[0].code" l.json)" = "$(jq -r ".[0].code" c.json)" &&
	jq -r ".[0].name" l.json | grep -q "曼峨村 三组"
'

test_expect_success 'the office resolves by the short code' '
	code=$(jq -r ".[0].code" c.json) &&
	test ${#code} -ge 6 && test ${#code} -lt 36 &&
	keep=$(jq -r ".[0].values[0].value" c.json) &&
	adm resolve "$code" --take 1 >r.txt &&
	adm conflicts --all --json >c2.json &&
	test "$(jq -r ".[0].status" c2.json)" = resolved &&
	adm household list --json >hl.json &&
	test "$(jq length hl.json)" = 1 &&
	test "$(jq -r ".[0].id" hl.json)" = "$keep" &&
	hcode=$(jq -r ".[0].code" hl.json) &&
	adm household show "$hcode" --json | jq -e ".id == \"$keep\"" >/dev/null &&
	adm household show "$(echo "$hcode" | tr a-f A-F)" >/dev/null &&
	adm review "$hcode" --approve >/dev/null
'

test_expect_success 'a laptop shows a household by the code its list shows' '
	h d1 sync >/dev/null &&
	h d1 household list >hl.txt &&
	head -n 1 hl.txt | grep -q "^code" &&
	code=$(h d1 household list --json | jq -r ".[0].code") &&
	test ${#code} -ge 6 &&
	h d1 household show "$code" --json | jq -e ".head | startswith(\"岩\")" >/dev/null
'

test_expect_success 'a code no record has is not found' '
	expect_exit 4 adm resolve 0000000000ff --take 1 &&
	expect_exit 4 adm household show zz
'

test_done
