#!/bin/bash
# t0601-slowlink.sh - a village link (issue 4, item 2): 64 kbit/s each way
# with a 300 ms round trip (faultproxy --rate 64000 --delay 150).  A laptop
# with 1,000 new households syncs through it in one `huce sync`: the push
# and the pull that follows complete, nothing is lost or doubled, and the
# test prints the time it took against the line-rate time, that is the
# bytes that crossed the link (as `huce sync` counts them, headers
# included) divided by 8,000 bytes/s.
#
#   # 64kbit: 1000 households, up U B, down D B, 2 requests: 17.3 s (line rate 15.1 s, x1.15)
#
# The bound checked is generous (line rate x 3 + 10 s): it is there to
# catch a sync that waits on timeouts or resends, not to benchmark.

. "$(dirname "$0")/lib.sh"

FAULTPROXY="$HUCE_BUILDDIR/tests/tools/faultproxy"
[ -x "$FAULTPROXY" ] || { echo "Bail out! no faultproxy at $FAULTPROXY"; exit 1; }
N=${HUCE_SLOWLINK_RECORDS:-1000}

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { "$HUCE" --db "$TRASH/d1.db" "$@"; }
nover() { jq -S 'map(del(.version)) | sort_by(.id)'; }

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" || exit 1
"$FAULTPROXY" --listen 127.0.0.1:0 --port-file "$TRASH/p.port" \
	--target "127.0.0.1:$c_PORT" --rate 64000 --delay 150 \
	--log "$TRASH/p.plog" --max-seconds 280 2>"$TRASH/p.err" &
CENTRAL_PIDS="$CENTRAL_PIDS $!"
for _ in $(seq 1 100); do [ -s "$TRASH/p.port" ] && break; sleep 0.05; done
P_URL="http://127.0.0.1:$(cat "$TRASH/p.port")"

test_expect_success "enrol through the slow link and record $N households offline" '
	new_device d1 &&
	h enroll "$P_URL" "$(cat "$TRASH/tok1")" >/dev/null &&
	h village add 阿猛村 >/dev/null &&
	h group add --village 阿猛村 第一组 >/dev/null &&
	h cadre add 王五 --role 挂包干部 >/dev/null &&
	for i in $(seq 1 "$N"); do
		h household add --village 阿猛村 --group 第一组 --head "户主$i" \
			--approach new-build --build self --type three-grid \
			--cadre 王五 --phone "139$(printf %08d "$i")" \
			--house-no "$i" --gps "23.$i,103.$i" >/dev/null || return 1
	done &&
	test "$(h status --json | jq .pending)" = $((N + 3))
'

test_expect_success "$N households sync over 64 kbit/s with a 300 ms RTT" '
	t0=$(date +%s.%N) &&
	h sync --timeout 280 >"$TRASH/sync.out" &&
	t1=$(date +%s.%N) &&
	cat "$TRASH/sync.out" &&
	up=$(sed -n "s/.*(\([0-9]*\) bytes up, \([0-9]*\) bytes down).*/\1/p" "$TRASH/sync.out") &&
	down=$(sed -n "s/.*(\([0-9]*\) bytes up, \([0-9]*\) bytes down).*/\2/p" "$TRASH/sync.out") &&
	reqs=$(sed -n "s/.* in \([0-9]*\) requests.*/\1/p" "$TRASH/sync.out") &&
	python3 -c "
import sys
n, up, down, reqs, t0, t1 = sys.argv[1:]
t = float(t1) - float(t0)
line = (int(up) + int(down)) / 8000.0
print(\"# 64kbit: %s households, up %s B, down %s B, %s requests: %.1f s (line rate %.1f s, x%.2f)\"
      % (n, up, down, reqs, t, line, t / line))
open(\"times\", \"w\").write(\"%f %f\n\" % (t, line))
" "$N" "$up" "$down" "$reqs" "$t0" "$t1" >"$TRASH/figure" &&
	cat "$TRASH/figure" >&3 &&
	read t line <"$TRASH/times" &&
	python3 -c "import sys; t, l = map(float, sys.argv[1:]); sys.exit(0 if t < 3 * l + 10 else 1)" "$t" "$line"
' 3>&1

test_expect_success 'everything landed once, and the laptop agrees with the central' '
	adm household list --json >"$TRASH/central.json" &&
	test "$(jq length "$TRASH/central.json")" = "$N" &&
	test "$(jq "[.[].id] | unique | length" "$TRASH/central.json")" = "$N" &&
	h household list --json | nover >"$TRASH/dev.nov" &&
	nover <"$TRASH/central.json" >"$TRASH/central.nov" &&
	test_cmp "$TRASH/central.nov" "$TRASH/dev.nov" &&
	test "$(h status --json | jq .pending)" = 0 &&
	test "$(grep -c "fault=none" "$TRASH/p.plog")" -ge 1 &&
	! grep -v "fault=none" "$TRASH/p.plog"
'

stop_central c
test_done
