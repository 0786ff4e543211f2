#!/bin/sh
# start.sh [DIR] - start a throwaway PostgreSQL server for the tests.
#
# Makes a cluster in DIR (a new temp dir when not given) with the Debian
# postgresql package's initdb and pg_ctl, listening on 127.0.0.1 only (no
# Unix socket) on a free port, with superuser "huce" (trust auth: the
# server is reachable from this machine only, and lives for one test)
# and an empty UTF-8 database "huce".  fsync is off: the tests kill
# centrals, never the database server.
#
# On success prints shell assignments for eval:
#   HUCE_PG_DIR='...' HUCE_PG_PORT=NNNNN HUCE_PG_URL='postgres://huce@127.0.0.1:NNNNN/huce'
# and exits 0; tests/pg/stop.sh "$HUCE_PG_DIR" stops it and removes DIR.
# Exits 77 (the "skip" of meson and of tests/e2e) when the PostgreSQL
# server binaries are not installed, 1 on any other failure.
#
# initdb refuses to run as root: as root the cluster is made and run by
# the user "postgres" (the package's) or else "nobody", with runuser.
# PG_BINDIR overrides where the binaries are looked for.
set -u

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			bindir=$d
			break
		fi
	done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
	echo "skip: PostgreSQL server binaries not found (install the Debian package 'postgresql', or set PG_BINDIR)" >&2
	exit 77
fi

dir=${1:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/huce-pg.XXXXXX") || exit 1
else
	mkdir -p "$dir" || exit 1
fi
dir=$(cd "$dir" && pwd)

# as_owner CMD...: run CMD as the cluster's owner.
owner=""
if [ "$(id -u)" = 0 ]; then
	if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
	if ! command -v runuser >/dev/null 2>&1; then
		echo "start.sh: running as root and runuser is missing: cannot run initdb" >&2
		exit 1
	fi
	chown "$owner" "$dir" || exit 1
	chmod 700 "$dir"
	# The owner must be able to reach DIR.
	if ! runuser -u "$owner" -- test -w "$dir"; then
		echo "start.sh: $owner cannot write $dir (is a parent directory private?)" >&2
		exit 1
	fi
fi
as_owner() {
	if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

if ! as_owner "$bindir/initdb" -D "$dir/data" -U huce --auth=trust -E UTF8 \
	--locale=C --no-sync >"$dir/initdb.log" 2>&1; then
	echo "start.sh: initdb failed:" >&2
	tail -20 "$dir/initdb.log" >&2
	exit 1
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

started=""
for attempt in 1 2 3 4 5; do
	port=$(free_port) || exit 1
	# The last setting of a name in postgresql.conf wins: a retry appends.
	cat >>"$dir/data/postgresql.conf" <<-CONF
	port = $port
	listen_addresses = '127.0.0.1'
	unix_socket_directories = ''
	fsync = off
	full_page_writes = off
	max_connections = 50
	shared_buffers = 32MB
	log_min_messages = warning
	log_line_prefix = '%m [%p] '
	CONF
	if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		start >"$dir/pg_ctl.log" 2>&1; then
		started=1
		break
	fi
	grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null || break
done
if [ -z "$started" ]; then
	echo "start.sh: the PostgreSQL server did not start:" >&2
	tail -20 "$dir/server.log" "$dir/pg_ctl.log" >&2 2>/dev/null
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	exit 1
fi
if ! "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U huce -d postgres \
	-c "CREATE DATABASE huce ENCODING 'UTF8' TEMPLATE template0" >/dev/null 2>"$dir/createdb.log"; then
	echo "start.sh: cannot create the database:" >&2
	cat "$dir/createdb.log" >&2
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	exit 1
fi
printf '%s\n' "$bindir" >"$dir/bindir"
printf '%s\n' "$owner" >"$dir/owner"
printf "HUCE_PG_DIR='%s' HUCE_PG_PORT=%s HUCE_PG_URL='postgres://huce@127.0.0.1:%s/huce'\n" \
	"$dir" "$port" "$port"
