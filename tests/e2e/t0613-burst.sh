#!/bin/bash
# t0613-burst.sh - 1,000 requests in a burst from one token (issue 4,
# item 3): with the central's default rate limit (50/s, burst 200), 500
# pulls and 500 pushes (a replayed batch) arrive 32 at a time.  Each must
# be answered 200 or 429 (503 when the in-flight budget is full), always
# with a JSON body; nothing else (no 5xx fault, no dropped connection).
# Meanwhile a second device and health checks are still served; the
# replays change nothing; the central is alive and its log is clean.
# t0320 covers the bucket's arithmetic; this is the flood.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"

test_expect_success 'set up two devices and a batch' '
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	new_token "$S" laptop-2 >"$TRASH/tok2" &&
	$MKBATCH households --households 20 --device laptop-1 --seed t0613 >"$TRASH/hh.hucb"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
T2=$(cat "$TRASH/tok2" 2>/dev/null)
start_central c "$S" || exit 1

test_expect_success 'the batch lands once' '
	post_batch 200 "$B" "$c_URL" "$T1" "$TRASH/hh.hucb" &&
	test "$(jget "$B" "d[\"applied\"]")" = 22 &&
	households "$S" >"$TRASH/hh.before"
'

test_expect_success '1,000 requests from one token: 200 or 429, never a fault' '
	sleep 4 &&
	for i in $(seq 1 500); do
		for kind in g p; do
			echo "header = \"Authorization: Bearer $T1\""
			echo "write-out = \"%{http_code}\\n\""
			echo "max-time = 60"
			echo "output = \"$TRASH/burst/$kind$i\""
			if [ $kind = g ]; then
				echo "url = \"$c_URL/v1/changes?after=0&limit=50\""
			else
				echo "url = \"$c_URL/v1/batches\""
				echo "data-binary = \"@$TRASH/hh.hucb\""
				echo "header = \"$BATCH_CT\""
			fi
			[ "$i$kind" = 500p ] || echo "next"
		done
	done >"$TRASH/burst.cfg" &&
	mkdir -p "$TRASH/burst" &&
	{ for i in $(seq 1 40); do
		curl -s -o /dev/null -w "%{http_code}\n" -m 10 \
			-H "Authorization: Bearer $T2" "$c_URL/v1/changes?after=0&limit=1"
		curl -s -o /dev/null -w "%{http_code}\n" -m 10 "$c_URL/v1/health"
	  done >"$TRASH/others" & } &&
	t0=$(date +%s.%N) &&
	curl -s --no-progress-meter --parallel --parallel-max 32 -K "$TRASH/burst.cfg" >"$TRASH/codes" &&
	t1=$(date +%s.%N) &&
	wait &&
	sort "$TRASH/codes" | uniq -c | sed "s/^/# /" &&
	test "$(wc -l <"$TRASH/codes")" = 1000 &&
	! grep -qvE "^(200|429|503)$" "$TRASH/codes" &&
	ok=$(grep -c "^200$" "$TRASH/codes") &&
	test "$ok" -ge 200 &&
	python3 -c "
import glob, json, sys
for f in glob.glob(sys.argv[1] + \"/*\"):
    d = json.load(open(f, \"rb\"))
    assert isinstance(d, dict), f
" "$TRASH/burst" &&
	python3 -c "import sys; print(\"# 1000 requests in %.1f s, %s served\" % (float(sys.argv[2]) - float(sys.argv[1]), sys.argv[3]))" "$t0" "$t1" "$ok" &&
	test "$(grep -c "^200$" "$TRASH/others")" = 80
'

test_expect_success 'the refusals are 429 too_many_requests with Retry-After' '
	f=$(grep -l too_many_requests "$TRASH"/burst/* | head -n 1) &&
	test -n "$f" &&
	expect_error "$f" too_many_requests
'

test_expect_success 'the replays changed nothing; the central is alive and clean' '
	households "$S" >"$TRASH/hh.after" &&
	test_cmp "$TRASH/hh.before" "$TRASH/hh.after" &&
	test "$(sqlite3 "$S" "SELECT hwm FROM device WHERE name = '"'"'laptop-1'"'"'")" = 22 &&
	health_ok "$c_URL" &&
	kill -0 "$c_PID" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log" &&
	! grep -E "status=5[0-9][0-9]" "$TRASH/c.log" | grep -v "status=503"
'

stop_central c
test_done
