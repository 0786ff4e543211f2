#!/bin/bash
# t0630-access-audit.sh - tokens and the audit log (issue 4, item 7;
# DESIGN.md section 7; docs/PROTOCOL.md section 2):
#   - a device token is 64 lowercase hex digits (256 bits), different
#     every time, printed once and never shown again (`device list`);
#   - the central keeps only its SHA-256: the token is nowhere in the
#     store's files (main file, -wal, -shm), nor in the central's log;
#   - a revoked token is refused (401) at once on every endpoint;
#   - the audit table records every admin action (town, device add,
#     list, revoke, import, household list, conflicts, resolve), every
#     enrolment (the town key is revealed), and the use of a revoked
#     token; it is append-only.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
audit() { sqlite3 "$C" "SELECT actor || ' | ' || action || ' | ' || coalesce(detail, '') FROM audit ORDER BY n"; }

test_expect_success 'tokens are 64 hex digits, fresh each time' '
	adm town 阿猛镇 >/dev/null &&
	for i in $(seq 1 20); do
		adm device add "lap$i" >"$TRASH/add.$i" || return 1
		tail -n 1 "$TRASH/add.$i" >>"$TRASH/tokens"
	done &&
	test "$(grep -cE "^[0-9a-f]{64}$" "$TRASH/tokens")" = 20 &&
	test "$(sort -u "$TRASH/tokens" | wc -l)" = 20 &&
	test "$(cut -c1-16 "$TRASH/tokens" | sort -u | wc -l)" = 20
'

test_expect_success 'tokens are not all alike: every hex digit is used' '
	test "$(tr -d "\n" <"$TRASH/tokens" | fold -w1 | sort -u | wc -l)" = 16
'

test_expect_success 'the store keeps the SHA-256 of each token, never the token' '
	i=0 &&
	while read -r tok; do
		i=$((i + 1))
		want=$(printf %s "$tok" | sha256sum | cut -d" " -f1)
		got=$(sqlite3 "$C" "SELECT token_hash FROM device WHERE name = '"'"'lap$i'"'"'")
		test "$want" = "$got" || { echo "lap$i: hash $got, want $want"; return 1; }
	done <"$TRASH/tokens" &&
	for f in "$C" "$C-wal" "$C-shm"; do
		[ -e "$f" ] || continue
		while read -r tok; do
			! grep -qaF "$tok" "$f" || { echo "token found in $f"; return 1; }
		done <"$TRASH/tokens"
	done &&
	adm device list >"$TRASH/list" &&
	while read -r tok; do
		! grep -qF "$tok" "$TRASH/list" || return 1
	done <"$TRASH/tokens"
'

T1=$(sed -n 1p "$TRASH/tokens" 2>/dev/null)
T2=$(sed -n 2p "$TRASH/tokens" 2>/dev/null)
start_central c "$C" || exit 1

test_expect_success 'a laptop enrols and syncs; the enrolment is audited' '
	new_device lap1 &&
	h lap1 enroll "$c_URL" "$T1" >/dev/null &&
	h lap1 village add 阿猛村 >/dev/null &&
	h lap1 group add --village 阿猛村 第一组 >/dev/null &&
	h lap1 household add --village 阿猛村 --group 第一组 --head 张三 \
		--approach new-build --build self --type three-grid >/dev/null &&
	h lap1 sync >/dev/null &&
	audit | grep -q "^lap1 | enroll |" &&
	test "$(sqlite3 "$C" "SELECT last_seen > 0 FROM device WHERE name = '"'"'lap1'"'"'")" = 1
'

test_expect_success 'revoked: 401 at once on every endpoint' '
	adm device revoke lap2 >/dev/null &&
	expect_status 401 "$TRASH/b" -H "Authorization: Bearer $T2" "$c_URL/v1/enroll" &&
	expect_status 401 "$TRASH/b" -H "Authorization: Bearer $T2" "$c_URL/v1/changes?after=0" &&
	$MKBATCH households --households 1 --device lap2 --seed t0630 >"$TRASH/l2.hucb" &&
	post_batch 401 "$TRASH/b" "$c_URL" "$T2" "$TRASH/l2.hucb" &&
	expect_error "$TRASH/b" unauthorized
'

test_expect_success 'the office at work: conflicts, resolve, import, lists' '
	new_device lap3 &&
	h lap3 enroll "$c_URL" "$(sed -n 3p "$TRASH/tokens")" >/dev/null &&
	h lap3 sync >/dev/null &&
	id=$(h lap1 household list --json | jq -r ".[0].id") &&
	h lap1 household set "$id" phone=13900000001 >/dev/null &&
	h lap3 household set "$id" phone=13900000002 >/dev/null &&
	h lap1 sync >/dev/null && h lap3 sync >/dev/null &&
	adm conflicts --json >"$TRASH/c.json" &&
	cid=$(jq -r ".[0].id" "$TRASH/c.json") &&
	echo "$cid" >"$TRASH/cid" &&
	adm resolve "$cid" --value 13900000003 >/dev/null &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,第二组,李四,王五,整厕新建,自建,三格化粪池式" >"$TRASH/hh.csv" &&
	adm import "$TRASH/hh.csv" --create >/dev/null &&
	adm household list >/dev/null &&
	adm device list >/dev/null
'

test_expect_success 'every admin action and resolution is in the audit log' '
	audit >"$TRASH/audit" &&
	cat "$TRASH/audit" &&
	for action in town "device add" "device revoke" "device list" "conflicts" \
		resolve import "household list"; do
		grep -q " | $action |" "$TRASH/audit" || { echo "no audit line for $action"; return 1; }
	done &&
	test "$(grep -c " | device add |" "$TRASH/audit")" = 20 &&
	grep " | resolve |" "$TRASH/audit" | grep -q "$(cat "$TRASH/cid")"
'

test_expect_success 'the audit log holds no token and no personal data' '
	while read -r tok; do
		! grep -qF "$tok" "$TRASH/audit" || return 1
	done <"$TRASH/tokens" &&
	! grep -q "张三\|李四\|139000000" "$TRASH/audit"
'

test_expect_success 'the use of a revoked token is audited' '
	audit | grep -i "lap2" | grep -iv "device add\|device revoke" | grep -qi "revoked\|refused\|401"
'

test_expect_success 'the audit log is append-only' '
	! sqlite3 "$C" "DELETE FROM audit" 2>/dev/null &&
	! sqlite3 "$C" "UPDATE audit SET actor = '"'"'x'"'"'" 2>/dev/null &&
	test "$(audit | wc -l)" -ge 25
'

test_expect_success 'no token in the central log' '
	while read -r tok; do
		! grep -qF "$tok" "$TRASH/c.log" || return 1
	done <"$TRASH/tokens"
'

stop_central c
test_done
