#!/bin/bash
# t0350-concurrent.sh - several devices push and pull at the same time
# through the central's thread pool: every batch lands exactly once, the
# high-water marks end where they should, and a pull taken afterwards
# sees every record once.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
N=15	# batches per device

test_expect_success 'set up three devices and their batches' '
	for d in 1 2 3; do
		new_token "$S" "laptop-$d" >"$TRASH/tok$d" &&
		test -s "$TRASH/tok$d" || return 1
		# Batch i holds a village, a group and one household: seqs 3i-2..3i.
		for i in $(seq 1 $N); do
			$MKBATCH households --households 1 --device "laptop-$d" \
				--first $((3 * i - 2)) --seed "d$d-b$i" >"$TRASH/d$d-b$i.hucb" || return 1
		done
	done
'
start_central c "$S" --threads 4 --rate 0 || exit 1

# push_all D: push device D's batches in order, each twice (a retry).
push_all() {
	tok=$(cat "$TRASH/tok$1")
	for i in $(seq 1 $N); do
		for try in 1 2; do
			post_batch 200 "$TRASH/r$1" "$c_URL" "$tok" "$TRASH/d$1-b$i.hucb" || return 1
		done
	done
	jget "$TRASH/r$1" "d[\"hwm\"]"
}

test_expect_success 'three devices push while a fourth client pulls' '
	T1=$(cat "$TRASH/tok1") &&
	{ push_all 1 >"$TRASH/hwm1" 2>"$TRASH/e1" & } && p1=$! &&
	{ push_all 2 >"$TRASH/hwm2" 2>"$TRASH/e2" & } && p2=$! &&
	{ push_all 3 >"$TRASH/hwm3" 2>"$TRASH/e3" & } && p3=$! &&
	for i in $(seq 1 20); do
		expect_status 200 "$TRASH/pull" -H "Authorization: Bearer $T1" \
			"$c_URL/v1/changes?after=0&limit=7" || return 1
	done &&
	wait $p1 && wait $p2 && wait $p3 &&
	for d in 1 2 3; do
		test "$(cat "$TRASH/hwm$d")" = $((3 * N)) || { cat "$TRASH/e$d"; return 1; }
	done
'

test_expect_success 'every record is there exactly once' '
	households "$S" >/dev/null &&
	test "$(jget "$TRASH/hh.raw" "len(d)")" = $((3 * N)) &&
	all_changes "$c_URL" "$(cat "$TRASH/tok2")" 10 >"$TRASH/all" &&
	test "$(wc -l <"$TRASH/all")" = $((9 * N)) &&
	test "$(cut -d" " -f2 "$TRASH/all" | sort -u | wc -l)" = $((9 * N)) &&
	sort -n -c "$TRASH/all"
'

test_expect_success 'the central is still well' '
	health_ok "$c_URL" &&
	! grep -E "AddressSanitizer|ThreadSanitizer|runtime error" "$TRASH/c.log"
'

test_done
