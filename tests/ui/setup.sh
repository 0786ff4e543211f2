#!/bin/sh
# setup.sh DIR - what the browser tests need, installed once:
#   Chromium from Debian (`chromium`, apt-get when root and missing), and
#   playwright-core from npm, pinned, into DIR/node_modules (DIR is in the
#   build folder, so nothing lands in the source tree).
# Exits 77 (meson's "skipped") with a clear message when Chromium cannot
# be installed; 1 when playwright-core cannot.
set -eu
DIR=$1
PLAYWRIGHT_CORE_VERSION=1.65.2
CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "# installing chromium (Debian package) for the browser tests"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
			>"$DIR.apt.log" 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
				>"$DIR.apt.log" 2>&1; } || true
	fi
	if [ ! -x "$CHROMIUM" ]; then
		echo "SKIP: the browser tests need Chromium ($CHROMIUM, Debian package chromium)," \
		     "which is not installed and could not be installed (not root, or no package source)"
		exit 77
	fi
fi
# A Chinese font, so that the screenshots show the pages as a cadre sees
# them (the pages load no fonts of their own).  Optional.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei \
		>/dev/null 2>&1 || echo "# no Chinese font (fonts-wqy-microhei): screenshots show boxes"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1 || true
	fi
fi
command -v node >/dev/null || { echo "the browser tests need node (Debian: nodejs)"; exit 1; }
mkdir -p "$DIR"
want=$PLAYWRIGHT_CORE_VERSION
have=$(node -e "try{console.log(require('$DIR/node_modules/playwright-core/package.json').version)}catch(e){}" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	echo "# installing playwright-core@$want into $DIR"
	( cd "$DIR" && [ -f package.json ] || echo '{"private": true}' >"$DIR/package.json"
	  cd "$DIR" && npm install --no-save --no-audit --no-fund --loglevel=error \
		"playwright-core@$want" ) >"$DIR/npm.log" 2>&1 ||
		{ cat "$DIR/npm.log"; echo "cannot install playwright-core@$want"; exit 1; }
fi
