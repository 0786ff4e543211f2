#!/bin/sh
# Install the Debian 12 packages huce needs to build and test, once
# (debhelper ... dpkg-dev: `make test` builds the Debian packages, t0800):
# packages already present are not touched, and apt-get runs only when
# something is missing.  Runs as root (CI, a fresh machine); as another
# user it only reports what is missing.
set -eu
PKGS="build-essential meson ninja-build pkg-config python3 \
libsqlite3-dev sqlite3 libcurl4-openssl-dev libcjson-dev zlib1g-dev \
libmicrohttpd-dev libcmocka-dev libssl-dev libpq-dev libcsv-dev libsodium-dev postgresql xlsx2csv \
libxlsxwriter-dev faketime chromium curl jq openssl iproute2 \
debhelper devscripts lintian fakeroot dpkg-dev libturbojpeg0-dev libexif-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: not root; install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
