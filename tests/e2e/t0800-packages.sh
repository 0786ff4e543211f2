#!/bin/bash
# t0800-packages.sh - the Debian packages huce and huce-central (debian/,
# scripts/deb.sh): built with dh and meson, lintian finds no errors, each
# holds what the README says, and both unpacked with `dpkg-deb -x` into a
# temporary root run the demo story from there (scripts/demo.sh
# --prefix ROOT/usr): huce finds its network module in the root's
# /usr/lib/TRIPLET/huce, and nothing comes from the build tree.
#
# Under `make deb` the packages are given (HUCE_DEB_DIR); under
# `make test` this test builds them into BUILDDIR/deb first (about 30 s on
# 2 cores).  Skipped when debhelper is missing and cannot be installed
# (not root).

: "${HUCE:=/nonexistent}" "${HUCE_SYNCD:=/nonexistent}"
export HUCE HUCE_SYNCD
. "$(dirname "$0")/lib.sh"

DEBS=${HUCE_DEB_DIR:-}
if [ -z "$DEBS" ]; then
	if ! dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "ok installed" &&
		[ "$(id -u)" != 0 ]; then
		echo "ok 1 # skip debhelper is not installed and this is not root (make deb installs it)"
		test_done
		exit 0
	fi
	DEBS=${HUCE_BUILDDIR:?}/deb
	test_expect_success 'the packages build, and lintian finds no errors' '
		"$HUCE_SRCDIR/scripts/deb.sh" --no-test "$DEBS" >"$TRASH/deb.out" 2>&1 ||
			{ cat "$TRASH/deb.out"; false; }
		cat "$TRASH/deb.out"
		grep -q "^lintian: no errors" "$TRASH/deb.out"
	'
fi

VERSION=$(dpkg-parsechangelog -l "$HUCE_SRCDIR/debian/changelog" -S Version)
ARCH=$(dpkg --print-architecture)
TRIPLET=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LAPTOP=$DEBS/huce_${VERSION}_$ARCH.deb
OFFICE=$DEBS/huce-central_${VERSION}_$ARCH.deb
ROOT=$TRASH/root

test_expect_success 'huce: the laptop binaries, module, checklists, catalog, desktop entry, user timer' '
	dpkg-deb -c "$LAPTOP" | awk "{print \$6}" | sed "s#^\./#/#" >"$TRASH/laptop.list" &&
	for f in /usr/bin/huce /usr/bin/huce-syncd /usr/lib/$TRIPLET/huce/huce-net.so /usr/lib/$TRIPLET/huce/huce-ui.so \
		/usr/share/huce/checklists/three-grid.json /usr/share/huce/checklists/common.json \
		/usr/share/applications/huce.desktop /usr/lib/systemd/user/huce-agent.service \
		/usr/lib/systemd/user/huce-agent.timer /usr/share/locale/zh_CN/LC_MESSAGES/huce.mo; do
		grep -qx "$f" "$TRASH/laptop.list" || { echo "missing $f"; false; }
	done &&
	test "$(dpkg-deb -f "$LAPTOP" Package)" = huce
'

test_expect_success 'huce-central: the service, its user, its settings; it depends on huce' '
	dpkg-deb -c "$OFFICE" | awk "{print \$6}" | sed "s#^\./#/#" >"$TRASH/office.list" &&
	for f in /lib/systemd/system/huce-central.service /etc/huce/central.conf \
		/usr/lib/sysusers.d/huce-central.conf; do
		grep -qx "$f" "$TRASH/office.list" || { echo "missing $f"; false; }
	done &&
	dpkg-deb -f "$OFFICE" Depends | grep -q "huce (= $VERSION)"
'

test_expect_success 'both unpack into one root' '
	mkdir -p "$ROOT" &&
	dpkg-deb -x "$LAPTOP" "$ROOT" &&
	dpkg-deb -x "$OFFICE" "$ROOT" &&
	test -x "$ROOT/usr/bin/huce" && test -x "$ROOT/usr/bin/huce-syncd" &&
	"$ROOT/usr/bin/huce" --version | grep -q "$VERSION" &&
	"$ROOT/usr/bin/huce-syncd" --version | grep -qx "huce-syncd $VERSION"
'

# The catalog from the unpacked root: ROOT/usr/bin/huce finds
# ROOT/usr/share/locale (../share/locale from its bin/), neither the build
# tree's po/ (not next to it) nor the system's (there is a ../share/locale).
test_expect_success 'the unpacked huce speaks Chinese from its own catalog' '
	if ! locale -a 2>/dev/null | grep -qix "zh_CN.utf-\{0,1\}8"; then
		echo "the locale zh_CN.UTF-8 is missing: run scripts/deps.sh as root"
		false
	fi &&
	LANG=zh_CN.UTF-8 expect_exit 2 "$ROOT/usr/bin/huce" --db "$TRASH/none.db" bogus 2>"$TRASH/zh.err" &&
	grep -q "^huce: 未知命令“bogus”$" "$TRASH/zh.err" &&
	LANG=C expect_exit 2 "$ROOT/usr/bin/huce" --db "$TRASH/none.db" bogus 2>"$TRASH/en.err" &&
	grep -q "^huce: unknown command '\''bogus'\''$" "$TRASH/en.err"
'

test_expect_success 'the desktop entry 户厕验收 starts huce ui' '
	D=$ROOT/usr/share/applications/huce.desktop &&
	grep -qx "Name=户厕验收" "$D" &&
	grep -qx "Exec=huce ui" "$D" &&
	grep -qx "Type=Application" "$D"
'

test_expect_success 'the units: the agent timer, the central hardened, as user huce' '
	U=$ROOT/usr/lib/systemd/user &&
	grep -q "^ExecStart=/usr/bin/huce-syncd agent --db %h/.local/share/huce/huce.db --once$" \
		"$U/huce-agent.service" &&
	grep -q "^WantedBy=timers.target$" "$U/huce-agent.timer" &&
	S=$ROOT/lib/systemd/system/huce-central.service &&
	for kv in User=huce Group=huce EnvironmentFile=/etc/huce/central.conf \
		StateDirectory=huce ReadWritePaths=/var/lib/huce NoNewPrivileges=yes \
		ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
		CapabilityBoundingSet= MemoryDenyWriteExecute=yes; do
		grep -qx "$kv" "$S" || { echo "missing $kv"; false; }
	done &&
	grep -q "^ExecStart=/usr/bin/huce-syncd central --store \${HUCE_STORE} --listen \${HUCE_LISTEN} \$HUCE_ARGS$" "$S" &&
	grep -qx "HUCE_STORE=/var/lib/huce/central.db" "$ROOT/etc/huce/central.conf" &&
	grep -qx "HUCE_LISTEN=127.0.0.1:8080" "$ROOT/etc/huce/central.conf" &&
	grep -q "^u huce " "$ROOT/usr/lib/sysusers.d/huce-central.conf"
'

# The unit as systemd reads it: the settings file's variables and the
# command line, as the service would start the central (no systemd in the
# test's machine: the command line is built the same way by the shell).
test_expect_success 'central.conf and the unit start a central that answers' '
	set -a && . "$ROOT/etc/huce/central.conf" && set +a &&
	test -z "$HUCE_ARGS" &&
	# in a function, "&" backgrounds the central alone, so $! is its pid
	# (after an && list it would be a subshell, and the central would
	# outlive the test)
	start_office() {
		"$ROOT/usr/bin/huce-syncd" central --store "$TRASH/office.db" \
			--listen 127.0.0.1:0 --port-file "$TRASH/office.port" $HUCE_ARGS \
			>"$TRASH/office.log" 2>&1 &
		pid=$!
	} &&
	start_office &&
	echo $pid >>"$TRASH/.central_pids" &&
	for _ in $(seq 100); do [ -s "$TRASH/office.port" ] && break; sleep 0.05; done
	curl -sf "http://127.0.0.1:$(cat "$TRASH/office.port")/v1/health" | grep -q "\"version\":\"$VERSION\""
	kill $pid; wait $pid || true
'

test_expect_success 'the demo story runs from the unpacked root' '
	HUCE_DEMO_REPORTS=$TRASH/reports LD_DEBUG=libs \
		"$HUCE_SRCDIR/scripts/demo.sh" --prefix "$ROOT/usr" >"$TRASH/demo.out" 2>"$TRASH/demo.err" ||
		{ tail -n 30 "$TRASH/demo.out"; grep -v "^ *[0-9]*:" "$TRASH/demo.err" | tail; false; }
	grep -q "laptops A, B, C and the central show the same [0-9]* households" "$TRASH/demo.out" &&
	grep -q "^demo finished" "$TRASH/demo.out" &&
	ls "$TRASH"/reports/week-*.xlsx "$TRASH"/reports/month-*.html >/dev/null &&
	grep -qF "calling init: $ROOT/usr/bin/../lib/$TRIPLET/huce/huce-net.so" "$TRASH/demo.err" &&
	if [ -n "${HUCE_BUILDDIR:-}" ]; then
		! grep "calling init: $HUCE_BUILDDIR" "$TRASH/demo.err"
	fi
'

test_expect_success 'a county can start from the packaged checklists (--checklists)' '
	H="$ROOT/usr/bin/huce --db $TRASH/cl.db" &&
	$H init --device cl >/dev/null &&
	$H village add 甲村 >/dev/null && $H group add --village 甲村 一组 >/dev/null &&
	$H cadre add 乙 --role inspector >/dev/null &&
	id=$($H household add --village 甲村 --group 一组 --head 甲 --approach new-build \
		--build self --type three-grid | tail -n 1) &&
	cp -r "$ROOT/usr/share/huce/checklists" "$TRASH/county" &&
	$H --checklists "$TRASH/county" inspect "$id" --stage completion --inspector 乙 \
		--item walls_roof_door=yes --item room_area=1.6 --item no_leak=yes \
		--item sealed_cover=yes --item no_exposed_waste=yes --item tank_volume=1.8 \
		--item effective_depth=1.2 --item inlet_pipe_diameter=110 --item vent_height=600 \
		"${DONE_PHOTOS[@]}" >out &&
	grep -q pass out &&
	expect_exit 4 $H --checklists "$TRASH/none" inspect "$id" --stage completion \
		--inspector 乙 --item room_area=1.6 2>err &&
	grep -q "cannot open checklist" err
'

test_expect_success 'huce ui from the unpacked root finds its web module and serves the app' '
	"$ROOT/usr/bin/huce" --db "$TRASH/cl.db" ui --no-browser >"$TRASH/ui.out" 2>"$TRASH/ui.err" &
	pid=$!
	for _ in $(seq 100); do grep -q "^http://127.0.0.1:" "$TRASH/ui.out" && break; sleep 0.1; done
	url=$(tail -n 1 "$TRASH/ui.out") &&
	curl -s -c "$TRASH/ui.jar" -o /dev/null "$url" &&
	curl -sf -b "$TRASH/ui.jar" "${url%%/?s=*}/api/session" | grep -q "\"version\":\"$VERSION\"" &&
	curl -sf -b "$TRASH/ui.jar" "${url%%/?s=*}/" | grep -q "<html lang=\"zh-CN\">"
	rc=$?
	kill $pid; wait $pid
	test $rc = 0
'

test_done
