#!/bin/bash
# t0611-hostile-auth.sh - who may push what, and in which order (issue 4,
# item 3), beyond t0300: tokens that are missing, malformed, nearly right
# (one digit off, one digit short or long, upper case, the stored hash
# itself, a token with a NUL), revoked tokens on every endpoint including
# the push, a device posting as another, replays whose content was
# altered, batches that overlap the high-water mark, gaps, and a push
# after the device was revoked and added again.  Each refusal is the
# documented status with a JSON error, stores nothing, and the central
# keeps serving; the agent stops (exit 1, a clear message) on 401.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"
hwm() { sqlite3 "$S" "SELECT hwm FROM device WHERE name = '$1'"; }

test_expect_success 'set up three devices' '
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	new_token "$S" laptop-2 >"$TRASH/tok2" &&
	new_token "$S" laptop-3 >"$TRASH/tok3" &&
	$MKBATCH households --households 3 --device laptop-1 --seed a >"$TRASH/a.hucb" &&
	$MKBATCH households --households 3 --device laptop-3 --seed c >"$TRASH/c.hucb"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
T2=$(cat "$TRASH/tok2" 2>/dev/null)
T3=$(cat "$TRASH/tok3" 2>/dev/null)
start_central c "$S" --rate 0 || exit 1

test_expect_success 'near-miss tokens are 401 on push, pull and enroll' '
	flip=$(printf %s "$T1" | sed "s/.$/$(printf %s "$T1" | tail -c 1 | tr 0-9a-f 1-9a-f0)/") &&
	test "$flip" != "$T1" &&
	up=$(printf %s "$T1" | tr a-f A-F) &&
	hash=$(sqlite3 "$S" "SELECT token_hash FROM device WHERE name = '"'"'laptop-1'"'"'") &&
	test ${#hash} = 64 &&
	for tok in "$flip" "${T1%?}" "${T1}0" "$up" "$hash" "$T1 $T1" "${T1}%00" \
		"$(printf %0128d 0)" "$(head -c 3000 /dev/zero | tr "\\0" a)"; do
		post_batch 401 "$B" "$c_URL" "$tok" "$TRASH/a.hucb" &&
		expect_error "$B" unauthorized &&
		expect_status 401 "$B" -H "Authorization: Bearer $tok" "$c_URL/v1/changes?after=0" &&
		expect_status 401 "$B" -H "Authorization: Bearer $tok" "$c_URL/v1/enroll" || return 1
	done &&
	test "$(hwm laptop-1)" = 0 &&
	health_ok "$c_URL"
'

test_expect_success 'the token in the wrong place is not a token' '
	expect_status 401 "$B" "$c_URL/v1/changes?after=0&token=$T1" &&
	expect_status 401 "$B" -H "X-Token: $T1" "$c_URL/v1/changes?after=0" &&
	expect_status 401 "$B" -H "Cookie: token=$T1" "$c_URL/v1/changes?after=0" &&
	expect_status 401 "$B" -u "laptop-1:$T1" "$c_URL/v1/changes?after=0"
'

test_expect_success 'a device posting as another: 403, nothing stored' '
	post_batch 403 "$B" "$c_URL" "$T2" "$TRASH/a.hucb" &&
	expect_error "$B" wrong_device &&
	post_batch 403 "$B" "$c_URL" "$T1" "$TRASH/c.hucb" &&
	test "$(hwm laptop-1)" = 0 && test "$(hwm laptop-2)" = 0 && test "$(hwm laptop-3)" = 0 &&
	test "$(sqlite3 "$S" "SELECT count(*) FROM record")" = 0
'

test_expect_success 'the right token lands the batch' '
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/a.hucb" &&
	test "$(jget "$B" "d[\"applied\"]")" = 5 &&
	test "$(hwm laptop-1)" = 5 &&
	households "$S" >"$TRASH/hh.1"
'

test_expect_success 'a replay with altered content is skipped, not applied' '
	$MKBATCH payload --households 3 --seed a >"$TRASH/p" &&
	sed "s/\"head\": \"[^\"]*\"/\"head\": \"EVIL\"/g" "$TRASH/p" >"$TRASH/p.evil" &&
	! cmp -s "$TRASH/p" "$TRASH/p.evil" &&
	$MKBATCH batch --device laptop-1 --first 1 --last 5 <"$TRASH/p.evil" >"$TRASH/evil.hucb" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/evil.hucb" &&
	test "$(jget "$B" "d[\"applied\"]")" = 0 &&
	test "$(jget "$B" "d[\"skipped\"]")" = 5 &&
	households "$S" >"$TRASH/hh.2" &&
	test_cmp "$TRASH/hh.1" "$TRASH/hh.2" &&
	! grep -q EVIL "$TRASH/hh.2"
'

test_expect_success 'a batch overlapping the high-water mark: old part skipped, new part applied' '
	$MKBATCH payload --households 5 --first 4 --seed over >"$TRASH/p" &&
	$MKBATCH batch --device laptop-1 --first 4 --last 10 <"$TRASH/p" >"$TRASH/over.hucb" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/over.hucb" &&
	test "$(jget "$B" "d[\"skipped\"]")" = 2 &&
	test "$(jget "$B" "d[\"hwm\"]")" = 10 &&
	test "$(hwm laptop-1)" = 10
'

test_expect_success 'gaps: 409 with the expected seq, at any distance; nothing stored' '
	households "$S" >"$TRASH/hh.3" &&
	for first in 12 100 9007199254740000; do
		$MKBATCH payload --households 1 --first $first --seed gap$first >"$TRASH/p" &&
		$MKBATCH batch --device laptop-1 --first $first --last $((first + 2)) <"$TRASH/p" >"$TRASH/gap.hucb" &&
		post_batch 409 "$B" "$c_URL" "$T1" "$TRASH/gap.hucb" &&
		expect_error "$B" gap &&
		test "$(jget "$B" "d[\"expected\"]")" = 11 || return 1
	done &&
	households "$S" >"$TRASH/hh.4" &&
	test_cmp "$TRASH/hh.3" "$TRASH/hh.4" &&
	test "$(hwm laptop-1)" = 10
'

test_expect_success 'revoked: push, pull and enroll are 401 and nothing lands' '
	"$HUCE_SYNCD" admin --store "$S" device revoke laptop-3 &&
	post_batch 401 "$B" "$c_URL" "$T3" "$TRASH/c.hucb" &&
	expect_error "$B" unauthorized &&
	expect_status 401 "$B" -H "Authorization: Bearer $T3" "$c_URL/v1/changes?after=0" &&
	expect_status 401 "$B" -H "Authorization: Bearer $T3" "$c_URL/v1/enroll" &&
	test "$(hwm laptop-3)" = 0 &&
	test "$(sqlite3 "$S" "SELECT count(*) FROM record WHERE created_by = '"'"'laptop-3'"'"'")" = 0
'

test_expect_success 'a laptop whose token was revoked stops with a clear message' '
	new_token "$S" laptop-4 >"$TRASH/tok4" &&
	new_device d4 &&
	"$HUCE" --db "$TRASH/d4.db" enroll "$c_URL" "$(cat "$TRASH/tok4")" >/dev/null &&
	"$HUCE" --db "$TRASH/d4.db" village add 村四 >/dev/null &&
	"$HUCE_SYNCD" admin --store "$S" device revoke laptop-4 &&
	expect_exit 1 "$HUCE" --db "$TRASH/d4.db" sync 2>"$TRASH/err" &&
	grep -q "401" "$TRASH/err" &&
	test "$("$HUCE" --db "$TRASH/d4.db" status --json | jq .pending)" = 1 &&
	timeout 20 "$HUCE_SYNCD" agent --db "$TRASH/d4.db" --interval 1 2>"$TRASH/agent.err";
	test $? = 1 &&
	grep -q "401" "$TRASH/agent.err"
'

test_expect_success 'a revoked name cannot be taken over by adding it again' '
	if "$HUCE_SYNCD" admin --store "$S" device add laptop-3 >"$TRASH/readd" 2>&1; then
		T3b=$(tail -n 1 "$TRASH/readd") &&
		test "$T3b" != "$T3" &&
		post_batch 401 "$B" "$c_URL" "$T3" "$TRASH/c.hucb"
	else
		cat "$TRASH/readd"
	fi
'

test_expect_success 'the central kept serving and logged no token' '
	health_ok "$c_URL" &&
	kill -0 "$c_PID" &&
	! grep -qF "$T1" "$TRASH/c.log" &&
	! grep -qF "$T3" "$TRASH/c.log" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log"
'

stop_central c
test_done
