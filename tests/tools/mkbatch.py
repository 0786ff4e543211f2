#!/usr/bin/env python3
# mkbatch.py - craft huce batches, good and hostile, for the e2e tests.
#
# A second, independent writer of the batch format (common/huce_batch.h,
# docs/PROTOCOL.md section 1): if the C codec and this script ever
# disagree about a byte, the tests say so.  It can also bend every field
# of the header, which the C encoder rightly refuses to do.
#
#   mkbatch.py batch --device D --first N --last N [--count N] < payload
#       [--version V] [--flags F] [--bad-crc] [--raw-len N] [--level L]
#       [--truncate N] [--trailing N] [--devlen N]
#   mkbatch.py payload --households K [--first N] [--seed S] [--base B]
#       prints a JSON payload: one village, one group, K households, with
#       seqs first.. and ids derived from the seed (same seed, same ids)
#   mkbatch.py households --households K --device D [--first N] [--seed S]
#       payload and batch in one go (count = K + 2)
#   mkbatch.py corpus DIR
#       regenerate the hostile corpus (tests/e2e/hostile/) and its MANIFEST
#   mkbatch.py named KIND NAME [--parent ID]
#       the id huce_id_named() derives (common/huce_id.c), e.g. a cadre's
#       from its name, for batches that name records as the CLI does
#
# Everything is deterministic: the same arguments give the same bytes.

import argparse
import hashlib
import json
import os
import struct
import sys
import zlib

MAGIC = b"HUCB"
HEADER = struct.Struct(">4sBBHQQIIQ")   # 40 bytes, big-endian
MAX_RAW = 16 * 1024 * 1024


def header(device, first, last, count, crc, raw_len, version=1, flags=0,
           devlen=None):
    dev = device.encode("utf-8")
    n = len(dev) if devlen is None else devlen
    return HEADER.pack(MAGIC, version, flags, n, first, last, count,
                       crc & 0xffffffff, raw_len) + dev


def batch(device, first, last, count, payload, version=1, flags=0,
          bad_crc=False, raw_len=None, level=6, devlen=None):
    crc = zlib.crc32(payload)
    if bad_crc:
        crc ^= 0x5a5a5a5a
    body = zlib.compress(payload, level)
    return header(device, first, last, count, crc,
                  len(payload) if raw_len is None else raw_len,
                  version, flags, devlen) + body


def uuid7(seed, n):
    # A well-formed UUIDv7 whose bits come from sha256(seed, n).
    h = bytearray(hashlib.sha256(("%s/%d" % (seed, n)).encode()).digest()[:16])
    h[0:6] = (0x019000000000 + n).to_bytes(6, "big")
    h[6] = 0x70 | (h[6] & 0x0f)
    h[8] = 0x80 | (h[8] & 0x3f)
    x = h.hex()
    return "%s-%s-%s-%s-%s" % (x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])


def named(kind, parent, name):
    # huce_id_named: sha256("kind\x1fparent\x1fname"), version nibble 8.
    data = ("%s\x1f%s\x1f%s" % (kind, parent or "", name)).encode()[:1023]
    b = bytearray(hashlib.sha256(data).digest()[:16])
    b[6] = 0x80 | (b[6] & 0x0f)
    b[8] = 0x80 | (b[8] & 0x3f)
    x = b.hex()
    return "%s-%s-%s-%s-%s" % (x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])


def hlc(seq, base):
    return "%016x" % ((base << 16) + seq)


def households_payload(k, first=1, seed="hh", base=1767225600000):
    village = uuid7(seed, 0)
    group = uuid7(seed, 1)
    entries = [
        {"seq": first, "id": village, "kind": "village", "op": "put",
         "base": 0, "hlc": hlc(first, base),
         "fields": {"name": "测试村 %s" % seed}},
        {"seq": first + 1, "id": group, "kind": "group", "op": "put",
         "base": 0, "hlc": hlc(first + 1, base),
         "fields": {"village_id": village, "name": "一组"}},
    ]
    for i in range(k):
        seq = first + 2 + i
        entries.append({
            "seq": seq, "id": uuid7(seed, 2 + i), "kind": "household",
            "op": "put", "base": 0, "hlc": hlc(seq, base),
            "fields": {"village_id": village, "group_id": group,
                       "head": "户主%d" % (i + 1), "approach": "new-build",
                       "build": "self", "type": "three-grid"}})
    return json.dumps({"entries": entries}, ensure_ascii=False).encode()


def corpus(d):
    """The hostile corpus: (file, bytes, status, error, what)."""
    dev = "laptop-1"
    good = households_payload(1, seed="corpus")
    ok = batch(dev, 1, 3, 3, good)
    zeros = b"\0" * MAX_RAW
    cases = [
        ("empty.bin", b"", 400, "malformed", "no body at all"),
        ("garbage.bin", hashlib.sha256(b"g").digest() * 64, 400,
         "malformed", "random bytes"),
        ("magic-only.hucb", MAGIC, 400, "malformed", "magic and nothing"),
        ("truncated-header.hucb", ok[:30], 400, "malformed",
         "header cut in the middle"),
        ("header-only.hucb", header(dev, 1, 3, 3, zlib.crc32(good),
                                    len(good)), 400, "malformed",
         "header with no zlib stream"),
        ("version9.hucb", batch(dev, 1, 3, 3, good, version=9), 426,
         "upgrade", "unknown format version"),
        ("version0.hucb", batch(dev, 1, 3, 3, good, version=0), 426,
         "upgrade", "format version zero"),
        ("flags.hucb", batch(dev, 1, 3, 3, good, flags=1), 400,
         "malformed", "non-zero flags"),
        ("devlen0.hucb", batch(dev, 1, 3, 3, good, devlen=0), 400,
         "malformed", "device name length 0"),
        ("devlen-huge.hucb", batch(dev, 1, 3, 3, good, devlen=65535), 400,
         "malformed", "device name length past the end"),
        ("device-ctrl.hucb", batch("laptop\n1", 1, 3, 3, good), 400,
         "malformed", "control character in the device name"),
        ("seq-backwards.hucb", batch(dev, 3, 1, 3, good), 400, "malformed",
         "first seq after last seq"),
        ("count-too-big.hucb", batch(dev, 1, 3, 4, good), 400, "malformed",
         "more entries than seqs"),
        ("empty-with-seqs.hucb", batch(dev, 1, 3, 0, good), 400,
         "malformed", "count 0 with seqs"),
        ("bad-crc.hucb", batch(dev, 1, 3, 3, good, bad_crc=True), 400,
         "checksum", "CRC-32 does not match"),
        ("raw-len-long.hucb", batch(dev, 1, 3, 3, good,
                                    raw_len=len(good) + 10), 400,
         "malformed", "header declares more bytes than inflate"),
        ("truncated-zlib.hucb", ok[:-7], 400, "malformed",
         "zlib stream cut short"),
        ("trailing.hucb", ok + b"\0\0\0junk", 400, "malformed",
         "bytes after the zlib stream"),
        ("adler.hucb", ok[:-4] + bytes(b ^ 0xff for b in ok[-4:]), 400,
         "malformed", "zlib Adler-32 trailer flipped"),
        ("raw-deflate.hucb", header(dev, 1, 3, 3, zlib.crc32(good),
                                    len(good))
         + zlib.compress(good)[2:-4], 400, "malformed",
         "raw deflate instead of zlib"),
        ("gzip.hucb", header(dev, 1, 3, 3, zlib.crc32(good), len(good))
         + gzip_bytes(good), 400, "malformed", "gzip instead of zlib"),
        ("bomb.hucb", batch(dev, 1, 1, 1, zeros, level=9), 413,
         "too_large", "16 MiB of zeros: ratio 1000:1"),
        ("bomb-undeclared.hucb", batch(dev, 1, 1, 1, zeros, level=9,
                                       raw_len=100), 413, "too_large",
         "declares 100 bytes, inflates to 16 MiB"),
        ("declared-huge.hucb", batch(dev, 1, 3, 3, good,
                                     raw_len=1 << 40), 413, "too_large",
         "declares 1 TiB"),
        ("wrong-device.hucb", batch("laptop-2", 1, 3, 3, good), 403,
         "wrong_device", "batch names another device"),
        ("gap.hucb", batch(dev, 5, 7, 3, households_payload(
            1, first=5, seed="corpus")), 409, "gap",
         "first seq 5 when 1 is expected"),
        ("not-json.hucb", batch(dev, 1, 1, 1, b"this is not json"), 400,
         "malformed", "payload is not JSON"),
        ("json-array.hucb", batch(dev, 1, 1, 1, b"[1,2,3]"), 400,
         "malformed", "payload is not an object"),
        ("entries-not-array.hucb", batch(dev, 1, 1, 1,
                                         b'{"entries":{"seq":1}}'), 400,
         "malformed", "entries is not an array"),
        ("deep.hucb", batch(dev, 1, 1, 1, b'{"entries":' + b"[" * 30000
                            + b"]" * 30000 + b"}"), 400, "malformed",
         "nesting 30000 deep"),
        ("nul-in-json.hucb", batch(dev, 1, 1, 1, b'{"entries":[]}\0{}'),
         400, "malformed", "NUL byte inside the payload"),
    ]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "MANIFEST"), "w") as m:
        m.write("# file status error what (generated by "
                "tests/tools/mkbatch.py corpus; do not edit)\n")
        for name, data, status, err, what in cases:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            m.write("%s %d %s %s\n" % (name, status, err, what))


def gzip_bytes(data):
    import gzip
    return gzip.compress(data, mtime=0)


def main():
    ap = argparse.ArgumentParser(description="craft huce batches")
    sub = ap.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("batch")
    b.add_argument("--device", required=True)
    b.add_argument("--first", type=int, required=True)
    b.add_argument("--last", type=int, required=True)
    b.add_argument("--count", type=int)
    b.add_argument("--version", type=int, default=1)
    b.add_argument("--flags", type=int, default=0)
    b.add_argument("--bad-crc", action="store_true")
    b.add_argument("--raw-len", type=int)
    b.add_argument("--level", type=int, default=6)
    b.add_argument("--truncate", type=int, help="cut N bytes off the end")
    b.add_argument("--trailing", type=int, help="append N junk bytes")
    b.add_argument("--devlen", type=int)

    p = sub.add_parser("payload")
    p.add_argument("--households", type=int, default=1)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--seed", default="hh")

    h = sub.add_parser("households")
    h.add_argument("--households", type=int, default=1)
    h.add_argument("--first", type=int, default=1)
    h.add_argument("--seed", default="hh")
    h.add_argument("--device", required=True)

    c = sub.add_parser("corpus")
    c.add_argument("dir")

    n = sub.add_parser("named")
    n.add_argument("kind")
    n.add_argument("name")
    n.add_argument("--parent")

    a = ap.parse_args()
    out = sys.stdout.buffer
    if a.cmd == "batch":
        payload = sys.stdin.buffer.read()
        count = a.count if a.count is not None else a.last - a.first + 1
        data = batch(a.device, a.first, a.last, count, payload, a.version,
                     a.flags, a.bad_crc, a.raw_len, a.level, a.devlen)
        if a.truncate:
            data = data[:-a.truncate]
        if a.trailing:
            data += b"\x55" * a.trailing
        out.write(data)
    elif a.cmd == "payload":
        out.write(households_payload(a.households, a.first, a.seed))
    elif a.cmd == "households":
        payload = households_payload(a.households, a.first, a.seed)
        n = a.households + 2
        out.write(batch(a.device, a.first, a.first + n - 1, n, payload))
    elif a.cmd == "corpus":
        corpus(a.dir)
    elif a.cmd == "named":
        out.write((named(a.kind, a.parent, a.name) + "\n").encode())


if __name__ == "__main__":
    main()
