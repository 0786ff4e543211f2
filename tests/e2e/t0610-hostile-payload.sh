#!/bin/bash
# t0610-hostile-payload.sh - hostile batch *contents* (issue 4, item 3),
# beyond the framing and zlib cases of t0300/t0310 and tests/e2e/hostile/:
# well-formed, correctly compressed batches whose JSON payload is wrong
# in every way a client can make it wrong: invalid UTF-8 (raw, overlong,
# surrogate, cut short), wrong shapes, wrong types at the entry level,
# duplicate keys, huge strings and keys, control characters and escaped
# NUL bytes, SQL metacharacters in values, field names, kinds and ids,
# numbers out of range, unknown kinds and fields, fields only the central
# may set, kinds devices may not push.
#
# The contract (docs/PROTOCOL.md 2.1, DESIGN.md 5): a payload that is not
# the documented shape is refused whole with 400 {"error":"malformed"}
# and nothing is stored (the device's seq does not move); a well-shaped
# entry whose fields are wrong is listed in "rejected" of a 200 answer
# and only it is left out; SQL metacharacters in free text are data and
# are stored verbatim.  Every answer is JSON in valid UTF-8.  After every
# case the central answers /v1/health; at the end the store holds exactly
# the records that should have landed and passes integrity_check.
#
# The cases are generated at test time by the Python below from
# tests/tools/mkbatch.py (an independent encoder of the batch format);
# the list is the corpus.  Known product bugs this test catches:
#   nul-escape        "\u0000" inside a string was cut there (now refused)
#   msg-utf8-cut      a refusal message cuts a UTF-8 character in half

. "$(dirname "$0")/lib.sh"
. "$HUCE_SRCDIR/tests/tools/httplib.sh"

S="$TRASH/central.db"
B="$TRASH/b"
mkdir -p "$TRASH/cases"

cat >"$TRASH/gen.py" <<'EOF'
import json, os, random, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "tools"))
import mkbatch

out = sys.argv[2]
DEV = "laptop-1"
V = mkbatch.uuid7("t0610", 0)
G = mkbatch.uuid7("t0610", 1)
MISSING = mkbatch.uuid7("t0610", 99999)
rng = random.Random(610)
seq = 1          # the next seq the central expects
n = 0
manifest = []

def ent(s, kind, fields, id=None, op="put", base=0):
    return {"seq": s, "id": id or mkbatch.uuid7("t0610", 1000 + s),
            "kind": kind, "op": op, "base": base,
            "hlc": mkbatch.hlc(s, 1767225600000), "fields": fields}

def hh(s, head="户主", **kw):
    f = {"village_id": V, "group_id": G, "head": head,
         "approach": "new-build", "build": "self", "type": "three-grid"}
    f.update(kw)
    return ent(s, "household", f)

def emit(name, raw, first, last, count, status, code="-", applied="-",
         rejected="-"):
    global n
    n += 1
    fn = "%03d-%s.hucb" % (n, name)
    with open(os.path.join(out, fn), "wb") as f:
        f.write(mkbatch.batch(DEV, first, last, count, raw))
    manifest.append("%s %s %s %s %s" % (fn, status, code, applied, rejected))

def refused(name, raw_or_entries, count=None, first=None, last=None):
    """A payload the central must refuse whole: 400 malformed."""
    if isinstance(raw_or_entries, bytes):
        raw = raw_or_entries
    else:
        raw = json.dumps({"entries": raw_or_entries}, ensure_ascii=False).encode()
    emit(name, raw, seq if first is None else first,
         seq if last is None else last, 1 if count is None else count,
         400, "malformed")

def landed(name, entries, applied, rejected, raw=None):
    """Well-shaped entries: 200, some applied, some rejected."""
    global seq
    if raw is None:
        raw = json.dumps({"entries": entries}, ensure_ascii=False).encode()
    emit(name, raw, entries[0]["seq"], entries[-1]["seq"], len(entries),
         200, "-", applied, rejected)
    seq = entries[-1]["seq"] + 1

def sub(entry, old, new):
    """The entry as JSON text with one literal replaced (bytes)."""
    return json.dumps({"entries": [entry]}, ensure_ascii=False).encode().replace(old, new, 1)

landed("base", [ent(1, "village", {"name": "村"}, id=V),
                ent(2, "group", {"village_id": V, "name": "组"}, id=G)], 2, 0)

# --- refused whole: 400 malformed, seq stays -----------------------------
e = hh(seq, "XX")
refused("utf8-raw-ff", sub(e, b'"XX"', b'"\xff\xfe"'))
refused("utf8-overlong", sub(e, b'"XX"', b'"\xc0\xaf"'))
refused("utf8-surrogate", sub(e, b'"XX"', b'"\xed\xa0\x80"'))
refused("utf8-cut", sub(e, b'"XX"', b'"\xe5\x8e"'))
refused("utf8-above-10ffff", sub(e, b'"XX"', b'"\xf4\x90\x80\x80"'))
refused("utf8-in-key", sub(e, b'"head"', b'"he\xffad"'))
refused("trailing-json", json.dumps({"entries": [e]}).encode() + b' {"entries":[]}')
for name, key, val in [
        ("seq-string", "seq", str(seq)), ("seq-float", "seq", seq + 0.5),
        ("seq-zero", "seq", 0), ("seq-negative", "seq", -1),
        ("seq-2e64", "seq", 2 ** 64), ("seq-null", "seq", None),
        ("base-string", "base", "0"), ("base-negative", "base", -5),
        ("base-float", "base", 1.25), ("hlc-number", "hlc", 12345),
        ("hlc-upper", "hlc", mkbatch.hlc(seq, 1767225600000).upper().replace("0", "A")),
        ("hlc-short", "hlc", "0123"), ("hlc-sql", "hlc", "' OR 1=1 --    "),
        ("id-number", "id", 42), ("id-sql", "id", "' OR '1'='1"),
        ("id-huge", "id", "".join(rng.choice("0123456789abcdef-") for _ in range(200000))),
        ("kind-number", "kind", 7), ("kind-null", "kind", None),
        ("op-upsert", "op", "upsert"), ("op-sql", "op", "put' --"),
        ("fields-string", "fields", "head=x"), ("fields-array", "fields", [1]),
        ("fields-null", "fields", None)]:
    bad = dict(e)
    bad[key] = val
    refused(name, [bad])
bad = dict(e); bad["extra"] = 1
refused("entry-extra-key", [bad])
bad = dict(e); del bad["hlc"]
refused("entry-missing-key", [bad])
refused("root-extra-key", json.dumps({"entries": [e], "admin": True}).encode())
refused("root-dup-entries", b'{"entries":[],"entries":' + json.dumps([e]).encode() + b"}")
refused("entry-dup-seq-key", sub(e, b'"seq": %d' % seq, b'"seq": %d, "seq": %d' % (seq, seq + 1)))
refused("entry-not-object", b'{"entries":[[1,2]]}')
refused("entries-null", b'{"entries":null}')
refused("count-mismatch", [e], count=2, last=seq + 1)
refused("seq-outside-header", [hh(seq + 3)], first=seq, last=seq + 1)
refused("seq-repeated", [hh(seq), hh(seq)], count=2, last=seq + 1)
refused("seq-descending", [hh(seq + 1), hh(seq)], count=2, last=seq + 1)

# --- well shaped, bad fields: 200 with the entry rejected ----------------
landed("type-head-number", [hh(seq, 123)], 0, 1)
landed("type-water-bool", [hh(seq, water=True)], 0, 1)
landed("type-target-n-string", [ent(seq, "target", {"village_id": V, "week": "2026-W10", "n": "5"})], 0, 1)
landed("enum-type", [hh(seq, type="golden-toilet")], 0, 1)
landed("enum-sql", [hh(seq, water="wet' OR '1'='1")], 0, 1)
landed("week-99", [hh(seq, planned_week="2026-W99")], 0, 1)
landed("ref-not-id", [hh(seq, village_id="not-an-id")], 0, 1)
landed("ref-missing", [hh(seq, village_id=MISSING)], 0, 1)
landed("kind-unknown", [ent(seq, "admin", {"name": "x"})], 0, 1)
landed("kind-sql", [ent(seq, "household'; DROP TABLE record; --", {"head": "x"})], 0, 1)
landed("field-unknown", [hh(seq, is_admin=True)], 0, 1)
landed("field-sql-name", [hh(seq, **{"head\" = 'x' --": 1})], 0, 1)
landed("field-local-only", [hh(seq, head_norm="x")], 0, 1)
landed("kind-conflict", [ent(seq, "conflict", {"kind": "field", "record": V, "vals": [], "status": "resolved"})], 0, 1)
landed("missing-required", [ent(seq, "household", {"village_id": V, "group_id": G, "approach": "new-build", "build": "self", "type": "three-grid"})], 0, 1)
landed("head-2mb-cjk", [hh(seq, "".join(chr(rng.randint(0x4e00, 0x9fff)) for _ in range(700000)))], 0, 1)
landed("key-100k", [hh(seq, **{"".join(rng.choice("abcdefghij") for _ in range(100000)): 1})], 0, 1)
landed("ctrl-escape", [hh(seq, "\u001b[31mred")], 0, 1)
landed("ctrl-del", [hh(seq, "a\u007fb")], 0, 1)
landed("int-1e300", [ent(seq, "target", {"village_id": V, "week": "2026-W11", "n": 1}, id=mkbatch.uuid7("t0610", 5000))], 0, 1,
       raw=sub(ent(seq, "target", {"village_id": V, "week": "2026-W11", "n": 1}, id=mkbatch.uuid7("t0610", 5000)), b'"n": 1', b'"n": 1e300'))
landed("int-negative", [ent(seq, "target", {"village_id": V, "week": "2026-W12", "n": -1})], 0, 1)
landed("delete-unknown", [ent(seq, "household", {}, id=MISSING, op="delete")], 0, 1)
landed("nul-escape", [hh(seq, "abc\u0000def")], 0, 1)
landed("msg-utf8-cut", [hh(seq, "周", planned_week="一二三四五六七八九十一二三四")], 0, 1)
landed("many-rejected", [ent(seq + i, "nosuchkind", {}) for i in range(5000)], 0, 5000)

# --- SQL metacharacters and odd text are data: stored verbatim ------------
landed("sql-head", [hh(seq, "Robert'); DROP TABLE record;--")], 1, 0)
landed("sql-percent", [hh(seq, "100% _ %s %n \\ \" ` $(id) ;")], 1, 0)
landed("emoji", [hh(seq, "厕所🚽𠀀")], 1, 0)
# cJSON skips a UTF-8 byte order mark; harmless, and so accepted.
landed("bom", [hh(seq, "BOM")], 1, 0,
       raw=b"\xef\xbb\xbf" + json.dumps({"entries": [hh(seq, "BOM")]}).encode())
landed("mixed", [hh(seq, "好一"), hh(seq + 1, 999), hh(seq + 2, "好二")], 2, 1)

with open(os.path.join(out, "MANIFEST"), "w") as f:
    f.write("\n".join(manifest) + "\n")
EOF

test_expect_success 'generate the cases and set up a device' '
	python3 "$TRASH/gen.py" "$HUCE_SRCDIR" "$TRASH/cases" &&
	test "$(wc -l <"$TRASH/cases/MANIFEST")" -ge 70 &&
	new_token "$S" laptop-1 >"$TRASH/tok1" &&
	test -s "$TRASH/tok1"
'
T1=$(cat "$TRASH/tok1" 2>/dev/null)
start_central c "$S" --rate 0 || exit 1

# utf8_json FILE: FILE is JSON in strict UTF-8.
utf8_json() {
	python3 -c '
import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
' "$1" || { echo "answer is not UTF-8 JSON:" >&2; head -c 600 "$1" >&2; return 1; }
}

hwm() {
	sqlite3 "$S" "SELECT hwm FROM device WHERE name = 'laptop-1'"
}

while read -r file status code applied rejected; do
	[ -n "$file" ] || continue
	if [ "$status" = 400 ]; then what="400 $code"; else what="200 applied=$applied rejected=$rejected"; fi
	test_expect_success "${file%.hucb}: $what" '
		before=$(hwm) &&
		post_batch "$status" "$B" "$c_URL" "$T1" "$TRASH/cases/$file" &&
		utf8_json "$B" &&
		if [ "$status" = 400 ]; then
			expect_error "$B" "$code" &&
			test "$(hwm)" = "$before"
		else
			test "$(jget "$B" "d[\"applied\"]")" = "$applied" &&
			test "$(jget "$B" "len(d[\"rejected\"])")" = "$rejected" &&
			test "$(jget "$B" "all(r[\"error\"] and r[\"message\"] and len(r[\"message\"]) < 400 for r in d[\"rejected\"])")" = true
		fi &&
		health_ok "$c_URL"
	'
done <"$TRASH/cases/MANIFEST"

test_expect_success 'only the good records landed, metacharacters verbatim' '
	"$HUCE_SYNCD" admin --store "$S" household list --json >"$TRASH/hh.json" &&
	jq -r "map(.head) | sort | .[]" "$TRASH/hh.json" >"$TRASH/heads" &&
	printf "%s\n" "100% _ %s %n \\ \" \` \$(id) ;" "Robert'"'"'); DROP TABLE record;--" \
		"厕所🚽𠀀" "好一" "好二" BOM | sort >"$TRASH/heads.want" &&
	test_cmp "$TRASH/heads.want" "$TRASH/heads" &&
	test "$(sqlite3 "$S" "SELECT count(*) FROM record WHERE kind = '"'"'target'"'"'")" = 0
'

test_expect_success 'the store is intact and the central is clean' '
	test "$(sqlite3 "$S" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$S" "SELECT count(*) FROM sqlite_master WHERE name IN ('"'"'record'"'"', '"'"'field'"'"', '"'"'device'"'"')")" = 3 &&
	health_ok "$c_URL" &&
	kill -0 "$c_PID" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TRASH/c.log"
'

stop_central c
test_done
