#!/bin/bash
# tests/valgrind/memcheck.sh - run end-to-end tests with every huce and
# huce-syncd process (CLI, agent, central, admin) under valgrind memcheck
# (issue 4, item 5).  The sanitizer build (`make test`) finds most memory
# errors; valgrind checks the plain binaries the town will run, with
# nothing compiled in, and sees uninitialised reads that ASan does not.
#
#   tests/valgrind/memcheck.sh [TEST.sh...]
#
# Default test: t0209-sync-office.sh (a central, two laptops syncing,
# every kind of conflict, the office resolving them, a final sync).  The
# build is $HUCE_VG_BUILD (default build-vg), set up here when missing as
#   meson setup build-vg -Dbuildtype=debug      (no sanitizer)
# Each process writes its own log, build-vg/memcheck/<test>/vg.<pid>.log,
# with --leak-check=full --error-exitcode=1 --track-origins=yes.  The
# script prints, per test, the processes run, the errors and the bytes
# definitely/indirectly lost, and exits 0 only when the tests passed and
# no process had an error or a leak.  Suppressions: valgrind.supp next to
# this script, documented entry by entry; it is empty today, no
# third-party noise needed silencing (libcurl, OpenSSL, libmicrohttpd,
# SQLite and zlib are all clean on Debian 12 for these flows).
#
# Not part of `make test`: t0209 takes a few minutes under valgrind.

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${HUCE_VG_BUILD:-$SRC/build-vg}
TESTS=${*:-t0209-sync-office.sh}

command -v valgrind >/dev/null || {
	echo "$0: valgrind is not installed (apt-get install valgrind)" >&2
	exit 2
}
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$SRC" -Dbuildtype=debug >/dev/null || exit 2
fi
ninja -C "$BUILD" client/huce client/huce-net.so syncd/huce-syncd tests/tools/faultproxy >/dev/null || exit 2
san=$(python3 -c '
import json, sys
print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "b_sanitize"][0])
' "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null)
if [ "$san" != none ]; then
	echo "$0: $BUILD is a sanitizer build; valgrind needs a plain one" >&2
	exit 2
fi

OUT=$BUILD/memcheck
WRAP=$OUT/bin
mkdir -p "$WRAP"
SUPP=$SRC/tests/valgrind/valgrind.supp

# One wrapper per binary: the e2e tests run $HUCE and $HUCE_SYNCD.
for b in huce:client/huce huce-syncd:syncd/huce-syncd; do
	name=${b%%:*}
	cat >"$WRAP/$name" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
	--track-origins=yes --num-callers=30 --error-exitcode=1 --suppressions="$SUPP" \\
	--log-file="\$HUCE_VG_LOGDIR/vg.%p.log" "$BUILD/${b#*:}" "\$@"
EOF
	chmod +x "$WRAP/$name"
done

status=0
for t in $TESTS; do
	t=${t##*/}
	logdir=$OUT/${t%.sh}
	rm -rf "$logdir"
	mkdir -p "$logdir"
	echo "== $t under valgrind"
	start=$(date +%s)
	# The test runs from a copy next to a copy of lib.sh whose
	# start_central waits 60 s instead of 5 s for the port file: a
	# central under valgrind takes 5-15 s to start.
	mkdir -p "$logdir/e2e"
	sed 's/for _ in $(seq 1 100); do/for _ in $(seq 1 1200); do/' \
		"$SRC/tests/e2e/lib.sh" >"$logdir/e2e/lib.sh"
	cp "$SRC/tests/e2e/$t" "$logdir/e2e/$t"
	HUCE_VG_LOGDIR=$logdir HUCE=$WRAP/huce HUCE_SYNCD=$WRAP/huce-syncd \
		HUCE_BUILDDIR=$BUILD HUCE_SRCDIR=$SRC \
		bash "$logdir/e2e/$t" >"$logdir/test.log" 2>&1
	rc=$?
	sed 's/^/   /' "$logdir/test.log" | grep -v "^   ok "
	procs=$(ls "$logdir"/vg.*.log 2>/dev/null | wc -l)
	# A quiet log is an empty one: anything in it is an error or a leak.
	# A process killed by a signal (a test stopping a central that had
	# not finished starting) dies holding memory in registers and stack
	# frames valgrind no longer sees: its leak report means nothing, but
	# any other error in it counts.
	bad=0 killed=0
	for f in "$logdir"/vg.*.log; do
		[ -s "$f" ] || continue
		if grep -q "Process terminating with default action of signal" "$f" &&
			! grep -qE "Invalid (read|write|free)|uninitialised|Conditional jump|Mismatched|overlap" "$f"; then
			killed=$((killed + 1))
			continue
		fi
		bad=$((bad + 1))
		echo "   --- $f"
		head -n 60 "$f" | sed 's/^/   /'
	done
	echo "   $procs processes in $(($(date +%s) - start)) s; test exit $rc; $bad with errors or leaks; $killed killed by a signal"
	[ "$rc" = 0 ] && [ "$bad" = 0 ] && [ "$procs" -gt 0 ] || status=1
done
[ "$status" = 0 ] && echo "memcheck: clean" || echo "memcheck: NOT clean"
exit $status
