#!/bin/sh
# with-pg.sh CMD [ARGS...] - run CMD with HUCE_TEST_PG_URL naming the empty
# database of a throwaway PostgreSQL server (tests/pg/start.sh), and stop
# the server afterwards.  Exits with CMD's status, or 77 (skip) when the
# PostgreSQL server binaries are not installed.
here=$(cd "$(dirname "$0")" && pwd)
out=$("$here/start.sh")
rc=$?
if [ "$rc" = 77 ]; then
	echo "# skip: PostgreSQL server binaries not found" >&2
	exit 77
fi
[ "$rc" = 0 ] || exit 1
eval "$out"
trap '"$here/stop.sh" "$HUCE_PG_DIR"' EXIT
trap 'exit 130' INT TERM
HUCE_TEST_PG_URL=$HUCE_PG_URL "$@"
