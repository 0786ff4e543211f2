#!/bin/bash
# t0631-idnumber.sh - a full ID number is never written anywhere (issue 4,
# item 7; DESIGN.md section 7).  Two real-format numbers (valid GB 11643
# check digits) enter the system the two ways it allows:
#   A  11010519491231002X  `huce household add --id-number` on a laptop
#      (once before enrolment, once after, on two households)
#   B  532622198001011231  the office's CSV list (`admin import`)
# Both travel everywhere they can: pushed and pulled by two laptops,
# exported to a file for the USB stick, listed and shown.  Every run
# logs at debug level.  Then every file the system wrote is searched for
# each full number, and for its birth date (the part the masked form
# hides):
#   - every database file: the laptops' and the central's, with -wal/-shm;
#   - every log: the central's, the agent's, each command's stderr;
#   - the export file and every pull page, inflated;
#   - the wire: each laptop's `huce sync` runs under strace, which records
#     every byte it writes to and reads from its sockets; the bytes are
#     reassembled and every zlib stream in them inflated (a batch body, a
#     deflated page), so a number inside compressed data is found too.
#     As a control, the masked forms must be found in the inflated wire.
# Also: the local database file (and its -wal) is created 0600, whatever
# the umask.

. "$(dirname "$0")/lib.sh"

A=11010519491231002X
A_MASK='1101**********002X'
B=532622198001011231
B_MASK='5326**********1231'
D=532625198505051236
D_MASK='5326**********1236'
C=$TRASH/c.db
mkdir -p "$TRASH/logs" "$TRASH/wire"
adm() { "$HUCE_SYNCD" --log-level debug admin --store "$C" "$@" 2>>"$TRASH/logs/admin.err"; }
h() { dev=$1; shift; "$HUCE" --log-level debug --db "$TRASH/$dev.db" "$@" 2>>"$TRASH/logs/$dev.err"; }

have_strace=1
if ! command -v strace >/dev/null || ! strace -o /dev/null true 2>/dev/null; then
	have_strace=0
fi

# traced_sync DEV N: `huce sync` under strace; the trace is wire/DEV.N.
traced_sync() {
	if [ "$have_strace" = 1 ]; then
		# LeakSanitizer cannot run under ptrace.
		ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 1000000 -xx -o "$TRASH/wire/$1.$2" \
			-e trace=write,writev,sendto,sendmsg,read,readv,recvfrom,recvmsg,connect,socket,close \
			"$HUCE" --log-level debug --db "$TRASH/$1.db" sync 2>>"$TRASH/logs/$1.err" >/dev/null
	else
		h "$1" sync >/dev/null
	fi
}

# The reassembler: socket fds are those returned by socket(); the bytes
# written to and read from them are concatenated per fd and direction,
# then every zlib stream found at any offset is inflated.  Prints the
# raw and inflated bytes to one file per trace.
cat >"$TRASH/wire.py" <<'EOF'
import re, sys, zlib
def unescape(s):
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), s)
for path in sys.argv[1:]:
    socks, streams = set(), {}
    for line in open(path, "rb"):
        m = re.match(rb"(\d+ +)?(\w+)\((.*)\) += (-?\d+)", line.rstrip())
        if not m:
            continue
        call, args, ret = m.group(2), m.group(3), int(m.group(4))
        if call == b"socket":
            if ret >= 0:
                socks.add(ret)
            continue
        fd = re.match(rb"(\d+)", args)
        if not fd:
            continue
        fd, rest = int(fd.group(1)), args[fd.end():]
        if call == b"close":
            socks.discard(fd)
            continue
        if fd not in socks or ret <= 0:
            continue
        for chunk in re.findall(rb'"((?:[^"\\]|\\.)*)"', rest):
            streams.setdefault((fd, call), bytearray()).extend(unescape(chunk))
    out = bytearray()
    for data in streams.values():
        data = bytes(data)
        out += data + b"\n"
        for i in range(len(data) - 1):
            if data[i] == 0x78 and data[i + 1] in (0x01, 0x5e, 0x9c, 0xda):
                try:
                    d = zlib.decompressobj()
                    out += d.decompress(data[i:], 64 << 20) + b"\n"
                except zlib.error:
                    pass
    open(path + ".bytes", "wb").write(bytes(out))
    print("%s: %d socket bytes, %d after inflating" % (path, sum(len(v) for v in streams.values()), len(out)))
EOF

{
	adm town 阿猛镇 &&
	adm device add d1 | tail -n 1 >"$TRASH/tok1" &&
	adm device add d2 | tail -n 1 >"$TRASH/tok2"
} >/dev/null || { cat "$TRASH/logs/admin.err"; exit 1; }
"$HUCE_SYNCD" --log-level debug central --store "$C" --listen 127.0.0.1:0 \
	--port-file "$TRASH/c.port" >>"$TRASH/logs/central.log" 2>&1 &
CENTRAL_PIDS="$CENTRAL_PIDS $!"
for _ in $(seq 1 100); do [ -s "$TRASH/c.port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$TRASH/c.port")"

test_expect_success 'the local database is created 0600, whatever the umask' '
	(umask 000 && h d1 init --device d1 --town 阿猛镇 >/dev/null) &&
	(umask 022 && h d2 init --device d2 --town 阿猛镇 >/dev/null) &&
	test "$(stat -c %a "$TRASH/d1.db")" = 600 &&
	test "$(stat -c %a "$TRASH/d2.db")" = 600 &&
	(umask 000 && "$HUCE" --db "$TRASH/d3.db" init --device d3 >/dev/null 2>&1) &&
	test "$(stat -c %a "$TRASH/d3.db")" = 600 &&
	(umask 000 && HUCE_DB="$TRASH/d4.db" "$HUCE" init --device d4 >/dev/null 2>&1) &&
	test "$(stat -c %a "$TRASH/d4.db")" = 600
'

test_expect_success 'number A before enrolment, on laptop d1' '
	h d1 village add 阿猛村 >/dev/null &&
	h d1 group add --village 阿猛村 第一组 >/dev/null &&
	h d1 household add --village 阿猛村 --group 第一组 --head 张三 \
		--approach new-build --build self --type three-grid --id-number "$A" >"$TRASH/logs/d1.out" &&
	h d1 household list --json | jq -r ".[0].id" >"$TRASH/zs" &&
	test "$(h d1 household show "$(cat "$TRASH/zs")" --json | jq -r .id_masked)" = "$A_MASK"
'

test_expect_success 'number A after enrolment, on a second household' '
	h d1 enroll "$URL" "$(cat "$TRASH/tok1")" >/dev/null &&
	h d1 household add --village 阿猛村 --group 第一组 --head 张四 \
		--approach new-build --build self --type three-grid --id-number "$A" >>"$TRASH/logs/d1.out" &&
	traced_sync d1 1 &&
	test "$(h d1 status --json | jq .pending)" = 0
'

test_expect_success 'number B through the office CSV import' '
	printf "%s\n" "村委会,村民小组,户主姓名,身份证号,挂包干部,改造方式,建设方式,厕所类型" \
		"阿猛村,第一组,李五,$B,王五,整厕新建,自建,三格化粪池式" >"$TRASH/input.csv" &&
	adm import "$TRASH/input.csv" --create >"$TRASH/logs/import.out" &&
	"$HUCE_SYNCD" admin --store "$C" household list --json >"$TRASH/logs/central-list.json" &&
	sqlite3 "$C" "SELECT value FROM field WHERE name = '"'"'id_masked'"'"'" | grep -qF "\"$B_MASK\"" &&
	test "$(sqlite3 "$C" "SELECT count(*) FROM field WHERE name = '"'"'id_hash'"'"'")" -ge 2
'

test_expect_success 'both numbers travel: d2 enrols and pulls, both laptops sync again' '
	h d2 enroll "$URL" "$(cat "$TRASH/tok2")" >/dev/null &&
	traced_sync d2 1 &&
	h d2 household set "$(cat "$TRASH/zs")" phone=13900000001 >/dev/null &&
	traced_sync d2 2 &&
	traced_sync d1 2 &&
	h d1 household list --json >"$TRASH/logs/d1-list.json" &&
	test "$(jq length "$TRASH/logs/d1-list.json")" = 3 &&
	h d2 household list --json >"$TRASH/logs/d2-list.json" &&
	for id in $(jq -r ".[].id" "$TRASH/logs/d2-list.json"); do
		h d2 household show "$id" --json >>"$TRASH/logs/d2-show.json" || return 1
	done &&
	grep -qF "$B_MASK" "$TRASH/logs/d2-show.json" &&
	grep -qF "$A_MASK" "$TRASH/logs/d2-show.json" &&
	# one ID number, one household: B is 李五'"'"'s, whose keyed hash d2 pulled
	h d2 household add --village 阿猛村 --group 第一组 --head 王六 \
		--approach new-build --build self --type three-grid --id-number "$B" >/dev/null 2>&1;
	test $? = 3 &&
	h d2 household add --village 阿猛村 --group 第一组 --head 王六 \
		--approach new-build --build self --type three-grid --id-number "$D" >/dev/null &&
	h d2 export "$TRASH/usb.huce" >/dev/null &&
	python3 -c "
import struct, sys, zlib
b = open(sys.argv[1], \"rb\").read()
n = struct.unpack(\">H\", b[6:8])[0]
open(sys.argv[2], \"wb\").write(zlib.decompress(b[40 + n:]))
" "$TRASH/usb.huce" "$TRASH/wire/usb.json" &&
	grep -qF "$D_MASK" "$TRASH/wire/usb.json" &&
	"$HUCE_SYNCD" --log-level debug agent --db "$TRASH/d2.db" --once 2>>"$TRASH/logs/agent.err" &&
	adm conflicts --json >"$TRASH/logs/conflicts.json" &&
	adm household list >"$TRASH/logs/central-list.txt"
'

test_expect_success 'the laptop keeps the keyed hash, where it is enrolled' '
	sqlite3 "$TRASH/d1.db" "SELECT id_hash FROM household WHERE head = '"'"'张四'"'"'" | grep -Eq "^[0-9a-f]{64}$"
'

if [ "$have_strace" = 1 ]; then
test_expect_success 'the wire capture holds the masked forms (control)' '
	python3 "$TRASH/wire.py" "$TRASH"/wire/d?.? &&
	cat "$TRASH"/wire/*.bytes >"$TRASH/wire/all" &&
	grep -qaF "$A_MASK" "$TRASH/wire/all" &&
	grep -qaF "$B_MASK" "$TRASH/wire/all" &&
	grep -qa "Authorization: Bearer" "$TRASH/wire/all"
'
else
	echo "ok $((test_count += 1)) # skip strace cannot trace here: no wire capture"
fi

test_expect_success 'no full number and no birth date anywhere' '
	find "$TRASH" -type f ! -name input.csv ! -name "t0631*" ! -name wire.py \
		! -name "out.*" >"$TRASH/files" &&
	grep -q "/c\.db-wal$" "$TRASH/files" &&
	found=0 &&
	for pat in "$A" "${A%X}x" "$B" "$D" 19491231 19800101 19850505; do
		while read -r f; do
			if grep -qaF "$pat" "$f"; then
				echo "FOUND $pat in $f" && found=1
			fi
		done <"$TRASH/files"
	done &&
	echo "searched $(wc -l <"$TRASH/files") files" &&
	test "$found" = 0
'

test_done
