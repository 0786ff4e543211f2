#!/bin/bash
# t0006-exit-codes.sh - the exit codes of DESIGN.md section 6 for every
# command: 0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found.
# Every failure leaves the database content unchanged (same .dump) and,
# except for usage errors (which add the usage text), says what went
# wrong in one line on stderr starting "huce: ".

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }

# code ARGS...: run huce ARGS on $DB, want exit CODE; on failure the
# dump must not change and stderr must say why.
code() {
	local want=$1 got
	shift
	dump_db "$DB" >"$TRASH/before.dump"
	"$HUCE" --db "$DB" "$@" >"$TRASH/out" 2>"$TRASH/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "huce $*: exit $got, want $want"
		sed 's/^/    /' "$TRASH/err"
		return 1
	fi
	[ "$want" = 0 ] && return 0
	dump_db "$DB" >"$TRASH/after.dump"
	if ! cmp -s "$TRASH/before.dump" "$TRASH/after.dump"; then
		echo "huce $*: exit $got but the database changed:"
		diff -u "$TRASH/before.dump" "$TRASH/after.dump" | head -20
		return 1
	fi
	if ! head -n 1 "$TRASH/err" | grep -q "^huce: ."; then
		echo "huce $*: no 'huce: ' message on stderr"
		return 1
	fi
	if [ "$want" != 2 ] && [ "$(wc -l <"$TRASH/err")" != 1 ]; then
		echo "huce $*: stderr is not one line:"
		cat "$TRASH/err"
		return 1
	fi
	return 0
}

# GB 11643 check character.
idnum() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) sum=0 i map=10X98765432
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${map:sum%11:1}"
}
GOOD_ID=$(idnum 53262519800101123)
BAD_ID=${GOOD_ID:0:17}$(( (${GOOD_ID:17:1} + 1) % 10 ))
NOID=00000000-0000-7000-8000-000000000000
CRIT=(
	--item tank_volume=1.6 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	"${DONE_PHOTOS[@]}"
)
HHARGS=(--village 阿猛村 --group 第一组 --approach new-build --type three-grid)

{
	h init --device d1 &&
	h village add 阿猛村 && h group add --village 阿猛村 第一组 &&
	h cadre add 李四 --role liaison && h cadre add 王工 --role inspector && h team add 甲队 &&
	h household add "${HHARGS[@]}" --head 张三 --build contracted --team 甲队 | tail -n 1 >"$TRASH/hh" &&
	h household add "${HHARGS[@]}" --head 李五 --build self | tail -n 1 >"$TRASH/hh2"
} >/dev/null || exit 1
HH=$(cat "$TRASH/hh")
HH2=$(cat "$TRASH/hh2")
mkjpeg write "$TRASH/p.jpg"

test_expect_success 'exit 0: listings, status, reports' '
	code 0 village list && code 0 village list --json &&
	code 0 group list --json && code 0 cadre list --json && code 0 team list --json &&
	code 0 target list --json && code 0 household list --json &&
	code 0 household show "$HH" --json && code 0 rectify list --json &&
	code 0 status --json && code 0 report week --json && code 0 conflicts --json &&
	test "$(h conflicts --json)" = "[]" &&
	h report week --week 2026-W48 --json | jq -e ".week == \"2026-W48\" and (.villages | type == \"array\")" &&
	h status --json | jq -e ".pending > 0 and .quarantined == 0 and .conflicts == 0 and .last_sync == null"
'

test_expect_success 'exit 2: unknown flags, for every command' '
	code 2 init --device x --bogus &&
	code 2 village list --bogus && code 2 village add 新村 --bogus &&
	code 2 group list --bogus && code 2 group add --village 阿猛村 二组 --bogus &&
	code 2 cadre list -x && code 2 cadre add 王 --role liaison --bogus &&
	code 2 team list --bogus && code 2 team add 乙队 --bogus &&
	code 2 target set --village 阿猛村 --week 2026-W48 3 --bogus &&
	code 2 household list --bogus && code 2 household show "$HH" --bogus &&
	code 2 household add "${HHARGS[@]}" --head 王 --build self --bogus &&
	code 2 household set "$HH" head=王 --bogus &&
	code 2 household assign "$HH" --cadre 李四 --bogus &&
	code 2 household delete "$HH" --bogus &&
	code 2 inspect "$HH" --stage completion --inspector 王工 --bogus "${CRIT[@]}" &&
	code 2 photo add "$HH" "$TRASH/p.jpg" --kind room --bogus &&
	code 2 rectify list --bogus && code 2 status --bogus &&
	code 2 report week --bogus && code 2 conflicts --bogus
'

test_expect_success 'exit 2: missing operands, subcommands and option values' '
	code 2 village && code 2 village add && code 2 village frobnicate &&
	code 2 village add a b && code 2 village list extra &&
	code 2 group add --village 阿猛村 && code 2 cadre add && code 2 team add &&
	code 2 target set && code 2 target set --village 阿猛村 --week 2026-W48 &&
	code 2 household && code 2 household frobnicate &&
	code 2 household show && code 2 household set "$HH" &&
	code 2 household set "$HH" head && code 2 household assign "$HH" &&
	code 2 household add --head 王 &&
	code 2 inspect && code 2 inspect "$HH" --stage completion "${CRIT[@]}" &&
	code 2 inspect "$HH" --inspector 王工 --stage &&
	code 2 photo && code 2 photo add "$HH" && code 2 photo add "$HH" "$TRASH/p.jpg" &&
	code 2 rectify && code 2 rectify frobnicate && code 2 report && code 2 report month &&
	code 2 status extra && code 2 conflicts extra &&
	code 2 village add 新村 --json && code 2 household set "$HH" head=王 --json
'

test_expect_success 'exit 3: invalid data' '
	code 3 household add "${HHARGS[@]}" --head 王 --build self --id-number "$BAD_ID" &&
	code 3 household add "${HHARGS[@]}" --head 王 --build self --id-number 12345 &&
	code 3 household set "$HH" id_number="$BAD_ID" &&
	code 3 inspect "$HH2" --stage completion --inspector 王工 "${CRIT[@]}" --item no_such_item=1 &&
	code 3 inspect "$HH2" --stage completion --inspector 王工 "${CRIT[@]/room_area=1.5/room_area=999}" &&
	code 3 inspect "$HH2" --stage completion --inspector 王工 "${CRIT[@]/room_area=1.5/room_area=big}" &&
	code 3 inspect "$HH2" --stage completion --inspector 王工 "${CRIT[@]:2}" &&
	code 3 household add "${HHARGS[@]}" --head 王 --build contracted --team 甲队 &&
	code 3 village add "" && code 3 village add 阿猛村 &&
	code 3 cadre add 王 --role boss &&
	code 3 target set --village 阿猛村 --week 2026-W48 many &&
	code 3 report week --week 2026-W60 &&
	code 3 household list --status done &&
	code 3 household set "$HH" type=flush &&
	code 3 init --device again
'

test_expect_success 'exit 4: unknown household, village, group, cadre, team' '
	code 4 household show "$NOID" && code 4 household show 0123 &&
	code 4 household set "$NOID" head=王 && code 4 household assign "$NOID" --cadre 李四 &&
	code 4 household delete "$NOID" &&
	code 4 inspect "$NOID" --stage completion --inspector 王工 "${CRIT[@]}" &&
	expect_exit 4 h photo add "$NOID" "$TRASH/p.jpg" --kind room 2>/dev/null &&
	code 4 group add --village 不存在村 一组 && code 4 group list --village 不存在村 &&
	code 4 household list --village 不存在村 &&
	code 4 target set --village 不存在村 --week 2026-W48 1 &&
	code 4 household add --village 不存在村 --group 第一组 --head 王 --approach new-build --build self --type sewer &&
	code 4 household add --village 阿猛村 --group 第九组 --head 王 --approach new-build --build self --type sewer &&
	code 4 household add "${HHARGS[@]}" --head 王 --build self --cadre 无名氏 &&
	code 4 household add "${HHARGS[@]}" --head 王 --build contracted --team 无名队 &&
	code 4 household assign "$HH" --cadre 无名氏
'

# HOUSEHOLD|INSPECTION is one operand: an unknown one is one error, not
# a "household not found" followed by an "inspection not found".
test_expect_success 'photo add with an unknown owner: exit 4, one line on stderr' '
	code 4 photo add "$NOID" "$TRASH/p.jpg" --kind room
'

test_expect_success 'exit 1: storage that cannot be used' '
	expect_exit 1 "$HUCE" --db "$TRASH/no/such/dir/h.db" init --device x &&
	expect_exit 1 "$HUCE" --db "$TRASH/no/such/dir/h.db" status &&
	mkdir -p "$TRASH/adir" &&
	expect_exit 1 "$HUCE" --db "$TRASH/adir" init --device x &&
	head -c 4096 /dev/urandom >"$TRASH/garbage.db" &&
	cp "$TRASH/garbage.db" "$TRASH/garbage.orig" &&
	expect_exit 1 "$HUCE" --db "$TRASH/garbage.db" status &&
	cmp "$TRASH/garbage.db" "$TRASH/garbage.orig"
'

# A usage error is a usage error whether or not the database exists: the
# command line is checked before the database is opened (as `household`,
# `inspect`, `status`, `report` and `rectify` already do).
test_expect_success 'usage errors are exit 2 even without a database' '
	for args in "village add" "village frobnicate" "group add 一组" "cadre add 王" \
		"team add" "target set" "household show" "inspect" "status extra"; do
		"$HUCE" --db "$TRASH/none.db" $args >/dev/null 2>&1
		got=$?
		test "$got" = 2 || { echo "huce $args without a database: exit $got, want 2"; fails=1; }
	done &&
	test -z "${fails:-}" &&
	test ! -e "$TRASH/none.db"
'

test_done
