#!/bin/bash
# t0217-clock.sh - a laptop with a wrong clock is told (issue 9, item 13).
#
# A dead CMOS battery sets a laptop's clock back by months.  Every answer
# of the central carries the central's clock (X-Huce-Time, and Date); at
# enrolment and at every sync (`huce sync`, the agent) the laptop compares
# it with its own.  More than a day apart, `huce sync` says so in plain
# words, `huce status` shows it (status --json "clock"), and the
# inspection dates the laptop took from its wrong clock (no --date) since
# the last good check are listed for the cadre to confirm (`huce clock`,
# `huce clock confirm`).
#
# The laptop's wrong clock is made with faketime (libfaketime, Debian
# package faketime, installed by scripts/deps.sh); the central keeps the
# machine's clock.  Under an ASan build libfaketime is preloaded ahead of
# the ASan runtime, which ASan accepts with verify_asan_link_order=0.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

if ! command -v faketime >/dev/null; then
	echo "# $TEST_NAME needs faketime (Debian package faketime): run scripts/deps.sh"
	exit 1
fi

S="$TRASH/central.db"
B="$TRASH/b"
adm() { "$HUCE_SYNCD" admin --store "$S" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
# fake OFFSET CMD...: run CMD with the machine's clock moved by OFFSET
# (faketime's "-400d", "+3d", "-20h"); the monotonic clock is left alone
# so that libcurl's timeouts still work.
fake() {
	_off=$1
	shift
	FAKETIME_DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f "$_off" "$@"
}
PASS_3G=(
	--item tank_volume=1.6 --item ratio_2_1_3=yes --item effective_depth=1.2
	--item inlet_pipe_diameter=110 --item transfer_pipes_ok=yes --item vent_height=600
	--item backfill_ok=yes
	--item walls_roof_door=yes --item room_area=1.5 --item room_height=2.2
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	--item pan_ok=yes --item plaque_installed=yes --item household_satisfied=yes
	"${DONE_PHOTOS[@]}"
)
# setup DEV: a laptop enrolled with the central, a village, a group and
# a cadre who inspects.
setup() {
	new_token "$S" "$1" >"$TRASH/$1.tok" &&
	new_device "$1" &&
	h "$1" enroll "$c_URL" "$(cat "$TRASH/$1.tok")" >/dev/null &&
	h "$1" village add 阿猛村 >/dev/null &&
	h "$1" group add --village 阿猛村 第一组 >/dev/null &&
	h "$1" cadre add 李四 --role liaison >/dev/null
}
newhh() {
	last_line h "$1" household add --village 阿猛村 --group 第一组 --head "$2" \
		--approach new-build --build self --type three-grid --cadre 李四
}
# inspect DEV HH [ARGS...]: a passing completion inspection; prints its id.
inspect() {
	_d=$1 _hh=$2
	shift 2
	last_line h "$_d" inspect "$_hh" --stage completion --inspector 李四 "${PASS_3G[@]}" "$@"
}

adm town 阿猛镇 >/dev/null || exit 1
start_central c "$S" --rate 0 || exit 1

test_expect_success 'every answer of the central carries its clock' '
	now=$(date +%s) &&
	for u in /v1/health /v1/enroll /v1/nope "/v1/changes?after=x"; do
		hreq "$B" "$c_URL$u" >/dev/null &&
		t=$(header "$B.h" X-Huce-Time) &&
		test -n "$t" && test $((t - now)) -ge -5 && test $((t - now)) -le 60 &&
		test -n "$(header "$B.h" Date)" || { echo "no clock on $u" >&2; return 1; }
	done &&
	hreq "$B" -X POST --data-binary x -H "Content-Encoding: gzip" "$c_URL/v1/batches" >/dev/null &&
	test -n "$(header "$B.h" X-Huce-Time)"
'

test_expect_success 'a laptop with a right clock: checked, nothing to confirm' '
	setup good &&
	test "$(h good status --json | jq .clock.off)" = false &&
	hh=$(newhh good 岩温) &&
	inspect good "$hh" >/dev/null &&
	h good sync >out 2>err &&
	! grep -q "clock" err &&
	h good status --json >st &&
	test "$(jq .clock.off st)" = false &&
	s=$(jq .clock.skew_seconds st) && test "$s" -ge -60 && test "$s" -le 60 &&
	test "$(jq ".clock.confirm | length" st)" = 0 &&
	test "$(jq -r .clock.checked_at st)" != null
'

test_expect_success 'a clock 400 days behind: sync says so in plain words, status shows it, its dates are to confirm' '
	setup late &&
	hh=$(newhh late 玉香) && hh2=$(newhh late 岩罕) &&
	i1=$(fake -400d "$HUCE" --db "$TRASH/late.db" inspect "$hh" --stage completion \
		--inspector 李四 "${PASS_3G[@]}" | tail -n 1) &&
	wrong=$(fake -400d date +%Y-%m-%d) &&
	test "$(h late household show "$hh" --json | jq -r ".inspections[0].date")" = "$wrong" &&
	inspect late "$hh2" --date "$(date +%Y-%m-%d)" >/dev/null &&
	fake -400d "$HUCE" --db "$TRASH/late.db" sync >out 2>err &&
	cat err &&
	grep -q "this laptop.s clock is 400 days behind the central.s" err &&
	grep -q "set the laptop.s date and time" err &&
	grep -q "1 inspection date to confirm" err &&
	h late status --json >st &&
	test "$(jq .clock.off st)" = true &&
	s=$(jq .clock.skew_seconds st) &&
	test "$s" -le $((-399 * 86400)) && test "$s" -ge $((-401 * 86400)) &&
	test "$(jq ".clock.confirm | length" st)" = 1 &&
	test "$(jq -r ".clock.confirm[0].record" st)" = "$i1" &&
	test "$(jq -r ".clock.confirm[0].value" st)" = "$wrong" &&
	test "$(jq -r ".clock.confirm[0].kind" st)" = inspection &&
	test "$(jq -r ".clock.confirm[0].stage" st)" = completion &&
	test "$(jq -r ".clock.confirm[0].household" st)" = 玉香 &&
	h late status >text &&
	grep -q "400 days behind the central.s" text &&
	grep -q "confirm the dates of these inspections" text &&
	grep -q "$i1  $wrong  completion, household 玉香" text
'

test_expect_success 'a date taken while the clock is known wrong is flagged at once, with a warning' '
	hh=$(newhh late 岩三) &&
	i2=$(fake -400d "$HUCE" --db "$TRASH/late.db" inspect "$hh" --stage completion \
		--inspector 李四 "${PASS_3G[@]}" 2>err | tail -n 1) &&
	grep -q "clock was off by more than a day" err &&
	h late clock --json >ck &&
	test "$(jq ".confirm | length" ck)" = 2 &&
	test "$(jq -r ".confirm[1].record" ck)" = "$i2"
'

test_expect_success 'the cadre confirms dates one by one or all at once' '
	i1=$(h late clock --json | jq -r ".confirm[0].record") &&
	expect_exit 4 h late clock confirm 00000000-no-such 2>err &&
	expect_exit 2 h late clock confirm 2>err &&
	h late clock confirm "${i1:0:30}" >out &&
	grep -q "^1 date confirmed" out &&
	test "$(h late clock --json | jq ".confirm | length")" = 1 &&
	h late clock confirm --all >out &&
	grep -q "^1 date confirmed" out &&
	test "$(h late clock --json | jq ".confirm | length")" = 0
'

test_expect_success 'once the clock is set right, the next sync says nothing and new dates are not flagged' '
	h late sync >out 2>err &&
	! grep -q "clock" err &&
	test "$(h late status --json | jq .clock.off)" = false &&
	hh=$(newhh late 岩四) && inspect late "$hh" >/dev/null &&
	h late sync >/dev/null 2>&1 &&
	test "$(h late clock --json | jq ".confirm | length")" = 0
'

test_expect_success 'a clock ahead by 3 days is told too; less than a day is not' '
	setup ahead &&
	fake +3d "$HUCE" --db "$TRASH/ahead.db" sync >/dev/null 2>err &&
	grep -q "3 days ahead of the central.s" err &&
	test "$(h ahead status --json | jq .clock.off)" = true &&
	fake -20h "$HUCE" --db "$TRASH/ahead.db" sync >/dev/null 2>err &&
	! grep -q "clock is" err &&
	test "$(h ahead status --json | jq .clock.off)" = false &&
	s=$(h ahead status --json | jq .clock.skew_seconds) &&
	test "$s" -le $((-19 * 3600)) && test "$s" -ge $((-21 * 3600))
'

test_expect_success 'the agent checks the clock too, and enrolment does' '
	fake -30d "$HUCE_SYNCD" agent --db "$TRASH/ahead.db" --once >/dev/null 2>err &&
	grep -q "30 days behind" err &&
	test "$(h ahead status --json | jq .clock.off)" = true &&
	new_token "$S" fresh >"$TRASH/fresh.tok" && new_device fresh &&
	fake -30d "$HUCE" --db "$TRASH/fresh.db" enroll "$c_URL" "$(cat "$TRASH/fresh.tok")" >/dev/null 2>err &&
	grep -q "30 days behind" err &&
	test "$(h fresh status --json | jq .clock.off)" = true
'

test_done
