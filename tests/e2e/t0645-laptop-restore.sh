#!/bin/bash
# t0645-laptop-restore.sh - a laptop whose database file is replaced by
# an older copy (a backup, or a copy from another disk) loses nothing.
#
# The restored file numbers new outbox entries from where the copy
# stood, at or below the seqs the central already has from this device
# (its high-water mark).  Sent as they are, the central would skip them
# as replays and the laptop would mark them acknowledged: lost.  The
# laptop asks first (an empty batch): the central answers its mark and
# the HLC of the entry at that mark (acked_hlc, docs/PROTOCOL.md 2.1).
# If this file has no entry with that seq and HLC, it is older than what
# the central has: its unsent entries are renumbered after the mark and
# sent.  If it has that very entry, only an answer was lost: nothing is
# renumbered and nothing is applied twice.  Entries of the copy that the
# central did get are sent again under new seqs: the same values change
# nothing, and an older value of the device's own does not replace its
# later one (docs/MERGE.md).

. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
heads() { jq -r ".[].head" | sort; }
nover() { jq -S 'map(del(.version)) | sort_by(.id)'; }
add() {
	h "$1" household add --village 阿猛村 --group 第一组 --head "$2" \
		--approach new-build --build self --type three-grid >/dev/null
}
# backup DEV: an online copy of the laptop's file, as sqlite3 makes it.
backup() { sqlite3 "$TRASH/$1.db" ".backup '$TRASH/$1.copy'"; }
# restore DEV: the file (and its -wal/-shm) replaced by the copy.
restore() {
	rm -f "$TRASH/$1.db" "$TRASH/$1.db-wal" "$TRASH/$1.db-shm" &&
	cp "$TRASH/$1.copy" "$TRASH/$1.db"
}
# converged DEV: the laptop shows what the central has, versions aside,
# with nothing pending or quarantined and no conflict at the central.
converged() {
	adm household list --json | nover >"$TRASH/c.list" &&
	h "$1" household list --json | nover >"$TRASH/$1.list" &&
	test_cmp "$TRASH/c.list" "$TRASH/$1.list" &&
	h "$1" status --json >"$TRASH/$1.st" &&
	test "$(jq .pending "$TRASH/$1.st")" = 0 &&
	test "$(jq .quarantined "$TRASH/$1.st")" = 0 &&
	test "$(adm conflicts --json | jq length)" = 0
}
WARN='older than what the central already has'

{
	adm town 阿猛镇 &&
	for d in d1 d2 d3 d4; do adm device add $d | tail -n 1 >"$TRASH/tok.$d" || exit 1; done
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" --rate 0 || exit 1
{
	for d in d1 d2 d3; do
		new_device $d && h $d enroll "$c_URL" "$(cat "$TRASH/tok.$d")" || exit 1
	done &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 sync && h d2 sync && h d3 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'restored laptop: new entries under seqs the central had are not lost' '
	for i in 1 2 3 4 5; do add d1 a$i || return 1; done &&
	h d1 sync >/dev/null &&
	backup d1 &&
	for i in 1 2 3 4 5; do add d1 b$i || return 1; done &&
	h d1 sync >/dev/null &&
	restore d1 &&
	for i in 1 2 3; do add d1 c$i || return 1; done &&
	a1=$(h d1 household list --json | jq -r ".[] | select(.head == \"a1\") | .id") &&
	h d1 household set "$a1" type=double-urn >/dev/null &&
	h d1 sync >/dev/null 2>"$TRASH/sync1.err" &&
	grep -q "$WARN" "$TRASH/sync1.err" &&
	adm household list --json >"$TRASH/c.json" &&
	heads <"$TRASH/c.json" >"$TRASH/c.heads" &&
	printf "%s\n" a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 c1 c2 c3 | sort >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/c.heads" &&
	test "$(jq -r ".[] | select(.head == \"a1\") | .type" "$TRASH/c.json")" = double-urn &&
	converged d1 &&
	h d1 sync >/dev/null 2>"$TRASH/sync2.err" &&
	! grep -q "$WARN" "$TRASH/sync2.err" &&
	add d1 c4 && h d1 sync >/dev/null &&
	test "$(adm household list --json | jq length)" = 14 &&
	converged d1
'

test_expect_success 'restored laptop that writes more than it lost, and resends what the central has' '
	add d2 p1 && add d2 p2 &&
	backup d2 &&
	h d2 sync >/dev/null &&
	p1=$(h d2 household list --json | jq -r ".[] | select(.head == \"p1\") | .id") &&
	h d2 household set "$p1" type=double-urn >/dev/null &&
	add d2 q1 && h d2 sync >/dev/null &&
	restore d2 &&
	for i in 1 2 3 4 5 6; do add d2 r$i || return 1; done &&
	test "$(sqlite3 "$TRASH/d2.db" "SELECT max(seq) FROM outbox")" -gt 3 &&
	h d2 sync >/dev/null 2>"$TRASH/sync3.err" &&
	grep -q "$WARN" "$TRASH/sync3.err" &&
	adm household list --json | heads >"$TRASH/c.heads" &&
	printf "%s\n" a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 c1 c2 c3 c4 p1 p2 q1 r1 r2 r3 r4 r5 r6 |
		sort >"$TRASH/want" &&
	test_cmp "$TRASH/want" "$TRASH/c.heads" &&
	test "$(adm household list --json | jq -r ".[] | select(.head == \"p1\") | .type")" = double-urn &&
	converged d2 &&
	test "$(sqlite3 "$TRASH/d2.db" "SELECT min(seq), max(seq), count(*) FROM outbox")" = "5|12|8" &&
	add d2 r7 && h d2 sync >/dev/null &&
	test "$(adm household list --json | jq length)" = 24 &&
	converged d2
'

test_expect_success 'a lost answer is a replay: nothing renumbered, nothing applied twice' '
	add d3 x1 && add d3 x2 && add d3 x3 &&
	h d3 sync >/dev/null &&
	adm household list --json | jq -S "sort_by(.id)" >"$TRASH/before" &&
	n=$(sqlite3 "$TRASH/d3.db" "SELECT max(seq) FROM outbox") &&
	sqlite3 "$TRASH/d3.db" "UPDATE outbox SET state = '"'"'pending'"'"' WHERE seq > 1;
		UPDATE meta SET value = '"'"'1'"'"' WHERE key = '"'"'acked_seq'"'"'" &&
	test "$(h d3 status --json | jq .pending)" = $((n - 1)) &&
	h d3 sync >/dev/null 2>"$TRASH/sync4.err" &&
	! grep -q "$WARN" "$TRASH/sync4.err" &&
	adm household list --json | jq -S "sort_by(.id)" >"$TRASH/after" &&
	test_cmp "$TRASH/before" "$TRASH/after" &&
	test "$(sqlite3 "$TRASH/d3.db" "SELECT max(seq) FROM outbox")" = "$n" &&
	converged d3
'

# An older central on the same store moves hwm and leaves hwm_hlc (and
# the mark it was written with) behind: the central then sends no
# acked_hlc, as a central from before schema 0002 does.
test_expect_success 'an older central (no acked_hlc): a mark beyond the file still proves it' '
	add d3 y1 && h d3 sync >/dev/null &&
	backup d3 &&
	add d3 y2 && add d3 y3 && h d3 sync >/dev/null &&
	sqlite3 "$C" "UPDATE device SET hwm_hlc_seq = hwm - 1 WHERE name = '"'"'d3'"'"'" &&
	restore d3 &&
	add d3 y4 &&
	h d3 sync >/dev/null 2>"$TRASH/sync5.err" &&
	grep -q "$WARN" "$TRASH/sync5.err" &&
	test "$(adm household list --json | jq "[.[] | select(.head | startswith(\"y\"))] | length")" = 4 &&
	converged d3
'

# The lost file wrote with HLCs ahead of the laptop's clock (a clock that
# was right then and is set back after the restore; here: the lost file's
# clock moved a day ahead).  After the renumbering the file's clock must
# pass the central's mark, or the merge takes the device's new edit for
# an older value of its own and keeps the lost one.
test_expect_success 'after a restore, new edits count as later than the lost file'"'"'s, whatever the clock' '
	new_device d4 && h d4 enroll "$c_URL" "$(cat "$TRASH/tok.d4")" >/dev/null &&
	h d4 sync >/dev/null &&
	add d4 z1 && h d4 sync >/dev/null &&
	backup d4 &&
	future=$(python3 -c "import time; print(\"%016x\" % ((int(time.time() * 1000) + 86400000) << 16))") &&
	sqlite3 "$TRASH/d4.db" "UPDATE meta SET value = '"'"'$future'"'"' WHERE key = '"'"'hlc'"'"'" &&
	z1=$(h d4 household list --json | jq -r ".[] | select(.head == \"z1\") | .id") &&
	h d4 household set "$z1" type=double-urn >/dev/null &&
	h d4 sync >/dev/null &&
	restore d4 &&
	add d4 z2 &&
	h d4 sync >/dev/null 2>"$TRASH/sync6.err" &&
	grep -q "$WARN" "$TRASH/sync6.err" &&
	h d4 household set "$z1" type=double-pit >/dev/null &&
	h d4 sync >/dev/null &&
	test "$(adm household list --json | jq -r ".[] | select(.head == \"z1\") | .type")" = double-pit &&
	converged d4
'

test_done
