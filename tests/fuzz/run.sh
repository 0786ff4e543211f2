#!/bin/bash
# tests/fuzz/run.sh - build the fuzz targets as libFuzzer binaries with
# clang and run each one for a while (`make fuzz`).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS is the time per target (default 60); TARGET is any of batch,
# checklist, record, apply, csv, photo (default: all).  Everything goes to
# build-fuzz/ ($HUCE_FUZZ_BUILD):
#   build-fuzz/                   a meson tree of libhuce-common built by
#                                 clang with ASan+UBSan and coverage
#                                 instrumentation (-fsanitize=fuzzer-no-link)
#   build-fuzz/fuzz_<t>           the libFuzzer binaries
#   build-fuzz/corpus/<t>/        the working corpus: new interesting inputs
#                                 are saved here and kept between runs
#   build-fuzz/crashes/<t>-*      what libFuzzer found (crash, leak, timeout,
#                                 out of memory), with a log per target
# The seed corpus tests/fuzz/corpus/<t>/ is read, never written, unless
# HUCE_FUZZ_MERGE=1: then, after the run, the working corpus is minimised
# into it (libFuzzer -merge=1 keeps only inputs that add coverage), so
# the replayers in `make test` run what the fuzzer learned.  A crashing
# input belongs in the seed corpus too (copy it there by hand once the
# bug is understood), so the replayer reproduces it until it is fixed.
#
# UBSan is built with -fno-sanitize-recover, so undefined behaviour is a
# crash, as a heap overflow is.  Extra libFuzzer options can be passed in
# $HUCE_FUZZ_ARGS (e.g. "-jobs=2 -workers=2" or "-max_len=65536"), and
# extra compiler flags in $HUCE_FUZZ_CFLAGS: to look past a known,
# not yet fixed finding, use another build directory and switch its
# check off, e.g.
#   HUCE_FUZZ_BUILD=build-fuzz-nofc \
#   HUCE_FUZZ_CFLAGS=-fno-sanitize=float-cast-overflow tests/fuzz/run.sh 600
#
# Exit status: 0 when no target found anything, 1 when one did (the
# files are listed), 2 on a build or usage error.

set -u

DURATION=${1:-60}
case "$DURATION" in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [batch|checklist|record|apply|csv|photo]..." >&2
	exit 2
	;;
esac
[ $# -gt 0 ] && shift
TARGETS=${*:-batch checklist record apply csv photo}

SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${HUCE_FUZZ_BUILD:-$SRC/build-fuzz}
CLANG=${HUCE_FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined ${HUCE_FUZZ_CFLAGS:-}"

command -v "$CLANG" >/dev/null || {
	echo "$0: $CLANG is not installed (apt-get install clang)" >&2
	exit 2
}

# libhuce-common (and the embedded schemas) through meson, so the flags
# and generated sources are the project's own.
if [ ! -f "$OUT/build.ninja" ]; then
	CC=$CLANG meson setup "$OUT" "$SRC" -Dtests=false -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined ${HUCE_FUZZ_CFLAGS:-}" \
		>"$OUT.setup.log" 2>&1 || {
		cat "$OUT.setup.log" >&2
		exit 2
	}
	mv "$OUT.setup.log" "$OUT/setup.log"
fi
ninja -C "$OUT" common/libhuce-common.a >"$OUT/ninja.log" 2>&1 || {
	cat "$OUT/ninja.log" >&2
	exit 2
}

LIBS="$OUT/common/libhuce-common.a $(pkg-config --libs sqlite3 libcjson zlib libcrypto libsodium libturbojpeg libexif) -lpthread -lm"
INC="-I$SRC/common -I$SRC/syncd -I$SRC/syncd/central $(pkg-config --cflags libcjson)"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -DHUCE_LIBFUZZER -fsanitize=fuzzer $SAN"

build_target() {
	t=$1
	extra=""
	# The store without HUCE_HAVE_LIBPQ: store_backend.h's stub refuses
	# postgres:// stores.
	[ "$t" = apply ] && extra="$SRC/syncd/central/merge.c $SRC/syncd/central/store.c $SRC/syncd/central/store_sqlite.c"
	# The CSV reader on Debian's libcsv (no pkg-config file).
	[ "$t" = csv ] && extra="$SRC/syncd/central/csv_table.c -lcsv"
	# shellcheck disable=SC2086
	"$CLANG" $CFLAGS $INC -o "$OUT/fuzz_$t" "$SRC/tests/fuzz/fuzz_$t.c" \
		$extra $LIBS
}

mkdir -p "$OUT/crashes"
found=0
for t in $TARGETS; do
	[ -f "$SRC/tests/fuzz/fuzz_$t.c" ] || {
		echo "$0: no target '$t'" >&2
		exit 2
	}
	build_target "$t" || {
		echo "$0: cannot build fuzz_$t" >&2
		exit 2
	}
	mkdir -p "$OUT/corpus/$t"
	before=$(find "$OUT/crashes" -name "$t-*" | wc -l)
	echo "== fuzz_$t: $DURATION s, corpus $OUT/corpus/$t + tests/fuzz/corpus/$t"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	"$OUT/fuzz_$t" -max_total_time="$DURATION" -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$OUT/crashes/$t-" ${HUCE_FUZZ_ARGS:-} \
		"$OUT/corpus/$t" "$SRC/tests/fuzz/corpus/$t" \
		>"$OUT/fuzz_$t.log" 2>&1
	rc=$?
	grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^Done|^#[0-9]+ *DONE" \
		"$OUT/fuzz_$t.log" | sed 's/^/   /'
	echo "   corpus: $(ls "$OUT/corpus/$t" | wc -l) working, $(ls "$SRC/tests/fuzz/corpus/$t" | wc -l) seed"
	after=$(find "$OUT/crashes" -name "$t-*" | wc -l)
	if [ "$rc" != 0 ] || [ "$after" != "$before" ]; then
		found=1
		echo "   FOUND (exit $rc): see $OUT/fuzz_$t.log"
		grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+: invariant)" \
			"$OUT/fuzz_$t.log" | head -5 | sed 's/^/   /'
		find "$OUT/crashes" -name "$t-*" | sed "s|^|   |"
	fi
	if [ "${HUCE_FUZZ_MERGE:-0}" = 1 ] && [ "$rc" = 0 ]; then
		"$OUT/fuzz_$t" -merge=1 "$SRC/tests/fuzz/corpus/$t" "$OUT/corpus/$t" \
			>"$OUT/merge_$t.log" 2>&1 &&
			echo "   merged into tests/fuzz/corpus/$t: $(ls "$SRC/tests/fuzz/corpus/$t" | wc -l) inputs"
	fi
done
exit $found
