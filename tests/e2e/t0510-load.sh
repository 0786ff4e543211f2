#!/bin/bash
# t0510-load.sh - the short load run of `make test`: 100 simulated laptops
# (real local stores written through huce_local, real huce_sync_run, one
# curl handle each) write 4 records each and push and pull 16 at a time
# against one central on loopback; loaddriver then checks that every
# record landed exactly once, every outbox is acknowledged and every
# laptop holds what the central holds.  About 25 s under ASan, most of it
# each laptop applying every other laptop's records.  `make soak` runs it
# with HUCE_LOAD_LAPTOPS=300 HUCE_LOAD_RECORDS=100 HUCE_LOAD_ROUNDS=5
# HUCE_LOAD_THREADS=32 on the plain build (docs/RELIABILITY.md).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

: "${HUCE_BUILDDIR:=$(dirname "$(dirname "$HUCE")")}"
LOADDRIVER=${LOADDRIVER:-$HUCE_BUILDDIR/tests/tools/loaddriver}
LAPTOPS=${HUCE_LOAD_LAPTOPS:-100}
RECORDS=${HUCE_LOAD_RECORDS:-4}
THREADS=${HUCE_LOAD_THREADS:-16}
ROUNDS=${HUCE_LOAD_ROUNDS:-1}
C=$TRASH/c.db

[ -x "$LOADDRIVER" ] || { echo "Bail out! no loaddriver at $LOADDRIVER"; exit 1; }
# Every simulated laptop connects from 127.0.0.1, so the per-address
# connection limit (64, against one abusive host) is raised here.
{
	"$HUCE_SYNCD" admin --store "$C" town 阿猛镇 &&
	start_central c "$C" --per-ip 512 --max-connections 512
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

TMPDIR=$TRASH "$LOADDRIVER" --url "$c_URL" --store "$C" --syncd "$HUCE_SYNCD" \
	--laptops "$LAPTOPS" --records "$RECORDS" --threads "$THREADS" --rounds "$ROUNDS" \
	--out "$TRASH/load.json" >"$TRASH/load.out" 2>"$TRASH/load.err"
echo $? >"$TRASH/load.rc"
sed 's/^/# /' "$TRASH/load.out" "$TRASH/load.err"

test_expect_success "$LAPTOPS laptops x $RECORDS records: all land exactly once" '
	test "$(cat "$TRASH/load.rc")" = 0 &&
	grep -q " lost=0 duplicated=0$" "$TRASH/load.out" &&
	test "$(jq .check.expected "$TRASH/load.json")" = $((LAPTOPS * RECORDS)) &&
	test "$(jq .check.found "$TRASH/load.json")" = $((LAPTOPS * RECORDS)) &&
	test "$(jq .check.central_records "$TRASH/load.json")" = $((LAPTOPS * RECORDS)) &&
	test "$(jq .ok "$TRASH/load.json")" = true
'

test_expect_success 'the central agrees: one record per id, laptops converged' '
	test "$("$HUCE_SYNCD" admin --store "$C" household list --json | jq length)" = \
		$((LAPTOPS * ((RECORDS + 1) / 2))) &&
	test "$(jq .check.laptops_behind "$TRASH/load.json")" = 0 &&
	test "$(jq .check.outbox_unacked "$TRASH/load.json")" = 0 &&
	test "$(jq .syncs_failed "$TRASH/load.json")" = 0
'

test_expect_success 'the central served every laptop and is still healthy' '
	curl -fsS "$c_URL/v1/health" >/dev/null &&
	test "$(sqlite3 "$C" "PRAGMA integrity_check")" = ok
'

stop_central c
test_done
