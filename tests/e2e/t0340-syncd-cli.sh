#!/bin/bash
# t0340-syncd-cli.sh - huce-syncd's command line (main.c) and the
# central's life cycle: usage and exit codes, --port-file, listening
# addresses, and a clean exit 0 on SIGTERM and SIGINT.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"

test_expect_success '--help and --version' '
	"$HUCE_SYNCD" --help >out &&
	grep -q "^usage: huce-syncd" out &&
	grep -q central out && grep -q agent out && grep -q admin out &&
	"$HUCE_SYNCD" --version >out &&
	test "$(cat out)" = "huce-syncd $(sed -n "s/^  version : '\''\(.*\)'\'',$/\1/p" "$HUCE_SRCDIR/meson.build")" &&
	"$HUCE_SYNCD" central --help >out &&
	grep -q -- "--listen" out
'

test_expect_success 'no command, unknown command and bad options are usage errors' '
	expect_exit 2 "$HUCE_SYNCD" 2>err && grep -q "^usage:" err &&
	expect_exit 2 "$HUCE_SYNCD" frobnicate 2>err &&
	grep -q "unknown command .frobnicate." err && grep -q "^usage:" err &&
	expect_exit 2 "$HUCE_SYNCD" --bogus central 2>err &&
	expect_exit 2 "$HUCE_SYNCD" --log-level loud central 2>err &&
	grep -q "unknown log level" err &&
	expect_exit 2 "$HUCE_SYNCD" --log-level 2>err
'

test_expect_success 'central: missing or bad arguments are usage errors' '
	expect_exit 2 "$HUCE_SYNCD" central --listen 127.0.0.1:0 2>err &&
	grep -q -- "--store" err &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" 2>err &&
	grep -q -- "--listen" err &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 extra &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --nope &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --threads 0 &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --max-body 1x &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 --timeout &&
	for l in nonsense 127.0.0.1 127.0.0.1:99999 127.0.0.1:-1 "[::1" "[::1]8080" 127.0.0.1:8x; do
		expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen "$l" 2>err &&
		grep -q "listen" err || return 1
	done
'

test_expect_success 'SIGTERM stops the central with exit 0' '
	"$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--port-file "$TRASH/p1" 2>"$TRASH/l1" &
	pid=$! &&
	for i in $(seq 1 100); do test -s "$TRASH/p1" && break; sleep 0.05; done &&
	port=$(cat "$TRASH/p1") &&
	test "$port" -gt 0 && test "$port" -lt 65536 &&
	! ls "$TRASH"/p1.tmp* 2>/dev/null &&
	expect_status 200 "$TRASH/b" "http://127.0.0.1:$port/v1/health" &&
	kill -TERM $pid &&
	wait $pid &&
	grep -q "stopping" "$TRASH/l1"
'

test_expect_success 'SIGINT too, and SIGHUP is ignored' '
	"$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--port-file "$TRASH/p2" 2>"$TRASH/l2" &
	pid=$! &&
	for i in $(seq 1 100); do test -s "$TRASH/p2" && break; sleep 0.05; done &&
	port=$(cat "$TRASH/p2") &&
	kill -HUP $pid &&
	sleep 0.2 &&
	expect_status 200 "$TRASH/b" "http://127.0.0.1:$port/v1/health" &&
	kill -INT $pid &&
	wait $pid
'

test_expect_success 'a taken port is exit 1' '
	"$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--port-file "$TRASH/p3" 2>"$TRASH/l3" &
	pid=$! &&
	for i in $(seq 1 100); do test -s "$TRASH/p3" && break; sleep 0.05; done &&
	port=$(cat "$TRASH/p3") &&
	expect_status 200 "$TRASH/b" "http://127.0.0.1:$port/v1/health" &&
	expect_exit 1 "$HUCE_SYNCD" central --store "$S" --listen "127.0.0.1:$port" 2>err &&
	grep -q "cannot listen" err &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'a restarted central gets its port back at once' '
	port=$(cat "$TRASH/p3") &&
	rm -f "$TRASH/p3" &&
	{ "$HUCE_SYNCD" central --store "$S" --listen "127.0.0.1:$port" \
		--port-file "$TRASH/p3" 2>"$TRASH/l3" & } &&
	pid=$! &&
	for i in $(seq 1 100); do test -s "$TRASH/p3" && break; sleep 0.05; done &&
	test "$(cat "$TRASH/p3")" = "$port" &&
	expect_status 200 "$TRASH/b" "http://127.0.0.1:$port/v1/health" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'IPv6 loopback, when the host has it' '
	if ! python3 -c "import socket; s = socket.socket(socket.AF_INET6); s.bind((\"::1\", 0))" 2>/dev/null; then
		echo "no IPv6 here"; exit 0
	fi
	"$HUCE_SYNCD" central --store "$S" --listen "[::1]:0" \
		--port-file "$TRASH/p6" 2>"$TRASH/l6" &
	pid=$! &&
	for i in $(seq 1 100); do test -s "$TRASH/p6" && break; sleep 0.05; done &&
	port=$(cat "$TRASH/p6") &&
	expect_status 200 "$TRASH/b" -g "http://[::1]:$port/v1/health" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'an unwritable --port-file is exit 1' '
	expect_exit 1 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--port-file "$TRASH/no/such/dir/port" 2>err &&
	grep -q "cannot write" err
'

test_expect_success 'a store that cannot be opened is exit 1' '
	expect_exit 1 timeout 20 "$HUCE_SYNCD" central --store "$TRASH/no/such/dir/c.db" \
		--listen 127.0.0.1:0 2>err &&
	grep -q "cannot open store" err
'

test_done
