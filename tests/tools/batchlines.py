#!/usr/bin/env python3
"""batchlines.py - craft huce batch files from entry lines (docs/PROTOCOL.md 1).

usage: batchlines.py [options] OUT DEVICE < ENTRIES

ENTRIES has one outbox entry per line (blank lines and # comments skipped):

    SEQ KIND ID OP BASE HLC FIELDS-JSON

for example

    1 village 0190...-000a put 0 0190000000000001 {"name":"阿猛村"}

The header's first/last seq and count come from the entries unless given:

    --first N --last N --count N   override the header (hostile batches)
    --payload FILE                 use FILE's bytes as the payload verbatim
    --crc N                        override the CRC-32

The merge tests (t02xx) use this instead of a laptop so that they can set
every base, HLC and seq exactly (order-independence and conflict tests need
that).  tests/tools/mkbatch.py is the HTTP tests' generator of whole
batches and hostile headers; this one is about entries.
"""
import argparse
import json
import struct
import sys
import zlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("device")
    ap.add_argument("--first", type=int)
    ap.add_argument("--last", type=int)
    ap.add_argument("--count", type=int)
    ap.add_argument("--crc", type=int)
    ap.add_argument("--payload")
    a = ap.parse_args()

    entries = []
    if a.payload:
        payload = open(a.payload, "rb").read()
    else:
        for line in sys.stdin:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            seq, kind, rid, op, base, hlc, fields = line.split(None, 6)
            entries.append({"seq": int(seq), "id": rid, "kind": kind,
                            "op": op, "base": int(base), "hlc": hlc,
                            "fields": json.loads(fields)})
        payload = json.dumps({"entries": entries}, ensure_ascii=False,
                             separators=(",", ":")).encode()
    first = entries[0]["seq"] if entries else 0
    last = entries[-1]["seq"] if entries else 0
    if a.first is not None:
        first = a.first
    if a.last is not None:
        last = a.last
    count = len(entries) if a.count is None else a.count
    crc = zlib.crc32(payload) if a.crc is None else a.crc
    dev = a.device.encode()
    header = b"HUCB" + struct.pack(">BBH", 1, 0, len(dev)) + \
        struct.pack(">QQIIQ", first, last, count, crc, len(payload)) + dev
    with open(a.out, "wb") as f:
        f.write(header + zlib.compress(payload))


if __name__ == "__main__":
    main()
