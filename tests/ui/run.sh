#!/bin/sh
# run.sh - the browser tests of `huce ui` (tests/ui/ui.test.js) in
# headless Chromium, driven by playwright-core; run by `meson test`
# (suite ui).  Screenshots go to $HUCE_BUILDDIR/ui-screenshots/.
set -u
: "${HUCE_BUILDDIR:?}"
: "${HUCE_SRCDIR:?}"
DIR=$HUCE_BUILDDIR/tests-ui-node
"$HUCE_SRCDIR/tests/ui/setup.sh" "$DIR"
rc=$?
[ "$rc" = 0 ] || exit "$rc"
HUCE_UI_NODE_DIR=$DIR exec node "$HUCE_SRCDIR/tests/ui/ui.test.js"
