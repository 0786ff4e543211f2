#!/bin/bash
# t0400-faultproxy: the fault-injecting proxy (tests/tools/faultproxy.c)
# does what the broken-link tests rely on.  A python3 http.server on a
# free loopback port serves a 64 KiB file; one proxy per fault sits in
# front of it and curl fetches through each.  Runs in about 20 s, most of
# it the 64 kbit/s download and curl giving up on the stall.
. "$(dirname "$0")/lib.sh"

FAULTPROXY="$HUCE_BUILDDIR/tests/tools/faultproxy"

bail() {
	echo "Bail out! $*"
	exit 1
}

[ -x "$FAULTPROXY" ] || bail "no faultproxy at $FAULTPROXY"

mkdir -p "$TRASH/www"
head -c 65536 /dev/urandom >"$TRASH/www/f64k"
printf 'hello\n' >"$TRASH/www/small"

# The origin: a threaded http.server on a port the kernel picks, written
# to a port file (temp + rename) once it listens.
cat >"$TRASH/origin.py" <<'EOF'
import functools, http.server, os, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
srv = Server(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[2]))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF

# wait_port FILE: wait up to 5 s for a port file, print the port.
wait_port() {
	for _ in $(seq 1 100); do
		[ -s "$1" ] && break
		sleep 0.05
	done
	[ -s "$1" ] && cat "$1"
}

python3 "$TRASH/origin.py" "$TRASH/origin.port" "$TRASH/www" >"$TRASH/origin.err" 2>&1 &
CENTRAL_PIDS="$CENTRAL_PIDS $!"
ORIGIN_PORT=$(wait_port "$TRASH/origin.port") || bail "origin did not start"

# start_proxy NAME ARGS...: a proxy in front of the origin; sets
# ${NAME}_URL.  Its per-connection log is $TRASH/NAME.log.
start_proxy() {
	name=$1
	shift
	"$FAULTPROXY" --listen 127.0.0.1:0 --port-file "$TRASH/$name.port" \
		--target "127.0.0.1:$ORIGIN_PORT" --log "$TRASH/$name.log" \
		--max-seconds 120 "$@" 2>"$TRASH/$name.err" &
	CENTRAL_PIDS="$CENTRAL_PIDS $!"
	port=$(wait_port "$TRASH/$name.port") || bail "proxy $name did not start"
	eval "${name}_URL=http://127.0.0.1:$port"
}

start_proxy clean
start_proxy rate --rate 64000
start_proxy delay --delay 150
start_proxy reset --reset-after 10
start_proxy truncate --truncate-after 1000
start_proxy stall --stall-after 1000
start_proxy failfirst --fail-first 2 --reset-after 10
start_proxy refuse --refuse-first 1
start_proxy many --delay 50 --rate 8000000

# fetch URL [CURL-ARGS...]: download to ./got; print "rc seconds bytes/s".
fetch() {
	url=$1
	shift
	rc=0
	w=$(curl -sS --max-time 30 -o got -w '%{time_total} %{speed_download}' "$@" "$url") || rc=$?
	echo "$rc $w"
}

# wait_log NAME PATTERN: a proxy logs a connection when it ends.
wait_log() {
	for _ in $(seq 1 40); do
		grep -q "$2" "$TRASH/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no '$2' in $1.log:" >&2
	cat "$TRASH/$1.log" >&2
	return 1
}

test_expect_success 'port file holds the port alone' '
	grep -qx "[0-9][0-9]*" "$TRASH/clean.port" &&
	! ls "$TRASH"/*.tmp.* 2>/dev/null
'

test_expect_success 'clean relay is byte-identical and logged' '
	set -- $(fetch "$clean_URL/f64k") &&
	test "$1" = 0 &&
	cmp got "$TRASH/www/f64k" &&
	wait_log clean "^conn=1 c2s=[0-9]* s2c=65[0-9]* fault=none end=eof ms=[0-9]*$"
'

test_expect_success '--rate 64000 gives 8000 bytes/s within 10%' '
	set -- $(fetch "$rate_URL/f64k") &&
	echo "rc=$1 seconds=$2 bytes/s=$3" &&
	test "$1" = 0 &&
	cmp got "$TRASH/www/f64k" &&
	awk -v s="$3" "BEGIN { exit !(s >= 7200 && s <= 8800) }"
'

test_expect_success '--delay 150 adds about 300 ms to a request' '
	base=9 slow=9 &&
	for _ in 1 2 3; do
		set -- $(fetch "$clean_URL/small") && test "$1" = 0 &&
		base=$(awk -v a="$base" -v b="$2" "BEGIN { print (b < a ? b : a) }") &&
		set -- $(fetch "$delay_URL/small") && test "$1" = 0 &&
		slow=$(awk -v a="$slow" -v b="$2" "BEGIN { print (b < a ? b : a) }")
	done &&
	echo "clean=$base delayed=$slow" &&
	awk -v a="$base" -v b="$slow" "BEGIN { d = b - a; exit !(d >= 0.28 && d <= 0.6) }"
'

test_expect_success '--reset-after resets the connection' '
	set -- $(fetch "$reset_URL/f64k") &&
	test "$1" = 56 &&
	wait_log reset "^conn=1 c2s=10 s2c=0 fault=reset end=reset "
'

test_expect_success '--truncate-after cuts the body and closes cleanly' '
	set -- $(fetch "$truncate_URL/f64k") &&
	test "$1" = 18 &&
	size=$(wc -c <got) &&
	test "$size" -gt 0 && test "$size" -lt 1000 &&
	wait_log truncate "^conn=1 c2s=[0-9]* s2c=1000 fault=truncate "
'

test_expect_success '--stall-after stalls until curl abandons it' '
	set -- $(fetch "$stall_URL/f64k" --speed-time 1 --speed-limit 1) &&
	echo "rc=$1 seconds=$2" &&
	test "$1" = 28 &&
	awk -v t="$2" "BEGIN { exit !(t < 15) }" &&
	test "$(wc -c <got)" -lt 1000 &&
	wait_log stall "^conn=1 c2s=[0-9]* s2c=1000 fault=stall end=client-closed "
'

test_expect_success '--fail-first 2 lets the third try through' '
	set -- $(fetch "$failfirst_URL/f64k") && test "$1" = 56 &&
	set -- $(fetch "$failfirst_URL/f64k") && test "$1" = 56 &&
	set -- $(fetch "$failfirst_URL/f64k") && test "$1" = 0 &&
	cmp got "$TRASH/www/f64k" &&
	wait_log failfirst "^conn=3 .* fault=none end=eof " &&
	test "$(grep -c "fault=reset" "$TRASH/failfirst.log")" = 2
'

test_expect_success '--refuse-first 1 drops the first connection only' '
	set -- $(fetch "$refuse_URL/small") && test "$1" != 0 &&
	set -- $(fetch "$refuse_URL/small") && test "$1" = 0 &&
	cmp got "$TRASH/www/small" &&
	wait_log refuse "^conn=1 c2s=0 s2c=0 fault=refused " &&
	wait_log refuse "^conn=2 .* fault=none end=eof "
'

test_expect_success '512 concurrent connections all complete' '
	cat >many.py <<-\EOF &&
	import selectors, socket, sys, time
	port, n, want = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "rb").read()
	sel = selectors.DefaultSelector()
	for _ in range(n):
	    s = socket.create_connection(("127.0.0.1", port))
	    s.sendall(b"GET /f64k HTTP/1.0\r\nHost: x\r\n\r\n")
	    s.setblocking(False)
	    sel.register(s, selectors.EVENT_READ, bytearray())
	done = ok = 0
	end = time.time() + 20
	while done < n and time.time() < end:
	    for key, _ in sel.select(timeout=1):
	        try:
	            data = key.fileobj.recv(65536)
	        except OSError:
	            data = b""
	        if data:
	            key.data.extend(data)
	            continue
	        sel.unregister(key.fileobj)
	        key.fileobj.close()
	        done += 1
	        ok += bytes(key.data).partition(b"\r\n\r\n")[2] == want
	print("connections=%d complete=%d" % (n, ok))
	sys.exit(ok != n)
	EOF
	python3 many.py "${many_URL##*:}" 512 "$TRASH/www/f64k"
'

test_expect_success 'SIGTERM stops it cleanly, with connections open' '
	"$FAULTPROXY" --port-file term.port --target "127.0.0.1:$ORIGIN_PORT" \
		--stall-after 0 --max-seconds 30 --log term.log 2>term.err &
	pid=$!
	port=$(wait_port term.port)
	curl -s --max-time 30 -o /dev/null "http://127.0.0.1:$port/f64k" &
	cpid=$!
	sleep 0.3
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	wait "$cpid" || true
	test "$rc" = 0 &&
	grep -q "^conn=1 .* fault=stall end=exit " term.log &&
	test ! -s term.err
'

test_expect_success '--max-seconds makes it exit by itself' '
	start=$(date +%s) &&
	"$FAULTPROXY" --port-file max.port --target "127.0.0.1:$ORIGIN_PORT" \
		--max-seconds 1 2>max.err &&
	test $(($(date +%s) - start)) -le 3
'

test_expect_success 'bad options are refused with status 2' '
	expect_exit 2 "$FAULTPROXY" 2>/dev/null &&
	expect_exit 2 "$FAULTPROXY" --target 127.0.0.1:99999 2>/dev/null &&
	expect_exit 2 "$FAULTPROXY" --target 127.0.0.1:80 --rate 64k 2>/dev/null &&
	expect_exit 2 "$FAULTPROXY" --target 127.0.0.1:80 --delay -1 2>/dev/null
'

test_done
