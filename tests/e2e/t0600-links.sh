#!/bin/bash
# t0600-links.sh - sync over broken links (issue 4, item 2): the real
# faultproxy (tests/tools/faultproxy, docs/FAULTPROXY.md) sits between a
# laptop (`huce sync`, and once `huce-syncd agent`) and a real central,
# and for each kind of fault - delay, throttle, reset in the middle of an
# upload, a push answer cut short, a pull page cut short, a stall, refused
# connections, and all of them at once - the laptop keeps retrying until
# the faults stop (--fail-first / --refuse-first), and then:
#   - every household the laptop recorded is at the central exactly once
#     (count, distinct ids, distinct head names);
#   - the laptop's list equals the central's (ignoring `version`);
#   - nothing is left pending or quarantined, and the central's high-water
#     mark for the device equals the laptop's acknowledged seq;
#   - the proxy's log shows the fault really happened.
# A second laptop, synced directly at the end, sees the same state.
#
# A push first asks the central's mark (an empty batch, PROTOCOL.md
# 2.1), so a batch is the second request on a kept-alive connection;
# libcurl sends a request whose reused connection dies once more on a
# fresh one.  A failed sync therefore meets two resets, and the
# --fail-first counts of the reset tests are twice the failed tries.

. "$(dirname "$0")/lib.sh"

FAULTPROXY="$HUCE_BUILDDIR/tests/tools/faultproxy"
[ -x "$FAULTPROXY" ] || { echo "Bail out! no faultproxy at $FAULTPROXY"; exit 1; }

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
nover() { jq -S 'map(del(.version)) | sort_by(.id)'; }


# via DEV URL: point a laptop at URL (a proxy) without enrolling again.
via() {
	sqlite3 "$TRASH/$1.db" "UPDATE meta SET value = '$2' WHERE key = 'central_url'"
}

# add_households DEV TAG N: N new households, heads TAG-1 .. TAG-N.
add_households() {
	for i in $(seq 1 "$3"); do
		h "$1" household add --village 阿猛村 --group 第一组 --head "$2-$i" \
			--approach new-build --build self --type three-grid >/dev/null || return 1
	done
}

# sync_until DEV MAX [SYNC-ARGS...]: run `huce sync` until it succeeds,
# at most MAX times; prints the number of attempts it took.
sync_until() {
	dev=$1 max=$2
	shift 2
	for n in $(seq 1 "$max"); do
		if h "$dev" sync "$@" >>"$TRASH/sync.out" 2>>"$TRASH/sync.err"; then
			echo "$n"
			return 0
		fi
	done
	echo "sync did not get through in $max attempts:" >&2
	tail -n 5 "$TRASH/sync.err" >&2
	return 1
}

# converged DEV N: the central holds N households, once each, and DEV's
# list equals the central's; nothing pending; hwm == acked seq.  Says
# what it found when it fails.
converged() {
	converged_ "$@" && return 0
	echo "not converged ($1, $2 households expected): central" \
		"$(jq length "$TRASH/central.json" 2>&1) households, laptop" \
		"$(jq length "$TRASH/dev.json" 2>&1); status $(cat "$TRASH/status.json" 2>&1);" \
		"hwm '${hwm-}' acked '${acked-}'"
	return 1
}

converged_() {
	adm household list --json >"$TRASH/central.json" &&
	h "$1" household list --json >"$TRASH/dev.json" &&
	test "$(jq length "$TRASH/central.json")" = "$2" &&
	test "$(jq '[.[].id] | unique | length' "$TRASH/central.json")" = "$2" &&
	test "$(jq '[.[].head] | unique | length' "$TRASH/central.json")" = "$2" &&
	nover <"$TRASH/central.json" >"$TRASH/central.nov" &&
	nover <"$TRASH/dev.json" >"$TRASH/dev.nov" &&
	test_cmp "$TRASH/central.nov" "$TRASH/dev.nov" &&
	rm -f "$TRASH/status.json" &&
	h "$1" status --json >"$TRASH/status.json" &&
	test "$(jq .pending "$TRASH/status.json")" = 0 &&
	test "$(jq .quarantined "$TRASH/status.json")" = 0 &&
	acked=$(jq .acked_seq "$TRASH/status.json") &&
	hwm=$(sqlite3 -cmd ".timeout 10000" "$C" "SELECT hwm FROM device WHERE name = '$1'") &&
	test "$acked" = "$hwm"
}

# faults NAME KIND [N]: how many connections the proxy NAME ended with
# fault KIND.  The proxy logs a connection when it has closed both ends,
# which can be a moment after the laptop's sync returned (its delay, a
# busy machine): with N it waits up to 10 s for N of them to be logged.
faults() {
	for _ in $(seq 1 100); do
		n=$(grep -c "fault=$2 " "$TRASH/$1.plog" || true)
		[ "$n" -ge "${3:-0}" ] && break
		sleep 0.1
	done
	echo "$n"
}

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" --rate 0 || exit 1
{
	new_device d1 && new_device d2 &&
	h d1 enroll "$c_URL" "$(cat "$TRASH/tok1")" &&
	h d2 enroll "$c_URL" "$(cat "$TRASH/tok2")" &&
	h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
	h d1 sync
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
N=0

test_expect_success 'delay: 300 ms RTT costs time, not data' '
	add_households d1 delay 20 &&
	start_proxy delay --delay 150 &&
	via d1 "$delay_URL" &&
	test "$(sync_until d1 1)" = 1 &&
	converged d1 20 &&
	test "$(faults delay none 1)" -ge 1
'
N=20

test_expect_success 'throttle: 128 kbit/s gets everything through' '
	add_households d1 slow 20 &&
	start_proxy slow --rate 128000 &&
	via d1 "$slow_URL" &&
	test "$(sync_until d1 1)" = 1 &&
	converged d1 40
'

test_expect_success 'reset in the middle of the upload, twice: the third try lands once' '
	add_households d1 reset 60 &&
	start_proxy reset --reset-after 1500 --fail-first 4 &&
	via d1 "$reset_URL" &&
	test "$(sync_until d1 5)" = 3 &&
	test "$(faults reset reset 4)" = 4 &&
	converged d1 100
'

test_expect_success 'the push answer is cut short twice: the batch landed, nothing doubles' '
	add_households d1 cut 30 &&
	start_proxy cut --truncate-after 40 --fail-first 2 &&
	via d1 "$cut_URL" &&
	test "$(sync_until d1 5)" = 3 &&
	test "$(faults cut truncate 2)" = 2 &&
	converged d1 130
'

test_expect_success 'a pull page is cut short twice: the cursor only moves on whole pages' '
	add_households d1 page 30 &&
	start_proxy page --truncate-after 600 --fail-first 2 &&
	via d1 "$page_URL" &&
	test "$(sync_until d1 5)" = 3 &&
	test "$(faults page truncate 2)" = 2 &&
	converged d1 160
'

test_expect_success 'a stalled upload is abandoned (--timeout 5) and the retry lands' '
	add_households d1 stall 30 &&
	start_proxy stall --stall-after 1000 --fail-first 1 &&
	via d1 "$stall_URL" &&
	start=$(date +%s) &&
	test "$(sync_until d1 3 --timeout 5)" = 2 &&
	test $(($(date +%s) - start)) -lt 30 &&
	test "$(faults stall stall 1)" = 1 &&
	converged d1 190
'

test_expect_success 'refused connections: three refusals, then through' '
	add_households d1 refused 10 &&
	start_proxy refused --refuse-first 3 &&
	via d1 "$refused_URL" &&
	test "$(sync_until d1 6)" = 4 &&
	test "$(faults refused refused 3)" = 3 &&
	converged d1 200
'

test_expect_success 'the agent retries a reset link with its backoff until it lands' '
	add_households d1 agent 40 &&
	start_proxy agent --reset-after 1200 --fail-first 4 &&
	via d1 "$agent_URL" &&
	{ "$HUCE_SYNCD" agent --db "$TRASH/d1.db" --interval 1 >"$TRASH/agent.log" 2>&1 & } &&
	apid=$! &&
	for i in $(seq 1 120); do
		test "$(h d1 status --json | jq .pending)" = 0 && break
		sleep 0.25
	done &&
	kill -TERM $apid && wait $apid &&
	test "$(faults agent reset 4)" = 4 &&
	grep -c "cannot reach" "$TRASH/agent.log" | grep -qx 2 &&
	converged d1 240
'

test_expect_success 'everything at once: delay, throttle and resets' '
	add_households d1 mix 40 &&
	start_proxy mix --delay 50 --rate 256000 --reset-after 800 --fail-first 6 &&
	via d1 "$mix_URL" &&
	test "$(sync_until d1 6)" = 4 &&
	converged d1 280
'

test_expect_success 'a second laptop sees the same state, and the central log is clean' '
	h d2 sync >/dev/null &&
	h d2 household list --json | nover >"$TRASH/d2.nov" &&
	adm household list --json | nover >"$TRASH/c.nov" &&
	test_cmp "$TRASH/c.nov" "$TRASH/d2.nov" &&
	test "$(sqlite3 -cmd ".timeout 10000" "$C" "SELECT count(*) FROM record WHERE kind = '"'"'household'"'"'")" = 280 &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log"
'

stop_central c
for p in $(cat "$TRASH/proxies" 2>/dev/null); do
	kill "$p" 2>/dev/null
done
test_done
