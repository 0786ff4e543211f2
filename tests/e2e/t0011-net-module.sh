#!/bin/bash
# t0011-net-module.sh - `huce` loads libcurl only for the commands that
# talk to the central (enroll, sync), through the module huce-net.so
# (client/huce_net.h): offline commands, and export and import-ack (the
# USB stick's files, common/huce_outbox.c), do not load it and work
# without it; the module is found next to the binary (build tree) and
# where `meson install` puts it, and a missing or broken module is one
# clear line on stderr and exit 1, after usage errors and --help as
# before.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
. "$(dirname "$0")/lib.sh"

DB=$TRASH/t.db
h() { "$HUCE" --db "$DB" "$@"; }

test_expect_success 'set up a laptop' '
	h init --device net-1 >/dev/null &&
	h village add 阿猛 >/dev/null
'

test_expect_success 'offline commands do not load libcurl or the module' '
	LD_DEBUG=libs h status >/dev/null 2>"$TRASH/ld.status" &&
	LD_DEBUG=libs h village list >/dev/null 2>"$TRASH/ld.list" &&
	grep -q "libsqlite3" "$TRASH/ld.status" &&
	! grep -E "libcurl|huce-net" "$TRASH/ld.status" "$TRASH/ld.list"
'

test_expect_success 'export and import-ack do not load libcurl or the module' '
	LD_DEBUG=libs h export "$TRASH/b1" >out 2>"$TRASH/ld.export" &&
	grep -q "^exported 1 entries to " out &&
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" device add net-1 >/dev/null &&
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" import "$TRASH/b1" \
		--ack-out "$TRASH/ack1" >/dev/null &&
	LD_DEBUG=libs h import-ack "$TRASH/ack1" >out 2>"$TRASH/ld.ack" &&
	grep -q "^acknowledged up to seq 1$" out &&
	grep -q "libsqlite3" "$TRASH/ld.export" &&
	! grep -E "libcurl|huce-net" "$TRASH/ld.export" "$TRASH/ld.ack"
'

test_expect_success 'sync loads the module from next to the binary' '
	LD_DEBUG=libs expect_exit 2 h sync >out 2>"$TRASH/ld.sync" &&
	grep -q "^huce: this laptop is not enrolled" "$TRASH/ld.sync" &&
	grep -q "calling init: $(dirname "$HUCE")/huce-net.so" "$TRASH/ld.sync" &&
	grep -q "calling init: .*libcurl" "$TRASH/ld.sync"
'

# A copy of the binary without the module beside it.
mkdir -p "$TRASH/bin"
cp "$HUCE" "$TRASH/bin/huce"
lone() { "$TRASH/bin/huce" --db "$DB" "$@"; }

test_expect_success 'without the module offline commands still work' '
	lone status >/dev/null &&
	lone village list | grep -q 阿猛
'

test_expect_success 'without the module export and import-ack still work' '
	lone village add 阿松 >/dev/null &&
	lone export "$TRASH/b2" | grep -q "^exported 1 entries to " &&
	"$HUCE_SYNCD" admin --store "$TRASH/c.db" import "$TRASH/b2" \
		--ack-out "$TRASH/ack2" >/dev/null &&
	lone import-ack "$TRASH/ack2" | grep -q "^acknowledged up to seq 2$" &&
	lone export "$TRASH/b3" | grep -q "^exported 0 entries to "
'

test_expect_success 'without the module sync and enroll fail with exit 1' '
	dump_db "$DB" >before &&
	for cmd in sync "enroll http://127.0.0.1:9 tok"; do
		set +e
		lone $cmd >out 2>err
		rc=$?
		set -e
		test "$rc" = 1 || { echo "$cmd: exit $rc"; cat err; exit 1; }
		test ! -s out &&
		test "$(wc -l <err)" = 1 &&
		grep -q "^huce: network module huce-net.so not found (looked in .*): reinstall huce$" err
	done &&
	dump_db "$DB" >after &&
	test_cmp before after
'

test_expect_success 'without the module usage errors and --help are unchanged' '
	expect_exit 2 lone sync extra 2>err &&
	grep -q "^huce: unexpected argument .extra." err &&
	expect_exit 2 lone enroll 2>err &&
	grep -q "^huce: enroll takes URL and TOKEN" err &&
	lone sync --help | grep -q "^usage: huce sync"
'

test_expect_success 'a broken module is refused with exit 1' '
	echo "not an ELF file" >"$TRASH/bin/huce-net.so" &&
	expect_exit 1 lone sync 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^huce: cannot load network module: .*huce-net.so" err
'

test_expect_success 'a broken or unreadable module does not touch export and import-ack' '
	lone export "$TRASH/b4" | grep -q "^exported 0 entries to " &&
	lone import-ack "$TRASH/ack2" | grep -q "^acknowledged up to seq 2$" &&
	chmod 000 "$TRASH/bin/huce-net.so" &&
	lone export "$TRASH/b5" | grep -q "^exported 0 entries to " &&
	lone import-ack "$TRASH/ack2" | grep -q "^acknowledged up to seq 2$" &&
	rm -f "$TRASH/bin/huce-net.so"
'

test_expect_success 'after meson install the module is found in LIBDIR/huce' '
	if ! command -v meson >/dev/null || [ -z "${HUCE_BUILDDIR:-}" ]; then
		echo "# skipped: no meson or HUCE_BUILDDIR" >&2
		exit 0
	fi
	meson install -C "$HUCE_BUILDDIR" --no-rebuild --quiet --destdir "$TRASH/inst" >inst.log 2>&1 ||
		{ cat inst.log; exit 1; }
	bin=$(find "$TRASH/inst" -path "*/bin/huce" -type f) &&
	test -n "$bin" &&
	mod=$(find "$TRASH/inst" -name huce-net.so -type f) &&
	case $mod in */huce/huce-net.so) ;; *) echo "module at $mod"; exit 1 ;; esac &&
	test ! -e "$(dirname "$bin")/huce-net.so" &&
	LD_DEBUG=libs expect_exit 2 "$bin" --db "$DB" sync 2>"$TRASH/ld.inst" &&
	grep -q "^huce: this laptop is not enrolled" "$TRASH/ld.inst" &&
	grep -q "calling init: .*/huce/huce-net.so" "$TRASH/ld.inst"
'

test_done
