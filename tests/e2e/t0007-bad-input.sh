#!/bin/bash
# t0007-bad-input.sh - hostile and mistaken input on every text a cadre
# types: empty, over-long (10 KB and 100 KB), invalid UTF-8 (stray bytes,
# overlongs, surrogates, truncated characters), control characters.  Each
# is refused with exit 3 and leaves the database content unchanged (same
# .dump).  SQL metacharacters are data: stored literally, round-tripped
# byte for byte, and never change the schema.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
snap() { dump_db "$DB" >"$TRASH/before.dump"; }
unchanged() { dump_db "$DB" >"$TRASH/after.dump" && test_cmp "$TRASH/before.dump" "$TRASH/after.dump"; }

# The bad values, by name.  Bash arguments cannot hold NUL bytes.
declare -A BAD
BAD[empty]=""
BAD[10kb]=$(head -c 10240 /dev/zero | tr "\0" "x")
BAD[10kb_chinese]=$(for _ in $(seq 1 1200); do printf "张三"; done)	# 7200 bytes
BAD[100kb]=$(head -c 102400 /dev/zero | tr "\0" "y")
BAD[ff_fe]=$(printf '\xff\xfe')
BAD[latin1]=$(printf 'Zo\xeb')
BAD[gbk]=$(printf '\xd5\xc5\xc8\xfd')
BAD[overlong_slash]=$(printf '\xc0\xaf')
BAD[overlong_3]=$(printf '\xe0\x80\xaf')
BAD[surrogate]=$(printf '\xed\xa0\x80')
BAD[above_max]=$(printf '\xf4\x90\x80\x80')
BAD[truncated]=$(printf '张\xe4\xb8')
BAD[lone_cont]=$(printf 'a\x80b')
BAD[newline]=$(printf '张\n三')
BAD[tab]=$(printf '张\t三')
BAD[cr]=$(printf '张三\r')
BAD[escape]=$(printf '\033[31m红\033[0m')
BAD[del]=$(printf '张\x7f')
BAD[bell]=$(printf '\a')

{
	h init --device d1 &&
	h village add 阿猛村 && h group add --village 阿猛村 第一组 &&
	h cadre add 李四 --role liaison && h team add 甲队 &&
	h cadre add 王工 --role inspector && h cadre add "王工's" --role inspector &&
	h household add --village 阿猛村 --group 第一组 --head 张三 --approach new-build \
		--build self --type three-grid | tail -n 1 >"$TRASH/hh"
} >/dev/null || exit 1
HH=$(cat "$TRASH/hh")
CRIT=(
	--item tank_volume=1.6 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}"
)

# try NAME CMD...: where the value goes, @ in the arguments is replaced
# by each bad value in turn; every one must exit 3 and change nothing.
# Values listed in $skip are not tried.
try() {
	local label=$1 skip=$2 k got
	shift 2
	for k in "${!BAD[@]}"; do
		case " $skip " in *" $k "*) continue ;; esac
		local args=() a
		for a in "$@"; do
			if [ "$a" = @ ]; then args+=("${BAD[$k]}"); else args+=("${a//@/${BAD[$k]}}"); fi
		done
		dump_db "$DB" >"$TRASH/before.dump"
		"$HUCE" --db "$DB" "${args[@]}" >"$TRASH/out" 2>"$TRASH/err"
		got=$?
		if [ "$got" != 3 ]; then
			echo "$label with $k: exit $got, want 3"
			head -c 300 "$TRASH/err"
			return 1
		fi
		dump_db "$DB" >"$TRASH/after.dump"
		cmp -s "$TRASH/before.dump" "$TRASH/after.dump" ||
			{ echo "$label with $k: database changed"; return 1; }
		grep -q "^huce: " "$TRASH/err" || { echo "$label with $k: no message"; return 1; }
		# The message must not echo raw invalid bytes back.
		iconv -f UTF-8 -t UTF-8 "$TRASH/err" >/dev/null 2>&1 ||
			{ echo "$label with $k: stderr is not valid UTF-8"; return 1; }
	done
}

test_expect_success 'village, group, cadre and team names' '
	try "village add" "" village add @ &&
	try "group add" "" group add --village 阿猛村 @ &&
	try "cadre add" "" cadre add @ --role liaison &&
	try "team add" "" team add @ &&
	try "team leader" "" team add 乙队 --leader @ &&
	try "cadre phone" "" cadre add 王五 --role liaison --phone @
'

test_expect_success 'household head and free-text fields, on add and on set' '
	A="--village 阿猛村 --group 第一组 --approach new-build --build self --type three-grid" &&
	try "household add --head" "" household add $A --head @ &&
	try "household add --phone" "empty" household add $A --head 王 --phone @ &&
	try "household add --house-no" "empty" household add $A --head 王 --house-no @ &&
	try "household add --gps" "empty" household add $A --head 王 --gps @ &&
	try "household add --current-toilet" "empty" household add $A --head 王 --current-toilet @ &&
	try "household add --agreement" "empty" household add $A --head 王 --agreement @ &&
	try "household set head" "" household set "$HH" head=@ &&
	try "household set phone" "empty" household set "$HH" phone=@ &&
	try "household set current_toilet" "empty" household set "$HH" current_toilet=@
'

test_expect_success 'inspection inspector, note and gps' '
	try "inspect --inspector" "" inspect "$HH" --stage completion --inspector @ "${CRIT[@]}" &&
	try "inspect --note" "empty" inspect "$HH" --stage completion --inspector 王工 --note @ "${CRIT[@]}" &&
	try "inspect --gps" "" inspect "$HH" --stage completion --inspector 王工 --gps @ "${CRIT[@]}" &&
	try "inspect --item value" "" inspect "$HH" --stage completion --inspector 王工 "${CRIT[@]:2}" --item tank_volume=@ &&
	try "inspect --item code" "" inspect "$HH" --stage completion --inspector 王工 "${CRIT[@]}" --item @=1
'

test_expect_success 'init device and town names (nothing created)' '
	for k in "${!BAD[@]}"; do
		"$HUCE" --db "$TRASH/i.db" init --device "${BAD[$k]}" >/dev/null 2>&1
		got=$? && test "$got" = 3 || { echo "init --device $k: exit $got"; exit 1; }
		"$HUCE" --db "$TRASH/i.db" init --device ok --town "${BAD[$k]}" >/dev/null 2>&1
		got=$? && test "$got" = 3 || { echo "init --town $k: exit $got"; exit 1; }
		test ! -e "$TRASH/i.db" || { echo "init with $k created the file"; exit 1; }
	done
'

test_expect_success 'bad names in look-ups are not found (4), nothing changes' '
	snap &&
	for k in 10kb ff_fe surrogate newline; do
		expect_exit 4 h household list --village "${BAD[$k]}" 2>/dev/null &&
		expect_exit 4 h group add --village "${BAD[$k]}" 一组 2>/dev/null &&
		expect_exit 4 h household assign "$HH" --cadre "${BAD[$k]}" 2>/dev/null || exit 1
	done &&
	expect_exit 4 h household list --village "阿猛村'\'' OR '\''1'\''='\''1" &&
	expect_exit 4 h household show "%%%%" &&
	expect_exit 4 h household show "____" &&
	expect_exit 4 h household show "$(printf "%s" "$HH" | cut -c1-8)%" &&
	unchanged
'

SQLS=(
	"'; DROP TABLE household; --"
	"Robert'); DELETE FROM outbox; --"
	"\" OR 1=1 --"
	"x' || (SELECT hex(randomblob(4))) || '"
	"%_[]*?\\"
)

test_expect_success 'SQL metacharacters are stored literally and round-trip' '
	for s in "${SQLS[@]}"; do
		v=$(last_line h village add "v$s") &&
		g=$(last_line h group add --village "v$s" "g$s") &&
		h cadre add "c$s" --role liaison >/dev/null &&
		h team add "t$s" >/dev/null &&
		hh=$(last_line h household add --village "v$s" --group "g$s" --head "h$s" \
			--approach new-build --build contracted --team "t$s" --cadre "c$s" \
			--type sewer --house-no "n$s") &&
		h household list --village "v$s" --json >l.json &&
		test "$(jq length l.json)" = 1 &&
		jq -r ".[0].head" l.json >got && printf "%s\n" "h$s" >want && cmp want got &&
		jq -r ".[0].village" l.json >got && printf "%s\n" "v$s" >want && cmp want got &&
		jq -r ".[0].group" l.json >got && printf "%s\n" "g$s" >want && cmp want got &&
		jq -r ".[0].team" l.json >got && printf "%s\n" "t$s" >want && cmp want got &&
		jq -r ".[0].cadre" l.json >got && printf "%s\n" "c$s" >want && cmp want got &&
		test "$(h household show "$hh" --json | jq -r .house_no)" = "n$s" ||
			{ echo "value $s did not round-trip"; exit 1; }
	done &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM household")" = $((1 + ${#SQLS[@]})) &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" = 32 &&
	for t in household outbox village village_group cadre team; do
		test "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = '\''$t'\''")" = 1 || exit 1
	done
'

test_expect_success 'a note with SQL metacharacters and Chinese is kept as typed' '
	note="整改意见：'\''; DROP TABLE inspection; -- 见附件 \"二\"" &&
	i=$(last_line h inspect "$HH" --stage completion --inspector "王工'\''s" "${CRIT[@]}" --note "$note") &&
	h household show "$HH" --json >s.json &&
	jq -r --arg i "$i" ".inspections[] | select(.id == \$i) | .note" s.json >got &&
	printf "%s\n" "$note" >want && cmp want got &&
	test "$(jq -r --arg i "$i" ".inspections[] | select(.id == \$i) | .inspectors" s.json)" = "王工'\''s"
'

test_expect_success 'the database is intact after all of it' '
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	h status --json | jq -e ".device == \"d1\"" >/dev/null
'

test_done
