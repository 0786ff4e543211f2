#!/bin/bash
# t0200-admin-device.sh - `huce-syncd admin device add|list|revoke` and the
# office command line's contract: a token is 256 random bits shown once
# as the last line and stored only as its SHA-256; a duplicate name is
# invalid data (3), an unknown one not found (4); usage errors are 2;
# every action is in the audit log; a new store has a random town key.

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }

test_expect_success 'device add prints a 64-hex token as the last line' '
	adm device add 笔记本-1 >out &&
	tail -n 1 out >token &&
	grep -Eq "^[0-9a-f]{64}$" token &&
	adm device add laptop-2 | tail -n 1 >token2 &&
	! test_cmp token token2 >/dev/null
'

test_expect_success 'only the hash of the token is stored' '
	tok=$(cat token) &&
	! sqlite3 "$C" .dump | grep -q "$tok" &&
	hash=$(printf %s "$tok" | sha256sum | cut -d" " -f1) &&
	test "$(sqlite3 "$C" "SELECT name FROM device WHERE token_hash = '\''$hash'\''")" = 笔记本-1
'

test_expect_success 'a duplicate or reserved name is refused (3)' '
	expect_exit 3 adm device add 笔记本-1 2>err &&
	grep -q "already exists" err &&
	expect_exit 3 adm device add office 2>err &&
	grep -q reserved err &&
	expect_exit 3 adm device add "" 2>err &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM device")" = 2
'

test_expect_success 'device list shows both, in text and JSON' '
	adm device list >out &&
	grep -q "^笔记本-1" out && grep -q "^laptop-2" out &&
	adm device list --json >out.json &&
	test "$(jq length out.json)" = 2 &&
	test "$(jq -r ".[1].name" out.json)" = 笔记本-1 &&
	test "$(jq -r ".[1].revoked" out.json)" = false &&
	test "$(jq -r ".[1].hwm" out.json)" = 0
'

test_expect_success 'device revoke marks it revoked; an unknown name is 4' '
	adm device revoke laptop-2 >out &&
	test "$(adm device list --json | jq -r ".[0].revoked")" = true &&
	adm device revoke laptop-2 &&
	expect_exit 4 adm device revoke nobody 2>err &&
	grep -q "not found" err
'

test_expect_success 'usage errors exit 2' '
	expect_exit 2 adm 2>err &&
	expect_exit 2 adm device 2>err &&
	expect_exit 2 adm device frob x 2>err &&
	expect_exit 2 adm device list --bogus 2>err &&
	expect_exit 2 "$HUCE_SYNCD" admin device list 2>err &&
	grep -q -- "--store" err &&
	expect_exit 2 adm frobnicate 2>err &&
	expect_exit 2 adm resolve 2>err &&
	"$HUCE_SYNCD" admin --help | grep -q "device add NAME"
'

test_expect_success 'every admin action is in the audit log, the town key exists' '
	sqlite3 "$C" "SELECT action, detail FROM audit ORDER BY n" >audit &&
	grep -q "^device add|笔记本-1" audit &&
	grep -q "^device revoke|laptop-2" audit &&
	grep -q "^device list" audit &&
	sqlite3 "$C" "SELECT value FROM meta WHERE key = '\''town_key'\''" | grep -Eq "^[0-9a-f]{64}$" &&
	! sqlite3 "$C" "DELETE FROM audit" 2>err &&
	grep -q "append-only" err
'

test_expect_success 'town shows and sets the town name' '
	adm town 阿猛镇 &&
	test "$(adm town)" = 阿猛镇
'

test_done
