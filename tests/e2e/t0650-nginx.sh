#!/bin/bash
# t0650-nginx.sh - the reverse-proxy set-up of docs/OPERATIONS.md
# section 2, run as written: the ```nginx block is taken from the doc,
# only its ports and certificate paths replaced, and nginx runs it in
# front of a real central (plain HTTP on loopback, --per-ip lifted as the
# doc says).  A laptop enrols through it with the town CA, pushes and
# pulls; a body over client_max_body_size is refused with 413 before the
# central sees it; a client dribbling its headers is cut off by
# client_header_timeout (the slowloris defence the central lacks by
# itself, t0612).  Skipped when nginx or openssl is not installed.

. "$(dirname "$0")/lib.sh"

if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
	echo "ok 1 # skip nginx or openssl is not installed"
	test_done
	exit 0
fi

C=$TRASH/c.db
N=$TRASH/ngx
K=$TRASH/pki
mkdir -p "$N" "$K"
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { "$HUCE" --db "$TRASH/d1.db" "$@"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
start_central c "$C" --max-connections 256 --per-ip 256 || exit 1
NGX_PORT=$(free_port)
URL="https://localhost:$NGX_PORT"

test_expect_success 'a town CA and a certificate for the proxy' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=huce test town CA" \
		-keyout "$K/ca.key" -out "$K/ca.pem" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=proxy" -keyout "$K/p.key" \
		-out "$K/p.csr" 2>/dev/null &&
	printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" >"$K/p.ext" &&
	openssl x509 -req -in "$K/p.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
		-CAcreateserial -days 2 -extfile "$K/p.ext" -out "$K/p.pem" 2>/dev/null
'

test_expect_success 'the nginx block of docs/OPERATIONS.md, with test ports, passes nginx -t' '
	sed -n "/^\`\`\`nginx$/,/^\`\`\`$/p" "$HUCE_SRCDIR/docs/OPERATIONS.md" | sed "1d;\$d" |
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$NGX_PORT ssl;|" \
	    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$c_PORT;|" \
	    -e "s|/etc/huce/central.pem|$K/p.pem|" \
	    -e "s|/etc/huce/central.key|$K/p.key|" >"$N/site.conf" &&
	grep -q "127.0.0.1:$NGX_PORT" "$N/site.conf" &&
	grep -q "127.0.0.1:$c_PORT" "$N/site.conf" &&
	grep -q "client_header_timeout 10s" "$N/site.conf" &&
	cat >"$N/nginx.conf" <<-EOF &&
	# Test wrapper; the server block is docs/OPERATIONS.md verbatim.
	user root;
	worker_processes 1;
	pid $N/nginx.pid;
	error_log $N/error.log;
	events { worker_connections 256; }
	http {
	    access_log $N/access.log;
	    client_body_temp_path $N/body;
	    proxy_temp_path $N/proxy;
	    fastcgi_temp_path $N/fastcgi;
	    uwsgi_temp_path $N/uwsgi;
	    scgi_temp_path $N/scgi;
	    include $N/site.conf;
	}
	EOF
	nginx -p "$N" -c "$N/nginx.conf" -e "$N/error.log" -t
'

nginx -p "$N" -c "$N/nginx.conf" -e "$N/error.log" -g "daemon off;" 2>>"$N/error.log" &
CENTRAL_PIDS="$CENTRAL_PIDS $!"
for _ in $(seq 1 100); do
	curl -s -o /dev/null --cacert "$K/ca.pem" "$URL/v1/health" && break
	sleep 0.05
done

test_expect_success 'a laptop enrols, pushes and pulls through nginx' '
	new_device d1 &&
	h enroll "$URL" "$(cat "$TRASH/tok1")" --ca "$K/ca.pem" >/dev/null &&
	h village add 阿猛村 >/dev/null &&
	h group add --village 阿猛村 第一组 >/dev/null &&
	for i in 1 2 3; do
		h household add --village 阿猛村 --group 第一组 --head "户主$i" \
			--approach new-build --build self --type three-grid >/dev/null || return 1
	done &&
	h sync >/dev/null &&
	test "$(h status --json | jq .pending)" = 0 &&
	test "$(adm household list --json | jq length)" = 3 &&
	grep -q "POST /v1/batches status=200 device=d1" "$TRASH/c.log" &&
	grep -q "POST /v1/batches HTTP/1.1\" 200" "$N/access.log"
'

test_expect_success 'nginx answers 404 outside /v1/ and refuses a body over 17m' '
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$K/ca.pem" "$URL/")" = 404 &&
	head -c 18000000 /dev/zero >"$TRASH/big" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$K/ca.pem" -X POST \
		--data-binary "@$TRASH/big" -H "Content-Type: application/x-huce-batch" \
		-H "Authorization: Bearer $(cat "$TRASH/tok1")" "$URL/v1/batches")" = 413
'

test_expect_success 'a client dribbling its headers is cut off by client_header_timeout' '
	python3 -c "
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection((\"127.0.0.1\", int(sys.argv[1]))), server_hostname=\"localhost\")
s.sendall(b\"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: \")
t0 = time.time()
s.settimeout(1.0)
while time.time() - t0 < 25:
    try:
        d = s.recv(4096)
        print(\"closed after %.0f s: %r\" % (time.time() - t0, d[:40]))
        sys.exit(0 if time.time() - t0 < 15 else 1)
    except socket.timeout:
        s.sendall(b\"a\")
    except (ssl.SSLError, OSError) as e:
        print(\"closed after %.0f s: %r\" % (time.time() - t0, e))
        sys.exit(0 if time.time() - t0 < 15 else 1)
print(\"still open after 25 s\")
sys.exit(1)
" "$NGX_PORT" "$K/ca.pem"
'

test_expect_success 'the central is clean' '
	kill -0 "$c_PID" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log"
'

stop_central c
test_done
