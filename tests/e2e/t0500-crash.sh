#!/bin/bash
# t0500-crash.sh - the short crash-safety run of `make test`: 30 SIGKILLs
# at random instants of the CLI writing, of loaddriver's writer loop, of
# the agent pushing and pulling a large outbox, and of the central
# merging, then convergence and every check of tests/fault/crash.sh
# (docs/RELIABILITY.md), with outboxes of 200 records.  Then the checks
# are shown to bite: a planted lost record and a planted duplicate must
# each fail the driver.  About 75 s under ASan.  `make soak` runs the
# same driver with --kills 1000.  The seed is printed; rerun a failure
# with `tests/fault/crash.sh --kills 30 --seed S --keep --verbose`.

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

export HUCE HUCE_SYNCD
: "${HUCE_BUILDDIR:=$(dirname "$(dirname "$HUCE")")}"
export LOADDRIVER="${LOADDRIVER:-$HUCE_BUILDDIR/tests/tools/loaddriver}"
KILLS=${HUCE_CRASH_KILLS:-30}

TMPDIR=$TRASH bash "$HUCE_SRCDIR/tests/fault/crash.sh" --kills "$KILLS" --bulk 200 \
	>"$TRASH/crash.out" 2>&1
echo $? >"$TRASH/crash.rc"
grep -v '^# work directory kept' "$TRASH/crash.out" | sed 's/^\([^#]\)/# \1/' | tail -n 12

test_expect_success "kill -9 at $KILLS random instants loses and duplicates nothing" '
	test "$(cat "$TRASH/crash.rc")" = 0 &&
	grep -qx "kills=$KILLS lost=0 duplicated=0" "$TRASH/crash.out"
'

# The checks must be able to fail: plant a lost record, then a duplicate.
test_expect_success 'a planted lost record is caught' '
	if HUCE_CRASH_SELFTEST=lose TMPDIR=$TRASH bash "$HUCE_SRCDIR/tests/fault/crash.sh" \
		--kills 2 >lose.out 2>&1; then rc=0; else rc=$?; fi
	cat lose.out &&
	test $rc = 1 && grep -qx "kills=2 lost=2 duplicated=0" lose.out
'

test_expect_success 'a planted duplicate is caught' '
	if HUCE_CRASH_SELFTEST=dup TMPDIR=$TRASH bash "$HUCE_SRCDIR/tests/fault/crash.sh" \
		--kills 2 >dup.out 2>&1; then rc=0; else rc=$?; fi
	cat dup.out &&
	test $rc = 1 && grep -qx "kills=2 lost=0 duplicated=1" dup.out
'

test_done
