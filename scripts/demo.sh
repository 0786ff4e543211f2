#!/bin/bash
# demo.sh BUILDDIR - the whole offline -> sync -> merge story, on the
# embedded SQLite default, in a throwaway directory.
# demo.sh --prefix PREFIX - the same with the installed binaries
# PREFIX/bin/huce and PREFIX/bin/huce-syncd (a `meson install`, or the
# Debian packages unpacked into a root: tests/e2e/t0800-packages.sh).
#
# Two cadres' laptops record households and inspections offline in the
# villages of 阿猛镇, both edit one household differently and both
# register one household, then sync to the town office's central
# instance on 127.0.0.1.  The office sees and resolves the conflicts,
# both laptops sync again and all three agree.  A third laptop, in a
# village with no link at all, only ever syncs by USB stick: enrolled by
# a file from the office, its round carried to the office and back.  It ends by writing the
# office's reports of the week and the month as CSV, XLSX and HTML into
# $HUCE_DEMO_REPORTS (default BUILDDIR/demo-reports) and printing their
# paths.
set -euo pipefail
if [ "${1:-}" = --prefix ]; then
	[ -n "${2:-}" ] || { echo "usage: demo.sh BUILDDIR | --prefix PREFIX" >&2; exit 2; }
	B=.
	HUCE=$(realpath "$2/bin/huce")
	SYNCD=$(realpath "$2/bin/huce-syncd")
else
	B=${1:-build}
	HUCE=$(realpath "$B/client/huce")
	SYNCD=$(realpath "$B/syncd/huce-syncd")
fi
D=$(mktemp -d "${TMPDIR:-/tmp}/huce-demo.XXXXXX")
CENTRAL_PID=
cleanup() {
	[ -n "$CENTRAL_PID" ] && kill "$CENTRAL_PID" 2>/dev/null && wait "$CENTRAL_PID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$HUCE#huce#; s#$SYNCD#huce-syncd#; s#$D/##g"; "$@"; }
A() { "$HUCE" --db "$D/laptop-a.db" "$@"; }
Bl() { "$HUCE" --db "$D/laptop-b.db" "$@"; }
Cl() { "$HUCE" --db "$D/laptop-c.db" "$@"; }
ADMIN() { "$SYNCD" admin --store "$D/central.db" "$@"; }
WEEK=$(date +%G-W%V)

step "The town office starts its central instance (127.0.0.1, a free port)"
"$SYNCD" central --store "$D/central.db" --listen 127.0.0.1:0 --port-file "$D/port" \
	2>"$D/central.log" &
CENTRAL_PID=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat "$D/port")
echo "central at $URL"
TOKA=$(ADMIN device add laptop-a | tail -n 1)
TOKB=$(ADMIN device add laptop-b | tail -n 1)
echo "device tokens issued for laptop-a and laptop-b (shown once, stored hashed)"

step "Laptop A (挂包干部 李春华) is set up at the office and enrolled"
run A init --device laptop-a --town 阿猛镇 >/dev/null
run A enroll "$URL" "$TOKA"
run Bl init --device laptop-b --town 阿猛镇 >/dev/null
run Bl enroll "$URL" "$TOKB"

step "In the villages, offline: laptop A registers villages, groups, cadres, a team"
A village add 阿猛村 >/dev/null
A village add 龙树村 >/dev/null
A group add --village 阿猛村 一组 >/dev/null
A group add --village 阿猛村 二组 >/dev/null
A group add --village 龙树村 大寨 >/dev/null
A cadre add 李春华 --role 挂包干部 >/dev/null
A cadre add 王建国 --role 验收组 >/dev/null
A team add 阿猛第一施工队 --leader 陶文 >/dev/null
run A village list

step "Laptop A registers households (ID numbers are kept masked only)"
H1=$(A household add --village 阿猛村 --group 一组 --head 刀建华 --approach new-build \
	--build contracted --team 阿猛第一施工队 --type three-grid --cadre 李春华 \
	--id-number 11010519491231002X --planned-week "$WEEK" | tail -n 1)
H2=$(A household add --village 阿猛村 --group 一组 --head 白玉兰 --approach biogas-retrofit \
	--build self --type biogas --cadre 李春华 | tail -n 1)
H3=$(A household add --village 龙树村 --group 大寨 --head 杨正明 --approach new-build \
	--build self --type double-urn --cadre 李春华 --water dry | tail -n 1)
echo "a second household for the team before its first toilet passes is refused (首厕过关):"
run A household add --village 阿猛村 --group 二组 --head 李有才 --approach new-build \
	--build contracted --team 阿猛第一施工队 --type three-grid || echo "(exit $?)"
run A household list

step "Inspections (验收) against the checklists; a critical item vetoes"
COMMON="--item walls_roof_door=yes --item room_area=1.6 --item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes"
# an acceptance carries its after and plaque photos (checklist photo_required);
# a JPEG taken today stands in for the phone's pictures (tests/tools/mkjpeg
# in a build with tests; else scripts/demo-photo.jpg, whose older EXIF date
# the laptop flags as taken long before the inspection)
MKJPEG=$(realpath "$B/tests/tools/mkjpeg" 2>/dev/null || true)
if [ -x "$MKJPEG" ]; then
	"$MKJPEG" write "$D/accept.jpg" --width 1600 --height 1200 --noise 20 \
		--seed 3 --taken "$(date +%Y-%m-%d)T10:30:00" --gps 22.512345,100.712345
else
	cp "$(dirname "$(realpath "$0")")/demo-photo.jpg" "$D/accept.jpg"
fi
COMMON="$COMMON --photo after=$D/accept.jpg --photo plaque=$D/accept.jpg"
run A inspect "$H1" --stage first-toilet --inspector 王建国 $COMMON \
	--item tank_volume=1.8 --item effective_depth=1.2 --item inlet_pipe_diameter=110 \
	--item vent_height=600 --result pass | tail -n 2
run A inspect "$H3" --stage completion --inspector 王建国 $COMMON \
	--item total_volume=1.0 --item urns_intact=yes --result pass || true
run A rectify list
echo "the team's first toilet passed, so it may now take more households:"
H4=$(A household add --village 阿猛村 --group 二组 --head 李有才 --approach new-build \
	--build contracted --team 阿猛第一施工队 --type three-grid | tail -n 1)
echo "$H4"
run A target set --village 阿猛村 --week "$WEEK" 5
run A status

step "Photos (改厕前/改厕后): the laptop keeps a re-encoded copy; the camera files may go"
if [ -x "$MKJPEG" ]; then
	TODAY=$(date +%Y-%m-%d)
	"$MKJPEG" write "$D/IMG_0001.JPG" --width 4000 --height 3000 --noise 35 --quality 92 \
		--orientation 6 --taken "${TODAY}T09:12:00" --gps 22.512345,100.712345
	"$MKJPEG" write "$D/IMG_0002.JPG" --width 4000 --height 3000 --noise 35 --quality 92 \
		--seed 2 --taken "${TODAY}T15:40:00" --gps 22.512360,100.712330
	ls -l "$D"/IMG_000?.JPG | awk '{print "camera file " $NF ": " $5 " bytes"}' | sed "s#$D/##"
	run A photo add "$H1" "$D/IMG_0001.JPG" --kind before
	run A photo add "$H1" "$D/IMG_0002.JPG" --kind after
	rm "$D"/IMG_000?.JPG
	run A photo list "$H1"
else
	echo "(no $B/tests/tools/mkjpeg: build with -Dtests=true to see photos)"
fi

step "Laptop A syncs at the office (push outbox, pull merged state; photos last)"
run A sync
[ ! -x "$MKJPEG" ] || run ADMIN photos
step "Laptop B syncs and receives everything A recorded (photo records; bytes on demand)"
run Bl sync
if [ -x "$MKJPEG" ]; then
	run Bl photo list "$H1"
	SHA=$(Bl photo list "$H1" --json | jq -r --arg h "$H1" '.[] | select(.kind == "after" and .owner == $h) | .sha256')
	run Bl photo get "$SHA" --out "$D/after.jpg"
fi

step "Both go back offline.  Both change 白玉兰's toilet type, and both register 张秀英"
run A household set "$H2" type=urine-diversion
run Bl household set "$H2" type=double-pit
A household add --village 龙树村 --group 大寨 --head 张秀英 --approach new-build \
	--build self --type three-grid >/dev/null
Bl household add --village 龙树村 --group 大寨 --head "张 秀英" --approach new-build \
	--build self --type three-grid >/dev/null

step "Both sync: the central merges, keeps both values, and lists the conflicts"
run A sync
run Bl sync
run ADMIN conflicts

step "The office resolves them (a new change that reaches every laptop)"
for id in $(ADMIN conflicts --json | jq -r '.[].id'); do
	run ADMIN resolve "$id" --take 1
done
run A sync
run Bl sync

step "Laptop C goes to 龙树村, where there is no link at all: it is enrolled by a file"
run ADMIN device add laptop-c --enroll-file "$D/laptop-c.enroll" >/dev/null
echo "the office wrote laptop-c's enrolment file (the token, the town key, the central's public key)"
run Cl init --device laptop-c --town 阿猛镇 >/dev/null
run Cl enroll "$D/laptop-c.enroll"
rm "$D/laptop-c.enroll"	# as secret as a token
echo "(it has never pulled: the stick will bring it the town's records)"
Cl village add 龙树村 >/dev/null
Cl group add --village 龙树村 大寨 >/dev/null
H5=$(Cl household add --village 龙树村 --group 大寨 --head 罗小芬 --approach new-build \
	--build self --type double-urn --water dry | tail -n 1)
# a camera's photo (scripts/demo-photo.jpg: a generated JPEG held sideways, with time and GPS)
cp "$(dirname "$(realpath "$0")")/demo-photo.jpg" "$D/before.jpg"
run Cl photo add "$H5" "$D/before.jpg" --kind before
run Cl status | grep -E "pending|stick|待上传|U盘"

step "Laptop C writes its round to the USB stick (sealed for the town's central)"
mkdir "$D/stick"
run Cl export "$D/stick"
ls "$D/stick/huce/laptop-c"
echo "nothing on the stick is readable without the keys:"
if grep -rqa "罗小芬" "$D/stick"; then echo "LEAK"; exit 1; else echo "  no name found on the stick"; fi

step "At the town office: the stick is imported, and the reply written on it"
run ADMIN import "$D/stick"
ls "$D/stick/huce/laptop-c"

step "Back in 龙树村, laptop C applies the reply as a pull"
run Cl import "$D/stick"
run Cl status | grep -E "pending|stick|待上传|U盘"
run Cl household list
A sync >/dev/null
Bl sync >/dev/null

step "All four agree"
A household list --json | jq -S 'map(del(.version))' >"$D/a.json"
Bl household list --json | jq -S 'map(del(.version))' >"$D/b.json"
Cl household list --json | jq -S 'map(del(.version))' >"$D/l.json"
ADMIN household list --json | jq -S 'map(del(.version))' >"$D/c.json"
if cmp -s "$D/a.json" "$D/b.json" && cmp -s "$D/a.json" "$D/c.json" &&
   cmp -s "$D/a.json" "$D/l.json"; then
	echo "laptops A, B, C and the central show the same $(jq length "$D/a.json") households"
else
	echo "MISMATCH"; diff "$D/a.json" "$D/b.json"; diff "$D/a.json" "$D/c.json"
	diff "$D/a.json" "$D/l.json"; exit 1
fi
run Bl household list
run Bl status
step "The weekly list (周清单)"
run Bl report week

step "The office's reports: the week's list and the month's ranking (红黑榜)"
OUT=$(realpath -m "${HUCE_DEMO_REPORTS:-$B/demo-reports}")
MONTH=$(date +%Y-%m)
mkdir -p "$OUT"
run ADMIN report month
for f in csv xlsx html; do
	ADMIN report week --format "$f" --out "$OUT/week-$WEEK.$f"
	ADMIN report month --format "$f" --out "$OUT/month-$MONTH.$f"
done

step "The cadre's screen (户厕验收): huce ui"
echo "The same work in a browser, in Chinese: \`huce ui\` serves a web app over a"
echo "laptop's store on 127.0.0.1 and prints its address (with this session's"
echo "secret) last; it opens the default browser unless --no-browser."
echo "  $HUCE --db ~/my-laptop.db ui            # after: huce --db ~/my-laptop.db init --device NAME"
echo "  DEMO_UI=1 make demo                      # this demo's laptop A in the browser (Ctrl-C ends)"
if [ -n "${DEMO_UI:-}" ]; then
	kill "$CENTRAL_PID" 2>/dev/null && wait "$CENTRAL_PID" 2>/dev/null || true
	CENTRAL_PID=
	A ui || true
fi
echo
echo "demo finished: central stopped, files removed; the reports are kept:"
for f in csv xlsx html; do
	echo "  $OUT/week-$WEEK.$f"
	echo "  $OUT/month-$MONTH.$f"
done
