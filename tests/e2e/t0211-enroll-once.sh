#!/bin/bash
# t0211-enroll-once.sh - a token enrolls one laptop, and the laptop's name
# and the central's name for it are one name (issue 9, item 6).
#
# `huce enroll` sends the laptop's install id (its device_id, made by
# `huce init`) in X-Huce-Install.  The central keeps the id of the first
# laptop that enrolled with a token (schema 0003) and refuses another
# with 409 {"error":"already_enrolled"}; `huce enroll` then says so in
# plain words, exits 1 and keeps nothing.  The same laptop may enrol
# again (a retry after a lost answer; a copy of its own file restored
# from a backup).  After enrolment the laptop's device name is the
# central's name for it, so `huce status` and `admin device list` agree.
# The PostgreSQL twin is t0703.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"
adm() { "$HUCE_SYNCD" admin --store "$S" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
MSG="this token has already enrolled a laptop; ask the town office for a token of your own"

{
	adm town 阿猛镇 &&
	new_token "$S" laptop-a >"$TRASH/tok.a" &&
	new_token "$S" laptop-b >"$TRASH/tok.b" &&
	new_token "$S" laptop-c >"$TRASH/tok.c"
} >/dev/null || exit 1
start_central c "$S" --rate 0 || exit 1

test_expect_success 'a laptop enrolls, and takes the central'"'"'s name for it' '
	"$HUCE" --db "$TRASH/a.db" init --device 小王的电脑 >/dev/null &&
	h a enroll "$c_URL" "$(cat "$TRASH/tok.a")" >out &&
	grep -q "^enrolled as device laptop-a" out &&
	grep -q "was called .小王的电脑.; it now has the central.s name for it, .laptop-a." out &&
	test "$(h a status --json | jq -r .device)" = laptop-a &&
	adm device list | grep -q laptop-a
'

test_expect_success 'the same laptop may enrol again (a retry after a lost answer)' '
	h a enroll "$c_URL" "$(cat "$TRASH/tok.a")" >out &&
	grep -q "^enrolled as device laptop-a" out &&
	! grep -q "was called" out
'

test_expect_success 'another laptop with that token is refused: 409, a plain message, exit 1, nothing kept' '
	"$HUCE" --db "$TRASH/b.db" init --device 小李的电脑 >/dev/null &&
	cp "$TRASH/b.db" "$TRASH/b.before" &&
	expect_exit 1 h b enroll "$c_URL" "$(cat "$TRASH/tok.a")" 2>err &&
	grep -qF "$MSG" err &&
	test "$(h b status --json | jq -r .device)" = 小李的电脑 &&
	test "$(h b status --json | jq -r .central)" = null &&
	test "$(sqlite3 "$TRASH/b.db" "SELECT count(*) FROM meta WHERE key IN ('"'"'token'"'"', '"'"'town_key'"'"', '"'"'central_url'"'"', '"'"'central_device'"'"')")" = 0 &&
	sqlite3 "$S" "SELECT actor || \" \" || action FROM audit" | grep -q "^laptop-a enroll-refused$"
'

test_expect_success 'on the wire: 409 already_enrolled with the message; 426 from an old laptop, 400 without an install id' '
	T=$(cat "$TRASH/tok.a") &&
	expect_status 409 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Install: someone-else" "$c_URL/v1/enroll" &&
	expect_error "$B" already_enrolled &&
	test "$(jget "$B" "d[\"message\"]")" = "$MSG" &&
	! grep -q town_key "$B" &&
	expect_status 426 "$B" -H "Authorization: Bearer $T" "$c_URL/v1/enroll" &&
	expect_error "$B" upgrade &&
	jget "$B" "d[\"message\"]" | grep -q "too old for the town.s central.*Install huce 0.2.0 or newer on this laptop" &&
	test "$(jget "$B" "d[\"release\"]")" = 0.2.0 &&
	expect_status 400 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: 2" "$c_URL/v1/enroll" &&
	expect_error "$B" malformed &&
	expect_status 400 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Install: a b" "$c_URL/v1/enroll" &&
	expect_status 400 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Install: $(printf "%065d" 0)" "$c_URL/v1/enroll" &&
	id=$(sqlite3 "$TRASH/a.db" "SELECT value FROM meta WHERE key = '"'"'device_id'"'"'") &&
	expect_status 200 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Install: $id" "$c_URL/v1/enroll" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-a
'

test_expect_success 'on the wire: X-Huce-Protocol outside what the central serves is 426, in words; not a number is 400' '
	T=$(cat "$TRASH/tok.a") &&
	expect_status 426 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: 3" "$c_URL/v1/changes" &&
	expect_error "$B" upgrade &&
	jget "$B" "d[\"message\"]" | grep -q "newer than the town.s central (huce 0.2.0): it speaks protocol 3, the central 2 at most. Ask the town office to upgrade the central" &&
	test "$(jget "$B" "d[\"protocol\"][\"max\"]")" = 2 &&
	expect_status 426 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: 0" "$c_URL/v1/changes" &&
	jget "$B" "d[\"message\"]" | grep -q "too old for the town.s central (huce 0.2.0): sync needs protocol 1 or newer, this laptop speaks 0. Install huce 0.1.0 or newer" &&
	expect_status 400 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: two" "$c_URL/v1/changes" &&
	expect_error "$B" malformed &&
	expect_status 401 "$B" -H "X-Huce-Protocol: 9" "$c_URL/v1/changes" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: 1" "$c_URL/v1/changes" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T" -H "X-Huce-Protocol: 2" "$c_URL/v1/changes"
'

test_expect_success 'a copy of the laptop'"'"'s own file (a restored backup) may enrol again' '
	sqlite3 "$TRASH/a.db" ".backup $TRASH/a2.db" &&
	h a2 enroll "$c_URL" "$(cat "$TRASH/tok.a")" >/dev/null
'

test_expect_success 'with a token of its own the second laptop enrolls; names agree everywhere' '
	h b enroll "$c_URL" "$(cat "$TRASH/tok.b")" >/dev/null &&
	h a village add 阿猛村 >/dev/null &&
	h a sync >/dev/null && h b sync >/dev/null &&
	for d in a b; do h $d status --json | jq -r .device || return 1; done | sort >names &&
	adm device list --json | jq -r ".[].name" | grep -E "laptop-(a|b)" | sort >central &&
	test_cmp central names &&
	test "$(h b village list --json | jq length)" = 1
'

test_expect_success 'two laptops racing on one fresh token: exactly one wins' '
	T=$(cat "$TRASH/tok.c") &&
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $T" \
			-H "X-Huce-Install: racer-$i" "$c_URL/v1/enroll" >"race.$i" &
	done &&
	wait &&
	test "$(cat race.* | grep -c "^200$")" = 1 &&
	test "$(cat race.* | grep -c "^409$")" = 5
'

test_expect_success 'a token that enrolled before the upgrade binds at its next enrolment' '
	sqlite3 "$S" "UPDATE device SET install_id = NULL, enrolled_at = NULL WHERE name = '"'"'laptop-b'"'"'" &&
	h b enroll "$c_URL" "$(cat "$TRASH/tok.b")" >/dev/null &&
	test "$(sqlite3 "$S" "SELECT install_id FROM device WHERE name = '"'"'laptop-b'"'"'")" = \
	     "$(sqlite3 "$TRASH/b.db" "SELECT value FROM meta WHERE key = '"'"'device_id'"'"'")" &&
	expect_exit 1 h a enroll "$c_URL" "$(cat "$TRASH/tok.b")" 2>err &&
	grep -qF "$MSG" err
'

test_done
