#!/bin/bash
# t0604-push-budget.sh - a link that cannot carry a whole batch (sync.c,
# push; PROTOCOL.md 2.1): the push halves its batch after a transport
# failure, and the next push starts from the halved size, whether it is
# `huce sync` run again by hand or the agent's next round (the laptop's
# meta push_budget).  Before, the halved size was forgotten when the push
# gave up, and every retry sent the same batch the link had just broken.
#
# A laptop of generated records (huce-bench-gen, ~190 KB of entries: one
# first batch of the default 256 KiB) pushes through faultproxy, which
# resets every connection once RESET bytes went up it.  The whole first
# batch is larger than that, half of it is not.

. "$(dirname "$0")/lib.sh"

GEN="$HUCE_BUILDDIR/tests/bench/huce-bench-gen"
[ -x "$GEN" ] || { echo "Bail out! no generator at $GEN"; exit 1; }
N=600
RESET=${RESET:-24000}
C=$TRASH/c.db
h() { "$HUCE" --db "$TRASH/d.db" "$@"; }
budget() { sqlite3 "$TRASH/d.db" "SELECT coalesce((SELECT value FROM meta WHERE key = 'push_budget'), 'none')"; }

{
	"$GEN" --seed 3 --scale 1 --records $N --db "$TRASH/d.db" --device lap --quiet &&
	"$HUCE_SYNCD" admin --store "$C" device add lap | tail -n 1 >"$TRASH/tok"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" || exit 1
start_proxy link --reset-after "$RESET" || exit 1

test_expect_success 'the laptop is enrolled and goes through the link' '
	h enroll "$c_URL" "$(cat "$TRASH/tok")" >/dev/null &&
	sqlite3 "$TRASH/d.db" "UPDATE meta SET value = '"'"'$link_URL'"'"' WHERE key = '"'"'central_url'"'"'" &&
	test "$(h status --json | jq .pending)" = $N &&
	test "$(budget)" = none
'

test_expect_success 'the first sync breaks its batch on the link and keeps half the size' '
	! h sync >"$TRASH/s1.out" 2>"$TRASH/s1.err" &&
	cat "$TRASH/s1.err" &&
	test "$(h status --json | jq .pending)" = $N &&
	test "$(budget)" = 131072
'

test_expect_success 'syncing again by hand starts from the halved size and gets through' '
	for i in 1 2 3 4; do
		h sync >>"$TRASH/s2.out" 2>>"$TRASH/s2.err" && break
	done &&
	cat "$TRASH/s2.out" &&
	test "$(h status --json | jq .pending)" = 0 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE kind <> '"'"'conflict'"'"'")" = $N
'

test_expect_success 'the batches the central took tile the outbox: each entry once' '
	grep "POST /v1/batches" "$TRASH/c.log" >"$TRASH/posts" &&
	sed -n "s/.*status=200 .*batch=\([0-9]*\)-\([0-9]*\) .*/\1 \2/p" "$TRASH/posts" |
		grep -v "^0 0$" >"$TRASH/ranges" &&
	cat "$TRASH/ranges" &&
	test "$(wc -l <"$TRASH/ranges")" -ge 2 &&
	awk "\$1 != next_ { bad = 1 } { next_ = \$2 + 1 } END { exit bad || next_ != $N + 1 }" \
		next_=1 "$TRASH/ranges"
'

stop_central c
for p in $(cat "$TRASH/proxies" 2>/dev/null); do
	kill "$p" 2>/dev/null
done
test_done
