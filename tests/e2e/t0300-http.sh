#!/bin/bash
# t0300-http.sh - the central's HTTP API, endpoint by endpoint
# (http_server.h, DESIGN.md section 5): health, authentication,
# enrolment, push with every refusal status, replay, gap, pull paging and
# deflate.  The central keeps answering /v1/health throughout.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"

test_expect_success 'set up two devices' '
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	new_token "$S" laptop-2 >"$TRASH/tok2" &&
	test -s "$TRASH/tok1" && test -s "$TRASH/tok2" &&
	! cmp -s "$TRASH/tok1" "$TRASH/tok2"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
T2=$(cat "$TRASH/tok2" 2>/dev/null)
# Centrals start at top level: a test body runs in a subshell.
start_central c "$S" || exit 1
start_central small "$S" --max-body 4096 || exit 1

test_expect_success 'health answers without a token' '
	expect_status 200 "$B" "$c_URL/v1/health" &&
	test "$(jget "$B" "d[\"status\"]")" = ok &&
	test "$(jget "$B" "d[\"version\"]")" = "$("$HUCE_SYNCD" --version | cut -d" " -f2)" &&
	header "$B.h" Content-Type | grep -q "^application/json" &&
	expect_status 200 "$B" -I "$c_URL/v1/health"
'

test_expect_success 'unknown path is 404, wrong method 405 with Allow' '
	expect_status 404 "$B" "$c_URL/v1/nothing" &&
	expect_error "$B" not_found &&
	expect_status 404 "$B" "$c_URL/" &&
	expect_status 405 "$B" -X DELETE "$c_URL/v1/health" &&
	expect_error "$B" method_not_allowed &&
	test "$(header "$B.h" Allow)" = GET &&
	expect_status 405 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/batches" &&
	test "$(header "$B.h" Allow)" = POST
'

test_expect_success '401 without, with garbage and with unknown tokens' '
	expect_status 401 "$B" "$c_URL/v1/enroll" &&
	expect_error "$B" unauthorized &&
	header "$B.h" WWW-Authenticate | grep -q Bearer &&
	expect_status 401 "$B" -H "Authorization: Bearer" "$c_URL/v1/enroll" &&
	expect_status 401 "$B" -H "Authorization: Bearer !!!*" "$c_URL/v1/enroll" &&
	expect_status 401 "$B" -H "Authorization: Basic bGFwdG9wOng=" "$c_URL/v1/enroll" &&
	expect_status 401 "$B" -H "Authorization: $T1" "$c_URL/v1/enroll" &&
	expect_status 401 "$B" -H "Authorization: Bearer ${T1}x" "$c_URL/v1/enroll" &&
	expect_status 401 "$B" -H "Authorization: Bearer $(printf %064d 0)" "$c_URL/v1/changes" &&
	expect_error "$B" unauthorized &&
	expect_status 401 "$B" -X POST --data-binary "@$HOSTILE/bad-crc.hucb" \
		-H "$BATCH_CT" "$c_URL/v1/batches" &&
	health_ok "$c_URL"
'

test_expect_success 'enroll gives the device its name and the town key' '
	expect_status 200 "$B" -H "Authorization: Bearer $T1" -H "X-Huce-Install: lap-1" "$c_URL/v1/enroll" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-1 &&
	jget "$B" "d[\"town_key\"]" | grep -Eq "^[0-9a-f]{64}$" &&
	jget "$B" "\"town\" in d" | grep -q true &&
	expect_status 200 "$B" -H "authorization: bearer $T2" -H "x-huce-install: lap-2" "$c_URL/v1/enroll" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-2
'

test_expect_success 'a revoked token is refused at once' '
	T9=$(new_token "$S" laptop-9) &&
	expect_status 200 "$B" -H "Authorization: Bearer $T9" -H "X-Huce-Install: lap-9" "$c_URL/v1/enroll" &&
	"$HUCE_SYNCD" admin --store "$S" device revoke laptop-9 &&
	expect_status 401 "$B" -H "Authorization: Bearer $T9" -H "X-Huce-Install: lap-9" "$c_URL/v1/enroll" &&
	expect_error "$B" unauthorized &&
	expect_status 401 "$B" -H "Authorization: Bearer $T9" "$c_URL/v1/changes?after=0" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" -H "X-Huce-Install: lap-1" "$c_URL/v1/enroll"
'

test_expect_success 'push a batch of three households' '
	$MKBATCH households --households 3 --device laptop-1 --seed t0300 >"$TRASH/hh3.hucb" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-1 &&
	test "$(jget "$B" "d[\"hwm\"]")" = 5 &&
	test "$(jget "$B" "d[\"acked\"]")" = 5 &&
	test "$(jget "$B" "d[\"applied\"]")" = 5 &&
	test "$(jget "$B" "len(d[\"rejected\"])")" = 0 &&
	households "$S" >"$TRASH/hh.after-push" &&
	test "$(jget "$TRASH/hh.raw" "len(d)")" = 3
'

test_expect_success 'replaying the batch acknowledges it and changes nothing' '
	expect_status 200 "$TRASH/before" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	for i in 1 2 3; do
		post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" &&
		test "$(jget "$B" "d[\"applied\"]")" = 0 &&
		test "$(jget "$B" "d[\"skipped\"]")" = 5 &&
		test "$(jget "$B" "d[\"hwm\"]")" = 5 || return 1
	done &&
	households "$S" >"$TRASH/hh.after-replay" &&
	test_cmp "$TRASH/hh.after-push" "$TRASH/hh.after-replay" &&
	expect_status 200 "$TRASH/after" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	test_cmp "$TRASH/before" "$TRASH/after"
'

test_expect_success 'a gap is 409 with the expected seq' '
	$MKBATCH households --households 1 --first 10 --device laptop-1 --seed gap >"$TRASH/gap.hucb" &&
	post_batch 409 "$B" "$c_URL" "$T1" "$TRASH/gap.hucb" &&
	expect_error "$B" gap &&
	test "$(jget "$B" "d[\"expected\"]")" = 6 &&
	households "$S" >"$TRASH/hh.now" &&
	test_cmp "$TRASH/hh.after-push" "$TRASH/hh.now"
'

test_expect_success 'the next batch in sequence lands' '
	$MKBATCH households --households 1 --first 6 --device laptop-1 --seed next >"$TRASH/next.hucb" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/next.hucb" &&
	test "$(jget "$B" "d[\"hwm\"]")" = 8 &&
	households "$S" >/dev/null &&
	test "$(jget "$TRASH/hh.raw" "len(d)")" = 4
'

test_expect_success 'a batch naming another device is 403' '
	$MKBATCH households --households 1 --device laptop-2 --seed other >"$TRASH/l2.hucb" &&
	post_batch 403 "$B" "$c_URL" "$T1" "$TRASH/l2.hucb" &&
	expect_error "$B" wrong_device &&
	households "$S" >/dev/null &&
	test "$(jget "$TRASH/hh.raw" "len(d)")" = 4 &&
	post_batch 200 "$B" "$c_URL" "$T2" "$TRASH/l2.hucb" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-2
'

test_expect_success '415 for a wrong media type or a content encoding' '
	expect_status 415 "$B" -X POST --data-binary "@$TRASH/hh3.hucb" \
		-H "Authorization: Bearer $T1" -H "Content-Type: text/plain" "$c_URL/v1/batches" &&
	expect_error "$B" encoding &&
	expect_status 415 "$B" -X POST --data-binary "@$TRASH/hh3.hucb" \
		-H "Authorization: Bearer $T1" -H "Content-Type:" "$c_URL/v1/batches" &&
	expect_status 415 "$B" -X POST --data-binary "@$TRASH/hh3.hucb" \
		-H "Authorization: Bearer $T1" -H "Content-Type: application/x-huce-batchx" "$c_URL/v1/batches" &&
	post_batch 415 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" -H "Content-Encoding: gzip" &&
	expect_error "$B" encoding &&
	post_batch 415 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" -H "Content-Encoding: deflate" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" -H "Content-Encoding: identity" &&
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh3.hucb" \
		-H "Content-Type: Application/X-Huce-Batch; charset=binary"
'

test_expect_success '400 for malformed, bad checksum, broken zlib; 426 for an unknown version' '
	post_batch 400 "$B" "$c_URL" "$T1" "$HOSTILE/garbage.bin" && expect_error "$B" malformed &&
	post_batch 400 "$B" "$c_URL" "$T1" "$HOSTILE/empty.bin" && expect_error "$B" malformed &&
	post_batch 400 "$B" "$c_URL" "$T1" "$HOSTILE/bad-crc.hucb" && expect_error "$B" checksum &&
	post_batch 426 "$B" "$c_URL" "$T1" "$HOSTILE/version9.hucb" && expect_error "$B" upgrade &&
	jget "$B" "d[\"message\"]" | grep -q "newer than the town.s central" &&
	post_batch 400 "$B" "$c_URL" "$T1" "$HOSTILE/truncated-zlib.hucb" && expect_error "$B" malformed &&
	$MKBATCH households --households 1 --first 9 --device laptop-1 --seed crc >"$TRASH/p" &&
	head -c -3 "$TRASH/p" >"$TRASH/cut.hucb" &&
	post_batch 400 "$B" "$c_URL" "$T1" "$TRASH/cut.hucb" && expect_error "$B" malformed &&
	$MKBATCH payload --households 1 --first 9 --seed crc >"$TRASH/pl" &&
	$MKBATCH batch --device laptop-1 --first 9 --last 11 --bad-crc <"$TRASH/pl" >"$TRASH/crc.hucb" &&
	post_batch 400 "$B" "$c_URL" "$T1" "$TRASH/crc.hucb" && expect_error "$B" checksum &&
	health_ok "$c_URL"
'

test_expect_success '413 for a zlib bomb and for a body over --max-body' '
	post_batch 413 "$B" "$c_URL" "$T1" "$HOSTILE/bomb.hucb" && expect_error "$B" too_large &&
	post_batch 413 "$B" "$c_URL" "$T1" "$HOSTILE/bomb-undeclared.hucb" &&
	head -c 10000 /dev/zero >"$TRASH/big" &&
	post_batch 413 "$B" "$small_URL" "$T1" "$TRASH/big" && expect_error "$B" too_large &&
	post_batch 413 "$B" "$small_URL" "$T1" "$TRASH/big" -H "Expect: 100-continue" &&
	post_batch 200 "$B" "$small_URL" "$T1" "$TRASH/hh3.hucb" &&
	health_ok "$small_URL"
'

test_expect_success 'the refused batches left the households as they were' '
	households "$S" >/dev/null &&
	test "$(jget "$TRASH/hh.raw" "len(d)")" = 5
'

test_expect_success 'changes: one page, then paging with limit and after' '
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	header "$B.h" Content-Type | grep -q "^application/json" &&
	n=$(jget "$B" "len(d[\"changes\"])") &&
	test "$n" -ge 11 &&
	test "$(jget "$B" "d[\"more\"]")" = false &&
	head=$(jget "$B" "d[\"head\"]") &&
	test "$(jget "$B" "d[\"next\"]")" = "$head" &&
	jget "$B" "\"\\n\".join(\"%d %s\" % (c[\"version\"], c[\"id\"]) for c in d[\"changes\"])" >"$TRASH/one-page" &&
	all_changes "$c_URL" "$T1" 2 >"$TRASH/paged" &&
	test_cmp "$TRASH/one-page" "$TRASH/paged" &&
	all_changes "$c_URL" "$T2" 1 >"$TRASH/paged1" &&
	test_cmp "$TRASH/one-page" "$TRASH/paged1" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0&limit=3" &&
	test "$(jget "$B" "len(d[\"changes\"])")" = 3 &&
	test "$(jget "$B" "d[\"more\"]")" = true &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=$head" &&
	test "$(jget "$B" "len(d[\"changes\"])")" = 0 &&
	test "$(jget "$B" "d[\"more\"]")" = false &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0&limit=999999" &&
	test "$(jget "$B" "len(d[\"changes\"])")" = "$n" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes"
'

test_expect_success 'changes: bad cursors and limits are 400' '
	for q in after=-1 after=abc after= "after=1&limit=0" "after=1&limit=x" \
		 after=99999999999999999999 "after=%2B1" "after=1.5"; do
		expect_status 400 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?$q" &&
		expect_error "$B" malformed || return 1
	done
'

test_expect_success 'changes: deflate when the client accepts it' '
	expect_status 200 "$TRASH/plain" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	test -z "$(header "$TRASH/plain.h" Content-Encoding)" &&
	expect_status 200 "$TRASH/z" -H "Authorization: Bearer $T1" \
		-H "Accept-Encoding: gzip;q=0.5, deflate" "$c_URL/v1/changes?after=0" &&
	test "$(header "$TRASH/z.h" Content-Encoding)" = deflate &&
	header "$TRASH/z.h" Vary | grep -qi accept-encoding &&
	python3 -c "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], \"rb\").read()))" \
		"$TRASH/z" >"$TRASH/unz" &&
	cmp "$TRASH/plain" "$TRASH/unz" &&
	test $(wc -c <"$TRASH/z") -lt $(wc -c <"$TRASH/plain") &&
	expect_status 200 "$TRASH/c" --compressed -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	cmp "$TRASH/plain" "$TRASH/c" &&
	expect_status 200 "$TRASH/q0" -H "Authorization: Bearer $T1" \
		-H "Accept-Encoding: deflate;q=0" "$c_URL/v1/changes?after=0" &&
	test -z "$(header "$TRASH/q0.h" Content-Encoding)" &&
	cmp "$TRASH/plain" "$TRASH/q0"
'

test_expect_success 'the central logs requests without tokens or names' '
	grep -q "POST /v1/batches status=200 device=laptop-1" "$TRASH/c.log" &&
	grep -q "status=409" "$TRASH/c.log" &&
	! grep -qF "$T1" "$TRASH/c.log" &&
	! grep -q "户主" "$TRASH/c.log"
'

test_expect_success 'health still answers' '
	health_ok "$c_URL" &&
	kill -0 "$c_PID"
'

test_done
