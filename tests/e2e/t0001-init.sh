#!/bin/bash
# t0001-init.sh - setting up a laptop: `huce init`, where the database
# lives (--db, $HUCE_DB), its file mode and schema, `status`, help for
# every command, and what happens without a database.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

test_expect_success 'init creates the database and prints the device id last' '
	h init --device 阿猛-笔记本1 --town 阿猛镇 >out &&
	test -f "$DB" &&
	tail -n 1 out | grep -Eq "$UUID_RE" &&
	test "$(tail -n 1 out | cut -c15)" = 7 &&
	test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = '\''device'\''")" = 阿猛-笔记本1 &&
	test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = '\''device_id'\''")" = "$(tail -n 1 out)" &&
	test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = '\''town'\''")" = 阿猛镇
'

test_expect_success 'the database file is mode 0600' '
	test "$(stat -c %a "$DB")" = 600 &&
	for f in "$DB-wal" "$DB-shm"; do
		if [ -e "$f" ]; then test "$(stat -c %a "$f")" = 600; fi
	done
'

test_expect_success 'the file is created 0600 even under a permissive umask' '
	(umask 000 && "$HUCE" --db "$TRASH/open.db" init --device x >/dev/null) &&
	test "$(stat -c %a "$TRASH/open.db")" = 600
'

test_expect_success 'schema is at the latest version, in WAL mode, with every table' '
	v=$(sqlite3 "$DB" "PRAGMA user_version") &&
	test "$v" -ge 1 &&
	test "$(sqlite3 "$DB" "PRAGMA journal_mode")" = wal &&
	for t in meta village village_group cadre team household inspection \
		rectification photo target conflict outbox; do
		test "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE type = '\''table'\'' AND name = '\''$t'\''")" = 1 ||
			{ echo "table $t missing"; exit 1; }
	done
'

test_expect_success 'status --json has the contract keys' '
	h status --json >st.json &&
	jq -e "has(\"device\") and has(\"pending\") and has(\"quarantined\") and has(\"last_sync\") and has(\"conflicts\")" st.json &&
	test "$(jq -r .device st.json)" = 阿猛-笔记本1 &&
	test "$(jq -r .pending st.json)" = 0 &&
	test "$(jq -r .quarantined st.json)" = 0 &&
	test "$(jq -r .last_sync st.json)" = null &&
	test "$(jq -r .conflicts st.json)" = 0 &&
	h status >st.txt &&
	grep -q 阿猛-笔记本1 st.txt
'

test_expect_success 'init a second time is refused and changes nothing' '
	dump_db "$DB" >before &&
	expect_exit 3 h init --device other 2>err &&
	grep -q "already initialised" err &&
	dump_db "$DB" >after &&
	test_cmp before after
'

test_expect_success 'init usage errors exit 2, bad names exit 3, nothing created' '
	expect_exit 2 "$HUCE" --db "$TRASH/u1.db" init &&
	expect_exit 2 "$HUCE" --db "$TRASH/u1.db" init --device x --bogus &&
	expect_exit 2 "$HUCE" --db "$TRASH/u1.db" init --device x extra &&
	expect_exit 2 "$HUCE" --db "$TRASH/u1.db" init --device &&
	expect_exit 3 "$HUCE" --db "$TRASH/u1.db" init --device "" &&
	expect_exit 3 "$HUCE" --db "$TRASH/u1.db" init --device "$(printf "a\nb")" &&
	expect_exit 3 "$HUCE" --db "$TRASH/u1.db" init --device "$(printf "\xff\xfe")" &&
	expect_exit 3 "$HUCE" --db "$TRASH/u1.db" init --device x --town "" &&
	test ! -e "$TRASH/u1.db"
'

test_expect_success '--db in a directory that does not exist: runtime error 1' '
	expect_exit 1 "$HUCE" --db "$TRASH/no/such/dir/x.db" init --device x 2>err &&
	grep -q "no/such/dir" err &&
	test ! -e "$TRASH/no"
'

test_expect_success 'commands on a missing database exit 1 and create nothing' '
	for cmd in "village list" "household list" "status" "rectify list" "report week" "conflicts"; do
		expect_exit 1 "$HUCE" --db "$TRASH/missing.db" $cmd 2>err &&
		grep -q "huce init" err || exit 1
	done &&
	test ! -e "$TRASH/missing.db"
'

test_expect_success '$HUCE_DB is used when --db is not given' '
	HUCE_DB="$TRASH/env.db" "$HUCE" init --device env-laptop >/dev/null &&
	test -f "$TRASH/env.db" &&
	test "$(HUCE_DB="$TRASH/env.db" "$HUCE" status --json | jq -r .device)" = env-laptop &&
	test "$("$HUCE" --db "$TRASH/env.db" status --json | jq -r .db)" = "$TRASH/env.db"
'

test_expect_success '--db wins over $HUCE_DB, and may stand after the command' '
	test "$(HUCE_DB="$TRASH/env.db" "$HUCE" --db "$DB" status --json | jq -r .device)" = 阿猛-笔记本1 &&
	test "$(HUCE_DB="$TRASH/env.db" "$HUCE" status --json --db "$DB" | jq -r .device)" = 阿猛-笔记本1 &&
	test "$("$HUCE" status --db="$DB" --json | jq -r .device)" = 阿猛-笔记本1
'

test_expect_success 'a database from a newer program is refused and left alone' '
	cp "$DB" "$TRASH/future.db" &&
	sqlite3 "$TRASH/future.db" "PRAGMA user_version = 999" &&
	dump_db "$TRASH/future.db" >before &&
	expect_exit 1 "$HUCE" --db "$TRASH/future.db" status 2>err &&
	grep -q newer err &&
	test "$(sqlite3 "$TRASH/future.db" "PRAGMA user_version")" = 999 &&
	dump_db "$TRASH/future.db" >after &&
	test_cmp before after
'

test_expect_success 'an older (empty, version 0) database file is migrated on open' '
	sqlite3 "$TRASH/old.db" "PRAGMA user_version = 0; CREATE TABLE scratch(x); DROP TABLE scratch;" &&
	test "$(sqlite3 "$TRASH/old.db" "PRAGMA user_version")" = 0 &&
	"$HUCE" --db "$TRASH/old.db" init --device old >/dev/null &&
	test "$(sqlite3 "$TRASH/old.db" "PRAGMA user_version")" = "$(sqlite3 "$DB" "PRAGMA user_version")"
'

test_expect_success 'help for every command: exit 0, usage on stdout' '
	"$HUCE" --help >out && grep -q "^usage: huce" out &&
	"$HUCE" help >out && grep -q "exit codes" out &&
	"$HUCE" --version | grep -q "^huce " &&
	for cmd in init village group cadre team target household "household add" \
		"household list" "household show" "household set" "household assign" \
		inspect photo rectify status report conflicts; do
		h $cmd --help >out 2>err || { echo "$cmd --help failed"; exit 1; }
		grep -q "^usage: huce" out || { echo "$cmd: no usage"; exit 1; }
		test ! -s err || { echo "$cmd: help wrote to stderr"; exit 1; }
	done
'

test_expect_success 'no command, or an unknown one: usage, exit 2' '
	expect_exit 2 "$HUCE" 2>err && grep -q usage err &&
	expect_exit 2 h frobnicate 2>err && grep -q "unknown command" err &&
	expect_exit 2 "$HUCE" --db 2>err &&
	expect_exit 2 "$HUCE" --db "" status &&
	expect_exit 2 h --log-level loud status
'

test_done
