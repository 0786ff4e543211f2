#!/bin/bash
# t0704-pg-stick.sh - the USB stick and scoped laptops on PostgreSQL
# (issue 15; the SQLite tests are t0232 and t0233): the central's key
# made once in the store, a laptop enrolled by file and one enrolled
# online with its key, a stick round trip, and a laptop scoped to its
# village equal to the central's view of it.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/pg/lib-pg.sh"
pg_start

adm() { "$HUCE_SYNCD" admin --store "$PG" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
norm() {
	jq -S 'map({id, village, group, head, status, version}) | sort_by(.id)'
}

{
	adm town 阿猛镇 &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,一组,岩温,李干部,整厕新建,自建,三格化粪池式" \
		"芒东村,三组,玉香,王干部,整厕新建,自建,三格化粪池式" >"$TRASH/list.csv" &&
	adm import "$TRASH/list.csv" --create &&
	adm device add lap1 --enroll-file "$TRASH/lap1.enroll" &&
	adm device add ameng --villages 阿猛村 | tail -n 1 >"$TRASH/tok.ameng" &&
	start_central c "$PG" --rate 0 --blobs "$TRASH/blobs" &&
	new_device lap1 && new_device ameng && mkdir "$TRASH/stick"
} >/dev/null || exit 1

test_expect_success 'a stick round trip on PostgreSQL' '
	h lap1 enroll lap1.enroll >/dev/null &&
	h lap1 village add 阿猛村 >/dev/null && h lap1 group add --village 阿猛村 一组 >/dev/null &&
	h lap1 household add --village 阿猛村 --group 一组 --head 刀建华 \
		--approach new-build --build self --type three-grid >/dev/null &&
	mkjpeg write p.jpg --seed 1 --noise 30 && h lap1 household list --json | jq -r ".[0].id" >hh &&
	h lap1 photo add "$(cat hh)" p.jpg --kind before >/dev/null &&
	s=$(h lap1 photo list "$(cat hh)" --json | jq -r ".[0].sha256") &&
	h lap1 export stick >/dev/null &&
	adm import stick --blobs "$TRASH/blobs" >out && cat out && grep -q "lap1: export 1: applied" out &&
	cmp "lap1.db.photos/$s.jpg" "blobs/$s" &&
	h lap1 import stick >/dev/null &&
	h lap1 household list --json | norm >lap && adm household list --json | norm >cen &&
	test_cmp cen lap && test "$(jq length lap)" = 3 &&
	test "$(pgq "SELECT count(*) FROM meta WHERE key IN ('"'"'stick_pk'"'"', '"'"'stick_sk'"'"')")" = 2
'

test_expect_success 'a laptop scoped to its village, online and by stick, on PostgreSQL' '
	h ameng enroll "$c_URL" "$(cat tok.ameng)" >/dev/null &&
	test "$(pgq "SELECT box_key FROM device WHERE name = '"'"'ameng'"'"'")" = \
	     "$(sqlite3 ameng.db "SELECT value FROM meta WHERE key = '"'"'stick_pk'"'"'")" &&
	h ameng sync >/dev/null &&
	h ameng household list --json | norm >lap &&
	adm household list --json | jq "map(select(.village == \"阿猛村\"))" | norm >cen &&
	test_cmp cen lap && ! sqlite3 ameng.db .dump | grep -q 玉香 &&
	h ameng household add --village 阿猛村 --group 一组 --head 岩罕 \
		--approach new-build --build self --type sewer >/dev/null &&
	h ameng export stick >/dev/null && adm import stick --blobs "$TRASH/blobs" >/dev/null &&
	h ameng import stick >/dev/null &&
	h ameng household list --json | norm >lap &&
	adm household list --json | jq "map(select(.village == \"阿猛村\"))" | norm >cen &&
	test_cmp cen lap && ! sqlite3 ameng.db .dump | grep -q 玉香
'

test_done
