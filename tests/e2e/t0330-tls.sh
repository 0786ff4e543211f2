#!/bin/bash
# t0330-tls.sh - the central serves HTTPS with --tls-cert/--tls-key
# (DESIGN.md section 7), and refuses bad TLS setups clearly.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"

if ! command -v openssl >/dev/null; then
	echo "ok 1 # skip openssl is not installed"
	test_done
	exit 0
fi

test_expect_success 'make a self-signed certificate and a device' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$TRASH/key.pem" -out "$TRASH/cert.pem" 2>/dev/null &&
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	test -s "$TRASH/tok1"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
start_central c "$S" --tls-cert "$TRASH/cert.pem" --tls-key "$TRASH/key.pem" || exit 1
URL="https://127.0.0.1:$c_PORT"

test_expect_success 'health and enroll over HTTPS' '
	expect_status 200 "$B" --cacert "$TRASH/cert.pem" "$URL/v1/health" &&
	test "$(jget "$B" "d[\"status\"]")" = ok &&
	expect_status 200 "$B" --cacert "$TRASH/cert.pem" \
		-H "Authorization: Bearer $T1" -H "X-Huce-Install: lap-1" "$URL/v1/enroll" &&
	test "$(jget "$B" "d[\"device\"]")" = laptop-1
'

test_expect_success 'push and pull over HTTPS' '
	$MKBATCH households --households 2 --device laptop-1 --seed tls >"$TRASH/hh.hucb" &&
	post_batch 200 "$B" "$URL" "$T1" "$TRASH/hh.hucb" --cacert "$TRASH/cert.pem" &&
	test "$(jget "$B" "d[\"applied\"]")" = 4 &&
	expect_status 200 "$B" --cacert "$TRASH/cert.pem" --compressed \
		-H "Authorization: Bearer $T1" "$URL/v1/changes?after=0" &&
	test "$(jget "$B" "len(d[\"changes\"])")" = 4
'

test_expect_success 'an untrusted certificate is refused by the client' '
	test "$(hreq "$B" "$URL/v1/health")" = 000
'

test_expect_success 'plain HTTP to the TLS port gets no answer, and the server lives' '
	test "$(hreq "$B" "http://127.0.0.1:$c_PORT/v1/health")" != 200 &&
	printf "\026\003\001\000\377garbage" >"$TRASH/junk" &&
	$RAWHTTP send 127.0.0.1 "$c_PORT" "$TRASH/junk" --timeout 5 >/dev/null &&
	expect_status 200 "$B" --cacert "$TRASH/cert.pem" "$URL/v1/health"
'

test_expect_success 'bad TLS options are refused' '
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--tls-cert "$TRASH/cert.pem" &&
	expect_exit 2 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--tls-key "$TRASH/key.pem" &&
	expect_exit 1 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--tls-cert "$TRASH/missing.pem" --tls-key "$TRASH/key.pem" 2>"$TRASH/err" &&
	grep -q "missing.pem" "$TRASH/err" &&
	: >"$TRASH/empty.pem" &&
	expect_exit 1 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--tls-cert "$TRASH/empty.pem" --tls-key "$TRASH/key.pem" &&
	echo "not a certificate" >"$TRASH/junk.pem" &&
	expect_exit 1 "$HUCE_SYNCD" central --store "$S" --listen 127.0.0.1:0 \
		--tls-cert "$TRASH/junk.pem" --tls-key "$TRASH/key.pem" 2>"$TRASH/err" &&
	grep -qi "tls\|certificate" "$TRASH/err"
'

test_done
