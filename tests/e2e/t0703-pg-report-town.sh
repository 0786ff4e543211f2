#!/bin/bash
# t0703-pg-report-town.sh - the office's reports on the PostgreSQL store:
# the generated town of t0230 (tests/e2e/lib-town.sh) fed through `admin
# import` into a PostgreSQL database gives the same hand-computed week,
# same-week entry, dispatch, month ranking with red and black lists and
# audit sample; and every report, in every format, is the same byte for
# byte as the one from a SQLite store fed the same batch files at the
# same moments (the XLSX compared cell by cell: a zip carries times).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
. "$HUCE_SRCDIR/tests/e2e/lib-town.sh"
pg_start

XD="python3 $HUCE_SRCDIR/tests/tools/xlsxdump.py"

town_build "$TRASH/c.db" "$TRASH/sqlite.blobs" >"$TRASH/build-sqlite.log" 2>&1 ||
	{ cat "$TRASH/build-sqlite.log"; exit 1; }
SQLITE_STORE=$STORE SQLITE_BLOBS=$BLOBS
town_build "$PG" "$TRASH/pg.blobs" >"$TRASH/build-pg.log" 2>&1 ||
	{ cat "$TRASH/build-pg.log"; exit 1; }
town_checks

# both REPORT-ARGS...: the report from PostgreSQL (pg.OUT) and SQLite (sq.OUT)
both() {
	out=$1
	shift
	rep "$@" --out "pg.$out" &&
	"$HUCE_SYNCD" admin --store "$SQLITE_STORE" report "$@" --blobs "$SQLITE_BLOBS" \
		--out "sq.$out"
}

test_expect_success 'every report, in JSON, CSV, HTML and text, is the same on both stores' '
	for r in "week --week 2026-W40" "week --week 2026-W41" "week --week 2026-W43" \
		"dispatch --date 2026-10-09" "dispatch --date 2026-10-12" \
		"month --month 2026-09" "month --month 2026-10"; do
		for f in json csv html text; do
			both "x.$f" $r --format $f && cmp "pg.x.$f" "sq.x.$f" || exit 1
		done
	done
'

test_expect_success 'and in XLSX, cell by cell' '
	for r in "week --week 2026-W41" "month --month 2026-10" "dispatch --date 2026-10-09"; do
		both x.xlsx $r --format xlsx &&
		$XD pg.x.xlsx sheets >pg.sheets && $XD sq.x.xlsx sheets >sq.sheets &&
		test_cmp pg.sheets sq.sheets || exit 1
		n=$(wc -l <pg.sheets)
		for i in $(seq 1 $n); do
			$XD pg.x.xlsx cells $i >pg.cells && $XD sq.x.xlsx cells $i >sq.cells &&
			test_cmp pg.cells sq.cells || exit 1
		done
	done
'

test_expect_success 'the audit sample is the same on both stores' '
	adm audit sample --rate 0.5 --seed 7 --as-of 2026-10-31 --json >pg.s &&
	"$HUCE_SYNCD" admin --store "$SQLITE_STORE" audit sample --rate 0.5 --seed 7 \
		--as-of 2026-10-31 --json >sq.s &&
	test_cmp pg.s sq.s &&
	test "$(jq ".households | length" pg.s)" = 4
'

test_done
