#!/bin/bash
# t0702-pg-secrets.sh - the password of a postgres:// store URL never
# shows: not in the errors of `huce-syncd admin`, not when a central
# cannot reach its store, not in a running central's log.  (Passwords
# belong in ~/.pgpass or PGPASSWORD: a command line can be read by other
# users of the machine; docs/POSTGRES.md.)

case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

# The test server trusts 127.0.0.1, so a password in the URL is accepted
# and never checked: the URL still carries it everywhere it goes.
SECRET=s3cret-Pa55
URL="postgres://huce:$SECRET@127.0.0.1:$PG_PORT/huce"
DOWN=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BAD="postgres://huce:$SECRET@127.0.0.1:$DOWN/huce"

test_expect_success 'admin: an unreachable store names host and port, not the password' '
	expect_exit 1 "$HUCE_SYNCD" admin --store "$BAD" device list 2>err &&
	grep -q "127.0.0.1:$DOWN" err && ! grep -q "$SECRET" err
'

test_expect_success 'central: a store it cannot open is refused without the password' '
	expect_exit 1 "$HUCE_SYNCD" central --store "$BAD" --listen 127.0.0.1:0 2>err &&
	grep -q "cannot open store" err && grep -q "127.0.0.1:$DOWN" err &&
	! grep -q "$SECRET" err
'

test_expect_success 'a running central does not log the password' '
	"$HUCE_SYNCD" admin --store "$URL" device add lap1 | tail -n 1 >tok &&
	start_central c "$URL" --rate 0 &&
	curl -s "$c_URL/v1/health" >/dev/null &&
	curl -s -H "Authorization: Bearer $(cat tok)" "$c_URL/v1/changes?after=0" >/dev/null &&
	stop_central c &&
	test -s "$TRASH/c.log" &&
	! grep -q "$SECRET" "$TRASH/c.log"
'

test_done
