#!/bin/sh
# Smoke test of the bench generator (runs under `meson test`, so under
# `make test`): a small town, twice, must give the same records; the store
# holds one outbox entry per record and every kind the bench relies on.
set -eu
gen=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/huce-bench-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$gen" --seed 7 --scale 1 --records 3000 --db "$tmp/a.db" --jsonl "$tmp/a.jsonl" --quiet >"$tmp/a.json"
"$gen" --seed 7 --scale 1 --records 3000 --jsonl "$tmp/b.jsonl" --quiet >/dev/null
cmp "$tmp/a.jsonl" "$tmp/b.jsonl"
test "$(wc -l <"$tmp/a.jsonl")" -eq 3000
# every record is a new record: ids are unique
test "$(grep -o '"_id":"[^"]*"' "$tmp/a.jsonl" | sort -u | wc -l)" -eq 3000
for k in village group cadre team household inspection rectification; do
	grep -q "\"$k\":" "$tmp/a.json" || { echo "no $k records: $(cat "$tmp/a.json")" >&2; exit 1; }
done
for t in three-grid double-urn biogas urine-diversion double-pit sewer; do
	grep -q "\"type\":\"$t\"" "$tmp/a.jsonl" || { echo "no $t household" >&2; exit 1; }
done
grep -q '"result":"fail"' "$tmp/a.jsonl"
grep -q '"status":"closed"' "$tmp/a.jsonl"
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM outbox WHERE state = 'pending'")
	test "$n" -eq 3000 || { echo "outbox holds $n entries, not 3000" >&2; exit 1; }
fi
# The same records again, but only the inspections.
"$gen" --seed 7 --scale 1 --records 500 --kinds inspection --jsonl "$tmp/c.jsonl" --quiet >/dev/null
test "$(grep -c '"type":"inspection"' "$tmp/c.jsonl")" -eq 500
test "$(head -n 1 "$tmp/c.jsonl")" = "$(grep -m 1 '"type":"inspection"' "$tmp/a.jsonl")"
# "before" and "week" split the same stream
b=$("$gen" --seed 7 --scale 1 --phase before --quiet | sed 's/.*"records":\([0-9]*\).*/\1/')
w=$("$gen" --seed 7 --scale 1 --phase week --quiet | sed 's/.*"records":\([0-9]*\).*/\1/')
a=$("$gen" --seed 7 --scale 1 --quiet | sed 's/.*"records":\([0-9]*\).*/\1/')
test $((b + w)) -eq "$a"
echo "ok"
