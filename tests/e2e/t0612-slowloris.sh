#!/bin/bash
# t0612-slowloris.sh - clients that send their request a byte at a time
# (issue 4, item 3: "slowloris: headers dribbled byte by byte:
# connection timeout").  t0310 checks that a few half-sent requests do not
# block other clients while the central has connections to spare; this
# test checks what a slowloris attack really does: keep every connection
# slot busy by sending one byte just before the idle timeout, for ever.
#
# The central runs with --timeout 2 (idle limit) and small connection
# limits (--max-connections 8 --per-ip 4) so that a handful of sockets
# stand for the 256 / 64 of the defaults.  What must hold:
#   1. a connection that is silent is closed after --timeout (control);
#   2. a connection that dribbles its *headers* is closed within a bounded
#      time (here 5 x --timeout) although it is never idle for 2 s;
#   3. so is one that dribbles its *body*;
#   4. while 8 dribblers from two addresses hold every slot, a client
#      from a third address is served within 10 s;
#   5. an honest slow upload (1,000 B/s) is not cut, nor a request that
#      waits for a worker busy with a long merge;
#   6. afterwards the central serves normally and its log is clean.
# Every wait is bounded; the whole test takes about 30 s.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"
new_token "$S" laptop-1 >"$TRASH/tok1" || exit 1
T1=$(cat "$TRASH/tok1")
start_central c "$S" --timeout 2 --max-connections 8 --per-ip 4 || exit 1

cat >"$TRASH/dribble.py" <<'EOF'
# dribble.py PORT MODE SECONDS [SRC N]: open N connections (from source
# address SRC), send the start of a request, then one byte a second.
# Prints the seconds until the server closed each one, or "open" if it
# still was after SECONDS.  MODE: idle (send nothing more), header, body.
import socket, sys, time
port, mode, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
src = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
n = int(sys.argv[5]) if len(sys.argv) > 5 else 1
token = (sys.argv[6] if len(sys.argv) > 6 else "").encode()
start = {"idle": b"GET /v1/health HTTP/1.1\r\nHost: x\r\n",
         "header": b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ",
         "body": b"POST /v1/batches HTTP/1.1\r\nHost: x\r\n"
                 b"Authorization: Bearer " + token + b"\r\n"
                 b"Content-Type: application/x-huce-batch\r\n"
                 b"Content-Length: 100000\r\n\r\nHUCB"}[mode]
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(start)
    s.setblocking(False)
    socks.append(s)
t0 = time.time()
closed = {}
while time.time() - t0 < limit and len(closed) < n:
    time.sleep(0.5 if mode == "idle" else 1.0)
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            if s.recv(4096) == b"":
                closed[i] = time.time() - t0
                continue
        except BlockingIOError:
            pass
        except OSError:
            closed[i] = time.time() - t0
            continue
        if mode != "idle":
            try:
                s.sendall(b"a")
            except OSError:
                closed[i] = time.time() - t0
print(" ".join("%.0f" % closed[i] if i in closed else "open" for i in range(n)))
EOF

test_expect_success 'a silent connection is closed after --timeout' '
	r=$(python3 "$TRASH/dribble.py" "$c_PORT" idle 10) &&
	echo "closed after: $r" &&
	test "$r" != open && test "$r" -le 5
'

test_expect_success 'a connection dribbling its headers is closed within 5 x --timeout' '
	r=$(python3 "$TRASH/dribble.py" "$c_PORT" header 12) &&
	echo "closed after: $r" &&
	test "$r" != open && test "$r" -le 10
'

test_expect_success 'a connection dribbling its body is closed within 5 x --timeout' '
	r=$(python3 "$TRASH/dribble.py" "$c_PORT" body 12 127.0.0.1 1 "$T1") &&
	echo "closed after: $r" &&
	test "$r" != open && test "$r" -le 10
'

cat >"$TRASH/steady.py" <<'EOF'
# steady.py PORT TOKEN: upload a 6,000-byte body at 1,000 B/s (a slow but
# honest link, far above --min-rate) and print the status line received.
import socket, sys, time
port, token = int(sys.argv[1]), sys.argv[2].encode()
body = b"HUCB" + b"x" * 5996
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
          b"\r\nContent-Type: application/x-huce-batch\r\nContent-Length: %d\r\n\r\n" % len(body))
for i in range(0, len(body), 500):
    time.sleep(0.5)
    s.sendall(body[i:i + 500])
s.settimeout(10)
print(s.recv(4096).split(b"\r\n")[0].decode())
EOF

test_expect_success 'a slow but steady upload (1,000 B/s for 6 s) is not cut' '
	r=$(python3 "$TRASH/steady.py" "$c_PORT" "$T1") &&
	echo "answer: $r" &&
	case "$r" in "HTTP/1.1 4"*) ;; *) false ;; esac
'

test_expect_success 'eight dribblers from two addresses do not lock a third out' '
	python3 "$TRASH/dribble.py" "$c_PORT" header 20 127.0.0.2 4 >"$TRASH/d2" &
	p2=$!
	python3 "$TRASH/dribble.py" "$c_PORT" header 20 127.0.0.3 4 >"$TRASH/d3" &
	p3=$!
	sleep 2
	# Served within 10 s of the dribblers taking every slot: tries until
	# then (a full server refuses at once, so a try can be quick).
	ok=0
	end=$(( $(date +%s) + 10 ))
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		code=$(curl -s -m 2 -o /dev/null -w "%{http_code}" --interface 127.0.0.4 \
			"$c_URL/v1/health")
		echo "try $i: $code"
		[ "$code" = 200 ] && { ok=1; break; }
		sleep 0.5
	done
	wait $p2 $p3
	echo "dribblers closed after: $(cat "$TRASH/d2") / $(cat "$TRASH/d3")"
	test "$ok" = 1
'

cat >"$TRASH/queued.py" <<'EOF'
# queued.py PORT TOKEN BATCH: connect A (accepted, idle), then POST a big
# batch on B (the single worker merges it for seconds), then send a health
# request on A; print A's status line (or "closed").
import socket, sys, time, threading
port, token, batch = int(sys.argv[1]), sys.argv[2].encode(), open(sys.argv[3], "rb").read()
a = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)
def post():
    b = socket.create_connection(("127.0.0.1", port))
    b.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
              b"\r\nContent-Type: application/x-huce-batch\r\nContent-Length: %d\r\n\r\n" % len(batch) + batch)
    b.settimeout(60)
    print("batch:", b.recv(4096).split(b"\r\n")[0].decode(), flush=True)
t = threading.Thread(target=post); t.start()
time.sleep(0.7)
t0 = time.time()
a.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
a.settimeout(60)
try:
    r = a.recv(4096)
    print("health:", r.split(b"\r\n")[0].decode() if r else "closed", "after %.1f s" % (time.time() - t0), flush=True)
except OSError as e:
    print("health: closed", e)
t.join()
EOF

# A worker thread busy with a long merge reads none of its other
# connections meanwhile: their bytes wait in the kernel.  That delay is
# the server's, and must not count against the client.  One worker, a
# header deadline of 2 s and a merge of 10,000 households (several
# seconds): the health request sent on a connection the worker had
# already accepted must be answered, not cut.
python3 "$HUCE_SRCDIR/tests/tools/mkbatch.py" households --households 10000 \
	--device laptop-1 >"$TRASH/big.hucb" || exit 1
new_token "$TRASH/c2.db" laptop-1 >"$TRASH/tok2" || exit 1
start_central c2 "$TRASH/c2.db" --threads 1 --timeout 30 --header-timeout 2 || exit 1
test_expect_success 'a request queued behind a long merge is not cut' '
	python3 "$TRASH/queued.py" "$c2_PORT" "$(cat "$TRASH/tok2")" "$TRASH/big.hucb" >"$TRASH/q.out" &&
	cat "$TRASH/q.out" &&
	grep -q "^health: HTTP/1.1 200" "$TRASH/q.out" &&
	grep -q "^batch: HTTP/1.1 200" "$TRASH/q.out" &&
	! grep "slow connection" "$TRASH/c2.log"
'
stop_central c2

test_expect_success 'the central serves normally afterwards, and its log is clean' '
	health_ok "$c_URL" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	kill -0 "$c_PID" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log"
'

stop_central c
test_done
