# lib.sh - helpers for end-to-end tests (sourced by tNNNN-*.sh).
#
# In the manner of git's test-lib: each test_expect_success runs its
# commands in a subshell with `set -e`; a failing command fails the test.
# Tests run the real binaries ($HUCE, $HUCE_SYNCD) on a fresh temp dir,
# and any central they start listens on 127.0.0.1 on a port the kernel
# picks (--listen 127.0.0.1:0 --port-file F).

set -u
: "${HUCE:?HUCE must point to the huce binary}"
: "${HUCE_SYNCD:?HUCE_SYNCD must point to the huce-syncd binary}"
: "${HUCE_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/huce-$TEST_NAME.XXXXXX")
test_count=0
test_failed=0
CENTRAL_PIDS=""

cleanup() {
	# Centrals started inside a test body (a subshell) are only in the
	# file: stop those too, and wait until they are gone.
	for p in $CENTRAL_PIDS $(cat "$TRASH/.central_pids" 2>/dev/null); do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
	if [ "$test_failed" = 0 ] && [ -z "${HUCE_KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# kept $TRASH"
	fi
}
trap cleanup EXIT
cd "$TRASH" || exit 1
export HUCE_DB="$TRASH/default.db"
unset HUCE_CHECKLISTS
# The tests read huce's English messages: whatever the language of the
# machine, they run in English (t0830-i18n sets Chinese where it wants it).
unset LANGUAGE LC_ALL LC_MESSAGES HUCE_LOCALEDIR
case "${LANG:-C}" in
C | C.* | POSIX | en_*) ;;
*) export LANG=C.UTF-8 ;;
esac

say() { echo "# $*"; }

test_expect_success() {
	test_count=$((test_count + 1))
	if (set -e; eval "$2") >"$TRASH/out.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/out.$test_count" | tail -40
	fi
}

test_done() {
	echo "# $TEST_NAME: $((test_count - test_failed)) passed, $test_failed failed"
	[ "$test_failed" = 0 ]
}

# expect_exit CODE CMD...: run CMD, succeed iff it exits with CODE.
expect_exit() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*" >&2
		return 1
	fi
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2"
}

# The last line of a command's stdout (created ids).
last_line() {
	"$@" | tail -n 1
}

# dump_db FILE: a canonical dump of a database to compare before/after.
dump_db() {
	sqlite3 "$1" .dump
}

# start_proxy NAME [faultproxy options]: tests/tools/faultproxy in front of
# the central started as "c" ($c_PORT), logging each connection to
# $TRASH/NAME.plog; sets NAME_URL.  Usually started inside a test body (a
# subshell), so its pid goes to $TRASH/proxies for the script's end to stop.
start_proxy() {
	name=$1
	shift
	rm -f "$TRASH/$name.pport"
	"${FAULTPROXY:-$HUCE_BUILDDIR/tests/tools/faultproxy}" \
		--listen 127.0.0.1:0 --port-file "$TRASH/$name.pport" \
		--target "127.0.0.1:$c_PORT" --log "$TRASH/$name.plog" \
		--max-seconds 240 "$@" 2>"$TRASH/$name.perr" &
	echo $! >>"$TRASH/proxies"
	for _ in $(seq 1 100); do
		[ -s "$TRASH/$name.pport" ] && break
		sleep 0.05
	done
	[ -s "$TRASH/$name.pport" ] || { echo "proxy $name did not start" >&2; return 1; }
	eval "${name}_URL=http://127.0.0.1:$(cat "$TRASH/$name.pport")"
}

# start_central NAME STORE [ARGS...]: start a central on a free loopback
# port; sets ${NAME}_URL and ${NAME}_PID.
start_central() {
	name=$1
	store=$2
	shift 2
	rm -f "$TRASH/$name.port"
	"$HUCE_SYNCD" central --store "$store" --listen 127.0.0.1:0 \
		--port-file "$TRASH/$name.port" "$@" \
		>>"$TRASH/$name.log" 2>&1 &
	pid=$!
	CENTRAL_PIDS="$CENTRAL_PIDS $pid"
	echo "$pid" >>"$TRASH/.central_pids"
	for _ in $(seq 1 100); do
		[ -s "$TRASH/$name.port" ] && break
		sleep 0.05
	done
	[ -s "$TRASH/$name.port" ] || { echo "central $name did not start" >&2; cat "$TRASH/$name.log" >&2; return 1; }
	port=$(cat "$TRASH/$name.port")
	eval "${name}_URL=http://127.0.0.1:$port"
	eval "${name}_PID=$pid"
	eval "${name}_PORT=$port"
}

stop_central() {
	eval "pid=\${${1}_PID}"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# new_device NAME: init a device database $TRASH/NAME.db.
new_device() {
	"$HUCE" --db "$TRASH/$1.db" init --device "$1" --town 阿猛镇 >/dev/null
}

# mkjpeg write OUT [...] | mkjpeg probe FILE: camera-like JPEGs with an
# EXIF block (tests/tools/mkjpeg.c).
mkjpeg() {
	"$HUCE_BUILDDIR/tests/tools/mkjpeg" "$@"
}

# The photos an accepting inspection must carry (schema/checklists/
# common.json, photo_required): after and plaque at completion and
# first-toilet, after at re-inspection.  DONE_PHOTOS gives both (an extra
# photo is no error), made once per test from one small JPEG.
ACCEPT_JPEG=$TRASH/accept.jpg
if [ -n "${HUCE_BUILDDIR:-}" ] && [ -x "$HUCE_BUILDDIR/tests/tools/mkjpeg" ]; then
	mkjpeg write "$ACCEPT_JPEG" --width 64 --height 48 >/dev/null 2>&1 ||
		echo "# cannot make $ACCEPT_JPEG" >&2
fi
DONE_PHOTOS=(--photo "after=$ACCEPT_JPEG" --photo "plaque=$ACCEPT_JPEG")
