#!/bin/sh
# deb.sh [--no-test] [OUTDIR] - build the Debian packages huce and huce-central
# (debian/, dh with meson), check them with lintian, and run the
# package test (tests/e2e/t0800-packages.sh: both unpacked into a temporary
# root, the demo story from there).  `make deb` runs it.
#
# The source is copied (the files git knows, committed or not) into
# OUTDIR/src/huce-VERSION and built there, so dpkg-buildpackage writes
# nothing into the checkout or beside it; the .deb files, the .changes
# and lintian's report end up in OUTDIR (default build-deb).
set -eu
RUN_TEST=1
if [ "${1:-}" = --no-test ]; then
	RUN_TEST=
	shift
fi
OUT=${1:-build-deb}
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The packaging tools, once (the build's own packages: scripts/deps.sh).
PKGS="debhelper devscripts lintian fakeroot dpkg-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deb.sh: not root; install these packages first:$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
MESON_VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$SRC/meson.build")
if [ "$VERSION" != "$MESON_VERSION" ]; then
	echo "deb.sh: debian/changelog says $VERSION, meson.build says $MESON_VERSION" >&2
	exit 1
fi
rm -rf "$OUT/src" "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
TREE="$OUT/src/huce-$VERSION"
mkdir -p "$TREE"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) | tar -C "$TREE" -xf -

start=$(date +%s)
(cd "$TREE" && DEB_BUILD_OPTIONS="parallel=${HUCE_DEB_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1) || {
	tail -n 40 "$OUT/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed (whole log: $OUT/build.log)" >&2
	exit 1
}
mv "$OUT"/src/*.deb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo "$OUT"/
echo "built in $(( $(date +%s) - start )) s:"
ls -1 "$OUT"/*.deb

# lintian: no errors allowed (warnings and notes are listed).
CHANGES=$(ls "$OUT"/*.changes)
lintian --fail-on error --tag-display-limit 0 "$CHANGES" >"$OUT/lintian.txt" 2>&1 || {
	cat "$OUT/lintian.txt" >&2
	echo "deb.sh: lintian found errors" >&2
	exit 1
}
echo "lintian: no errors ($(grep -c '^W:' "$OUT/lintian.txt" || true) warnings; $OUT/lintian.txt)"
grep '^[EW]:' "$OUT/lintian.txt" || true

[ -n "$RUN_TEST" ] || exit 0
HUCE_DEB_DIR="$OUT" HUCE_SRCDIR="$SRC" bash "$SRC/tests/e2e/t0800-packages.sh"
