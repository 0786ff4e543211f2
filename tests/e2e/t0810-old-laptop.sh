#!/bin/bash
# t0810-old-laptop.sh - upgrades in the field (docs/PROTOCOL.md 2.6):
# laptops are updated one by one, so a laptop on the last release before
# this one (commit 77eb202, huce 0.1.0, built from that commit into
# BUILDDIR/old-77eb202 once and kept there) must keep syncing with
# today's central, or be told plainly which release to install.
#
# The office upgrades first: an old laptop enrolled with an old central
# keeps syncing after the central is replaced by today's on the same
# store (which migrates forward); today's laptop and the old one see each
# other's records; a fresh old laptop cannot enrol (enrolment now names
# the laptop) and is told to install huce 0.2.0 (426); the old laptop's
# own file migrates forward on the first start of today's huce and then
# syncs; today's laptop also syncs with an old central.  Downgrades are
# refused with the release to install (central store here; the laptop's
# file in tests/unit/test_db.c).
#
# Skipped, with the reason, when the source is not a git checkout with
# that commit or the old release does not build.

. "$(dirname "$0")/lib.sh"

OLD_COMMIT=77eb202
OB=${HUCE_BUILDDIR:?}/old-$OLD_COMMIT
skip() {
	echo "ok 1 # skip $*"
	test_done
	exit 0
}

# Build the old release once (huce, huce-net.so, huce-syncd), cached.
build_old() {
	[ -x "$OB/build/client/huce" ] && [ -x "$OB/build/syncd/huce-syncd" ] &&
		[ -f "$OB/build/client/huce-net.so" ] && return 0
	git -C "$HUCE_SRCDIR" cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null ||
		{ echo "no commit $OLD_COMMIT in $HUCE_SRCDIR (not a full git clone)"; return 1; }
	rm -rf "$OB" && mkdir -p "$OB/src" &&
	git -C "$HUCE_SRCDIR" archive "$OLD_COMMIT" | tar -x -C "$OB/src" &&
	meson setup "$OB/build" "$OB/src" -Dtests=false >"$OB/setup.log" 2>&1 &&
	ninja -C "$OB/build" -j2 client/huce client/huce-net.so syncd/huce-syncd \
		>"$OB/build.log" 2>&1 ||
		{ tail -n 20 "$OB/setup.log" "$OB/build.log" 2>/dev/null; return 1; }
}
mkdir -p "$HUCE_BUILDDIR"
if ! (flock 9 && build_old) 9>"$HUCE_BUILDDIR/.old-$OLD_COMMIT.lock" >"$TRASH/old-build.out" 2>&1; then
	cat "$TRASH/old-build.out"
	skip "huce $OLD_COMMIT could not be built into $OB (reason above)"
fi
OLD_HUCE=$OB/build/client/huce
OLD_SYNCD=$OB/build/syncd/huce-syncd
say "old release: $("$OLD_HUCE" --version), today: $("$HUCE" --version)"

S=$TRASH/central.db
old() { "$OLD_HUCE" --db "$TRASH/old.db" "$@"; }
new() { "$HUCE" --db "$TRASH/new.db" "$@"; }
hh() { # laptop head village
	"$@" household add --village 阿猛村 --group 一组 --head "$HEAD" \
		--approach new-build --build self --type three-grid | tail -n 1
}
heads() { "$@" household list --json | jq -r '[.[].head] | sort | join(",")'; }

# start_central with a given binary: HUCE_SYNCD is what lib.sh runs.
central_with() {
	bin=$1
	shift
	HUCE_SYNCD=$bin start_central "$@"
}

central_with "$OLD_SYNCD" c0 "$S"
test_expect_success 'the old release: an old laptop enrolled with an old central syncs' '
	T=$("$OLD_SYNCD" admin --store "$S" device add old-laptop | tail -n 1) &&
	old init --device old-laptop --town 阿猛镇 >/dev/null &&
	old enroll "$c0_URL" "$T" >/dev/null &&
	old village add 阿猛村 >/dev/null &&
	old group add --village 阿猛村 一组 >/dev/null &&
	HEAD=甲 hh old >/dev/null &&
	old sync >/dev/null
'
stop_central c0
central_with "$HUCE_SYNCD" c1 "$S"

test_expect_success 'today'"'"'s central on the same store migrates it and keeps serving the old laptop' '
	test "$(sqlite3 "$S" "PRAGMA user_version")" -gt 2 &&
	sqlite3 "$S" "SELECT release FROM huce_release" | grep -qx 0.2.0 &&
	sqlite3 "$TRASH/old.db" "UPDATE meta SET value = '\''$c1_URL'\'' WHERE key = '\''central_url'\''" &&
	HEAD=乙 hh old >/dev/null &&
	old sync >out 2>err || { cat out err; false; }
	test "$(old status --json | jq .pending)" = 0 &&
	"$HUCE_SYNCD" admin --store "$S" household list --json | jq -r ".[].head" | sort | tr "\n" , >h &&
	test "$(cat h)" = "乙,甲,"
'

test_expect_success 'today'"'"'s laptop and the old one see each other'"'"'s records' '
	URL=$c1_URL &&
	T=$("$HUCE_SYNCD" admin --store "$S" device add new-laptop | tail -n 1) &&
	new init --device new-laptop --town 阿猛镇 >/dev/null &&
	new enroll "$URL" "$T" >/dev/null &&
	new sync >/dev/null &&
	test "$(heads new)" = "乙,甲" &&
	HEAD=丙 hh new >/dev/null &&
	new sync >/dev/null &&
	old sync >/dev/null &&
	test "$(heads old)" = "丙,乙,甲" &&
	test "$(heads new)" = "丙,乙,甲"
'

test_expect_success 'a fresh old laptop cannot enrol: it is told plainly to install huce 0.2.0 (426)' '
	URL=$c1_URL &&
	T=$("$HUCE_SYNCD" admin --store "$S" device add old-2 | tail -n 1) &&
	"$OLD_HUCE" --db "$TRASH/old2.db" init --device old-2 >/dev/null &&
	expect_exit 1 "$OLD_HUCE" --db "$TRASH/old2.db" enroll "$URL" "$T" 2>err &&
	cat err &&
	grep -q "central answered 426: this laptop.s huce is too old for the town.s central (huce 0.2.0): enrolment needs protocol 2 or newer, this laptop speaks 1. Install huce 0.2.0 or newer on this laptop, then try again" err
'

test_expect_success 'the old laptop'"'"'s file migrates forward on the first start of today'"'"'s huce, then syncs' '
	cp "$TRASH/old.db" "$TRASH/up.db" &&
	before=$(sqlite3 "$TRASH/up.db" "PRAGMA user_version") &&
	"$HUCE" --db "$TRASH/up.db" status >/dev/null &&
	after=$(sqlite3 "$TRASH/up.db" "PRAGMA user_version") &&
	test "$after" -gt "$before" &&
	test "$(heads "$HUCE" --db "$TRASH/up.db")" = "丙,乙,甲" &&
	HEAD=丁 hh "$HUCE" --db "$TRASH/up.db" >/dev/null &&
	"$HUCE" --db "$TRASH/up.db" sync >/dev/null &&
	test "$("$HUCE" --db "$TRASH/up.db" status --json | jq .pending)" = 0 &&
	new sync >/dev/null && test "$(heads new)" = "丁,丙,乙,甲"
'

test_expect_success 'a downgrade is refused: the old huce does not open the migrated file' '
	expect_exit 1 "$OLD_HUCE" --db "$TRASH/up.db" status 2>err &&
	grep -q "newer" err
'

stop_central c1
central_with "$OLD_SYNCD" c2 "$TRASH/c2.db"
test_expect_success 'today'"'"'s laptop syncs with an old central too' '
	T=$("$OLD_SYNCD" admin --store "$TRASH/c2.db" device add n2 | tail -n 1) &&
	"$HUCE" --db "$TRASH/n2.db" init --device n2 >/dev/null &&
	"$HUCE" --db "$TRASH/n2.db" enroll "$c2_URL" "$T" >/dev/null &&
	"$HUCE" --db "$TRASH/n2.db" village add 乙村 >/dev/null &&
	"$HUCE" --db "$TRASH/n2.db" sync >/dev/null &&
	test "$("$HUCE" --db "$TRASH/n2.db" status --json | jq .pending)" = 0 &&
	sqlite3 "$TRASH/c2.db" "SELECT value FROM field" | grep -q 乙村
'

test_expect_success 'a central store written by a newer huce is refused with the release to install' '
	cp "$S" "$TRASH/newer.db" &&
	v=$(sqlite3 "$TRASH/newer.db" "PRAGMA user_version") &&
	sqlite3 "$TRASH/newer.db" "INSERT INTO huce_release VALUES($((v + 1)), '\''0.7.1'\''); PRAGMA user_version = $((v + 1))" &&
	expect_exit 1 "$HUCE_SYNCD" admin --store "$TRASH/newer.db" device list 2>err &&
	cat err &&
	grep -q "this file was written by a newer huce (schema $((v + 1)); this huce 0.2.0 knows $v): install huce 0.7.1 or newer" err
'

test_done
