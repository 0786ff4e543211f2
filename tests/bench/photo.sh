#!/usr/bin/env bash
# tests/bench/photo.sh - the photo figures of `make bench` (issue 13):
#
#   1. camera bytes against the bytes the laptop keeps and sends, for a set
#      of generated camera photos (tests/tools/mkjpeg: noise like a sensor's,
#      EXIF with orientation and GPS);
#   2. one photo over a 64 kbit/s, 300 ms link (tests/tools/faultproxy)
#      cut five times in the middle of the upload: the bytes sent over the
#      link against the photo's size (target: at most size + 5 chunks) and
#      the time against the line rate.
#
#   tests/bench/photo.sh BUILD WORKDIR OUT.json
#
# Prints a small table on stdout and writes the figures to OUT.json.
set -euo pipefail

BUILD=$1
W=$2
OUT=$3
HUCE=$BUILD/client/huce
SYNCD=$BUILD/syncd/huce-syncd
MKJPEG=$BUILD/tests/tools/mkjpeg
PROXY=$BUILD/tests/tools/faultproxy
RATE=${PHOTO_BENCH_RATE:-64000}		# bits per second
DELAY=${PHOTO_BENCH_DELAY:-150}		# ms one way: 300 ms round trip
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

rm -rf "$W"
mkdir -p "$W"
cd "$W"
h() { "$HUCE" --db "$W/l.db" "$@"; }

# the central, and a laptop enrolled directly
"$SYNCD" admin --store c.db device add l1 | tail -n 1 >tok
"$SYNCD" central --store c.db --listen 127.0.0.1:0 --port-file c.port --rate 0 >c.log 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do [ -s c.port ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat c.port)
h init --device l1 >/dev/null
h enroll "$URL" "$(cat tok)" >/dev/null
h village add 阿猛村 >/dev/null
h group add --village 阿猛村 一组 >/dev/null
HH=$(h household add --village 阿猛村 --group 一组 --head 刀建华 --approach new-build \
	--build self --type three-grid | tail -n 1)
h sync >/dev/null

# 1. camera photos: a phone's 12 MP and 8 MP, a compact's 16 MP, held both ways
i=0
for spec in "4000 3000 6 92" "3264 2448 1 90" "4608 3456 1 95" "3000 4000 1 88" "4000 3000 8 85"; do
	set -- $spec
	i=$((i + 1))
	"$MKJPEG" write cam$i.jpg --width "$1" --height "$2" --orientation "$3" --quality "$4" \
		--noise 35 --seed $i --taken 2026-11-2${i}T10:00:00 --gps 22.51234$i,100.71234$i
	h photo add "$HH" cam$i.jpg --kind after >/dev/null
done
h photo list "$HH" --json >kept.json

# 2. one photo over the slow link, cut five times
"$MKJPEG" write link.jpg --width 4000 --height 3000 --noise 35 --quality 92 --seed 99
h photo add "$HH" link.jpg --kind tank >/dev/null
SHA=$(h photo list "$HH" --json | python3 -c "import json,sys; print([p['sha256'] for p in json.load(sys.stdin) if p['kind']=='tank'][0])")
SIZE=$(stat -c %s "l.db.photos/$SHA.jpg")
# the first five connections reset after 60 kB each: every one of them
# dies with a chunk in flight
"$PROXY" --listen 127.0.0.1:0 --port-file p.port --target "127.0.0.1:$(cat c.port)" \
	--rate "$RATE" --delay "$DELAY" --reset-after 60000 --fail-first 5 --log p.log \
	--max-seconds 900 2>p.err &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do [ -s p.port ] && break; sleep 0.05; done
sqlite3 l.db "UPDATE meta SET value = 'http://127.0.0.1:$(cat p.port)' WHERE key = 'central_url'"
# the other photos go directly first: only this one crosses the slow link
sqlite3 l.db "UPDATE photo_file SET uploaded = 1 WHERE sha256 <> '$SHA'"
t0=$(date +%s.%N)
runs=0
while :; do
	runs=$((runs + 1))
	h sync >>sync.log 2>&1 || true
	[ "$(h status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["photos_not_uploaded"])')" = 0 ] && break
	[ $runs -lt 20 ] || { echo "photo bench: the photo did not arrive" >&2; exit 1; }
done
t1=$(date +%s.%N)
cmp "l.db.photos/$SHA.jpg" "c.db.blobs/$SHA"

python3 - "$OUT" "$SIZE" "$t0" "$t1" "$RATE" "$DELAY" "$runs" <<'PY'
import json, re, sys
out, size, t0, t1, rate, delay, runs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
kept = [p for p in json.load(open("kept.json"))]
c2s = resets = 0
for line in open("p.log"):
    m = re.search(r"c2s=(\d+)", line)
    c2s += int(m.group(1)) if m else 0
    resets += "fault=reset" in line
secs = t1 - t0
line_secs = size * 8 / rate
res = {
    "photos": [{"camera_bytes": p["camera_bytes"], "kept_bytes": p["bytes"],
                "pixels": "%dx%d" % (p["width"], p["height"])} for p in kept],
    "camera_bytes": sum(p["camera_bytes"] for p in kept),
    "kept_bytes": sum(p["bytes"] for p in kept),
    "link": {"rate_bits": rate, "rtt_ms": 2 * delay, "cuts": resets, "syncs": runs,
             "photo_bytes": size, "bytes_sent": c2s, "overhead_bytes": c2s - size,
             "overhead_chunks_64k": round((c2s - size) / 65536, 2),
             "target_bytes": size + 5 * 65536, "seconds": round(secs, 1),
             "line_rate_seconds": round(line_secs, 1),
             "time_vs_line_rate": round(secs / line_secs, 2)},
}
json.dump(res, open(out, "w"), indent=1)
print("photos: camera bytes against the laptop's kept copy (what is sent)")
print("  %-10s %12s %10s %7s" % ("pixels", "camera", "kept", "ratio"))
for p in kept:
    print("  %-10s %12d %10d %6.1fx" % ("%dx%d" % (p["width"], p["height"]), p["camera_bytes"],
                                        p["bytes"], p["camera_bytes"] / p["bytes"]))
print("  %-10s %12d %10d %6.1fx" % ("all", res["camera_bytes"], res["kept_bytes"],
                                    res["camera_bytes"] / res["kept_bytes"]))
l = res["link"]
print("one photo over %d kbit/s, %d ms RTT, cut %d times (%d syncs):" %
      (rate // 1000, 2 * delay, resets, runs))
print("  photo %d bytes, sent %d bytes over the link (+%d = %.2f chunks of 64 KiB; target <= size + 5 chunks: %s)" %
      (size, c2s, c2s - size, l["overhead_chunks_64k"], "met" if c2s <= l["target_bytes"] else "MISSED"))
print("  %.1f s, line rate %.1f s: %.2fx" % (secs, line_secs, l["time_vs_line_rate"]))
PY
