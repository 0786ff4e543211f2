#!/bin/bash
# t0820-ui-security.sh - who may talk to `huce ui` (docs/UI.md,
# "Security"): it listens on 127.0.0.1 only, answers 403 to a request
# without the session secret or its cookie, refuses a Host other than
# 127.0.0.1:PORT / localhost:PORT (DNS rebinding), and refuses a change
# without the CSRF token or from another Origin.  The URL with the
# secret is the last line of stdout.

. "$(dirname "$0")/lib.sh"

UI_PID=
stop_ui() {
	[ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null && wait "$UI_PID" 2>/dev/null
	UI_PID=
}
trap 'stop_ui; cleanup' EXIT

new_device lap1
"$HUCE" --db "$TRASH/lap1.db" ui --no-browser >"$TRASH/ui.out" 2>"$TRASH/ui.err" &
UI_PID=$!
for _ in $(seq 1 100); do
	grep -q '^http://127.0.0.1:' "$TRASH/ui.out" 2>/dev/null && break
	sleep 0.1
done
URL=$(tail -n 1 "$TRASH/ui.out")
PORT=$(echo "$URL" | sed -n 's#^http://127\.0\.0\.1:\([0-9]*\)/?s=[0-9a-f]\{64\}$#\1#p')
BASE=http://127.0.0.1:$PORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

test_expect_success 'the URL with a 256-bit secret is the last line of stdout' '
	test -n "$PORT" &&
	kill -0 $UI_PID
'

test_expect_success 'it listens on 127.0.0.1 only' '
	ss -Hltn "sport = :$PORT" >listen &&
	test "$(wc -l <listen)" = 1 &&
	grep -q " 127\.0\.0\.1:$PORT " listen &&
	test "$(code --max-time 3 http://127.0.0.2:$PORT/)" = 000
'

test_expect_success 'no secret, a wrong secret: 403 for pages, files and the API' '
	test "$(code $BASE/)" = 403 &&
	test "$(code $BASE/app.js)" = 403 &&
	test "$(code $BASE/api/households)" = 403 &&
	test "$(code "$BASE/?s=0000")" = 403 &&
	test "$(code "$BASE/?s=$(echo "$URL" | sed "s/.*s=//" | tr 0-9a-f 1-9a-f0)")" = 403 &&
	curl -s $BASE/api/session | jq -e ".error == \"forbidden\" and (.message | length > 0)" >/dev/null
'

test_expect_success 'the secret is exchanged for an HttpOnly, SameSite=Strict cookie' '
	curl -s -D hdr -o /dev/null -c jar "$URL" &&
	grep -q "^HTTP/1.1 303" hdr &&
	grep -qi "^Location: /\s*$" hdr &&
	grep -i "^Set-Cookie: huce_$PORT=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict" hdr &&
	test "$(code -b jar $BASE/)" = 200 &&
	curl -s -b jar $BASE/ | grep -q "<html lang=\"zh-CN\">" &&
	curl -s -b jar -H "Accept-Language: en-GB,en;q=0.9,zh-CN;q=0.8" $BASE/ | grep -q "<html lang=\"en\">" &&
	curl -s -b jar -H "Accept-Language: zh-CN,zh;q=0.9,en;q=0.8" $BASE/ | grep -q "<html lang=\"zh-CN\">" &&
	curl -s -b jar $BASE/api/session | jq -e ".csrf | test(\"^[0-9a-f]{64}$\")" >/dev/null
'

test_expect_success 'a Host other than 127.0.0.1:PORT or localhost:PORT is refused (DNS rebinding)' '
	test "$(code -b jar -H "Host: evil.example:$PORT" $BASE/api/session)" = 403 &&
	test "$(code -b jar -H "Host: 127.0.0.1" $BASE/api/session)" = 403 &&
	test "$(code -b jar -H "Host: 127.0.0.1:1" $BASE/api/session)" = 403 &&
	test "$(code -H "Host: evil.example:$PORT" "$URL")" = 403 &&
	curl -s -b jar -H "Host: evil.example:$PORT" $BASE/api/session | jq -e ".error == \"bad_host\"" >/dev/null &&
	cookie=$(awk "/huce_$PORT/ { print \$6 \"=\" \$7 }" jar) &&
	test "$(code -H "Cookie: $cookie" -H "Host: localhost:$PORT" $BASE/api/session)" = 200 &&
	test "$(code -H "Cookie: $cookie" -H "Host: evil.example:$PORT" $BASE/api/session)" = 403
'

test_expect_success 'a change needs the CSRF token and this Origin' '
	csrf=$(curl -s -b jar $BASE/api/session | jq -r .csrf) &&
	test "$(code -b jar -X POST $BASE/api/sync)" = 403 &&
	curl -s -b jar -X POST $BASE/api/sync | jq -e ".error == \"csrf\"" >/dev/null &&
	test "$(code -b jar -X POST -H "X-CSRF-Token: 00$csrf" $BASE/api/sync)" = 403 &&
	test "$(code -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" $BASE/api/sync)" = 403 &&
	test "$(code -X POST -H "X-CSRF-Token: $csrf" $BASE/api/sync)" = 403 &&
	curl -s -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Origin: $BASE" $BASE/api/sync >body &&
	jq -e ".error == \"not_enrolled\" and .field == null" body >/dev/null
'

test_expect_success 'the changes of the quarantine and the voiding are refused the same way' '
	csrf=$(curl -s -b jar $BASE/api/session | jq -r .csrf) &&
	for p in quarantine/1/drop quarantine/1/retry inspections/ffffff/void; do
		test "$(code -X POST -H "X-CSRF-Token: $csrf" $BASE/api/$p)" = 403 &&
		test "$(code -b jar -X POST -H "Content-Type: application/json" --data "{}" $BASE/api/$p)" = 403 &&
		curl -s -b jar -X POST --data "{}" $BASE/api/$p | jq -e ".error == \"csrf\"" >/dev/null &&
		test "$(code -b jar -X POST -H "X-CSRF-Token: ${csrf}0" --data "{}" $BASE/api/$p)" = 403 &&
		test "$(code -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" --data "{}" $BASE/api/$p)" = 403 &&
		test "$(code -b jar $BASE/api/$p)" = 404 || return 1
	done &&
	post() { curl -s -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Content-Type: application/json" --data "$2" "$BASE/api/$1"; } &&
	post quarantine/1/drop "{}" | jq -e ".error == \"not_found\" and (.message | test(\"no quarantined change with seq 1\"))" >/dev/null &&
	post quarantine/x/retry "{}" | jq -e ".error == \"invalid\" and .field == \"seq\"" >/dev/null &&
	post inspections/ffffff/void "{\"reason\": \"x\"}" | jq -e ".error == \"not_found\" and (.message | test(\"ffffff\"))" >/dev/null
'

test_expect_success 'errors are JSON {error, message, field} with a 4xx' '
	test "$(code -b jar "$BASE/api/households?status=done")" = 400 &&
	curl -s -b jar "$BASE/api/households?status=done" | jq -e ".error == \"invalid\" and .field == \"status\"" >/dev/null &&
	test "$(code -b jar $BASE/api/households/ffffff)" = 404 &&
	test "$(code -b jar $BASE/api/nothing)" = 404 &&
	csrf=$(curl -s -b jar $BASE/api/session | jq -r .csrf) &&
	test "$(code -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Content-Type: application/json" --data "[1" $BASE/api/households)" = 400 &&
	test "$(code -b jar -X POST -H "X-CSRF-Token: $csrf" -H "Content-Type: text/plain" --data "{}" $BASE/api/households)" = 415 &&
	test "$(code -b jar -X DELETE $BASE/api/households)" = 405
'

test_expect_success 'every answer forbids framing and sniffing and keeps scripts to this origin' '
	curl -s -D hdr -o /dev/null -b jar $BASE/ &&
	grep -qi "^Content-Security-Policy: .*script-src .self.;.*frame-ancestors .none." hdr &&
	grep -qi "^X-Content-Type-Options: nosniff" hdr &&
	grep -qi "^X-Frame-Options: DENY" hdr
'

test_expect_success 'huce itself does not link libmicrohttpd (huce-ui.so does)' '
	ldd "$HUCE" >ldd.huce &&
	! grep -E "libmicrohttpd|libgnutls" ldd.huce &&
	ldd "$(dirname "$HUCE")/huce-ui.so" | grep -q libmicrohttpd
'

test_expect_success 'usage errors exit 2' '
	expect_exit 2 "$HUCE" --db "$TRASH/lap1.db" ui extra 2>err &&
	grep -q "unexpected argument" err &&
	expect_exit 2 "$HUCE" --db "$TRASH/lap1.db" ui --port x 2>err &&
	expect_exit 2 "$HUCE" --db "$TRASH/lap1.db" ui --port 70000 2>err
'

kill "$UI_PID"
wait "$UI_PID"
UI_RC=$?
UI_PID=
test_expect_success 'SIGTERM stops it cleanly' '
	test "$UI_RC" = 0 &&
	grep -q "stopping" "$TRASH/ui.err"
'

test_done
