#!/bin/bash
# t0614-answer-before-close.sh - the central answers before it closes, and
# reads its query parameters as strictly as its bodies (issue 9, item 12).
#
# A request refused on its headers (413 too large, 415 wrong encoding,
# 401 bad token) is answered before its body is read.  A client that
# does not wait for `100 Continue` is still sending that body; if the
# central then closes a socket with unread bytes, the kernel resets the
# connection and the client gets a broken pipe instead of the answer.
# The central lingers instead (syncd/central/conn_guard.h): it ends its side,
# reads and discards what still comes, bounded in bytes and in time, and
# only then closes.  tests/tools/rawhttp.py post is such a client: it
# sends the whole body at once and only then reads.  Each body here is
# 8 MB, far more than the kernel's socket buffers hold, so without the
# lingering close the send fails.
#
# Then the bounds: a body past the byte bound, and one trickled past the
# time bound, are cut (the answer is still there to read), and the
# central serves on.  Last, GET /v1/changes takes only after, limit and
# own, each at most once and well formed: anything else is a 400 JSON,
# never page 0.

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"
MB8=8000000

new_token "$S" laptop-1 >"$TRASH/tok1" || exit 1
T1=$(cat "$TRASH/tok1")
start_central c "$S" --rate 0 --max-body 65536 || exit 1

# post OUT PATH BYTES [RAWHTTP-ARGS...]: rawhttp.py post to the central.
post() {
	_out=$1 _path=$2 _n=$3
	shift 3
	$RAWHTTP post 127.0.0.1 "$c_PORT" "$_path" --bytes "$_n" --token "$T1" "$@" >"$_out"
	cat "$_out"
}

# clean OUT STATUS BYTES: the whole body went out, then the answer came.
clean() {
	test "$(jq -r .status "$1")" = "$2" &&
	test "$(jq -r .send_error "$1")" = null &&
	test "$(jq -r .sent "$1")" = "$3"
}

test_expect_success 'too large (413): the client sends all 8 MB and reads the answer' '
	post "$B" /v1/batches $MB8 --header "Authorization: Bearer @TOKEN@" \
		--header "$BATCH_CT" &&
	clean "$B" 413 $MB8
'

test_expect_success 'wrong Content-Encoding (415): answered, not reset' '
	post "$B" /v1/batches $MB8 --header "Authorization: Bearer @TOKEN@" \
		--header "$BATCH_CT" --header "Content-Encoding: gzip" &&
	clean "$B" 415 $MB8 &&
	post "$B" /v1/batches $MB8 --header "Authorization: Bearer @TOKEN@" \
		--header "Content-Type: application/json" &&
	clean "$B" 415 $MB8
'

test_expect_success 'bad or missing token (401): answered, not reset' '
	post "$B" /v1/batches $MB8 --header "Authorization: Bearer $(printf "%064d" 0)" \
		--header "$BATCH_CT" &&
	clean "$B" 401 $MB8 &&
	post "$B" /v1/batches $MB8 --header "$BATCH_CT" &&
	clean "$B" 401 $MB8
'

test_expect_success 'a photo chunk over 4 MiB (413): answered, not reset' '
	post "$B" /v1/blobs/$(printf "%064d" 0) $MB8 --method PATCH \
		--header "Authorization: Bearer @TOKEN@" \
		--header "Upload-Offset: 0" --header "Upload-Length: $MB8" \
		--header "Content-Type: application/offset+octet-stream" &&
	clean "$B" 413 $MB8
'

test_expect_success 'a stock HTTP client (Python http.client) gets the 415, not a broken pipe' '
	python3 - "$c_PORT" "$T1" >out <<-EOF &&
	import http.client, sys
	c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
	c.request("POST", "/v1/batches", body=b"x" * $MB8,
	          headers={"Authorization": "Bearer " + sys.argv[2],
	                   "Content-Type": "application/x-huce-batch",
	                   "Content-Encoding": "gzip"})
	r = c.getresponse()
	print(r.status, r.read().decode())
	EOF
	grep -q "^415 .*\"error\":\"encoding\"" out
'

test_expect_success 'past the byte bound the central hangs up, after its answer' '
	post "$B" /v1/batches 200000000 --header "Authorization: Bearer @TOKEN@" \
		--header "$BATCH_CT" --header "Content-Encoding: gzip" &&
	test "$(jq -r .status "$B")" = 415 &&
	test "$(jq -r .send_error "$B")" != null &&
	test "$(jq -r .sent "$B")" -lt 100000000 &&
	health_ok "$c_URL"
'

test_expect_success 'a body trickled to a refused request is cut at the time bound' '
	post "$B" /v1/batches 10000000 --rate 100000 --header "$BATCH_CT" &&
	test "$(jq -r .status "$B")" = 401 &&
	test "$(jq -r .send_error "$B")" != null &&
	python3 -c "import json,sys; s = json.load(open(sys.argv[1]))[\"secs\"]; sys.exit(not 4 <= s <= 15)" "$B" &&
	health_ok "$c_URL"
'

# bad_query QUERY: GET /v1/changes?QUERY is a 400 {"error":"malformed"}.
bad_query() {
	expect_status 400 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?$1" &&
	expect_error "$B" malformed || { echo "query: $1" >&2; return 1; }
}

test_expect_success 'the cursor must be one well-formed number' '
	bad_query "after=abc" &&
	bad_query "after=-1" &&
	bad_query "after=%2D1" &&
	bad_query "after=99999999999999999999999" &&
	bad_query "after=9223372036854775808" &&
	bad_query "after=" &&
	bad_query "after" &&
	bad_query "after=1&after=2" &&
	bad_query "after=1&after=1" &&
	bad_query "after=+1" &&
	bad_query "after=1.0" &&
	bad_query "after=0x10"
'

test_expect_success 'limit and own the same; an unknown parameter is refused, not ignored' '
	bad_query "after=0&limit=0" &&
	bad_query "after=0&limit=abc" &&
	bad_query "after=0&limit=" &&
	bad_query "after=0&limit=10&limit=20" &&
	bad_query "after=0&own=yes" &&
	bad_query "after=0&own" &&
	bad_query "after=0&own=stub&own=stub" &&
	bad_query "since=abc" &&
	bad_query "since=5" &&
	bad_query "after=0&since=5" &&
	jget "$B" "d[\"message\"]" | grep -q "since"
'

test_expect_success 'well-formed queries still page' '
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?after=0&limit=10&own=stub" &&
	expect_status 200 "$B" -H "Authorization: Bearer $T1" "$c_URL/v1/changes?limit=5000000" &&
	test "$(jget "$B" "d[\"next\"]")" = 0
'

test_expect_success 'the central logs its lingering closes when it stops' '
	kill "$c_PID" &&
	while kill -0 "$c_PID" 2>/dev/null; do sleep 0.1; done &&
	grep "lingering closes" "$TRASH/c.log" | grep -v " 0 lingering"
'

test_done
