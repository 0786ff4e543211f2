#!/bin/bash
# t0620-tls-verify.sh - the laptop checks whom it talks to (issue 4,
# item 6; DESIGN.md section 7).  t0330 covers the central's side of
# HTTPS; this is the agent's.  A throwaway CA (the town's own) and
# certificates are made with openssl at test time:
#   good    signed by the CA, for IP:127.0.0.1 and DNS:localhost
#   good2   the same names, the same CA, another key (a mis-issued twin)
#   other   signed by the CA, for DNS:other.example only (wrong host)
#   exp     signed by the CA, for 127.0.0.1, expired in 2020
#   self    self-signed for 127.0.0.1, not from the CA
# One central serves each.  `huce enroll` must refuse every wrong one
# with exit 1, store nothing, and say why; accept the good one with
# `--ca FILE` (kept, so later syncs need no option) and with a pinned
# public key (`--pin sha256//BASE64`), which must hold for later syncs
# too and, on its own, is enough to trust a self-signed central
# (DESIGN.md: "system CAs, or --ca FILE ..., or a pinned public key").

. "$(dirname "$0")/lib.sh"

if ! command -v openssl >/dev/null; then
	echo "ok 1 # skip openssl is not installed"
	test_done
	exit 0
fi

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { "$HUCE" --db "$TRASH/d1.db" "$@"; }
K=$TRASH/pki

# mkcert NAME SAN: a key and a certificate signed by the test CA.
mkcert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$K/$1.key" \
		-out "$K/$1.csr" 2>/dev/null &&
	printf "subjectAltName=%s\n" "$2" >"$K/$1.ext" &&
	openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
		-CAcreateserial -days 2 -extfile "$K/$1.ext" -out "$K/$1.pem" 2>/dev/null
}
# pin NAME: the sha256//BASE64 pin of a certificate's public key.
pin() {
	echo "sha256//$(openssl x509 -in "$K/$1.pem" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
}

test_expect_success 'make a CA and five server certificates' '
	mkdir -p "$K/db" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=huce test town CA" \
		-keyout "$K/ca.key" -out "$K/ca.pem" 2>/dev/null &&
	mkcert good "IP:127.0.0.1,DNS:localhost" &&
	mkcert good2 "IP:127.0.0.1,DNS:localhost" &&
	mkcert other "DNS:other.example" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$K/self.key" -out "$K/self.pem" 2>/dev/null &&
	: >"$K/db/index.txt" && echo 01 >"$K/db/serial" &&
	printf "%s\n" "[ca]" "default_ca = d" "[d]" "database = $K/db/index.txt" \
		"serial = $K/db/serial" "new_certs_dir = $K/db" "default_md = sha256" \
		"policy = p" "copy_extensions = copy" "[p]" "commonName = supplied" >"$K/ca.cnf" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$K/exp.key" -out "$K/exp.csr" 2>/dev/null &&
	openssl ca -batch -config "$K/ca.cnf" -cert "$K/ca.pem" -keyfile "$K/ca.key" \
		-in "$K/exp.csr" -out "$K/exp.pem" \
		-startdate 20200101000000Z -enddate 20200102000000Z >/dev/null 2>&1 &&
	openssl verify -CAfile "$K/ca.pem" "$K/good.pem" &&
	! openssl verify -CAfile "$K/ca.pem" "$K/exp.pem" &&
	test "$(pin good)" != "$(pin good2)"
'

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1"
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }
TOK=$(cat "$TRASH/tok1")
for n in good good2 other exp self; do
	start_central "$n" "$C" --tls-cert "$K/$n.pem" --tls-key "$K/$n.key" || exit 1
done
new_device d1

# refused URL [ENROLL-ARGS...]: enroll fails with exit 1 and keeps nothing.
refused() {
	url=$1
	shift
	expect_exit 1 h enroll "$url" "$TOK" "$@" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep -qi "certificate\|ssl\|tls\|pinned" "$TRASH/err" &&
	test "$(h status --json | jq -r .central)" = null
}

test_expect_success 'the town CA is not trusted without --ca' '
	refused "https://127.0.0.1:$good_PORT"
'

test_expect_success 'a self-signed certificate not from the CA is refused' '
	refused "https://127.0.0.1:$self_PORT" --ca "$K/ca.pem"
'

test_expect_success 'a certificate for another host name is refused' '
	refused "https://127.0.0.1:$other_PORT" --ca "$K/ca.pem"
'

test_expect_success 'an expired certificate is refused' '
	refused "https://127.0.0.1:$exp_PORT" --ca "$K/ca.pem"
'

test_expect_success 'and the message says which of these it was' '
	h enroll "https://127.0.0.1:$exp_PORT" "$TOK" --ca "$K/ca.pem" 2>"$TRASH/e.exp";
	h enroll "https://127.0.0.1:$other_PORT" "$TOK" --ca "$K/ca.pem" 2>"$TRASH/e.other";
	h enroll "https://127.0.0.1:$self_PORT" "$TOK" --ca "$K/ca.pem" 2>"$TRASH/e.self";
	cat "$TRASH"/e.* &&
	grep -qi "expired" "$TRASH/e.exp" &&
	grep -qi "name\|host" "$TRASH/e.other" &&
	grep -qi "self.signed\|issuer\|unknown ca\|untrusted" "$TRASH/e.self"
'

test_expect_success '--ca FILE: accepted by address and by name, and kept' '
	h enroll "https://localhost:$good_PORT" "$TOK" --ca "$K/ca.pem" &&
	h enroll "https://127.0.0.1:$good_PORT" "$TOK" --ca "$K/ca.pem" &&
	test "$(h status --json | jq -r .central)" = "https://127.0.0.1:$good_PORT" &&
	test "$(sqlite3 "$TRASH/d1.db" "SELECT value FROM meta WHERE key = '"'"'ca_file'"'"'")" = "$(realpath "$K/ca.pem")"
'

test_expect_success 'later syncs use the kept CA without being told' '
	h village add 阿猛村 >/dev/null &&
	h sync &&
	test "$(h status --json | jq .pending)" = 0 &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM record WHERE kind = '"'"'village'"'"'")" = 1
'

test_expect_success '--pin: the right key is accepted, another refused with a message' '
	h enroll "https://127.0.0.1:$good_PORT" "$TOK" --ca "$K/ca.pem" --pin "$(pin good)" &&
	expect_exit 1 h enroll "https://127.0.0.1:$good2_PORT" "$TOK" --ca "$K/ca.pem" \
		--pin "$(pin good)" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep -qi "pinned" "$TRASH/err"
'

test_expect_success 'the pin holds for later syncs: a twin key under the same CA is refused' '
	h enroll "https://127.0.0.1:$good_PORT" "$TOK" --ca "$K/ca.pem" --pin "$(pin good)" &&
	h village add 村二 >/dev/null &&
	sqlite3 "$TRASH/d1.db" "UPDATE meta SET value = '"'"'https://127.0.0.1:$good2_PORT'"'"' WHERE key = '"'"'central_url'"'"'" &&
	expect_exit 1 h sync 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	test "$(h status --json | jq .pending)" = 1
'

test_expect_success 'a pinned key alone is enough to trust a self-signed central' '
	new_device d9 &&
	tok9=$(adm device add d9 | tail -n 1) &&
	"$HUCE" --db "$TRASH/d9.db" enroll "https://127.0.0.1:$self_PORT" "$tok9" --pin "$(pin self)" &&
	"$HUCE" --db "$TRASH/d9.db" village add 村九 >/dev/null &&
	"$HUCE" --db "$TRASH/d9.db" sync
'

test_expect_success 'the centrals are unharmed' '
	for n in good good2 other exp self; do
		! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/$n.log" || return 1
	done
'

test_done
