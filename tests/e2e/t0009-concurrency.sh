#!/bin/bash
# t0009-concurrency.sh - several `huce` processes writing one database at
# once (a second terminal, a script, the agent): every write succeeds or
# fails whole, the outbox gets exactly one row per write, seq has no
# gaps or repeats, and HLC timestamps increase with seq across processes.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
WRITERS=6
EACH=5

{
	h init --device d1 &&
	h village add 阿猛村 && h group add --village 阿猛村 第一组
} >/dev/null || exit 1

test_expect_success "$WRITERS writers x $EACH households at the same time" '
	p0=$(sqlite3 "$DB" "SELECT count(*) FROM outbox") &&
	pids= &&
	for w in $(seq 1 $WRITERS); do
		(
			for i in $(seq 1 $EACH); do
				h household add --village 阿猛村 --group 第一组 --head "户$w-$i" \
					--approach new-build --build self --type sewer >/dev/null ||
					{ echo "writer $w item $i failed" >>fail; exit 1; }
			done
		) &
		pids="$pids $!"
	done &&
	for p in $pids; do wait "$p" || true; done &&
	test ! -e fail &&
	test "$(h household list --json | jq length)" = $((WRITERS * EACH)) &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" = $((p0 + WRITERS * EACH)) &&
	test "$(sqlite3 "$DB" "SELECT max(seq) - min(seq) + 1 = count(*) FROM outbox")" = 1 &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM outbox o1 JOIN outbox o2 ON o2.seq > o1.seq AND o2.hlc <= o1.hlc")" = 0 &&
	test "$(sqlite3 "$DB" "SELECT count(DISTINCT id) FROM household")" = $((WRITERS * EACH)) &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM household h WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = h.id)")" = 0 &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok
'

test_expect_success 'household ids sort in creation (seq) order' '
	sqlite3 "$DB" "SELECT record_id FROM outbox WHERE kind = '\''household'\'' ORDER BY seq" >by_seq &&
	LC_ALL=C sort by_seq >sorted &&
	test_cmp by_seq sorted
'

test_done
