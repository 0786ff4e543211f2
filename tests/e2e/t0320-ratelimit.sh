#!/bin/bash
# t0320-ratelimit.sh - each device has a token bucket (--rate, --burst):
# a burst past it is answered 429 with Retry-After, other devices and
# health checks are not affected, and the bucket refills.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"

test_expect_success 'set up two devices' '
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	new_token "$S" laptop-2 >"$TRASH/tok2" &&
	test -s "$TRASH/tok1" && test -s "$TRASH/tok2" &&
	$MKBATCH households --households 1 --device laptop-1 --seed rl >"$TRASH/hh.hucb"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
T2=$(cat "$TRASH/tok2" 2>/dev/null)
start_central c "$S" --rate 0.5 --burst 5 || exit 1

test_expect_success 'a burst past the bucket gets 429 with Retry-After, pushes too' '
	for i in $(seq 1 20); do
		hreq "$TRASH/r$i" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0"
		echo
	done >"$TRASH/codes" &&
	post_batch 429 "$TRASH/push" "$c_URL" "$T1" "$TRASH/hh.hucb" &&
	expect_error "$TRASH/push" too_many_requests &&
	ok=$(grep -c "^200$" "$TRASH/codes") &&
	limited=$(grep -c "^429$" "$TRASH/codes") &&
	test $((ok + limited)) = 20 &&
	test "$(head -n 5 "$TRASH/codes" | grep -c "^200$")" = 5 &&
	test "$limited" -ge 5 &&
	last=$(ls "$TRASH"/r* | grep -v "\.h$" | while read f; do
		grep -q too_many_requests "$f" && echo "$f"; done | tail -n 1) &&
	expect_error "$last" too_many_requests &&
	retry=$(header "$last.h" Retry-After) &&
	test "$retry" -ge 1 && test "$retry" -le 2
'

test_expect_success 'other devices and health checks are not limited' '
	expect_status 200 "$B" -H "Authorization: Bearer $T2" "$c_URL/v1/changes?after=0" &&
	for i in $(seq 1 30); do
		health_ok "$c_URL" || return 1
	done
'

test_expect_success 'unknown tokens are refused before the bucket' '
	expect_status 401 "$B" -H "Authorization: Bearer nope" "$c_URL/v1/changes?after=0"
'

test_expect_success 'the bucket refills' '
	sleep 4.5 &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh.hucb"
'

stop_central c
start_central c "$S" --rate 0 || exit 1
test_expect_success '--rate 0: 300 requests in a row all pass' '
	for i in $(seq 1 300); do
		echo "url = \"$c_URL/v1/changes?after=0&limit=1\""
		echo "output = /dev/null"
	done >"$TRASH/curl.cfg" &&
	curl -s -K "$TRASH/curl.cfg" -H "Authorization: Bearer $T1" \
		-w "%{http_code}\n" >"$TRASH/codes" &&
	test "$(grep -c "^200$" "$TRASH/codes")" = 300
'

test_expect_success 'a bad --rate or --burst is a usage error' '
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --rate x &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --rate -1 &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --burst 0
'

test_done
