# httplib.sh - helpers for the central's HTTP tests (tests/e2e/t03xx-*.sh).
#
# Sourced after lib.sh.  Requests go through curl; requests curl will not
# send (broken framing, lying headers) go through rawhttp.py; batches,
# good and hostile, come from mkbatch.py and the corpus in
# tests/e2e/hostile/.  Nothing here prints a token.

MKBATCH="python3 $HUCE_SRCDIR/tests/tools/mkbatch.py"
RAWHTTP="python3 $HUCE_SRCDIR/tests/tools/rawhttp.py"
HOSTILE="$HUCE_SRCDIR/tests/e2e/hostile"
BATCH_CT="Content-Type: application/x-huce-batch"

# new_token STORE NAME: enrol device NAME in STORE, print its token.
new_token() {
	"$HUCE_SYNCD" admin --store "$1" device add "$2" | tail -n 1
}

# hreq OUT CURL-ARGS...: run curl, body to OUT, headers to OUT.h, print
# the status ("000" when there was no answer).
hreq() {
	_out=$1
	shift
	curl -sS --max-time 30 -o "$_out" -D "$_out.h" -w '%{http_code}' "$@" ||
		true
}

# expect_status WANT OUT CURL-ARGS...
expect_status() {
	_want=$1
	shift
	_got=$(hreq "$@")
	if [ "$_got" != "$_want" ]; then
		echo "expected HTTP $_want, got $_got: curl ${*:2}" >&2
		cat "$1" >&2 2>/dev/null
		echo >&2
		return 1
	fi
}

# post_batch WANT OUT URL TOKEN FILE [CURL-ARGS...]: push FILE as a batch.
post_batch() {
	_want=$1 _o=$2 _url=$3 _tok=$4 _file=$5
	shift 5
	expect_status "$_want" "$_o" -X POST --data-binary "@$_file" \
		-H "$BATCH_CT" -H "Authorization: Bearer $_tok" "$@" \
		"$_url/v1/batches"
}

# jget FILE PYEXPR: evaluate a Python expression over the JSON in FILE
# (bound to d); strings print bare, everything else as JSON.
jget() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1], "rb"))
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))
' "$1" "$2"
}

# expect_error FILE CODE: FILE is {"error": CODE, "message": ...}.
expect_error() {
	_e=$(jget "$1" 'd["error"]')
	_m=$(jget "$1" 'd["message"]')
	if [ "$_e" != "$2" ] || [ -z "$_m" ]; then
		echo "expected error '$2' with a message, got:" >&2
		cat "$1" >&2
		return 1
	fi
}

# header FILE.h NAME: the value of a response header (case-insensitive).
header() {
	tr -d '\r' <"$1" | sed -n "s/^$2: *//Ip" | tail -n 1
}

# health_ok URL: the central still answers.
health_ok() {
	expect_status 200 "$TRASH/health.json" "$1/v1/health"
}

# households STORE: the central's household list, canonical JSON.
households() {
	"$HUCE_SYNCD" admin --store "$1" household list --json >"$TRASH/hh.raw"
	python3 -c '
import json, sys
print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True, indent=1))
' "$TRASH/hh.raw"
}

# all_changes URL TOKEN [LIMIT]: page through /v1/changes from 0, print
# one "version id" line per change.
all_changes() {
	_after=0
	: >"$TRASH/changes.all"
	for _ in $(seq 1 1000); do
		expect_status 200 "$TRASH/page.json" \
			-H "Authorization: Bearer $2" "$1/v1/changes?after=$_after&limit=${3:-1000}" || return 1
		jget "$TRASH/page.json" \
			'"\n".join("%d %s" % (c["version"], c["id"]) for c in d["changes"])' |
			sed '/^$/d' >>"$TRASH/changes.all"
		_after=$(jget "$TRASH/page.json" 'd["next"]')
		[ "$(jget "$TRASH/page.json" 'd["more"]')" = true ] || break
	done
	cat "$TRASH/changes.all"
}
