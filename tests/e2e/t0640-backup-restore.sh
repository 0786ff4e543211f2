#!/bin/bash
# t0640-backup-restore.sh - the backup procedure of docs/OPERATIONS.md
# ("Backups"): an online copy of the central store with sqlite3's
# `.backup` while the central runs and laptops sync is a consistent
# database; and after the central is restored from it (the disk died),
# the laptops and the central converge again with nothing lost.
#
# The laptops hold everything the central lost since the backup: their
# outbox keeps acknowledged entries, and their own records.  What must
# happen after a restore: a laptop whose acknowledged seq is above the
# central's high-water mark for it resends from there (the central's 409
# names the seq it expects), and a laptop whose pull cursor is above the
# central's head pulls again from the start, so every laptop and the
# central end with the same households, by themselves.  The last test
# checks the manual reset the operations guide gives as a fallback.

. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
heads() { jq -c "map(.head) | sort"; }
add() {
	h "$1" household add --village 阿猛村 --group 第一组 --head "$2" \
		--approach new-build --build self --type three-grid >/dev/null
}

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" --rate 0 || exit 1
PORT=$c_PORT
{
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 sync && h d2 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'an online backup taken while laptops sync is consistent' '
	for i in $(seq 1 10); do add d1 "a$i" || return 1; done &&
	{ for r in 1 2 3 4 5; do add d2 "b$r" && h d2 sync >/dev/null; done & } &&
	h d1 sync >/dev/null &&
	(umask 077 && sqlite3 "$C" ".backup '"'"'$TRASH/backup.db'"'"'") &&
	wait &&
	test "$(sqlite3 "$TRASH/backup.db" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$TRASH/backup.db" "SELECT count(*) FROM record WHERE kind = '"'"'household'"'"'")" -ge 10 &&
	test "$(stat -c %a "$TRASH/backup.db")" = 600
'

test_expect_success 'work goes on after the backup' '
	h d1 sync >/dev/null && h d2 sync >/dev/null &&
	add d1 after1 && add d1 after2 && add d2 after3 &&
	h d1 sync >/dev/null && h d2 sync >/dev/null && h d1 sync >/dev/null &&
	test "$(adm household list --json | jq length)" = 18
'

# The restore happens at top level: a test body runs in a subshell, and
# the new central's pid must reach the clean-up.
stop_central c
rm -f "$C" "$C-wal" "$C-shm"
cp "$TRASH/backup.db" "$C"
start_central c "$C" --rate 0 --listen "127.0.0.1:$PORT"

test_expect_success 'the central is restored from the backup, on the same port' '
	test "$c_PORT" = "$PORT" &&
	test "$(adm household list --json | jq length)" -lt 18
'

test_expect_success 'after a restore every laptop and the central converge, nothing lost' '
	add d2 restored1 &&
	for round in 1 2; do
		h d1 sync >/dev/null && h d2 sync >/dev/null || return 1
	done &&
	adm household list --json | heads >"$TRASH/c.heads" &&
	h d1 household list --json | heads >"$TRASH/d1.heads" &&
	h d2 household list --json | heads >"$TRASH/d2.heads" &&
	echo "central: $(cat "$TRASH/c.heads")" &&
	echo "d1:      $(cat "$TRASH/d1.heads")" &&
	echo "d2:      $(cat "$TRASH/d2.heads")" &&
	test "$(jq length "$TRASH/c.heads")" = 19 &&
	test_cmp "$TRASH/c.heads" "$TRASH/d1.heads" &&
	test_cmp "$TRASH/c.heads" "$TRASH/d2.heads"
'

test_expect_success 'the manual recovery in docs/OPERATIONS.md converges' '
	for d in d1 d2; do
		sqlite3 "$TRASH/$d.db" "UPDATE meta SET value = '"'"'0'"'"' WHERE key IN ('"'"'acked_seq'"'"', '"'"'cursor'"'"')" || return 1
	done &&
	for round in 1 2; do
		h d1 sync >/dev/null && h d2 sync >/dev/null || return 1
	done &&
	adm household list --json | heads >"$TRASH/c.heads" &&
	h d1 household list --json | heads >"$TRASH/d1.heads" &&
	h d2 household list --json | heads >"$TRASH/d2.heads" &&
	test "$(jq length "$TRASH/c.heads")" = 19 &&
	test_cmp "$TRASH/c.heads" "$TRASH/d1.heads" &&
	test_cmp "$TRASH/c.heads" "$TRASH/d2.heads" &&
	test "$(h d1 status --json | jq .pending)" = 0 &&
	test "$(h d2 status --json | jq .pending)" = 0
'

stop_central c
test_done
