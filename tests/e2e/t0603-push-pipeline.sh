#!/bin/bash
# t0603-push-pipeline.sh - the push is a pipeline of two (sync.c, push):
# while the central merges one batch the laptop builds the next, which
# goes out only after a clean answer to the one before.  A laptop of
# 5,000 generated records (huce-bench-gen: about four batches) pushes to a
# real central that refuses a household in the first batch (and so its
# three inspections) and whose rate limit (--rate 0.3 --burst 3) answers
# 429 to a later batch.  The central's log must show the batches tiling
# the outbox exactly once, 1..5000, with no 409 (a batch sent after the
# wrong answer would skip entries and meet one), the refused entries are
# in the laptop's quarantine, and the central holds everything else.

. "$(dirname "$0")/lib.sh"

GEN="$HUCE_BUILDDIR/tests/bench/huce-bench-gen"
[ -x "$GEN" ] || { echo "Bail out! no generator at $GEN"; exit 1; }
N=5000
C=$TRASH/c.db
h() { "$HUCE" --db "$TRASH/d.db" "$@"; }
BREAK="UPDATE outbox SET fields = json_set(fields, '$.water', 'lava') WHERE seq = 359 AND kind = 'household'"
BROKEN="SELECT count(*) FROM outbox WHERE fields LIKE '%lava%'"
RECORDS="SELECT count(*) FROM record WHERE kind <> 'conflict'"
CONFLICTS="SELECT count(*) FROM record WHERE kind = 'conflict'"

{
	"$GEN" --seed 3 --scale 1 --records $N --db "$TRASH/d.db" --device lap --quiet &&
	"$HUCE_SYNCD" admin --store "$C" device add lap | tail -n 1 >"$TRASH/tok"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" --rate 0.3 --burst 3 || exit 1

test_expect_success 'a laptop of 5,000 entries, one household made invalid in the first batch' '
	h enroll "$c_URL" "$(cat "$TRASH/tok")" >/dev/null &&
	sqlite3 "$TRASH/d.db" "$BREAK" &&
	test "$(sqlite3 "$TRASH/d.db" "$BROKEN")" = 1 &&
	test "$(h status --json | jq .pending)" = $N
'

test_expect_success 'one sync pushes it all in several batches, past a refusal and 429s' '
	{ h sync >"$TRASH/sync.out" 2>"$TRASH/sync.err"; rc=$?; } &&
	cat "$TRASH/sync.out" &&
	grep -q "^pushed 4996, quarantined 4," "$TRASH/sync.out" &&
	# the pull after the push may find the bucket empty: that and only that
	if [ $rc != 0 ]; then
		grep -qx "huce: pull: central answered 429: too many requests from this device" \
			"$TRASH/sync.err" && test "$(wc -l <"$TRASH/sync.err")" = 1
	else
		! test -s "$TRASH/sync.err"
	fi
'

test_expect_success 'the central saw each entry once, in batches that tile the outbox, no 409' '
	grep "POST /v1/batches" "$TRASH/c.log" >"$TRASH/posts" &&
	cat "$TRASH/posts" &&
	! grep -q "status=409" "$TRASH/posts" &&
	grep -q "status=429" "$TRASH/posts" &&
	sed -n "s/.*status=200 .*batch=\([0-9]*\)-\([0-9]*\) .*/\1 \2/p" "$TRASH/posts" |
		grep -v "^0 0$" >"$TRASH/ranges" &&
	test "$(wc -l <"$TRASH/ranges")" -ge 4 &&
	awk -v n=$N "\$1 != next_ { bad = 1 } { next_ = \$2 + 1 } END { exit bad || next_ != n + 1 }" \
		next_=1 "$TRASH/ranges" &&
	grep -q "batch=1-[0-9]* .*rejected=4 " "$TRASH/posts" &&
	test "$(grep -c "rejected=[1-9]" "$TRASH/posts")" = 1
'

test_expect_success 'the refused entries are quarantined, the rest is at the central' '
	h status --json >"$TRASH/st.json" &&
	test "$(jq .pending "$TRASH/st.json")" = 0 &&
	test "$(jq .acked_seq "$TRASH/st.json")" = $N &&
	test "$(jq -c "[.quarantine[].seq]" "$TRASH/st.json")" = "[359,360,361,362]" &&
	jq -r ".quarantine[0].reason" "$TRASH/st.json" | grep -q "household.water" &&
	test "$(sqlite3 "$C" "$RECORDS")" = 4996 &&
	test "$(sqlite3 "$C" "$CONFLICTS")" = 0
'

stop_central c
test_done
