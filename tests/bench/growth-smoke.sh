#!/bin/sh
# Smoke test of the growth probe (runs under `meson test`, so under
# `make test`, ASan included): two stores of a small town's first ~500
# and ~1,600 records (whole batches of the agent's growing budget), two
# rounds of a warm-up and one timed batch (1 MiB) each;
# every round of every store must apply its batches and report a cost.
set -eu
gen=$1
growth=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/huce-growth-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=$("$gen" --seed 7 --scale 1 --db "$tmp/data.db" --quiet | sed 's/.*"records":\([0-9]*\).*/\1/')
"$growth" --db "$tmp/data.db" --dir "$tmp" --device lap --points 500,1000 \
	--rounds 2 --batches 1 --warmup 1 >"$tmp/out.json"
test "$(grep -o '"stored":[1-9][0-9]*,"source":"built"' "$tmp/out.json" | wc -l)" -eq 2 ||
	{ echo "not two stores: $(cat "$tmp/out.json")" >&2; exit 1; }
# 2 stores x 2 rounds, each with a positive cost and records applied
test "$(grep -o '"cpu_us_per_record":[0-9.]*' "$tmp/out.json" | grep -vc ':0.000$')" -eq 4
test "$(grep -o '"entries":[1-9][0-9]*' "$tmp/out.json" | wc -l)" -eq 4
# the copies and the built stores are removed
test -z "$(ls "$tmp" | grep -v -e '^data.db' -e '^out.json$')" ||
	{ echo "left behind: $(ls "$tmp")" >&2; exit 1; }
# a store that no records follow in the data set (all n of it) is an
# error, not a figure
if "$growth" --db "$tmp/data.db" --dir "$tmp" --device lap --points "$n" --rounds 1 \
	>/dev/null 2>"$tmp/err"; then
	echo "a store with no records after it was measured" >&2
	exit 1
fi
grep -q 'no records follow' "$tmp/err"
echo "ok"
