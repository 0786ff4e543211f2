# lib-pg.sh - PostgreSQL helpers for the end-to-end tests t07xx (sourced
# after tests/e2e/lib.sh).
#
#   pg_start          start a throwaway server for this test (tests/pg/
#                     start.sh); sets PG (the URL of its empty database
#                     "huce"), PG_PORT and PSQL; skips the test (exit 77)
#                     when the PostgreSQL server binaries are absent.  The
#                     server is stopped, and its directory removed, when
#                     the test exits, after the centrals.
#   pg_createdb NAME  another empty database; prints its URL.
#   pgq [DB-URL] SQL  run SQL, print the rows unaligned (a|b), no header.
#
# The store's state for before/after comparisons is pg_state.

pg_start() {
	# A huce-syncd built without libpq (or before store_pg.c was wired
	# in) refuses postgres:// stores before it tries to connect.
	if "$HUCE_SYNCD" admin --store postgres://huce@127.0.0.1:1/huce device list 2>&1 |
		grep -q "without PostgreSQL support\|not built yet"; then
		echo "# skip: $TEST_NAME: this huce-syncd has no PostgreSQL backend"
		exit 77
	fi
	_pg_out=$("$HUCE_SRCDIR/tests/pg/start.sh")
	_pg_rc=$?
	if [ "$_pg_rc" = 77 ]; then
		echo "# skip: $TEST_NAME needs the PostgreSQL server binaries (Debian package postgresql)"
		exit 77
	fi
	if [ "$_pg_rc" != 0 ]; then
		echo "# cannot start PostgreSQL for $TEST_NAME"
		exit 1
	fi
	eval "$_pg_out"
	PG=$HUCE_PG_URL
	PG_PORT=$HUCE_PG_PORT
	PSQL="$(cat "$HUCE_PG_DIR/bindir")/psql"
	trap 'cleanup; cd /; "$HUCE_SRCDIR/tests/pg/stop.sh" "$HUCE_PG_DIR"' EXIT
}

pg_createdb() {
	"$PSQL" -X -q -d "$PG" -c "CREATE DATABASE $1 ENCODING 'UTF8' TEMPLATE template0" >/dev/null &&
		echo "postgres://huce@127.0.0.1:$PG_PORT/$1"
}

pgq() {
	if [ $# -ge 2 ]; then _db=$1; shift; else _db=$PG; fi
	"$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$_db" -c "$1"
}

# pg_state [DB-URL]: everything but the audit log, in a stable order.
pg_state() {
	pgq ${1:+"$1"} "SELECT * FROM record ORDER BY id" &&
	pgq ${1:+"$1"} "SELECT * FROM field ORDER BY record_id, name" &&
	pgq ${1:+"$1"} "SELECT * FROM history ORDER BY record_id, version, field" &&
	pgq ${1:+"$1"} "SELECT name, hwm FROM device ORDER BY name" &&
	pgq ${1:+"$1"} "SELECT version, hlc FROM counter"
}
