#!/bin/bash
# t0830-i18n.sh - huce speaks the cadre's language (common/huce_i18n.h,
# po/zh_CN.po).  The same mistakes under LANG=C and LANG=zh_CN.UTF-8: a
# wrong toilet type, an unknown command, a household that is not there,
# and --help.  In C the messages are today's English, word for word; in
# Chinese they are Chinese and list the accepted values in Chinese.  Exit
# codes are the same, and what a program reads (--json) is the same byte
# for byte.  The catalog is found from the build tree (po/ next to
# client/), as an uninstalled huce finds it: nothing is set for it.
#
# The locale zh_CN.UTF-8 must exist (scripts/deps.sh makes it); without
# it this test fails and says so, rather than pass on English alone.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
# en / zh ARGS...: huce on $DB in English / in Chinese.
en() { LANG=C "$HUCE" --db "$DB" "$@"; }
zh() { LANG=zh_CN.UTF-8 "$HUCE" --db "$DB" "$@"; }

test_expect_success 'the locale zh_CN.UTF-8 exists (scripts/deps.sh makes it)' '
	if ! locale -a 2>/dev/null | grep -qix "zh_CN.utf-\{0,1\}8"; then
		echo "the locale zh_CN.UTF-8 is missing: run scripts/deps.sh as root"
		echo "(it enables zh_CN.UTF-8 in /etc/locale.gen and runs locale-gen)"
		false
	fi
'

test_expect_success 'set up a village, a group, an inspector and a household' '
	en init --device 甲 >/dev/null &&
	en village add 甲村 >/dev/null &&
	en group add --village 甲村 一组 >/dev/null &&
	en cadre add 乙 --role inspector >/dev/null &&
	id=$(en household add --village 甲村 --group 一组 --head 丙 --approach new-build \
		--build self --type three-grid | tail -n 1) &&
	echo "$id" >"$TRASH/hh" &&
	en inspect "$id" --stage completion --inspector 乙 --date 2026-01-05 \
		--item walls_roof_door=yes --item room_area=1.6 --item no_leak=yes \
		--item sealed_cover=yes --item no_exposed_waste=yes --item tank_volume=1.8 \
		--item effective_depth=1.2 --item inlet_pipe_diameter=110 \
		--item vent_height=600 "${DONE_PHOTOS[@]}" >/dev/null
'

# both WANT_EXIT ARGS...: huce ARGS in English and in Chinese, each with
# exit WANT_EXIT; stdout and stderr in $TRASH/{en,zh}.{out,err}.
both() {
	local want=$1
	shift
	expect_exit "$want" en "$@" >"$TRASH/en.out" 2>"$TRASH/en.err" &&
	expect_exit "$want" zh "$@" >"$TRASH/zh.out" 2>"$TRASH/zh.err"
}

test_expect_success 'a wrong toilet type: English as today, Chinese with the Chinese types' '
	both 3 household add --village 甲村 --group 一组 --head 丁 --approach new-build \
		--build self --type 三格式厕所 &&
	cat >"$TRASH/want" <<-\EOF &&
	huce: type '\''三格式厕所'\'' is not one of: three-grid, double-urn, biogas, urine-diversion, double-pit, sewer
	EOF
	test_cmp "$TRASH/want" "$TRASH/en.err" &&
	cat "$TRASH/zh.err" &&
	test "$(wc -l <"$TRASH/zh.err")" = 1 &&
	grep -q "^huce: 厕所类型“三格式厕所”无效，应为：三格化粪池式、双瓮漏斗式、三联通沼气池式、粪尿分集式、双坑交替式、完整下水道水冲式" "$TRASH/zh.err"
'

test_expect_success 'a wrong stage and a wrong role are named in Chinese too' '
	both 3 inspect "$(cat "$TRASH/hh")" --stage completion --inspector 乙 --item room_area=1.6 &&
	grep -q "^huce: missing critical item .* for stage completion" "$TRASH/en.err" &&
	grep -q "^huce: 缺少竣工阶段的否决项" "$TRASH/zh.err" &&
	both 3 inspect "$(cat "$TRASH/hh")" --stage 竣工验收 --inspector 乙 &&
	grep -q "^huce: stage '\''竣工验收'\'' is not one of: excavation, pre-cover," "$TRASH/en.err" &&
	grep -q "^huce: 验收阶段“竣工验收”无效，应为：excavation（开挖）" "$TRASH/zh.err" &&
	both 3 cadre add 戊 --role 村长 &&
	grep -q "^huce: role '\''村长'\'' is not one of: village-lead," "$TRASH/en.err" &&
	grep -q "^huce: 职责“村长”无效，应为：包村领导、挂包干部、技术指导员、验收组、录入组、镇办" "$TRASH/zh.err"
'

test_expect_success 'an unknown command: exit 2, the usage in each language' '
	both 2 bogus &&
	head -n 2 "$TRASH/en.err" >"$TRASH/en.head" &&
	printf "%s\n" "huce: unknown command '\''bogus'\''" \
		"usage: huce [--db PATH] [--checklists DIR] COMMAND [ARGS]" >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/en.head" &&
	head -n 2 "$TRASH/zh.err" >"$TRASH/zh.head" &&
	printf "%s\n" "huce: 未知命令“bogus”" \
		"用法：huce [--db 路径] [--checklists 目录] 命令 [参数]" >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/zh.head"
'

test_expect_success 'a household that is not there: exit 4' '
	both 4 household show nosuch &&
	echo "huce: household '\''nosuch'\'' not found (give the code shown by \`huce household list\`, or its id)" >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/en.err" &&
	echo "huce: 找不到农户“nosuch”（请填写 \`huce household list\` 显示的编号，或其 ID）" >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/zh.err"
'

test_expect_success '--help and a command'\''s --help in each language' '
	both 0 --help &&
	head -n 3 "$TRASH/en.out" >"$TRASH/en.head" &&
	printf "%s\n" "usage: huce [--db PATH] [--checklists DIR] COMMAND [ARGS]" "" \
		"Field data collector for the household-toilet renovation (户厕改造)." >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/en.head" &&
	grep -q "^exit codes: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found$" "$TRASH/en.out" &&
	grep -q "^用法：huce " "$TRASH/zh.out" &&
	grep -q "^农村户厕改造数据采集工具。$" "$TRASH/zh.out" &&
	grep -q "^退出码：0 成功，1 运行出错，2 用法错误，3 数据无效，4 找不到$" "$TRASH/zh.out" &&
	both 0 household add --help &&
	grep -q "^usage: huce household add --village V --group G --head NAME$" "$TRASH/en.out" &&
	grep -q "三格化粪池式|双瓮漏斗式|三联通沼气池式|粪尿分集式|双坑交替式|完整下水道水冲式" "$TRASH/zh.out"
'

test_expect_success 'LANGUAGE=zh_CN alone (LANG=C.UTF-8) speaks Chinese too' '
	LANG=C.UTF-8 LANGUAGE=zh_CN "$HUCE" --db "$DB" bogus 2>"$TRASH/err";
	grep -q "^huce: 未知命令“bogus”$" "$TRASH/err"
'

test_expect_success 'an inspection says its result and status in Chinese' '
	hh=$(cat "$TRASH/hh") &&
	zh inspect "$hh" --stage spot-check --inspector 乙 --date 2026-01-06 \
		--item walls_roof_door=yes --item room_area=1.6 --item no_leak=不合格 \
		--item sealed_cover=yes --item no_exposed_waste=yes --item tank_volume=1.8 \
		--item effective_depth=1.2 --item inlet_pipe_diameter=110 \
		--item vent_height=600 >"$TRASH/zh.out" &&
	cat "$TRASH/zh.out" &&
	grep -q "^结果：不合格" "$TRASH/zh.out" &&
	grep -q "^状态：验收不合格$" "$TRASH/zh.out"
'

test_expect_success 'JSON is byte for byte the same in both languages' '
	for args in "household list --json" "household show $(cat "$TRASH/hh") --json" \
		"village list --json" "cadre list --json" "team list --json" \
		"rectify list --all --json" "status --json" "report week --week 2026-W02 --json" \
		"conflicts --json" "quarantine --json" "clock --json"; do
		# shellcheck disable=SC2086
		en $args >"$TRASH/en.json" &&
		# shellcheck disable=SC2086
		zh $args >"$TRASH/zh.json" &&
		cmp "$TRASH/en.json" "$TRASH/zh.json" || { echo "differs: $args"; false; }
	done
'

test_expect_success 'exit codes are the same in both languages' '
	for args in "household show nosuch" "household list --status nonsense" \
		"target set --village 甲村 --week 2026-W99 3" "village add" "init --device x"; do
		# shellcheck disable=SC2086
		en $args >/dev/null 2>&1; e=$?
		# shellcheck disable=SC2086
		zh $args >/dev/null 2>&1; z=$?
		test "$e" = "$z" || { echo "$args: exit $e in C, $z in Chinese"; false; }
		test "$e" != 0 || { echo "$args: should fail"; false; }
	done
'

# The web app picks its language from the browser's, whatever the
# laptop's locale: handlers run in the C locale (client/ui/ui.c) so the
# field at fault is read from the English text, and a page in Chinese gets
# the domain layer's refusal in Chinese (api.c redoes it under zh_CN, in a
# transaction rolled back), at the same field.
test_expect_success 'huce ui answers in the browser'"'"'s language, the field the same' '
	start_zh_ui() {
		LANG=zh_CN.UTF-8 "$HUCE" --db "$DB" ui --no-browser >"$TRASH/ui.out" 2>"$TRASH/ui.err" &
		ui_pid=$!
	} &&
	start_zh_ui &&
	echo $ui_pid >>"$TRASH/.central_pids" &&
	for _ in $(seq 100); do grep -q "^http://127.0.0.1:" "$TRASH/ui.out" && break; sleep 0.1; done &&
	cat "$TRASH/ui.out" &&
	grep -q "^huce ui: 正在 127.0.0.1:" "$TRASH/ui.out" &&
	url=$(tail -n 1 "$TRASH/ui.out") && base=${url%%/?s=*} &&
	curl -s -c "$TRASH/jar" -o /dev/null "$url" &&
	csrf=$(curl -s -b "$TRASH/jar" "$base/api/session" | jq -r .csrf) &&
	vid=$(en village list --json | jq -r ".[0].id") &&
	gid=$(en group list --json | jq -r ".[0].id") &&
	for lang in en-US zh-CN; do
		curl -s -b "$TRASH/jar" -X POST -H "X-CSRF-Token: $csrf" -H "Origin: $base" \
			-H "Content-Type: application/json" -H "Accept-Language: $lang" \
			--data "{\"village\":\"$vid\",\"group\":\"$gid\",\"head\":\"己\",\"approach\":\"new-build\",\"build\":\"self\",\"type\":\"three-grid\",\"phone\":\"123\"}" \
			"$base/api/households" >"$TRASH/answer-$lang" || return 1
	done &&
	kill $ui_pid &&
	cat "$TRASH/answer-en-US" "$TRASH/answer-zh-CN" &&
	jq -e ".message | startswith(\"phone '\''123'\'' is not\")" "$TRASH/answer-en-US" >/dev/null &&
	jq -e ".message | startswith(\"联系电话“123”格式不对\")" "$TRASH/answer-zh-CN" >/dev/null &&
	jq -e ".field == \"phone\"" "$TRASH/answer-en-US" >/dev/null &&
	jq -e ".field == \"phone\"" "$TRASH/answer-zh-CN" >/dev/null &&
	test "$(en household list --json | jq "map(select(.head == \"己\")) | length")" = 0
'

test_expect_success 'huce-syncd admin speaks Chinese, and English under C' '
	LANG=C expect_exit 2 "$HUCE_SYNCD" admin --store "$TRASH/c.db" bogus 2>"$TRASH/en.err" &&
	head -n 1 "$TRASH/en.err" | grep -qx "huce-syncd admin: unknown command '\''bogus'\''" &&
	LANG=zh_CN.UTF-8 expect_exit 2 "$HUCE_SYNCD" admin --store "$TRASH/c.db" bogus 2>"$TRASH/zh.err" &&
	head -n 1 "$TRASH/zh.err" | grep -qx "huce-syncd admin: 未知命令“bogus”" &&
	grep -q "^用法：huce-syncd admin " "$TRASH/zh.err"
'

# The central speaks English whatever its machine's language: its words
# are the wire's (a message in an error answer, a refused change's reason).
test_expect_success 'the central started in Chinese answers in English' '
	token=$(LANG=zh_CN.UTF-8 "$HUCE_SYNCD" admin --store "$TRASH/c.db" device add 乙 | tail -n 1) &&
	start_zh_central() {
		LANG=zh_CN.UTF-8 "$HUCE_SYNCD" central --store "$TRASH/c.db" --listen 127.0.0.1:0 \
			--port-file "$TRASH/c.port" >"$TRASH/c.log" 2>&1 &
		pid=$!
	} &&
	start_zh_central &&
	echo $pid >>"$TRASH/.central_pids" &&
	for _ in $(seq 100); do [ -s "$TRASH/c.port" ] && break; sleep 0.05; done &&
	curl -s -X POST -H "Authorization: Bearer $token" \
		-H "Content-Type: application/x-huce-batch" --data-binary garbage \
		"http://127.0.0.1:$(cat "$TRASH/c.port")/v1/batches" >"$TRASH/answer" &&
	cat "$TRASH/answer" &&
	grep -q "\"message\":\"not a huce batch\"" "$TRASH/answer"
'

test_done
