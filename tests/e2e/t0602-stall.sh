#!/bin/bash
# t0602-stall.sh - a link that goes silent (issue 4, item 2): the proxy
# stops relaying in both directions but keeps the sockets open, so no
# error ever arrives.  libcurl's low-speed limit (syncd/agent/http_client.c:
# below 1 byte/s for HUCE_STALL_TIMEOUT seconds, 30 by default) must abandon the
# request, `huce sync` must fail with exit 1 instead of hanging, and the
# next try must land everything exactly once.  Once on an upload, once in
# the middle of a pull page.
#
# The stall limit is set to 8 s with HUCE_STALL_TIMEOUT (the default is
# 30 s), so this test runs about 30 s.  Every wait is bounded by
# timeout(1), so a hang fails the test instead of the test run.

. "$(dirname "$0")/lib.sh"

FAULTPROXY="$HUCE_BUILDDIR/tests/tools/faultproxy"
[ -x "$FAULTPROXY" ] || { echo "Bail out! no faultproxy at $FAULTPROXY"; exit 1; }
STALL=8
export HUCE_STALL_TIMEOUT=$STALL

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
nover() { jq -S 'map(del(.version)) | sort_by(.id)'; }

via() {
	sqlite3 "$TRASH/$1.db" "UPDATE meta SET value = '$2' WHERE key = 'central_url'"
}
add_households() {
	for i in $(seq 1 "$3"); do
		h "$1" household add --village 阿猛村 --group 第一组 --head "$2-$i" \
			--approach new-build --build self --type three-grid >/dev/null || return 1
	done
}

# stalled_sync DEV: one `huce sync` that must fail on the stall, neither
# sooner than the low-speed limit nor much later; prints the seconds.
stalled_sync() {
	t0=$(date +%s)
	set +e
	timeout $((STALL * 3 + 20)) "$HUCE" --db "$TRASH/$1.db" sync >"$TRASH/stall.out" 2>"$TRASH/stall.err"
	rc=$?
	set -e
	t=$(($(date +%s) - t0))
	cat "$TRASH/stall.err"
	if [ "$rc" = 124 ]; then
		echo "huce sync still hung after $((STALL * 3 + 20)) s" >&2
		return 1
	fi
	[ "$rc" = 1 ] || { echo "expected exit 1, got $rc" >&2; return 1; }
	grep -q "Timeout was reached\|too slow" "$TRASH/stall.err" &&
	[ "$t" -ge $((STALL - 2)) ] && [ "$t" -le $((STALL * 2 + 10)) ] &&
	echo "# stall abandoned after $t s" >&3
}

converged() {
	adm household list --json >"$TRASH/central.json" &&
	test "$(jq length "$TRASH/central.json")" = "$2" &&
	test "$(jq "[.[].id] | unique | length" "$TRASH/central.json")" = "$2" &&
	h "$1" household list --json | nover >"$TRASH/dev.nov" &&
	nover <"$TRASH/central.json" >"$TRASH/central.nov" &&
	test_cmp "$TRASH/central.nov" "$TRASH/dev.nov" &&
	test "$(h "$1" status --json | jq .pending)" = 0
}

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" || exit 1
{
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 sync && h d2 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'an upload that stalls is abandoned by the low-speed limit' '
	add_households d1 up 40 &&
	start_proxy up --stall-after 600 --fail-first 1 &&
	via d1 "$up_URL" &&
	stalled_sync d1 &&
	grep -q "fault=stall end=client-closed" "$TRASH/up.plog"
' 3>&1

test_expect_success 'and the next sync lands it once' '
	h d1 sync >/dev/null &&
	converged d1 40
'

test_expect_success 'a pull page that stalls half-way is abandoned too' '
	add_households d2 down 150 &&
	h d2 sync >/dev/null &&
	add_households d1 down1 1 &&
	start_proxy down --stall-after 2500 --fail-first 1 &&
	via d1 "$down_URL" &&
	stalled_sync d1 &&
	grep -q "fault=stall end=client-closed" "$TRASH/down.plog" &&
	grep -q "s2c=2500 " "$TRASH/down.plog"
' 3>&1

test_expect_success 'and the next sync pulls everything, once' '
	h d1 sync >/dev/null &&
	converged d1 191
'

stop_central c
for p in $(cat "$TRASH/proxies" 2>/dev/null); do
	kill "$p" 2>/dev/null
done
test_done
