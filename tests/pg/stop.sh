#!/bin/sh
# stop.sh DIR - stop the PostgreSQL server that tests/pg/start.sh started
# in DIR, and remove DIR (kept when HUCE_KEEP_TRASH is set).
set -u
dir=${1:?usage: stop.sh DIR}
cd / || exit 1	# the caller's directory may be gone already
[ -d "$dir/data" ] || exit 0
bindir=$(cat "$dir/bindir" 2>/dev/null)
owner=$(cat "$dir/owner" 2>/dev/null)
as_owner() {
	if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}
if [ -n "$bindir" ]; then
	# fast: roll back open transactions and shut down cleanly.
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
fi
if [ -z "${HUCE_KEEP_TRASH:-}" ]; then
	rm -rf "$dir"
else
	echo "# kept $dir"
fi
exit 0
