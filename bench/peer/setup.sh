#!/bin/sh
# Installs the PouchDB peer's npm packages into bench/peer/node_modules (an
# ignored folder), only when they are missing.  Bench-only: nothing here is
# needed to build or test huce.  Versions are pinned in package.json and
# package-lock.json.  leveldown ships prebuilt linux-x64 binaries in its npm
# package, so nothing is compiled.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
if [ -f "$dir/node_modules/pouchdb/package.json" ] &&
   [ -f "$dir/node_modules/express-pouchdb/package.json" ] &&
   [ -f "$dir/node_modules/express/package.json" ]; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "bench/peer/setup.sh: npm not found (Node 20 and npm are needed for the PouchDB peer)" >&2; exit 1; }
echo "bench/peer: installing pouchdb, express, express-pouchdb (npm)" >&2
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error
# leveldown must load (prebuilt binary) or the peer cannot use leveldb.
(cd "$dir" && node -e "require('leveldown')") || {
	echo "bench/peer/setup.sh: leveldown does not load on this machine" >&2; exit 1; }
